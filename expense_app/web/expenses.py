"""Expense pages: the filtered, sorted, paged list with a quick-add form; add, view, edit, delete; CSV export.

The list reads the same query names as `GET /api/v1/expenses` (`date_from`, `date_to`,
`category_id`, `payment_method`, `tag`, `min_amount`, `max_amount`, `q`, `sort`, `page`,
`per_page`), so the dashboard can link to it and the two faces show the same numbers. A filter
value the service refuses (e.g. `date_from=banana`) is shown above the table with status 422;
the list is not shown then, rather than a list silently filtered differently from what was asked.
"""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from expense_app.errors import ValidationFailed
from expense_app.models.base import utcnow
from expense_app.services import categories, expenses, exports
from expense_app.web.auth import safe_next_url
from expense_app.web.filters import money
from expense_app.web.forms import apply_service_errors
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


def _category_choices() -> list[SelectChoice]:
    # The select of the user's categories; posting another id by hand is refused by the service.
    # Names only: list_categories would also total every category's expenses, unused here.
    return category_choices(categories.category_options(user=current_user))


def _filter_form() -> ExpenseFilterForm:
    return ExpenseFilterForm(formdata=request.args)


def _list_page(quick_form: QuickAddForm | None = None, status: int = 200):
    """Render the list for the query string, with `quick_form` (fresh when None) above it."""
    summaries = categories.category_options(user=current_user)
    form = _filter_form()
    form.category_id.choices = category_choices(summaries)
    if quick_form is None:
        quick_form = QuickAddForm(formdata=None, prefix="quick", date=utcnow().date().isoformat())
    quick_form.category_id.choices = category_choices(summaries)
    result, errors = None, {}
    if form.validate():
        try:
            result = expenses.list_expenses(
                user=current_user,
                filters=form.filters(),
                sort=form.sort.data or None,
                page=1 if form.page.data is None else form.page.data,
                per_page=form.per_page_number(),
            )
        except ValidationFailed as error:
            errors = error.errors
    else:
        errors = form.errors
    if errors and status == 200:
        status = 422
    return render_template(
        "expenses/index.html",
        form=form,
        quick_form=quick_form,
        result=result,
        errors=errors,
        has_categories=bool(summaries),
        sort=form.sort.data or expenses.DEFAULT_SORT,
        sortable=SORTABLE,
        payment_methods=PAYMENT_METHOD_LABELS,
    ), status


@bp.get("")
@login_required
def index():
    return _list_page()


@bp.post("")
@login_required
def quick_add():
    """The quick-add form posts to the list URL with its filters, so an error shows the same list."""
    form = QuickAddForm(prefix="quick")
    if form.validate_on_submit():
        try:
            expense = expenses.create_expense(user=current_user, **form.service_fields())
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            flash(f"Expense of {_money(expense)} on {expense.date.isoformat()} added.", "success")
            return redirect(url_for("expenses.index", **_filter_form().params()))
    return _list_page(quick_form=form, status=422)


def _money(expense) -> str:
    return money(expense.amount, expense.currency)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    # Defaults for the blank form; on POST the submitted values replace them.
    form = ExpenseForm(
        date=utcnow().date().isoformat(),
        currency=current_user.currency,
        category_id=request.args.get("category_id"),
    )
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        try:
            expense = expenses.create_expense(user=current_user, **form.service_fields())
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            flash(f"Expense of {_money(expense)} on {expense.date.isoformat()} added.", "success")
            return redirect(_back_url())
    status = 422 if form.errors else 200
    return render_template("expenses/form.html", form=form, expense=None, back_url=_back_url()), status


@bp.get("/<int:expense_id>")
@login_required
def show(expense_id: int):
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    return render_template(
        "expenses/show.html",
        expense=expense,
        payment_method=PAYMENT_METHOD_LABELS.get(expense.payment_method, expense.payment_method),
        back_url=_back_url(),
    )


@bp.route("/<int:expense_id>/edit", methods=["GET", "POST"])
@login_required
def edit(expense_id: int):
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    form = ExpenseForm(
        amount=format(expense.amount, "f"),
        date=expense.date.isoformat(),
        category_id=str(expense.category_id),
        description=expense.description,
        payment_method=expense.payment_method,
        tags=[tag.name for tag in expense.tags],
        notes=expense.notes,
        currency=expense.currency,
    )
    form.category_id.choices = _category_choices()
    if form.validate_on_submit():
        try:
            updated = expenses.update_expense(user=current_user, expense_id=expense_id, **form.service_fields())
        except ValidationFailed as error:
            apply_service_errors(form, error)
        else:
            flash(f"Expense of {_money(updated)} on {updated.date.isoformat()} saved.", "success")
            return redirect(_back_url())
    status = 422 if form.errors else 200
    return render_template("expenses/form.html", form=form, expense=expense, back_url=_back_url()), status


@bp.route("/<int:expense_id>/delete", methods=["GET", "POST"])
@login_required
def delete(expense_id: int):
    form = DeleteForm()
    if form.validate_on_submit():
        expenses.delete_expense(user=current_user, expense_id=expense_id)
        flash("Expense deleted.", "info")
        return redirect(_back_url())
    expense = expenses.get_expense(user=current_user, expense_id=expense_id)
    return render_template(
        "expenses/delete.html",
        form=form,
        expense=expense,
        payment_method=PAYMENT_METHOD_LABELS.get(expense.payment_method, expense.payment_method),
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
