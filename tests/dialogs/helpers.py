"""Agreement set-up through the service, for tests of the later flows."""

from __future__ import annotations

from agreement import service
from agreement.status import AgreementStatus
from storage.models import Phase


async def act(session_factory, leader_id: int, agreement_id: int, work):
    async def unit(session):
        opened = await service.open_agreement(session, leader_id, agreement_id)
        return await work(session, opened)

    return await service.run_in_transaction(session_factory, unit)


async def status_of(session_factory, leader_id: int, agreement_id: int) -> AgreementStatus:
    async with session_factory() as session:
        return (await service.open_agreement_status(session, leader_id, agreement_id)).status


async def prepare(session_factory, leader_id: int, agreement_id: int, word: str) -> None:
    """A short preparation with one goal, marked done."""

    async def work(session, opened):
        await service.save_answer(session, opened, "styringsbrev.bidrag", Phase.PREPARATION, f"bidrag {word}")
        await service.save_choice(session, opened, "ledelsesutvikling.tema", Phase.PREPARATION, ["apen", "retning"])
        await service.add_goal(session, opened, "ledelsesutvikling", Phase.PREPARATION, f"mål {word}", [f"tiltak {word}"])
        await service.mark_prepared(session, opened)

    await act(session_factory, leader_id, agreement_id, work)


async def fill(session_factory, superior_id: int, agreement_id: int) -> None:
    """The agreed text, one goal per goals section, sent for review."""

    async def work(session, opened):
        for section in opened.template.sections:
            for field in section.fields:
                if field.kind.value in ("text", "note"):
                    await service.save_answer(session, opened, field.key, Phase.AGREEMENT, f"Avtalt {field.key}")
                elif field.kind.value == "platform_choice":
                    await service.save_choice(session, opened, field.key, Phase.AGREEMENT, ["apen", "tillit"])
                else:
                    await service.add_goal(session, opened, section.key, Phase.AGREEMENT,
                                           f"Mål i {section.key}", [f"Tiltak i {section.key}"])
        await service.mark_filled(session, opened)

    await act(session_factory, superior_id, agreement_id, work)


async def sign_both(session_factory, pair, agreement_id: int) -> None:
    for leader in (pair.subordinate, pair.superior):
        await act(session_factory, leader, agreement_id, lambda s, o: service.sign(s, o, "Lørenskog, 10.02.2026"))
