"""Sign-ins held on the server: browser sessions, and ending every sign-in of a user at once.

A browser sign-in is a `WebSession` row. Its random id (`sid`) is part of the flask-login user id
(`"<user id>.<session version>.<sid>"`), which flask-login keeps in the signed session cookie and
in the remember-me cookie; only the SHA-256 of the sid is stored. Every request with either cookie
looks the row up (`session_user`, one query with the user), so ending the row ends both cookies at
once, even a copy taken before logout (issue 16). API sign-ins are token families
(`expense_app.services.tokens`) and personal access tokens (`access_tokens`).

`end_everything` is the one place that ends all of a user's sign-ins: password change, password
reset, and the "sign out everywhere" button call it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import PersonalAccessToken, TokenFamily, User, WebSession
from expense_app.models.base import utcnow
from expense_app.services.security_log import client_details
from expense_app.services.unit_of_work import transaction

# `last_seen_at` is written at most this often per session, so browsing is not a write per page.
LAST_SEEN_RESOLUTION = timedelta(minutes=5)


def digest(secret: str) -> str:
    """The hex SHA-256 under which a random secret (sid, token, challenge) is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start_web_session(*, user: User, remember: bool = False) -> str:
    """Record a new browser sign-in for `user` and return its sid (to put in the cookie)."""
    sid = secrets.token_urlsafe(32)
    address, agent = client_details()
    with transaction() as session:
        session.add(
            WebSession(
                user_id=user.id, sid_hash=digest(sid), remember=remember, client_address=address, user_agent=agent
            )
        )
    return sid


def session_user(user_id: int, sid: str) -> tuple[User, WebSession] | None:
    """The user and session for a live sid of `user_id`, with one query; None when ended or unknown."""
    row = db.session.execute(
        sa.select(User, WebSession)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.sid_hash == digest(sid), User.id == user_id, WebSession.ended_at.is_(None))
    ).first()
    if row is None:
        return None
    user, web_session = row
    now = utcnow()
    if now - web_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        with transaction():
            web_session.last_seen_at = now
    return user, web_session


def end_web_session(*, user_id: int, sid: str | None = None, session_id: int | None = None) -> bool:
    """End one browser session of `user_id`, named by its sid or its row id; True when one ended."""
    condition = WebSession.sid_hash == digest(sid) if sid is not None else WebSession.id == session_id
    with transaction() as session:
        ended = session.execute(
            sa.update(WebSession)
            .where(condition, WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        ).rowcount
    return ended == 1


def end_everything(*, user: User) -> None:
    """End every sign-in of `user`: browser sessions, token families and personal access tokens.

    Bumps the session version too (it is part of every session id). Runs inside the caller's unit
    of work when there is one. A page that should stay signed in (the password change form) signs
    its browser in again afterwards, with a new session.
    """
    now = utcnow()
    with transaction() as session:
        session.execute(
            sa.update(WebSession)
            .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
            .values(ended_at=now)
        )
        session.execute(
            sa.update(TokenFamily)
            .where(TokenFamily.user_id == user.id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        session.execute(
            sa.update(PersonalAccessToken)
            .where(PersonalAccessToken.user_id == user.id, PersonalAccessToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        user.session_version += 1


def active_web_sessions(user_id: int) -> list[WebSession]:
    """The user's live browser sessions, most recently seen first."""
    return list(
        db.session.scalars(
            sa.select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .order_by(WebSession.last_seen_at.desc(), WebSession.id.desc())
        )
    )
