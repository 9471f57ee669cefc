"""Forged, expired and mis-typed tokens are all a 401 JSON error."""

import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from expense_app.extensions import db
from expense_app.models import User
from tests.conftest import bearer


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _assert_401_json(response):
    assert response.status_code == 401
    assert response.is_json
    assert response.json["code"] == 401
    assert response.json["status"] == "Unauthorized"


def test_tampered_signature(client, user, api_login):
    token = api_login(user)["access_token"]
    header, payload, signature = token.split(".")
    forged = ".".join((header, payload, ("A" if signature[0] != "A" else "B") + signature[1:]))
    _assert_401_json(client.get("/api/v1/users/me", headers=bearer(forged)))


def test_tampered_payload_keeps_old_signature(client, user, make_user, api_login):
    other = make_user()
    token = api_login(user)["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(other.id)
    _assert_401_json(client.get("/api/v1/users/me", headers=bearer(f"{header}.{_b64(claims)}.{signature}")))


def test_alg_none_is_rejected(client, user, api_login):
    token = api_login(user)["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    _assert_401_json(client.get("/api/v1/users/me", headers=bearer(unsigned)))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_other_algorithm_with_the_same_secret_is_rejected(client, app, user, api_login):
    token = api_login(user)["access_token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    hs512 = pyjwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS512")
    _assert_401_json(client.get("/api/v1/users/me", headers=bearer(hs512)))


def test_expired_token(client, app, user, api_login):
    api_login(user)
    with app.app_context():
        stored = db.session.get(User, user.id)
        expired = create_access_token(identity=stored, expires_delta=timedelta(seconds=-1))
    response = client.get("/api/v1/users/me", headers=bearer(expired))
    _assert_401_json(response)
    assert "expired" in response.json["message"]


def test_token_without_family_is_rejected(client, app, user):
    # A correctly signed token that no login issued (e.g. minted with a leaked key before
    # rotation) has no live family and is refused.
    with app.app_context():
        token = create_access_token(identity=db.session.get(User, user.id))
    _assert_401_json(client.get("/api/v1/users/me", headers=bearer(token)))


def test_garbage_and_wrong_scheme(client, user, api_login):
    token = api_login(user)["access_token"]
    _assert_401_json(client.get("/api/v1/users/me", headers=bearer("not.a.jwt")))
    _assert_401_json(client.get("/api/v1/users/me", headers={"Authorization": f"Token {token}"}))
