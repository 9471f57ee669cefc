"""Bad input to the Rules API: never a 5xx, and a refusal changes nothing.

JSON bodies of every Rules operation (create, update, order, test, preview, run, apply_rules on an
expense) are built from valid values mixed with the HTML fuzzer's hostile values and JSON values
of the wrong type, as the bulk endpoints' are (tests/property/test_bulk_bad_input.py). A full
user's database (a row of every table, rules and runs included) must be exactly as it was after
every answer that is not a success.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.services.categorization import ACTION_TYPES, CONDITION_FIELDS
from tests import factories
from tests.conftest import api_sign_in, bearer
from tests.property.test_bulk_bad_input import JSON, SETTINGS

# Seven operations share the examples: more of them than the bulk test's 25, still a few seconds.
RULE_SETTINGS = settings(SETTINGS, max_examples=80)
OPERATORS = ["contains", "equals", "starts_with", "ends_with", "regex", "=", "<", ">=", "between"]


def _object(keys: list[str], valid: dict) -> st.SearchStrategy[dict]:
    """Some of `keys`, each either a valid value (a value or a strategy of them) or anything."""

    def one(key):
        good = valid[key] if isinstance(valid[key], st.SearchStrategy) else st.just(valid[key])
        return st.one_of(good, JSON)

    return st.fixed_dictionaries({}, optional={key: one(key) if key in valid else JSON for key in keys})


@pytest.fixture
def world(app):
    """A full user, their token and the ids a valid body refers to, shared by the examples."""
    client = app.test_client()
    with app.app_context():
        user = factories.create_user(email="rulefuzz@example.com")
        full = factories.build_full_user(user)
        valid = {"category_id": factories.category_id(user, "Food"), "rule_id": full.ids["rule_id"]}
    token = api_sign_in(client, user).json["access_token"]  # the full user has two-factor sign-in
    return app, client, bearer(token), valid


def _bodies(valid: dict) -> st.SearchStrategy[tuple[str, str, object]]:
    condition = _object(
        ["field", "operator", "value", "value2"],
        {"field": st.sampled_from(CONDITION_FIELDS), "operator": st.sampled_from(OPERATORS), "value": "coffee"},
    )
    action = _object(
        ["type", "category_id", "tags", "payment_method", "pattern", "replacement"],
        {"type": st.sampled_from(ACTION_TYPES), "category_id": valid["category_id"], "tags": ["coffee"]},
    )
    document = {
        "match": st.one_of(st.sampled_from(["all", "any"]), JSON),
        "stop_after": JSON,
        "active": JSON,
        "conditions": st.one_of(st.lists(condition, max_size=2), JSON),
        "actions": st.one_of(st.lists(action, max_size=2), JSON),
    }
    named = {**document, "name": st.one_of(st.just("Coffee"), JSON)}
    sample = _object(["description", "notes", "amount", "currency", "payment_method"], {"description": "coffee"})
    run = _object(
        ["date_from", "date_to", "rule_ids", "apply", "page", "per_page"],
        {"date_from": "2026-01-01", "date_to": "2026-12-31", "rule_ids": [valid["rule_id"]]},
    )
    expense = _object(
        ["amount", "date", "category_id", "description", "apply_rules"],
        {"amount": "1.00", "date": "2026-01-02", "category_id": valid["category_id"], "description": "coffee"},
    )
    rule_url = f"/api/v1/rules/{valid['rule_id']}"
    return st.one_of(
        st.tuples(st.just("POST"), st.just("/api/v1/rules"), st.fixed_dictionaries({}, optional=named)),
        st.tuples(st.just("PATCH"), st.just(rule_url), st.fixed_dictionaries({}, optional=named)),
        st.tuples(st.just("PUT"), st.just("/api/v1/rules/order"), _object(["rule_ids"], {})),
        st.tuples(
            st.just("POST"),
            st.just("/api/v1/rules/test"),
            st.fixed_dictionaries({}, optional={**document, "sample": st.one_of(sample, JSON)}),
        ),
        st.tuples(
            st.just("POST"),
            st.just("/api/v1/rules/preview"),
            st.fixed_dictionaries({}, optional={**document, "limit": JSON}),
        ),
        st.tuples(st.just("POST"), st.just("/api/v1/rules/run"), run),
        st.tuples(st.just("POST"), st.just("/api/v1/expenses"), expense),
    )


@RULE_SETTINGS
@given(data=st.data())
def test_bad_rule_bodies_are_refused_without_changing_anything(world, data):
    app, client, headers, valid = world
    method, url, body = data.draw(_bodies(valid))
    with app.app_context():
        before = factories.all_rows()
    response = client.open(url, method=method, json=body, headers=headers)
    assert response.status_code < 500, (method, url, body, response.json)
    if response.status_code >= 300:
        assert response.is_json and "message" in response.json
        with app.app_context():
            assert factories.all_rows() == before, (method, url, body)
