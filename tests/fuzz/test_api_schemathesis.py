"""API fuzzing: schemathesis generates requests from the app's own OpenAPI document.

Every operation of /api/openapi.json is called in-process (WSGI, no server) with positive data
(valid by the schema) and negative data (violating it), from the document's examples, from its
boundaries (coverage phase) and at random (fuzzing phase), with a fixed seed and a bounded number
of examples so a run takes the same time and finds the same things every time. Every response
must be a non-5xx answer that conforms to the documented status codes, content types, headers
and response schema.

Authentication: one user's access token for ordinary operations. Operations that would end that
user's session get credentials of their own per request, so they are fuzzed too:
- `POST /auth/refresh` gets a fresh refresh token of the main user (each rotation kills it);
- `POST /auth/logout`, `DELETE /users/me` and `POST /users/me/password` get a fresh access token
  of a throwaway user.
Operations that take an object id are sent, in positive mode, the id of a fresh object of the
main user, so updates and deletes reach real objects instead of stopping at 404.
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PASSWORD, bearer, make_app
from tests.security.matrix import KINDS

SEED = 20261126
# Per operation, for the fuzzing phase (examples and coverage add their own, bounded by the schema).
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
REFRESH = ("POST", "/api/v1/auth/refresh")
SESSION_ENDERS = {
    ("POST", "/api/v1/auth/logout"),
    ("DELETE", "/api/v1/users/me"),
    ("POST", "/api/v1/users/me/password"),
}
PUBLIC = {("POST", "/api/v1/auth/register"), ("POST", "/api/v1/auth/login")}
# Path parameter -> the kind of object (tests/security/matrix.py) a positive case should point at.
ID_PARAMETERS = {f"{kind}_id": kind for kind in ("category", "expense", "budget", "recurring", "rule")}
ID_PARAMETERS["run_id"] = "rule run"
# Import API: a staged batch (the state most operations take) and a preset of the user's.
ID_PARAMETERS["batch_id"] = "staged import batch"
ID_PARAMETERS["preset_id"] = "import preset"
# Personal access tokens (issue 16): revoke a live token of the user's.
ID_PARAMETERS["token_id"] = "access token"


class Credentials:
    """Tokens for the fuzzed requests (see the module docstring)."""

    def __init__(self, app, user):
        self.app, self.user = app, user
        self.client = app.test_client()
        self.access = self._login(user.email)["access_token"]
        self._numbers = itertools.count(1)

    def _login(self, email: str) -> dict:
        response = self.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.json
        return response.json

    def _throwaway_access(self) -> str:
        email = f"throwaway{next(self._numbers)}@example.com"
        created = self.client.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert created.status_code == 201, created.json
        return self._login(email)["access_token"]

    def headers_for(self, case) -> dict:
        key = (case.method.upper(), case.operation.path)
        if key in PUBLIC:
            return {}
        if key == REFRESH:
            return bearer(self._login(self.user.email)["refresh_token"])
        if key in SESSION_ENDERS:
            return bearer(self._throwaway_access())
        return bearer(self.access)

    def point_at_real_objects(self, case) -> None:
        """In positive mode, replace generated ids by ids of fresh objects of the main user."""
        if not case.path_parameters or "positive" not in str(case.meta.generation.mode).lower():
            return
        with self.app.app_context():
            for name in list(case.path_parameters):
                kind = ID_PARAMETERS.get(name)
                if kind is not None:
                    case.path_parameters[name] = KINDS[kind].create(self.user)


@pytest.fixture
def credentials(app, make_user):
    return Credentials(app, make_user(email="fuzz@example.com"))


def _schema():
    """The API's OpenAPI document, read from an app that is never otherwise used.

    Each test calls its own app (on the migrated test database) through `app=`; the document is
    the same for every app, and loading it at import makes one pytest test per operation.
    """
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", make_app("sqlite://"), config=config)


schema = _schema()


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case, app, credentials):
    # The testing config disables rate limits, so the fuzzer's requests are not throttled.
    credentials.point_at_real_objects(case)
    case.call_and_validate(app=app, headers=credentials.headers_for(case), checks=CHECKS)
