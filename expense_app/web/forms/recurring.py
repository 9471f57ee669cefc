"""Forms of the recurring-expense pages: add, edit (all or this-and-future), and the row actions.

Shape and type only: amounts are read the user's way (`LocalAmountField`) and handed on as plain
text; dates and counts are kept as typed. The recurring service checks them with the same rules as
an expense.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.widgets import DateInput

from expense_app.services.expenses import DEFAULT_PAYMENT_METHOD
from expense_app.web.forms.amounts import LocalAmountField
from expense_app.web.forms.expenses import PAYMENT_METHOD_CHOICES, TagsField, currency_choices

INTERVAL_CHOICES = [
    SelectChoice("day", "day(s)"),
    SelectChoice("week", "week(s)"),
    SelectChoice("month", "month(s)"),
    SelectChoice("year", "year(s)"),
]


class RecurringForm(FlaskForm):
    """Create a template: the expense fields plus the schedule."""

    amount = LocalAmountField(
        "Amount", example="12.50", description="For example {example}.", render_kw={"inputmode": "decimal"}
    )
    category_id = SelectField("Category", validate_choice=False)
    description = StringField("Description")
    start_date = StringField("First date", widget=DateInput(), description="Later dates are counted from this one.")
    interval_count = StringField("Every", default="1", render_kw={"inputmode": "numeric", "size": 4})
    interval_unit = SelectField("Unit", choices=INTERVAL_CHOICES, default="month", validate_choice=False)
    end_date = StringField("End date (optional)", widget=DateInput())
    max_occurrences = StringField(
        "Or number of times (optional)",
        description="Counted from the first date. Leave both empty to repeat until you stop it.",
        render_kw={"inputmode": "numeric"},
    )
    payment_method = SelectField(
        "Payment method", choices=PAYMENT_METHOD_CHOICES, default=DEFAULT_PAYMENT_METHOD, validate_choice=False
    )
    currency = SelectField("Currency", choices=currency_choices, validate_choice=False)
    tags = TagsField("Tags", description="Separate tags with commas.")
    notes = TextAreaField("Notes", render_kw={"rows": 2})
    submit = SubmitField("Save recurring expense")

    def service_fields(self) -> dict:
        """The keyword arguments of `create_recurring` / `update_recurring` (empty text = no limit)."""
        return {
            "amount": self.amount.data or "",
            "category_id": self.category_id.data or "",
            "description": self.description.data or "",
            "start_date": self.start_date.data or "",
            "interval_count": (self.interval_count.data or "").strip(),
            "interval_unit": self.interval_unit.data,
            "end_date": (self.end_date.data or "").strip(),
            "max_occurrences": (self.max_occurrences.data or "").strip(),
            "payment_method": self.payment_method.data,
            "currency": self.currency.data,
            "tags": self.tags.data or [],
            "notes": self.notes.data or "",
        }


class RecurringEditForm(RecurringForm):
    """Edit a template: every occurrence not yet posted, or this and future ones from a date."""

    scope = RadioField(
        "Apply the changes to",
        choices=[
            SelectChoice("all", "Every occurrence not yet posted"),
            SelectChoice("future", "This and future occurrences, from the date below"),
        ],
        default="all",
        validate_choice=False,
    )
    apply_from = StringField("From", widget=DateInput())

    def validate_apply_from(self, field) -> None:
        if self.scope.data == "future" and not (field.data or "").strip():
            raise ValidationError("Choose the date the changes start from.")

    def apply_from_value(self) -> str | None:
        return (self.apply_from.data or "").strip() if self.scope.data == "future" else None


class OccurrenceForm(FlaskForm):
    """Skip one occurrence: the date travels in a hidden field."""

    date = HiddenField("Date")
    submit = SubmitField("Skip")


class ActionForm(FlaskForm):
    """Pause, resume or delete: only the CSRF token matters."""

    submit = SubmitField("Go")
