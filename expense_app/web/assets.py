"""Static assets that browsers may cache for a year: fingerprinted URLs, compressed on the wire.

`url_for('static', filename=...)` gets a `v=<content hash>` query argument, so a changed file has
a new URL and the year-long `Cache-Control: max-age` (SEND_FILE_MAX_AGE_DEFAULT) is safe. The hash
is computed once per file version (keyed by path, size and modification time, so an edited
file in development gets a new one without a restart).

A static URL requested without its fingerprint (a hand-typed link, the Swagger UI's assets,
which its page names by a fixed prefix) is answered with `no-cache` instead, so it is revalidated
rather than pinned for a year.

Compression is flask-compress (expense_app.extensions.compress), limited by COMPRESS_MIMETYPES
to CSS, JavaScript and SVG: HTML and API JSON stay uncompressed (see config.py).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import Flask, Response, request

VERSION_ARG = "v"


@lru_cache(maxsize=1024)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the key: a changed file is hashed again, an unchanged one never.
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()[:12]


def file_version(folder: str | None, filename: str) -> str | None:
    """The content hash of `filename` under `folder`; None when the file does not exist."""
    if not folder:
        return None
    path = os.path.join(folder, filename)
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    return _digest(path, stat.st_size, stat.st_mtime_ns)


def _is_static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def register_assets(app: Flask) -> None:
    """Add content hashes to static URLs and keep unversioned static responses revalidated."""

    @app.url_defaults
    def add_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or VERSION_ARG in values or "filename" not in values:
            return
        version = file_version(app.static_folder, values["filename"])
        if version:
            values[VERSION_ARG] = version

    @app.after_request
    def revalidate_unversioned(response: Response) -> Response:
        if _is_static(request.endpoint) and VERSION_ARG not in request.args:
            response.cache_control.max_age = None
            response.cache_control.no_cache = True
        return response
