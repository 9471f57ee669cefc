"""Deployment files agree with the code: variables, compose, Dockerfile, Procfile, gunicorn, Render."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from config import ConfigError, ProductionConfig, load_config, server_settings

ROOT = Path(__file__).resolve().parents[2]
SEED_VARIABLES = {
    "ENV", "DEBUG", "DATABASE_URL", "DATABASE_POOL_MIN", "DATABASE_POOL_MAX", "DATABASE_TIMEOUT",
    "SECRET_KEY", "ALGORITHM", "ACCESS_TOKEN_EXPIRE_MINUTES", "REFRESH_TOKEN_EXPIRE_DAYS",
    "API_TITLE", "API_VERSION", "API_DESCRIPTION", "ALLOWED_ORIGINS", "LOG_LEVEL", "SENTRY_DSN",
}  # fmt: skip
# Read by the shell scripts, not by config.py.
SCRIPT_VARIABLES = {"BACKUP_DIR", "SKIP_BACKUP", "SKIP_MIGRATIONS"}


def config_variables() -> set[str]:
    """Every environment variable config.py reads: the first argument of env.str/int/... calls."""
    tree = ast.parse((ROOT / "config.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"str", "int", "bool", "float", "choice", "get"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.args[0].value)
        ):
            names.add(node.args[0].value)
    return names


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def test_the_scan_finds_what_config_reads():
    found = config_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "WEB_CONCURRENCY", "RATELIMIT_STORAGE_URI", "LOG_FORMAT"} <= found
    assert len(found) >= 30


def test_seed_variables_are_read_by_the_config():
    assert config_variables() >= SEED_VARIABLES


def test_env_example_lists_every_variable_with_a_comment():
    example = env_example()
    missing = config_variables() - set(example)
    assert not missing, f".env.example lacks {sorted(missing)}"
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"#?\s*([A-Z][A-Z0-9_]+)=", line)
        if not match:
            continue
        block = []
        for above in reversed(lines[:index]):
            if not above.strip():
                break
            block.append(above)
        explanations = [text for text in block if text.startswith("#") and not re.match(r"#\s*[A-Z][A-Z0-9_]+=", text)]
        assert explanations, f"{match.group(1)} has no comment explaining it"


def test_env_example_values_are_valid_in_production():
    example = {name: value for name, value in env_example().items() if value}
    # Left empty in the example because each deployment must generate its own.
    example.update(ENV="production", SECRET_KEY="y" * 48, METRICS_TOKEN="z" * 32)
    config = load_config(example)
    assert isinstance(config, ProductionConfig)
    assert server_settings(example)["bind"] == "0.0.0.0:8000"


def test_deployment_guide_mentions_every_variable():
    guide = (ROOT / "DEPLOYMENT.md").read_text()
    missing = {name for name in config_variables() | SCRIPT_VARIABLES if f"`{name}`" not in guide}
    assert not missing, f"DEPLOYMENT.md does not document {sorted(missing)}"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"ALLOWED_ORIGINS": '["https://a.example"'}, "ALLOWED_ORIGINS"),
        ({"ALLOWED_ORIGINS": "*"}, "ALLOWED_ORIGINS"),
        ({"ALLOWED_ORIGINS": "app.example.com"}, "ALLOWED_ORIGINS"),
        ({"ALLOWED_ORIGINS": "https://app.example.com/path"}, "ALLOWED_ORIGINS"),
        ({"RATELIMIT_AUTH": "five a minute"}, "RATELIMIT_AUTH"),
        ({"RATELIMIT_DEFAULT": "lots"}, "RATELIMIT_DEFAULT"),
        ({"RATELIMIT_API": "plenty"}, "RATELIMIT_API"),
        ({"API_SERVER_URL": "expenses.example.com"}, "API_SERVER_URL"),
        ({"API_SERVER_URL": "https://"}, "API_SERVER_URL"),
        ({"RATELIMIT_STORAGE_URI": "localhost:6379"}, "RATELIMIT_STORAGE_URI"),
        ({"SENTRY_TRACES_SAMPLE_RATE": "2"}, "SENTRY_TRACES_SAMPLE_RATE"),
        ({"PROXY_HOPS": "-1"}, "PROXY_HOPS"),
        ({"TRUSTED_PROXIES": "10.0.0.0/8,nginx"}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXIES": "10.0.0.300"}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXIES": "10.0.0.1", "PROXY_HOPS": "1"}, "TRUSTED_PROXIES"),
        ({"METRICS_ENABLED": "sometimes"}, "METRICS_ENABLED"),
    ],
)
def test_new_settings_name_their_variable_when_wrong(environ, variable):
    with pytest.raises(ConfigError, match=variable):
        load_config(environ)


def test_production_refuses_debug():
    with pytest.raises(ConfigError, match="DEBUG"):
        load_config({"ENV": "production", "DEBUG": "true", "SECRET_KEY": "y" * 48, "DATABASE_URL": "postgresql://h/d"})


def test_rate_limit_storage_falls_back_to_redis_url():
    assert load_config({}).RATELIMIT_STORAGE_URI == "memory://"
    assert load_config({"REDIS_URL": "redis://r:6379/1"}).RATELIMIT_STORAGE_URI == "redis://r:6379/1"
    both = {"REDIS_URL": "redis://r:6379/1", "RATELIMIT_STORAGE_URI": "redis://other:6379/2"}
    assert load_config(both).RATELIMIT_STORAGE_URI == "redis://other:6379/2"


def test_origins_and_hosts_are_parsed():
    config = load_config({"ALLOWED_ORIGINS": "https://a.example, http://localhost:3000/", "ALLOWED_HOSTS": "a.example"})
    assert config.ALLOWED_ORIGINS == ["https://a.example", "http://localhost:3000"]
    assert config.TRUSTED_HOSTS == ["a.example"]


def test_server_settings():
    settings = server_settings({"PORT": "5001", "WEB_CONCURRENCY": "4", "GUNICORN_TIMEOUT": "60"})
    assert settings == {"bind": "0.0.0.0:5001", "workers": 4, "timeout": 60, "forwarded_allow_ips": "127.0.0.1,::1"}
    for bad, name in (
        ({"PORT": "http"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY"),
    ):
        with pytest.raises(ConfigError, match=name):
            server_settings(bad)


def _gunicorn_conf(**env) -> subprocess.CompletedProcess:
    code = "import runpy, json; c = runpy.run_path('gunicorn.conf.py'); print(json.dumps({k: c[k] for k in ('bind', 'workers', 'timeout', 'forwarded_allow_ips')}), callable(c['child_exit']), callable(c['on_starting']))"
    environment = {key: value for key, value in os.environ.items() if key not in {"PORT", "WEB_CONCURRENCY"}}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )


def test_gunicorn_conf_reads_the_environment(tmp_path):
    result = _gunicorn_conf(PORT="5555", WEB_CONCURRENCY="3", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert '"bind": "0.0.0.0:5555"' in result.stdout
    assert '"workers": 3' in result.stdout
    assert result.stdout.strip().endswith("True True")
    refused = _gunicorn_conf(WEB_CONCURRENCY="many", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert refused.returncode != 0
    assert "Configuration error: WEB_CONCURRENCY must be a whole number" in refused.stderr


def test_procfile_migrates_in_release_and_serves_with_gunicorn():
    processes = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert re.fullmatch(r"\s*flask( --app wsgi)? db upgrade && flask( --app wsgi)? rates load", processes["release"])
    # Heroku's router is always in front: one proxy hop unless the app's config says otherwise.
    assert processes["web"].split()[:3] == ["PROXY_HOPS=${PROXY_HOPS:-1}", "gunicorn", "wsgi:app"]


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


APP_SERVICES = ("app", "app2")


def test_compose_services_are_health_checked_and_ordered(compose):
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"].startswith("redis:7")
    assert services["pgbouncer"]["image"].startswith("edoburu/pgbouncer")
    for name in ("db", "redis", "pgbouncer", *APP_SERVICES):
        assert services[name]["healthcheck"]["test"], name
    for name in APP_SERVICES:
        assert services[name]["depends_on"] == {
            "pgbouncer": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
    assert services["pgbouncer"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert "deploy_migrations.sh" in " ".join(services["migrate"]["command"])
    volume = services["db"]["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_compose_scales_out_through_pgbouncer_in_transaction_mode(compose):
    services = compose["services"]
    bouncer = services["pgbouncer"]["environment"]
    assert bouncer["POOL_MODE"] == "transaction"
    assert bouncer["DB_HOST"] == "db"
    # Both instances: the same settings (one SECRET_KEY, one Redis), through PgBouncer, own ports.
    environments = [services[name]["environment"] for name in APP_SERVICES]
    assert environments[0] == environments[1]
    assert "@pgbouncer:5432/" in environments[0]["DATABASE_URL"]
    assert environments[0]["RATELIMIT_STORAGE_URI"].startswith("redis://redis:")
    assert len({services[name]["ports"][0].split(":")[-1] for name in APP_SERVICES}) == 1  # both serve :8000
    assert len({services[name]["ports"][0] for name in APP_SERVICES}) == 2  # published apart
    # Migrations (and the backup before them) go straight to PostgreSQL.
    assert "@db:5432/" in services["migrate"]["environment"]["DATABASE_URL"]


def test_compose_trusts_no_forwarded_header_and_requires_a_metrics_token(compose):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        # gunicorn is published directly: no header a client writes may pick its address.
        assert environment["PROXY_HOPS"] == "0"
        assert environment["TRUSTED_PROXIES"] == "${TRUSTED_PROXIES:-}"
        assert environment["METRICS_TOKEN"].startswith("${METRICS_TOKEN:?")


def test_compose_passes_only_variables_the_app_reads(compose):
    known = config_variables() | SCRIPT_VARIABLES
    for name in (*APP_SERVICES, "migrate"):
        passed = set(compose["services"][name]["environment"])
        assert passed - known == set(), f"{name} passes variables nothing reads: {passed - known}"
    assert {"SECRET_KEY", "DATABASE_URL", "RATELIMIT_STORAGE_URI"} <= set(compose["services"]["app"]["environment"])


def test_render_blueprint_passes_only_known_variables():
    render = yaml.safe_load((ROOT / "render.yaml").read_text())
    web = next(service for service in render["services"] if service["type"] == "web")
    keys = {item["key"] for item in web["envVars"]}
    assert keys - config_variables() == {"PYTHON_VERSION"}
    assert web["startCommand"].startswith("gunicorn wsgi:app")
    variables = {item["key"]: item for item in web["envVars"]}
    # Render's proxy is always in front; production needs a METRICS_TOKEN, Render generates it.
    assert variables["PROXY_HOPS"]["value"] == "1"
    assert variables["METRICS_TOKEN"].get("generateValue") is True
    assert "deploy_migrations.sh" in web["preDeployCommand"]


def test_dockerfile_is_multi_stage_non_root_with_stdlib_healthcheck():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.M)
    assert [image.split(":")[0] for image, _ in stages] == ["node", "python", "python"]
    assert stages[-1][0] == "python:3.11-slim"
    assert "npm ci" in dockerfile and "vendor_assets.py" in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1] not in {"root", "0"}
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (.+)$", dockerfile, re.M | re.S).group(1)
    assert "urllib.request" in healthcheck and "requests" not in healthcheck.replace("urllib.request", "")
    assert "/health" in healthcheck
    assert re.search(r'^CMD \["gunicorn", "wsgi:app"\]', dockerfile, re.M)


def test_dockerignore_keeps_secrets_and_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".git", ".venv", "node_modules", "instance/"} <= ignored


@pytest.mark.parametrize(
    "script", ["scripts/start_production.sh", "scripts/deploy_migrations.sh", "scripts/pgbouncer.sh", ".ci/smoke"]
)
def test_shell_scripts_are_executable_strict_and_parse(script):
    path = ROOT / script
    assert os.access(path, os.X_OK)
    text = path.read_text()
    assert "set -euo pipefail" in text
    assert subprocess.run([shutil.which("bash"), "-n", str(path)], capture_output=True).returncode == 0


def test_deploy_migrations_backs_up_before_upgrading():
    text = (ROOT / "scripts/deploy_migrations.sh").read_text()
    assert text.index("pg_dump") < text.index("db upgrade")
    start = (ROOT / "scripts/start_production.sh").read_text()
    assert start.index("deploy_migrations.sh") < start.index("exec gunicorn")
