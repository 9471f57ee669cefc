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
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    # Two kinds of bearer credential (issue 16): not only JWTs, so no `bearerFormat: JWT`.
    assert "bearerFormat" not in scheme
    assert "JWT access token" in scheme["description"] and "em_pat_" in scheme["description"]


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


# What generated clients need (issue 13) ----------------------------------------------------------

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
SUCCESS = re.compile(r"2\d\d")
# Their answers are credentials (a new personal access token too): no Idempotency-Key.
CREDENTIAL_POSTS = {"/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/tokens"}


def resolve(spec, node):
    while isinstance(node, dict) and "$ref" in node:
        section, name = node["$ref"].split("/")[-2:]
        node = spec["components"][section][name]
    return node


def referenced_schemas(spec, node, found=None) -> set[str]:
    """Names of the component schemas `node` uses, transitively."""
    found = set() if found is None else found
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                referenced_schemas(spec, spec["components"]["schemas"][name], found)
        for value in node.values():
            referenced_schemas(spec, value, found)
    elif isinstance(node, list):
        for value in node:
            referenced_schemas(spec, value, found)
    return found


def test_every_operation_has_a_unique_snake_case_operation_id(spec):
    ids = [operation.get("operationId") for _, _, operation in operations(spec)]
    assert all(ids), [f"{m.upper()} {p}" for p, m, o in operations(spec) if not o.get("operationId")]
    assert [i for i in ids if not SNAKE_CASE.fullmatch(i)] == []
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert {"list_expenses", "create_expense", "get_analytics_summary", "login", "refresh_token"} <= set(ids)


def test_response_schemas_require_every_field_they_always_send(spec):
    """A dump-only field is always written, so a success response's schemas require all of theirs."""
    used = set()
    for _, _, operation in operations(spec):
        for code, response in operation["responses"].items():
            if SUCCESS.fullmatch(code):
                used |= referenced_schemas(spec, resolve(spec, response))
    assert {"Expense", "ExpensePage", "User", "TokenPair", "Summary", "CategoryRef"} <= used
    problems = {}
    for name in sorted(used):
        schema = spec["components"]["schemas"][name]
        missing = set(schema.get("properties", {})) - set(schema.get("required", []))
        if missing:
            problems[name] = sorted(missing)
    assert problems == {}, "response fields not listed as required (make them dump_only)"
    expense = spec["components"]["schemas"]["Expense"]["properties"]
    assert expense["base_amount"]["nullable"] is True  # required, and may be null


def test_request_schemas_require_only_what_the_client_must_send(spec):
    schemas = spec["components"]["schemas"]
    assert schemas["ExpenseCreate"]["required"] == ["amount", "category_id", "date"]
    assert "required" not in schemas["ExpenseUpdate"]
    assert sorted(schemas["Login"]["required"]) == ["email", "password"]


# Errors whose body is the error model plus fields of its own: the login's 401 carries the
# two-factor challenge (`mfa_required`, `mfa_token`) when the password was right (issue 16).
EXTENDED_ERROR_MODELS = {("post", "/api/v1/auth/login", "401"): "LoginRefused"}


def test_one_error_model_everywhere(spec, client):
    assert "Error" not in spec["components"]["schemas"]
    problems = []
    for path, method, operation in operations(spec):
        for code, response in operation["responses"].items():
            if SUCCESS.fullmatch(code):
                continue
            if code == "304":  # Not Modified (a conditional GET): no body at all, so no error model
                if resolve(spec, response).get("content"):
                    problems.append(f"{method.upper()} {path} 304 has a body")
                continue
            content = resolve(spec, response).get("content", {}).get("application/json", {})
            expected = EXTENDED_ERROR_MODELS.get((method, path, code), "ApiError")
            if content.get("schema") != {"$ref": f"#/components/schemas/{expected}"}:
                problems.append(f"{method.upper()} {path} {code}")
    assert problems == []
    for name in set(EXTENDED_ERROR_MODELS.values()):  # the error model plus fields of their own
        extended = spec["components"]["schemas"][name]
        assert set(spec["components"]["schemas"]["ApiError"]["properties"]) < set(extended["properties"])
        assert sorted(extended["required"]) == ["code", "message", "status"]
    assert sorted(spec["components"]["schemas"]["ApiError"]["required"]) == ["code", "message", "status"]
    for response in (
        client.get("/api/v1/nowhere"),
        client.get("/api/v1/users/me"),
        client.post("/api/v1/auth/login", json={"email": 1}),
        client.delete("/api/v1/auth/login"),
    ):
        assert set(response.json) - {"errors"} == {"code", "status", "message"}, response.json
        assert response.json["code"] == response.status_code


def test_429_with_retry_after_is_documented_on_every_operation(spec):
    for path, method, operation in operations(spec):
        response = resolve(spec, operation["responses"].get("429"))
        assert response, f"{method.upper()} {path}: no 429"
        headers = response["headers"]
        assert headers["Retry-After"]["required"] is True
        assert headers["Retry-After"]["schema"]["minimum"] == 1
        assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(headers)


def test_servers_entry_comes_from_config(spec, build_app):
    assert spec["servers"] == [{"url": "/", "description": "This server"}]
    app = build_app(API_SERVER_URL="https://expenses.example.com")
    assert app.test_client().get("/api/openapi.json").json["servers"][0]["url"] == "https://expenses.example.com"


def enums(node):
    if isinstance(node, dict):
        if "enum" in node:
            yield node
        for value in node.values():
            yield from enums(value)
    elif isinstance(node, list):
        for value in node:
            yield from enums(value)


def test_string_enums_get_readable_member_names(spec):
    """openapi-python-client names a member after its value when it starts with a letter, else VALUE_<n>."""
    problems = []
    for node in enums(spec):
        values = [value for value in node["enum"] if value is not None]
        if all(isinstance(v, str) and v[:1].isalpha() and re.fullmatch(r"\w+", v) for v in values):
            continue
        names = node.get("x-enum-varnames", [])
        if (
            len(names) != len(values)
            or len(set(names)) != len(names)
            or not all(SNAKE_CASE.fullmatch(n.lower()) for n in names)
        ):
            problems.append(values)
    assert problems == []
    sort = next(p for p in spec["paths"]["/api/v1/expenses"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["x-enum-varnames"][:2] == ["DATE_DESC", "DATE"]


def test_idempotency_key_is_declared_on_every_authenticated_post(spec):
    for path, method, operation in operations(spec):
        names = [resolve(spec, parameter)["name"] for parameter in operation.get("parameters", [])]
        expected = method == "post" and path not in CREDENTIAL_POSTS
        assert ("Idempotency-Key" in names) == expected, f"{method.upper()} {path}"
        if expected:
            assert {"409", "422"} <= set(operation["responses"]), f"{method.upper()} {path}"
