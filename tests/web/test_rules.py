"""Rules pages: list, add/edit with errors per row and preview, up/down, on/off, delete, suggested
rules, the suggest-category JSON, and isolation between users. The run on existing expenses (dry
run, apply, undo) is in test_rules_run.py."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import Rule
from expense_app.services import categories, categorization
from tests import factories
from tests.conftest import count_rows


@pytest.fixture
def logged_in(client, user, login):
    login(user)
    return client


def food(app, user) -> int:
    with app.app_context():
        return factories.category_id(user, "Food")


def rule_form(app, user, **fields) -> dict:
    """The coffee rule as the browser posts it: one condition row, two action rows, the rest empty."""
    data = {
        "name": "Coffee",
        "match": "all",
        "conditions-0-field": "description",
        "conditions-0-operator": "contains",
        "conditions-0-value": "coffee",
        "actions-0-type": "set_category",
        "actions-0-category_id": str(food(app, user)),
        "actions-1-type": "add_tags",
        "actions-1-tags": "coffee",
        "active": "y",
    }
    for row in range(1, 5):
        data.setdefault(f"conditions-{row}-field", "")
    for row in range(2, 5):
        data.setdefault(f"actions-{row}-type", "")
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def make_rule(app, user, name: str, value: str = "coffee", **fields) -> int:
    with app.app_context():
        return categorization.create_rule(
            user=user,
            name=name,
            conditions=[{"field": "description", "operator": "contains", "value": value}],
            actions=[{"type": "set_category", "category_id": factories.category_id(user, "Food")}],
            **fields,
        ).id


def rule_order(app, user) -> list[str]:
    with app.app_context():
        return [rule.name for rule in categorization.list_rules(user=user)]


def row_html(html: str, row_class: str, index: int) -> str:
    match = re.search(
        rf'<div class="row gx-2 rule-row {row_class}" data-row="{index}">.*?(?=<div class="row gx-2 rule-row|</fieldset>)',
        html,
        re.S,
    )
    assert match, f"no {row_class} {index}"
    return match.group(0)


# --- pages render ------------------------------------------------------------------------------------


def test_pages_need_login(client):
    for url in ("/rules", "/rules/new", "/rules/run", "/rules/suggest-category?description=x"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_every_page_renders_for_a_full_user(app, client, full_user, login):
    login(full_user.user)
    with app.app_context():
        rules = categorization.list_rules(user=full_user.user)
        runs = categorization.list_runs(user=full_user.user)
    assert rules and runs, "the full user owns a rule and a run"
    pages = {
        "/rules": "Your rules, in the order they run",
        "/rules/new": "New rule",
        f"/rules/{rules[0].id}/edit": "Edit rule",
        f"/rules/{rules[0].id}/delete": "Delete this rule?",
        "/rules/run": "Run rules on existing expenses",
        f"/rules/runs/{runs[0].id}": "Rule run of",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.text, url
    index = client.get("/rules").text
    assert f'id="rule-{rules[0].id}"' in index
    assert 'href="/rules"' in client.get("/").text, "the navigation links to the rules"


def test_empty_state_for_a_new_user(logged_in):
    page = logged_in.get("/rules").text
    assert 'id="empty-state"' in page and 'id="no-suggestions"' in page


# --- create and edit ---------------------------------------------------------------------------------


def test_create_rule_from_rows_ignores_empty_rows(app, logged_in, user):
    response = logged_in.post("/rules/new", data=rule_form(app, user))
    assert response.status_code == 302
    with app.app_context():
        (rule,) = categorization.list_rules(user=user)
        assert rule.name == "Coffee" and rule.match == "all" and rule.active and not rule.stop_after
        assert rule.conditions == [{"field": "description", "operator": "contains", "value": "coffee"}]
        assert [action["type"] for action in rule.actions] == ["set_category", "add_tags"]
        assert rule.actions[0]["category_id"] == factories.category_id(user, "Food")
        assert rule.actions[1]["tags"] == ["coffee"]
    assert "Rule “Coffee” saved." in logged_in.get(response.location).text


def test_errors_are_shown_next_to_their_row_and_nothing_is_saved(app, logged_in, user):
    # The first condition row is empty (ignored); the bad regex is in form row 2, service index 0.
    data = rule_form(
        app,
        user,
        **{
            "conditions-0-field": "",
            "conditions-0-value": "",
            "conditions-2-field": "description",
            "conditions-2-operator": "regex",
            "conditions-2-value": "(unclosed",
            "actions-1-type": "set_category",
            "actions-1-category_id": "987654321",
        },
    )
    response = logged_in.post("/rules/new", data=data)
    assert response.status_code == 422
    html = response.text
    bad_condition = row_html(html, "condition-row", 2)
    assert "is-invalid" in bad_condition and "invalid-feedback" in bad_condition
    assert "is-invalid" not in row_html(html, "condition-row", 0)
    assert "is-invalid" in row_html(html, "action-row", 1)
    assert "is-invalid" not in row_html(html, "action-row", 0)
    assert 'value="(unclosed"' in bad_condition, "the typed pattern is kept"
    assert count_rows(app, Rule) == 0


def test_a_rule_without_conditions_or_actions_is_refused(app, logged_in, user):
    data = rule_form(app, user, **{"conditions-0-field": "", "actions-0-type": "", "actions-1-type": ""})
    response = logged_in.post("/rules/new", data=data)
    assert response.status_code == 422
    assert 'class="alert alert-danger"' in response.text
    assert count_rows(app, Rule) == 0


def test_amount_between_and_other_action_types(app, logged_in, user):
    data = rule_form(
        app,
        user,
        name="Card lines",
        match="any",
        stop_after="y",
        **{
            "conditions-1-field": "amount",
            "conditions-1-operator": "between",
            "conditions-1-value": "10.00",
            "conditions-1-value2": "20.00",
            "conditions-2-field": "currency",
            "conditions-2-operator": "equals",
            "conditions-2-value": "EUR",
            "actions-2-type": "rewrite_description",
            "actions-2-pattern": r"CARD \d+ (\w+).*",
            "actions-2-replacement": r"\1",
            "actions-3-type": "set_payment_method",
            "actions-3-payment_method": "debit_card",
        },
    )
    assert logged_in.post("/rules/new", data=data).status_code == 302
    with app.app_context():
        (rule,) = categorization.list_rules(user=user)
    assert rule.match == "any" and rule.stop_after
    assert rule.conditions[1] == {"field": "amount", "operator": "between", "value": "10.00", "value2": "20.00"}
    assert rule.actions[2] == {"type": "rewrite_description", "pattern": r"CARD \d+ (\w+).*", "replacement": r"\1"}
    assert rule.actions[3] == {"type": "set_payment_method", "payment_method": "debit_card"}
    # The edit page shows every row back, plus empty ones.
    page = logged_in.get(f"/rules/{rule.id}/edit").text
    assert 'value="20.00"' in page and r'value="CARD \d+ (\w+).*"' in page
    assert 'name="conditions-7-field"' in page


def test_edit_saves_changes(app, logged_in, user):
    rule_id = make_rule(app, user, "Old name")
    response = logged_in.post(f"/rules/{rule_id}/edit", data=rule_form(app, user, name="New name", active=None))
    assert response.status_code == 302
    with app.app_context():
        rule = categorization.get_rule(user=user, rule_id=rule_id)
        assert rule.name == "New name" and not rule.active
        assert len(rule.actions) == 2


def test_preview_counts_matches_and_saves_nothing(app, logged_in, user):
    with app.app_context():
        for number in range(7):
            factories.create_expense(
                user, amount="3.50", date=f"2026-01-{number + 1:02d}", description=f"Coffee {number}"
            )
        factories.create_expense(user, amount="40.00", description="Groceries")
        before = factories.all_rows()
    response = logged_in.post("/rules/new", data={**rule_form(app, user), "preview": "Preview matches"})
    assert response.status_code == 200
    assert 'data-match-count="7"' in response.text
    assert "Matches 7 of your expenses" in response.text
    assert response.text.count("<tr data-expense-id=") == 7
    assert "Groceries" not in response.text
    with app.app_context():
        assert factories.all_rows() == before
    # The preview of a bad rule shows the error on its row, and no count.
    bad = {**rule_form(app, user, **{"conditions-0-operator": "regex", "conditions-0-value": "(a"}), "preview": "1"}
    response = logged_in.post("/rules/new", data=bad)
    assert response.status_code == 422
    assert "is-invalid" in row_html(response.text, "condition-row", 0) and "data-match-count" not in response.text


# --- order, on/off, delete ---------------------------------------------------------------------------


def test_up_and_down_reorder(app, logged_in, user):
    ids = [make_rule(app, user, name) for name in ("A", "B", "C")]
    assert logged_in.post(f"/rules/{ids[2]}/move", data={"direction": "up"}).status_code == 302
    assert rule_order(app, user) == ["A", "C", "B"]
    assert logged_in.post(f"/rules/{ids[0]}/move", data={"direction": "down"}).status_code == 302
    assert rule_order(app, user) == ["C", "A", "B"]
    page = logged_in.get("/rules").text
    assert page.index(f'id="rule-{ids[2]}"') < page.index(f'id="rule-{ids[0]}"') < page.index(f'id="rule-{ids[1]}"')
    # A bad direction changes nothing and says so.
    response = logged_in.post(f"/rules/{ids[0]}/move", data={"direction": "sideways"})
    assert response.status_code == 422 and 'id="action-error"' in response.text
    assert rule_order(app, user) == ["C", "A", "B"]


def test_switch_off_and_on(app, logged_in, user):
    rule_id = make_rule(app, user, "Coffee")
    assert logged_in.post(f"/rules/{rule_id}/active", data={"active": "0"}).status_code == 302
    with app.app_context():
        assert not categorization.get_rule(user=user, rule_id=rule_id).active
    assert "Switch on" in logged_in.get("/rules").text
    assert logged_in.post(f"/rules/{rule_id}/active", data={"active": "1"}).status_code == 302
    with app.app_context():
        assert categorization.get_rule(user=user, rule_id=rule_id).active


def test_delete_asks_then_deletes(app, logged_in, user):
    rule_id = make_rule(app, user, "Coffee")
    assert "Delete this rule?" in logged_in.get(f"/rules/{rule_id}/delete").text
    assert count_rows(app, Rule) == 1
    assert logged_in.post(f"/rules/{rule_id}/delete").status_code == 302
    assert count_rows(app, Rule) == 0


def test_another_users_rule_is_404_and_unchanged(app, client, user, make_user, login):
    rule_id = make_rule(app, user, "Mine")
    login(make_user(email="intruder@example.com"))
    for method, url, data in [
        ("GET", f"/rules/{rule_id}/edit", None),
        ("POST", f"/rules/{rule_id}/edit", rule_form(app, user, name="Taken")),
        ("GET", f"/rules/{rule_id}/delete", None),
        ("POST", f"/rules/{rule_id}/delete", {}),
        ("POST", f"/rules/{rule_id}/move", {"direction": "up"}),
        ("POST", f"/rules/{rule_id}/active", {"active": "0"}),
    ]:
        assert client.open(url, method=method, data=data).status_code == 404, (method, url)
    with app.app_context():
        rule = db.session.scalar(sa.select(Rule).where(Rule.id == rule_id))
        assert rule.name == "Mine" and rule.active


# --- suggestions -------------------------------------------------------------------------------------


def test_suggested_rule_appears_after_three_and_is_added_only_on_accept(app, logged_in, user):
    with app.app_context():
        entertainment = factories.category_id(user, "Entertainment")
        for month in (1, 2):
            factories.create_expense(
                user, date=f"2026-0{month}-05", description="NETFLIX.COM", category_id=entertainment
            )
    assert 'id="suggestion-list"' not in logged_in.get("/rules").text
    with app.app_context():
        factories.create_expense(user, date="2026-03-05", description="NETFLIX.COM", category_id=entertainment)
    page = logged_in.get("/rules").text
    assert 'id="suggestion-list"' in page and "netflix" in page
    assert count_rows(app, Rule) == 0, "a suggestion is never applied by itself"
    key = unescape(re.search(r'name="key" value="([^"]+)"', page).group(1))
    response = logged_in.post("/rules/suggestions/accept", data={"key": key})
    assert response.status_code == 302
    with app.app_context():
        (rule,) = categorization.list_rules(user=user)
        assert rule.actions[0] == {"type": "set_category", "category_id": entertainment}
    assert 'id="suggestion-list"' not in logged_in.get("/rules").text
    # The same key again: no longer suggested, nothing added.
    response = logged_in.post("/rules/suggestions/accept", data={"key": key})
    assert response.status_code == 404 and "no longer applies" in response.text
    assert count_rows(app, Rule) == 1


def test_suggest_category_json(app, logged_in, user):
    with app.app_context():
        for number in range(4):
            factories.create_expense(
                user, date=f"2026-01-0{number + 1}", description=f"CARD 12{number}4 STARBUCKS #8{number}"
            )
        factories.create_expense(user, date="2026-01-09", description="STARBUCKS", category="Shopping")
    answer = logged_in.get("/rules/suggest-category", query_string={"description": "Starbucks"})
    assert answer.status_code == 200 and answer.is_json
    assert answer.json["category_id"] == food(app, user)
    assert answer.json["category_name"] == "Food"
    assert (answer.json["matches"], answer.json["of"]) == (4, 5)
    assert (answer.json["merchant"], answer.json["source"]) == ("starbucks", "history")
    for description in ("", "   ", "unknown merchant", "x" * 10_000, "a\x00b"):
        answer = logged_in.get("/rules/suggest-category", query_string={"description": description})
        assert answer.status_code == 200 and answer.json == {}, description


def test_a_rule_of_the_user_wins_over_the_learned_suggestion(app, logged_in, user):
    with app.app_context():
        for number in range(3):
            factories.create_expense(user, date=f"2026-01-0{number + 1}", description="Starbucks")  # Food
        shopping = next(o.id for o in categories.category_options(user=user) if o.name == "Shopping")
        categorization.create_rule(
            user=user,
            name="Beans",
            conditions=[{"field": "description", "operator": "contains", "value": "starbucks"}],
            actions=[{"type": "set_category", "category_id": shopping}],
        )
    answer = logged_in.get("/rules/suggest-category", query_string={"description": "STARBUCKS #12"})
    assert (answer.json["category_id"], answer.json["source"], answer.json["rule"]) == (shopping, "rule", "Beans")
    assert answer.json["category_name"] == "Shopping"
    learned = logged_in.get("/rules/suggest-category", query_string={"description": "Coffee"})
    assert learned.json == {}  # no rule, no history: nothing is proposed


def test_suggest_category_is_per_user(app, client, user, make_user, login):
    with app.app_context():
        for number in range(3):
            factories.create_expense(user, date=f"2026-01-0{number + 1}", description="Starbucks")
    login(make_user(email="other@example.com"))
    assert client.get("/rules/suggest-category?description=Starbucks").json == {}


def test_expense_forms_load_the_suggestion_script(logged_in):
    for url in ("/expenses/new", "/expenses"):
        page = logged_in.get(url).text
        assert 'data-suggest-category="/rules/suggest-category"' in page, url
        assert "js/category-suggest.js" in page, url


def test_live_preview_json_counts_and_saves_nothing(app, logged_in, user):
    with app.app_context():
        for number in range(3):
            factories.create_expense(user, amount="3.50", date=f"2026-02-0{number + 1}", description="Coffee")
        factories.create_expense(user, amount="40.00", description="Groceries")
        before = factories.all_rows()
    answer = logged_in.post("/rules/preview", data=rule_form(app, user))
    assert answer.status_code == 200 and answer.is_json
    assert answer.json["match_count"] == 3
    assert [match["description"] for match in answer.json["first_matches"]] == ["Coffee"] * 3
    assert answer.json["first_matches"][0]["date"] == "Feb 3, 2026"
    bad = logged_in.post(
        "/rules/preview", data=rule_form(app, user, **{"conditions-0-operator": "regex", "conditions-0-value": "(a"})
    )
    # A rule not complete yet is the normal state while typing: 200, with the errors by field.
    assert bad.status_code == 200 and "conditions.0.value" in bad.json["errors"]
    assert "match_count" not in bad.json
    with app.app_context():
        assert factories.all_rows() == before
