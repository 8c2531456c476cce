"""Units of work on one agreement as one leader, for tests that drive the agreement rules directly."""

from __future__ import annotations

import asyncio
from datetime import date

from sqlalchemy.orm.exc import StaleDataError

from agreement.answers import save_answer, save_choice
from agreement.errors import ConcurrentChange
from agreement.opening import open_agreement, open_agreement_status
from agreement.status import AgreementStatus
from agreement.steps import sign
from storage.models import Phase

#: The answer limit these tests write with (the service default).
MAX_LENGTH = 4000
#: The day it is for the agreement rules when ``signs`` signs.
SIGNING_DAY = date(2026, 2, 12)


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


def signs(place_and_date: str = "Lørenskog, 12.02.2026", *, share: bool = False):
    """Work for ``act``: sign with ``place_and_date`` on SIGNING_DAY, saying ``share`` on sharing Ledelsesutvikling."""
    return lambda session, opened: sign(session, opened, place_and_date, today=SIGNING_DAY, share_development=share)
