"""Units of work on one agreement as one leader, for tests that drive the agreement rules directly."""

from __future__ import annotations

import asyncio

from sqlalchemy.orm.exc import StaleDataError

from agreement.answers import save_answer, save_choice
from agreement.errors import ConcurrentChange
from agreement.opening import open_agreement, open_agreement_status
from agreement.status import AgreementStatus
from storage.models import Phase

#: The answer limit these tests write with (the service default).
MAX_LENGTH = 4000


async def act(session_factory, leader_id: int, agreement_id: int, work):
    """Run ``work(session, opened)`` as ``leader_id`` in its own committed transaction."""

    for attempt in range(1, 6):
        async with session_factory() as session:
            try:
                opened = await open_agreement(session, leader_id, agreement_id)
                result = await work(session, opened)
                await session.commit()
                return result
            except (ConcurrentChange, StaleDataError):
                # Run again on fresh data, as a turn that meets a concurrent change is.
                await session.rollback()
                if attempt == 5:
                    raise
        await asyncio.sleep(0.01 * attempt)


async def status_of(session_factory, leader_id: int, agreement_id: int) -> AgreementStatus:
    async with session_factory() as session:
        return (await open_agreement_status(session, leader_id, agreement_id)).status


async def fill_all_required(session_factory, superior: int, agreement_id: int) -> None:
    """The superior answers every question the review needs (no goals)."""

    async def work(session, opened):
        for section in opened.template.sections:
            for field in section.fields:
                if field.kind.value == "text":
                    await save_answer(session, opened, field.key, Phase.AGREEMENT, "Avtalt tekst", max_length=MAX_LENGTH)
                elif field.kind.value == "platform_choice":
                    keys = [s.key for s in opened.template.platform_statements[:2]]
                    await save_choice(session, opened, field.key, Phase.AGREEMENT, keys)

    await act(session_factory, superior, agreement_id, work)
