"""The account's security log: one row per security event, also written to the JSON logs.

Every event names the user, its kind (`models.security.SECURITY_EVENT_KINDS`), the client address
and user agent of the request (when there is one) and non-secret details. Nothing secret is ever
passed here: no password, code, token or secret, only names, counts and the face ("web"/"api").
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import has_request_context, request

from expense_app.extensions import db
from expense_app.models import SECURITY_EVENT_KINDS, SecurityEvent
from expense_app.models.security import CLIENT_ADDRESS_LENGTH, USER_AGENT_LENGTH
from expense_app.services.unit_of_work import transaction

logger = logging.getLogger("expense_app.security")


def client_details() -> tuple[str | None, str | None]:
    """The request's client address (after the trusted-proxy rule) and user agent, cut to fit."""
    if not has_request_context():
        return None, None
    address = (request.remote_addr or "")[:CLIENT_ADDRESS_LENGTH] or None
    agent = (request.headers.get("User-Agent") or "")[:USER_AGENT_LENGTH] or None
    return address, agent


def record(user_id: int | None, kind: str, **detail) -> None:
    """Add an event to `user_id`'s log (inside the caller's unit of work, if any) and log it.

    `user_id` None (a failed sign-in for an email with no account) is logged only: there is no
    account whose log could hold it.
    """
    if kind not in SECURITY_EVENT_KINDS:
        raise ValueError(f"unknown security event kind {kind!r}")
    address, agent = client_details()
    logger.info(
        "security event: %s", kind, extra={"user_id": user_id, "event": kind, "client": address, "detail": detail}
    )
    if user_id is None:
        return
    with transaction() as session:
        session.add(SecurityEvent(user_id=user_id, kind=kind, client_address=address, user_agent=agent, detail=detail))


def recent_events(user_id: int, *, limit: int = 100) -> list[SecurityEvent]:
    """The user's newest events first."""
    return list(
        db.session.scalars(
            sa.select(SecurityEvent)
            .where(SecurityEvent.user_id == user_id)
            .order_by(SecurityEvent.created_at.desc(), SecurityEvent.id.desc())
            .limit(limit)
        )
    )
