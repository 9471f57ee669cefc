"""Expense pages: list with filters, sorting, paging and totals; quick add; new/edit/delete; CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense, Tag, User
from tests import factories
from tests.conftest import PASSWORD, bearer, count_rows, csrf_token_from

TODAY = dt.datetime.now(dt.UTC).date()


def category_id(app, user: User, name: str = "Food") -> int:
    with app.app_context():
        return factories.category_id(user, name)


@pytest.fixture
def add(app, user):
    """Create an expense through the service and return its id (defaults: 10.00 on 2026-01-15 in Food)."""

    def create(owner: User | None = None, category: str = "Food", **fields) -> int:
        with app.app_context():
            return factories.create_expense(owner or user, category=category, **fields)

    return create


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def row_ids(html: str) -> list[int]:
    """The expense ids of the table rows, in page order."""
    return [int(found) for found in re.findall(r'<tr data-expense-id="(\d+)"', html)]


def stored(app, expense_id: int) -> Expense | None:
    with app.app_context():
        return db.session.scalar(
            sa.select(Expense).where(Expense.id == expense_id).options(sa.orm.selectinload(Expense.tags))
        )


def field_errors(html: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-errors"[^>]*>([^<]*)<', html)
    return match.group(1) if match else ""


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True), newline="")))


# --- the list ----------------------------------------------------------------------------------------


def test_list_needs_login(client):
    response = client.get("/expenses")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_list_shows_rows_with_chip_tags_payment_and_total(app, logged_in, add, user):
    add(amount="1234.50", date="2026-02-01", description="Rent share", payment_method="bank_transfer", tags=["Home"])
    add(amount="0.10", date="2026-02-02", description="Gum", category="Transport", currency="EUR")
    add(amount="0.20", date="2026-02-03", description="Mint")
    response = logged_in.get("/expenses")
    assert response.status_code == 200
    html = response.text
    assert len(row_ids(html)) == 3
    assert "$1,234.50" in html
    assert "€0.10" in html  # each row in its own currency
    # No rates are loaded: the EUR gum waits for one, is marked, and stays out of the USD total.
    gum = html[html.index("Gum") :]
    assert "not converted" in gum[: gum.index("</tr>")]
    assert "Bank transfer" in html
    assert '<span class="badge' in html and ">home</span>" in html
    assert "--chip-color: #198754" in html  # Food's colour
    total = re.search(r'id="expense-total" data-count="(\d+)" data-total="([\d.]+)"', html)
    # The EUR expense has no exchange rate (none loaded): it is left out of the USD total.
    assert total.groups() == ("3", "1234.70")
    assert "$1,234.70" in html
    assert re.search(r'id="unconverted-note" data-unconverted="1"', html)
    assert "1 expense in another currency is not converted yet and is left out of this total." in " ".join(html.split())
    assert 'class="amount"' in html
    # The navbar links the page.
    assert 'href="/expenses"' in html and 'aria-current="page"' in html


def test_empty_states_differ_for_no_expenses_and_no_match(logged_in, add):
    empty = logged_in.get("/expenses")
    assert "No expenses yet" in empty.text
    assert "No expenses match" not in empty.text
    add(description="coffee")
    no_match = logged_in.get("/expenses?q=tea")
    assert no_match.status_code == 200
    assert "No expenses match these filters" in no_match.text
    assert "No expenses yet" not in no_match.text
    assert 'id="expense-table"' not in no_match.text


@pytest.fixture
def three(app, add):
    """Three expenses that each filter tells apart; returns their ids by name."""
    return {
        "a": add(amount="5.00", date="2026-01-01", description="Coffee beans", payment_method="cash", tags=["daily"]),
        "b": add(
            amount="50.00",
            date="2026-01-10",
            description="Train",
            category="Transport",
            payment_method="credit_card",
            tags=["work"],
        ),
        "c": add(amount="20.00", date="2026-01-20", description="Lunch", notes="with COFFEE", tags=["work", "daily"]),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["c", "b", "a"]),
        ("date_from=2026-01-05", ["c", "b"]),
        ("date_to=2026-01-10", ["b", "a"]),
        ("date_from=2026-01-05&date_to=2026-01-15", ["b"]),
        ("payment_method=cash&payment_method=credit_card", ["b", "a"]),
        ("tag=work", ["c", "b"]),
        ("tag=DAILY,%20work", ["c", "b", "a"]),
        ("min_amount=10", ["c", "b"]),
        ("max_amount=20.00", ["c", "a"]),
        ("q=coffee", ["c", "a"]),
        ("q=coffee&min_amount=6", ["c"]),
        ("category_id=&payment_method=", ["c", "b", "a"]),  # the "All" options of a select
    ],
)
def test_each_filter_narrows_the_list(logged_in, three, query, expected):
    response = logged_in.get(f"/expenses?{query}")
    assert response.status_code == 200
    assert row_ids(response.text) == [three[name] for name in expected]


def test_dashboard_style_link_with_categories_and_dates(app, logged_in, three, user):
    food, transport = category_id(app, user, "Food"), category_id(app, user, "Transport")
    response = logged_in.get(f"/expenses?category_id={transport}&date_from=2026-01-01&date_to=2026-01-31")
    assert row_ids(response.text) == [three["b"]]
    both = logged_in.get(f"/expenses?category_id={food}&category_id={transport}")
    assert row_ids(both.text) == [three["c"], three["b"], three["a"]]
    # The filter form shows what is applied: the boxes are ticked, the dates filled.
    assert re.search(rf'name="category_id" value="{transport}"[^>]*\n?\s*checked', response.text)
    assert 'value="2026-01-01"' in response.text


def test_a_foreign_category_filter_matches_nothing(app, logged_in, three, make_user):
    other = make_user(email="sam@example.com")
    response = logged_in.get(f"/expenses?category_id={category_id(app, other, 'Food')}")
    assert response.status_code == 200
    assert row_ids(response.text) == []
    assert "No expenses match these filters" in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=banana", "From: Must be a date such as 2026-11-26."),
        ("min_amount=abc", "Min amount: Must be a number such as 12.50."),
        ("category_id=abc", "Categories: Must be category ids."),
        ("payment_method=barter", "Payment methods: Must be one of:"),
        ("sort=name", "Sort: Must be one of:"),
        ("page=0", "Page: Must be between 1 and 1000000."),
        ("page=abc", "Page: Must be a whole number between 1 and 1000000."),
        ("per_page=500", "Per page: Must be between 1 and 100."),
    ],
)
def test_invalid_filter_is_422_with_the_message_above_the_table(logged_in, three, query, message):
    response = logged_in.get(f"/expenses?{query}")
    assert response.status_code == 422
    errors = response.text[response.text.index('id="filter-errors"') :]
    assert message in errors
    assert 'id="expense-table"' not in response.text


def test_sort_by_column_header_with_aria_sort_keeping_filters(logged_in, three):
    default = logged_in.get("/expenses?q=coffee&min_amount=1")
    assert re.search(
        r'<th scope="col" class="d-none d-sm-table-cell" aria-sort="descending">\s*<a class="sort-link"', default.text
    )
    # The amount header sorts by amount (largest first) and keeps the filters.
    amount_link = re.search(r'href="([^"]*sort=-amount[^"]*)"', default.text).group(1).replace("&amp;", "&")
    assert "q=coffee" in amount_link and "min_amount=1" in amount_link
    by_amount = logged_in.get(amount_link)
    assert row_ids(by_amount.text) == [three["c"], three["a"]]
    assert re.search(r'class="text-end" aria-sort="descending">', by_amount.text)
    ascending = logged_in.get("/expenses?sort=amount")
    assert row_ids(ascending.text) == [three["a"], three["c"], three["b"]]
    assert 'aria-sort="ascending"' in ascending.text
    assert row_ids(logged_in.get("/expenses?sort=date").text) == [three["a"], three["b"], three["c"]]


def test_paging_keeps_filters_and_sort_and_shows_the_whole_total(app, logged_in, add):
    ids = [add(amount="1.00", date=f"2026-03-{day:02d}", description=f"Snack {day}") for day in range(1, 26)]
    add(amount="99.00", date="2026-03-28", description="Other thing")
    first = logged_in.get("/expenses?q=snack&sort=date")
    assert row_ids(first.text) == ids[:20]
    assert 'data-count="25" data-total="25.00"' in first.text
    assert "page 1 of 2" in first.text
    next_link = re.search(r'rel="next" href="([^"]+)"', first.text).group(1).replace("&amp;", "&")
    assert "q=snack" in next_link and "sort=date" in next_link and "page=2" in next_link
    second = logged_in.get(next_link)
    assert row_ids(second.text) == ids[20:]
    assert 'aria-current="page">2<' in second.text
    small = logged_in.get("/expenses?q=snack&per_page=10&page=3")
    assert row_ids(small.text) == ids[:5][::-1]  # newest first: page 3 holds the five oldest
    past = logged_in.get("/expenses?q=snack&page=9")
    assert past.status_code == 200
    assert "Page 9 is past the end" in past.text
    assert "page=2" in re.search(r'id="past-the-end".*?href="([^"]+)"', past.text, re.S).group(1)


def test_page_numbers_agree_with_the_api(app, client, logged_in, add, user, api_login):
    for day in range(1, 8):
        add(
            amount=f"{day}.{day}5",
            date=f"2026-04-{day:02d}",
            description=f"Item {day}",
            tags=["odd"] if day % 2 else [],
        )
    add(amount="0.10", date="2026-04-03", description="Item small", category="Transport")
    query = "date_from=2026-04-02&date_to=2026-04-06&min_amount=0.05&sort=-amount&per_page=3&page=1"
    page = logged_in.get(f"/expenses?{query}")
    api = client.get(f"/api/v1/expenses?{query}", headers=bearer(api_login(user)["access_token"])).json
    assert row_ids(page.text) == [item["id"] for item in api["items"]]
    count, total = re.search(r'data-count="(\d+)" data-total="([\d.]+)"', page.text).groups()
    assert int(count) == api["total"] == 6
    everything = client.get(
        "/api/v1/expenses?date_from=2026-04-02&date_to=2026-04-06&min_amount=0.05&per_page=100",
        headers=bearer(api_login(user)["access_token"]),
    ).json
    assert Decimal(total) == sum(Decimal(item["amount"]) for item in everything["items"]) == Decimal("22.35")
    assert f"page 1 of {api['total_pages']}" in page.text


# --- quick add ----------------------------------------------------------------------------------------


def test_quick_add_defaults_to_today_and_returns_to_the_filtered_list(app, logged_in, user):
    page = logged_in.get("/expenses?q=lunch")
    assert f'id="quick-date" name="quick-date" type="date" value="{TODAY.isoformat()}"' in page.text
    response = logged_in.post(
        "/expenses?q=lunch",
        data={
            "quick-amount": "12.5",
            "quick-date": "2026-05-01",
            "quick-category_id": category_id(app, user),
            "quick-description": "Lunch",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/expenses?q=lunch"
    listed = logged_in.get(response.headers["Location"])
    assert "Expense of $12.50 on May 1, 2026 added." in listed.text
    with app.app_context():
        expense = db.session.scalar(sa.select(Expense))
        assert (expense.amount, expense.description, expense.payment_method, expense.currency) == (
            Decimal("12.50"),
            "Lunch",
            "other",
            "USD",
        )


def test_quick_add_errors_come_back_next_to_the_fields(app, logged_in, user):
    response = logged_in.post(
        "/expenses",
        data={"quick-amount": "10.005", "quick-date": "", "quick-category_id": category_id(app, user)},
    )
    assert response.status_code == 422
    assert field_errors(response.text, "quick-amount") == "Must have at most 2 decimal places."
    assert field_errors(response.text, "quick-date") == "This field is required."
    assert 'value="10.005"' in response.text
    assert count_rows(app, Expense) == 0


# --- new / edit ---------------------------------------------------------------------------------------


def form_data(app, user, **overrides) -> dict:
    data = {
        "amount": "42.50",
        "date": "2026-06-01",
        "category_id": category_id(app, user),
        "description": "Weekly groceries",
        "payment_method": "debit_card",
        "tags": "Family, weekly, family",
        "notes": "Market",
        "currency": "EUR",
    }
    data.update(overrides)
    return data


def test_new_expense_stores_every_field(app, logged_in, user):
    page = logged_in.get("/expenses/new")
    assert page.status_code == 200
    assert f'value="{TODAY.isoformat()}"' in page.text
    assert '<option selected value="USD">' in page.text  # the user's currency
    response = logged_in.post("/expenses/new", data=form_data(app, user))
    assert response.status_code == 302
    assert response.headers["Location"] == "/expenses"
    with app.app_context():
        expense = db.session.scalar(sa.select(Expense).options(sa.orm.selectinload(Expense.tags)))
        assert expense.amount == Decimal("42.50")
        assert expense.date == dt.date(2026, 6, 1)
        assert (expense.payment_method, expense.currency, expense.notes) == ("debit_card", "EUR", "Market")
        assert [tag.name for tag in expense.tags] == ["family", "weekly"]


def twenty_one_tags() -> str:
    return ", ".join(f"t{n}" for n in range(21))


@pytest.mark.parametrize(
    ("overrides", "field", "message", "kept"),
    [
        ({"amount": "10.005"}, "amount", "Must have at most 2 decimal places.", 'value="10.005"'),
        ({"amount": "0"}, "amount", "Must be greater than 0.", 'value="0"'),
        ({"amount": "abc"}, "amount", "Must be a number such as 1234.56 or 1,234.56.", 'value="abc"'),
        ({"date": "1850-03-01"}, "date", "Must be between 1900-01-01 and", 'value="1850-03-01"'),
        ({"tags": twenty_one_tags()}, "tags", "At most 20 tags are allowed (got 21).", "t20"),
        ({"payment_method": "barter"}, "payment_method", "Must be one of:", 'value="Weekly groceries"'),
        ({"currency": "ZZZ"}, "currency", "Must be an ISO 4217 currency code", 'value="Weekly groceries"'),
    ],
)
def test_new_expense_errors_are_422_next_to_the_field_with_input_kept(
    app, logged_in, user, overrides, field, message, kept
):
    response = logged_in.post("/expenses/new", data=form_data(app, user, **overrides))
    assert response.status_code == 422
    assert message in field_errors(response.text, field)
    assert f'aria-describedby="{field}-errors"' in response.text or f"{field}-help {field}-errors" in response.text
    assert kept in response.text
    assert 'value="Weekly groceries"' in response.text  # the other fields are kept too
    assert count_rows(app, Expense) == 0
    assert count_rows(app, Tag) == 0


def test_a_foreign_category_posted_by_hand_is_refused(app, logged_in, user, make_user):
    other = make_user(email="sam@example.com")
    response = logged_in.post("/expenses/new", data=form_data(app, user, category_id=category_id(app, other)))
    assert response.status_code == 422
    assert field_errors(response.text, "category_id") == "Choose one of your categories."
    assert count_rows(app, Expense) == 0


def test_edit_prefills_saves_and_returns_to_next(app, logged_in, add, user):
    expense_id = add(amount="7.00", description="Old", tags=["a", "b"], notes="n")
    page = logged_in.get(f"/expenses/{expense_id}/edit?next=/expenses%3Fq%3Dold")
    assert page.status_code == 200
    assert 'value="7.00"' in page.text and 'value="Old"' in page.text and 'value="a, b"' in page.text
    assert f'href="/expenses/{expense_id}/delete?next=' in page.text  # the delete button
    response = logged_in.post(
        f"/expenses/{expense_id}/edit?next=/expenses%3Fq%3Dold",
        data=form_data(
            app, user, amount="8.25", description="New", tags="", category_id=category_id(app, user, "Health")
        ),
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/expenses?q=old"
    expense = stored(app, expense_id)
    assert (expense.amount, expense.description, expense.tags) == (Decimal("8.25"), "New", [])
    assert expense.category_id == category_id(app, user, "Health")


def test_edit_next_cannot_leave_the_site(app, logged_in, add, user):
    expense_id = add()
    response = logged_in.post(f"/expenses/{expense_id}/edit?next=https://evil.example", data=form_data(app, user))
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]


def test_edit_with_errors_keeps_input_and_changes_nothing(app, logged_in, add, user):
    expense_id = add(amount="7.00", description="Old")
    response = logged_in.post(
        f"/expenses/{expense_id}/edit", data=form_data(app, user, amount="0", description="Changed")
    )
    assert response.status_code == 422
    assert field_errors(response.text, "amount") == "Must be greater than 0."
    assert 'value="Changed"' in response.text
    expense = stored(app, expense_id)
    assert (expense.amount, expense.description) == (Decimal("7.00"), "Old")


def test_show_page(app, logged_in, add):
    expense_id = add(amount="3.30", description="Tea", notes="green", tags=["drinks"])
    page = logged_in.get(f"/expenses/{expense_id}")
    assert page.status_code == 200
    for text in ("$3.30", "Tea", "green", "drinks", "Food", "Jan 15, 2026"):
        assert text in page.text


# --- delete -------------------------------------------------------------------------------------------


def test_delete_asks_first_then_deletes_on_post(app, logged_in, add):
    expense_id = add(description="Doomed")
    keep = add(description="Kept")
    confirm = logged_in.get(f"/expenses/{expense_id}/delete?next=/expenses%3Fq%3Dd")
    assert confirm.status_code == 200
    assert "Delete this expense?" in confirm.text and "Doomed" in confirm.text
    assert 'method="post"' in confirm.text
    assert stored(app, expense_id) is not None  # the GET changed nothing
    response = logged_in.post(f"/expenses/{expense_id}/delete?next=/expenses%3Fq%3Dd")
    assert response.status_code == 302
    assert response.headers["Location"] == "/expenses?q=d"
    assert stored(app, expense_id) is None
    assert stored(app, keep) is not None
    assert "Deleted 1 expense." in logged_in.get("/expenses").text
    assert logged_in.post(f"/expenses/{expense_id}/delete").status_code == 404


# --- ownership ----------------------------------------------------------------------------------------


def test_second_user_gets_404_for_every_expense_page(app, client, add, make_user, login, user):
    expense_id = add(amount="9.99", description="Mine")
    other = make_user(email="sam@example.com")
    login(other)
    for path in (f"/expenses/{expense_id}", f"/expenses/{expense_id}/edit", f"/expenses/{expense_id}/delete"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.content_type
        assert "Mine" not in response.text
    edit = client.post(f"/expenses/{expense_id}/edit", data=form_data(app, other, amount="1.00", description="Hacked"))
    assert edit.status_code == 404
    assert client.post(f"/expenses/{expense_id}/delete").status_code == 404
    expense = stored(app, expense_id)
    assert (expense.amount, expense.description) == (Decimal("9.99"), "Mine")
    listed = client.get("/expenses")
    assert row_ids(listed.text) == [] and "No expenses yet" in listed.text
    export = client.get("/expenses/export.csv")
    assert len(csv_rows(export)) == 1


# --- export -------------------------------------------------------------------------------------------


def test_export_follows_the_filters_and_neutralises_formulas(app, logged_in, three, add):
    add(amount="1.00", date="2026-01-05", description='=HYPERLINK("http://x")', tags=["work"])
    page = logged_in.get("/expenses?tag=work&sort=amount&page=1")
    link = re.search(r'id="export-csv" href="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    assert link.startswith("/expenses/export.csv?") and "tag=work" in link and "sort=amount" in link
    response = logged_in.get(link)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="expenses-')
    assert response.is_streamed
    rows = csv_rows(response)
    assert rows[0] == [
        "date",
        "description",
        "category",
        "payment_method",
        "amount",
        "currency",
        "base_amount",
        "base_currency",
        "tags",
        "notes",
    ]
    assert [row[1] for row in rows[1:]] == ['\'=HYPERLINK("http://x")', "Lunch", "Train"]
    assert [row[4] for row in rows[1:]] == ["1.00", "20.00", "50.00"]


def test_export_with_a_bad_filter_shows_the_list_error(logged_in, three):
    response = logged_in.get("/expenses/export.csv?date_to=tomorrow")
    assert response.status_code == 422
    assert "text/html" in response.content_type
    assert "To: Must be a date such as 2026-11-26." in response.text


# --- escaping and CSRF --------------------------------------------------------------------------------


def test_descriptions_and_notes_are_escaped(logged_in, add):
    expense_id = add(description="<script>alert(1)</script>", notes="<b>bold</b>", tags=["<i>"])
    for path in (
        "/expenses",
        f"/expenses/{expense_id}",
        f"/expenses/{expense_id}/edit",
        f"/expenses/{expense_id}/delete",
    ):
        html = logged_in.get(path).text
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "<i>" not in html and "<b>bold" not in html, path


class TestCsrf:
    """With CSRF on, as in production, every expense form without its token is 400 and changes nothing."""

    @pytest.fixture
    def browser(self, app_factory, user, add):
        app = app_factory(WTF_CSRF_ENABLED=True)
        client = app.test_client()
        token = csrf_token_from(client.get("/login").text)
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        return app, client, add(amount="5.00", description="Safe")

    def test_state_changing_forms_need_their_token(self, browser, user):
        app, client, expense_id = browser
        food = category_id(app, user)
        posts = {
            "/expenses": {"quick-amount": "1.00", "quick-date": "2026-01-01", "quick-category_id": food},
            "/expenses/new": {"amount": "1.00", "date": "2026-01-01", "category_id": food},
            f"/expenses/{expense_id}/edit": {"amount": "1.00", "date": "2026-01-01", "category_id": food},
            f"/expenses/{expense_id}/delete": {},
        }
        for path, data in posts.items():
            response = client.post(path, data=data)
            assert response.status_code == 400, path
            assert "security token" in response.text
        assert count_rows(app, Expense) == 1
        expense = stored(app, expense_id)
        assert (expense.amount, expense.description) == (Decimal("5.00"), "Safe")

    def test_the_pages_carry_the_token(self, browser, user):
        app, client, expense_id = browser
        token = csrf_token_from(client.get(f"/expenses/{expense_id}/delete").text)
        assert client.post(f"/expenses/{expense_id}/delete", data={"csrf_token": token}).status_code == 302
        quick = csrf_token_from(client.get("/expenses").text)
        added = client.post(
            "/expenses",
            data={
                "quick-csrf_token": quick,
                "quick-amount": "2.00",
                "quick-date": "2026-01-02",
                "quick-category_id": category_id(app, user),
            },
        )
        assert added.status_code == 302
        assert count_rows(app, Expense) == 1
