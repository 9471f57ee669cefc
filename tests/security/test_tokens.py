"""Every protected API operation refuses every kind of bad token with a 401 JSON error.

For each operation from the URL map (tests/api/test_tokens_security.py covers /users/me in
detail), a user logs in and the operation is sent forged, expired, mis-typed, revoked and
misplaced versions of the right token. The control, sent last, is the same claims re-signed
correctly: it must get through, which proves that each refusal came from the defect introduced.
"""

from __future__ import annotations

import base64
import json
import time

import jwt as pyjwt
import pytest

from expense_app.services import accounts
from tests.conftest import PASSWORD, bearer
from tests.security.matrix import Route, routes

REFRESH_ENDPOINT = "Authentication.refresh"
# Logout accepts either token type by design (it revokes the whole login).
ANY_TOKEN_TYPE = frozenset({"Authentication.logout"})


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return pyjwt.decode(token, options={"verify_signature": False})


def _sign(claims: dict, key: str, algorithm: str = "HS256") -> str:
    return pyjwt.encode(claims, key, algorithm=algorithm)


def _api_login(client, email: str) -> dict:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("route", routes(lambda r: r.is_api and not r.is_public_api))
def test_bad_tokens_are_401_on_every_operation(app, client, make_user, route: Route):
    secret = app.config["SECRET_KEY"]
    user, other = make_user(), make_user()
    pair = _api_login(client, user.email)
    wants_refresh = route.endpoint == REFRESH_ENDPOINT
    token = pair["refresh_token"] if wants_refresh else pair["access_token"]
    claims = _claims(token)
    header, payload, signature = token.split(".")

    revoked = _api_login(client, user.email)
    assert client.post("/api/v1/auth/logout", headers=bearer(revoked["access_token"])).status_code == 204
    doomed = make_user()
    doomed_pair = _api_login(client, doomed.email)
    with app.app_context():
        accounts.delete_account(user=doomed)

    variants = {
        "tampered signature": f"{header}.{payload}.{'A' if signature[0] != 'A' else 'B'}{signature[1:]}",
        "payload changed to another user": f"{header}.{_b64({**claims, 'sub': str(other.id)})}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "HS512 with the app's secret": _sign(claims, secret, "HS512"),
        "HS256 with another secret": _sign(claims, "another-secret-of-sufficient-length-0123456789"),
        "expired": _sign({**claims, "exp": int(time.time()) - 10, "iat": int(time.time()) - 3600}, secret),
        "not yet valid": _sign({**claims, "nbf": int(time.time()) + 3600}, secret),
        "revoked by logout": revoked["refresh_token"] if wants_refresh else revoked["access_token"],
        "deleted user's": doomed_pair["refresh_token"] if wants_refresh else doomed_pair["access_token"],
        "garbage": "not.a.jwt",
    }
    if wants_refresh:
        variants["access used as refresh"] = pair["access_token"]
    elif route.endpoint not in ANY_TOKEN_TYPE:
        variants["refresh used as access"] = pair["refresh_token"]

    body = {"json": {}} if route.writes else {}
    url = route.url()
    accepted = []
    for name, forged in variants.items():
        response = client.open(url, method=route.method, headers=bearer(forged), **body)
        if response.status_code != 401 or not response.is_json or response.json.get("code") != 401:
            accepted.append(f"{name}: {response.status_code}")
    # Misplaced: only the Authorization header carries a token, never the query string or a cookie.
    for name, kwargs in {
        "token in the query string": {"query_string": {"jwt": token, "access_token": token}},
        "token in a cookie": {"headers": {"Cookie": f"access_token_cookie={token}"}},
        "token without the Bearer scheme": {"headers": {"Authorization": token}},
    }.items():
        response = client.open(url, method=route.method, **kwargs, **body)
        if response.status_code != 401:
            accepted.append(f"{name}: {response.status_code}")
    assert not accepted, f"{route} did not answer 401 JSON to: " + "; ".join(accepted)

    control = client.open(url, method=route.method, headers=bearer(_sign(claims, secret)), **body)
    assert control.status_code != 401, f"{route} refused a correctly signed token: {control.json}"
