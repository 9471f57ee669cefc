"""Forms of the rules pages: a rule (its conditions and actions as fixed rows), the row actions
(move, active toggle, delete, accept a suggestion, undo a run) and the run-on-existing-expenses form.

Shape and type only: the categorization service checks every condition and action and names the
bad one (`conditions.0.value`); `RuleForm.service_fields` remembers which form row each document
came from so that error lands next to the right row. Without JavaScript a rule has a fixed number of
rows (`ROWS`, more when it already has more); rows left empty are ignored.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from expense_app.services import categorization
from expense_app.web.forms.choices import PAYMENT_METHOD_CHOICES
from expense_app.web.forms.expenses import split_tags

ROWS = 5


def id_values(values: list[str] | None) -> list[int] | None:
    """Chosen ids as numbers (None when none is chosen); a value that is no plain id is refused."""
    chosen = [value.strip() for value in (values or []) if value.strip()]
    if any(not (value.isascii() and value.isdigit() and len(value) <= 9) for value in chosen):
        raise ValidationError("Choose rules from the list.")
    return [int(value) for value in chosen] or None


def _id_or_text(text: str) -> int | str:
    """A plain id as a number; anything else as typed, for the service to refuse by name."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else text


CONDITION_FIELD_CHOICES = [
    SelectChoice("", "—"),
    SelectChoice("description", "Description"),
    SelectChoice("notes", "Notes"),
    SelectChoice("amount", "Amount"),
    SelectChoice("payment_method", "Payment method"),
    SelectChoice("currency", "Currency"),
]
OPERATOR_LABELS = {
    "contains": "contains",
    "equals": "is",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "regex": "matches the regular expression",
    "=": "=",
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "between": "between",
}
OPERATOR_CHOICES = [
    SelectChoice(operator, OPERATOR_LABELS[operator])
    for operator in dict.fromkeys((*categorization.TEXT_OPERATORS, *categorization.AMOUNT_OPERATORS))
]
ACTION_LABELS = {
    "set_category": "Set the category",
    "add_tags": "Add tags",
    "set_payment_method": "Set the payment method",
    "rewrite_description": "Rewrite the description",
    "skip": "Skip the row (imports only)",
}
ACTION_TYPE_CHOICES = [SelectChoice("", "—")] + [
    SelectChoice(action, ACTION_LABELS.get(action, action)) for action in categorization.ACTION_TYPES
]
MATCH_CHOICES = [
    SelectChoice("all", "All conditions (AND)"),
    SelectChoice("any", "Any condition (OR)"),
]


class ConditionRow(Form):
    """One condition: `field operator value [and value2]`; a row without a field is ignored."""

    field = SelectField("Field", choices=CONDITION_FIELD_CHOICES, validate_choice=False)
    operator = SelectField("Operator", choices=OPERATOR_CHOICES, validate_choice=False)
    value = StringField("Value")
    value2 = StringField("Up to (between)")

    def is_empty(self) -> bool:
        return not (self.field.data or "").strip()

    def document(self) -> dict:
        field = self.field.data or ""
        doc = {"field": field, "operator": self.operator.data or "", "value": (self.value.data or "").strip()}
        if field == "amount" and doc["operator"] == "between":
            doc["value2"] = (self.value2.data or "").strip()
        return doc


class ActionRow(Form):
    """One action; the fields that its type does not use are ignored. A row without a type is ignored."""

    type = SelectField("Action", choices=ACTION_TYPE_CHOICES, validate_choice=False)
    category_id = SelectField("Category", validate_choice=False)
    tags = StringField("Tags", description="Separate tags with commas.")
    payment_method = SelectField("Payment method", choices=PAYMENT_METHOD_CHOICES, validate_choice=False)
    pattern = StringField("Pattern (regular expression)")
    replacement = StringField("Replace with", description=r"\1 is the first group in brackets.")

    def is_empty(self) -> bool:
        return not (self.type.data or "").strip()

    def document(self) -> dict:
        kind = self.type.data or ""
        if kind == "set_category":
            return {"type": kind, "category_id": _id_or_text(self.category_id.data)}
        if kind == "add_tags":
            return {"type": kind, "tags": split_tags(self.tags.data or "")}
        if kind == "set_payment_method":
            return {"type": kind, "payment_method": self.payment_method.data or ""}
        if kind == "rewrite_description":
            return {"type": kind, "pattern": self.pattern.data or "", "replacement": self.replacement.data or ""}
        return {"type": kind}


class RuleForm(FlaskForm):
    """Create or edit a rule; `preview` shows what it matches without saving it."""

    name = StringField("Name")
    match = RadioField("Apply when", choices=MATCH_CHOICES, default="all", validate_choice=False)
    conditions = FieldList(FormField(ConditionRow), min_entries=ROWS, max_entries=categorization.MAX_CONDITIONS + ROWS)
    actions = FieldList(FormField(ActionRow), min_entries=ROWS, max_entries=categorization.MAX_ACTIONS + ROWS)
    stop_after = BooleanField("Stop here: later rules do not run on an expense this rule matched")
    active = BooleanField("Active", default=True)
    submit = SubmitField("Save rule")
    preview = SubmitField("Preview")

    def set_category_choices(self, choices: list[SelectChoice]) -> None:
        for row in self.actions:
            row.form.category_id.choices = [SelectChoice("", "—"), *choices]

    def _documents(self, rows: FieldList) -> tuple[list[dict], list[int]]:
        """The non-empty rows' documents, and for each its row index (to place the service's errors)."""
        documents, indices = [], []
        for index, row in enumerate(rows):
            if not row.form.is_empty():
                documents.append(row.form.document())
                indices.append(index)
        return documents, indices

    def service_fields(self) -> dict:
        """The keyword arguments of `create_rule` / `update_rule` (and the `rule` of `preview_rule`)."""
        conditions, self._condition_rows = self._documents(self.conditions)
        actions, self._action_rows = self._documents(self.actions)
        return {
            "name": (self.name.data or "").strip(),
            "match": self.match.data or "",
            "conditions": conditions,
            "actions": actions,
            "stop_after": bool(self.stop_after.data),
            "active": bool(self.active.data),
        }

    def place_errors(self, errors: dict[str, list[str]]) -> None:
        """Put the service's errors next to their field: `conditions.2.value` on the row it came from."""
        rows_of = {"conditions": getattr(self, "_condition_rows", []), "actions": getattr(self, "_action_rows", [])}
        for key, messages in errors.items():
            target = self._target(key, rows_of)
            if target is None:
                self.form_errors.extend(messages)
            else:
                target.errors = [*target.errors, *messages]

    def _target(self, key: str, rows_of: dict[str, list[int]]):
        parts = key.split(".")
        head = parts[0]
        if head in rows_of:
            rows = getattr(self, head)
            if len(parts) >= 2 and parts[1].isdecimal() and int(parts[1]) < len(rows_of[head]):
                row = rows[rows_of[head][int(parts[1])]].form
                sub = parts[2] if len(parts) >= 3 else None
                first = "field" if head == "conditions" else "type"
                return getattr(row, sub, None) if sub and hasattr(getattr(row, sub, None), "errors") else row[first]
            return None  # the list as a whole ("Add at least one condition"): shown above the form
        field = getattr(self, head, None) if len(parts) == 1 else None
        return field if field is not None and hasattr(field, "errors") and not isinstance(field, FieldList) else None


def rule_form_data(rule) -> dict:
    """A saved rule as the form's data (its rows first, then empty ones up to `ROWS` more)."""
    conditions = [
        {
            "field": doc.get("field", ""),
            "operator": doc.get("operator", ""),
            "value": str(doc.get("value", "")),
            "value2": str(doc.get("value2", "") or ""),
        }
        for doc in rule.conditions or []
    ]
    actions = []
    for doc in rule.actions or []:
        actions.append(
            {
                "type": doc.get("type", ""),
                "category_id": str(doc.get("category_id", "") or ""),
                "tags": ", ".join(doc.get("tags", []) or []),
                "payment_method": doc.get("payment_method", "") or "",
                "pattern": doc.get("pattern", "") or "",
                "replacement": doc.get("replacement", "") or "",
            }
        )
    return {
        "name": rule.name,
        "match": rule.match,
        "stop_after": rule.stop_after,
        "active": rule.active,
        "conditions": conditions + [{}] * ROWS,
        "actions": actions + [{}] * ROWS,
    }


class MoveForm(FlaskForm):
    """Move a rule one place up or down: the direction travels in the button."""

    direction = HiddenField("Direction")


class ActiveForm(FlaskForm):
    """Switch a rule on or off: the wanted state travels in a hidden field ("1" or "0")."""

    active = HiddenField("Active")


class SuggestionForm(FlaskForm):
    """Accept a suggested rule: its key travels in a hidden field."""

    key = HiddenField("Suggestion")


class ConfirmForm(FlaskForm):
    """Delete a rule, undo a run: only the CSRF token matters."""

    submit = SubmitField("Go")


class RunForm(FlaskForm):
    """Which expenses to run the rules on (a GET form: the dry run is a page anyone can reload)."""

    class Meta:
        csrf = False

    date_from = StringField("From", widget=DateInput())
    date_to = StringField("To", widget=DateInput())
    rule_ids = SelectMultipleField(
        "Rules",
        validate_choice=False,
        description="None chosen: every active rule, in order.",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    page = StringField("Page")

    def validate_rule_ids(self, field) -> None:
        id_values(field.data)

    def rule_id_values(self) -> list[int] | None:
        """The chosen rule ids (the service checks they are the user's), None for every active rule."""
        return id_values(self.rule_ids.data)

    def page_number(self) -> int:
        text = (self.page.data or "").strip()
        return int(text) if text.isascii() and text.isdigit() and 0 < len(text) < 6 and int(text) > 0 else 1


class ApplyRunForm(FlaskForm):
    """Apply exactly what the dry run showed: the same range and rules, sent back by POST."""

    date_from = HiddenField("From")
    date_to = HiddenField("To")
    rule_ids = SelectMultipleField("Rules", validate_choice=False)
    submit = SubmitField("Apply these changes")

    def validate_rule_ids(self, field) -> None:
        id_values(field.data)

    def rule_id_values(self) -> list[int] | None:
        return id_values(self.rule_ids.data)
