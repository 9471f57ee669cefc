"""Bad input in the rule form's rows: the HTML fuzz sends the form's top-level fields, this sends
hostile values into every condition and action row field (`conditions-3-value2`, `actions-0-category_id`,
row numbers past the end), for the new and the edit form and their preview. No answer may be a 5xx,
and a refused form (anything but the redirect after saving) changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from expense_app.services import categorization
from tests import factories
from tests.fuzz.test_html_fuzz import CORE_HOSTILE_VALUES, HOSTILE_VALUES

CONDITION_FIELDS = {
    "field": ["description", "notes", "amount", "payment_method", "currency", ""],
    "operator": ["contains", "equals", "regex", "between", ">=", "starts_with"],
    "value": ["coffee", "10.00", "EUR", "cash", "(a+)+$"],
    "value2": ["20.00", ""],
}
ACTION_FIELDS = {
    "type": ["set_category", "add_tags", "set_payment_method", "rewrite_description", "skip", ""],
    "category_id": [],
    "tags": ["coffee, morning"],
    "payment_method": ["cash", "debit_card"],
    "pattern": [r"CARD \d+ (\w+).*", "(a"],
    "replacement": [r"\1", r"\9"],
}
ROWS = st.sampled_from(["0", "1", "4", "5", "29", "99999999999999999999", "-1", "x"])
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def row_pairs(food_id: str):
    def one(prefix: str, fields: dict[str, list[str]]):
        def pair(name: str):
            valid = fields[name] or [food_id]
            value = st.one_of(st.sampled_from(valid), st.sampled_from(HOSTILE_VALUES), st.text(max_size=20))
            return st.tuples(ROWS.map(lambda row: f"{prefix}-{row}-{name}"), value)

        return st.sampled_from(sorted(fields)).flatmap(pair)

    return st.lists(st.one_of(one("conditions", CONDITION_FIELDS), one("actions", ACTION_FIELDS)), max_size=14)


@pytest.fixture
def setting(app, client, user, login):
    login(user)
    with app.app_context():
        food = factories.category_id(user, "Food")
        factories.create_expense(user, description="Coffee")
        rule_id = categorization.create_rule(
            user=user,
            name="Coffee",
            conditions=[{"field": "description", "operator": "contains", "value": "coffee"}],
            actions=[{"type": "set_category", "category_id": food}],
        ).id
    return str(food), rule_id


def _post(app, client, url: str, pairs: list[tuple[str, str]]) -> str | None:
    with app.app_context():
        before = factories.all_rows()
    response = client.post(url, data=MultiDict(pairs))
    if response.status_code >= 500:
        return f"POST {url} {pairs!r:.300} -> {response.status_code}"
    if response.status_code != 302:
        with app.app_context():
            if factories.all_rows() != before:
                return f"POST {url} {pairs!r:.300} was refused ({response.status_code}) but changed the database"
    return None


@pytest.mark.parametrize("target", ["new", "edit", "preview"])
def test_rows_survive_any_values_and_change_nothing_when_refused(app, client, setting, target):
    food, rule_id = setting
    url = "/rules/new" if target != "edit" else f"/rules/{rule_id}/edit"
    base = [("name", "Fuzzed"), ("match", "all"), ("active", "y")] + ([("preview", "1")] if target == "preview" else [])
    valid = [
        ("conditions-0-field", "description"),
        ("conditions-0-operator", "contains"),
        ("conditions-0-value", "coffee"),
        ("actions-0-type", "set_category"),
        ("actions-0-category_id", food),
    ]
    # Coverage pass: each row field of row 1 alone with core hostile values, beside a valid row 0.
    failures = []
    for prefix, fields in (("conditions", CONDITION_FIELDS), ("actions", ACTION_FIELDS)):
        for name in fields:
            for value in CORE_HOSTILE_VALUES[::2]:  # every other one: the random pass sends them all
                # Row 1 is a used row (a field or a type chosen) unless that is the value being varied.
                used = ("field", "description") if prefix == "conditions" else ("type", "add_tags")
                row = {f"{prefix}-1-{used[0]}": used[1], f"{prefix}-1-{name}": value}
                failure = _post(app, client, url, base + valid + list(row.items()))
                if failure:
                    failures.append(failure)
    assert not failures, "\n".join(failures[:10])

    @FUZZ
    @given(pairs=row_pairs(food))
    def check(pairs):
        failure = _post(app, client, url, base + pairs)
        assert failure is None, failure

    check()
