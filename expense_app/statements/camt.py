"""ISO 20022 CAMT.053 statements, CAMT.052 reports and CAMT.054 notifications -> ParsedFile.

Our own reader on `xml_safety.parse_xml` (no good library exists). Elements are matched by local
name, so every version's namespace (`camt.053.001.02` ... `.001.13`) reads the same. Every `Ntry`
(entry) of every `Stmt`/`Rpt`/`Ntfctn` is one row; balances (`Bal`) are not rows. A batch
booking (one entry, several `TxDtls`) stays one row: the entry is what the account moved by.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile
from expense_app.statements.textutil import LineIndex, check_row_limit, clean, decode, parse_amount
from expense_app.statements.xml_safety import local_name, parse_xml

_SIGNATURE = re.compile(rb"camt\.05[234]|BkToCstmr(?:Stmt|AcctRpt|DbtCdtNtfctn)")
_XML_ENCODING = re.compile(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9_.-]+)[\"']", re.I)
_ENTRY_START = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?Ntry[\s>/]")
_STATEMENTS = ("Stmt", "Rpt", "Ntfctn")
_RAW_DEPTH = 12
_XML_DECIMAL = re.compile(r"\d{1,18}(?:\.\d{1,5})?")


def looks_like(data: bytes) -> bool:
    """Whether `data` is XML naming a CAMT.052/.053/.054 message in its first 4 KiB."""
    head = data[:4096]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and bool(_SIGNATURE.search(head))


def read(data: bytes, *, max_rows: int, settings: dict | None = None) -> ParsedFile:
    """Every entry of every statement/report in `data`; UnreadableFile when it is not CAMT, has
    entity declarations, or has more than `max_rows` entries. `settings` is unused."""
    declared = _XML_ENCODING.search(data[:1024])
    text = decode(data, declared=declared.group(1).decode("ascii") if declared else None)
    root = parse_xml(text)
    _strip_namespaces(root)
    statements = _statements(root)
    if not statements:
        raise UnreadableFile("This file is not a CAMT.052/.053 statement (no Stmt or Rpt element with an account).")
    # Account and currency once per statement: a path lookup scans all of a statement's children.
    entries = []
    for statement in statements:
        account, currency = _account(statement), _text(statement, "Acct/Ccy")
        entries.extend((account, currency, entry) for entry in statement.findall("Ntry"))
    check_row_limit(len(entries), max_rows)
    lines = LineIndex(text)
    starts = [m.start() for m in _ENTRY_START.finditer(text)]
    rows = []
    accounts: set[str | None] = set()
    currencies: set[str | None] = set()
    for index, (account, currency, entry) in enumerate(entries):
        line = lines.line(starts[index]) if index < len(starts) else 1
        row = _row(entry, line=line, account=account, currency=currency)
        rows.append(row)
        accounts.add(account)
        currencies.add(row.currency)
    return ParsedFile(
        format="camt",
        rows=rows,
        settings={},
        account=accounts.pop() if len(accounts) == 1 else None,
        currency=currencies.pop() if len(currencies) == 1 else None,
    )


def _strip_namespaces(root: ET.Element) -> None:
    # Once, so the rest can use ElementTree's own path lookups with plain names (each version of
    # the message has its own namespace); comments and processing instructions get tag "".
    for element in root.iter():
        element.tag = local_name(element.tag)


def _text(node: ET.Element, path: str) -> str | None:
    """The stripped text at `path` under `node`, None when missing or empty."""
    found = node.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _statements(root: ET.Element) -> list[ET.Element]:
    """The statements/reports of the message, in order, not looking inside one (a statement
    never holds another; a hostile file nesting them would make every entry's work quadratic)."""
    found = []
    stack = [root]
    while stack:
        element = stack.pop()
        if element.tag in _STATEMENTS and _is_statement(element):
            found.append(element)
            continue
        stack.extend(reversed(element))
    return found


def _is_statement(element: ET.Element) -> bool:
    # `Rpt` and `Stmt` are also names inside other messages; a CAMT one has an `Acct`.
    return element.find("Acct") is not None


def _account(statement: ET.Element) -> str | None:
    return _text(statement, "Acct/Id/IBAN") or _text(statement, "Acct/Id/Othr/Id")


def _raw(entry: ET.Element) -> dict[str, str]:
    """Every text and attribute under the entry, by path of local names (`Amt`, `Amt@Ccy`,
    `NtryDtls/TxDtls/RmtInf/Ustrd`); repeated paths joined by newlines."""
    raw: dict[str, str] = {}

    def add(key: str, value: str) -> None:
        raw[key] = f"{raw[key]}\n{value}" if key in raw else value

    # Iterative and at most _RAW_DEPTH levels deep (the schema's deepest text is 9): a deeply
    # nested hostile entry can neither exhaust the recursion limit nor grow paths quadratically.
    stack = [(sub, local_name(sub.tag), 1) for sub in reversed(entry) if local_name(sub.tag)]
    while stack:
        element, path, depth = stack.pop()
        for name, value in sorted(element.attrib.items()):
            add(f"{path}@{local_name(name)}", value.strip())
        if element.text and element.text.strip():
            add(path, element.text.strip())
        if depth < _RAW_DEPTH:
            stack.extend(
                (sub, f"{path}/{local_name(sub.tag)}", depth + 1) for sub in reversed(element) if local_name(sub.tag)
            )
    return raw


def _details(entry: ET.Element) -> list[ET.Element]:
    """The entry's transaction details (`NtryDtls/TxDtls`), in order."""
    return entry.findall("NtryDtls/TxDtls")


def _first(entry: ET.Element, *paths: str) -> str | None:
    """The first non-empty text along any of `paths` (`Refs/EndToEndId`), looked up in the
    entry and in each of its transaction details."""
    for path in paths:
        for node in (entry, *_details(entry)):
            value = _text(node, path)
            if value:
                return value
    return None


def _row(entry: ET.Element, *, line: int, account: str | None, currency: str | None) -> ParsedRow:
    raw = _raw(entry)
    amount_element = entry.find("Amt")
    indicator = (_text(entry, "CdtDbtInd") or "").upper()
    status = _text(entry, "Sts") or _text(entry, "Sts/Cd") or ""
    debit = indicator == "DBIT"
    party = "Cdtr" if debit else "Dbtr"
    # A batch booking names one counterparty per transaction: all of them, in order, once.
    names = [
        clean(_text(node, f"RltdPties/{party}/Nm") or _text(node, f"RltdPties/{party}/Pty/Nm"))
        for node in (entry, *_details(entry))
    ]
    name = ", ".join(dict.fromkeys(n for n in names if n))
    purpose = " ".join(clean(u.text) for u in entry.iter("Ustrd") if u.text and u.text.strip())
    info = clean(_text(entry, "AddtlNtryInf"))
    description = clean(name) or info or purpose
    notes = [part for part in (purpose, info) if part and part != description]
    reference = _first(entry, "AcctSvcrRef", "NtryRef")
    if not reference:
        end_to_end = _first(entry, "Refs/EndToEndId")
        if end_to_end and end_to_end.upper() != "NOTPROVIDED":
            reference = end_to_end
    row = ParsedRow(
        line=line,
        raw=raw,
        currency=(amount_element.get("Ccy") if amount_element is not None else None) or currency,
        description=description,
        notes="; ".join(dict.fromkeys(notes)),
        external_id=reference,
        account=account,
        pending=status.upper() == "PDNG",
    )
    errors = []
    when = (
        _text(entry, "BookgDt/Dt")
        or _text(entry, "BookgDt/DtTm")
        or _text(entry, "ValDt/Dt")
        or _text(entry, "ValDt/DtTm")
    )
    row.date = _date(when)
    if row.date is None:
        errors.append(f"Unreadable date `{when}`." if when else "The entry has no date.")
    amount_text = (amount_element.text or "").strip() if amount_element is not None else ""
    # ISO 20022 amounts are unsigned with a decimal point: anything else is unreadable, not
    # guessed (a "1,5" must not become 15).
    amount = parse_amount(amount_text) if _XML_DECIMAL.fullmatch(amount_text or "") else None
    if amount is None:
        errors.append(f"Unreadable amount `{amount_text}`." if amount_text else "The entry has no amount.")
    elif indicator not in ("DBIT", "CRDT"):
        errors.append(f"Unreadable debit/credit indicator `{indicator or '(none)'}`.")
    else:
        row.amount = -abs(amount) if debit else abs(amount)
    row.error = " ".join(errors) or None
    return row


def _date(text: str | None) -> dt.date | None:
    """The date of an ISO date or date-time (`2026-11-02`, `2026-11-02T10:15:00+01:00`)."""
    if not text or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]):
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
