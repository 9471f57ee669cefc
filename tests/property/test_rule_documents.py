"""Rule documents, random: a valid one is accepted and evaluates on any sample without error; an
invalid one (any field, any JSON-ish junk) is a ValidationFailed naming a field, never another
exception, and saves nothing."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expense_app.errors import ValidationFailed
from expense_app.models import PAYMENT_METHODS
from expense_app.services import categorization
from tests import factories

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_emails = itertools.count(1)

WORDS = st.sampled_from(["coffee", "CARD", "50%", "a_b", "café", "İ", "\\", "x" * 40])
AMOUNTS = st.decimals(min_value=0, max_value=10_000, places=2).map(str)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
REGEXES = st.sampled_from([r"^card \d+", r"(a+)+$", r"(?P<m>\w+) #\d+", r"caf[eé]", r"\bx{2,5}"])


def valid_condition():
    return st.one_of(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(categorization.TEXT_FIELDS),
                "operator": st.sampled_from(categorization.TEXT_OPERATORS[:-1]),
                "value": WORDS,
            }
        ),
        st.fixed_dictionaries(
            {"field": st.sampled_from(categorization.TEXT_FIELDS), "operator": st.just("regex"), "value": REGEXES}
        ),
        st.fixed_dictionaries(
            {
                "field": st.just("amount"),
                "operator": st.sampled_from(categorization.AMOUNT_OPERATORS[:-1]),
                "value": AMOUNTS,
            }
        ),
        st.fixed_dictionaries(
            {"field": st.just("amount"), "operator": st.just("between"), "value": st.just("1.00"), "value2": AMOUNTS}
        ).filter(lambda c: float(c["value2"]) >= 1),
        st.fixed_dictionaries(
            {
                "field": st.just("payment_method"),
                "operator": st.just("equals"),
                "value": st.sampled_from(PAYMENT_METHODS),
            }
        ),
        st.fixed_dictionaries(
            {"field": st.just("currency"), "operator": st.just("equals"), "value": st.sampled_from(["EUR", "jpy"])}
        ),
    )


def valid_action(category_id: int):
    return st.one_of(
        st.just({"type": "set_category", "category_id": category_id}),
        st.fixed_dictionaries({"type": st.just("add_tags"), "tags": st.lists(WORDS, min_size=1, max_size=3)}),
        st.fixed_dictionaries(
            {"type": st.just("set_payment_method"), "payment_method": st.sampled_from(PAYMENT_METHODS)}
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("rewrite_description"),
                "pattern": REGEXES,
                "replacement": st.sampled_from(["", "Shop", r"\g<0>!", r"[\g<0>]"]),
            }
        ),
        st.just({"type": "skip"}),
    )


def document(category_id: int):
    return st.fixed_dictionaries(
        {
            "name": st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20).filter(
                str.strip
            ),
            "match": st.sampled_from(categorization.MATCH_MODES),
            "stop_after": st.booleans(),
            "conditions": st.lists(valid_condition(), min_size=1, max_size=4),
            "actions": st.lists(valid_action(category_id), min_size=1, max_size=3),
        }
    )


SAMPLES = st.fixed_dictionaries(
    {},
    optional={
        "description": st.one_of(st.text(max_size=60), st.just("a" * 3000 + "!"), JUNK),
        "notes": st.one_of(st.text(max_size=30), JUNK),
        "amount": st.one_of(AMOUNTS, JUNK),
        "currency": st.one_of(st.sampled_from(["EUR", "JPY", "usd"]), JUNK),
        "payment_method": st.one_of(st.sampled_from(PAYMENT_METHODS), JUNK),
    },
)


@pytest.fixture
def owner(ctx, make_user):
    user = make_user(email=f"rules{next(_emails)}@example.com")
    return user, factories.category_id(user)


@SETTINGS
@given(data=st.data())
def test_valid_documents_are_accepted_and_evaluate(owner, data):
    user, category_id = owner
    rule = data.draw(document(category_id))
    sample = data.draw(SAMPLES)
    result = categorization.test_rule(user=user, rule=rule, sample=sample)
    assert set(result.rule_ids) <= {0}
    if not result.rule_ids:
        assert not result.changed
    if result.description is not None:
        assert len(result.description) <= categorization.DESCRIPTION_MAX_LENGTH


def _break(rule: dict, data) -> dict:
    """`rule` with one part replaced by junk: a top-level field, a condition's or an action's key."""
    where = data.draw(st.sampled_from(["top", "condition", "action", "list"]))
    broken = {
        **rule,
        "conditions": [dict(c) for c in rule["conditions"]],
        "actions": [dict(a) for a in rule["actions"]],
    }
    junk = data.draw(JUNK)
    if where == "top":
        broken[data.draw(st.sampled_from(["name", "match", "stop_after", "active", "conditions", "actions"]))] = junk
    elif where == "condition":
        broken["conditions"][0][data.draw(st.sampled_from(["field", "operator", "value", "value2"]))] = junk
    elif where == "action":
        key = data.draw(st.sampled_from(["type", "category_id", "tags", "payment_method", "pattern", "replacement"]))
        broken["actions"][0][key] = junk
    else:
        broken[data.draw(st.sampled_from(["conditions", "actions"]))] = [junk]
    return broken


@SETTINGS
@given(data=st.data())
def test_broken_documents_are_validation_failures_or_still_valid(owner, data):
    user, category_id = owner
    rule = _break(data.draw(document(category_id)), data)
    try:
        saved = categorization.create_rule(user=user, **rule)
    except ValidationFailed as failure:
        assert failure.errors and all(isinstance(field, str) for field in failure.errors)
        assert categorization.list_rules(user=user) == []
        return
    # The junk happened to be acceptable (a value2 of None, a bool for stop_after...): it evaluates.
    categorization.apply_to_fields(user=user, fields=data.draw(SAMPLES))
    categorization.delete_rule(user=user, rule_id=saved.id)
