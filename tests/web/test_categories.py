"""Category pages: list with counts and totals, add, rename/recolour, delete with reassignment."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Category, Expense, User
from tests import factories
from tests.conftest import PASSWORD, count_rows, csrf_token_from


def category_of(app, user: User, name: str) -> Category | None:
    with app.app_context():
        category = db.session.scalar(sa.select(Category).where(Category.user_id == user.id, Category.name == name))
        if category is not None:
            db.session.expunge(category)
        return category


def stored_category(app, category_id: int) -> Category | None:
    with app.app_context():
        return db.session.get(Category, category_id)


@pytest.fixture
def add(app, user):
    def create(category: str = "Food", amount: str = "10.00", owner: User | None = None) -> int:
        with app.app_context():
            return factories.create_expense(owner or user, amount=amount, date="2026-02-01", category=category)

    return create


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def expense_categories(app, user: User) -> dict[str, int]:
    """How many of `user`'s expenses each category name has."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(Category.name, sa.func.count(Expense.id))
            .join(Expense, Expense.category_id == Category.id)
            .where(Expense.user_id == user.id)
            .group_by(Category.name)
        )
        return dict(rows.all())


def test_list_shows_counts_and_totals_in_the_user_currency(app, logged_in, add, user):
    add("Food", "0.10")
    add("Food", "0.20")
    add("Transport", "1234.50")
    response = logged_in.get("/categories")
    assert response.status_code == 200
    food = category_of(app, user, "Food")
    row = re.search(rf'<tr data-category-id="{food.id}">(.*?)</tr>', response.text, re.S).group(1)
    assert 'data-count="2"' in row and 'data-total="0.30"' in row and "$0.30" in row
    assert f'href="/expenses?category_id={food.id}"' in row
    assert "$1,234.50" in response.text
    assert "--chip-color: #198754" in row
    assert response.text.count("<tr data-category-id=") == 8


def test_list_needs_login(client):
    assert client.get("/categories").status_code == 302


def test_add_a_category(app, logged_in, user):
    response = logged_in.post("/categories", data={"name": "  Books ", "color": "#AA00ff", "icon": "📚"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/categories"
    assert "Category Books added." in logged_in.get("/categories").text
    books = category_of(app, user, "Books")
    assert (books.color, books.icon) == ("#aa00ff", "📚")
    page = logged_in.get("/categories")
    assert 'type="color"' in page.text


@pytest.mark.parametrize(
    ("data", "status", "field", "message"),
    [
        ({"name": "", "color": "#112233"}, 422, "name", "This field is required."),
        ({"name": "x" * 51, "color": "#112233"}, 422, "name", "Use at most 50 characters (you typed 51)."),
        ({"name": "FOOD", "color": "#112233"}, 409, "name", "You already have a category with this name."),
        ({"name": "Books", "color": "red"}, 422, "color", "Must be a colour like #1a2b3c."),
    ],
)
def test_add_errors_are_shown_next_to_the_field_with_input_kept(app, logged_in, user, data, status, field, message):
    response = logged_in.post("/categories", data=data)
    assert response.status_code == status
    assert re.search(rf'id="{field}-errors"[^>]*>{re.escape(message)}<', response.text)
    assert f'value="{data["name"]}"' in response.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Category.user_id == user.id)) == 8


def test_rename_recolour_and_clear_the_icon(app, logged_in, user):
    food = category_of(app, user, "Food")
    logged_in.post(f"/categories/{food.id}/edit", data={"name": "Food", "color": "#198754", "icon": "🍎"})
    page = logged_in.get(f"/categories/{food.id}/edit")
    assert page.status_code == 200
    assert 'value="Food"' in page.text and 'value="#198754"' in page.text and 'value="🍎"' in page.text
    response = logged_in.post(f"/categories/{food.id}/edit", data={"name": "Groceries", "color": "#000000", "icon": ""})
    assert response.status_code == 302
    assert "Category Groceries saved." in logged_in.get("/categories").text
    renamed = stored_category(app, food.id)
    assert (renamed.name, renamed.color, renamed.icon) == ("Groceries", "#000000", None)


def test_rename_to_a_taken_name_is_409_and_changes_nothing(app, logged_in, user):
    food = category_of(app, user, "Food")
    response = logged_in.post(f"/categories/{food.id}/edit", data={"name": "transport", "color": "#000000"})
    assert response.status_code == 409
    assert "You already have a category with this name." in response.text
    assert 'value="transport"' in response.text
    assert (stored_category(app, food.id).name, stored_category(app, food.id).color) == ("Food", "#198754")


def test_delete_an_empty_category_after_a_plain_confirmation(app, logged_in, user):
    other = category_of(app, user, "Other")
    confirm = logged_in.get(f"/categories/{other.id}/delete")
    assert confirm.status_code == 200
    assert "It has no expenses." in confirm.text
    assert 'name="reassign_to"' not in confirm.text
    assert stored_category(app, other.id) is not None
    response = logged_in.post(f"/categories/{other.id}/delete")
    assert response.status_code == 302
    assert stored_category(app, other.id) is None
    assert "Category Other deleted." in logged_in.get("/categories").text


def test_delete_with_expenses_moves_them_to_the_chosen_category(app, logged_in, add, user):
    add("Food")
    add("Food")
    add("Health")
    food, health = category_of(app, user, "Food"), category_of(app, user, "Health")
    confirm = logged_in.get(f"/categories/{food.id}/delete")
    assert "It has <strong>2 expenses</strong>" in confirm.text
    select = re.search(r'<select[^>]*name="reassign_to".*?</select>', confirm.text, re.S).group(0)
    assert f'value="{health.id}"' in select
    assert f'value="{food.id}"' not in select  # not itself
    response = logged_in.post(f"/categories/{food.id}/delete", data={"reassign_to": health.id})
    assert response.status_code == 302
    assert "Category Food deleted. 2 expenses moved to Health." in logged_in.get("/categories").text
    assert stored_category(app, food.id) is None
    assert expense_categories(app, user) == {"Health": 3}


def test_delete_with_expenses_and_no_target_shows_the_conflict(app, logged_in, add, user):
    add("Food")
    food = category_of(app, user, "Food")
    response = logged_in.post(f"/categories/{food.id}/delete", data={"reassign_to": ""})
    assert response.status_code == 409
    assert "Cannot delete the category Food: it still has 1 expense." in response.text
    assert re.search(r'id="reassign_to-errors"[^>]*>Choose a category to move the expenses to.<', response.text)
    assert stored_category(app, food.id) is not None
    assert expense_categories(app, user) == {"Food": 1}


def test_reassign_to_itself_or_to_text_is_422(app, logged_in, add, user):
    add("Food")
    food = category_of(app, user, "Food")
    itself = logged_in.post(f"/categories/{food.id}/delete", data={"reassign_to": food.id})
    assert itself.status_code == 422
    assert "Choose a different category to move the expenses to." in itself.text
    text = logged_in.post(f"/categories/{food.id}/delete", data={"reassign_to": "abc"})
    assert text.status_code == 422
    assert stored_category(app, food.id) is not None


def test_reassign_to_a_foreign_category_is_404_and_changes_nothing(app, logged_in, add, user, make_user):
    add("Food")
    other = make_user(email="sam@example.com")
    food, foreign = category_of(app, user, "Food"), category_of(app, other, "Food")
    response = logged_in.post(f"/categories/{food.id}/delete", data={"reassign_to": foreign.id})
    assert response.status_code == 404
    assert stored_category(app, food.id) is not None
    assert expense_categories(app, user) == {"Food": 1}


def test_second_user_gets_404_for_every_category_page(app, client, login, user, make_user, add):
    add("Food")
    food = category_of(app, user, "Food")
    login(make_user(email="sam@example.com"))
    for path in (f"/categories/{food.id}/edit", f"/categories/{food.id}/delete"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "text/html" in response.content_type
    assert client.post(f"/categories/{food.id}/edit", data={"name": "Hacked", "color": "#000000"}).status_code == 404
    assert client.post(f"/categories/{food.id}/delete").status_code == 404
    unchanged = stored_category(app, food.id)
    assert (unchanged.name, unchanged.color) == ("Food", "#198754")
    assert expense_categories(app, user) == {"Food": 1}
    assert f'data-category-id="{food.id}"' not in client.get("/categories").text


def test_names_are_escaped(app, logged_in, user):
    logged_in.post("/categories", data={"name": "<script>x</script>", "color": "#112233", "icon": "<b>"})
    created = category_of(app, user, "<script>x</script>")
    for path in ("/categories", f"/categories/{created.id}/edit", f"/categories/{created.id}/delete", "/expenses"):
        html = logged_in.get(path).text
        assert "<script>x</script>" not in html, path
        assert "&lt;script&gt;x&lt;/script&gt;" in html, path


def test_csrf_is_required_for_every_category_form(app_factory, user):
    app = app_factory(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_from(client.get("/login").text)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    other = category_of(app, user, "Other")
    for path, data in (
        ("/categories", {"name": "Books", "color": "#112233"}),
        (f"/categories/{other.id}/edit", {"name": "Hacked", "color": "#000000"}),
        (f"/categories/{other.id}/delete", {}),
    ):
        response = client.post(path, data=data)
        assert response.status_code == 400, path
    assert count_rows(app, Category) == 8
    assert stored_category(app, other.id).name == "Other"
    token = csrf_token_from(client.get(f"/categories/{other.id}/delete").text)
    assert client.post(f"/categories/{other.id}/delete", data={"csrf_token": token}).status_code == 302
    assert stored_category(app, other.id) is None


def test_total_matches_the_api(app, client, logged_in, add, user, api_login):
    add("Food", "0.10")
    add("Food", "0.20")
    page = logged_in.get("/categories").text
    api = client.get("/api/v1/categories", headers={"Authorization": f"Bearer {api_login(user)['access_token']}"}).json
    food = next(item for item in api if item["name"] == "Food")
    row = re.search(rf'<tr data-category-id="{food["id"]}">(.*?)</tr>', page, re.S).group(1)
    assert f'data-count="{food["expense_count"]}"' in row
    assert (
        Decimal(re.search(r'data-total="([\d.]+)"', row).group(1)) == Decimal(food["total_amount"]) == Decimal("0.30")
    )
