"""each signer's own place and date: agreements.sign_place_date split into one place and date per signer

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08 10:00:00

The one "Sted og dato" column kept whichever leader signed last, so the first signer's entry
could be overwritten. Each signer's own entry is taken from their latest "signed" event in the
history (every signature recorded its "Sted og dato" there), else from the old column, and split
into place and date where it reads "<place>, dd.mm.yyyy"; anything else is kept whole as the
place, with no date. The old column is then dropped: nothing writes it any more, and a second
copy of the signatures would soon disagree with the first.
"""
from __future__ import annotations

import re
from datetime import date

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.(\d{4})(?![\d.])")
_SEPARATORS = " \t,;:-–"
_ROLES = ("superior", "subordinate")

agreements = sa.table(
    'agreements',
    sa.column('id', sa.Integer),
    sa.column('superior_id', sa.Integer),
    sa.column('subordinate_id', sa.Integer),
    sa.column('sign_place_date', sa.String),
    sa.column('superior_signed_at', sa.DateTime(timezone=True)),
    sa.column('subordinate_signed_at', sa.DateTime(timezone=True)),
    *(sa.column(f'{role}_sign_place', sa.String) for role in _ROLES),
    *(sa.column(f'{role}_sign_date', sa.Date) for role in _ROLES),
)
events = sa.table(
    'agreement_events',
    sa.column('id', sa.Integer),
    sa.column('agreement_id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('actor_id', sa.Integer),
    sa.column('detail', sa.JSON),
)


def _split(text: str) -> tuple[str, date | None]:
    """'Lørenskog, 10.02.2026' as place and date; a text without exactly one valid date stays whole."""
    found = list(_DATE.finditer(text))
    if len(found) == 1:
        match = found[0]
        place = " ".join(
            part for part in (text[:match.start()].strip(_SEPARATORS), text[match.end():].strip(_SEPARATORS)) if part
        )
        try:
            day = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        except ValueError:
            day = None
        if place and day is not None:
            return place, day
    return text, None


def upgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superior_sign_place', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('superior_sign_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('subordinate_sign_place', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('subordinate_sign_date', sa.Date(), nullable=True))

    connection = op.get_bind()
    written: dict[tuple[int, int], str] = {}  # (agreement, signer) -> the "Sted og dato" of their latest signature
    for agreement_id, actor_id, detail in connection.execute(
        sa.select(events.c.agreement_id, events.c.actor_id, events.c.detail)
        .where(events.c.kind == 'signed').order_by(events.c.id)
    ):
        text = (detail or {}).get('place_and_date')
        if actor_id is not None and isinstance(text, str) and text.strip():
            written[(agreement_id, actor_id)] = text.strip()
    signed = connection.execute(
        sa.select(agreements).where(
            agreements.c.superior_signed_at.is_not(None) | agreements.c.subordinate_signed_at.is_not(None)
        )
    ).all()
    for row in signed:
        values = {}
        for role in _ROLES:
            if getattr(row, f'{role}_signed_at') is None:
                continue
            text = written.get((row.id, getattr(row, f'{role}_id'))) or row.sign_place_date
            if text:
                values[f'{role}_sign_place'], values[f'{role}_sign_date'] = _split(text)
        if values:
            connection.execute(sa.update(agreements).where(agreements.c.id == row.id).values(**values))

    # ALTER TABLE ... DROP COLUMN, also on SQLite (3.35 and later): a batch would copy the table,
    # and dropping the old one fails while the history and the answers refer to its rows.
    op.drop_column('agreements', 'sign_place_date')


def downgrade() -> None:
    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_place_date', sa.String(length=200), nullable=True))

    # The one column held the entry of whoever signed last.
    connection = op.get_bind()
    for row in connection.execute(sa.select(agreements)).all():
        signatures = [
            (getattr(row, f'{role}_signed_at'), getattr(row, f'{role}_sign_place'), getattr(row, f'{role}_sign_date'))
            for role in _ROLES
            if getattr(row, f'{role}_signed_at') is not None and getattr(row, f'{role}_sign_place')
        ]
        if signatures:
            _, place, day = max(signatures, key=lambda signature: signature[0])
            text = place if day is None else f"{place}, {day:%d.%m.%Y}"
            connection.execute(
                sa.update(agreements).where(agreements.c.id == row.id).values(sign_place_date=text)
            )

    for column in ('subordinate_sign_date', 'subordinate_sign_place', 'superior_sign_date', 'superior_sign_place'):
        op.drop_column('agreements', column)
