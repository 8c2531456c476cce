"""Cards of the autumn follow-up only: both leaders' reflections, and the subordinate's comment on the record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agreement.template import FieldKind, Template
from bot.cards import Element, as_typed, card, container, heading, text
from dialogs.cards.agreement import EMPTY_ANSWER
from dialogs.questions import goal_key
from dialogs.texts import followup as texts
from dialogs.texts import questions as qtexts
from storage.models import Goal


@dataclass(frozen=True)
class ReflectionsView:
    """Both leaders' autumn reflections (by question key), as the viewer may see them (once both are done)."""

    template: Template
    other_name: str
    spring_goals: tuple[Goal, ...]
    own: Mapping[str, str]
    other: Mapping[str, str]


def _both(label: str, key: str, view: ReflectionsView) -> list[Element]:
    # A label can name a leader's goal ("Hvordan har det gått med utviklingsmålet «…»?").
    items: list[Element] = [as_typed(label, bold=True)]
    for who, answers in ((qtexts.CONTEXT_OWN, view.own), (view.other_name, view.other)):
        answer = answers.get(key)
        items += [text(who, subtle=True, spacing="Small"), as_typed(answer) if answer else text(EMPTY_ANSWER)]
    return items


def reflections_card(view: ReflectionsView, buttons: Sequence[Element] = ()) -> dict:
    """Both leaders' reflections question by question, the form's questions first, then each spring goal."""
    body: list[Element] = [heading(texts.REFLECTIONS_TITLE), text(texts.REFLECTIONS_INTRO.format(name=view.other_name))]
    questions: list[Element] = []
    for field in view.template.followup_fields():
        if field.kind is FieldKind.TEXT:
            questions += _both(field.label, field.key, view)
    body.append(container(questions, separator=True))
    if view.spring_goals:
        goals: list[Element] = [heading(qtexts.GOAL_SECTION, size="Medium")]
        for goal in view.spring_goals:
            goals += _both(qtexts.GOAL_QUESTION.format(title=goal.title), goal_key(goal.id), view)
        body.append(container(goals, separator=True))
    return card(body, buttons, fallback=texts.REFLECTIONS_TITLE)


def comment_block(title: str, comment: str) -> Element:
    """The subordinate's comment on the recorded follow-up under its ``title``, to stand under the record."""
    return container([text(title, bold=True), as_typed(comment)], style="emphasis", separator=True)
