"""Function-level access: no token, no API; no session, no page. Generated from the URL map.

Every /api/v1 operation except register and login answers a request without a token with a 401
in the API's JSON error shape (refresh and logout included: they need a token too). Every page
except the public ones (log in, register, static files, probes, metrics, API docs) sends an
anonymous visitor to the login page, for writes as well as reads.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.security.matrix import MAY_BE_UNAVAILABLE, Route, routes


@pytest.mark.parametrize("route", routes(lambda r: r.is_api and not r.is_public_api))
def test_api_operation_without_token_is_401_json(client, route: Route):
    response = client.open(route.url(), method=route.method, json={} if route.writes else None)
    assert response.status_code == 401, f"{route} answered {response.status_code} without a token"
    assert response.is_json
    assert response.json["code"] == 401
    assert response.json["status"] == "Unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("route", routes(lambda r: r.is_api and not r.is_public_api))
def test_api_operation_ignores_the_session_cookie(client, user, login, route: Route):
    # A logged-in browser must not be able to use the API with its cookie (CSRF would reach it).
    login(user)
    response = client.open(route.url(), method=route.method, json={} if route.writes else None)
    assert response.status_code == 401, f"{route} accepted the session cookie ({response.status_code})"


@pytest.mark.parametrize("route", routes(lambda r: not r.rule.startswith("/api/") and not r.is_public_page))
def test_page_without_session_redirects_to_login(client, route: Route):
    response = client.open(route.url(), method=route.method, data={} if route.writes else None)
    assert response.status_code == 302, f"{route} answered {response.status_code} to an anonymous visitor"
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"


@pytest.mark.parametrize("route", routes(lambda r: r.is_public_page and r.method == "GET" and not r.arguments))
def test_public_pages_are_public(client, route: Route):
    """The control of the exemption list: what it names really opens without a login."""
    response = client.get(route.url())
    location = urlsplit(response.headers.get("Location", "")).path
    assert location != "/login", f"{route} is listed as public but redirects to the login page"
    assert response.status_code not in (401, 403)
    assert response.status_code < 500 or (route.endpoint in MAY_BE_UNAVAILABLE and response.status_code == 503)
