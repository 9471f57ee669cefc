"""The HTML face of issue 13 on 1 December 2026: the dashboard states the comparison next to the
figure and its running-total chart uses the same period; the budgets page (and the dashboard's
budget cards) show the honest projection, and one status per card. Figures: tests/services/like_with_like.py."""

from __future__ import annotations

import re

import pytest

from expense_app.extensions import db
from expense_app.models import User
from tests.services.like_with_like import build_comparison_user, build_projection_user, freeze, neighbour
from tests.web.test_dashboard import Page


def card(html: str, budget_id: int) -> str:
    match = re.search(rf'<article class="card[^"]*" data-budget-id="{budget_id}".*?</article>', html, re.S)
    assert match, "no card for the budget"
    return match.group(0)


@pytest.fixture
def comparing(app, client, make_user, login, monkeypatch):
    neighbour(app, make_user)
    freeze(monkeypatch)
    owner = make_user(email="compare@example.com", currency="EUR")
    with app.app_context():
        build_comparison_user(db.session.get(User, owner.id))
    login(owner)
    return client


@pytest.mark.parametrize(
    ("period", "label", "dates", "previous", "rule", "lines"),
    [
        # This month on the 1st is one day: compared with 1 November, not the whole of it.
        ("this_month", "This month: Dec 1, 2026", "Nov 1, 2026", "€1,018.00", "in the same days of last month",
         ("Dec 1, 2026", "Nov 1, 2026")),
        ("last_month", "Last month: Nov 1\u2009\u2013\u200930, 2026", "Oct 1 \u2013 31, 2026", "€1,075.00", "in the month before",
         ("Nov 1\u2009\u2013\u200930, 2026", "Oct 1\u2009\u2013\u200931, 2026")),
        ("year_to_date", "Year to date: Jan 1\u2009\u2013\u2009Dec 1, 2026", "Jan 1 \u2013 Dec 1, 2025", "€60.00",
         "in the same days of last year", ("Jan 1\u2009\u2013\u2009Dec 1, 2026", "Jan 1\u2009\u2013\u2009Dec 1, 2025")),
    ],
)  # fmt: skip
def test_dashboard_states_the_comparison_and_the_chart_uses_it(comparing, period, label, dates, previous, rule, lines):
    response = comparing.get(f"/?period={period}")
    assert response.status_code == 200
    page = Page(response.text)
    assert label in response.text
    assert page.figures["previous_dates"] == dates
    assert page.figures["previous_total"] == previous
    assert f"spent {rule}" in " ".join(response.text.split())
    running = page.charts["running-canvas"]
    assert tuple(dataset["label"] for dataset in running["datasets"]) == lines
    # The chart's comparison line ends at the card's previous total.
    last = [value for value in running["datasets"][1]["values"] if value is not None][-1]
    assert f"€{float(last):,.2f}" == previous


def test_the_figures_on_the_first(comparing):
    page = Page(comparing.get("/?period=this_month").text)
    # 1,012.50 against 1,018.00: -0.5 %, a fall.
    assert (page.figures["total"], page.figures["change_pct"]) == ("€1,012.50", "▼ -0.5%")
    page = Page(comparing.get("/?period=last_month").text)
    assert (page.figures["total"], page.figures["change_pct"]) == ("€1,093.00", "▲ +1.7%")


@pytest.fixture
def projecting(app, client, make_user, login, monkeypatch):
    neighbour(app, make_user)
    freeze(monkeypatch)
    owner = make_user(email="projection@example.com", currency="EUR")
    with app.app_context():
        ids = build_projection_user(db.session.get(User, owner.id))
    login(owner)
    return client, ids


@pytest.mark.parametrize("url", ["/budgets", "/"])
def test_budget_cards_on_the_first_with_rent_paid(projecting, url):
    client, ids = projecting
    html = client.get(url).text
    overall = card(html, ids["overall_budget"])
    # Rent 1,200 + Cleaner 25 + Food 18.50 spent, + 127.03 scheduled, + last month's 13.33 a day x 30.
    assert 'data-projected="1770.43"' in overall and 'data-status="on_track"' in overall
    assert 'data-scheduled="127.03"' in overall and 'data-variable="399.90"' in overall
    assert "last month&#39;s pace" in overall or "last month's pace" in overall
    assert "On track" in overall and "will go over" not in overall
    food = card(html, ids["food_budget"])
    assert 'data-projected="328.40"' in food and 'data-status="projected_over"' in food
    assert "Will go over" in food and "will go over this budget" in food
    # Never both on one card.
    assert "On track" not in food
    for article in re.findall(r"<article.*?</article>", html, re.S):
        assert not ("On track" in article and "will go over" in article)


def test_a_period_over_a_year_has_no_running_total(comparing):
    response = comparing.get("/?period=custom&date_from=2025-01-01&date_to=2026-12-01")
    assert response.status_code == 200
    page = Page(response.text)
    assert "running-canvas" not in page.charts and "trend-canvas" in page.charts
    # 2025: 10.00 + 20.00 + 30.00 + 40.00 = 100.00; 2026 to 1 Dec: 3,180.50.
    assert page.figures["total"] == "€3,280.50"
