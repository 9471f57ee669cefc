"""The CSV export page: a filter the service refuses is the list page with its error (422), never
a 200 whose download stops halfway; a good export is quoted field by field."""

from __future__ import annotations

import pytest

from expense_app.extensions import db
from expense_app.services import categories, expenses


@pytest.fixture
def logged_in(app, client, user, login):
    with app.app_context():
        food = next(c for c in categories.category_options(user=user) if c.name == "Food")
        expenses.create_expense(user=user, amount="3.00", date="2026-03-02", category_id=food.id, description="x;=1+1")
        db.session.remove()
    login(user)
    return client


@pytest.mark.parametrize("query", ["q=" + "x" * 101, "q=%00", "date_from=banana"])
def test_refused_filter_is_the_list_page_with_a_422(logged_in, query):
    response = logged_in.get(f"/expenses/export.csv?{query}")
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    assert "x;=1+1" not in response.text  # no list is shown for a filter that was not applied


def test_export_quotes_every_field(logged_in):
    response = logged_in.get("/expenses/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="expenses-')
    line = response.get_data(as_text=True).split("\r\n")[1]
    assert line == '"2026-03-02","x;=1+1","Food","other","3.00","USD","3.00","USD","",""'
