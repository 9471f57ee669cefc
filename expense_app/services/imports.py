"""Statement imports: stage an uploaded file's rows, dedupe them, propose categories, commit, undo.

The public face of the import use cases (issue 15); views and the CLI call only these functions.
A file becomes a staged `ImportBatch` whose rows (`ImportRow`) are stored, so the preview, its
edits and the commit can be separate requests. Nothing becomes an expense before `commit_batch`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from expense_app.models import User


@dataclass(frozen=True)
class ExpenseBrief:
    """The existing expense a (possible) duplicate resembles, as the preview shows it."""

    id: int
    date: dt.date
    amount: Decimal
    currency: str
    description: str
    category_name: str


@dataclass(frozen=True)
class BatchView:
    """One import batch as the faces show it."""

    id: int
    filename: str
    format: str
    source: str
    status: str
    created_at: dt.datetime
    committed_at: dt.datetime | None
    undone_at: dt.datetime | None
    row_count: int
    counts: dict[str, int]  # every row status, 0 included
    included_count: int
    created_count: int
    settings: dict
    warnings: list[str]
    questions: list[dict]
    preset_id: int | None
    preset_name: str | None
    builtin_preset: str | None
    default_category_id: int | None
    default_category_name: str | None
    debit_sums: dict[str, Decimal]  # currency -> sum of the included rows' amounts


@dataclass(frozen=True)
class BatchPage:
    items: list[BatchView]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class RowView:
    """One staged row as the preview shows it."""

    id: int
    line: int
    status: str
    include: bool
    date: dt.date | None
    amount: Decimal | None
    currency: str | None
    description: str
    notes: str
    payment_method: str | None
    category_id: int | None
    category_name: str | None
    category_source: str | None
    new_category_name: str | None
    tags: list[str]
    rule_ids: list[int]
    external_id: str | None
    message: str
    raw: dict
    pending: bool
    duplicate_of: ExpenseBrief | None
    expense_id: int | None


@dataclass(frozen=True)
class RowPage:
    items: list[RowView]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]


@dataclass(frozen=True)
class ReadPreview:
    """The first rows of a staged file read with other CSV settings; nothing is stored.

    `rows` are dicts with the RowView keys that reading alone decides (line, date, amount,
    currency, description, notes, payment_method, external_id, tags, raw, pending, message,
    status: `error` / `money_in` / `new`)."""

    columns: list[str]
    rows: list[dict]
    errors: list[str]
    settings: dict
    questions: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class UndoResult:
    batch: BatchView
    deleted_count: int
    kept_count: int


def create_batch(
    *,
    user: User,
    data: bytes,
    filename: str = "",
    settings: dict | None = None,
    preset_id=None,
    builtin_preset: str | None = None,
    source: str | None = None,
    default_category_id=None,
) -> BatchView:
    raise NotImplementedError


def get_batch(*, user: User, batch_id) -> BatchView:
    raise NotImplementedError


def list_batches(*, user: User, page=1, per_page=20) -> BatchPage:
    raise NotImplementedError


def read_preview(*, user: User, batch_id, settings: dict) -> ReadPreview:
    raise NotImplementedError


def update_batch(
    *, user: User, batch_id, settings: dict | None = None, default_category_id=None, source=None
) -> BatchView:
    raise NotImplementedError


def list_rows(*, user: User, batch_id, status: str | None = None, page=1, per_page=50) -> RowPage:
    raise NotImplementedError


def update_rows(
    *,
    user: User,
    batch_id,
    row_ids: list | None = None,
    status: str | None = None,
    include: bool | None = None,
    category_id=None,
    tags: list[str] | None = None,
    add_tags: list[str] | None = None,
) -> int:
    raise NotImplementedError


def commit_batch(*, user: User, batch_id) -> BatchView:
    raise NotImplementedError


def edited_expenses(*, user: User, batch_id) -> list:
    raise NotImplementedError


def undo_batch(*, user: User, batch_id, edited: str | None = None) -> UndoResult:
    raise NotImplementedError


def purge_staged(*, now: dt.datetime | None = None) -> int:
    raise NotImplementedError
