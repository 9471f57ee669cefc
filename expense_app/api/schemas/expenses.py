"""Schemas of the Expenses and Tags endpoints: shape and type only, the rules live in the services.

Amounts are read without rounding (the service refuses more than 2 decimal places) and written as
strings with 2 places.
"""

from marshmallow import ValidationError, fields, post_load, validate

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.fields import AsciiDecimal, AsciiInteger, money_input, money_output, unconverted_count
from expense_app.models import PAYMENT_METHODS
from expense_app.services.expenses import DEFAULT_PER_PAGE, DEFAULT_SORT, MAX_PER_PAGE, SORTS


class CategoryRefSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 3})
    name = fields.String(dump_only=True, metadata={"example": "Groceries"})
    color = fields.String(dump_only=True, metadata={"example": "#198754"})


class TagNameSchema(StrictSchema):
    name = fields.String()


class ExpenseSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 42})
    amount = money_output()
    currency = fields.String(dump_only=True, metadata={"example": "USD"})
    date = fields.Date(dump_only=True, metadata={"example": "2026-11-26"})
    base_amount = money_output(
        allow_none=True,
        metadata={
            "description": "The amount in your base currency (`/users/me` `currency`); null while no "
            "exchange rate is known for the expense's currency and date (it is then left out of totals).",
            "example": "11.53",
        },
    )
    fx_rate = fields.Decimal(
        as_string=True,
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "format": "decimal",
            "description": "Units of the base currency per unit of `currency` (10 places); "
            "base_amount = round_half_up(amount * fx_rate) to the base currency's minor digits.",
            "example": "0.9223349304",
        },
    )
    fx_date = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "The day of the rate: the last ECB publication on or before `date`.",
            "example": "2026-11-26",
        },
    )
    fx_source = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "enum": ["same", "ecb", "manual", None],
            "description": "`same`: already in the base currency; `ecb`: the ECB reference rate; "
            "`manual`: a rate or base amount you gave; null: waiting for a rate (not converted).",
            "example": "ecb",
        },
    )
    description = fields.String(dump_only=True, metadata={"example": "Weekly groceries"})
    category_id = fields.Integer(dump_only=True, metadata={"example": 3})
    category = fields.Nested(CategoryRefSchema, dump_only=True)
    payment_method = fields.String(dump_only=True, metadata={"enum": list(PAYMENT_METHODS), "example": "debit_card"})
    tags = fields.Pluck(TagNameSchema, "name", many=True, dump_only=True, metadata={"example": ["family", "weekly"]})
    notes = fields.String(dump_only=True, metadata={"example": ""})
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})
    updated_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})


class ExpensePageSchema(StrictSchema):
    items = fields.List(fields.Nested(ExpenseSchema), dump_only=True)
    total = fields.Integer(dump_only=True, metadata={"description": "Size of the filtered set.", "example": 57})
    page = fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The page number; null for a page chosen by `after`.", "example": 1},
    )
    per_page = fields.Integer(dump_only=True, metadata={"example": 20})
    total_pages = fields.Integer(dump_only=True, metadata={"description": "0 when nothing matches.", "example": 3})
    total_amount = money_output(
        description="Sum of the filtered set's amounts in your base currency (their `base_amount`s).",
        example="1234.50",
    )
    unconverted_count = unconverted_count()
    next_cursor = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "description": "Pass as `after` (with the same filters, `sort` and `per_page`) for the page after "
            "this one; null on the last page. Given on page-number answers too, so a client can switch to cursors.",
            "example": "WyItZGF0ZSIsIjIwMjYtMTEtMjYiLDQyXQ",
        },
    )


AMOUNT = {"description": 'Greater than 0, at most 99999999.99, at most 2 decimal places; e.g. "12.50".'}
DATE = {"description": "ISO 8601 date between 1900-01-01 and one year from today.", "example": "2026-11-26"}
CATEGORY_ID = {"description": "One of your categories.", "example": 3}
DESCRIPTION = {"description": "At most 255 characters, trimmed.", "maxLength": 255, "example": "Weekly groceries"}
PAYMENT_METHOD = {"enum": list(PAYMENT_METHODS), "description": "Defaults to `other`.", "example": "debit_card"}
CURRENCY = {"description": "ISO 4217 code; defaults to your profile's currency.", "example": "USD"}
TAGS = {
    "description": "At most 20 tags of 1-50 characters; stored trimmed, lower-cased and de-duplicated, "
    "created on first use.",
    "maxItems": 20,
    "example": ["family", "weekly"],
}
NOTES = {"description": "At most 2000 characters.", "maxLength": 2000, "example": ""}
FX_RATE = {
    "type": "string",
    "format": "decimal",
    "description": "A manual exchange rate (units of your base currency per unit of `currency`, at most "
    "10 places); wins over the published ECB rate. Not with `base_amount`.",
    "example": "0.92",
}
BASE_AMOUNT = {
    "description": "A manual amount in your base currency (what your bank charged); the rate is derived "
    "from it. Not with `fx_rate`.",
    "example": "46.20",
}
UPDATE_FX = " Send null to return to the published rate."
APPLY_RULES = {
    "description": "Run your active rules (`/rules`) on the expense before it is stored: a category, payment "
    "method or description a rule sets replaces the one given, its tags are added; the answer's "
    "`X-Applied-Rules` header lists the rules that matched. Default false.",
    "example": False,
}


class ExpenseCreateSchema(StrictSchema):
    amount = money_input(required=True, metadata=AMOUNT)
    date = fields.Date(required=True, metadata=DATE)
    category_id = fields.Integer(required=True, strict=True, metadata=CATEGORY_ID)
    description = fields.String(metadata=DESCRIPTION)
    payment_method = fields.String(metadata=PAYMENT_METHOD)
    currency = fields.String(metadata=CURRENCY)
    tags = fields.List(fields.String(), metadata=TAGS)
    notes = fields.String(metadata=NOTES)
    fx_rate = AsciiDecimal(allow_none=True, metadata=FX_RATE)
    base_amount = money_input(allow_none=True, metadata=BASE_AMOUNT)
    apply_rules = fields.Boolean(truthy={True}, falsy={False}, load_default=False, metadata=APPLY_RULES)


class ExpenseUpdateSchema(StrictSchema):
    amount = money_input(metadata=AMOUNT)
    date = fields.Date(metadata=DATE)
    category_id = fields.Integer(strict=True, metadata=CATEGORY_ID)
    description = fields.String(metadata=DESCRIPTION)
    payment_method = fields.String(metadata=PAYMENT_METHOD)
    currency = fields.String(metadata=CURRENCY)
    tags = fields.List(fields.String(), metadata={**TAGS, "description": "Replaces every tag; [] removes them all."})
    notes = fields.String(metadata=NOTES)
    fx_rate = AsciiDecimal(allow_none=True, metadata={**FX_RATE, "description": FX_RATE["description"] + UPDATE_FX})
    base_amount = money_input(
        allow_none=True, metadata={**BASE_AMOUNT, "description": BASE_AMOUNT["description"] + UPDATE_FX}
    )


class ScopeArgsSchema(StrictSchema):
    """The category and payment-method filters, shared by the expense list, the export and analytics."""

    category_ids = fields.List(
        AsciiInteger(),
        data_key="category_id",
        metadata={"description": "Only these categories; repeat the parameter for several (any of them)."},
    )
    payment_methods = fields.List(
        fields.String(metadata={"enum": list(PAYMENT_METHODS)}),
        data_key="payment_method",
        metadata={"description": "Only these payment methods; repeat the parameter for several (any of them)."},
    )


class ExpenseFilterArgsSchema(ScopeArgsSchema):
    """Query arguments shared by the list and the CSV export; loads as `{"filters": {...}, "sort": ...}`."""

    date_from = fields.Date(metadata={"description": "On or after this date.", "example": "2026-11-01"})
    date_to = fields.Date(metadata={"description": "On or before this date.", "example": "2026-11-30"})
    tags = fields.List(
        fields.String(),
        data_key="tag",
        metadata={"description": "Repeat for several tags (expenses with any of them)."},
    )
    min_amount = money_input(metadata={"description": "At least this amount.", "example": "10.00"})
    max_amount = money_input(metadata={"description": "At most this amount.", "example": "100.00"})
    q = fields.String(
        metadata={"description": "Case-insensitive text search in description and notes.", "example": "coffee"}
    )
    sort = fields.String(
        load_default=DEFAULT_SORT,
        metadata={
            "enum": list(SORTS),
            "description": "Order; `-` means descending. Ties are broken by id in the same direction.",
        },
    )

    @post_load
    def split(self, data: dict, **kwargs) -> dict:
        args = {key: data.pop(key) for key in ("sort", "page", "per_page", "after") if key in data}
        return {"filters": data, **args}


class ExpenseListArgsSchema(ExpenseFilterArgsSchema):
    page = AsciiInteger(load_default=1, validate=validate.Range(min=1), metadata={"example": 1})
    per_page = AsciiInteger(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"1 to {MAX_PER_PAGE}.", "example": DEFAULT_PER_PAGE},
    )
    after = fields.String(
        metadata={
            "description": "An opaque cursor: the `next_cursor` of the previous page (same filters and `sort`). "
            "The page then starts after that page's last expense, however deep, at the cost of page 1; "
            "not with `page` above 1.",
            "example": "WyItZGF0ZSIsIjIwMjYtMTEtMjYiLDQyXQ",
        }
    )


class TagSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 5})
    name = fields.String(dump_only=True, metadata={"example": "weekly"})
    expense_count = fields.Integer(
        dump_only=True, metadata={"description": "How many of your expenses carry it.", "example": 9}
    )


# --- bulk operations and undo -----------------------------------------------------------------------


class BulkFilterSchema(ExpenseFilterArgsSchema):
    """The list's filters as a JSON object (`category_id`, `date_from`, `tag`, `q`, ...; no `sort`)."""

    class Meta:
        exclude = ("sort",)


SELECTION_IDS = {
    "description": "The expenses to change, by id (at most 10,000; each must be yours). Not with `filter`.",
    "example": [42, 43],
}
SELECTION_FILTER = {
    "description": "Instead of `ids`: every expense matching these filters (the list's query parameters "
    'as a JSON object, e.g. {"category_id": [3], "date_from": "2026-01-01"}; {} is all your expenses).',
}


class BulkSelectionSchema(StrictSchema):
    ids = fields.List(fields.Integer(strict=True), metadata=SELECTION_IDS)
    filter = fields.Nested(BulkFilterSchema, metadata=SELECTION_FILTER)

    @post_load
    def unwrap(self, data: dict, **kwargs) -> dict:
        if "filter" in data:
            data["filters"] = data.pop("filter")["filters"]
        return data


class BulkUpdateSchema(BulkSelectionSchema):
    category_id = fields.Integer(strict=True, metadata={"description": "Move them into this category of yours."})
    payment_method = fields.String(metadata={"enum": list(PAYMENT_METHODS), "description": "Set this payment method."})
    add_tags = fields.List(fields.String(), metadata={**TAGS, "description": "Add these tags (created on first use)."})
    remove_tags = fields.List(fields.String(), metadata={"description": "Take these tags off.", "example": ["weekly"]})


class BulkUpdateResultSchema(StrictSchema):
    count = fields.Integer(required=True, dump_only=True, metadata={"description": "How many expenses changed."})


class BulkDeleteResultSchema(StrictSchema):
    batch_id = fields.String(
        required=True,
        dump_only=True,
        metadata={"description": "Give it to `POST /expenses/restore` to undo this deletion (for 7 days)."},
    )
    count = fields.Integer(required=True, dump_only=True, metadata={"description": "How many expenses were deleted."})
    expense_ids = fields.List(fields.Integer(), required=True, dump_only=True)


class RestoreSchema(StrictSchema):
    batch_id = fields.UUID(required=True, metadata={"description": "From a bulk delete or the `X-Undo-Batch` header."})


class RestoreResultSchema(StrictSchema):
    expense_ids = fields.List(fields.Integer(), required=True, dump_only=True, metadata={"example": [42, 43]})
    renumbered = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        dump_only=True,
        metadata={"description": "Old id to new id, for expenses whose old id was taken meanwhile (SQLite)."},
    )


def _index_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested errors (`{"expenses": {3: {"amount": [...]}}}`) as flat field names
    (`expenses.3.amount`), the shape the service's bulk errors have too."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_index_errors(value, f"{name}."))
        else:
            flat.setdefault(name, []).extend(value if isinstance(value, list) else [str(value)])
    return flat


class BulkCreateSchema(StrictSchema):
    expenses = fields.List(
        fields.Nested(ExpenseCreateSchema),
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "1 to 500 expenses, each as for `POST /expenses`; all are created or none."},
    )

    def handle_error(self, error: ValidationError, data, **kwargs) -> None:
        raise ValidationError(_index_errors(error.messages)) from error


class BulkCreateResultSchema(StrictSchema):
    items = fields.List(fields.Nested(ExpenseSchema), required=True, dump_only=True)
