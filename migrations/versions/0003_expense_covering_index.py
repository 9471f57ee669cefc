"""expense date index covers totals on PostgreSQL (INCLUDE category_id, payment_method, amount)

Found by the benchmark (issue 7): analytics over a period, category totals and the ids of a deep
list page read every matching expense row to get its amount and category. Carrying those columns
in the (user_id, date, id) index lets PostgreSQL answer them with index-only scans. The key and
the name are unchanged, so SQLite (which has no INCLUDE) keeps its index and this is a no-op there.
Autogenerate does not compare INCLUDE columns, hence a hand-written revision.


Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 05:20:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEX = 'ix_expenses_user_id_date_id'
COLUMNS = ['user_id', 'date', 'id']


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(INDEX, table_name='expenses')
    op.create_index(INDEX, 'expenses', COLUMNS, postgresql_include=['category_id', 'payment_method', 'amount'])


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index(INDEX, table_name='expenses')
    op.create_index(INDEX, 'expenses', COLUMNS)
