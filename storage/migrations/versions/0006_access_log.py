"""access log: every read of an agreement's content (who, when, which part, which path; never content)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 10:00:00

``access_log`` holds one row per part of an agreement read in a turn, a PDF copy, an archive
export, an access request's copy or a person's own data. It is written in the same transaction
as the read and never holds content.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reader_id', sa.Integer(), nullable=True),
        sa.Column('reader_label', sa.String(length=200), nullable=True),
        sa.Column('path', sa.String(length=20), nullable=False),
        sa.Column('part', sa.String(length=20), nullable=False),
        sa.Column('section_key', sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_access_log_agreement_id_agreements')),
        sa.ForeignKeyConstraint(['reader_id'], ['leaders.id'], name=op.f('fk_access_log_reader_id_leaders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log')),
    )
    op.create_index(op.f('ix_access_log_agreement_id'), 'access_log', ['agreement_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_access_log_agreement_id'), table_name='access_log')
    op.drop_table('access_log')
