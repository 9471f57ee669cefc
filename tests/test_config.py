"""Configuration: environment parsing, URL rewriting, pools, and production's refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import (
    PLACEHOLDER_SECRET_KEY,
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    load_config,
    normalize_database_url,
    parse_list,
)

ROOT = Path(__file__).resolve().parent.parent
GOOD_SECRET = "x" * 40
PG_URL = "postgresql://u:p@db:5432/expenses"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@h:5432/d", "postgresql+psycopg2://u:p@h:5432/d"),
        ("postgresql://u:p@h/d", "postgresql+psycopg2://u:p@h/d"),
        ("postgresql+psycopg2://u@h/d", "postgresql+psycopg2://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_rewrite(given, expected):
    assert normalize_database_url(given) == expected


def test_allowed_origins_json_or_comma_separated():
    assert parse_list("ALLOWED_ORIGINS", '["https://a.example", "https://b.example"]') == [
        "https://a.example",
        "https://b.example",
    ]
    assert parse_list("ALLOWED_ORIGINS", "https://a.example, https://b.example") == [
        "https://a.example",
        "https://b.example",
    ]
    assert parse_list("ALLOWED_ORIGINS", "") == []
    with pytest.raises(ConfigError, match="ALLOWED_ORIGINS is not valid JSON"):
        parse_list("ALLOWED_ORIGINS", '["https://a.example"')


def test_development_defaults_to_sqlite_in_instance():
    config = load_config({})
    assert isinstance(config, DevelopmentConfig)
    assert f"sqlite:///{ROOT / 'instance' / 'expenses.db'}" == config.SQLALCHEMY_DATABASE_URI
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 30 * 60
    assert config.JWT_REFRESH_TOKEN_EXPIRES.days == 7


def test_token_lifetimes_and_pool_from_environment():
    config = load_config(
        {
            "DATABASE_URL": PG_URL,
            "DATABASE_POOL_MIN": "3",
            "DATABASE_POOL_MAX": "12",
            "DATABASE_TIMEOUT": "7",
            "ACCESS_TOKEN_EXPIRE_MINUTES": "5",
            "REFRESH_TOKEN_EXPIRE_DAYS": "2",
        }
    )
    options = config.SQLALCHEMY_ENGINE_OPTIONS
    assert options["pool_size"] == 3
    assert options["max_overflow"] == 9
    assert options["pool_timeout"] == 7
    # No pre-ping round trip per checkout: expense_app.ops.reconnect retries a first statement instead.
    assert "pool_pre_ping" not in options
    assert options["connect_args"] == {"connect_timeout": 7}
    assert config.JWT_ACCESS_TOKEN_EXPIRES.total_seconds() == 300
    assert config.JWT_REFRESH_TOKEN_EXPIRES.days == 2


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"DATABASE_POOL_MIN": "many"}, "DATABASE_POOL_MIN"),
        ({"ACCESS_TOKEN_EXPIRE_MINUTES": "0"}, "ACCESS_TOKEN_EXPIRE_MINUTES"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"ALGORITHM": "none"}, "ALGORITHM"),
        ({"ENV": "staging"}, "ENV"),
    ],
)
def test_bad_values_name_their_variable(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config({"DATABASE_URL": PG_URL, **environ})


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"DATABASE_URL": PG_URL}, "SECRET_KEY"),
        ({"DATABASE_URL": PG_URL, "SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DATABASE_URL": PG_URL, "SECRET_KEY": PLACEHOLDER_SECRET_KEY}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD_SECRET}, "DATABASE_URL"),
        ({"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": PG_URL}, "METRICS_TOKEN"),
        ({"SECRET_KEY": GOOD_SECRET, "DATABASE_URL": PG_URL, "METRICS_ENABLED": "true"}, "METRICS_TOKEN"),
    ],
)
def test_production_refuses_weak_or_missing_settings(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config({"ENV": "production", **environ})


def test_production_without_a_metrics_token_says_how_to_make_one_or_turn_metrics_off():
    with pytest.raises(ConfigError) as refused:
        load_config({"ENV": "production", "SECRET_KEY": GOOD_SECRET, "DATABASE_URL": PG_URL})
    assert "METRICS_TOKEN" in str(refused.value)
    assert "secrets.token_urlsafe" in str(refused.value) and "METRICS_ENABLED=false" in str(refused.value)
    off = load_config(
        {"ENV": "production", "SECRET_KEY": GOOD_SECRET, "DATABASE_URL": PG_URL, "METRICS_ENABLED": "false"}
    )
    assert off.METRICS_ENABLED is False and off.METRICS_TOKEN is None


def test_trusted_proxies_are_normalised_networks():
    config = load_config({"TRUSTED_PROXIES": "10.0.0.5, 172.16.0.0/12,::1"})
    assert config.TRUSTED_PROXIES == ["10.0.0.5/32", "172.16.0.0/12", "::1/128"]
    assert load_config({}).TRUSTED_PROXIES == [] and load_config({}).PROXY_HOPS == 0


def test_production_with_good_settings():
    config = load_config(
        {
            "ENV": "production",
            "SECRET_KEY": GOOD_SECRET,
            "DATABASE_URL": "postgres://u:p@h/d",
            "METRICS_TOKEN": "m" * 32,
        }
    )
    assert isinstance(config, ProductionConfig)
    assert config.SESSION_COOKIE_SECURE is True
    assert config.DEBUG is False
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg2://u:p@h/d"


def _flask(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DATABASE_URL", "ENV", "FLASK_APP"}}
    environment.update(env)
    flask = str(Path(sys.executable).with_name("flask"))
    return subprocess.run([flask, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_production_start_fails_with_one_line_naming_the_variable():
    result = _flask("db", "upgrade", ENV="production", SECRET_KEY="short", DATABASE_URL=PG_URL)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == ["Configuration error: SECRET_KEY must be at least 32 characters (got 5)"]
    assert "Traceback" not in result.stdout + result.stderr


def test_flask_command_finds_the_app_without_flask_app(tmp_path):
    result = _flask("routes", DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 0, result.stderr
    assert "/api/v1/auth/login" in result.stdout
