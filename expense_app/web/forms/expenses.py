"""Forms of the expense pages: the full form, the quick-add form and the list's GET filter form.

Shape and type only. Amounts are read the user's way (`LocalAmountField`: `1.234,56` in de_DE)
and handed on as plain text; dates are kept as typed. So `10.005`, `0` or a date in 1850 reach the
expense service and come back with its message (never rounded or re-worded here); a category id is not checked against the choices, because "one of your categories" is a
rule of the service.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from expense_app.services.expenses import DEFAULT_PAYMENT_METHOD, DEFAULT_SORT
from expense_app.web.forms.amounts import LocalAmountField
from expense_app.web.forms.choices import (  # noqa: F401 - re-exported for the pages that build these forms
    PAYMENT_METHOD_CHOICES,
    PAYMENT_METHOD_LABELS,
    category_choices,
    currency_choices,
    payment_method_label,
)

PER_PAGE_CHOICES = (20, 50, 100)
SORT_CHOICES = [
    SelectChoice("-date", "Newest first"),
    SelectChoice("date", "Oldest first"),
    SelectChoice("-amount", "Largest amount first"),
    SelectChoice("amount", "Smallest amount first"),
    SelectChoice("-created_at", "Recently added first"),
    SelectChoice("created_at", "Added longest ago first"),
]


def split_tags(text: str) -> list[str]:
    """`"food, Weekly ,"` -> `["food", "Weekly"]`: comma-separated, blanks dropped (the service normalises)."""
    return [part.strip() for part in text.split(",") if part.strip()]


class TagsField(StringField):
    """A comma-separated text box whose data is a list of tag names.

    Several values of the same name (`?tag=a&tag=b`, as the API takes them) are read too.
    """

    def process_formdata(self, valuelist):
        self.data = [tag for value in valuelist for tag in split_tags(value)]

    def _value(self) -> str:
        return ", ".join(self.data or [])


class ExpenseForm(FlaskForm):
    """Create or edit an expense; every field is sent to the service as typed."""

    amount = LocalAmountField(
        "Amount", example="12.50", description="For example {example}.", render_kw={"inputmode": "decimal"}
    )
    date = StringField("Date", widget=DateInput())
    category_id = SelectField("Category", validate_choice=False)
    # No maxlength: a browser would cut a longer text silently; the service says how long it may be.
    description = StringField("Description")
    payment_method = SelectField(
        "Payment method", choices=PAYMENT_METHOD_CHOICES, default=DEFAULT_PAYMENT_METHOD, validate_choice=False
    )
    tags = TagsField("Tags", description="Separate tags with commas, e.g. family, weekly.")
    notes = TextAreaField("Notes", render_kw={"rows": 3})
    currency = SelectField("Currency", choices=currency_choices, validate_choice=False)
    # A manual conversion, for an expense in another currency than the user's base currency.
    fx_rate = LocalAmountField(
        "Exchange rate",
        example="0.92",
        description="Units of your base currency for 1 unit of the expense's currency, e.g. {example}.",
        render_kw={"inputmode": "decimal"},
    )
    base_amount = LocalAmountField(
        "Amount in your base currency",
        example="46.20",
        description="What your bank charged, e.g. {example}; the rate is worked out from it.",
        render_kw={"inputmode": "decimal"},
    )
    submit = SubmitField("Save expense")

    def service_fields(self) -> dict:
        """The form's values as keyword arguments of `create_expense` / `update_expense`.

        An empty rate and base amount mean "the published rate": None, which also ends a manual
        conversion when editing.
        """
        return {
            "fx_rate": (self.fx_rate.data or "").strip() or None,
            "base_amount": (self.base_amount.data or "").strip() or None,
            "amount": self.amount.data or "",
            "date": self.date.data or "",
            "category_id": self.category_id.data or "",
            "description": self.description.data or "",
            "payment_method": self.payment_method.data,
            "tags": self.tags.data or [],
            "notes": self.notes.data or "",
            "currency": self.currency.data,
        }


class QuickAddForm(FlaskForm):
    """The short form above the expense list (rendered with the `quick` prefix).

    Amount first and focused, then what it was, so recording an expense is: type the amount, Tab,
    type the description, Enter. Category and payment method are pre-selected from the last
    quick-add (`capture_defaults`), the currency is the base currency and the date today.
    """

    amount = LocalAmountField("Amount", example="0.00", render_kw={"inputmode": "decimal", "autocomplete": "off"})
    # No maxlength: a browser would cut a longer text silently; the service says how long it may be.
    description = StringField("Description", render_kw={"placeholder": "What was it?", "autocomplete": "off"})
    category_id = SelectField("Category", validate_choice=False)
    payment_method = SelectField(
        "Payment", choices=PAYMENT_METHOD_CHOICES, default=DEFAULT_PAYMENT_METHOD, validate_choice=False
    )
    currency = SelectField("Currency", choices=currency_choices, validate_choice=False)
    date = StringField("Date", widget=DateInput())
    submit = SubmitField("Add")

    def service_fields(self) -> dict:
        """The form's values as keyword arguments of `capture_defaults.quick_add_expense`.

        A form posted without a currency or payment method (an older page) gets the service's
        defaults: the base currency and `DEFAULT_PAYMENT_METHOD`.
        """
        return {
            "amount": self.amount.data or "",
            "date": self.date.data or "",
            "category_id": self.category_id.data or "",
            "description": self.description.data or "",
            "payment_method": self.payment_method.data or DEFAULT_PAYMENT_METHOD,
            "currency": self.currency.data or None,
        }


class DeleteForm(FlaskForm):
    """A confirmation: only its CSRF token matters."""

    submit = SubmitField("Delete")


class CheckboxesField(SelectMultipleField):
    """Several values of one name, shown as checkboxes; unknown values are left to the service."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        pass

    def process_formdata(self, valuelist):
        # The dashboard's "All" option sends an empty value: that is no filter, not a bad id.
        self.data = [value.strip() for value in valuelist if value.strip()]


class ExpenseFilterForm(FlaskForm):
    """The list's GET form; query names are the API's (`category_id`, `payment_method`, `tag`, ...)."""

    class Meta:
        csrf = False  # a GET form changes nothing

    q = StringField("Search", render_kw={"placeholder": "Description, category, tag or amount", "type": "search"})
    date_from = StringField("From", widget=DateInput())
    date_to = StringField("To", widget=DateInput())
    category_id = CheckboxesField("Categories")
    payment_method = CheckboxesField("Payment methods", choices=PAYMENT_METHOD_CHOICES)
    tag = TagsField("Tags", render_kw={"placeholder": "e.g. weekly, family"})
    min_amount = LocalAmountField("Min amount", render_kw={"inputmode": "decimal"})
    max_amount = LocalAmountField("Max amount", render_kw={"inputmode": "decimal"})
    sort = SelectField("Sort", choices=SORT_CHOICES, default=DEFAULT_SORT, validate_choice=False)
    per_page = SelectField(
        "Per page",
        choices=[SelectChoice(str(n)) for n in PER_PAGE_CHOICES],
        default=str(PER_PAGE_CHOICES[0]),
        validate_choice=False,
    )
    # Text, not IntegerField: int() would take "٣" as 3; the service's rule reads ASCII digits only.
    page = StringField("Page", default="1")

    def filters(self) -> dict:
        """The filter keyword arguments of `list_expenses` / `export_expenses_csv` (`filters=`)."""
        return {
            "date_from": (self.date_from.data or "").strip() or None,
            "date_to": (self.date_to.data or "").strip() or None,
            "category_ids": self.category_id.data or [],
            "payment_methods": self.payment_method.data or [],
            "tags": self.tag.data or [],
            "min_amount": (self.min_amount.data or "").strip() or None,
            "max_amount": (self.max_amount.data or "").strip() or None,
            "q": (self.q.data or "").strip() or None,
        }

    def page_arguments(self) -> dict:
        """`page` and `per_page` as typed (blank means the default); the service parses and bounds them."""
        return {
            "page": (self.page.data or "").strip() or "1",
            "per_page": (self.per_page.data or "").strip() or self.per_page.default,
        }

    def params(self, **override) -> dict:
        """The current query as URL parameters (empty ones dropped), with `override` applied.

        Links built from it (sorting, paging, export, edit-and-come-back) keep every filter.
        """
        params = {
            "q": self.q.data,
            "date_from": self.date_from.data,
            "date_to": self.date_to.data,
            "category_id": self.category_id.data,
            "payment_method": self.payment_method.data,
            "tag": self.tag.data,
            "min_amount": self.min_amount.data,
            "max_amount": self.max_amount.data,
            "sort": self.sort.data if self.sort.data != DEFAULT_SORT else None,
            "per_page": self.per_page.data if self.per_page.data != self.per_page.default else None,
            "page": self.page.data if self.page.data and self.page.data != "1" else None,
        }
        params.update(override)
        return {key: value for key, value in params.items() if value not in (None, "", [])}

    def has_filters(self) -> bool:
        """True when anything narrows the list (sorting and paging do not)."""
        return any(value for value in self.filters().values())
