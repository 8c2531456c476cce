"""retention: a deletion record per agreement whose content was deleted, and the nightly job's claims

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 15:00:00

``retention_deletions`` records, once per agreement, that its content (answers, revisions, goals,
comments, the content in its events, dialog state, offers) was deleted: when, how many rows of
each kind, and whether it was forced (signed, never exported to the archive) with the reason.
``retention_runs`` holds one claim per night, so that of several bot processes one runs it.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'retention_deletions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('forced', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('run_by', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_retention_deletions_agreement_id_agreements')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_deletions')),
        sa.UniqueConstraint('agreement_id', name=op.f('uq_retention_deletions_agreement_id')),
    )
    op.create_table(
        'retention_runs',
        sa.Column('night', sa.Date(), nullable=False),
        sa.Column('claimed_by', sa.String(length=200), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('night', name=op.f('pk_retention_runs')),
    )


def downgrade() -> None:
    op.drop_table('retention_runs')
    op.drop_table('retention_deletions')
