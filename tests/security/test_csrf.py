"""CSRF: every state-changing form of the web face is refused without its token, and changes nothing.

Generated from the URL map: every non-API route that takes a POST (PUT, PATCH, DELETE) is sent the
form it expects, minus `csrf_token`, by a logged-in browser, on an app with CSRF protection on.
Each must answer 400 and leave the database exactly as it was. The control sends the same form
with the token and must not get a 400, so the refusal is the token's doing.
"""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, csrf_token_from
from tests.security.matrix import (
    KINDS,
    OBJECT_ENDPOINTS,
    URL_SECRETS,
    Attacker,
    Route,
    database_state,
    food_of,
    form_for,
    routes,
)

STATE_CHANGING = routes(lambda r: not r.rule.startswith("/api/") and r.writes)


@pytest.fixture
def csrf_app(app_factory):
    return app_factory(WTF_CSRF_ENABLED=True)


def _logged_in(csrf_app, user):
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").text)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client


def _prepare(csrf_app, make_user, route: Route):
    """A logged-in client (anonymous for the log-in and register forms), the URL and the form."""
    user = make_user(email="csrf@example.com")
    with csrf_app.app_context():
        values = {}
        if route.id_arguments:
            kind = KINDS[OBJECT_ENDPOINTS[route.endpoint].kind] if route.endpoint in OBJECT_ENDPOINTS else None
            if kind is None:
                pytest.fail(f"{route}: add {route.endpoint!r} to OBJECT_ENDPOINTS in tests/security/matrix.py")
            values[route.id_arguments[0]] = kind.create(user)
        if route.endpoint in URL_SECRETS:
            values.update(URL_SECRETS[route.endpoint](user))
        attacker = Attacker(category_id=food_of(user))
    anonymous = route.endpoint in ("auth.login", "auth.register")
    client = csrf_app.test_client() if anonymous else _logged_in(csrf_app, user)
    return client, route.url(**values), form_for(route, attacker)


@pytest.mark.parametrize("route", STATE_CHANGING)
def test_form_without_csrf_token_is_400_and_changes_nothing(csrf_app, make_user, route: Route):
    client, url, form = _prepare(csrf_app, make_user, route)
    with csrf_app.app_context():
        before = database_state()

    response = client.open(url, method=route.method, data=form)

    assert response.status_code == 400, f"{route} accepted a form without its CSRF token ({response.status_code})"
    assert "text/html" in response.content_type
    with csrf_app.app_context():
        assert database_state() == before, f"{route} changed the database without a CSRF token"
    forged = client.open(url, method=route.method, data={**form, "csrf_token": "forged-token"})
    assert forged.status_code == 400, f"{route} accepted a forged CSRF token"


@pytest.mark.parametrize("route", STATE_CHANGING)
def test_the_same_form_with_its_token_gets_through(csrf_app, make_user, route: Route):
    client, url, form = _prepare(csrf_app, make_user, route)
    page = client.get("/settings" if route.endpoint not in ("auth.login", "auth.register") else "/login")
    response = client.open(url, method=route.method, data={**form, "csrf_token": csrf_token_from(page.text)})
    assert response.status_code != 400, f"{route} refused a form with a valid CSRF token"
    assert response.status_code < 500
