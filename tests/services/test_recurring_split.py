"""Splitting a recurring expense ("this and future"): one successor per template, held by the
database, and concurrent splits that post each date once."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, RecurringExpense
from expense_app.services import recurring
from expense_app.services.unit_of_work import transaction
from tests.conftest import bearer
from tests.services.conftest import category_id_of

d = dt.date


@pytest.fixture
def rent(ctx, user):
    """1200.00 monthly from 2026-01-31."""
    return recurring.create_recurring(
        user=user, amount="1200.00", category_id=category_id_of(user, "Housing"), start_date=d(2026, 1, 31)
    )


def templates() -> list[tuple[int, int | None, dt.date | None, dt.date | None, str]]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            RecurringExpense.id,
            RecurringExpense.split_from_id,
            RecurringExpense.applies_from,
            RecurringExpense.end_date,
            RecurringExpense.amount,
        ).order_by(RecurringExpense.id)
    )
    return [(id_, link, start, end, str(amount)) for id_, link, start, end, amount in rows]


def posted_dates(user) -> list[tuple[dt.date, str]]:
    rows = db.session.execute(
        sa.select(Expense.date, Expense.amount).where(Expense.user_id == user.id).order_by(Expense.date)
    )
    return [(day, str(amount)) for day, amount in rows]


def test_a_split_links_the_successor_to_its_template(rent, user):
    successor = recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-04-01", amount="1250")
    assert templates() == [
        (rent.id, None, None, d(2026, 3, 31), "1200.00"),
        (successor.id, rent.id, d(2026, 4, 1), None, "1250.00"),
    ]


def test_the_database_refuses_a_second_successor(rent, user):
    successor = recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-04-01", amount="1250")
    copy = db.session.get(RecurringExpense, successor.id)
    # No service check in the way: only the UNIQUE constraint can refuse it (Conflict = IntegrityError).
    with pytest.raises(Conflict), transaction() as session:
        session.add(
            RecurringExpense(
                user_id=user.id,
                category_id=copy.category_id,
                amount=copy.amount,
                currency="USD",
                start_date=copy.start_date,
                applies_from=d(2026, 4, 1),
                split_from_id=rent.id,
            )
        )


def test_splitting_again_from_the_same_date_names_the_successor(rent, user):
    recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-04-01", amount="1250")
    with pytest.raises(Conflict) as error:
        recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-04-01", amount="1300")
    assert "From 2026-04-01 on, this recurring expense continues as a changed one" in error.value.message
    assert len(templates()) == 2


def test_a_split_before_an_earlier_split_goes_between_them(rent, user):
    later = recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-06-01", amount="1300")
    middle = recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-03-01", amount="1250")
    assert templates() == [
        (rent.id, None, None, d(2026, 2, 28), "1200.00"),
        (later.id, middle.id, d(2026, 6, 1), None, "1300.00"),
        (middle.id, rent.id, d(2026, 3, 1), d(2026, 5, 31), "1250.00"),
    ]
    # The middle part cannot be stretched over the later one's dates.
    with pytest.raises(ValidationFailed) as error:
        recurring.update_recurring(user=user, recurring_id=middle.id, end_date="")
    assert error.value.errors == {
        "end_date": [
            "Must be before 2026-06-01: from that date on this recurring expense continues with its later changes."
        ]
    }
    recurring.post_due(user=user, today=d(2026, 7, 31))
    assert posted_dates(user) == [
        (d(2026, 1, 31), "1200.00"), (d(2026, 2, 28), "1200.00"), (d(2026, 3, 31), "1250.00"),
        (d(2026, 4, 30), "1250.00"), (d(2026, 5, 31), "1250.00"), (d(2026, 6, 30), "1300.00"),
        (d(2026, 7, 31), "1300.00"),
    ]  # fmt: skip


def test_deleting_the_earlier_half_keeps_the_later_one(rent, user):
    successor = recurring.update_recurring(user=user, recurring_id=rent.id, apply_from="2026-04-01", amount="1250")
    recurring.delete_recurring(user=user, recurring_id=rent.id)
    assert templates() == [(successor.id, None, d(2026, 4, 1), None, "1250.00")]


@pytest.mark.postgres
def test_twelve_concurrent_this_and_future_edits_make_one_successor(app, rent, user, api_login):
    # PostgreSQL: the requests really run at the same time (SQLite's BEGIN IMMEDIATE queues them).
    headers = bearer(api_login(user)["access_token"])
    rent_id = rent.id
    barrier = threading.Barrier(12)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def edit(amount: str) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            response = client.patch(
                f"/api/v1/recurring/{rent_id}", json={"apply_from": "2026-04-01", "amount": amount}, headers=headers
            )
            statuses.append(response.status_code)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=edit, args=(f"{1300 + n}.00",)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(statuses) == {200: 1, 409: 11}
    rows = templates()
    assert len(rows) == 2
    [(_, link, starts, ends, amount)] = [row for row in rows if row[0] != rent_id]
    assert (link, starts, ends) == (rent_id, d(2026, 4, 1), None)
    recurring.post_all_due(today=d(2026, 6, 30))
    dates = [day for day, _ in posted_dates(user)]
    assert dates == [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 30), d(2026, 5, 31), d(2026, 6, 30)]
    assert [value for day, value in posted_dates(user) if day >= d(2026, 4, 1)] == [amount] * 3
