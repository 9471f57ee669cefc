"""The dashboard page's read-model: every figure, the filter options and this month's budgets.

One call for the page (`overview`), composed from the analytics, budgets and categories services,
so the view parses its form, calls this once and renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from expense_app.errors import ValidationFailed
from expense_app.models import User
from expense_app.services import analytics, budgets
from expense_app.services.categories import CategoryOption, category_options
from expense_app.services.rules import Errors


@dataclass(frozen=True)
class DashboardPage:
    """`data` holds the figures (None when the period or a filter was refused: see `errors`);
    `budget_status` is this month's budgets, whatever period the charts show ("am I on track now?"),
    None for a user without expenses."""

    data: analytics.Dashboard | None
    errors: Errors
    categories: list[CategoryOption]
    budget_status: budgets.MonthStatus | None


def overview(
    *,
    user: User,
    preset: str | None = None,
    date_from: dt.date | str | None = None,
    date_to: dt.date | str | None = None,
    category_ids: Sequence[int | str] = (),
    payment_methods: Sequence[str] = (),
    today: dt.date | None = None,
) -> DashboardPage:
    """The dashboard for one period and filter set; a refused input is reported in `errors`."""
    try:
        data = analytics.dashboard(
            user=user,
            preset=preset,
            date_from=date_from,
            date_to=date_to,
            category_ids=category_ids,
            payment_methods=payment_methods,
            today=today,
        )
    except ValidationFailed as error:
        return DashboardPage(data=None, errors=error.errors, categories=category_options(user=user), budget_status=None)
    status = budgets.budget_status(user=user, today=today) if data.has_expenses else None
    return DashboardPage(data=data, errors={}, categories=data.categories, budget_status=status)
