"""Fixtures for the statement readers: the shared sample files and what their manifest says.

The samples live in `tests/import_samples/` (copied from `../shared/import_samples/`); until that
copy exists on a branch, the shared folder itself is read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent
_SHARED = Path("/work/shared/import_samples")


def samples_dir() -> Path:
    """The folder holding the sample statements and MANIFEST.json."""
    local = _HERE.parent / "import_samples"
    return local if (local / "MANIFEST.json").exists() else _SHARED


def sample_bytes(name: str) -> bytes:
    """The bytes of sample file `name`."""
    return (samples_dir() / name).read_bytes()


def manifest_entry(name: str) -> dict:
    """What MANIFEST.json says sample `name` contains."""
    entries = json.loads((samples_dir() / "MANIFEST.json").read_text(encoding="utf-8"))
    return next(entry for entry in entries if entry["file"] == name)


@pytest.fixture
def sample():
    """`sample(name)` -> (bytes, manifest entry)."""
    return lambda name: (sample_bytes(name), manifest_entry(name))
