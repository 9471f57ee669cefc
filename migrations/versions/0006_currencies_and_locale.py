"""Money in several currencies: base amounts, ECB exchange rates, totals of base amounts; user locale

Issue 12. Every expense now stores its amount in its owner's base currency (`base_amount`) with
the rate used (`fx_rate`, `fx_date`, `fx_source`), or nothing when no rate is known yet;
`exchange_rates` holds the ECB reference rates (`flask rates load` fills it); `expense_stats`
sums base amounts and counts the expenses still waiting for a rate; `users.locale` says how the
pages write numbers and dates.

Existing expenses in their owner's currency get `fx_source='same'` and `base_amount = amount`.
The others are left waiting: the rates table is empty until `flask rates load` runs (the release
phase and `make migrate` run it right after this migration), and that command converts them.

The stats triggers are replaced: they now add base amounts. SQLite: batch mode rebuilds
`expenses` (env.py turns foreign keys off for the copy), which drops its triggers; they are
created again afterwards, and `expense_stats` is recomputed from the rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:45:00

"""
import importlib.util
import pathlib

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

FX_COMPLETE = (
    "(fx_source IS NULL AND base_amount IS NULL AND fx_rate IS NULL AND fx_date IS NULL)"
    " OR (fx_source IN ('same', 'ecb', 'manual') AND base_amount IS NOT NULL"
    " AND fx_rate IS NOT NULL AND fx_date IS NOT NULL)"
)
COVERING_INDEX = 'ix_expenses_user_id_date_id'

# --- expense_stats triggers, summing base amounts -------------------------------------------------
# PostgreSQL: statement-level triggers with transition tables, one aggregated write per statement.
UPSERT = """
        INSERT INTO expense_stats AS s (user_id, expense_count, total_cents, unconverted_count)
        SELECT user_id, sum(n), sum(cents), sum(waiting) FROM ({changes}) AS changes
        GROUP BY user_id
        HAVING sum(n) <> 0 OR sum(cents) <> 0 OR sum(waiting) <> 0
        ON CONFLICT (user_id) DO UPDATE
        SET expense_count = s.expense_count + excluded.expense_count,
            total_cents = s.total_cents + excluded.total_cents,
            unconverted_count = s.unconverted_count + excluded.unconverted_count;
"""
NEW_ROWS = (
    "SELECT user_id, 1 AS n, coalesce((base_amount * 100)::bigint, 0) AS cents, "
    "(base_amount IS NULL)::int AS waiting FROM new_rows"
)
OLD_ROWS = (
    "SELECT user_id, -1 AS n, -coalesce((base_amount * 100)::bigint, 0) AS cents, "
    "-(base_amount IS NULL)::int AS waiting FROM old_rows"
)
POSTGRESQL_BODIES = {
    "insert": UPSERT.format(changes=NEW_ROWS),
    "update": UPSERT.format(changes=f"{NEW_ROWS} UNION ALL {OLD_ROWS}"),
    # Deletes only ever UPDATE: inserting a row for a user whose deletion cascades would break its FK.
    "delete": """
        UPDATE expense_stats AS s
        SET expense_count = s.expense_count - d.n, total_cents = s.total_cents - d.cents,
            unconverted_count = s.unconverted_count - d.waiting
        FROM (SELECT user_id, count(*) AS n, coalesce(sum(base_amount * 100), 0)::bigint AS cents,
                     count(*) FILTER (WHERE base_amount IS NULL) AS waiting
              FROM old_rows GROUP BY user_id) AS d
        WHERE s.user_id = d.user_id;
""",
}
POSTGRESQL_REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}

# SQLite: row-level triggers.
SQLITE_CENTS = "coalesce(CAST(ROUND({row}.base_amount * 100) AS INTEGER), 0)"
SQLITE_WAITING = "({row}.base_amount IS NULL)"
SQLITE_ADD = (
    "INSERT INTO expense_stats (user_id, expense_count, total_cents, unconverted_count) "
    "VALUES (NEW.user_id, 1, {cents}, {waiting}) "
    "ON CONFLICT (user_id) DO UPDATE SET expense_count = expense_count + 1, "
    "total_cents = total_cents + excluded.total_cents, "
    "unconverted_count = unconverted_count + excluded.unconverted_count;"
).format(cents=SQLITE_CENTS.format(row="NEW"), waiting=SQLITE_WAITING.format(row="NEW"))
SQLITE_TAKE = (
    "UPDATE expense_stats SET expense_count = expense_count - 1, total_cents = total_cents - {cents}, "
    "unconverted_count = unconverted_count - {waiting} WHERE user_id = OLD.user_id;"
).format(cents=SQLITE_CENTS.format(row="OLD"), waiting=SQLITE_WAITING.format(row="OLD"))
SQLITE_TRIGGERS = {
    "insert": f"AFTER INSERT ON expenses BEGIN {SQLITE_ADD} END",
    "update": (
        "AFTER UPDATE OF base_amount, user_id ON expenses "
        "WHEN OLD.base_amount IS NOT NEW.base_amount OR OLD.user_id IS NOT NEW.user_id "
        f"BEGIN {SQLITE_TAKE} {SQLITE_ADD} END"
    ),
    "delete": f"AFTER DELETE ON expenses BEGIN {SQLITE_TAKE} END",
}

BACKFILL_STATS = """
INSERT INTO expense_stats (user_id, expense_count, total_cents, unconverted_count)
SELECT user_id, count(*), {cents}, sum(CASE WHEN base_amount IS NULL THEN 1 ELSE 0 END)
FROM expenses GROUP BY user_id
"""
SAME_CURRENCY = """
UPDATE expenses SET base_amount = amount, fx_rate = 1, fx_date = date, fx_source = 'same'
WHERE currency = (SELECT users.currency FROM users WHERE users.id = expenses.user_id)
"""


def _drop_stats_triggers(dialect):
    for event in ("insert", "update", "delete"):
        if dialect == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS expense_stats_{event} ON expenses')
            op.execute(f'DROP FUNCTION IF EXISTS expense_stats_{event}()')
        else:
            op.execute(f'DROP TRIGGER IF EXISTS expense_stats_{event}')


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_table('exchange_rates',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=18, scale=6), nullable=False),
    sa.CheckConstraint('rate > 0', name=op.f('ck_exchange_rates_rate_positive')),
    sa.PrimaryKeyConstraint('currency', 'date', name=op.f('pk_exchange_rates'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=35), server_default='en_US', nullable=False))

    _drop_stats_triggers(dialect)
    with op.batch_alter_table('expense_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unconverted_count', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_amount', sa.Numeric(precision=12, scale=2), nullable=True))
        batch_op.add_column(sa.Column('fx_rate', sa.Numeric(precision=20, scale=10), nullable=True))
        batch_op.add_column(sa.Column('fx_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('fx_source', sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_expenses_fx_complete'), FX_COMPLETE)
        batch_op.create_check_constraint(batch_op.f('ck_expenses_base_amount_not_negative'), 'base_amount >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_expenses_fx_rate_positive'), 'fx_rate > 0')
        batch_op.create_index(
            'ix_expenses_unconverted',
            ['currency', 'date'],
            unique=False,
            postgresql_where=sa.text('fx_source IS NULL'),
            sqlite_where=sa.text('fx_source IS NULL'),
        )
    if dialect == 'postgresql':
        op.drop_index(COVERING_INDEX, table_name='expenses')
        op.create_index(
            COVERING_INDEX,
            'expenses',
            ['user_id', 'date', 'id'],
            postgresql_include=['category_id', 'payment_method', 'base_amount', 'amount', 'currency'],
        )

    op.execute(SAME_CURRENCY)
    op.execute('DELETE FROM expense_stats')
    if dialect == 'postgresql':
        op.execute(BACKFILL_STATS.format(cents='coalesce(sum(base_amount * 100), 0)::bigint'))
        for event, body in POSTGRESQL_BODIES.items():
            op.execute(
                f"CREATE FUNCTION expense_stats_{event}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN{body}    RETURN NULL;\nEND\n$$"
            )
            op.execute(
                f"CREATE TRIGGER expense_stats_{event} AFTER {event.upper()} ON expenses "
                f"REFERENCING {POSTGRESQL_REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION expense_stats_{event}()"
            )
    else:
        op.execute(BACKFILL_STATS.format(cents='coalesce(sum(' + SQLITE_CENTS.format(row='expenses') + '), 0)'))
        for event, definition in SQLITE_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER expense_stats_{event} {definition}')


def _revision_0004():
    """Revision 0004's module: its amount-summing triggers are the ones a downgrade puts back."""
    path = pathlib.Path(__file__).with_name('0004_expense_stats_and_search.py')
    spec = importlib.util.spec_from_file_location('revision_0004', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade():
    """Back to amounts summed as if in one currency: base amounts, rates and locales are dropped."""
    dialect = op.get_bind().dialect.name
    old = _revision_0004()
    _drop_stats_triggers(dialect)
    if dialect == 'postgresql':
        op.drop_index(COVERING_INDEX, table_name='expenses')
        op.create_index(
            COVERING_INDEX,
            'expenses',
            ['user_id', 'date', 'id'],
            postgresql_include=['category_id', 'payment_method', 'amount'],
        )
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_expenses_unconverted')
        batch_op.drop_constraint(batch_op.f('ck_expenses_fx_rate_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_expenses_base_amount_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_expenses_fx_complete'), type_='check')
        for column in ('fx_source', 'fx_date', 'fx_rate', 'base_amount'):
            batch_op.drop_column(column)
    with op.batch_alter_table('expense_stats', schema=None) as batch_op:
        batch_op.drop_column('unconverted_count')
    op.execute('DELETE FROM expense_stats')
    if dialect == 'postgresql':
        op.execute(old.BACKFILL.format(cents='sum(amount * 100)::bigint'))
        for event, body in old.POSTGRESQL_BODIES.items():
            op.execute(
                f"CREATE FUNCTION expense_stats_{event}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN{body}    RETURN NULL;\nEND\n$$"
            )
            op.execute(
                f"CREATE TRIGGER expense_stats_{event} AFTER {event.upper()} ON expenses "
                f"REFERENCING {old.POSTGRESQL_REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION expense_stats_{event}()"
            )
    else:
        op.execute(old.BACKFILL.format(cents='sum(' + old.SQLITE_CENTS.format(row='expenses') + ')'))
        for event, definition in old.SQLITE_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER expense_stats_{event} {definition}')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
    op.drop_table('exchange_rates')
