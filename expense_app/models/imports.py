"""Imports of bank statements and other apps' exports: presets, staged batches and their rows.

An upload becomes an `ImportBatch` whose parsed rows (`ImportRow`) are stored here, not in a
worker's memory, so the preview, its edits and the commit can be separate requests served by
different workers. Nothing becomes an expense until the batch is committed; then each included
row records the expense it created (`ImportRow.expense_id`), which is what undo removes.

Dedupe keys live on the expense itself (`Expense.import_source`, `external_id`,
`import_fingerprint`, `import_occurrence`), computed once at import and never recomputed, and two
unique indexes there make a second import of the same rows impossible, not merely unlikely.

An `ImportPreset` is a user's saved CSV settings (column mapping, delimiter, date format...) under
a name, chosen automatically when a file's header matches `header_signature`.
"""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from expense_app.models.base import Base, TimestampMixin, UTCDateTime

IMPORT_FORMATS = ("csv", "ofx", "qif", "mt940", "camt", "json")
BATCH_STATUSES = ("staged", "committed", "undone")
# `new`: will be imported; `duplicate`: certainly imported before (same external id or same raw
# row from the same source); `possible_duplicate`: looks like an existing expense, shown next to
# it, imported only if the user includes it; `money_in`: a credit, listed and counted, never
# imported; `error`: unreadable, with the reason in `message`.
ROW_STATUSES = ("new", "duplicate", "possible_duplicate", "money_in", "error")


class ImportPreset(TimestampMixin, Base):
    __tablename__ = "import_presets"
    __table_args__ = (sa.UniqueConstraint("user_id", "name", name="uq_import_presets_user_id_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # The CSV settings (statements.csv_settings.CsvSettings.as_dict()).
    settings: Mapped[dict] = mapped_column(sa.JSON)
    # A digest of the normalised header row, so a file with the same columns picks this preset.
    header_signature: Mapped[str | None] = mapped_column(sa.String(64))

    def __repr__(self) -> str:
        return f"<ImportPreset {self.id} {self.name!r}>"


class ImportBatch(TimestampMixin, Base):
    __tablename__ = "import_batches"
    __table_args__ = (
        sa.CheckConstraint("status IN ('staged', 'committed', 'undone')", name="status_known"),
        sa.Index("ix_import_batches_user_id_created_at", "user_id", "created_at"),
        # `flask imports purge` finds the stale staged batches without reading the others.
        sa.Index("ix_import_batches_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    format: Mapped[str] = mapped_column(sa.String(10))
    # Where the rows come from for dedupe: the account the file names, else the preset or the
    # format; rows of a multi-account file carry their own (`ImportRow.source`).
    source: Mapped[str] = mapped_column(sa.String(100))
    # What was detected and confirmed (CSV settings, the encoding...), and notes for the user.
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    warnings: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The uploaded file while the batch is staged, so a changed CSV mapping re-reads it in a later
    # request (any worker); cleared at commit and by the purge.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    preset_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_presets.id", ondelete="SET NULL"))
    # The built-in preset used (`firefly`, `actual`, `ihatemoney`, `expense_manager`), if any.
    builtin_preset: Mapped[str | None] = mapped_column(sa.String(30))
    status: Mapped[str] = mapped_column(sa.String(10), default="staged")
    row_count: Mapped[int] = mapped_column(default=0)
    # {status: number of rows}, kept in step with the rows by the service.
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    default_category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="SET NULL"))
    committed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_count: Mapped[int] = mapped_column(default=0)
    undone_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.format} {self.status}>"


class ImportRow(Base):
    __tablename__ = "import_rows"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('new', 'duplicate', 'possible_duplicate', 'money_in', 'error')", name="status_known"
        ),
        sa.Index("ix_import_rows_batch_id_position", "batch_id", "position"),
        sa.Index("ix_import_rows_batch_id_status", "batch_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batches.id", ondelete="CASCADE"))
    # The order in the file (0-based) and the line or record number shown in messages.
    position: Mapped[int] = mapped_column()
    line: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20))
    # Whether the commit creates an expense from this row (only `new` and `possible_duplicate`
    # rows can be included; a possible duplicate starts excluded).
    include: Mapped[bool] = mapped_column(default=False)
    date: Mapped[dt.date | None] = mapped_column(sa.Date)
    # Always positive: what was spent (or, for `money_in`, received).
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    notes: Mapped[str] = mapped_column(sa.String(2000), default="")
    payment_method: Mapped[str | None] = mapped_column(sa.String(20))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="SET NULL"))
    # Who chose the category: `rule`, `history` (learned), `file` (a category column), `default`
    # (the batch's default), `user` (edited in the preview); null when none is chosen yet.
    category_source: Mapped[str | None] = mapped_column(sa.String(10))
    # A category named by the file that the user does not have yet; created at commit.
    new_category_name: Mapped[str | None] = mapped_column(sa.String(100))
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Not yet booked by the bank when the statement was made (still importable, marked).
    pending: Mapped[bool] = mapped_column(default=False)
    rule_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    # The dedupe keys the expense will carry (see models/expenses.py).
    source: Mapped[str] = mapped_column(sa.String(100))
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    occurrence: Mapped[int] = mapped_column(default=1)
    # The record as read from the file (column -> text), shown in the preview.
    raw: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    # Why a row is an error, a duplicate or excluded by a rule, in words.
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    # The existing expense a duplicate or possible duplicate resembles.
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("expenses.id", ondelete="SET NULL"), index=True)
    # The expense the commit created from this row (what undo removes).
    expense_id: Mapped[int | None] = mapped_column(sa.ForeignKey("expenses.id", ondelete="SET NULL"), index=True)

    def __repr__(self) -> str:
        return f"<ImportRow {self.id} batch={self.batch_id} {self.status}>"
