"""The filled agreement, the signed summary and the follow-up record, as cards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from agreement.template import FieldKind
from bot.cards import Element, as_typed, bullets, card, container, facts, heading, text
from dialogs.agreement_view import AgreementView, PreparationView
from dialogs.cards.questions import statement_lines
from dialogs.questions import goal_key
from dialogs.texts import common
from dialogs.texts import preparation as ptexts
from dialogs.texts import questions as qtexts
from dialogs.texts import review as texts

EMPTY_ANSWER = "–"


def _typed_or_empty(typed: str | None) -> Element:
    return as_typed(typed) if typed else text(EMPTY_ANSWER)


def _goals(goals: Sequence) -> list[Element]:
    items: list[Element] = []
    for goal in goals:
        items.append(as_typed(goal.title, bold=True, spacing="Small"))
        items += [as_typed(action.text, bullet=True, spacing="None") for action in goal.current_actions]
    return items or [text(EMPTY_ANSWER)]


def _signature(name: str, signed_at: datetime | None, localise: Callable[[datetime], datetime]) -> str:
    if signed_at is None:
        return f"{name} ({texts.NOT_SIGNED})"
    return f"{name} ({texts.SIGNED_AT.format(date=common.format_date(localise(signed_at)))})"


def _answer_items(view: AgreementView, section_key: str, field) -> list[Element]:
    if field.kind is FieldKind.GOALS:
        return _goals(view.goals.get(section_key, []))
    if field.kind is FieldKind.PLATFORM_CHOICE:
        chosen = statement_lines(view.template, view.choice(field.key))
        return [bullets(chosen) if chosen else text(EMPTY_ANSWER)]
    return [_typed_or_empty(view.answers.get(field.key))]


def _recorded_card(view: AgreementView, title: str, content: Sequence[Element], buttons: Sequence[Element],
                   lead: str | None, question: str | None) -> dict:
    """``content`` under its title and the two parties, with ``lead`` above and ``question`` under it."""
    body = [
        text(lead, bold=True) if lead else None,
        heading(title),
        text(texts.PARTIES.format(subordinate=view.subordinate_name, superior=view.superior_name)),
        *content,
        text(question, bold=True) if question else None,
    ]
    return card(body, buttons, fallback=lead or title)


def _answered(label: str, answer: str | None) -> list[Element]:
    # A label can name a leader's goal ("Hvordan har det gått med utviklingsmålet «…»?").
    return [as_typed(label, bold=True), _typed_or_empty(answer)]


def agreement_card(view: AgreementView, localise: Callable[[datetime], datetime],
                   buttons: Sequence[Element] = (), *, lead: str | None = None, question: str | None = None) -> dict:
    """The agreement as recorded by the superior, with the signature block.

    ``lead`` is said above the agreement (e.g. why it is sent), ``question`` under it, by the buttons.
    """
    template = view.template
    content: list[Element] = []
    for section in template.sections:
        items: list[Element] = [heading(section.heading, size="Medium")]
        for field in section.fields:
            items.append(text(field.label, bold=True))
            items += _answer_items(view, section.key, field)
        content.append(container(items, separator=True))
    signing = template.signing
    # The place and date is typed by a leader, so it is not a fact (a FactSet's values are Markdown).
    place_and_date = [text(signing.place_and_date, bold=True), _typed_or_empty(view.place_and_date)]
    signatures = facts(
        [
            (signing.subordinate, _signature(view.subordinate_name, view.subordinate_signed_at, localise)),
            (signing.superior, _signature(view.superior_name, view.superior_signed_at, localise)),
        ]
    )
    content.append(container([*place_and_date, signatures], separator=True))
    return _recorded_card(view, template.title, content, buttons, lead, question)


def followup_card(view: AgreementView, buttons: Sequence[Element] = (), *, lead: str | None = None,
                  question: str | None = None) -> dict:
    """The follow-up conversation as recorded by the superior (``lead`` above, ``question`` under it)."""
    followup = view.template.followup
    content: list[Element] = []
    for field in followup.fields:
        if field.kind is FieldKind.TEXT:
            content += _answered(field.label, view.answers.get(field.key))
    if view.spring_goals:
        items: list[Element] = [heading(qtexts.GOAL_SECTION, size="Medium")]
        for goal in view.spring_goals:
            items += _answered(qtexts.GOAL_QUESTION.format(title=goal.title), view.answers.get(goal_key(goal.id)))
        content.append(container(items, separator=True))
    for field in followup.fields:
        if field.kind is not FieldKind.TEXT:
            items = [heading(field.heading, size="Medium")] if field.heading else []
            items += _answered(field.label, view.answers.get(field.key))
            content.append(container(items, separator=True))
    return _recorded_card(view, followup.heading, content, buttons, lead, question)


def spring_goals_card(view: AgreementView, intro: str, none_text: str) -> dict:
    """The goals and actions set in spring, shown at the start of the follow-up."""
    body: list[Element] = [heading(view.template.followup.heading), text(intro)]
    goals = view.spring_goals
    body.append(heading(qtexts.GOAL_SECTION, size="Medium"))
    if goals:
        for section in view.template.sections:
            section_goals = view.goals.get(section.key, [])
            if section_goals:
                body.append(container([text(section.heading, subtle=True), *_goals(section_goals)], separator=True))
    else:
        body.append(text(none_text))
    return card(body, fallback=view.template.followup.heading)


def preparations_card(view: PreparationView, buttons: Sequence[Element] = ()) -> dict:
    """Both leaders' preparation side by side, question by question (shown once both are done)."""
    template = view.template
    body: list[Element] = [heading(ptexts.PREPARATIONS_TITLE), text(ptexts.PREPARATIONS_INTRO.format(name=view.other_name))]
    for section in template.sections:
        items: list[Element] = [heading(section.heading, size="Medium")]
        for field in section.fields:
            items.append(text(field.label, bold=True))
            for who, prepared in ((qtexts.CONTEXT_OWN, view.own), (view.other_name, view.other)):
                items.append(text(who, subtle=True, spacing="Small"))
                items += _answer_items(prepared, section.key, field)
        body.append(container(items, separator=True))
    return card(body, buttons, fallback=ptexts.PREPARATIONS_TITLE)
