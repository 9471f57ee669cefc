"""SWIFT MT940 account statements -> ParsedFile, on the `mt-940` library (BSD-3-Clause).

The file is split into statements here (one per `:20:`, cut at the `-` that ends a message, so
non-SWIFT headers such as ABN AMRO's `ABNANL2A / 940 / ABNANL2A` lines fall outside), and each
statement's `:61:` lines are read by the library: amount, debit/credit mark, value and entry
dates, references. A statement the library cannot read is re-read one record at a time, so one
bad `:61:` line becomes one row error instead of losing the file. The `:86:` text is read here:
the library's German subfield parser merges the IBAN (`?31`) into the name (`?32`).

Marks: `C`/`D` are credit/debit (`CR`/`DR` are C/D followed by a funds code), `RC` is the
reversal of a credit (money out), `RD` the reversal of a debit (money in).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from decimal import Decimal

import mt940 as mt940_lib

from expense_app.statements.model import ParsedFile, ParsedRow, UnreadableFile
from expense_app.statements.textutil import LineIndex, check_row_limit, clean, decode

# The library logs the text of a tag it cannot read at ERROR level, which would put statement
# contents into the app's logs; we report unreadable records as row errors instead.
_library_log = logging.getLogger("mt940")
_library_log.addHandler(logging.NullHandler())
_library_log.propagate = False

_STATEMENT_START = re.compile(r"^:20:", re.M)
# A message ends with a `-` line (`-}` inside a SWIFT FIN envelope `{4:...-}`).
_MESSAGE_END = re.compile(r"^-(?:\}|\s*$)", re.M)
_TAG = re.compile(r"^:(\d\d[A-Z]?|NS):", re.M)
_SIXTY_ONE = re.compile(r"(\d{6})(\d{4})?(R?[CD])")
_BALANCE = re.compile(r"[CD]\d{6}([A-Z]{3})")
_SUBFIELD = re.compile(r"\?(\d\d)")
_KEYS = "TRTP|IBAN|BIC|NAME|REMI|EREF|MARF|CSID|ORDP|BENM|ADDR|ISDT|CNTP|ULTC|ULTD|PURP|RTRN|SVCL"
_KEYWORDS = re.compile(rf"\s*/(?:{_KEYS})/")
_KEYWORD_VALUE = re.compile(rf"/(NAME|REMI)/(.*?)(?=/(?:{_KEYS})/|$)")
# Tags that belong to the statement, not to the `:61:` record before them.
_STATEMENT_TAGS = ("20", "21", "25", "28", "28C", "60F", "60M", "62F", "62M", "64", "65", "34F", "13D")


def looks_like(data: bytes) -> bool:
    """Whether `data` has the tags of an MT940 statement (`:20:` then `:25:` or `:60F:`)."""
    head = data[:16384]
    return bool(re.search(rb"(?m)^:20:", head)) and bool(re.search(rb"(?m)^:(25|60F|60M|61):", head))


def read(data: bytes, *, max_rows: int, settings: dict | None = None) -> ParsedFile:
    """Every `:61:` record of every statement in `data`; UnreadableFile when it is not MT940 or
    has more than `max_rows` records. `settings` is unused."""
    text = decode(data).replace("\r\n", "\n").replace("\r", "\n")
    starts = [m.start() for m in _STATEMENT_START.finditer(text)]
    if not starts or not looks_like(data):
        raise UnreadableFile("This file is not an MT940 statement (no :20: and :25: tags).")
    check_row_limit(len(re.findall(r"(?m)^:61:", text)), max_rows)
    lines = LineIndex(text)
    rows: list[ParsedRow] = []
    accounts: set[str | None] = set()
    currencies: set[str | None] = set()
    for number, start in enumerate(starts):
        end = starts[number + 1] if number + 1 < len(starts) else len(text)
        block_end = _MESSAGE_END.search(text, start, end)
        block = text[start : block_end.start() if block_end else end]
        statement_rows = _statement(block, offset=start, lines=lines)
        rows.extend(statement_rows)
        for row in statement_rows:
            accounts.add(row.account)
            currencies.add(row.currency)
    return ParsedFile(
        format="mt940",
        rows=rows,
        settings={},
        account=accounts.pop() if len(accounts) == 1 else None,
        currency=currencies.pop() if len(currencies) == 1 else None,
    )


def _tags(block: str) -> list[tuple[str, str, int]]:
    """(tag, text, offset in block) of every tag of a statement, text stripped."""
    found = list(_TAG.finditer(block))
    tags = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(block)
        tags.append((match.group(1), block[match.end() : end].strip(), match.start()))
    return tags


def _statement(block: str, *, offset: int, lines: LineIndex) -> list[ParsedRow]:
    tags = _tags(block)
    account = next((value for tag, value, _ in tags if tag == "25"), None) or None
    currency = None
    for tag, value, _ in tags:
        if tag in ("60F", "60M", "62F", "62M"):
            balance = _BALANCE.match(value)
            if balance:
                currency = balance.group(1)
                break
    header = "".join(f":{tag}:{value}\n" for tag, value, _ in tags if tag in ("20", "25", "60F", "60M"))
    records: list[list[tuple[str, str, int]]] = []
    for tag in tags:
        if tag[0] == "61":
            records.append([tag])
        elif records and tag[0] not in _STATEMENT_TAGS:
            records[-1].append(tag)
    # The library reads only the :61: lines (the :86: text is read here), so it has less to do
    # and less to trip over.
    parsed = _library_read(header + "".join(_record_text(r[:1]) for r in records))
    if parsed is None or len(parsed) != len(records):
        parsed = [_library_one(header + _record_text(record[:1])) for record in records]
    return [
        _row(record, found, line=lines.line(offset + record[0][2]), account=account, currency=currency)
        for record, found in zip(records, parsed, strict=True)
    ]


def _record_text(record: list[tuple[str, str, int]]) -> str:
    return "".join(f":{tag}:{value}\n" for tag, value, _ in record)


def _library_read(text: str) -> list[dict] | None:
    """The library's data of each `:61:` of `text`, or None when it cannot read them."""
    try:
        transactions = mt940_lib.models.Transactions()
        transactions.parse(text)
        return [dict(t.data) for t in transactions.transactions if t.data.get("amount") is not None]
    except Exception:  # any failure of the library means "re-read record by record"
        return None


def _library_one(text: str) -> dict | None:
    found = _library_read(text)
    return found[0] if found and len(found) == 1 else None


def _row(
    record: list[tuple[str, str, int]],
    found: dict | None,
    *,
    line: int,
    account: str | None,
    currency: str | None,
) -> ParsedRow:
    raw = {}
    for tag, value, _ in record:
        raw[tag] = f"{raw[tag]}\n{value}" if tag in raw else value
    description, notes = _details(raw.get("86", ""))
    row = ParsedRow(
        line=line,
        raw=raw,
        currency=currency,
        description=description,
        notes=notes,
        account=account,
    )
    mark = _SIXTY_ONE.match(raw["61"])
    if found is None or mark is None:
        row.error = f"Unreadable transaction line `:61:{raw['61'].splitlines()[0][:60]}`."
        return row
    amount = found["amount"].amount
    money_in = mark.group(3) in ("C", "RD")
    row.amount = abs(Decimal(amount)) if money_in else -abs(Decimal(amount))
    # The entry (booking) date when the line has one, else the value date.
    when = found.get("entry_date") if mark.group(2) else None
    when = when or found.get("date")
    row.date = _date(when)
    if row.date is None:
        row.error = f"Unreadable date `{mark.group(1)}`."
    row.currency = found.get("currency") or currency
    reference = (found.get("bank_reference") or "").strip()
    row.external_id = reference if reference and reference.upper() != "NONREF" else None
    return row


def _date(value: object) -> dt.date | None:
    """A plain `datetime.date` of the library's Date (a date subclass), or None."""
    if not isinstance(value, dt.date):
        return None
    return dt.date(value.year, value.month, value.day)


def _details(text: str) -> tuple[str, str]:
    """(description, notes) of a `:86:` text. German structured form (`166?00GUTSCHRIFT?20...`):
    the name `?32`+`?33` is the description, the purpose `?20`..`?29` the notes. Dutch/SWIFT
    keyword form (`/TRTP/.../NAME/J. Jansen/REMI/Huur/`): NAME and REMI. Both are fixed-width
    pieces, so their lines join without a space. Free text: all of it is the description."""
    joined = text.replace("\n", "")
    if _KEYWORDS.match(joined):
        found = dict(_KEYWORD_VALUE.findall(joined))
        name = clean(found.get("NAME", ""))
        remittance = clean(re.sub(r"^USTD//", "", found.get("REMI", "")).strip("/"))
        if name or remittance:
            return name or remittance, remittance if name else ""
    if not _SUBFIELD.search(text):
        return clean(text), ""
    pieces = _SUBFIELD.split(joined)
    fields: dict[str, str] = {}
    for code, value in zip(pieces[1::2], pieces[2::2], strict=True):
        fields[code] = fields.get(code, "") + value
    name = clean(fields.get("32", "") + fields.get("33", ""))
    purpose = clean("".join(fields.get(str(code), "") for code in range(20, 30)))
    posting = clean(fields.get("00", ""))
    return name or posting or purpose, purpose if (name or posting) else ""
