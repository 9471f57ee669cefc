"""The amount search agrees with the stored amounts: for random amounts typed in a random locale's
own way (`1.234,50` or `1234,50` in de_DE, `1 234,50` in fr_FR, `1,23,456.50` in en_IN) or plain, the list's `q`
finds exactly the expenses of that amount, and its total is their sum.
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services import accounts, expenses
from expense_app.services.locales import amount_example
from tests import factories

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CENTS = st.integers(min_value=1, max_value=500_000)


@SETTINGS
@given(
    stored=st.lists(CENTS, min_size=1, max_size=6),
    pick=st.integers(min_value=0, max_value=5),
    locale=st.sampled_from(["en_US", "de_DE", "fr_FR", "de_CH", "en_IN"]),
    way=st.sampled_from(["plain", "local", "grouped"]),
)
def test_an_amount_typed_any_way_finds_exactly_its_expenses(ctx, make_user, stored, pick, locale, way):
    user = db.session.get(User, make_user(locale=locale).id)
    for cents in stored:
        factories.create_expense(user, amount=Decimal(cents) / 100, description="Searched")
    amount = Decimal(stored[pick % len(stored)]) / 100
    typed = {
        "plain": format(amount, "f"),
        "local": amount_example(amount, locale),
        "grouped": format_decimal(amount, format="#,##0.00", locale=locale),
    }[way]
    page = expenses.list_expenses(user=user, filters={"q": typed}, per_page=100)
    wanted = {row.id for row in db.session.query(Expense).filter_by(user_id=user.id, amount=amount)}
    assert {expense.id for expense in page.items} == wanted, typed
    assert page.total_amount == amount * len(wanted)
    accounts.delete_account(user=user)
