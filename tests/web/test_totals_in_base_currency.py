"""Issue 12's scenario on the pages: every total is €170.30, a note says 1 expense was left out, a
waiting expense shows its own amount with a "not converted" badge and a converted one both amounts.
"""

import datetime as dt
import html as markup
import re

import pytest

from expense_app.extensions import db
from expense_app.models import User
from expense_app.services import budgets
from tests.factories import category_id, create_recurring, create_trip, insert_rates

NOTE = "1 expense in another currency is not converted yet and is left out of"
MARCH = "date_from=2024-03-01&date_to=2024-03-31"


@pytest.fixture
def eur_user(make_user):
    return make_user(currency="EUR")


@pytest.fixture
def trip(app, eur_user, login):
    with app.app_context():
        made = create_trip(db.session.get(User, eur_user.id))
    login(eur_user)
    return made


def text_of(response) -> str:
    assert response.status_code == 200, response.text[:300]
    return markup.unescape(" ".join(response.text.split()))


def row(html: str, expense_id: int) -> str:
    start = html.index(f'data-expense-id="{expense_id}"')
    return html[start : html.index("</tr>", start)]


@pytest.mark.parametrize("query", ["", f"?{MARCH}"])
def test_expense_list(client, trip, query):
    html = text_of(client.get(f"/expenses{query}"))
    assert re.search(r'id="expense-total" data-count="4" data-total="170.30"', html)
    assert "€170.30" in html
    assert f"{NOTE} this total." in html
    assert "25,000" not in html.split('id="expense-table"')[0]  # the ARS amount is in no total
    taxi = row(html, trip.expense_ids["taxi"])
    assert "ARS" in taxi and "25,000.00" in taxi and "not converted" in taxi
    hotel = row(html, trip.expense_ids["hotel"])
    assert "$100.00" in hotel and "· €91.83" in hotel and "not converted" not in hotel
    lunch = row(html, trip.expense_ids["lunch"])
    assert "€20.00" in lunch and "·" not in lunch  # the base currency: one amount


def test_expense_detail(client, trip):
    hotel = text_of(client.get(f"/expenses/{trip.expense_ids['hotel']}"))
    assert "$100.00" in hotel and "€91.83" in hotel
    assert "0.9182736455 EUR per USD (ECB, Mar 15, 2024)" in hotel
    taxi = text_of(client.get(f"/expenses/{trip.expense_ids['taxi']}"))
    assert "not converted" in taxi and "left out of your totals" in taxi


def test_no_note_without_waiting_expenses(client, trip):
    html = text_of(client.get("/expenses?payment_method=credit_card"))
    assert "€150.30" in html
    assert "unconverted-note" not in html


def test_dashboard(client, trip):
    html = text_of(client.get(f"/?period=custom&{MARCH}"))
    assert re.search(r'data-figure="total">€170.30<', html)
    assert f"{NOTE} this period's totals and charts." in html
    assert "€91.83" in html.split('id="top-expenses"')[1]
    assert "1 not yet converted is not ranked" in html
    raw = client.get(f"/?period=custom&{MARCH}").text
    charts = dict(re.findall(r"id=\"(\w+)-canvas\" data-chart='([^']*)'", raw))
    assert '"91.83"' in charts["categories"] and '"78.47"' in charts["categories"]
    assert "25000" not in charts["categories"] + charts["trend"] + charts["methods"] + charts["running"]


def test_categories_page(client, trip):
    html = text_of(client.get("/categories"))
    assert f"{NOTE} the totals below." in html
    assert "€78.47" in html and "€91.83" in html
    assert 'data-unconverted="1"' in html


def test_budgets_page(app, client, trip, eur_user):
    with app.app_context():
        user = db.session.get(User, eur_user.id)
        budgets.create_budget(user=user, category_id=None, amount="500.00", effective_from="2024-03")
        budgets.create_budget(
            user=user, category_id=category_id(user, "Transport"), amount="50.00", effective_from="2024-03"
        )
    html = text_of(client.get("/budgets?month=2024-03"))
    assert 'data-spent="170.30"' in html and "€170.30" in html
    assert f"{NOTE} this month's budgets." in html
    assert f"{NOTE} what was spent." in html
    assert 'data-spent="0.00"' in html  # Transport: the ARS taxi did not count


def test_recurring_page(app, client, eur_user, login):
    with app.app_context():
        # The monthly cost is converted at the latest rate, which must be recent (at most 7 days old).
        insert_rates(day=dt.date.today())
        user = db.session.get(User, eur_user.id)
        create_recurring(user, amount="10.00", currency="USD")
        create_recurring(user, amount="1000.00", currency="ARS")
    login(eur_user)
    html = text_of(client.get("/recurring"))
    assert 'data-base-total="9.18"' in html and "€9.18" in html
    assert "1 recurring expense in another currency is not converted yet and is left out of the total in EUR." in html
