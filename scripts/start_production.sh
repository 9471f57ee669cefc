#!/usr/bin/env bash
# Start Expense Manager in production: apply the migrations, then hand the process to gunicorn.
# gunicorn.conf.py reads PORT, WEB_CONCURRENCY, GUNICORN_TIMEOUT and FORWARDED_ALLOW_IPS.
# Use this where no platform runs a release step (a VM, a single container); on Heroku/Render the
# release step migrates and the web process runs gunicorn directly.
set -euo pipefail
cd "$(dirname "$0")/.."

export ENV="${ENV:-production}"
export DEBUG="${DEBUG:-false}"

if [[ "${SKIP_MIGRATIONS:-false}" != "true" ]]; then
  scripts/deploy_migrations.sh
fi

exec gunicorn wsgi:app
