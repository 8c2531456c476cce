"""The agreed text of one agreement as its viewer may see it, gathered for the agreement cards."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.answers import read_answers
from agreement.goals import list_goals
from agreement.opening import AgreementAccess
from agreement.signatures import Signature, signature_of
from agreement.template import Template
from storage.models import Goal, Phase


@dataclass
class AgreementView:
    """Answers (by question key) and goals (by section) of one phase, read through the service."""

    agreement_id: int
    year: int
    template: Template
    subordinate_name: str
    superior_name: str
    answers: dict[str, str] = field(default_factory=dict)
    goals: dict[str, list[Goal]] = field(default_factory=dict)
    spring_goals: list[Goal] = field(default_factory=list)
    subordinate_signature: Signature | None = None
    superior_signature: Signature | None = None
    #: The answers' ids by question key, so that a shortened text can be read whole.
    answer_ids: dict[str, int] = field(default_factory=dict)

    def choice(self, key: str) -> list[str]:
        """The statement keys of a platform choice answer."""
        raw = self.answers.get(key)
        return json.loads(raw) if raw else []


async def gather(session: AsyncSession, opened: AgreementAccess, phase: Phase = Phase.AGREEMENT) -> AgreementView:
    """The superior's recorded text of ``phase`` (the agreement or the follow-up), access-checked."""
    a = opened.agreement
    view = AgreementView(
        agreement_id=a.id,
        year=a.year,
        template=opened.template,
        subordinate_name=a.subordinate.name,
        superior_name=a.superior.name,
        subordinate_signature=signature_of(a, Role.SUBORDINATE),
        superior_signature=signature_of(a, Role.SUPERIOR),
    )
    for answer in await read_answers(session, opened, phase=phase):
        if answer.author_id == a.superior_id:
            view.answers[answer.question_key] = answer.text
            view.answer_ids[answer.question_key] = answer.id
    goal_phase = Phase.AGREEMENT
    for goal in await list_goals(session, opened, phase=goal_phase):
        if goal.author_id == a.superior_id:
            view.goals.setdefault(goal.section_key, []).append(goal)
            view.spring_goals.append(goal)
    return view


@dataclass
class PreparationView:
    """Both leaders' preparation of one agreement, as the viewer may see it (never before both are done)."""

    agreement_id: int
    template: Template
    viewer_name: str
    other_name: str
    own: AgreementView
    other: AgreementView


async def gather_preparations(session: AsyncSession, opened: AgreementAccess,
                              phase: Phase = Phase.PREPARATION) -> PreparationView:
    """The viewer's and the other leader's preparation (or autumn reflections), read through the access-checked path.

    The other leader's is empty until the access rules open it to the viewer.
    """
    a = opened.agreement

    def empty() -> AgreementView:
        return AgreementView(a.id, a.year, opened.template, a.subordinate.name, a.superior.name)

    own, other = empty(), empty()
    by_author = {opened.viewer.id: own, opened.other.id: other}
    for answer in await read_answers(session, opened, phase=phase):
        target = by_author.get(answer.author_id)
        if target is not None:
            target.answers[answer.question_key] = answer.text
            target.answer_ids[answer.question_key] = answer.id
    for goal in await list_goals(session, opened, phase=phase):
        target = by_author.get(goal.author_id)
        if target is not None:
            target.goals.setdefault(goal.section_key, []).append(goal)
    return PreparationView(a.id, opened.template, opened.viewer.name, opened.other.name, own, other)
