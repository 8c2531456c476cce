"""The reminder cards' content, one card per leader per day, built from the kit in :mod:`bot.cards`.

The cards are built from a planned :class:`~scheduler.planner.Message`, the snapshot it was
planned from (names, statuses, dates) and, for the autumn post, the follow-up content read
through the access-checked path (the two leaders' own goals). Buttons carry
``bot.actions.submit_data(action, agreement_id)`` so that a press opens the right flow for
the right agreement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agreement.status import AgreementStatus
from bot import actions
from bot.cards import MAX_CARD_BYTES, Element, as_typed, card, card_size, container, flow_buttons, heading, text
from scheduler import texts
from scheduler.planner import AgreementInfo, Kind, Message, PlannedItem, Snapshot

#: Rows listed per section before "... and N more".
MAX_ROWS = 40


@dataclass(frozen=True)
class GoalView:
    """One spring goal as shown to the pair: the section heading, the goal and its actions."""

    section: str
    title: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class FollowupContent:
    """The follow-up text of the agreement's template and the pair's spring goals."""

    paragraphs: tuple[str, ...]
    intro: str | None
    questions: tuple[str, ...]
    goals: tuple[GoalView, ...]


# --- what the superior should do next ----------------------------------------------------


def spring_action(agreement: AgreementInfo) -> str | None:
    """The superior's next step in spring (None while waiting for the subordinate)."""
    status = agreement.status
    if status is AgreementStatus.IKKE_STARTET:
        return actions.PLAN
    if status in (AgreementStatus.PLANLAGT, AgreementStatus.FORBEREDT):
        # Sent back with comments: the superior changes the agreed text (as the menu offers).
        return actions.FILL if agreement.superior_prepared or agreement.review_comments else actions.PREPARE
    if status is AgreementStatus.UTFYLT and not agreement.superior_signed:
        return actions.SIGN
    return None


def followup_action(agreement: AgreementInfo) -> str | None:
    """The superior's next step in the autumn follow-up (None while waiting for the subordinate)."""
    if not agreement.followup_recorded:
        return actions.FOLLOWUP_RECORD
    if not agreement.superior_followup_confirmed:
        return actions.FOLLOWUP_CONFIRM
    return None


# --- sections ------------------------------------------------------------------------------


def _button(action: str, agreement_id: int) -> Element:
    return flow_buttons(texts.BUTTONS, [action], agreement_id)


def _section(title: str, items: list[Element]) -> Element:
    return container([heading(title, size="Medium"), *items], separator=True)


def _row(title: str, agreement: AgreementInfo, *more: Element) -> Element:
    """One agreement in a list: who, its status, and what follows (a button or who is awaited)."""
    status = text(texts.ROW_STATUS.format(status=agreement.status.label), subtle=True, spacing="None")
    return container([text(title, bold=True), status, *more], spacing="Medium")


def _limited(rows: list[Element]) -> list[Element]:
    if len(rows) <= MAX_ROWS:
        return rows
    return rows[:MAX_ROWS] + [text(texts.MORE_ROWS.format(count=len(rows) - MAX_ROWS), subtle=True)]


def _superior_rows(items: tuple[PlannedItem, ...], snapshot: Snapshot, next_action) -> list[Element]:
    rows = []
    for item in items:
        agreement = snapshot.agreement(item.agreement_id)
        subordinate = snapshot.leaders[agreement.subordinate_id].name
        action = next_action(agreement)
        if action is None:
            then = text(texts.ROW_WAITING_FOR.format(name=subordinate), subtle=True, spacing="None")
        else:
            then = _button(action, agreement.id)
        rows.append(_row(subordinate, agreement, then))
    return _limited(rows)


def _superior_list(title: str, body: str, items, snapshot: Snapshot, next_action) -> Element:
    return _section(title, [text(body), *_superior_rows(items, snapshot, next_action)])


def _escalation(items: tuple[PlannedItem, ...], snapshot: Snapshot, deadline: str) -> Element:
    rows = []
    for item in items:
        agreement = snapshot.agreement(item.agreement_id)
        pair = texts.ESCALATION_ROW.format(
            superior=snapshot.leaders[agreement.superior_id].name,
            subordinate=snapshot.leaders[agreement.subordinate_id].name,
        )
        rows.append(_row(pair, agreement))
    return _section(texts.ESCALATION_HEADING, [text(texts.ESCALATION_BODY.format(deadline=deadline)), *_limited(rows)])


def _meeting_prep(message: Message, snapshot: Snapshot) -> Element:
    calendar = snapshot.calendar
    items: list[Element] = []
    for item in message.items_of(Kind.MEETING_PREP):
        agreement = snapshot.agreement(item.agreement_id)
        other = snapshot.leaders[agreement.other(message.recipient_id)].name
        local = agreement.meeting_at.astimezone(calendar.timezone)
        when = texts.PREP_WHEN.format(weekday=texts.weekday_day_month(local.date()), clock=texts.clock(local))
        items.append(text(texts.PREP_BODY.format(other=other, when=when)))
        items.append(_button(actions.PREPARE, agreement.id))
    items.append(text(texts.PREP_PRIVATE, subtle=True))
    return _section(texts.PREP_HEADING, items)


def _goals(goals: tuple[GoalView, ...]) -> list[Element]:
    items = [text(texts.FOLLOWUP_GOALS)]
    for goal in goals:
        # The goals and actions are the leaders' own words: shown as typed, never as Markdown.
        items.append(as_typed(texts.FOLLOWUP_GOAL.format(section=goal.section, title=goal.title), bold=True,
                              spacing="Small"))
        items.extend(
            as_typed(texts.FOLLOWUP_ACTION_BULLET.format(text=action), spacing="None") for action in goal.actions
        )
    return items


def _followup_post(
    message: Message, snapshot: Snapshot, content: Mapping[int, FollowupContent], with_goals: bool
) -> Element:
    calendar = snapshot.calendar
    items: list[Element] = []
    shown_texts: set[tuple] = set()
    for item in message.items_of(Kind.FOLLOWUP_START):
        post = content[item.agreement_id]
        form_text = (post.paragraphs, post.intro, post.questions)
        if form_text not in shown_texts:  # the form's text once per template, not once per agreement
            shown_texts.add(form_text)
            items.extend(text(paragraph) for paragraph in post.paragraphs)
            if post.intro:
                items.append(text(post.intro))
            items.extend(text(f"• {question}", spacing="Small") for question in post.questions)
    items.append(text(texts.FOLLOWUP_DEADLINE.format(deadline=texts.day_month(calendar.followup_deadline))))
    for item in message.items_of(Kind.FOLLOWUP_START):
        agreement = snapshot.agreement(item.agreement_id)
        other = snapshot.leaders[agreement.other(message.recipient_id)].name
        block: list[Element] = [text(texts.FOLLOWUP_WITH.format(other=other), bold=True)]
        goals = content[item.agreement_id].goals
        if not with_goals:
            block.append(text(texts.FOLLOWUP_GOALS_TOO_MANY, subtle=True))
        elif not goals:
            block.append(text(texts.FOLLOWUP_NO_GOALS, subtle=True))
        else:
            block += _goals(goals)
        block.append(_button(actions.FOLLOWUP_REFLECT, agreement.id))
        items.append(container(block, spacing="Medium"))
    return _section(texts.FOLLOWUP_HEADING, items)


# --- the card ------------------------------------------------------------------------------


def _body(message: Message, snapshot: Snapshot, content: Mapping[int, FollowupContent], with_goals: bool) -> list:
    calendar = snapshot.calendar
    q1_deadline = texts.day_month(calendar.q1_deadline)
    body: list[Element] = [heading(texts.CARD_TITLE.format(year=snapshot.year))]
    for kind in message.kinds:
        items = message.items_of(kind)
        if kind is Kind.KICKOFF:
            body.append(_superior_list(
                texts.KICKOFF_HEADING, texts.KICKOFF_BODY.format(year=snapshot.year, deadline=q1_deadline),
                items, snapshot, spring_action,
            ))
        elif kind is Kind.Q1_REMINDER:
            body.append(_superior_list(
                texts.Q1_HEADING, texts.Q1_BODY.format(deadline=q1_deadline), items, snapshot, spring_action
            ))
        elif kind is Kind.DEADLINE_PASSED:
            body.append(_superior_list(
                texts.DEADLINE_PASSED_HEADING, texts.DEADLINE_PASSED_BODY.format(deadline=q1_deadline),
                items, snapshot, spring_action,
            ))
        elif kind is Kind.ESCALATION:
            body.append(_escalation(items, snapshot, q1_deadline))
        elif kind is Kind.MEETING_PREP:
            body.append(_meeting_prep(message, snapshot))
        elif kind is Kind.FOLLOWUP_START:
            body.append(_followup_post(message, snapshot, content, with_goals))
        elif kind is Kind.FOLLOWUP_REMINDER:
            body.append(_superior_list(
                texts.FOLLOWUP_REMINDER_HEADING,
                texts.FOLLOWUP_REMINDER_BODY.format(deadline=texts.day_month(calendar.followup_deadline)),
                items, snapshot, followup_action,
            ))
    return body


def reminder_card(
    message: Message, snapshot: Snapshot, content: Mapping[int, FollowupContent] | None = None
) -> dict[str, Any]:
    """The Adaptive Card for one leader's reminders of the day."""
    content = content or {}
    missing = [item.agreement_id for item in message.items_of(Kind.FOLLOWUP_START) if item.agreement_id not in content]
    if missing:
        raise ValueError(f"no follow-up content for agreement(s) {missing}")
    full = card(_body(message, snapshot, content, with_goals=True), fallback=texts.FALLBACK)
    if card_size(full) > MAX_CARD_BYTES and Kind.FOLLOWUP_START in message.kinds:
        return card(_body(message, snapshot, content, with_goals=False), fallback=texts.FALLBACK)
    return full


def summary(message: Message) -> str:
    """The notification text: the first section's heading."""
    headings = {
        Kind.KICKOFF: texts.KICKOFF_HEADING,
        Kind.Q1_REMINDER: texts.Q1_HEADING,
        Kind.DEADLINE_PASSED: texts.DEADLINE_PASSED_HEADING,
        Kind.ESCALATION: texts.ESCALATION_HEADING,
        Kind.MEETING_PREP: texts.PREP_HEADING,
        Kind.FOLLOWUP_START: texts.FOLLOWUP_HEADING,
        Kind.FOLLOWUP_REMINDER: texts.FOLLOWUP_REMINDER_HEADING,
    }
    kinds = message.kinds
    return headings[kinds[0]] if kinds else texts.SUMMARY
