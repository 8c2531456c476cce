"""What a leader can see of one agreement ("Se avtalen"), and the lists of agreements to choose one from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agreement.template import FieldKind
from bot import actions
from bot.cards import Element, action_set, as_typed, bullets, card, container, facts, heading, submit, text
from dialogs.agreement_view import AgreementView
from dialogs.cards.questions import statement_lines
from dialogs.cards.whole_text import VIEW_LENGTH, shortened
from dialogs.questions import Question
from dialogs.texts import menu as mtexts
from dialogs.texts import view as texts


@dataclass(frozen=True)
class Written:
    """What one leader wrote in one phase as the viewer may see it (``view``), or why it is not shown."""

    who: str
    view: AgreementView | None = None
    hidden: str | None = None


@dataclass(frozen=True)
class Listed:
    """One agreement in a list to choose from."""

    agreement_id: int
    title: str
    status: str


def _goal_items(goals: Sequence) -> list[Element]:
    items: list[Element] = []
    for goal in goals:
        items.append(as_typed(goal.title, bold=True, spacing="Small"))
        items += [as_typed(action.text, bullet=True, spacing="None") for action in goal.current_actions]
    return items


def _answer(question: Question, view: AgreementView) -> list[Element]:
    """One question's answer: the goals of its section, the chosen statements, or the text (shortened)."""
    if question.kind == FieldKind.GOALS.value:
        return _goal_items(view.goals.get(question.section_key, []))
    raw = view.answers.get(question.key)
    if raw is None:
        return []
    if question.kind == FieldKind.PLATFORM_CHOICE.value:
        return [bullets(statement_lines(view.template, view.choice(question.key)))]
    return shortened(raw, VIEW_LENGTH, view.agreement_id, view.answer_ids.get(question.key))


def written_part(title: str, questions: Sequence[Question], written: Sequence[Written]) -> Element:
    """Each leader's answers to ``questions`` under ``title``, question by question (unanswered ones left out)."""
    items: list[Element] = [heading(title, size="Medium")]
    for entry in written:
        items.append(text(entry.who, bold=True))
        if entry.view is None:
            items.append(text(entry.hidden or texts.NOTHING_YET, subtle=True))
            continue
        answered = 0
        section = None
        for question in questions:
            answer = _answer(question, entry.view)
            if answer:
                answered += 1
                if question.section_key != section:
                    section = question.section_key
                    items.append(heading(entry.view.template.section(section).heading, size="Small"))
                # A label can name a leader's goal ("Hvordan har det gått med utviklingsmålet «…»?").
                items += [as_typed(question.label, subtle=True, spacing="Small"), *answer]
        if not answered:
            items.append(text(texts.NOTHING_YET, subtle=True))
    return container(items, separator=True)


def written_card(title: str, questions: Sequence[Question], written: Sequence[Written],
                 buttons: Sequence[Element] = ()) -> dict:
    """Each leader's answers to ``questions`` on a card of their own (the autumn reflections)."""
    return card([written_part(title, questions, written)], buttons, fallback=title)


def view_card(year: int, relation: str, status: str, meeting: str | None, parts: Sequence[Element],
              notes: Sequence[str] = (), buttons: Sequence[Element] = ()) -> dict:
    """The head of an agreement's view: whose it is, its status and meeting, then ``parts`` and ``notes``."""
    body: list[Element] = [
        heading(texts.TITLE.format(year=year)),
        text(relation, bold=True),
        facts([(mtexts.STATUS, status), (mtexts.MEETING, meeting or mtexts.NOT_PLANNED)]),
        *parts,
        *(container([text(note)], separator=True) for note in notes),
    ]
    return card(body, buttons, fallback=texts.TITLE.format(year=year))


def choose_card(title: str, listed: Sequence[Listed], empty: str, buttons: Sequence[Element] = ()) -> dict:
    """Agreements to choose one from, each with a button to see it."""
    body: list[Element] = [heading(title)]
    if not listed:
        body.append(text(empty))
    for entry in listed:
        body.append(container([
            text(entry.title, bold=True),
            text(entry.status, subtle=True, spacing="None"),
            action_set([submit(mtexts.BUTTONS[actions.VIEW_AGREEMENT],
                               actions.submit_data(actions.VIEW_AGREEMENT, entry.agreement_id))]),
        ], separator=True))
    return card(body, buttons, fallback=title)
