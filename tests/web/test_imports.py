"""The import pages from the browser's side (test client): every shared sample uploaded through the
form and committed with the counts its MANIFEST.json gives, a second upload that is all duplicates,
undo, a mapping change that re-reads the file, refusals (no file, binary, oversized, Unicode digits
in every query string, bad ids) that say what is wrong and never answer 500, and isolation."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Expense, ImportBatch
from expense_app.services import expenses, imports
from tests import factories
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
    assert "up to 10 MB." in html
    assert 'href="/import"' in html  # the nav link


def test_sparkasse_csv_mapping_step_shows_what_was_detected(logged_in):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert 'id="mapping-step"' in html
    assert '<option selected value=";">' in html
    assert 'id="mapping-preview-table"' in html
    print(html[:200])


# --- helpers over the database -------------------------------------------------------------------------


def expenses_of(app, user) -> list[Expense]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Expense).where(Expense.user_id == user.id).order_by(Expense.id)))


def food_of(app, user) -> int:
    with app.app_context():
        return factories.category_id(user, "Food")


def result_text(html: str) -> str:
    found = re.search(r'id="import-result"[^>]*>\s*<span>(.*?)</span>', html, re.S)
    assert found, html[:3000]
    return " ".join(found.group(1).split())


# --- every sample through the form ---------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_each_sample_imports_with_the_manifest_counts_then_repeats_as_duplicates_and_undoes(app, logged_in, user, name):
    entry = MANIFEST[name]
    food = food_of(app, user)
    batch_id = batch_id_of(upload(logged_in, name, default_category_id=str(food)))
    page = logged_in.get(f"/import/{batch_id}")
    assert page.status_code == 200
    counts = tab_counts(page.get_data(as_text=True))
    assert counts["all"] == entry["transactions"]
    assert counts["money_in"] == entry["credits"]
    assert counts["new"] + counts["possible_duplicate"] == entry["debits"]
    assert counts["error"] == entry["zero_amount"]
    assert counts["duplicate"] == 0

    committed = logged_in.post(f"/import/{batch_id}/commit")
    assert committed.status_code == 302
    shown = result_text(logged_in.get(f"/import/{batch_id}").get_data(as_text=True))
    debits = entry["debits"] - counts["possible_duplicate"]
    assert shown.startswith(f"Imported {debits:,} expense{'s' if debits != 1 else ''}")
    if entry["credits"]:
        assert f"{entry['credits']:,} money-in row" in shown
    stored = expenses_of(app, user)
    assert len(stored) == debits
    if not counts["possible_duplicate"] and entry.get("by_currency"):
        sums: dict[str, Decimal] = {}
        for expense in stored:
            sums[expense.currency] = sums.get(expense.currency, Decimal("0")) + expense.amount
        assert sums == {code: Decimal(part["debit_sum"]) for code, part in entry["by_currency"].items()}
    elif not counts["possible_duplicate"]:
        # Lloyds and QIF name no currency: the rows are in the user's; the sum is the manifest's.
        assert sum(expense.amount for expense in stored) == Decimal(entry["debit_sum"])

    # The same file again: nothing new, every imported row a certain duplicate.
    again = batch_id_of(upload(logged_in, name, default_category_id=str(food)))
    counts_again = tab_counts(logged_in.get(f"/import/{again}").get_data(as_text=True))
    assert counts_again["new"] == 0
    assert counts_again["duplicate"] == debits
    assert counts_again["money_in"] == entry["credits"]

    # Undo removes exactly what the first import created.
    undone = logged_in.post(f"/import/{batch_id}/undo")
    assert undone.status_code == 302
    assert expenses_of(app, user) == []
    assert "This import was undone" in logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    history = logged_in.get("/imports").get_data(as_text=True)
    assert f'data-batch-id="{batch_id}" data-status="undone"' in history
    assert f'data-batch-id="{again}" data-status="staged"' in history


def test_a_staged_file_imports_nothing_until_committed_and_the_commit_is_all_at_once(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE, default_category_id=str(food_of(app, user))))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert expenses_of(app, user) == []
    included = int(re.search(r'id="commit-button" data-included="(\d+)"', html).group(1))
    assert included == MANIFEST[SPARKASSE]["debits"]
    assert f'Import <span id="included-count">{included}</span>' in html
    assert logged_in.post(f"/import/{batch_id}/commit").status_code == 302
    assert len(expenses_of(app, user)) == included
    # Each imported row links to the expense it became.
    shown = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    linked = {int(value) for value in re.findall(r'data-imported="(\d+)"', shown)}
    assert linked == {expense.id for expense in expenses_of(app, user)}
    # A committed batch cannot be committed twice.
    second = logged_in.post(f"/import/{batch_id}/commit")
    assert second.status_code in (409, 422)
    assert len(expenses_of(app, user)) == included


def test_commit_without_a_category_for_every_row_says_what_to_do(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    refused = logged_in.post(f"/import/{batch_id}/commit")
    assert refused.status_code == 422
    assert "no category" in refused.get_data(as_text=True)
    assert expenses_of(app, user) == []
    # The default category form fixes it.
    assert (
        logged_in.post(
            f"/import/{batch_id}/defaults", data={"default_category_id": str(food_of(app, user))}
        ).status_code
        == 302
    )
    assert logged_in.post(f"/import/{batch_id}/commit").status_code == 302
    assert len(expenses_of(app, user)) == MANIFEST[SPARKASSE]["debits"]


# --- the mapping step ----------------------------------------------------------------------------------


def test_mapping_step_shows_the_detected_settings_and_a_preview_of_the_rows(logged_in):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert 'id="mapping-step"' in html
    assert '<option selected value=";">' in html
    assert '<option selected value=",">Comma: 1234,56' in html
    assert '<option selected value="%d.%m.%y">' in html
    assert '<option selected value="Betrag">' in html
    assert 'id="mapping-preview-table"' in html
    assert "Müller" in html or "Bücher" in html


def test_live_preview_reads_with_other_settings_and_stores_nothing(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    before = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    settings = {
        "encoding": "cp1252",
        "delimiter": ";",
        "quotechar": '"',
        "skip_rows": "0",
        "has_header": "y",
        "date_format": "%d.%m.%y",
        "decimal": ",",
        "thousands": ".",
        "amount_sign": "negative_is_expense",
        "column_date": "Buchungstag",
        "column_amount": "Betrag",
        "column_currency": "Waehrung",
        "column_description": "Buchungstext",
    }
    partial = logged_in.get(f"/import/{batch_id}/mapping-preview", query_string=settings)
    assert partial.status_code == 200
    text = partial.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="mapping-preview-body"')
    assert "LASTSCHRIFT" in text.upper() or "GUTSCHRIFT" in text.upper()
    # Without JavaScript: the form's "Update preview" button shows the same, nothing stored.
    posted = logged_in.post(f"/import/{batch_id}/mapping", data={**settings, "preview": "Update preview"})
    assert posted.status_code == 200
    assert 'id="mapping-preview-table"' in posted.get_data(as_text=True)
    assert logged_in.get(f"/import/{batch_id}").get_data(as_text=True).count("Buchungstext") == before.count(
        "Buchungstext"
    )
    # A wrong delimiter: the preview says what went wrong instead of failing.
    wrong = logged_in.get(f"/import/{batch_id}/mapping-preview", query_string={**settings, "delimiter": ","})
    assert wrong.status_code == 200


def test_use_these_settings_reads_the_file_again(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    with app.app_context():
        settings = imports.get_batch(user=user, batch_id=batch_id).settings
    form = {
        "encoding": settings["encoding"],
        "delimiter": settings["delimiter"],
        "quotechar": settings["quotechar"],
        "skip_rows": str(settings["skip_rows"]),
        "has_header": "y",
        "date_format": settings["date_format"],
        "decimal": settings["decimal"],
        "thousands": settings["thousands"],
        "amount_sign": settings["amount_sign"],
        **{f"column_{role}": column for role, column in settings["columns"].items()},
        "column_description": "Buchungstext",
        "column_payee": "",
        "apply": "Use these settings",
    }
    applied = logged_in.post(f"/import/{batch_id}/mapping", data=form)
    assert applied.status_code == 302, applied.get_data(as_text=True)[:3000]
    with app.app_context():
        assert imports.get_batch(user=user, batch_id=batch_id).settings["columns"]["description"] == "Buchungstext"
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert tab_counts(html)["all"] == MANIFEST[SPARKASSE]["transactions"]
    rows = re.findall(r'<td class="description-cell text-break">\s*([^<\n]+)', html)
    assert rows and all(
        row.strip().upper()
        in {
            "LASTSCHRIFT",
            "GUTSCHRIFT",
            "ABSCHLUSS",
            "FOLGELASTSCHRIFT",
            "ONLINE-UEBERWEISUNG",
            "KARTENZAHLUNG",
            "BARGELDAUSZAHLUNG",
            "DAUERAUFTRAG",
            "ENTGELTABSCHLUSS",
            "LOHN  GEHALT",
            "GUTSCHR. UEBERWEISUNG",
        }
        or row.strip().isupper()
        for row in rows
    )

    # A column that is not in the file is refused on its select, nothing re-read.
    refused = logged_in.post(f"/import/{batch_id}/mapping", data={**form, "column_amount": "Nope"})
    assert refused.status_code == 422
    with app.app_context():
        assert imports.get_batch(user=user, batch_id=batch_id).settings["columns"]["amount"] == "Betrag"


def test_save_as_preset_offers_it_and_picks_it_for_the_same_header(logged_in):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    selected = r'<select[^>]*name="(\w+)"[^>]*>(?:(?!</select>).)*?<option selected value="([^"]*)"'
    form = {name: unescape(value) for name, value in re.findall(selected, html, re.S)}
    form.update({"skip_rows": "0", "has_header": "y", "preset_name": "Sparkasse Giro", "save_preset": "Save as preset"})
    nameless = logged_in.post(f"/import/{batch_id}/preset", data={**form, "preset_name": ""})
    assert nameless.status_code == 422 and "Enter a name for the preset" in nameless.get_data(as_text=True)
    saved = logged_in.post(f"/import/{batch_id}/preset", data=form)
    assert saved.status_code == 302, re.findall(
        r"(?:invalid-feedback d-block|alert-danger)[^>]*>([^<]*)", saved.get_data(as_text=True)
    )
    assert "Sparkasse Giro" in logged_in.get("/import").get_data(as_text=True)
    # The next file with the same header is read with it, without being asked.
    again = batch_id_of(upload(logged_in, SPARKASSE))
    assert "read with the preset “Sparkasse Giro”" in logged_in.get(f"/import/{again}").get_data(as_text=True)


# --- rows: per row and in bulk -------------------------------------------------------------------------


def _row_ids(html: str, status: str) -> list[int]:
    return [int(value) for value in re.findall(rf'data-row-id="(\d+)" data-status="{status}"', html)]


def test_a_row_left_out_is_not_imported_and_fetch_gets_the_new_count(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE, default_category_id=str(food_of(app, user))))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    new_rows = _row_ids(html, "new")
    answer = logged_in.post(
        f"/import/{batch_id}/rows",
        data={"row_id": str(new_rows[0]), "includable": "1", "category_id": "", "tags": "bank, giro"},
        headers={"X-Requested-With": "fetch"},
    )
    assert answer.status_code == 200
    assert answer.get_json() == {"included_count": len(new_rows) - 1, "saved": True}
    # Without JavaScript: the row's Save button, then a redirect back to the row.
    again = logged_in.post(
        f"/import/{batch_id}/rows?status=new", data={"row_id": str(new_rows[1]), "includable": "1", "category_id": ""}
    )
    assert again.status_code == 302 and again.headers["Location"].endswith(
        f"/import/{batch_id}?status=new#row-{new_rows[1]}"
    )
    assert logged_in.post(f"/import/{batch_id}/commit").status_code == 302
    assert len(expenses_of(app, user)) == len(new_rows) - 2


def test_a_money_in_row_cannot_be_included(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    money_in = _row_ids(html, "money_in")[0]
    refused = logged_in.post(
        f"/import/{batch_id}/rows",
        data={"row_id": str(money_in), "includable": "1", "include": "y"},
        headers={"X-Requested-With": "fetch"},
    )
    assert refused.status_code == 422
    assert refused.get_json()["errors"]


def test_bulk_actions_on_ticked_rows_and_on_a_whole_status(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    new_rows = _row_ids(html, "new")
    food = food_of(app, user)
    every = logged_in.post(
        f"/import/{batch_id}/bulk",
        data={"scope": "status", "status": "new", "action": "category", "category_id": str(food)},
    )
    assert every.status_code == 302
    assert f"{len(new_rows)} rows changed." in logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    ticked = logged_in.post(
        f"/import/{batch_id}/bulk",
        data={"scope": "selected", "row_ids": [str(new_rows[0]), str(new_rows[1])], "action": "exclude"},
    )
    assert ticked.status_code == 302
    tagged = logged_in.post(
        f"/import/{batch_id}/bulk", data={"scope": "status", "status": "new", "action": "add_tags", "tags": "giro"}
    )
    assert tagged.status_code == 302
    assert logged_in.post(f"/import/{batch_id}/commit").status_code == 302
    stored = expenses_of(app, user)
    assert len(stored) == len(new_rows) - 2
    assert {expense.category_id for expense in stored} == {food}
    with app.app_context():
        tagged_ids = db.session.scalars(
            sa.select(Expense.id).where(Expense.user_id == user.id, Expense.tags.any(name="giro"))
        ).all()
    assert len(tagged_ids) == len(stored)


def test_a_possible_duplicate_is_shown_next_to_the_expense_it_resembles(app, client, make_user, login):
    owner = make_user(email="gbp@example.com", currency="GBP")
    login(owner)
    with app.app_context():
        existing = factories.create_expense(
            owner, amount="8.99", date="2024-01-14", description="ACME STORE", category="Shopping", currency="GBP"
        )
    name = "csv-uk_lloyds-debit_credit.csv"
    batch_id = batch_id_of(upload(client, name, default_category_id=str(food_of(app, owner))))
    html = client.get(f"/import/{batch_id}?status=possible_duplicate").get_data(as_text=True)
    assert tab_counts(html)["possible_duplicate"] == 1
    (row,) = re.findall(r'<tr id="row-\d+".*?</tr>', html, re.S)
    assert f'data-duplicate-of="{existing}"' in row
    assert re.search(r"Resembles:\s*<a [^>]*>Jan 14, 2024 ACME STORE\s*£8.99</a> \(Shopping\)", row), row
    assert 'name="include"' in row and " checked" not in row.split('name="include"')[1].split(">")[0]
    # Imported only if kept: the commit leaves it out.
    assert client.post(f"/import/{batch_id}/commit").status_code == 302
    assert len(expenses_of(app, owner)) == 1 + MANIFEST[name]["debits"] - 1


# --- undo ----------------------------------------------------------------------------------------------


def test_undo_with_an_edited_expense_asks_keep_or_delete(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE, default_category_id=str(food_of(app, user))))
    assert logged_in.post(f"/import/{batch_id}/commit").status_code == 302
    stored = expenses_of(app, user)
    with app.app_context():
        expenses.update_expense(user=user, expense_id=stored[0].id, description="Edited after import")
    page = logged_in.get(f"/import/{batch_id}/undo")
    assert page.status_code == 200
    assert "Edited after import" in page.get_data(as_text=True)
    asked = logged_in.post(f"/import/{batch_id}/undo")
    assert asked.status_code == 422
    body = asked.get_data(as_text=True)
    assert "Edited after import" in body and 'name="edited"' in body
    assert len(expenses_of(app, user)) == len(stored)
    kept = logged_in.post(f"/import/{batch_id}/undo", data={"edited": "keep"})
    assert kept.status_code == 302
    follow = logged_in.get(kept.headers["Location"]).get_data(as_text=True)
    assert f"Import undone: {len(stored) - 1} expenses deleted. 1 edited expense kept." in follow
    assert [expense.description for expense in expenses_of(app, user)] == ["Edited after import"]


# --- refusals ------------------------------------------------------------------------------------------


def test_upload_without_a_file_says_so(logged_in):
    response = logged_in.post("/import", data={"preset": ""}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file to import." in response.get_data(as_text=True)


def test_a_binary_or_zip_file_is_refused_next_to_the_field(app, logged_in, user):
    for name, data in (
        ("photo.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
        ("export.zip", b"PK\x03\x04" + b"\x00" * 200),
    ):
        response = upload(logged_in, name, data)
        assert response.status_code == 422, name
        html = response.get_data(as_text=True)
        assert 'id="file-errors"' in html, name
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_an_oversized_file_shows_the_form_again_with_the_limit(app_factory, client, user, login):
    small = app_factory(IMPORT_MAX_BYTES=4096)
    browser = small.test_client()
    browser.post("/login", data={"email": user.email, "password": PASSWORD})
    # Far over the limit: the request itself is refused before the body is read.
    response = upload(browser, "big.csv", b"date,amount\n" + b"2026-01-01,-1.00\n" * 20_000)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "This file is larger than 4 KB." in html and 'type="file"' in html and 'id="file-errors"' in html
    # Just over the limit (the body fits, the file does not): the service says the same kind of thing.
    just = upload(browser, "big.csv", b"date,amount\n" + b"2026-01-01,-1.00\n" * 260)
    assert just.status_code == 422
    assert 'id="file-errors"' in just.get_data(as_text=True)
    with small.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_the_default_limit_is_10_mb_and_says_so(app, logged_in):
    response = upload(logged_in, "huge.csv", b"x" * (app.config["IMPORT_MAX_BYTES"] + 200 * 1024))
    assert response.status_code == 413
    assert "This file is larger than 10 MB." in response.get_data(as_text=True)


def test_a_file_bigger_than_the_global_limit_but_under_the_import_limit_is_accepted(app, logged_in, user):
    lines = [b"Date,Description,Amount"] + [
        f"2026-01-{1 + n % 28:02d},Shop {n},-{n % 90 + 1}.50".encode() for n in range(60_000)
    ]
    data = b"\n".join(lines) + b"\n"
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    response = upload(logged_in, "long.csv", data, default_category_id=str(food_of(app, user)))
    assert response.status_code == 302


UNICODE_DIGIT = "\N{SUPERSCRIPT TWO}"


def test_unicode_digits_in_every_query_string_never_fail(app, logged_in, user):
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    urls = [
        "/import",
        "/imports",
        f"/import/{batch_id}",
        f"/import/{batch_id}/mapping-preview",
        f"/import/{batch_id}/undo",
    ]
    names = [
        "page",
        "status",
        "delimiter",
        "skip_rows",
        "encoding",
        "date_format",
        "decimal",
        "thousands",
        "column_amount",
        "column_date",
        "default_currency",
        "amount_sign",
        "quotechar",
        "debit_values",
    ]
    for url in urls:
        for name in names:
            response = logged_in.get(url, query_string={name: UNICODE_DIGIT})
            assert response.status_code < 500, f"{url}?{name}=² -> {response.status_code}"
        everything = logged_in.get(url, query_string=dict.fromkeys(names, UNICODE_DIGIT))
        assert everything.status_code < 500, url
    assert logged_in.get("/imports", query_string={"page": UNICODE_DIGIT}).status_code == 200


def test_bad_ids_are_404_or_refused(app, logged_in, user):
    assert logged_in.get("/import/999999").status_code == 404
    assert logged_in.get("/import/999999/mapping-preview").status_code == 404
    assert logged_in.post("/import/999999/commit").status_code == 404
    batch_id = batch_id_of(upload(logged_in, SPARKASSE))
    for row_id in (UNICODE_DIGIT, "-1", "0", "99999999999999999999", ""):
        response = logged_in.post(
            f"/import/{batch_id}/rows", data={"row_id": row_id, "includable": "1", "include": "y"}
        )
        assert 400 <= response.status_code < 500, row_id
    bulk = logged_in.post(
        f"/import/{batch_id}/bulk", data={"scope": "selected", "row_ids": [UNICODE_DIGIT], "action": "include"}
    )
    assert 400 <= bulk.status_code < 500


def test_another_users_batch_is_not_found(app, client, user, make_user, login):
    login(user)
    batch_id = batch_id_of(upload(client, SPARKASSE))
    intruder = make_user(email="intruder@example.com")
    other = app.test_client()
    other.post("/login", data={"email": intruder.email, "password": PASSWORD})
    for url in (f"/import/{batch_id}", f"/import/{batch_id}/mapping-preview", f"/import/{batch_id}/undo"):
        assert other.get(url).status_code == 404, url
    for url, data in (
        (f"/import/{batch_id}/commit", {}),
        (f"/import/{batch_id}/undo", {"edited": "delete"}),
        (f"/import/{batch_id}/bulk", {"scope": "status", "status": "new", "action": "exclude"}),
        (f"/import/{batch_id}/defaults", {"default_category_id": ""}),
        (f"/import/{batch_id}/mapping", {"apply": "y", "delimiter": ","}),
    ):
        assert other.post(url, data=data).status_code == 404, url
    assert f'data-batch-id="{batch_id}"' not in other.get("/imports").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ImportBatch, batch_id).status == "staged"


def test_an_ambiguous_date_is_asked_prominently(logged_in):
    data = b"Date,Description,Amount\n01/02/2026,Coffee,-3.50\n03/04/2026,Books,-12.00\n05/06/2026,Lunch,-9.80\n"
    batch_id = batch_id_of(upload(logged_in, "ambiguous.csv", data))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    questions = re.search(r'id="mapping-questions".*?</div>', html, re.S)
    assert questions, "no question shown for 01/02/2026"
    assert 'data-question="date_format"' in questions.group(0)
    assert "01/02/2026" in questions.group(0)
    # Both readings are offered in the date format select, and the select is marked.
    assert 'value="%d/%m/%Y"' in html and 'value="%m/%d/%Y"' in html
    assert re.search(r'class="form-select border-warning border-2[^"]*" id="date_format"', html)


def test_a_qif_file_asks_its_day_month_order_and_reads_again_with_the_answer(app, logged_in, user):
    data = b"!Type:Bank\nD02/03/2026\nT-12.50\nPCoffee beans\n^\nD04/05/2026\nT-3.00\nPBakery\n^\n"
    batch_id = batch_id_of(upload(logged_in, "ambiguous.qif", data))
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert 'id="date-order-question"' in html
    assert "Feb 3, 2026" in html
    answered = logged_in.post(f"/import/{batch_id}/date-order", data={"date_order": "dmy"})
    assert answered.status_code == 302
    html = logged_in.get(f"/import/{batch_id}").get_data(as_text=True)
    assert "Mar 2, 2026" in html and "Feb 3, 2026" not in html
    assert re.search(r'<input checked[^>]*value="dmy"', html)
    refused = logged_in.post(f"/import/{batch_id}/date-order", data={"date_order": "ymd"})
    assert refused.status_code == 422
    assert 'id="date-order-errors"' in refused.get_data(as_text=True)
