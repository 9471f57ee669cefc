"""Concurrent writes to one row serialise on both databases instead of failing (issue 11).

On SQLite a unit of work begins with BEGIN IMMEDIATE, so the second writer waits for the first
(before, 12 concurrent PATCHes of one expense gave 9 x 500: StaleDataError on the tag links);
on PostgreSQL the row lock (SELECT ... FOR UPDATE) does the same.
"""

from __future__ import annotations

import threading

from expense_app.extensions import db
from expense_app.models import Expense
from tests.conftest import count_rows

WRITERS = 12


def test_concurrent_patches_of_one_expense_all_succeed_and_one_wins(app, api_headers, post_expense):
    expense = post_expense(amount="1.00", tags=["start"])
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def patch(number: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.patch(
            f"/api/v1/expenses/{expense['id']}",
            json={"amount": f"{number}.00", "tags": [f"writer-{number}", "shared"]},
            headers=api_headers,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=patch, args=(number,)) for number in range(1, WRITERS + 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * WRITERS
    final = app.test_client().get(f"/api/v1/expenses/{expense['id']}", headers=api_headers).json
    winner = int(final["amount"].split(".")[0])
    # The stored row is exactly one writer's whole change: its amount with its own tags, never a mix.
    assert sorted(final["tags"]) == sorted([f"writer-{winner}", "shared"])
    assert count_rows(app, Expense) == 1
    with app.app_context():
        db.session.remove()
