"""The security page (`/settings/security`): the account's sign-ins, ending them, and its log.

Lists the live browser sessions (this browser marked) and API sign-ins (token families); each can
be ended, and "sign out everywhere else" ends all of them but this browser. Below, the newest
security events. Ids of sign-ins that are not the user's answer 404, as if they did not exist.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from babel.dates import format_datetime
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from expense_app.errors import NotFound
from expense_app.services import security_log, sessions, sign_ins
from expense_app.web.filters import current_locale
from expense_app.web.forms.security_settings import EndOthersForm, EndSignInForm

# The POST routes read no field: CSRFProtect has already refused a form without its valid token.
bp = Blueprint("security_settings", __name__, url_prefix="/settings/security")

# How each kind of event reads in the log.
EVENT_WORDS = {
    "sign_in": "Signed in",
    "sign_in_failed": "Failed sign-in",
    "sign_in_locked": "Sign-in refused: too many failed attempts",
    "sign_out": "Signed out",
    "mfa_enabled": "Two-factor sign-in turned on",
    "mfa_disabled": "Two-factor sign-in turned off",
    "mfa_failed": "Wrong two-factor code",
    "recovery_code_used": "Recovery code used",
    "recovery_codes_regenerated": "New recovery codes made",
    "token_created": "Access token created",
    "token_revoked": "Access token revoked",
    "password_changed": "Password changed",
    "password_reset_requested": "Password reset link requested",
    "password_reset": "Password reset",
    "session_ended": "Sign-in ended",
}
LOG_LENGTH = 100


def when(value: datetime | None) -> str:
    """A moment the user's locale's way, in UTC (accounts have no time zone): `Mar 15, 2024, 2:05 PM UTC`."""
    if value is None:
        return "never"
    return format_datetime(value, "medium", tzinfo=None, locale=current_locale()) + " UTC"


def _this_sid_hash() -> str | None:
    sid = getattr(current_user, "web_sid", None)
    return sign_ins.digest(sid) if sid else None


def _describe(event) -> str:
    words = EVENT_WORDS.get(event.kind, event.kind.replace("_", " ").capitalize())
    face = (event.detail or {}).get("face")
    return f"{words} ({'API' if face == 'api' else 'web'})" if face in ("api", "web") else words


@bp.get("")
@login_required
def index():
    this = _this_sid_hash()
    browsers = [
        {"row": row, "client": sessions.describe_client(row.user_agent), "this": row.sid_hash == this}
        for row in sign_ins.active_web_sessions(current_user.id)
    ]
    api_sign_ins = [
        {"row": row, "client": sessions.describe_client(row.user_agent)}
        for row in sessions.live_token_families(current_user.id)
    ]
    events = [
        {"row": row, "words": _describe(row), "client": sessions.describe_client(row.user_agent)}
        for row in security_log.recent_events(current_user.id, limit=LOG_LENGTH)
    ]
    return render_template(
        "settings/security.html",
        browsers=browsers,
        api_sign_ins=api_sign_ins,
        events=events,
        end_form=EndSignInForm(),
        others_form=EndOthersForm(),
        log_length=LOG_LENGTH,
        when=when,
    )


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    ends_this_browser = any(
        row.id == session_id and row.sid_hash == _this_sid_hash()
        for row in sign_ins.active_web_sessions(current_user.id)
    )
    try:
        sessions.end_session(user=current_user, session_id=session_id)
    except NotFound:
        abort(404)
    if ends_this_browser:
        logout_user()
        flash("This browser was signed out.", "info")
        return redirect(url_for("auth.login"))
    flash("That browser was signed out.", "success")
    return redirect(url_for("security_settings.index"))


@bp.post("/api-sign-ins/<family_id>/end")
@login_required
def end_api_sign_in(family_id: str):
    try:
        family = str(UUID(family_id))
    except ValueError:
        abort(404)
    try:
        sessions.end_token_family(user=current_user, family_id=family)
    except NotFound:
        abort(404)
    flash("That API sign-in was ended: its tokens no longer work.", "success")
    return redirect(url_for("security_settings.index"))


@bp.post("/sign-out-others")
@login_required
def sign_out_others():
    count = sessions.end_all_but(user=current_user, sid=getattr(current_user, "web_sid", None))
    flash(
        f"Signed out everywhere else ({count} sign-in{'' if count == 1 else 's'} ended). This browser stays signed in.",
        "success",
    )
    return redirect(url_for("security_settings.index"))
