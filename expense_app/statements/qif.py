"""Quicken Interchange Format (QIF) -> ParsedFile: our own small reader.

A QIF file is sections (`!Type:Bank`, `!Type:CCard`, `!Type:Cash`, `!Type:Oth A`/`Oth L`,
`!Type:Invst`, `!Type:Cat`, `!Account`, `!Option:AutoSwitch`, ...) of records that end with `^`;
each line of a record is a one-letter code and a value. Only the banking sections give rows;
investment records are counted in a warning; lists (categories, classes, securities, accounts)
are skipped. A split record (`S`/`E`/`$` lines) stays one row with its total `T`, the splits
written into the notes.

QIF has no date standard: Quicken US writes `2/14'2020` or `2/14/20`, European programs
`14/02/2020` or `14.02.2020`, others `2020-02-14`. The day/month order is decided from the
values of the whole file; when every date fits both orders the file asks (`date_order`,
proposing `mdy`), and `settings["date_order"]` overrides detection. (quiffen 4.0.1 was tried
on the samples: it needs the encoding given, takes one fixed day order per call, and silently
read our European file's `-45,90` as -4590 and `03/11/2026` as March 11; it also needs pydantic.)
"""

from __future__ import annotations

import datetime as dt
import re

from expense_app.statements.model import ParsedFile, ParsedRow, Question, UnreadableFile
from expense_app.statements.textutil import check_row_limit, clean, decode, parse_amount, split_lines

DATE_ORDERS = ("mdy", "dmy")
_BANKING = ("bank", "ccard", "cash", "oth a", "oth l")
# A code no QIF line can have (codes are one character): marks a record cut off by the file's end.
_CUT = "cut off"
_INVESTMENT = "invst"
_HEADER = re.compile(rb"!(?:Type|Account|Option|Clear)\b", re.I)
# Day and month of 1-2 digits (Quicken pads with spaces: ` 2/ 4'20`), any of / . - ' as
# separators, a year of 2 or 4 digits.
_DATE = re.compile(r"(\d{1,2})\s*([/.\-'])\s*(\d{1,2})\s*([/.\-'])\s*(\d{2}|\d{4})")
_ISO_DATE = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})")


def looks_like(data: bytes) -> bool:
    """Whether the first line of `data` that is not blank or a `#` comment is a QIF section
    header (`!Type:`, `!Account`, `!Option:`)."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf")
    for line in re.split(rb"\r\n|\r|\n", head):
        line = line.strip()
        if line and not line.startswith(b"#"):
            return bool(_HEADER.match(line))
    return False


def read(data: bytes, *, max_rows: int, settings: dict | None = None) -> ParsedFile:
    """Every banking record of `data`; UnreadableFile when it is not QIF or has more than
    `max_rows` records. `settings` may hold `date_order` ("mdy" or "dmy")."""
    if not looks_like(data):
        raise UnreadableFile("This file is not a QIF file (it does not start with !Type:).")
    text = decode(data, single_byte=_single_byte_codecs(data))
    records, investments = _records(split_lines(text))
    check_row_limit(len(records), max_rows)
    decimal = _decimal_mark(records)
    wanted = (settings or {}).get("date_order")
    order, question = _date_order([_fields(r[2]).get("D", [""])[0] for r in records])
    if wanted in DATE_ORDERS:
        order, question = wanted, None
    rows = [_row(line, account, pairs, order=order, decimal=decimal) for line, account, pairs in records]
    warnings = []
    if investments:
        warnings.append(f"{investments} investment record{'s were' if investments != 1 else ' was'} left out.")
    accounts = {row.account for row in rows}
    return ParsedFile(
        format="qif",
        rows=rows,
        settings={"date_order": order},
        account=accounts.pop() if len(accounts) == 1 else None,
        currency=None,
        warnings=warnings,
        questions=[question] if question else [],
    )


def _single_byte_codecs(data: bytes) -> tuple[str, ...]:
    # Classic Mac programs wrote Mac Roman with CR line ends; a file with CR only is read as Mac
    # Roman first, anything else as Windows-1252 first (charset-normalizer picks between them).
    if b"\r" in data and b"\n" not in data:
        return ("mac_roman", "cp1252")
    return ("cp1252", "mac_roman")


Pairs = list[tuple[str, str]]


def _fields(pairs: Pairs) -> dict[str, list[str]]:
    """The values of each code of a record, in file order."""
    fields: dict[str, list[str]] = {}
    for code, value in pairs:
        fields.setdefault(code, []).append(value)
    return fields


def _records(lines: list[str]) -> tuple[list[tuple[int, str | None, Pairs]], int]:
    """(line, account, (code, value) pairs) of every banking record, and how many investment
    records there are."""
    records = []
    investments = 0
    section = None
    account = None
    fields: Pairs = []
    start = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("!"):
            fields, start = [], None
            header = stripped[1:].lower()
            if header.startswith("type:"):
                section = header[5:].strip()
            elif header == "account":
                section = "account"
            elif header.startswith(("option:", "clear:")):
                continue
            else:
                section = header
            continue
        if stripped == "^":
            if section in _BANKING and fields:
                records.append((start, account, fields))
            elif section == _INVESTMENT and fields:
                investments += 1
            elif section == "account" and fields:
                # An account list entry names the account of the sections that follow.
                account = clean(_fields(fields).get("N", [""])[0]) or None
            fields, start = [], None
            continue
        if start is None:
            start = number
        code, value = stripped[0], line.lstrip()[1:].rstrip()
        fields.append((code, value))
    # A last record without its closing `^` is kept, marked: the file may have been cut inside
    # it, so its amount may be cut too.
    if fields and section in _BANKING:
        records.append((start, account, [*fields, (_CUT, "")]))
    elif fields and section == _INVESTMENT:
        investments += 1
    return records, investments


def _decimal_mark(records: list) -> str:
    """The file's decimal mark: "," when its amounts use a decimal comma (`-12,50`, `1.234,56`),
    else "." (also when no amount tells, e.g. whole numbers: `1,250` is a thousands comma)."""
    comma = point = 0
    for _, _, pairs in records:
        for code, value in pairs:
            if code in ("T", "U", "$"):
                value = value.strip()
                if re.search(r",\d{1,2}$", value) or re.search(r"\.\d{3},", value):
                    comma += 1
                elif re.search(r"\.\d{1,2}$", value) or re.search(r",\d{3}\.", value):
                    point += 1
    return "," if comma > point else "."


def _date_order(values: list[str]) -> tuple[str, Question | None]:
    """The file's day/month order from its date values, and a Question when they do not tell."""
    first_big = second_big = ambiguous = 0
    for value in values:
        match = _DATE.search(value)
        if not match or match.group(2) == ".":
            # Dotted dates (14.02.2020) are day-first wherever they are written.
            continue
        first, second = int(match.group(1)), int(match.group(3))
        if first > 12 >= second:
            first_big += 1
        elif second > 12 >= first:
            second_big += 1
        elif first <= 12 and second <= 12:
            ambiguous += 1
    if first_big > second_big:
        return "dmy", None
    if second_big:
        return "mdy", None
    if ambiguous:
        return "mdy", Question(
            setting="date_order",
            message=(
                "Every date in this file can be read as month/day or as day/month "
                "(e.g. 2/3 is February 3 or 2 March). Which order does it use?"
            ),
            options=list(DATE_ORDERS),
        )
    return "mdy", None


def parse_date(value: str, *, order: str) -> dt.date | None:
    """A QIF date in `order` ("mdy"/"dmy"; dotted dates are always day first), or None."""
    value = value.strip()
    iso = _ISO_DATE.fullmatch(value)
    try:
        if iso:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        match = _DATE.fullmatch(value)
        if not match:
            return None
        first, second = int(match.group(1)), int(match.group(3))
        day_first = order == "dmy" or match.group(2) == "."
        day, month = (first, second) if day_first else (second, first)
        year = int(match.group(5))
        if len(match.group(5)) == 2:
            # Quicken writes `'` before a two-digit year of the 2000s and `/` before one of the
            # 1900s; other programs write `/21` for 2021, hence the pivot for `/`.
            year += 2000 if match.group(4) == "'" or year < 70 else 1900
        return dt.date(year, month, day)
    except ValueError:
        return None


def _row(line: int, account: str | None, pairs: Pairs, *, order: str, decimal: str) -> ParsedRow:
    fields = _fields(pairs)
    raw = {code: "\n".join(values) for code, values in fields.items() if code != _CUT}
    first = {code: values[0].strip() for code, values in fields.items()}
    category, tags, transfer = _category(first.get("L", ""))
    payee, memo = clean(first.get("P", "")), clean(first.get("M", ""))
    # Without a payee the memo is the best description there is (and is not repeated in notes).
    description, notes = (payee, [memo]) if payee else (memo, [])
    if transfer:
        notes.append(f"Transfer: {transfer}")
    if first.get("N"):
        notes.append(f"Check number: {first['N']}")
    notes.append(_splits(pairs))
    row = ParsedRow(
        line=line,
        raw=raw,
        description=description,
        notes="; ".join(part for part in notes if part),
        account=account,
        category=category,
        tags=tags,
    )
    errors = []
    # The record's date is its first D line; a D inside the splits (some exporters) is not.
    date_text = first.get("D")
    row.date = parse_date(date_text, order=order) if date_text else None
    if row.date is None:
        errors.append(f"Unreadable date `{date_text}`." if date_text else "The record has no date.")
    amount_text = first.get("T") or first.get("U")
    row.amount = parse_amount(amount_text, decimal=decimal)
    if row.amount is None:
        errors.append(f"Unreadable amount `{amount_text}`." if amount_text else "The record has no amount.")
    if _CUT in fields:
        errors.append("The file ends inside this record (no closing ^ line); it may be incomplete.")
    row.error = " ".join(errors) or None
    return row


def _category(value: str) -> tuple[str | None, tuple[str, ...], str | None]:
    """(category, tags from the class, transfer account) of an `L` value such as
    `Bills:Cell Phone/Test class` or `[Checking]` (a transfer, not a category)."""
    value = value.strip()
    if not value:
        return None, (), None
    name, _, class_name = value.partition("/")
    tags = (class_name.strip(),) if class_name.strip() else ()
    name = name.strip()
    if name.startswith("[") and name.endswith("]"):
        return None, tags, name[1:-1].strip() or None
    return name or None, tags, None


def _splits(pairs: Pairs) -> str:
    """The splits of a record in words: `Splits: Food:Groceries -5.00 (50%), ...`; each `S`
    starts a split, the `$` and `E` after it belong to it."""
    splits: list[dict[str, str]] = []
    for code, value in pairs:
        if code == "S":
            splits.append({"S": value})
        elif code in ("$", "E") and splits:
            splits[-1].setdefault(code, value)
    parts = []
    for split in splits:
        piece = clean(split["S"]) or "(no category)"
        if split.get("$", "").strip():
            piece += f" {split['$'].strip()}"
        if clean(split.get("E")):
            piece += f" ({clean(split['E'])})"
        parts.append(piece)
    return "Splits: " + ", ".join(parts) if parts else ""
