"""The Rules API: CRUD, order, testing a rule on a sample, bad input, isolation, and `apply_rules`
on expense creation. Runs over existing expenses are in test_rules_runs.py."""

from __future__ import annotations

import pytest

from expense_app.models import Rule
from tests.conftest import count_rows

COFFEE = {
    "name": "Coffee",
    "conditions": [{"field": "description", "operator": "contains", "value": "coffee"}],
}


@pytest.fixture
def coffee_rule(category_ids) -> dict:
    """The body of "description contains coffee -> Food, tag coffee"."""
    return {
        **COFFEE,
        "actions": [
            {"type": "set_category", "category_id": category_ids["Food"]},
            {"type": "add_tags", "tags": ["coffee"]},
        ],
    }


@pytest.fixture
def create_rule(client, api_headers):
    def create(body: dict, headers: dict | None = None) -> dict:
        response = client.post("/api/v1/rules", json=body, headers=headers or api_headers)
        assert response.status_code == 201, response.json
        return response.json

    return create


def unsaved(rule: dict) -> dict:
    """A rule body for the test and preview endpoints: what it does, without a name."""
    return {key: value for key, value in rule.items() if key != "name"}


def _names(client, headers) -> list[str]:
    response = client.get("/api/v1/rules", headers=headers)
    assert response.status_code == 200
    return [rule["name"] for rule in response.json]


def test_create_get_update_delete(client, api_headers, coffee_rule, category_ids):
    created = client.post("/api/v1/rules", json=coffee_rule, headers=api_headers)
    assert created.status_code == 201, created.json
    rule = created.json
    assert created.headers["Location"].endswith(f"/api/v1/rules/{rule['id']}")
    assert rule["name"] == "Coffee" and rule["active"] is True and rule["match"] == "all"
    assert rule["stop_after"] is False and rule["position"] == 0
    # Every key of a condition and an action is written, null where it does not apply.
    assert rule["conditions"] == [{"field": "description", "operator": "contains", "value": "coffee", "value2": None}]
    assert rule["actions"][0] == {
        "type": "set_category",
        "category_id": category_ids["Food"],
        "tags": None,
        "payment_method": None,
        "pattern": None,
        "replacement": None,
    }
    assert rule["actions"][1]["tags"] == ["coffee"]
    assert client.get(f"/api/v1/rules/{rule['id']}", headers=api_headers).json == rule

    between = [{"field": "amount", "operator": "between", "value": "2.00", "value2": "5.00"}]
    patched = client.patch(
        f"/api/v1/rules/{rule['id']}",
        json={"active": False, "match": "any", "stop_after": True, "conditions": between},
        headers=api_headers,
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["active"] is False and patched.json["match"] == "any" and patched.json["stop_after"] is True
    assert patched.json["conditions"][0]["value2"] == "5.00"
    assert patched.json["actions"] == rule["actions"], "fields not sent are unchanged"
    assert patched.json["name"] == "Coffee"

    assert client.delete(f"/api/v1/rules/{rule['id']}", headers=api_headers).status_code == 204
    assert client.get(f"/api/v1/rules/{rule['id']}", headers=api_headers).status_code == 404
    assert client.get("/api/v1/rules", headers=api_headers).json == []


def test_every_condition_and_action_kind_is_accepted(client, api_headers, category_ids, create_rule):
    rule = create_rule(
        {
            "name": "Everything",
            "match": "any",
            "conditions": [
                {"field": "description", "operator": "regex", "value": r"^card \d+"},
                {"field": "notes", "operator": "starts_with", "value": "trip"},
                {"field": "amount", "operator": ">=", "value": "10.00"},
                {"field": "payment_method", "operator": "equals", "value": "cash"},
                {"field": "currency", "operator": "equals", "value": "EUR"},
            ],
            "actions": [
                {"type": "set_category", "category_id": category_ids["Transport"]},
                {"type": "add_tags", "tags": ["trip"]},
                {"type": "set_payment_method", "payment_method": "credit_card"},
                {"type": "rewrite_description", "pattern": r"CARD \d+ (\w+).*", "replacement": r"\1"},
                {"type": "skip"},
            ],
        }
    )
    assert [c["field"] for c in rule["conditions"]] == ["description", "notes", "amount", "payment_method", "currency"]
    assert [a["type"] for a in rule["actions"]] == [
        "set_category",
        "add_tags",
        "set_payment_method",
        "rewrite_description",
        "skip",
    ]
    assert rule["actions"][3]["replacement"] == r"\1"


def test_new_rules_go_last_and_the_order_can_be_changed(client, api_headers, coffee_rule, create_rule):
    ids = [create_rule({**coffee_rule, "name": name})["id"] for name in ("First", "Second", "Third")]
    assert _names(client, api_headers) == ["First", "Second", "Third"]

    response = client.put("/api/v1/rules/order", json={"rule_ids": [ids[2], ids[0], ids[1]]}, headers=api_headers)

    assert response.status_code == 200, response.json
    assert [rule["name"] for rule in response.json] == ["Third", "First", "Second"]
    assert [rule["position"] for rule in response.json] == [0, 1, 2]
    assert _names(client, api_headers) == ["Third", "First", "Second"]


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(lambda ids, foreign: ids[:2], id="one missing"),
        pytest.param(lambda ids, foreign: [*ids, ids[0]], id="one twice"),
        pytest.param(lambda ids, foreign: [*ids[:2], foreign], id="another user's"),
        pytest.param(lambda ids, foreign: [*ids, 987654], id="unknown"),
    ],
)
def test_a_bad_order_is_422_on_rule_ids_and_changes_nothing(
    client, api_headers, other_headers, coffee_rule, create_rule, order
):
    ids = [create_rule({**coffee_rule, "name": name})["id"] for name in ("First", "Second", "Third")]
    foreign = create_rule({**COFFEE, "actions": [{"type": "skip"}]}, headers=other_headers)["id"]

    response = client.put("/api/v1/rules/order", json={"rule_ids": order(ids, foreign)}, headers=api_headers)

    assert response.status_code == 422
    assert "rule_ids" in response.json["errors"]
    assert _names(client, api_headers) == ["First", "Second", "Third"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"conditions": []}, "conditions", id="no condition"),
        pytest.param({"actions": []}, "actions", id="no action"),
        pytest.param({"name": ""}, "name", id="empty name"),
        pytest.param({"match": "most"}, "match", id="unknown match"),
        pytest.param(
            {"conditions": [{"field": "description", "operator": "like", "value": "x"}]},
            "conditions.0.operator",
            id="unknown operator",
        ),
        pytest.param(
            {"conditions": [{"field": "category", "operator": "equals", "value": "x"}]},
            "conditions.0.field",
            id="unknown field",
        ),
        pytest.param(
            {"conditions": [{"field": "description", "operator": "contains"}]}, "conditions.0.value", id="no value"
        ),
        pytest.param(
            {"conditions": [{"field": "description", "operator": "regex", "value": "(unclosed"}]},
            "conditions.0.value",
            id="bad regex",
        ),
        pytest.param(
            {"conditions": [{"field": "amount", "operator": ">", "value": "ten"}]},
            "conditions.0.value",
            id="amount not a number",
        ),
        pytest.param(
            {"conditions": [{"field": "description", "operator": "contains", "value": "x", "owner": 1}]},
            "conditions.0.owner",
            id="unknown key",
        ),
        pytest.param({"actions": [{"type": "explode"}]}, "actions.0.type", id="unknown action"),
        pytest.param({"actions": [{"type": "set_category"}]}, "actions.0.category_id", id="no category"),
        pytest.param(
            {"actions": [{"type": "set_category", "category_id": "3"}]}, "actions.0.category_id", id="id as text"
        ),
        pytest.param(
            {"actions": [{"type": "set_payment_method", "payment_method": "gold"}]},
            "actions.0.payment_method",
            id="unknown payment method",
        ),
        pytest.param(
            {"actions": [{"type": "rewrite_description", "pattern": "(a", "replacement": "b"}]},
            "actions.0.pattern",
            id="bad rewrite pattern",
        ),
        pytest.param({"user_id": 1}, "user_id", id="server-owned field"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_nothing_is_stored(app, client, api_headers, coffee_rule, change, field):
    response = client.post("/api/v1/rules", json={**coffee_rule, **change}, headers=api_headers)

    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert response.json["code"] == 422 and response.json["message"]
    assert count_rows(app, Rule) == 0


def test_a_category_of_another_user_is_refused(app, client, api_headers, other_headers, coffee_rule):
    theirs = client.get("/api/v1/categories", headers=other_headers).json[0]["id"]
    body = {**coffee_rule, "actions": [{"type": "set_category", "category_id": theirs}]}

    response = client.post("/api/v1/rules", json=body, headers=api_headers)

    assert response.status_code == 422
    assert "actions.0.category_id" in response.json["errors"]
    assert count_rows(app, Rule) == 0


def test_a_refused_update_changes_nothing(client, api_headers, coffee_rule, create_rule):
    rule = create_rule(coffee_rule)
    bad = {"name": "Renamed", "conditions": [{"field": "notes", "operator": "regex", "value": "(x"}]}

    response = client.patch(f"/api/v1/rules/{rule['id']}", json=bad, headers=api_headers)

    assert response.status_code == 422
    assert "conditions.0.value" in response.json["errors"]
    assert client.get(f"/api/v1/rules/{rule['id']}", headers=api_headers).json == rule


def test_another_users_rule_is_404_everywhere(client, api_headers, other_headers, coffee_rule, create_rule):
    rule = create_rule(coffee_rule)
    url = f"/api/v1/rules/{rule['id']}"

    assert client.get(url, headers=other_headers).status_code == 404
    assert client.patch(url, json={"name": "Mine now"}, headers=other_headers).status_code == 404
    assert client.delete(url, headers=other_headers).status_code == 404
    assert client.get("/api/v1/rules", headers=other_headers).json == []
    assert client.get(url, headers=api_headers).json == rule


# --- testing a rule on a sample ---------------------------------------------------------------------


def test_a_rule_is_tested_on_a_sample_without_being_saved(app, client, api_headers, coffee_rule, category_ids):
    body = {
        **unsaved(coffee_rule),
        "sample": {"description": "Morning COFFEE to go", "amount": "3.20", "currency": "EUR"},
    }

    response = client.post("/api/v1/rules/test", json=body, headers=api_headers)

    assert response.status_code == 200, response.json
    assert response.json["category_id"] == category_ids["Food"]
    assert response.json["add_tags"] == ["coffee"]
    assert response.json["description"] is None and response.json["payment_method"] is None
    assert response.json["changed"] is True and response.json["skip"] is False
    assert response.json["rule_ids"] == [0], "the unsaved rule matched"
    assert count_rows(app, Rule) == 0


def test_a_sample_the_rule_does_not_match_changes_nothing(client, api_headers, coffee_rule):
    body = {**unsaved(coffee_rule), "sample": {"description": "Train ticket"}}

    response = client.post("/api/v1/rules/test", json=body, headers=api_headers)

    assert response.status_code == 200
    assert response.json == {
        "category_id": None,
        "payment_method": None,
        "description": None,
        "add_tags": [],
        "skip": False,
        "rule_ids": [],
        "changed": False,
    }


def test_a_rewrite_with_groups_is_shown_on_the_sample(client, api_headers):
    body = {
        "conditions": [{"field": "description", "operator": "starts_with", "value": "card"}],
        "actions": [{"type": "rewrite_description", "pattern": r"CARD \d+ (\w+) #\d+ (\w+)", "replacement": r"\1"}],
        "sample": {"description": "CARD 1234 STARBUCKS #88 SEATTLE"},
    }

    response = client.post("/api/v1/rules/test", json=body, headers=api_headers)

    assert response.status_code == 200, response.json
    assert response.json["description"].lower() == "starbucks"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"sample": {"amount": "abc"}}, "sample.amount", id="sample amount"),
        pytest.param({"sample": {"payment_method": "gold"}}, "sample.payment_method", id="sample payment method"),
        pytest.param({"sample": {"colour": "red"}}, "sample.colour", id="sample unknown key"),
        pytest.param({"sample": None}, "sample", id="no sample"),
        pytest.param({"name": "Coffee"}, "name", id="a name: nothing is saved"),
        pytest.param(
            {"conditions": [{"field": "description", "operator": "regex", "value": "(x"}]},
            "conditions.0.value",
            id="bad regex",
        ),
    ],
)
def test_a_bad_test_request_is_422_naming_the_field(client, api_headers, coffee_rule, change, field):
    body = {**unsaved(coffee_rule), "sample": {"description": "coffee"}, **change}

    response = client.post("/api/v1/rules/test", json=body, headers=api_headers)

    assert response.status_code == 422
    assert field in response.json["errors"], response.json


# --- apply_rules on manual entry ------------------------------------------------------------------------


def test_apply_rules_on_create_uses_the_rules_changes(client, api_headers, coffee_rule, create_rule, category_ids):
    rule = create_rule(coffee_rule)
    body = {
        "amount": "3.20",
        "date": "2026-03-14",
        "category_id": category_ids["Other"],
        "description": "Coffee at the station",
        "tags": ["work"],
    }

    applied = client.post("/api/v1/expenses", json={**body, "apply_rules": True}, headers=api_headers)
    plain = client.post("/api/v1/expenses", json=body, headers=api_headers)

    assert applied.status_code == 201, applied.json
    assert applied.json["category_id"] == category_ids["Food"], "a category set by a rule replaces the given one"
    assert sorted(applied.json["tags"]) == ["coffee", "work"], "the rule's tags are added"
    assert applied.headers["X-Applied-Rules"] == str(rule["id"])
    assert applied.json["description"] == "Coffee at the station"
    stored = client.get(f"/api/v1/expenses/{applied.json['id']}", headers=api_headers).json
    assert stored["category_id"] == category_ids["Food"] and sorted(stored["tags"]) == ["coffee", "work"]
    # Never applied unless asked.
    assert plain.status_code == 201
    assert plain.json["category_id"] == category_ids["Other"] and plain.json["tags"] == ["work"]
    assert "X-Applied-Rules" not in plain.headers
    assert set(plain.json) == set(applied.json), "the same Expense body either way"


def test_apply_rules_rewrites_the_description_and_ignores_inactive_rules(
    client, api_headers, create_rule, category_ids
):
    rewrite = create_rule(
        {
            "name": "Card lines",
            "conditions": [{"field": "description", "operator": "starts_with", "value": "card"}],
            "actions": [{"type": "rewrite_description", "pattern": r"CARD \d+ (\w+).*", "replacement": r"\1"}],
        }
    )
    create_rule(
        {
            "name": "Off",
            "active": False,
            "conditions": [{"field": "description", "operator": "contains", "value": "starbucks"}],
            "actions": [{"type": "set_category", "category_id": category_ids["Transport"]}],
        }
    )
    body = {
        "amount": "4.10",
        "date": "2026-03-15",
        "category_id": category_ids["Food"],
        "description": "CARD 1234 STARBUCKS #88 SEATTLE",
        "apply_rules": True,
    }

    response = client.post("/api/v1/expenses", json=body, headers=api_headers)

    assert response.status_code == 201, response.json
    assert response.json["description"].lower() == "starbucks"
    assert response.json["category_id"] == category_ids["Food"]
    assert response.headers["X-Applied-Rules"] == str(rewrite["id"])


def test_apply_rules_when_no_rule_matches(client, api_headers, coffee_rule, create_rule, category_ids):
    create_rule(coffee_rule)
    body = {"amount": "12.00", "date": "2026-03-16", "category_id": category_ids["Transport"], "description": "Bus"}

    response = client.post("/api/v1/expenses", json={**body, "apply_rules": True}, headers=api_headers)

    assert response.status_code == 201
    assert response.headers["X-Applied-Rules"] == ""
    assert response.json["category_id"] == category_ids["Transport"] and response.json["tags"] == []


def test_apply_rules_with_bad_input_is_422_and_stores_nothing(app, client, api_headers, coffee_rule, create_rule):
    from expense_app.models import Expense

    create_rule(coffee_rule)
    before = count_rows(app, Expense)
    body = {"amount": "-1", "date": "2026-03-14", "category_id": 1, "description": "coffee", "apply_rules": "maybe"}

    response = client.post("/api/v1/expenses", json=body, headers=api_headers)

    assert response.status_code == 422
    assert "apply_rules" in response.json["errors"]
    response = client.post("/api/v1/expenses", json={**body, "apply_rules": True}, headers=api_headers)
    assert response.status_code == 422
    assert "amount" in response.json["errors"]
    assert count_rows(app, Expense) == before


def test_apply_rules_per_item_of_a_bulk_create(client, api_headers, coffee_rule, create_rule, category_ids):
    create_rule(coffee_rule)
    item = {"amount": "2.80", "date": "2026-04-01", "category_id": category_ids["Other"], "description": "coffee"}

    response = client.post(
        "/api/v1/expenses/bulk", json={"expenses": [{**item, "apply_rules": True}, item]}, headers=api_headers
    )

    assert response.status_code == 201, response.json
    first, second = response.json["items"]
    assert first["category_id"] == category_ids["Food"] and first["tags"] == ["coffee"]
    assert second["category_id"] == category_ids["Other"] and second["tags"] == []
