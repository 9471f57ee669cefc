"""Imports of bank statements and other apps' exports: upload, preview and edit the staged rows,
commit them as expenses, undo a batch. Nothing is an expense until the batch is committed.

The upload is the API's one multipart/form-data operation. flask-smorest documents one request
body per operation and webargs reads form fields and files from separate locations, so this
blueprint's parser has one more location, `form_and_files` (both together), documented as
multipart/form-data: the file and its options are one form, one schema (`ImportUploadSchema`).

The app refuses bodies over `MAX_CONTENT_LENGTH` (1 MiB); a statement may be `IMPORT_MAX_BYTES`.
`_allow_statement_upload` raises the limit for the upload route alone, before anything reads
the body. It is an app-wide hook (`before_app_request`) because the Idempotency-Key hook
(`api.idempotency`, installed after the blueprints) reads the body before the view runs, and
hooks run in the order they were registered. A larger body is a 413 in the API's JSON shape
saying how large a file may be.
"""

from __future__ import annotations

from flask import current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas import ApiErrorSchema
from expense_app.api.schemas.expenses import ExpenseSchema
from expense_app.api.schemas.imports import (
    UPLOAD_LOCATION,
    ImportBatchPageSchema,
    ImportBatchSchema,
    ImportListArgsSchema,
    ImportRowPageSchema,
    ImportUndoResultSchema,
    ImportUpdateSchema,
    ImportUploadSchema,
    ReadPreviewArgsSchema,
    ReadPreviewSchema,
    RowChangesSchema,
    RowListArgsSchema,
    RowsUpdateResultSchema,
    RowsUpdateSchema,
    UndoArgsSchema,
)
from expense_app.responses import error_response
from expense_app.services import imports

URL_PREFIX = "/imports"
BLUEPRINT_NAME = "Import"
UPLOAD_ENDPOINT = f"{BLUEPRINT_NAME}.ImportCollection"
# Room for the form around the file: the boundaries, part headers and the other fields.
FORM_OVERHEAD = 64 * 1024
MEBIBYTE = 1024 * 1024


class UploadParser(FlaskParser):
    """webargs' Flask parser with the `form_and_files` location: a multipart form's fields and files."""

    __location_map__ = {**FlaskParser.__location_map__, UPLOAD_LOCATION: "load_form_and_files"}

    def load_form_and_files(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)


class UploadBlueprint(Blueprint):
    """A Blueprint whose arguments may come from `form_and_files`, documented as multipart/form-data."""

    ARGUMENTS_PARSER = UploadParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        UPLOAD_LOCATION: "multipart/form-data",
    }


blp = UploadBlueprint(
    BLUEPRINT_NAME,
    __name__,
    description="Import bank statements (CSV with any columns, OFX/QFX, QIF, MT940, CAMT.053/.052) and other apps' "
    "exports (Firefly III, Actual, ihatemoney, this app's CSV). An upload is staged: every row is listed with its "
    "status (`new`, `duplicate`, `possible_duplicate`, `money_in`, `error`) and a proposed category, can be edited "
    "one by one or in bulk, and becomes an expense only at commit. Importing the same rows again creates nothing; "
    "a committed batch can be undone. Saved CSV settings are presets (`/import-presets`).",
)


def too_large_message() -> str:
    limit = current_app.config["IMPORT_MAX_BYTES"]
    size = f"{limit / MEBIBYTE:g} MB" if limit >= MEBIBYTE else f"{limit / 1024:g} KB"
    return f"This file is larger than {size}; export a shorter period or split the file, then upload each part."


@blp.before_app_request
def _allow_statement_upload():
    """Raise the body limit for the upload route only, and refuse a declared-too-large body at once."""
    if request.method != "POST" or request.endpoint != UPLOAD_ENDPOINT:
        return
    limit = current_app.config["IMPORT_MAX_BYTES"] + FORM_OVERHEAD
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(too_large_message())


@blp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    # A body sent without Content-Length (chunked) is only found too large while it is read; a
    # body within the limit is refused only for a text field over MAX_FORM_MEMORY_SIZE.
    declared = request.content_length
    if declared is not None and declared <= (request.max_content_length or declared):
        limit = request.max_form_memory_size or 0
        return error_response(413, f"A form field other than `file` is larger than {limit // 1000:,} KB.")
    return error_response(413, too_large_message())


TOO_LARGE_DOC = {
    "description": "The file is larger than `IMPORT_MAX_BYTES` (10 MB by default).",
    "example": {
        "code": 413,
        "status": "Request Entity Too Large",
        "message": "This file is larger than 10 MB; export a shorter period or split the file, then upload each part.",
    },
}
LOCATION = {"Location": {"description": "URL of the new import batch.", "schema": {"type": "string"}}}
COUNTS_EXAMPLE = {"new": 14, "duplicate": 0, "possible_duplicate": 1, "money_in": 2, "error": 1}
BATCH_EXAMPLE = {
    "id": 7,
    "filename": "umsaetze.csv",
    "format": "csv",
    "source": "DE89370400440532013000",
    "status": "staged",
    "created_at": "2026-11-26T09:30:00+00:00",
    "committed_at": None,
    "undone_at": None,
    "row_count": 18,
    "counts": COUNTS_EXAMPLE,
    "included_count": 14,
    "created_count": 0,
    "settings": {"encoding": "cp1252", "delimiter": ";", "decimal": ",", "thousands": ".", "date_format": "%d.%m.%Y"},
    "warnings": [],
    "questions": [],
    "preset_id": None,
    "preset_name": None,
    "builtin_preset": None,
    "default_category_id": 9,
    "default_category_name": "Other",
    "debit_sums": {"EUR": "1303.05"},
}
ROW_EXAMPLE = {
    "id": 101,
    "line": 4,
    "status": "possible_duplicate",
    "include": False,
    "date": "2026-03-14",
    "amount": "4.20",
    "currency": "EUR",
    "description": "BACKWERK SAGT DANKE",
    "notes": "",
    "payment_method": None,
    "category_id": 3,
    "category_name": "Food",
    "category_source": "history",
    "new_category_name": None,
    "tags": [],
    "rule_ids": [],
    "external_id": None,
    "message": "Looks like an expense you already have.",
    "raw": {"Buchungstag": "14.03.26", "Verwendungszweck": "BACKWERK SAGT DANKE", "Betrag": "-4,20"},
    "pending": False,
    "duplicate_of": {
        "id": 42,
        "date": "2026-03-13",
        "amount": "4.20",
        "currency": "EUR",
        "description": "Backwerk",
        "category_name": "Food",
    },
    "expense_id": None,
}


def _with_413(func):
    return blp.alt_response(413, schema=ApiErrorSchema, **TOO_LARGE_DOC)(func)


@blp.route("")
class ImportCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_imports")
    @protected(blp, 422)
    @blp.arguments(ImportListArgsSchema, location="query")
    @blp.response(
        200,
        ImportBatchPageSchema,
        example={"items": [BATCH_EXAMPLE], "total": 1, "page": 1, "per_page": 20, "total_pages": 1},
    )
    def get(self, args):
        """List my imports

        Every batch, newest first: staged (in preview), committed and undone ones, with their counts.
        """
        return imports.list_batches(user=token_user, page=args["page"], per_page=args["per_page"])

    @blp.doc(operationId="create_import")
    @protected(blp, 404, 422)
    @_with_413
    @blp.arguments(ImportUploadSchema, location=UPLOAD_LOCATION)
    @blp.response(201, ImportBatchSchema, headers=LOCATION, example=BATCH_EXAMPLE)
    def post(self, form):
        """Upload a statement

        Reads the file (its format is recognised from the content), stages every row with its
        status and proposed category, and answers the batch: the settings it was read with,
        questions where detection needs you to confirm (e.g. day/month order), counts per status and
        warnings. Nothing becomes an expense until `POST /imports/{batch_id}/commit`. A file that
        cannot be read (binary, zip, malformed or malicious XML, more than 100,000 transactions) is
        422 on `file` saying why, and nothing is stored; a file over 10 MB is 413.
        """
        upload = form.pop("file")
        batch = imports.create_batch(user=token_user, data=upload.read(), filename=upload.filename or "", **form)
        return batch, 201, {"Location": url_for(f"{BLUEPRINT_NAME}.ImportItem", batch_id=batch.id)}


@blp.route("/<int:batch_id>")
class ImportItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_import")
    @protected(blp, 404)
    @blp.response(200, ImportBatchSchema, example=BATCH_EXAMPLE)
    def get(self, batch_id):
        """Get an import

        Another user's batch is 404.
        """
        return imports.get_batch(user=token_user, batch_id=batch_id)

    @blp.doc(operationId="update_import")
    @protected(blp, 404, 422)
    @blp.arguments(ImportUpdateSchema, example={"settings": {"date_format": "%m/%d/%Y"}})
    @blp.response(200, ImportBatchSchema, example=BATCH_EXAMPLE)
    def patch(self, data, batch_id):
        """Change how a staged import is read

        New `settings` or a new `source` (the account, for telling re-imports apart) read the
        stored file again and stage every row anew: edits to rows are lost, so change these first.
        `default_category_id` goes to the rows whose category came from the default or from no
        one. A batch that is no longer staged is 422 on `batch`.
        """
        return imports.update_batch(user=token_user, batch_id=batch_id, **data)


@blp.route("/<int:batch_id>/read-preview")
class ImportReadPreview(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="preview_import_settings")
    @protected(blp, 404, 422)
    @blp.arguments(ReadPreviewArgsSchema, example={"settings": {"delimiter": ";", "decimal": ","}})
    @blp.response(200, ReadPreviewSchema)
    def post(self, data, batch_id):
        """Preview other CSV settings

        The first 20 rows of the staged file as these settings would read them, the columns
        found and why reading fails, if it does. Nothing is stored: `PATCH /imports/{batch_id}`
        applies settings.
        """
        return imports.read_preview(user=token_user, batch_id=batch_id, settings=data["settings"])


@blp.route("/<int:batch_id>/rows")
class ImportRows(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_import_rows")
    @protected(blp, 404, 422)
    @blp.arguments(RowListArgsSchema, location="query")
    @blp.response(
        200,
        ImportRowPageSchema,
        example={
            "items": [ROW_EXAMPLE],
            "total": 1,
            "page": 1,
            "per_page": 50,
            "total_pages": 1,
            "counts": COUNTS_EXAMPLE,
        },
    )
    def get(self, args, batch_id):
        """List an import's rows

        In file order, one page at a time, optionally of one `status`. A duplicate or possible
        duplicate comes with the existing expense it resembles (`duplicate_of`).
        """
        return imports.list_rows(user=token_user, batch_id=batch_id, **args)

    @blp.doc(operationId="update_import_rows")
    @protected(blp, 404, 422)
    @blp.arguments(RowsUpdateSchema, example={"status": "possible_duplicate", "include": True})
    @blp.response(200, RowsUpdateResultSchema, example={"count": 1})
    def patch(self, data, batch_id):
        """Change several rows

        The rows in `row_ids`, or every row of a `status` (both: those of the rows with that
        status): include or exclude them, set their category, replace or add tags. `money_in`,
        `error` and `duplicate` rows cannot be included (422 on `include`, nothing changed); a row
        id that is not of this batch is 404. Staged batches only (422 on `batch` otherwise).
        """
        return {"count": imports.update_rows(user=token_user, batch_id=batch_id, **data)}


@blp.route("/<int:batch_id>/rows/<int:row_id>")
class ImportRow(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="update_import_row")
    @protected(blp, 404, 422)
    @blp.arguments(RowChangesSchema, example={"include": False})
    @blp.response(200, RowsUpdateResultSchema, example={"count": 1})
    def patch(self, data, batch_id, row_id):
        """Change one row

        As `PATCH /imports/{batch_id}/rows` for this row alone; `count` is 0 when nothing changed.
        """
        return {"count": imports.update_rows(user=token_user, batch_id=batch_id, row_ids=[row_id], **data)}


@blp.route("/<int:batch_id>/commit")
class ImportCommit(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="commit_import")
    @protected(blp, 404, 409)
    @blp.response(200, ImportBatchSchema, example={**BATCH_EXAMPLE, "status": "committed", "created_count": 14})
    def post(self, batch_id):
        """Commit an import

        Creates an expense from every included row, in one transaction, converted to your base
        currency; the batch records what it created (`created_count`). Rows imported meanwhile
        (the same file committed twice) are not created again. A batch that is not staged is 409.
        """
        return imports.commit_batch(user=token_user, batch_id=batch_id)


@blp.route("/<int:batch_id>/edited-expenses")
class ImportEditedExpenses(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_import_edited_expenses")
    @protected(blp, 404)
    @blp.response(200, ExpenseSchema(many=True))
    def get(self, batch_id):
        """List an import's edited expenses

        The expenses this batch created that were changed since: undo asks whether to keep or
        delete them.
        """
        return imports.edited_expenses(user=token_user, batch_id=batch_id)


@blp.route("/<int:batch_id>/undo")
class ImportUndo(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="undo_import")
    @protected(blp, 404, 409, 422)
    @blp.arguments(UndoArgsSchema, required=False, example={"edited": "keep"})
    @blp.response(
        200,
        ImportUndoResultSchema,
        example={"batch": {**BATCH_EXAMPLE, "status": "undone"}, "deleted_count": 14, "kept_count": 0},
    )
    def post(self, data, batch_id):
        """Undo an import

        Removes the expenses the batch created, in one transaction. When some were edited since
        (`GET /imports/{batch_id}/edited-expenses`), `edited` must say whether to `keep` or `delete`
        them (422 otherwise). Afterwards the same file can be imported again. A batch that is not
        committed is 409.
        """
        return imports.undo_batch(user=token_user, batch_id=batch_id, edited=data.get("edited"))
