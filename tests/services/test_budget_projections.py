"""Honest projections (issue 13): spent + recurring still scheduled + the variable pace x days left,
and one status per budget line. The data is `like_with_like.build_projection_user` on 1 December
2026 (the rent already posted); every figure below is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import budgets, recurring
from tests import factories
from tests.services.like_with_like import TODAY, build_projection_user, freeze, neighbour

D = Decimal


@pytest.fixture
def scenario(app, make_user, monkeypatch):
    """A user on 1 Dec 2026 beside another user with a full set of rows, whose data must not count."""
    neighbour(app, make_user)
    freeze(monkeypatch)
    owner = make_user(email="projection@example.com", currency="EUR")
    with app.app_context():
        user = db.session.get(User, owner.id)
        ids = build_projection_user(user)
    return owner, ids


def lines_of(status) -> dict[str, budgets.BudgetLine]:
    return {line.name: line for line in status.lines}


def test_first_of_the_month_with_rent_paid(app, scenario):
    owner, _ = scenario
    with app.app_context():
        user = db.session.get(User, owner.id)
        status = budgets.budget_status(user=user, today=TODAY)
    lines = lines_of(status)
    overall = lines["Overall"]
    # Spent on 1 Dec: Rent 1,200.00 and Cleaner 25.00 (posted today) + Food 18.50 = 1,243.50.
    assert overall.spent == D("1243.50")
    # Still scheduled, today to 31 Dec, not posted or skipped: Gym 15 Dec 40.00; Streaming 20 Dec
    # 12.99 USD / 1.08 = 12.0277... -> 12.03; Cleaner 8, 15, 29 Dec (22 skipped) 3 x 25.00 = 75.00;
    # paused Storage nothing; Rent's 1 Dec is posted, not counted twice. 40.00 + 12.03 + 75.00 = 127.03.
    assert overall.scheduled_recurring == D("127.03")
    # Day 1 < MIN_PACE_DAYS: last month's variable pace. November's variable spending: Food 100.00 +
    # 150.00 + 60.00, Transport 90.00 = 400.00 (the posted Rent, Gym, Cleaner and Streaming are not
    # variable; the ARS taxi waits for a rate) / 30 days = 13.33 a day; x 30 days after today = 399.90.
    assert (overall.pace_basis, overall.variable_pace, overall.projected_variable) == (
        "last_month",
        D("13.33"),
        D("399.90"),
    )
    # 1,243.50 + 127.03 + 399.90 = 1,770.43 (the old pace said 1,243.50 x 31 = 38,548.50).
    assert overall.projected_total == overall.projected == D("1770.43")
    assert overall.status == "on_track" and not overall.projected_over
    food = lines["Food"]
    # Food: 18.50 spent, nothing scheduled, November's Food 310.00 / 30 = 10.33 a day x 30 = 309.90
    # -> 328.40 > 300.00.
    assert (food.spent, food.scheduled_recurring, food.projected_variable) == (D("18.50"), D("0.00"), D("309.90"))
    assert food.projected_total == D("328.40") and food.variable_pace == D("10.33")
    assert food.status == "projected_over" and food.level == "ok"


def test_from_the_seventh_day_the_pace_is_this_months(app, scenario):
    owner, _ = scenario
    with app.app_context():
        user = db.session.get(User, owner.id)
        factories.create_expense(user, amount="51.50", date="2026-12-06", category="Food")
        seventh = dt.date(2026, 12, 7)
        recurring.post_due(user=user, today=seventh)  # nothing due between the 2nd and the 7th
        food = lines_of(budgets.budget_status(user=user, today=seventh))["Food"]
        sixth = lines_of(budgets.budget_status(user=user, today=dt.date(2026, 12, 6)))["Food"]
    # 7 Dec: Food 18.50 + 51.50 = 70.00 over 7 days = 10.00 a day x 24 days = 240.00 -> 310.00.
    assert (food.pace_basis, food.variable_pace, food.projected_variable) == ("this_month", D("10.00"), D("240.00"))
    assert food.projected_total == D("310.00") and food.status == "projected_over"
    # 6 Dec is still one of the first days: November's 10.33 a day x 25 days = 258.25 -> 70.00 + 258.25.
    assert (sixth.pace_basis, sixth.projected_variable, sixth.projected_total) == (
        "last_month",
        D("258.25"),
        D("328.25"),
    )


def test_past_and_future_months(app, scenario):
    owner, _ = scenario
    with app.app_context():
        user = db.session.get(User, owner.id)
        november = lines_of(budgets.budget_status(user=user, month="2026-11", today=TODAY))["Overall"]
        january = lines_of(budgets.budget_status(user=user, month="2027-01", today=TODAY))["Overall"]
    # November is over: its projection is what was spent: Rent 1,200 + Gym 40 + Cleaner 4 x 25 +
    # variable 400.00 = 1,740.00 (the Streaming of 20 Nov waits for a rate), nothing scheduled.
    assert (november.projected_total, november.scheduled_recurring, november.projected_variable) == (
        D("1740.00"),
        D("0.00"),
        D("0.00"),
    )
    assert november.variable_pace is None and november.status == "on_track"
    # January 2027 is ahead: nothing spent, the whole month scheduled: Rent 1,200.00 + Gym 40.00 +
    # Streaming 12.03 + Cleaner 5, 12, 19, 26 Jan 4 x 25.00 = 1,352.03; no pace yet.
    assert (january.spent, january.scheduled_recurring, january.projected_total) == (
        D("0.00"),
        D("1352.03"),
        D("1352.03"),
    )
    assert january.pace_basis is None and january.status == "on_track"


@pytest.mark.parametrize(
    ("spent", "available", "projected", "status"),
    [
        ("130.00", "100.00", "130.00", "over"),
        ("50.00", "100.00", "100.01", "projected_over"),
        ("100.00", "100.00", "100.00", "used_up"),
        ("80.00", "100.00", "100.00", "nearly_used"),
        ("79.99", "100.00", "100.00", "on_track"),
        ("0.00", "0.00", "0.00", "on_track"),
        ("0.00", "0.00", "0.01", "projected_over"),
    ],
)
def test_one_status_per_line(spent, available, projected, status):
    line = budgets.BudgetLine(
        budget_id=1,
        category=None,
        rollover="none",
        budgeted=D(available),
        carried_over=D("0.00"),
        available=D(available),
        spent=D(spent),
        remaining=D(available) - D(spent),
        percent_used=None,
        projected=D(projected),
        safe_per_day=None,
    )
    assert line.status == status
    # The status never says on track while the projection goes over.
    assert not (line.status == "on_track" and line.projected_over)
