"""Forms of the budget pages: add, change from a month onward, delete. Shape and type only.

Amounts are read the user's way (`LocalAmountField`) and handed on as plain text, months are kept
as typed, so `10.005` or `2026-13` reach the budgets service and come back with its message. The month inputs are `<input type="month">`, which send `YYYY-MM`.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.widgets import MonthInput

from expense_app.web.forms.amounts import LocalAmountField

ROLLOVER_CHOICES = [
    SelectChoice("none", "None"),
    SelectChoice("surplus", "Surplus carries over"),
    SelectChoice("full", "Surplus and overspend carry over"),
]
ROLLOVER_HELP = (
    "None: every month starts from its amount. Surplus: what is left is added to next month. "
    "Full: what is left, or what was overspent, carries into next month."
)
ROLLOVER_LABELS = {"none": "No rollover", "surplus": "Surplus rolls over", "full": "Surplus and overspend roll over"}
OVERALL_CHOICE = SelectChoice("", "Overall (all categories)")


class BudgetForm(FlaskForm):
    """Add a budget; an empty category means the overall budget."""

    category_id = SelectField("Budget for", validate_choice=False)
    amount = LocalAmountField(
        "Monthly amount", example="400.00", description="For example {example}.", render_kw={"inputmode": "decimal"}
    )
    rollover = SelectField(
        "Rollover", choices=ROLLOVER_CHOICES, default="none", validate_choice=False, description=ROLLOVER_HELP
    )
    effective_from = StringField("Starting month", widget=MonthInput(), description="Format YYYY-MM.")
    submit = SubmitField("Add budget")

    def service_fields(self) -> dict:
        """The keyword arguments of `budgets.create_budget`."""
        return {
            "category_id": self.category_id.data or None,
            "amount": self.amount.data or "",
            "rollover": self.rollover.data,
            "effective_from": self.effective_from.data or "",
        }


class BudgetChangeForm(FlaskForm):
    """Change a budget's amount and rollover from a month onward."""

    amount = LocalAmountField("Monthly amount", example="400.00", render_kw={"inputmode": "decimal"})
    rollover = SelectField("Rollover", choices=ROLLOVER_CHOICES, validate_choice=False, description=ROLLOVER_HELP)
    effective_from = StringField(
        "From month",
        widget=MonthInput(),
        description="Earlier months keep their figures; changes planned after this month are replaced.",
    )
    submit = SubmitField("Save change")

    def service_fields(self) -> dict:
        """The keyword arguments of `budgets.update_budget`."""
        return {
            "amount": self.amount.data or "",
            "rollover": self.rollover.data,
            "effective_from": self.effective_from.data or "",
        }


class ConfirmForm(FlaskForm):
    """A confirmation button: only its CSRF token matters."""

    submit = SubmitField("Delete")
