"""Undo of deletes, idempotent POSTs, quick-add defaults: three new tables, nothing else changes

Issue 13. `deleted_expenses` keeps what a delete removed, for Undo, until it is purged;
`idempotency_keys` keeps the first answer to a POST sent with an `Idempotency-Key` header, for
24 hours; `capture_defaults` remembers the category and payment method of a user's last quick-add.
Only new tables: no batch rebuild of `expenses`, so its stats triggers are untouched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:11:48

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('deleted_expenses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('expense_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=36), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_deleted_expenses_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deleted_expenses'))
    )
    with op.batch_alter_table('deleted_expenses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deleted_expenses_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index('ix_deleted_expenses_user_id_batch_id', ['user_id', 'batch_id'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('response_headers', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotency_keys_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    op.create_table('capture_defaults',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('payment_method', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_capture_defaults_category_id_categories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_capture_defaults_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_capture_defaults'))
    )
    with op.batch_alter_table('capture_defaults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capture_defaults_category_id'), ['category_id'], unique=False)



def downgrade():
    with op.batch_alter_table('capture_defaults', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capture_defaults_category_id'))

    op.drop_table('capture_defaults')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')
    with op.batch_alter_table('deleted_expenses', schema=None) as batch_op:
        batch_op.drop_index('ix_deleted_expenses_user_id_batch_id')
        batch_op.drop_index(batch_op.f('ix_deleted_expenses_deleted_at'))

    op.drop_table('deleted_expenses')
