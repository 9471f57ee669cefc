"""The API's two rate-limit budgets, and the `Retry-After` rule.

- **Sign-in budget** (`RATELIMIT_AUTH`, 5 per minute by default): log-in, registration and token
  refresh share one budget per client address across both faces: five attempts on the login page
  leave none for the API, and the other way round. Every POST counts, successful or not, so guessing
  and account farming cost the same. The key is the client address after ProxyFix (see
  `expense_app.ops.security_headers`).
- **API budget** (`RATELIMIT_API`, 600 per minute by default): every other operation under /api/v1,
  all endpoints together, per user (the verified bearer token's subject; the client address when
  there is no valid token) or per personal access token (`token:<SHA-256 prefix>`, no database
  query: an unknown token is refused by the guard anyway, and it only spends its own budget). Normal calls never eat the sign-in budget, and sign-in attempts never
  eat the API budget. It replaces `RATELIMIT_DEFAULT` on the API's blueprints; the default still
  guards the rest of /api (the OpenAPI document, the docs pages).

`Retry-After` (`fix_retry_after`): flask-limiter writes it on every response of a limited route,
200s included, truncated to whole seconds (`0` while the window still has a fraction of a second
to run, which made a client retry in a hot loop). It is sent only on 429 (seconds until the window
resets, rounded up, at least 1) and 503. An error handler's own value (`keep_retry_after`: the
database-down handler's 5 s, a locked account's remaining window) is kept: the limiter writes its
window (32-60 s) over it on limited routes, so a client told to wait a minute after a database
blip waited far longer than needed, and one locked for 15 minutes was told a minute.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, current_app, g, request
from flask_jwt_extended import decode_token
from flask_limiter.util import get_remote_address

from expense_app.extensions import limiter

AUTH_SCOPE = "login"
API_SCOPE = "api"
RETRY_AFTER_STATUSES = (429, 503)
# `expense_app.services.access_tokens.PREFIX`; repeated so that counting a request needs no service.
ACCESS_TOKEN_PREFIX = "em_pat_"  # noqa: S105 (a prefix, not a credential)
TOKEN_KEY_HEX_DIGITS = 16
_KEPT_RETRY_AFTER = "kept_retry_after"


def _auth_limit_value() -> str:
    return current_app.config["RATELIMIT_AUTH"]


def _api_limit_value() -> str:
    return current_app.config["RATELIMIT_API"]


def api_client_key() -> str:
    """Who an API call is counted against: the bearer token's user, else the client address.

    The token's signature and expiry are checked (no database query); a forged or expired token
    counts against the address, so it cannot spend another user's budget.
    """
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        credential = header[7:].strip()
        if credential.startswith(ACCESS_TOKEN_PREFIX):
            # The token itself is never a key (keys reach Redis and its logs): a prefix of its hash.
            return "token:" + hashlib.sha256(credential.encode()).hexdigest()[:TOKEN_KEY_HEX_DIGITS]
        try:
            subject = decode_token(credential).get("sub")
        except Exception:  # any bad token: count by address
            subject = None
        if isinstance(subject, str) and subject:
            return f"user:{subject}"
    return f"addr:{get_remote_address()}"


auth_limit = limiter.shared_limit(
    _auth_limit_value,
    scope=AUTH_SCOPE,
    methods=["POST"],
    error_message="Too many attempts to log in, register or refresh; wait a minute and try again.",
)

# Applied to each API blueprint (`limit_api_blueprint`). Routes with a limit of their own (the
# sign-in endpoints' `auth_limit`) are not counted here: flask-limiter applies a blueprint's limits
# only to routes without an overriding one.
api_limit = limiter.shared_limit(
    _api_limit_value,
    scope=API_SCOPE,
    key_func=api_client_key,
    error_message="Too many API requests; wait for the number of seconds in Retry-After.",
)


def limit_api_blueprint(blueprint) -> None:
    """Put a blueprint's operations under the API budget (idempotent: a limit is registered once)."""
    api_limit(blueprint)


def seconds_until_reset(response: Response) -> int:
    """Whole seconds until the breached window resets, rounded up, at least 1."""
    breached = limiter.current_limit
    try:
        reset_at = breached.window[0] if breached is not None else None
    except Exception:  # storage unreachable: fall back to what the limiter wrote
        reset_at = None
    if reset_at is None:
        current = response.headers.get("Retry-After", "")
        return max(1, int(current)) if current.isdigit() else 1
    return max(1, math.ceil(reset_at - time.time()))


def fix_retry_after(response: Response) -> Response:
    """`Retry-After` on 429 (never below 1 second) and 503 (the handler's value); see the module docstring."""
    if response.status_code not in RETRY_AFTER_STATUSES:
        response.headers.pop("Retry-After", None)
        return response
    kept = g.get(_KEPT_RETRY_AFTER)
    if kept:
        # A handler's own answer: a locked account's window, a database outage's 5 s.
        response.headers["Retry-After"] = kept
    elif response.status_code == 429:
        response.headers["Retry-After"] = str(seconds_until_reset(response))
    return response


def keep_retry_after(seconds: int) -> dict[str, str]:
    """Remember a handler's `Retry-After` for this request (a 503's, a locked account's 429) and
    return it as headers.

    flask-limiter's after-request hook overwrites the header with its own window; `fix_retry_after`
    puts this value back.
    """
    value = str(max(1, int(seconds)))
    g.setdefault(_KEPT_RETRY_AFTER, value)
    return {"Retry-After": value}


def error_headers(error) -> dict[str, str]:
    """The headers to answer a refused request with: a service error's own, with its Retry-After
    kept over the limiter's (see `keep_retry_after`). For views that render the error themselves."""
    headers = dict(getattr(error, "headers", None) or {})
    if headers.get("Retry-After", "").isdigit():
        headers.update(keep_retry_after(int(headers["Retry-After"])))
    return headers


def install(app: Flask) -> None:
    """Run `fix_retry_after` after every other after-request hook, flask-limiter's included.

    Flask runs app-level after-request functions in reverse order of registration and the limiter
    registered its own at `init_app`, so this one goes first in the list, to run last.
    """
    app.after_request_funcs.setdefault(None, []).insert(0, fix_retry_after)
