"""Expenses: create, read, update, delete, list with filters/sort/pagination, and export as CSV;
bulk create, change and delete, and Undo of a deletion (`POST /expenses/restore`)."""

from flask import Response, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api import conditional, fast_json
from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.expenses import (
    BulkCreateResultSchema,
    BulkCreateSchema,
    BulkDeleteResultSchema,
    BulkSelectionSchema,
    BulkUpdateResultSchema,
    BulkUpdateSchema,
    ExpenseCreateSchema,
    ExpenseFilterArgsSchema,
    ExpenseListArgsSchema,
    ExpensePageSchema,
    ExpenseSchema,
    ExpenseUpdateSchema,
    RestoreResultSchema,
    RestoreSchema,
)
from expense_app.services import bulk_expenses, deletions, expenses, exports, rule_application

URL_PREFIX = "/expenses"
APPLIED_RULES_HEADER = "X-Applied-Rules"
blp = Blueprint(
    "Expenses",
    __name__,
    description="Your expenses: amounts are decimal strings, dates ISO 8601, tags lower-case strings. "
    "Each expense keeps its own amount and currency and is converted to your base currency at the ECB "
    "reference rate of its date (`base_amount`, `fx_rate`, `fx_date`, `fx_source`), or at a manual rate.",
)

EXPENSE_EXAMPLE = {
    "amount": "42.50",
    "date": "2026-11-26",
    "category_id": 3,
    "description": "Weekly groceries",
    "payment_method": "debit_card",
    "currency": "USD",
    "tags": ["family", "weekly"],
    "notes": "",
}
EXPENSE_RESPONSE_EXAMPLE = {
    "id": 42,
    **EXPENSE_EXAMPLE,
    "base_amount": "42.50",
    "fx_rate": "1.0000000000",
    "fx_date": "2026-11-26",
    "fx_source": "same",
    "category": {"id": 3, "name": "Food", "color": "#198754"},
    "created_at": "2026-11-26T09:30:00+00:00",
    "updated_at": "2026-11-26T09:30:00+00:00",
}
CSV_EXAMPLE = (
    '"date","description","category","payment_method","amount","currency","base_amount","base_currency","tags","notes"\r\n'
    '"2026-11-26","Weekly groceries","Food","debit_card","42.50","USD","39.03","EUR","family, weekly",""\r\n'
)


@blp.route("")
class ExpenseCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_expenses")
    @protected(blp, 422)
    @blp.arguments(ExpenseListArgsSchema, location="query")
    @blp.response(
        200,
        ExpensePageSchema,
        example={
            "items": [EXPENSE_RESPONSE_EXAMPLE],
            "total": 21,
            "page": 2,
            "per_page": 20,
            "total_pages": 2,
            "total_amount": "812.40",
            "unconverted_count": 1,
            "next_cursor": None,
        },
        headers=conditional.HEADERS_DOC,
    )
    @blp.alt_response(304, **conditional.NOT_MODIFIED_DOC)
    @conditional.etagged
    def get(self, args):
        """List my expenses

        Filters combine with AND; repeat `category_id`, `payment_method` or `tag` to match any of
        several values. `q` searches description and notes, ignoring case. Sorted by `-date` unless
        `sort` says otherwise, ties broken by id. `per_page` is 1-100 (default 20); a page past the
        end has empty `items`. `total` counts the whole filtered set; `total_amount` is its sum in
        your base currency, without the `unconverted_count` expenses still waiting for an
        exchange rate (they are counted in `total`).

        Pages are chosen by number (`page`) or, for any depth at the cost of page 1, by cursor:
        pass a page's `next_cursor` as `after` with the same filters, `sort` and `per_page`, until
        `next_cursor` is null (such a page has `page` null). A cursor that is not one, belongs to
        another `sort`, or comes with `page` above 1 is 422 on `after`. The answer's `ETag` in
        `If-None-Match` gives 304 while nothing in the list has changed.
        """
        return fast_json.response(fast_json.expense_page(expenses.list_expenses(user=token_user, **args)))

    @blp.doc(operationId="create_expense")
    @protected(blp, 422)
    @blp.arguments(ExpenseCreateSchema, example=EXPENSE_EXAMPLE)
    @blp.response(
        201,
        ExpenseSchema,
        headers={
            "Location": {"description": "URL of the new expense.", "schema": {"type": "string"}},
            APPLIED_RULES_HEADER: {
                "description": "With `apply_rules`: the ids of the rules that changed the expense, in order, "
                'comma-separated ("4,7"; empty when none matched).',
                "schema": {"type": "string"},
            },
        },
    )
    def post(self, data):
        """Record an expense

        `amount`, `date` and `category_id` are required. Breaking a rule (amount not above 0 or
        with more than 2 decimal places, date before 1900 or more than a year ahead, a category
        that is not yours, more than 20 tags, an unknown field...) is 422 with the field named,
        and nothing is stored. With `apply_rules: true` your rules run on it first, and
        the `X-Applied-Rules` header says which changed it.
        """
        created = rule_application.create_expense(user=token_user, **data)
        headers = {"Location": url_for("Expenses.ExpenseItem", expense_id=created.expense.id)}
        if data.get("apply_rules"):
            headers[APPLIED_RULES_HEADER] = ",".join(map(str, created.applied_rule_ids))
        return created.expense, 201, headers


@blp.route("/<int:expense_id>")
class ExpenseItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_expense")
    @protected(blp, 404)
    @blp.response(200, ExpenseSchema, example=EXPENSE_RESPONSE_EXAMPLE)
    def get(self, expense_id):
        """Get an expense

        Returns the expense with its category and tags. Another user's expense is 404.
        """
        return expenses.get_expense(user=token_user, expense_id=expense_id)

    @blp.doc(operationId="update_expense")
    @protected(blp, 404, 422)
    @blp.arguments(ExpenseUpdateSchema, example={"amount": "39.90", "tags": ["family"]})
    @blp.response(200, ExpenseSchema)
    def patch(self, data, expense_id):
        """Update an expense

        Changes only the fields sent, under the same rules as creation; `tags` replaces the whole
        list. Nothing changes when any field is refused.
        """
        return expenses.update_expense(user=token_user, expense_id=expense_id, **data)

    @blp.doc(operationId="delete_expense")
    @protected(blp, 404)
    @blp.response(
        204,
        headers={
            "X-Undo-Batch": {
                "description": "The deletion's batch id: `POST /expenses/restore` with it brings the expense back "
                "(for 7 days).",
                "schema": {"type": "string", "format": "uuid"},
            }
        },
    )
    def delete(self, expense_id):
        """Delete an expense

        Removes it from every list and total at once; its tags stay (with one use fewer). It can be
        restored for 7 days with the `X-Undo-Batch` header's value (`POST /expenses/restore`).
        """
        batch = expenses.delete_expense(user=token_user, expense_id=expense_id)
        return None, 204, {"X-Undo-Batch": batch.batch_id}


@blp.route("/export.csv")
class ExpenseExport(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="export_expenses")
    @protected(blp, 422)
    @blp.arguments(ExpenseFilterArgsSchema, location="query")
    @blp.response(
        200,
        {"type": "string"},
        content_type="text/csv",
        description="RFC 4180 CSV in UTF-8, with a header row; every field is quoted.",
        example=CSV_EXAMPLE,
        headers={
            "Content-Disposition": {
                "description": 'attachment; filename="expenses-YYYY-MM-DD.csv"',
                "schema": {"type": "string"},
            }
        },
    )
    def get(self, args):
        """Export my expenses as CSV

        Streams the expenses matching the same filters and `sort` as the list (no pagination),
        with the columns date, description, category, payment_method, amount, currency,
        base_amount (in your base currency; empty while the expense waits for an exchange rate),
        base_currency, tags (comma-separated in one cell) and notes. Text that a spreadsheet would run as a formula
        (starting with `=`, `+`, `-`, `@`, tab or carriage return) is prefixed with `'`.
        """
        csv_export = exports.export_expenses_csv(user=token_user, **args)
        return Response(
            stream_with_context(csv_export.chunks), mimetype=csv_export.mimetype, headers=csv_export.headers
        )


@blp.route("/bulk")
class ExpenseBulkCreate(MethodView):
    decorators = [auth_required()]

    @protected(blp, 422)
    @blp.doc(operationId="bulk_create_expenses")
    @blp.arguments(BulkCreateSchema, example={"expenses": [EXPENSE_EXAMPLE]})
    @blp.response(201, BulkCreateResultSchema)
    def post(self, data):
        """Record up to 500 expenses at once

        Each expense is checked and converted exactly as by `POST /expenses`, in one transaction:
        all are created or none (an item's `apply_rules` runs your rules on it first). Errors name
        the item by its index, e.g. `{"errors": {"expenses.3.amount": ["Must be greater than 0."]}}`.
        """
        return {"items": rule_application.bulk_create(user=token_user, items=data["expenses"])}, 201


@blp.route("/bulk-update")
class ExpenseBulkUpdate(MethodView):
    decorators = [auth_required()]

    @protected(blp, 422)
    @blp.doc(operationId="bulk_update_expenses")
    @blp.arguments(
        BulkUpdateSchema, example={"filter": {"category_id": [3], "date_from": "2026-01-01"}, "category_id": 5}
    )
    @blp.response(200, BulkUpdateResultSchema, example={"count": 1000})
    def post(self, data):
        """Change many expenses at once

        Chooses the expenses by `ids` or by `filter` (the list's filters; all that match, not a
        page) and applies `category_id`, `payment_method`, `add_tags` and `remove_tags` to them, in
        one transaction. An id that is not yours, a category that is not yours or any other refused
        field is 422 naming it, and nothing changes.
        """
        return bulk_expenses.bulk_update(user=token_user, **data)


@blp.route("/bulk-delete")
class ExpenseBulkDelete(MethodView):
    decorators = [auth_required()]

    @protected(blp, 422)
    @blp.doc(operationId="bulk_delete_expenses")
    @blp.arguments(BulkSelectionSchema, example={"ids": [42, 43]})
    @blp.response(
        200,
        BulkDeleteResultSchema,
        example={"batch_id": "0b6f5c1e-3c36-4a53-9d1c-0b7e6e5f3a10", "count": 2, "expense_ids": [42, 43]},
    )
    def post(self, data):
        """Delete many expenses at once

        Chooses the expenses by `ids` or `filter`, as the bulk update does, and deletes them in one
        transaction. The answer's `batch_id` restores them all (`POST /expenses/restore`) for 7 days.
        """
        return bulk_expenses.bulk_delete(user=token_user, **data)


@blp.route("/restore")
class ExpenseRestore(MethodView):
    decorators = [auth_required()]

    @protected(blp, 404, 409, 422)
    @blp.doc(operationId="restore_expenses")
    @blp.arguments(RestoreSchema, example={"batch_id": "0b6f5c1e-3c36-4a53-9d1c-0b7e6e5f3a10"})
    @blp.response(200, RestoreResultSchema, example={"expense_ids": [42, 43], "renumbered": {}})
    def post(self, data):
        """Undo a deletion

        Restores every expense of the batch exactly as it was (amounts and conversion as stored,
        tags that still exist, the recurring occurrence link), under the old ids when they are free
        (`renumbered` lists the others). 404 when the batch is unknown, not yours, already restored
        or older than 7 days; 409 when its category was deleted meanwhile (re-create a category of
        that name and restore again) or your base currency changed.
        """
        restored = deletions.restore_batch(user=token_user, batch_id=str(data["batch_id"]))
        return {"expense_ids": restored.expense_ids, "renumbered": {str(k): v for k, v in restored.renumbered.items()}}
