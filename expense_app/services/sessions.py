"""The security page's view of a user's sign-ins: live browser sessions and API token families,
each with a readable client, and ending one, or all but this browser.

Ending everything at once is `sign_ins.end_everything`'s job (password change and reset); this
module ends single sign-ins chosen on the page. Every function is scoped to the user: another
user's session or family is `NotFound`, as if it did not exist.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from expense_app.errors import NotFound
from expense_app.extensions import db
from expense_app.models import TokenFamily, User, WebSession
from expense_app.models.base import utcnow
from expense_app.services import security_log, sign_ins
from expense_app.services.unit_of_work import transaction

SESSION_GONE = "That sign-in does not exist or has already ended."

# (pattern, name), first match wins: Edge and Opera say "Chrome" too, Chrome says "Safari".
_BROWSERS = (
    (r"Edg(?:e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Version/[\d.]+.*Safari/", "Safari"),
    (r"^curl/", "curl"),
    (r"python-requests|python-httpx|aiohttp|urllib", "Python script"),
)
_SYSTEMS = (
    (r"Windows", "Windows"),
    (r"iPhone|iPad|iOS", "iOS"),
    (r"Android", "Android"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"CrOS", "ChromeOS"),
    (r"Linux", "Linux"),
)


def describe_client(user_agent: str | None) -> str:
    """A short name for a user agent: "Firefox on Linux", "curl", "Unknown client"."""
    if not user_agent:
        return "Unknown client"
    browser = next((name for pattern, name in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for pattern, name in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown client")


def live_token_families(user_id: int) -> list[TokenFamily]:
    """The user's API sign-ins whose refresh token still works, most recently used first."""
    return list(
        db.session.scalars(
            sa.select(TokenFamily)
            .where(TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None), TokenFamily.expires_at > utcnow())
            .order_by(sa.func.coalesce(TokenFamily.last_used_at, TokenFamily.created_at).desc(), TokenFamily.id.desc())
        )
    )


def end_session(*, user: User, session_id: int) -> None:
    """End one of `user`'s browser sessions; NotFound when it is not theirs or already ended."""
    if not sign_ins.end_web_session(user_id=user.id, session_id=session_id):
        raise NotFound(SESSION_GONE)
    security_log.record(user.id, "session_ended", what="browser", count=1)


def end_token_family(*, user: User, family_id: str) -> None:
    """Revoke one of `user`'s API sign-ins (its refresh token and the access tokens it issued)."""
    with transaction() as session:
        ended = session.execute(
            sa.update(TokenFamily)
            .where(TokenFamily.id == family_id, TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        ).rowcount
        if ended != 1:
            raise NotFound(SESSION_GONE)
        security_log.record(user.id, "session_ended", what="api", count=1)


def end_all_but(*, user: User, sid: str | None) -> int:
    """End every browser session of `user` but the one of `sid`, and every API sign-in.

    Personal access tokens stay: they are credentials the user made on purpose, listed and
    revoked on their own page. Returns how many sign-ins ended.
    """
    now = utcnow()
    with transaction() as session:
        keep = WebSession.sid_hash != sign_ins.digest(sid) if sid else sa.true()
        browsers = session.execute(
            sa.update(WebSession)
            .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None), keep)
            .values(ended_at=now)
        ).rowcount
        families = session.execute(
            sa.update(TokenFamily)
            .where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
        security_log.record(user.id, "session_ended", what="all others", count=browsers + families)
    return browsers + families
