"""Two-factor sign-in over the API: the login's 401 with a challenge, POST /auth/mfa, enrolment,
recovery codes and turning it off under /users/me/two-factor."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import MfaChallenge, User
from expense_app.services import mfa_challenges
from tests.conftest import PASSWORD, bearer
from tests.factories import enable_two_factor, totp_code

TWO_FACTOR = "/api/v1/users/me/two-factor"


@pytest.fixture
def enrolled(app, user):
    with app.app_context():
        secret, codes = enable_two_factor(user)
    return user, secret, codes


def password_step(client, user, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": user.email, "password": password})


def last_step(app, user) -> int | None:
    with app.app_context():
        return db.session.get(User, user.id).totp_last_step


def test_login_without_two_factor_still_returns_the_token_pair(client, user):
    response = password_step(client, user)
    assert response.status_code == 200 and set(response.json) >= {"access_token", "refresh_token"}


def test_with_two_factor_the_password_alone_gets_no_token(client, enrolled):
    user, _, _ = enrolled
    response = password_step(client, user)
    assert response.status_code == 401
    body = response.json
    assert body["code"] == 401 and body["status"] == "Unauthorized" and body["mfa_required"] is True
    assert body["message"].startswith("A second factor is required")
    assert "access_token" not in body and len(body["mfa_token"]) >= 40


def test_a_wrong_password_says_nothing_about_two_factor(client, enrolled):
    user, _, _ = enrolled
    response = password_step(client, user, password="wrong password!")
    assert response.status_code == 401 and "mfa_required" not in response.json and "mfa_token" not in response.json


def test_the_code_completes_the_login_once(app, client, enrolled):
    user, secret, _ = enrolled
    token = password_step(client, user).json["mfa_token"]
    code = totp_code(secret, steps=1)  # the enrolment spent the current step
    response = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": code})
    assert response.status_code == 200, response.json
    me = client.get("/api/v1/users/me", headers=bearer(response.json["access_token"]))
    assert me.status_code == 200 and me.json["email"] == user.email
    # The same code with a new challenge (the next request of a thief who saw it): refused.
    again = password_step(client, user).json["mfa_token"]
    replay = client.post("/api/v1/auth/mfa", json={"mfa_token": again, "code": code})
    assert replay.status_code == 401 and "already used" in replay.json["message"]
    # The used challenge itself: refused.
    reused = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret, steps=1)})
    assert reused.status_code == 401 and reused.json["message"] == mfa_challenges.EXPIRED


def test_a_wrong_or_malformed_code_is_refused(client, enrolled):
    user, _, _ = enrolled
    token = password_step(client, user).json["mfa_token"]
    wrong = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "000000"})
    assert wrong.status_code == 401 and "not correct" in wrong.json["message"]
    malformed = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "12a456"})
    assert malformed.status_code == 422 and "6-digit" in malformed.json["errors"]["code"][0]
    neither = client.post("/api/v1/auth/mfa", json={"mfa_token": token})
    assert neither.status_code == 422
    unknown = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "000000", "user_id": 1})
    assert unknown.status_code == 422


def test_an_unknown_or_expired_token_is_refused(app, client, enrolled):
    user, _, codes = enrolled
    assert client.post("/api/v1/auth/mfa", json={"mfa_token": "nope", "recovery_code": codes[0]}).status_code == 401
    token = password_step(client, user).json["mfa_token"]
    with app.app_context():
        from datetime import timedelta

        from expense_app.models.base import utcnow
        from expense_app.services.unit_of_work import transaction

        with transaction() as session:
            session.execute(sa.update(MfaChallenge).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "recovery_code": codes[0]})
    assert response.status_code == 401 and response.json["message"] == mfa_challenges.EXPIRED


def test_a_web_challenge_is_no_api_token(app, client, enrolled):
    user, _, codes = enrolled
    with app.app_context():
        token = mfa_challenges.begin(user=db.session.get(User, user.id), purpose="web")
    assert client.post("/api/v1/auth/mfa", json={"mfa_token": token, "recovery_code": codes[0]}).status_code == 401


def test_a_recovery_code_signs_in_once(client, enrolled):
    user, _, codes = enrolled
    first = client.post(
        "/api/v1/auth/mfa", json={"mfa_token": password_step(client, user).json["mfa_token"], "recovery_code": codes[0]}
    )
    assert first.status_code == 200
    second = client.post(
        "/api/v1/auth/mfa", json={"mfa_token": password_step(client, user).json["mfa_token"], "recovery_code": codes[0]}
    )
    assert second.status_code == 401


def test_wrong_codes_on_several_challenges_lock_the_account_with_429(app_factory, make_user):
    app = app_factory(ACCOUNT_LOCKOUT="3/15 minutes")
    client = app.test_client()
    user = make_user(email="locked@example.com")
    with app.app_context():
        secret, _ = enable_two_factor(user)
    # Challenges taken first: the password step's own check is the login's (accounts.authenticate).
    tokens = [password_step(client, user).json["mfa_token"] for _ in range(4)]
    for token in tokens[:3]:
        assert client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "000000"}).status_code == 401
    response = client.post("/api/v1/auth/mfa", json={"mfa_token": tokens[3], "code": totp_code(secret, steps=1)})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Too many failed sign-in attempts" in response.json["message"]


def test_the_throttle_is_checked_on_the_mfa_step(app_factory, make_user):
    app = app_factory(ACCOUNT_LOCKOUT="2/15 minutes")
    client = app.test_client()
    user = make_user(email="step@example.com")
    with app.app_context():
        secret, _ = enable_two_factor(user)
    token = password_step(client, user).json["mfa_token"]
    for _ in range(2):
        assert client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": "000000"}).status_code == 401
    right = client.post("/api/v1/auth/mfa", json={"mfa_token": token, "code": totp_code(secret, steps=1)})
    assert right.status_code == 429 and "Retry-After" in right.headers


# --- enrolment over the API ----------------------------------------------------------------------


def test_enrolment_status_confirm_regenerate_and_disable(app, client, user, api_headers, caplog):
    caplog.set_level(logging.DEBUG)
    status = client.get(TWO_FACTOR, headers=api_headers)
    assert status.status_code == 200 and status.json == {"enabled": False, "enabled_at": None, "recovery_codes_left": 0}
    started = client.post(TWO_FACTOR, headers=api_headers)
    assert started.status_code == 201
    secret = started.json["secret"]
    assert started.json["otpauth_uri"].startswith("otpauth://totp/")
    wrong = client.post(f"{TWO_FACTOR}/confirm", headers=api_headers, json={"code": "000000"})
    assert wrong.status_code == 422 and client.get(TWO_FACTOR, headers=api_headers).json["enabled"] is False
    confirmed = client.post(f"{TWO_FACTOR}/confirm", headers=api_headers, json={"code": totp_code(secret)})
    assert confirmed.status_code == 200 and len(confirmed.json["recovery_codes"]) == 10
    status = client.get(TWO_FACTOR, headers=api_headers).json
    assert status["enabled"] is True and status["enabled_at"] and status["recovery_codes_left"] == 10
    assert client.post(TWO_FACTOR, headers=api_headers).status_code == 409

    bad = client.post(
        f"{TWO_FACTOR}/recovery-codes", headers=api_headers, json={"password": "nope nope", "code": "123456"}
    )
    assert bad.status_code == 422 and "password" in bad.json["errors"]
    new = client.post(
        f"{TWO_FACTOR}/recovery-codes",
        headers=api_headers,
        json={"password": PASSWORD, "code": totp_code(secret, steps=1)},
    )
    assert new.status_code == 200 and not set(new.json["recovery_codes"]) & set(confirmed.json["recovery_codes"])

    refused = client.post(f"{TWO_FACTOR}/disable", headers=api_headers, json={"password": PASSWORD, "code": "000000"})
    assert refused.status_code == 422 and client.get(TWO_FACTOR, headers=api_headers).json["enabled"] is True
    off = client.post(
        f"{TWO_FACTOR}/disable",
        headers=api_headers,
        json={"password": PASSWORD, "recovery_code": new.json["recovery_codes"][0]},
    )
    assert off.status_code == 204
    assert client.get(TWO_FACTOR, headers=api_headers).json["enabled"] is False
    assert password_step(client, user).status_code == 200
    logged = " ".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert secret not in logged and all(code not in logged for code in new.json["recovery_codes"])


def test_a_user_who_lost_the_device_signs_in_with_a_recovery_code_and_enrols_again(client, enrolled):
    user, _, codes = enrolled
    pair = client.post(
        "/api/v1/auth/mfa", json={"mfa_token": password_step(client, user).json["mfa_token"], "recovery_code": codes[5]}
    ).json
    headers = bearer(pair["access_token"])
    off = client.post(f"{TWO_FACTOR}/disable", headers=headers, json={"password": PASSWORD, "recovery_code": codes[6]})
    assert off.status_code == 204
    secret = client.post(TWO_FACTOR, headers=headers).json["secret"]
    assert client.post(f"{TWO_FACTOR}/confirm", headers=headers, json={"code": totp_code(secret)}).status_code == 200
    assert password_step(client, user).json["mfa_required"] is True


def test_enrolment_needs_a_token(client):
    assert client.get(TWO_FACTOR).status_code == 401
    assert client.post(TWO_FACTOR).status_code == 401
    assert client.post(f"{TWO_FACTOR}/disable", json={"password": PASSWORD, "code": "123456"}).status_code == 401


def test_the_spec_documents_the_mfa_401_and_the_second_step(client):
    spec = client.get("/api/openapi.json").json
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]["401"]
    schema_ref = login["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert {"mfa_required", "mfa_token"} <= set(schema["properties"])
    assert "mfa_required" in login["content"]["application/json"]["examples"]
    mfa_step = spec["paths"]["/api/v1/auth/mfa"]["post"]
    assert {"200", "401", "422", "429"} <= set(mfa_step["responses"])
    assert f"{TWO_FACTOR}/disable" in spec["paths"]
