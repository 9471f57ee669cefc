"""The database goes away and comes back while the app keeps running.

While it is away: the API answers 503 in its JSON error shape (with Retry-After), pages answer an
HTML error page, the readiness probe says unhealthy, and nothing is half-written, even by a request
whose transaction was cut after its first writes. Once it is back, the same server process serves
the next requests normally: no restart.
"""

from __future__ import annotations

import threading

import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.faults.conftest import api_token, table_lock, wait_for_blocked, web_session


def _count(engine: sa.Engine, sql: str) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.text(sql)).scalar()


def _food(base_url: str, headers: dict) -> int:
    categories = requests.get(f"{base_url}/api/v1/categories", headers=headers, timeout=10).json()
    return next(category["id"] for category in categories if category["name"] == "Food")


def test_outage_gives_503_and_recovery_needs_no_restart(live, database_proxy, direct_db, user):
    headers = api_token(live.url, user.email, PASSWORD)
    browser = web_session(live.url, user.email, PASSWORD)
    food = _food(live.url, headers)
    pid = live.process.pid
    before = _count(direct_db, "SELECT count(*) FROM expenses")

    database_proxy.stop()
    try:
        listed = requests.get(f"{live.url}/api/v1/expenses", headers=headers, timeout=20)
        assert listed.status_code == 503
        assert listed.headers["Content-Type"].startswith("application/json")
        assert listed.json()["code"] == 503
        assert "Retry-After" in listed.headers
        created = requests.post(
            f"{live.url}/api/v1/expenses",
            json={"amount": "12.00", "date": "2026-01-05", "category_id": food, "tags": ["outage"]},
            headers=headers,
            timeout=20,
        )
        assert created.status_code == 503
        assert created.json()["code"] == 503
        page = browser.get(f"{live.url}/expenses", timeout=20)
        assert page.status_code == 503
        assert page.headers["Content-Type"].startswith("text/html")
        assert "503" in page.text and "Traceback" not in page.text
        assert requests.get(f"{live.url}/health/db", timeout=20).status_code == 503
        assert requests.get(f"{live.url}/health", timeout=20).status_code == 200
    finally:
        database_proxy.start()

    assert _count(direct_db, "SELECT count(*) FROM expenses") == before
    assert _count(direct_db, "SELECT count(*) FROM tags WHERE name = 'outage'") == 0
    # Back: the same process answers normally, on both faces.
    assert requests.get(f"{live.url}/health/db", timeout=20).status_code == 200
    assert requests.get(f"{live.url}/api/v1/expenses", headers=headers, timeout=20).status_code == 200
    created = requests.post(
        f"{live.url}/api/v1/expenses",
        json={"amount": "12.00", "date": "2026-01-05", "category_id": food, "tags": ["after"]},
        headers=headers,
        timeout=20,
    )
    assert created.status_code == 201, created.text
    assert browser.get(f"{live.url}/expenses", timeout=20).status_code == 200
    assert live.process.pid == pid and live.process.poll() is None


def test_outage_in_the_middle_of_a_transaction_writes_nothing(live, database_proxy, direct_db, user):
    headers = api_token(live.url, user.email, PASSWORD)
    food = _food(live.url, headers)
    result: dict = {}

    def create() -> None:
        result["response"] = requests.post(
            f"{live.url}/api/v1/expenses",
            json={"amount": "33.30", "date": "2026-01-06", "category_id": food, "tags": ["half-written"]},
            headers=headers,
            timeout=30,
        )

    # The request inserts its new tag, then waits on the lock to insert the expense itself.
    with table_lock(direct_db, "expenses"):
        request = threading.Thread(target=create)
        request.start()
        wait_for_blocked(direct_db, "INSERT INTO expenses")
        database_proxy.stop()
        request.join(timeout=30)
    database_proxy.start()

    assert result["response"].status_code == 503
    assert _count(direct_db, "SELECT count(*) FROM expenses WHERE amount = 33.30") == 0
    assert _count(direct_db, "SELECT count(*) FROM tags WHERE name = 'half-written'") == 0
    retried = requests.post(
        f"{live.url}/api/v1/expenses",
        json={"amount": "33.30", "date": "2026-01-06", "category_id": food, "tags": ["half-written"]},
        headers=headers,
        timeout=20,
    )
    assert retried.status_code == 201
    assert retried.json()["tags"] == ["half-written"]
