"""Deleting expenses so that Undo can bring them back: one batch per delete request.

A delete removes the expense rows (so every total, the `expense_stats` triggers and every query
forget them at once, with no "deleted" flag to remember anywhere) and keeps, per expense, a
`DeletedExpense` record holding everything needed to put it back exactly: every column of the row
(read from the table, so a column added later is kept too), its tag ids, the recurring
occurrence it was posted for, the import row that created it (issue 15), the rule-run change records that would let a categorisation run be
undone for it (issue 14), and the names of its category and base currency for the checks
below. Expenses deleted by one request share a `batch_id`, and `restore_batch` undoes them together.

Restoring re-inserts each row as it was (amount, base amount and rate are not converted again),
under its old id when that id is free (on SQLite a newer expense may have taken it; then it
gets a new id, which the result reports), with the tags that still exist and the occurrence link
when the occurrence still exists and has no expense, and with its rule-run change records when
their run still exists. Refused, changing nothing:
- a batch that is not the user's, already restored or purged: NotFound;
- a category deleted meanwhile: Conflict naming it, unless the user has a category of that name
  again (re-created), in which case the expense is restored into it;
- a base currency changed meanwhile: Conflict (the stored base amounts are in the old one and
  would make totals wrong).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound
from expense_app.models import (
    Category,
    Expense,
    ImportBatch,
    ImportRow,
    RecurringExpense,
    RecurringOccurrence,
    Tag,
    User,
    expense_tags,
)
from expense_app.models.base import utcnow
from expense_app.models.deleted_expenses import DeletedExpense
from expense_app.models.rules import RuleRun, RuleRunChange
from expense_app.services.conversions import locked_base_currency
from expense_app.services.unit_of_work import transaction

# How long a deleted expense can be restored. Undo must outlive the page that offers it (a user
# who deletes, goes for coffee and comes back still has the button), and a week covers "I deleted
# that by mistake on Monday" without keeping deleted data around for long; older records are purged.
UNDO_WINDOW = dt.timedelta(days=7)

BATCH_NOT_FOUND = "Nothing to undo: this deletion was already undone, is not yours, or is older than 7 days."

# Bounded IN lists: SQLite refuses statements with more than 32,766 parameters.
_CHUNK = 5_000

# The columns a record keeps: all of the row except the owner (the record has its own user_id).
_KEPT_COLUMNS = [column for column in Expense.__table__.columns if column.name != "user_id"]


@dataclass(frozen=True)
class DeletionBatch:
    """What one delete request removed: its `batch_id` (for Undo) and the expense ids."""

    batch_id: str
    expense_ids: list[int]

    @property
    def count(self) -> int:
        return len(self.expense_ids)


@dataclass(frozen=True)
class RestoredBatch:
    """What Undo brought back: the ids as restored, and {old id: new id} for those whose old id was taken."""

    expense_ids: list[int]
    renumbered: dict[int, int] = field(default_factory=dict)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _to_json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _from_json(column: sa.Column, value):
    if value is None:
        return None
    if isinstance(column.type, sa.Numeric):
        return Decimal(value)
    python_type = getattr(column.type, "impl", column.type).python_type
    if python_type is dt.datetime:
        return dt.datetime.fromisoformat(value)
    if python_type is dt.date:
        return dt.date.fromisoformat(value)
    return value


def delete_expenses(*, user: User, where: Sequence) -> DeletionBatch:
    """Delete `user`'s expenses matching the `where` clauses (on `Expense`) as one batch.

    Returns the batch (possibly empty). Joins the caller's unit of work, if any; also purges the
    user's records older than UNDO_WINDOW.
    """
    with transaction() as session:
        rows = [
            dict(row._mapping)
            for row in session.execute(
                sa.select(*Expense.__table__.columns)
                .where(Expense.user_id == user.id, *where)
                .order_by(Expense.id)
                .with_for_update(of=Expense)
            )
        ]
        ids = [row["id"] for row in rows]
        batch = DeletionBatch(batch_id=str(uuid.uuid4()), expense_ids=ids)
        purge_expired(user=user)
        if not ids:
            return batch
        tag_ids: dict[int, list[int]] = {}
        occurrence_ids: dict[int, list[int]] = {}
        import_row_ids: dict[int, list[int]] = {}
        run_changes: dict[int, list[dict]] = {}
        for chunk in _chunks(ids):
            # A rule run's record of this expense goes with the row (CASCADE); kept so Undo brings it back.
            for change in session.execute(
                sa.select(
                    RuleRunChange.id,
                    RuleRunChange.expense_id,
                    RuleRunChange.run_id,
                    RuleRunChange.before,
                    RuleRunChange.after,
                ).where(RuleRunChange.expense_id.in_(chunk))
            ):
                run_changes.setdefault(change.expense_id, []).append(
                    {"id": change.id, "run_id": change.run_id, "before": change.before, "after": change.after}
                )
            for expense_id, tag_id in session.execute(
                sa.select(expense_tags.c.expense_id, expense_tags.c.tag_id).where(expense_tags.c.expense_id.in_(chunk))
            ):
                tag_ids.setdefault(expense_id, []).append(tag_id)
            for expense_id, occurrence_id in session.execute(
                sa.select(RecurringOccurrence.expense_id, RecurringOccurrence.id).where(
                    RecurringOccurrence.expense_id.in_(chunk)
                )
            ):
                occurrence_ids.setdefault(expense_id, []).append(occurrence_id)
            # The import row that created it (issue 15): the link lets the import's undo find it again.
            for expense_id, row_id in session.execute(
                sa.select(ImportRow.expense_id, ImportRow.id).where(ImportRow.expense_id.in_(chunk))
            ):
                import_row_ids.setdefault(expense_id, []).append(row_id)
        category_names = dict(
            session.execute(
                sa.select(Category.id, Category.name).where(
                    Category.user_id == user.id, Category.id.in_({row["category_id"] for row in rows})
                )
            ).all()
        )
        base_currency = locked_base_currency(user.id)
        now = utcnow()
        session.execute(
            sa.insert(DeletedExpense),
            [
                {
                    "user_id": user.id,
                    "expense_id": row["id"],
                    "batch_id": batch.batch_id,
                    "deleted_at": now,
                    "data": {
                        "expense": {column.name: _to_json(row[column.name]) for column in _KEPT_COLUMNS},
                        "tag_ids": sorted(tag_ids.get(row["id"], [])),
                        "occurrence_ids": sorted(occurrence_ids.get(row["id"], [])),
                        "import_row_ids": sorted(import_row_ids.get(row["id"], [])),
                        "rule_run_changes": run_changes.get(row["id"], []),
                        "category_name": category_names.get(row["category_id"]),
                        "base_currency": base_currency,
                    },
                }
                for row in rows
            ],
        )
        # The foreign keys drop the tag links (CASCADE) and unlink the occurrences (SET NULL), so
        # an unlinked occurrence is not posted again; the stats triggers subtract the rows.
        for chunk in _chunks(ids):
            session.execute(
                sa.delete(Expense).where(Expense.id.in_(chunk)), execution_options={"synchronize_session": False}
            )
        session.expire_all()
    return batch


def _categories_for(session, user: User, records: list[DeletedExpense]) -> dict[int, int]:
    """{stored category id: category id to restore into}; Conflict naming a category that is gone."""
    wanted = {record.data["expense"]["category_id"]: record.data.get("category_name") for record in records}
    existing = set(session.scalars(sa.select(Category.id).where(Category.user_id == user.id, Category.id.in_(wanted))))
    mapping = {category_id: category_id for category_id in existing}
    missing = {category_id: name for category_id, name in wanted.items() if category_id not in existing}
    if missing:
        recreated = dict(
            session.execute(
                sa.select(Category.name, Category.id).where(
                    Category.user_id == user.id, Category.name.in_([name for name in missing.values() if name])
                )
            ).all()
        )
        for category_id, name in missing.items():
            if name not in recreated:
                raise Conflict(
                    f'Cannot undo: the category "{name}" was deleted. Create a category named "{name}" '
                    "and undo again; the expenses will go into it."
                )
            mapping[category_id] = recreated[name]
    return mapping


def restore_batch(*, user: User, batch_id: str) -> RestoredBatch:
    """Put back every expense of `user`'s deletion `batch_id`, exactly as it was (see the module
    docstring). Returns the restored ids; raises NotFound or Conflict, changing nothing."""
    try:
        batch_id = str(uuid.UUID(str(batch_id)))
    except ValueError:
        raise NotFound(BATCH_NOT_FOUND) from None
    with transaction() as session:
        purge_expired(user=user)
        records = list(
            session.scalars(
                sa.select(DeletedExpense)
                .where(DeletedExpense.user_id == user.id, DeletedExpense.batch_id == str(batch_id))
                .order_by(DeletedExpense.expense_id)
                .with_for_update()
            )
        )
        if not records:
            raise NotFound(BATCH_NOT_FOUND)
        base_currency = locked_base_currency(user.id)
        changed = {record.data.get("base_currency") for record in records} - {base_currency}
        if changed:
            raise Conflict(
                f"Cannot undo: your base currency changed from {', '.join(sorted(changed))} to {base_currency} "
                "since these expenses were deleted, so their stored base amounts no longer fit your totals."
            )
        categories = _categories_for(session, user, records)
        old_ids = [record.expense_id for record in records]
        taken = set()
        for chunk in _chunks(old_ids):
            taken.update(session.scalars(sa.select(Expense.id).where(Expense.id.in_(chunk))))
        free_rows, renumbered = [], {}
        for record in records:
            row = {column.name: _from_json(column, record.data["expense"].get(column.name)) for column in _KEPT_COLUMNS}
            row["user_id"] = user.id
            row["category_id"] = categories[row["category_id"]]
            if record.expense_id in taken:
                del row["id"]
                renumbered[record.expense_id] = session.scalar(sa.insert(Expense.__table__).returning(Expense.id), row)
            else:
                free_rows.append(row)
        if free_rows:
            session.execute(sa.insert(Expense.__table__), free_rows)
        new_id = {old: renumbered.get(old, old) for old in old_ids}
        _restore_links(session, user, records, new_id)
        session.execute(
            sa.delete(DeletedExpense).where(DeletedExpense.id.in_([record.id for record in records])),
            execution_options={"synchronize_session": False},
        )
        session.expire_all()
    return RestoredBatch(expense_ids=[new_id[old] for old in old_ids], renumbered=renumbered)


def _restore_links(session, user: User, records: list[DeletedExpense], new_id: dict[int, int]) -> None:
    """The tags that still exist, the occurrence links whose occurrence is still free, the import
    rows that created them, and the rule-run change records whose run still exists (under their
    old id when it is free)."""
    _restore_run_changes(session, user, records, new_id)
    wanted_tags = {tag_id for record in records for tag_id in record.data.get("tag_ids", [])}
    live_tags = set()
    for chunk in _chunks(sorted(wanted_tags)):
        live_tags.update(session.scalars(sa.select(Tag.id).where(Tag.user_id == user.id, Tag.id.in_(chunk))))
    links = [
        {"expense_id": new_id[record.expense_id], "tag_id": tag_id}
        for record in records
        for tag_id in record.data.get("tag_ids", [])
        if tag_id in live_tags
    ]
    if links:
        session.execute(sa.insert(expense_tags), links)
    users_templates = sa.select(RecurringExpense.id).where(RecurringExpense.user_id == user.id)
    for record in records:
        for occurrence_id in record.data.get("occurrence_ids", []):
            session.execute(
                sa.update(RecurringOccurrence)
                .where(
                    RecurringOccurrence.id == occurrence_id,
                    RecurringOccurrence.expense_id.is_(None),
                    RecurringOccurrence.recurring_id.in_(users_templates),
                )
                .values(expense_id=new_id[record.expense_id]),
                execution_options={"synchronize_session": False},
            )
    users_batches = sa.select(ImportBatch.id).where(ImportBatch.user_id == user.id)
    for record in records:
        row_ids = record.data.get("import_row_ids", [])
        if row_ids:
            session.execute(
                sa.update(ImportRow)
                .where(ImportRow.id.in_(row_ids), ImportRow.expense_id.is_(None), ImportRow.batch_id.in_(users_batches))
                .values(expense_id=new_id[record.expense_id]),
                execution_options={"synchronize_session": False},
            )


def _restore_run_changes(session, user: User, records: list[DeletedExpense], new_id: dict[int, int]) -> None:
    kept = [(record, change) for record in records for change in record.data.get("rule_run_changes", [])]
    if not kept:
        return
    runs = {change["run_id"] for _record, change in kept}
    live_runs = set(session.scalars(sa.select(RuleRun.id).where(RuleRun.user_id == user.id, RuleRun.id.in_(runs))))
    taken = set(session.scalars(sa.select(RuleRunChange.id).where(RuleRunChange.id.in_([c["id"] for _r, c in kept]))))
    for record, change in kept:
        if change["run_id"] not in live_runs:
            continue
        row = {
            "run_id": change["run_id"],
            "expense_id": new_id[record.expense_id],
            "before": change["before"],
            "after": change["after"],
        }
        if change["id"] not in taken:  # SQLite may hand a freed id out again
            row["id"] = change["id"]
        session.execute(sa.insert(RuleRunChange), [row])


def purge_expired(*, user: User | None = None, now: dt.datetime | None = None) -> int:
    """Delete the records older than UNDO_WINDOW (of `user`, or of everyone); returns how many."""
    cutoff = (now or utcnow()) - UNDO_WINDOW
    with transaction() as session:
        query = sa.delete(DeletedExpense).where(DeletedExpense.deleted_at < cutoff)
        if user is not None:
            query = query.where(DeletedExpense.user_id == user.id)
        return session.execute(query, execution_options={"synchronize_session": False}).rowcount
