"""recurring_expenses.split_from_id: one live successor per split template, refused by the database

Found by an outside audit (issue 11): 12 concurrent "this and future" edits of one template each
created a successor, and the posting job then posted the shared dates several times. The later
half of a split now names the template it was split from, and a UNIQUE constraint on that link
makes a second successor of one template impossible whatever the application does. Deleting the
earlier half keeps the later one (ON DELETE SET NULL). Existing successors are not linked (there
was no record of which template they came from); they keep working as before.

SQLite: batch mode rebuilds the table (env.py turns foreign keys off for the copy).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recurring_expenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('split_from_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_recurring_expenses_split_from_id'), ['split_from_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_recurring_expenses_split_from_id_recurring_expenses'),
            'recurring_expenses',
            ['split_from_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('recurring_expenses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_recurring_expenses_split_from_id_recurring_expenses'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_recurring_expenses_split_from_id'), type_='unique')
        batch_op.drop_column('split_from_id')
