"""expense_stats kept by triggers; trigram indexes for the text search on PostgreSQL

Found by the benchmark (issue 7, round 2):
- The unfiltered expense list counted and summed all of a user's expenses on every request
  (about 14 ms for 100,000 rows). `expense_stats` holds each user's count and total in cents,
  maintained by triggers on `expenses`, so every writer keeps it exact (the services, recurring
  posting, the seed's COPY, account deletion, plain SQL). PostgreSQL uses statement-level
  triggers with transition tables (one aggregated write per statement, so a COPY of 20,000 rows
  costs one upsert per user); SQLite has row-level triggers only. Deleting expenses only ever
  UPDATEs the row: inserting one for a user whose deletion cascades would break its foreign key.
- `q` searches `lower(description)` and `lower(notes)` with LIKE '%...%', which a B-tree cannot
  answer. pg_trgm GIN indexes can (pg_trgm is a trusted extension, so the database owner may
  create it). SQLite has no such index; its results are the same, found by scanning.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Each statement's rows are aggregated per user and added to (or, for deletes, taken from) the
# user's row. A transition table exists only for its own event, hence one function per event.
UPSERT = """
        INSERT INTO expense_stats AS s (user_id, expense_count, total_cents)
        SELECT user_id, sum(n), sum(cents) FROM ({changes}) AS changes
        GROUP BY user_id
        HAVING sum(n) <> 0 OR sum(cents) <> 0
        ON CONFLICT (user_id) DO UPDATE
        SET expense_count = s.expense_count + excluded.expense_count,
            total_cents = s.total_cents + excluded.total_cents;
"""
NEW_ROWS = "SELECT user_id, 1 AS n, (amount * 100)::bigint AS cents FROM new_rows"
OLD_ROWS = "SELECT user_id, -1 AS n, -(amount * 100)::bigint AS cents FROM old_rows"
POSTGRESQL_BODIES = {
    "insert": UPSERT.format(changes=NEW_ROWS),
    # Old rows taken away, new rows added: an update that changes no amount writes nothing.
    "update": UPSERT.format(changes=f"{NEW_ROWS} UNION ALL {OLD_ROWS}"),
    "delete": """
        UPDATE expense_stats AS s
        SET expense_count = s.expense_count - d.n, total_cents = s.total_cents - d.cents
        FROM (SELECT user_id, count(*) AS n, sum(amount * 100)::bigint AS cents
              FROM old_rows GROUP BY user_id) AS d
        WHERE s.user_id = d.user_id;
""",
}
POSTGRESQL_REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}

SQLITE_CENTS = "CAST(ROUND({row}.amount * 100) AS INTEGER)"
SQLITE_ADD = (
    "INSERT INTO expense_stats (user_id, expense_count, total_cents) VALUES (NEW.user_id, 1, {cents}) "
    "ON CONFLICT (user_id) DO UPDATE SET expense_count = expense_count + 1, "
    "total_cents = total_cents + excluded.total_cents;"
).format(cents=SQLITE_CENTS.format(row="NEW"))
SQLITE_TAKE = (
    "UPDATE expense_stats SET expense_count = expense_count - 1, total_cents = total_cents - {cents} "
    "WHERE user_id = OLD.user_id;"
).format(cents=SQLITE_CENTS.format(row="OLD"))
SQLITE_TRIGGERS = {
    "insert": f"AFTER INSERT ON expenses BEGIN {SQLITE_ADD} END",
    "update": (
        "AFTER UPDATE OF amount, user_id ON expenses "
        "WHEN OLD.amount IS NOT NEW.amount OR OLD.user_id IS NOT NEW.user_id "
        f"BEGIN {SQLITE_TAKE} {SQLITE_ADD} END"
    ),
    "delete": f"AFTER DELETE ON expenses BEGIN {SQLITE_TAKE} END",
}

BACKFILL = """
INSERT INTO expense_stats (user_id, expense_count, total_cents)
SELECT user_id, count(*), {cents} FROM expenses GROUP BY user_id
"""

SEARCH_INDEXES = {
    "ix_expenses_description_trgm": "description",
    "ix_expenses_notes_trgm": "notes",
}


def upgrade():
    op.create_table('expense_stats',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expense_count', sa.BigInteger(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expense_stats_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_expense_stats'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        # Triggers first, backfill after, all in this migration's transaction: the table lock
        # taken by CREATE TRIGGER keeps writers out, so no expense is counted twice or missed.
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
        op.execute(BACKFILL.format(cents='sum(amount * 100)::bigint'))
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, column in SEARCH_INDEXES.items():
            op.execute(f'CREATE INDEX {name} ON expenses USING gin (lower({column}) gin_trgm_ops)')
    else:
        for event, definition in SQLITE_TRIGGERS.items():
            op.execute(f'CREATE TRIGGER expense_stats_{event} {definition}')
        op.execute(BACKFILL.format(cents='sum(' + SQLITE_CENTS.format(row='expenses') + ')'))


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name in SEARCH_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
        for event in POSTGRESQL_BODIES:
            op.execute(f'DROP TRIGGER IF EXISTS expense_stats_{event} ON expenses')
            op.execute(f'DROP FUNCTION IF EXISTS expense_stats_{event}()')
    else:
        for event in SQLITE_TRIGGERS:
            op.execute(f'DROP TRIGGER IF EXISTS expense_stats_{event}')
    op.drop_table('expense_stats')
