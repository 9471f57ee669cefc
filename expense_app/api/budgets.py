"""Budgets: create, read, change from a month onward, delete, and the status of a month."""

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.budgets import (
    BudgetCreateSchema,
    BudgetSchema,
    BudgetStatusArgsSchema,
    BudgetStatusSchema,
    BudgetUpdateSchema,
)
from expense_app.services import budgets

URL_PREFIX = "/budgets"
blp = Blueprint(
    "Budgets",
    __name__,
    description="Monthly budgets per category or overall, with rollover (none, surplus, full). "
    "Months are YYYY-MM; amounts are decimal strings.",
)

BUDGET_EXAMPLE = {
    "id": 7,
    "category_id": 3,
    "category": {"id": 3, "name": "Food", "color": "#198754"},
    "name": "Food",
    "amount": "600.00",
    "rollover": "surplus",
    "effective_from": "2026-10",
    "starts": "2026-10",
    "versions": [{"effective_from": "2026-10", "amount": "600.00", "rollover": "surplus"}],
    "created_at": "2026-10-01T09:30:00+00:00",
}
STATUS_EXAMPLE = {
    "month": "2026-11",
    "timing": "current",
    "days_in_month": 30,
    "days_left": 21,
    "unconverted_count": 0,
    "items": [
        {
            "budget_id": 7,
            "category_id": 3,
            "category": {"id": 3, "name": "Food", "color": "#198754"},
            "name": "Food",
            "rollover": "surplus",
            "budgeted": "600.00",
            "carried_over": "80.00",
            "available": "680.00",
            "spent": "185.00",
            "unconverted_count": 0,
            "remaining": "495.00",
            "percent_used": "27.2",
            "projected": "485.00",
            "scheduled_recurring": "35.00",
            "projected_variable": "265.00",
            "projected_total": "485.00",
            "variable_pace": "13.25",
            "pace_basis": "this_month",
            "safe_per_day": "23.57",
            "level": "ok",
            "status": "on_track",
            "over_budget": False,
            "projected_over": False,
        }
    ],
}


@blp.route("")
class BudgetCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_budgets")
    @protected(blp)
    @blp.response(200, BudgetSchema(many=True), example=[BUDGET_EXAMPLE])
    def get(self):
        """List my budgets

        Every budget (not paginated): the overall one first, then by category name. `amount` and
        `rollover` are those in force this month; `versions` holds the history and any change
        scheduled for a later month.
        """
        return budgets.list_budgets(user=token_user)

    @blp.doc(operationId="create_budget")
    @protected(blp, 409, 422)
    @blp.arguments(
        BudgetCreateSchema,
        example={"category_id": 3, "amount": "600.00", "rollover": "surplus", "effective_from": "2026-10"},
    )
    @blp.response(
        201,
        BudgetSchema,
        headers={"Location": {"description": "URL of the new budget.", "schema": {"type": "string"}}},
    )
    def post(self, data):
        """Create a budget

        A monthly amount for one of your categories, or the overall budget (counting every
        expense) when `category_id` is null or omitted. One budget per category and one overall:
        a second is 409 (change the existing one instead). It applies from `effective_from`
        (this month by default).
        """
        created = budgets.create_budget(user=token_user, category_id=data.pop("category_id", None), **data)
        return created, 201, {"Location": url_for("Budgets.BudgetItem", budget_id=created.id)}


@blp.route("/status")
class BudgetStatus(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_budget_status")
    @protected(blp, 422)
    @blp.arguments(BudgetStatusArgsSchema, location="query")
    @blp.response(200, BudgetStatusSchema, example=STATUS_EXAMPLE)
    def get(self, args):
        """Budget status of a month

        For every budget in force in `month`: budgeted, carried over (by the rollover chain from
        the budget's first month), available, spent, remaining, percent used, the projected
        month-end spend in its parts (`spent` + `scheduled_recurring`, the recurring expenses
        still to come, + `projected_variable`, the variable spending pace times the days left),
        one `status`, and what is safe to spend per day for the rest of the month. Money is in your base currency, as budget amounts are; an expense waiting
        for an exchange rate is not in `spent` and is counted in `unconverted_count`.
        `level` turns `warning` at 80 % and `danger` at 100 %. `month` runs from
        1900-01 to five years after the current month; outside that range is 422.
        """
        return budgets.budget_status(user=token_user, month=args.get("month"))


@blp.route("/<int:budget_id>")
class BudgetItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_budget")
    @protected(blp, 404)
    @blp.response(200, BudgetSchema, example=BUDGET_EXAMPLE)
    def get(self, budget_id):
        """Get a budget

        Returns the budget with its versions. Another user's budget is 404.
        """
        return budgets.get_budget(user=token_user, budget_id=budget_id)

    @blp.doc(operationId="update_budget")
    @protected(blp, 404, 422)
    @blp.arguments(BudgetUpdateSchema, example={"amount": "650.00", "effective_from": "2026-12"})
    @blp.response(200, BudgetSchema)
    def patch(self, data, budget_id):
        """Change a budget from a month onward

        Sets the amount and/or rollover from `effective_from` (this month by default): earlier
        months keep their figures, and any version after that month is replaced. Omitted fields
        keep the value in force in that month.
        """
        return budgets.update_budget(user=token_user, budget_id=budget_id, **data)

    @blp.doc(operationId="delete_budget")
    @protected(blp, 404)
    @blp.response(204)
    def delete(self, budget_id):
        """Delete a budget

        Deletes the budget and its whole history; expenses are not touched.
        """
        budgets.delete_budget(user=token_user, budget_id=budget_id)
