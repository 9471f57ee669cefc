"""A per-user data version for conditional requests (issue 17, item 5)

Placeholder revision, filled in by the work on issue 17.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 16:00:00

"""

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
