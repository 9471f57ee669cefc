"""The hot responses as plain dicts encoded by orjson: the expense list and the analytics figures.

marshmallow's per-item `dump` was most of a list request's Python time (a field object, a
validation and a conversion per value, twenty values an expense). These builders write the same
JSON directly. The schemas in `api.schemas` stay the contract: the operations keep
`@blp.response(200, Schema)`, so the OpenAPI document does not change, and
tests/api/test_fast_json.py dumps the same objects both ways and requires identical JSON. A field
added to a schema must be added here too; that test names the one missing.

How a value is written is the schemas' rule, once per kind, below: money as a string with 2 places
(`money_output`), rates with their stored places, dates and timestamps in ISO 8601, percentages as
numbers. Keys are sorted, as Flask's own JSON provider sorts them.
"""

from __future__ import annotations

from decimal import Decimal

import orjson
from flask import Response, current_app

CENTS = Decimal("0.01")


def money(value) -> str | None:
    """`money_output`: a decimal string with 2 places (marshmallow quantizes with the context's
    rounding; stored amounts have 2 places already)."""
    return None if value is None else format(Decimal(value).quantize(CENTS), "f")


def decimal_text(value) -> str | None:
    """`fields.Decimal(as_string=True)` without places: the stored digits as they are."""
    return None if value is None else format(Decimal(value), "f")


def iso(value) -> str | None:
    """`fields.Date` / `fields.AwareDateTime`: ISO 8601."""
    return None if value is None else value.isoformat()


def percent(value) -> float | None:
    return None if value is None else float(value)


# --- expenses (ExpenseSchema, ExpensePageSchema) -------------------------------------------------


def expense(item) -> dict:
    """One expense as `ExpenseSchema` dumps it."""
    category = item.category
    return {
        "amount": money(item.amount),
        "base_amount": money(item.base_amount),
        "category": None if category is None else {"color": category.color, "id": category.id, "name": category.name},
        "category_id": item.category_id,
        "created_at": iso(item.created_at),
        "currency": item.currency,
        "date": iso(item.date),
        "description": item.description,
        "fx_date": iso(item.fx_date),
        "fx_rate": decimal_text(item.fx_rate),
        "fx_source": item.fx_source,
        "id": item.id,
        "notes": item.notes,
        "payment_method": item.payment_method,
        "tags": [tag.name for tag in item.tags],
        "updated_at": iso(item.updated_at),
    }


def expense_page(page) -> dict:
    """An `ExpensePage` as `ExpensePageSchema` dumps it."""
    return {
        "items": [expense(item) for item in page.items],
        "next_cursor": page.next_cursor,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "total_amount": money(page.total_amount),
        "total_pages": page.total_pages,
        "unconverted_count": page.unconverted_count,
    }


# --- analytics (api.schemas.analytics) -----------------------------------------------------------


def _period_total(total) -> dict | None:
    if total is None:
        return None
    return {
        "date_from": iso(total.date_from),
        "date_to": iso(total.date_to),
        "rule": total.rule,
        "total": money(total.total),
        "unconverted_count": total.unconverted_count,
    }


def summary(result) -> dict:
    """`SummarySchema`."""
    return {
        "average": money(result.average),
        "change_pct": percent(result.change_pct),
        "count": result.count,
        "daily_average": money(result.daily_average),
        "date_from": iso(result.date_from),
        "date_to": iso(result.date_to),
        "previous_period": _period_total(result.previous_period),
        "total": money(result.total),
        "unconverted_count": result.unconverted_count,
    }


def _breakdown(result, item) -> dict:
    return {
        "date_from": iso(result.date_from),
        "date_to": iso(result.date_to),
        "items": [item(share) for share in result.items],
        "total": money(result.total),
        "unconverted_count": result.unconverted_count,
    }


def _category_share(share) -> dict:
    return {
        "category_id": share.category_id,
        "color": share.color,
        "count": share.count,
        "name": share.name,
        "share_pct": percent(share.share_pct),
        "total": money(share.total),
        "unconverted_count": share.unconverted_count,
    }


def _payment_method_share(share) -> dict:
    return {
        "count": share.count,
        "payment_method": share.payment_method,
        "share_pct": percent(share.share_pct),
        "total": money(share.total),
        "unconverted_count": share.unconverted_count,
    }


def by_category(result) -> dict:
    """`ByCategorySchema`."""
    return _breakdown(result, _category_share)


def by_payment_method(result) -> dict:
    """`ByPaymentMethodSchema`."""
    return _breakdown(result, _payment_method_share)


def trend(result) -> dict:
    """`TrendSchema`."""
    return {
        "date_from": iso(result.date_from),
        "date_to": iso(result.date_to),
        "interval": result.interval,
        "items": [
            {
                "count": point.count,
                "period": point.period,
                "start": iso(point.start),
                "total": money(point.total),
                "unconverted_count": point.unconverted_count,
            }
            for point in result.items
        ],
        "unconverted_count": result.unconverted_count,
    }


# --- the response ---------------------------------------------------------------------------------


def encode(data: dict) -> bytes:
    """`data` as Flask's JSON provider writes it in production: compact, keys sorted, a final newline."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def response(data: dict, status: int = 200) -> Response:
    """A ready JSON response (flask-smorest passes a `Response` through its `response` decorator)."""
    return current_app.response_class(encode(data), status=status, mimetype=current_app.json.mimetype)
