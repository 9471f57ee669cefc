"""Expense pages: the filtered, sorted, paged list with a quick-add form; add, view, edit, delete; CSV export.

The list reads the same query names as `GET /api/v1/expenses` (`date_from`, `date_to`,
`category_id`, `payment_method`, `tag`, `min_amount`, `max_amount`, `q`, `sort`, `page`,
`per_page`), so the dashboard can link to it and the two faces show the same numbers. A filter
value the service refuses (e.g. `date_from=banana`) is shown above the table with status 422;
the list is not shown then, rather than a list silently filtered differently from what was asked.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required

from expense_app.errors import ValidationFailed
from expense_app.models.base import utcnow
from expense_app.services import capture_defaults, expenses, exports
from expense_app.web.auth import safe_next_url
from expense_app.web.filters import date, money
from expense_app.web.forms import submit
from expense_app.web.forms.expenses import (
    PAYMENT_METHOD_LABELS,
    DeleteForm,
    ExpenseFilterForm,
    ExpenseForm,
    QuickAddForm,
    category_choices,
)

bp = Blueprint("expenses", __name__, url_prefix="/expenses")

# Columns whose header sorts the list, and the direction of their first click.
SORTABLE = {"date": "-date", "amount": "-amount"}


def _back_url() -> str:
    """Where to go after saving or deleting: the `next` list URL (same site only), else the list."""
    target = request.values.get("next")
    return safe_next_url(target) if target else url_for("expenses.index")


def _filter_form() -> ExpenseFilterForm:
    return ExpenseFilterForm(formdata=request.args)


def _list_page(quick_form: QuickAddForm | None = None, status: int = 200):
    """Render the list for the query string, with `quick_form` (fresh when None) above it."""
    form = _filter_form()
    # The form only checks shape; every value (ids, amounts, dates, page) is parsed by the service.
    form.validate()
    page = expenses.list_page(
        user=current_user, filters=form.filters(), sort=form.sort.data or None, **form.page_arguments()
    )
    form.category_id.choices = category_choices(page.categories)
    if quick_form is None:
        remembered = capture_defaults.capture_defaults(user=current_user, categories=page.categories)
        quick_form = QuickAddForm(
            formdata=None,
            prefix="quick",
            date=utcnow().date().isoformat(),
            category_id=str(remembered.category_id) if remembered.category_id else None,
            payment_method=remembered.payment_method,
            currency=current_user.currency,
        )
    quick_form.category_id.choices = category_choices(page.categories)
    errors = {**form.errors, **page.errors}
    if errors and status == 200:
        status = 422
    return render_template(
        "expenses/index.html",
        form=form,
        quick_form=quick_form,
        result=page.result if not errors else None,
        errors=errors,
        has_categories=bool(page.categories),
        sort=form.sort.data or expenses.DEFAULT_SORT,
        sortable=SORTABLE,
        payment_methods=PAYMENT_METHOD_LABELS,
    ), status


@bp.get("")
@login_required
def index():
    return _list_page()


def _added(expense) -> str:
    return f"Expense of {money(expense.amount, expense.currency)} on {date(expense.date)} added."


@bp.post("")
@login_required
def quick_add():
    """The quick-add form posts to the list URL with its filters, so an error shows the same list."""
    form = QuickAddForm(prefix="quick")
    outcome = submit(
        form,
        lambda: capture_defaults.quick_add_expense(user=current_user, **form.service_fields()),
        message=_added,
        # Back to the list, where the amount box has the focus again (autofocus) for the next expense.
        next_url=lambda _: url_for("expenses.index", **_filter_form().params()),
    )
    return outcome.response or _list_page(quick_form=form, status=422)


def _form_page(form: ExpenseForm, page: expenses.ExpenseFormPage, status: int):
    form.category_id.choices = category_choices(page.categories)
    return render_template("expenses/form.html", form=form, expense=page.expense, back_url=_back_url()), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    # Defaults for the blank form; on POST the submitted values replace them.
    form = ExpenseForm(
        date=utcnow().date().isoformat(),
        currency=current_user.currency,
        category_id=request.args.get("category_id"),
    )
    outcome = submit(
        form,
        lambda: expenses.create_expense(user=current_user, **form.service_fields()),
        message=_added,
        next_url=_back_url(),
    )
    return outcome.response or _form_page(form, expenses.form_page(user=current_user), outcome.status)


def _payment_method_label(expense) -> str:
    return PAYMENT_METHOD_LABELS.get(expense.payment_method, expense.payment_method)


@bp.get("/<int:expense_id>")
@login_required
def show(expense_id: int):
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    return render_template(
        "expenses/show.html", expense=expense, payment_method=_payment_method_label(expense), back_url=_back_url()
    )


@bp.route("/<int:expense_id>/edit", methods=["GET", "POST"])
@login_required
def edit(expense_id: int):
    form = ExpenseForm()
    outcome = submit(
        form,
        lambda: expenses.update_expense(user=current_user, expense_id=expense_id, **form.service_fields()),
        message=lambda updated: f"Expense of {money(updated.amount, updated.currency)} on {date(updated.date)} saved.",
        next_url=_back_url(),
    )
    if outcome.response:
        return outcome.response
    page = expenses.form_page(user=current_user, expense_id=expense_id)
    if not form.is_submitted():
        form = ExpenseForm(formdata=None, **_form_values(page.expense))
    return _form_page(form, page, outcome.status)


def _form_values(expense) -> dict:
    """The edit form's initial values: the expense as stored (a manual conversion as its base
    amount, which is what the user gave or what follows from the rate they gave)."""
    return {
        "base_amount": format(expense.base_amount, "f") if expense.fx_source == "manual" else "",
        "amount": format(expense.amount, "f"),
        "date": expense.date.isoformat(),
        "category_id": str(expense.category_id),
        "description": expense.description,
        "payment_method": expense.payment_method,
        "tags": [tag.name for tag in expense.tags],
        "notes": expense.notes,
        "currency": expense.currency,
    }


@bp.route("/<int:expense_id>/delete", methods=["GET", "POST"])
@login_required
def delete(expense_id: int):
    form = DeleteForm()
    outcome = submit(
        form,
        lambda: expenses.delete_expense(user=current_user, expense_id=expense_id),
        message="Expense deleted.",
        next_url=_back_url(),
        category="info",
    )
    if outcome.response:
        return outcome.response
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    return render_template(
        "expenses/delete.html",
        form=form,
        expense=expense,
        payment_method=_payment_method_label(expense),
        back_url=_back_url(),
    )


@bp.get("/export.csv")
@login_required
def export():
    """Stream the filtered set as CSV; a refused filter shows the list with its message instead."""
    form = _filter_form()
    if not form.validate():
        return _list_page()
    try:
        csv_export = exports.export_expenses_csv(user=current_user, filters=form.filters(), sort=form.sort.data or None)
    except ValidationFailed:
        return _list_page()
    return Response(stream_with_context(csv_export.chunks), mimetype=csv_export.mimetype, headers=csv_export.headers)
