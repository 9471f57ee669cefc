"""The committed migrations build the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from expense_app.extensions import db


def test_models_and_migration_head_agree(app):
    # The session fixture built the test database with `flask db upgrade`; any difference
    # from the models means a model changed without a committed revision.
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"


def test_database_is_at_the_single_head(app):
    with app.app_context(), db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        heads = script.get_heads()
    assert len(heads) == 1
    assert current == tuple(heads)
