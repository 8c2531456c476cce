"""The log of the copies made of agreements: when, which agreement, who, why and how. Never their content."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from documents.copies import copies_made
from storage.models import Agreement, DocumentVariant, Leader


@dataclass(frozen=True)
class CopyLogEntry:
    """One copy as recorded, with the agreement it was made of named by its year and its two leaders."""

    made_at: datetime
    agreement_id: int
    year: int
    subordinate: str
    superior: str
    variant: DocumentVariant
    #: The case handler of an access request (or whoever made it on the command line).
    handled_by: str | None
    #: The leader a pair's copy was made for.
    recipient: str | None
    reason: str | None
    channel: str


async def copy_log(session: AsyncSession, *, variant: DocumentVariant | None = None) -> list[CopyLogEntry]:
    """Every copy recorded (only ``variant`` when given), the latest first."""
    copies = await copies_made(session, variant=variant)
    agreements: dict[int, Agreement] = {}
    if copies:
        rows = await session.scalars(
            select(Agreement).where(Agreement.id.in_({copy.agreement_id for copy in copies}))
            .options(selectinload(Agreement.superior), selectinload(Agreement.subordinate))
        )
        agreements = {agreement.id: agreement for agreement in rows.all()}
    names: dict[int, str] = {}
    recipient_ids = {copy.recipient_id for copy in copies if copy.recipient_id is not None}
    if recipient_ids:
        named = await session.execute(select(Leader.id, Leader.name).where(Leader.id.in_(recipient_ids)))
        names = {leader_id: name for leader_id, name in named}
    return [
        CopyLogEntry(
            made_at=copy.made_at,
            agreement_id=copy.agreement_id,
            year=agreements[copy.agreement_id].year,
            subordinate=agreements[copy.agreement_id].subordinate.name,
            superior=agreements[copy.agreement_id].superior.name,
            variant=copy.variant,
            handled_by=copy.handled_by,
            recipient=names.get(copy.recipient_id),
            reason=copy.reason,
            channel=copy.channel,
        )
        for copy in copies
    ]
