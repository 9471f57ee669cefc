"""Recurring expenses: templates (CRUD), pause/resume/skip, upcoming occurrences and monthly cost."""

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.recurring import (
    CostSummarySchema,
    RecurringCreateSchema,
    RecurringSchema,
    RecurringUpdateSchema,
    SkipSchema,
    UpcomingArgsSchema,
    UpcomingSchema,
)
from expense_app.services import recurring

URL_PREFIX = "/recurring"
blp = Blueprint(
    "Recurring",
    __name__,
    description="Recurring expense templates: an expense plus a schedule (every N days, weeks, months or years). "
    "`flask recurring post` turns due occurrences into expenses, each exactly once.",
)

CREATE_EXAMPLE = {
    "amount": "1200.00",
    "category_id": 3,
    "start_date": "2027-01-31",
    "interval_unit": "month",
    "interval_count": 1,
    "description": "Rent",
    "payment_method": "bank_transfer",
    "tags": ["home"],
}
RECURRING_EXAMPLE = {
    "id": 12,
    "amount": "1200.00",
    "currency": "USD",
    "category_id": 3,
    "category": {"id": 3, "name": "Housing", "color": "#6f42c1"},
    "description": "Rent",
    "payment_method": "bank_transfer",
    "tags": ["home"],
    "notes": "",
    "start_date": "2027-01-31",
    "interval_unit": "month",
    "interval_count": 1,
    "end_date": None,
    "max_occurrences": None,
    "applies_from": None,
    "schedule": "Every month",
    "paused": False,
    "state": "active",
    "next_date": "2027-02-28",
    "monthly_amount": "1200.00",
    "created_at": "2026-11-26T09:30:00+00:00",
    "updated_at": "2026-11-26T09:30:00+00:00",
}


@blp.route("")
class RecurringCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_recurring_expenses")
    @protected(blp)
    @blp.response(200, RecurringSchema(many=True), example=[RECURRING_EXAMPLE])
    def get(self):
        """List my recurring expenses

        Every template (not paginated), by start date, with its next date, state and
        monthly-equivalent cost.
        """
        return recurring.list_recurring(user=token_user)

    @blp.doc(operationId="create_recurring_expense")
    @protected(blp, 409, 422)
    @blp.arguments(RecurringCreateSchema, example=CREATE_EXAMPLE)
    @blp.response(
        201,
        RecurringSchema,
        headers={"Location": {"description": "URL of the new template.", "schema": {"type": "string"}}},
    )
    def post(self, data):
        """Create a recurring expense

        The expense fields follow the expense rules. Occurrence k falls on start_date + k
        intervals, computed from the start date: a monthly schedule on the 31st falls on the
        last day of shorter months and returns to the 31st. Nothing is posted until the next
        `flask recurring post` run, which posts every occurrence due up to today (at most 1,000
        per template per run; the next run continues). `start_date` is at most 5 years back and
        at most one year ahead. An account holds at most 200 templates (the parts of a split
        count): one more is 409.
        """
        created = recurring.create_recurring(user=token_user, **data)
        return created, 201, {"Location": url_for("Recurring.RecurringItem", recurring_id=created.id)}


@blp.route("/upcoming")
class RecurringUpcoming(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_upcoming_occurrences")
    @protected(blp, 422)
    @blp.arguments(UpcomingArgsSchema, location="query")
    @blp.response(
        200,
        UpcomingSchema,
        example={
            "items": [
                {
                    "date": "2027-02-28",
                    "recurring_id": 12,
                    "amount": "1200.00",
                    "currency": "USD",
                    "description": "Rent",
                    "category": {"id": 3, "name": "Housing", "color": "#6f42c1"},
                }
            ]
        },
    )
    def get(self, args):
        """Upcoming occurrences

        Occurrences of running templates from today through the next `days` - 1 days, by date.
        Paused templates and skipped or posted occurrences are left out.
        """
        return {"items": recurring.upcoming(user=token_user, days=args["days"])}


@blp.route("/summary")
class RecurringCost(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_recurring_summary")
    @protected(blp)
    @blp.response(
        200,
        CostSummarySchema,
        example={
            "items": [{**RECURRING_EXAMPLE, "monthly_base_amount": "1101.93"}],
            "totals": [{"currency": "USD", "monthly_amount": "1200.00"}],
            "base_currency": "EUR",
            "base_total": "1101.93",
            "unconverted_count": 0,
        },
    )
    def get(self):
        """Monthly cost of recurring expenses

        The active templates with their monthly-equivalent cost (weekly 10.00 = 10 * 52 / 12 =
        43.33; yearly 120.00 = 10.00; every N units divides by N; rounded half up to the cent),
        and their sum per currency. `base_total` is the whole monthly cost in your base currency,
        each template converted at the latest ECB rate on or before today; a template whose
        currency has no rate is counted in `unconverted_count` and left out of it.
        """
        return recurring.cost_summary(user=token_user)


@blp.route("/<int:recurring_id>")
class RecurringItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_recurring_expense")
    @protected(blp, 404)
    @blp.response(200, RecurringSchema, example=RECURRING_EXAMPLE)
    def get(self, recurring_id):
        """Get a recurring expense

        Returns the template with its next date. Another user's template is 404.
        """
        return recurring.get_recurring(user=token_user, recurring_id=recurring_id)

    @blp.doc(operationId="update_recurring_expense")
    @protected(blp, 404, 409, 422)
    @blp.arguments(RecurringUpdateSchema, example={"amount": "1250.00", "apply_from": "2027-04-01"})
    @blp.response(200, RecurringSchema)
    def patch(self, data, recurring_id):
        """Update a recurring expense

        Without `apply_from`, changes every occurrence not yet posted. With it ("this and future
        occurrences"), the template ends the day before and a new template with the changes
        takes over from that date, keeping the start date as its anchor unless the schedule
        changes; the response is the new template. Expenses already posted never change.
        Concurrent edits of one template run one after the other; a split the template already
        had at or before `apply_from` (made meanwhile, perhaps) is 409: change its successor.
        """
        return recurring.update_recurring(user=token_user, recurring_id=recurring_id, **data)

    @blp.doc(operationId="delete_recurring_expense")
    @protected(blp, 404)
    @blp.response(204)
    def delete(self, recurring_id):
        """Delete a recurring expense

        Deletes the template and its schedule; the expenses it already posted stay.
        """
        recurring.delete_recurring(user=token_user, recurring_id=recurring_id)


@blp.route("/<int:recurring_id>/pause")
class RecurringPause(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="pause_recurring_expense")
    @protected(blp, 404)
    @blp.response(200, RecurringSchema)
    def post(self, recurring_id):
        """Pause a recurring expense

        Nothing is posted while paused. Pausing a paused template changes nothing.
        """
        return recurring.pause_recurring(user=token_user, recurring_id=recurring_id)


@blp.route("/<int:recurring_id>/resume")
class RecurringResume(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="resume_recurring_expense")
    @protected(blp, 404)
    @blp.response(200, RecurringSchema)
    def post(self, recurring_id):
        """Resume a recurring expense

        Posting starts again from today; the occurrences that fell in the pause are recorded as
        skipped and never posted.
        """
        return recurring.resume_recurring(user=token_user, recurring_id=recurring_id)


@blp.route("/<int:recurring_id>/skip")
class RecurringSkip(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="skip_recurring_occurrence")
    @protected(blp, 404, 409, 422)
    @blp.arguments(SkipSchema, example={"date": "2027-02-28"})
    @blp.response(200, RecurringSchema)
    def post(self, data, recurring_id):
        """Skip one occurrence

        The occurrence on `date` will not be posted. A date that is not an occurrence is 422
        (the message names the next one); an occurrence already posted is 409.
        """
        return recurring.skip_occurrence(user=token_user, recurring_id=recurring_id, date=data["date"])
