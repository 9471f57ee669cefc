"""expense_month_totals: per-user monthly totals by category and payment method, kept by triggers

Issue 17, item 1. Analytics over twelve months summed about 100,000 expense rows per request for
the heavy bench user. `expense_month_totals` holds, per user, month (its 1st), category and
payment method, the expense count, the base amounts' total in integer cents and the count waiting
for a rate: the same figures and cents rule as `expense_stats` (migration 0006), one level finer.
Analytics read whole months here and only the partial months at a period's ends from `expenses`.

Triggers on `expenses` keep it exact for every writer. PostgreSQL: statement-level triggers with
transition tables, one aggregated upsert per statement (a COPY chunk costs one), and a delete of
the keys whose count fell to 0. SQLite: row-level triggers. Deletes only ever UPDATE (and then
delete empty rows): inserting a row for a user whose deletion cascades would break its foreign key.
The backfill is one INSERT ... SELECT ... GROUP BY, after the triggers, in this transaction.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

KEYS = 'user_id, month, category_id, payment_method'
KEYS_MATCH = (
    't.user_id = {o}.user_id AND t.month = {o}.month AND t.category_id = {o}.category_id '
    'AND t.payment_method = {o}.payment_method'
)

# --- PostgreSQL: statement-level triggers ---------------------------------------------------------
PG_MONTH = "date_trunc('month', date)::date"
PG_CENTS = 'coalesce((base_amount * 100)::bigint, 0)'  # the rule of expense_stats (migration 0006)
NEW_ROWS = (
    f'SELECT user_id, {PG_MONTH} AS month, category_id, payment_method, 1 AS n, {PG_CENTS} AS cents, '
    '(base_amount IS NULL)::int AS waiting FROM new_rows'
)
OLD_ROWS = (
    f'SELECT user_id, {PG_MONTH} AS month, category_id, payment_method, -1 AS n, -{PG_CENTS} AS cents, '
    '-(base_amount IS NULL)::int AS waiting FROM old_rows'
)
# Sorted by key so that two statements upserting the same keys lock them in the same order.
UPSERT = f"""
        INSERT INTO expense_month_totals AS t
            ({KEYS}, expense_count, total_cents, unconverted_count)
        SELECT {KEYS}, sum(n), sum(cents), sum(waiting) FROM ({{changes}}) AS changes
        GROUP BY {KEYS}
        HAVING sum(n) <> 0 OR sum(cents) <> 0 OR sum(waiting) <> 0
        ORDER BY {KEYS}
        ON CONFLICT ({KEYS}) DO UPDATE
        SET expense_count = t.expense_count + excluded.expense_count,
            total_cents = t.total_cents + excluded.total_cents,
            unconverted_count = t.unconverted_count + excluded.unconverted_count;
"""
# Only keys that lost rows can fall to 0: those of the old rows.
DROP_EMPTY = f"""
        DELETE FROM expense_month_totals AS t
        USING (SELECT DISTINCT user_id, {PG_MONTH} AS month, category_id, payment_method FROM old_rows) AS o
        WHERE {KEYS_MATCH.format(o='o')} AND t.expense_count = 0;
"""
POSTGRESQL_BODIES = {
    'insert': UPSERT.format(changes=NEW_ROWS),
    # Old rows taken away, new rows added: an update that moves nothing writes nothing.
    'update': UPSERT.format(changes=f'{NEW_ROWS} UNION ALL {OLD_ROWS}') + DROP_EMPTY,
    'delete': f"""
        UPDATE expense_month_totals AS t
        SET expense_count = t.expense_count - d.n, total_cents = t.total_cents - d.cents,
            unconverted_count = t.unconverted_count - d.waiting
        FROM (SELECT user_id, {PG_MONTH} AS month, category_id, payment_method, count(*) AS n,
                     coalesce(sum(base_amount * 100), 0)::bigint AS cents,
                     count(*) FILTER (WHERE base_amount IS NULL) AS waiting
              FROM old_rows GROUP BY 1, 2, 3, 4) AS d
        WHERE {KEYS_MATCH.format(o='d')};
""" + DROP_EMPTY,
}
POSTGRESQL_REFERENCING = {
    'insert': 'NEW TABLE AS new_rows',
    'update': 'OLD TABLE AS old_rows NEW TABLE AS new_rows',
    'delete': 'OLD TABLE AS old_rows',
}
# Any other column (a description, a tag, fx_rate alone) leaves the totals as they are.
UPDATED_COLUMNS = ('user_id', 'date', 'category_id', 'payment_method', 'base_amount')

# --- SQLite: row-level triggers --------------------------------------------------------------------
SQLITE_MONTH = "date({row}.date, 'start of month')"
SQLITE_CENTS = 'coalesce(CAST(ROUND({row}.base_amount * 100) AS INTEGER), 0)'  # as in migration 0006
SQLITE_WAITING = '({row}.base_amount IS NULL)'
SQLITE_ADD = (
    f'INSERT INTO expense_month_totals ({KEYS}, expense_count, total_cents, unconverted_count) '
    'VALUES (NEW.user_id, {month}, NEW.category_id, NEW.payment_method, 1, {cents}, {waiting}) '
    f'ON CONFLICT ({KEYS}) DO UPDATE SET expense_count = expense_count + 1, '
    'total_cents = total_cents + excluded.total_cents, '
    'unconverted_count = unconverted_count + excluded.unconverted_count;'
).format(
    month=SQLITE_MONTH.format(row='NEW'), cents=SQLITE_CENTS.format(row='NEW'), waiting=SQLITE_WAITING.format(row='NEW')
)
SQLITE_OLD_KEY = (
    'user_id = OLD.user_id AND month = {month} AND category_id = OLD.category_id '
    'AND payment_method = OLD.payment_method'
).format(month=SQLITE_MONTH.format(row='OLD'))
SQLITE_TAKE = (
    'UPDATE expense_month_totals SET expense_count = expense_count - 1, total_cents = total_cents - {cents}, '
    'unconverted_count = unconverted_count - {waiting} WHERE {key}; '
    'DELETE FROM expense_month_totals WHERE {key} AND expense_count = 0;'
).format(cents=SQLITE_CENTS.format(row='OLD'), waiting=SQLITE_WAITING.format(row='OLD'), key=SQLITE_OLD_KEY)
SQLITE_TRIGGERS = {
    'insert': f'AFTER INSERT ON expenses BEGIN {SQLITE_ADD} END',
    'update': (
        f"AFTER UPDATE OF {', '.join(UPDATED_COLUMNS)} ON expenses WHEN "
        + ' OR '.join(f'OLD.{column} IS NOT NEW.{column}' for column in UPDATED_COLUMNS)
        + f' BEGIN {SQLITE_TAKE} {SQLITE_ADD} END'
    ),
    'delete': f'AFTER DELETE ON expenses BEGIN {SQLITE_TAKE} END',
}

BACKFILL = f"""
INSERT INTO expense_month_totals ({KEYS}, expense_count, total_cents, unconverted_count)
SELECT user_id, {{month}}, category_id, payment_method, count(*), {{cents}},
       sum(CASE WHEN base_amount IS NULL THEN 1 ELSE 0 END)
FROM expenses GROUP BY user_id, {{month}}, category_id, payment_method
"""


def upgrade():
    op.create_table('expense_month_totals',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('payment_method', sa.String(length=20), nullable=False),
    sa.Column('expense_count', sa.BigInteger(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('unconverted_count', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expense_month_totals_user_id_users'), ondelete='CASCADE'),
    # INCLUDE on PostgreSQL (ignored by SQLite): a user's months are read by an index-only scan.
    sa.PrimaryKeyConstraint('user_id', 'month', 'category_id', 'payment_method', name=op.f('pk_expense_month_totals'),
                            postgresql_include=['expense_count', 'total_cents', 'unconverted_count'])
    )
    if op.get_bind().dialect.name == 'postgresql':
        # Triggers first, backfill after, in this migration's transaction: the lock CREATE TRIGGER
        # takes on `expenses` keeps writers out, so no expense is counted twice or missed.
        for event, body in POSTGRESQL_BODIES.items():
            op.execute(
                f"CREATE FUNCTION expense_month_totals_{event}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN{body}    RETURN NULL;\nEND\n$$"
            )
            # A trigger with transition tables cannot name columns (UPDATE OF ...), so the update
            # trigger sees every UPDATE; old and new rows of the same key net to nothing there.
            op.execute(
                f"CREATE TRIGGER expense_month_totals_{event} AFTER {event.upper()} ON expenses "
                f"REFERENCING {POSTGRESQL_REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION expense_month_totals_{event}()"
            )
        op.execute(BACKFILL.format(month=PG_MONTH, cents='coalesce(sum(base_amount * 100), 0)::bigint'))
        # Statistics for the table just filled, not at autovacuum's next pass: without them the
        # planner guesses 1 row per user and plans the 12-month summary worse (2.4 against 1.6 ms).
        op.execute('ANALYZE expense_month_totals')
    else:
        for event, definition in SQLITE_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER expense_month_totals_{event} {definition}')
        op.execute(BACKFILL.format(
            month=SQLITE_MONTH.format(row='expenses'), cents='sum(' + SQLITE_CENTS.format(row='expenses') + ')'
        ))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for event in POSTGRESQL_BODIES:
            op.execute(f'DROP TRIGGER IF EXISTS expense_month_totals_{event} ON expenses')
            op.execute(f'DROP FUNCTION IF EXISTS expense_month_totals_{event}()')
    else:
        for event in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS expense_month_totals_{event}')
    op.drop_table('expense_month_totals')
