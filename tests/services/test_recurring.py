"""Recurring expenses service: schedules, pause/skip/split, monthly cost, idempotent posting (no HTTP)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, RecurringExpense, RecurringOccurrence
from expense_app.services import categories, expenses, recurring
from expense_app.services.recurring import Schedule, monthly_equivalent
from expense_app.services.unit_of_work import transaction
from tests.services.conftest import category_id_of

D = Decimal
d = dt.date


# --- pure schedule arithmetic ------------------------------------------------------------------------


def test_monthly_rent_from_january_31_snaps_to_month_ends_and_back():
    rent = Schedule(start_date=d(2027, 1, 31))
    assert list(rent.dates(until=d(2027, 6, 30))) == [
        d(2027, 1, 31), d(2027, 2, 28), d(2027, 3, 31), d(2027, 4, 30), d(2027, 5, 31), d(2027, 6, 30),
    ]  # fmt: skip


def test_monthly_rent_falls_on_february_29_in_a_leap_year():
    rent = Schedule(start_date=d(2028, 1, 31))
    assert list(rent.dates(until=d(2028, 3, 31))) == [d(2028, 1, 31), d(2028, 2, 29), d(2028, 3, 31)]


def test_monthly_across_a_year_end_and_on_the_30th():
    schedule = Schedule(start_date=d(2026, 11, 30))
    assert list(schedule.dates(until=d(2027, 3, 31))) == [
        d(2026, 11, 30), d(2026, 12, 30), d(2027, 1, 30), d(2027, 2, 28), d(2027, 3, 30),
    ]  # fmt: skip


def test_yearly_on_february_29():
    schedule = Schedule(start_date=d(2028, 2, 29), interval_unit="year")
    assert list(schedule.dates(until=d(2032, 12, 31))) == [
        d(2028, 2, 29), d(2029, 2, 28), d(2030, 2, 28), d(2031, 2, 28), d(2032, 2, 29),
    ]  # fmt: skip


def test_every_n_days_weeks_months_years():
    assert list(Schedule(start_date=d(2028, 2, 27), interval_unit="day", interval_count=1).dates(until=d(2028, 3, 1))) == [
        d(2028, 2, 27), d(2028, 2, 28), d(2028, 2, 29), d(2028, 3, 1),
    ]  # fmt: skip
    assert list(Schedule(start_date=d(2026, 12, 28), interval_unit="day", interval_count=3).dates(until=d(2027, 1, 6))) == [
        d(2026, 12, 28), d(2026, 12, 31), d(2027, 1, 3), d(2027, 1, 6),
    ]  # fmt: skip
    assert list(Schedule(start_date=d(2026, 12, 21), interval_unit="week", interval_count=2).dates(until=d(2027, 2, 1))) == [
        d(2026, 12, 21), d(2027, 1, 4), d(2027, 1, 18), d(2027, 2, 1),
    ]  # fmt: skip
    assert list(Schedule(start_date=d(2026, 8, 31), interval_unit="month", interval_count=3).dates(until=d(2027, 9, 1))) == [
        d(2026, 8, 31), d(2026, 11, 30), d(2027, 2, 28), d(2027, 5, 31), d(2027, 8, 31),
    ]  # fmt: skip
    assert list(Schedule(start_date=d(2026, 3, 15), interval_unit="year", interval_count=2).dates(until=d(2031, 1, 1))) == [
        d(2026, 3, 15), d(2028, 3, 15), d(2030, 3, 15),
    ]  # fmt: skip


def test_dst_changes_do_not_move_dates():
    # Europe and the US change clocks in late March / early November: plain dates do not care.
    weekly = Schedule(start_date=d(2027, 3, 7), interval_unit="week")
    assert list(weekly.dates(until=d(2027, 4, 4))) == [
        d(2027, 3, 7),
        d(2027, 3, 14),
        d(2027, 3, 21),
        d(2027, 3, 28),
        d(2027, 4, 4),
    ]


def test_end_date_and_count_stop_the_schedule():
    by_date = Schedule(start_date=d(2027, 1, 31), end_date=d(2027, 4, 29))
    assert list(by_date.dates()) == [d(2027, 1, 31), d(2027, 2, 28), d(2027, 3, 31)]
    by_count = Schedule(start_date=d(2027, 1, 31), max_occurrences=3)
    assert list(by_count.dates()) == [d(2027, 1, 31), d(2027, 2, 28), d(2027, 3, 31)]
    # The count is of occurrences from the start, also when looking from a later date.
    assert list(by_count.dates(since=d(2027, 3, 1))) == [d(2027, 3, 31)]


def test_searching_from_a_later_date_gives_the_same_dates():
    schedule = Schedule(start_date=d(2020, 1, 31))
    everything = list(schedule.dates(until=d(2030, 12, 31)))
    for since in (d(2024, 2, 1), d(2024, 2, 29), d(2024, 3, 1), d(2029, 12, 31)):
        assert list(schedule.dates(since=since, until=d(2030, 12, 31))) == [day for day in everything if day >= since]


def test_applies_from_keeps_the_anchor():
    later_half = Schedule(start_date=d(2027, 1, 31), applies_from=d(2027, 3, 15))
    assert list(later_half.dates(until=d(2027, 5, 31))) == [d(2027, 3, 31), d(2027, 4, 30), d(2027, 5, 31)]


@pytest.mark.parametrize(
    ("amount", "unit", "count", "monthly"),
    [
        ("10.00", "week", 1, "43.33"),  # 10 * 52 / 12 = 43.333
        ("1.00", "day", 1, "30.42"),  # 365 / 12 = 30.4166
        ("1200.00", "month", 1, "1200.00"),
        ("90.00", "month", 3, "30.00"),
        ("120.00", "year", 1, "10.00"),
        ("15.00", "week", 2, "32.50"),  # 15 * 26 / 12
        ("0.05", "year", 1, "0.00"),  # 0.004166 rounds to 0.00
        ("0.06", "year", 1, "0.01"),  # 0.005 rounds half up
    ],
)
def test_monthly_equivalent_rule(amount, unit, count, monthly):
    assert monthly_equivalent(D(amount), unit, count) == D(monthly)


# --- service -----------------------------------------------------------------------------------------


@pytest.fixture
def make(ctx, user, food):
    """Create a template for `user` (defaults: 1200.00 rent, monthly from 2027-01-31)."""

    def create(owner=None, **fields):
        owner = owner or user
        values = {
            "amount": "1200.00",
            "category_id": category_id_of(owner, "Housing"),
            "start_date": d(2026, 1, 31),
            "description": "Rent",
            **fields,
        }
        return recurring.create_recurring(user=owner, today=d(2026, 1, 1), **values)

    return create


def posted(user_id: int) -> list[tuple[dt.date, str]]:
    rows = db.session.execute(
        sa.select(Expense.date, Expense.amount).where(Expense.user_id == user_id).order_by(Expense.date, Expense.id)
    )
    return [(day, str(amount)) for day, amount in rows]


def test_create_holds_every_expense_field(make, user):
    created = make(
        amount="15.99",
        category_id=category_id_of(user, "Entertainment"),
        description="  Streaming ",
        payment_method="credit_card",
        currency="eur",
        tags=["Subscriptions", "tv"],
        notes="family plan",
        start_date=d(2026, 2, 10),
        interval_unit="month",
    )
    assert (created.amount, created.currency, created.description, created.payment_method, created.notes) == (
        D("15.99"), "EUR", "Streaming", "credit_card", "family plan",
    )  # fmt: skip
    assert [tag.name for tag in created.tags] == ["subscriptions", "tv"]
    assert created.next_date == d(2026, 2, 10)
    assert created.monthly_amount == D("15.99") and created.state == "active"


def test_post_due_creates_every_due_expense_once(make, user):
    make(tags=["home"])
    assert recurring.post_due(user=user, today=d(2026, 4, 29)) == 3
    assert posted(user.id) == [(d(2026, 1, 31), "1200.00"), (d(2026, 2, 28), "1200.00"), (d(2026, 3, 31), "1200.00")]
    # Idempotent: the same day again, and a later day, add only what is new.
    assert recurring.post_due(user=user, today=d(2026, 4, 29)) == 0
    assert recurring.post_due(user=user, today=d(2026, 4, 30)) == 1
    assert len(posted(user.id)) == 4
    expense = expenses.list_expenses(user=user, sort="date").items[0]
    assert expense.description == "Rent" and [tag.name for tag in expense.tags] == ["home"]
    assert expense.category.name == "Housing"
    ledger = db.session.execute(
        sa.select(RecurringOccurrence.occurrence_date, RecurringOccurrence.status, RecurringOccurrence.expense_id)
    ).all()
    assert len(ledger) == 4 and all(status == "posted" and expense_id for _, status, expense_id in ledger)


def test_post_all_due_covers_every_user_and_only_running_templates(make, user, other_user):
    make()
    make(owner=other_user, amount="5.00", interval_unit="week", start_date=d(2026, 3, 1))
    paused = make(amount="9.00", description="Gym")
    recurring.pause_recurring(user=user, recurring_id=paused.id, today=d(2026, 1, 1))
    assert recurring.post_all_due(today=d(2026, 3, 15)).created == 2 + 3  # Jan 31, Feb 28; Mar 1, 8, 15
    assert {amount for _, amount in posted(user.id)} == {"1200.00"}


def test_a_deleted_posted_expense_is_not_posted_again(make, user):
    make()
    recurring.post_due(user=user, today=d(2026, 1, 31))
    expenses.delete_expense(user=user, expense_id=expenses.list_expenses(user=user).items[0].id)
    assert recurring.post_due(user=user, today=d(2026, 2, 1)) == 0
    assert posted(user.id) == []


def test_the_ledger_refuses_a_duplicate_occurrence(make, user):
    created = make()
    # No service check in the way: only the UNIQUE constraint can refuse it (Conflict = IntegrityError).
    with pytest.raises(Conflict), transaction() as session:
        session.add_all(
            [
                RecurringOccurrence(recurring_id=created.id, occurrence_date=d(2026, 1, 31), status="skipped"),
                RecurringOccurrence(recurring_id=created.id, occurrence_date=d(2026, 1, 31), status="posted"),
            ]
        )


def test_posting_relies_on_the_database_when_two_runs_read_the_same_state(make, user, monkeypatch):
    # Simulate a run that read the ledger before another run wrote to it: the code's own check
    # sees nothing posted, so only the unique constraint can stop the second insert.
    make()
    assert recurring.post_due(user=user, today=d(2026, 3, 31)) == 3
    monkeypatch.setattr(recurring, "_posted_dates", lambda snapshot: set())
    assert recurring.post_due(user=user, today=d(2026, 4, 30)) == 1
    assert [day for day, _ in posted(user.id)] == [d(2026, 1, 31), d(2026, 2, 28), d(2026, 3, 31), d(2026, 4, 30)]


@pytest.mark.postgres
def test_concurrent_posting_creates_each_occurrence_exactly_once(app, make, user, monkeypatch):
    # PostgreSQL only: SQLite serialises writers, so there is no race to lose.
    make(amount="3.00", interval_unit="day", start_date=d(2026, 1, 1))
    make(amount="50.00", interval_unit="week", start_date=d(2026, 1, 1))
    # Both runs read "nothing posted" before either writes, then insert the same occurrences.
    monkeypatch.setattr(recurring, "_posted_dates", lambda snapshot: set())
    barrier = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                results.append(recurring.post_all_due(today=d(2026, 3, 31)).created)
                db.session.remove()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # 1 Jan - 31 Mar 2026: 90 daily occurrences and 13 weekly ones (Jan 1 ... Mar 26).
    assert sum(results) == 90 + 13
    db.session.expire_all()
    rows = posted(user.id)
    assert len(rows) == 103 and len(set(rows)) == 103
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecurringOccurrence)) == 103


def test_pause_stops_posting_and_resume_skips_what_fell_in_the_pause(make, user):
    created = make(amount="10.00", interval_unit="week", start_date=d(2026, 1, 5))
    recurring.post_due(user=user, today=d(2026, 1, 12))  # Jan 5, 12
    paused = recurring.pause_recurring(user=user, recurring_id=created.id, today=d(2026, 1, 13))
    assert paused.state == "paused" and paused.next_date is None
    assert recurring.post_due(user=user, today=d(2026, 2, 1)) == 0
    assert recurring.upcoming(user=user, days=30, today=d(2026, 1, 13)) == []
    resumed = recurring.resume_recurring(user=user, recurring_id=created.id, today=d(2026, 2, 2))
    assert resumed.state == "active" and resumed.next_date == d(2026, 2, 2)
    # Jan 19 and 26 were skipped by the pause; Feb 2 (the resume day) posts.
    assert recurring.post_due(user=user, today=d(2026, 2, 2)) == 1
    assert [day for day, _ in posted(user.id)] == [d(2026, 1, 5), d(2026, 1, 12), d(2026, 2, 2)]
    skipped = db.session.scalars(
        sa.select(RecurringOccurrence.occurrence_date).where(RecurringOccurrence.status == "skipped")
    ).all()
    assert sorted(skipped) == [d(2026, 1, 19), d(2026, 1, 26)]


def test_skip_one_occurrence(make, user):
    created = make()
    summary = recurring.skip_occurrence(user=user, recurring_id=created.id, date="2026-02-28", today=d(2026, 2, 1))
    assert summary.next_date == d(2026, 3, 31)
    # Skipping twice is harmless.
    recurring.skip_occurrence(user=user, recurring_id=created.id, date=d(2026, 2, 28), today=d(2026, 2, 1))
    upcoming = recurring.upcoming(user=user, days=60, today=d(2026, 2, 1))
    assert [item.date for item in upcoming] == [d(2026, 3, 31)]
    assert recurring.post_due(user=user, today=d(2026, 3, 31)) == 2
    assert [day for day, _ in posted(user.id)] == [d(2026, 1, 31), d(2026, 3, 31)]


def test_skip_refuses_a_date_off_the_schedule_or_already_posted(make, user):
    created = make()
    with pytest.raises(ValidationFailed) as error:
        recurring.skip_occurrence(user=user, recurring_id=created.id, date="2026-02-27")
    assert error.value.errors["date"] == [
        "2026-02-27 is not an occurrence of this schedule. The next one is 2026-02-28."
    ]
    recurring.post_due(user=user, today=d(2026, 1, 31))
    with pytest.raises(Conflict):
        recurring.skip_occurrence(user=user, recurring_id=created.id, date="2026-01-31")


def test_split_this_and_future_keeps_the_past_and_the_anchor(make, user):
    created = make()
    recurring.post_due(user=user, today=d(2026, 3, 31))  # Jan 31, Feb 28, Mar 31 at 1200
    successor = recurring.update_recurring(
        user=user, recurring_id=created.id, apply_from="2026-04-15", amount="1250.00", today=d(2026, 4, 1)
    )
    assert successor.id != created.id
    assert successor.amount == D("1250.00") and successor.next_date == d(2026, 4, 30)
    assert successor.start_date == d(2026, 1, 31) and successor.applies_from == d(2026, 4, 15)
    old = recurring.get_recurring(user=user, recurring_id=created.id, today=d(2026, 4, 1))
    assert old.end_date == d(2026, 4, 14) and old.amount == D("1200.00") and old.state == "ended"
    recurring.post_due(user=user, today=d(2026, 6, 30))
    assert posted(user.id) == [
        (d(2026, 1, 31), "1200.00"), (d(2026, 2, 28), "1200.00"), (d(2026, 3, 31), "1200.00"),
        (d(2026, 4, 30), "1250.00"), (d(2026, 5, 31), "1250.00"), (d(2026, 6, 30), "1250.00"),
    ]  # fmt: skip


def test_split_on_an_already_posted_occurrence_does_not_post_it_twice(make, user):
    created = make()
    recurring.post_due(user=user, today=d(2026, 3, 31))
    recurring.update_recurring(user=user, recurring_id=created.id, apply_from="2026-03-31", amount="1300.00")
    assert recurring.post_due(user=user, today=d(2026, 4, 30)) == 1
    assert posted(user.id)[-2:] == [(d(2026, 3, 31), "1200.00"), (d(2026, 4, 30), "1300.00")]


def test_split_with_a_new_schedule(make, user):
    created = make()
    successor = recurring.update_recurring(
        user=user, recurring_id=created.id, apply_from="2026-03-01", start_date="2026-03-15", interval_unit="week",
        interval_count=2,
    )  # fmt: skip
    assert successor.next_date is not None
    recurring.post_due(user=user, today=d(2026, 4, 15))
    assert [day for day, _ in posted(user.id)] == [
        d(2026, 1, 31),
        d(2026, 2, 28),
        d(2026, 3, 15),
        d(2026, 3, 29),
        d(2026, 4, 12),
    ]


def test_apply_from_on_the_first_occurrence_edits_the_whole_template(make, user):
    created = make()
    updated = recurring.update_recurring(user=user, recurring_id=created.id, apply_from="2026-01-31", amount="999.00")
    assert updated.id == created.id and updated.amount == D("999.00")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecurringExpense)) == 1


def test_apply_from_after_the_last_occurrence_is_refused(make, user):
    created = make(max_occurrences=2)
    with pytest.raises(ValidationFailed) as error:
        recurring.update_recurring(user=user, recurring_id=created.id, apply_from="2026-03-01", amount="1.00")
    assert "apply_from" in error.value.errors


def test_edit_all_occurrences(make, user):
    created = make()
    updated = recurring.update_recurring(
        user=user, recurring_id=created.id, amount="1100", description="New rent", tags=["flat"], today=d(2026, 1, 1)
    )
    assert (updated.amount, updated.description, [t.name for t in updated.tags]) == (D("1100.00"), "New rent", ["flat"])
    cleared = recurring.update_recurring(user=user, recurring_id=created.id, max_occurrences=3, today=d(2026, 1, 1))
    assert cleared.max_occurrences == 3
    unlimited = recurring.update_recurring(user=user, recurring_id=created.id, max_occurrences="", today=d(2026, 1, 1))
    assert unlimited.max_occurrences is None


def test_count_and_end_date_end_the_template(make, user):
    by_count = make(max_occurrences=2)
    by_date = make(end_date=d(2026, 2, 28), description="Parking")
    assert recurring.post_due(user=user, today=d(2026, 12, 31)) == 4
    states = {item.id: item.state for item in recurring.list_recurring(user=user, today=d(2026, 12, 31))}
    assert states == {by_count.id: "ended", by_date.id: "ended"}


def test_upcoming_lists_the_next_days_in_order(make, user):
    make()  # rent on month ends
    make(amount="10.00", description="Cleaner", interval_unit="week", start_date=d(2026, 1, 28))
    items = recurring.upcoming(user=user, days=14, today=d(2026, 1, 25))  # 25 Jan - 7 Feb
    assert [(item.date, item.description) for item in items] == [
        (d(2026, 1, 28), "Cleaner"), (d(2026, 1, 31), "Rent"), (d(2026, 2, 4), "Cleaner"),
    ]  # fmt: skip
    with pytest.raises(ValidationFailed):
        recurring.upcoming(user=user, days=0)
    with pytest.raises(ValidationFailed):
        recurring.upcoming(user=user, days=367)


def test_cost_summary_counts_active_templates_per_currency(make, user):
    make()  # 1200.00 monthly
    make(amount="10.00", interval_unit="week", description="Cleaner")  # 43.33
    make(amount="120.00", interval_unit="year", currency="EUR", description="Insurance")  # 10.00 EUR
    paused = make(amount="50.00", description="Gym")
    recurring.pause_recurring(user=user, recurring_id=paused.id)
    make(amount="70.00", end_date=d(2026, 3, 1), description="Old")  # ended by "today"
    summary = recurring.cost_summary(user=user, today=d(2026, 6, 1))
    assert [(item.description, str(item.monthly_amount)) for item in summary.items] == [
        ("Rent", "1200.00"), ("Cleaner", "43.33"), ("Insurance", "10.00"),
    ]  # fmt: skip
    assert [(total.currency, str(total.monthly_amount)) for total in summary.totals] == [
        ("USD", "1243.33"), ("EUR", "10.00"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"category_id": 999999}, "category_id"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": ""}, "start_date"),
        ({"interval_unit": "fortnight"}, "interval_unit"),
        ({"interval_count": 0}, "interval_count"),
        ({"interval_count": 1001}, "interval_count"),
        ({"end_date": "2025-12-31"}, "end_date"),
        ({"max_occurrences": 0}, "max_occurrences"),
        ({"max_occurrences": 3, "end_date": "2026-12-31"}, "max_occurrences"),
        ({"payment_method": "gold"}, "payment_method"),
        ({"currency": "XXXX"}, "currency"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"description": "x" * 256}, "description"),
    ],
)
def test_create_refuses_broken_rules(make, fields, field):
    with pytest.raises(ValidationFailed) as error:
        make(**fields)
    assert field in error.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecurringExpense)) == 0


def test_other_users_templates_are_not_found(make, user, other_user):
    created = make()
    calls = [
        lambda: recurring.get_recurring(user=other_user, recurring_id=created.id),
        lambda: recurring.update_recurring(user=other_user, recurring_id=created.id, amount="1"),
        lambda: recurring.update_recurring(user=other_user, recurring_id=created.id, apply_from="2026-05-01"),
        lambda: recurring.pause_recurring(user=other_user, recurring_id=created.id),
        lambda: recurring.resume_recurring(user=other_user, recurring_id=created.id),
        lambda: recurring.skip_occurrence(user=other_user, recurring_id=created.id, date="2026-02-28"),
        lambda: recurring.delete_recurring(user=other_user, recurring_id=created.id),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert recurring.list_recurring(user=other_user) == []
    assert recurring.post_due(user=other_user, today=d(2026, 12, 31)) == 0
    assert recurring.get_recurring(user=user, recurring_id=created.id).amount == D("1200.00")


def test_another_users_category_is_refused(other_user, make, user):
    # other_user first: the test session's read transaction (SQLite WAL) begins at `make`'s
    # category lookup and would not see a user committed after it.
    with pytest.raises(ValidationFailed) as error:
        make(category_id=category_id_of(other_user, "Housing"))
    assert error.value.errors == {"category_id": ["Choose one of your categories."]}


def test_delete_keeps_the_posted_expenses(make, user):
    created = make()
    recurring.post_due(user=user, today=d(2026, 2, 28))
    recurring.delete_recurring(user=user, recurring_id=created.id)
    assert len(posted(user.id)) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RecurringOccurrence)) == 0


def test_cli_posts_due_expenses_and_says_how_many(app, make, user):
    make()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["recurring", "post", "--today", "2026-03-31"])
    assert first.exit_code == 0, first.output
    assert "Created 3 recurring expenses" in first.output
    again = runner.invoke(args=["recurring", "post", "--today", "2026-03-31"])
    assert "Created 0 recurring expenses" in again.output
    assert len(posted(user.id)) == 3
    bad = runner.invoke(args=["recurring", "post", "--today", "31/03/2026"])
    assert bad.exit_code == 2


def test_a_category_with_recurring_expenses_is_not_deleted_under_them(make, user):
    # The foreign key has no cascade: deleting the category is refused rather than silently
    # dropping the rent. (The message is the categories service's generic conflict.)
    template = make(category_id=category_id_of(user, "Entertainment"))
    with pytest.raises(Conflict):
        categories.delete_category(user=user, category_id=category_id_of(user, "Entertainment"))
    assert recurring.get_recurring(user=user, recurring_id=template.id).category.name == "Entertainment"
