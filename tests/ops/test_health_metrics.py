"""Monitoring: liveness, database readiness, outages as 503 JSON, Prometheus metrics, Sentry."""

from __future__ import annotations

import re
import socket
from datetime import datetime

import pytest
import sentry_sdk
import sqlalchemy as sa

from expense_app.extensions import db

UNREACHABLE_PG = "postgresql+psycopg2://nobody@127.0.0.1:{port}/nothing"


def test_health_is_liveness_only(client):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "healthy"
    assert body["version"] == "1.0.0"
    assert datetime.fromisoformat(body["timestamp"]).tzinfo is not None


def test_health_db_reports_connected_and_current(client):
    response = client.get("/health/db")
    assert response.status_code == 200
    assert response.json == {"status": "healthy", "database": "connected", "migrations": "current"}


def test_health_db_503_when_migrations_are_behind(app, client):
    with app.app_context():
        with db.engine.begin() as connection:
            (revision,) = connection.execute(sa.text("SELECT version_num FROM alembic_version")).one()
            connection.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
        try:
            response = client.get("/health/db")
        finally:
            with db.engine.begin() as connection:
                connection.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    assert response.status_code == 503
    assert response.json == {"status": "unhealthy", "database": "connected", "migrations": "pending"}


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app_without_database(build_app, closed_port):
    return build_app(
        SQLALCHEMY_DATABASE_URI=UNREACHABLE_PG.format(port=closed_port),
        SQLALCHEMY_ENGINE_OPTIONS={"hide_parameters": True, "connect_args": {"connect_timeout": 2}},
    )


def test_database_down_gives_503_json_without_details(app_without_database, closed_port):
    client = app_without_database.test_client()
    health = client.get("/health/db")
    assert health.status_code == 503
    assert health.json == {"status": "unhealthy", "database": "unreachable", "migrations": "unknown"}

    api = client.post("/api/v1/auth/login", json={"email": "a@example.com", "password": "whatever password"})
    assert api.status_code == 503
    assert api.content_type == "application/json"
    assert api.json["code"] == 503
    assert api.headers["Retry-After"]
    page = client.post("/login", data={"email": "a@example.com", "password": "whatever password"})
    assert page.status_code == 503
    assert page.content_type.startswith("text/html")
    for response in (health, api, page):
        text = response.get_data(as_text=True)
        assert "Traceback" not in text
        assert str(closed_port) not in text
        assert "psycopg2" not in text and "Connection refused" not in text

    assert client.get("/health").status_code == 200  # liveness does not depend on the database


def test_metrics_are_prometheus_text_by_endpoint_and_status(client):
    client.get("/health")
    client.get("/api/v1/users/me")
    client.get("/api/v1/users/me")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.text
    count = r'flask_http_request_duration_seconds_count\{endpoint="Users\.Me",method="GET",status="401"\} 2\.0'
    assert re.search(count, text)
    assert re.search(r'flask_http_request_duration_seconds_bucket\{endpoint="Users\.Me",le="0\.005"', text)
    assert 'endpoint="health.health"' in text
    assert "/api/v1/users/me" not in text  # grouped by endpoint, not by path
    assert re.search(r'expense_app_info\{environment="testing",version="1\.0\.0"\} 1\.0', text)


def test_metrics_token_protects_the_endpoint(build_app):
    client = build_app(METRICS_TOKEN="scrape-me-please").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"})
    assert allowed.status_code == 200
    assert "flask_http_request_duration_seconds" in allowed.text


def test_multiprocess_metrics_add_up_across_workers(build_app, tmp_path, monkeypatch):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn), samples written by other workers are included."""
    from prometheus_client import Counter, values

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: 4242))
    other_worker = Counter("other_worker_jobs", "written by another process", registry=None)
    other_worker.inc(3)
    app = build_app(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    assert isinstance(app.extensions["metrics"], GunicornInternalPrometheusMetrics)
    text = app.test_client().get("/metrics").text
    assert "other_worker_jobs_total 3.0" in text
    assert list(tmp_path.iterdir()), "no sample files were written"


def test_sentry_is_off_without_dsn(app):
    assert app.config["SENTRY_DSN"] is None
    assert not sentry_sdk.get_client().is_active()


def test_sentry_with_dsn_has_flask_sqlalchemy_and_no_pii(build_app, monkeypatch):
    captured = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: captured.update(options))
    build_app(SENTRY_DSN="https://key@sentry.invalid/1", SENTRY_TRACES_SAMPLE_RATE=0.25)
    assert captured["dsn"] == "https://key@sentry.invalid/1"
    assert captured["send_default_pii"] is False
    assert captured["traces_sample_rate"] == 0.25
    assert captured["environment"] == "testing"
    names = {type(integration).__name__ for integration in captured["integrations"]}
    assert names == {"FlaskIntegration", "SqlalchemyIntegration"}
