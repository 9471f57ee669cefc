"""API documentation: a valid OpenAPI document, complete operations, offline docs pages."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from expense_app.ops.api_docs import TAGS

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json


def operations(spec):
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_spec_is_valid_openapi(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_every_schema_has_a_name_of_its_own(build_app, recwarn):
    # apispec renames a second schema of the same name (CurrencyTotal1) with only a warning:
    # a generated client would then get a type named after an accident.
    build_app()
    assert not [w for w in recwarn if "Multiple schemas resolved to the name" in str(w.message)]


def test_spec_info_comes_from_config(build_app):
    app = build_app(API_TITLE="Acme Expenses", API_VERSION="2.3.4", API_DESCRIPTION="Acme's expense API")
    info = app.test_client().get("/api/openapi.json").json["info"]
    assert info == {"title": "Acme Expenses", "version": "2.3.4", "description": "Acme's expense API"}


def test_tags_cover_every_area_with_descriptions(spec):
    tags = {tag["name"]: tag.get("description", "") for tag in spec["tags"]}
    names = [tag["name"] for tag in spec["tags"]]
    assert names[: len(TAGS)] == [name for name, _ in TAGS]
    assert len(names) == len(set(names)), "a tag is declared twice"
    assert all(tags[name].strip() for name in tags), "a tag has no description"
    used = {tag for _, _, operation in operations(spec) for tag in operation.get("tags", [])}
    assert used <= set(tags), f"operations use undeclared tags: {used - set(tags)}"


def test_bearer_scheme_is_declared(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_every_operation_is_documented(spec):
    problems = []
    for path, method, operation in operations(spec):
        where = f"{method.upper()} {path}"
        if not operation.get("summary", "").strip():
            problems.append(f"{where}: no summary")
        if not operation.get("description", "").strip():
            problems.append(f"{where}: no description")
        if not operation.get("tags"):
            problems.append(f"{where}: no tag")
        errors = [code for code in operation.get("responses", {}) if re.fullmatch(r"[45]\d\d", code)]
        if not errors:
            problems.append(f"{where}: no documented error response")
        if "security" not in operation:
            problems.append(f"{where}: security not declared (bearer, or [] when public)")
        elif operation["security"] and "401" not in operation["responses"]:
            problems.append(f"{where}: protected but 401 not documented")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None and "example" not in body and "examples" not in body:
            problems.append(f"{where}: request body without an example")
    assert not problems, "\n".join(problems)


def _call_without_token(client, path, method):
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    kwargs = {"json": {}} if method in ("post", "put", "patch") else {}
    return getattr(client, method)(concrete, **kwargs)


def test_declared_security_matches_behaviour(client, spec):
    """An operation that answers 401 without a token must declare bearer security, and vice versa."""
    problems = []
    for path, method, operation in operations(spec):
        declared = bool(operation.get("security"))
        response = _call_without_token(client, path, method)
        refused = response.status_code == 401 and response.headers.get("WWW-Authenticate") == "Bearer"
        if declared != refused:
            problems.append(f"{method.upper()} {path}: declares bearer={declared}, answered {response.status_code}")
    assert not problems, "\n".join(problems)


def test_swagger_ui_page_uses_local_assets_and_no_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attributes, body in scripts:
        if 'type="application/json"' in attributes:
            continue  # a data block; browsers never run it
        assert "src=" in attributes and not body.strip(), "inline script on the docs page"
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    assert '"persistAuthorization": true' in html
    for source in sources:
        assert client.get(source).status_code == 200, source


def test_redoc_page_uses_local_assets(client):
    response = client.get("/api/redoc")
    assert response.status_code == 200
    sources = re.findall(r'src="([^"]+)"', response.text)
    assert sources == ["/api/redoc/assets/redoc.standalone.js"]
    assert "<script>" not in response.text
    assert 'spec-url="/api/openapi.json"' in response.text
    bundle = client.get(sources[0])
    assert bundle.status_code == 200
    assert bundle.content_type.startswith("text/javascript")
    assert "cdn.redoc.ly" not in bundle.text  # its logo would be a third-party request and a CSP violation
    assert "Redoc" in bundle.text and len(bundle.data) > 500_000
    assert client.get(sources[0], headers={"If-None-Match": bundle.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize(
    ("short", "target"), [("/docs", "/api/docs"), ("/redoc", "/api/redoc"), ("/openapi.json", "/api/openapi.json")]
)
def test_short_docs_urls_redirect(client, short, target):
    response = client.get(short)
    assert response.status_code == 301
    assert response.headers["Location"] == target
