"""Cards that ask the form's questions, one card per question, with the section introduced first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agreement.template import AnswerSection, Template
from bot.cards import Element, as_typed, bullets, card, container, heading, text, text_input
from dialogs.cards.options import answer_buttons
from dialogs.cards.whole_text import CONTEXT_LENGTH, shortened
from dialogs.questions import Question
from dialogs.texts import common
from dialogs.texts import questions as texts


@dataclass(frozen=True)
class ContextEntry:
    """What one leader wrote earlier (preparation or reflection), or why it is not shown."""

    who: str
    lines: tuple[str, ...] = ()
    hidden: str | None = None
    #: The answer the text is: a long one is shortened, with a button to read it whole.
    answer_id: int | None = None
    agreement_id: int | None = None


def section_card(section: AnswerSection) -> dict:
    """A section's heading, paragraphs and, for the private section, its privacy notice."""
    body: list[Element] = [heading(section.heading)]
    body += [text(paragraph) for paragraph in section.paragraphs]
    if section.privacy_notice:
        body.append(container([text(section.privacy_notice, bold=True)], style="emphasis"))
    if section.intro:
        body.append(text(section.intro))
        body.append(bullets(f.label for f in section.fields if f.heading is None))
    return card(body, fallback=section.heading)


def _context_block(title: str, entries: Sequence[ContextEntry]) -> Element | None:
    if not entries:
        return None
    items: list[Element] = [text(title, bold=True)]
    for entry in entries:
        items.append(text(entry.who, bold=True, spacing="Small"))
        if entry.hidden:
            items.append(text(entry.hidden, subtle=True))
        elif entry.answer_id is not None and entry.agreement_id is not None and len(entry.lines) == 1:
            items += shortened(entry.lines[0], CONTEXT_LENGTH, entry.agreement_id, entry.answer_id)
        elif entry.lines:
            bullet = len(entry.lines) > 1
            items += [as_typed(line, bullet=bullet, spacing="None" if bullet else None) for line in entry.lines]
        else:
            items.append(text(texts.CONTEXT_NOTHING, subtle=True))
    return container(items, style="emphasis")


def _comment_block(comment: ContextEntry | None) -> Element | None:
    """The subordinate's comments on the agreement (``who`` is the block's title)."""
    if comment is None:
        return None
    items = [text(comment.who, bold=True),
             *shortened(comment.lines[0], CONTEXT_LENGTH, comment.agreement_id, comment.answer_id)]
    return container(items, style="accent")


def _question_head(question: Question, progress: str, context_title: str,
                   context: Sequence[ContextEntry], comment: ContextEntry | None = None) -> list[Element | None]:
    body: list[Element | None] = [text(progress, subtle=True)]
    if question.heading:
        body.append(heading(question.heading, size="Medium"))
    if question.lead:
        body.append(text(question.lead))
    # A label can name a leader's goal ("Hvordan har det gått med utviklingsmålet «…»?").
    body.append(as_typed(question.label, bold=True))
    if question.help:
        body.append(text(question.help))
    if question.goal_actions:
        body.append(text(texts.GOAL_ACTIONS, subtle=True))
        body += [as_typed(action, bullet=True, spacing="None") for action in question.goal_actions]
    body.append(_comment_block(comment))
    body.append(_context_block(context_title, context))
    return body


def text_question_card(
    question: Question,
    progress: str,
    current: str | None,
    max_length: int,
    context_title: str = texts.CONTEXT_PREPARATION,
    context: Sequence[ContextEntry] = (),
    comment: ContextEntry | None = None,
) -> dict:
    """A question answered with text; the current answer is in the field, ready to edit."""
    body = _question_head(question, progress, context_title, context, comment)
    if current:
        body.append(text(texts.CURRENT_HINT, subtle=True))
    elif question.skippable:
        body.append(text(texts.SKIP_HINT, subtle=True))
    body.append(text_input("text", max_length=max_length, value=current, placeholder=texts.ANSWER_PLACEHOLDER))
    return card(body, answer_buttons(question.key, question.label, keep=bool(current), skip=question.skippable),
                fallback=question.label)


def choice_question_card(
    question: Question,
    progress: str,
    template: Template,
    minimum: int,
    maximum: int,
    current: Sequence[str] = (),
    context_title: str = texts.CONTEXT_PREPARATION,
    context: Sequence[ContextEntry] = (),
    comment: ContextEntry | None = None,
) -> dict:
    """The Lederplattformen choice as a multi-select of the statements."""
    body = _question_head(question, progress, context_title, context, comment)
    body.append(
        text(texts.CHOICE_HINT.format(minimum=common.number_word(minimum), maximum=common.number_word(maximum)),
             subtle=True)
    )
    choice_set: Element = {
        "type": "Input.ChoiceSet",
        "id": "choice",
        "isMultiSelect": True,
        "style": "expanded",
        "wrap": True,
        "choices": [
            {"title": f"{number}. {statement.text}", "value": statement.key}
            for number, statement in enumerate(template.platform_statements, start=1)
        ],
    }
    if current:
        choice_set["value"] = ",".join(current)
    body.append(choice_set)
    return card(body, answer_buttons(question.key, question.label, keep=bool(current)), fallback=question.label)


def statement_lines(template: Template, keys: Sequence[str]) -> tuple[str, ...]:
    """The chosen statements' texts (unknown keys are left out)."""
    known = {s.key: s.text for s in template.platform_statements}
    return tuple(known[key] for key in keys if key in known)
