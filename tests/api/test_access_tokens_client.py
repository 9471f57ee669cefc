"""The generated client (openapi-python-client, from /api/openapi.json) creates a personal access
token after a login and works with it: a `read` token lists, and is refused a write with 403."""

from __future__ import annotations

import importlib

import httpx

from tests.api.test_generated_client import PACKAGE, generated  # noqa: F401 (the fixture)
from tests.conftest import PASSWORD


def test_generated_client_creates_a_token_and_uses_it(generated, app, user):  # noqa: F811
    _, client_package, _ = generated
    models = importlib.import_module(f"{PACKAGE}.models")
    from expense_api_client.api.access_tokens import create_access_token, list_access_tokens, revoke_access_token
    from expense_api_client.api.authentication import login
    from expense_api_client.api.categories import create_category, list_categories
    from expense_api_client.api.expenses import list_expenses

    transport = httpx.WSGITransport(app=app)
    anonymous = client_package.Client(base_url="http://localhost", httpx_args={"transport": transport})
    pair = login.sync(client=anonymous, body=models.Login(email=user.email, password=PASSWORD))
    signed_in = client_package.AuthenticatedClient(
        base_url="http://localhost", token=pair.access_token, httpx_args={"transport": transport}
    )
    created = create_access_token.sync_detailed(
        client=signed_in,
        body=models.AccessTokenCreate(
            name="Generated", scopes=[models.AccessTokenCreateScopesItem.READ], expires_in_days=7
        ),
    )
    assert created.status_code == 201, created.content
    assert isinstance(created.parsed, models.CreatedAccessToken)
    assert created.parsed.token.startswith("em_pat_") and [scope.value for scope in created.parsed.scopes] == ["read"]
    assert created.parsed.active is True and created.parsed.last_used_at is None

    script = client_package.AuthenticatedClient(
        base_url="http://localhost", token=created.parsed.token, httpx_args={"transport": transport}
    )
    page = list_expenses.sync(client=script)
    assert isinstance(page, models.ExpensePage) and page.total == 0
    assert {category.name for category in list_categories.sync(client=script)} >= {"Food"}
    refused = create_category.sync_detailed(client=script, body=models.CategoryCreate(name="Not allowed"))
    assert refused.status_code == 403 and isinstance(refused.parsed, models.ApiError)

    listed = list_access_tokens.sync(client=signed_in)
    assert [token.name for token in listed] == ["Generated"] and listed[0].last_used_at is not None
    assert revoke_access_token.sync_detailed(client=signed_in, token_id=listed[0].id).status_code == 204
    assert list_expenses.sync_detailed(client=script).status_code == 401
