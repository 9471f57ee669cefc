"""Schemas of the Recurring endpoints: shape and type only, the rules live in `services.recurring`."""

from marshmallow import fields, post_load

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.expenses import (
    AMOUNT,
    CATEGORY_ID,
    CURRENCY,
    DESCRIPTION,
    NOTES,
    PAYMENT_METHOD,
    TAGS,
    CategoryRefSchema,
    TagNameSchema,
)
from expense_app.api.schemas.fields import AsciiInteger, money_input, money_output, unconverted_count
from expense_app.models import INTERVAL_UNITS, PAYMENT_METHODS
from expense_app.services.recurring import DEFAULT_UPCOMING_DAYS, MAX_UPCOMING_DAYS


class RecurringSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 12})
    amount = money_output(example="1200.00")
    currency = fields.String(dump_only=True, metadata={"example": "USD"})
    category_id = fields.Integer(dump_only=True, metadata={"example": 3})
    category = fields.Nested(CategoryRefSchema, dump_only=True)
    description = fields.String(dump_only=True, metadata={"example": "Rent"})
    payment_method = fields.String(dump_only=True, metadata={"enum": list(PAYMENT_METHODS), "example": "bank_transfer"})
    tags = fields.Pluck(TagNameSchema, "name", many=True, dump_only=True, metadata={"example": ["home"]})
    notes = fields.String(dump_only=True, metadata={"example": ""})
    start_date = fields.Date(
        dump_only=True, metadata={"description": "The schedule's anchor: occurrence 0.", "example": "2027-01-31"}
    )
    interval_unit = fields.String(dump_only=True, metadata={"enum": list(INTERVAL_UNITS), "example": "month"})
    interval_count = fields.Integer(dump_only=True, metadata={"example": 1})
    end_date = fields.Date(dump_only=True, allow_none=True, metadata={"example": None})
    max_occurrences = fields.Integer(dump_only=True, allow_none=True, metadata={"example": None})
    applies_from = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Set on the later half of a split: no occurrence before it.", "example": None},
    )
    schedule = fields.String(dump_only=True, attribute="schedule_text", metadata={"example": "Every month"})
    paused = fields.Boolean(dump_only=True, metadata={"example": False})
    state = fields.String(
        dump_only=True,
        metadata={"enum": ["active", "paused", "ended"], "description": "ended: no occurrence from today on."},
    )
    next_date = fields.Date(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Next occurrence from today not posted or skipped; null when paused or ended."},
    )
    monthly_amount = money_output(
        description="Monthly-equivalent cost: amount * occurrences per year (365 days, 52 weeks, 12 months, 1 year, "
        "divided by interval_count) / 12, rounded half up.",
        example="1200.00",
    )
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})
    updated_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})


START_DATE = {
    "description": "First occurrence and the schedule's anchor (ISO 8601): at most 5 years back (a template keeps "
    "an older start date it already has) and at most one year ahead.",
    "example": "2027-01-31",
}
INTERVAL_UNIT = {"enum": list(INTERVAL_UNITS), "description": "Defaults to `month`.", "example": "month"}
INTERVAL_COUNT = {"description": "Every N units, 1-1000; defaults to 1.", "example": 1}
END_DATE = {
    "description": "Last possible date (inclusive); null for none. Give this or max_occurrences, not both.",
    "example": "2027-12-31",
}
MAX_OCCURRENCES = {
    "description": "Number of occurrences counted from start_date, 1-10000; null for no limit.",
    "example": 12,
}


class RecurringCreateSchema(StrictSchema):
    amount = money_input(required=True, metadata=AMOUNT)
    category_id = fields.Integer(required=True, strict=True, metadata=CATEGORY_ID)
    start_date = fields.Date(required=True, metadata=START_DATE)
    interval_unit = fields.String(metadata=INTERVAL_UNIT)
    interval_count = fields.Integer(strict=True, metadata=INTERVAL_COUNT)
    end_date = fields.Date(allow_none=True, metadata=END_DATE)
    max_occurrences = fields.Integer(strict=True, allow_none=True, metadata=MAX_OCCURRENCES)
    description = fields.String(metadata=DESCRIPTION)
    payment_method = fields.String(metadata=PAYMENT_METHOD)
    currency = fields.String(metadata=CURRENCY)
    tags = fields.List(fields.String(), metadata=TAGS)
    notes = fields.String(metadata=NOTES)


class RecurringUpdateSchema(StrictSchema):
    apply_from = fields.Date(
        metadata={
            "description": "Edit this and future occurrences: the template ends the day before, and a new one with "
            "the changes takes over from this date (the response is the new one). Omit to change every "
            "occurrence not yet posted.",
            "example": "2027-04-01",
        }
    )
    amount = money_input(metadata=AMOUNT)
    category_id = fields.Integer(strict=True, metadata=CATEGORY_ID)
    start_date = fields.Date(metadata=START_DATE)
    interval_unit = fields.String(metadata=INTERVAL_UNIT)
    interval_count = fields.Integer(strict=True, metadata=INTERVAL_COUNT)
    end_date = fields.Date(allow_none=True, metadata={**END_DATE, "description": "null removes the end date."})
    max_occurrences = fields.Integer(
        strict=True, allow_none=True, metadata={**MAX_OCCURRENCES, "description": "null removes the limit."}
    )
    description = fields.String(metadata=DESCRIPTION)
    payment_method = fields.String(metadata=PAYMENT_METHOD)
    currency = fields.String(metadata=CURRENCY)
    tags = fields.List(fields.String(), metadata={**TAGS, "description": "Replaces every tag; [] removes them all."})
    notes = fields.String(metadata=NOTES)

    @post_load
    def explicit_nulls(self, data: dict, **kwargs) -> dict:
        # The service reads None as "leave as it is" and "" as "remove the limit".
        for key in ("end_date", "max_occurrences"):
            if key in data and data[key] is None:
                data[key] = ""
        return data


class SkipSchema(StrictSchema):
    date = fields.Date(
        required=True, metadata={"description": "The occurrence to skip (ISO 8601).", "example": "2027-02-28"}
    )


class UpcomingArgsSchema(StrictSchema):
    days = AsciiInteger(
        load_default=DEFAULT_UPCOMING_DAYS,
        metadata={
            "description": f"Today and the following days - 1 days; 1 to {MAX_UPCOMING_DAYS}.",
            "example": DEFAULT_UPCOMING_DAYS,
        },
    )


class OccurrenceSchema(StrictSchema):
    date = fields.Date(dump_only=True, metadata={"example": "2027-02-28"})
    recurring_id = fields.Integer(dump_only=True, metadata={"example": 12})
    amount = money_output(example="1200.00")
    currency = fields.String(dump_only=True, metadata={"example": "USD"})
    description = fields.String(dump_only=True, metadata={"example": "Rent"})
    category = fields.Nested(CategoryRefSchema, dump_only=True)


class UpcomingSchema(StrictSchema):
    items = fields.List(fields.Nested(OccurrenceSchema), dump_only=True)


class CurrencyTotalSchema(StrictSchema):
    currency = fields.String(dump_only=True, metadata={"example": "USD"})
    monthly_amount = money_output(example="1243.33")


class CostItemSchema(RecurringSchema):
    monthly_base_amount = money_output(
        allow_none=True,
        description="`monthly_amount` in your base currency, at the latest ECB rate on or before today; null "
        "when the currency has no rate (the template is then left out of `base_total`).",
        example="1101.93",
    )


class CostSummarySchema(StrictSchema):
    items = fields.List(
        fields.Nested(CostItemSchema),
        dump_only=True,
        metadata={
            "description": "Active templates (not paused, not ended), most expensive per month (in your base "
            "currency) first; those without a rate last."
        },
    )
    totals = fields.List(
        fields.Nested(CurrencyTotalSchema),
        dump_only=True,
        metadata={"description": "Sum of the monthly amounts per currency, yours first."},
    )
    base_currency = fields.String(
        dump_only=True, metadata={"description": "Your base currency (`/users/me` `currency`).", "example": "EUR"}
    )
    base_total = money_output(
        description="The monthly cost of every active template in your base currency: the sum of their "
        "`monthly_base_amount`s.",
        example="1101.93",
    )
    unconverted_count = unconverted_count(
        "Active templates whose currency has no exchange rate yet; their cost is not included in `base_total`."
    )
