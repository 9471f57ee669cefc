"""Statement imports: stage an uploaded file's rows, dedupe them, propose categories, commit, undo.

The public face of the import use cases (issue 15); views and the CLI call only these functions.
A file becomes a staged `ImportBatch` whose rows (`ImportRow`) are stored, so the preview, its
edits and the commit can be separate requests. Nothing becomes an expense before `commit_batch`.

The work is in `import_staging` (reading, dedupe keys, statuses, proposals), `import_dedupe`
(certain and possible duplicates), `import_edits` (the preview's row edits) and `import_commit`
(commit, undo, purge); the views are in `import_views`. This module loads the user's batch
(another user's is NotFound) and runs them in one transaction each. The batch's `settings`
column holds {"read": the reader's settings, "questions": [...], "source": the source the user
gave or None}.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import (
    PAYMENT_METHODS,
    Expense,
    ImportBatch,
    ImportPreset,
    ImportRow,
    User,
)
from expense_app.services import import_commit, import_dedupe, import_presets, import_staging
from expense_app.services.expenses import clean_category_id
from expense_app.services.import_edits import list_rows, update_rows
from expense_app.services.import_views import (
    BATCH_NOT_FOUND,
    NOT_STAGED,
    BatchPage,
    BatchView,
    ExpenseBrief,
    ReadPreview,
    RowPage,
    RowView,
    UndoResult,
    batch_view,
    load_batch,
    stored_settings,
)
from expense_app.services.rules import (
    Errors,
    clean_int,
    clean_text,
    is_blank,
    raise_if,
)
from expense_app.services.unit_of_work import transaction

__all__ = [
    "BATCH_NOT_FOUND",
    "BatchPage",
    "BatchView",
    "ExpenseBrief",
    "ReadPreview",
    "RowPage",
    "RowView",
    "UndoResult",
    "commit_batch",
    "create_batch",
    "edited_expenses",
    "get_batch",
    "list_batches",
    "list_rows",
    "purge_staged",
    "read_preview",
    "undo_batch",
    "update_batch",
    "update_rows",
]

PREVIEW_ROWS = 20


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
    return batch_view(load_batch(user, batch_id))


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
    return BatchPage([batch_view(batch) for batch in batches], total, page, per_page)


def _content(batch: ImportBatch) -> bytes:
    data = db.session.scalar(sa.select(ImportBatch.content).where(ImportBatch.id == batch.id))
    if not data:
        raise ValidationFailed({"settings": ["The file of this import is no longer stored; upload it again."]})
    return data


QIF_DATE_ORDERS = ("mdy", "dmy")


def _checked_settings(settings, file_format: str = "csv") -> dict:
    """`settings` for re-reading a file: CSV settings (`CsvSettings`), or for QIF the day/month
    order; ValidationFailed on `settings` saying what is wrong."""
    from expense_app.statements.csv_settings import CsvSettings

    if not isinstance(settings, dict):
        raise ValidationFailed({"settings": ["Must be an object of CSV settings."]})
    if file_format == "qif":
        if set(settings) != {"date_order"} or settings["date_order"] not in QIF_DATE_ORDERS:
            raise ValidationFailed({"settings": ['A QIF file takes only {"date_order": "mdy" or "dmy"}.']})
        return dict(settings)
    if file_format != "csv":
        raise ValidationFailed({"settings": [f"A {file_format.upper()} file is read without settings."]})
    try:
        return CsvSettings.from_dict(settings).as_dict()
    except (ValueError, TypeError) as error:
        raise ValidationFailed({"settings": [str(error) or "Invalid CSV settings."]}) from None


def read_preview(*, user: User, batch_id, settings: dict) -> ReadPreview:
    """The first PREVIEW_ROWS rows of the staged file read with `settings`; nothing is stored."""
    batch = load_batch(user, batch_id)
    if batch.status != "staged":
        raise ValidationFailed({"settings": [NOT_STAGED]})
    checked = _checked_settings(settings, batch.format)
    try:
        parsed = import_staging.read_file(_content(batch), filename=batch.filename, settings=checked)
    except ValidationFailed as error:
        return ReadPreview(columns=[], rows=[], errors=error.errors.get("file", [error.message]), settings=checked)
    shown = parsed.rows[:PREVIEW_ROWS]
    rows = []
    for row in shown:
        status, message, values = import_staging.read_status(row, row.currency or parsed.currency or user.currency)
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
    with transaction() as session:
        batch = load_batch(user, batch_id, for_update=True)
        if batch.status != "staged":
            raise ValidationFailed({"batch": [NOT_STAGED]})
        checked = _checked_settings(settings, batch.format) if settings is not None else None
        if default_id is not None:
            batch.default_category_id = default_id
        if checked is not None or given_source is not None:
            data = _content(batch)
            stored = stored_settings(batch)
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


# --- commit, undo, purge -------------------------------------------------------------------------


def commit_batch(*, user: User, batch_id) -> BatchView:
    """Create the expenses of the included rows, in one transaction (see `import_commit`).

    Conflict when the batch is not staged; ValidationFailed when included rows have no category."""
    with transaction() as session:
        batch = load_batch(user, batch_id, for_update=True)
        import_commit.create_expenses(user=user, batch=batch, session=session)
        batch.counts = import_staging.counts_of(
            session.scalars(sa.select(ImportRow.status).where(ImportRow.batch_id == batch.id))
        )
    return get_batch(user=user, batch_id=batch_id)


def edited_expenses(*, user: User, batch_id) -> list[Expense]:
    """The expenses the batch created that were changed since its commit, by date, with their
    category and tags loaded (for the undo question's list)."""
    batch = load_batch(user, batch_id)
    if batch.committed_at is None:
        return []
    query = import_commit.edited_query(batch).options(
        joinedload(Expense.category, innerjoin=True), selectinload(Expense.tags)
    )
    return list(db.session.scalars(query))


def undo_batch(*, user: User, batch_id, edited: str | None = None) -> UndoResult:
    """Delete the expenses a committed batch created, in one transaction; `edited` says what
    happens to those changed since (`keep` or `delete`), required when there are any."""
    with transaction() as session:
        batch = load_batch(user, batch_id, for_update=True)
        deleted, kept = import_commit.undo(user=user, batch=batch, edited=edited, session=session)
    return UndoResult(get_batch(user=user, batch_id=batch_id), deleted, kept)


def purge_staged(*, now: dt.datetime | None = None) -> int:
    """Delete every user's staged batches older than a day (`flask imports purge`); how many."""
    with transaction() as session:
        return import_commit.purge(session=session, now=now)
