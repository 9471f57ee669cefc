"""Amounts as banks write them: `1.234,56`, `1,234.56`, `2 026,41`, `1'234.50`, `(12.00)`, `12,00-`.

`parse_amount` reads one cell with a known decimal mark and thousands separator, strictly: a cell
that fits neither (`12,3,4`) is an error, never a guess, because a misread amount is the worst
thing an import can do (`-3.000` read as -3.00 instead of -3000, Actual #2374). `detect_format`
proposes the two separators from a column's values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from expense_app.statements.model import Question

# Spaces a thousands separator can be written as: space, no-break space, narrow no-break space.
_SPACES = (" ", "\u00a0", "\u202f")
_CURRENCY_SIGNS = "$€£¥₹₽₺₩₪₫₴₦₱¢"
_DEBIT_CREDIT_SUFFIX = re.compile(r"(.*?[0-9])\s*(DR|CR|Dr|Cr|dr|cr)\.?")
_CODE = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$")


class AmountError(ValueError):
    """A cell that is not an amount; `str()` is the message for the row."""


def parse_amount(cell: str, *, decimal: str = ".", thousands: str = "") -> Decimal:
    """The signed amount a cell holds; raises AmountError("Unreadable amount `…`.")."""
    text = cell.strip()
    if not text:
        raise AmountError("The amount is empty.")
    body, negative = _strip_sign(_strip_currency(text))
    pattern, separators = _pattern(decimal, thousands)
    match = pattern.fullmatch(body)
    if not match:
        raise AmountError(f"Unreadable amount `{cell.strip()}`.")
    whole, fraction = match.group(1) or "0", match.group(2) or match.group(3) or ""
    for separator in separators:
        whole = whole.replace(separator, "")
    try:
        value = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise AmountError(f"Unreadable amount `{cell.strip()}`.") from None
    return -value if negative else value


@functools.lru_cache(maxsize=32)
def _pattern(decimal: str, thousands: str) -> tuple[re.Pattern, tuple[str, ...]]:
    """The strict pattern of an amount (ASCII digits, groups of three) and the thousands
    separators to drop; cached, since a file reads thousands of cells with one pair."""
    if thousands:
        separators = _SPACES if thousands in _SPACES else (thousands,)
        group = "".join(re.escape(s) for s in separators)
        whole = rf"[0-9]{{1,3}}(?:[{group}][0-9]{{3}})+|[0-9]+"
    else:
        separators, whole = (), r"[0-9]+"
    mark = re.escape(decimal)
    return re.compile(rf"({whole})(?:{mark}([0-9]+))?|{mark}([0-9]+)"), separators


def _strip_currency(text: str) -> str:
    text = text.strip(_CURRENCY_SIGNS + " \u00a0")
    text = _CODE.sub("", text)
    return text.strip(_CURRENCY_SIGNS + " \u00a0")


def _strip_sign(text: str) -> tuple[str, bool]:
    """The digits without their sign, and whether it was negative: `-`, `+`, `(…)`, trailing `-`,
    or a `DR`/`CR` suffix (UK and Australian statements: `12.50 DR` is money out)."""
    if text.startswith("(") and text.endswith(")"):
        return _strip_sign_once(text[1:-1].strip(), True)
    marked = _DEBIT_CREDIT_SUFFIX.fullmatch(text)
    if marked:
        body, _ = _strip_sign_once(marked.group(1), False)
        # A sign and a suffix together is not a way anyone writes an amount: leave it unreadable.
        return (body, marked.group(2).lower() == "dr") if body == marked.group(1) else (text, False)
    return _strip_sign_once(text, False)


def _strip_sign_once(text: str, negative: bool) -> tuple[str, bool]:
    for minus in ("-", "\u2212"):
        if text.startswith(minus):
            return text[1:].strip(_CURRENCY_SIGNS + " \u00a0"), not negative
        if text.endswith(minus):
            return text[:-1].strip(), not negative
    if text.startswith("+"):
        return text[1:].strip(_CURRENCY_SIGNS + " \u00a0"), negative
    return text, negative


def detect_format(values: Iterable[str]) -> tuple[str, str, Question | None]:
    """Propose `(decimal, thousands, question)` for a column of amounts.

    Certain evidence wins: a value with both `.` and `,` (the last one is the decimal mark), a
    mark followed by one, two or more than three digits (decimal), a mark used twice or a space
    or `'` between digit groups (thousands); the other of `.`/`,` is the thousands separator
    unless a space or `'` is seen. When the only evidence is values like `1,234`
    (could be 1234 or 1.234), `.`/`,` is proposed and a Question asks.
    """
    decimal_votes = {".": 0, ",": 0}
    thousands_votes = {".": 0, ",": 0, " ": 0, "'": 0}
    ambiguous = {".": 0, ",": 0}
    for cell in values:
        body, _ = _strip_sign(_strip_currency(cell.strip()))
        if not re.fullmatch(r"[0-9.,' \u00a0\u202f]*[0-9][0-9.,' \u00a0\u202f]*", body):
            continue
        for space in _SPACES:
            if re.search(rf"[0-9]{space}[0-9]{{3}}", body):
                thousands_votes[" "] += 1
                body = body.replace(space, "")
        if "'" in body:
            thousands_votes["'"] += 1
            body = body.replace("'", "")
        marks = [c for c in body if c in ".,"]
        if not marks:
            continue
        last = marks[-1]
        if len(set(marks)) == 2:
            decimal_votes[last] += 1
            thousands_votes[marks[0]] += 1
        elif len(marks) > 1:
            thousands_votes[last] += 1
        elif len(body) - body.rindex(last) - 1 == 3 and body.rindex(last) > 0:
            ambiguous[last] += 1
        else:
            decimal_votes[last] += 1
    if decimal_votes[","] > decimal_votes["."] or (
        not decimal_votes["."] and thousands_votes["."] > thousands_votes[","]
    ):
        decimal = ","
    elif decimal_votes["."] or thousands_votes[","]:
        decimal = "."
    else:
        decimal = None
    if decimal is None and (ambiguous["."] or ambiguous[","]):
        mark = "," if ambiguous[","] >= ambiguous["."] else "."
        other = "." if mark == "," else ","
        question = Question(
            "decimal",
            f"Amounts like `1{mark}234` could be one thousand two hundred and thirty-four "
            f"(`{mark}` separates thousands) or one point two three four (`{mark}` is the decimal mark).",
            [other, mark],
        )
        return other, mark, question
    decimal = decimal or "."
    thousands = _pick_thousands(decimal, thousands_votes, ambiguous)
    return decimal, thousands, None


def _pick_thousands(decimal: str, votes: dict[str, int], ambiguous: dict[str, int]) -> str:
    other = "," if decimal == "." else "."
    if votes[other] or ambiguous[other]:
        return other
    if votes[" "]:
        return "\u00a0"
    if votes["'"]:
        return "'"
    # With the decimal mark known, the other mark can only group thousands; the strict grouping
    # of `parse_amount` keeps `1,5` (decimal `.`) an error rather than a misread.
    return other
