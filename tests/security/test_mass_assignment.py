"""Mass assignment: `user_id`, `id`, `created_at` (and other server-owned fields) in a body never apply.

Generated from the URL map and the OpenAPI document: every API operation that takes a JSON body
is sent a valid body plus one server-owned field at a time. The API refuses unknown fields, so the
answer must be 422 naming the field, with nothing stored. Every form of the web face gets the same
fields; forms ignore what they do not declare, so the request may succeed, but what it stores
must belong to the poster, with the server's own id and timestamps.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Category, Expense, Tag, TokenFamily, User
from tests.conftest import PASSWORD, bearer
from tests.security.matrix import (
    API_BODIES,
    KINDS,
    OBJECT_ENDPOINTS,
    Attacker,
    Context,
    Route,
    database_state,
    food_of,
    form_for,
    openapi,
    request_schema,
    routes,
)

FOREIGN_ID = 424_242
ANCIENT = "2000-01-01T00:00:00+00:00"
OWNED_MODELS = (Category, Expense, Tag, TokenFamily)


def server_owned_fields(other_user_id: int) -> dict:
    """Fields a client must never set, with the values an attacker would send."""
    return {
        "user_id": other_user_id,
        "id": FOREIGN_ID,
        "created_at": ANCIENT,
        "updated_at": ANCIENT,
        "is_active": False,
        "session_version": 99,
        "password_hash": "$argon2id$forged",
        "email": "hijacked@example.com",
        "expense_count": 1000,
        "total_amount": "1000.00",
    }


@pytest.fixture
def context(app, make_user) -> Context:
    user = make_user(email="mass@owner.example")
    with app.app_context():
        return Context(user)


def _others_rows(other_id: int) -> list:
    return [
        sorted(map(repr, db.session.execute(sa.select(model.__table__).where(model.user_id == other_id)).all()))
        for model in OWNED_MODELS
    ]


def _assert_nothing_applied(other_id: int, others_before: list, route: Route) -> None:
    db.session.remove()
    assert _others_rows(other_id) == others_before, f"{route} wrote rows for another user"
    for model in (*OWNED_MODELS, User):
        if hasattr(model, "id") and model is not TokenFamily:
            assert db.session.get(model, FOREIGN_ID) is None, f"{route} stored a client-chosen id"
        stamp = getattr(model, "created_at", None)
        if stamp is not None:
            oldest = db.session.scalar(sa.select(sa.func.min(stamp)))
            assert oldest is None or oldest.year > 2000, f"{route} stored a client-chosen created_at"
    assert db.session.scalar(sa.select(User.id).where(User.email == "hijacked@example.com")) is None


API_ROUTES = [param.values[0] for param in routes(lambda r: r.is_api)]


def test_every_api_operation_with_a_body_is_declared(app):
    """The OpenAPI document and API_BODIES agree, so a new operation with a body cannot be skipped."""
    spec = openapi(app)
    missing = [
        str(route)
        for route in API_ROUTES
        if request_schema(spec, route) is not None and (route.endpoint, route.method) not in API_BODIES
    ]
    assert not missing, f"add a valid body for {missing} to API_BODIES in tests/security/matrix.py"


@pytest.mark.parametrize("route", routes(lambda r: r.is_api and (r.endpoint, r.method) in API_BODIES))
def test_api_refuses_server_owned_fields(app, client, make_user, context, route: Route):
    other = make_user(email="other@example.com")
    headers = bearer(
        client.post("/api/v1/auth/login", json={"email": context.user.email, "password": PASSWORD}).json["access_token"]
    )
    url = context.url(route)
    body = API_BODIES[(route.endpoint, route.method)](context)
    for field, value in server_owned_fields(other.id).items():
        if field in body:
            continue
        with app.app_context():
            before = database_state()
            others_before = _others_rows(other.id)
        response = client.open(url, method=route.method, json={**body, field: value}, headers=headers)
        assert response.status_code == 422, f"{route} accepted {field!r}: {response.status_code}"
        assert field in response.json["errors"], response.json
        with app.app_context():
            _assert_nothing_applied(other.id, others_before, route)
            assert database_state() == before, f"{route} changed something while refusing {field!r}"
    # The control: the same body without the extra field is accepted.
    assert client.open(url, method=route.method, json=body, headers=headers).status_code < 300


@pytest.mark.parametrize("route", routes(lambda r: not r.rule.startswith("/api/") and r.writes))
def test_forms_ignore_server_owned_fields(app, make_user, act_as, route: Route):
    owner = make_user(email="form@owner.example")
    other = make_user(email="other@example.com")
    values = {}
    with app.app_context():
        if route.id_arguments:
            values[route.id_arguments[0]] = KINDS[OBJECT_ENDPOINTS[route.endpoint].kind].create(owner)
        attacker = Attacker(category_id=food_of(owner))
        others_before = _others_rows(other.id)
    client = app.test_client() if route.endpoint in ("auth.login", "auth.register") else act_as(owner).client
    form = form_for(route, attacker)
    if route.endpoint == "auth.login":
        form["email"] = owner.email
    form.update({key: str(value) for key, value in server_owned_fields(other.id).items() if key not in form})

    response = client.open(route.url(**values), method=route.method, data=form)

    assert response.status_code < 500
    with app.app_context():
        _assert_nothing_applied(other.id, others_before, route)
        mine = db.session.get(User, owner.id)
        if mine is not None:
            assert mine.is_active and mine.session_version < 99 and mine.email == owner.email
