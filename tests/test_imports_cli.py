"""`flask imports purge`: staged imports older than a day go, with their rows; the rest stay."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from expense_app.extensions import db
from expense_app.models import ImportBatch, ImportRow
from expense_app.models.base import utcnow
from expense_app.services import imports
from expense_app.services.unit_of_work import transaction
from tests import factories

DATA = b"Date,Amount,Description\n2026-02-01,-3.50,Coffee\n2026-02-02,-4.50,Tea\n"


def test_purge_prints_how_many_it_deleted(app, ctx, user):
    old = imports.create_batch(user=user, data=DATA, source="old")
    kept = imports.create_batch(user=user, data=DATA, source="new")
    committed = imports.create_batch(
        user=user, data=DATA, source="done", default_category_id=factories.category_id(user)
    )
    imports.commit_batch(user=user, batch_id=committed.id)
    with transaction() as session:
        session.execute(
            sa.update(ImportBatch)
            .where(ImportBatch.id.in_([old.id, committed.id]))
            .values(created_at=utcnow() - dt.timedelta(days=2))
        )
    result = app.test_cli_runner().invoke(args=["imports", "purge"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 staged imports older than a day" in result.output
    db.session.expire_all()
    assert set(db.session.scalars(sa.select(ImportBatch.id))) == {kept.id, committed.id}
    assert db.session.scalar(sa.select(sa.func.count()).where(ImportRow.batch_id == old.id)) == 0
    again = app.test_cli_runner().invoke(args=["imports", "purge"])
    assert "Deleted 0 staged imports" in again.output
