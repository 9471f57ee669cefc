"""Cursor pagination of `GET /api/v1/expenses`: `?after=<next_cursor>`, a keyset on the sort key and id.

Walking every page by cursor must give exactly the ids, in the same order, that walking page
numbers gives, for every sort, with ties (same date, same amount, same created_at) and filters; a
bad cursor is a 422 on `after`; on PostgreSQL a cursor page is a range of the sort's index.
"""

from __future__ import annotations

import datetime as dt
import json
from base64 import urlsafe_b64encode

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.errors import ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, User
from expense_app.services import expenses
from expense_app.services.unit_of_work import transaction
from tests import factories
from tests.requirements import require_postgres

LIST = "/api/v1/expenses"
FILTERS = ["", "&category_id={food}", "&q=lunch", "&date_from=2026-01-03&date_to=2026-01-08", "&tag=team"]


def cursor_of(payload) -> str:
    return urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


@pytest.fixture
def tied(client, api_headers, post_expense, category_ids, app, user):
    """30 expenses with many equal dates, amounts and creation times, in two categories."""
    for number in range(30):
        post_expense(
            date=f"2026-01-{1 + number % 10:02d}",
            amount=f"{5 + number % 4}.00",
            description="Team lunch" if number % 3 == 0 else "Other",
            category_id=category_ids["Food" if number % 2 else "Transport"],
            tags=["team"] if number % 5 == 0 else [],
        )
    # Equal creation times too (a fast import stores many in one instant).
    with app.app_context(), transaction() as session:
        session.execute(
            sa.update(Expense)
            .where(Expense.user_id == user.id, Expense.id % 3 == 0)
            .values(created_at=dt.datetime(2026, 1, 20, 12, 0, tzinfo=dt.UTC))
        )
    return category_ids


def walk_pages(client, headers, query: str) -> list[int]:
    ids, page = [], 1
    while True:
        body = client.get(f"{LIST}?per_page=4&page={page}{query}", headers=headers).json
        ids += [item["id"] for item in body["items"]]
        if page >= body["total_pages"]:
            assert body["next_cursor"] is None
            return ids
        assert body["next_cursor"]
        page += 1


def walk_cursors(client, headers, query: str) -> list[int]:
    body = client.get(f"{LIST}?per_page=4{query}", headers=headers).json
    ids = [item["id"] for item in body["items"]]
    total = body["total"]
    while body["next_cursor"]:
        response = client.get(f"{LIST}?per_page=4&after={body['next_cursor']}{query}", headers=headers)
        assert response.status_code == 200, response.json
        body = response.json
        assert body["page"] is None
        assert body["total"] == total  # the whole filtered set, as on page 1
        ids += [item["id"] for item in body["items"]]
    return ids


@pytest.mark.parametrize("sort", expenses.SORTS)
def test_cursor_walk_equals_page_walk(client, api_headers, tied, sort):
    for extra in FILTERS:
        query = f"&sort={sort}" + extra.format(food=tied["Food"])
        by_page = walk_pages(client, api_headers, query)
        assert by_page, query
        assert walk_cursors(client, api_headers, query) == by_page, query


def test_cursor_of_an_exact_last_page_ends_the_list(client, api_headers, post_expense):
    for day in range(1, 5):
        post_expense(date=f"2026-01-{day:02d}")
    first = client.get(f"{LIST}?per_page=2", headers=api_headers).json
    second = client.get(f"{LIST}?per_page=2&after={first['next_cursor']}", headers=api_headers).json
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    assert client.get(f"{LIST}?per_page=4", headers=api_headers).json["next_cursor"] is None


def test_another_users_cursor_shows_only_my_expenses(client, api_headers, other_headers, post_expense):
    mine = [post_expense(date=f"2026-01-{day:02d}")["id"] for day in range(1, 4)]
    their_food = next(c["id"] for c in client.get("/api/v1/categories", headers=other_headers).json)
    theirs = [
        post_expense(headers=other_headers, category_id=their_food, date=f"2026-01-{day:02d}")["id"]
        for day in range(1, 4)
    ]
    cursor = client.get(f"{LIST}?per_page=1", headers=other_headers).json["next_cursor"]
    body = client.get(f"{LIST}?after={cursor}", headers=api_headers).json
    assert {item["id"] for item in body["items"]} <= set(mine)
    assert not {item["id"] for item in body["items"]} & set(theirs)


GOOD = ["-date", "2026-01-05", 3]


@pytest.mark.parametrize(
    ("cursor", "extra", "message"),
    [
        ("not-a-cursor!", "", expenses.BAD_CURSOR),
        ("", "", expenses.BAD_CURSOR),
        (urlsafe_b64encode(b"not json").decode(), "", expenses.BAD_CURSOR),
        (cursor_of({"sort": "-date"}), "", expenses.BAD_CURSOR),
        (cursor_of(["-date", "2026-01-05"]), "", expenses.BAD_CURSOR),
        (cursor_of(["-date", "2026-13-45", 3]), "", expenses.BAD_CURSOR),
        (cursor_of(["-date", "2026-01-05", 0]), "", expenses.BAD_CURSOR),
        (cursor_of(["-date", "2026-01-05", 2**40]), "", expenses.BAD_CURSOR),
        (cursor_of(["-date", "2026-01-05", True]), "", expenses.BAD_CURSOR),
        (cursor_of(["-date", "2026-01-05", "3"]), "", expenses.BAD_CURSOR),
        (cursor_of(["-amount", "1e999999", 3]), "&sort=-amount", expenses.BAD_CURSOR),
        (cursor_of(["-amount", "NaN", 3]), "&sort=-amount", expenses.BAD_CURSOR),
        (cursor_of(["created_at", "2026-01-05T10:00:00", 3]), "&sort=created_at", expenses.BAD_CURSOR),
        (cursor_of(["created_at", "0001-01-01T00:00:00+14:00", 3]), "&sort=created_at", expenses.BAD_CURSOR),
        ("w6k", "", expenses.BAD_CURSOR),
        ("é" * 10, "", expenses.BAD_CURSOR),
        (cursor_of(["price", "1", 3]), "", expenses.BAD_CURSOR),
        ("A" * 5000, "", expenses.BAD_CURSOR),
        (cursor_of(GOOD), "&sort=date", expenses.WRONG_SORT_CURSOR),
        (cursor_of(GOOD), "&sort=-amount", expenses.WRONG_SORT_CURSOR),
        (cursor_of(GOOD), "&page=2", expenses.CURSOR_WITH_PAGE),
    ],
)
def test_bad_cursor_is_422_on_after(client, api_headers, post_expense, cursor, extra, message):
    post_expense()
    response = client.get(f"{LIST}?after={cursor}{extra}", headers=api_headers)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"after": [message]}


def test_a_good_cursor_with_page_1_is_accepted(client, api_headers, post_expense):
    post_expense(date="2026-01-01")
    response = client.get(f"{LIST}?page=1&after={cursor_of(GOOD)}", headers=api_headers)
    assert response.status_code == 200
    assert [item["date"] for item in response.json["items"]] == ["2026-01-01"]


def test_the_spec_documents_after_and_next_cursor(client):
    spec = client.get("/api/openapi.json").json
    operation = spec["paths"]["/api/v1/expenses"]["get"]
    after = next(parameter for parameter in operation["parameters"] if parameter["name"] == "after")
    assert after["in"] == "query"
    assert "cursor" in after["description"]
    assert "`after`" in operation["description"]
    page_schema = spec["components"]["schemas"]["ExpensePage"]
    assert page_schema["properties"]["next_cursor"]["nullable"] is True
    assert "next_cursor" in page_schema["required"]


# --- the service, with generated ties ----------------------------------------------------------------

rows = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(["1.00", "2.00", "2.50"]), st.booleans()), min_size=0, max_size=14
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(made=rows, per_page=st.integers(1, 5), sort=st.sampled_from(expenses.SORTS))
def test_generated_ties_walk_the_same_both_ways(app, user, made, per_page, sort):
    with app.app_context():
        owner = db.session.get(User, user.id)
        with transaction() as session:
            session.execute(sa.delete(Expense).where(Expense.user_id == owner.id))
        for day, amount, same_moment in made:
            expense_id = factories.create_expense(owner, date=dt.date(2026, 1, 1 + day), amount=amount)
            if same_moment:
                with transaction() as session:
                    session.execute(
                        sa.update(Expense)
                        .where(Expense.id == expense_id)
                        .values(created_at=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
                    )
        by_page, page = [], 1
        while True:
            result = expenses.list_expenses(user=owner, sort=sort, page=page, per_page=per_page)
            by_page += [item.id for item in result.items]
            if page >= result.total_pages:
                break
            page += 1
        result = expenses.list_expenses(user=owner, sort=sort, per_page=per_page)
        by_cursor = [item.id for item in result.items]
        while result.next_cursor:
            result = expenses.list_expenses(user=owner, sort=sort, per_page=per_page, after=result.next_cursor)
            by_cursor += [item.id for item in result.items]
        assert by_cursor == by_page
        assert len(by_page) == len(made)


def test_the_service_refuses_a_cursor_with_a_page(ctx, user):
    with pytest.raises(ValidationFailed) as refused:
        expenses.list_expenses(user=user, page=3, after=cursor_of(GOOD), per_page=0)
    assert refused.value.errors["after"] == [expenses.CURSOR_WITH_PAGE]
    assert "per_page" in refused.value.errors


# --- the plan on PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sort", "index"),
    [
        ("-date", "ix_expenses_user_id_date_id"),
        ("date", "ix_expenses_user_id_date_id"),
        ("-amount", "ix_expenses_user_id_amount_id"),
        ("created_at", "ix_expenses_user_id_created_at_id"),
    ],
)
def test_a_cursor_page_is_a_range_of_the_sort_index(app, database_url, user, sort, index):
    """EXPLAIN of the page's id query over 5,000 expenses: the keyset is an Index Cond of the sort's
    index (a range scan starting at the cursor), not a filter over rows read from the list's start."""
    require_postgres(database_url)
    with app.app_context():
        owner = db.session.get(User, user.id)
        seed_id = factories.create_expense(owner, date="2026-01-01", amount="1.00")
        copied = [c.name for c in Expense.__table__.columns if c.name != "id"]
        varied = {
            "date": "date - (g % 700)",
            "amount": "(g % 500) + 1",
            "base_amount": "(g % 500) + 1",
            "created_at": "created_at - g * interval '1 minute'",
        }
        with transaction() as session:
            session.execute(
                sa.text(
                    f"INSERT INTO expenses ({', '.join(copied)}) "  # noqa: S608 (column names from the model)
                    f"SELECT {', '.join(varied.get(c, c) for c in copied)} "
                    "FROM expenses, generate_series(1, 5000) AS g WHERE id = :id"
                ),
                {"id": seed_id},
            )
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE expenses")
        first = expenses.list_expenses(user=owner, sort=sort, per_page=20)
        deep = first
        for _ in range(3):
            deep = expenses.list_expenses(user=owner, sort=sort, per_page=20, after=deep.next_cursor)
        captured: list = []

        def capture(conn, cursor_, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        try:
            expenses.list_expenses(user=owner, sort=sort, per_page=20, after=deep.next_cursor)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = next((s, p) for s, p in captured if "LIMIT" in s and "JOIN" in s)
        raw = db.engine.raw_connection()
        try:
            with raw.cursor() as cur:
                cur.execute("EXPLAIN " + statement, parameters)
                plan = "\n".join(row[0] for row in cur.fetchall())
        finally:
            raw.close()
    assert index in plan, plan
    assert "Seq Scan on expenses" not in plan, plan
    assert any("Index Cond" in line and "ROW(" in line for line in plan.splitlines()), plan
