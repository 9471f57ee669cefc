"""Files for the import tests: CSV statements written on the fly, and the shared real samples."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "import_samples"


def statement(rows, *, columns=("Date", "Amount", "Description")) -> bytes:
    """A CSV statement: `rows` are tuples in `columns` order (amounts signed, money out < 0)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def manifest() -> list[dict]:
    return json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()
