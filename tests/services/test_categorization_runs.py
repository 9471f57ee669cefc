"""Runs of the rules over existing expenses: the dry run changes nothing and lists exactly what
apply changes; undo restores every field, tag and total, skipping expenses changed since; users
never reach each other's rows; the SQL prefilter never changes an answer."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Expense, Tag
from expense_app.services import categories, categorization, expenses
from expense_app.services.rules import add_years
from tests import factories
from tests.services.conftest import category_id_of

TODAY = dt.date.today()
LAST_TWO_YEARS = {"date_from": TODAY - dt.timedelta(days=800), "date_to": TODAY}
RUN_TABLES = {"rules", "rule_runs", "rule_run_changes"}


def cond(field, operator, value, **extra) -> dict:
    return {"field": field, "operator": operator, "value": value, **extra}


def make_rules(user) -> list[int]:
    """A mix: a rewrite that a later rule depends on, an `any` rule, a regex, tags old and new."""
    food, transport = category_id_of(user, "Food"), category_id_of(user, "Transport")
    documents = [
        {
            "name": "Rename history",
            "conditions": [cond("description", "starts_with", "history 1")],
            "actions": [{"type": "rewrite_description", "pattern": r"^History (1\d*)$", "replacement": r"Shop \1"}],
        },
        {
            "name": "Shops are food",
            "conditions": [cond("description", "starts_with", "shop")],
            "actions": [{"type": "set_category", "category_id": food}, {"type": "add_tags", "tags": ["shop", "t1"]}],
        },
        {
            "name": "Yen or cash",
            "match": "any",
            "conditions": [cond("currency", "equals", "JPY"), cond("payment_method", "equals", "cash")],
            "actions": [{"type": "set_payment_method", "payment_method": "other"}],
        },
        {
            "name": "Big sevens",
            "conditions": [cond("description", "regex", r"7$"), cond("amount", ">=", "100")],
            "actions": [{"type": "set_category", "category_id": transport}],
            "stop_after": True,
        },
    ]
    return [categorization.create_rule(user=user, **document).id for document in documents]


def expense_snapshot(user_id: int) -> dict:
    """Every owned row bar the runs' own tables, with expenses' `updated_at` left out, plus totals."""
    rows = factories.owned_rows(user_id)
    for name in RUN_TABLES:
        rows.pop(name)
    with db.engine.connect() as connection:
        columns = [c for c in Expense.__table__.c if c.name != "updated_at"]
        rows["expenses"] = sorted(map(repr, connection.execute(sa.select(*columns).where(Expense.user_id == user_id))))
        rows["totals"] = sorted(
            map(
                repr,
                connection.execute(
                    sa.select(Expense.category_id, sa.func.sum(Expense.base_amount), sa.func.count())
                    .where(Expense.user_id == user_id)
                    .group_by(Expense.category_id)
                ),
            )
        )
    return rows


def updated_at(expense_id: int):
    with db.engine.connect() as connection:
        return connection.scalar(sa.select(Expense.updated_at).where(Expense.id == expense_id))


def all_changes(user, **run) -> list:
    preview = categorization.dry_run(user=user, per_page=categorization.MAX_PER_PAGE, **run)
    changes = list(preview.changes)
    page = 1
    while len(changes) < preview.total_changes:
        page += 1
        changes += categorization.dry_run(user=user, per_page=categorization.MAX_PER_PAGE, page=page, **run).changes
    return changes


@pytest.fixture
def history_user(ctx, full_user_with_history):
    return full_user_with_history.user


def test_dry_run_changes_nothing_and_lists_what_apply_changes(history_user):
    user = history_user
    make_rules(user)
    before = factories.owned_rows(user.id)
    preview = categorization.dry_run(user=user, per_page=5, **LAST_TWO_YEARS)
    changes = all_changes(user, **LAST_TWO_YEARS)
    assert factories.owned_rows(user.id) == before
    assert preview.scanned == db.session.scalar(
        sa.select(sa.func.count()).where(
            Expense.user_id == user.id, Expense.date.between(LAST_TWO_YEARS["date_from"], TODAY)
        )
    )
    assert preview.total_changes == len(changes) > 20
    assert preview.changes == changes[:5]
    assert [(c.date, c.expense_id) for c in changes] == sorted((c.date, c.expense_id) for c in changes)
    # The chain: history 1x renamed to "Shop 1x", which the next rule then files under Food with tags.
    renamed = [c for c in changes if c.before["description"].startswith("History 1")]
    assert renamed and all(c.after["description"] == "Shop " + c.before["description"][8:] for c in renamed)
    assert all({"shop", "t1"} <= set(c.after["tags"]) for c in renamed)
    # ... under Food, unless the later "Big sevens" rule moved it on to Transport.
    assert {c.after["category_name"] for c in renamed} == {"Food", "Transport"}

    run = categorization.apply_run(user=user, **LAST_TWO_YEARS)
    assert run.change_count == len(changes)
    for change in changes:
        expense = expenses.get_expense(user=user, expense_id=change.expense_id)
        after = {
            "category_id": expense.category_id,
            "category_name": expense.category.name,
            "description": expense.description,
            "payment_method": expense.payment_method,
            "tags": sorted(tag.name for tag in expense.tags),
        }
        assert after == change.after
    # Nothing left to do: the same rules again change nothing.
    assert categorization.dry_run(user=user, **LAST_TWO_YEARS).total_changes == 0


def test_apply_then_undo_restores_every_field_tag_and_total(history_user):
    user = history_user
    make_rules(user)
    before = expense_snapshot(user.id)
    stats_before = expenses.expense_stats(user=user)
    changed_id = all_changes(user, **LAST_TWO_YEARS)[0].expense_id
    stamp = updated_at(changed_id)
    run = categorization.apply_run(user=user, **LAST_TWO_YEARS)
    assert expense_snapshot(user.id) != before
    assert db.session.scalar(sa.select(Tag.id).where(Tag.user_id == user.id, Tag.name == "shop"))
    applied_stamp = updated_at(changed_id)
    assert applied_stamp > stamp
    assert expenses.expense_stats(user=user) == stats_before  # no amount moves

    result = categorization.undo_run(user=user, run_id=run.id)
    assert (result.run_id, result.restored, result.skipped) == (run.id, run.change_count, [])
    assert expense_snapshot(user.id) == before  # including "shop", the tag the run created, gone again
    assert updated_at(changed_id) > applied_stamp
    assert expenses.expense_stats(user=user) == stats_before
    assert categorization.list_runs(user=user)[0].undone_at is not None
    with pytest.raises(Conflict):
        categorization.undo_run(user=user, run_id=run.id)


def test_undo_skips_expenses_changed_since(history_user):
    user = history_user
    make_rules(user)
    first, second, *rest = all_changes(user, **LAST_TWO_YEARS)
    run = categorization.apply_run(user=user, **LAST_TWO_YEARS)
    expenses.update_expense(user=user, expense_id=first.expense_id, description="Edited by hand")
    expenses.update_expense(user=user, expense_id=second.expense_id, tags=["other"])
    result = categorization.undo_run(user=user, run_id=run.id)
    assert sorted(result.skipped) == sorted([first.expense_id, second.expense_id])
    assert result.restored == len(rest)
    kept = expenses.get_expense(user=user, expense_id=first.expense_id)
    assert (kept.description, kept.category_id) == ("Edited by hand", first.after["category_id"])
    assert [tag.name for tag in expenses.get_expense(user=user, expense_id=second.expense_id).tags] == ["other"]
    for change in rest:
        expense = expenses.get_expense(user=user, expense_id=change.expense_id)
        assert (expense.description, expense.category_id, expense.payment_method) == (
            change.before["description"],
            change.before["category_id"],
            change.before["payment_method"],
        )
        assert sorted(tag.name for tag in expense.tags) == change.before["tags"]


def test_runs_never_reach_another_user(ctx, full_user, other_full_user):
    user, other = full_user.user, other_full_user.user
    make_rules(other)
    theirs_before = factories.owned_rows(other.id)
    # Ten years up to today: every expense of both users is in range; only the user's are read.
    everything = {"date_from": add_years(TODAY, -10) + dt.timedelta(days=1), "date_to": TODAY}
    rule_id = categorization.create_rule(
        user=user, name="All", conditions=[cond("amount", ">", "0")], actions=[{"type": "add_tags", "tags": ["mine"]}]
    ).id
    mine = db.session.scalar(
        sa.select(sa.func.count()).where(
            Expense.user_id == user.id, Expense.date.between(everything["date_from"], TODAY)
        )
    )
    assert categorization.dry_run(user=user, **everything).scanned == mine
    assert categorization.apply_run(user=user, rule_ids=[rule_id], **everything).change_count == mine
    assert factories.owned_rows(other.id) == theirs_before
    their_rule = categorization.list_rules(user=other)[0].id
    with pytest.raises(ValidationFailed) as caught:
        categorization.dry_run(user=user, rule_ids=[their_rule], **everything)
    assert "rule_ids" in caught.value.errors
    their_run = categorization.list_runs(user=other)[0].id
    with pytest.raises(NotFound):
        categorization.undo_run(user=user, run_id=their_run)
    assert {r.user_id for r in categorization.list_runs(user=user)} == {user.id}
    assert factories.owned_rows(other.id) == theirs_before


def test_the_sql_prefilter_never_changes_the_answer(history_user, monkeypatch):
    user = history_user
    ids = make_rules(user)
    subsets = [None, [ids[1]], [ids[0], ids[1]], [ids[2]], [ids[3]]]
    with_sql = [all_changes(user, rule_ids=subset, **LAST_TWO_YEARS) for subset in subsets]
    monkeypatch.setattr(categorization, "_prefilter", lambda rules: None)
    assert [all_changes(user, rule_ids=subset, **LAST_TWO_YEARS) for subset in subsets] == with_sql
    # Alone, "Shops are food" matches nothing: only the rename before it makes a "Shop ..." row.
    assert with_sql[1] == []
    assert all(with_sql[index] for index in (0, 2, 3, 4))


def test_prefilter_escapes_wildcards_and_matches_like_python(ctx, user):
    food = category_id_of(user, "Food")
    for description in (
        "50% off",
        "500 off",
        "a_b",
        "axb",
        "back\\slash",
        "İstanbul kiosk",
        "KELVIN",
        "\u212aelvin sign",
    ):
        factories.create_expense(user, description=description, category="Transport")
    cases = {
        "50%": ["50% off"],
        "a_b": ["a_b"],
        "k\\s": ["back\\slash"],
        "stanbul": ["İstanbul kiosk"],
        # Python's lower() makes U+0130 "i" + a combining dot, so "istanbul" is not in it; the Kelvin
        # sign lower-cases to "k": the SQL prefilter must let it through.
        "istanbul": [],
        "kelvin": ["KELVIN", "\u212aelvin sign"],
    }
    for value, expected in cases.items():
        document = {
            "name": "w",
            "conditions": [cond("description", "contains", value)],
            "actions": [{"type": "set_category", "category_id": food}],
        }
        rule_id = categorization.create_rule(user=user, **document).id
        changes = categorization.dry_run(
            user=user, date_from="2026-01-01", date_to="2026-12-31", rule_ids=[rule_id]
        ).changes
        assert [c.before["description"] for c in changes] == expected, value
        assert categorization.preview_rule(user=user, rule=document).match_count == len(expected)


def test_preview_counts_matches_and_lists_the_newest(ctx, user):
    for day in ("2026-01-01", "2026-02-01", "2026-03-01"):
        factories.create_expense(user, description="Coffee beans", date=day)
    factories.create_expense(user, description="Tea", date="2026-04-01")
    rule = {"name": "c", "conditions": [cond("description", "contains", "COFFEE")], "actions": [{"type": "skip"}]}
    preview = categorization.preview_rule(user=user, rule=rule, limit=2)
    assert preview.match_count == 3
    assert [e.date.isoformat() for e in preview.first_matches] == ["2026-03-01", "2026-02-01"]
    assert preview.first_matches[0].category.name == "Food"
    assert categorization.list_rules(user=user) == []
    with pytest.raises(ValidationFailed):
        categorization.preview_rule(user=user, rule={**rule, "conditions": []})


def test_a_deleted_category_is_no_longer_set(ctx, user):
    spare = factories.create_category(user, name="Spare")
    factories.create_expense(user, description="Lunch")
    rule_id = categorization.create_rule(
        user=user,
        name="s",
        conditions=[cond("description", "equals", "lunch")],
        actions=[{"type": "set_category", "category_id": spare}],
    ).id
    categories.delete_category(user=user, category_id=spare)
    run = {"date_from": "2026-01-01", "date_to": "2026-01-31", "rule_ids": [rule_id]}
    assert categorization.dry_run(user=user, **run).total_changes == 0
    assert categorization.apply_run(user=user, **run).change_count == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"date_from": "2026-13-01", "date_to": "2026-12-31"}, "date_from"),
        ({"date_from": "2026-01-01", "date_to": None}, "date_to"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_from"),
        ({"date_from": "2000-01-01", "date_to": "2010-01-01"}, "date_to"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-31", "rule_ids": []}, "rule_ids"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-31", "rule_ids": ["x"]}, "rule_ids"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-31", "rule_ids": 5}, "rule_ids"),
        ({"date_from": "2026-01-01", "date_to": "2026-01-31", "rule_ids": [2**31 - 1]}, "rule_ids"),
    ],
)
def test_bad_run_arguments_are_422s_and_change_nothing(ctx, user, arguments, field):
    factories.create_expense(user, description="x")
    before = factories.owned_rows(user.id)
    for call in (categorization.dry_run, categorization.apply_run):
        with pytest.raises(ValidationFailed) as caught:
            call(user=user, **arguments)
        assert field in caught.value.errors
    assert factories.owned_rows(user.id) == before


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, 201), ("x", 10), (1, 1.5)])
def test_bad_pages_are_422s(ctx, user, page, per_page):
    with pytest.raises(ValidationFailed):
        categorization.dry_run(user=user, date_from="2026-01-01", date_to="2026-01-31", page=page, per_page=per_page)


def test_undo_of_a_missing_run_is_not_found(ctx, user):
    for run_id in (1, 2**40, "x", None):
        with pytest.raises(NotFound):
            categorization.undo_run(user=user, run_id=run_id)


def test_a_run_can_still_be_undone_for_an_expense_deleted_and_restored(ctx, user):
    from expense_app.services import deletions

    food = category_id_of(user, "Food")
    expense_id = factories.create_expense(user, description="Lunch", category="Transport", tags=["noon"])
    rule_id = categorization.create_rule(
        user=user,
        name="l",
        conditions=[cond("description", "equals", "lunch")],
        actions=[{"type": "set_category", "category_id": food}, {"type": "add_tags", "tags": ["meal"]}],
    ).id
    run = categorization.apply_run(user=user, date_from="2026-01-01", date_to="2026-01-31", rule_ids=[rule_id])
    deleted = expenses.delete_expense(user=user, expense_id=expense_id)
    deletions.restore_batch(user=user, batch_id=deleted.batch_id)
    assert categorization.undo_run(user=user, run_id=run.id).restored == 1
    expense = expenses.get_expense(user=user, expense_id=expense_id)
    assert (expense.category.name, [tag.name for tag in expense.tags]) == ("Transport", ["noon"])


def test_get_run_finds_any_of_the_users_runs_and_no_one_elses(app, user, make_user):
    with app.app_context():
        factories.create_expense(user, description="Flat white", date="2026-01-05")
        rule = categorization.create_rule(
            user=user,
            name="Coffee",
            conditions=[{"field": "description", "operator": "contains", "value": "white"}],
            actions=[{"type": "add_tags", "tags": ["coffee"]}],
        )
        run = categorization.apply_run(user=user, date_from="2026-01-01", date_to="2026-01-31", rule_ids=[rule.id])
        assert categorization.get_run(user=user, run_id=run.id).change_count == 1
        other = make_user(email="someone@example.com")
        for run_id in (run.id, 0, 2**31, "x", None):
            with pytest.raises(NotFound):
                categorization.get_run(user=other if run_id == run.id else user, run_id=run_id)
