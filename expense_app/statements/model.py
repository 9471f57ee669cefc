"""What every statement reader returns: a parsed file of parsed rows, one sign convention.

Readers (CSV, OFX/QFX, QIF, MT940, CAMT, JSON exports) turn bytes into a `ParsedFile`. They do not
decide what is imported: that is the imports service's job (dedupe, money in, rules). A row that
cannot be read is still returned, with `error` saying why in words, so the preview can list it.

One sign convention for every format: `amount` is signed as the account sees it, **negative =
money out** (an expense), positive = money in. A reader of an app export whose amounts are
positive expenses (ihatemoney, this app) negates them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal


class UnreadableFile(ValueError):
    """The file cannot be imported at all (binary, zip, malformed, malicious, too many rows);
    `str(error)` is the message shown to the user."""


@dataclass
class ParsedRow:
    """One transaction record of a file."""

    # The line (text formats) or record number (1-based) the row starts at, for messages.
    line: int
    # The record as read, column or tag -> text. Fingerprinted for dedupe and shown in the preview,
    # so it must be the file's own text (not a value the reader computed) and stable across reads.
    raw: dict[str, str]
    date: dt.date | None = None
    amount: Decimal | None = None
    currency: str | None = None
    description: str = ""
    notes: str = ""
    # The bank's own id of the transaction (OFX FITID, CAMT AcctSvcrRef/NtryRef, MT940 bank
    # reference, a CSV id column); None when the file has none.
    external_id: str | None = None
    # The account the row belongs to when the file names one (multi-account files).
    account: str | None = None
    # A category name or tags the file gives (app exports); matched to the user's at import.
    category: str | None = None
    tags: tuple[str, ...] = ()
    payment_method: str | None = None
    # Not yet booked by the bank (e.g. Sparkasse "Umsatz vorgemerkt", OFX pending): still imported,
    # marked in the preview.
    pending: bool = False
    # Why the row cannot be read, e.g. "Unreadable date `31/02/2026`."; None when it can.
    error: str | None = None


@dataclass
class Question:
    """A setting detection could not decide alone, e.g. `date_format` between `%d/%m/%Y` and
    `%m/%d/%Y` when every date fits both: the user picks one of `options` (the first is proposed)."""

    setting: str
    message: str
    options: list[str]


@dataclass
class ParsedFile:
    """A whole file, read."""

    format: str  # one of models.imports.IMPORT_FORMATS
    rows: list[ParsedRow]
    # The settings used to read it (CSV: `CsvSettings.as_dict()`, with what was detected), shown
    # on the mapping step and stored on the batch; {} for formats that need none.
    settings: dict = field(default_factory=dict)
    # The statement's account and currency, when the file names them (one-account files).
    account: str | None = None
    currency: str | None = None
    # The built-in preset that read it (`firefly`, `actual`, `ihatemoney`, `expense_manager`).
    builtin_preset: str | None = None
    # Things the user should know, in words ("2 investment records were left out.").
    warnings: list[str] = field(default_factory=list)
    # Settings detection proposes but could not be sure of; the user confirms them.
    questions: list[Question] = field(default_factory=list)
