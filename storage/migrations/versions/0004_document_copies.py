"""document copies and archive exports: every copy of an agreement made as a PDF is recorded

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:00:00

``document_copies`` records each copy made (the pair's copy handed out in Teams, the archive
copy, an access request's copy): who, when, why and the file's checksum, never the content.
``archive_exports`` records what the archive export wrote, so that a second run writes nothing
twice.
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_copies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('variant', sa.Enum('PAIR', 'ARCHIVE', 'INNSYN', name='documentvariant', native_enum=False,
                                     length=20), nullable=False),
        sa.Column('recipient_id', sa.Integer(), nullable=True),
        sa.Column('handled_by', sa.String(length=200), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('channel', sa.String(length=40), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_document_copies_agreement_id_agreements')),
        sa.ForeignKeyConstraint(['recipient_id'], ['leaders.id'],
                                name=op.f('fk_document_copies_recipient_id_leaders')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_document_copies')),
    )
    op.create_index(op.f('ix_document_copies_agreement_id'), 'document_copies', ['agreement_id'])
    op.create_index(op.f('ix_document_copies_made_at'), 'document_copies', ['made_at'])
    op.create_table(
        'archive_exports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=False),
        sa.Column('folder', sa.String(length=200), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('exported_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('copy_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'],
                                name=op.f('fk_archive_exports_agreement_id_agreements')),
        sa.ForeignKeyConstraint(['copy_id'], ['document_copies.id'],
                                name=op.f('fk_archive_exports_copy_id_document_copies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_archive_exports')),
    )
    op.create_index('ix_archive_exports_agreement_stage', 'archive_exports', ['agreement_id', 'stage'])


def downgrade() -> None:
    op.drop_index('ix_archive_exports_agreement_stage', table_name='archive_exports')
    op.drop_table('archive_exports')
    op.drop_index(op.f('ix_document_copies_made_at'), table_name='document_copies')
    op.drop_index(op.f('ix_document_copies_agreement_id'), table_name='document_copies')
    op.drop_table('document_copies')
