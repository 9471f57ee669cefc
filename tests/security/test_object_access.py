"""Object-level access: on every id-taking route of both faces, another user's object is a 404.

Generated from the URL map (see `matrix.ROUTES`): for each route and method, the victim gets a
fresh object, the intruder asks for it (with a body that would change it, for writes), and the
answer must be the same 404 as for an id that does not exist, with the object unchanged. The
control test sends the same request as the owner and must not get a 404, so the 404 is about
ownership and not about a broken request.
"""

from __future__ import annotations

import re

import pytest

from tests.security.matrix import KINDS, Route, object_endpoint, routes

MISSING_ID = 987_654_321
CSRF_VALUE = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')
ID_ROUTES = routes(lambda r: bool(r.id_arguments))


def _attack_kwargs(route: Route, actor) -> dict:
    attack = object_endpoint(route).attack.get(route.method)
    if attack is None and route.method in ("POST", "PUT", "PATCH"):
        pytest.fail(
            f"{route}: declare the body a second user sends (OBJECT_ENDPOINTS[{route.endpoint!r}].attack"
            f"[{route.method!r}] in tests/security/matrix.py), one that would change the object if it were theirs.",
            pytrace=False,
        )
    return attack(actor.attacker) if attack else {}


def _send(actor, route: Route, object_id: int):
    url = object_endpoint(route).url(route, object_id)
    headers = actor.headers if route.is_api else {}
    return actor.client.open(url, method=route.method, headers=headers, **_attack_kwargs(route, actor))


def _without_tokens(html: str) -> str:
    # CSRF tokens carry a timestamp, so two renderings of the same page differ there only.
    return CSRF_VALUE.sub(r'\1"', html)


def _victims_object(app, route: Route, victim) -> tuple[int, dict]:
    kind = KINDS[object_endpoint(route).kind]
    with app.app_context():
        object_id = kind.create(victim)
        before = kind.read(object_id)
    assert before is not None
    return object_id, before


@pytest.mark.parametrize("route", ID_ROUTES)
def test_another_users_object_is_404_and_unchanged(app, route, victim, intruder):
    kind_name = object_endpoint(route).kind
    object_id, before = _victims_object(app, route, victim)

    response = _send(intruder, route, object_id)
    missing = _send(intruder, route, MISSING_ID)

    assert response.status_code == 404, f"{route} gave {response.status_code} for another user's {kind_name}"
    assert missing.status_code == 404
    if route.is_api:
        assert response.is_json
        assert response.json["code"] == 404
        # Identical to an id that does not exist: existence must not leak.
        assert response.json == missing.json
    else:
        assert "text/html" in response.content_type
        assert _without_tokens(response.text) == _without_tokens(missing.text)
    with app.app_context():
        assert KINDS[kind_name].read(object_id) == before, f"{route} changed another user's {kind_name}"


@pytest.mark.parametrize("route", ID_ROUTES)
def test_the_owner_gets_through_with_the_same_request(app, route, victim, act_as):
    object_id, _ = _victims_object(app, route, victim)
    response = _send(act_as(victim), route, object_id)
    assert response.status_code < 400, f"{route} refused the owner with {response.status_code}"
