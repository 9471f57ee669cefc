"""Benchmark data at scale: `flask seed-bench` fills the database with realistic expenses, fast.

Bench code, not part of the app: `expense_app.cli` registers the command only when this package
is importable (a checkout, not the Docker image or a pip-installed app). Without the flask CLI:

    python -m bench.seeding --users 100 --per-user 10000 --heavy 100000   # from the repo root

Who is created (fixed emails, so a re-run finds them instead of adding more):
- `bench-000@bench.local` .. `bench-NNN@bench.local`: ordinary users with `--per-user` expenses each;
- `bench-heavy@bench.local`: one heavy user with `--heavy` expenses.
Every bench user has the password `BENCH_PASSWORD` (documented in bench/README.md) and a handful
of tags. Accounts are made by the accounts service (`accounts.register_user`), so they get exactly
the starter categories and password hash of a real sign-up; each registration hashes the password
(argon2, slow on purpose: about 0.3 s each with the production parameters), a one-time cost of the
first run.

The data looks like a person's spending: descriptions that fit their category (groceries in Food,
fuel in Transport...), amounts with cents drawn from a per-category range, dates spread over the
last three years, mostly cards, about a third of the expenses tagged. It is deterministic: the
random generator is seeded per user, so two runs produce the same rows. The bench accounts'
expenses are all in their own currency (`same`, no conversion); `seed_user_expenses` gives one
existing user a mix of currencies instead (bench/base_currency.py), the others waiting for a rate.

Speed: only the expenses and their tag links are bulk-loaded. On PostgreSQL the rows are streamed with COPY (psycopg2 `copy_expert` on the engine's raw
connection), in chunks of `CHUNK_SIZE`, each chunk its own transaction. Ids are reserved from the
tables' sequences first, so the tag links can be written in the same pass without reading the
expenses back. Other databases (SQLite, for tests) get an `executemany` insert of the same rows.
The `expense_stats` triggers (expense_app/models/stats.py) stay on during the load and count every
row, COPY included, so the per-user totals are exact when the seed ends.

Idempotence: a user whose expense count already reaches its target is skipped; one with fewer
(an interrupted run, or a larger target) is topped up with the missing rows only.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import click
import sqlalchemy as sa
from dotenv import load_dotenv
from flask.cli import ScriptInfo, with_appcontext

from expense_app import create_app
from expense_app.extensions import db
from expense_app.models import PAYMENT_METHODS, Category, Expense, Tag, User, expense_tags
from expense_app.models.base import utcnow
from expense_app.services import accounts
from expense_app.services.rules import currency_places
from expense_app.services.tags import resolve_tags
from expense_app.services.unit_of_work import transaction

BENCH_DOMAIN = "bench.local"
HEAVY_EMAIL = f"bench-heavy@{BENCH_DOMAIN}"
BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 (a documented benchmark credential, bench data only)
CHUNK_SIZE = 20_000
HISTORY_DAYS = 3 * 365
CURRENCY = "USD"

TAGS = ("family", "work", "weekly", "travel", "gift", "subscription", "reimbursable", "kids", "health", "online")

# Per starter category: (smallest, largest) amount in dollars, and descriptions that fit it.
SPENDING = {
    "Food": (
        (3, 180),
        (
            "Groceries at Whole Foods",
            "Coffee at Blue Bottle",
            "Lunch with the team",
            "Farmers market",
            "Pizza night",
            "Bakery",
            "Dinner at Thai Palace",
            "Weekly groceries",
            "Sushi takeaway",
            "Coffee and croissant",
        ),
    ),
    "Transport": (
        (2, 120),
        ("Metro card top-up", "Fuel", "Taxi to the airport", "Parking downtown", "Bike repair", "Train ticket"),
    ),
    "Housing": ((400, 2400), ("Rent", "Home insurance", "Plumber", "Furniture", "Cleaning service")),
    "Utilities": ((20, 260), ("Electricity bill", "Water bill", "Internet", "Mobile phone plan", "Gas bill")),
    "Health": ((8, 400), ("Pharmacy", "Dentist", "Gym membership", "Doctor visit", "Vitamins")),
    "Entertainment": (
        (5, 150),
        ("Cinema tickets", "Concert", "Streaming subscription", "Board game", "Museum entry", "Books"),
    ),
    "Shopping": ((10, 600), ("Clothes", "Shoes", "Electronics", "Birthday present", "Kitchen gadgets", "Sports gear")),
    "Other": ((5, 300), ("Haircut", "Donation", "Post office", "Bank fee", "Pet food", "Dry cleaning")),
}
NOTES = ("", "", "", "", "", "", "split with a friend", "paid in advance", "receipt in the drawer", "monthly")
# Cards dominate, as in real spending.
PAYMENT_WEIGHTS = {
    "cash": 10,
    "credit_card": 40,
    "debit_card": 30,
    "bank_transfer": 8,
    "mobile_payment": 10,
    "other": 2,
}
assert set(PAYMENT_WEIGHTS) == set(PAYMENT_METHODS)

EXPENSE_COLUMNS = (
    "id",
    "user_id",
    "category_id",
    "amount",
    "currency",
    "date",
    "base_amount",
    "fx_rate",
    "fx_date",
    "fx_source",
    "description",
    "payment_method",
    "notes",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class BenchUser:
    email: str
    target: int


@dataclass
class SeedReport:
    """What a run did.

    `insert_seconds` runs from the first generated row to the last index rebuilt (so it includes
    the index builds of a bulk load); `rows_per_second` counts expenses and tag links over it.
    """

    users_created: int = 0
    users_skipped: int = 0
    users_topped_up: int = 0
    expenses_inserted: int = 0
    tag_links_inserted: int = 0
    insert_seconds: float = 0.0
    total_seconds: float = 0.0
    # CPU seconds spent inserting by this process and by the PostgreSQL backends it used (None when
    # the server's processes cannot be read, e.g. a remote database): a figure a busy machine
    # cannot inflate, unlike the wall-clock time.
    cpu_seconds: float | None = None

    @property
    def rows_inserted(self) -> int:
        return self.expenses_inserted + self.tag_links_inserted

    @property
    def rows_per_second(self) -> float:
        return self.rows_inserted / self.insert_seconds if self.insert_seconds else 0.0

    @property
    def rows_per_cpu_second(self) -> float | None:
        return self.rows_inserted / self.cpu_seconds if self.cpu_seconds else None

    @property
    def expenses_per_second(self) -> float:
        return self.expenses_inserted / self.insert_seconds if self.insert_seconds else 0.0


def bench_users(*, users: int, per_user: int, heavy: int) -> list[BenchUser]:
    """The bench accounts and their expense targets: `users` ordinary ones, then the heavy one (if any)."""
    plan = [BenchUser(f"bench-{number:03d}@{BENCH_DOMAIN}", per_user) for number in range(users)]
    if heavy:
        plan.append(BenchUser(HEAVY_EMAIL, heavy))
    return plan


class _CpuMeter:
    """CPU time of this process plus that of every PostgreSQL backend seen, since each was first seen."""

    def __init__(self) -> None:
        self.started = time.process_time()
        self.backends: dict[int, float | None] = {}

    @staticmethod
    def _process_cpu(pid: int) -> float | None:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        # utime and stime are fields 14 and 15 of /proc/<pid>/stat (after the command name: 12, 13).
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def watch(self, cursor) -> None:
        """Start counting the backend behind a DB-API cursor (PostgreSQL only)."""
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
        if pid not in self.backends:
            self.backends[pid] = self._process_cpu(pid)

    def seconds(self) -> float | None:
        total = time.process_time() - self.started
        for pid, baseline in self.backends.items():
            now = self._process_cpu(pid)
            if baseline is None or now is None:
                return None
            total += now - baseline
        return total


# --- accounts (through the service) and tags -------------------------------------------------------


def _ensure_users(plan: list[BenchUser]) -> tuple[dict[str, int], int]:
    """Return {email: id} for the plan's users and how many were created.

    Both steps are the app's own services, so a re-run finds everything and adds nothing: the
    missing users are registered (`accounts.register_user` gives each the starter categories in
    the same transaction), then every user gets the bench tags it lacks (`tags.resolve_tags`, all
    in one unit of work).
    """
    emails = [entry.email for entry in plan]
    users = {user.email: user for user in db.session.scalars(sa.select(User).where(User.email.in_(emails)))}
    missing = [email for email in emails if email not in users]
    for email in missing:
        users[email] = accounts.register_user(
            email=email,
            password=BENCH_PASSWORD,
            full_name="Bench Heavy" if email == HEAVY_EMAIL else f"Bench {email[6:9]}",
            currency=CURRENCY,
        )
    with transaction():
        for email in emails:
            resolve_tags(user=users[email], names=list(TAGS))
    return {email: users[email].id for email in emails}, len(missing)


# --- rows ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Owner:
    """What the generator needs to know about one user: its categories (by name) and tags."""

    user_id: int
    categories: dict[str, int]
    tags: list[int]
    currency: str = CURRENCY


def _owner(user_id: int) -> _Owner:
    categories = dict(
        db.session.execute(sa.select(Category.name, Category.id).where(Category.user_id == user_id)).all()
    )
    tags = list(db.session.scalars(sa.select(Tag.id).where(Tag.user_id == user_id).order_by(Tag.id)))
    currency = db.session.scalar(sa.select(User.currency).where(User.id == user_id))
    return _Owner(user_id, categories, tags, currency)


@dataclass(frozen=True)
class _Mix:
    """Which currencies the expenses are in (weights) and over how many days back from today."""

    currencies: tuple[tuple[str, int], ...] | None = None
    history_days: int = HISTORY_DAYS


def generate_rows(owner: _Owner, count: int, *, seed: int, today: dt.date, mix: _Mix = _Mix()) -> Iterator[tuple]:
    """Yield `count` expenses as plain tuples, deterministic for (`seed`, owner, count, mix).

    Each tuple is (user_id, category_id, minor_units, day_offset, description, payment_method,
    notes, second_of_day, tag_ids, currency): the writers turn them into COPY text or
    executemany parameters. Without `mix.currencies` every expense is in the owner's currency
    (and the random draws are those of earlier versions, so the data is unchanged). An amount in
    a currency without minor digits (JPY) is a whole number, about 100 times the dollar amount.
    """
    rng = random.Random(f"{seed}:{owner.user_id}:{count}")  # noqa: S311 (sample data, not secrets)
    names = [name for name in SPENDING if name in owner.categories] or list(owner.categories)
    # Everyday categories are frequent, rent rare: weights roughly like a household budget.
    weights = {"Food": 40, "Transport": 18, "Housing": 2, "Utilities": 6, "Health": 6, "Entertainment": 12}
    category_weights = [weights.get(name, 8) for name in names]
    methods = list(PAYMENT_WEIGHTS)
    method_weights = list(PAYMENT_WEIGHTS.values())
    picked_categories = rng.choices(names, category_weights, k=count)
    picked_methods = rng.choices(methods, method_weights, k=count)
    if mix.currencies:
        codes, code_weights = zip(*mix.currencies, strict=True)
        picked_currencies = rng.choices(codes, code_weights, k=count)
    else:
        picked_currencies = [owner.currency] * count
    tags = owner.tags
    for index in range(count):
        name = picked_categories[index]
        (low, high), descriptions = SPENDING.get(name, ((5, 100), ("Expense",)))
        # Skewed towards small amounts, always with cents and always > 0.
        cents = int(low * 100 + (high - low) * 100 * rng.random() ** 2) or 1
        roll = rng.random()
        # About a third of the expenses carry a tag, a tenth two.
        tag_ids = rng.sample(tags, 2 if roll < 0.1 else 1) if tags and roll < 0.35 else ()
        yield (
            owner.user_id,
            owner.categories[name],
            cents,
            rng.randrange(mix.history_days),
            rng.choice(descriptions),
            picked_methods[index],
            rng.choice(NOTES),
            rng.randrange(86_400),
            tag_ids,
            picked_currencies[index],
        )


def _reserve_ids(connection, table: str, count: int) -> list[int]:
    """`count` fresh ids for `table`: from its sequence on PostgreSQL, after max(id) elsewhere."""
    if connection.dialect.name == "postgresql":
        return list(
            connection.exec_driver_sql(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, {int(count)})"  # noqa: S608 (fixed table name)
            ).scalars()
        )
    start = connection.execute(sa.text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one() + 1  # noqa: S608 (fixed table name)
    return list(range(start, start + count))


def _amount_text(minor_units: int, currency: str = CURRENCY) -> str:
    if currency_places(currency) == 0:
        return str(minor_units)  # whole units: the cents figure read as yen is a plausible price
    return f"{minor_units // 100}.{minor_units % 100:02d}"


def _conversion_fields(amount: str, currency: str, day: str, owner_currency: str) -> tuple:
    """(base_amount, fx_rate, fx_date, fx_source): `same` in the owner's currency, else waiting for
    a rate (`flask rates load` converts those, as it would after a real import)."""
    if currency == owner_currency:
        return amount, "1", day, "same"
    return None, None, None, None


def _copy_chunk(rows: list[tuple], ids: list[int], today: dt.date, meter: _CpuMeter, owner_currency: str) -> int:
    """Write one chunk with COPY in its own transaction; return the number of tag links written."""
    expenses_buffer, links_buffer = io.StringIO(), io.StringIO()
    links = 0
    day_text: dict[int, tuple[str, str]] = {}
    for expense_id, (user_id, category_id, cents, offset, description, method, notes, second, tag_ids, currency) in zip(
        ids, rows, strict=True
    ):
        if offset not in day_text:
            day = (today - dt.timedelta(days=offset)).isoformat()
            day_text[offset] = (day, day + " ")
        day, stamp = day_text[offset]
        created = f"{stamp}{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}+00"
        amount = _amount_text(cents, currency)
        conversion = "\t".join(
            "\\N" if field is None else field for field in _conversion_fields(amount, currency, day, owner_currency)
        )
        expenses_buffer.write(
            f"{expense_id}\t{user_id}\t{category_id}\t{amount}\t{currency}\t{day}\t{conversion}\t"
            f"{description}\t{method}\t{notes}\t{created}\t{created}\n"
        )
        for tag_id in tag_ids:
            links_buffer.write(f"{expense_id}\t{tag_id}\n")
            links += 1
    expenses_buffer.seek(0)
    links_buffer.seek(0)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        meter.watch(cursor)
        # Losing the last chunk on a server crash is harmless (a re-run tops it up); waiting for
        # each chunk's WAL flush is not.
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.copy_expert(f"COPY expenses ({', '.join(EXPENSE_COLUMNS)}) FROM STDIN", expenses_buffer)
        cursor.copy_expert("COPY expense_tags (expense_id, tag_id) FROM STDIN", links_buffer)
        raw.commit()
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()
    return links


def _executemany_chunk(connection, rows: list[tuple], ids: list[int], today: dt.date, owner_currency: str) -> int:
    """Write one chunk with executemany (databases without COPY); return the tag links written."""
    expense_rows, link_rows = [], []
    for expense_id, (user_id, category_id, cents, offset, description, method, notes, second, tag_ids, currency) in zip(
        ids, rows, strict=True
    ):
        day = today - dt.timedelta(days=offset)
        amount = _amount_text(cents, currency)
        base_amount, fx_rate, _, fx_source = _conversion_fields(amount, currency, "", owner_currency)
        created = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=second)
        expense_rows.append(
            {
                "id": expense_id,
                "user_id": user_id,
                "category_id": category_id,
                "amount": amount,
                "currency": currency,
                "date": day,
                "base_amount": base_amount,
                "fx_rate": fx_rate,
                "fx_date": day if fx_source else None,
                "fx_source": fx_source,
                "description": description,
                "payment_method": method,
                "notes": notes,
                "created_at": created,
                "updated_at": created,
            }
        )
        link_rows.extend({"expense_id": expense_id, "tag_id": tag_id} for tag_id in tag_ids)
    connection.execute(sa.insert(Expense.__table__), expense_rows)
    if link_rows:
        connection.execute(sa.insert(expense_tags), link_rows)
    return len(link_rows)


def _insert_expenses(
    owner: _Owner,
    count: int,
    *,
    seed: int,
    today: dt.date,
    progress: Callable[[int], None],
    meter: _CpuMeter,
    mix: _Mix = _Mix(),
) -> int:
    """Insert `count` generated expenses for `owner` in chunks; return the number of tag links."""
    links = 0
    rows = generate_rows(owner, count, seed=seed, today=today, mix=mix)
    remaining = count
    postgres = db.engine.dialect.name == "postgresql"
    while remaining:
        size = min(CHUNK_SIZE, remaining)
        chunk = [next(rows) for _ in range(size)]
        if postgres:
            with db.engine.connect() as connection:
                ids = _reserve_ids(connection, "expenses", size)
                connection.commit()
            links += _copy_chunk(chunk, ids, today, meter, owner.currency)
        else:
            with db.engine.begin() as connection:
                ids = _reserve_ids(connection, "expenses", size)
                links += _executemany_chunk(connection, chunk, ids, today, owner.currency)
        remaining -= size
        progress(size)
    return links


def _secondary_indexes() -> list[sa.Index]:
    return [*Expense.__table__.indexes, *expense_tags.indexes]


def _drop_secondary_indexes() -> None:
    with db.engine.begin() as connection:
        for index in _secondary_indexes():
            index.drop(connection, checkfirst=True)


def _create_secondary_indexes(meter: _CpuMeter | None = None) -> None:
    """Create the expenses' and tag links' secondary indexes that are missing (all of them after a bulk load)."""
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            if meter is not None:
                meter.watch(connection.connection.cursor())
            connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for index in _secondary_indexes():
            index.create(connection, checkfirst=True)


def _vacuum_analyze() -> None:
    # Fresh statistics (and a visibility map for index-only scans), as autovacuum would leave them.
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in (
                "users",
                "categories",
                "tags",
                "expenses",
                "expense_tags",
                "expense_stats",
                "expense_month_totals",
            ):
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    else:
        with db.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")


def seed_bench(
    *,
    users: int,
    per_user: int,
    heavy: int,
    seed: int = 7,
    today: dt.date | None = None,
    progress_factory: Callable[[int], object] | None = None,
) -> SeedReport:
    """Create the bench users and bring each one's expenses up to its target; return a SeedReport.

    `progress_factory(total_rows)` may return a context manager with `update(n)` (a click progress
    bar); it is given the number of expenses still to insert. Users already complete are skipped.
    """
    started = time.perf_counter()
    today = today or utcnow().date()
    plan = bench_users(users=users, per_user=per_user, heavy=heavy)
    report = SeedReport()
    ids, report.users_created = _ensure_users(plan)
    counts = dict(
        db.session.execute(
            sa.select(Expense.user_id, sa.func.count())
            .where(Expense.user_id.in_(ids.values()))
            .group_by(Expense.user_id)
        ).all()
    )
    db.session.commit()
    todo = []
    for entry in plan:
        have = counts.get(ids[entry.email], 0)
        if have >= entry.target:
            report.users_skipped += 1
        else:
            todo.append((ids[entry.email], entry.target - have))
            if have:
                report.users_topped_up += 1
    total = sum(missing for _, missing in todo)
    # Building an index once from sorted data is far cheaper than a million scattered inserts, so
    # a bulk load (more new rows than the table holds) drops the secondary indexes and builds them
    # after, as pg_restore does. Their definitions come from the models, so names stay identical;
    # a run that was interrupted before rebuilding them rebuilds them here first.
    postgres = db.engine.dialect.name == "postgresql"
    _create_secondary_indexes()
    existing = db.session.scalar(sa.select(sa.func.count()).select_from(Expense)) or 0
    db.session.commit()
    rebuild = postgres and total > existing

    bar = progress_factory(total) if progress_factory and total else None
    update = bar.update if bar is not None else (lambda _n: None)
    insert_started = time.perf_counter()
    meter = _CpuMeter()
    if bar is not None:
        bar.__enter__()
    if rebuild:
        _drop_secondary_indexes()
    try:
        for user_id, missing in todo:
            owner = _owner(user_id)
            db.session.commit()
            report.tag_links_inserted += _insert_expenses(
                owner, missing, seed=seed, today=today, progress=update, meter=meter
            )
            report.expenses_inserted += missing
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
        if rebuild:
            _create_secondary_indexes(meter)
    report.insert_seconds = time.perf_counter() - insert_started
    if postgres:
        report.cpu_seconds = meter.seconds()
    if total:
        _vacuum_analyze()
    report.total_seconds = time.perf_counter() - started
    return report


def seed_user_expenses(
    *,
    user_id: int,
    count: int,
    currencies: dict[str, int] | None = None,
    history_days: int = HISTORY_DAYS,
    seed: int = 7,
    today: dt.date | None = None,
) -> int:
    """Bulk-insert `count` generated expenses for one existing user; return the tag links written.

    `currencies` weighs the currencies drawn ({"EUR": 60, "USD": 15, ...}; default: all in the
    user's own). Expenses in the user's currency are stored `same`; the others wait for a rate,
    so loading the rates (`flask rates load`, or `exchange_rates.load_rates` then
    `conversions.convert_waiting`) converts them as it would after a real import.
    """
    mix = _Mix(tuple(currencies.items()) if currencies else None, history_days)
    owner = _owner(user_id)
    db.session.commit()
    links = _insert_expenses(
        owner, count, seed=seed, today=today or utcnow().date(), progress=lambda _n: None, meter=_CpuMeter(), mix=mix
    )
    _vacuum_analyze()
    return links


@click.command("seed-bench")
@click.option("--users", default=100, show_default=True, help="Ordinary bench users (bench-000@bench.local, ...).")
@click.option("--per-user", default=10_000, show_default=True, help="Expenses per ordinary user.")
@click.option("--heavy", default=100_000, show_default=True, help="Expenses of bench-heavy@bench.local (0: none).")
@click.option("--seed", default=7, show_default=True, help="Random seed: the same seed gives the same data.")
@with_appcontext
def seed_bench_command(users: int, per_user: int, heavy: int, seed: int) -> None:
    """Fill the database with benchmark users and expenses (idempotent; PostgreSQL uses COPY)."""
    if min(users, per_user, heavy) < 0:
        raise click.BadParameter("counts must not be negative")
    report = seed_bench(
        users=users,
        per_user=per_user,
        heavy=heavy,
        seed=seed,
        progress_factory=lambda total: click.progressbar(length=total, label="Inserting expenses", show_pos=True),
    )
    click.echo(
        f"Users: {report.users_created} created, {report.users_skipped} already complete, "
        f"{report.users_topped_up} topped up."
    )
    if report.expenses_inserted:
        click.echo(
            f"Inserted {report.expenses_inserted} expenses and {report.tag_links_inserted} tag links in "
            f"{report.insert_seconds:.1f} s: {report.rows_per_second:,.0f} rows/s "
            f"({report.expenses_per_second:,.0f} expenses/s); total {report.total_seconds:.1f} s with VACUUM ANALYZE."
        )
        if report.rows_per_cpu_second:
            click.echo(
                f"CPU time (this process + PostgreSQL backends): {report.cpu_seconds:.1f} s, "
                f"{report.rows_per_cpu_second:,.0f} rows per CPU-second; load average {os.getloadavg()[0]:.1f}."
            )
    else:
        click.echo(f"Nothing to insert ({report.total_seconds:.1f} s).")


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.seeding [options]`: `flask seed-bench` on the app configured by the environment.

    Reads a local .env as `wsgi.py` does; the options and output are the command's.
    """
    load_dotenv()
    seed_bench_command.main(args=argv, prog_name="python -m bench.seeding", obj=ScriptInfo(create_app=create_app))


if __name__ == "__main__":
    main()
