"""Small builders for leaders and agreements in test databases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Agreement, Leader

TEMPLATE_ID = "lederavtale-2023"


@dataclass(frozen=True)
class Pair:
    """Ids of a small hierarchy: top → superior → subordinate, plus an outsider, HR and a second pair."""

    top: int
    superior: int
    subordinate: int
    colleague: int
    outsider: int
    hr: int
    agreement: int
    other_agreement: int
    top_agreement: int


async def make_pair(session_factory: async_sessionmaker[AsyncSession], year: int = 2026) -> Pair:
    """Create the hierarchy and the year's agreements, and return their ids."""
    async with session_factory() as session:
        top = Leader(name="Patti Fernandez", email="pattif@example.com", unit="Kommunedirektøren")
        session.add(top)
        await session.flush()
        superior = Leader(
            name="Alex Wilber", email="alexw@example.com", aad_object_id="aad-alex",
            unit="Oppvekst", superior_id=top.id,
        )
        hr = Leader(name="Lynne Robbins", email="lynner@example.com", unit="HR", superior_id=top.id, is_hr_admin=True)
        session.add_all([superior, hr])
        await session.flush()
        subordinate = Leader(
            name="Megan Bowen", email="meganb@example.com", aad_object_id="aad-megan",
            unit="Lørenskog skole", superior_id=superior.id,
        )
        colleague = Leader(name="Adele Vance", email="adelev@example.com", unit="Barnehage", superior_id=superior.id)
        outsider = Leader(name="Isaiah Langer", email="isaiahl@example.com", unit="Teknisk")
        session.add_all([subordinate, colleague, outsider])
        await session.flush()
        agreements = [
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=superior.id, subordinate_id=subordinate.id),
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=superior.id, subordinate_id=colleague.id),
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=top.id, subordinate_id=superior.id),
        ]
        session.add_all(agreements)
        await session.commit()
        return Pair(
            top=top.id, superior=superior.id, subordinate=subordinate.id, colleague=colleague.id,
            outsider=outsider.id, hr=hr.id, agreement=agreements[0].id,
            other_agreement=agreements[1].id, top_agreement=agreements[2].id,
        )
