"""Conditional GETs for the expense list and analytics: an `ETag`, and `304 Not Modified` for a match.

The ETag is a hash of what the answer depends on besides the query itself: the user, their data
version (`services.data_versions`, moved by triggers on every relevant write), the method, path
and normalized query string, today's date (default and named periods are relative to it), and a
per-deploy constant (a digest of this package's code, so a new release never answers 304 with an
old representation; the same on every worker and instance of one release). A request whose
`If-None-Match` holds it is answered after authentication and one read of the version, without
running the list or analytics query.

Only `If-None-Match` is honoured (no dates: the version is exact and `Last-Modified` would be
second-granular). Comparison is weak, as RFC 9110 section 13.1.2 requires for it: `W/"x"` matches
`"x"`, a list matches when any member does, and `*` matches any current answer.
"""

from __future__ import annotations

import hashlib
from functools import cache, wraps
from pathlib import Path
from urllib.parse import urlencode

from flask import Response, request
from werkzeug.http import quote_etag

from expense_app.api.authentication import token_user
from expense_app.services.data_versions import data_version
from expense_app.services.rules import today_utc

CACHE_CONTROL = "private, no-cache"
PACKAGE = Path(__file__).resolve().parent.parent

HEADERS_DOC = {
    "ETag": {
        "description": "The answer's version: send it back in `If-None-Match` to get `304 Not Modified` "
        "while nothing it shows has changed.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "`private, no-cache`: revalidate before reuse.", "schema": {"type": "string"}},
}
NOT_MODIFIED_DOC = {
    "description": "Not Modified: the `If-None-Match` ETag is still current; no body.",
    "headers": HEADERS_DOC,
}


@cache
def deploy_constant() -> str:
    """A digest of the package's Python code: equal across a release's processes, new with each release."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def normalized_query() -> str:
    """The query string with its parameters in a canonical order (order never changes an answer)."""
    return urlencode(sorted(request.args.items(multi=True)))


def current_etag(version: int) -> str:
    """The ETag of this request's answer at data `version` (the value, without quotes)."""
    parts = (
        str(token_user.id),
        str(version),
        request.method,
        request.path,
        normalized_query(),
        today_utc().isoformat(),
        deploy_constant(),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def _validators(etag: str) -> dict:
    return {"ETag": quote_etag(etag), "Cache-Control": CACHE_CONTROL, "Vary": "Authorization"}


def etagged(view):
    """Decorator (under `@blp.response`, on an authenticated GET): ETag the answer, or 304 when it matches.

    The headers go out with the view's result (`(result, headers)`, which flask-smorest applies to a
    dumped result and to a ready `Response` alike). The version is read before the view runs, so a
    write that lands meanwhile gives the next request a new ETag, never a stale answer under the
    current one.
    """

    @wraps(view)
    def conditional(*args, **kwargs):
        etag = current_etag(data_version(user=token_user))
        if request.if_none_match.contains_weak(etag):
            not_modified = Response(status=304, headers=_validators(etag))
            del not_modified.headers["Content-Type"]
            return not_modified
        return view(*args, **kwargs), _validators(etag)

    return conditional
