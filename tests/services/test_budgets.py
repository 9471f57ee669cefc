"""Budgets service: versions, rollover chains across a year, projection and safe-to-spend (no HTTP).

Every expected figure was computed by hand; the tables below show the arithmetic month by month.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from expense_app.errors import Conflict, NotFound, ValidationFailed
from expense_app.extensions import db
from expense_app.models import Budget, BudgetVersion
from expense_app.services import budgets, categories
from expense_app.services.unit_of_work import transaction
from tests.services.conftest import category_id_of, count_statements

D = Decimal
AFTER_2026 = dt.date(2027, 1, 15)  # every month of 2026 is in the past

# Food spending per month of 2026: February and June are overspent in every mode.
SPENDING_2026 = {1: "250.00", 2: "420.00", 3: "100.00", 4: "300.00", 5: "280.00", 6: "500.00",
                 7: "390.00", 8: "410.00", 9: "100.00", 10: "400.00", 11: "0", 12: "650.00"}  # fmt: skip

# (budgeted, carried_over, available, spent, remaining) per month, computed by hand. The budget is
# 300.00 from January and 400.00 from July (a changed budget).
EXPECTED = {
    # none: available is the month's amount; remaining = amount - spent.
    "none": {
        1: ("300.00", "0.00", "300.00", "250.00", "50.00"),
        2: ("300.00", "0.00", "300.00", "420.00", "-120.00"),
        3: ("300.00", "0.00", "300.00", "100.00", "200.00"),
        4: ("300.00", "0.00", "300.00", "300.00", "0.00"),
        5: ("300.00", "0.00", "300.00", "280.00", "20.00"),
        6: ("300.00", "0.00", "300.00", "500.00", "-200.00"),
        7: ("400.00", "0.00", "400.00", "390.00", "10.00"),
        8: ("400.00", "0.00", "400.00", "410.00", "-10.00"),
        9: ("400.00", "0.00", "400.00", "100.00", "300.00"),
        10: ("400.00", "0.00", "400.00", "400.00", "0.00"),
        11: ("400.00", "0.00", "400.00", "0.00", "400.00"),
        12: ("400.00", "0.00", "400.00", "650.00", "-250.00"),
    },
    # surplus: carry = max(last month's remaining, 0).
    "surplus": {
        1: ("300.00", "0.00", "300.00", "250.00", "50.00"),  # first month: nothing to carry
        2: ("300.00", "50.00", "350.00", "420.00", "-70.00"),  # 300 + 50; overspent by 70
        3: ("300.00", "0.00", "300.00", "100.00", "200.00"),  # the overspend is not carried
        4: ("300.00", "200.00", "500.00", "300.00", "200.00"),
        5: ("300.00", "200.00", "500.00", "280.00", "220.00"),
        6: ("300.00", "220.00", "520.00", "500.00", "20.00"),
        7: ("400.00", "20.00", "420.00", "390.00", "30.00"),  # the new amount, plus June's 20
        8: ("400.00", "30.00", "430.00", "410.00", "20.00"),
        9: ("400.00", "20.00", "420.00", "100.00", "320.00"),
        10: ("400.00", "320.00", "720.00", "400.00", "320.00"),
        11: ("400.00", "320.00", "720.00", "0.00", "720.00"),
        12: ("400.00", "720.00", "1120.00", "650.00", "470.00"),
    },
    # full: carry = last month's remaining, negative included.
    "full": {
        1: ("300.00", "0.00", "300.00", "250.00", "50.00"),
        2: ("300.00", "50.00", "350.00", "420.00", "-70.00"),
        3: ("300.00", "-70.00", "230.00", "100.00", "130.00"),  # 300 - 70 owed
        4: ("300.00", "130.00", "430.00", "300.00", "130.00"),
        5: ("300.00", "130.00", "430.00", "280.00", "150.00"),
        6: ("300.00", "150.00", "450.00", "500.00", "-50.00"),
        7: ("400.00", "-50.00", "350.00", "390.00", "-40.00"),
        8: ("400.00", "-40.00", "360.00", "410.00", "-50.00"),
        9: ("400.00", "-50.00", "350.00", "100.00", "250.00"),
        10: ("400.00", "250.00", "650.00", "400.00", "250.00"),
        11: ("400.00", "250.00", "650.00", "0.00", "650.00"),
        12: ("400.00", "650.00", "1050.00", "650.00", "400.00"),
    },
}


@pytest.fixture
def spend(add_expense, user):
    """Record `amount` for `user` in `category` on `day`."""

    def record(day: dt.date, amount: str, category: str = "Food", owner=None) -> None:
        owner = owner or user
        add_expense(owner=owner, date=day, amount=amount, category_id=category_id_of(owner, category))

    return record


@pytest.fixture
def food_year(spend):
    """Food expenses of 2026, each month's total split in two so sums are exercised."""
    for month, total in SPENDING_2026.items():
        amount = D(total)
        if amount:
            half = (amount / 2).quantize(D("0.01"))
            spend(dt.date(2026, month, 3), str(half))
            spend(dt.date(2026, month, 28), str(amount - half))
    # Noise that must not count for Food: another category, and the days around the year.
    spend(dt.date(2026, 3, 15), "999.00", category="Transport")
    spend(dt.date(2025, 12, 31), "77.00")
    spend(dt.date(2027, 1, 1), "88.00")


def figures(line: budgets.BudgetLine) -> tuple[str, ...]:
    return tuple(str(value) for value in (line.budgeted, line.carried_over, line.available, line.spent, line.remaining))


@pytest.mark.parametrize("mode", ["none", "surplus", "full"])
def test_rollover_chain_across_a_year_with_a_changed_budget(ctx, user, food, food_year, mode):
    created = budgets.create_budget(user=user, category_id=food, amount="300", rollover=mode, effective_from="2026-01")
    budgets.update_budget(user=user, budget_id=created.id, amount="400.00", effective_from="2026-07", today=AFTER_2026)

    for month, expected in EXPECTED[mode].items():
        status = budgets.budget_status(user=user, month=f"2026-{month:02d}", today=AFTER_2026)
        [line] = status.lines
        assert figures(line) == expected, f"{mode} 2026-{month:02d}"
        assert line.rollover == mode
        # Past months: the projection is what was spent, and there is no "safe to spend".
        assert line.projected == D(expected[3])
        assert line.safe_per_day is None


def test_overspent_month_figures(ctx, user, food, food_year):
    budgets.create_budget(user=user, category_id=food, amount="300", rollover="surplus", effective_from="2026-01")
    [line] = budgets.budget_status(user=user, month="2026-02", today=AFTER_2026).lines
    # 420 / 350 * 100 = 120.0 %
    assert line.percent_used == D("120.0")
    assert line.over_budget and line.over_by == D("70.00")
    assert line.level == "danger"


def test_rollover_mode_of_the_month_decides_what_it_brings_forward(ctx, user, food, food_year):
    # none until June, surplus from July: June's remaining (-200) is not carried because surplus
    # never carries an overspend; July keeps 10 (400 - 390), which August (still surplus) adds.
    created = budgets.create_budget(
        user=user, category_id=food, amount="300", rollover="none", effective_from="2026-01"
    )
    budgets.update_budget(
        user=user, budget_id=created.id, amount="400", rollover="surplus", effective_from="2026-07", today=AFTER_2026
    )
    july, august = (
        budgets.budget_status(user=user, month=month, today=AFTER_2026).lines[0] for month in ("2026-07", "2026-08")
    )
    assert figures(july) == ("400.00", "0.00", "400.00", "390.00", "10.00")
    assert figures(august) == ("400.00", "10.00", "410.00", "410.00", "0.00")
    assert august.percent_used == D("100.0") and august.level == "danger" and not august.over_budget
    # Before the change June is still a "none" month: changing from July did not rewrite it.
    [june] = budgets.budget_status(user=user, month="2026-06", today=AFTER_2026).lines
    assert figures(june) == ("300.00", "0.00", "300.00", "500.00", "-200.00")
    assert june.rollover == "none"


def test_changing_from_a_month_drops_later_versions_and_keeps_earlier_ones(ctx, user, food):
    created = budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-01")
    budgets.update_budget(user=user, budget_id=created.id, amount="200", effective_from="2026-05", today=AFTER_2026)
    budgets.update_budget(user=user, budget_id=created.id, amount="300", effective_from="2026-09", today=AFTER_2026)
    detail = budgets.update_budget(
        user=user, budget_id=created.id, rollover="full", effective_from="2026-05", today=AFTER_2026
    )
    # May's version is replaced (its amount kept since none was given), September's is gone.
    assert [(str(v.effective_from), str(v.amount), v.rollover) for v in detail.versions] == [
        ("2026-01-01", "100.00", "none"),
        ("2026-05-01", "200.00", "full"),
    ]
    assert detail.amount == D("200.00") and detail.rollover == "full"


def test_a_budget_starting_earlier_replaces_all_versions(ctx, user, food):
    created = budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-06")
    detail = budgets.update_budget(
        user=user, budget_id=created.id, amount="50", effective_from="2026-02", today=AFTER_2026
    )
    assert [(str(v.effective_from), str(v.amount)) for v in detail.versions] == [("2026-02-01", "50.00")]


def test_projection_and_safe_to_spend_in_the_current_month(ctx, user, food, spend):
    # Hand-computed example (also used in the API test and the report):
    # October: budget 600.00 (surplus), spent 520.00 -> 80.00 carried into November.
    # November 10 is "today": 50 + 70 + 30 = 150.00 spent up to today, plus 35.00 recorded for the 25th.
    #   available   = 600.00 + 80.00 = 680.00; spent = 185.00; remaining = 495.00
    #   percent     = 185 / 680 * 100 = 27.205... -> 27.2
    #   projected   = 150.00 / 10 days * 30 days + 35.00 = 450.00 + 35.00 = 485.00
    #   safe per day = 495.00 / 21 days left (10th to 30th) = 23.571... -> 23.57 (rounded down)
    budgets.create_budget(user=user, category_id=food, amount="600", rollover="surplus", effective_from="2026-10")
    spend(dt.date(2026, 10, 5), "520.00")
    for day, amount in ((1, "50.00"), (5, "70.00"), (10, "30.00"), (25, "35.00")):
        spend(dt.date(2026, 11, day), amount)
    today = dt.date(2026, 11, 10)

    status = budgets.budget_status(user=user, month="2026-11", today=today)
    [line] = status.lines
    assert figures(line) == ("600.00", "80.00", "680.00", "185.00", "495.00")
    assert line.percent_used == D("27.2")
    assert line.projected == D("485.00")
    assert line.safe_per_day == D("23.57")
    assert line.level == "ok" and not line.over_budget and not line.projected_over
    assert status.timing == "current" and status.days_left == 21 and status.days_in_month == 30

    # December is in the future: nothing projected, 600 + 495 carried spread over 31 days.
    [december] = budgets.budget_status(user=user, month="2026-12", today=today).lines
    assert figures(december) == ("600.00", "495.00", "1095.00", "0.00", "1095.00")
    assert december.projected == D("0.00")
    assert december.safe_per_day == D("35.32")  # 1095 / 31 = 35.322...

    # October is past: the projection is the actual spend.
    [october] = budgets.budget_status(user=user, month="2026-10", today=today).lines
    assert october.projected == D("520.00") and october.safe_per_day is None


def test_projection_warns_before_the_money_runs_out(ctx, user, food, spend):
    # 100 budgeted; 60 spent by the 6th of a 30-day month: pace 10/day -> 300 projected.
    budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-11")
    spend(dt.date(2026, 11, 6), "60.00")
    [line] = budgets.budget_status(user=user, month="2026-11", today=dt.date(2026, 11, 6)).lines
    assert line.projected == D("300.00") and line.projected_over
    assert line.level == "ok"  # 60 % used so far
    assert line.safe_per_day == D("1.60")  # 40 / 25 days


def test_safe_to_spend_is_zero_when_overspent(ctx, user, food, spend):
    budgets.create_budget(user=user, category_id=food, amount="50", effective_from="2026-11")
    spend(dt.date(2026, 11, 2), "80.00")
    [line] = budgets.budget_status(user=user, month="2026-11", today=dt.date(2026, 11, 20)).lines
    assert line.safe_per_day == D("0.00")
    assert line.percent_used == D("160.0") and line.level == "danger"


@pytest.mark.parametrize(
    ("spent", "level"),
    [("79.99", "ok"), ("80.00", "warning"), ("99.99", "warning"), ("100.00", "danger"), ("100.01", "danger")],
)
def test_levels_change_at_80_and_100_percent(ctx, user, food, spend, spent, level):
    budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-11")
    spend(dt.date(2026, 11, 2), spent)
    [line] = budgets.budget_status(user=user, month="2026-11", today=dt.date(2026, 11, 20)).lines
    assert line.level == level


def test_overall_budget_counts_every_category(ctx, user, food, spend):
    budgets.create_budget(user=user, category_id=None, amount="1000", effective_from="2026-11")
    budgets.create_budget(user=user, category_id=food, amount="200", effective_from="2026-11")
    spend(dt.date(2026, 11, 2), "150.00")
    spend(dt.date(2026, 11, 3), "300.00", category="Transport")
    status = budgets.budget_status(user=user, month="2026-11", today=dt.date(2026, 12, 1))
    assert [(line.name, str(line.spent), line.category_id) for line in status.lines] == [
        ("Overall", "450.00", None),
        ("Food", "150.00", food),
    ]


def test_only_the_owner_spending_counts(ctx, user, other_user, food, spend):
    budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-11")
    spend(dt.date(2026, 11, 2), "40.00", owner=other_user)
    [line] = budgets.budget_status(user=user, month="2026-11", today=dt.date(2026, 12, 1)).lines
    assert line.spent == D("0.00")
    assert budgets.budget_status(user=other_user, month="2026-11").lines == []


def test_budgets_starting_later_are_not_in_the_status(ctx, user, food):
    budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-12")
    assert budgets.budget_status(user=user, month="2026-11", today=dt.date(2026, 11, 5)).lines == []
    assert len(budgets.budget_status(user=user, month="2026-12", today=dt.date(2026, 11, 5)).lines) == 1


def test_status_reads_spending_with_one_query_whatever_the_number_of_months(ctx, user, food, food_year):
    budgets.create_budget(user=user, category_id=food, amount="300", rollover="full", effective_from="2026-01")
    budgets.create_budget(user=user, category_id=None, amount="900", rollover="surplus", effective_from="2026-01")
    db.session.expire_all()
    with count_statements(db.engine) as one_month:
        budgets.budget_status(user=user, month="2026-01", today=AFTER_2026)
    with count_statements(db.engine) as twelve_months:
        budgets.budget_status(user=user, month="2026-12", today=AFTER_2026)
    assert len(one_month) == len(twelve_months) <= 3
    assert sum("FROM expenses" in statement for statement in twelve_months) == 1


def test_one_budget_per_category_and_one_overall(ctx, user, food):
    budgets.create_budget(user=user, category_id=food, amount="100")
    budgets.create_budget(user=user, category_id=None, amount="100")
    with pytest.raises(Conflict) as category_error:
        budgets.create_budget(user=user, category_id=food, amount="5")
    with pytest.raises(Conflict) as overall_error:
        budgets.create_budget(user=user, category_id=None, amount="5")
    assert "category_id" in category_error.value.errors and "overall" in overall_error.value.message


def test_the_database_refuses_a_second_overall_budget(ctx, user):
    # The partial unique index, not only the service's check (NULLs are distinct in UNIQUE).
    with pytest.raises(Conflict), transaction() as session:  # Conflict is the IntegrityError, mapped
        session.add_all([Budget(user_id=user.id, category_id=None), Budget(user_id=user.id, category_id=None)])


def test_two_users_may_each_have_an_overall_budget(ctx, user, other_user):
    budgets.create_budget(user=user, category_id=None, amount="100")
    budgets.create_budget(user=other_user, category_id=None, amount="100")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Budget)) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "10.005"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": "100000000"}, "amount"),
        ({"rollover": "sometimes"}, "rollover"),
        ({"effective_from": "2026-13"}, "effective_from"),
        ({"effective_from": "2026-11-01"}, "effective_from"),
        ({"effective_from": "1899-12"}, "effective_from"),
    ],
)
def test_create_refuses_broken_rules(ctx, user, food, fields, field):
    values = {"category_id": food, "amount": "100", **fields}
    with pytest.raises(ValidationFailed) as error:
        budgets.create_budget(user=user, **values)
    assert field in error.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Budget)) == 0


def test_a_zero_budget_is_allowed(ctx, user, food):
    assert budgets.create_budget(user=user, category_id=food, amount="0").amount == D("0.00")


def test_another_users_category_is_refused(ctx, user, other_user):
    with pytest.raises(ValidationFailed) as error:
        budgets.create_budget(user=user, category_id=category_id_of(other_user, "Food"), amount="10")
    assert error.value.errors == {"category_id": ["Choose one of your categories."]}


def test_other_users_budgets_are_not_found(ctx, user, other_user, food):
    created = budgets.create_budget(user=user, category_id=food, amount="100")
    with pytest.raises(NotFound):
        budgets.get_budget(user=other_user, budget_id=created.id)
    with pytest.raises(NotFound):
        budgets.update_budget(user=other_user, budget_id=created.id, amount="1")
    with pytest.raises(NotFound):
        budgets.delete_budget(user=other_user, budget_id=created.id)
    assert budgets.list_budgets(user=other_user) == []
    assert budgets.get_budget(user=user, budget_id=created.id).amount == D("100.00")


def test_delete_removes_the_budget_and_its_versions(ctx, user, food):
    created = budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-01")
    budgets.update_budget(user=user, budget_id=created.id, amount="200", effective_from="2026-03", today=AFTER_2026)
    budgets.delete_budget(user=user, budget_id=created.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BudgetVersion)) == 0
    assert budgets.list_budgets(user=user) == []


def test_deleting_the_category_deletes_its_budget(ctx, user):
    category = categories.create_category(user=user, name="Books")
    budgets.create_budget(user=user, category_id=category.id, amount="20")
    categories.delete_category(user=user, category_id=category.id)
    assert budgets.list_budgets(user=user) == []


def test_list_shows_overall_first_then_by_category_name(ctx, user):
    budgets.create_budget(user=user, category_id=category_id_of(user, "Transport"), amount="1")
    budgets.create_budget(user=user, category_id=None, amount="2")
    budgets.create_budget(user=user, category_id=category_id_of(user, "Food"), amount="3")
    assert [item.name for item in budgets.list_budgets(user=user)] == ["Overall", "Food", "Transport"]


def test_current_version_and_upcoming_change(ctx, user, food):
    created = budgets.create_budget(user=user, category_id=food, amount="100", effective_from="2026-01")
    budgets.update_budget(user=user, budget_id=created.id, amount="150", effective_from="2027-01", today=AFTER_2026)
    detail = budgets.get_budget(user=user, budget_id=created.id, today=dt.date(2026, 11, 5))
    assert detail.amount == D("100.00") and detail.starts == dt.date(2026, 1, 1)
    assert [(str(v.effective_from), str(v.amount)) for v in detail.upcoming] == [("2027-01-01", "150.00")]


def test_status_month_is_validated(ctx, user):
    with pytest.raises(ValidationFailed) as error:
        budgets.budget_status(user=user, month="November")
    assert error.value.errors == {"month": ["Must be a month such as 2026-11."]}


# --- bounded months and bounded carry-over -------------------------------------------------------

DEC_2026 = dt.date(2026, 12, 1)


def test_months_are_bounded_to_1900_through_five_years_ahead(ctx, user, food):
    for month in ("2999-12", "2032-01", "1899-12"):
        with pytest.raises(ValidationFailed) as error:
            budgets.budget_status(user=user, month=month, today=DEC_2026)
        assert error.value.errors == {"month": ["Must be between 1900-01 and 2031-12."]}
        with pytest.raises(ValidationFailed) as error:
            budgets.create_budget(user=user, category_id=food, amount="1", effective_from=month, today=DEC_2026)
        assert error.value.errors == {"effective_from": ["Must be between 1900-01 and 2031-12."]}
    for month in ("2026-1\u0662", "\uff12\uff10\uff12\uff16-11"):  # Arabic-Indic and full-width digits
        with pytest.raises(ValidationFailed) as error:
            budgets.budget_status(user=user, month=month, today=DEC_2026)
        assert error.value.errors == {"month": ["Must be a month such as 2026-11."]}
    assert budgets.budget_status(user=user, month="2031-12", today=DEC_2026).lines == []
    assert budgets.budget_status(user=user, month="1900-01", today=DEC_2026).lines == []


def test_a_far_month_steps_only_through_the_months_that_matter(ctx, user, food, spend, monkeypatch):
    # 1900-01 .. 2031-12 is 1,584 months; the figures need only the months with spending, the
    # months a version starts, and the month asked for.
    transport = category_id_of(user, "Transport")
    budgets.create_budget(user=user, category_id=food, amount="100", rollover="surplus", effective_from="1900-01")
    budgets.create_budget(user=user, category_id=None, amount="10", rollover="full", effective_from="1900-01")
    moving = budgets.create_budget(user=user, category_id=transport, amount="50", effective_from="1900-01")
    budgets.update_budget(user=user, budget_id=moving.id, amount="60", effective_from="2026-04", today=DEC_2026)
    spend(dt.date(2026, 3, 10), "50.00")
    spend(dt.date(2026, 4, 10), "40.00", category="Transport")
    spend(dt.date(2026, 5, 10), "30.00")
    steps: list[dt.date] = []
    real = budgets._month_figures

    def counted(version, carried, spent_cents):
        steps.append(version.effective_from)
        return real(version, carried, spent_cents)

    monkeypatch.setattr(budgets, "_month_figures", counted)
    db.session.expire_all()
    with count_statements(db.engine) as statements:
        status = budgets.budget_status(user=user, month="2031-12", today=DEC_2026)
    # Food: 1900-01, 2026-03, 2026-05, 2031-12. Overall: 1900-01, 2026-03, -04, -05, 2031-12.
    # Transport: 1900-01, 2026-04 (new version and spending), 2031-12.
    assert len(steps) == 4 + 5 + 3
    # The budgets, the spending, and the recurring templates (the projection's scheduled part).
    assert len(statements) <= 4
    lines = {line.name: figures(line) for line in status.lines}
    # Computed by hand: surplus never went below 0, so 1,584 months of 100.00 less 80.00 spent;
    # full: 1,584 months of 10.00 less 120.00 spent; none: this month's amount only.
    assert lines == {
        "Food": ("100.00", "158220.00", "158320.00", "0.00", "158320.00"),
        "Overall": ("10.00", "15710.00", "15720.00", "0.00", "15720.00"),
        "Transport": ("60.00", "0.00", "60.00", "0.00", "60.00"),
    }


def walk_month_by_month(versions, month, spent_cents):
    """The rollover chain as the module docstring defines it, one month at a time (the reference)."""
    cursor, remaining = versions[0].effective_from, D("0.00")
    while True:
        version = [v for v in versions if v.effective_from <= cursor][-1]
        first = cursor == versions[0].effective_from
        carried = D("0.00") if first else budgets._carry(version.rollover, remaining)
        available = version.amount + carried
        spent = D(spent_cents.get(cursor, 0)) / 100
        remaining = available - spent
        if cursor == month:
            return (version.amount, carried, available, spent, remaining)
        cursor = budgets.add_months(cursor, 1)


@given(
    plan=st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 50_000), st.sampled_from(["none", "surplus", "full"])),
        min_size=1,
        max_size=4,
        unique_by=lambda step: step[0],
    ),
    spending=st.dictionaries(st.integers(0, 40), st.integers(1, 90_000), max_size=12),
    month_index=st.integers(0, 40),
)
@settings(max_examples=300, deadline=None)
def test_the_bounded_carry_over_equals_the_month_by_month_walk(plan, spending, month_index):
    start = dt.date(2024, 1, 1)
    plan = sorted(plan)
    versions = [
        BudgetVersion(effective_from=budgets.add_months(start, offset), amount=D(cents) / 100, rollover=mode)
        for offset, cents, mode in plan
    ]
    month = budgets.add_months(start, max(month_index, plan[0][0]))
    spent_cents = {budgets.add_months(start, offset): cents for offset, cents in spending.items()}
    result = budgets.carry_over(versions, month, spent_cents)
    assert (result.version.amount, result.carried, result.available, result.spent, result.remaining) == (
        walk_month_by_month(versions, month, spent_cents)
    )
