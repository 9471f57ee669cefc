"""Shared fixtures: a migrated database per run, a fresh app per test, users and logins.

The suite runs on SQLite by default and on PostgreSQL when `TEST_DATABASE_URL` is set. The schema
is built once per run by the real migrations (so they are tested too); after each test every table
is emptied, which keeps tests independent without tying them to one connection, so the same
fixtures serve tests that run a real server or several connections at once.
"""

from __future__ import annotations

import os
import re

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestingConfig, normalize_database_url
from expense_app import create_app
from expense_app.extensions import db
from expense_app.services import accounts
from tests import factories
from tests.requirements import require_postgres

PASSWORD = "correct horse battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalize_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_app(database_url: str, **overrides):
    """A testing app on `database_url` with `overrides` applied to its config."""
    config = TestingConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    config.WTF_CSRF_ENABLED = False
    # Applied before create_app: extensions (the limiter, talisman) read their settings at init.
    for key, value in overrides.items():
        setattr(config, key, value)
    return create_app(config)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The test database, reset and migrated to head once per run."""
    url = _database_url(tmp_path_factory)
    app = make_app(url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        db.engine.dispose()
    return url


def _empty_all_tables(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def pytest_collection_modifyitems(items):
    """Everything under tests/faults/ exercises PostgreSQL behaviour: mark it `postgres`."""
    for item in items:
        if "/tests/faults/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(autouse=True)
def _postgres_only(request):
    """Tests marked `postgres` need the suite's database to be PostgreSQL.

    Without it they skip with one line on a newcomer's machine and fail under CI=true; CI's SQLite
    pass deselects them (`-m "not postgres"`) and its PostgreSQL pass runs them.
    """
    if request.node.get_closest_marker("postgres"):
        require_postgres(request.getfixturevalue("database_url"))


@pytest.fixture
def app_factory(database_url):
    """Build extra apps on the test database (e.g. with CSRF or rate limits on)."""
    apps = []

    def build(**overrides):
        app = make_app(database_url, **overrides)
        apps.append(app)
        return app

    yield build
    for app in apps:
        _empty_all_tables(app)


@pytest.fixture
def app(app_factory):
    return app_factory()


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (no HTTP)."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a user through the service and return it (detached, with its id loaded)."""
    counter = iter(range(1, 10_000))

    def create(email: str | None = None, password: str = PASSWORD, **fields):
        email = email or f"user{next(counter)}@example.com"
        with app.app_context():
            user = accounts.register_user(email=email, password=password, **fields)
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return create


@pytest.fixture
def user(make_user):
    return make_user(email="alex@example.com", full_name="Alex")


@pytest.fixture
def make_full_user(app, make_user):
    """`make_full_user(email=None, history=False)`: a user owning at least one row of every table.

    The rows are made through the services (`tests.factories.build_full_user`); the tables are read
    from the metadata, so a table nobody taught the factories about fails here, by name. With
    `history`, the user also has two years of expenses in several currencies (a few hundred rows).
    """

    def build(email: str | None = None, *, history: bool = False) -> factories.FullUser:
        user = make_user(email=email)
        with app.app_context():
            full = factories.build_full_user(user, history=history)
            missing = factories.missing_tables(user.id)
        if missing:
            pytest.fail(
                f"the full user owns no row of table(s) {', '.join(missing)}: these tables belong to users "
                "(a user_id column or a foreign key to such a table) but tests/factories.py:build_full_user "
                "does not create them; teach it to, through the service that writes them.",
                pytrace=False,
            )
        return full

    return build


@pytest.fixture
def full_user(make_full_user) -> factories.FullUser:
    """A user with at least one row of every table a user can own."""
    return make_full_user("full@example.com")


@pytest.fixture
def other_full_user(make_full_user) -> factories.FullUser:
    """A second full user, whose rows must survive whatever happens to the first one's."""
    return make_full_user("other.full@example.com")


@pytest.fixture
def full_user_with_history(make_full_user) -> factories.FullUser:
    """A full user with two years of expenses in five currencies (about 250 more rows)."""
    return make_full_user("history@example.com", history=True)


def web_sign_in(client, user, password: str = PASSWORD, remember: bool = False):
    """Sign `client` in on the login page; a user with two-factor sign-in completes the second step
    with one of its spare recovery codes (`factories.enable_two_factor`). Returns the last answer."""
    response = client.post(
        "/login", data={"email": user.email, "password": password, "remember": "y" if remember else ""}
    )
    if response.status_code == 302 and response.location.startswith("/login/two-factor"):
        response = client.post(response.location, data={"recovery_code": factories.spare_recovery_code(user.id)})
    return response


def api_sign_in(client, user, password: str = PASSWORD):
    """`POST /api/v1/auth/login`, then `POST /api/v1/auth/mfa` with a spare recovery code for a user
    with two-factor sign-in. Returns the last answer."""
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": password})
    if response.status_code == 401 and response.json.get("mfa_required"):
        code = factories.spare_recovery_code(user.id)
        response = client.post(
            "/api/v1/auth/mfa", json={"mfa_token": response.json["mfa_token"], "recovery_code": code}
        )
    return response


@pytest.fixture
def login(client):
    """Log the test client in through the login page: `login(user)`."""

    def do_login(user, password: str = PASSWORD, remember: bool = False):
        response = web_sign_in(client, user, password, remember)
        assert response.status_code == 302, response.text
        return response

    return do_login


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api_login(client):
    """Log in through the API and return the token pair."""

    def do_login(user, password: str = PASSWORD) -> dict:
        response = api_sign_in(client, user, password)
        assert response.status_code == 200, response.json
        return response.json

    return do_login


@pytest.fixture
def api_headers(api_login, user) -> dict:
    """Authorization headers with an access token of `user`."""
    return bearer(api_login(user)["access_token"])


def csrf_token_from(html: str) -> str:
    """The CSRF token in a rendered form."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the page"
    return match.group(1)


def count_rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def pytest_terminal_summary(terminalreporter):
    """Print how many tests each suite (first folder under tests/) passed, failed or skipped."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            path = getattr(report, "nodeid", "").split("::")[0]
            parts = path.split("/")
            suite = parts[1] if len(parts) > 2 and parts[0] == "tests" else "(top level)"
            counts.setdefault(suite, {}).setdefault(outcome, 0)
            counts[suite][outcome] += 1
    if not counts:
        return
    terminalreporter.write_sep("-", "tests per suite")
    for suite in sorted(counts):
        figures = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts[suite].items()))
        terminalreporter.write_line(f"{suite:<14} {figures}")
