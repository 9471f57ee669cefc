"""Revision 0006 (currencies): existing expenses get a base amount where they need no conversion,
the others wait for a rate, and `expense_stats` is recomputed from the rows; down and up again
keeps every row."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from config import normalize_database_url
from expense_app.extensions import db
from tests.conftest import make_app
from tests.requirements import require_postgres

NOW = "2026-01-01 00:00:00"
ROWS = (
    "INSERT INTO users (id, email, password_hash, full_name, currency, is_active, session_version, "
    "created_at, updated_at) VALUES (1, 'a@example.com', 'x', 'A', 'EUR', true, 1, :now, :now)",
    "INSERT INTO categories (id, user_id, name, name_key, color, created_at, updated_at) "
    "VALUES (1, 1, 'Travel', 'travel', '#000000', :now, :now)",
    "INSERT INTO expenses (id, user_id, category_id, amount, currency, date, description, payment_method, "
    "notes, created_at, updated_at) VALUES "
    "(1, 1, 1, 10.05, 'EUR', '2024-03-15', '', 'other', '', :now, :now), "
    "(2, 1, 1, 20.10, 'EUR', '2024-03-16', '', 'other', '', :now, :now), "
    "(3, 1, 1, 100.00, 'USD', '2024-03-15', '', 'other', '', :now, :now)",
)


def _migrate_with_rows(url: str):
    app = make_app(url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            for statement in ROWS:
                conn.execute(sa.text(statement), {"now": NOW})
        upgrade(revision="0006")
        with db.engine.connect() as conn:
            expenses = conn.execute(
                sa.text("SELECT id, base_amount, fx_rate, fx_date, fx_source FROM expenses ORDER BY id")
            ).all()
            stats = conn.execute(
                sa.text("SELECT expense_count, total_cents, unconverted_count FROM expense_stats")
            ).one()
            locale = conn.scalar(sa.text("SELECT locale FROM users"))
        downgrade(revision="0005")
        with db.engine.connect() as conn:
            old_stats = conn.execute(sa.text("SELECT expense_count, total_cents FROM expense_stats")).one()
        upgrade()
        with db.engine.connect() as conn:
            again = conn.execute(
                sa.text("SELECT expense_count, total_cents, unconverted_count FROM expense_stats")
            ).one()
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.engine.dispose()
    return expenses, tuple(stats), locale, tuple(old_stats), tuple(again)


def _check(result):
    expenses, stats, locale, old_stats, again = result
    assert [(row[0], row[4]) for row in expenses] == [(1, "same"), (2, "same"), (3, None)]
    assert Decimal(str(expenses[0][1])) == Decimal("10.05") and Decimal(str(expenses[0][2])) == 1
    assert expenses[2][1:] == (None, None, None, None)  # no rates yet: the USD expense waits
    assert stats == (3, 3015, 1)  # only the EUR amounts are summed
    assert locale == "en_US"
    assert old_stats == (3, 13015)  # 0005's triggers and sums are back after a downgrade
    assert again == (3, 3015, 1)


def test_upgrading_to_0006_on_sqlite(tmp_path):
    _check(_migrate_with_rows(f"sqlite:///{tmp_path / 'upgrade.db'}"))


@pytest.mark.postgres
def test_upgrading_to_0006_on_postgresql(database_url, tmp_path):
    # A database of its own: the suite's shared one must stay at head for the other tests.
    require_postgres(database_url)
    base = sa.engine.make_url(normalize_database_url(database_url))
    name = f"{base.database}_m0006"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        _check(_migrate_with_rows(base.set(database=name).render_as_string(hide_password=False)))
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
