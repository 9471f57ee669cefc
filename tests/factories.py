"""Test data made through the services, so every row a test relies on obeys the app's own rules.

Each factory calls the service a user's request would reach and returns the new object's id (a
user, a summary or a token pair where that is what the service returns). All of them need an app
context. `build_full_user` gives one user at least one row of every table a user can own, and
`owned_tables` / `owned_rows` find those tables from the models' metadata, so a table added later
is covered (or reported) without editing the tests that use them.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal

import pyotp
import sqlalchemy as sa

from expense_app.api import idempotency
from expense_app.extensions import db
from expense_app.models import Category, ExchangeRate, User
from expense_app.services import (
    access_tokens,
    accounts,
    budgets,
    categories,
    categorization,
    exchange_rates,
    expenses,
    import_presets,
    imports,
    mfa,
    mfa_challenges,
    recurring,
    security_log,
    sign_ins,
    tokens,
)
from expense_app.services.capture_defaults import quick_add_expense
from expense_app.services.unit_of_work import transaction
from tests.rates import store_rates

PASSWORD = "correct horse battery"
DEFAULT_DATE = dt.date(2026, 1, 15)

_numbers = itertools.count(1)


def unique(text: str) -> str:
    """`text` with `{}` replaced by a number no other call in this run returned."""
    return text.format(next(_numbers))


# --- one object each -------------------------------------------------------------------------------


def create_user(email: str | None = None, password: str = PASSWORD, **fields) -> User:
    """A registered user (with the starter categories), through `accounts.register_user`."""
    return accounts.register_user(email=email or unique("user{}@example.com"), password=password, **fields)


def category_id(user: User, name: str = "Food") -> int:
    """The id of `user`'s category called `name` (a starter category by default)."""
    found = db.session.scalar(sa.select(Category.id).where(Category.user_id == user.id, Category.name == name))
    assert found is not None, f"{user!r} has no category called {name!r}"
    return found


def create_category(user: User, name: str | None = None, color: str = "#123456", icon: str | None = "tag") -> int:
    """A new, empty category of `user`."""
    return categories.create_category(user=user, name=name or unique("Category {}"), color=color, icon=icon).id


def create_expense(
    user: User,
    *,
    amount: Decimal | str = "10.00",
    date: dt.date | str = DEFAULT_DATE,
    category: str = "Food",
    **fields,
) -> int:
    """An expense of `user` (defaults: 10.00 on 2026-01-15 in the category named `category`).

    `category_id=` wins over `category`; other keywords (tags, currency, notes, ...) go to the service.
    """
    if "category_id" not in fields:
        fields["category_id"] = category_id(user, category)
    return expenses.create_expense(user=user, amount=amount, date=date, **fields).id


# Rates (units per EUR) for issue 12's scenario on Friday 2024-03-15. Round figures close to the
# ECB's, not its published ones (those are in tests/rates.MARCH_2024: USD 1.0892, GBP 0.8541); the
# tests' expected amounts are computed from these.
ECB_2024_03_15 = {"USD": "1.0890", "GBP": "0.85520", "JPY": "163.30", "CHF": "0.9611"}


def insert_rates(day: dt.date | str = "2024-03-15", rates: dict[str, str] | None = None) -> None:
    """Store `rates` ({currency: units per EUR}) for `day`, with EUR's own 1, via `tests.rates.store_rates`.

    A handful of rows instead of `exchange_rates.load_rates()` (the whole history, seconds).
    """
    day = dt.date.fromisoformat(day) if isinstance(day, str) else day
    given = ECB_2024_03_15 if rates is None else rates
    store_rates({(code, day): rate for code, rate in given.items() if code != "EUR"})


def create_budget(user: User, *, category_id: int | None = None, amount: str = "500.00", **fields) -> int:
    """A budget of `user` for a new category of theirs unless `category_id` is given."""
    if category_id is None and not fields.pop("overall", False):
        category_id = create_category(user)
    return budgets.create_budget(user=user, category_id=category_id, amount=amount, **fields).id


def create_recurring(
    user: User, *, amount: str = "950.00", start_date: dt.date | None = None, category: str = "Food", **fields
) -> int:
    """A running recurring template of `user`; it starts in three days unless `start_date` is given."""
    fields.setdefault("category_id", category_id(user, category))
    start = start_date or dt.date.today() + dt.timedelta(days=3)
    return recurring.create_recurring(user=user, amount=amount, start_date=start, **fields).id


def create_paused_recurring(user: User, **fields) -> int:
    """A recurring template of `user` that is paused (resuming it is a visible change)."""
    template_id = create_recurring(user, **fields)
    recurring.pause_recurring(user=user, recurring_id=template_id)
    return template_id


def post_occurrences(user: User, today: dt.date | None = None) -> int:
    """Post `user`'s due recurring occurrences; returns how many expenses that created."""
    return recurring.post_due(user=user, today=today)


def issue_tokens(user: User) -> dict:
    """A fresh API token pair of `user` (a new token family)."""
    return tokens.issue_token_pair(user=user)


def create_access_token(user: User, *, name: str | None = None, scopes=("read", "write"), **fields) -> tuple[int, str]:
    """A personal access token of `user`, through `access_tokens.create_token`: (its id, the token)."""
    row, token = access_tokens.create_token(user=user, name=name or unique("Script {}"), scopes=list(scopes), **fields)
    return row.id, token


# --- a user who owns a row of every table ----------------------------------------------------------


@dataclass
class FullUser:
    """A user and the ids of (at least) one object of each kind they own."""

    user: User
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    # The batch of an expense deleted through the service, which Undo can still restore.
    deleted_batch_id: str = ""
    # A live personal access token (`read` and `write`) of the user, as a script would hold it.
    access_token: str = ""
    # Two-factor sign-in is on for the full user; this is its TOTP secret (for `totp_code`).
    totp_secret: str = ""

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def email(self) -> str:
        return self.user.email


CURRENCIES = ("USD", "EUR", "GBP", "JPY", "CHF")
PAYMENT_METHODS = ("cash", "credit_card", "debit_card", "bank_transfer", "mobile_payment", "other")


@functools.cache
def _bundled_rates() -> dict:
    return exchange_rates.parse_history(exchange_rates._history_text(exchange_rates.bundled_history()))


def store_bundled_rates(*, since: dt.date, until: dt.date | None = None, currencies=CURRENCIES) -> int:
    """Store the bundled ECB rates of `currencies` (and EUR) from `since` (to `until`); return how many.

    A few thousand rows instead of the whole 230,000-row history, so a test can afford it.
    """
    wanted = {*currencies, exchange_rates.EUR}
    rows = [
        ExchangeRate(currency=currency, date=day, rate=rate)
        for (currency, day), rate in _bundled_rates().items()
        if day >= since and (until is None or day <= until) and currency in wanted
    ]
    with transaction() as session:
        session.add_all(rows)
    return len(rows)


def _history(user: User, *, days: int, every: int) -> None:
    """Expenses on every `every`-th day of the last `days` days, across categories and currencies,
    converted at the bundled ECB rates (the most recent weeks, after the bundled file ends, wait)."""
    starter = [category_id(user, name) for name in ("Food", "Transport", "Housing", "Utilities", "Entertainment")]
    first = dt.date.today() - dt.timedelta(days=days)
    if not db.session.scalar(sa.select(ExchangeRate.date).where(ExchangeRate.date >= first).limit(1)):
        store_bundled_rates(since=first - dt.timedelta(days=7))
    for number, offset in enumerate(range(0, days, every)):
        currency = CURRENCIES[number % len(CURRENCIES)]
        cents = 100 + (number * 7919) % 25_000
        # JPY has no minor unit: whole amounts only.
        amount = Decimal(cents // 100) if currency == "JPY" else Decimal(cents).scaleb(-2)
        expenses.create_expense(
            user=user,
            amount=amount,
            date=first + dt.timedelta(days=offset),
            category_id=starter[number % len(starter)],
            currency=currency,
            payment_method=PAYMENT_METHODS[number % len(PAYMENT_METHODS)],
            description=f"History {number}",
            tags=[f"t{number % 4}"],
        )


def build_full_user(user: User, *, history: bool = False) -> FullUser:
    """Give `user` at least one row of every table they can own, through the services.

    With `history`, also about 250 expenses over the last two years in five currencies. The
    caller checks the result with `missing_tables` (the `full_user` fixtures do).
    """
    full = FullUser(user)
    today = dt.date.today()
    full.ids["category_id"] = create_category(user, name=unique("Savings {}"))
    full.ids["expense_id"] = create_expense(
        user, amount="123.45", description="Dinner", tags=["private", "food"], notes="only mine"
    )
    # Expenses in another currency: one at a manual rate, one waiting for a rate (ARS: the ECB
    # does not publish it), so every total meets both kinds.
    foreign = "EUR" if user.currency != "EUR" else "USD"
    full.ids["manual_fx_expense_id"] = create_expense(
        user, amount="80.00", currency=foreign, fx_rate="1.0800000000", description="Hotel abroad"
    )
    full.ids["waiting_expense_id"] = create_expense(user, amount="15000.00", currency="ARS", description="Taxi")
    # Recorded through quick-add, which remembers its category and payment method (capture_defaults).
    full.ids["quick_added_expense_id"] = quick_add_expense(
        user=user,
        amount="4.20",
        date=today,
        category_id=full.ids["category_id"],
        description="Coffee",
        payment_method="cash",
    ).id
    full.ids["budget_id"] = create_budget(user, category_id=full.ids["category_id"], amount="400.00")
    # A second version from next month onward: budgets own several versions.
    budgets.update_budget(
        user=user,
        budget_id=full.ids["budget_id"],
        amount="450.00",
        effective_from=budgets.format_month(budgets.current_month() + dt.timedelta(days=32)),
    )
    full.ids["overall_budget_id"] = create_budget(user, overall=True, amount="2000.00")
    # A monthly template that started three months ago: posting it creates occurrences and expenses.
    full.ids["posted_recurring_id"] = create_recurring(
        user, amount="50.00", start_date=today - dt.timedelta(days=90), tags=["home"], description="Gym"
    )
    post_occurrences(user, today=today)
    full.ids["recurring_id"] = create_recurring(user, description="Rent", tags=["home"])
    recurring.skip_occurrence(
        user=user, recurring_id=full.ids["recurring_id"], date=today + dt.timedelta(days=3), today=today
    )
    full.ids["paused_recurring_id"] = create_paused_recurring(user, description="Paused")
    # A deletion Undo can still restore (a deleted_expenses row); the ids above are not touched.
    deleted = expenses.delete_expense(user=user, expense_id=create_expense(user, amount="7.70", tags=["food"]))
    full.deleted_batch_id = deleted.batch_id
    # A categorisation rule, run once over the default date: it moves one expense into the
    # user's own Savings category and tags it, so rules, rule_runs and rule_run_changes each own a
    # row while the ids above keep their fields.
    full.ids["rule_expense_id"] = create_expense(user, amount="9.99", description="Rule target")
    full.ids["rule_id"] = categorization.create_rule(
        user=user,
        name="Rule targets to savings",
        conditions=[{"field": "description", "operator": "equals", "value": "rule target"}],
        actions=[
            {"type": "set_category", "category_id": full.ids["category_id"]},
            {"type": "add_tags", "tags": ["ruled"]},
        ],
    ).id
    full.ids["rule_run_id"] = categorization.apply_run(user=user, date_from=DEFAULT_DATE, date_to=DEFAULT_DATE).id
    # A saved import preset and a committed import of a small statement (one debit, one credit),
    # so import_presets, import_batches and import_rows each own rows; dated 2020, away from the
    # dates the other objects use.
    full.ids["import_preset_id"], full.ids["import_batch_id"] = create_committed_import(
        user, category_id=full.ids["category_id"]
    )
    if history:
        _history(user, days=730, every=3)
    # A POST answered under an Idempotency-Key (the stored answer of a retried create).
    key = unique("retry-{}")
    idempotency.claim(user.id, key, "POST", "/api/v1/expenses", b'{"amount": "123.45"}')
    location = f"/api/v1/expenses/{full.ids['expense_id']}"
    idempotency.store(user.id, key, 201, json.dumps({"id": full.ids["expense_id"]}), {"Location": location})
    full.tokens = issue_tokens(user)
    # Account security (issue 16): a browser sign-in and its security-log entry.
    sign_ins.start_web_session(user=user)
    security_log.record(user.id, "sign_in", face="web")
    # A personal access token (issue 16), which account deletion must remove with the rest.
    full.ids["access_token_id"], full.access_token = create_access_token(user, name="Backup script")
    # Two-factor sign-in on (recovery codes), and a second step left half done (a challenge).
    full.totp_secret, _ = enable_two_factor(user)
    mfa_challenges.begin(user=db.session.get(User, user.id), purpose="web")
    return full


# Recovery codes of the users `enable_two_factor` enrolled that no test has spent yet: the `login`
# and `api_login` fixtures complete a two-factor sign-in with one (a TOTP code would be refused
# the second time it is used within 30 seconds, and tests log in more often than that).
SPARE_RECOVERY_CODES: dict[int, list[str]] = {}


def totp_code(secret: str, *, steps: int = 0, for_time: float | None = None) -> str:
    """The code of `secret` `steps` steps of 30 seconds away from `for_time` (now by default)."""
    return pyotp.TOTP(secret).at((time.time() if for_time is None else for_time) + 30 * steps)


def enable_two_factor(user: User) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on for `user` through the service; return (secret, recovery codes)."""
    attached = db.session.get(User, user.id)
    secret, _ = mfa.start_enrolment(user=attached)
    codes = mfa.confirm_enrolment(user=attached, code=totp_code(secret))
    SPARE_RECOVERY_CODES[user.id] = list(codes)
    return secret, codes


def spare_recovery_code(user_id: int) -> str:
    """An unused recovery code of a user `enable_two_factor` enrolled (each is handed out once)."""
    return SPARE_RECOVERY_CODES[user_id].pop()


SMALL_STATEMENT = b"Date,Amount,Description\n2020-01-10,-2.50,Imported snack\n2020-01-11,20.00,Refund\n"


def create_committed_import(user: User, *, category_id: int, data: bytes = SMALL_STATEMENT) -> tuple[int, int]:
    """A preset of `user` saved for `data`'s columns, and `data` imported with it and committed
    into `category_id`: (preset id, batch id)."""
    from expense_app.statements.dispatch import read_statement

    preset = import_presets.create_preset(
        user=user, name=unique("My bank {}"), settings=read_statement(data).settings, sample=data
    )
    batch = imports.create_batch(user=user, data=data, preset_id=preset.id, default_category_id=category_id)
    imports.commit_batch(user=user, batch_id=batch.id)
    return preset.id, batch.id


# --- ownership, read from the metadata -------------------------------------------------------------


def owned_tables() -> dict[str, sa.Table]:
    """Every table whose rows belong to a user: `users` itself, tables with a `user_id` column or a
    foreign key to `users`, and tables with a foreign key to one of those (recursively).
    """
    owned: dict[str, sa.Table] = {}
    for table in db.metadata.sorted_tables:  # parents before children
        direct = table.name == User.__tablename__ or "user_id" in table.c
        if direct or any(fk.column.table.name in owned for fk in table.foreign_keys if fk.column.table is not table):
            owned[table.name] = table
    return owned


def _owner_condition(table: sa.Table, user_id: int, seen: frozenset[str] = frozenset()):
    if table.name == User.__tablename__:
        return table.c.id == user_id
    if "user_id" in table.c:
        return table.c.user_id == user_id
    conditions = []
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent is table or parent.name in seen or parent.name not in owned_tables():
            continue
        parent_condition = _owner_condition(parent, user_id, seen | {table.name})
        conditions.append(fk.parent.in_(sa.select(fk.column).where(parent_condition)))
    return sa.or_(*conditions)


# Columns that count writes rather than hold data: an undo restores the data and still moves them
# (the ETag's data version must change, or a client would keep the answer from before the undo).
WRITE_COUNTERS = {"user_data_versions": ("version",)}


def _data_columns(table: sa.Table) -> list:
    counters = WRITE_COUNTERS.get(table.name, ())
    return [column for column in table.c if column.name not in counters]


def owned_rows(user_id: int) -> dict[str, list[str]]:
    """For every owned table, the rows (as sorted reprs) that belong to `user_id`; write counters
    (`WRITE_COUNTERS`) are left out of the rows, so a restore compares equal to what it restored."""
    with db.engine.connect() as connection:
        return {
            name: sorted(
                map(repr, connection.execute(sa.select(*_data_columns(table)).where(_owner_condition(table, user_id))))
            )
            for name, table in owned_tables().items()
        }


def missing_tables(user_id: int) -> list[str]:
    """The owned tables in which `user_id` has no row."""
    return [name for name, rows in owned_rows(user_id).items() if not rows]


def all_rows() -> dict[str, list[str]]:
    """Every row of every table in the metadata (as sorted reprs): a snapshot of the whole database.
    Write counters are left out as in `owned_rows`: they only move when a data table does."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted(map(repr, connection.execute(sa.select(*_data_columns(table))).all()))
            for table in db.metadata.sorted_tables
        }


# What a refused request may still write: the security log's record of the refusal itself (a wrong
# password or code is evidence an account owner wants to see). Nothing else may change.
REFUSAL_EVENTS = frozenset({"sign_in_failed", "sign_in_locked", "mfa_failed"})


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> list[str]:
    """Tables whose rows differ between two snapshots (`all_rows` / `owned_rows`), ignoring rows the
    security log added to record a refusal (`REFUSAL_EVENTS`); an edited or removed log row counts."""
    changed = []
    for name in before:
        if before[name] == after[name]:
            continue
        if name == "security_events" and _only_refusals_added(before[name], after[name]):
            continue
        changed.append(name)
    return sorted(changed)


def _only_refusals_added(before: list[str], after: list[str]) -> bool:
    old, new = set(before), set(after)
    added = new - old
    return old <= new and all(any(f"'{kind}'" in row for kind in REFUSAL_EVENTS) for row in added)


@dataclass(frozen=True)
class Trip:
    """Issue 12's scenario for one EUR user (see `create_trip`)."""

    user_id: int
    expense_ids: dict[str, int]
    total: Decimal = Decimal("170.30")  # 20.00 + 91.83 + 58.47; the ARS taxi is left out
    unconverted_count: int = 1


def create_trip(user: User) -> Trip:
    """Give `user` (whose currency must be EUR) the ECB rates of 2024-03-15 and four expenses:

    - EUR 20.00 on Thu 2024-03-14 (Food, cash): base 20.00 (`same`);
    - USD 100.00 on Fri 2024-03-15 (Housing, credit card): 100 * round(1/1.0890, 10) = 91.83;
    - GBP 50.00 on Sat 2024-03-16 (Food, credit card), at Friday's rate: 50 * round(1/0.8552, 10) = 58.47;
    - ARS 25,000.00 on 2024-03-17 (Transport, cash): the ECB publishes no ARS rate, so it waits.
    """
    assert user.currency == "EUR"
    insert_rates()
    made = {
        "lunch": create_expense(user, amount="20.00", date="2024-03-14", currency="EUR", payment_method="cash"),
        "hotel": create_expense(
            user, amount="100.00", date="2024-03-15", currency="USD", category="Housing", payment_method="credit_card"
        ),
        "dinner": create_expense(user, amount="50.00", date="2024-03-16", currency="GBP", payment_method="credit_card"),
        "taxi": create_expense(
            user, amount="25000.00", date="2024-03-17", currency="ARS", category="Transport", payment_method="cash"
        ),
    }
    return Trip(user_id=user.id, expense_ids=made)
