"""An agreement taken through its whole year by the agreement rules, with a recognisable text in every place.

Every answer, goal, action and goal follow-up gets its own marker text (with æøå and characters a
leader can type), so that a test can tell which of them a copy holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from agreement.answers import GOAL_FOLLOWUP_PREFIX, save_answer, save_choice
from agreement.goals import add_goal
from agreement.steps import confirm_followup, mark_filled, mark_followup_recorded, sign
from agreement.template import FieldKind
from storage.models import Phase
from tests.agreement.helpers import MAX_LENGTH, act

SIGNED_ON = date(2026, 2, 12)


def marker(place: str) -> str:
    """The text written in ``place``: unique, and with characters that must survive a copy."""
    return f"Svar {place}: Æøå «sitat» – ŋ š đ 👍"


@dataclass
class Written:
    """Every text written into the agreement, by the section (or "oppfolging") it belongs to."""

    by_section: dict[str, list[str]] = field(default_factory=dict)
    #: The follow-up's fields marked personal by the template.
    personal: list[str] = field(default_factory=list)
    #: The titles of the goals of each section.
    goal_titles: dict[str, list[str]] = field(default_factory=dict)

    def add(self, section: str, text: str) -> str:
        self.by_section.setdefault(section, []).append(text)
        return text

    def all(self) -> list[str]:
        return [text for texts in self.by_section.values() for text in texts]


async def complete_agreement(session_factory, superior: int, subordinate: int, agreement_id: int, *,
                             superior_shares: bool, subordinate_shares: bool, follow_up: bool = True) -> Written:
    """Fill every question, set goals with actions, sign by both, and (``follow_up``) record and confirm the autumn."""
    written = Written()
    goal_sections: dict[int, str] = {}

    async def fill(session, opened):
        for section in opened.template.sections:
            for spec in section.fields:
                if spec.kind is FieldKind.PLATFORM_CHOICE:
                    keys = [s.key for s in opened.template.platform_statements[:2]]
                    await save_choice(session, opened, spec.key, Phase.AGREEMENT, keys)
                    for s in opened.template.platform_statements[:2]:
                        written.add(section.key, s.text)
                elif spec.kind is FieldKind.GOALS:
                    for n in (1, 2):
                        title = written.add(section.key, marker(f"{section.key} mål {n}"))
                        written.goal_titles.setdefault(section.key, []).append(title)
                        actions = [written.add(section.key, marker(f"{section.key} mål {n} tiltak {m}"))
                                   for m in (1, 2)]
                        goal = await add_goal(session, opened, section.key, Phase.AGREEMENT, title, actions,
                                              max_length=MAX_LENGTH)
                        goal_sections[goal.id] = section.key
                else:
                    text = written.add(section.key, marker(spec.key))
                    await save_answer(session, opened, spec.key, Phase.AGREEMENT, text, max_length=MAX_LENGTH)
        await mark_filled(session, opened)

    await act(session_factory, superior, agreement_id, fill)
    for leader, shares in ((subordinate, subordinate_shares), (superior, superior_shares)):
        async def signs(session, opened, shares=shares):
            return await sign(session, opened, "Lørenskog, 12.02.2026", today=SIGNED_ON, share_development=shares)

        await act(session_factory, leader, agreement_id, signs)
    if not follow_up:
        return written

    async def record(session, opened):
        followup = opened.template.followup
        for spec in followup.fields:
            text = written.add(followup.key, marker(spec.key))
            if spec.personal:
                written.personal.append(text)
            await save_answer(session, opened, spec.key, Phase.FOLLOWUP, text, max_length=MAX_LENGTH)
        for goal_id, section_key in goal_sections.items():
            # A goal's follow-up belongs to the goal's section.
            text = written.add(section_key, marker(f"oppfølging av mål {goal_id}"))
            await save_answer(session, opened, f"{GOAL_FOLLOWUP_PREFIX}{goal_id}", Phase.FOLLOWUP, text,
                              max_length=MAX_LENGTH)
        await mark_followup_recorded(session, opened)

    await act(session_factory, superior, agreement_id, record)
    for leader in (subordinate, superior):
        await act(session_factory, leader, agreement_id, confirm_followup)
    return written
