"""Security headers, HTTPS, proxies and CORS: everything a browser or proxy is told about trust.

- flask-talisman sets a strict Content-Security-Policy (no inline script anywhere: the docs pages
  load their start-up code from static files), `X-Content-Type-Options: nosniff`,
  `X-Frame-Options: DENY`, and `Referrer-Policy: strict-origin-when-cross-origin` (not
  `no-referrer`: Flask-WTF's HTTPS CSRF check needs a same-origin Referer).
- With `FORCE_HTTPS` (production) plain-HTTP requests are redirected to HTTPS and responses carry
  HSTS; `/health`, `/health/db` and `/metrics` answer over HTTP too, because load balancers,
  Docker and Prometheus probe them on the private network.
- The client address (`request.remote_addr`: the rate-limit key, the logs, the security log) and
  `request.is_secure` come from `X-Forwarded-For`/`-Proto` only when a proxy is known to be in
  front (issue 16: any client can write those headers, so believing them from anyone lets a script
  rotate them for unlimited sign-in guesses). Two ways to say so, never both:
  `PROXY_HOPS=n` (ProxyFix: exactly n proxies always in front, the Heroku router, Render) or
  `TRUSTED_PROXIES` (`TrustedProxies`: the headers are believed only on a connection from one of
  those addresses, and the client is the right-most forwarded address not in the list). Neither
  (the default): the TCP peer is the client, whatever it sends.
- CORS only for `/api/*`, only for the `ALLOWED_ORIGINS`, never with credentials (the API takes
  bearer tokens, not cookies).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from flask import Flask, request
from flask_talisman import Talisman
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from expense_app.extensions import cors
from expense_app.responses import error_response, wants_json

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    # Bootstrap, Swagger UI and ReDoc set inline styles; a nonce here would disable 'unsafe-inline'.
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    # ReDoc runs its search index in a Worker built from a blob: URL.
    "worker-src": ["'self'", "blob:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
PERMISSIONS_POLICY = {"camera": "()", "microphone": "()", "geolocation": "()", "browsing-topics": "()"}
HTTPS_EXEMPT_ENDPOINTS = frozenset({"health.health", "health.health_db", "prometheus_metrics"})
HSTS_MAX_AGE = 365 * 24 * 3600
CORS_EXPOSED_HEADERS = ["X-Request-ID", "Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"]


class TrustedProxies:
    """WSGI middleware: believe `X-Forwarded-For`/`-Proto` only from the `TRUSTED_PROXIES`.

    On a connection from a listed address, `REMOTE_ADDR` becomes the right-most forwarded address
    that is not itself a listed proxy: every proxy appends the address it got the request from,
    so entries left of the first untrusted one were written by the client and prove nothing. An
    entry that is not an IP address stops the walk (the last trusted hop is kept): only a broken
    proxy writes one. The original values stay in `werkzeug.proxy_fix.orig` as ProxyFix keeps them.
    """

    def __init__(self, app, proxies: Iterable[str]):
        self.app = app
        self.networks = [ipaddress.ip_network(proxy, strict=False) for proxy in proxies]

    def trusted(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client_address(self, peer: str, forwarded: str) -> str:
        client = peer
        for entry in reversed([part.strip() for part in forwarded.split(",")]):
            try:
                ipaddress.ip_address(entry)
            except ValueError:
                break
            client = entry
            if not self.trusted(entry):
                break
        return client

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR")
        environ["werkzeug.proxy_fix.orig"] = {
            "REMOTE_ADDR": peer,
            "wsgi.url_scheme": environ.get("wsgi.url_scheme"),
        }
        if self.trusted(peer):
            forwarded = environ.get("HTTP_X_FORWARDED_FOR")
            if forwarded:
                environ["REMOTE_ADDR"] = self.client_address(peer, forwarded)
            # The scheme the nearest proxy was reached with: the right-most value (it appends too).
            proto = (environ.get("HTTP_X_FORWARDED_PROTO") or "").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
        return self.app(environ, start_response)


def install_proxy_rule(app: Flask) -> None:
    """Wrap the WSGI app so `request.remote_addr` is the client's (see the module docstring)."""
    proxies = app.config.get("TRUSTED_PROXIES") or []
    hops = app.config.get("PROXY_HOPS", 0)
    if proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, proxies)
    elif hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


class AppTalisman(Talisman):
    """Talisman whose HTTPS redirect skips the infrastructure probes (health and metrics)."""

    def _force_https(self):
        if request.endpoint in HTTPS_EXEMPT_ENDPOINTS:
            return None
        return super()._force_https()


def untrusted_host(error: SecurityError):
    """400 for a Host outside ALLOWED_HOSTS, without the HTML layout (it needs URLs of that host)."""
    if wants_json():
        return error_response(400, "The Host header is not one this server answers to.")
    return "Bad Request: unknown host\n", 400, {"Content-Type": "text/plain; charset=utf-8"}


def register_security_headers(app: Flask) -> None:
    """Install the proxy rule, Talisman (one instance per app), CORS for /api/* and the bad-host page."""
    app.register_error_handler(SecurityError, untrusted_host)
    install_proxy_rule(app)

    force_https = bool(app.config.get("FORCE_HTTPS", False))
    app.extensions["talisman"] = AppTalisman(
        app,
        force_https=force_https,
        force_https_permanent=True,
        strict_transport_security=force_https,
        strict_transport_security_max_age=HSTS_MAX_AGE,
        content_security_policy=CONTENT_SECURITY_POLICY,
        permissions_policy=PERMISSIONS_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=bool(app.config.get("SESSION_COOKIE_SECURE", False)),
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
    )

    origins = app.config.get("ALLOWED_ORIGINS") or []
    if origins:
        cors.init_app(
            app,
            resources={r"/api/*": {"origins": origins}},
            supports_credentials=False,
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
