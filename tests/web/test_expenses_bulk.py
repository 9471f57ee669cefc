"""The list's bulk actions and Undo: tick rows (or take every filtered expense), change or delete, undo."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense
from tests import factories
from tests.web.test_expenses import add, logged_in, row_ids, stored  # noqa: F401 - fixtures and helpers

__all__ = ["add", "logged_in"]


def category_of(app, expense_id: int) -> int:
    return stored(app, expense_id).category_id


def ids_in_db(app, user) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(sa.select(Expense.id).where(Expense.user_id == user.id)))


@pytest.fixture
def rows(add):
    return [add(description=f"Row {n}", payment_method="cash", amount=f"{n}.00") for n in range(1, 5)]


def test_the_list_has_a_checkbox_per_row_outside_js(logged_in, rows):
    html = logged_in.get("/expenses").text
    for expense_id in rows:
        assert f'name="ids" value="{expense_id}" form="bulk-form"' in html
    assert 'id="bulk-form"' in html and "js/bulk.js" in html
    assert "<script>" not in html  # CSP: no inline script


def test_ticked_rows_change_category_and_the_rest_stay(app, logged_in, rows, user):
    with app.app_context():
        housing = factories.category_id(user, "Housing")
        food = factories.category_id(user, "Food")
    response = logged_in.post(
        "/expenses/bulk?q=row",
        data={"ids": [rows[0], rows[1]], "scope": "selected", "action": "category", "category_id": str(housing)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/expenses?q=row"
    assert [category_of(app, e) for e in rows] == [housing, housing, food, food]
    assert "Changed 2 expenses." in logged_in.get("/expenses").text


def test_all_that_match_the_filters_is_applied_by_the_server(app, logged_in, rows, add):
    other = add(description="Other", payment_method="debit_card")
    # per_page=2: only two rows are on the page, the filter matches all four "Row" expenses.
    response = logged_in.post(
        "/expenses/bulk?q=Row&per_page=2", data={"scope": "filter", "action": "add_tags", "tags": "Moved, x"}
    )
    assert response.status_code == 302
    assert all(sorted(t.name for t in stored(app, e).tags) == ["moved", "x"] for e in rows)
    assert stored(app, other).tags == []


def test_bulk_delete_then_undo_restores_the_rows(app, logged_in, rows, user):
    before = {e: repr(stored(app, e).__dict__.get("amount")) for e in rows}
    response = logged_in.post("/expenses/bulk", data={"ids": rows[:3], "action": "delete"})
    assert response.status_code == 302
    assert ids_in_db(app, user) == {rows[3]}
    page = logged_in.get("/expenses").text
    assert "Deleted 3 expenses." in page and 'id="undo-form"' in page
    batch_id = re.search(r'name="batch_id" type="hidden" value="([^"]+)"', page).group(1)
    # The offer shows once; the button keeps working after it is gone from later pages.
    assert 'id="undo-form"' not in logged_in.get("/expenses").text
    response = logged_in.post("/expenses/undo?next=/expenses", data={"batch_id": batch_id})
    assert response.status_code == 302
    assert ids_in_db(app, user) == set(rows)
    assert {e: repr(stored(app, e).__dict__.get("amount")) for e in rows} == before
    assert "Restored 3 expenses." in logged_in.get("/expenses").text
    # A second Undo of the same batch changes nothing and says why.
    again = logged_in.post("/expenses/undo", data={"batch_id": batch_id})
    assert again.status_code == 303
    assert "Nothing to undo" in logged_in.get("/expenses").text


def test_single_delete_offers_undo_and_the_page_no_longer_says_cannot_be_undone(app, logged_in, rows):
    confirm = logged_in.get(f"/expenses/{rows[0]}/delete").text
    assert "cannot be undone" not in confirm
    logged_in.post(f"/expenses/{rows[0]}/delete")
    page = logged_in.get("/expenses").text
    assert "Deleted 1 expense." in page
    batch_id = re.search(r'name="batch_id" type="hidden" value="([^"]+)"', page).group(1)
    logged_in.post("/expenses/undo", data={"batch_id": batch_id})
    assert stored(app, rows[0]) is not None


@pytest.mark.parametrize(
    "data",
    [
        {"action": "category"},  # no rows ticked
        {"ids": ["1x"], "action": "payment_method", "payment_method": "cash"},
        {"ids": ["{id}"], "action": "category", "category_id": "999999"},
        {"ids": ["{id}"], "action": "payment_method", "payment_method": "barter"},
        {"ids": ["{id}"], "action": "nonsense"},
        {"ids": ["{id}"], "action": "add_tags", "tags": ""},
        {"scope": "filter", "action": "delete"},  # with a refused filter in the query string
    ],
)
def test_refused_bulk_posts_change_nothing_and_say_why(app, logged_in, rows, user, data):
    data = {
        key: [v.format(id=rows[0]) for v in value] if isinstance(value, list) else value for key, value in data.items()
    }
    with app.app_context():
        before = factories.all_rows()
    query = "?date_from=banana" if data.get("scope") == "filter" else ""
    response = logged_in.post(f"/expenses/bulk{query}", data=data)
    assert response.status_code == 303
    with app.app_context():
        assert factories.all_rows() == before
    assert "Nothing was changed." in logged_in.get("/expenses").text


def test_another_users_rows_are_not_found(app, logged_in, rows, add, make_user):
    theirs = add(owner=make_user(email="sam@example.com"), description="Theirs")
    response = logged_in.post("/expenses/bulk", data={"ids": [rows[0], theirs], "action": "delete"})
    assert response.status_code == 303
    assert stored(app, theirs) is not None and stored(app, rows[0]) is not None
    assert f"Not found: {theirs}." in logged_in.get("/expenses").text
