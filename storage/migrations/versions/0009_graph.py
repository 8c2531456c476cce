"""graph: leaders who left, the meeting's calendar event, app installations, the nightly leader sync's claim

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00

``leaders.left_at`` marks a leader the roster no longer has (their agreement stays, marked as
left). ``agreements.meeting_event_id`` and ``meeting_event_organizer_id`` hold the planned
conversation's event in the superior's calendar, so that re-planning moves it and never makes a
second. ``app_installations`` records the bot's installs of its Teams app for leaders it could not
reach, and why one was refused. ``leader_sync_runs`` is the nightly sync's claim, one per night.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('leaders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('meeting_event_id', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('meeting_event_organizer_id', sa.String(length=100), nullable=True))
    op.create_table(
        'app_installations',
        sa.Column('leader_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('reason', sa.String(length=300), nullable=True),
        sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('installed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['leader_id'], ['leaders.id'], name=op.f('fk_app_installations_leader_id_leaders')),
        sa.PrimaryKeyConstraint('leader_id', name=op.f('pk_app_installations')),
    )
    op.create_table(
        'leader_sync_runs',
        sa.Column('night', sa.Date(), nullable=False),
        sa.Column('claimed_by', sa.String(length=200), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('night', name=op.f('pk_leader_sync_runs')),
    )


def downgrade() -> None:
    op.drop_table('leader_sync_runs')
    op.drop_table('app_installations')
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('meeting_event_organizer_id')
        batch_op.drop_column('meeting_event_id')
    with op.batch_alter_table('leaders', schema=None) as batch_op:
        batch_op.drop_column('left_at')
