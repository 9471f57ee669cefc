"""Budget pages: the status of a chosen month (progress, carry-over, projection, safe-to-spend)
with the add form, and pages to change a budget from a month onward or delete it.

`?month=YYYY-MM` picks the month (this month by default); the page links to the previous and
next months. A month the service refuses is shown as a message with status 422.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from expense_app.errors import Conflict, ValidationFailed
from expense_app.services import budgets, categories
from expense_app.web.filters import money
from expense_app.web.forms import apply_service_errors
from expense_app.web.forms.budgets import (
    OVERALL_CHOICE,
    ROLLOVER_LABELS,
    BudgetChangeForm,
    BudgetForm,
    ConfirmForm,
)
from expense_app.web.forms.expenses import category_choices

bp = Blueprint("budgets", __name__, url_prefix="/budgets")


def _scope_choices() -> list[SelectChoice]:
    return [OVERALL_CHOICE, *category_choices(categories.list_categories(user=current_user))]


def _index_page(form: BudgetForm | None = None, status: int = 200):
    month_arg = request.args.get("month", "")
    if form is None:
        form = BudgetForm(formdata=None, effective_from=month_arg or budgets.format_month(budgets.current_month()))
    form.category_id.choices = _scope_choices()
    try:
        month_status = budgets.budget_status(user=current_user, month=month_arg or None)
        month_error = None
    except ValidationFailed as error:
        month_status, month_error, status = None, " ".join(error.errors.get("month", [error.message])), 422
    return render_template(
        "budgets/index.html",
        status=month_status,
        month_error=month_error,
        month_arg=month_arg,
        budgets=budgets.list_budgets(user=current_user),
        form=form,
        rollover_labels=ROLLOVER_LABELS,
        format_month=budgets.format_month,
    ), status


@bp.get("")
@login_required
def index():
    return _index_page()


@bp.post("")
@login_required
def create():
    form = BudgetForm()
    status = 422
    if form.validate_on_submit():
        try:
            created = budgets.create_budget(user=current_user, **form.service_fields())
        except ValidationFailed as error:
            apply_service_errors(form, error)
        except Conflict as error:
            apply_service_errors(form, ValidationFailed(error.errors or {"category_id": [error.message]}))
            status = 409
        else:
            flash(
                f"Budget for {created.name} added: {money(created.amount, current_user.currency)} a month "
                f"from {budgets.format_month(created.effective_from)}.",
                "success",
            )
            return redirect(url_for("budgets.index", month=budgets.format_month(created.effective_from)))
    return _index_page(form, status)


@bp.route("/<int:budget_id>/edit", methods=["GET", "POST"])
@login_required
def edit(budget_id: int):
    budget = budgets.get_budget(user=current_user, budget_id=budget_id)
    form = BudgetChangeForm(
        amount=format(budget.amount, "f"),
        rollover=budget.rollover,
        effective_from=budgets.format_month(budgets.current_month()),
    )
    status = 200
    if form.validate_on_submit():
        try:
            updated = budgets.update_budget(user=current_user, budget_id=budget_id, **form.service_fields())
        except ValidationFailed as error:
            apply_service_errors(form, error)
            status = 422
        else:
            month = form.effective_from.data or budgets.format_month(budgets.current_month())
            flash(f"Budget for {updated.name} changed from {month}.", "success")
            return redirect(url_for("budgets.index", month=month))
    elif form.errors:
        status = 422
    return render_template(
        "budgets/edit.html",
        form=form,
        budget=budget,
        rollover_labels=ROLLOVER_LABELS,
        format_month=budgets.format_month,
    ), status


@bp.route("/<int:budget_id>/delete", methods=["GET", "POST"])
@login_required
def delete(budget_id: int):
    form = ConfirmForm()
    if form.validate_on_submit():
        budgets.delete_budget(user=current_user, budget_id=budget_id)
        flash("Budget deleted. Your expenses were not touched.", "info")
        return redirect(url_for("budgets.index"))
    budget = budgets.get_budget(user=current_user, budget_id=budget_id)
    return render_template("budgets/delete.html", form=form, budget=budget, format_month=budgets.format_month)
