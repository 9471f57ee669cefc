"""Per-user monthly rollups of spending (issue 17, item 1)

Placeholder revision, filled in by the work on issue 17.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 16:00:00

"""

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
