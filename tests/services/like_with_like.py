"""Shared data of the issue-13 comparison and projection tests (service, API and page), on 1 December 2026.

`freeze(monkeypatch)` makes every service see `TODAY` (rules.today_utc for analytics, recurring and
the expense rules; budgets.utcnow for the budgets). The builders write through the services, in
EUR with a manual-rate USD expense and an ARS expense waiting for a rate (the ECB has no ARS), so
each total meets both kinds. Every expected figure is worked out by hand in the tests' comments.
"""

from __future__ import annotations

import datetime as dt

from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import budgets, recurring, rules
from tests import factories

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def neighbour(app, make_user) -> None:
    """Another user with a row of most tables (`factories.build_full_user`, the rows of the tables
    other parts of issue 13 add come with them), spending in the same months: none of it may count.
    Built before `freeze`, at the real today, as the full-user fixtures are."""
    other = make_user(email="neighbour@example.com")
    with app.app_context():
        factories.build_full_user(db.session.get(User, other.id))
        for day, amount, category, _ in COMPARISON_EXPENSES:
            factories.create_expense(db.session.get(User, other.id), amount=amount, date=day, category=category)


def freeze(monkeypatch) -> None:
    monkeypatch.setattr(rules, "utcnow", lambda: NOW)
    monkeypatch.setattr(budgets, "utcnow", lambda: NOW)


# (date, amount, category, description) in EUR. Rent on the 1st of each month: the expense the
# old "same length just before" comparison dropped from "Last month".
COMPARISON_EXPENSES = [
    ("2025-01-01", "10.00", "Food", "New year's bread"),
    ("2025-06-15", "20.00", "Food", "Picnic"),
    ("2025-12-01", "30.00", "Food", "Last day of last year's year to date"),
    ("2025-12-02", "40.00", "Food", "Just after it"),
    ("2026-10-01", "1000.00", "Housing", "Rent"),
    ("2026-10-15", "50.00", "Food", "Groceries"),
    ("2026-10-31", "25.00", "Food", "Pumpkin"),
    ("2026-11-01", "1000.00", "Housing", "Rent"),
    ("2026-11-02", "60.00", "Food", "Groceries"),
    ("2026-11-30", "15.00", "Food", "Bakery"),
    ("2026-12-01", "1000.00", "Housing", "Rent"),
    ("2026-12-01", "12.50", "Food", "Coffee and cake"),
]


def build_comparison_user(user: User) -> None:
    """`COMPARISON_EXPENSES`, plus on 1 Nov 2026 20.00 USD at a manual 0.9 (18.00 EUR) and 15,000 ARS
    waiting for a rate."""
    for day, amount, category, description in COMPARISON_EXPENSES:
        factories.create_expense(user, amount=amount, date=day, category=category, description=description)
    factories.create_expense(
        user, amount="20.00", currency="USD", fx_rate="0.9000000000", date="2026-11-01", description="Book"
    )
    factories.create_expense(user, amount="15000.00", currency="ARS", date="2026-11-01", description="Taxi")


def build_projection_user(user: User) -> dict[str, int]:
    """The first of the month with the rent already paid (posted from its template).

    Templates (EUR unless said): Rent 1,200.00 monthly from 1 Sep (Housing); Gym 40.00 monthly from
    15 Sep (Health); Streaming 12.99 USD monthly from 20 Oct (Entertainment), the USD rate 1.08 per
    EUR published on 30 Nov; Cleaner 25.00 weekly from Tue 3 Nov (Housing), 22 Dec skipped; a paused
    Storage 500.00 monthly from 5 Sep (Other). All due occurrences up to today are posted.
    Variable (not from a template) in November: Food 100.00 + 150.00 + 60.00, Transport 90.00, and
    15,000 ARS waiting for a rate; on 1 December: Food 18.50.
    Budgets: overall 2,200.00 and Food 300.00, both from November.
    """
    factories.insert_rates("2026-11-30", {"USD": "1.0800"})
    cid = {name: factories.category_id(user, name) for name in ("Housing", "Health", "Entertainment", "Other")}

    def template(amount, start, category, description, **fields) -> int:
        return recurring.create_recurring(
            user=user,
            amount=amount,
            start_date=start,
            category_id=cid[category],
            description=description,
            today=TODAY,
            **fields,
        ).id

    ids = {
        "rent": template("1200.00", "2026-09-01", "Housing", "Rent"),
        "gym": template("40.00", "2026-09-15", "Health", "Gym"),
        "streaming": template("12.99", "2026-10-20", "Entertainment", "Streaming", currency="USD"),
        "cleaner": template("25.00", "2026-11-03", "Housing", "Cleaner", interval_unit="week"),
        "storage": template("500.00", "2026-09-05", "Other", "Storage"),
    }
    recurring.skip_occurrence(user=user, recurring_id=ids["cleaner"], date="2026-12-22", today=TODAY)
    recurring.pause_recurring(user=user, recurring_id=ids["storage"], today=dt.date(2026, 9, 1))
    recurring.post_due(user=user, today=TODAY)
    for day, amount, category in (
        ("2026-11-03", "100.00", "Food"),
        ("2026-11-14", "150.00", "Food"),
        ("2026-11-28", "60.00", "Food"),
        ("2026-11-20", "90.00", "Transport"),
        ("2026-12-01", "18.50", "Food"),
    ):
        factories.create_expense(user, amount=amount, date=day, category=category, description="Variable")
    factories.create_expense(user, amount="15000.00", currency="ARS", date="2026-11-10", description="Taxi")
    ids["overall_budget"] = budgets.create_budget(
        user=user, category_id=None, amount="2200.00", effective_from="2026-11", today=TODAY
    ).id
    ids["food_budget"] = budgets.create_budget(
        user=user,
        category_id=factories.category_id(user, "Food"),
        amount="300.00",
        effective_from="2026-11",
        today=TODAY,
    ).id
    return ids
