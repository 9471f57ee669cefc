"""Signing a browser in and out: the server-side session row, the flask-login cookie, the log.

Every page that signs someone in (login, the second step of two-factor, registration, the password
change that keeps this browser signed in, a password reset) calls `sign_in_browser`; logout calls
`sign_out_browser`. See `expense_app.services.sign_ins` for why the session lives on the server.
"""

from __future__ import annotations

import time

from flask import session
from flask_login import current_user, login_user, logout_user

from expense_app.models import User
from expense_app.services import security_log, sign_ins

# When this browser last proved who it is (password or second factor), for actions that need a
# fresh login (creating an access token): seconds since the epoch, in the signed session cookie.
VERIFIED_AT = "verified_at"


def sign_in_browser(user: User, *, remember: bool = False, log: bool = True, **detail) -> None:
    """Start a browser session for `user` and sign this browser in with it."""
    user.web_sid = sign_ins.start_web_session(user=user, remember=remember)
    login_user(user, remember=remember)
    session[VERIFIED_AT] = int(time.time())
    if log:
        security_log.record(user.id, "sign_in", face="web", **detail)


def mark_verified() -> None:
    """Record that this browser just proved who it is again (a re-entered password)."""
    session[VERIFIED_AT] = int(time.time())


def verified_within(seconds: int) -> bool:
    """True when this browser proved who it is less than `seconds` ago."""
    at = session.get(VERIFIED_AT)
    return isinstance(at, int) and 0 <= time.time() - at < seconds


def sign_out_browser() -> None:
    """End this browser's session on the server, then drop the cookies."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        if user.web_sid:
            sign_ins.end_web_session(user_id=user.id, sid=user.web_sid)
        security_log.record(user.id, "sign_out", face="web")
    logout_user()
    session.pop(VERIFIED_AT, None)
