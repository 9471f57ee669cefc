"""Schemas of the Import endpoints (statement uploads, their staged rows, presets): shape and type only.

What a value means (CSV settings that make sense, a category of yours, a row that may be
included) is checked by `services.imports` and `services.import_presets`; both kinds of refusal
come back as 422 naming the field.

The upload is `multipart/form-data`: the file and its options are one form, read from the form
fields and the files together (`UPLOAD_LOCATION`, see `api.imports`). A form field is text, so
`settings` there is a JSON string, parsed here into the object the JSON endpoints take directly.

In responses every field is always written (null when it does not apply), money is a decimal
string with 2 places and dates are ISO 8601, as everywhere in the API.
"""

from __future__ import annotations

import json

from flask_smorest.fields import Upload
from marshmallow import fields, validate
from werkzeug.datastructures import FileStorage

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.fields import AsciiInteger, money_output
from expense_app.models import PAYMENT_METHODS
from expense_app.models.imports import BATCH_STATUSES, IMPORT_FORMATS, ROW_STATUSES
from expense_app.services.import_edits import MAX_ROW_IDS
from expense_app.statements import app_exports

# The upload form's location: form fields and files together (registered by api.imports).
UPLOAD_LOCATION = "form_and_files"
DEFAULT_PER_PAGE = 20
DEFAULT_ROW_PER_PAGE = 50
MAX_PER_PAGE = 100
BUILTIN_PRESETS = tuple(app_exports.BUILTIN_PRESETS)
UNDO_CHOICES = ("keep", "delete")
CATEGORY_SOURCES = ("rule", "history", "file", "default", "user")
# JSON true/false only: marshmallow would also take "yes", "on" or "1" for a boolean.
JSON_BOOLEAN = {"truthy": {True}, "falsy": {False}}

SETTINGS_EXAMPLE = {
    "encoding": "cp1252",
    "delimiter": ";",
    "quotechar": '"',
    "skip_rows": 0,
    "has_header": True,
    "date_format": "%d.%m.%Y",
    "decimal": ",",
    "thousands": ".",
    "columns": {"date": "Buchungstag", "amount": "Betrag", "description": "Verwendungszweck"},
    "amount_sign": "negative_is_expense",
    "debit_values": [],
    "default_currency": "EUR",
}
SETTINGS_DESCRIPTION = (
    "CSV settings: `encoding`, `delimiter`, `quotechar`, `skip_rows`, `has_header`, `date_format` "
    '(strptime, e.g. "%d.%m.%Y"), `decimal` ("." or ","), `thousands` ("", ",", ".", " ", no-break '
    'space, "\'"), `columns` (role -> column name, or its 0-based index as a string without a header; '
    "roles: date, amount, debit, credit, direction, description, payee, notes, currency, category, "
    "tags, external_id), `amount_sign` (`negative_is_expense` or `positive_is_expense`), `debit_values` "
    "(values of the direction column that mean money out), `default_currency`. Keys left out are "
    'detected. For a QIF file: {"date_order": "mdy"} or "dmy".'
)
SOURCE = {
    "description": "Where the rows come from, for telling re-imports apart (e.g. the account); at most 100 "
    "characters. Default: the account the file names, else the preset or the format.",
    "maxLength": 100,
    "example": "ING checking",
}
DEFAULT_CATEGORY = {
    "description": "One of your categories, for rows no rule, learned suggestion or file column categorises.",
    "example": 3,
}
TAGS = {"description": "Tag names (trimmed, lower-cased).", "example": ["groceries"]}


# --- request fields -----------------------------------------------------------------------------------


class StatementFile(Upload):
    """The uploaded statement: a file part of the form, never a plain text field."""

    default_error_messages = {
        "required": "Choose a statement file to upload (a form part named `file` with a filename).",
        "invalid": "Send the statement as a file (a multipart/form-data part with a filename), not as text.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise self.make_error("invalid")
        return value


class JsonObjectString(fields.String):
    """A form field holding a JSON object (`{"delimiter": ";"}`), loaded as that object."""

    default_error_messages = {"invalid_json": 'Must be a JSON object, e.g. {{"delimiter": ";"}}: {error}'}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            loaded = json.loads(text)
        except ValueError as error:  # JSONDecodeError, and a number too long to convert
            raise self.make_error("invalid_json", error=str(error)) from error
        if not isinstance(loaded, dict):
            raise self.make_error("invalid_json", error=f"got {type(loaded).__name__}")
        return loaded


def _settings_field(metadata: dict | None = None, **kwargs) -> fields.Dict:
    metadata = {"description": SETTINGS_DESCRIPTION, "example": SETTINGS_EXAMPLE, **(metadata or {})}
    return fields.Dict(keys=fields.String(), metadata=metadata, **kwargs)


def _page() -> AsciiInteger:
    return AsciiInteger(load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={"example": 1})


def _per_page(default: int) -> AsciiInteger:
    return AsciiInteger(
        load_default=default,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"1 to {MAX_PER_PAGE} (default {default}).", "example": default},
    )


# --- requests -----------------------------------------------------------------------------------------


class ImportUploadSchema(StrictSchema):
    """The upload form (multipart/form-data)."""

    file = StatementFile(
        required=True,
        metadata={
            "description": "The statement or export: CSV, OFX/QFX, QIF, MT940, CAMT.053/.052 XML or ihatemoney "
            "JSON; at most 10 MB (`IMPORT_MAX_BYTES`) and 100,000 transactions. The format is recognised "
            "from the content."
        },
    )
    settings = JsonObjectString(
        metadata={
            "description": "A JSON string of CSV settings to read the file with (see `PATCH /imports/{batch_id}`); "
            "omitted: everything is detected, or the preset's settings are used.",
            "example": json.dumps({"delimiter": ";", "decimal": ",", "date_format": "%d.%m.%Y"}),
        }
    )
    preset_id = AsciiInteger(
        metadata={"description": "One of your presets (`/import-presets`) to read a CSV with.", "example": 2}
    )
    builtin_preset = fields.String(
        validate=validate.OneOf(BUILTIN_PRESETS),
        metadata={
            "enum": list(BUILTIN_PRESETS),
            "description": "A built-in preset for another app's export (recognised from the header when omitted).",
            "example": "firefly",
        },
    )
    source = fields.String(metadata=SOURCE)
    default_category_id = AsciiInteger(metadata=DEFAULT_CATEGORY)


class ImportListArgsSchema(StrictSchema):
    page = _page()
    per_page = _per_page(DEFAULT_PER_PAGE)


class ImportUpdateSchema(StrictSchema):
    settings = _settings_field(
        metadata={
            "description": "New CSV settings: the stored file is read again with them and every row is staged "
            "anew, so row edits are lost. " + SETTINGS_DESCRIPTION,
            "example": {"date_format": "%m/%d/%Y"},
        }
    )
    default_category_id = fields.Integer(strict=True, metadata=DEFAULT_CATEGORY)
    source = fields.String(metadata=SOURCE)


class ReadPreviewArgsSchema(StrictSchema):
    settings = _settings_field(required=True)


class RowListArgsSchema(StrictSchema):
    status = fields.String(
        validate=validate.OneOf(ROW_STATUSES),
        metadata={"enum": list(ROW_STATUSES), "description": "Only rows of this status.", "example": "new"},
    )
    page = _page()
    per_page = _per_page(DEFAULT_ROW_PER_PAGE)


INCLUDE = {
    "description": "Whether the commit creates an expense from the row. Only `new` and `possible_duplicate` "
    "rows can be included (a possible duplicate starts excluded).",
    "example": True,
}
CATEGORY = {"description": "One of your categories for the row(s).", "example": 3}


class RowChangesSchema(StrictSchema):
    include = fields.Boolean(**JSON_BOOLEAN, metadata=INCLUDE)
    category_id = fields.Integer(strict=True, metadata=CATEGORY)
    tags = fields.List(fields.String(), metadata={**TAGS, "description": "Replace the row's tags."})
    add_tags = fields.List(fields.String(), metadata={**TAGS, "description": "Add these tags to the row's."})


class RowsUpdateSchema(RowChangesSchema):
    row_ids = fields.List(
        fields.Integer(strict=True),
        validate=validate.Length(min=1, max=MAX_ROW_IDS),
        metadata={
            "description": f"These rows of the batch, at most {MAX_ROW_IDS:,} (with `status`: those of them "
            "with that status); a status alone selects any number.",
            "example": [101, 102],
        },
    )
    status = fields.String(
        validate=validate.OneOf(ROW_STATUSES),
        metadata={
            "enum": list(ROW_STATUSES),
            "description": "Every row of the batch with this status. `row_ids` or `status` (or both) is required.",
            "example": "possible_duplicate",
        },
    )


class UndoArgsSchema(StrictSchema):
    edited = fields.String(
        validate=validate.OneOf(UNDO_CHOICES),
        metadata={
            "enum": list(UNDO_CHOICES),
            "description": "What to do with expenses of the batch edited since the commit "
            "(`GET /imports/{batch_id}/edited-expenses`): `keep` or `delete` them. Required when there are any.",
            "example": "keep",
        },
    )


PRESET_NAME = {"description": "1 to 100 characters, unique among your presets.", "example": "ING checking"}
SAMPLE = {
    "description": "The first lines of a file as text (its header line at least), so that an uploaded file "
    "with this header gets the preset automatically. Compared in the settings' `encoding`.",
    "example": "Buchungstag;Valutadatum;Verwendungszweck;Betrag",
}


class PresetCreateSchema(StrictSchema):
    name = fields.String(required=True, metadata=PRESET_NAME)
    settings = _settings_field(required=True)
    sample = fields.String(validate=validate.Length(max=65_536), metadata=SAMPLE)
    batch_id = fields.Integer(
        strict=True,
        metadata={
            "description": "Instead of `sample`: one of your staged imports, whose file's header the preset is "
            "chosen for (save the settings of the mapping step).",
            "example": 7,
        },
    )


class PresetUpdateSchema(StrictSchema):
    name = fields.String(metadata=PRESET_NAME)
    settings = _settings_field()
    sample = fields.String(validate=validate.Length(max=65_536), metadata=SAMPLE)


# --- responses ----------------------------------------------------------------------------------------


def _counts_field(description: str) -> fields.Nested:
    return fields.Nested(CountsSchema, dump_only=True, metadata={"description": description})


class CountsSchema(StrictSchema):
    new = fields.Integer(dump_only=True, metadata={"example": 12})
    duplicate = fields.Integer(dump_only=True, metadata={"example": 3})
    possible_duplicate = fields.Integer(dump_only=True, metadata={"example": 1})
    money_in = fields.Integer(dump_only=True, metadata={"example": 2})
    error = fields.Integer(dump_only=True, metadata={"example": 0})


class QuestionSchema(StrictSchema):
    setting = fields.String(dump_only=True, metadata={"example": "date_format"})
    message = fields.String(
        dump_only=True, metadata={"example": "Every date fits day/month and month/day: which is it?"}
    )
    options = fields.List(
        fields.String(),
        dump_only=True,
        metadata={"description": "The first is what was used.", "example": ["%d/%m/%Y", "%m/%d/%Y"]},
    )


class ImportBatchSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 7})
    filename = fields.String(dump_only=True, metadata={"example": "umsaetze.csv"})
    format = fields.String(dump_only=True, metadata={"enum": list(IMPORT_FORMATS), "example": "csv"})
    source = fields.String(dump_only=True, metadata=SOURCE)
    status = fields.String(
        dump_only=True,
        metadata={
            "enum": list(BATCH_STATUSES),
            "description": "`staged`: in preview, nothing imported; `committed`; `undone`.",
            "example": "staged",
        },
    )
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})
    committed_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    undone_at = fields.AwareDateTime(dump_only=True, allow_none=True)
    row_count = fields.Integer(dump_only=True, metadata={"description": "Records read from the file.", "example": 18})
    counts = _counts_field("Rows per status (every status, 0 included).")
    included_count = fields.Integer(
        dump_only=True, metadata={"description": "Rows the commit will create (or created).", "example": 12}
    )
    created_count = fields.Integer(dump_only=True, metadata={"description": "Expenses created.", "example": 0})
    settings = fields.Dict(
        keys=fields.String(),
        dump_only=True,
        metadata={"description": "The settings the file was read with, detected ones included.", "example": {}},
    )
    warnings = fields.List(
        fields.String(), dump_only=True, metadata={"example": ["2 investment records were left out."]}
    )
    questions = fields.List(
        fields.Nested(QuestionSchema),
        dump_only=True,
        metadata={"description": "Settings detection could not decide alone: confirm or change them."},
    )
    preset_id = fields.Integer(dump_only=True, allow_none=True, metadata={"example": None})
    preset_name = fields.String(dump_only=True, allow_none=True, metadata={"example": None})
    builtin_preset = fields.String(
        dump_only=True, allow_none=True, metadata={"enum": [*BUILTIN_PRESETS, None], "example": None}
    )
    default_category_id = fields.Integer(dump_only=True, allow_none=True, metadata={"example": 9})
    default_category_name = fields.String(dump_only=True, allow_none=True, metadata={"example": "Other"})
    debit_sums = fields.Dict(
        keys=fields.String(),
        values=fields.Decimal(as_string=True, places=2, metadata={"type": "string", "format": "decimal"}),
        dump_only=True,
        metadata={
            "description": "Currency code to the sum of the included rows' amounts (decimal strings).",
            "example": {"EUR": "1303.05"},
        },
    )


class ImportBatchPageSchema(StrictSchema):
    items = fields.List(fields.Nested(ImportBatchSchema), dump_only=True)
    total = fields.Integer(dump_only=True, metadata={"example": 3})
    page = fields.Integer(dump_only=True, metadata={"example": 1})
    per_page = fields.Integer(dump_only=True, metadata={"example": 20})
    total_pages = fields.Function(
        lambda page: -(-page.total // page.per_page),
        dump_only=True,
        metadata={"type": "integer", "description": "0 when there is none.", "example": 1},
    )


class ExpenseBriefSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 42})
    date = fields.Date(dump_only=True, metadata={"example": "2026-03-14"})
    amount = money_output(example="4.20")
    currency = fields.String(dump_only=True, metadata={"example": "EUR"})
    description = fields.String(dump_only=True, metadata={"example": "Coffee at the station"})
    category_name = fields.String(dump_only=True, metadata={"example": "Food"})


class ImportRowSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 101})
    line = fields.Integer(
        dump_only=True, metadata={"description": "The line or record number in the file.", "example": 4}
    )
    status = fields.String(dump_only=True, metadata={"enum": list(ROW_STATUSES), "example": "new"})
    include = fields.Boolean(dump_only=True, metadata={"description": "Created at commit.", "example": True})
    date = fields.Date(dump_only=True, allow_none=True, metadata={"example": "2026-03-14"})
    amount = money_output(
        allow_none=True,
        description="Always positive: what was spent (for `money_in`, received); null when unreadable.",
        example="4.20",
    )
    currency = fields.String(dump_only=True, allow_none=True, metadata={"example": "EUR"})
    description = fields.String(dump_only=True, metadata={"example": "REWE SAGT DANKE"})
    notes = fields.String(dump_only=True, metadata={"example": ""})
    payment_method = fields.String(
        dump_only=True, allow_none=True, metadata={"enum": [*PAYMENT_METHODS, None], "example": None}
    )
    category_id = fields.Integer(dump_only=True, allow_none=True, metadata={"example": 3})
    category_name = fields.String(dump_only=True, allow_none=True, metadata={"example": "Food"})
    category_source = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "enum": [*CATEGORY_SOURCES, None],
            "description": "Who chose the category: a `rule`, your `history`, the `file`, the batch's `default`, "
            "or you (`user`).",
            "example": "rule",
        },
    )
    new_category_name = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "A category the file names that you do not have; created at commit."},
    )
    tags = fields.List(fields.String(), dump_only=True, metadata={"example": ["groceries"]})
    rule_ids = fields.List(fields.Integer(), dump_only=True, metadata={"example": [4]})
    external_id = fields.String(
        dump_only=True, allow_none=True, metadata={"description": "The bank's transaction id.", "example": "FT123"}
    )
    message = fields.String(
        dump_only=True,
        metadata={"description": "Why the row is an error or a duplicate, in words.", "example": ""},
    )
    raw = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        dump_only=True,
        metadata={"description": "The record as read from the file.", "example": {"Betrag": "-4,20"}},
    )
    pending = fields.Boolean(dump_only=True, metadata={"description": "Not yet booked by the bank.", "example": False})
    duplicate_of = fields.Nested(
        ExpenseBriefSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The existing expense a duplicate or possible duplicate resembles."},
    )
    expense_id = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "The expense the commit created."}
    )


class ImportRowPageSchema(StrictSchema):
    items = fields.List(fields.Nested(ImportRowSchema), dump_only=True)
    total = fields.Integer(dump_only=True, metadata={"description": "Rows matching the filter.", "example": 18})
    page = fields.Integer(dump_only=True, metadata={"example": 1})
    per_page = fields.Integer(dump_only=True, metadata={"example": 50})
    total_pages = fields.Function(
        lambda page: -(-page.total // page.per_page),
        dump_only=True,
        metadata={"type": "integer", "description": "0 when no row matches.", "example": 1},
    )
    counts = _counts_field("Rows of the whole batch per status.")


class PreviewRowSchema(StrictSchema):
    line = fields.Integer(dump_only=True, metadata={"example": 4})
    status = fields.String(
        dump_only=True, metadata={"enum": ["new", "money_in", "error"], "description": "What reading alone decides."}
    )
    date = fields.Date(dump_only=True, allow_none=True, metadata={"example": "2026-03-14"})
    amount = money_output(allow_none=True, example="4.20")
    currency = fields.String(dump_only=True, allow_none=True, metadata={"example": "EUR"})
    description = fields.String(dump_only=True, metadata={"example": "REWE SAGT DANKE"})
    notes = fields.String(dump_only=True, metadata={"example": ""})
    payment_method = fields.String(dump_only=True, allow_none=True, metadata={"example": None})
    external_id = fields.String(dump_only=True, allow_none=True, metadata={"example": None})
    tags = fields.List(fields.String(), dump_only=True, metadata={"example": []})
    raw = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    pending = fields.Boolean(dump_only=True, metadata={"example": False})
    message = fields.String(dump_only=True, metadata={"example": ""})


class ReadPreviewSchema(StrictSchema):
    columns = fields.List(
        fields.String(), dump_only=True, metadata={"example": ["Buchungstag", "Verwendungszweck", "Betrag"]}
    )
    rows = fields.List(
        fields.Nested(PreviewRowSchema),
        dump_only=True,
        metadata={"description": "The first rows as they would be read."},
    )
    errors = fields.List(
        fields.String(), dump_only=True, metadata={"description": "Why the file cannot be read so, in words."}
    )
    settings = fields.Dict(keys=fields.String(), dump_only=True, metadata={"description": "The settings used."})
    questions = fields.List(fields.Nested(QuestionSchema), dump_only=True)


class RowsUpdateResultSchema(StrictSchema):
    count = fields.Integer(dump_only=True, metadata={"description": "How many rows changed.", "example": 3})


class ImportUndoResultSchema(StrictSchema):
    batch = fields.Nested(ImportBatchSchema, dump_only=True)
    deleted_count = fields.Integer(dump_only=True, metadata={"description": "Expenses removed.", "example": 12})
    kept_count = fields.Integer(
        dump_only=True, metadata={"description": "Edited expenses kept (`edited: keep`).", "example": 0}
    )


class PresetSchema(StrictSchema):
    id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null for a built-in.", "example": 2})
    key = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "enum": [*BUILTIN_PRESETS, None],
            "description": "A built-in's key (for `builtin_preset` on upload); null for yours.",
            "example": None,
        },
    )
    name = fields.String(dump_only=True, metadata={"example": "ING checking"})
    builtin = fields.Boolean(dump_only=True, metadata={"example": False})
    settings = fields.Dict(keys=fields.String(), dump_only=True, metadata={"example": SETTINGS_EXAMPLE})
    created_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={"description": "null for a built-in."})
    updated_at = fields.AwareDateTime(dump_only=True, allow_none=True, metadata={"description": "null for a built-in."})
