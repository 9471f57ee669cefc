"""Import pages: upload a statement (`/import`), confirm how a CSV is read (the mapping step with a
live preview of its first rows), check every staged row (status tabs, per-row and bulk edits, the
default category), import them, undo an import, and the history (`/imports`).

Every view calls the imports service; nothing here reads a file, decides a row's status or writes a
row. Every change is a POST (CSRF checked) followed by a redirect, and works without JavaScript:
the scripts (`import-upload.js`, `import-mapping.js`, `import-preview.js`) only add drag and drop,
the live preview and saving a row without reloading the page.

The upload is the only route that accepts more than the global request limit: it raises
`request.max_content_length` to IMPORT_MAX_BYTES for itself, and is exempt from CSRFProtect's
before-request hook (which would read the body under the global limit first, answering a bare
413); it runs the same check (`csrf.protect()`, 400 on a bad token) once the limit is raised.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectChoice

from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import csrf
from expense_app.services import categories, import_presets, imports
from expense_app.web.forms import submit
from expense_app.web.forms.choices import category_choices
from expense_app.web.forms.imports import (
    DATE_FORMAT_LABELS,
    ROLE_FIELDS,
    STATUS_CHOICES,
    DateOrderForm,
    ImportBulkForm,
    ImportCommitForm,
    ImportDefaultsForm,
    ImportRowForm,
    ImportUndoForm,
    MappingForm,
    UploadForm,
    id_or_text,
)

bp = Blueprint("imports", __name__)

ROWS_PER_PAGE = 50
HISTORY_PER_PAGE = 20
# Room for the multipart envelope and the other fields around a file of the maximum size: the
# service judges the file's own size exactly.
UPLOAD_OVERHEAD = 64 * 1024
STATUS_TONES = {
    "new": "success",
    "possible_duplicate": "warning",
    "duplicate": "secondary",
    "money_in": "info",
    "error": "danger",
}
ROW_STATUS_LABELS = {
    "new": "New",
    "possible_duplicate": "Possible duplicate",
    "duplicate": "Duplicate",
    "money_in": "Money in — not imported",
    "error": "Error",
}
INCLUDABLE = frozenset({"new", "possible_duplicate"})
# Query parameters that mean "preview the mapping with these settings" on the batch page.
MAPPING_KEYS = frozenset({"encoding", "delimiter", "date_format", "decimal", "skip_rows", *ROLE_FIELDS.values()})


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def size_limit() -> str:
    """IMPORT_MAX_BYTES in words: `10 MB` (KB under one MB)."""
    limit = current_app.config["IMPORT_MAX_BYTES"]
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:g} KB"


def too_large_message() -> str:
    return f"This file is larger than {size_limit()}. Split it into smaller files (e.g. one per year) and import each."


def result_message(batch: imports.BatchView) -> str:
    """ "Imported 14 expenses, 2 money-in rows not imported, 1 duplicate skipped.", from the counts."""
    counts = batch.counts
    parts = [f"Imported {_plural(batch.created_count, 'expense')}"]
    if counts.get("money_in"):
        parts.append(f"{_plural(counts['money_in'], 'money-in row')} not imported")
    if counts.get("duplicate"):
        parts.append(f"{_plural(counts['duplicate'], 'duplicate')} skipped")
    if counts.get("error"):
        parts.append(f"{_plural(counts['error'], 'row')} with errors skipped")
    left_out = counts.get("new", 0) + counts.get("possible_duplicate", 0) - batch.created_count
    if left_out > 0:
        parts.append(f"{_plural(left_out, 'row')} you left out")
    return ", ".join(parts) + "."


def _category_options():
    return categories.category_options(user=current_user)


def _with_none(choices, label: str = "— none —"):
    return [SelectChoice("", label), *choices]


# --- upload ------------------------------------------------------------------------------------------


def _upload_page(form: UploadForm, status: int):
    presets = import_presets.list_presets(user=current_user)
    own = [SelectChoice(f"user:{preset.id}", preset.name) for preset in presets if not preset.builtin]
    builtin = [SelectChoice(f"builtin:{preset.key}", preset.name) for preset in presets if preset.builtin]
    choices: dict = {"": [SelectChoice("", "Detect from the file")]}
    if own:
        choices["Your presets"] = own
    if builtin:
        choices["Other apps' exports"] = builtin
    form.preset.choices = choices
    form.default_category_id.choices = _with_none(category_choices(_category_options()))
    return render_template("imports/upload.html", form=form, size_limit=size_limit()), status


@bp.route("/import", methods=["GET", "POST"])
@login_required
@csrf.exempt
def upload():
    # Before anything reads the body: this route alone takes files up to IMPORT_MAX_BYTES.
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + UPLOAD_OVERHEAD
    try:
        if request.method == "POST" and current_app.config.get("WTF_CSRF_ENABLED", True):
            # CSRFProtect's own check, run here, under this route's limit (a bad token is a 400).
            csrf.protect()
        form = UploadForm()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.file.errors = [too_large_message()]
        return _upload_page(form, 413)
    if form.is_submitted() and form.validate() and not form.file.data:
        form.file.errors = ["Choose a file to import."]
        return _upload_page(form, 422)

    def action():
        upload = form.file.data
        return imports.create_batch(
            user=current_user,
            data=upload.read(),
            filename=upload.filename or "",
            default_category_id=(form.default_category_id.data or "").strip() or None,
            **form.preset_arguments(),
        )

    done = submit(
        form,
        action,
        message=lambda batch: (
            f"Read {_plural(batch.row_count, 'row')} from {batch.filename or 'the file'}. Check them, then import."
        ),
        next_url=lambda batch: url_for("imports.show", batch_id=batch.id),
        category="info",
    )
    return done.response or _upload_page(form, done.status)


# --- the batch page: mapping step, preview table, result ----------------------------------------------


def _place_mapping_errors(form: MappingForm, error: ValidationFailed) -> None:
    """`delimiter`, `columns.amount`, `settings.date_format`... onto the matching select."""
    for key, messages in error.errors.items():
        name = key.removeprefix("settings.")
        if name.startswith("columns."):
            name = ROLE_FIELDS.get(name.removeprefix("columns."), "")
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors") and name in form._fields:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def _mapping(batch: imports.BatchView, form: MappingForm | None = None):
    """The mapping form and the live preview of the batch's first rows. Without `form`, the
    settings are the batch's, or the ones being tried in the query string (the "Update preview"
    button and import-mapping.js send them). A refused setting is shown on its field and the
    preview falls back to the batch's settings, so the selects still list the file's columns."""
    if form is None:
        from_args = any(key in request.args for key in MAPPING_KEYS)
        form = MappingForm(formdata=request.args if from_args else None, meta={"csrf": False})
        if not from_args:
            form.fill_from(batch.settings)
        settings = form.settings(batch.settings) if from_args else batch.settings
    else:
        settings = form.settings(batch.settings)
    try:
        preview = imports.read_preview(user=current_user, batch_id=batch.id, settings=settings)
    except ValidationFailed as error:
        _place_mapping_errors(form, error)
        preview = imports.read_preview(user=current_user, batch_id=batch.id, settings=batch.settings)
    form.set_choices(preview.columns, settings, batch.questions)
    return form, preview


def _rows(batch_id: int):
    """The page of rows the tab and page in the query string ask for; a bad tab or page is said
    and the first page of all rows shown instead."""
    status = request.args.get("status", "").strip() or None
    page = request.args.get("page", "").strip() or 1
    try:
        found = imports.list_rows(
            user=current_user, batch_id=batch_id, status=status, page=page, per_page=ROWS_PER_PAGE
        )
        return found, status, []
    except ValidationFailed as error:
        refused = [message for messages in error.errors.values() for message in messages] or [error.message]
        return imports.list_rows(user=current_user, batch_id=batch_id, per_page=ROWS_PER_PAGE), None, refused


def _status_tabs(batch: imports.BatchView) -> list[dict]:
    tabs = [{"status": None, "label": "All", "count": batch.row_count}]
    tabs += [
        {"status": choice.value, "label": choice.label, "count": batch.counts.get(choice.value, 0)}
        for choice in STATUS_CHOICES
    ]
    return tabs


def _show_page(
    batch_id: int,
    status_code: int = 200,
    *,
    mapping_form: MappingForm | None = None,
    bulk_form: ImportBulkForm | None = None,
    defaults_form: ImportDefaultsForm | None = None,
    date_order: DateOrderForm | None = None,
    refusals: list[str] | None = None,
):
    """The batch page: the mapping step (a staged CSV), the rows with their statuses and edits,
    or the result of the import with its Undo button. Forms given are shown as submitted."""
    batch = imports.get_batch(user=current_user, batch_id=batch_id)
    staged = batch.status == "staged"
    mapping = preview = date_order_form = None
    if staged and batch.format == "csv":
        mapping, preview = _mapping(batch, mapping_form)
    if staged and batch.format == "qif":
        date_order_form = date_order or DateOrderForm(formdata=None, date_order=batch.settings.get("date_order", "mdy"))
    rows, status, refused = _rows(batch.id)
    options = category_choices(_category_options())
    bulk_form = bulk_form or ImportBulkForm(formdata=None, status=status or "new")
    bulk_form.category_id.choices = options
    defaults_form = defaults_form or ImportDefaultsForm(
        formdata=None, default_category_id=str(batch.default_category_id or "")
    )
    defaults_form.default_category_id.choices = _with_none(options)
    return render_template(
        "imports/show.html",
        batch=batch,
        staged=staged,
        mapping=mapping,
        preview=preview,
        date_order_form=date_order_form,
        rows=rows,
        status=status,
        last_page=max(1, -(-rows.total // rows.per_page)),
        tabs=_status_tabs(batch),
        category_options=options,
        bulk_form=bulk_form,
        defaults_form=defaults_form,
        commit_form=ImportCommitForm(formdata=None),
        undo_form=ImportUndoForm(formdata=None),
        refusals=[*refused, *(refusals or [])],
        labels=ROW_STATUS_LABELS,
        tones=STATUS_TONES,
        includable=INCLUDABLE,
        date_format_labels=DATE_FORMAT_LABELS,
        result=None if staged else result_message(batch),
    ), status_code


@bp.get("/import/<int:batch_id>")
@login_required
def show(batch_id: int):
    return _show_page(batch_id)


@bp.get("/import/<int:batch_id>/mapping-preview")
@login_required
def mapping_preview(batch_id: int):
    """The live preview's partial (import-mapping.js asks for it as the selects change)."""
    batch = imports.get_batch(user=current_user, batch_id=batch_id)
    form, preview = _mapping(batch)
    return render_template("imports/_mapping_preview.html", preview=preview, mapping=form, batch=batch)


def _back_to_batch(batch_id: int, anchor: str | None = None) -> str:
    """The batch page on the tab and page the form was posted from (kept in the action's query)."""
    keep = {key: request.args[key] for key in ("status", "page") if request.args.get(key)}
    return url_for("imports.show", batch_id=batch_id, _anchor=anchor, **keep)


def _refusals(form) -> list[str]:
    return [message for field in form for message in field.errors] + list(form.form_errors)


@bp.post("/import/<int:batch_id>/mapping")
@login_required
def apply_mapping(batch_id: int):
    """ "Use these settings": re-read the stored file with them and restage its rows."""
    form = MappingForm()
    if form.is_submitted() and form.preview.data:
        # "Update preview" without JavaScript: the page with these settings tried, nothing stored.
        return _show_page(batch_id, 200 if form.validate() else 422, mapping_form=form)
    batch = imports.get_batch(user=current_user, batch_id=batch_id)

    def action():
        try:
            return imports.update_batch(user=current_user, batch_id=batch_id, settings=form.settings(batch.settings))
        except ValidationFailed as error:
            _place_mapping_errors(form, error)
            # An empty error set: `submit` keeps the messages already placed on the fields.
            raise ValidationFailed({}, error.message) from error

    done = submit(
        form,
        action,
        message=lambda updated: f"File read again with these settings: {_plural(updated.row_count, 'row')}.",
        next_url=url_for("imports.show", batch_id=batch_id, _anchor="rows-heading"),
        category="info",
    )
    return done.response or _show_page(batch_id, done.status, mapping_form=form)


@bp.post("/import/<int:batch_id>/preset")
@login_required
def save_preset(batch_id: int):
    """ "Save as preset": the mapping form's settings under a name, for the next file like this."""
    batch = imports.get_batch(user=current_user, batch_id=batch_id)
    form = MappingForm()
    if form.is_submitted() and not (form.preset_name.data or "").strip():
        form.preset_name.errors = ["Enter a name for the preset, e.g. “ING checking”."]
        return _show_page(batch_id, 422, mapping_form=form)

    def action():
        try:
            return import_presets.create_preset(
                user=current_user,
                name=form.preset_name.data or "",
                settings=form.settings(batch.settings),
                # The batch's stored file gives the header the preset is chosen for next time.
                batch_id=batch_id,
            )
        except ValidationFailed as error:
            # The service names the preset's name `name`; on this form it is `preset_name`.
            named = {("preset_name" if key == "name" else key): value for key, value in error.errors.items()}
            raise ValidationFailed(named, error.message) from error

    done = submit(
        form,
        action,
        message=lambda preset: f"Preset “{preset.name}” saved: it is offered when you upload a file.",
        next_url=url_for("imports.show", batch_id=batch_id),
    )
    return done.response or _show_page(batch_id, done.status, mapping_form=form)


@bp.post("/import/<int:batch_id>/date-order")
@login_required
def set_date_order(batch_id: int):
    """A QIF file's day/month order: the stored file is read again with it."""
    form = DateOrderForm()
    done = submit(
        form,
        lambda: imports.update_batch(
            user=current_user, batch_id=batch_id, settings={"date_order": (form.date_order.data or "").strip()}
        ),
        message=lambda updated: f"Dates read again: {_plural(updated.row_count, 'row')}.",
        next_url=url_for("imports.show", batch_id=batch_id, _anchor="rows-heading"),
        category="info",
    )
    if done.response:
        return done.response
    # The service names the whole settings object; on this form it is the one choice.
    form.date_order.errors = [*form.date_order.errors, *form.form_errors]
    form.form_errors.clear()
    return _show_page(batch_id, done.status, date_order=form)


# --- rows --------------------------------------------------------------------------------------------


def _is_fetch() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@bp.post("/import/<int:batch_id>/rows")
@login_required
def update_row(batch_id: int):
    """One row's include box, category and tags. import-preview.js posts it as the row changes
    and gets JSON back (the new count to import); without it the row's Save button posts it."""
    form = ImportRowForm()
    includable = request.form.get("includable") == "1"
    row_id = form.row_id.data or ""
    if not form.validate_on_submit():
        if _is_fetch():
            return jsonify({"errors": form.errors}), 422
        return _show_page(batch_id, 422, refusals=_refusals(form))
    try:
        imports.update_rows(
            user=current_user, batch_id=batch_id, row_ids=[id_or_text(row_id) or row_id], **form.changes(includable)
        )
    except (ValidationFailed, Conflict) as error:
        messages = [message for messages in error.errors.values() for message in messages] or [error.message]
        if _is_fetch():
            return jsonify({"errors": {"row": messages}}), 409 if isinstance(error, Conflict) else 422
        return _show_page(batch_id, 409 if isinstance(error, Conflict) else 422, refusals=messages)
    if _is_fetch():
        batch = imports.get_batch(user=current_user, batch_id=batch_id)
        return jsonify({"included_count": batch.included_count, "saved": True})
    flash("Row saved.", "info")
    return redirect(_back_to_batch(batch_id, f"row-{row_id}"))


@bp.post("/import/<int:batch_id>/bulk")
@login_required
def bulk(batch_id: int):
    """A change to the ticked rows or to every row of a status."""
    form = ImportBulkForm()
    form.category_id.choices = category_choices(_category_options())
    done = submit(
        form,
        lambda: imports.update_rows(user=current_user, batch_id=batch_id, **form.selection(), **form.changes()),
        message=lambda count: f"{_plural(count, 'row')} changed.",
        next_url=_back_to_batch(batch_id, "rows-heading"),
        category="info",
    )
    return done.response or _show_page(batch_id, done.status, bulk_form=form, refusals=_refusals(form))


@bp.post("/import/<int:batch_id>/defaults")
@login_required
def set_defaults(batch_id: int):
    """The default category, given to every row nothing else proposed one for."""
    form = ImportDefaultsForm()
    form.default_category_id.choices = _with_none(category_choices(_category_options()))
    done = submit(
        form,
        lambda: imports.update_batch(
            user=current_user,
            batch_id=batch_id,
            default_category_id=(form.default_category_id.data or "").strip() or None,
        ),
        message=lambda batch: (
            f"Default category: {batch.default_category_name}."
            if batch.default_category_name
            else "No default category."
        ),
        next_url=_back_to_batch(batch_id, "rows-heading"),
        category="info",
    )
    return done.response or _show_page(batch_id, done.status, defaults_form=form)


# --- commit and undo ---------------------------------------------------------------------------------


@bp.post("/import/<int:batch_id>/commit")
@login_required
def commit(batch_id: int):
    form = ImportCommitForm()
    done = submit(
        form,
        lambda: imports.commit_batch(user=current_user, batch_id=batch_id),
        message="Import done. You can undo it below if it is not what you expected.",
        next_url=url_for("imports.show", batch_id=batch_id),
    )
    return done.response or _show_page(batch_id, done.status, refusals=_refusals(form))


def _undo_page(batch_id: int, form: ImportUndoForm, status: int):
    batch = imports.get_batch(user=current_user, batch_id=batch_id)
    edited = imports.edited_expenses(user=current_user, batch_id=batch_id) if batch.status == "committed" else []
    return render_template("imports/undo.html", batch=batch, form=form, edited=edited), status


@bp.route("/import/<int:batch_id>/undo", methods=["GET", "POST"])
@login_required
def undo(batch_id: int):
    """Undo a committed import. When expenses it created were edited since, they are listed and
    the user says whether to keep them (the service refuses to guess)."""
    form = ImportUndoForm()
    done = submit(
        form,
        lambda: imports.undo_batch(user=current_user, batch_id=batch_id, edited=form.edited_choice()),
        message=_undone_message,
        next_url=url_for("imports.show", batch_id=batch_id),
        category="info",
    )
    return done.response or _undo_page(batch_id, form, done.status)


def _undone_message(result: imports.UndoResult) -> str:
    text = f"Import undone: {_plural(result.deleted_count, 'expense')} deleted."
    if result.kept_count:
        text += f" {_plural(result.kept_count, 'edited expense')} kept."
    return text + " You can import the file again."


# --- history -----------------------------------------------------------------------------------------


@bp.get("/imports")
@login_required
def history():
    page = request.args.get("page", "").strip() or 1
    refused = []
    try:
        found = imports.list_batches(user=current_user, page=page, per_page=HISTORY_PER_PAGE)
    except ValidationFailed as error:
        refused = [message for messages in error.errors.values() for message in messages] or [error.message]
        found = imports.list_batches(user=current_user, per_page=HISTORY_PER_PAGE)
    return render_template(
        "imports/history.html",
        batches=found,
        last_page=max(1, -(-found.total // found.per_page)),
        undo_form=ImportUndoForm(formdata=None),
        refusals=refused,
    )
