"""Categorisation rules and their runs over existing expenses (for undo)

Issue 14. `rules` holds each user's ordered rules (conditions and actions as JSON, validated by
services/categorization.py); `rule_runs` and `rule_run_changes` keep what a run over existing
expenses changed, before and after, so it can be undone. Only new tables.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rule_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=False),
    sa.Column('date_to', sa.Date(), nullable=False),
    sa.Column('rule_ids', sa.JSON(), nullable=True),
    sa.Column('change_count', sa.Integer(), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rule_runs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_runs'))
    )
    with op.batch_alter_table('rule_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_runs_user_id'), ['user_id'], unique=False)

    op.create_table('rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('match', sa.String(length=3), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('stop_after', sa.Boolean(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('actions', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("match IN ('all', 'any')", name=op.f('ck_rules_match_known')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_rules_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rules'))
    )
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.create_index('ix_rules_user_id_position', ['user_id', 'position'], unique=False)

    op.create_table('rule_run_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('expense_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['expense_id'], ['expenses.id'], name=op.f('fk_rule_run_changes_expense_id_expenses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['rule_runs.id'], name=op.f('fk_rule_run_changes_run_id_rule_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rule_run_changes'))
    )
    with op.batch_alter_table('rule_run_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rule_run_changes_expense_id'), ['expense_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rule_run_changes_run_id'), ['run_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rule_run_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_run_changes_run_id'))
        batch_op.drop_index(batch_op.f('ix_rule_run_changes_expense_id'))

    op.drop_table('rule_run_changes')
    with op.batch_alter_table('rules', schema=None) as batch_op:
        batch_op.drop_index('ix_rules_user_id_position')

    op.drop_table('rules')
    with op.batch_alter_table('rule_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rule_runs_user_id'))

    op.drop_table('rule_runs')
