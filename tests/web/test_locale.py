"""The user's locale on the pages: figures written the user's way, amounts typed the user's way.

Each user here has one expense of 1234.56 on 15 March 2024 in the currency they use; the pages are
read as a person would read them (the text), while machine values (data- attributes, date inputs)
must stay plain.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Budget, BudgetVersion, Expense, RecurringExpense, User
from tests import factories
from tests.web.test_dashboard import Page

NBSP, NNBSP = "\u00a0", "\u202f"
MARCH = "period=custom&date_from=2024-03-01&date_to=2024-03-31"

# locale, currency, the amount as written, the date as written, March 2024 as written
CASES = [
    ("en_US", "USD", "$1,234.56", "Mar 15, 2024", "March 2024"),
    ("de_DE", "EUR", f"1.234,56{NBSP}€", "15.03.2024", "März 2024"),
    ("fr_FR", "EUR", f"1{NNBSP}234,56{NBSP}€", "15 mars 2024", "mars 2024"),
    ("de_CH", "CHF", f"CHF{NBSP}1\u2019234.56", "15.03.2024", "März 2024"),
    ("ja_JP", "JPY", "￥1,235", "2024/03/15", "2024年3月"),
]


@pytest.fixture
def local_user(app, make_user, login, client):
    """`local_user(locale, currency)`: a logged-in user with one expense of 1234.56 on 2024-03-15."""

    def build(locale: str, currency: str) -> User:
        user = make_user(email=f"{locale.lower()}@example.com", locale=locale, currency=currency)
        amount = "1235" if currency == "JPY" else "1234.56"
        with app.app_context():
            factories.create_expense(user, amount=amount, date="2024-03-15", currency=currency, description="Rent")
            factories.create_budget(
                user, category_id=factories.category_id(user), amount="2000", effective_from="2024-03"
            )
        login(user)
        return user

    return build


def text_of(html: str) -> str:
    """The page's visible text, tags dropped, whitespace runs (not NBSP) collapsed."""
    return re.sub(r"[ \n\t]+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(("locale", "currency", "amount", "date", "month"), CASES)
def test_the_expense_list_writes_amounts_and_dates_the_users_way(
    client, local_user, locale, currency, amount, date, month
):
    local_user(locale, currency)
    page = client.get("/expenses?date_from=2024-03-01&date_to=2024-03-31")
    assert page.status_code == 200
    assert amount in page.text and date in text_of(page.text)
    assert f'<html lang="{locale.replace("_", "-")}"' in page.text
    assert 'value="2024-03-01"' in page.text  # the date inputs stay ISO


@pytest.mark.parametrize(("locale", "currency", "amount", "date", "month"), CASES)
def test_the_dashboard_writes_figures_the_users_way(client, local_user, locale, currency, amount, date, month):
    local_user(locale, currency)
    page = client.get(f"/?{MARCH}")
    assert page.status_code == 200
    figure = re.search(r'data-figure="total">([^<]*)<', page.text).group(1)
    assert figure == amount
    assert date in page.text  # the largest expenses table
    assert f'data-locale="{locale.replace("_", "-")}"' in page.text and f'data-currency="{currency}"' in page.text
    chart = re.search(r"id=\"categories-canvas\" data-chart='([^']*)'", page.text).group(1)
    assert ("1235.00" if currency == "JPY" else "1234.56") in chart  # the charts' data stays plain


@pytest.mark.parametrize(("locale", "currency", "amount", "date", "month"), CASES)
def test_the_budgets_page_writes_months_and_amounts_the_users_way(
    client, local_user, locale, currency, amount, date, month
):
    local_user(locale, currency)
    page = client.get("/budgets?month=2024-03")
    assert page.status_code == 200
    assert month in page.text
    assert amount in page.text  # spent
    assert 'value="2024-03"' in page.text  # the month picker stays ISO


def test_german_percentages_counts_and_periods(client, local_user):
    local_user("de_DE", "EUR")
    dashboard = client.get(f"/?{MARCH}").text
    assert f"100,0{NBSP}%" in dashboard  # Food's share of the period
    assert "1.\u201331. März 2024" in dashboard  # the period
    budgets = client.get("/budgets?month=2024-03").text
    assert f"61,7{NBSP}% used" in budgets  # 1234.56 of 2000


def test_a_visitor_gets_en_us(client):
    page = client.get("/login")
    assert '<html lang="en-US"' in page.text


# --- amounts typed the user's way ----------------------------------------------------------------------


def expenses_of(app, user: User) -> list[Decimal]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Expense.amount).where(Expense.user_id == user.id)))


def new_expense(app, user: User, amount: str) -> dict:
    with app.app_context():
        food = factories.category_id(user)
    return {
        "amount": amount,
        "date": "2024-03-20",
        "category_id": str(food),
        "currency": "EUR",
        "payment_method": "cash",
    }


@pytest.mark.parametrize(
    ("locale", "typed"),
    [("de_DE", "1.234,56"), ("de_DE", "1234,56"), ("de_DE", "1234.56"), ("fr_FR", "1 234,56"), ("de_CH", "1'234.56")],
)
def test_an_expense_typed_the_local_way_is_stored_exactly(app, client, local_user, locale, typed):
    user = local_user(locale, "EUR")
    response = client.post("/expenses/new", data=new_expense(app, user, typed))
    assert response.status_code == 302, response.text
    assert sorted(expenses_of(app, user)) == [Decimal("1234.56"), Decimal("1234.56")]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1.234", "“1.234” is ambiguous here: write 1234 or 1,234."),
        ("1,234.56", "Must be a number such as 1234,56 or 1.234,56."),
        ("١٢", "Use the digits 0 to 9 only."),
    ],
)
def test_an_ambiguous_or_malformed_amount_is_a_field_error_and_nothing_is_stored(
    app, client, local_user, typed, message
):
    user = local_user("de_DE", "EUR")
    response = client.post("/expenses/new", data=new_expense(app, user, typed))
    assert response.status_code == 422
    errors = re.search(r'id="amount-errors"[^>]*>([^<]*)<', response.text).group(1)
    assert message in errors.replace("&#34;", '"')
    assert f'value="{typed}"' in response.text  # what was typed is shown back
    assert expenses_of(app, user) == [Decimal("1234.56")]


def test_the_quick_add_and_the_forms_show_local_examples(app, client, local_user):
    user = local_user("de_DE", "EUR")
    listing = client.get("/expenses").text
    assert 'placeholder="0,00"' in listing
    new = client.get("/expenses/new").text
    assert "For example 12,50." in new and 'placeholder="12,50"' in new
    with app.app_context():
        expense_id = db.session.scalar(sa.select(Expense.id).where(Expense.user_id == user.id))
    edit = client.get(f"/expenses/{expense_id}/edit").text
    assert 'value="1234,56"' in edit  # the stored amount, as the user would type it


def test_quick_add_takes_the_local_form(app, client, local_user):
    user = local_user("de_DE", "EUR")
    with app.app_context():
        food = factories.category_id(user)
    response = client.post(
        "/expenses", data={"quick-amount": "2.500,50", "quick-date": "2024-03-21", "quick-category_id": str(food)}
    )
    assert response.status_code == 302
    assert Decimal("2500.50") in expenses_of(app, user)


def test_a_budget_and_a_recurring_expense_take_the_local_form(app, client, local_user):
    user = local_user("de_DE", "EUR")
    with app.app_context():
        housing = factories.category_id(user, "Housing")
    budget = client.post(
        "/budgets",
        data={"category_id": str(housing), "amount": "1.500,00", "rollover": "none", "effective_from": "2024-04"},
    )
    assert budget.status_code == 302, budget.text
    refused = client.post(
        "/budgets", data={"category_id": "", "amount": "1.500", "rollover": "none", "effective_from": "2024-04"}
    )
    assert refused.status_code == 422 and "ambiguous" in refused.text
    recurring = client.post(
        "/recurring/new",
        data={
            "amount": "12,99",
            "category_id": str(housing),
            "description": "Cloud",
            "start_date": "2024-03-01",
            "interval_count": "1",
            "interval_unit": "month",
            "payment_method": "cash",
            "currency": "EUR",
        },
    )
    assert recurring.status_code == 302, recurring.text
    with app.app_context():
        versions = sa.select(BudgetVersion.amount).join(Budget).where(Budget.user_id == user.id)
        assert Decimal("1500.00") in db.session.scalars(versions).all()
        assert db.session.scalars(
            sa.select(RecurringExpense.amount).where(RecurringExpense.user_id == user.id)
        ).all() == [Decimal("12.99")]


def test_the_list_filter_takes_the_local_form(client, local_user):
    local_user("de_DE", "EUR")
    kept = client.get("/expenses?min_amount=1.000,50")
    assert kept.status_code == 200 and "Rent" in kept.text and 'value="1.000,50"' in kept.text
    dropped = client.get("/expenses?min_amount=1.500,00")
    assert dropped.status_code == 200 and "Rent" not in text_of(dropped.text).split("Expenses", 2)[-1]
    assert client.get("/expenses?min_amount=1.500").status_code == 422


# --- choosing the locale ----------------------------------------------------------------------------


def stored_locale(app, email: str) -> str | None:
    with app.app_context():
        return db.session.scalar(sa.select(User.locale).where(User.email == email))


@pytest.mark.parametrize(
    ("header", "expected"),
    [({"Accept-Language": "de-CH,de;q=0.9,en;q=0.8"}, "de_CH"), ({"Accept-Language": "fr"}, "fr_FR"), ({}, "en_US")],
)
def test_sign_up_takes_the_locale_from_the_browser(app, client, header, expected):
    response = client.post(
        "/register", data={"email": "new@example.com", "password": "a long enough passphrase"}, headers=header
    )
    assert response.status_code == 302, response.text
    assert stored_locale(app, "new@example.com") == expected


def test_settings_offer_every_locale_and_save_the_choice(app, client, user, login):
    login(user)
    page = client.get("/settings").text
    assert '<option selected value="en_US">' in page or '<option value="en_US" selected>' in page
    assert '<optgroup label="Common">' in page and "Deutsch (Schweiz) (de_CH)" in page
    response = client.post("/settings/profile", data={"full_name": "Alex", "currency": "EUR", "locale": "de_CH"})
    assert response.status_code == 302
    assert stored_locale(app, user.email) == "de_CH"
    assert '<html lang="de-CH"' in client.get("/settings").text


def test_settings_refuse_an_unknown_locale_and_change_nothing(app, client, user, login):
    login(user)
    response = client.post("/settings/profile", data={"full_name": "Changed", "currency": "EUR", "locale": "xx_YY"})
    assert response.status_code == 422
    assert "Must be a locale such as en_US, de_DE or fr_CH." in response.text
    with app.app_context():
        stored = db.session.scalar(sa.select(User).where(User.id == user.id))
        assert (stored.locale, stored.full_name, stored.currency) == ("en_US", "Alex", "USD")


def test_settings_without_a_locale_keep_the_current_one(app, client, make_user, login):
    user = make_user(email="fr@example.com", locale="fr_FR")
    login(user)
    assert client.post("/settings/profile", data={"full_name": "Fr", "currency": "EUR"}).status_code == 302
    assert stored_locale(app, user.email) == "fr_FR"


def test_chart_labels_are_written_the_users_way(client, local_user):
    local_user("de_DE", "EUR")
    daily = Page(client.get(f"/?{MARCH}").text).charts
    assert daily["trend-canvas"]["labels"][14] == "15. März"
    # The running total compares March with the whole of February, both written as German date ranges.
    assert [dataset["label"] for dataset in daily["running-canvas"]["datasets"]] == [
        "1.\u201331. März 2024",
        "1.\u201329. Feb. 2024",
    ]
    monthly = Page(client.get("/?preset=custom&date_from=2024-01-01&date_to=2024-12-31").text).charts
    assert monthly["trend-canvas"]["labels"][2] == "März 2024"
