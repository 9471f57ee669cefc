"""The dashboard: the home page after login, with a period picker, figures, charts and tables.

The view parses the GET form, asks `services.analytics.dashboard` for every figure, and renders.
Chart data goes to `static/js/dashboard.js` through `data-` attributes (no inline script, so the
page works under `script-src 'self'`); each chart also has a table that works without JavaScript.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user, login_required

from expense_app.models import PAYMENT_METHODS
from expense_app.services import analytics, dashboard
from expense_app.web import filters
from expense_app.web.forms.choices import payment_method_label

bp = Blueprint("dashboard", __name__)

EXPENSES_ENDPOINT = "expenses.index"
# The page for recording an expense, by the names the expense pages may use; the list otherwise.
NEW_EXPENSE_ENDPOINTS = ("expenses.new", "expenses.create")


@bp.get("/")
@login_required
def index():
    args = request.args
    form = {
        "period": args.get("period", ""),
        "date_from": args.get("date_from", "").strip(),
        "date_to": args.get("date_to", "").strip(),
        # The form's "All" options send an empty value: no filter.
        "category_ids": [value for value in args.getlist("category_id") if value.strip()],
        "payment_methods": [value for value in args.getlist("payment_method") if value.strip()],
    }
    page = dashboard.overview(
        user=current_user,
        preset=form["period"] or None,
        date_from=form["date_from"] or None,
        date_to=form["date_to"] or None,
        category_ids=form["category_ids"],
        payment_methods=form["payment_methods"],
    )
    if page.data is None:
        return render_template(
            "dashboard/index.html", data=None, errors=page.errors, form=form, categories=page.categories, **_labels()
        ), 422
    return render_template(
        "dashboard/index.html",
        data=page.data,
        errors={},
        form=form,
        categories=page.categories,
        charts=_charts(page.data),
        comparison_text=comparison_text(page.data.summary.previous_period.rule, page.data.summary.previous_period),
        budget_status=page.budget_status,
        **_labels(),
    )


def comparison_text(rule: str, previous) -> str:
    """The comparison rule in words, stated next to the figure: "the same days last month"."""
    if rule == "same_days_previous_month":
        return "in the same days of last month"
    if rule == "same_days_last_year":
        return "in the same days of last year"
    if rule == "previous_months":
        months = (
            (previous.date_to.year - previous.date_from.year) * 12 + previous.date_to.month - previous.date_from.month
        )
        return "in the month before" if months == 0 else f"in the {months + 1} months before"
    days = (previous.date_to - previous.date_from).days + 1
    return "on the day before" if days == 1 else f"in the {days} days before"


def _labels() -> dict:
    return {
        "presets": analytics.PRESETS,
        "payment_methods": {method: payment_method_label(method) for method in PAYMENT_METHODS},
        "add_expense_url": _add_expense_url(),
    }


def _add_expense_url() -> str:
    for endpoint in NEW_EXPENSE_ENDPOINTS:
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return _expenses_url()


def _expenses_url(**params) -> str:
    """The expense list filtered by `params` (lists repeat the parameter); None values are dropped."""
    params = {key: value for key, value in params.items() if value not in (None, [], "")}
    if EXPENSES_ENDPOINT in current_app.view_functions:
        return url_for(EXPENSES_ENDPOINT, **params)
    query = urlencode(params, doseq=True)
    return "/expenses" + (f"?{query}" if query else "")


def _filter_params(data: analytics.Dashboard, *, dates: tuple | None = None, **override) -> dict:
    """Query parameters of the expense list matching the dashboard's filters (and `override`)."""
    date_from, date_to = dates or (data.period.date_from, data.period.date_to)
    params = {
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "category_id": data.category_ids,
        "payment_method": data.payment_methods,
    }
    params.update(override)
    return params


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _charts(data: analytics.Dashboard) -> dict:
    """The four charts' data for the `data-chart` attributes: labels, amounts as strings, links."""
    period = data.period
    categories = {
        "type": "doughnut",
        "labels": [item.name for item in data.by_category.items],
        "values": [_amount(item.total) for item in data.by_category.items],
        "colors": [item.color for item in data.by_category.items],
        "links": [
            _expenses_url(**_filter_params(data, category_id=[item.category_id])) for item in data.by_category.items
        ],
    }
    # Labels in the user's locale, like every date on the pages (`Mar 2024`, `15. März`).
    trend_label = (lambda day: filters.month(day, "short")) if data.interval == "month" else filters.day_and_month
    # A bucket's link covers the part of the bucket inside the period.
    trend_links = [
        _expenses_url(**_filter_params(data, dates=(max(p.start, period.date_from), min(p.end, period.date_to))))
        for p in data.trend.items
    ]
    trend = {
        "type": "bar",
        "labels": [trend_label(p.start) for p in data.trend.items],
        "values": [_amount(p.total) for p in data.trend.items],
        "links": trend_links,
        "series": "Spent",
    }
    methods = {
        "type": "bar",
        "horizontal": True,
        "labels": [payment_method_label(item.payment_method) for item in data.by_payment_method.items],
        "values": [_amount(item.total) for item in data.by_payment_method.items],
        "links": [
            _expenses_url(**_filter_params(data, payment_method=[item.payment_method]))
            for item in data.by_payment_method.items
        ],
        "series": "Spent",
    }
    charts = {"categories": categories, "trend": trend, "methods": methods, "running_has_data": False}
    running = data.running_totals
    if running is None:  # a period of more than a year has no running-total chart
        return charts
    running_chart = {
        "type": "line",
        "labels": [str(day) for day in running.days],
        "datasets": [
            {
                "label": filters.date_range(running.period.date_from, running.period.date_to),
                "values": [_amount(v) for v in running.current],
            },
            {
                "label": filters.date_range(running.comparison.period.date_from, running.comparison.period.date_to),
                "values": [_amount(v) for v in running.previous],
            },
        ],
    }
    charts["running"] = running_chart
    charts["running_has_data"] = any(running.current) or any(running.previous)
    return charts
