"""Fast capture in headless Chromium: five expenses with the keyboard only, the phone layout, the
installable manifest.

The page guards of tests/e2e/conftest.py fail each test on a console error, a CSP violation or a
failed request. Screenshots go to test-artifacts/e2e/screens/.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import CaptureDefaults, Category, Expense
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.services.test_analytics import insert_expenses

SCREENS = ARTIFACTS / "screens"
PHONE = {"width": 390, "height": 844}


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_a_newcomer_records_five_expenses_with_the_keyboard_only(app, browser_page, make_user):
    page = browser_page
    user = make_user(email="newcomer@example.com")
    log_in(page, user.email, PASSWORD)
    page.goto("/expenses")
    assert focused_id(page) == "quick-amount"
    entries = [("4.20", "Bus"), ("12.5", "Train"), ("3", "Tram"), ("27.80", "Taxi"), ("1.10", "Ferry")]
    for number, (amount, description) in enumerate(entries):
        page.keyboard.type(amount)
        page.keyboard.press("Tab")
        assert focused_id(page) == "quick-description"
        if number == 0:
            # Once, the category: Tab on to it, type its first letters (the select jumps to
            # Transport), and Shift+Tab back to the description.
            page.keyboard.press("Tab")
            assert focused_id(page) == "quick-category_id"
            page.keyboard.type("Tr")
            page.keyboard.press("Shift+Tab")
        page.keyboard.type(description)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(".alert-success").first.is_visible()
        # Back on the list, the amount box has the focus again: the next expense starts at once.
        assert focused_id(page) == "quick-amount"
        assert page.locator("#quick-category_id option:checked").inner_text() == "Transport"
    with app.app_context():
        rows = db.session.execute(
            sa.select(Expense.description, Expense.amount, Category.name)
            .join(Category, Category.id == Expense.category_id)
            .where(Expense.user_id == user.id)
            .order_by(Expense.id)
        ).all()
        assert [(row.description, str(row.amount), row.name) for row in rows] == [
            ("Bus", "4.20", "Transport"),
            ("Train", "12.50", "Transport"),
            ("Tram", "3.00", "Transport"),
            ("Taxi", "27.80", "Transport"),
            ("Ferry", "1.10", "Transport"),
        ]
        assert db.session.get(CaptureDefaults, user.id).payment_method == "other"


@pytest.mark.parametrize("browser_context_args", [{"viewport": PHONE, "color_scheme": "light"}], indirect=True)
def test_at_phone_width_the_first_expense_is_on_the_first_screen(app, browser_page, make_user):
    page = browser_page
    user = make_user(email="phone@example.com")
    with app.app_context():
        insert_expenses(user, [(f"2026-01-{day:02d}", "Food", "9.99", "cash", f"Lunch {day}") for day in range(1, 21)])
    log_in(page, user.email, PASSWORD)
    page.goto("/expenses")
    first_row = page.locator("#expense-table tbody tr").first.bounding_box()
    assert first_row is not None
    assert first_row["y"] + first_row["height"] < PHONE["height"], first_row
    # No sideways scrolling, the filters are one button away, the add button is on screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not page.locator("#expense-filters").is_visible()
    page.locator("#filters-toggle").click()
    page.locator("#q").wait_for(state="visible")
    assert page.locator("#add-button").is_visible()
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "expenses-phone-390.png"))


@pytest.mark.parametrize("browser_context_args", [{"viewport": PHONE}], indirect=True)
def test_the_dashboard_and_the_add_button_open_the_quick_add_focused(browser_page, make_user):
    page = browser_page
    user = make_user(email="adder@example.com")
    log_in(page, user.email, PASSWORD)
    page.goto("/")
    page.locator("#add-expense").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert focused_id(page) == "quick-amount"
    page.locator("#quick-amount").blur()
    page.locator("#add-button").click()  # on the list itself: no reload, the focus moves
    assert focused_id(page) == "quick-amount"


def test_the_manifest_and_its_icons_are_served_and_linked(browser_page, live_server):
    page = browser_page
    page.goto("/login")
    href = page.locator('link[rel="manifest"]').get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(response.text())
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/expenses"
    purposes = set()
    for icon in manifest["icons"]:
        served = page.request.get(icon["src"])
        assert served.status == 200 and served.headers["content-type"].startswith(icon["type"]), icon
        purposes.add(icon["purpose"])
        if icon["type"] == "image/png":
            width, height = (int(n) for n in icon["sizes"].split("x"))
            body = served.body()
            assert body[:8] == b"\x89PNG\r\n\x1a\n"
            assert (int.from_bytes(body[16:20]), int.from_bytes(body[20:24])) == (width, height)
    assert {"any", "maskable"} <= purposes
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert page.locator('meta[name="theme-color"]').count() == 2
