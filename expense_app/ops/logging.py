"""Logging set-up: one stdout handler at `LOG_LEVEL`, text or JSON lines by `LOG_FORMAT`.

Every line carries the request id of the request it belongs to (`-`/null outside a request), and
the `extra={...}` fields a caller passes (`user_id`, `expense_id`, ...) are rendered in both
formats: as `key=value` pairs after the text message, as JSON keys.

No logged value can forge a line: a newline in a request path (`/x%0a...`), a header that reaches
the log (the client address behind a proxy) or any message argument is written escaped (`\\n`,
`\\x1b`, `\\u2028`). In the text format the message and every field are escaped and a traceback's
lines are indented under the line they belong to; in the JSON format the encoder escapes every
character outside printable ASCII (`ensure_ascii`), so each record is one line that parses back to
the exact values.

Redaction is the last step of formatting, so it covers every logger that reaches the handler
(the app's, werkzeug's, SQLAlchemy's, a library's): extra fields whose name looks secret are
masked, and bearer tokens, JWTs, `password=`/`token=` pairs and cookie headers are masked in the
final line. The app itself never logs headers or bodies; this is the safety net.
"""

from __future__ import annotations

import logging
import re
import sys

from flask import Flask, g, has_request_context
from pythonjsonlogger.json import JsonFormatter

HANDLER_NAME = "expense_app"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"
REDACTED = "[REDACTED]"

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}

SENSITIVE_KEY = re.compile(r"pass(word|wd)?|token|secret|authori[sz]ation|cookie|csrf|api[_-]?key|jwt", re.I)
_SECRET_PATTERNS = (
    # A JWT anywhere (three base64url segments, the first one a JSON header).
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # Credentials after an auth scheme, e.g. a logged Authorization header.
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{16,}"), rf"\1 {REDACTED}"),
    # key=value pairs from query strings, form bodies or logfmt.
    (
        re.compile(r"(?i)\b([\w-]*(?:password|passwd|token|secret|api_key|apikey|session|csrf)[\w-]*)=([^&\s\"',;]+)"),
        rf"\1={REDACTED}",
    ),
    # "password": "..." in JSON-ish text.
    (
        re.compile(r"(?i)([\"']?[\w-]*(?:password|token|secret|cookie)[\w-]*[\"']?\s*:\s*)[\"'][^\"']*[\"']"),
        rf'\1"{REDACTED}"',
    ),
    # A Cookie / Set-Cookie header line.
    (re.compile(r"(?i)\b((?:set-)?cookie:\s*)[^\n]+"), rf"\1{REDACTED}"),
)


# Characters that would end a log line, or change how the rest of it displays, if written raw:
# C0 and C1 controls and DEL, the Unicode line and paragraph separators, bidirectional overrides.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_QUOTES = re.compile(r'[\s"=]')
TRACEBACK_INDENT = "    "


def _escape(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED_ESCAPES.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def escape_control(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x00`, `\\u2028`)."""
    return _CONTROL.sub(_escape, text)


def field_value(value) -> str:
    """A `key=value` field's value for the text format: escaped, and quoted (logfmt style) when it
    is empty or holds a space, quote or `=`, so a value cannot pass for further fields."""
    text = escape_control(str(value))
    if text and not _NEEDS_QUOTES.search(text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


def indent_block(text: str) -> str:
    """A multi-line block (a traceback) escaped line by line, each line indented, so none of its
    lines can pass for a record of its own."""
    return "\n".join(TRACEBACK_INDENT + escape_control(line) for line in text.splitlines())


def redact_text(text: str) -> str:
    """Return `text` with tokens, credentials and cookie values replaced by `[REDACTED]`."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def extra_fields(record: logging.LogRecord) -> dict:
    """The `extra=` fields of `record`, with secret-looking names masked."""
    return {
        key: (REDACTED if SENSITIVE_KEY.search(key) else value)
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRS and not key.startswith("_")
    }


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request's id (`g.request_id`), `-` outside a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = g.get("request_id") if has_request_context() else None
        record.request_id = request_id or "-"
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request-id] message key=value ...`, escaped and redacted; a traceback
    follows on indented lines."""

    def format(self, record: logging.LogRecord) -> str:
        # Format a copy whose message is already escaped; other handlers see the record unchanged.
        safe = logging.makeLogRecord(record.__dict__)
        safe.msg, safe.args = escape_control(record.getMessage()), None
        safe.exc_text = None
        head, *block = super().format(safe).split("\n", 1)
        extras = extra_fields(record)
        if extras:
            head += " " + " ".join(f"{key}={field_value(value)}" for key, value in extras.items())
        return redact_text("\n".join([head, *block]))

    def formatException(self, ei) -> str:
        return indent_block(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return indent_block(super().formatStack(stack_info))


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line (python-json-logger), secret-looking fields masked, redacted."""

    def add_fields(self, log_data: dict, record: logging.LogRecord, message_dict: dict) -> None:
        super().add_fields(log_data, record, message_dict)
        for key in list(log_data):
            if SENSITIVE_KEY.search(key):
                log_data[key] = REDACTED
        if log_data.get("request_id") == "-":
            log_data["request_id"] = None

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def build_handler(log_format: str, stream=None) -> logging.Handler:
    """A stream handler (stdout by default) with the formatter for `log_format` and the id filter."""
    handler = logging.StreamHandler(stream or sys.stdout)
    if log_format == "json":
        formatter: logging.Formatter = RedactingJsonFormatter(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=True,  # every control character escaped: one record, one line
        )
    else:
        formatter = TextFormatter(TEXT_FORMAT)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    handler.set_name(HANDLER_NAME)
    return handler


def setup_logging(app: Flask) -> None:
    """Configure the root logger for `app` and install the request id and access-log hooks.

    Replaces a handler installed by an earlier call (tests build many apps), keeps SQLAlchemy's
    engine at WARNING (it would log SQL) and silences alembic's per-plugin INFO lines.
    """
    from expense_app.ops.request_log import register_request_logging

    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == HANDLER_NAME:
            root.removeHandler(existing)
    root.addHandler(build_handler(app.config.get("LOG_FORMAT", "text")))
    root.setLevel(getattr(logging, app.config.get("LOG_LEVEL", "INFO"), logging.INFO))
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # MigrationContext (used by /health/db) announces its dialect at INFO on every check; `flask db`
    # still logs its steps, because alembic's env.py resets this level when it configures logging.
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)
    # Alembic's env.py calls logging.config.fileConfig, which disables every logger that existed
    # before it; an app built after an in-process `upgrade()` would otherwise log nothing.
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.disabled = False
    register_request_logging(app)
