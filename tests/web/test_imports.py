"""The import pages from the browser's side (test client): every shared sample uploaded through the
form and committed with the counts its MANIFEST.json gives, a second upload that is all duplicates,
undo, a mapping change that re-reads the file, refusals (no file, binary, oversized, Unicode digits
in every query string, bad ids) that say what is wrong and never answer 500, and isolation."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense, ImportBatch
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
# The shared samples (MANIFEST.json beside them); a copy under tests/import_samples wins.
SAMPLE_DIRS = (ROOT / "tests" / "import_samples", Path("/work/shared/import_samples"))


def samples_dir() -> Path:
    for folder in SAMPLE_DIRS:
        if (folder / "MANIFEST.json").is_file():
            return folder
    pytest.fail(f"no import samples found in {', '.join(map(str, SAMPLE_DIRS))}", pytrace=False)


def manifest() -> list[dict]:
    data = json.loads((samples_dir() / "MANIFEST.json").read_text())
    return data if isinstance(data, list) else data["files"]


MANIFEST = {entry["file"]: entry for entry in manifest()}
SPARKASSE = "csv-de_sparkasse-camtcsv_latin1.csv"


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def upload(client, name: str, data: bytes | None = None, **fields):
    """POST the upload form with the sample `name` (or `data` under that name)."""
    content = data if data is not None else (samples_dir() / name).read_bytes()
    return client.post(
        "/import",
        data={"file": (BytesIO(content), name), **fields},
        content_type="multipart/form-data",
    )


def batch_id_of(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r".*/import/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def tab_counts(html: str) -> dict[str, int]:
    return {tab: int(count) for tab, count in re.findall(r'data-tab="(\w+)" data-count="(\d+)"', html)}


def test_upload_page_has_a_real_file_input_and_the_presets(logged_in):
    response = logged_in.get("/import")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    assert "Detect from the file" in html
    assert 'href="/import"' in html  # the nav link


def test_sparkasse_csv_mapping_step_shows_what_was_detected(logged_in):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert 'id="mapping-step"' in html
    assert '<option selected value=";">' in html
    assert 'id="mapping-preview-table"' in html
    print(html[:200])
