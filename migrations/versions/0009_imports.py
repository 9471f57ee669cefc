"""Imports of statements: presets, staged batches and rows, and the dedupe keys of expenses

Issue 15. New tables `import_presets`, `import_batches`, `import_rows`; four nullable columns on
`expenses` (`import_source`, `external_id`, `import_fingerprint`, `import_occurrence`) and two
partial unique indexes over them, so the same imported row cannot exist twice. Adding nullable
columns and indexes needs no table rebuild on SQLite.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 19:46:37

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_presets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('header_signature', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_presets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_presets')),
    sa.UniqueConstraint('user_id', 'name', name='uq_import_presets_user_id_name')
    )
    with op.batch_alter_table('import_presets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_presets_user_id'), ['user_id'], unique=False)

    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('preset_id', sa.Integer(), nullable=True),
    sa.Column('builtin_preset', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('default_category_id', sa.Integer(), nullable=True),
    sa.Column('committed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_count', sa.Integer(), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('staged', 'committed', 'undone')", name=op.f('ck_import_batches_status_known')),
    sa.ForeignKeyConstraint(['default_category_id'], ['categories.id'], name=op.f('fk_import_batches_default_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['preset_id'], ['import_presets.id'], name=op.f('fk_import_batches_preset_id_import_presets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_import_batches_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index('ix_import_batches_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_import_batches_user_id_created_at', ['user_id', 'created_at'], unique=False)

    op.create_table('import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('include', sa.Boolean(), nullable=False),
    sa.Column('date', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('description', sa.String(length=255), nullable=False),
    sa.Column('notes', sa.String(length=2000), nullable=False),
    sa.Column('payment_method', sa.String(length=20), nullable=True),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('category_source', sa.String(length=10), nullable=True),
    sa.Column('new_category_name', sa.String(length=100), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=100), nullable=True),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('occurrence', sa.Integer(), nullable=False),
    sa.Column('raw', sa.JSON(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('expense_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('new', 'duplicate', 'possible_duplicate', 'money_in', 'error')", name=op.f('ck_import_rows_status_known')),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_import_rows_batch_id_import_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_import_rows_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['expenses.id'], name=op.f('fk_import_rows_duplicate_of_id_expenses'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['expense_id'], ['expenses.id'], name=op.f('fk_import_rows_expense_id_expenses'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows'))
    )
    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.create_index('ix_import_rows_batch_id_position', ['batch_id', 'position'], unique=False)
        batch_op.create_index('ix_import_rows_batch_id_status', ['batch_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_rows_duplicate_of_id'), ['duplicate_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_rows_expense_id'), ['expense_id'], unique=False)

    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_source', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('import_fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('import_occurrence', sa.Integer(), nullable=True))
        batch_op.create_index('uq_expenses_user_id_import_source_external_id', ['user_id', 'import_source', 'external_id'], unique=True, postgresql_where=sa.text('external_id IS NOT NULL'), sqlite_where=sa.text('external_id IS NOT NULL'))
        batch_op.create_index('uq_expenses_user_id_import_source_fingerprint', ['user_id', 'import_source', 'import_fingerprint', 'import_occurrence'], unique=True, postgresql_where=sa.text('import_fingerprint IS NOT NULL'), sqlite_where=sa.text('import_fingerprint IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('expenses', schema=None) as batch_op:
        batch_op.drop_index('uq_expenses_user_id_import_source_fingerprint', postgresql_where=sa.text('import_fingerprint IS NOT NULL'), sqlite_where=sa.text('import_fingerprint IS NOT NULL'))
        batch_op.drop_index('uq_expenses_user_id_import_source_external_id', postgresql_where=sa.text('external_id IS NOT NULL'), sqlite_where=sa.text('external_id IS NOT NULL'))
        batch_op.drop_column('import_occurrence')
        batch_op.drop_column('import_fingerprint')
        batch_op.drop_column('external_id')
        batch_op.drop_column('import_source')

    with op.batch_alter_table('import_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_rows_expense_id'))
        batch_op.drop_index(batch_op.f('ix_import_rows_duplicate_of_id'))
        batch_op.drop_index('ix_import_rows_batch_id_status')
        batch_op.drop_index('ix_import_rows_batch_id_position')

    op.drop_table('import_rows')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batches_user_id_created_at')
        batch_op.drop_index('ix_import_batches_status_created_at')

    op.drop_table('import_batches')
    with op.batch_alter_table('import_presets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_presets_user_id'))

    op.drop_table('import_presets')
