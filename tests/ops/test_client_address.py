"""The client address: X-Forwarded-For is believed only from a trusted proxy (issue 16).

`request.remote_addr` is the per-address sign-in limit's key, the logs' client and the security
log's address. A header any client can write must not choose it.
"""

from __future__ import annotations

import pytest
from flask import request

from expense_app.ops.security_headers import TrustedProxies
from tests.conftest import PASSWORD

UNTRUSTED_PEER = "198.51.100.7"
PROXY = "10.0.0.2"


def seen_by(app):
    """Add a route that reports what the app believes about the client."""
    seen = {}

    @app.get("/_test/remote")
    def remote():
        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return ""

    return seen


def get(app, peer, **headers):
    app.test_client().get("/_test/remote", headers=headers, environ_base={"REMOTE_ADDR": peer})


def test_by_default_the_tcp_peer_is_the_client_whatever_it_sends(build_app):
    app = build_app()
    seen = seen_by(app)
    get(app, UNTRUSTED_PEER, **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": UNTRUSTED_PEER, "secure": False}


def test_a_trusted_proxy_names_the_client(build_app):
    app = build_app(TRUSTED_PROXIES=["10.0.0.0/24"])
    seen = seen_by(app)
    get(app, PROXY, **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "secure": True}


def test_an_untrusted_peer_is_not_believed_even_with_trusted_proxies_set(build_app):
    app = build_app(TRUSTED_PROXIES=["10.0.0.0/24"])
    seen = seen_by(app)
    get(app, UNTRUSTED_PEER, **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": UNTRUSTED_PEER, "secure": False}


def test_addresses_the_client_wrote_left_of_the_proxies_are_ignored(build_app):
    # The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the address it saw, then a second
    # trusted proxy appended nginx's: the client is the right-most address that is not a proxy.
    app = build_app(TRUSTED_PROXIES=["10.0.0.0/24", "10.1.0.0/16"])
    seen = seen_by(app)
    get(app, PROXY, **{"X-Forwarded-For": "1.2.3.4, 203.0.113.9, 10.1.2.3"})
    assert seen["addr"] == "203.0.113.9"


def test_a_chain_of_only_proxies_names_the_left_most(build_app):
    app = build_app(TRUSTED_PROXIES=["10.0.0.0/8"])
    seen = seen_by(app)
    get(app, PROXY, **{"X-Forwarded-For": "10.9.9.9, 10.1.1.1"})
    assert seen["addr"] == "10.9.9.9"


@pytest.mark.parametrize("forwarded", ["not-an-address", "203.0.113.9, garbage", ""])
def test_a_garbled_header_from_a_proxy_leaves_the_last_good_hop(forwarded):
    middleware = TrustedProxies(lambda environ, start: environ["REMOTE_ADDR"], ["10.0.0.0/24"])
    environ = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded, "wsgi.url_scheme": "http"}
    assert middleware(environ, None) == PROXY
    assert environ["werkzeug.proxy_fix.orig"]["REMOTE_ADDR"] == PROXY


def test_ipv6_proxies_and_clients(build_app):
    app = build_app(TRUSTED_PROXIES=["fd00::/8"])
    seen = seen_by(app)
    get(app, "fd00::2", **{"X-Forwarded-For": "2001:db8::1"})
    assert seen["addr"] == "2001:db8::1"


def test_proxy_hops_still_means_a_guaranteed_proxy(build_app):
    app = build_app(PROXY_HOPS=1)
    seen = seen_by(app)
    get(app, UNTRUSTED_PEER, **{"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "203.0.113.9", "secure": True}


def _rotate_logins(app, peer, count):
    """`count` wrong passwords, each from a different X-Forwarded-For address."""
    client = app.test_client()
    statuses = []
    for number in range(count):
        response = client.post(
            "/api/v1/auth/login",
            json={"email": f"nobody{number}@example.com", "password": "wrong password here"},
            headers={"X-Forwarded-For": f"203.0.113.{number + 1}"},
            environ_base={"REMOTE_ADDR": peer},
        )
        statuses.append(response.status_code)
    return statuses


def test_rotating_x_forwarded_for_from_an_untrusted_address_does_not_reset_the_sign_in_limit(user, build_app):
    # `user` first: flask-limiter is one object, switched on by the last app built.
    app = build_app(RATELIMIT_ENABLED=True, RATELIMIT_AUTH="3/minute", TRUSTED_PROXIES=["10.0.0.0/24"])
    assert _rotate_logins(app, UNTRUSTED_PEER, 5) == [401, 401, 401, 429, 429]
    # The real owner at that address is limited too (the address's budget is spent) ...
    refused = app.test_client().post(
        "/api/v1/auth/login",
        json={"email": "alex@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": UNTRUSTED_PEER},
    )
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    # ... but someone at another address is not.
    other = app.test_client().post(
        "/api/v1/auth/login",
        json={"email": "alex@example.com", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "198.51.100.8"},
    )
    assert other.status_code == 200


def test_behind_a_trusted_proxy_each_forwarded_address_is_its_own_client(user, build_app):
    app = build_app(RATELIMIT_ENABLED=True, RATELIMIT_AUTH="3/minute", TRUSTED_PROXIES=["10.0.0.0/24"])
    assert _rotate_logins(app, PROXY, 5) == [401] * 5
    # The proxy's own budget was never spent: every request was counted against its client.
    same_client = [
        app.test_client()
        .post(
            "/api/v1/auth/login",
            json={"email": "alex@example.com", "password": "wrong password here"},
            headers={"X-Forwarded-For": "203.0.113.200"},
            environ_base={"REMOTE_ADDR": PROXY},
        )
        .status_code
        for _ in range(4)
    ]
    assert same_client == [401, 401, 401, 429]


def test_the_security_log_records_the_believed_address(user, build_app):
    from expense_app.extensions import db
    from expense_app.models import SecurityEvent

    app = build_app(TRUSTED_PROXIES=["10.0.0.0/24"])
    client = app.test_client()
    for peer, forwarded in ((PROXY, "203.0.113.9"), (UNTRUSTED_PEER, "203.0.113.10")):
        client.post(
            "/api/v1/auth/login",
            json={"email": "alex@example.com", "password": "wrong password here"},
            headers={"X-Forwarded-For": forwarded},
            environ_base={"REMOTE_ADDR": peer},
        )
    with app.app_context():
        addresses = [event.client_address for event in db.session.query(SecurityEvent).order_by(SecurityEvent.id)]
    assert addresses == ["203.0.113.9", UNTRUSTED_PEER]
