"""Application configuration, read from the environment when the app is created.

`load_config()` picks Development, Testing or Production by `ENV` (default `development`) and
returns an instance whose upper-case attributes Flask copies into `app.config`. Values are read
in `__init__`, not at import, so a test or a CLI run can change the environment first.

Production refuses weak or missing settings with a `ConfigError` whose message names the variable;
`expense_app.create_app` turns it into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# The value shipped in .env.example; production must never run with it.
PLACEHOLDER_SECRET_KEY = "replace-me-with-64-random-characters-from-secrets-token-urlsafe"  # noqa: S105 (a known-bad value we refuse)
MIN_SECRET_KEY_LENGTH = 32

# argon2id parameters. The default is RFC 9106's low-memory profile (t=3, m=64 MiB, p=4), above
# OWASP's minimum (m=19 MiB, t=2, p=1); tests use a cheap profile so the suite stays fast.
ARGON2_DEFAULT = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
ARGON2_CHEAP = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the variable."""


def normalize_database_url(url: str) -> str:
    """Return `url` with `postgres://`/`postgresql://` rewritten to the psycopg2 driver.

    Heroku hands out `postgres://`, which SQLAlchemy rejects, and SQLAlchemy 2.1 maps a bare
    `postgresql://` to psycopg 3, which is not installed.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def parse_list(name: str, value: str | None) -> list[str]:
    """Parse a JSON list (`["a", "b"]`) or a comma-separated string into a list of strings."""
    if value is None or not value.strip():
        return []
    text = value.strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{name} is not valid JSON ({exc.msg}); use a JSON list or a comma-separated list"
            ) from None
        if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
            raise ConfigError(f"{name} must be a JSON list of strings")
        return [item.strip() for item in parsed if item.strip()]
    return [item.strip() for item in text.split(",") if item.strip()]


class _Env:
    """Typed access to an environment mapping; every error names the variable."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return default if value is None or value == "" else value

    def int(self, name: str, default: int, minimum: int = 0) -> int:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.str(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "development"
    DEFAULT_DEBUG = False

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = _Env(os.environ if environ is None else environ)
        self.ENV = self.ENV_NAME
        self.DEBUG = env.bool("DEBUG", self.DEFAULT_DEBUG)
        self.SECRET_KEY = env.str("SECRET_KEY", self.default_secret_key())
        self.LOG_LEVEL = (env.str("LOG_LEVEL", "INFO") or "INFO").upper()
        self.LOG_FORMAT = env.str("LOG_FORMAT", "text")
        self.SENTRY_DSN = env.str("SENTRY_DSN")

        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(self.database_url(env))
        self.SQLALCHEMY_ENGINE_OPTIONS = self.engine_options(env)
        self.SQLALCHEMY_TRACK_MODIFICATIONS = False

        self.ACCESS_TOKEN_EXPIRE_MINUTES = env.int("ACCESS_TOKEN_EXPIRE_MINUTES", 30, minimum=1)
        self.REFRESH_TOKEN_EXPIRE_DAYS = env.int("REFRESH_TOKEN_EXPIRE_DAYS", 7, minimum=1)
        algorithm = env.str("ALGORITHM", "HS256")
        if algorithm != "HS256":
            raise ConfigError(
                f"ALGORITHM must be HS256 (the only algorithm this app signs or accepts), got {algorithm!r}"
            )
        self.JWT_ALGORITHM = algorithm
        self.JWT_DECODE_ALGORITHMS = ["HS256"]
        self.JWT_TOKEN_LOCATION = ["headers"]
        self.JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=self.ACCESS_TOKEN_EXPIRE_MINUTES)
        self.JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=self.REFRESH_TOKEN_EXPIRE_DAYS)
        self.JWT_ERROR_MESSAGE_KEY = "message"

        self.API_TITLE = env.str("API_TITLE", "Expense Management API")
        self.API_VERSION = env.str("API_VERSION", "1.0.0")
        self.API_DESCRIPTION = env.str("API_DESCRIPTION", "Track and analyze personal expenses")
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.ALLOWED_ORIGINS = parse_list("ALLOWED_ORIGINS", env.str("ALLOWED_ORIGINS"))
        self.ALLOWED_HOSTS = parse_list("ALLOWED_HOSTS", env.str("ALLOWED_HOSTS"))
        self.TRUSTED_HOSTS = self.ALLOWED_HOSTS or None

        self.RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = env.str("RATELIMIT_STORAGE_URI", "memory://")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.MAX_CONTENT_LENGTH = env.int("MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024)

        self.WTF_CSRF_ENABLED = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)
        self.FORCE_HTTPS = False
        self.PASSWORD_HASHER = dict(ARGON2_DEFAULT)

    def default_secret_key(self) -> str | None:
        """A development-only key; production overrides this to require one."""
        return "dev-only-secret-key-not-for-production-use-0123456789"

    def database_url(self, env: _Env) -> str:
        """The database URL; development falls back to SQLite in `instance/`."""
        default = f"sqlite:///{BASE_DIR / 'instance' / 'expenses.db'}"
        return env.str("DATABASE_URL", default)

    def engine_options(self, env: _Env) -> dict:
        """Engine options; the pool variables apply to PostgreSQL only (SQLite has no server pool)."""
        options: dict = {"hide_parameters": True}
        if self.SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
            pool_min = env.int("DATABASE_POOL_MIN", 2, minimum=1)
            pool_max = env.int("DATABASE_POOL_MAX", 10, minimum=1)
            if pool_max < pool_min:
                raise ConfigError(f"DATABASE_POOL_MAX ({pool_max}) must not be below DATABASE_POOL_MIN ({pool_min})")
            timeout = env.int("DATABASE_TIMEOUT", 30, minimum=1)
            options.update(
                pool_pre_ping=True,
                pool_size=pool_min,
                max_overflow=pool_max - pool_min,
                pool_timeout=timeout,
                connect_args={"connect_timeout": timeout},
            )
        return options


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEFAULT_DEBUG = True


class TestingConfig(Config):
    ENV_NAME = "testing"

    def __init__(self, environ: Mapping[str, str] | None = None):
        super().__init__(environ)
        self.TESTING = True
        self.RATELIMIT_ENABLED = False
        self.PASSWORD_HASHER = dict(ARGON2_CHEAP)

    def database_url(self, env: _Env) -> str:
        return env.str("TEST_DATABASE_URL", "sqlite://")


class ProductionConfig(Config):
    ENV_NAME = "production"

    def __init__(self, environ: Mapping[str, str] | None = None):
        super().__init__(environ)
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.FORCE_HTTPS = True
        self.validate()

    def default_secret_key(self) -> str | None:
        return None

    def database_url(self, env: _Env) -> str:
        url = env.str("DATABASE_URL")
        if url is None:
            raise ConfigError("DATABASE_URL is required in production (e.g. postgresql://user:pass@host:5432/db)")
        return url

    def validate(self) -> None:
        """Raise ConfigError naming the first missing or weak setting."""
        key = self.SECRET_KEY
        if not key:
            raise ConfigError(
                "SECRET_KEY is required in production; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if key == PLACEHOLDER_SECRET_KEY:
            raise ConfigError("SECRET_KEY is still the .env.example placeholder; generate a new one")
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters (got {len(key)})")


CONFIGS = {cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig)}


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Return the config instance for `ENV` (development, testing or production)."""
    environ = os.environ if environ is None else environ
    name = (environ.get("ENV") or "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigError(f"ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    return CONFIGS[name](environ)
