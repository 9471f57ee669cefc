"""Bad input to the bulk and Undo endpoints and forms: never a 5xx, and a refusal changes nothing.

JSON bodies of `/expenses/bulk`, `/bulk-update`, `/bulk-delete` and `/restore`, and the form posts
of `/expenses/bulk` and `/expenses/undo`, are built from valid values mixed with the HTML fuzzer's
hostile values (Unicode digits, huge numbers, NUL bytes, impossible dates, ...) and JSON values of
the wrong type. A full user's database (a row of every table) must be exactly as it was after
every answer that is not a success.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests import factories
from tests.conftest import api_sign_in, bearer, web_sign_in
from tests.fuzz.test_html_fuzz import HOSTILE_VALUES

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCALARS = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
FILTER_KEYS = ["category_id", "payment_method", "tag", "date_from", "date_to", "min_amount", "max_amount", "q", "sort"]
ITEM_KEYS = ["amount", "date", "category_id", "description", "payment_method", "currency", "tags", "notes", "fx_rate"]


def _object(keys: list[str], valid: dict) -> st.SearchStrategy[dict]:
    """Some of `keys`, each either its valid value (when there is one) or anything."""
    value = {key: st.one_of(st.just(valid[key]), JSON) if key in valid else JSON for key in keys}
    return st.fixed_dictionaries({}, optional=value)


@pytest.fixture
def world(app):
    """A full user (a row of every table), their token and a logged-in browser, shared by the examples."""
    client = app.test_client()
    with app.app_context():
        user = factories.create_user(email="bulkfuzz@example.com")
        full = factories.build_full_user(user)
        valid = {"category_id": factories.category_id(user, "Food"), "expense_id": full.ids["expense_id"]}
    token = api_sign_in(client, user).json["access_token"]  # the full user has two-factor sign-in
    browser = app.test_client()
    assert web_sign_in(browser, user).status_code == 302
    return app, client, bearer(token), valid, browser


def _bodies(valid: dict) -> st.SearchStrategy[tuple[str, object]]:
    selection = {
        "ids": st.one_of(st.just([valid["expense_id"]]), JSON),
        "filter": st.one_of(_object(FILTER_KEYS, {}), JSON),
    }
    item = _object(ITEM_KEYS, {"amount": "1.00", "date": "2026-01-02", "category_id": valid["category_id"]})
    changes = {
        "category_id": st.one_of(st.just(valid["category_id"]), JSON),
        "payment_method": st.one_of(st.just("cash"), JSON),
        "add_tags": JSON,
        "remove_tags": JSON,
    }
    return st.one_of(
        st.tuples(st.just("bulk"), st.one_of(st.fixed_dictionaries({"expenses": st.lists(item, max_size=3)}), JSON)),
        st.tuples(st.just("bulk-update"), st.fixed_dictionaries({}, optional={**selection, **changes})),
        st.tuples(st.just("bulk-delete"), st.fixed_dictionaries({}, optional=selection)),
        st.tuples(st.just("restore"), st.one_of(st.fixed_dictionaries({}, optional={"batch_id": JSON}), JSON)),
    )


@SETTINGS
@given(data=st.data())
def test_bad_json_bodies_are_refused_without_changing_anything(world, data):
    app, client, headers, valid, _ = world
    path, body = data.draw(_bodies(valid))
    with app.app_context():
        before = factories.all_rows()
    response = client.post(f"/api/v1/expenses/{path}", json=body, headers=headers)
    assert response.status_code < 500, (path, body, response.json)
    if response.status_code >= 300:
        assert response.is_json and "message" in response.json
        with app.app_context():
            assert factories.all_rows() == before, (path, body)


FORM_VALUES = st.one_of(st.sampled_from(HOSTILE_VALUES), st.text(max_size=12))


@SETTINGS
@given(
    path=st.sampled_from(["/expenses/bulk", "/expenses/undo"]),
    query=st.lists(st.tuples(st.sampled_from(FILTER_KEYS), FORM_VALUES), max_size=2),
    fields=st.lists(
        st.tuples(
            st.sampled_from(["ids", "scope", "action", "category_id", "tags", "payment_method", "batch_id", "x"]),
            FORM_VALUES,
        ),
        max_size=5,
    ),
)
def test_bad_bulk_and_undo_forms_are_refused_without_changing_anything(world, path, query, fields):
    app, *_, browser = world
    with app.app_context():
        before = factories.all_rows()
    response = browser.post(path, query_string=MultiDict(query), data=MultiDict(fields))
    assert response.status_code < 500, (path, query, fields)
    if response.status_code != 302:
        with app.app_context():
            assert factories.all_rows() == before, (path, query, fields)
