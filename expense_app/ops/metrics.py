"""Prometheus metrics at `/metrics`: request counts and latency by endpoint and status, app info.

Under gunicorn several worker processes serve requests, so each one writes its samples to files in
`PROMETHEUS_MULTIPROC_DIR` and `/metrics` (answered by any worker) adds them up
(`GunicornInternalPrometheusMetrics`; gunicorn.conf.py creates the directory and reports dead
workers). Without that variable (`flask run`, tests) one process keeps the samples in memory, in a
registry of its own per app so that building several apps never registers a metric twice.

Labels group by endpoint name, not path, so `/api/v1/expenses/1` and `/2` share one series.
When `METRICS_TOKEN` is set, `/metrics` requires `Authorization: Bearer <METRICS_TOKEN>`;
production refuses to start without one (`config.ProductionConfig.validate`) unless
`METRICS_ENABLED=false`, which registers no exporter and no route at all (404).
"""

from __future__ import annotations

import hmac
import os
from functools import wraps

from flask import Flask, Response, current_app, request
from prometheus_client import CollectorRegistry
from prometheus_flask_exporter import PrometheusMetrics
from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

from expense_app.extensions import limiter

METRICS_PATH = "/metrics"


def require_metrics_token(view):
    """Decorate the metrics view: 401 unless the bearer token matches `METRICS_TOKEN` (if set)."""

    @wraps(view)
    def guarded(*args, **kwargs):
        token = current_app.config.get("METRICS_TOKEN")
        if token:
            presented = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(presented, f"Bearer {token}".encode()):
                return Response("metrics require a bearer token\n", 401, {"WWW-Authenticate": "Bearer"})
        return view(*args, **kwargs)

    return guarded


def register_metrics(app: Flask) -> PrometheusMetrics | None:
    """Expose `/metrics` on `app` and return the exporter (also in `app.extensions["metrics"]`);
    None, and no route, with METRICS_ENABLED false."""
    if not app.config.get("METRICS_ENABLED", True):
        return None
    options = {
        "path": METRICS_PATH,
        "group_by": "endpoint",
        "metrics_decorator": require_metrics_token,
        "excluded_paths": ["^/static/"],
    }
    multiproc_dir = app.config.get("PROMETHEUS_MULTIPROC_DIR")
    if multiproc_dir:
        # gunicorn.conf.py creates it; a `flask` command run with the same environment may come first.
        os.makedirs(multiproc_dir, exist_ok=True)
        metrics = GunicornInternalPrometheusMetrics.for_app_factory(**options)
    else:
        metrics = PrometheusMetrics.for_app_factory(registry=CollectorRegistry(), **options)
    metrics.init_app(app)
    metrics.info(
        "expense_app_info",
        "Expense Manager build and environment",
        version=app.config["API_VERSION"],
        environment=app.config["ENV"],
    )
    if "prometheus_metrics" in app.view_functions:
        limiter.exempt(app.view_functions["prometheus_metrics"])
    app.extensions["metrics"] = metrics
    return metrics
