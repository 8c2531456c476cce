"""Reports for HR: every agreement's status and dates, never its content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from agreement.status import AgreementStatus, derive_status
from storage.models import Agreement, Leader


@dataclass(frozen=True)
class StatusRow:
    """One agreement's status and dates: everything HR may see."""

    agreement_id: int
    year: int
    superior_name: str
    superior_email: str
    subordinate_name: str
    subordinate_email: str
    unit: str
    status: AgreementStatus
    meeting_at: datetime | None
    superior_signed_at: datetime | None
    subordinate_signed_at: datetime | None
    #: False for a leader who has left (no longer in the roster): the agreement stays, marked so.
    superior_active: bool = True
    subordinate_active: bool = True


async def status_rows(session: AsyncSession, year: int) -> list[StatusRow]:
    """Status and dates of every active agreement of ``year``, never their content."""
    superior = aliased(Leader)
    subordinate = aliased(Leader)
    rows = await session.execute(
        select(Agreement, superior, subordinate)
        .join(superior, Agreement.superior_id == superior.id)
        .join(subordinate, Agreement.subordinate_id == subordinate.id)
        .where(Agreement.year == year, Agreement.active.is_(True))
        .order_by(superior.name, subordinate.name)
    )
    return [
        StatusRow(
            agreement_id=agreement.id,
            year=agreement.year,
            superior_name=sup.name,
            superior_email=sup.email,
            subordinate_name=sub.name,
            subordinate_email=sub.email,
            unit=sub.unit,
            status=derive_status(agreement),
            meeting_at=agreement.meeting_at,
            superior_signed_at=agreement.superior_signed_at,
            subordinate_signed_at=agreement.subordinate_signed_at,
            superior_active=sup.active,
            subordinate_active=sub.active,
        )
        for agreement, sup, sub in rows
    ]
