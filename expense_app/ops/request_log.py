"""Request ids and the access log: one line per request, tagged with the request's id.

The id is the incoming `X-Request-ID` when it looks like one (Heroku's router and most proxies
send 20-200 characters of `[A-Za-z0-9+/=-]`), otherwise a new uuid4; it is echoed in the
response's `X-Request-ID` header and stamped on every log line of the request (see
`expense_app.ops.logging.RequestIdFilter`). The access line logs the path without its query
string, never headers or bodies; the formatters escape every value, so a newline in a path
(`/x%0a...`) cannot forge a line (`expense_app.ops.logging`).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import sqlalchemy as sa
from flask import Flask, Response, g, request, session
from flask_jwt_extended import get_jwt
from werkzeug.local import LocalProxy

from expense_app.api.authentication import token_user

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9+/=-]{20,200}")

access_logger = logging.getLogger("expense_app.access")


def incoming_request_id() -> str:
    """The client's or proxy's request id when valid, else a new random one."""
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    return candidate if VALID_REQUEST_ID.fullmatch(candidate) else uuid.uuid4().hex


def current_user_id() -> int | str | None:
    """The id of the user this request acted for, if one was identified, without a new query.

    A bearer token's subject when a JWT was verified; else the user a personal access token
    authenticated (`expense_app.api.authentication`); otherwise the flask-login user that the
    request already loaded (flask-login caches it in `g._login_user`; reading
    `current_user` here would load it from the database for every request).
    """
    try:
        subject = get_jwt().get("sub")
    except RuntimeError:  # no token was verified during this request
        subject = None
    if subject is not None:
        return subject
    api_user = token_user._get_current_object()
    if api_user is not None:
        # The identity map's key, not `api_user.id`: an account deleted by this request cannot
        # load its attributes again.
        return sa.inspect(api_user).identity[0]
    session_user = g.get("_login_user")
    if isinstance(session_user, LocalProxy):
        # `login_user(current_user)` stores the proxy itself, which then points at itself;
        # the id login_user wrote into the session ("<id>.<version>") is the same user.
        return session.get("_user_id", "").partition(".")[0] or None
    if session_user is not None and getattr(session_user, "is_authenticated", False):
        return session_user.id
    return None


def _start_request() -> None:
    g.request_id = incoming_request_id()
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    # A before_request hook that answered early (e.g. the HTTPS redirect) may have skipped ours.
    if "request_id" not in g:
        _start_request()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    duration_ms = round((time.perf_counter() - g.request_started) * 1000, 1)
    access_logger.info(
        "%s %s %s",
        request.method,
        request.path,
        response.status_code,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "user_id": current_user_id(),
            "remote_addr": request.remote_addr,
        },
    )
    return response


def register_request_logging(app: Flask) -> None:
    """Install the hooks; registered first, so the id exists before any other hook logs."""
    app.before_request(_start_request)
    app.after_request(_finish_request)
