"""OFX 1.x (SGML), OFX 2.x (XML) and QFX bank and credit-card statements -> ParsedFile.

Our own reader (ofxtools is GPL, ofxparse unmaintained). OFX 1.x is SGML: leaf elements have no
close tag (`<TRNAMT>-6.60<FITID>0001`), several elements share a line, and the file starts with
`KEY:VALUE` header lines. That is tokenised here into an ElementTree tree; OFX 2.x is real XML
and goes through `xml_safety.parse_xml` (no DTD, no entities). Both trees are then read the same
way: every `STMTTRN` of every bank (`STMTRS`) or credit-card (`CCSTMTRS`) statement is one row;
pending ones (`STMTTRNP`, OFX 2.1) are rows marked pending; balances are not rows; investment
statements are left out with a warning.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile
from expense_app.statements.textutil import (
    LineIndex,
    check_row_limit,
    clean,
    decode,
    parse_amount,
)
from expense_app.statements.xml_safety import ENTITY_MESSAGE, local_name, parse_xml

_HEAD = re.compile(rb"^\s*(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:OFXHEADER|<\?OFX|<OFX>)", re.I)
_CHARSET = re.compile(r"^\s*CHARSET:\s*(\S+)", re.I | re.M)
_ENCODING = re.compile(r"^\s*ENCODING:\s*(\S+)", re.I | re.M)
_XML_ENCODING = re.compile(r"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.-]+)[\"']", re.I)
_DECLARATIONS = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.I)
_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9_.:-]*)\s*>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_RECORD_START = re.compile(r"<(STMTTRNP?)\s*>", re.I)
_DATE = re.compile(r"\s*(\d{8})")
_END = re.compile(r"</OFX\s*>", re.I)

_TRANSACTIONS = ("STMTTRN", "STMTTRNP")
_STATEMENTS = ("STMTRS", "CCSTMTRS")
_INVESTMENTS = "INVTRANLIST"


def looks_like(data: bytes) -> bool:
    """Whether `data` starts like an OFX/QFX file (SGML header, OFX 2 processing instruction,
    or an `<OFX>` root)."""
    return bool(_HEAD.match(data[:4096]))


def read(data: bytes, *, max_rows: int, settings: dict | None = None) -> ParsedFile:
    """Every transaction of every statement in `data`; UnreadableFile when it is not OFX, has
    entity declarations, or has more than `max_rows` transactions. `settings` is unused: OFX
    says everything itself."""
    text = decode(data, declared=_declared_charset(data))
    if _DECLARATIONS.search(text):
        raise UnreadableFile(ENTITY_MESSAGE)
    start = text.upper().find("<OFX")
    if start < 0 or not looks_like(data):
        raise UnreadableFile("This file is not an OFX statement (no <OFX> element).")
    if not _END.search(text):
        raise UnreadableFile("This OFX file is incomplete (it does not end with </OFX>); download it again.")
    check_row_limit(len(_RECORD_START.findall(text)), max_rows)
    root = _tree(text, start)
    if local_name(root.tag).upper() != "OFX" and _find(root, "OFX") is None:
        raise UnreadableFile("This file is not an OFX statement (no <OFX> element).")
    return _statements(root, text)


def _declared_charset(data: bytes) -> str | None:
    head = data[:2048].decode("latin-1")
    xml_encoding = _XML_ENCODING.search(head)
    if xml_encoding:
        return xml_encoding.group(1)
    charset = _CHARSET.search(head)
    encoding = _ENCODING.search(head)
    if encoding and encoding.group(1).upper().replace("-", "") == "UTF8":
        return "utf-8"
    return charset.group(1) if charset else None


def _tree(text: str, start: int) -> ET.Element:
    """The OFX element tree: XML when the file is well-formed XML, else the SGML tokeniser
    (some banks label SGML files as OFX 2, some XML files leave leaf tags open)."""
    if text.lstrip().startswith("<?xml") or 'OFXHEADER="200"' in text[:start].upper():
        try:
            return parse_xml(text)
        except UnreadableFile as error:
            if str(error) == ENTITY_MESSAGE:
                raise
    return _sgml_tree(text[start:])


def _sgml_tree(body: str) -> ET.Element:
    """Build a tree from OFX SGML: an element followed by text is a leaf that ends at the next
    tag; a close tag closes the nearest open element of that name (stray ones are ignored)."""
    body = _COMMENT.sub("", body)
    body = _CDATA.sub(lambda m: html.escape(m.group(1), quote=False), body)
    root = ET.Element("SGML")
    stack = [root]
    # How many elements of each name are open: a stray close tag is skipped without a scan of
    # the stack (a hostile file could otherwise make every close tag scan a deep stack).
    open_names: dict[str, int] = {}
    leaf = False  # whether stack[-1] already has text, i.e. is a leaf that ends at the next tag
    position = 0
    for token in _TOKEN.finditer(body):
        between = body[position : token.start()]
        position = token.end()
        if between.strip() and len(stack) > 1:
            top = stack[-1]
            top.text = (top.text or "") + html.unescape(between)
            leaf = True
        closing, name = token.group(1) == "/", token.group(2).upper()
        if leaf:
            leaf = False
            ended = stack.pop()
            open_names[ended.tag] -= 1
            if closing and ended.tag == name:
                continue
        if closing:
            if open_names.get(name):
                while True:
                    ended = stack.pop()
                    open_names[ended.tag] -= 1
                    if ended.tag == name:
                        break
        else:
            stack.append(ET.SubElement(stack[-1], name))
            open_names[name] = open_names.get(name, 0) + 1
    tail = body[position:]
    if leaf or (tail.strip() and len(stack) > 1):
        stack[-1].text = (stack[-1].text or "") + html.unescape(tail)
    if len(root) == 0:
        raise UnreadableFile("This file is not an OFX statement (no elements could be read).")
    return root[0] if len(root) == 1 else root


def _find(element: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in element.iter() if local_name(e.tag).upper() == name), None)


def _statements(root: ET.Element, text: str) -> ParsedFile:
    rows: list[ParsedRow] = []
    warnings: list[str] = []
    starts = [m.start() for m in _RECORD_START.finditer(text)]
    lines = LineIndex(text)
    accounts: set[str | None] = set()
    currencies: set[str | None] = set()
    statements, investments = _walk(root)
    for statement in statements:
        currency = (statement.currency or "").strip().upper() or None
        account = _account(statement.holder)
        for index, record in statement.records:
            line = lines.line(starts[index]) if index < len(starts) else 1
            row = _row(record, line=line, currency=currency, account=account)
            row.pending = local_name(record.tag).upper() == "STMTTRNP"
            rows.append(row)
            accounts.add(account)
            currencies.add(row.currency)
    if investments:
        warnings.append(f"{investments} investment record{'s were' if investments != 1 else ' was'} left out.")
    if not statements and not investments:
        warnings.append("This OFX file has no bank or credit-card statement.")
    return ParsedFile(
        format="ofx",
        rows=rows,
        settings={},
        account=accounts.pop() if len(accounts) == 1 else None,
        currency=currencies.pop() if len(currencies) == 1 else None,
        warnings=warnings,
    )


@dataclass
class _Statement:
    currency: str | None = None
    holder: ET.Element | None = None  # BANKACCTFROM or CCACCTFROM
    records: list[tuple[int, ET.Element]] = field(default_factory=list)  # (document index, record)


def _walk(root: ET.Element) -> tuple[list[_Statement], int]:
    """The bank and credit-card statements in one pass over the tree (a per-statement search
    would be quadratic on a hostile file of nested statements), and how many investment records
    there are. A record's document index counts every STMTTRN/STMTTRNP, so it finds its line."""
    statements: list[_Statement] = []
    investments = 0
    index = 0
    stack: list[tuple[ET.Element, _Statement | None]] = [(root, None)]
    while stack:
        element, statement = stack.pop()
        name = local_name(element.tag).upper()
        if name in _STATEMENTS:
            statement = _Statement()
            statements.append(statement)
        elif name in _TRANSACTIONS:
            if statement is not None:
                statement.records.append((index, element))
            index += 1
        elif statement is not None and name == "CURDEF" and statement.currency is None:
            statement.currency = element.text
        elif statement is not None and name in ("BANKACCTFROM", "CCACCTFROM"):
            statement.holder = statement.holder if statement.holder is not None else element
        elif name == _INVESTMENTS:
            investments += sum(1 for c in element if local_name(c.tag).upper() not in ("DTSTART", "DTEND"))
        stack.extend((sub, statement) for sub in reversed(element))
    return statements, investments


def _account(holder: ET.Element | None) -> str | None:
    if holder is None:
        return None
    account_id = _child_text(holder, "ACCTID")
    bank_id = _child_text(holder, "BANKID")
    if account_id and bank_id:
        return f"{bank_id}/{account_id}"
    return account_id


def _raw(record: ET.Element) -> dict[str, str]:
    """The record's leaf texts by tag, in document order, down to 3 levels (PAYEE/NAME, or a
    field an empty SGML leaf swallowed): bounded, so nested hostile records stay linear."""
    raw: dict[str, str] = {}
    # A record nested in this one (its close tag was missing) is a record of its own.
    stack = [(sub, 1) for sub in reversed(record) if not _is_record(sub)]
    while stack:
        element, depth = stack.pop()
        if element.text is not None and element.text.strip():
            key = local_name(element.tag).upper()
            value = element.text.strip()
            raw[key] = f"{raw[key]}\n{value}" if key in raw else value
        if depth < 3:
            stack.extend((sub, depth + 1) for sub in reversed(element) if not _is_record(sub))
    return raw


def _is_record(element: ET.Element) -> bool:
    return local_name(element.tag).upper() in _TRANSACTIONS


def _child_text(element: ET.Element, name: str) -> str | None:
    """Stripped text of the first direct child `name` of `element`, None when absent/empty."""
    found = next((c for c in element if local_name(c.tag).upper() == name), None)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _row(record: ET.Element, *, line: int, currency: str | None, account: str | None) -> ParsedRow:
    raw = _raw(record)
    # A CURRENCY aggregate means the amounts of this record are in that currency (ORIGCURRENCY
    # only reports the original one: the amounts are already in CURDEF).
    own_currency = next((e for e in record if local_name(e.tag).upper() == "CURRENCY"), None)
    if own_currency is not None and _child_text(own_currency, "CURSYM"):
        currency = _child_text(own_currency, "CURSYM").upper()
    name = raw.get("NAME") or raw.get("EXTDNAME")
    memo = raw.get("MEMO", "")
    row = ParsedRow(
        line=line,
        raw=raw,
        currency=currency,
        description=clean(name or memo),
        notes=clean(memo) if name else "",
        external_id=raw.get("FITID") or None,
        account=account,
    )
    errors = []
    when = raw.get("DTPOSTED") or raw.get("DTTRAN") or raw.get("DTUSER")
    row.date = _date(when)
    if row.date is None:
        errors.append(f"Unreadable date `{when}`." if when else "The transaction has no date.")
    amount_text = raw.get("TRNAMT")
    row.amount = parse_amount(amount_text)
    if row.amount is None:
        errors.append(f"Unreadable amount `{amount_text}`." if amount_text else "The transaction has no amount.")
    row.error = " ".join(errors) or None
    return row


def _date(text: str | None) -> dt.date | None:
    """The date of an OFX datetime (`20090401122017.000[-5:EST]`): its first 8 digits."""
    match = _DATE.match(text or "")
    if not match:
        return None
    digits = match.group(1)
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None
