"""The Rules API over existing expenses: preview of a rule's matches, dry run, apply, undo.

The main scenario is the issue's "Done when": a user with a row of everything and a year of
expenses creates "description contains coffee -> Food, tag coffee", sees its matches before saving,
dry-runs it on the last year, applies it and undoes it, and every figure matches what the expenses
themselves say.
"""

from __future__ import annotations

import datetime as dt

import pytest

from expense_app.models import RuleRun
from tests.conftest import bearer, count_rows

TODAY = dt.date.today()
YEAR_AGO = TODAY - dt.timedelta(days=364)
CURRENCIES = ("USD", "EUR", "GBP")


def coffee_rule(food_id: int) -> dict:
    return {
        "name": "Coffee",
        "conditions": [{"field": "description", "operator": "contains", "value": "coffee"}],
        "actions": [{"type": "set_category", "category_id": food_id}, {"type": "add_tags", "tags": ["coffee"]}],
    }


@pytest.fixture
def owner(full_user, api_login, client) -> dict:
    """The full user's headers and category ids, with a year of weekly expenses on top of their rows."""
    headers = bearer(api_login(full_user.user)["access_token"])
    categories = {c["name"]: c["id"] for c in client.get("/api/v1/categories", headers=headers).json}
    kinds = [
        ("Coffee beans", "Other", [], ""),  # changes: category and tag
        ("Morning COFFEE", "Food", ["coffee"], ""),  # already as the rule would make it
        ("Train ticket", "Transport", ["work"], "coffee on the train"),  # notes only: no match
        ("Iced coffee", "Food", ["summer"], ""),  # only the tag is added
        ("Groceries", "Food", [], ""),
    ]
    items = []
    for week in range(52):
        description, category, tags, notes = kinds[week % len(kinds)]
        items.append(
            {
                "amount": f"{3 + week % 7}.{week % 10}0",
                "date": (TODAY - dt.timedelta(days=7 * week)).isoformat(),
                "category_id": categories[category],
                "description": f"{description} {week}",
                "currency": CURRENCIES[week % len(CURRENCIES)],
                "tags": tags,
                "notes": notes,
            }
        )
    # Outside the year: matched by the preview, never touched by a run on the last year.
    items.append(
        {
            "amount": "2.50",
            "date": (TODAY - dt.timedelta(days=800)).isoformat(),
            "category_id": categories["Other"],
            "description": "Old coffee",
        }
    )
    response = client.post("/api/v1/expenses/bulk", json={"expenses": items}, headers=headers)
    assert response.status_code == 201, response.json
    return {"headers": headers, "categories": categories}


def all_expenses(client, headers, **filters) -> dict[int, dict]:
    """Every expense of the user (all pages), by id, without `updated_at`."""
    found, page = {}, 1
    while True:
        response = client.get(
            "/api/v1/expenses", query_string={**filters, "page": page, "per_page": 100}, headers=headers
        )
        assert response.status_code == 200, response.json
        for expense in response.json["items"]:
            found[expense["id"]] = {key: value for key, value in expense.items() if key != "updated_at"}
        if page >= response.json["total_pages"]:
            return found
        page += 1


def would_change(expense: dict, food_id: int) -> bool:
    return expense["category_id"] != food_id or "coffee" not in expense["tags"]


def dry_run_pages(client, headers, body: dict) -> tuple[dict, list[dict]]:
    """Every page of a dry run: the first answer and all changes."""
    first = client.post("/api/v1/rules/run", json={**body, "page": 1}, headers=headers)
    assert first.status_code == 200, first.json
    changes = list(first.json["changes"])
    for page in range(2, first.json["total_pages"] + 1):
        response = client.post("/api/v1/rules/run", json={**body, "page": page}, headers=headers)
        assert response.status_code == 200
        changes += response.json["changes"]
    return first.json, changes


def test_preview_dry_run_apply_and_undo_with_every_figure_matching(client, owner):
    headers, food = owner["headers"], owner["categories"]["Food"]
    rule = coffee_rule(food)
    before = all_expenses(client, headers)
    runs_before = client.get("/api/v1/rules/runs", headers=headers).json  # the full user's own run
    matching = {i: e for i, e in before.items() if "coffee" in e["description"].lower()}
    assert len(matching) >= 30  # the year's coffee lines, the old one and the full user's quick-added one

    # 1. Before saving: which expenses it matches.
    preview = client.post("/api/v1/rules/preview", json={k: v for k, v in rule.items() if k != "name"}, headers=headers)
    assert preview.status_code == 200, preview.json
    assert preview.json["match_count"] == len(matching)
    newest = sorted(matching.values(), key=lambda e: (e["date"], e["id"]), reverse=True)[:10]
    assert [e["id"] for e in preview.json["first_matches"]] == [e["id"] for e in newest]

    created = client.post("/api/v1/rules", json=rule, headers=headers)
    assert created.status_code == 201, created.json

    # 2. Dry run on the last year, paged: exactly the matching expenses of the year that would change.
    body = {"date_from": YEAR_AGO.isoformat(), "date_to": TODAY.isoformat(), "per_page": 7}
    first, changes = dry_run_pages(client, headers, body)
    in_year = all_expenses(client, headers, date_from=YEAR_AGO.isoformat(), date_to=TODAY.isoformat())
    expected = sorted(
        (e for e in in_year.values() if e["id"] in matching and would_change(e, food)),
        key=lambda e: (e["date"], e["id"]),
    )
    assert first["scanned"] == len(in_year)
    assert first["total_changes"] == len(expected) == len(changes)
    assert first["total_pages"] == -(-len(expected) // 7)
    assert [c["expense_id"] for c in changes] == [e["id"] for e in expected], "oldest first, every page once"
    for change in changes:
        expense = before[change["expense_id"]]
        assert change["date"] == expense["date"]
        assert change["before"]["category_id"] == expense["category_id"]
        assert sorted(change["before"]["tags"]) == sorted(expense["tags"])
        assert change["after"]["category_id"] == food and change["after"]["category_name"] == "Food"
        assert sorted(change["after"]["tags"]) == sorted({*expense["tags"], "coffee"})
        assert change["after"]["description"] == expense["description"]
        assert change["rule_ids"] == [created.json["id"]]
    assert all_expenses(client, headers) == before, "a dry run changes nothing"
    assert client.get("/api/v1/rules/runs", headers=headers).json == runs_before

    # 3. Apply: the same changes, recorded as a run.
    applied = client.post("/api/v1/rules/run", json={**body, "apply": True}, headers=headers)
    assert applied.status_code == 201, applied.json
    run = applied.json
    assert run["change_count"] == len(expected)
    assert run["date_from"] == YEAR_AGO.isoformat() and run["date_to"] == TODAY.isoformat()
    assert run["rule_ids"] is None and run["undone_at"] is None
    assert client.get("/api/v1/rules/runs", headers=headers).json == [run, *runs_before], "newest first"
    after = all_expenses(client, headers)
    changed_ids = {e["id"] for e in expected}
    for expense_id, expense in after.items():
        if expense_id in changed_ids:
            assert expense["category_id"] == food and "coffee" in expense["tags"]
            assert expense["amount"] == before[expense_id]["amount"]
            assert expense["base_amount"] == before[expense_id]["base_amount"]
        else:
            assert expense == before[expense_id], "an expense the dry run did not list changed"
    again, _ = dry_run_pages(client, headers, body)
    assert again["total_changes"] == 0 and again["scanned"] == first["scanned"]

    # 4. Undo: everything as before.
    undone = client.post(f"/api/v1/rules/runs/{run['id']}/undo", headers=headers)
    assert undone.status_code == 200, undone.json
    assert undone.json == {"run_id": run["id"], "restored": len(expected), "skipped": []}
    assert all_expenses(client, headers) == before
    listed = client.get("/api/v1/rules/runs", headers=headers).json
    assert listed[0]["id"] == run["id"] and listed[0]["undone_at"] is not None
    twice = client.post(f"/api/v1/rules/runs/{run['id']}/undo", headers=headers)
    assert twice.status_code == 409
    assert twice.json["code"] == 409


def test_undo_skips_an_expense_changed_since_the_run(client, owner):
    headers, categories = owner["headers"], owner["categories"]
    client.post("/api/v1/rules", json=coffee_rule(categories["Food"]), headers=headers)
    run = client.post(
        "/api/v1/rules/run",
        json={"date_from": YEAR_AGO.isoformat(), "date_to": TODAY.isoformat(), "apply": True},
        headers=headers,
    ).json
    changed = client.get("/api/v1/expenses", query_string={"q": "coffee beans 0"}, headers=headers).json["items"][0]
    edited = client.patch(
        f"/api/v1/expenses/{changed['id']}", json={"category_id": categories["Health"]}, headers=headers
    )
    assert edited.status_code == 200

    undone = client.post(f"/api/v1/rules/runs/{run['id']}/undo", headers=headers)

    assert undone.status_code == 200
    assert undone.json["skipped"] == [changed["id"]]
    assert undone.json["restored"] == run["change_count"] - 1
    assert client.get(f"/api/v1/expenses/{changed['id']}", headers=headers).json["category_id"] == categories["Health"]


def test_a_run_of_chosen_rules_only(client, owner):
    headers, categories = owner["headers"], owner["categories"]
    coffee = client.post("/api/v1/rules", json=coffee_rule(categories["Food"]), headers=headers).json
    client.post(
        "/api/v1/rules",
        json={
            "name": "Trains",
            "conditions": [{"field": "description", "operator": "starts_with", "value": "train"}],
            "actions": [{"type": "add_tags", "tags": ["rail"]}],
        },
        headers=headers,
    )
    body = {"date_from": YEAR_AGO.isoformat(), "date_to": TODAY.isoformat(), "per_page": 100}

    everything = client.post("/api/v1/rules/run", json=body, headers=headers).json
    chosen = client.post("/api/v1/rules/run", json={**body, "rule_ids": [coffee["id"]]}, headers=headers).json

    trains = [c for c in everything["changes"] if c["before"]["description"].startswith("Train")]
    assert trains and all("rail" in c["after"]["tags"] for c in trains)
    assert chosen["total_changes"] == everything["total_changes"] - len(trains)
    assert all(c["rule_ids"] == [coffee["id"]] for c in chosen["changes"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"date_to": None}, "date_to", id="no end"),
        pytest.param({"date_from": "2026-13-01"}, "date_from", id="not a date"),
        pytest.param({"date_from": "2026-06-01", "date_to": "2026-05-01"}, "date_from", id="backwards"),
        pytest.param({"date_from": "2000-01-01", "date_to": "2026-01-01"}, "date_to", id="over ten years"),
        pytest.param({"per_page": 0}, "per_page", id="page size 0"),
        pytest.param({"per_page": 101}, "per_page", id="page size over 100"),
        pytest.param({"page": "2"}, "page", id="page as text"),
        pytest.param({"apply": "true"}, "apply", id="apply as text"),
        pytest.param({"rule_ids": []}, "rule_ids", id="no rules"),
        pytest.param({"rule_ids": [987654]}, "rule_ids", id="unknown rule"),
        pytest.param({"rule_ids": "all"}, "rule_ids", id="not a list"),
        pytest.param({"owner_id": 1}, "owner_id", id="unknown field"),
    ],
)
@pytest.mark.parametrize("apply", [False, True], ids=["dry run", "apply"])
def test_bad_run_input_is_422_naming_the_field_and_runs_nothing(app, client, api_headers, change, field, apply):
    food = {c["name"]: c["id"] for c in client.get("/api/v1/categories", headers=api_headers).json}["Food"]
    client.post("/api/v1/rules", json=coffee_rule(food), headers=api_headers)
    body = {"date_from": YEAR_AGO.isoformat(), "date_to": TODAY.isoformat(), "apply": apply, **change}
    body = {key: value for key, value in body.items() if value is not None}

    response = client.post("/api/v1/rules/run", json=body, headers=api_headers)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert count_rows(app, RuleRun) == 0


def test_another_users_rule_cannot_be_run_and_their_run_cannot_be_undone(app, client, owner, other_headers):
    headers, categories = owner["headers"], owner["categories"]
    rule = client.post("/api/v1/rules", json=coffee_rule(categories["Food"]), headers=headers).json
    body = {"date_from": YEAR_AGO.isoformat(), "date_to": TODAY.isoformat()}
    run = client.post("/api/v1/rules/run", json={**body, "apply": True}, headers=headers).json
    mine = all_expenses(client, headers)

    foreign_rule = client.post("/api/v1/rules/run", json={**body, "rule_ids": [rule["id"]]}, headers=other_headers)
    foreign_undo = client.post(f"/api/v1/rules/runs/{run['id']}/undo", headers=other_headers)
    missing_undo = client.post("/api/v1/rules/runs/987654/undo", headers=other_headers)
    their_own = client.post("/api/v1/rules/run", json={**body, "apply": True}, headers=other_headers)

    assert foreign_rule.status_code == 422 and "rule_ids" in foreign_rule.json["errors"]
    assert foreign_undo.status_code == 404 and foreign_undo.json == missing_undo.json
    assert client.get("/api/v1/rules/runs", headers=other_headers).json == [their_own.json]
    assert their_own.json["change_count"] == 0, "their run never reaches my expenses"
    assert all_expenses(client, headers) == mine
    assert client.get("/api/v1/rules/runs", headers=headers).json[0]["undone_at"] is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"limit": 0}, "limit", id="limit 0"),
        pytest.param({"limit": 51}, "limit", id="limit over 50"),
        pytest.param({"conditions": []}, "conditions", id="no condition"),
        pytest.param(
            {"conditions": [{"field": "description", "operator": "regex", "value": "(a+"}]},
            "conditions.0.value",
            id="bad regex",
        ),
        pytest.param({"actions": [{"type": "set_category", "category_id": 987654}]}, "actions.0.category_id", id="cat"),
    ],
)
def test_bad_preview_input_is_422_naming_the_field(client, api_headers, change, field):
    food = {c["name"]: c["id"] for c in client.get("/api/v1/categories", headers=api_headers).json}["Food"]
    body = {**{k: v for k, v in coffee_rule(food).items() if k != "name"}, **change}

    response = client.post("/api/v1/rules/preview", json=body, headers=api_headers)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json


def test_a_pathological_regex_is_answered_promptly(client, api_headers, post_expense):
    post_expense(description="a" * 250 + "!")
    body = {
        "conditions": [{"field": "description", "operator": "regex", "value": "(a+)+$"}],
        "actions": [{"type": "add_tags", "tags": ["slow"]}],
        "sample": {"description": "a" * 10_000 + "!"},
    }

    tested = client.post("/api/v1/rules/test", json=body, headers=api_headers)
    previewed = client.post(
        "/api/v1/rules/preview", json={k: v for k, v in body.items() if k != "sample"}, headers=api_headers
    )

    # RE2 runs in linear time: the answer is a plain "no match", not a stalled worker.
    assert tested.status_code == 200 and tested.json["changed"] is False
    assert previewed.status_code == 200 and previewed.json["match_count"] == 0


def test_an_applied_run_retried_with_its_idempotency_key_is_answered_not_redone(app, client, api_headers, post_expense):
    food = {c["name"]: c["id"] for c in client.get("/api/v1/categories", headers=api_headers).json}["Food"]
    post_expense(description="Coffee", date="2026-02-02")
    client.post("/api/v1/rules", json=coffee_rule(food), headers=api_headers)
    body = {"date_from": "2026-01-01", "date_to": "2026-12-31", "apply": True}
    headers = {**api_headers, "Idempotency-Key": "run-2026"}

    first = client.post("/api/v1/rules/run", json=body, headers=headers)
    retried = client.post("/api/v1/rules/run", json=body, headers=headers)

    assert first.status_code == retried.status_code == 201
    assert retried.json == first.json and first.json["change_count"] == 1
    assert count_rows(app, RuleRun) == 1
