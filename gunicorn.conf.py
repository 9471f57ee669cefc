"""gunicorn settings, read from the environment (gunicorn loads ./gunicorn.conf.py by itself).

`config.server_settings()` parses PORT, WEB_CONCURRENCY, GUNICORN_TIMEOUT and FORWARDED_ALLOW_IPS,
so a bad value stops the start with a message naming the variable, as the app's own settings do.

Metrics: every worker writes its Prometheus samples into PROMETHEUS_MULTIPROC_DIR (created empty
here, before any worker imports prometheus_client) and `/metrics` adds them up; `child_exit`
drops the files of a worker that died.

Access log: the app writes one access line per request itself (with the request id and user id,
text or JSON), so gunicorn's own access log is off unless `--access-logfile -` is given; its
format below then adds the request id and the duration in milliseconds.
"""

import os
import shutil
import sys
import tempfile

from config import ConfigError, server_settings

try:
    _settings = server_settings()
except ConfigError as error:
    sys.exit(f"Configuration error: {error}")

bind = _settings["bind"]
workers = _settings["workers"]
timeout = _settings["timeout"]
graceful_timeout = _settings["timeout"]
keepalive = 5
forwarded_allow_ips = _settings["forwarded_allow_ips"]
# Refuse oversized request lines and headers early (the app limits bodies: MAX_CONTENT_LENGTH).
limit_request_line = 8190
limit_request_fields = 100
# Worker heartbeat files on tmpfs: on Docker's overlay filesystem they can stall workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 (gunicorn's own files)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'

_multiproc_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", os.path.join(tempfile.gettempdir(), "expense-app-prometheus")
)


def on_starting(server):
    """Start with an empty metrics directory: stale files would add up old workers' samples."""
    shutil.rmtree(_multiproc_dir, ignore_errors=True)
    os.makedirs(_multiproc_dir, exist_ok=True)


def child_exit(server, worker):
    """Mark a dead worker's gauges as gone (prometheus multiprocess mode)."""
    from prometheus_flask_exporter.multiprocess import GunicornInternalPrometheusMetrics

    GunicornInternalPrometheusMetrics.mark_process_dead_on_child_exit(worker.pid)
