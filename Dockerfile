# syntax=docker/dockerfile:1
# Expense Manager: a multi-stage image. `node` installs the pinned front-end packages from npm,
# `assets` copies the files the app serves into static/vendor/ (scripts/vendor_assets.py), and
# `runtime` is the Python image, run by a non-root user, with neither Node nor node_modules.
#   docker build -t expense-manager .
#   docker run -p 8000:8000 -e SECRET_KEY=... -e DATABASE_URL=... expense-manager

FROM node:20-bookworm-slim AS node
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error

FROM python:3.11-slim AS assets
WORKDIR /build
COPY --from=node /build/node_modules ./node_modules
COPY scripts/vendor_assets.py scripts/
RUN mkdir -p static && python scripts/vendor_assets.py

FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENV=production \
    PORT=8000 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
WORKDIR /app

# pg_dump for scripts/deploy_migrations.sh backups. Debian's point releases replace package
# versions, so pinning one would break future builds; the base image tag pins the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt ./
RUN pip install -r requirements.txt \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin app
COPY --chown=10001:10001 . .
COPY --from=assets --chown=10001:10001 /build/static/vendor ./static/vendor
USER 10001

EXPOSE 8000
# Liveness only (no database): python's urllib, as the image has no curl. /health is never
# redirected to HTTPS and is not rate limited.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)"]

# gunicorn.conf.py reads PORT, WEB_CONCURRENCY, GUNICORN_TIMEOUT, FORWARDED_ALLOW_IPS.
# Migrations run once per deploy (the compose `migrate` service or the platform's release step),
# not in every replica.
CMD ["gunicorn", "wsgi:app"]
