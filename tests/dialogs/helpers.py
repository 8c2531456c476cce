"""Agreement set-up through the agreement rules, for tests of the later flows."""

from __future__ import annotations

from agreement.answers import save_answer, save_choice
from agreement.goals import add_goal
from agreement.steps import mark_filled, mark_prepared
from storage.models import Phase
from tests.agreement.helpers import MAX_LENGTH, act, signs


async def prepare(session_factory, leader_id: int, agreement_id: int, word: str) -> None:
    """A short preparation with one goal, marked done."""

    async def work(session, opened):
        await save_answer(session, opened, "styringsbrev.bidrag", Phase.PREPARATION, f"bidrag {word}",
                          max_length=MAX_LENGTH)
        await save_choice(session, opened, "ledelsesutvikling.tema", Phase.PREPARATION, ["apen", "retning"])
        await add_goal(session, opened, "ledelsesutvikling", Phase.PREPARATION, f"mål {word}", [f"tiltak {word}"],
                       max_length=MAX_LENGTH)
        await mark_prepared(session, opened)

    await act(session_factory, leader_id, agreement_id, work)


async def fill(session_factory, superior_id: int, agreement_id: int) -> None:
    """The agreed text, one goal per goals section, sent for review."""

    async def work(session, opened):
        for section in opened.template.sections:
            for field in section.fields:
                if field.kind.value in ("text", "note"):
                    await save_answer(session, opened, field.key, Phase.AGREEMENT, f"Avtalt {field.key}",
                                      max_length=MAX_LENGTH)
                elif field.kind.value == "platform_choice":
                    await save_choice(session, opened, field.key, Phase.AGREEMENT, ["apen", "tillit"])
                else:
                    await add_goal(session, opened, section.key, Phase.AGREEMENT,
                                   f"Mål i {section.key}", [f"Tiltak i {section.key}"], max_length=MAX_LENGTH)
        await mark_filled(session, opened)

    await act(session_factory, superior_id, agreement_id, work)


async def sign_both(session_factory, pair, agreement_id: int, *, share: tuple[bool, bool] = (False, False)) -> None:
    """Both sign with "Lørenskog, 02.02.2026", the subordinate first; ``share`` is their answers on sharing."""
    for leader, shares in zip((pair.subordinate, pair.superior), share):
        await act(session_factory, leader, agreement_id, signs("Lørenskog, 02.02.2026", share=shares))
