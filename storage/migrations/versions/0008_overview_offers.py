"""overview offers: an offer's subject may be a year's overview (HR's spreadsheet), not only an agreement

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:00:00

``document_offers`` gets ``subject`` ("agreement", as every offer until now, or "overview") and
``year`` (the overview's year); ``agreement_id`` may be empty (an overview is of no one
agreement). An offer is still bound to the leader it was made for, still taken once.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('document_offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=20), nullable=False, server_default='agreement'))
        batch_op.add_column(sa.Column('year', sa.Integer(), nullable=True))
        batch_op.alter_column('agreement_id', existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM document_offers WHERE subject != 'agreement'")
    with op.batch_alter_table('document_offers', schema=None) as batch_op:
        batch_op.alter_column('agreement_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('year')
        batch_op.drop_column('subject')
