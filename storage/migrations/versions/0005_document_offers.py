"""document offers: the leaders' copies offered in Teams, kept in the database for every bot process

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

``document_offers`` holds each offer of a leader's own copy (a file consent card or a single-use
link) until it is taken once or runs out, so that any bot process sharing the database can hand
out a copy another one offered, also after a restart. Only the SHA-256 of the token is stored.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_offers',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_document_offers_leader_id_leaders')),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_document_offers_agreement_id_agreements')),
        sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_document_offers')),
    )
    op.create_index(op.f('ix_document_offers_expires_at'), 'document_offers', ['expires_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_document_offers_expires_at'), table_name='document_offers')
    op.drop_table('document_offers')
