"""Recurring-expense pages: list with next date and monthly cost, upcoming, add/edit/split, pause,
resume, skip, delete with confirmation, CSRF and isolation between users."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Category, Expense, RecurringExpense, RecurringOccurrence, User
from expense_app.models.base import utcnow
from expense_app.services import recurring
from tests.conftest import count_rows, csrf_token_from


def today() -> dt.date:
    return utcnow().date()


def category_id(app, owner: User, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Category.id).where(Category.user_id == owner.id, Category.name == name))


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


@pytest.fixture
def make(app, user):
    """Create a template for `user` through the service (defaults: 1200.00 rent, monthly from 2026-01-31)."""

    def create(**fields) -> int:
        values = {
            "amount": "1200.00",
            "category_id": category_id(app, user, "Housing"),
            "start_date": "2026-01-31",
            "description": "Rent",
            **fields,
        }
        with app.app_context():
            return recurring.create_recurring(user=user, **values).id

    return create


def form_data(app, user, **fields) -> dict:
    return {
        "amount": "15.99",
        "category_id": str(category_id(app, user, "Entertainment")),
        "description": "Streaming",
        "start_date": today().isoformat(),
        "interval_count": "1",
        "interval_unit": "month",
        "end_date": "",
        "max_occurrences": "",
        "payment_method": "credit_card",
        "currency": "USD",
        "tags": "subscriptions, tv",
        "notes": "",
        **fields,
    }


def item_html(html: str, recurring_id: int) -> str:
    match = re.search(
        rf'<li class="list-group-item recurring-item" data-recurring-id="{recurring_id}".*?</li>', html, re.S
    )
    assert match, "no row for the template"
    return match.group(0)


def test_page_needs_login(client):
    assert client.get("/recurring").status_code == 302


def test_list_shows_next_date_monthly_cost_and_upcoming(logged_in, make):
    start = today()
    weekly = make(amount="10.00", interval_unit="week", start_date=start.isoformat(), description="Cleaner")
    response = logged_in.get("/recurring")
    assert response.status_code == 200
    row = item_html(response.text, weekly)
    assert f'data-next="{start.isoformat()}"' in row and 'data-monthly="43.33"' in row and "Every week" in row
    upcoming = re.findall(rf'data-date="([\d-]+)" data-recurring-id="{weekly}"', response.text)
    assert upcoming == [(start + dt.timedelta(days=7 * n)).isoformat() for n in range(5)]  # 30 days: 0, 7, ..., 28
    assert 'data-currency="USD" data-monthly="43.33"' in response.text


def test_empty_state(logged_in):
    assert 'id="empty-state"' in logged_in.get("/recurring").text


def test_add_a_recurring_expense(app, logged_in, user):
    form = logged_in.get("/recurring/new")
    assert form.status_code == 200 and f'value="{today().isoformat()}"' in form.text
    response = logged_in.post("/recurring/new", data=form_data(app, user))
    assert response.status_code == 302 and response.headers["Location"].endswith("/recurring")
    assert "Recurring expense Streaming ($15.99, every month) added." in logged_in.get("/recurring").text
    with app.app_context():
        template = db.session.scalar(sa.select(RecurringExpense).options(sa.orm.selectinload(RecurringExpense.tags)))
        assert (str(template.amount), template.payment_method, template.start_date) == ("15.99", "credit_card", today())
        assert sorted(tag.name for tag in template.tags) == ["subscriptions", "tv"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "0"}, "Must be greater than 0."),
        ({"amount": "1.234"}, "Must have at most 2 decimal places."),
        ({"start_date": "2026-02-30"}, "Must be a date such as 2026-11-26."),
        ({"interval_count": "0"}, "Must be between 1 and 1000."),
        ({"interval_count": "\u0663"}, "Must be a whole number between 1 and 1000."),
        ({"end_date": "1999-01-01"}, "Must be on or after the start date."),
        ({"end_date": "2099-01-01", "max_occurrences": "3"}, "Give an end date or a number of occurrences, not both."),
        ({"category_id": "999999"}, "Choose one of your categories."),
    ],
)
def test_add_with_a_broken_rule_is_422_with_the_message(app, logged_in, user, fields, message):
    response = logged_in.post("/recurring/new", data=form_data(app, user, **fields))
    assert response.status_code == 422
    assert message in response.text and "is-invalid" in response.text
    assert count_rows(app, RecurringExpense) == 0


def test_edit_every_occurrence(app, logged_in, user, make):
    template_id = make()
    form = logged_in.get(f"/recurring/{template_id}/edit")
    assert form.status_code == 200 and 'value="1200.00"' in form.text and 'value="2026-01-31"' in form.text
    data = form_data(app, user, amount="1100.00", category_id=str(category_id(app, user, "Housing")), scope="all")
    data.update(description="Rent", start_date="2026-01-31", apply_from="")
    response = logged_in.post(f"/recurring/{template_id}/edit", data=data)
    assert response.status_code == 302
    with app.app_context():
        assert [str(amount) for amount in db.session.scalars(sa.select(RecurringExpense.amount))] == ["1100.00"]


def test_edit_this_and_future_splits(app, logged_in, user, make):
    template_id = make()
    with app.app_context():
        recurring.post_due(user=user, today=dt.date(2026, 2, 28))
    data = form_data(app, user, amount="1250.00", category_id=str(category_id(app, user, "Housing")))
    data.update(description="Rent", start_date="2026-01-31", scope="future", apply_from="2026-03-01")
    response = logged_in.post(f"/recurring/{template_id}/edit", data=data)
    assert response.status_code == 302
    assert (
        "From Mar 1, 2026 on, Rent ($1,250.00, every month). Earlier dates are unchanged."
        in logged_in.get("/recurring").text
    )
    with app.app_context():
        rows = db.session.execute(
            sa.select(RecurringExpense.amount, RecurringExpense.end_date, RecurringExpense.applies_from).order_by(
                RecurringExpense.id
            )
        ).all()
        assert [(str(a), e, f) for a, e, f in rows] == [
            ("1200.00", dt.date(2026, 2, 28), None),
            ("1250.00", None, dt.date(2026, 3, 1)),
        ]
        recurring.post_due(user=user, today=dt.date(2026, 3, 31))
        posted = db.session.execute(sa.select(Expense.date, Expense.amount).order_by(Expense.date)).all()
        assert [(d.isoformat(), str(a)) for d, a in posted] == [
            ("2026-01-31", "1200.00"),
            ("2026-02-28", "1200.00"),
            ("2026-03-31", "1250.00"),
        ]


def test_this_and_future_needs_a_date(app, logged_in, user, make):
    template_id = make()
    data = form_data(app, user, scope="future", apply_from="")
    response = logged_in.post(f"/recurring/{template_id}/edit", data=data)
    assert response.status_code == 422 and "Choose the date the changes start from." in response.text
    assert count_rows(app, RecurringExpense) == 1


def test_pause_and_resume(app, logged_in, make):
    template_id = make(start_date=today().isoformat())
    response = logged_in.post(f"/recurring/{template_id}/pause")
    assert response.status_code == 302
    page = logged_in.get("/recurring").text
    assert 'data-state="paused"' in item_html(page, template_id) and "paused: nothing is posted" in page
    assert f'data-recurring-id="{template_id}"' not in page.split('id="upcoming-heading"')[1]
    logged_in.post(f"/recurring/{template_id}/resume")
    page = logged_in.get("/recurring").text
    assert 'data-state="active"' in item_html(page, template_id) and "resumed" in page


def test_skip_an_occurrence(app, logged_in, make):
    start = today()
    template_id = make(start_date=start.isoformat(), interval_unit="week")
    response = logged_in.post(f"/recurring/{template_id}/skip", data={"date": start.isoformat()})
    assert response.status_code == 302
    page = logged_in.get("/recurring").text
    assert f"on {start.isoformat()} will not be posted" in page
    assert f'data-next="{(start + dt.timedelta(days=7)).isoformat()}"' in item_html(page, template_id)
    with app.app_context():
        assert db.session.scalar(sa.select(RecurringOccurrence.status)) == "skipped"


def test_skip_refusals_are_shown(app, logged_in, user, make):
    template_id = make()
    off = logged_in.post(f"/recurring/{template_id}/skip", data={"date": "2026-02-27"})
    assert off.status_code == 422
    assert "2026-02-27 is not an occurrence of this schedule. The next one is 2026-02-28." in off.text
    with app.app_context():
        recurring.post_due(user=user, today=dt.date(2026, 1, 31))
    posted = logged_in.post(f"/recurring/{template_id}/skip", data={"date": "2026-01-31"})
    assert posted.status_code == 409 and "Already posted." in posted.text


def test_delete_asks_first_and_keeps_posted_expenses(app, logged_in, user, make):
    template_id = make()
    with app.app_context():
        recurring.post_due(user=user, today=dt.date(2026, 2, 28))
    confirm = logged_in.get(f"/recurring/{template_id}/delete")
    assert confirm.status_code == 200 and "Delete this recurring expense?" in confirm.text
    assert count_rows(app, RecurringExpense) == 1
    assert logged_in.post(f"/recurring/{template_id}/delete").status_code == 302
    assert count_rows(app, RecurringExpense) == 0 and count_rows(app, Expense) == 2


def test_another_user_gets_404_on_every_template_page(app, client, login, make_user, user, make):
    template_id = make()
    login(make_user(email="sam@example.com"))
    base = f"/recurring/{template_id}"
    attempts = [
        client.get(f"{base}/edit"),
        client.post(f"{base}/edit", data=form_data(app, user, scope="all")),
        client.post(f"{base}/edit", data=form_data(app, user, scope="future", apply_from="2026-05-01")),
        client.post(f"{base}/pause"),
        client.post(f"{base}/resume"),
        client.post(f"{base}/skip", data={"date": "2026-02-28"}),
        client.get(f"{base}/delete"),
        client.post(f"{base}/delete"),
    ]
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert f'data-recurring-id="{template_id}"' not in client.get("/recurring").text
    with app.app_context():
        template = db.session.get(RecurringExpense, template_id)
        assert (str(template.amount), template.paused) == ("1200.00", False)
        assert count_rows(app, RecurringOccurrence) == 0


def test_actions_need_the_csrf_token(app_factory, user, make):
    template_id = make()
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"email": user.email, "password": "correct horse battery", "csrf_token": token})
    page = client.get("/recurring").text
    refused = [
        client.post(f"/recurring/{template_id}/pause"),
        client.post(f"/recurring/{template_id}/skip", data={"date": "2026-02-28"}),
        client.post(f"/recurring/{template_id}/delete"),
        client.post("/recurring/new", data=form_data(app, user)),
    ]
    assert [response.status_code for response in refused] == [400, 400, 400, 400]
    with app.app_context():
        assert db.session.get(RecurringExpense, template_id).paused is False
    assert count_rows(app, RecurringExpense) == 1
    accepted = client.post(f"/recurring/{template_id}/pause", data={"csrf_token": csrf_token_from(page)})
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.get(RecurringExpense, template_id).paused is True


def test_a_start_date_more_than_five_years_back_is_422(app, logged_in, user):
    earliest = recurring.history_start(today())
    too_old = (earliest - dt.timedelta(days=1)).isoformat()
    response = logged_in.post("/recurring/new", data=form_data(app, user, start_date=too_old, interval_unit="day"))
    assert response.status_code == 422
    assert f"Must be on or after {earliest.isoformat()}: a recurring expense can start at most 5 years ago" in (
        response.text
    )
    assert count_rows(app, RecurringExpense) == 0


def test_a_template_beyond_the_cap_is_409_with_the_message(app, logged_in, user, make, monkeypatch):
    monkeypatch.setattr(recurring, "MAX_TEMPLATES_PER_USER", 1)
    make()
    response = logged_in.post("/recurring/new", data=form_data(app, user))
    assert (
        response.status_code == 409 and "You have 1 recurring expenses, the most one account can hold" in response.text
    )
    assert count_rows(app, RecurringExpense) == 1
