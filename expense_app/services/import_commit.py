"""Committing a staged import into expenses, and undoing it.

`commit` runs in one transaction with the user's row locked, so two commits of one user (two
batches holding the same rows, or one batch committed twice at once) run one after the other:
the second re-checks the certain duplicates inside its transaction, sees the first's expenses and
turns those rows into `duplicate` instead of inserting them twice (the unique indexes on the
dedupe keys would refuse that anyway; then nothing is stored). The expenses are written with one
INSERT ... RETURNING and their tag links with one more, each value checked and converted by
`expenses.clean_new_expense` as a hand-entered expense is.

`undo` hard-deletes the batch's expenses (their tag links and rule-run changes go with them by
foreign-key cascade); an expense changed since the import is deleted or kept as the user says,
and a kept one keeps its dedupe keys, so importing the file again still finds it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Category, Expense, ImportBatch, ImportRow, User, expense_tags
from expense_app.models.base import utcnow
from expense_app.services import categories, expenses, import_dedupe
from expense_app.services.conversions import locked_base_currency
from expense_app.services.rules import Errors
from expense_app.services.tags import resolve_tags

ALREADY_COMMITTED = "This import was already committed."
NOT_COMMITTED = "Only a committed import can be undone."
STAGED_MAX_AGE = dt.timedelta(days=1)
_ROW_FIELDS = (
    "id", "line", "status", "include", "date", "amount", "currency", "description", "notes", "payment_method",
    "category_id", "new_category_name", "tags", "source", "external_id", "fingerprint", "occurrence",
)  # fmt: skip


def _included(batch_id: int) -> list[dict]:
    query = (
        sa.select(*(getattr(ImportRow, name) for name in _ROW_FIELDS))
        .where(ImportRow.batch_id == batch_id, ImportRow.include.is_(True), ImportRow.status.in_(import_dedupe.CHECKED))
        .order_by(ImportRow.position)
    )
    return [dict(row._mapping) for row in db.session.execute(query)]


def _recheck(session, user: User, batch: ImportBatch, rows: list[dict]) -> list[dict]:
    """The rows still to insert: those another commit imported meanwhile become `duplicate`."""
    found = import_dedupe.certain_duplicates(user.id, rows)
    if not found:
        return rows
    named = import_dedupe.briefs(user.id, set(found.values()))
    updates = []
    for index, expense_id in found.items():
        expense = named.get(expense_id)
        text = (
            f"Already imported: the expense of {import_dedupe.describe(expense)}." if expense else "Already imported."
        )
        updates.append({"row_id": rows[index]["id"], "expense": expense_id, "text": text})
    session.execute(
        sa.update(ImportRow.__table__)
        .where(ImportRow.__table__.c.id == sa.bindparam("row_id"))
        .values(
            status="duplicate", include=False, duplicate_of_id=sa.bindparam("expense"), message=sa.bindparam("text")
        )
        .execution_options(synchronize_session=False),
        updates,
    )
    return [row for index, row in enumerate(rows) if index not in found]


def _categories_for(user: User, rows: list[dict], default_id: int | None) -> None:
    """Give every row its final category id: its own, the one the file named (created now when
    missing), else the batch's default. ValidationFailed naming how many rows have none."""
    owned = {
        row.name_key: row.id
        for row in db.session.execute(sa.select(Category.name_key, Category.id).where(Category.user_id == user.id))
    }
    created = {}
    for row in rows:
        name = row["new_category_name"]
        if row["category_id"] is None and name and name.casefold() not in owned and name.casefold() not in created:
            created[name.casefold()] = categories.create_category(user=user, name=name)
    if created:
        db.session.flush()  # inside this unit of work create_category does not flush: the ids now
        owned.update({key: summary.id for key, summary in created.items()})
    for row in rows:
        name = row["new_category_name"]
        if row["category_id"] is None and name:
            row["category_id"] = owned[name.casefold()]
    owned_ids = set(owned.values())
    missing = 0
    for row in rows:
        if row["category_id"] not in owned_ids:
            row["category_id"] = default_id if default_id in owned_ids else None
        missing += row["category_id"] is None
    if missing:
        noun = "row has" if missing == 1 else "rows have"
        raise ValidationFailed(
            {
                "category_id": [
                    f"{missing} {noun} no category: choose one for them, or a default category for the import."
                ]
            }
        )


def create_expenses(*, user: User, batch: ImportBatch, session) -> None:
    """Create the expenses of the batch's included rows (inside the caller's transaction, with
    the batch row locked); see the module docstring."""
    if batch.status != "staged":
        raise Conflict(ALREADY_COMMITTED)
    session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    base_currency = locked_base_currency(user.id)
    rows = _recheck(session, user, batch, _included(batch.id))
    _categories_for(user, rows, batch.default_category_id)
    owned = set(session.scalars(sa.select(Category.id).where(Category.user_id == user.id)))
    errors: Errors = {}
    cleaned = []
    for row in rows:
        row_errors: Errors = {}
        values, tag_names = expenses.clean_new_expense(
            row_errors,
            user=user,
            base_currency=base_currency,
            amount=row["amount"],
            date=row["date"],
            category_id=row["category_id"],
            description=row["description"],
            payment_method=row["payment_method"] or expenses.DEFAULT_PAYMENT_METHOD,
            currency=row["currency"],
            tags=row["tags"],
            notes=row["notes"],
            owned_category_ids=owned,
        )
        for field, messages in row_errors.items():
            errors[f"rows.{row['line']}.{field}"] = list(messages)
        values.update(
            user_id=user.id,
            import_source=row["source"],
            external_id=row["external_id"],
            import_fingerprint=row["fingerprint"],
            import_occurrence=row["occurrence"],
        )
        cleaned.append((values, tag_names))
    if errors:
        raise ValidationFailed(errors)
    ids: list[int] = []
    if cleaned:
        # Core, not the ORM's bulk insert (which leaves None values out, splitting rows waiting for
        # a rate from converted ones), and RETURNING without `sort_by_parameter_order`: asking for
        # the order made SQLAlchemy send one INSERT per row. Each expense is found again by its
        # dedupe keys instead, which the unique index makes unique.
        table = Expense.__table__
        inserted = session.execute(
            sa.insert(table).returning(
                table.c.id, table.c.import_source, table.c.import_fingerprint, table.c.import_occurrence
            ),
            [values for values, _ in cleaned],
        )
        by_key = {(row.import_source, row.import_fingerprint, row.import_occurrence): row.id for row in inserted}
        ids = [
            by_key[(values["import_source"], values["import_fingerprint"], values["import_occurrence"])]
            for values, _ in cleaned
        ]
        names = sorted({name for _, tag_names in cleaned for name in tag_names})
        tag_ids = {tag.name: tag.id for tag in resolve_tags(user=user, names=names)}
        links = [
            {"expense_id": expense_id, "tag_id": tag_ids[name]}
            for expense_id, (_, tag_names) in zip(ids, cleaned, strict=True)
            for name in tag_names
        ]
        if links:
            session.execute(sa.insert(expense_tags), links)
        # The rows learn their expense in one UPDATE, found by the dedupe keys they gave it.
        created = (
            sa.select(Expense.id)
            .where(
                Expense.user_id == user.id,
                Expense.import_source == ImportRow.source,
                Expense.import_fingerprint == ImportRow.fingerprint,
                Expense.import_occurrence == ImportRow.occurrence,
            )
            .scalar_subquery()
        )
        for part in import_dedupe.chunks([row["id"] for row in rows]):
            session.execute(
                sa.update(ImportRow)
                .where(ImportRow.batch_id == batch.id, ImportRow.id.in_(part))
                .values(expense_id=created)
                .execution_options(synchronize_session=False)
            )
    batch.status = "committed"
    batch.committed_at = utcnow()
    batch.created_count = len(ids)
    batch.content = None


def edited_query(batch: ImportBatch) -> sa.Select:
    """The batch's expenses changed since the commit."""
    created = sa.select(ImportRow.expense_id).where(ImportRow.batch_id == batch.id, ImportRow.expense_id.is_not(None))
    return (
        sa.select(Expense)
        .where(Expense.user_id == batch.user_id, Expense.id.in_(created), Expense.updated_at > batch.committed_at)
        .order_by(Expense.date, Expense.id)
    )


def undo(*, user: User, batch: ImportBatch, edited: str | None, session) -> tuple[int, int]:
    """Delete the batch's expenses (inside the caller's transaction); (deleted, kept)."""
    if batch.status != "committed":
        raise Conflict(NOT_COMMITTED)
    if edited is not None and edited not in ("keep", "delete"):
        raise ValidationFailed({"edited": ["Must be one of: keep, delete."]})
    changed = list(session.scalars(edited_query(batch).with_only_columns(Expense.id)))
    if changed and edited is None:
        noun = "expense was" if len(changed) == 1 else "expenses were"
        raise ValidationFailed(
            {"edited": [f"{len(changed)} {noun} changed since the import: choose to keep or to delete them."]}
        )
    kept = set(changed) if edited == "keep" else set()
    created = list(
        session.scalars(
            sa.select(ImportRow.expense_id).where(ImportRow.batch_id == batch.id, ImportRow.expense_id.is_not(None))
        )
    )
    doomed = [expense_id for expense_id in created if expense_id not in kept]
    deleted = 0
    for part in import_dedupe.chunks(doomed):
        result = session.execute(
            sa.delete(Expense)
            .where(Expense.user_id == user.id, Expense.id.in_(part))
            .execution_options(synchronize_session=False)
        )
        deleted += result.rowcount
    batch.status = "undone"
    batch.undone_at = utcnow()
    return deleted, len(kept)


def purge(*, session, now: dt.datetime | None = None) -> int:
    """Delete the staged batches older than STAGED_MAX_AGE (their rows first); how many."""
    cutoff = (now or utcnow()) - STAGED_MAX_AGE
    stale = list(
        session.scalars(
            sa.select(ImportBatch.id).where(ImportBatch.status == "staged", ImportBatch.created_at < cutoff)
        )
    )
    for part in import_dedupe.chunks(stale):
        session.execute(sa.delete(ImportRow).where(ImportRow.batch_id.in_(part)))
        session.execute(sa.delete(ImportBatch).where(ImportBatch.id.in_(part)))
    return len(stale)
