"""Import presets over the API: create, read, rename, change, delete; the built-ins listed after the
user's; a preset with a sample header chosen automatically for a matching upload; isolation and
bad input."""

from __future__ import annotations

import pytest

from tests.api.test_imports import samples_dir, upload, upload_sample

SPARKASSE = "csv-de_sparkasse-camtcsv_latin1.csv"


@pytest.fixture
def sparkasse_settings(client, api_headers) -> dict:
    """The settings detection found for the Sparkasse sample (then forgotten: the batch stays staged)."""
    response = upload_sample(client, api_headers, SPARKASSE)
    assert response.status_code == 201, response.json
    return response.json["settings"]


def create(client, headers, **body):
    return client.post("/api/v1/import-presets", json=body, headers=headers)


def test_presets_crud_and_the_builtins(client, api_headers, sparkasse_settings):
    listed = client.get("/api/v1/import-presets", headers=api_headers)
    assert listed.status_code == 200
    builtins = listed.json
    assert builtins and all(item["builtin"] and item["id"] is None and item["key"] for item in builtins)
    assert {item["key"] for item in builtins} >= {"expense_manager"}

    created = create(client, api_headers, name="Sparkasse Giro", settings=sparkasse_settings)
    assert created.status_code == 201, created.json
    preset = created.json
    assert created.headers["Location"].endswith(f"/api/v1/import-presets/{preset['id']}")
    assert preset["builtin"] is False and preset["key"] is None and preset["name"] == "Sparkasse Giro"
    assert preset["settings"]["delimiter"] == ";" and preset["created_at"]

    assert client.get(f"/api/v1/import-presets/{preset['id']}", headers=api_headers).json == preset
    listed = client.get("/api/v1/import-presets", headers=api_headers).json
    assert listed[0] == preset and listed[1:] == builtins  # yours first, then the built-ins

    renamed = client.patch(f"/api/v1/import-presets/{preset['id']}", json={"name": "Giro"}, headers=api_headers)
    assert renamed.status_code == 200 and renamed.json["name"] == "Giro"
    assert renamed.json["settings"] == preset["settings"]
    changed = client.patch(
        f"/api/v1/import-presets/{preset['id']}",
        json={"settings": {**sparkasse_settings, "skip_rows": 0, "default_currency": "EUR"}},
        headers=api_headers,
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["settings"]["default_currency"] == "EUR" and changed.json["name"] == "Giro"

    deleted = client.delete(f"/api/v1/import-presets/{preset['id']}", headers=api_headers)
    assert deleted.status_code == 204
    assert client.get(f"/api/v1/import-presets/{preset['id']}", headers=api_headers).status_code == 404
    assert client.get("/api/v1/import-presets", headers=api_headers).json == builtins


def test_a_preset_with_a_sample_header_is_chosen_for_a_matching_upload(client, api_headers, sparkasse_settings):
    data = (samples_dir() / SPARKASSE).read_bytes()
    header = data.decode("cp1252").splitlines()[0]  # umlauts in the header: encoded back as the settings say
    preset = create(client, api_headers, name="Sparkasse Giro", settings=sparkasse_settings, sample=header).json
    batch = upload(client, api_headers, "again.csv", data)
    assert batch.status_code == 201, batch.json
    assert batch.json["preset_id"] == preset["id"] and batch.json["preset_name"] == "Sparkasse Giro"
    other = upload_sample(client, api_headers, "csv-uk_lloyds-debit_credit.csv").json
    assert other["preset_id"] is None


def test_a_preset_saved_from_a_staged_import_is_chosen_for_the_same_header(client, api_headers, other_headers):
    staged = upload_sample(client, api_headers, SPARKASSE).json
    body = {"name": "Sparkasse Giro", "settings": staged["settings"], "batch_id": staged["id"]}
    assert create(client, other_headers, **body).status_code == 404  # not their import
    preset = create(client, api_headers, **body)
    assert preset.status_code == 201, preset.json
    again = upload_sample(client, api_headers, SPARKASSE).json
    assert again["preset_id"] == preset.json["id"]
    assert [
        item for item in client.get("/api/v1/import-presets", headers=other_headers).json if not item["builtin"]
    ] == []


def test_an_upload_can_name_a_preset(client, api_headers, sparkasse_settings):
    preset = create(client, api_headers, name="Sparkasse Giro", settings=sparkasse_settings).json
    batch = upload_sample(client, api_headers, SPARKASSE, preset_id=str(preset["id"]))
    assert batch.status_code == 201, batch.json
    assert batch.json["preset_id"] == preset["id"]
    assert batch.json["settings"]["delimiter"] == ";"


def test_names_are_unique_per_user_ignoring_case(client, api_headers, other_headers, sparkasse_settings):
    assert create(client, api_headers, name="Giro", settings=sparkasse_settings).status_code == 201
    taken = create(client, api_headers, name="giro", settings=sparkasse_settings)
    assert taken.status_code == 409 and taken.json["message"]
    # another user may use the same name
    assert create(client, other_headers, name="Giro", settings=sparkasse_settings).status_code == 201
    second = create(client, api_headers, name="Giro 2", settings=sparkasse_settings).json
    clash = client.patch(f"/api/v1/import-presets/{second['id']}", json={"name": "GIRO"}, headers=api_headers)
    assert clash.status_code == 409
    assert client.get(f"/api/v1/import-presets/{second['id']}", headers=api_headers).json["name"] == "Giro 2"


@pytest.mark.parametrize(
    "body",
    [
        {"settings": {}},
        {"name": "Giro"},
        {"name": "", "settings": {}},
        {"name": "x" * 101, "settings": {}},
        {"name": "Giro", "settings": "delimiter=;"},
        {"name": "Giro", "settings": {"delimiter": ";", "decimal": "x"}},
        {"name": "Giro", "settings": {"encoding": "no-such-codec"}},
        {"name": "Giro", "settings": {}, "surprise": 1},
        {"name": 5, "settings": {}},
    ],
)
def test_bad_presets_are_422_and_store_nothing(client, api_headers, body):
    response = create(client, api_headers, **body)
    assert response.status_code == 422, response.json
    assert response.json["errors"]
    assert all(item["builtin"] for item in client.get("/api/v1/import-presets", headers=api_headers).json)


def test_another_users_preset_is_404_and_untouched(client, api_headers, other_headers, sparkasse_settings):
    preset = create(client, api_headers, name="Giro", settings=sparkasse_settings).json
    path = f"/api/v1/import-presets/{preset['id']}"
    assert client.get(path, headers=other_headers).status_code == 404
    assert client.patch(path, json={"name": "Mine"}, headers=other_headers).status_code == 404
    assert client.delete(path, headers=other_headers).status_code == 404
    refused = upload_sample(client, other_headers, SPARKASSE, preset_id=str(preset["id"]))
    assert refused.status_code in (404, 422) and refused.status_code != 500
    assert client.get(path, headers=api_headers).json == preset
    assert not [
        item for item in client.get("/api/v1/import-presets", headers=other_headers).json if not item["builtin"]
    ]
    assert client.get("/api/v1/import-presets/999999", headers=api_headers).status_code == 404
