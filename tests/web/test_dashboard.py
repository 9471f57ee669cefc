"""The dashboard page: the same numbers as the API, the period picker, the empty states, and a page
that needs no inline script (CSP `script-src 'self'`) with chart data in `data-` attributes."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from expense_app.web.filters import money
from tests.conftest import bearer
from tests.services.test_analytics import insert_expenses, seed_expenses

NOVEMBER = "date_from=2026-11-01&date_to=2026-11-30"


class Page(HTMLParser):
    """What the tests read from the HTML: figures, charts, scripts, event-handler attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.figures: dict[str, str] = {}
        self.charts: dict[str, dict] = {}
        self.scripts: list[dict] = []
        self.handlers: list[str] = []
        self._figure: str | None = None
        self._depth = 0
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.handlers += [name for name in attributes if name.startswith("on")]
        if tag == "script":
            self.scripts.append(attributes)
        if tag == "canvas" and "data-chart" in attributes:
            self.charts[attributes["id"]] = json.loads(attributes["data-chart"])
        if self._figure is not None:
            self._depth += 1
        elif "data-figure" in attributes:
            self._figure, self._depth, self._text = attributes["data-figure"], 1, []

    def handle_endtag(self, tag):
        if self._figure is not None:
            self._depth -= 1
            if self._depth == 0:
                self.figures[self._figure] = " ".join("".join(self._text).split())
                self._figure = None

    def handle_data(self, data):
        if self._figure is not None:
            self._text.append(data)


@pytest.fixture
def seeded(app, make_user):
    return seed_expenses(app, make_user)


@pytest.fixture
def alex_page(client, login, seeded):
    login(seeded.alex)

    def fetch(query: str = ""):
        response = client.get(f"/?{query}")
        return response, Page(response.text)

    return fetch


@pytest.fixture
def alex_api(client, api_login, seeded):
    headers = bearer(api_login(seeded.alex)["access_token"])

    def fetch(path: str) -> dict:
        response = client.get(f"/api/v1/analytics/{path}", headers=headers)
        assert response.status_code == 200, response.json
        return response.json

    return fetch


def usd(amount: str) -> str:
    return money(Decimal(amount), "USD")


def test_needs_a_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "filters",
    [
        "",
        "&payment_method=credit_card",
        "&category_id={Transport}",
        "&category_id={Transport}&payment_method=credit_card",
        "&category_id={Food}&category_id={Housing}",
    ],
)
def test_the_page_shows_the_apis_numbers(alex_page, alex_api, seeded, filters):
    filters = filters.format(**seeded.alex_categories)
    response, page = alex_page(f"period=custom&{NOVEMBER}{filters}")
    assert response.status_code == 200
    summary = alex_api(f"summary?{NOVEMBER}{filters}")
    assert page.figures["total"] == usd(summary["total"])
    assert page.figures["count"] == str(summary["count"])
    assert page.figures["average"] == usd(summary["average"])
    assert page.figures["daily_average"] == usd(summary["daily_average"])
    assert page.figures["previous_total"] == usd(summary["previous_period"]["total"])
    if summary["change_pct"] is None:
        assert page.figures["change_pct"] == "—"
    else:
        assert page.figures["change_pct"].endswith(f"{summary['change_pct']:+.1f}%")

    by_category = alex_api(f"by-category?{NOVEMBER}{filters}")["items"]
    by_method = alex_api(f"by-payment-method?{NOVEMBER}{filters}")["items"]
    trend = alex_api(f"trend?interval=day&{NOVEMBER}{filters}")["items"]
    if summary["count"]:
        categories = page.charts["categories-canvas"]
        assert categories["labels"] == [item["name"] for item in by_category]
        assert categories["values"] == [item["total"] for item in by_category]
        assert categories["colors"] == [item["color"] for item in by_category]
        methods = page.charts["methods-canvas"]
        assert methods["values"] == [item["total"] for item in by_method]
        assert page.charts["trend-canvas"]["values"] == [item["total"] for item in trend]
        for item in by_category:
            assert usd(item["total"]) in response.text
    else:
        assert "categories-canvas" not in page.charts


def test_hand_computed_november(alex_page):
    response, page = alex_page(f"period=custom&{NOVEMBER}")
    assert page.figures["total"] == "$1,000.29"
    assert page.figures["count"] == "6"
    assert page.figures["average"] == "$166.72"
    # Compared with the whole of October (50.00 + 100.00 + 400.00), stated next to the figure.
    assert page.figures["previous_total"] == "$550.00"
    assert page.figures["change_pct"] == "▲ +81.9%"
    assert page.figures["previous_dates"] == "Oct 1 \u2013 31, 2026"  # thin spaces, folded by the parser
    assert "spent in the month before" in response.text
    # The largest expenses, in order.
    top = response.text[response.text.index('id="top-expenses"') :]
    assert top.index("Rent") < top.index("Train")
    assert "$900.00" in top


def test_chart_links_open_the_expense_list_for_the_slice_and_period(alex_page, seeded):
    _, page = alex_page(f"period=custom&{NOVEMBER}&payment_method=credit_card")
    transport = seeded.alex_categories["Transport"]
    categories = page.charts["categories-canvas"]
    link = urlsplit(categories["links"][categories["labels"].index("Transport")])
    assert link.path == "/expenses"
    assert parse_qs(link.query) == {
        "date_from": ["2026-11-01"],
        "date_to": ["2026-11-30"],
        "category_id": [str(transport)],
        "payment_method": ["credit_card"],
    }
    # A day's bar links to that day.
    trend = page.charts["trend-canvas"]
    assert len(trend["links"]) == 30
    assert parse_qs(urlsplit(trend["links"][9]).query)["date_from"] == ["2026-11-10"]
    assert parse_qs(urlsplit(trend["links"][9]).query)["date_to"] == ["2026-11-10"]
    methods = page.charts["methods-canvas"]
    assert parse_qs(urlsplit(methods["links"][0]).query)["payment_method"] == ["credit_card"]


def test_monthly_bars_for_long_periods_clipped_to_the_period(alex_page):
    _, page = alex_page("period=custom&date_from=2026-10-15&date_to=2027-01-10")
    trend = page.charts["trend-canvas"]
    assert trend["labels"] == ["Oct 2026", "Nov 2026", "Dec 2026", "Jan 2027"]
    assert trend["values"] == ["400.00", "1000.29", "15.00", "90.00"]
    first, last = (parse_qs(urlsplit(trend["links"][i]).query) for i in (0, -1))
    assert (first["date_from"], first["date_to"]) == (["2026-10-15"], ["2026-10-31"])
    assert (last["date_from"], last["date_to"]) == (["2027-01-01"], ["2027-01-10"])


def test_running_totals_chart(alex_page):
    _, page = alex_page(f"period=custom&{NOVEMBER}")
    running = page.charts["running-canvas"]
    assert running["labels"] == [str(day) for day in range(1, 32)]
    november, october = running["datasets"]
    # The same comparison as the summary card: the whole of October.
    assert (november["label"], october["label"]) == (
        "Nov 1\u2009\u2013\u200930, 2026",
        "Oct 1\u2009\u2013\u200931, 2026",
    )
    assert october["values"][0] == "50.00"
    assert october["values"][30] == "550.00"
    assert november["values"][1] == "0.30"
    assert november["values"][30] is None  # there is no 31 November


def test_period_picker_presets(alex_page):
    today = dt.date.today()
    first = today.replace(day=1)
    last_month = (first - dt.timedelta(days=1)).replace(day=1)
    response, _ = alex_page("period=last_month")
    assert response.status_code == 200
    assert (
        f"Last month: {last_month:%b} {last_month.day}\u2009\u2013\u2009" in response.text
    )  # "Nov 1 (en dash) 30, 2026"
    assert '<option value="last_month" selected>' in response.text
    assert f'value="{last_month.isoformat()}"' in response.text
    response, _ = alex_page("period=year_to_date")
    assert f'name="date_from" value="{today.year}-01-01"' in response.text
    response, _ = alex_page("")
    assert '<option value="this_month" selected>' in response.text
    for value in ("this_month", "last_month", "last_3_months", "last_12_months", "year_to_date", "custom"):
        assert f'<option value="{value}"' in response.text


def test_dates_without_a_preset_are_a_custom_range(alex_page):
    response, page = alex_page("date_from=2024-02-01&date_to=2024-02-29")
    assert '<option value="custom" selected>' in response.text
    assert page.figures["total"] == "$13.34"


def test_a_preset_wins_over_dates(alex_page):
    response, _ = alex_page("period=this_month&date_from=2024-02-01&date_to=2024-02-29")
    assert f'name="date_from" value="{dt.date.today().replace(day=1).isoformat()}"' in response.text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&date_from=2026-11-30&date_to=2026-11-01", "Date from: Must be on or before date_to."),
        ("period=custom&date_from=2010-01-01&date_to=2026-11-01", "Date to: The period must be at most 10 years long."),
        ("period=forever", "Period: Must be one of"),
        ("period=custom&date_from=yesterday", "Date from: Must be a date such as 2026-11-26."),
        ("payment_method=cheque", "Payment method: Must be one of"),
    ],
)
def test_invalid_input_is_explained_on_the_form(alex_page, query, message):
    response, page = alex_page(query)
    assert response.status_code == 422
    assert message in response.text
    assert 'id="dashboard-filters"' in response.text
    assert page.charts == {}


def test_a_period_without_expenses(alex_page):
    response, page = alex_page("period=custom&date_from=2026-09-01&date_to=2026-09-30")
    assert response.status_code == 200
    assert 'id="period-empty"' in response.text
    assert page.figures["total"] == "$0.00"
    assert "categories-canvas" not in page.charts
    assert 'id="empty-state"' not in response.text


def test_a_new_user_sees_the_empty_state(client, login, user):
    login(user)
    response = client.get("/")
    page = Page(response.text)
    assert response.status_code == 200
    assert "No expenses yet" in response.text
    assert "Add your first expense" in response.text
    assert page.charts == {}
    assert page.figures == {}
    assert not any("chart.umd" in script.get("src", "") for script in page.scripts)


def test_no_inline_script_or_event_handler(alex_page, client, login, make_user):
    for query in (f"period=custom&{NOVEMBER}", "period=forever"):
        response, page = alex_page(query)
        assert page.scripts, "the page loads its scripts"
        assert all(script.get("src", "").startswith("/static/") for script in page.scripts), page.scripts
        assert page.handlers == []
        assert "javascript:" not in response.text
    _, page = alex_page(f"period=custom&{NOVEMBER}")
    sources = [script["src"].partition("?")[0] for script in page.scripts]  # without the ?v= content hash
    assert "/static/vendor/chartjs/chart.umd.min.js" in sources
    assert "/static/js/dashboard.js" in sources


def test_every_chart_has_a_caption_and_a_table(alex_page):
    response, page = alex_page(f"period=custom&{NOVEMBER}")
    assert set(page.charts) == {"categories-canvas", "trend-canvas", "methods-canvas", "running-canvas"}
    html = response.text
    for chart in ("categories", "trend", "methods", "running"):
        figure = html[html.index(f'id="chart-{chart}"') :]
        figure = figure[: figure.index("</figure>")]
        assert "<figcaption" in figure
        assert "<details" in figure and "<table" in figure
        assert 'role="img"' in figure and "aria-label=" in figure


def test_money_is_in_the_users_currency(app, client, login, make_user):
    user = make_user(currency="EUR")
    today = dt.date.today()
    with app.app_context():
        insert_expenses(user, [(today.isoformat(), "Food", "1234.50", "cash", "Dinner")])
    login(user)
    response = client.get("/")
    page = Page(response.text)
    assert page.figures["total"] == "€1,234.50"
    assert 'data-currency="EUR"' in response.text
