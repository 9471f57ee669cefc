"""user_data_versions: a per-user version for conditional requests, kept by triggers

Issue 17, item 5: the expense list and the analytics answers carry an ETag derived from the
user's data version, so `If-None-Match` is answered 304 after one primary-key read. Every write
that can change those answers bumps it, whoever writes: expenses, expense_tags (via the tag's
owner), tags, categories, and users' `currency` and `locale` (the base currency of every total;
the locale in which `q` reads an amount). As for expense_stats (0004), PostgreSQL uses
statement-level triggers with transition tables (one upsert per user and statement, so a COPY of
20,000 rows costs one), SQLite row-level triggers. Deletes only UPDATE the row (a user whose
deletion cascades must not get a new row); every user gets a row here, and new users with their
first write (registration creates their categories).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

EVENTS = ("insert", "update", "delete")
# The tables whose rows make up the answers, and how a changed row names its user.
OWNER = {
    "expenses": "SELECT user_id FROM {rows}",
    "categories": "SELECT user_id FROM {rows}",
    "tags": "SELECT user_id FROM {rows}",
    "expense_tags": "SELECT t.user_id FROM {rows} AS r JOIN tags AS t ON t.id = r.tag_id",
}

PG_BUMP = """
        INSERT INTO user_data_versions AS v (user_id, version)
        SELECT DISTINCT user_id, 1 FROM ({owners}) AS changed
        ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1;
"""
PG_BUMP_EXISTING = """
        UPDATE user_data_versions AS v SET version = v.version + 1
        WHERE v.user_id IN ({owners});
"""
PG_REFERENCING = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _pg_body(table: str, event: str) -> str:
    owner = OWNER[table]
    if event == "insert":
        return PG_BUMP.format(owners=owner.format(rows="new_rows"))
    if event == "update":
        return PG_BUMP.format(owners=f"{owner.format(rows='new_rows')} UNION {owner.format(rows='old_rows')}")
    return PG_BUMP_EXISTING.format(owners=owner.format(rows="old_rows"))


USERS_CHANGED = "OLD.currency IS DISTINCT FROM NEW.currency OR OLD.locale IS DISTINCT FROM NEW.locale"
PG_USERS_BODY = """
        INSERT INTO user_data_versions AS v (user_id, version) VALUES (NEW.id, 1)
        ON CONFLICT (user_id) DO UPDATE SET version = v.version + 1;
"""

SQLITE_USERS_TRIGGER = (
    "CREATE TRIGGER user_data_versions_users_update AFTER UPDATE OF currency, locale ON users "
    "WHEN OLD.currency IS NOT NEW.currency OR OLD.locale IS NOT NEW.locale "
    "BEGIN INSERT INTO user_data_versions (user_id, version) VALUES (NEW.id, 1) "
    "ON CONFLICT (user_id) DO UPDATE SET version = version + 1; END"
)
SQLITE_UPSERT = (
    "INSERT INTO user_data_versions (user_id, version) SELECT {user}, 1 {source} "
    "ON CONFLICT (user_id) DO UPDATE SET version = version + 1;"
)
SQLITE_UPDATE = "UPDATE user_data_versions SET version = version + 1 WHERE user_id IN (SELECT {user} {source});"
# (user expression, FROM clause) per table for the NEW or OLD row. The WHERE of a SELECT before
# ON CONFLICT is required by SQLite's parser (the ON would otherwise read as a join's).
SQLITE_OWNER = {
    "expenses": ("{row}.user_id", "WHERE true"),
    "categories": ("{row}.user_id", "WHERE true"),
    "tags": ("{row}.user_id", "WHERE true"),
    "expense_tags": ("user_id", "FROM tags WHERE id = {row}.tag_id"),
}


def _sqlite_body(table: str, event: str) -> str:
    user, source = SQLITE_OWNER[table]
    row = "OLD" if event == "delete" else "NEW"
    template = SQLITE_UPDATE if event == "delete" else SQLITE_UPSERT
    return template.format(user=user.format(row=row), source=source.format(row=row))


def upgrade():
    op.create_table(
        "user_data_versions",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_data_versions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_data_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for table in OWNER:
            for event in EVENTS:
                name = f"user_data_versions_{table}_{event}"
                op.execute(
                    f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                    f"BEGIN{_pg_body(table, event)}    RETURN NULL;\nEND\n$$"
                )
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                    f"REFERENCING {PG_REFERENCING[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
                )
        # A column list rules out transition tables, and a user's settings change one row at a time.
        op.execute(
            "CREATE FUNCTION user_data_versions_users_update() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN{PG_USERS_BODY}    RETURN NULL;\nEND\n$$"
        )
        op.execute(
            "CREATE TRIGGER user_data_versions_users_update AFTER UPDATE OF currency, locale ON users "
            f"FOR EACH ROW WHEN ({USERS_CHANGED}) EXECUTE FUNCTION user_data_versions_users_update()"
        )
    else:
        for table in OWNER:
            for event in EVENTS:
                op.execute(
                    f"CREATE TRIGGER user_data_versions_{table}_{event} AFTER {event.upper()} ON {table} "
                    f"BEGIN {_sqlite_body(table, event)} END"
                )
        op.execute(SQLITE_USERS_TRIGGER)
    op.execute("INSERT INTO user_data_versions (user_id, version) SELECT id, 1 FROM users")


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    triggers = [(f"user_data_versions_{table}_{event}", table) for table in OWNER for event in EVENTS]
    for name, table in [*triggers, ("user_data_versions_users_update", "users")]:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("user_data_versions")
