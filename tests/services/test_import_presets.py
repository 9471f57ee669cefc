"""Import presets: saved CSV settings per user, names unique ignoring case, chosen by header."""

from __future__ import annotations

import pytest

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.services import import_presets, imports
from expense_app.statements.dispatch import read_statement
from tests.services.import_files import statement

SEMICOLONS = b"Buchungstag;Betrag;Verwendungszweck\n12.03.2026;-3,50;Kaffee\n13.03.2026;-10,00;Brot\n"
SETTINGS = {
    "delimiter": ";",
    "date_format": "%d.%m.%Y",
    "decimal": ",",
    "thousands": ".",
    "columns": {"date": "Buchungstag", "amount": "Betrag", "description": "Verwendungszweck"},
}


def test_create_list_update_delete(ctx, user):
    preset = import_presets.create_preset(user=user, name=" My bank ", settings=SETTINGS, sample=SEMICOLONS)
    assert (preset.name, preset.builtin, preset.key) == ("My bank", False, None)
    assert preset.settings["delimiter"] == ";" and preset.settings["columns"]["amount"] == "Betrag"
    listed = import_presets.list_presets(user=user)
    assert listed[0].id == preset.id
    assert {view.key for view in listed if view.builtin} >= {"expense_manager"}
    assert all(view.id is None for view in listed if view.builtin)
    renamed = import_presets.update_preset(user=user, preset_id=preset.id, name="Sparkasse")
    assert import_presets.get_preset(user=user, preset_id=preset.id).name == renamed.name == "Sparkasse"
    import_presets.delete_preset(user=user, preset_id=preset.id)
    with pytest.raises(NotFound):
        import_presets.get_preset(user=user, preset_id=preset.id)


def test_names_are_unique_per_user_ignoring_case(ctx, user, other_user):
    import_presets.create_preset(user=user, name="My bank", settings=SETTINGS)
    with pytest.raises(Conflict) as caught:
        import_presets.create_preset(user=user, name="MY BANK", settings=SETTINGS)
    assert caught.value.errors == {"name": ["You already have an import preset called \u201cMY BANK\u201d."]}
    import_presets.create_preset(user=other_user, name="My bank", settings=SETTINGS)  # another user's
    second = import_presets.create_preset(user=user, name="Other", settings=SETTINGS)
    with pytest.raises(Conflict):
        import_presets.update_preset(user=user, preset_id=second.id, name="my bank")


def test_bad_settings_and_names_are_refused(ctx, user):
    with pytest.raises(ValidationFailed) as caught:
        import_presets.create_preset(user=user, name="x", settings={**SETTINGS, "delimiter": "#"})
    assert list(caught.value.errors) == ["settings"] and "delimiter" in caught.value.errors["settings"][0]
    with pytest.raises(ValidationFailed) as caught:
        import_presets.create_preset(user=user, name="  ", settings=SETTINGS)
    assert list(caught.value.errors) == ["name"]
    with pytest.raises(ValidationFailed):
        import_presets.create_preset(user=user, name="x", settings="not a dict")


def test_another_users_preset_is_not_found(ctx, user, other_user):
    preset = import_presets.create_preset(user=user, name="Mine", settings=SETTINGS)
    for call in (
        lambda: import_presets.get_preset(user=other_user, preset_id=preset.id),
        lambda: import_presets.update_preset(user=other_user, preset_id=preset.id, name="x"),
        lambda: import_presets.delete_preset(user=other_user, preset_id=preset.id),
        lambda: imports.create_batch(user=other_user, data=SEMICOLONS, preset_id=preset.id),
    ):
        with pytest.raises(NotFound):
            call()


def test_a_file_with_the_presets_header_is_read_with_it(ctx, user):
    preset = import_presets.create_preset(user=user, name="Sparkasse", settings=SETTINGS, sample=SEMICOLONS)
    later = SEMICOLONS.replace(b"12.03.2026;-3,50", b"20.03.2026;-1.234,50")
    batch = imports.create_batch(user=user, data=later)
    assert (batch.preset_id, batch.preset_name, batch.source) == (preset.id, "Sparkasse", "preset:Sparkasse")
    assert batch.counts["new"] == 2
    rows = imports.list_rows(user=user, batch_id=batch.id).items
    assert str(rows[0].amount) == "1234.50"
    other = imports.create_batch(user=user, data=statement([("2026-03-12", "-3.50", "Coffee")]))
    assert other.preset_id is None


def test_this_apps_export_is_read_with_the_builtin_preset(ctx, user):
    header = b"date,description,category,payment_method,amount,currency,base_amount,base_currency,tags,notes\n"
    data = header + b"2026-03-12,Lunch,Food,cash,12.50,USD,12.50,USD,work,with Sam\n"
    batch = imports.create_batch(user=user, data=data)
    assert batch.builtin_preset == "expense_manager" and batch.source == "expense_manager"
    (row,) = imports.list_rows(user=user, batch_id=batch.id).items
    assert (row.status, row.category_name, row.category_source, row.payment_method, row.tags) == (
        "new",
        "Food",
        "file",
        "cash",
        ["work"],
    )
    assert read_statement(data).rows[0].amount < 0  # positive expenses in that export are money out


def test_a_preset_saved_from_a_staged_import_matches_its_header(ctx, user, other_user):
    batch = imports.create_batch(user=user, data=SEMICOLONS, settings=SETTINGS)
    with pytest.raises(NotFound):
        import_presets.create_preset(user=other_user, name="x", settings=batch.settings, batch_id=batch.id)
    preset = import_presets.create_preset(user=user, name="From upload", settings=batch.settings, batch_id=batch.id)
    assert imports.create_batch(user=user, data=SEMICOLONS).preset_id == preset.id
