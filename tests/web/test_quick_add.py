"""Quick add on the expense list: focus, field order, remembered choices, currency, long text, search.

The browser side (five expenses with the keyboard only, the phone layout) is tests/e2e/test_capture.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import CaptureDefaults, Expense, User
from expense_app.services import categories, expenses
from tests import factories
from tests.conftest import count_rows


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def cat(app, user, name="Food") -> str:
    with app.app_context():
        return str(factories.category_id(user, name))


def quick_fields(html: str) -> list[str]:
    """The quick-add's visible fields in page order."""
    form = html[html.index('id="quick-add"') : html.index("</form>", html.index('id="quick-add"'))]
    return re.findall(r'<(?:input|select)[^>]*\bname="(quick-[a-z_]+)"(?![^>]*type="hidden")', form)


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    option = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select.group(1))
    return next(value for value in option.groups() if value) if option else None


def post_quick(client, **fields):
    data = {f"quick-{key}": value for key, value in fields.items()}
    return client.post("/expenses", data=data)


def test_amount_comes_first_and_has_the_focus(logged_in):
    page = logged_in.get("/expenses")
    assert quick_fields(page.text) == [
        "quick-amount",
        "quick-description",
        "quick-category_id",
        "quick-payment_method",
        "quick-currency",
        "quick-date",
        "quick-submit",
    ]
    assert re.search(
        r'<input[^>]*autofocus[^>]*id="quick-amount"|<input[^>]*id="quick-amount"[^>]*autofocus', page.text
    )
    assert page.text.count("autofocus") == 1
    # The browser never cuts the text: the service reports a too-long one.
    assert "maxlength" not in page.text


def test_the_last_category_and_payment_method_are_remembered_per_user(app, logged_in, user, make_user):
    transport = cat(app, user, "Transport")
    first = logged_in.get("/expenses")
    assert selected(first.text, "quick-category_id") == cat(app, user, "Entertainment")  # the first by name
    assert selected(first.text, "quick-payment_method") == "other"
    assert selected(first.text, "quick-currency") == "USD"
    response = post_quick(
        logged_in,
        amount="7.20",
        date="2026-03-02",
        category_id=transport,
        payment_method="debit_card",
        description="Bus",
    )
    assert response.status_code == 302
    page = logged_in.get(response.headers["Location"])
    assert "Expense of $7.20 on Mar 2, 2026 added." in page.text
    assert selected(page.text, "quick-category_id") == transport
    assert selected(page.text, "quick-payment_method") == "debit_card"
    assert re.search(r'id="quick-amount"[^>]*autofocus|autofocus[^>]*id="quick-amount"', page.text)
    with app.app_context():
        stored = db.session.get(CaptureDefaults, user.id)
        assert (str(stored.category_id), stored.payment_method) == (transport, "debit_card")
        other = db.session.get(User, make_user(email="someone@example.com").id)
        assert db.session.get(CaptureDefaults, other.id) is None


def test_a_refused_expense_remembers_nothing(app, logged_in, user):
    response = post_quick(logged_in, amount="0", date="2026-03-02", category_id=cat(app, user, "Health"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(CaptureDefaults, user.id) is None
    assert count_rows(app, Expense) == 0


def test_a_deleted_remembered_category_falls_back_to_the_first(app, logged_in, user):
    with app.app_context():
        spare = factories.create_category(user, name="Aardvark care")
    post_quick(logged_in, amount="3.00", date="2026-03-02", category_id=str(spare), payment_method="cash")
    page = logged_in.get("/expenses")
    assert selected(page.text, "quick-category_id") == str(spare)
    with app.app_context():
        owner = db.session.get(User, user.id)
        expense_id = db.session.scalar(sa.select(Expense.id).where(Expense.category_id == spare))
        expenses.delete_expense(user=owner, expense_id=expense_id)
        categories.delete_category(user=owner, category_id=spare)
    page = logged_in.get("/expenses")
    assert selected(page.text, "quick-category_id") == cat(app, user, "Entertainment")
    assert selected(page.text, "quick-payment_method") == "cash"


def test_another_currency_and_the_local_amount(app, client, login, make_user):
    german = make_user(email="jana@example.com", currency="EUR", locale="de_DE")
    login(german)
    page = client.get("/expenses")
    assert selected(page.text, "quick-currency") == "EUR"
    response = post_quick(
        client, amount="1.234,50", date="2024-03-15", category_id=cat(app, german), currency="USD", description="Hotel"
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        expense = db.session.scalar(sa.select(Expense))
        assert (expense.amount, expense.currency) == (Decimal("1234.50"), "USD")


def test_a_too_long_description_is_reported_with_its_length_never_cut(app, logged_in, user):
    response = post_quick(
        logged_in, amount="5.00", date="2026-03-02", category_id=cat(app, user), description="x" * 300
    )
    assert response.status_code == 422
    assert "Use at most 255 characters (you typed 300)." in response.text
    assert 'value="' + "x" * 300 + '"' in response.text
    assert 'id="quick-description"' in response.text
    # The focus goes to the field to correct.
    assert re.search(r'autofocus[^>]*id="quick-description"|id="quick-description"[^>]*autofocus', response.text)
    assert count_rows(app, Expense) == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"payment_method": "barter"}, "quick-payment_method", "Must be one of"),
        ({"currency": "XXXX"}, "quick-currency", ""),
        ({"currency": "€"}, "quick-currency", ""),
    ],
)
def test_bad_payment_method_or_currency_is_a_message_and_nothing_stored(app, logged_in, user, fields, field, message):
    data = {"amount": "5.00", "date": "2026-03-02", "category_id": cat(app, user), **fields}
    response = post_quick(logged_in, **data)
    assert response.status_code == 422
    errors = re.search(rf'id="{field}-errors"[^>]*>([^<]*)<', response.text)
    assert errors and message in errors.group(1) and errors.group(1).strip()
    assert count_rows(app, Expense) == 0


def test_the_dashboard_and_every_page_link_to_the_quick_add(logged_in):
    dashboard = logged_in.get("/")
    assert re.search(r'id="add-expense" href="/expenses"', dashboard.text)
    for path in ("/", "/categories", "/expenses"):
        assert 'id="add-button" href="/expenses"' in logged_in.get(path).text


def test_filters_fold_away_on_a_phone_unless_some_are_active(logged_in):
    plain = logged_in.get("/expenses").text
    assert re.search(r'class="[^"]*collapse d-md-block"[^>]*id="expense-filters"', plain)
    filtered = logged_in.get("/expenses?q=bus").text
    assert re.search(r'class="[^"]*collapse d-md-block show"[^>]*id="expense-filters"', filtered)


def test_both_faces_search_category_tag_and_amount(app, logged_in, client, user, api_login):
    with app.app_context():
        garden = factories.create_category(user, name="Gardening")
        hose = factories.create_expense(user, amount="42.50", category_id=garden, description="Hose")
        flight = factories.create_expense(user, amount="310.00", tags=["holiday"])
        factories.create_expense(user, amount="425.00", description="Other")
    headers = {"Authorization": f"Bearer {api_login(user)['access_token']}"}
    for q, ids in (("garden", {hose}), ("Holiday", {flight}), ("42.50", {hose})):
        api = client.get("/api/v1/expenses", query_string={"q": q}, headers=headers)
        assert {item["id"] for item in api.json["items"]} == ids, q
        html = logged_in.get("/expenses", query_string={"q": q}).text
        assert {int(i) for i in re.findall(r'data-expense-id="(\d+)"', html)} == ids, q
