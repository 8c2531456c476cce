"""Units of work on one agreement as one leader, for tests that drive the agreement rules directly."""

from __future__ import annotations

from agreement.answers import save_answer, save_choice
from agreement.opening import open_agreement, open_agreement_status, run_in_transaction
from agreement.status import AgreementStatus
from storage.models import Phase

#: The answer limit these tests write with (the service default).
MAX_LENGTH = 4000


async def act(session_factory, leader_id: int, agreement_id: int, work):
    """Run ``work(session, opened)`` as ``leader_id`` in its own committed transaction."""

    async def unit(session):
        opened = await open_agreement(session, leader_id, agreement_id)
        return await work(session, opened)

    return await run_in_transaction(session_factory, unit)


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
