"""Application configuration, read from the environment when the app is created.

`load_config()` picks Development, Testing or Production by `ENV` (default `development`) and
returns an instance whose upper-case attributes Flask copies into `app.config`. Values are read
in `__init__`, not at import, so a test or a CLI run can change the environment first.

Production refuses weak or missing settings with a `ConfigError` whose message names the variable;
`expense_app.create_app` turns it into one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent

# The value shipped in .env.example; production must never run with it.
PLACEHOLDER_SECRET_KEY = "replace-me-with-64-random-characters-from-secrets-token-urlsafe"  # noqa: S105 (a known-bad value we refuse)
MIN_SECRET_KEY_LENGTH = 32

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("text", "json")

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


def parse_origins(name: str, value: str | None) -> list[str]:
    """Parse browser origins (`https://app.example.com`), refusing `*`, paths and missing schemes."""
    origins = parse_list(name, value)
    for origin in origins:
        if origin == "*":
            raise ConfigError(f"{name} must list origins explicitly; '*' is not accepted")
        scheme, sep, rest = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not rest.rstrip("/") or "/" in rest.rstrip("/"):
            raise ConfigError(
                f"{name} entry {origin!r} is not an origin; use scheme://host[:port] such as https://app.example.com"
            )
    return [origin.rstrip("/") for origin in origins]


def parse_server_url(name: str, value: str) -> str:
    """A URL for the OpenAPI `servers` entry: a path (`/`) or an http(s) URL with a host."""
    if value.startswith("/") and not value.startswith("//"):
        return value
    scheme, sep, rest = value.partition("://")
    if scheme in ("http", "https") and sep and rest and not rest.startswith("/") and " " not in value:
        return value.rstrip("/") or value
    raise ConfigError(f"{name} must be a path such as / or a URL such as https://expenses.example.com, got {value!r}")


def parse_networks(name: str, value: str | None) -> list[str]:
    """Parse proxy addresses or networks (`10.0.0.1`, `10.0.0.0/8`, `::1`), refusing anything else.

    Returned as strings (the normalised network, `10.0.0.1/32` for one address) so that the
    config stays plain data; `expense_app.ops.security_headers` builds the `ipaddress` objects.
    """
    networks = []
    for entry in parse_list(name, value):
        try:
            networks.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError:
            raise ConfigError(
                f"{name} entry {entry!r} is not an IP address or network; use e.g. 10.0.0.5, 10.0.0.0/8 or ::1"
            ) from None
    return networks


def parse_rate_limit(name: str, value: str) -> str:
    """Return `value` when it is a valid flask-limiter rate string (`5/minute;50/hour`)."""
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name} is not a rate limit such as '5/minute' or '300/minute;5000/hour', got {value!r}"
        ) from None
    return value


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

    def float(self, name: str, default: float, minimum: float, maximum: float) -> float:
        raw = self.str(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if not minimum <= value <= maximum:
            raise ConfigError(f"{name} must be between {minimum} and {maximum}, got {value}")
        return value

    def choice(self, name: str, default: str, choices: tuple[str, ...], upper: bool = False) -> str:
        raw = self.str(name, default) or default
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
        return value


class Config:
    """Settings shared by every environment."""

    ENV_NAME = "development"
    DEFAULT_DEBUG = False

    def __init__(self, environ: Mapping[str, str] | None = None):
        env = _Env(os.environ if environ is None else environ)
        self.ENV = self.ENV_NAME
        self.DEBUG = env.bool("DEBUG", self.DEFAULT_DEBUG)
        self.SECRET_KEY = env.str("SECRET_KEY", self.default_secret_key())
        self.LOG_LEVEL = env.choice("LOG_LEVEL", "INFO", LOG_LEVELS, upper=True)
        self.LOG_FORMAT = env.choice("LOG_FORMAT", "text", LOG_FORMATS)
        self.SENTRY_DSN = env.str("SENTRY_DSN")
        self.SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", 0.0, minimum=0.0, maximum=1.0)

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
        # The OpenAPI `servers` entry: the public origin (https://expenses.example.com) when set,
        # else "/" (the server the document was fetched from); generated clients read it.
        self.API_SERVER_URL = parse_server_url("API_SERVER_URL", env.str("API_SERVER_URL", "/"))
        # Docs UIs are served from installed packages (no CDN): Swagger UI from the
        # flask-swagger-ui wheel, ReDoc from static/vendor (npm); see expense_app.ops.api_docs.
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/docs/assets/"
        self.OPENAPI_SWAGGER_UI_CONFIG = {"persistAuthorization": True}
        self.OPENAPI_REDOC_PATH = "redoc"
        self.OPENAPI_REDOC_URL = "/api/redoc/assets/redoc.standalone.js"
        self.ALLOWED_ORIGINS = parse_origins("ALLOWED_ORIGINS", env.str("ALLOWED_ORIGINS"))
        self.ALLOWED_HOSTS = parse_list("ALLOWED_HOSTS", env.str("ALLOWED_HOSTS"))
        self.TRUSTED_HOSTS = self.ALLOWED_HOSTS or None
        # Proxies in front of the app that append to X-Forwarded-For/-Proto (Heroku's router,
        # Render, nginx: 1). 0 by default: gunicorn facing clients directly must not believe a
        # header any client can write (issue 16); the Procfile and render.yaml set 1.
        self.PROXY_HOPS = env.int("PROXY_HOPS", 0, minimum=0)

        self.RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", True)
        self.RATELIMIT_STORAGE_URI = self.ratelimit_storage_uri(env)
        self.RATELIMIT_DEFAULT = parse_rate_limit("RATELIMIT_DEFAULT", env.str("RATELIMIT_DEFAULT", "300/minute"))
        self.RATELIMIT_AUTH = parse_rate_limit("RATELIMIT_AUTH", env.str("RATELIMIT_AUTH", "5/minute"))
        # The authenticated API's budget, per user across every /api/v1 operation except sign-in
        # (which has RATELIMIT_AUTH); see expense_app.ops.rate_limits.
        self.RATELIMIT_API = parse_rate_limit("RATELIMIT_API", env.str("RATELIMIT_API", "600/minute"))
        self.RATELIMIT_HEADERS_ENABLED = True
        # If Redis is unreachable, keep limiting per process instead of failing every request.
        self.RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
        self.MAX_CONTENT_LENGTH = env.int("MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024)
        # Statement imports (issue 15): the largest file and the most rows one upload may hold.
        # The upload routes raise the request limit to IMPORT_MAX_BYTES for themselves only.
        self.IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
        self.IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", 100_000, minimum=1)

        # Static files are cached for a year: their URLs carry a content hash (expense_app.web.assets),
        # and a static URL without one is answered with no-cache instead.
        self.SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
        # flask-compress for static text only. HTML and API JSON stay uncompressed: pages carry
        # CSRF tokens and token responses carry JWTs, next to reflected input (BREACH). Not for
        # speed: a 20-item list (6.4 KB) costs 0.03 ms with gzip, 0.1 ms with brotli to compress.
        self.COMPRESS_MIMETYPES = ["text/css", "text/javascript", "application/javascript", "image/svg+xml"]

        # /metrics: off entirely with METRICS_ENABLED=false (no route); else guarded by METRICS_TOKEN
        # when set, which production requires (issue 16: an open /metrics leaks traffic figures).
        self.METRICS_ENABLED = env.bool("METRICS_ENABLED", True)
        self.METRICS_TOKEN = env.str("METRICS_TOKEN")

        # Account security (issue 16); see SECURITY.md.
        # The key the TOTP secrets are encrypted with; derived from SECRET_KEY when unset (then
        # rotating SECRET_KEY turns every user's two-factor sign-in off: set a dedicated key).
        self.ENCRYPTION_KEY = env.str("ENCRYPTION_KEY")
        # The key used before the current ENCRYPTION_KEY: still decrypts, never encrypts (rotation).
        self.ENCRYPTION_KEY_PREVIOUS = env.str("ENCRYPTION_KEY_PREVIOUS")
        # Proxies whose X-Forwarded-For is believed: addresses or networks (`10.0.0.0/8`). A client
        # that connects from anywhere else is counted by its own address, whatever it sends.
        self.TRUSTED_PROXIES = parse_networks("TRUSTED_PROXIES", env.str("TRUSTED_PROXIES"))
        if self.TRUSTED_PROXIES and self.PROXY_HOPS:
            # Two rules for one header would leave it unclear which one decides who the client is.
            raise ConfigError(
                "Set PROXY_HOPS or TRUSTED_PROXIES, not both (TRUSTED_PROXIES replaces PROXY_HOPS; set PROXY_HOPS=0)"
            )
        # Failed sign-ins per account (any address, both faces, the 2FA step and password checks).
        self.ACCOUNT_LOCKOUT = parse_rate_limit("ACCOUNT_LOCKOUT", env.str("ACCOUNT_LOCKOUT", "10/15 minutes"))
        self.ACCOUNT_LOCKOUT_ENABLED = env.bool("ACCOUNT_LOCKOUT_ENABLED", True)
        self.MFA_CHALLENGE_MINUTES = env.int("MFA_CHALLENGE_MINUTES", 5, minimum=1)
        # How recent a password or 2FA check must be to create an access token.
        self.FRESH_LOGIN_MINUTES = env.int("FRESH_LOGIN_MINUTES", 15, minimum=1)
        self.PASSWORD_RESET_MINUTES = env.int("PASSWORD_RESET_MINUTES", 30, minimum=1)
        self.RATELIMIT_PASSWORD_RESET = parse_rate_limit(
            "RATELIMIT_PASSWORD_RESET", env.str("RATELIMIT_PASSWORD_RESET", "3/hour")
        )
        # Outgoing mail (flask-mailman) for password resets; the forgot-password page exists only
        # when MAIL_SERVER is set.
        self.MAIL_SERVER = env.str("MAIL_SERVER")
        self.MAIL_PORT = env.int("MAIL_PORT", 587, minimum=1)
        self.MAIL_USERNAME = env.str("MAIL_USERNAME")
        self.MAIL_PASSWORD = env.str("MAIL_PASSWORD")
        self.MAIL_USE_TLS = env.bool("MAIL_USE_TLS", True)
        self.MAIL_USE_SSL = env.bool("MAIL_USE_SSL", False)
        self.MAIL_TIMEOUT = env.int("MAIL_TIMEOUT", 10, minimum=1)
        self.MAIL_DEFAULT_SENDER = env.str("MAIL_DEFAULT_SENDER", "Expense Manager <no-reply@localhost>")
        # The public origin put in emailed links (https://expenses.example.com); the request's
        # own host when unset.
        self.PUBLIC_URL = env.str("PUBLIC_URL")
        # Set (by gunicorn.conf.py) when several worker processes share one metrics directory.
        self.PROMETHEUS_MULTIPROC_DIR = env.str("PROMETHEUS_MULTIPROC_DIR")

        self.WTF_CSRF_ENABLED = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_DURATION = timedelta(days=30)
        self.FORCE_HTTPS = False
        self.PASSWORD_HASHER = dict(ARGON2_DEFAULT)

    def ratelimit_storage_uri(self, env: _Env) -> str:
        """Where rate-limit counters live: RATELIMIT_STORAGE_URI, else REDIS_URL, else `memory://`.

        `REDIS_URL` is what Heroku's and Render's Redis add-ons set. Memory counters are per worker
        process and reset on restart; the app logs a warning when production runs with them.
        """
        uri = env.str("RATELIMIT_STORAGE_URI") or env.str("REDIS_URL") or "memory://"
        if "://" not in uri:
            raise ConfigError(
                f"RATELIMIT_STORAGE_URI must be a URI such as redis://host:6379/0 or memory://, got {uri!r}"
            )
        return uri

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
            # No pool_pre_ping: its SELECT 1 cost a round trip on every checkout. A dead pooled
            # connection is found by the transaction's first statement, which expense_app.ops.reconnect
            # retries once on a new connection.
            options.update(
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
        if self.DEBUG:
            raise ConfigError("DEBUG must be false in production (the debugger runs code from the browser)")
        key = self.SECRET_KEY
        if not key:
            raise ConfigError(
                "SECRET_KEY is required in production; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if key == PLACEHOLDER_SECRET_KEY:
            raise ConfigError("SECRET_KEY is still the .env.example placeholder; generate a new one")
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters (got {len(key)})")
        if self.METRICS_ENABLED and not self.METRICS_TOKEN:
            raise ConfigError(
                "METRICS_TOKEN is required in production (or set METRICS_ENABLED=false to serve no /metrics); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )


def server_settings(environ: Mapping[str, str] | None = None) -> dict:
    """gunicorn's settings from the environment (read by gunicorn.conf.py): bind, workers, timeouts."""
    env = _Env(os.environ if environ is None else environ)
    port = env.int("PORT", 8000, minimum=1)
    if port > 65535:
        raise ConfigError(f"PORT must be at most 65535, got {port}")
    return {
        "bind": f"0.0.0.0:{port}",
        "workers": env.int("WEB_CONCURRENCY", 2, minimum=1),
        "timeout": env.int("GUNICORN_TIMEOUT", 30, minimum=1),
        "forwarded_allow_ips": env.str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
    }


CONFIGS = {cls.ENV_NAME: cls for cls in (DevelopmentConfig, TestingConfig, ProductionConfig)}


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Return the config instance for `ENV` (development, testing or production)."""
    environ = os.environ if environ is None else environ
    name = (environ.get("ENV") or "development").strip().lower()
    if name not in CONFIGS:
        raise ConfigError(f"ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    return CONFIGS[name](environ)
