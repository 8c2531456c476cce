"""step tokens: which question a dialog waits on and which reached the leader; the card a goal came from

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 11:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bot_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shown', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('delivered', sa.String(length=32), nullable=True))

    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_token', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_goals_agreement_id_source_token'), ['agreement_id', 'source_token']
        )


def downgrade() -> None:
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_goals_agreement_id_source_token'), type_='unique')
        batch_op.drop_column('source_token')

    with op.batch_alter_table('bot_state', schema=None) as batch_op:
        batch_op.drop_column('delivered')
        batch_op.drop_column('shown')
