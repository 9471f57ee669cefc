"""Fixtures of the security matrix: a victim who owns things, and a second user who tries to reach them.

Both are full users (`make_full_user`): each owns at least one row of every table, so every
id-taking route is tried while real rows of both users sit next to the object under attack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from expense_app.models import User
from tests.conftest import api_sign_in, bearer, web_sign_in
from tests.security.matrix import Attacker, food_of


@dataclass
class Actor:
    """A user with a logged-in browser session (`client`) and an API access token (`headers`)."""

    user: User
    client: object
    headers: dict
    attacker: Attacker


@pytest.fixture
def act_as(app) -> Callable[[User], Actor]:
    """`act_as(user)`: log `user` in on both faces."""

    def log_in(user: User) -> Actor:
        client = app.test_client()
        assert web_sign_in(client, user).status_code == 302  # full users have two-factor sign-in
        client.get("/settings")  # shows (and so consumes) the "You are logged in." flash
        login = api_sign_in(client, user)
        assert login.status_code == 200
        with app.app_context():
            attacker = Attacker(category_id=food_of(user))
        return Actor(user, client, bearer(login.json["access_token"]), attacker)

    return log_in


@pytest.fixture
def victim(make_full_user) -> User:
    return make_full_user("victim@example.com").user


@pytest.fixture
def intruder(make_full_user, act_as) -> Actor:
    return act_as(make_full_user("intruder@example.com").user)
