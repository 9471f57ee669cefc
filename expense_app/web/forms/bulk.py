"""Forms of the list's bulk actions and of Undo: shape and type only, the rules live in the services.

The bulk form's row checkboxes live in the table (`form=` attributes point them at the form), so
selecting rows works without JavaScript; `scope=filter` applies the action to every expense that
matches the list's filters (read from the query string) instead of the ticked rows.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, SubmitField

from expense_app.web.forms.choices import PAYMENT_METHOD_CHOICES
from expense_app.web.forms.expenses import split_tags

ACTIONS = [
    SelectChoice("category", "Change category"),
    SelectChoice("add_tags", "Add tags"),
    SelectChoice("remove_tags", "Remove tags"),
    SelectChoice("payment_method", "Set payment method"),
    SelectChoice("delete", "Delete"),
]
SCOPES = [SelectChoice("selected", "Ticked rows"), SelectChoice("filter", "All that match the filters")]


class BulkForm(FlaskForm):
    """What to do with which expenses; `service_arguments` maps it onto `bulk_expenses`."""

    ids = SelectMultipleField("Expenses", validate_choice=False)
    scope = RadioField("Apply to", choices=SCOPES, default="selected", validate_choice=False)
    action = SelectField("Action", choices=ACTIONS, validate_choice=False)
    category_id = SelectField("Category", validate_choice=False)
    tags = StringField("Tags", render_kw={"placeholder": "e.g. travel, work"})
    payment_method = SelectField("Payment method", choices=PAYMENT_METHOD_CHOICES, validate_choice=False)
    submit = SubmitField("Apply")

    def selection(self, filters: dict) -> dict:
        """`ids=` or `filters=`, as the bulk services take them."""
        if self.scope.data == "filter":
            return {"filters": filters}
        return {"ids": self.ids.data or []}

    def changes(self) -> dict:
        """The change keyword of `bulk_expenses.bulk_update` for the chosen action ({} for delete)."""
        action = self.action.data
        if action == "category":
            return {"category_id": self.category_id.data or ""}
        if action == "payment_method":
            return {"payment_method": self.payment_method.data or ""}
        if action in ("add_tags", "remove_tags"):
            return {action: split_tags(self.tags.data or "")}
        return {}


class UndoForm(FlaskForm):
    """The Undo button after a delete: the batch to restore."""

    batch_id = HiddenField()
    submit = SubmitField("Undo")
