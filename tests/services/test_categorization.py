"""Categorisation rules: validation of a rule document, CRUD and order, and the evaluation of every
condition and action (order, stop, chaining, regex rewrite, a pathological regex)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from expense_app.errors import NotFound, ValidationFailed
from expense_app.services import categorization
from expense_app.services.categorization import FieldChanges, apply_to_fields
from expense_app.services.categorization import test_rule as check_rule
from tests.services.conftest import category_id_of

SAMPLE = {
    "description": "CARD 1234 STARBUCKS #88 SEATTLE",
    "notes": "Morning coffee",
    "amount": "4.50",
    "currency": "USD",
    "payment_method": "credit_card",
}


def rule(conditions, actions, **fields) -> dict:
    return {"name": fields.pop("name", "A rule"), "conditions": conditions, "actions": actions, **fields}


def cond(field, operator, value, **extra) -> dict:
    return {"field": field, "operator": operator, "value": value, **extra}


def tags(*names) -> dict:
    return {"type": "add_tags", "tags": list(names)}


def errors_of(call) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        call()
    return caught.value.errors


# --- conditions -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "matches"),
    [
        (cond("description", "contains", "starbucks"), True),
        (cond("description", "contains", "Dunkin"), False),
        (cond("description", "equals", "card 1234 starbucks #88 seattle"), True),
        (cond("description", "equals", "card 1234 starbucks"), False),
        (cond("description", "starts_with", "Card 12"), True),
        (cond("description", "starts_with", "starbucks"), False),
        (cond("description", "ends_with", "SEATTLE"), True),
        (cond("description", "ends_with", "#88"), False),
        (cond("description", "regex", r"card \d{4} starbucks"), True),
        (cond("description", "regex", r"^starbucks"), False),
        (cond("notes", "contains", "COFFEE"), True),
        (cond("notes", "equals", "morning coffee"), True),
        (cond("notes", "starts_with", "coffee"), False),
        (cond("notes", "regex", "tea|coffee"), True),
        (cond("amount", "=", "4.50"), True),
        (cond("amount", "=", "4.51"), False),
        (cond("amount", "<", "4.50"), False),
        (cond("amount", "<", "5"), True),
        (cond("amount", "<=", "4.50"), True),
        (cond("amount", ">", "4.50"), False),
        (cond("amount", ">", "4.49"), True),
        (cond("amount", ">=", "4.50"), True),
        (cond("amount", "between", "4.00", value2="4.50"), True),
        (cond("amount", "between", "4.51", value2="20.00"), False),
        (cond("currency", "equals", "usd"), True),
        (cond("currency", "equals", "EUR"), False),
        (cond("payment_method", "equals", "credit_card"), True),
        (cond("payment_method", "equals", "cash"), False),
    ],
)
def test_each_condition(ctx, user, condition, matches):
    result = check_rule(user=user, rule=rule([condition], [tags("hit")]), sample=SAMPLE)
    assert result.add_tags == (("hit",) if matches else ())
    assert result.rule_ids == ((0,) if matches else ())


def test_text_conditions_ignore_case_beyond_ascii(ctx, user):
    result = check_rule(
        user=user, rule=rule([cond("description", "contains", "café")], [tags("x")]), sample={"description": "CAFÉ"}
    )
    assert result.add_tags == ("x",)
    regex = rule([cond("description", "regex", "^café au")], [tags("x")])
    assert check_rule(user=user, rule=regex, sample={"description": "CAFÉ au lait"}).add_tags == ("x",)


def test_match_all_needs_every_condition_any_needs_one(ctx, user):
    conditions = [cond("description", "contains", "starbucks"), cond("amount", ">", "100")]
    assert not check_rule(user=user, rule=rule(conditions, [tags("x")], match="all"), sample=SAMPLE).changed
    assert check_rule(user=user, rule=rule(conditions, [tags("x")], match="any"), sample=SAMPLE).add_tags == ("x",)


def test_a_missing_sample_field_matches_nothing(ctx, user):
    result = check_rule(user=user, rule=rule([cond("amount", ">", "0")], [tags("x")]), sample={})
    assert not result.changed


# --- actions ----------------------------------------------------------------------------------------


def test_each_action(ctx, user):
    food = category_id_of(user, "Food")
    actions = [
        {"type": "set_category", "category_id": food},
        tags("Coffee", " coffee ", "Morning"),
        {"type": "set_payment_method", "payment_method": "cash"},
        {"type": "rewrite_description", "pattern": r"CARD \d+ (\w+) #\d+ (\w+)", "replacement": r"\1 in \g<2>"},
    ]
    result = check_rule(user=user, rule=rule([cond("description", "contains", "starbucks")], actions), sample=SAMPLE)
    assert result == FieldChanges(
        category_id=food,
        payment_method="cash",
        description="STARBUCKS in SEATTLE",
        add_tags=("coffee", "morning"),
        skip=False,
        rule_ids=(0,),
    )
    assert result.changed


def test_rewrite_with_groups_turns_a_card_line_into_the_merchant(ctx, user):
    rewrite = {"type": "rewrite_description", "pattern": r"^CARD \d+ (S)(TARBUCKS).*$", "replacement": r"\1tarbucks"}
    result = check_rule(user=user, rule=rule([cond("description", "starts_with", "card")], [rewrite]), sample=SAMPLE)
    assert result.description == "Starbucks"


def test_skip_counts_only_for_imports(ctx, user):
    food = category_id_of(user, "Food")
    with_skip = rule([cond("description", "contains", "starbucks")], [{"type": "skip"}])
    categorization.create_rule(user=user, **with_skip)
    assert apply_to_fields(user=user, fields=SAMPLE, for_import=True).skip
    manual = apply_to_fields(user=user, fields=SAMPLE)
    assert not manual.skip and not manual.changed and manual.rule_ids
    # A rule's other actions apply either way.
    categorization.create_rule(
        user=user, **rule([cond("amount", "<", "10")], [{"type": "set_category", "category_id": food}])
    )
    assert apply_to_fields(user=user, fields=SAMPLE).category_id == food


# --- order, stop, chaining ---------------------------------------------------------------------------


def test_rules_run_in_order_later_set_category_wins_and_tags_accumulate(ctx, user):
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    first = categorization.create_rule(
        user=user,
        **rule([cond("amount", ">", "0")], [{"type": "set_category", "category_id": food}, tags("one")]),
    )
    second = categorization.create_rule(
        user=user,
        **rule([cond("currency", "equals", "USD")], [{"type": "set_category", "category_id": transport}, tags("two")]),
    )
    result = apply_to_fields(user=user, fields=SAMPLE)
    assert (result.category_id, result.add_tags, result.rule_ids) == (transport, ("one", "two"), (first.id, second.id))
    categorization.reorder_rules(user=user, rule_ids=[second.id, first.id])
    assert apply_to_fields(user=user, fields=SAMPLE).category_id == food


def test_stop_after_ends_the_evaluation(ctx, user):
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    first = categorization.create_rule(
        user=user,
        **rule([cond("amount", ">", "0")], [{"type": "set_category", "category_id": food}], stop_after=True),
    )
    categorization.create_rule(
        user=user, **rule([cond("amount", ">", "0")], [{"type": "set_category", "category_id": transport}])
    )
    result = apply_to_fields(user=user, fields=SAMPLE)
    assert (result.category_id, result.rule_ids) == (food, (first.id,))
    # A stop rule that does not match stops nothing.
    categorization.update_rule(user=user, rule_id=first.id, conditions=[cond("amount", ">", "1000")])
    assert apply_to_fields(user=user, fields=SAMPLE).category_id == transport


def test_later_rules_see_earlier_rules_changes(ctx, user):
    food = category_id_of(user, "Food")
    categorization.create_rule(
        user=user,
        **rule(
            [cond("description", "starts_with", "CARD")],
            [
                {"type": "rewrite_description", "pattern": r"^CARD \d+ (\w+).*", "replacement": r"\1"},
                {"type": "set_payment_method", "payment_method": "debit_card"},
            ],
        ),
    )
    categorization.create_rule(
        user=user,
        **rule(
            [cond("description", "equals", "starbucks"), cond("payment_method", "equals", "debit_card")],
            [{"type": "set_category", "category_id": food}],
        ),
    )
    result = apply_to_fields(user=user, fields=SAMPLE)
    assert (result.description, result.payment_method, result.category_id) == ("STARBUCKS", "debit_card", food)


def test_inactive_rules_do_not_apply(ctx, user):
    categorization.create_rule(user=user, active=False, **rule([cond("amount", ">", "0")], [tags("x")]))
    assert not apply_to_fields(user=user, fields=SAMPLE).changed


# --- regular expressions are bounded ------------------------------------------------------------------


def test_a_pathological_regex_on_a_long_description_answers(ctx, user):
    long_text = "a" * 10_000 + "!"
    document = rule([cond("description", "regex", "(a+)+$")], [tags("slow")])
    assert not check_rule(user=user, rule=document, sample={"description": long_text}).changed
    assert check_rule(user=user, rule=document, sample={"description": "a" * 10_000}).add_tags == ("slow",)
    rewrite = {"type": "rewrite_description", "pattern": "(a+)+b", "replacement": "x"}
    result = check_rule(
        user=user, rule=rule([cond("amount", ">", "0")], [rewrite]), sample={"description": long_text, "amount": "1"}
    )
    assert not result.changed


def test_backreferences_and_bad_patterns_are_422s_naming_the_field(ctx, user):
    errors = errors_of(
        lambda: check_rule(user=user, rule=rule([cond("description", "regex", r"(a)\1")], [tags("x")]), sample={})
    )
    assert "Backreferences" in errors["conditions.0.value"][0]
    errors = errors_of(
        lambda: categorization.create_rule(
            user=user,
            **rule([cond("amount", ">", "0")], [tags("x"), {"type": "rewrite_description", "pattern": "(unclosed"}]),
        )
    )
    assert list(errors) == ["actions.1.pattern"]
    too_long = "a" * (categorization.MAX_PATTERN_LENGTH + 1)
    assert "conditions.0.value" in errors_of(
        lambda: check_rule(user=user, rule=rule([cond("description", "regex", too_long)], [tags("x")]), sample={})
    )
    bad_group = {"type": "rewrite_description", "pattern": r"(\w+)", "replacement": r"\2"}
    assert "actions.0.replacement" in errors_of(
        lambda: check_rule(user=user, rule=rule([cond("amount", ">", "0")], [bad_group]), sample={})
    )
    assert categorization.list_rules(user=user) == []


# --- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"conditions": [], "actions": [tags("x")]}, "conditions"),
        ({"conditions": [cond("amount", ">", "1")], "actions": []}, "actions"),
        ({"conditions": "amount > 1", "actions": [tags("x")]}, "conditions"),
        ({"conditions": [cond("colour", "equals", "red")], "actions": [tags("x")]}, "conditions.0.field"),
        ({"conditions": [cond("description", ">", "x")], "actions": [tags("x")]}, "conditions.0.operator"),
        ({"conditions": [cond("description", "contains", " ")], "actions": [tags("x")]}, "conditions.0.value"),
        ({"conditions": [cond("description", "contains", "a\x00b")], "actions": [tags("x")]}, "conditions.0.value"),
        ({"conditions": [cond("amount", ">", "ten")], "actions": [tags("x")]}, "conditions.0.value"),
        ({"conditions": [cond("amount", ">", "1.001")], "actions": [tags("x")]}, "conditions.0.value"),
        ({"conditions": [cond("amount", "between", "5")], "actions": [tags("x")]}, "conditions.0.value2"),
        ({"conditions": [cond("amount", "between", "5", value2="4")], "actions": [tags("x")]}, "conditions.0.value2"),
        ({"conditions": [cond("amount", ">", "5", value2="9")], "actions": [tags("x")]}, "conditions.0.value2"),
        ({"conditions": [cond("currency", "equals", "XXQ")], "actions": [tags("x")]}, "conditions.0.value"),
        ({"conditions": [cond("currency", "contains", "EUR")], "actions": [tags("x")]}, "conditions.0.operator"),
        ({"conditions": [cond("payment_method", "equals", "cheque")], "actions": [tags("x")]}, "conditions.0.value"),
        ({"conditions": [42], "actions": [tags("x")]}, "conditions.0"),
        ({"conditions": [cond("amount", ">", "1")] * 21, "actions": [tags("x")]}, "conditions"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [{"type": "explode"}]}, "actions.0.type"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags()]}, "actions.0.tags"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags("x" * 51)]}, "actions.0.tags"),
        (
            {"conditions": [cond("amount", ">", "1")], "actions": [{"type": "add_tags", "tags": "a,b"}]},
            "actions.0.tags",
        ),
        (
            {
                "conditions": [cond("amount", ">", "1")],
                "actions": [{"type": "set_payment_method", "payment_method": 1}],
            },
            "actions.0.payment_method",
        ),
        ({"conditions": [cond("amount", ">", "1")], "actions": [{"type": "set_category"}]}, "actions.0.category_id"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags("x")] * 11}, "actions"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags("x")], "match": "some"}, "match"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags("x")], "stop_after": "yes"}, "stop_after"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags("x")], "name": ""}, "name"),
        ({"conditions": [cond("amount", ">", "1")], "actions": [tags("x")], "name": "n" * 101}, "name"),
    ],
)
def test_bad_documents_name_the_field_and_save_nothing(ctx, user, document, field):
    document = {"name": "Rule", **document}
    errors = errors_of(lambda: categorization.create_rule(user=user, **document))
    assert field in errors
    assert categorization.list_rules(user=user) == []


def test_a_category_must_be_the_users_own(ctx, user, other_user):
    theirs = category_id_of(other_user, "Food")
    for value in (theirs, "abc", 0, 2**40, True):
        errors = errors_of(
            lambda value=value: categorization.create_rule(
                user=user, **rule([cond("amount", ">", "1")], [{"type": "set_category", "category_id": value}])
            )
        )
        assert errors == {"actions.0.category_id": [categorization.CATEGORY_NOT_YOURS]}


def test_a_stored_document_is_the_cleaned_one(ctx, user):
    saved = categorization.create_rule(
        user=user,
        name="  Coffee  ",
        conditions=[cond("description", "contains", "  coffee "), cond("amount", "between", "1", value2="9.5")],
        actions=[tags("Coffee", "coffee", "Hot")],
    )
    assert saved.name == "Coffee"
    assert saved.conditions == [
        {"field": "description", "operator": "contains", "value": "coffee"},
        {"field": "amount", "operator": "between", "value": "1.00", "value2": "9.50"},
    ]
    assert saved.actions == [{"type": "add_tags", "tags": ["coffee", "hot"]}]
    assert (saved.match, saved.active, saved.stop_after) == ("all", True, False)


# --- CRUD and order -------------------------------------------------------------------------------------


def _positions(user):
    return [(r.id, r.position) for r in categorization.list_rules(user=user)]


def test_positions_stay_0_to_n_minus_1(ctx, user):
    made = [
        categorization.create_rule(user=user, **rule([cond("amount", ">", str(n))], [tags("x")])).id for n in range(4)
    ]
    assert _positions(user) == [(made[0], 0), (made[1], 1), (made[2], 2), (made[3], 3)]
    categorization.delete_rule(user=user, rule_id=made[1])
    assert _positions(user) == [(made[0], 0), (made[2], 1), (made[3], 2)]
    categorization.move_rule(user=user, rule_id=made[3], direction="up")
    assert _positions(user) == [(made[0], 0), (made[3], 1), (made[2], 2)]
    categorization.move_rule(user=user, rule_id=made[0], direction="up")  # already first: nothing moves
    categorization.move_rule(user=user, rule_id=made[2], direction="down")  # already last
    assert _positions(user) == [(made[0], 0), (made[3], 1), (made[2], 2)]
    categorization.reorder_rules(user=user, rule_ids=[made[2], made[0], made[3]])
    assert _positions(user) == [(made[2], 0), (made[0], 1), (made[3], 2)]


def test_reorder_needs_exactly_the_users_ids(ctx, user, other_user):
    mine = [categorization.create_rule(user=user, **rule([cond("amount", ">", "1")], [tags("x")])).id for _ in range(2)]
    theirs = categorization.create_rule(user=other_user, **rule([cond("amount", ">", "1")], [tags("x")])).id
    for ids in ([mine[0]], [*mine, mine[0]], [mine[0], theirs], [*mine, theirs], ["a", "b"], "1,2", [mine[0], None]):
        assert "rule_ids" in errors_of(lambda ids=ids: categorization.reorder_rules(user=user, rule_ids=ids))
    assert [r.id for r in categorization.list_rules(user=user)] == mine
    with pytest.raises(ValidationFailed):
        categorization.move_rule(user=user, rule_id=mine[0], direction="sideways")


def test_update_changes_only_what_is_given(ctx, user):
    saved = categorization.create_rule(user=user, **rule([cond("amount", ">", "1")], [tags("x")], name="First"))
    categorization.update_rule(user=user, rule_id=saved.id, active=False, match="any")
    again = categorization.get_rule(user=user, rule_id=saved.id)
    assert (again.name, again.active, again.match, again.actions) == (
        "First",
        False,
        "any",
        [{"type": "add_tags", "tags": ["x"]}],
    )
    assert "conditions.0.value" in errors_of(
        lambda: categorization.update_rule(user=user, rule_id=saved.id, conditions=[cond("amount", ">", "x")])
    )
    assert "colour" in errors_of(lambda: categorization.update_rule(user=user, rule_id=saved.id, colour="red"))
    assert categorization.get_rule(user=user, rule_id=saved.id).conditions[0]["value"] == "1.00"


def test_another_users_rule_is_not_found(ctx, user, other_user):
    theirs = categorization.create_rule(user=other_user, **rule([cond("amount", ">", "1")], [tags("x")]))
    for call in (
        lambda: categorization.get_rule(user=user, rule_id=theirs.id),
        lambda: categorization.update_rule(user=user, rule_id=theirs.id, name="Mine"),
        lambda: categorization.delete_rule(user=user, rule_id=theirs.id),
        lambda: categorization.move_rule(user=user, rule_id=theirs.id, direction="up"),
        lambda: categorization.get_rule(user=user, rule_id=2**40),
        lambda: categorization.get_rule(user=user, rule_id="1"),
    ):
        with pytest.raises(NotFound):
            call()
    assert categorization.get_rule(user=other_user, rule_id=theirs.id).name == "A rule"
    assert not apply_to_fields(user=user, fields={"amount": Decimal("5")}).changed


def test_at_most_max_rules(ctx, user, monkeypatch):
    monkeypatch.setattr(categorization, "MAX_RULES", 2)
    for _ in range(2):
        categorization.create_rule(user=user, **rule([cond("amount", ">", "1")], [tags("x")]))
    assert "name" in errors_of(
        lambda: categorization.create_rule(user=user, **rule([cond("amount", ">", "1")], [tags("x")]))
    )
    assert len(categorization.list_rules(user=user)) == 2


def test_regexes_fall_back_to_one_search_each_when_re2_refuses_the_set(ctx, user, monkeypatch):
    documents = [
        rule([cond("description", "regex", r"starbucks #\d+")], [tags("one")]),
        rule([cond("description", "regex", r"^dunkin")], [tags("two")]),
        rule([cond("notes", "regex", r"coffee$")], [tags("three")]),
    ]
    for document in documents:
        categorization.create_rule(user=user, **document)
    expected = ("one", "three")
    assert apply_to_fields(user=user, fields=SAMPLE).add_tags == expected

    class Refused:
        @staticmethod
        def SearchSet(options):
            raise MemoryError("pattern set too large")

    monkeypatch.setattr(categorization.re2, "Set", Refused)
    assert apply_to_fields(user=user, fields=SAMPLE).add_tags == expected
