"""The filled agreement, the signed summary and the follow-up record, as cards."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from agreement.signatures import Signature
from agreement.template import FieldKind
from bot import actions
from bot.cards import MAX_CARD_BYTES, Element, as_typed, bullets, card, card_size, container, heading, submit, text
from dialogs.agreement_view import AgreementView, PreparationView
from dialogs.cards.questions import statement_lines
from dialogs.cards.whole_text import VIEW_LENGTH, shortened
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


def _signature(label: str, place_and_date_label: str, name: str, signed: Signature | None,
               localise: Callable[[datetime], datetime]) -> Element:
    """One signer: who, whether signed, their own place and date (as typed) and their answer on sharing."""
    if signed is None:
        return container([text(label, bold=True), text(texts.SIGNER.format(name=name, state=texts.UNSIGNED))])
    state = texts.SIGNED_AT.format(date=common.format_date(localise(signed.signed_at)))
    return container([
        text(label, bold=True),
        text(texts.SIGNER.format(name=name, state=state), spacing="None"),
        text(place_and_date_label, subtle=True, spacing="Small"),
        # The place and date is typed by a leader.
        as_typed(signed.place_and_date, spacing="None"),
        text(texts.SHARES.format(answer=texts.YES if signed.shares_development else texts.NO), subtle=True),
    ])


def _signatures(view: AgreementView, localise: Callable[[datetime], datetime]) -> list[Element]:
    signing = view.template.signing
    items = [
        _signature(signing.subordinate, signing.place_and_date, view.subordinate_name, view.subordinate_signature,
                   localise),
        _signature(signing.superior, signing.place_and_date, view.superior_name, view.superior_signature, localise),
    ]
    if view.subordinate_signature and view.superior_signature:
        both_yes = view.subordinate_signature.shares_development and view.superior_signature.shares_development
        items.append(text(texts.SHARED if both_yes else texts.NOT_SHARED))
    return items


def signed_by_both(view: AgreementView) -> bool:
    """Both leaders have signed the agreement shown."""
    return view.subordinate_signature is not None and view.superior_signature is not None


def _answer_items(view: AgreementView, section_key: str, field, limit: int | None) -> list[Element]:
    if field.kind is FieldKind.GOALS:
        return _goals(view.goals.get(section_key, []))
    if field.kind is FieldKind.PLATFORM_CHOICE:
        chosen = statement_lines(view.template, view.choice(field.key))
        return [bullets(chosen) if chosen else text(EMPTY_ANSWER)]
    typed = view.answers.get(field.key)
    if typed and limit is not None:
        return shortened(typed, limit, view.agreement_id, view.answer_ids.get(field.key))
    return [_typed_or_empty(typed)]


def _recorded_card(view: AgreementView, title: str, content: Sequence[Element], buttons: Sequence[Element],
                   lead: str | None, question: str | None, under_title: Sequence[Element] = ()) -> dict:
    """``content`` under its title, ``under_title`` and the two parties; ``lead`` above, ``question`` under it."""
    body = [
        text(lead, bold=True) if lead else None,
        heading(title),
        *under_title,
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
    """The agreement as recorded by the superior, with both signatures.

    Headed with the agreement's own year, the form's subtitle and the form it was made on.
    ``lead`` is said above the agreement (e.g. why it is sent), ``question`` under it, by the
    buttons. Signed by both, it also has the button for changing one's answer on sharing.
    """
    template = view.template
    if signed_by_both(view):
        buttons = [*buttons, submit(texts.SHARING_BUTTON, actions.submit_data(actions.SHARING, view.agreement_id))]
    under_title = [text(template.subtitle, spacing="None"),
                   text(texts.SOURCE.format(title=template.title), subtle=True)]
    # Whole answers when the card can hold them; else shortened, each with «Les hele teksten»
    # (Teams refuses a card above its size limit, and then the leader would see nothing).
    for limit in (None, VIEW_LENGTH):
        content: list[Element] = []
        for section in template.sections:
            items: list[Element] = [heading(section.heading, size="Medium")]
            for field in section.fields:
                items.append(text(field.label, bold=True))
                items += _answer_items(view, section.key, field, limit)
            content.append(container(items, separator=True))
        content.append(container(_signatures(view, localise), separator=True))
        built = _recorded_card(view, texts.HEADING.format(year=view.year), content, buttons, lead, question,
                               under_title)
        if card_size(built) <= MAX_CARD_BYTES:
            break
    return built


def followup_card(view: AgreementView, buttons: Sequence[Element] = (), *, lead: str | None = None,
                  question: str | None = None, after: Sequence[Element] = ()) -> dict:
    """The follow-up conversation as recorded by the superior (``lead`` above, ``question`` under it).

    ``after`` stands under the record, e.g. the subordinate's comment on it.
    """
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
    content += after
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
    for limit in (None, VIEW_LENGTH):  # shortened only when whole answers would not fit in one card
        body: list[Element] = [heading(ptexts.PREPARATIONS_TITLE),
                               text(ptexts.PREPARATIONS_INTRO.format(name=view.other_name))]
        for section in template.sections:
            items: list[Element] = [heading(section.heading, size="Medium")]
            for field in section.fields:
                items.append(text(field.label, bold=True))
                for who, prepared in ((qtexts.CONTEXT_OWN, view.own), (view.other_name, view.other)):
                    items.append(text(who, subtle=True, spacing="Small"))
                    items += _answer_items(prepared, section.key, field, limit)
            body.append(container(items, separator=True))
        built = card(body, buttons, fallback=ptexts.PREPARATIONS_TITLE)
        if card_size(built) <= MAX_CARD_BYTES:
            break
    return built
