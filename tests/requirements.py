"""What the heavier suites need from the machine, and what happens when it is missing.

On a newcomer's machine a suite that needs Chromium or PostgreSQL is skipped with one line saying
what is missing and how to provide it. Under `CI=true` nothing may be skipped for that reason: the
same line fails the test, so a CI image that lost its browser or database cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NoReturn

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def under_ci() -> bool:
    """True when running in CI (`CI=true`), where a missing dependency is a failure."""
    return os.environ.get("CI", "").strip().lower() == "true"


def missing(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it under CI=true."""
    if under_ci():
        pytest.fail(f"{reason} (required under CI=true)", pytrace=False)
    pytest.skip(reason)


def require_postgres(database_url: str) -> None:
    """Skip/fail unless the suite's database is PostgreSQL."""
    if not database_url.startswith("postgresql"):
        missing("needs PostgreSQL: set TEST_DATABASE_URL=postgresql://user@host:5432/db")


def require_chromium() -> str:
    """Return the Chromium executable; skip/fail when it is not installed."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).is_file():
        return CHROMIUM
    missing(f"needs Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")


def require_file(path: Path, how: str) -> Path:
    """Return `path`; skip/fail with `how` (the command that provides it) when it does not exist."""
    if path.is_file():
        return path
    missing(f"needs {path}: {how}")
