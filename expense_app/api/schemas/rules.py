"""Schemas of the Rules and Suggestions endpoints: shape and type only, the rules live in the services.

A rule's conditions and actions are small JSON documents (see `services.categorization`). The
request schemas check their shape (known keys, types, enums from the service's constants); what
a document means (an operator that fits its field, a regex that compiles, a category of yours)
is checked by the service. Both kinds of error come back as 422 with dotted field names such as
`conditions.0.value` or `actions.1.category_id`.

In responses every key of a condition or action is always written (null when it does not apply
to that operator or type), so a generated client gets one flat type for each.
"""

from marshmallow import ValidationError, fields, pre_dump, validate

from expense_app.api.schemas import StrictSchema
from expense_app.api.schemas.expenses import ExpenseSchema, _index_errors
from expense_app.api.schemas.fields import AsciiInteger, money_input
from expense_app.models import PAYMENT_METHODS
from expense_app.services.categorization import (
    ACTION_TYPES,
    AMOUNT_OPERATORS,
    CHOICE_FIELDS,
    MATCH_MODES,
    MAX_ACTIONS,
    MAX_CONDITIONS,
    MAX_PATTERN_LENGTH,
    TEXT_FIELDS,
    TEXT_OPERATORS,
)

CONDITION_FIELDS = (*TEXT_FIELDS, "amount", *CHOICE_FIELDS)
OPERATORS = (*TEXT_OPERATORS, *AMOUNT_OPERATORS)
MAX_RUN_PER_PAGE = 100
# JSON true/false only: marshmallow would also take "yes", "on" or "1" for a boolean.
JSON_BOOLEAN = {"truthy": {True}, "falsy": {False}}
# Member names for generated clients: `=` and `<` have no readable name of their own.
SYMBOL_NAMES = {"=": "EQ", "<": "LT", "<=": "LE", ">": "GT", ">=": "GE"}
OPERATOR_NAMES = [SYMBOL_NAMES.get(operator, operator.upper()) for operator in OPERATORS]


class FlatErrorsSchema(StrictSchema):
    """Nested errors as dotted names (`conditions.0.value`), the shape the service's errors have."""

    def handle_error(self, error: ValidationError, data, **kwargs) -> None:
        raise ValidationError(_index_errors(error.messages)) from error


# --- requests --------------------------------------------------------------------------------------


class ConditionSchema(StrictSchema):
    field = fields.String(
        required=True,
        validate=validate.OneOf(CONDITION_FIELDS),
        metadata={"enum": list(CONDITION_FIELDS), "example": "description"},
    )
    operator = fields.String(
        required=True,
        validate=validate.OneOf(OPERATORS),
        metadata={
            "enum": list(OPERATORS),
            "x-enum-varnames": OPERATOR_NAMES,
            "description": f"On `description`/`notes`: {', '.join(TEXT_OPERATORS)} (case-insensitive; `regex` is "
            f"RE2 syntax, at most {MAX_PATTERN_LENGTH} characters). On `amount` (the original amount): "
            f"{', '.join(AMOUNT_OPERATORS)}. On `payment_method` and `currency`: equals.",
            "example": "contains",
        },
    )
    value = fields.String(
        required=True,
        metadata={
            "description": 'The text, pattern, amount ("10.00"), payment method or currency code.',
            "example": "coffee",
        },
    )
    value2 = fields.String(
        metadata={"description": "The upper bound of `between` (inclusive); only with `between`.", "example": "20.00"}
    )


class ActionSchema(StrictSchema):
    type = fields.String(
        required=True,
        validate=validate.OneOf(ACTION_TYPES),
        metadata={
            "enum": list(ACTION_TYPES),
            "description": "`set_category` needs `category_id`; `add_tags` needs `tags`; `set_payment_method` "
            "needs `payment_method`; `rewrite_description` needs `pattern` and `replacement`; `skip` "
            "(imports only: the row is not imported) needs nothing.",
            "example": "set_category",
        },
    )
    category_id = fields.Integer(strict=True, metadata={"description": "One of your categories.", "example": 3})
    tags = fields.List(fields.String(), metadata={"description": "Tag names to add.", "example": ["coffee"]})
    payment_method = fields.String(
        validate=validate.OneOf(PAYMENT_METHODS), metadata={"enum": list(PAYMENT_METHODS), "example": "cash"}
    )
    pattern = fields.String(
        metadata={
            "description": f"An RE2 regular expression (at most {MAX_PATTERN_LENGTH} characters), case-insensitive.",
            "example": r"CARD \d+ (\w+).*",
        }
    )
    replacement = fields.String(
        metadata={"description": r"The new description; `\1` or `\g<1>` insert groups.", "example": r"\1"}
    )


CONDITIONS = {
    "description": f"1 to {MAX_CONDITIONS} conditions, combined by `match`.",
    "example": [{"field": "description", "operator": "contains", "value": "coffee"}],
}
ACTIONS = {
    "description": f"1 to {MAX_ACTIONS} actions, done in order when the rule matches.",
    "example": [{"type": "set_category", "category_id": 3}, {"type": "add_tags", "tags": ["coffee"]}],
}
MATCH = {
    "enum": list(MATCH_MODES),
    "description": "`all` conditions must hold (default) or `any` one.",
    "example": "all",
}
STOP_AFTER = {"description": "When this rule matched, the rules after it are not tried (default false)."}
NAME = {"description": "1 to 100 characters.", "maxLength": 100, "example": "Coffee"}


class RuleDocumentSchema(FlatErrorsSchema):
    """What a rule does, for a dry test or a preview (nothing is saved, so there is no name)."""

    match = fields.String(validate=validate.OneOf(MATCH_MODES), metadata=MATCH)
    stop_after = fields.Boolean(**JSON_BOOLEAN, metadata=STOP_AFTER)
    active = fields.Boolean(**JSON_BOOLEAN, metadata={"description": "Inactive rules never run (default true)."})
    conditions = fields.List(fields.Nested(ConditionSchema), required=True, metadata=CONDITIONS)
    actions = fields.List(fields.Nested(ActionSchema), required=True, metadata=ACTIONS)


class RuleCreateSchema(RuleDocumentSchema):
    name = fields.String(required=True, metadata=NAME)


class RuleUpdateSchema(RuleDocumentSchema):
    name = fields.String(metadata=NAME)
    conditions = fields.List(fields.Nested(ConditionSchema), metadata=CONDITIONS)
    actions = fields.List(fields.Nested(ActionSchema), metadata=ACTIONS)


class RuleOrderSchema(StrictSchema):
    rule_ids = fields.List(
        fields.Integer(strict=True),
        required=True,
        metadata={"description": "Every one of your rule ids, each once, in the new order.", "example": [4, 2, 9]},
    )


class SampleSchema(StrictSchema):
    description = fields.String(metadata={"example": "CARD 1234 STARBUCKS #88 SEATTLE"})
    notes = fields.String(metadata={"example": ""})
    amount = money_input(metadata={"example": "4.20"})
    currency = fields.String(metadata={"description": "ISO 4217 code.", "example": "USD"})
    payment_method = fields.String(
        validate=validate.OneOf(PAYMENT_METHODS), metadata={"enum": list(PAYMENT_METHODS), "example": "debit_card"}
    )


class RuleTestSchema(RuleDocumentSchema):
    sample = fields.Nested(
        SampleSchema,
        required=True,
        metadata={"description": "A would-be expense; a missing text is empty, a missing amount matches no amount."},
    )


class RulePreviewArgsSchema(RuleDocumentSchema):
    limit = fields.Integer(
        strict=True,
        load_default=10,
        validate=validate.Range(min=1, max=50),
        metadata={"description": "How many matches to list (1-50, default 10).", "example": 10},
    )


class RunSchema(StrictSchema):
    date_from = fields.Date(required=True, metadata={"example": "2025-12-01"})
    date_to = fields.Date(
        required=True,
        metadata={"description": "Inclusive; at most 10 years after `date_from`.", "example": "2026-11-30"},
    )
    rule_ids = fields.List(
        fields.Integer(strict=True),
        allow_none=True,
        metadata={"description": "Only these rules of yours, in their order; null or omitted: every active rule."},
    )
    apply = fields.Boolean(
        **JSON_BOOLEAN,
        load_default=False,
        metadata={"description": "false (default): a dry run that changes nothing; true: apply, in one transaction."},
    )
    page = fields.Integer(strict=True, load_default=1, validate=validate.Range(min=1), metadata={"example": 1})
    per_page = fields.Integer(
        strict=True,
        load_default=50,
        validate=validate.Range(min=1, max=MAX_RUN_PER_PAGE),
        metadata={"description": f"The dry run's page size, 1 to {MAX_RUN_PER_PAGE} (default 50).", "example": 50},
    )


class RunListArgsSchema(StrictSchema):
    limit = AsciiInteger(
        load_default=20, validate=validate.Range(min=1, max=100), metadata={"description": "1 to 100.", "example": 20}
    )


class CategorySuggestionArgsSchema(StrictSchema):
    description = fields.String(
        load_default="",
        validate=validate.Length(max=255),
        metadata={
            "description": "What is being typed (at most 255 characters); empty or omitted: no suggestion.",
            "example": "STARBUCKS #88",
        },
    )


class RuleSuggestionArgsSchema(StrictSchema):
    limit = AsciiInteger(
        load_default=10, validate=validate.Range(min=1, max=50), metadata={"description": "1 to 50.", "example": 10}
    )


# --- responses -------------------------------------------------------------------------------------


def _with_every_key(document: dict, keys) -> dict:
    return {key: document.get(key) for key in keys}


class ConditionOutSchema(StrictSchema):
    field = fields.String(dump_only=True, metadata={"enum": list(CONDITION_FIELDS), "example": "description"})
    operator = fields.String(
        dump_only=True, metadata={"enum": list(OPERATORS), "x-enum-varnames": OPERATOR_NAMES, "example": "contains"}
    )
    value = fields.String(dump_only=True, metadata={"example": "coffee"})
    value2 = fields.String(dump_only=True, allow_none=True, metadata={"description": "Only with `between`."})

    @pre_dump
    def every_key(self, condition: dict, **kwargs) -> dict:
        return _with_every_key(condition, self.fields)


class ActionOutSchema(StrictSchema):
    type = fields.String(dump_only=True, metadata={"enum": list(ACTION_TYPES), "example": "set_category"})
    category_id = fields.Integer(dump_only=True, allow_none=True, metadata={"example": 3})
    tags = fields.List(fields.String(), dump_only=True, allow_none=True, metadata={"example": None})
    payment_method = fields.String(dump_only=True, allow_none=True, metadata={"example": None})
    pattern = fields.String(dump_only=True, allow_none=True, metadata={"example": None})
    replacement = fields.String(dump_only=True, allow_none=True, metadata={"example": None})

    @pre_dump
    def every_key(self, action: dict, **kwargs) -> dict:
        return _with_every_key(action, self.fields)


class RuleSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 4})
    name = fields.String(dump_only=True, metadata={"example": "Coffee"})
    active = fields.Boolean(dump_only=True)
    match = fields.String(dump_only=True, metadata={"enum": list(MATCH_MODES), "example": "all"})
    position = fields.Integer(dump_only=True, metadata={"description": "0 runs first.", "example": 0})
    stop_after = fields.Boolean(dump_only=True)
    conditions = fields.List(fields.Nested(ConditionOutSchema), dump_only=True)
    actions = fields.List(fields.Nested(ActionOutSchema), dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})
    updated_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})


class FieldChangesSchema(StrictSchema):
    category_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null: unchanged."})
    payment_method = fields.String(dump_only=True, allow_none=True, metadata={"description": "null: unchanged."})
    description = fields.String(dump_only=True, allow_none=True, metadata={"description": "null: unchanged."})
    add_tags = fields.List(fields.String(), dump_only=True, metadata={"example": ["coffee"]})
    skip = fields.Boolean(dump_only=True, metadata={"description": "An import would leave the row out."})
    rule_ids = fields.List(fields.Integer(), dump_only=True, metadata={"description": "The rules that matched."})
    changed = fields.Boolean(dump_only=True, metadata={"description": "Whether anything would change."})


class RulePreviewSchema(StrictSchema):
    match_count = fields.Integer(
        dump_only=True, metadata={"description": "How many of your expenses the rule matches.", "example": 12}
    )
    first_matches = fields.List(
        fields.Nested(ExpenseSchema), dump_only=True, metadata={"description": "The newest matches first."}
    )


class ExpenseFieldsSchema(StrictSchema):
    category_id = fields.Integer(dump_only=True, metadata={"example": 3})
    category_name = fields.String(dump_only=True, metadata={"example": "Food"})
    description = fields.String(dump_only=True, metadata={"example": "Coffee at the station"})
    payment_method = fields.String(dump_only=True, metadata={"enum": list(PAYMENT_METHODS), "example": "cash"})
    tags = fields.List(fields.String(), dump_only=True, metadata={"example": ["coffee"]})


class ExpenseChangeSchema(StrictSchema):
    expense_id = fields.Integer(dump_only=True, metadata={"example": 42})
    date = fields.Date(dump_only=True, metadata={"example": "2026-03-14"})
    before = fields.Nested(ExpenseFieldsSchema, dump_only=True)
    after = fields.Nested(ExpenseFieldsSchema, dump_only=True)
    rule_ids = fields.List(fields.Integer(), dump_only=True, metadata={"example": [4]})


class RunPreviewSchema(StrictSchema):
    date_from = fields.Date(dump_only=True, metadata={"example": "2025-12-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    scanned = fields.Integer(dump_only=True, metadata={"description": "Your expenses in the range.", "example": 365})
    total_changes = fields.Integer(
        dump_only=True, metadata={"description": "How many of them would change.", "example": 40}
    )
    changes = fields.List(
        fields.Nested(ExpenseChangeSchema), dump_only=True, metadata={"description": "This page, oldest first."}
    )
    page = fields.Integer(dump_only=True, metadata={"example": 1})
    per_page = fields.Integer(dump_only=True, metadata={"example": 50})
    total_pages = fields.Function(
        lambda preview: -(-preview.total_changes // preview.per_page),
        dump_only=True,
        metadata={"type": "integer", "description": "0 when nothing would change.", "example": 1},
    )


class RuleRunSchema(StrictSchema):
    id = fields.Integer(dump_only=True, metadata={"example": 8})
    created_at = fields.AwareDateTime(dump_only=True, metadata={"example": "2026-11-26T09:30:00+00:00"})
    date_from = fields.Date(dump_only=True, metadata={"example": "2025-12-01"})
    date_to = fields.Date(dump_only=True, metadata={"example": "2026-11-30"})
    rule_ids = fields.List(
        fields.Integer(), dump_only=True, allow_none=True, metadata={"description": "null: every active rule."}
    )
    change_count = fields.Integer(
        dump_only=True, metadata={"description": "How many expenses the run changed.", "example": 40}
    )
    undone_at = fields.AwareDateTime(
        dump_only=True, allow_none=True, metadata={"description": "null until the run is undone."}
    )


class UndoResultSchema(StrictSchema):
    run_id = fields.Integer(dump_only=True, metadata={"example": 8})
    restored = fields.Integer(
        dump_only=True, metadata={"description": "Expenses put back as they were.", "example": 39}
    )
    skipped = fields.List(
        fields.Integer(),
        dump_only=True,
        metadata={"description": "Ids of expenses changed since the run: left as they are now.", "example": [57]},
    )


class CategorySuggestionSchema(StrictSchema):
    category_id = fields.Integer(dump_only=True, metadata={"example": 3})
    category_name = fields.String(dump_only=True, metadata={"example": "Food"})
    matches = fields.Integer(
        dump_only=True, metadata={"description": "Past expenses of this merchant in the category.", "example": 5}
    )
    of = fields.Integer(dump_only=True, metadata={"description": "Past expenses of this merchant.", "example": 6})


class CategorySuggestionAnswerSchema(StrictSchema):
    suggestion = fields.Nested(
        CategorySuggestionSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "null when your history suggests nothing (fewer than 3 matching expenses)."},
    )


class SuggestedRuleSchema(StrictSchema):
    name = fields.String(dump_only=True, metadata={"example": "Netflix"})
    match = fields.String(dump_only=True, metadata={"enum": list(MATCH_MODES), "example": "all"})
    conditions = fields.List(fields.Nested(ConditionOutSchema), dump_only=True)
    actions = fields.List(fields.Nested(ActionOutSchema), dump_only=True)


class RuleSuggestionSchema(StrictSchema):
    key = fields.String(
        dump_only=True, metadata={"description": "Accept it with `POST /suggestions/rules/{key}/accept`."}
    )
    keyword = fields.String(dump_only=True, metadata={"example": "netflix"})
    category_id = fields.Integer(dump_only=True, metadata={"example": 7})
    category_name = fields.String(dump_only=True, metadata={"example": "Entertainment"})
    matches = fields.Integer(dump_only=True, metadata={"example": 4})
    rule = fields.Nested(SuggestedRuleSchema, dump_only=True)
