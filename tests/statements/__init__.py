"""Tests of the statement readers (pure: bytes in, ParsedFile out; no database, no Flask).

Shared here: where the samples are, what `MANIFEST.json` says about one, the same figures
computed from a ParsedFile (so a test compares the two, never copies numbers), and a hypothesis
strategy of damaged statement files for the "never raises anything but UnreadableFile" tests.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

from expense_app.statements.model import ParsedFile

SAMPLES = Path(__file__).resolve().parent.parent / "import_samples"
OWN = SAMPLES / "own"


def sample(name: str) -> bytes:
    """The bytes of a sample file (`own/...` for our own fixtures)."""
    return (SAMPLES / name).read_bytes()


def manifest(name: str) -> dict:
    """The MANIFEST.json entry of a copied sample."""
    entries = json.loads((SAMPLES / "MANIFEST.json").read_text(encoding="utf-8"))
    return next(entry for entry in entries if entry["file"] == name)


def figures(parsed: ParsedFile) -> dict:
    """The manifest's figures, computed from what a reader returned."""
    rows = parsed.rows
    assert all(row.error is None for row in rows), [row.error for row in rows if row.error]
    debits = [row.amount for row in rows if row.amount < 0]
    credits = [row.amount for row in rows if row.amount > 0]
    dates = sorted(row.date for row in rows)
    currencies = sorted({row.currency for row in rows if row.currency})
    return {
        "transactions": len(rows),
        "debits": len(debits),
        "credits": len(credits),
        "zero_amount": sum(1 for row in rows if row.amount == 0),
        "pending": sum(1 for row in rows if row.pending),
        "debit_sum": -sum(debits, Decimal(0)),
        "credit_sum": sum(credits, Decimal(0)),
        "currency": currencies[0] if len(currencies) == 1 else None,
        "date_min": dates[0].isoformat(),
        "date_max": dates[-1].isoformat(),
        "ids_present": sum(1 for row in rows if row.external_id),
        "accounts_with_transactions": len({row.account for row in rows}),
    }


def expected(entry: dict) -> dict:
    """The same figures as the manifest states them."""
    return {
        "transactions": entry["transactions"],
        "debits": entry["debits"],
        "credits": entry["credits"],
        "zero_amount": entry["zero_amount"],
        "pending": entry["pending"],
        "debit_sum": Decimal(entry["debit_sum"]),
        "credit_sum": Decimal(entry["credit_sum"]),
        "currency": entry["currency"],
        "date_min": entry["date_min"],
        "date_max": entry["date_max"],
        "ids_present": entry["ids_present"],
        "accounts_with_transactions": entry["accounts_with_transactions"],
    }


def damaged(original: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, and `original` cut, spliced with random bytes or with bytes flipped."""
    size = len(original)
    cut = st.integers(0, size).map(lambda n: original[:n])
    spliced = st.tuples(st.integers(0, size), st.integers(0, size), st.binary(max_size=40)).map(
        lambda t: original[: min(t[0], t[1])] + t[2] + original[max(t[0], t[1]) :]
    )
    flipped = st.lists(st.tuples(st.integers(0, max(size - 1, 0)), st.integers(0, 255)), max_size=8).map(
        lambda flips: _flip(original, flips)
    )
    return st.one_of(st.binary(max_size=300), cut, spliced, flipped)


def _flip(original: bytes, flips: list[tuple[int, int]]) -> bytes:
    data = bytearray(original)
    for index, value in flips:
        if data:
            data[index] = value
    return bytes(data)
