"""Budget pages: the status of a chosen month (progress, carry-over, projection, safe-to-spend)
with the add form, and pages to change a budget from a month onward or delete it.

`?month=YYYY-MM` picks the month (this month by default); the page links to the previous and
next months. A month the service refuses is shown as a message with status 422. Each request
calls one service function for its page (`budgets.month_overview`, `budgets.get_budget`) or, for
a POST, the use case through `forms.submit`; only a refused POST also reads its page.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_required

from expense_app.services import budgets
from expense_app.web import filters
from expense_app.web.filters import money
from expense_app.web.forms import submit
from expense_app.web.forms.budgets import (
    OVERALL_CHOICE,
    ROLLOVER_LABELS,
    BudgetChangeForm,
    BudgetForm,
    ConfirmForm,
)
from expense_app.web.forms.expenses import category_choices

bp = Blueprint("budgets", __name__, url_prefix="/budgets")


def _index_page(form: BudgetForm | None = None, status: int = 200):
    month_arg = request.args.get("month", "")
    page = budgets.month_overview(user=current_user, month=month_arg or None)
    if form is None:
        form = BudgetForm(formdata=None, effective_from=month_arg or budgets.format_month(page.this_month))
    form.category_id.choices = [OVERALL_CHOICE, *category_choices(page.category_options)]
    return render_template(
        "budgets/index.html",
        status=page.status,
        min_pace_days=budgets.MIN_PACE_DAYS,
        month_error=page.month_error,
        month_arg=month_arg,
        budgets=page.budgets,
        form=form,
        rollover_labels=ROLLOVER_LABELS,
        format_month=budgets.format_month,
    ), (422 if page.month_error else status)


@bp.get("")
@login_required
def index():
    return _index_page()


def _created_message(created: budgets.BudgetDetail) -> str:
    return (
        f"Budget for {created.name} added: {money(created.amount, current_user.currency)} a month "
        f"from {filters.month(created.effective_from)}."
    )


@bp.post("")
@login_required
def create():
    form = BudgetForm()
    done = submit(
        form,
        lambda: budgets.create_budget(user=current_user, **form.service_fields()),
        message=_created_message,
        next_url=lambda created: url_for("budgets.index", month=budgets.format_month(created.effective_from)),
    )
    return done.response or _index_page(form, done.status)


def _change_month(form: BudgetChangeForm, updated: budgets.BudgetDetail) -> str:
    return form.effective_from.data or budgets.format_month(updated.this_month)


@bp.route("/<int:budget_id>/edit", methods=["GET", "POST"])
@login_required
def edit(budget_id: int):
    form = BudgetChangeForm()
    done = submit(
        form,
        lambda: budgets.update_budget(user=current_user, budget_id=budget_id, **form.service_fields()),
        message=lambda updated: f"Budget for {updated.name} changed from {_change_month(form, updated)}.",
        next_url=lambda updated: url_for("budgets.index", month=_change_month(form, updated)),
    )
    if done.response:
        return done.response
    budget = budgets.get_budget(user=current_user, budget_id=budget_id)
    if not form.is_submitted():
        form = BudgetChangeForm(
            amount=format(budget.amount, "f"),
            rollover=budget.rollover,
            effective_from=budgets.format_month(budget.this_month),
        )
    return render_template(
        "budgets/edit.html",
        form=form,
        budget=budget,
        rollover_labels=ROLLOVER_LABELS,
        format_month=budgets.format_month,
    ), done.status


@bp.route("/<int:budget_id>/delete", methods=["GET", "POST"])
@login_required
def delete(budget_id: int):
    form = ConfirmForm()
    done = submit(
        form,
        lambda: budgets.delete_budget(user=current_user, budget_id=budget_id),
        message="Budget deleted. Your expenses were not touched.",
        next_url=url_for("budgets.index"),
        category="info",
    )
    if done.response:
        return done.response
    budget = budgets.get_budget(user=current_user, budget_id=budget_id)
    return render_template(
        "budgets/delete.html", form=form, budget=budget, format_month=budgets.format_month
    ), done.status
