"""Injection: SQL metacharacters and markup in every text field and filter are stored and shown as text.

The text fields come from the OpenAPI document: every string property of a request body that has
no format or enum is either free text (it must come back exactly as sent) or listed in
`CHECKED_FIELDS` (the service validates its shape, so a payload is refused with 422). A new text
field that is in neither list fails the test. The same goes for string query parameters.

Then the stored payloads are read back: intact in JSON and CSV, found literally by the search and
tag filters, escaped (never raw markup) in every page that shows them, and the tables still exist.
"""

from __future__ import annotations

import csv
import io

import pytest
from markupsafe import escape

from expense_app.statements.spreadsheet_safety import neutralise, unneutralise
from tests.conftest import PASSWORD, bearer
from tests.security.matrix import (
    API_BODIES,
    Context,
    Route,
    openapi,
    query_parameters,
    request_schema,
    resolve,
    routes,
    upload_schema,
)

PAYLOADS = (
    "<script>alert(1)</script>",
    "'; drop table expenses; --",
    '" or 1=1 --',
    "<img src=x onerror=alert(1)>",
    "%_\\ like '%'",
)
MARKUP = tuple(payload for payload in PAYLOADS if "<" in payload)
# String fields whose shape the service checks: a payload is refused, never stored.
CHECKED_FIELDS = frozenset(
    {
        "email",
        "password",
        "current_password",
        "new_password",
        "color",
        "currency",
        "effective_from",
        "rollover",
        "locale",
        # Bulk tag changes: not echoed in the answer; they are stored as tags, whose round trip
        # `POST /expenses` checks.
        "add_tags",
        "remove_tags",
        # The upload form's `settings`: a JSON object as text, so a payload is refused (422).
        "settings",
        # Two-factor sign-in: a code is six digits, a recovery code 16 base32 characters, and an
        # mfa_token is only looked up by its hash (a payload gets 401); none is stored or echoed.
        "code",
        "recovery_code",
        "mfa_token",
    }
)
# Text fields an operation stores but does not answer back, per operation: their payloads must be
# accepted (2xx, nothing breaks); the answer carries no copy to compare.
NOT_ECHOED = {
    # The rows' tags answer {count}; tags' text round trip is `POST /expenses`'.
    ("Import.ImportRows", "PATCH"): frozenset({"tags", "add_tags"}),
    ("Import.ImportRow", "PATCH"): frozenset({"tags", "add_tags"}),
    # A preset's `sample` is kept only as a header signature (a hash), never shown.
    ("ImportPresets.PresetCollection", "POST"): frozenset({"sample"}),
    ("ImportPresets.PresetItem", "PATCH"): frozenset({"sample"}),
}
# String query parameters with a fixed vocabulary, or (`after`, the list's cursor) a format the
# API decodes and refuses with a 422 otherwise (test_a_payload_as_the_cursor_is_a_422).
CHECKED_PARAMETERS = frozenset({"sort", "interval", "month", "after"})
# Free text that is looked up, never stored: `description` of GET /suggestions/category, whose
# payloads are matched literally in tests/api/test_suggestions_api.py.
LOOKUP_PARAMETERS = frozenset({"description"})


def _text_properties(spec: dict, schema: dict) -> dict[str, bool]:
    """Free-form string properties of `schema`: name -> True when it is a list of strings."""
    found = {}
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(spec, prop)
        if prop.get("readOnly"):
            continue
        if prop.get("type") == "string" and "format" not in prop and "enum" not in prop:
            found[name] = False
        items = resolve(spec, prop.get("items", {}))
        if prop.get("type") == "array" and items.get("type") == "string" and "enum" not in items:
            found[name] = True
    return found


@pytest.fixture
def owner(app, make_user, client):
    user = make_user(email="owner@example.com")
    with app.app_context():
        context = Context(user)
    token = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json
    return context, bearer(token["access_token"])


@pytest.mark.parametrize("route", routes(lambda r: r.is_api and (r.endpoint, r.method) in API_BODIES))
def test_text_fields_round_trip_in_json(app, client, owner, route: Route):
    context, headers = owner
    spec = openapi(app)
    schema = request_schema(spec, route)
    fields = {name: many for name, many in _text_properties(spec, schema).items() if name not in CHECKED_FIELDS}
    url = context.url(route)
    not_echoed = NOT_ECHOED.get((route.endpoint, route.method), frozenset())
    for name, many in fields.items():
        for number, payload in enumerate(PAYLOADS):
            # Unique per request: category names must not repeat; 32 characters fit every field.
            value = f"{payload}{number}"[:32] if name != "tags" else payload[:32]
            body = {**API_BODIES[(route.endpoint, route.method)](context), name: [value] if many else value}
            response = client.open(url, method=route.method, json=body, headers=headers)
            assert response.status_code in (200, 201), f"{route} {name}={value!r}: {response.status_code}"
            if name not in not_echoed:
                assert response.json[name] == ([value] if many else value), f"{route} altered {name}"


@pytest.mark.parametrize("route", routes(lambda r: r.is_api and r.method == "POST"))
def test_upload_text_fields_round_trip(app, client, owner, route: Route):
    """The multipart upload's free-text fields (`source`) come back exactly as sent."""
    context, headers = owner
    spec = openapi(app)
    schema = upload_schema(spec, route)
    if schema is None:
        return
    fields = {name: many for name, many in _text_properties(spec, schema).items() if name not in CHECKED_FIELDS}
    assert fields, f"{route}: no free text field found in its form"
    for name, many in fields.items():
        assert not many, f"{route}: {name} is a list; send it as repeated form fields here"
        for number, payload in enumerate(PAYLOADS):
            value = f"{payload}{number}"[:32]
            form = {
                "file": (io.BytesIO(b"Date,Amount,Description\n2020-03-01,-1.00,Upload\n"), "upload.csv"),
                "default_category_id": str(context.category_id),
                name: value,
            }
            response = client.post(route.url(), data=form, headers=headers, content_type="multipart/form-data")
            assert response.status_code == 201, f"{route} {name}={value!r}: {response.status_code} {response.json}"
            assert response.json[name] == value, f"{route} altered {name}"
    # A payload in `settings` (checked: a JSON object) is refused, naming the field.
    form = {"file": (io.BytesIO(b"Date,Amount\n2020-03-01,-1.00\n"), "u.csv"), "settings": PAYLOADS[1]}
    refused = client.post(route.url(), data=form, headers=headers, content_type="multipart/form-data")
    assert refused.status_code == 422 and "settings" in refused.json["errors"], refused.json


def test_every_text_field_is_classified(app):
    """A new string field or parameter must be added to the round trip or to the checked lists."""
    spec = openapi(app)
    unknown = []
    for param in routes(lambda r: r.is_api):
        route = param.values[0]
        schema = request_schema(spec, route)
        if schema is not None and (route.endpoint, route.method) not in API_BODIES:
            unknown.append(f"{route}: no body in API_BODIES")
        upload = upload_schema(spec, route)
        if upload is not None:
            # Covered by test_upload_text_fields_round_trip: each free-text form field is sent there.
            for name in _text_properties(spec, upload):
                if name not in CHECKED_FIELDS and name not in UPLOAD_TEXT_FIELDS:
                    unknown.append(f"{route}: form field {name!r}")
        for parameter in query_parameters(spec, route):
            kind = resolve(spec, parameter.get("schema", {}))
            items = resolve(spec, kind.get("items", {})) if kind.get("type") == "array" else kind
            is_text = items.get("type") == "string" and "format" not in items and "enum" not in items
            if is_text and parameter["name"] not in (*CHECKED_PARAMETERS, *TEXT_FILTERS, *LOOKUP_PARAMETERS):
                unknown.append(f"{route}: query parameter {parameter['name']!r}")
    assert not unknown, "classify in tests/security/test_injection.py: " + "; ".join(unknown)


# The upload form's free-text fields (sent with payloads by test_upload_text_fields_round_trip).
UPLOAD_TEXT_FIELDS = frozenset({"source"})

# Text filters of the expense list (and export), each with how a stored payload is found.
TEXT_FILTERS = {"q": "description", "tag": "tags"}


@pytest.fixture
def stored(app, client, owner):
    """One expense per payload (description, notes and tag), in a category named after it."""
    _, headers = owner
    client.patch("/api/v1/users/me", json={"full_name": MARKUP[0]}, headers=headers)
    created = {}
    for payload in PAYLOADS:
        category = client.post("/api/v1/categories", json={"name": payload, "icon": payload[:32]}, headers=headers)
        assert category.status_code == 201, category.json
        expense = client.post(
            "/api/v1/expenses",
            json={
                "amount": "1.00",
                "date": "2026-01-10",
                "category_id": category.json["id"],
                "description": payload,
                "notes": payload,
                "tags": [payload],
            },
            headers=headers,
        )
        assert expense.status_code == 201, expense.json
        created[payload] = expense.json
    return created


def test_filters_find_payloads_literally(client, owner, stored):
    _, headers = owner
    for payload, expense in stored.items():
        for parameter in TEXT_FILTERS:
            listed = client.get("/api/v1/expenses", query_string={parameter: payload}, headers=headers)
            assert listed.status_code == 200
            assert [item["id"] for item in listed.json["items"]] == [expense["id"]], (parameter, payload)
            assert listed.json["items"][0]["description"] == payload
    # The tables are all still there: the owner's original expense, the one their rule run changed
    # (matrix.make_rule_run), the two their committed import created (matrix.make_committed_import_batch:
    # its third row is money in) and the five payloads.
    assert client.get("/api/v1/expenses", headers=headers).json["total"] == len(PAYLOADS) + 2 + 2


def test_csv_export_keeps_payloads_intact(client, owner, stored):
    _, headers = owner
    response = client.get(
        "/api/v1/expenses/export.csv",
        query_string={"date_from": "2026-01-10", "date_to": "2026-01-10"},
        headers=headers,
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # Each cell is the payload with the export's formula guard (statements.spreadsheet_safety: a
    # cell starting with ' gets one more, which the import takes off): nothing else is altered.
    assert sorted(row["description"] for row in rows) == sorted(map(neutralise, PAYLOADS))
    assert sorted(unneutralise(row["description"]) for row in rows) == sorted(PAYLOADS)
    assert all(row["category"] == row["description"] == row["notes"] == row["tags"] for row in rows)


def test_pages_show_payloads_escaped(app, client, owner, stored):
    context, _ = owner
    assert client.post("/login", data={"email": context.user.email, "password": PASSWORD}).status_code == 302
    some_expense = next(iter(stored.values()))
    pages = [
        "/",
        "/?period=custom&date_from=2026-01-01&date_to=2026-01-31",
        "/expenses?date_from=2026-01-01",
        f"/expenses/{some_expense['id']}",
        f"/expenses/{some_expense['id']}/edit",
        f"/expenses/{some_expense['id']}/delete",
        "/categories",
        f"/categories/{some_expense['category_id']}/edit",
        "/settings",
    ]
    pages += [f"/expenses?q={payload}" for payload in PAYLOADS]
    shown = set()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        for payload in MARKUP:
            assert payload not in response.text, f"{url} shows raw markup {payload!r}"
        shown |= {payload for payload in PAYLOADS if str(escape(payload)) in response.text}
    assert shown == set(PAYLOADS), f"never shown escaped: {set(PAYLOADS) - shown}"


def test_a_payload_as_the_cursor_is_a_422(client, owner):
    _, headers = owner
    for payload in PAYLOADS:
        response = client.get("/api/v1/expenses", query_string={"after": payload}, headers=headers)
        assert response.status_code == 422, (payload, response.status_code)
        assert "after" in response.json["errors"], response.json
