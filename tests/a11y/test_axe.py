"""Accessibility: axe-core finds no serious or critical violation on the main pages, light and dark.

axe-core comes from npm (package.json, copied to static/vendor/axe by scripts/vendor_assets.py)
and is loaded from the app's own static files, so the pages keep their Content-Security-Policy
while they are checked. Each page is checked with the browser in light and in dark mode (the
theme follows `prefers-color-scheme`), with data on it: charts, tables, forms.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from expense_app.services import budgets, categories, expenses, imports, recurring
from tests.a11y.conftest import log_in
from tests.conftest import PASSWORD
from tests.requirements import require_file

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe" / "axe.min.js"
AXE_URL = "/static/vendor/axe/axe.min.js"
BLOCKING = ("serious", "critical")

PUBLIC_PAGES = {"login": "/login", "register": "/register"}
PRIVATE_PAGES = {
    "dashboard": "/",
    "expenses": "/expenses",
    "expense form": "/expenses/new",
    "categories": "/categories",
    "settings": "/settings",
    "two-factor settings": "/settings/two-factor",
    "access tokens": "/settings/tokens",
    "security settings": "/settings/security",
    "budgets": "/budgets",
    "recurring": "/recurring",
    "rules": "/rules",
    "rule form": "/rules/new",
    "rule run": f"/rules/run?date_from={dt.date.today() - dt.timedelta(days=364)}&date_to={dt.date.today()}",
    "import upload": "/import",
    "import history": "/imports",
}
# The batch pages of a staged CSV import (mapping step, live preview, the rows) and of a committed
# one (the result with Undo, the undo page); {staged}/{committed} are the user's batch ids.
IMPORT_PAGES = {
    "import mapping and rows": "/import/{staged}",
    "import money-in tab": "/import/{staged}?status=money_in",
    "import result": "/import/{committed}",
    "import undo": "/import/{committed}/undo",
}
IMPORT_CSV = (
    "Date;Description;Amount;Currency\n"
    "03.04.2026;Bäckerei Müller;-3,50;EUR\n"
    "04.04.2026;Buchhandlung;-1.234,56;EUR\n"
    "05.04.2026;Gehalt;2.000,00;EUR\n"
).encode("cp1252")
SCHEMES = ("light", "dark")


def _violations(page) -> list[dict]:
    page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ["violations"]});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160), summary: n.failureSummary})),
            }));
        }"""
    )
    return [violation for violation in result if violation["impact"] in BLOCKING]


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']}")
        lines += [f"    {node['target']}  {node['html']}" for node in violation["nodes"][:5]]
    return "\n".join(lines)


@pytest.fixture(autouse=True)
def axe_is_installed() -> None:
    require_file(AXE, "run `make assets` (npm ci + scripts/vendor_assets.py)")


@pytest.fixture
def user_with_data(app, make_user):
    """A user with a few expenses this month and last, so charts and tables are drawn."""
    user = make_user(email="a11y@example.com", full_name="Ada")
    today = dt.date.today()
    with app.app_context():
        ids = [summary.id for summary in categories.list_categories(user=user)][:3]
        for number, category_id in enumerate(ids * 2):
            expenses.create_expense(
                user=user,
                amount=f"{12 + number}.50",
                date=today - dt.timedelta(days=number * 9),
                category_id=category_id,
                description=f"Item {number}",
                payment_method=("cash", "credit_card", "debit_card")[number % 3],
                tags=["weekly"] if number % 2 else [],
            )
        # Budgets at three levels (on track, nearly used, over) and a recurring expense, so the
        # budget cards, progress bars and warnings are all on the pages being checked.
        for category_id, amount in zip(ids, ("500.00", "30.00", "20.00"), strict=True):
            budgets.create_budget(user=user, category_id=category_id, amount=amount)
        recurring.create_recurring(user=user, amount="9.99", category_id=ids[0], start_date=today, description="Music")
    return user


def _check(chromium, live_server, scheme: str, url: str, user=None) -> list[dict]:
    context = chromium.new_context(base_url=live_server, color_scheme=scheme)
    try:
        page = context.new_page()
        if user is not None:
            log_in(page, user.email, PASSWORD)
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{url}: {response.status if response else None}"
        page.wait_for_load_state("networkidle")
        theme = page.evaluate("document.documentElement.getAttribute('data-bs-theme')")
        assert theme == scheme, f"{url} did not switch to the {scheme} theme"
        return _violations(page)
    finally:
        context.close()


@pytest.mark.e2e
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_public_pages_have_no_serious_violations(chromium, live_server, app, scheme, name):
    violations = _check(chromium, live_server, scheme, PUBLIC_PAGES[name])
    assert not violations, f"{name} ({scheme}):\n{_describe(violations)}"


@pytest.mark.e2e
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", PRIVATE_PAGES)
def test_pages_behind_login_have_no_serious_violations(chromium, live_server, user_with_data, scheme, name):
    violations = _check(chromium, live_server, scheme, PRIVATE_PAGES[name], user=user_with_data)
    assert not violations, f"{name} ({scheme}):\n{_describe(violations)}"


@pytest.fixture
def user_with_imports(app, user_with_data):
    """`user_with_data` with a staged CSV import and a committed one: (user, staged id, committed id)."""
    with app.app_context():
        food = categories.list_categories(user=user_with_data)[0].id
        staged = imports.create_batch(
            user=user_with_data, data=IMPORT_CSV, filename="giro.csv", default_category_id=food
        )
        committed = imports.create_batch(
            user=user_with_data, data=IMPORT_CSV.replace(b"2026", b"2025"), filename="old.csv", default_category_id=food
        )
        imports.commit_batch(user=user_with_data, batch_id=committed.id)
    return user_with_data, staged.id, committed.id


@pytest.mark.e2e
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("name", IMPORT_PAGES)
def test_import_pages_have_no_serious_violations(chromium, live_server, user_with_imports, scheme, name):
    user, staged, committed = user_with_imports
    url = IMPORT_PAGES[name].format(staged=staged, committed=committed)
    violations = _check(chromium, live_server, scheme, url, user=user)
    assert not violations, f"{name} ({scheme}):\n{_describe(violations)}"
