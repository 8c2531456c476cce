"""The questions of each flow, in form order, described for asking."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agreement.answers import GOAL_FOLLOWUP_PREFIX
from agreement.template import FieldKind, Template
from dialogs.texts import questions as texts
from storage.models import Goal, Phase

GOAL_FOLLOWUP = "goal_followup"


@dataclass(frozen=True)
class Question:
    """One question as the dialogs ask it; ``kind`` is a FieldKind value or 'goal_followup'."""

    key: str
    kind: str
    label: str
    section_key: str
    help: str | None = None
    heading: str | None = None
    goal_title: str | None = None
    goal_actions: tuple[str, ...] = ()
    #: Said above the question, e.g. whose reflection the form's words ask for.
    lead: str | None = None

    @property
    def skippable(self) -> bool:
        """Note fields may be left empty; questions may not."""
        return self.kind == FieldKind.NOTE.value


def goal_key(goal_id: int) -> str:
    """The question key of the follow-up answer about one spring goal."""
    return f"{GOAL_FOLLOWUP_PREFIX}{goal_id}"


def question_keys(template: Template, phase: Phase, spring_goal_ids: Iterable[int] = ()) -> list[str]:
    """The keys asked in ``phase``: every answered section in spring; the follow-up in autumn.

    In autumn the eight questions come first, then one question per spring goal, then (when the
    superior records the conversation) the note "Nye forhold i oppfølgingssamtalen".
    """
    if phase in (Phase.PREPARATION, Phase.AGREEMENT):
        return [field.key for section in template.sections for field in section.fields]
    questions = [f.key for f in template.followup_fields() if f.kind is FieldKind.TEXT]
    goals = [goal_key(goal_id) for goal_id in spring_goal_ids]
    notes = [f.key for f in template.followup_fields() if f.kind is not FieldKind.TEXT]
    if phase is Phase.FOLLOWUP_PREPARATION:
        return questions + goals
    return questions + goals + notes


def describe(template: Template, key: str, goals: Mapping[int, Goal]) -> Question:
    """The question for ``key``; goal follow-ups need the spring goals by id."""
    if key.startswith(GOAL_FOLLOWUP_PREFIX):
        goal = goals[int(key[len(GOAL_FOLLOWUP_PREFIX):])]
        return Question(
            key=key,
            kind=GOAL_FOLLOWUP,
            label=texts.GOAL_QUESTION.format(title=goal.title),
            section_key=template.followup.key,
            goal_title=goal.title,
            goal_actions=tuple(action.text for action in goal.current_actions),
        )
    field = template.field(key)
    return Question(
        key=key,
        kind=field.kind.value,
        label=field.label,
        section_key=template.section_of(key).key,
        help=field.help,
        heading=field.heading,
    )
