"""Analytics: totals, breakdowns, trends and the largest expenses of a period, for API clients.

The same service functions feed the dashboard, so a page and the matching API call always agree.
Every total is in the user's base currency; `unconverted_count` says how many expenses of its
scope wait for an exchange rate and are not in it.
"""

from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api import conditional, fast_json
from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.analytics import (
    AnalyticsArgsSchema,
    ByCategorySchema,
    ByCurrencySchema,
    ByPaymentMethodSchema,
    SummarySchema,
    TopExpensesArgsSchema,
    TopExpensesSchema,
    TrendArgsSchema,
    TrendSchema,
)
from expense_app.services import analytics

URL_PREFIX = "/analytics"
blp = Blueprint(
    "Analytics",
    __name__,
    description="Where the money goes: totals, breakdowns by category and payment method, trends and the "
    "largest expenses of a period (the current month by default), computed exactly in the database. "
    "Totals are in your base currency (each expense's `base_amount`); an expense still waiting for an "
    "exchange rate is never added, and each total's `unconverted_count` says how many it left out. "
    "Every operation takes `period` (a named period) or `date_from` and `date_to`, and repeatable "
    "`category_id` and `payment_method` filters; a period is at most 10 years long. Every answer has an "
    "`ETag`: sent back in `If-None-Match`, it gives `304 Not Modified` while nothing in it has changed.",
)

SUMMARY_EXAMPLE = {
    "date_from": "2026-11-01",
    "date_to": "2026-11-30",
    "total": "1234.50",
    "count": 43,
    "unconverted_count": 1,
    "average": "29.39",
    "daily_average": "41.15",
    "previous_period": {
        "date_from": "2026-10-01",
        "date_to": "2026-10-31",
        "total": "1180.00",
        "unconverted_count": 0,
        "rule": "previous_months",
    },
    "change_pct": 4.6,
}
BY_CATEGORY_EXAMPLE = {
    "date_from": "2026-11-01",
    "date_to": "2026-11-30",
    "total": "1234.50",
    "unconverted_count": 0,
    "items": [
        {
            "category_id": 3,
            "name": "Housing",
            "color": "#6f42c1",
            "total": "900.00",
            "count": 1,
            "unconverted_count": 0,
            "share_pct": 72.9,
        },
        {
            "category_id": 1,
            "name": "Food",
            "color": "#198754",
            "total": "334.50",
            "count": 41,
            "unconverted_count": 0,
            "share_pct": 27.1,
        },
    ],
}
BY_PAYMENT_METHOD_EXAMPLE = {
    "date_from": "2026-11-01",
    "date_to": "2026-11-30",
    "total": "1234.50",
    "unconverted_count": 0,
    "items": [
        {"payment_method": "bank_transfer", "total": "900.00", "count": 1, "unconverted_count": 0, "share_pct": 72.9},
        {"payment_method": "debit_card", "total": "334.50", "count": 41, "unconverted_count": 0, "share_pct": 27.1},
    ],
}
TREND_EXAMPLE = {
    "interval": "week",
    "date_from": "2026-11-01",
    "date_to": "2026-11-14",
    "unconverted_count": 1,
    "items": [
        {"period": "2026-W44", "start": "2026-10-26", "total": "12.00", "count": 1, "unconverted_count": 0},
        {"period": "2026-W45", "start": "2026-11-02", "total": "0.00", "count": 0, "unconverted_count": 0},
        {"period": "2026-W46", "start": "2026-11-09", "total": "310.45", "count": 7, "unconverted_count": 1},
    ],
}
TOP_EXPENSES_EXAMPLE = {
    "items": [
        {
            "id": 42,
            "amount": "900.00",
            "currency": "USD",
            "date": "2026-11-01",
            "base_amount": "826.45",
            "fx_rate": "0.9182736455",
            "fx_date": "2026-10-30",
            "fx_source": "ecb",
            "description": "Rent",
            "category_id": 3,
            "category": {"id": 3, "name": "Housing", "color": "#6f42c1"},
            "payment_method": "bank_transfer",
            "tags": ["home"],
            "notes": "",
            "created_at": "2026-11-01T08:00:00+00:00",
            "updated_at": "2026-11-01T08:00:00+00:00",
        }
    ],
    "unconverted_count": 0,
}
BY_CURRENCY_EXAMPLE = {
    "date_from": "2026-11-01",
    "date_to": "2026-11-30",
    "base_currency": "EUR",
    "total": "1056.30",
    "unconverted_count": 1,
    "items": [
        {"currency": "EUR", "count": 40, "total": "906.00", "base_total": "906.00", "unconverted_count": 0},
        {"currency": "USD", "count": 1, "total": "100.00", "base_total": "91.83", "unconverted_count": 0},
        {"currency": "GBP", "count": 1, "total": "50.00", "base_total": "58.47", "unconverted_count": 0},
        {"currency": "ARS", "count": 1, "total": "25000.00", "base_total": "0.00", "unconverted_count": 1},
    ],
}


@blp.route("/summary")
class Summary(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_analytics_summary")
    @protected(blp, 422)
    @blp.arguments(AnalyticsArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, SummarySchema, example=SUMMARY_EXAMPLE, headers=conditional.HEADERS_DOC)
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, **args):
        """Summarize a period

        Total (in your base currency), number of expenses, average per expense and per day, and
        the change in percent against the comparison period `previous_period` (null when its
        total is 0): whole months with as many whole months just before, a 1st-to-mid-month range
        with the same days of the previous month, `period=year_to_date` with the same days of
        last year, any other range with as many days just before. Expenses waiting for an exchange rate are in `count` and
        `unconverted_count`, not in the totals.
        """
        return fast_json.response(fast_json.summary(analytics.summary(user=token_user, **args)))


@blp.route("/by-category")
class ByCategory(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_analytics_by_category")
    @protected(blp, 422)
    @blp.arguments(AnalyticsArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ByCategorySchema, example=BY_CATEGORY_EXAMPLE, headers=conditional.HEADERS_DOC)
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, **args):
        """Spending by category

        The period's total per category with the number of expenses and the share of the total
        (one decimal), largest first. Categories with no spending in the period are left out.
        """
        return fast_json.response(fast_json.by_category(analytics.by_category(user=token_user, **args)))


@blp.route("/by-payment-method")
class ByPaymentMethod(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_analytics_by_payment_method")
    @protected(blp, 422)
    @blp.arguments(AnalyticsArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ByPaymentMethodSchema, example=BY_PAYMENT_METHOD_EXAMPLE, headers=conditional.HEADERS_DOC)
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, **args):
        """Spending by payment method

        The period's total per payment method with the number of expenses and the share of the
        total (one decimal), largest first. Methods with no spending in the period are left out.
        """
        return fast_json.response(fast_json.by_payment_method(analytics.by_payment_method(user=token_user, **args)))


@blp.route("/trend")
class Trend(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_analytics_trend")
    @protected(blp, 422)
    @blp.arguments(TrendArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, TrendSchema, example=TREND_EXAMPLE, headers=conditional.HEADERS_DOC)
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, **args):
        """Spending over time

        Totals per day, ISO week (Monday start) or calendar month, oldest first, with every
        bucket present (empty ones at 0). The first and last bucket may start before or end
        after the period but count only the period's expenses. A daily trend covers at most
        366 days.
        """
        return fast_json.response(fast_json.trend(analytics.trend(user=token_user, **args)))


@blp.route("/top-expenses")
class TopExpenses(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_analytics_top_expenses")
    @protected(blp, 422)
    @blp.arguments(TopExpensesArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, TopExpensesSchema, example=TOP_EXPENSES_EXAMPLE, headers=conditional.HEADERS_DOC)
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, **args):
        """Largest expenses

        The `limit` (default 5, at most 50) largest expenses of the period by their amount in the
        base currency, in the same shape as the Expenses endpoints; equal amounts by latest date,
        then latest id. Expenses waiting for an exchange rate cannot be ranked: they are left out
        and counted in `unconverted_count`.
        """
        return analytics.top_expenses(user=token_user, **args)


@blp.route("/by-currency")
class ByCurrency(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_analytics_by_currency")
    @protected(blp, 422)
    @blp.arguments(AnalyticsArgsSchema, location="query", as_kwargs=True)
    @blp.response(200, ByCurrencySchema, example=BY_CURRENCY_EXAMPLE, headers=conditional.HEADERS_DOC)
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, **args):
        """Spending by original currency

        Per currency the expenses were recorded in: how many, the total of their original
        amounts (in that currency), the total of their base amounts (in your base currency) and
        how many are still waiting for an exchange rate (in `count`, not in `base_total`); largest
        `base_total` first. `total` is the period's total in the base currency, as in the summary.
        """
        return analytics.by_currency(user=token_user, **args)
