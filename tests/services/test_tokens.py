"""Token families: rotation is single-use and revocation is total, tested without HTTP."""

import pytest
from flask_jwt_extended import decode_token

from expense_app.errors import AuthError
from expense_app.models.base import utcnow
from expense_app.services import accounts, tokens
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def account():
    return accounts.register_user(email="a@example.com", password=PASSWORD)


def _family(token: str) -> str:
    return decode_token(token, allow_expired=True)["fam"]


def test_login_starts_an_active_family(account):
    pair = accounts.login_for_tokens(email="a@example.com", password=PASSWORD)
    assert _family(pair["access_token"]) == _family(pair["refresh_token"])
    assert tokens.family_is_active(_family(pair["access_token"]))


def test_rotation_accepts_each_refresh_token_once(account):
    pair = accounts.login_for_tokens(email="a@example.com", password=PASSWORD)
    payload = decode_token(pair["refresh_token"])
    tokens.rotate(user=account, refresh_payload=payload)
    with pytest.raises(AuthError):
        tokens.rotate(user=account, refresh_payload=payload)
    assert not tokens.family_is_active(payload["fam"])


def test_refresh_token_of_another_user_is_refused(account):
    other = accounts.register_user(email="b@example.com", password=PASSWORD)
    payload = decode_token(accounts.login_for_tokens(email="a@example.com", password=PASSWORD)["refresh_token"])
    with pytest.raises(AuthError):
        tokens.rotate(user=other, refresh_payload=payload)


def test_unknown_or_missing_family_is_inactive():
    assert not tokens.family_is_active(None)
    assert not tokens.family_is_active("00000000-0000-0000-0000-000000000000")
    assert not tokens.family_is_active(42)


def test_purge_deletes_only_expired_families(app, account):
    pair = accounts.login_for_tokens(email="a@example.com", password=PASSWORD)
    assert tokens.purge_expired() == 0
    later = utcnow() + app.config["JWT_REFRESH_TOKEN_EXPIRES"] * 2
    assert tokens.purge_expired(now=later) == 1
    assert not tokens.family_is_active(_family(pair["access_token"]))
