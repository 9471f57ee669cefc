"""Text search narrowed by user inside the index (issue 17, item 3)

The trigram indexes of migration 0004 (`lower(description)`, `lower(notes)`) know nothing of the
owner: a word common across all users ("coffee" is in 8 % of the bench's 1.1 M descriptions) made
PostgreSQL read every user's matches from the trigram index and intersect them with a bitmap of
the user's 100,000 rows from a second index. With `btree_gin` (a trusted contrib extension, like
pg_trgm: the database owner may create it) one GIN index holds both `user_id` and the trigrams, and
GIN intersects the user's posting list with the trigrams' inside the index, skipping the other
users' entries. Replaces `ix_expenses_description_trgm` and `ix_expenses_notes_trgm`.

Measured on a copy of the bench database (1.1 M expenses; the heavy user's 100,000, `q=coffee` +
category + payment method, as the bench asks): the description arm read 232 index buffers in 20 ms
(the trigram index's 87,913 matches of all users ANDed with the user's 100,000 rows) and now reads
59 in 1.7 ms (the user's 8,055 matches); the list's count statement went from 57.6 to 39.9 ms
(median of 7, EXPLAIN ANALYZE), 2,788 to 2,617 buffers.

A category belongs to one user, but the planner multiplies the selectivities of `user_id` and
`category_id` as if they were independent, so for the heavy user it expected 1,312 of their 39,963
rows in a category and scanned that category's rows as the cheap side of the search's join (39,580
buffers, 23 ms of a 44 ms statement). Extended statistics `st_expenses_user_id_category_id`
(functional dependencies) tell it that the category implies the user: the same statement became
an index-only scan and took 25 ms (median of 5, against 40 without them, same minute).

SQLite has no such index (its search scans the user's rows, as before): nothing to do there.

Plain `CREATE INDEX` in the migration's transaction, like 0004: it blocks writes to `expenses` while
it builds (about a minute per index for 1.1 M rows on the bench machine). A deployment that cannot
pause writes that long builds them first with `CREATE INDEX CONCURRENTLY` under the same names
(DEPLOYMENT.md); `IF NOT EXISTS` then skips them here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

COLUMNS = ("description", "notes")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for column in COLUMNS:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_expenses_user_id_{column}_trgm "
            f"ON expenses USING gin (user_id, lower({column}) gin_trgm_ops)"
        )
        op.execute(f"DROP INDEX IF EXISTS ix_expenses_{column}_trgm")
    op.execute(
        "CREATE STATISTICS IF NOT EXISTS st_expenses_user_id_category_id (dependencies) "
        "ON user_id, category_id FROM expenses"
    )
    # Statistics of the new index expressions (and the dependency above) now, not at autovacuum's next pass: without them the
    # planner guesses a few hundred matches for any word (measured on the bench copy: the old index
    # rebuilt without statistics made it recheck all users' 88,000 "coffee" rows, 19,859 buffers).
    op.execute("ANALYZE expenses")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for column in COLUMNS:
        op.execute(
            f"CREATE INDEX IF NOT EXISTS ix_expenses_{column}_trgm ON expenses USING gin (lower({column}) gin_trgm_ops)"
        )
        op.execute(f"DROP INDEX IF EXISTS ix_expenses_user_id_{column}_trgm")
    op.execute("DROP STATISTICS IF EXISTS st_expenses_user_id_category_id")
    op.execute("DROP EXTENSION IF EXISTS btree_gin")
    op.execute("ANALYZE expenses")
