"""Statement imports: stage an uploaded file's rows, dedupe them, propose categories, commit, undo.

The public face of the import use cases (issue 15); views and the CLI call only these functions.
A file becomes a staged `ImportBatch` whose rows (`ImportRow`) are stored, so the preview, its
edits and the commit can be separate requests. Nothing becomes an expense before `commit_batch`.

The work is in `import_staging` (reading, dedupe keys, statuses, proposals), `import_dedupe`
(certain and possible duplicates) and `import_commit` (commit, undo, purge); this module loads
the user's batch (another user's is NotFound), runs them in one transaction each and builds the
views. The batch's `settings` column holds {"read": the reader's settings, "questions": [...],
"source": the source the user gave or None}.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from expense_app.errors import NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import (
    PAYMENT_METHODS,
    ROW_STATUSES,
    Category,
    Expense,
    ImportBatch,
    ImportPreset,
    ImportRow,
    User,
)
from expense_app.services import import_commit, import_dedupe, import_presets, import_staging
from expense_app.services.expenses import clean_category_id
from expense_app.services.rules import (
    Errors,
    add_error,
    clean_int,
    clean_text,
    is_blank,
    is_storable_id,
    parse_id,
    raise_if,
)
from expense_app.services.tags import clean_tag_names
from expense_app.services.unit_of_work import transaction


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


BATCH_NOT_FOUND = "Import not found."
ROW_NOT_FOUND = "Import row not found."
NOT_STAGED = "This import was already committed."
NOT_INCLUDABLE = ("money_in", "error", "duplicate")
MAX_PER_PAGE = 200
PREVIEW_ROWS = 20


# --- views ---------------------------------------------------------------------------------------


def _stored(batch: ImportBatch) -> dict:
    stored = batch.settings if isinstance(batch.settings, dict) else {}
    return {
        "read": stored.get("read") or {},
        "questions": stored.get("questions") or [],
        "source": stored.get("source"),
    }


def _view(batch: ImportBatch) -> BatchView:
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
    stored = _stored(batch)
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


def _load(user: User, batch_id, *, for_update: bool = False) -> ImportBatch:
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


def _default_category(errors: Errors, user: User, value) -> int | None:
    if is_blank(value):
        return None
    return clean_category_id(errors, "default_category_id", user, value)


# --- staging -------------------------------------------------------------------------------------


def _questions(parsed) -> list[dict]:
    return [{"setting": q.setting, "message": q.message, "options": list(q.options)} for q in parsed.questions]


def _choose_and_read(*, user: User, data: bytes, filename: str, settings, preset_id, builtin_preset):
    """(parsed file, preset or None, built-in key or None): the given preset or built-in, else a
    preset of the user whose header matches, else a built-in the file's header shows."""
    from expense_app.statements import app_exports

    import_staging.check_size(data)
    if settings is not None and not isinstance(settings, dict):
        raise ValidationFailed({"settings": ["Must be an object of CSV settings."]})
    preset = builtin = None
    if not is_blank(preset_id):
        preset = import_presets.owned_preset(user=user, preset_id=preset_id)
        settings = settings if settings is not None else preset.settings
    elif not is_blank(builtin_preset):
        if builtin_preset not in app_exports.BUILTIN_PRESETS:
            raise ValidationFailed(
                {"builtin_preset": ["Must be one of: " + ", ".join(app_exports.BUILTIN_PRESETS) + "."]}
            )
        builtin = builtin_preset
        settings = settings if settings is not None else app_exports.BUILTIN_PRESETS[builtin]["settings"]
    parsed = import_staging.read_file(data, filename=filename, settings=settings)
    if preset is None and builtin is None and settings is None and parsed.format == "csv":
        preset = import_presets.match_preset(user=user, data=data)
        if preset is not None:
            parsed = import_staging.read_file(data, filename=filename, settings=preset.settings)
        elif parsed.builtin_preset is None and parsed.rows:
            key = app_exports.detect_builtin(list(parsed.rows[0].raw))
            if key is not None:
                builtin = key
                parsed = import_staging.read_file(
                    data, filename=filename, settings=app_exports.BUILTIN_PRESETS[key]["settings"]
                )
    return parsed, preset, builtin or parsed.builtin_preset


def _stage(session, *, user: User, batch: ImportBatch, parsed, data: bytes, given_source: str | None) -> None:
    """(Re)stage every row of `parsed` into `batch`, replacing its rows."""
    preset_name = (
        session.scalar(sa.select(ImportPreset.name).where(ImportPreset.id == batch.preset_id))
        if batch.preset_id
        else None
    )
    fallback = import_staging.fallback_source(parsed, data=data, preset_name=preset_name, builtin=batch.builtin_preset)
    rows, warnings = import_staging.build_rows(
        user=user, parsed=parsed, source=given_source, fallback=fallback, default_category_id=batch.default_category_id
    )
    session.execute(sa.delete(ImportRow).where(ImportRow.batch_id == batch.id))
    import_staging.insert_rows(session, batch.id, rows)
    sources = {row["source"] for row in rows}
    batch.format = parsed.format
    batch.source = given_source or (sources.pop() if len(sources) == 1 else fallback)
    batch.settings = {"read": dict(parsed.settings or {}), "questions": _questions(parsed), "source": given_source}
    batch.warnings = [*parsed.warnings, *warnings]
    batch.row_count = len(rows)
    batch.counts = import_staging.counts_of(rows)


def _clean_given_source(errors: Errors, source) -> str | None:
    if source is None:
        return None
    text = clean_text(errors, "source", source, max_length=import_staging.SOURCE_MAX_LENGTH)
    return text or None


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
    """Read `data`, stage every row with its status and proposals, and return the staged batch.

    Bad file -> ValidationFailed on `file` (nothing stored); a foreign preset -> NotFound."""
    errors: Errors = {}
    given_source = _clean_given_source(errors, source)
    filename = import_staging.file_text(filename, 255)
    default_id = _default_category(errors, user, default_category_id)
    raise_if(errors)
    parsed, preset, builtin = _choose_and_read(
        user=user, data=data, filename=filename, settings=settings, preset_id=preset_id, builtin_preset=builtin_preset
    )
    with transaction() as session:
        batch = ImportBatch(
            user_id=user.id,
            filename=filename,
            format=parsed.format,
            source="",
            content=bytes(data),
            preset_id=preset.id if preset is not None else None,
            builtin_preset=builtin,
            status="staged",
            default_category_id=default_id,
        )
        session.add(batch)
        session.flush()
        _stage(session, user=user, batch=batch, parsed=parsed, data=data, given_source=given_source)
    return get_batch(user=user, batch_id=batch.id)


def get_batch(*, user: User, batch_id) -> BatchView:
    return _view(_load(user, batch_id))


def list_batches(*, user: User, page=1, per_page=20) -> BatchPage:
    """The user's imports, newest first."""
    errors: Errors = {}
    page = clean_int(errors, "page", page, low=1, high=1_000_000)
    per_page = clean_int(errors, "per_page", per_page, low=1, high=100)
    raise_if(errors)
    total = db.session.scalar(sa.select(sa.func.count()).where(ImportBatch.user_id == user.id))
    batches = db.session.scalars(
        sa.select(ImportBatch)
        .where(ImportBatch.user_id == user.id)
        .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return BatchPage([_view(batch) for batch in batches], total, page, per_page)


def _content(batch: ImportBatch) -> bytes:
    data = db.session.scalar(sa.select(ImportBatch.content).where(ImportBatch.id == batch.id))
    if not data:
        raise ValidationFailed({"settings": ["The file of this import is no longer stored; upload it again."]})
    return data


def _checked_settings(settings) -> dict:
    from expense_app.statements.csv_settings import CsvSettings

    if not isinstance(settings, dict):
        raise ValidationFailed({"settings": ["Must be an object of CSV settings."]})
    try:
        return CsvSettings.from_dict(settings).as_dict()
    except (ValueError, TypeError) as error:
        raise ValidationFailed({"settings": [str(error) or "Invalid CSV settings."]}) from None


def read_preview(*, user: User, batch_id, settings: dict) -> ReadPreview:
    """The first PREVIEW_ROWS rows of the staged file read with `settings`; nothing is stored."""
    batch = _load(user, batch_id)
    if batch.status != "staged":
        raise ValidationFailed({"settings": [NOT_STAGED]})
    checked = _checked_settings(settings)
    try:
        parsed = import_staging.read_file(_content(batch), filename=batch.filename, settings=checked)
    except ValidationFailed as error:
        return ReadPreview(columns=[], rows=[], errors=error.errors.get("file", [error.message]), settings=checked)
    shown = parsed.rows[:PREVIEW_ROWS]
    rows = []
    for row in shown:
        status, message, values = import_staging._read_status(row, row.currency or parsed.currency or user.currency)
        rows.append(
            {
                "line": row.line,
                "status": status,
                "date": values.get("date", row.date),
                "amount": values.get("amount"),
                "currency": values.get("currency") or row.currency or parsed.currency,
                "description": import_staging.file_text(row.description, import_staging.DESCRIPTION_MAX_LENGTH),
                "notes": import_staging.file_text(row.notes, import_staging.NOTES_MAX_LENGTH, multiline=True),
                "payment_method": row.payment_method if row.payment_method in PAYMENT_METHODS else None,
                "external_id": row.external_id,
                "tags": import_staging.clean_tags(row.tags),
                "raw": dict(row.raw or {}),
                "pending": bool(row.pending),
                "message": message,
            }
        )
    errors = [f"Line {row.line}: {row.error}" for row in parsed.rows if row.error][:PREVIEW_ROWS]
    return ReadPreview(
        columns=list(shown[0].raw) if shown else [],
        rows=rows,
        errors=errors,
        settings=dict(parsed.settings or checked),
        questions=_questions(parsed),
    )


def update_batch(
    *, user: User, batch_id, settings: dict | None = None, default_category_id=None, source=None
) -> BatchView:
    """Change a staged batch: new `settings` or `source` re-read the stored file and restage every
    row (edits made in the preview are lost); a new default category goes to the rows whose
    category came from the default or from no one."""
    errors: Errors = {}
    given_source = _clean_given_source(errors, source)
    default_id = _default_category(errors, user, default_category_id)
    raise_if(errors)
    checked = _checked_settings(settings) if settings is not None else None
    with transaction() as session:
        batch = _load(user, batch_id, for_update=True)
        if batch.status != "staged":
            raise ValidationFailed({"batch": [NOT_STAGED]})
        if default_id is not None:
            batch.default_category_id = default_id
        if checked is not None or given_source is not None:
            data = _content(batch)
            stored = _stored(batch)
            parsed = import_staging.read_file(data, filename=batch.filename, settings=checked or stored["read"] or None)
            _stage(
                session, user=user, batch=batch, parsed=parsed, data=data, given_source=given_source or stored["source"]
            )
        elif default_id is not None:
            session.execute(
                sa.update(ImportRow)
                .where(
                    ImportRow.batch_id == batch.id,
                    ImportRow.status.in_(import_dedupe.CHECKED),
                    sa.or_(ImportRow.category_source.is_(None), ImportRow.category_source == "default"),
                )
                .values(category_id=default_id, category_source="default")
                .execution_options(synchronize_session=False)
            )
    return get_batch(user=user, batch_id=batch_id)


# --- rows ----------------------------------------------------------------------------------------


def _clean_status(errors: Errors, status) -> str | None:
    if status is None or status == "":
        return None
    if status not in ROW_STATUSES:
        add_error(errors, "status", "Must be one of: " + ", ".join(ROW_STATUSES) + ".")
        return None
    return status


def _row_view(row: ImportRow, category_name: str | None, brief) -> RowView:
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


def list_rows(*, user: User, batch_id, status: str | None = None, page=1, per_page=50) -> RowPage:
    """One page of the batch's rows in file order, optionally of one status."""
    errors: Errors = {}
    status = _clean_status(errors, status)
    page = clean_int(errors, "page", page, low=1, high=1_000_000)
    per_page = clean_int(errors, "per_page", per_page, low=1, high=MAX_PER_PAGE)
    raise_if(errors)
    batch = _load(user, batch_id)
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
    items = [_row_view(row, name, briefs.get(row.duplicate_of_id)) for row, name in found]
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
        batch = _load(user, batch_id, for_update=True)
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
        updates = []
        for row in rows:
            changed = dict(values)
            if more_tags:
                base = values.get("tags", list(row.tags or []))
                changed["tags"] = [*base, *(name for name in more_tags if name not in base)]
                if len(changed["tags"]) > 20:
                    raise ValidationFailed({"add_tags": [f"Row {row.id} would have more than 20 tags."]})
            updates.append({"row_id": row.id, **{f"new_{key}": value for key, value in changed.items()}})
        if updates:
            keys = [key.removeprefix("new_") for key in updates[0] if key != "row_id"]
            session.execute(
                sa.update(ImportRow.__table__)
                .where(ImportRow.__table__.c.id == sa.bindparam("row_id"))
                .values({key: sa.bindparam(f"new_{key}") for key in keys})
                .execution_options(synchronize_session=False),
                updates,
            )
        return len(updates)


# --- commit, undo, purge -------------------------------------------------------------------------


def commit_batch(*, user: User, batch_id) -> BatchView:
    """Create the expenses of the included rows, in one transaction (see `import_commit`).

    Conflict when the batch is not staged; ValidationFailed when included rows have no category."""
    with transaction() as session:
        batch = _load(user, batch_id, for_update=True)
        import_commit.commit(user=user, batch=batch, session=session)
        batch.counts = import_staging.counts_of(
            session.scalars(sa.select(ImportRow.status).where(ImportRow.batch_id == batch.id))
        )
    return get_batch(user=user, batch_id=batch_id)


def edited_expenses(*, user: User, batch_id) -> list[Expense]:
    """The expenses the batch created that were changed since its commit."""
    batch = _load(user, batch_id)
    if batch.committed_at is None:
        return []
    return list(db.session.scalars(import_commit.edited_query(batch)))


def undo_batch(*, user: User, batch_id, edited: str | None = None) -> UndoResult:
    """Delete the expenses a committed batch created, in one transaction; `edited` says what
    happens to those changed since (`keep` or `delete`), required when there are any."""
    with transaction() as session:
        batch = _load(user, batch_id, for_update=True)
        deleted, kept = import_commit.undo(user=user, batch=batch, edited=edited, session=session)
    return UndoResult(get_batch(user=user, batch_id=batch_id), deleted, kept)


def purge_staged(*, now: dt.datetime | None = None) -> int:
    """Delete every user's staged batches older than a day (`flask imports purge`); how many."""
    with transaction() as session:
        return import_commit.purge(session=session, now=now)
