"""The import views (frozen dataclasses the faces render) and how a batch is loaded and shown.

Kept apart from the use cases (`imports`, `import_edits`) so both can build them; `imports`
re-exports every name here, and the faces import them from there.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from expense_app.errors import NotFound
from expense_app.extensions import db
from expense_app.models import ROW_STATUSES, Category, ImportBatch, ImportPreset, ImportRow, User
from expense_app.services.rules import is_storable_id, parse_id

BATCH_NOT_FOUND = "Import not found."
NOT_STAGED = "This import was already committed."


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


# --- views ---------------------------------------------------------------------------------------


def stored_settings(batch: ImportBatch) -> dict:
    stored = batch.settings if isinstance(batch.settings, dict) else {}
    return {
        "read": stored.get("read") or {},
        "questions": stored.get("questions") or [],
        "source": stored.get("source"),
    }


def batch_view(batch: ImportBatch) -> BatchView:
    sums = db.session.execute(
        sa.select(ImportRow.currency, sa.func.count(), sa.func.sum(ImportRow.amount))
        .where(ImportRow.batch_id == batch.id, ImportRow.include.is_(True))
        .group_by(ImportRow.currency)
    ).all()
    preset_name = (
        db.session.scalar(sa.select(ImportPreset.name).where(ImportPreset.id == batch.preset_id))
        if batch.preset_id
        else None
    )
    category_name = (
        db.session.scalar(sa.select(Category.name).where(Category.id == batch.default_category_id))
        if batch.default_category_id
        else None
    )
    stored = stored_settings(batch)
    counts = {status: int((batch.counts or {}).get(status, 0)) for status in ROW_STATUSES}
    return BatchView(
        id=batch.id,
        filename=batch.filename,
        format=batch.format,
        source=batch.source,
        status=batch.status,
        created_at=batch.created_at,
        committed_at=batch.committed_at,
        undone_at=batch.undone_at,
        row_count=batch.row_count,
        counts=counts,
        included_count=sum(count for _, count, _ in sums),
        created_count=batch.created_count,
        settings=dict(stored["read"]),
        warnings=list(batch.warnings or []),
        questions=list(stored["questions"]),
        preset_id=batch.preset_id,
        preset_name=preset_name,
        builtin_preset=batch.builtin_preset,
        default_category_id=batch.default_category_id,
        default_category_name=category_name,
        debit_sums={currency or "": Decimal(total or 0).quantize(Decimal("0.01")) for currency, _, total in sums},
    )


def load_batch(user: User, batch_id, *, for_update: bool = False) -> ImportBatch:
    if not is_storable_id(batch_id):
        raise NotFound(BATCH_NOT_FOUND)
    query = (
        sa.select(ImportBatch)
        .where(ImportBatch.id == parse_id(batch_id), ImportBatch.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        query = query.with_for_update()
    batch = db.session.scalar(query)
    if batch is None:
        raise NotFound(BATCH_NOT_FOUND)
    return batch


def row_view(row: ImportRow, category_name: str | None, brief) -> RowView:
    return RowView(
        id=row.id,
        line=row.line,
        status=row.status,
        include=row.include,
        date=row.date,
        amount=row.amount,
        currency=row.currency,
        description=row.description,
        notes=row.notes,
        payment_method=row.payment_method,
        category_id=row.category_id,
        category_name=category_name,
        category_source=row.category_source,
        new_category_name=row.new_category_name,
        tags=list(row.tags or []),
        rule_ids=list(row.rule_ids or []),
        external_id=row.external_id,
        message=row.message,
        raw=dict(row.raw or {}),
        pending=row.pending,
        duplicate_of=None if brief is None else ExpenseBrief(**brief._mapping),
        expense_id=row.expense_id,
    )
