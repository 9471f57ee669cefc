"""Rules: the ordered list of "when these conditions hold, do these actions", a dry test of a rule on
a sample, a preview of what it matches, runs over existing expenses (dry run, apply) and their undo."""

from flask import jsonify, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.rules import (
    FieldChangesSchema,
    RuleCreateSchema,
    RuleOrderSchema,
    RulePreviewArgsSchema,
    RulePreviewSchema,
    RuleRunSchema,
    RuleSchema,
    RuleTestSchema,
    RuleUpdateSchema,
    RunListArgsSchema,
    RunPreviewSchema,
    RunSchema,
    UndoResultSchema,
)
from expense_app.services import categorization

URL_PREFIX = "/rules"
blp = Blueprint(
    "Rules",
    __name__,
    description="Rules that categorise expenses: conditions on description, notes, amount, payment method "
    "or currency, and actions (set category, add tags, set payment method, rewrite the description). "
    "Every effect can be seen before it applies: test a rule on a sample, preview its matches, dry-run it "
    "over a date range; an applied run can be undone.",
)

# A rule document without the name, for the test and preview bodies.
DOCUMENT_EXAMPLE = {
    "match": "all",
    "conditions": [{"field": "description", "operator": "contains", "value": "coffee"}],
    "actions": [{"type": "set_category", "category_id": 3}, {"type": "add_tags", "tags": ["coffee"]}],
}
RULE_EXAMPLE = {"name": "Coffee", **DOCUMENT_EXAMPLE}
RULE_RESPONSE_EXAMPLE = {
    "id": 4,
    "name": "Coffee",
    "active": True,
    "match": "all",
    "position": 0,
    "stop_after": False,
    "conditions": [{"field": "description", "operator": "contains", "value": "coffee", "value2": None}],
    "actions": [
        {
            "type": "set_category",
            "category_id": 3,
            "tags": None,
            "payment_method": None,
            "pattern": None,
            "replacement": None,
        },
        {
            "type": "add_tags",
            "category_id": None,
            "tags": ["coffee"],
            "payment_method": None,
            "pattern": None,
            "replacement": None,
        },
    ],
    "created_at": "2026-11-26T09:30:00+00:00",
    "updated_at": "2026-11-26T09:30:00+00:00",
}
RUN_EXAMPLE = {
    "id": 8,
    "created_at": "2026-11-26T09:30:00+00:00",
    "date_from": "2025-12-01",
    "date_to": "2026-11-30",
    "rule_ids": None,
    "change_count": 40,
    "undone_at": None,
}
FIELDS_BEFORE = {
    "category_id": 9,
    "category_name": "Other",
    "description": "Coffee at the station",
    "payment_method": "cash",
    "tags": [],
}
PREVIEW_EXAMPLE = {
    "date_from": "2025-12-01",
    "date_to": "2026-11-30",
    "scanned": 365,
    "total_changes": 1,
    "changes": [
        {
            "expense_id": 42,
            "date": "2026-03-14",
            "before": FIELDS_BEFORE,
            "after": {**FIELDS_BEFORE, "category_id": 3, "category_name": "Food", "tags": ["coffee"]},
            "rule_ids": [4],
        }
    ],
    "page": 1,
    "per_page": 50,
    "total_pages": 1,
}


def _rule_fields(data: dict) -> dict:
    """A loaded rule document as the service's keyword arguments (absent keys stay absent)."""
    return {key: data[key] for key in ("name", "match", "active", "stop_after", "conditions", "actions") if key in data}


def _document(data: dict) -> dict:
    """A rule document for a test or preview: it has no name there, the service checks one."""
    return {"name": "Unsaved rule", **_rule_fields(data)}


@blp.route("")
class RuleCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_rules")
    @protected(blp)
    @blp.response(200, RuleSchema(many=True), example=[RULE_RESPONSE_EXAMPLE])
    def get(self):
        """List my rules

        Every rule in the order they run (not paginated; at most 200).
        """
        return categorization.list_rules(user=token_user)

    @blp.doc(operationId="create_rule")
    @protected(blp, 422)
    @blp.arguments(RuleCreateSchema, example=RULE_EXAMPLE)
    @blp.response(
        201,
        RuleSchema,
        headers={"Location": {"description": "URL of the new rule.", "schema": {"type": "string"}}},
    )
    def post(self, data):
        """Create a rule

        The rule runs after your existing ones. Nothing is applied to existing expenses: preview
        the matches first (`POST /rules/preview`), run it with `POST /rules/run`. A bad condition
        or action is 422 naming it, e.g. `conditions.0.value` for a regex that does not compile.
        """
        created = categorization.create_rule(user=token_user, **_rule_fields(data))
        return created, 201, {"Location": url_for("Rules.RuleItem", rule_id=created.id)}


@blp.route("/<int:rule_id>")
class RuleItem(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="get_rule")
    @protected(blp, 404)
    @blp.response(200, RuleSchema, example=RULE_RESPONSE_EXAMPLE)
    def get(self, rule_id):
        """Get a rule

        Another user's rule is 404.
        """
        return categorization.get_rule(user=token_user, rule_id=rule_id)

    @blp.doc(operationId="update_rule")
    @protected(blp, 404, 422)
    @blp.arguments(RuleUpdateSchema, example={"active": False})
    @blp.response(200, RuleSchema)
    def patch(self, data, rule_id):
        """Update a rule

        Changes only the fields sent; `conditions` and `actions` replace the whole list. Nothing
        changes when any field is refused.
        """
        return categorization.update_rule(user=token_user, rule_id=rule_id, **_rule_fields(data))

    @blp.doc(operationId="delete_rule")
    @protected(blp, 404)
    @blp.response(204)
    def delete(self, rule_id):
        """Delete a rule

        Expenses it changed keep their values; runs that used it can still be undone.
        """
        categorization.delete_rule(user=token_user, rule_id=rule_id)


@blp.route("/order")
class RuleOrder(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="reorder_rules")
    @protected(blp, 422)
    @blp.arguments(RuleOrderSchema, example={"rule_ids": [4, 2, 9]})
    @blp.response(200, RuleSchema(many=True), example=[RULE_RESPONSE_EXAMPLE])
    def put(self, data):
        """Reorder my rules

        `rule_ids` must hold every one of your rules exactly once; the first runs first. Anything
        else is 422 on `rule_ids`, and the order is unchanged.
        """
        return categorization.reorder_rules(user=token_user, rule_ids=data["rule_ids"])


@blp.route("/test")
class RuleTest(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="test_rule")
    @protected(blp, 422)
    @blp.arguments(
        RuleTestSchema,
        example={**DOCUMENT_EXAMPLE, "sample": {"description": "Coffee at the station", "amount": "3.20"}},
    )
    @blp.response(
        200,
        FieldChangesSchema,
        example={
            "category_id": 3,
            "payment_method": None,
            "description": None,
            "add_tags": ["coffee"],
            "skip": False,
            "rule_ids": [0],
            "changed": True,
        },
    )
    def post(self, data):
        """Test a rule on a sample expense

        What the rule (not saved, checked as on save) would change on the would-be expense in
        `sample`: null fields stay as they are. Nothing is stored. `rule_ids` is `[0]` when the
        rule matched (the unsaved rule has no id; it may match and change nothing) and `[]` when
        it did not.
        """
        sample = data.pop("sample")
        return categorization.test_rule(user=token_user, rule=_document(data), sample=sample)


@blp.route("/preview")
class RulePreview(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="preview_rule")
    @protected(blp, 422)
    @blp.arguments(RulePreviewArgsSchema, example={**DOCUMENT_EXAMPLE, "limit": 10})
    @blp.response(200, RulePreviewSchema)
    def post(self, data):
        """Preview which expenses a rule matches

        How many of your expenses the rule (not saved, checked as on save) matches, and the newest
        `limit` of them. Nothing is stored or changed.
        """
        limit = data.pop("limit")
        return categorization.preview_rule(user=token_user, rule=_document(data), limit=limit)


@blp.route("/run")
class RuleRunStart(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="run_rules")
    @protected(blp, 422)
    @blp.arguments(RunSchema, example={"date_from": "2025-12-01", "date_to": "2026-11-30"})
    @blp.response(200, RunPreviewSchema, description="The dry run (`apply` false).", example=PREVIEW_EXAMPLE)
    @blp.alt_response(201, schema=RuleRunSchema, description="The applied run (`apply` true).", example=RUN_EXAMPLE)
    def post(self, data):
        """Run rules on existing expenses

        By default a dry run: which of your expenses dated `date_from` to `date_to` the rules
        (`rule_ids` in your order, or every active rule) would change, and how, one page at a time
        (oldest first), changing nothing. With `apply: true` exactly those changes are made, in one
        transaction, and the answer is the run (201), which `POST /rules/runs/{run_id}/undo` undoes.
        A rule id that is not yours, or a range longer than 10 years, is 422 naming the field.
        """
        args = {"user": token_user, "date_from": data["date_from"], "date_to": data["date_to"]}
        args["rule_ids"] = data.get("rule_ids")
        if data["apply"]:
            run = categorization.apply_run(**args)
            return jsonify(RuleRunSchema().dump(run)), 201
        return categorization.dry_run(**args, page=data["page"], per_page=data["per_page"])


@blp.route("/runs")
class RuleRunCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_rule_runs")
    @protected(blp, 422)
    @blp.arguments(RunListArgsSchema, location="query")
    @blp.response(200, RuleRunSchema(many=True), example=[RUN_EXAMPLE])
    def get(self, args):
        """List my rule runs

        The applied runs, newest first (`limit`, default 20), undone ones included (`undone_at`).
        """
        return categorization.list_runs(user=token_user, limit=args["limit"])


@blp.route("/runs/<int:run_id>/undo")
class RuleRunUndo(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="undo_rule_run")
    @protected(blp, 404, 409)
    @blp.response(200, UndoResultSchema, example={"run_id": 8, "restored": 39, "skipped": [57]})
    def post(self, run_id):
        """Undo a rule run

        Puts every expense the run changed back as it was before, in one transaction. An expense
        changed again since the run is left as it is now and listed in `skipped`. Undoing a run
        twice is 409; another user's run is 404.
        """
        return categorization.undo_run(user=token_user, run_id=run_id)
