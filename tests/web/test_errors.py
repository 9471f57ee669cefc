"""Errors: JSON under /api for every status, the HTML error page everywhere else."""

import pytest

from expense_app.errors import NotFound


def test_unknown_page_is_html_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "Not Found" in response.text
    assert "<nav" in response.text  # the site layout


def test_unknown_api_route_is_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json == {"code": 404, "status": "Not Found", "message": "Not Found"}


def test_wrong_method_keeps_allow_header(client):
    response = client.get("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.is_json
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_a_json_error(client):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422)
    assert response.is_json
    assert response.json["code"] == response.status_code


@pytest.fixture
def crashing_app(app_factory):
    app = app_factory()

    @app.get("/api/v1/boom")
    def api_boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/boom")
    def web_boom():
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/api/v1/missing")
    def api_missing():
        raise NotFound("Expense not found.")

    return app


def test_crash_is_500_without_internals(crashing_app):
    client = crashing_app.test_client()
    api = client.get("/api/v1/boom")
    assert api.status_code == 500
    assert api.json == {"code": 500, "status": "Internal Server Error", "message": "Internal Server Error"}
    web = client.get("/boom")
    assert web.status_code == 500
    assert "text/html" in web.content_type
    assert "hunter2" not in web.text and "Traceback" not in web.text


def test_service_error_maps_to_its_status(crashing_app):
    response = crashing_app.test_client().get("/api/v1/missing")
    assert response.status_code == 404
    assert response.json["message"] == "Expense not found."
