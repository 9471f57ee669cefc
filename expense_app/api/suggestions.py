"""Suggestions learned from your own history: a category for a description being typed, and rules
to accept with one click. Nothing is ever applied until you accept it."""

from flask import url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from expense_app.api.authentication import auth_required, token_user
from expense_app.api.docs import protected
from expense_app.api.schemas.rules import (
    CategorySuggestionAnswerSchema,
    CategorySuggestionArgsSchema,
    RuleSchema,
    RuleSuggestionArgsSchema,
    RuleSuggestionSchema,
)
from expense_app.services import suggestions

URL_PREFIX = "/suggestions"
blp = Blueprint(
    "Suggestions",
    __name__,
    description="Categories and rules suggested from your own expenses (the same merchant in the same category "
    f"at least {suggestions.MIN_MATCHES} times). Never applied without your consent.",
)

RULE_SUGGESTION_EXAMPLE = {
    "key": "netflix->7",
    "keyword": "netflix",
    "category_id": 7,
    "category_name": "Entertainment",
    "matches": 4,
    "rule": {
        "name": "Netflix",
        "match": "all",
        "conditions": [{"field": "description", "operator": "contains", "value": "netflix", "value2": None}],
        "actions": [
            {
                "type": "set_category",
                "category_id": 7,
                "tags": None,
                "payment_method": None,
                "pattern": None,
                "replacement": None,
            }
        ],
    },
}


@blp.route("/category")
class CategorySuggestion(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="suggest_category")
    @protected(blp, 422)
    @blp.arguments(CategorySuggestionArgsSchema, location="query")
    @blp.response(
        200,
        CategorySuggestionAnswerSchema,
        example={"suggestion": {"category_id": 3, "category_name": "Food", "matches": 5, "of": 6}},
    )
    def get(self, args):
        """Suggest a category for a description

        The category most of your past expenses with the same merchant (the description without
        card numbers, references and dates; near-equal spellings count) are in, once it covers at
        least 3 of them; otherwise `suggestion` is null. Nothing is stored.
        """
        return {"suggestion": suggestions.suggest_category(user=token_user, description=args["description"])}


@blp.route("/rules")
class RuleSuggestionCollection(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="list_rule_suggestions")
    @protected(blp, 422)
    @blp.arguments(RuleSuggestionArgsSchema, location="query")
    @blp.response(200, RuleSuggestionSchema(many=True), example=[RULE_SUGGESTION_EXAMPLE])
    def get(self, args):
        """Suggest rules

        Merchants with at least 3 of your expenses all (or mostly) in one category that none of
        your active rules handles yet, each with the rule that would handle it. Nothing is created
        until you accept one.
        """
        return suggestions.suggest_rules(user=token_user, limit=args["limit"])


@blp.route("/rules/<string:key>/accept")
class RuleSuggestionAccept(MethodView):
    decorators = [auth_required()]

    @blp.doc(operationId="accept_rule_suggestion")
    @protected(blp, 404, 422)
    @blp.response(
        201,
        RuleSchema,
        headers={"Location": {"description": "URL of the new rule.", "schema": {"type": "string"}}},
    )
    def post(self, key):
        """Accept a suggested rule

        Creates the suggested rule (last in your order) and returns it. It is not run on existing
        expenses: use `POST /rules/run`. 404 when `key` is no longer suggested; 422 when it is
        not a key at all (empty or too long).
        """
        created = suggestions.accept_rule_suggestion(user=token_user, key=key)
        return created, 201, {"Location": url_for("Rules.RuleItem", rule_id=created.id)}
