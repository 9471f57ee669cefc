"""`Idempotency-Key` on every POST of the authenticated API: a retried POST is answered, not redone.

Installed once for the whole API by `expense_app.api.register_api` (`install`), never per route:

- before the view, a POST under /api/v1 with the header and a valid bearer token claims the row
  (user, key) of `IdempotencyKey` in its own short transaction, `status_code` null = in progress.
  The claim is a plain INSERT, so of two concurrent requests with one key the database lets one
  win; the other finds the row and gets 409 (still in progress) or the stored answer;
- a key already used within 24 h with the same method, path and body (SHA-256; a multipart
  body without its random boundary) replays the first answer: status, body, `Location` and
  `Content-Type`, without running the view again. With another body or path it is 422, nothing
  done;
- after the view, the response is stored on the row, in its own transaction. A 5xx is not: the
  row is deleted so that the client can retry the failed request with the same key.

Rows older than 24 h are purged opportunistically: each claim first deletes that user's expired
rows (an index-backed delete of a few rows), and an expired row is never replayed. `purge_expired`
does it for everyone (for a scheduled job).

The credential endpoints (register, log in, refresh, create a personal access token) ignore the
header: their answers are new tokens, and storing them to hand out again would keep live credentials in a table and let anyone
holding the key and body get them again (a refresh token is single-use by design). A request
without a valid token is left to the view, which answers 401.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, Response, g, request
from flask_jwt_extended import get_jwt_identity, verify_jwt_in_request

from expense_app.api.authentication import authenticate, bearer_credential
from expense_app.errors import Conflict, ValidationFailed
from expense_app.extensions import db
from expense_app.models.base import utcnow
from expense_app.models.idempotency import IdempotencyKey
from expense_app.services.access_tokens import looks_like_token
from expense_app.services.rules import parse_id
from expense_app.services.unit_of_work import rollback_quietly, transaction

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
TTL = dt.timedelta(hours=24)
# A claim still "in progress" after this long belongs to a request that died (a lost connection to
# the database while storing): it is taken over, or the client could not retry for 24 h.
ABANDONED_AFTER = dt.timedelta(minutes=5)
API_PREFIX = "/api/v1/"
# Their answers are credentials: never stored, never replayed (see the module docstring).
CREDENTIAL_PATHS = frozenset({"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/tokens"})
REPLAYED_HEADERS = ("Location", "Content-Type")
KEY_SHAPE = re.compile(r"[\x21-\x7e]{1," + str(MAX_KEY_LENGTH) + "}")  # visible ASCII, as header values allow

IN_PROGRESS = "A request with this Idempotency-Key is still in progress; retry shortly."
REUSED = "This Idempotency-Key was already used with a different request; use a new key for a new request."
BAD_KEY = f"Use 1 to {MAX_KEY_LENGTH} visible ASCII characters (a UUID, for example)."
_STATE = "idempotency_claim"


def applies_to_path(path: str) -> bool:
    """Does a POST to `path` (an OpenAPI path or a request path) honour the header?"""
    return path.startswith(API_PREFIX) and path not in CREDENTIAL_PATHS


def request_hash(method: str, path: str, body: bytes) -> str:
    """What the key was used for: the method, path and exact body bytes."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Replay:
    """A stored answer to hand back."""

    status_code: int
    body: str
    headers: dict


def claim(user_id: int, key: str, method: str, path: str, body: bytes, *, now: dt.datetime | None = None):
    """Claim `key` for this request, or say why not.

    Returns None when claimed (the caller does the work, then `store` or `release`), a `Replay`
    when the same request was answered already, and raises `Conflict` (still in progress) or
    `ValidationFailed` (the key was used for another request).
    """
    now = now or utcnow()
    fingerprint = request_hash(method, path, body)
    with transaction() as session:
        session.execute(
            sa.delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.created_at < now - TTL)
        )
    try:
        with transaction(conflict=_Taken()) as session:
            session.add(
                IdempotencyKey(
                    user_id=user_id, key=key, method=method, path=path, request_hash=fingerprint, created_at=now
                )
            )
        return None
    except _Taken:
        pass
    row = db.session.get(IdempotencyKey, (user_id, key), populate_existing=True)
    if row is None:  # purged or released between our INSERT and this read: claim again
        return claim(user_id, key, method, path, body, now=now)
    if row.request_hash != fingerprint or row.path != path or row.method != method:
        raise ValidationFailed({HEADER: [REUSED]}, message=REUSED)
    if row.status_code is None:
        if row.created_at < now - ABANDONED_AFTER:  # its request died before storing or releasing
            release(user_id, key)
            return claim(user_id, key, method, path, body, now=now)
        raise Conflict(IN_PROGRESS)
    return Replay(row.status_code, row.response_body or "", dict(row.response_headers or {}))


def store(user_id: int, key: str, status_code: int, body: str, headers: dict) -> None:
    """Keep the answer of a claimed request; a 5xx releases the claim instead (retry allowed)."""
    if status_code >= 500:
        release(user_id, key)
        return
    kept = {name: value for name, value in headers.items() if name in REPLAYED_HEADERS}
    with transaction() as session:
        session.execute(
            sa.update(IdempotencyKey)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
            .values(status_code=status_code, response_body=body, response_headers=kept)
        )


def release(user_id: int, key: str) -> None:
    """Forget a claim, so the same key may be used again."""
    with transaction() as session:
        session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key))


def purge_expired(*, now: dt.datetime | None = None) -> int:
    """Delete every row older than 24 h; returns how many."""
    with transaction() as session:
        result = session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < (now or utcnow()) - TTL))
    return result.rowcount or 0


class _Taken(Exception):
    """The (user, key) row exists already (the claim's INSERT was refused)."""


def _token_user_id() -> int | None:
    """The verified credential's user id, or None (no token or a bad one: the view will answer 401).

    A personal access token is authenticated by the API's guard, which keeps the result for the
    view (one lookup per request); a read-only token on this POST is the view's 403 to give.
    """
    credential = bearer_credential()
    if credential is not None and looks_like_token(credential):
        try:
            return authenticate().id
        except Exception:  # unknown, revoked, expired or out of scope: the view answers
            return None
    try:
        verify_jwt_in_request(optional=True, verify_type=False)
        identity = get_jwt_identity()
    except Exception:  # any token problem is the view's 401 to give
        return None
    return parse_id(identity) if isinstance(identity, str) else None


def _body() -> bytes:
    """The request body as the key remembers it.

    A multipart body (a statement upload) is delimited by a boundary the client picks at random
    for every request, so a retry of the same form differs in those bytes alone: they are left out.
    """
    body = request.get_data(cache=True)
    boundary = request.mimetype_params.get("boundary") if request.mimetype.startswith("multipart/") else None
    return body.replace(boundary.encode("latin-1"), b"") if boundary else body


def _before_request():
    if request.method != "POST" or not applies_to_path(request.path):
        return None
    key = request.headers.get(HEADER)
    if key is None:
        return None
    user_id = _token_user_id()
    if user_id is None:
        return None
    if not KEY_SHAPE.fullmatch(key):
        raise ValidationFailed({HEADER: [BAD_KEY]})
    replay = claim(user_id, key, "POST", request.path, _body())
    if replay is not None:
        return Response(replay.body, status=replay.status_code, headers=replay.headers)
    setattr(g, _STATE, (user_id, key))
    return None


def _after_request(response: Response) -> Response:
    state = g.pop(_STATE, None)
    if state is not None:
        rollback_quietly(db.session)  # the view's unit of work is over; start clean
        try:
            store(*state, response.status_code, response.get_data(as_text=True), dict(response.headers))
        except Exception:  # the answer is given anyway; an unstored claim is taken over later
            logger.exception("could not store the answer of an idempotent request")
            rollback_quietly(db.session)
    return response


def _teardown(error):
    # A crash that skipped after_request (no response at all): release the claim.
    state = g.pop(_STATE, None)
    if state is not None:
        try:
            release(*state)
        except Exception:  # teardown must not raise
            rollback_quietly(db.session)


def install(app: Flask) -> None:
    """Hook the claim before every view and the store after it (cheap no-ops without the header)."""
    app.before_request(_before_request)
    app.after_request(_after_request)
    app.teardown_request(_teardown)
