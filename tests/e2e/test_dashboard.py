"""The dashboard in headless Chromium against a real server: charts drawn, links, themes, fallbacks.

The page guards of tests/e2e/conftest.py fail every test here on a console error, a CSP
violation, a failed request or a request to another host. Screenshots of the data and empty
states in light, dark and phone layouts are saved under test-artifacts/e2e/screens/.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import ARTIFACTS, log_in
from tests.services.test_analytics import insert_expenses

SCREENS = ARTIFACTS / "screens"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
CHART_IDS = ("categories", "trend", "methods", "running")


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def spender(app, make_user):
    """A user with expenses this month (842.50 in 3) and last month (119.99 in 2)."""
    user = make_user(email="dana@example.com", full_name="Dana")
    today = _today()
    first = today.replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    rows = [
        (first, "Food", "12.50", "cash", "Bakery"),
        (first, "Transport", "30.00", "credit_card", "Bus pass"),
        (today, "Housing", "800.00", "bank_transfer", "Rent"),
        (last_month, "Food", "20.00", "debit_card", "Groceries"),
        (last_month + dt.timedelta(days=14), "Shopping", "99.99", "credit_card", "Shoes"),
    ]
    with app.app_context():
        categories = insert_expenses(user, [(day.isoformat(), *rest) for day, *rest in rows])
    return SimpleNamespace(email=user.email, categories=categories)


def open_dashboard(page, user, query: str = "") -> None:
    log_in(page, user.email, PASSWORD)
    page.goto("/" + query)


def chart_state(page) -> dict:
    """For each canvas: whether Chart.js owns it, its number of data points, and painted pixels."""
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("canvas[data-chart]")].map((canvas) => {
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return [canvas.id, {
                chart: chart ? chart.config.type : null,
                points: chart ? chart.data.datasets[0].data.length : 0,
                painted,
                width: canvas.clientWidth,
            }];
        }))"""
    )


def test_dashboard_draws_its_four_charts(browser_page, page_guard, spender):
    page = browser_page
    open_dashboard(page, spender)
    page.wait_for_selector("#dashboard.charts-ready")
    state = chart_state(page)
    assert set(state) == {f"{name}-canvas" for name in CHART_IDS}
    assert {name: value["chart"] for name, value in state.items()} == {
        "categories-canvas": "doughnut",
        "trend-canvas": "bar",
        "methods-canvas": "bar",
        "running-canvas": "line",
    }
    for name, value in state.items():
        assert value["points"] > 0, name
        assert value["painted"] > 500, f"{name} looks blank"
    assert page.locator("[data-figure=total]").inner_text() == "$842.50"
    assert page.locator("[data-figure=count]").inner_text() == "3"
    # With the charts drawn the tables fold away, one click from being read.
    assert page.locator("details.chart-table[open]").count() == 0
    assert page.locator("#top-expenses tbody tr").count() == 3
    page_guard.assert_clean()


# Without animation the slices are where they end up when the test clicks.
@pytest.mark.parametrize("browser_context_args", [{"reduced_motion": "reduce"}], indirect=True)
def test_clicking_a_slice_opens_the_filtered_expense_list(browser_page, spender):
    page = browser_page
    open_dashboard(page, spender)
    page.wait_for_selector("#dashboard.charts-ready")
    # The expense pages are another feature: stand in for the list so only the link is tested.
    page.route("**/expenses?*", lambda route: route.fulfill(status=200, content_type="text/html", body="<p>list</p>"))
    # The largest slice (Housing) comes first; click at its centre as Chart.js computes it.
    x, y = page.evaluate(
        """() => { const p = Chart.getChart(document.getElementById("categories-canvas"))
                       .getDatasetMeta(0).data[0].tooltipPosition(); return [p.x, p.y]; }"""
    )
    with page.expect_navigation():
        page.locator("#categories-canvas").click(position={"x": x, "y": y})
    url = urlsplit(page.url)
    assert url.path == "/expenses"
    first = _today().replace(day=1)
    query = parse_qs(url.query)
    assert query["category_id"] == [str(spender.categories["Housing"])]
    assert query["date_from"] == [first.isoformat()]
    assert dt.date.fromisoformat(query["date_to"][0]).month == first.month


def test_period_picker_changes_the_figures(browser_page, spender):
    page = browser_page
    open_dashboard(page, spender)
    page.select_option("#period", "last_month")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "period=last_month" in page.url
    assert page.locator("[data-figure=total]").inner_text() == "$119.99"
    # Typing a date switches the picker to a custom range.
    page.fill("#date_from", "2000-01-01")
    page.dispatch_event("#date_from", "change")
    assert page.locator("#period").input_value() == "custom"


@pytest.mark.parametrize("browser_context_args", [{"java_script_enabled": False}], indirect=True)
def test_without_javascript_the_tables_stand_in_for_the_charts(browser_page, spender):
    page = browser_page
    open_dashboard(page, spender)
    assert page.locator("details.chart-table[open]").count() == 4
    assert page.locator(".chart-box").first.is_hidden()
    table = page.locator("#chart-categories table")
    assert table.is_visible()
    assert "Housing" in table.inner_text()
    assert "$800.00" in table.inner_text()


@pytest.mark.parametrize(
    ("browser_context_args", "name"),
    [
        ({"viewport": DESKTOP, "color_scheme": "light", "reduced_motion": "reduce"}, "data-light"),
        ({"viewport": DESKTOP, "color_scheme": "dark", "reduced_motion": "reduce"}, "data-dark"),
        (
            {"viewport": PHONE, "color_scheme": "light", "is_mobile": True, "reduced_motion": "reduce"},
            "data-phone-light",
        ),
        ({"viewport": PHONE, "color_scheme": "dark", "is_mobile": True, "reduced_motion": "reduce"}, "data-phone-dark"),
    ],
    indirect=["browser_context_args"],
)
def test_layouts_and_themes(browser_page, browser_context_args, spender, name):
    page = browser_page
    open_dashboard(page, spender)
    page.wait_for_selector("#dashboard.charts-ready")
    theme = page.evaluate("document.documentElement.dataset.bsTheme")
    assert theme == browser_context_args["color_scheme"]
    # Chart text uses the theme's secondary text colour, read from Bootstrap's CSS variables.
    colors = page.evaluate(
        """() => [Chart.defaults.color,
                  getComputedStyle(document.documentElement).getPropertyValue("--bs-secondary-color").trim()]"""
    )
    assert colors[0] == colors[1]
    # Nothing sticks out sideways, even at phone width, and no table needs a sideways scroll.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(
        """() => { const t = document.getElementById("top-expenses"); return t.scrollWidth <= t.parentElement.clientWidth; }"""
    )
    # With reduced motion the charts are drawn at once, without animation.
    assert page.evaluate("""() => Chart.getChart(document.getElementById("trend-canvas")).options.animation""") is False
    for value in chart_state(page).values():
        assert value["painted"] > 500
        assert value["width"] <= browser_context_args["viewport"]["width"]
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize(
    ("browser_context_args", "name"),
    [
        ({"viewport": DESKTOP, "color_scheme": "light"}, "empty-light"),
        ({"viewport": PHONE, "color_scheme": "dark", "is_mobile": True}, "empty-phone-dark"),
    ],
    indirect=["browser_context_args"],
)
def test_a_new_user_sees_an_empty_state(browser_page, make_user, name):
    page = browser_page
    user = make_user(email="new@example.com")
    open_dashboard(page, user)
    assert page.get_by_role("heading", name="No expenses yet").is_visible()
    assert page.locator("canvas").count() == 0
    assert page.evaluate("typeof Chart") == "undefined"  # Chart.js is not even loaded
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
