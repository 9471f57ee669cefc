"""Recurring expenses: the history bounds (start dates, posts per run, templates per user) and a
posting run that survives the database refusing an occurrence (no HTTP)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, RecurringExpense, RecurringOccurrence, User
from expense_app.services import accounts, recurring
from expense_app.services.unit_of_work import transaction
from tests.services.conftest import category_id_of

d = dt.date
TODAY = d(2026, 12, 1)


@pytest.fixture
def housing(ctx, user) -> int:
    return category_id_of(user, "Housing")


def make(owner: User, **fields) -> recurring.RecurringSummary:
    values = {
        "amount": "10.00",
        "category_id": category_id_of(owner, "Housing"),
        "start_date": d(2026, 1, 1),
        "interval_unit": "day",
        **fields,
    }
    return recurring.create_recurring(user=owner, today=TODAY, **values)


def insert_legacy(owner: User, **fields) -> int:
    """A template stored before the bounds existed (the service would refuse its start date)."""
    values = {
        "user_id": owner.id,
        "category_id": category_id_of(owner, "Housing"),
        "amount": "1.00",
        "currency": "USD",
        "start_date": d(1900, 1, 1),
        "interval_unit": "day",
        **fields,
    }
    with transaction() as session:
        return session.execute(sa.insert(RecurringExpense).values(**values).returning(RecurringExpense.id)).scalar_one()


def count(model, *conditions) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*conditions))


# --- start dates ---------------------------------------------------------------------------------


def test_a_start_date_more_than_five_years_back_is_refused(ctx, user, housing):
    with pytest.raises(ValidationFailed) as error:
        make(user, start_date=d(2021, 11, 30))
    assert error.value.errors == {
        "start_date": [
            "Must be on or after 2021-12-01: a recurring expense can start at most 5 years ago "
            "(add older expenses one by one)."
        ]
    }
    assert make(user, start_date=d(2021, 12, 1)).start_date == d(2021, 12, 1)
    with pytest.raises(ValidationFailed) as error:
        make(user, start_date=d(1900, 1, 1))
    assert "at most 5 years ago" in error.value.errors["start_date"][0]
    with pytest.raises(ValidationFailed) as error:
        make(user, start_date=d(2027, 12, 2))  # one year ahead is the latest, as for an expense
    assert error.value.errors == {"start_date": ["Must be between 2021-12-01 and 2027-12-01."]}
    assert count(RecurringExpense) == 1


def test_an_older_template_keeps_its_start_date_when_edited(ctx, user, housing):
    legacy = insert_legacy(user, start_date=d(2019, 5, 1), interval_unit="month")
    # The edit form sends the unchanged start date back: accepted.
    updated = recurring.update_recurring(
        user=user, recurring_id=legacy, start_date="2019-05-01", amount="2.00", today=TODAY
    )
    assert (updated.start_date, str(updated.amount)) == (d(2019, 5, 1), "2.00")
    # Moving it to another date that far back is refused.
    with pytest.raises(ValidationFailed) as error:
        recurring.update_recurring(user=user, recurring_id=legacy, start_date="2019-06-01", today=TODAY)
    assert "at most 5 years ago" in error.value.errors["start_date"][0]


# --- occurrences posted per run ------------------------------------------------------------------


def test_one_run_posts_at_most_1000_occurrences_of_a_template_and_says_more_remain(app, ctx, user, housing):
    # A daily template from 1900 (stored before the bounds) once made one run create 46,746 expenses.
    insert_legacy(user)
    result = app.test_cli_runner().invoke(args=["recurring", "post", "--today", "2026-12-01"])
    assert result.exit_code == 0, result.output
    assert "Created 1000 recurring expenses" in result.output
    assert (
        "More remain: 1 recurring expense has more than 1000 due occurrences; this run posted the oldest 1000 "
        "of each. Run `flask recurring post` again to continue."
    ) in result.output
    db.session.expire_all()
    dates = db.session.scalars(sa.select(Expense.date).order_by(Expense.date)).all()
    assert len(dates) == 1000 and dates[0] == d(1900, 1, 1) and dates[-1] == d(1900, 1, 1) + dt.timedelta(days=999)


def test_the_next_run_continues_where_the_last_one_stopped(app, ctx, user, housing, monkeypatch):
    monkeypatch.setattr(recurring, "MAX_POSTS_PER_RUN", 2)
    make(user, interval_unit="week", start_date=d(2026, 11, 1))  # Nov 1, 8, 15, 22, 29
    runner = app.test_cli_runner()
    outputs = [runner.invoke(args=["recurring", "post", "--today", "2026-12-01"]).output for _ in range(4)]
    assert [output.splitlines()[0] for output in outputs] == [
        "Created 2 recurring expenses",
        "Created 2 recurring expenses",
        "Created 1 recurring expense",
        "Created 0 recurring expenses",
    ]
    assert ["More remain" in output for output in outputs] == [True, True, False, False]
    db.session.expire_all()
    dates = db.session.scalars(sa.select(Expense.date).order_by(Expense.date)).all()
    assert dates == [d(2026, 11, 1), d(2026, 11, 8), d(2026, 11, 15), d(2026, 11, 22), d(2026, 11, 29)]


# --- templates per user --------------------------------------------------------------------------


def test_a_user_holds_at_most_200_templates(ctx, user, other_user, housing):
    for _ in range(recurring.MAX_TEMPLATES_PER_USER - 1):
        insert_legacy(user, start_date=d(2026, 1, 1), interval_unit="month")
    last = make(user, interval_unit="month")  # the 200th
    with pytest.raises(Conflict) as error:
        make(user)
    assert error.value.message == (
        "You have 200 recurring expenses, the most one account can hold (the parts of a changed one count too); "
        "delete one you no longer need first."
    )
    # A split adds a template too.
    with pytest.raises(Conflict):
        recurring.update_recurring(user=user, recurring_id=last.id, apply_from="2026-06-01", amount="11.00")
    assert count(RecurringExpense, RecurringExpense.user_id == user.id) == 200
    assert recurring.get_recurring(user=user, recurring_id=last.id).end_date is None
    # Another user is not affected, and deleting one frees a place.
    make(other_user)
    recurring.delete_recurring(user=user, recurring_id=last.id)
    make(user)
    assert count(RecurringExpense, RecurringExpense.user_id == user.id) == 200


# --- robustness of a posting run -----------------------------------------------------------------


def test_a_template_whose_owner_is_deleted_mid_run_is_passed_over(ctx, user, other_user, monkeypatch):
    make(user)
    make(other_user, amount="3.00")
    real = recurring._posted_dates
    victim = other_user.id

    def delete_the_owner_first(snapshot):
        # The account is deleted (and committed) after the run listed the templates.
        owner = db.session.get(User, victim)
        if owner is not None:
            accounts.delete_account(user=owner)
        return real(snapshot)

    monkeypatch.setattr(recurring, "_posted_dates", delete_the_owner_first)
    report = recurring.post_all_due(today=d(2026, 1, 3))
    assert (report.created, report.refused) == (3, 0)  # the user's Jan 1-3; nothing of the deleted one
    assert count(Expense, Expense.user_id == user.id) == 3
    assert count(Expense, Expense.user_id == victim) == 0


def test_an_integrity_error_while_posting_does_not_stop_the_run(app, ctx, user, other_user, monkeypatch):
    first = make(other_user, amount="3.00")
    make(user)
    real = recurring._new_expense

    def owner_deleted_meanwhile(template, day):
        # Inside the occurrence's transaction the owner's row disappears (as if a concurrent
        # account deletion won the race): the expense's foreign key is refused.
        if template.id == first.id and day == d(2026, 1, 2):
            db.session.execute(sa.delete(User).where(User.id == template.user_id))
        return real(template, day)

    monkeypatch.setattr(recurring, "_new_expense", owner_deleted_meanwhile)
    result = app.test_cli_runner().invoke(args=["recurring", "post", "--today", "2026-01-03"])
    assert result.exit_code == 0, result.output
    assert "Created 5 recurring expenses" in result.output  # 3 of the user, Jan 1 and 3 of the other
    assert "1 due occurrence was not posted" in result.output
    db.session.expire_all()
    assert count(Expense, Expense.user_id == user.id) == 3
    # The refused occurrence was rolled back whole: no expense, no ledger row, the owner is still there.
    assert db.session.get(User, other_user.id) is not None
    ledger = db.session.scalars(
        sa.select(RecurringOccurrence.occurrence_date).where(RecurringOccurrence.recurring_id == first.id)
    ).all()
    assert sorted(ledger) == [d(2026, 1, 1), d(2026, 1, 3)]
    # The next run posts it.
    monkeypatch.setattr(recurring, "_new_expense", real)
    assert recurring.post_due(user=other_user, today=d(2026, 1, 3)) == 1


def test_a_refused_resume_changes_nothing(ctx, user, monkeypatch):
    created = make(user, interval_unit="week", start_date=d(2026, 1, 5))
    recurring.pause_recurring(user=user, recurring_id=created.id, today=d(2026, 1, 6))
    recurring.skip_occurrence(user=user, recurring_id=created.id, date="2026-01-12", today=d(2026, 1, 6))
    # Resume reads the ledger as empty (a concurrent skip it did not see): its insert is refused.
    monkeypatch.setattr(recurring, "_ledger_dates", lambda ids, since=None: {created.id: set()})
    with pytest.raises(Conflict):
        recurring.resume_recurring(user=user, recurring_id=created.id, today=d(2026, 1, 27))
    monkeypatch.undo()
    db.session.expire_all()
    template = db.session.get(RecurringExpense, created.id)
    assert (template.paused, template.paused_at) == (True, d(2026, 1, 6))
    assert count(RecurringOccurrence) == 1
    resumed = recurring.resume_recurring(user=user, recurring_id=created.id, today=d(2026, 1, 27))
    assert resumed.state == "active"
    assert count(RecurringOccurrence, RecurringOccurrence.status == "skipped") == 3  # Jan 12, 19, 26
