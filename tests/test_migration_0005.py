"""Revision 0005 (the split link) on SQLite rebuilds `recurring_expenses` in batch mode: the rows
that reference it (occurrences, tag links) must survive the copy-and-drop."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from expense_app.extensions import db
from tests.conftest import make_app

NOW = "2026-01-01 00:00:00"


def test_upgrading_to_0005_on_sqlite_keeps_the_rows_that_reference_templates(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'upgrade.db'}")
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as conn:
            for statement in (
                "INSERT INTO users (id, email, password_hash, full_name, currency, is_active, session_version, "
                "created_at, updated_at) VALUES (1, 'a@example.com', 'x', 'A', 'USD', 1, 1, :now, :now)",
                "INSERT INTO categories (id, user_id, name, name_key, color, created_at, updated_at) "
                "VALUES (1, 1, 'Rent', 'rent', '#000000', :now, :now)",
                "INSERT INTO tags (id, user_id, name, created_at, updated_at) VALUES (1, 1, 'home', :now, :now)",
                "INSERT INTO recurring_expenses (id, user_id, category_id, amount, currency, description, "
                "payment_method, notes, start_date, interval_unit, interval_count, paused, created_at, updated_at) "
                "VALUES (1, 1, 1, 10, 'USD', '', 'other', '', '2026-01-01', 'month', 1, 0, :now, :now)",
                "INSERT INTO recurring_occurrences (id, recurring_id, occurrence_date, status, created_at) "
                "VALUES (1, 1, '2026-01-01', 'skipped', :now)",
                "INSERT INTO recurring_expense_tags (recurring_id, tag_id) VALUES (1, 1)",
            ):
                conn.execute(sa.text(statement), {"now": NOW})
        upgrade()
        downgrade(revision="0004")
        upgrade()
        with db.engine.connect() as conn:
            counts = [
                conn.scalar(sa.select(sa.func.count()).select_from(sa.table(table)))
                for table in ("recurring_expenses", "recurring_occurrences", "recurring_expense_tags")
            ]
            link = conn.scalar(sa.text("SELECT split_from_id FROM recurring_expenses"))
            problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        db.engine.dispose()
    assert counts == [1, 1, 1]
    assert link is None and problems == []
