"""Vendored front-end assets: a missing file is a 404 (JSON under /api), and start-up names it."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from expense_app.ops import assets

ROOT = Path(__file__).resolve().parents[2]


def test_missing_redoc_bundle_is_a_json_404(app, tmp_path):
    app.static_folder = str(tmp_path)  # a clone where `make install` never ran
    response = app.test_client().get("/api/redoc/assets/redoc.standalone.js")
    assert response.status_code == 404
    assert response.json == {"code": 404, "status": "Not Found", "message": "Not Found"}


def test_missing_swagger_asset_is_a_json_404(client):
    response = client.get("/api/docs/assets/not-there.js")
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_start_up_warns_once_naming_missing_files_and_the_install_command(build_app, log_output, monkeypatch):
    monkeypatch.setattr(assets, "VENDOR_FILES", (*assets.VENDOR_FILES, "redoc/not-installed.js"))
    app = build_app()
    log_output.attach()
    assets.warn_missing_assets(app)
    lines = [line for line in log_output().splitlines() if "front-end assets missing" in line]
    assert len(lines) == 1
    assert "WARNING" in lines[0]
    assert "static/vendor/redoc/not-installed.js" in lines[0]
    assert "make install" in lines[0] and "scripts/vendor_assets.py" in lines[0]


def test_create_app_runs_the_check(build_app, monkeypatch):
    seen = []
    monkeypatch.setattr(assets, "missing_assets", lambda app: seen.append(app) or [])
    app = build_app()
    assert seen == [app]


def test_every_missing_vendor_file_is_listed(app, tmp_path):
    app.static_folder = str(tmp_path)
    assert assets.missing_assets(app) == [f"static/vendor/{name}" for name in assets.VENDOR_FILES]


@pytest.mark.parametrize("name", assets.SWAGGER_UI_FILES)
def test_swagger_ui_files_come_from_the_wheel(client, name):
    assert client.get(f"/api/docs/assets/{name}").status_code == 200


def test_checked_files_are_the_ones_the_install_script_copies():
    copied = set(runpy.run_path(str(ROOT / "scripts" / "vendor_assets.py"))["FILES"])
    assert set(assets.VENDOR_FILES) == copied - {"axe/axe.min.js"}  # axe is for the accessibility tests only
