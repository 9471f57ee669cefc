"""Changing a user's base currency: every expense re-converted, in one transaction, in SQL.

Every total is in the base currency and every expense stores its amount converted to it, so a
new base currency means new conversions for all of the user's expenses. They are computed by the
database, set-based (one UPDATE for all of them, whatever their number), with the rule of
`conversions` (the same SQL functions and lookup as `flask rates load`):

- an expense in the new base currency: `same` (rate 1, base amount = amount);
- an expense converted at the ECB rate, or in the old base currency, or waiting for a rate: the
  ECB rate published on or before its date, or waiting again when there is none;
- an expense with a manual rate stays manual: its rate is carried over by the cross rate old base
  -> new base of its rate date, `rate_product(manual rate, cross rate)`. When that cross rate does
  not exist (the old base is a currency the ECB does not publish, or a date before its history),
  the change is refused as a whole: a rate the user typed is never silently replaced.

Budgets are amounts in the base currency: the user chooses to keep their numbers (`keep`) or to
convert every budget version at today's ECB rate (`convert`). Recurring templates keep their own
currency; each post is converted at its own date as usual. The `expense_stats` triggers follow
every changed base amount, so the stored totals stay exact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from expense_app.errors import ValidationFailed
from expense_app.models import Budget, BudgetVersion, Expense, User
from expense_app.services.conversions import (
    ECB,
    MANUAL,
    SAME,
    ConvertedAmount,
    RateProduct,
    rate_lookup,
)
from expense_app.services.exchange_rates import rate_on
from expense_app.services.rules import (
    MAX_AMOUNT,
    Errors,
    clean_choice,
    clean_currency,
    currency_places,
    raise_if,
    today_utc,
)
from expense_app.services.unit_of_work import transaction

BUDGET_CHOICES = ("keep", "convert")


@dataclass(frozen=True)
class RebaseReport:
    """What a base-currency change did: the currencies, and how the user's expenses now stand.

    `converted`: at an ECB rate; `same`: in the new base currency; `manual`: manual rates carried
    over; `waiting`: no rate yet (left out of totals). `budgets_converted`: budget versions whose
    amount was converted (0 when the budgets were kept, or when nothing changed).
    """

    old_currency: str
    new_currency: str
    converted: int = 0
    same: int = 0
    manual: int = 0
    waiting: int = 0
    budgets_converted: int = 0

    @property
    def expenses(self) -> int:
        return self.converted + self.same + self.manual + self.waiting


def change_base_currency(
    *, user: User, currency: str, budgets: str = "keep", today: dt.date | None = None
) -> RebaseReport:
    """Make `currency` the user's base currency and re-convert all their expenses; return a RebaseReport.

    One transaction: the user's currency, every expense's base_amount/fx_rate/fx_date/fx_source
    (one UPDATE) and, with `budgets="convert"`, every budget version's amount (at the ECB rate
    old -> new published on or before `today`, default today in UTC). `budgets="keep"` leaves the
    budget amounts as they are. The same currency again changes nothing.

    Raises ValidationFailed (nothing is changed then) on `currency` for an unknown code, one with
    3 minor digits, or manual rates that cannot be carried over (no old -> new rate on their
    date: how many and from when), and on `budgets` for an unknown choice or, with "convert",
    no rate old -> new to convert them at.
    """
    errors: Errors = {}
    new = clean_currency(errors, "currency", currency)
    budgets = clean_choice(errors, "budgets", budgets, BUDGET_CHOICES)
    raise_if(errors)
    with transaction() as session:
        owner = session.execute(sa.select(User).where(User.id == user.id).with_for_update()).scalar_one()
        old = owner.currency
        if new == old:
            return RebaseReport(old, new, **_expense_counts(session, owner.id))
        carried = _manual_carry_rates(owner.id, old, new)
        _refuse_uncarried_manual_rates(session, owner.id, old, new, carried)
        budget_rate = None
        if budgets == "convert":
            budget_rate = rate_on(old, new, today or today_utc())
            if budget_rate is None:
                raise ValidationFailed(
                    {
                        "budgets": [
                            f"There is no exchange rate from {old} to {new} to convert your budgets at; "
                            "keep their amounts instead."
                        ]
                    }
                )
        _reconvert_expenses(session, owner.id, old, new, carried)
        budgets_converted = 0
        if budget_rate is not None:
            budgets_converted = session.execute(
                sa.update(BudgetVersion)
                .where(BudgetVersion.budget_id.in_(sa.select(Budget.id).where(Budget.user_id == owner.id)))
                .values(amount=ConvertedAmount(BudgetVersion.amount, budget_rate.rate, currency_places(new)))
                .execution_options(synchronize_session=False)
            ).rowcount
        owner.currency = new
        if user is not owner:
            user.currency = new  # the caller's copy (e.g. a detached user) says what is now stored
        return RebaseReport(old, new, budgets_converted=budgets_converted, **_expense_counts(session, owner.id))


def _manual_carry_rates(user_id: int, old: str, new: str) -> sa.Subquery:
    """Per rate date of the user's manual expenses (not in `new`): the cross rate old -> new (`day`, `fx_rate`)."""
    days = (
        sa.select(
            sa.literal(old, sa.String(3)).label("source"),
            sa.literal(new, sa.String(3)).label("target"),
            Expense.fx_date.label("day"),
        )
        .where(Expense.user_id == user_id, Expense.fx_source == MANUAL, Expense.currency != new)
        .distinct()
        .subquery()
    )
    return rate_lookup(days).subquery()


def _refuse_uncarried_manual_rates(session, user_id: int, old: str, new: str, carried: sa.Subquery) -> None:
    count, earliest = session.execute(
        sa.select(sa.func.count(), sa.func.min(Expense.fx_date))
        .select_from(Expense)
        .outerjoin(carried, carried.c.day == Expense.fx_date)
        .where(
            Expense.user_id == user_id,
            Expense.fx_source == MANUAL,
            Expense.currency != new,
            sa.or_(
                carried.c.fx_rate.is_(None),
                # Carried over, the base amount would not fit the column: as refused as a lost rate.
                ConvertedAmount(Expense.amount, RateProduct(Expense.fx_rate, carried.c.fx_rate), currency_places(new))
                > MAX_AMOUNT,
            ),
        )
    ).one()
    if count:
        plural = "s have manual exchange rates" if count > 1 else " has a manual exchange rate"
        raise ValidationFailed(
            {
                "currency": [
                    f"{count} expense{plural} to {old} that cannot be carried over to {new}: the ECB "
                    f"published no {old} to {new} rate on or before their dates, or the amount in {new} "
                    f"would exceed {MAX_AMOUNT:,} (the earliest is {earliest.isoformat()}). Give those "
                    f"expenses a rate in {new} or remove their manual rates first; nothing was changed."
                ]
            }
        )


def _reconvert_expenses(session, user_id: int, old: str, new: str, carried: sa.Subquery) -> None:
    """One UPDATE: every expense of the user gets its conversion to `new` (all four fields at once,
    as the fx_complete check constraint judges each row as a whole)."""
    # The rows read under their own name, so nothing in them can be taken for the updated row.
    row = sa.orm.aliased(Expense, name="expense_row")
    same = row.currency == new
    manual = sa.and_(row.fx_source == MANUAL, sa.not_(same))
    published_days = (
        sa.select(
            row.currency.label("source"),
            sa.literal(new, sa.String(3)).label("target"),
            row.date.label("day"),
        )
        .where(
            row.user_id == user_id,
            row.currency != new,
            sa.or_(row.fx_source.is_(None), row.fx_source != MANUAL),
        )
        .distinct()
        .subquery()
    )
    published = rate_lookup(published_days).subquery()
    carried_rate = RateProduct(row.fx_rate, carried.c.fx_rate)
    # A published conversion beyond the amount column's range waits, as `convert_waiting` leaves it.
    convertible = sa.and_(
        published.c.fx_rate.is_not(None),
        ConvertedAmount(row.amount, published.c.fx_rate, currency_places(new)) <= MAX_AMOUNT,
    )
    targets = (
        sa.select(
            row.id.label("id"),
            sa.case((same, sa.literal(SAME)), (manual, sa.literal(MANUAL)), (convertible, ECB)).label("fx_source"),
            sa.case((same, sa.literal(1)), (manual, carried_rate), (convertible, published.c.fx_rate)).label("fx_rate"),
            sa.case((same, row.date), (manual, row.fx_date), (convertible, published.c.fx_date)).label("fx_date"),
        )
        .select_from(row)
        .outerjoin(published, sa.and_(published.c.source == row.currency, published.c.day == row.date))
        .outerjoin(carried, sa.and_(manual, carried.c.day == row.fx_date))
        .where(row.user_id == user_id)
        .subquery()
    )
    session.execute(
        sa.update(Expense)
        .where(Expense.id == targets.c.id)
        .values(
            base_amount=sa.case(
                (targets.c.fx_source == SAME, Expense.amount),
                else_=ConvertedAmount(Expense.amount, targets.c.fx_rate, currency_places(new)),
            ),
            fx_rate=targets.c.fx_rate,
            fx_date=targets.c.fx_date,
            fx_source=targets.c.fx_source,
        )
        .execution_options(synchronize_session=False)
    )


def _expense_counts(session, user_id: int) -> dict[str, int]:
    rows = session.execute(
        sa.select(Expense.fx_source, sa.func.count()).where(Expense.user_id == user_id).group_by(Expense.fx_source)
    ).all()
    by_source = dict(rows)
    return {
        "converted": by_source.get(ECB, 0),
        "same": by_source.get(SAME, 0),
        "manual": by_source.get(MANUAL, 0),
        "waiting": by_source.get(None, 0),
    }
