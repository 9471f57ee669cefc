"""Security headers on every response of both faces: pages, JSON, files, redirects and errors.

Generated from the URL map: every GET route is requested anonymously (mostly a redirect or a 401)
and as a logged-in user with a real object id (the page or JSON itself), plus a handful of error
responses. Each answer must carry a Content-Security-Policy that forbids framing and inline
script, `X-Content-Type-Options: nosniff`, a Referrer-Policy that keeps paths off other sites,
and `X-Frame-Options: DENY` for older browsers.
"""

from __future__ import annotations

import pytest

from tests.security.matrix import KINDS, MAY_BE_ABSENT, MAY_BE_UNAVAILABLE, OBJECT_ENDPOINTS, Route, routes

ACCEPTED_REFERRER_POLICIES = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}


def _directives(csp: str) -> dict[str, list[str]]:
    directives = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response, what: str) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, f"{what}: no Content-Security-Policy"
    directives = _directives(csp)
    assert directives.get("frame-ancestors") == ["'none'"], f"{what}: framing allowed ({csp})"
    script = directives.get("script-src", directives.get("default-src", []))
    assert script and "'unsafe-inline'" not in script and "*" not in script, f"{what}: weak script-src ({csp})"
    assert directives.get("object-src") == ["'none'"], f"{what}: plugins allowed ({csp})"
    assert headers.get("X-Content-Type-Options") == "nosniff", f"{what}: no nosniff"
    assert headers.get("Referrer-Policy") in ACCEPTED_REFERRER_POLICIES, f"{what}: Referrer-Policy {headers}"
    assert headers.get("X-Frame-Options") == "DENY", f"{what}: X-Frame-Options"


GET_ROUTES = routes(lambda r: r.method == "GET")


@pytest.mark.parametrize("route", GET_ROUTES)
def test_headers_for_anonymous_requests(client, route: Route):
    response = client.get(route.url())
    assert_security_headers(response, f"{route} anonymous ({response.status_code})")


@pytest.mark.parametrize("route", GET_ROUTES)
def test_headers_for_logged_in_requests(app, user, login, api_headers, client, route: Route):
    login(user)
    values = {}
    if route.endpoint in OBJECT_ENDPOINTS:
        with app.app_context():
            values[route.id_arguments[0]] = KINDS[OBJECT_ENDPOINTS[route.endpoint].kind].create(user)
    response = client.get(route.url(**values), headers=api_headers if route.is_api else {})
    if route.endpoint in OBJECT_ENDPOINTS or not route.arguments:
        unavailable = (route.endpoint in MAY_BE_UNAVAILABLE and response.status_code == 503) or (
            route.endpoint in MAY_BE_ABSENT and response.status_code == 404
        )
        assert response.status_code < 400 or unavailable, f"{route}: {response.status_code}"
    assert_security_headers(response, f"{route} logged in ({response.status_code})")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/no-such-page"),
        ("GET", "/api/v1/no-such-thing"),
        ("DELETE", "/login"),
        ("GET", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/login"),
        ("GET", "/static/css/app.css"),
        ("GET", "/api/openapi.json"),
    ],
)
def test_headers_on_errors_and_files(client, method, url):
    response = client.open(url, method=method, json={} if method == "POST" else None)
    assert_security_headers(response, f"{method} {url} ({response.status_code})")
