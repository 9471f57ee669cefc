"""Schemas of the Analytics endpoints: query arguments and the figures' shapes.

Money is a string with 2 places (`"12.50"`); percentages are numbers with one decimal. Every total
is in the base currency (`/users/me` `currency`) and comes with `unconverted_count`: the expenses
of its scope still waiting for an exchange rate, whose amounts it does not include.
"""

from marshmallow import fields, validate

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.expenses import ExpenseSchema, ScopeArgsSchema
from expense_app.api.schemas.fields import AsciiInteger, money_output, unconverted_count
from expense_app.models import PAYMENT_METHODS
from expense_app.services.analytics import (
    COMPARISON_RULES,
    DEFAULT_INTERVAL,
    DEFAULT_TOP_LIMIT,
    INTERVALS,
    MAX_TOP_LIMIT,
    PRESETS,
)


def percent(*, allow_none: bool = False, **metadata) -> fields.Float:
    """A percentage field; `allow_none` is a field option (nullable in the spec), the rest is metadata."""
    return fields.Float(dump_only=True, allow_none=allow_none, metadata={"format": "float", **metadata})


class AnalyticsArgsSchema(ScopeArgsSchema):
    """The period and filters every analytics operation accepts."""

    preset = fields.String(
        data_key="period",
        validate=validate.OneOf(list(PRESETS)),
        metadata={
            "description": "A named period relative to today: `this_month` (the 1st to today), `last_month`, "
            "`last_3_months` and `last_12_months` (whole calendar months, this one included), `year_to_date` "
            "(Jan 1 to today, compared with the same days of last year) or `custom` (use `date_from` and "
            "`date_to`). A named period other than `custom` takes precedence over the dates.",
            "example": "this_month",
        },
    )

    date_from = fields.Date(
        metadata={
            "description": "First day of the period (inclusive). Defaults to the first day of the current month, "
            "or of `date_to`'s month when only `date_to` is given.",
            "example": "2026-11-01",
        }
    )
    date_to = fields.Date(
        metadata={
            "description": "Last day of the period (inclusive). Defaults to the last day of the current month. "
            "At most 10 years after `date_from`.",
            "example": "2026-11-30",
        }
    )


class TrendArgsSchema(AnalyticsArgsSchema):
    interval = fields.String(
        load_default=DEFAULT_INTERVAL,
        validate=validate.OneOf(INTERVALS),
        metadata={
            "description": "Bucket size: `day` (periods of at most 366 days), `week` (ISO, Monday start) or `month`.",
            "example": "month",
        },
    )


class TopExpensesArgsSchema(AnalyticsArgsSchema):
    limit = AsciiInteger(
        load_default=DEFAULT_TOP_LIMIT,
        validate=validate.Range(min=1, max=MAX_TOP_LIMIT),
        metadata={"description": f"How many expenses, 1 to {MAX_TOP_LIMIT}.", "example": DEFAULT_TOP_LIMIT},
    )


class PeriodTotalSchema(StrictSchema):
    date_from = fields.Date(dump_only=True, metadata={"example": "2026-10-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-10-31"})
    total = money_output(example="1180.00")
    unconverted_count = unconverted_count()
    rule = fields.String(
        dump_only=True,
        metadata={
            "enum": list(COMPARISON_RULES),
            "description": "How this comparison period was chosen: `previous_months` (whole months: the same number "
            "of whole months just before), `same_days_previous_month` (from a 1st to a day of that month: the same "
            "days of the month before, clamped to its length), `same_days_last_year` (`period=year_to_date`) or "
            "`previous_days` (any other range: the same number of days just before).",
            "example": "previous_months",
        },
    )


class SummarySchema(StrictSchema):
    date_from = fields.Date(dump_only=True, metadata={"example": "2026-11-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    total = money_output(
        description="Sum of the period's expenses in the base currency (their stored base amounts).", example="1234.50"
    )
    count = fields.Integer(
        dump_only=True,
        metadata={"description": "Number of expenses, those waiting for an exchange rate included.", "example": 42},
    )
    unconverted_count = unconverted_count(example=1)
    average = money_output(
        description="Average per converted expense (total / (count - unconverted_count)); 0.00 without any.",
        example="29.39",
    )
    daily_average = money_output(
        description="Total divided by the period's days (only the days up to today while the period is under way).",
        example="41.15",
    )
    previous_period = fields.Nested(
        PeriodTotalSchema,
        dump_only=True,
        metadata={
            "description": "The period compared with (see `rule`): Nov 1-30 with Oct 1-31, Dec 1-1 with Nov 1-1, "
            "year to date with the same days of last year, any other range with as many days just before."
        },
    )
    change_pct = percent(
        allow_none=True,
        description="Change of `total` against `previous_period`'s, in percent with one decimal; "
        "null when the previous total is 0.",
        example=4.6,
    )


class CategoryShareSchema(StrictSchema):
    category_id = fields.Integer(dump_only=True, metadata={"example": 3})
    name = fields.String(dump_only=True, metadata={"example": "Food"})
    color = fields.String(dump_only=True, metadata={"example": "#198754"})
    total = money_output(example="410.25")
    count = fields.Integer(dump_only=True, metadata={"example": 17})
    unconverted_count = unconverted_count()
    share_pct = percent(description="Share of the period's total, one decimal.", example=33.2)


class ByCategorySchema(StrictSchema):
    date_from = fields.Date(dump_only=True, metadata={"example": "2026-11-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    total = money_output(example="1234.50")
    unconverted_count = unconverted_count()
    items = fields.List(fields.Nested(CategoryShareSchema), dump_only=True)


class PaymentMethodShareSchema(StrictSchema):
    payment_method = fields.String(dump_only=True, metadata={"enum": list(PAYMENT_METHODS), "example": "credit_card"})
    total = money_output(example="800.00")
    count = fields.Integer(dump_only=True, metadata={"example": 20})
    unconverted_count = unconverted_count()
    share_pct = percent(description="Share of the period's total, one decimal.", example=64.8)


class ByPaymentMethodSchema(StrictSchema):
    date_from = fields.Date(dump_only=True, metadata={"example": "2026-11-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    total = money_output(example="1234.50")
    unconverted_count = unconverted_count()
    items = fields.List(fields.Nested(PaymentMethodShareSchema), dump_only=True)


class TrendPointSchema(StrictSchema):
    period = fields.String(
        dump_only=True,
        metadata={
            "description": "`2026-11-26` (day), `2026-W48` (ISO week) or `2026-11` (month).",
            "example": "2026-11",
        },
    )
    start = fields.Date(
        dump_only=True,
        metadata={
            "description": "First day of the bucket: the day, the week's Monday or the 1st.",
            "example": "2026-11-01",
        },
    )
    total = money_output(example="1234.50")
    count = fields.Integer(dump_only=True, metadata={"example": 42})
    unconverted_count = unconverted_count()


class TrendSchema(StrictSchema):
    interval = fields.String(dump_only=True, metadata={"enum": list(INTERVALS), "example": "month"})
    date_from = fields.Date(dump_only=True, metadata={"example": "2026-09-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    unconverted_count = unconverted_count(
        "Expenses of the period that have no exchange rate yet; their amounts are in no bucket's total."
    )
    items = fields.List(
        fields.Nested(TrendPointSchema),
        dump_only=True,
        metadata={"description": "One per bucket overlapping the period, oldest first; empty buckets have total 0."},
    )


class TopExpensesSchema(StrictSchema):
    items = fields.List(
        fields.Nested(ExpenseSchema),
        dump_only=True,
        metadata={
            "description": "Largest amount in the base currency (`base_amount`) first; equal amounts by latest "
            "date, then latest id. Expenses waiting for an exchange rate cannot be ranked and are left out."
        },
    )
    unconverted_count = unconverted_count(
        "Expenses of the period that have no exchange rate yet: not ranked, so not in `items`."
    )


class CurrencyBreakdownItemSchema(StrictSchema):
    currency = fields.String(dump_only=True, metadata={"description": "ISO 4217 code.", "example": "USD"})
    count = fields.Integer(dump_only=True, metadata={"description": "Expenses in this currency.", "example": 3})
    total = money_output(description="Sum of their original amounts, in `currency`.", example="180.00")
    base_total = money_output(
        description="Sum of the base amounts of those converted, in the base currency.", example="165.29"
    )
    unconverted_count = unconverted_count()


class ByCurrencySchema(StrictSchema):
    date_from = fields.Date(dump_only=True, metadata={"example": "2026-11-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    base_currency = fields.String(
        dump_only=True, metadata={"description": "Your base currency (`/users/me` `currency`).", "example": "EUR"}
    )
    total = money_output(
        description="Sum of every currency's `base_total`: the period's total, as in the summary.", example="1234.50"
    )
    unconverted_count = unconverted_count(example=1)
    items = fields.List(
        fields.Nested(CurrencyBreakdownItemSchema),
        dump_only=True,
        metadata={"description": "One per currency with expenses in the period, largest `base_total` first."},
    )
