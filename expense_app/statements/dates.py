"""Dates as statements write them, and which format a column of them is in.

`detect_format` keeps the formats every value fits. When both day-first and month-first fit
(every day is 12 or less: `01/02/2026`), it proposes one and asks, because guessing silently
would book a whole statement in the wrong months.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from collections.abc import Iterable

from expense_app.statements.model import Question

# Tried in this order; the first one every value fits is proposed. Day-first before month-first:
# most banks outside the US write the day first.
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%m/%d/%y",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%b %d, %Y",
)
# Formats that read the same text with day and month swapped.
_SWAPPED = {
    "%d/%m/%Y": "%m/%d/%Y",
    "%m/%d/%Y": "%d/%m/%Y",
    "%d/%m/%y": "%m/%d/%y",
    "%m/%d/%y": "%d/%m/%y",
    "%d-%m-%Y": "%m-%d-%Y",
    "%m-%d-%Y": "%d-%m-%Y",
}
_HUMAN = {"%d": "DD", "%m": "MM", "%Y": "YYYY", "%y": "YY", "%b": "Mon", "%B": "Month"}


class DateError(ValueError):
    """A cell that is not a date in the expected format; `str()` is the message for the row."""


def describe(date_format: str) -> str:
    """`%d.%m.%Y` as people read it: `DD.MM.YYYY`."""
    text = date_format
    for code, human in _HUMAN.items():
        text = text.replace(code, human)
    return text


def parse_date(cell: str, date_format: str) -> dt.date:
    """The date in `cell`; a time after it (`2026-01-31 14:05`, `…T14:05:00+01:00`) is ignored.

    Raises DateError("Unreadable date `31/02/2026` (expected DD/MM/YYYY).").
    """
    text = cell.strip()
    date = _parse(text, date_format)
    if date is None:
        raise DateError(f"Unreadable date `{text}` (expected {describe(date_format)}).")
    return date


@functools.lru_cache(maxsize=4096)
def _parse(text: str, date_format: str) -> dt.date | None:
    # Cached: a statement repeats the same few hundred dates across thousands of rows.
    # strptime's \d also takes other scripts' digits; statements use ASCII ones.
    candidates = _candidates(text, date_format) if text.isascii() else []
    for candidate in candidates:
        try:
            return dt.datetime.strptime(candidate, date_format).date()
        except ValueError:
            continue
    return None


def _candidates(text: str, date_format: str) -> list[str]:
    head = " ".join(text.split(" ")[: date_format.count(" ") + 1])
    if "T" not in date_format and "T" in head and head[:1].isdigit():
        head = head.split("T", 1)[0]
    return [text] if head == text else [text, head]


# Detection only proposes formats giving dates in this range, so an account number such as
# `123456` is not taken for 6 May 1234 (`%Y%m%d`); reading with a chosen format has no limit.
_PLAUSIBLE_YEARS = range(1950, 2101)


def fits(values: list[str], date_format: str) -> bool:
    """Whether every value reads as a plausible date in `date_format`."""
    try:
        for value in values:
            if parse_date(value, date_format).year not in _PLAUSIBLE_YEARS:
                return False
            if date_format == "%Y%m%d" and not re.fullmatch(r"[0-9]{8}", value.strip()):
                return False
    except DateError:
        return False
    return True


def detect_format(values: Iterable[str]) -> tuple[str | None, Question | None]:
    """Propose `(date_format, question)` for a column; `(None, None)` when no format fits all."""
    cells = [v.strip() for v in values if v.strip()]
    if not cells:
        return None, None
    fitting = [f for f in DATE_FORMATS if fits(cells, f)]
    if not fitting:
        # A few odd cells (comdirect writes `offen` for unbooked rows) must not hide the format
        # of the rest: the format most values fit is proposed when it fits at least 80% of them;
        # the others become row errors.
        counts = {f: sum(1 for cell in cells if fits([cell], f)) for f in DATE_FORMATS}
        best = max(DATE_FORMATS, key=lambda f: counts[f])
        if counts[best] * 5 < len(cells) * 4:
            return None, None
        fitting = [f for f in DATE_FORMATS if counts[f] == counts[best]]
    proposed = fitting[0]
    swapped = _SWAPPED.get(proposed)
    if swapped in fitting:
        # Statements are in date order: the reading that keeps them in order is proposed.
        if _disorder(cells, swapped) < _disorder(cells, proposed):
            proposed, swapped = swapped, proposed
        example = next(cell for cell in cells if fits([cell], proposed))
        day_first, month_first = (proposed, swapped) if proposed.startswith("%d") else (swapped, proposed)
        first = parse_date(example, day_first)
        second = parse_date(example, month_first)
        question = Question(
            "date_format",
            f"Dates like `{example}` could be {first.day} {first:%B %Y} ({describe(day_first)}) or "
            f"{second.day} {second:%B %Y} ({describe(month_first)}).",
            [proposed, swapped],
        )
        return proposed, question
    return proposed, None


def _disorder(cells: list[str], date_format: str) -> int:
    """How far the cells read in `date_format` are from being sorted, either way: the number of
    neighbours out of ascending or of descending order, whichever is fewer."""
    read = [_parse(cell, date_format) for cell in cells]
    days = [date for date in read if date is not None]
    pairs = list(itertools.pairwise(days))
    return min(sum(1 for a, b in pairs if a > b), sum(1 for a, b in pairs if a < b))
