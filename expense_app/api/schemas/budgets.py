"""Schemas of the Budgets endpoints: shape and type only, the rules live in `services.budgets`.

Months are `"YYYY-MM"` strings; money is written as strings with 2 places.
"""

from marshmallow import fields

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.expenses import CategoryRefSchema
from expense_app.api.schemas.fields import money_input, money_output, unconverted_count
from expense_app.models import ROLLOVER_MODES
from expense_app.services.budgets import MIN_PACE_DAYS, PACE_BASES, STATUSES, format_month

MONTH_PATTERN = r"^\d{4}-\d{2}$"


def month_out(attribute: str, **metadata) -> fields.Function:
    """A date attribute written as `"YYYY-MM"`."""
    return fields.Function(
        lambda obj: format_month(getattr(obj, attribute)),
        dump_only=True,
        metadata={"type": "string", "pattern": MONTH_PATTERN, "example": "2026-11", **metadata},
    )


class BudgetVersionSchema(StrictSchema):
    effective_from = month_out("effective_from", description="First month this version applies to.")
    amount = money_output(example="400.00")
    rollover = fields.String(dump_only=True, metadata={"enum": list(ROLLOVER_MODES), "example": "surplus"})


class BudgetSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 7})
    category_id = fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "null for the overall budget.", "example": 3}
    )
    category = fields.Nested(CategoryRefSchema, dump_only=True, allow_none=True)
    name = fields.String(
        dump_only=True, metadata={"description": "The category's name, or Overall.", "example": "Food"}
    )
    amount = money_output(
        description="The monthly amount in force this month (or from the first month).", example="400.00"
    )
    rollover = fields.String(dump_only=True, metadata={"enum": list(ROLLOVER_MODES), "example": "surplus"})
    effective_from = month_out("effective_from", description="Since when `amount` and `rollover` apply.")
    starts = month_out("starts", description="The budget's first month.", example="2026-01")
    versions = fields.List(
        fields.Nested(BudgetVersionSchema),
        dump_only=True,
        metadata={"description": "Every version, oldest first: the history and any scheduled change."},
    )
    created_at = fields.Function(
        lambda obj: obj.budget.created_at.isoformat(),
        dump_only=True,
        metadata={"type": "string", "format": "date-time", "example": "2026-11-26T09:30:00+00:00"},
    )


AMOUNT = {"description": '0 to 99999999.99, at most 2 decimal places; e.g. "400.00".', "example": "400.00"}
ROLLOVER = {
    "enum": list(ROLLOVER_MODES),
    "description": "`none`: each month starts from its amount; `surplus`: unspent money carries into next month; "
    "`full`: surplus and overspend both carry. Defaults to `none`.",
    "example": "surplus",
}
EFFECTIVE_FROM = {
    "type": "string",
    "pattern": MONTH_PATTERN,
    "description": "Month (YYYY-MM) from which this applies, 1900-01 to five years ahead; the current month "
    "by default.",
    "example": "2026-11",
}


class BudgetCreateSchema(StrictSchema):
    category_id = fields.Integer(
        strict=True,
        allow_none=True,
        metadata={"description": "One of your categories; null or omitted for the overall budget.", "example": 3},
    )
    amount = money_input(required=True, metadata=AMOUNT)
    rollover = fields.String(metadata=ROLLOVER)
    effective_from = fields.String(metadata=EFFECTIVE_FROM)


class BudgetUpdateSchema(StrictSchema):
    amount = money_input(metadata=AMOUNT)
    rollover = fields.String(metadata=ROLLOVER)
    effective_from = fields.String(
        metadata={
            **EFFECTIVE_FROM,
            "description": "Month (YYYY-MM) from which the change applies (the current month by default). "
            "Earlier months keep their figures; versions after it are replaced.",
        }
    )


class BudgetStatusArgsSchema(StrictSchema):
    month = fields.String(
        metadata={
            "pattern": MONTH_PATTERN,
            "description": "YYYY-MM, 1900-01 to five years after the current month; the current month by default.",
            "example": "2026-11",
        }
    )


class BudgetLineSchema(StrictSchema):
    budget_id = fields.Integer(dump_only=True, metadata={"example": 7})
    category_id = fields.Integer(dump_only=True, allow_none=True, metadata={"example": 3})
    category = fields.Nested(CategoryRefSchema, dump_only=True, allow_none=True)
    name = fields.String(dump_only=True, metadata={"example": "Food"})
    rollover = fields.String(dump_only=True, metadata={"enum": list(ROLLOVER_MODES), "example": "surplus"})
    budgeted = money_output(description="The month's amount.", example="600.00")
    carried_over = money_output(
        description="Brought forward from last month (negative: overspend carried).", example="80.00"
    )
    available = money_output(description="budgeted + carried_over.", example="680.00")
    spent = money_output(
        description="The month's expenses in this budget, in your base currency (their `base_amount`s).",
        example="185.00",
    )
    unconverted_count = unconverted_count(
        "The month's expenses in this budget that have no exchange rate yet; not in `spent`."
    )
    remaining = money_output(description="available - spent (negative when over budget).", example="495.00")
    percent_used = fields.Decimal(
        as_string=True,
        places=1,
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "description": "spent / available * 100, one decimal; null when nothing is available.",
            "example": "27.2",
        },
    )
    projected = money_output(
        description="The same as `projected_total` (kept for older clients).",
        example="485.00",
    )
    scheduled_recurring = money_output(
        description="Recurring expenses still scheduled this month: occurrences of running templates from today "
        "to the month's end not yet posted or skipped, in your base currency (the whole month for a future month; "
        "0.00 for a past month).",
        example="35.00",
    )
    projected_variable = money_output(
        description="Variable spending still expected this month (spending not posted from a recurring template): "
        "`variable_pace` times the days after today; 0.00 outside the current month.",
        example="265.00",
    )
    projected_total = money_output(
        description="Projected month-end spend: spent + scheduled_recurring + projected_variable; the actual spend "
        "for a past month.",
        example="485.00",
    )
    variable_pace = money_output(
        allow_none=True,
        description="Variable spending per day used for `projected_variable` (rounded for display); null "
        "outside the current month.",
        example="13.25",
    )
    pace_basis = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={
            "enum": list(PACE_BASES),
            "description": "`this_month`: this month's variable spending over the days elapsed; `last_month`: "
            f"last month's per day, used before day {MIN_PACE_DAYS} (too few days to extrapolate) when last month "
            "had variable spending. null outside the current month.",
            "example": "this_month",
        },
    )
    status = fields.String(
        dump_only=True,
        metadata={
            "enum": list(STATUSES),
            "description": "One status for the whole line: `over` (spent > available), `projected_over` "
            "(projected_total > available), `used_up` (spent reached available), `nearly_used` (from 80 %), "
            "`on_track`.",
            "example": "on_track",
        },
    )
    safe_per_day = money_output(
        allow_none=True,
        description="What can be spent per day for the rest of the month without going over (rounded "
        "down); null for a past month.",
        example="23.57",
    )
    level = fields.String(
        dump_only=True,
        metadata={"enum": ["ok", "warning", "danger"], "description": "ok < 80 % <= warning < 100 % <= danger."},
    )
    over_budget = fields.Boolean(dump_only=True, metadata={"description": "spent > available."})
    projected_over = fields.Boolean(dump_only=True, metadata={"description": "projected > available."})


class BudgetStatusSchema(StrictSchema):
    month = month_out("month")
    timing = fields.String(dump_only=True, metadata={"enum": ["past", "current", "future"], "example": "current"})
    days_in_month = fields.Integer(dump_only=True, metadata={"example": 30})
    days_left = fields.Integer(
        dump_only=True, metadata={"description": "Including today (current month); 0 for a past month.", "example": 21}
    )
    unconverted_count = unconverted_count(
        "The month's expenses in the budgets' scope that have no exchange rate yet; not in any `spent`."
    )
    items = fields.List(fields.Nested(BudgetLineSchema), dump_only=True, attribute="lines")
