"""/metrics in production (issue 16): a token is required, or there is no route at all."""

from __future__ import annotations

from tests.ops.conftest import METRICS_SECRET


def test_production_metrics_need_the_token(build_app):
    client = build_app(production=True).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_SECRET}"})
    assert scraped.status_code == 200 and b"expense_app_info" in scraped.data


def test_metrics_enabled_false_registers_no_route(build_app):
    app = build_app(production=True, METRICS_ENABLED=False)
    assert "prometheus_metrics" not in app.view_functions
    assert "metrics" not in app.extensions
    client = app.test_client()
    https = {"base_url": "https://expenses.example.com"}
    assert client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_SECRET}"}, **https).status_code == 404
    assert client.get("/health").status_code == 200
