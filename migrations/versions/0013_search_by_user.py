"""Text search narrowed by user inside the index (issue 17, item 3)

Placeholder revision, filled in by the work on issue 17.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:00:00

"""

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
