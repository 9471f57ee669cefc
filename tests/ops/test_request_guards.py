"""The guarded JSON decoder (no HTTP): depth limit, oversized integers, undecodable bytes."""

from __future__ import annotations

import json

import pytest

from expense_app.ops.request_guards import MAX_DEPTH, TOO_DEEP, GuardedJSONProvider, loads, nesting_depth


def test_ordinary_documents_decode_as_the_standard_library_does():
    text = '{"amount": 12, "rate": 1.5, "tags": ["a", {"b": null}], "ok": true}'
    assert loads(text) == json.loads(text)
    assert loads(text.encode("utf-16")) == json.loads(text)


@pytest.mark.parametrize(("value", "depth"), [(1, 0), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[[]], []], 3)])
def test_nesting_depth(value, depth):
    assert nesting_depth(value) == depth


def test_depth_limit_is_exact():
    assert nesting_depth(loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)) == MAX_DEPTH
    with pytest.raises(json.JSONDecodeError, match="nested deeper"):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_recursion_limit_becomes_a_decode_error():
    with pytest.raises(json.JSONDecodeError) as raised:
        loads("[" * 100_000 + "]" * 100_000)
    assert raised.value.msg == TOO_DEEP


def test_integer_beyond_int_limit_is_kept_as_its_text():
    assert loads('{"id": %s}' % ("9" * 5000)) == {"id": "9" * 5000}
    assert loads("-" + "1" * 5000) == "-" + "1" * 5000
    assert loads("9" * 4000) == int("9" * 4000)


@pytest.mark.parametrize("data", [b"\xff\xfe{", b'{"a": "\xff"}', "{", "nul"])
def test_undecodable_input_is_a_decode_error(data):
    with pytest.raises(json.JSONDecodeError):
        loads(data)


def test_the_app_decodes_request_bodies_with_it(app):
    assert isinstance(app.json, GuardedJSONProvider)
    with pytest.raises(ValueError):  # what Flask's request.get_json() turns into a 400
        app.json.loads("[" * 100_000)
