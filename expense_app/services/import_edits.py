"""Edits of a staged import's rows in the preview: listing them and changing many at once.

`update_rows` changes the rows named by id, or every row of a status, with one UPDATE per
kind of change (an executemany when tags are added row by row); money in, unreadable and
already-imported rows cannot be included.
"""

from __future__ import annotations

import json

import sqlalchemy as sa

from expense_app.errors import NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import ROW_STATUSES, Category, ImportRow, User
from expense_app.services import import_dedupe
from expense_app.services.expenses import clean_category_id
from expense_app.services.import_views import NOT_STAGED, RowPage, load_batch, row_view
from expense_app.services.rules import Errors, add_error, clean_int, is_blank, is_storable_id, parse_id, raise_if
from expense_app.services.tags import MAX_TAGS, clean_tag_names
from expense_app.services.unit_of_work import transaction

ROW_NOT_FOUND = "Import row not found."
NOT_INCLUDABLE = ("money_in", "error", "duplicate")
MAX_PER_PAGE = 200
# Rows named by id in one edit (a page or a selection); a whole status is named by the status.
MAX_ROW_IDS = 1000


def _clean_status(errors: Errors, status) -> str | None:
    if status is None or status == "":
        return None
    if status not in ROW_STATUSES:
        add_error(errors, "status", "Must be one of: " + ", ".join(ROW_STATUSES) + ".")
        return None
    return status


def list_rows(*, user: User, batch_id, status: str | None = None, page=1, per_page=50) -> RowPage:
    """One page of the batch's rows in file order, optionally of one status."""
    errors: Errors = {}
    status = _clean_status(errors, status)
    page = clean_int(errors, "page", page, low=1, high=1_000_000)
    per_page = clean_int(errors, "per_page", per_page, low=1, high=MAX_PER_PAGE)
    raise_if(errors)
    batch = load_batch(user, batch_id)
    conditions = [ImportRow.batch_id == batch.id]
    if status is not None:
        conditions.append(ImportRow.status == status)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(ImportRow).where(*conditions))
    found = db.session.execute(
        sa.select(ImportRow, Category.name)
        .outerjoin(Category, sa.and_(Category.id == ImportRow.category_id, Category.user_id == user.id))
        .where(*conditions)
        .order_by(ImportRow.position)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    briefs = import_dedupe.briefs(user.id, {row.duplicate_of_id for row, _ in found if row.duplicate_of_id})
    items = [row_view(row, name, briefs.get(row.duplicate_of_id)) for row, name in found]
    counts = {status: int((batch.counts or {}).get(status, 0)) for status in ROW_STATUSES}
    return RowPage(items, total, page, per_page, counts)


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
    """Edit rows of a staged batch: the rows `row_ids`, or every row of `status` (both: the
    given rows of that status). Returns how many rows changed. money_in, error and duplicate rows
    cannot be included; a category must be the user's; `tags` replace, `add_tags` add."""
    errors: Errors = {}
    status = _clean_status(errors, status)
    ids: list[int] = []
    if row_ids is not None:
        if isinstance(row_ids, str | bytes) or not all(is_storable_id(value) for value in row_ids):
            add_error(errors, "row_ids", "Must be a list of row ids.")
        elif len(row_ids) > MAX_ROW_IDS:
            add_error(errors, "row_ids", f"At most {MAX_ROW_IDS:,} rows by id; choose a status to change more.")
        else:
            ids = sorted({parse_id(value) for value in row_ids})
    if row_ids is None and status is None:
        add_error(errors, "row_ids", "Choose the rows to change (their ids, or a status).")
    if include is not None and not isinstance(include, bool):
        add_error(errors, "include", "Must be true or false.")
    category = None if is_blank(category_id) else clean_category_id(errors, "category_id", user, category_id)
    new_tags = clean_tag_names(errors, "tags", tags) if tags is not None else None
    more_tags = clean_tag_names(errors, "add_tags", add_tags) if add_tags is not None else []
    raise_if(errors)
    with transaction() as session:
        batch = load_batch(user, batch_id, for_update=True)
        if batch.status != "staged":
            raise ValidationFailed({"batch": [NOT_STAGED]})
        conditions = [ImportRow.batch_id == batch.id]
        if status is not None:
            conditions.append(ImportRow.status == status)
        if row_ids is not None:
            if not ids:
                return 0
            conditions.append(ImportRow.id.in_(ids))
        rows = list(session.execute(sa.select(ImportRow.id, ImportRow.status, ImportRow.tags).where(*conditions)))
        if row_ids is not None and len(rows) != len(ids):
            raise NotFound(ROW_NOT_FOUND)
        if include:
            refused = sum(row.status in NOT_INCLUDABLE for row in rows)
            if refused:
                raise ValidationFailed(
                    {
                        "include": [
                            f"{refused} of these rows cannot be imported (money in, unreadable or already imported)."
                        ]
                    }
                )
        values: dict = {}
        if include is not None:
            values["include"] = include
        if category is not None:
            values.update(category_id=category, category_source="user", new_category_name=None)
        if new_tags is not None:
            values["tags"] = new_tags
        if not values and not more_tags:
            return 0
        # One UPDATE per distinct result (rows given the same tags share it), in bounded IN lists:
        # a whole status of 10,000 rows is a few statements, not one per row.
        groups: dict[str, tuple[dict, list[int]]] = {}
        for row in rows:
            changed = dict(values)
            if more_tags:
                base = values.get("tags", list(row.tags or []))
                changed["tags"] = [*base, *(name for name in more_tags if name not in base)]
                if len(changed["tags"]) > MAX_TAGS:
                    raise ValidationFailed({"add_tags": [f"Row {row.id} would have more than {MAX_TAGS} tags."]})
            key = json.dumps(changed, sort_keys=True, default=str)
            groups.setdefault(key, (changed, []))[1].append(row.id)
        for changed, ids_ in groups.values():
            for part in import_dedupe.chunks(ids_):
                session.execute(
                    sa.update(ImportRow)
                    .where(ImportRow.batch_id == batch.id, ImportRow.id.in_(part))
                    .values(changed)
                    .execution_options(synchronize_session=False)
                )
        return len(rows)
