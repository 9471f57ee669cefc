"""Request bodies that cannot crash the app: one JSON decoder for both faces.

The standard library's `json.loads` fails on two hostile bodies with errors nobody handles:
- a body nested 100,000 deep raises `RecursionError` (the decoder recurses once per level);
- an integer literal longer than Python's 4,300-digit limit for `int()` raises a plain
  `ValueError` (not a `JSONDecodeError`).

webargs (every flask-smorest `@blp.arguments(..., location="json")`) catches only
`JSONDecodeError`, and Flask's `request.get_json()` (Flask-WTF reads JSON posts with it) only
`ValueError`, so both answered 500. `loads` is the one decoder used by both (`install` makes it
the app's JSON provider's `loads` and webargs' `json` location loader):
- undecodable bytes or text, and a body nested deeper than `MAX_DEPTH` (whether or not Python's
  recursion limit was reached first), raise a `JSONDecodeError`: a 400 `Invalid JSON body`;
- an integer literal `int()` refuses is kept as its text, so the field's own rule refuses it
  like the same digits in a query string: a 422 naming the field (`Not a valid integer.`, or the
  money rule for an amount), never a number nobody can print.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import abort

# The API's bodies are at most three levels deep (an object holding a list of tags); 32 leaves
# room for any client while staying far below the interpreter's recursion limit.
MAX_DEPTH = 32
INVALID_JSON = "Invalid JSON body."
TOO_DEEP = f"Invalid JSON body: nested deeper than {MAX_DEPTH} levels."


def _integer(literal: str) -> int | str:
    try:
        return int(literal)
    except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits())
        return literal


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply objects and arrays nest in `value` (a scalar is 0), counted without recursion;
    stops counting once past `limit`."""
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            break
        pending.extend((child, level + 1) for child in children if isinstance(child, dict | list))
    return deepest


def loads(data: str | bytes | bytearray, **kwargs) -> Any:
    """Decode a JSON document. Raises `json.JSONDecodeError` (a ValueError) when it is not valid
    JSON, not UTF-8/16/32, or nested deeper than `MAX_DEPTH`; see the module docstring for integers."""
    text = data if isinstance(data, str) else None
    try:
        value = json.loads(data, parse_int=_integer, **kwargs)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, text or "-", 0) from None
    except UnicodeDecodeError as error:
        raise json.JSONDecodeError(INVALID_JSON, text or "-", error.start) from None
    if nesting_depth(value) > MAX_DEPTH:
        raise json.JSONDecodeError(TOO_DEEP, text or "-", 0)
    return value


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's default JSON provider whose `loads` is `request_guards.loads` (dumps unchanged)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


def load_json_body(request, schema) -> Any:
    """webargs' loader for `location="json"`: the body through the app's decoder.

    An empty or non-JSON body is `missing` (webargs' own rule); an invalid one aborts with 400
    and `{"json": [reason]}`, the shape webargs gives a malformed body.
    """
    if not core.is_json(request.mimetype):
        return core.missing
    data = request.get_data(cache=True)
    if not data:
        return core.missing
    try:
        return current_app.json.loads(data)
    except ValueError as error:
        reason = TOO_DEEP if isinstance(error, json.JSONDecodeError) and error.msg == TOO_DEEP else INVALID_JSON
        abort(400, messages={"json": [reason]})


def install(app: Flask) -> None:
    """Make `loads` the decoder of `request.get_json()` and of every smorest JSON argument."""
    app.json = GuardedJSONProvider(app)
    # webargs keeps its location loaders per parser class; every smorest Blueprint shares this one.
    Blueprint.ARGUMENTS_PARSER.location_loader("json")(load_json_body)
