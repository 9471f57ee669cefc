"""The import pages in headless Chromium: the Sparkasse CSV (Latin-1, `;`, `1.234,56`, DD.MM.YY)
uploaded through the real file input, the detected mapping confirmed after the live preview
followed a changed select, the preview table checked, the rows imported and the import undone,
every figure matching the database.

Screenshots of the mapping step and the preview table at 1280 and 390 px, light and dark, go to
/tmp/shots-import/ (and test-artifacts/e2e/screens/). The page guards of tests/e2e/conftest.py fail
the test on a console error, a CSP violation or a failed request.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense
from tests import factories
from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.web.test_imports import MANIFEST, SPARKASSE, samples_dir

SHOTS = (Path("/tmp/shots-import"), ARTIFACTS / "screens")  # noqa: S108 (the brief asks for this folder)
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def shoot(page, name: str, section: str) -> None:
    """`name` at both widths in light and dark: the whole page, and the screen showing `section`
    (a CSS selector) as a person sees it."""
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            page.reload()
            page.wait_for_load_state("networkidle")
            assert page.evaluate("document.documentElement.getAttribute('data-bs-theme')") == scheme
            # At 390 px the page itself never scrolls sideways: only the tables do.
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{name} at {width} px ({scheme}) is {overflow} px too wide"
            for folder in SHOTS:
                page.screenshot(path=str(folder / f"import-{name}-{width}-{scheme}.png"), full_page=True)
            page.evaluate("selector => window.scrollTo(0, document.querySelector(selector).offsetTop)", section)
            for folder in SHOTS:
                page.screenshot(path=str(folder / f"import-{name}-{width}-{scheme}-screen.png"))
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(WIDTHS["1280"])


def expenses_of(app, user) -> list[Expense]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Expense).where(Expense.user_id == user.id)))


def test_sparkasse_csv_uploaded_mapped_previewed_imported_and_undone(app, browser_page, make_user):
    page = browser_page
    expected = MANIFEST[SPARKASSE]
    user = make_user(email="import@example.com")
    with app.app_context():
        food = factories.category_id(user, "Food")
    log_in(page, user.email, PASSWORD)

    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_url("**/import")
    page.get_by_label("Statement file").set_input_files(str(samples_dir() / SPARKASSE))
    assert SPARKASSE in page.locator("#chosen-file").inner_text()
    page.get_by_label("Default category").select_option(str(food))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()

    # The mapping step: what detection found, shown for the user to confirm.
    assert re.search(r"/import/\d+$", page.url), page.url
    assert page.locator("#delimiter").input_value() == ";"
    assert page.locator("#decimal").input_value() == ","
    assert page.locator("#date_format").input_value() == "%d.%m.%y"
    assert page.locator("#column_amount").input_value() == "Betrag"
    preview = page.locator("#mapping-preview-table tbody tr")
    assert preview.count() == min(20, expected["transactions"])
    assert (
        "Müller" in page.locator("#mapping-preview").inner_text()
        or "Bücher" in page.locator("#mapping-preview").inner_text()
    )
    shoot(page, "mapping", "#mapping-step")

    # The live preview follows a changed select, without a page load and without storing anything.
    first_description = page.locator("#mapping-preview-table tbody tr").first.locator("td").nth(2)
    before = first_description.inner_text()
    page.locator("#column_description").select_option("Buchungstext")
    page.wait_for_function(
        "text => document.querySelector('#mapping-preview-table tbody tr td:nth-child(3)').innerText !== text",
        arg=before,
    )
    changed = first_description.inner_text()
    assert changed != before
    assert page.locator("#mapping-status").inner_text() == "Preview updated."
    page.locator("#column_description").select_option("Verwendungszweck")
    page.wait_for_function(
        "text => document.querySelector('#mapping-preview-table tbody tr td:nth-child(3)').innerText !== text",
        arg=changed,
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Use these settings").click()

    # The preview table: tabs with counts matching the manifest (15 debits + 1 zero-amount error, 2 credits).
    tabs = {
        tab.get_attribute("data-tab"): int(tab.get_attribute("data-count"))
        for tab in page.locator("#status-tabs a").all()
    }
    assert tabs["all"] == expected["transactions"]
    assert tabs["money_in"] == expected["credits"]
    assert tabs["new"] == expected["debits"]
    assert page.locator("#import-rows tbody tr").count() == expected["transactions"]
    shoot(page, "preview", "#rows")

    # Leave one row out by its checkbox (saved in the background) and see the count follow.
    included = int(page.locator("#commit-button").get_attribute("data-included"))
    assert included == expected["debits"]
    first_new = page.locator('#import-rows tbody tr[data-status="new"]').first
    first_new.locator('input[name="include"]').uncheck()
    page.wait_for_function(
        "n => document.querySelector('#commit-button').dataset.included === String(n)", arg=included - 1
    )
    first_new.locator('input[name="include"]').check()
    page.wait_for_function("n => document.querySelector('#commit-button').dataset.included === String(n)", arg=included)

    with page.expect_navigation():
        page.locator("#commit-button").click()
    result = page.locator("#import-result").inner_text()
    assert f"Imported {expected['debits']} expenses" in result
    assert f"{expected['credits']} money-in rows not imported" in result
    stored = expenses_of(app, user)
    assert len(stored) == expected["debits"]
    assert sum(expense.amount for expense in stored) == Decimal(expected["debit_sum"])
    shoot(page, "result", "main")

    with page.expect_navigation():
        page.locator("#import-result").get_by_role("button", name="Undo this import").click()
    assert "Import undone" in page.locator("main").inner_text()
    assert expenses_of(app, user) == []
    assert re.search(r"/import/\d+$", page.url), page.url


DROP_FILE = """([name, text]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], name, { type: "text/csv" }));
  const zone = document.querySelector("[data-drop-zone]");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: transfer }));
  }
}"""


def test_a_file_dropped_on_the_zone_is_uploaded(app, browser_page, make_user):
    page = browser_page
    user = make_user(email="drop@example.com")
    log_in(page, user.email, PASSWORD)
    page.goto("/import")
    assert page.locator("#drop-hint").is_visible()
    page.evaluate(DROP_FILE, ["dropped.csv", "Date,Description,Amount\n2026-03-01,Dropped coffee,-3.50\n"])
    assert page.evaluate("document.querySelector('input[type=file]').files.length") == 1
    assert "dropped.csv" in page.locator("#chosen-file").inner_text()
    with page.expect_navigation():
        page.get_by_role("button", name="Upload and preview").click()
    assert re.search(r"/import/\d+$", page.url), page.url
    assert "Dropped coffee" in page.locator("#import-rows").inner_text()
