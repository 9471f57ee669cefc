"""Requests cut short, and requests racing each other, leave every expense whole.

Each test freezes a request inside its transaction (a table lock it must wait for; see conftest)
and then interrupts it: the server process is SIGKILLed, or the client hangs up, or a second
request for the same expense arrives. Afterwards the database holds each expense either entirely
(amount, description and tags of one request) or not at all.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from urllib.parse import urlsplit

import requests
import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.faults.conftest import api_token, table_lock, wait_for_blocked, wait_until_idle


def _food(base_url: str, headers: dict) -> int:
    categories = requests.get(f"{base_url}/api/v1/categories", headers=headers, timeout=10).json()
    return next(category["id"] for category in categories if category["name"] == "Food")


def _rows(engine: sa.Engine, sql: str, **params) -> list:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.text(sql), params)]


def _stored_expense(engine: sa.Engine, expense_id: int) -> tuple:
    (amount, description), *_ = _rows(engine, "SELECT amount, description FROM expenses WHERE id = :id", id=expense_id)
    tags = _rows(
        engine,
        "SELECT t.name FROM tags t JOIN expense_tags et ON et.tag_id = t.id WHERE et.expense_id = :id ORDER BY t.name",
        id=expense_id,
    )
    return str(amount), description, [name for (name,) in tags]


def test_server_killed_mid_request_leaves_no_partial_expense(live, direct_db, user):
    headers = api_token(live.url, user.email, PASSWORD)
    body = {"amount": "44.40", "date": "2026-01-07", "category_id": _food(live.url, headers), "tags": ["killed"]}

    def create() -> None:
        # The server dies under the request: that is the point.
        with contextlib.suppress(requests.ConnectionError):
            requests.post(f"{live.url}/api/v1/expenses", json=body, headers=headers, timeout=30)

    with table_lock(direct_db, "expenses"):
        request = threading.Thread(target=create)
        request.start()
        wait_for_blocked(direct_db, "INSERT INTO expenses")
        live.kill()
        request.join(timeout=30)

    assert _rows(direct_db, "SELECT id FROM expenses WHERE amount = 44.40") == []
    assert _rows(direct_db, "SELECT id FROM tags WHERE name = 'killed'") == []
    live.start()
    created = requests.post(f"{live.url}/api/v1/expenses", json=body, headers=headers, timeout=20)
    assert created.status_code == 201, created.text


def test_client_hanging_up_mid_request_leaves_a_whole_expense_or_none(live, direct_db, user):
    headers = api_token(live.url, user.email, PASSWORD)
    body = json.dumps(
        {"amount": "55.50", "date": "2026-01-08", "category_id": _food(live.url, headers), "tags": ["dropped", "x"]}
    ).encode()
    host = urlsplit(live.url)
    request = (
        f"POST /api/v1/expenses HTTP/1.1\r\nHost: {host.netloc}\r\nContent-Type: application/json\r\n"
        f"Authorization: {headers['Authorization']}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body

    with table_lock(direct_db, "expenses"):
        client = socket.create_connection((host.hostname, host.port), timeout=10)
        client.sendall(request)
        wait_for_blocked(direct_db, "INSERT INTO expenses")
        client.close()  # the browser tab was closed
    # The server finishes or abandons the request on its own; wait until it is no longer running.
    wait_until_idle(direct_db)

    expenses = _rows(direct_db, "SELECT id FROM expenses WHERE amount = 55.50")
    tags = _rows(direct_db, "SELECT name FROM tags WHERE name IN ('dropped', 'x') ORDER BY name")
    if expenses:
        assert _stored_expense(direct_db, expenses[0][0]) == ("55.50", "", ["dropped", "x"])
    else:
        assert tags == []
    assert requests.get(f"{live.url}/api/v1/expenses", headers=headers, timeout=10).status_code == 200


def test_concurrent_updates_of_one_expense_do_not_mix(live, direct_db, user):
    headers = api_token(live.url, user.email, PASSWORD)
    created = requests.post(
        f"{live.url}/api/v1/expenses",
        json={"amount": "10.00", "date": "2026-01-09", "category_id": _food(live.url, headers), "tags": ["before"]},
        headers=headers,
        timeout=10,
    )
    expense_id = created.json()["id"]
    first = {"amount": "11.11", "description": "first", "tags": ["one"]}
    second = {"amount": "22.22", "description": "second", "tags": ["two"]}
    responses: dict = {}

    def update(name: str, body: dict) -> None:
        responses[name] = requests.patch(
            f"{live.url}/api/v1/expenses/{expense_id}", json=body, headers=headers, timeout=30
        )

    # The first update writes its row and waits to replace the tags; the second arrives meanwhile.
    with table_lock(direct_db, "expense_tags"):
        one = threading.Thread(target=update, args=("first", first))
        one.start()
        wait_for_blocked(direct_db, "DELETE FROM expense_tags")
        two = threading.Thread(target=update, args=("second", second))
        two.start()
        wait_for_blocked(direct_db, "", count=2)
    one.join(timeout=30)
    two.join(timeout=30)

    assert responses["first"].status_code == 200, responses["first"].text
    assert responses["second"].status_code == 200, responses["second"].text
    stored = _stored_expense(direct_db, expense_id)
    assert stored in [("11.11", "first", ["one"]), ("22.22", "second", ["two"])], f"the updates were mixed: {stored}"


def test_concurrent_deletes_of_one_expense_are_204_then_404(live, direct_db, user):
    headers = api_token(live.url, user.email, PASSWORD)
    created = requests.post(
        f"{live.url}/api/v1/expenses",
        json={"amount": "10.00", "date": "2026-01-09", "category_id": _food(live.url, headers), "tags": ["gone"]},
        headers=headers,
        timeout=10,
    )
    url = f"{live.url}/api/v1/expenses/{created.json()['id']}"
    statuses: list[int] = []

    def delete() -> None:
        statuses.append(requests.delete(url, headers=headers, timeout=30).status_code)

    with table_lock(direct_db, "expense_tags"):
        one = threading.Thread(target=delete)
        one.start()
        # The tag links go by the foreign key's cascade, inside the DELETE of the expense row itself
        # (the row is kept for Undo first), so that is the statement the table lock holds up.
        wait_for_blocked(direct_db, "DELETE FROM expenses")
        two = threading.Thread(target=delete)
        two.start()
        wait_for_blocked(direct_db, "", count=2)
    one.join(timeout=30)
    two.join(timeout=30)

    assert sorted(statuses) == [204, 404]
