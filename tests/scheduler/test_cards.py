"""Reminder cards: valid Adaptive Cards 1.5, the right buttons for the right agreement, Norwegian text."""

from __future__ import annotations

from datetime import date

import pytest

from agreement.template import FieldKind, load_template
from bot import actions
from bot.cards import MAX_CARD_BYTES, card_size
from scheduler import texts
from scheduler.cards import FollowupContent, GoalView, reminder_card, summary
from scheduler.planner import Kind, Message, PlannedItem
from tests.scheduler.helpers import World, agreement, at, change, leaders
from tests.support.cards import assert_shown_as_typed, assert_valid_card, card_nodes, shown_texts

TOP, SUP, A, B, C = 1, 2, 3, 4, 5


def world() -> World:
    people = leaders((TOP, "Patti Fernandez", None), (SUP, "Alex Wilber", TOP), (A, "Megan Bowen", SUP),
                     (B, "Adele Vance", SUP), (C, "Isaiah Langer", SUP))
    return World(2025, people, {
        10: agreement(10, SUP, A, 2025),
        11: agreement(11, SUP, B, 2025, meeting_at=at(date(2025, 3, 4), 10, 30), superior_prepared=True),
        12: agreement(12, SUP, C, 2025, meeting_at=at(date(2025, 3, 4), 13, 0), superior_prepared=True,
                      subordinate_prepared=True, filled=True),
        13: agreement(13, TOP, SUP, 2025, signed=True),
    })


def message(recipient: int, *items: tuple[Kind, int, date]) -> Message:
    return Message(recipient, tuple(PlannedItem(kind, recipient, agreement_id, due) for kind, agreement_id, due in items))


def followup_content(goals: tuple[GoalView, ...] = ()) -> FollowupContent:
    followup = load_template("lederavtale-2023").followup
    return FollowupContent(
        followup.paragraphs, followup.intro,
        tuple(f.label for f in followup.fields if f.kind is FieldKind.TEXT), goals,
    )


def submits(card: dict) -> list[dict]:
    return [node for node in card_nodes(card) if node.get("type") == "Action.Submit"]


def all_text(card: dict) -> str:
    return "\n".join(shown_texts(card))


def test_the_card_validator_catches_broken_cards() -> None:
    good = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hei"}]}
    assert_valid_card(good)
    broken = [
        {"type": "AdaptiveCard", "version": "1.6", "body": []},
        {"type": "AdaptiveCard", "body": []},
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "txt": "Hei"}]},
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Textblock", "text": "Hei"}]},
        {"type": "AdaptiveCard", "version": "1.5", "actions": [{"type": "Action.Submit", "title": "x", "data": {}}]},
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hei", "size": "Huge"}]},
    ]
    for card in broken:
        with pytest.raises(AssertionError):
            assert_valid_card(card)


def test_a_kickoff_lists_the_leaders_with_a_button_each_for_the_right_agreement() -> None:
    w = world()
    msg = message(SUP, *((Kind.KICKOFF, n, date(2025, 1, 10)) for n in (10, 11, 12)))
    card = reminder_card(msg, w.snapshot())
    assert_valid_card(card)
    text = all_text(card)
    assert texts.KICKOFF_HEADING in text and "31. mars" in text
    assert "Megan Bowen" in text and "Adele Vance" in text and "Isaiah Langer" in text
    assert [s["data"] for s in submits(card)] == [
        actions.submit_data(actions.PLAN, 10),  # not started: plan the meeting
        actions.submit_data(actions.FILL, 11),  # planned and Alex prepared: fill in after the meeting
        actions.submit_data(actions.SIGN, 12),  # filled: sign
    ]
    assert summary(msg) == texts.KICKOFF_HEADING


def test_combined_card_has_one_section_per_kind_in_order() -> None:
    w = world()
    msg = message(SUP, (Kind.MEETING_PREP, 11, date(2025, 3, 3)), (Kind.Q1_REMINDER, 10, date(2025, 2, 28)),
                  (Kind.Q1_REMINDER, 11, date(2025, 2, 28)))
    msg = Message(SUP, tuple(sorted(msg.items, key=lambda item: item.kind.order)))
    card = reminder_card(msg, w.snapshot())
    assert_valid_card(card)
    headings = [block["items"][0]["text"] for block in card["body"][1:]]
    assert headings == [texts.Q1_HEADING, texts.PREP_HEADING]
    assert "tirsdag 4. mars kl. 10.30" in all_text(card)  # local time, Norwegian format
    assert submits(card)[-1]["data"] == actions.submit_data(actions.PREPARE, 11)


def test_the_deadline_and_escalation_cards_show_status_only() -> None:
    w = world()
    passed = reminder_card(message(SUP, (Kind.DEADLINE_PASSED, 10, date(2025, 4, 1))), w.snapshot())
    assert_valid_card(passed)
    assert texts.DEADLINE_PASSED_HEADING in all_text(passed)
    escalation = reminder_card(message(TOP, (Kind.ESCALATION, 10, date(2025, 4, 1))), w.snapshot())
    assert_valid_card(escalation)
    text = all_text(escalation)
    assert "Alex Wilber og Megan Bowen" in text and "ikke startet" in text
    assert submits(escalation) == []  # nothing to do on other leaders' agreements


def test_the_followup_post_has_the_forms_questions_word_for_word_and_the_pairs_goals() -> None:
    w = world()
    goals = (
        GoalView("Ledelsesutvikling", "Bli tydeligere i endringsarbeid", ("Månedlige allmøter", "Mentor")),
        GoalView("Personell, økonomi og fag", "Redusere sykefravær", ()),
    )
    msg = message(SUP, (Kind.FOLLOWUP_START, 13, date(2025, 9, 1)))
    card = reminder_card(msg, w.snapshot(), {13: followup_content(goals)})
    assert_valid_card(card)
    text = all_text(card)
    template = load_template("lederavtale-2023").followup
    assert template.intro == "Her er noen punkter til hjelp i oppfølgingssamtalen:"
    for question in (f.label for f in template.fields if f.kind is FieldKind.TEXT):
        assert f"• {question}" in text
    assert "Hva trenger jeg av lederstøtte for å utvikle meg videre?" in text
    assert "Lederavtalen med Patti Fernandez" in text
    assert "Ledelsesutvikling: Bli tydeligere i endringsarbeid" in text and "• Mentor" in text
    assert "28. november" in text  # 30 November 2025 is a Sunday
    assert [s["data"] for s in submits(card)] == [actions.submit_data(actions.FOLLOWUP_REFLECT, 13)]


def test_a_followup_post_about_several_agreements_shows_the_questions_once() -> None:
    w = world()
    for key in (10, 11):
        w.agreements[key] = change(w.agreements[key], signed=True)
    msg = message(SUP, (Kind.FOLLOWUP_START, 10, date(2025, 9, 1)), (Kind.FOLLOWUP_START, 11, date(2025, 9, 1)),
                  (Kind.FOLLOWUP_START, 13, date(2025, 9, 1)))
    card = reminder_card(msg, w.snapshot(), {n: followup_content() for n in (10, 11, 13)})
    assert_valid_card(card)
    text = all_text(card)
    assert text.count("Hva kan vi gjøre for å komme videre i arbeidet?") == 1
    assert text.count(texts.FOLLOWUP_NO_GOALS) == 3
    assert [s["data"]["agreement_id"] for s in submits(card)] == [10, 11, 13]


def test_a_followup_post_too_large_for_teams_leaves_the_goals_to_the_flow() -> None:
    w = world()
    many = tuple(GoalView("Personell, økonomi og fag", "Mål " + "x" * 400, ("tiltak " + "y" * 300,) * 5) for _ in range(12))
    msg = message(SUP, (Kind.FOLLOWUP_START, 13, date(2025, 9, 1)))
    card = reminder_card(msg, w.snapshot(), {13: followup_content(many)})
    assert_valid_card(card)
    assert card_size(card) <= MAX_CARD_BYTES
    assert texts.FOLLOWUP_GOALS_TOO_MANY in all_text(card) and "Mål xxx" not in all_text(card)


def test_november_reminders_point_to_recording_or_confirming() -> None:
    w = world()
    w.agreements[10] = change(w.agreements[10], signed=True)
    w.agreements[11] = change(w.agreements[11], signed=True, followup_recorded=True)
    w.agreements[12] = change(w.agreements[12], signed=True, followup_recorded=True, superior_followup_confirmed=True)
    msg = message(SUP, *((Kind.FOLLOWUP_REMINDER, n, date(2025, 10, 31)) for n in (10, 11, 12)))
    card = reminder_card(msg, w.snapshot())
    assert_valid_card(card)
    assert [s["data"] for s in submits(card)] == [
        actions.submit_data(actions.FOLLOWUP_RECORD, 10), actions.submit_data(actions.FOLLOWUP_CONFIRM, 11),
    ]
    assert "Venter på Isaiah Langer" in all_text(card)


def test_a_long_list_is_cut_with_a_pointer_to_status() -> None:
    people = leaders((SUP, "Alex Wilber", None), *((100 + n, f"Leder {n}", SUP) for n in range(60)))
    w = World(2025, people, {200 + n: agreement(200 + n, SUP, 100 + n, 2025) for n in range(60)})
    card = reminder_card(message(SUP, *((Kind.Q1_REMINDER, 200 + n, date(2025, 2, 28)) for n in range(60))), w.snapshot())
    assert_valid_card(card)
    assert card_size(card) <= MAX_CARD_BYTES
    assert "… og 20 til." in all_text(card)


def test_a_followup_post_needs_its_content() -> None:
    with pytest.raises(ValueError, match="no follow-up content"):
        reminder_card(message(SUP, (Kind.FOLLOWUP_START, 13, date(2025, 9, 1))), world().snapshot())


def test_the_autumn_post_shows_the_pairs_goals_as_typed() -> None:
    typed = "Se [lenke](http://example.com) og *x* og _y_\n26) tjueseks\n# ikke overskrift\n- ikke punkt"
    action = "26) *x* _y_ [lenke](http://example.com)"
    goals = (GoalView("Ledelsesutvikling", typed, (action, typed)),)
    card = reminder_card(message(SUP, (Kind.FOLLOWUP_START, 13, date(2025, 9, 1))), world().snapshot(),
                         {13: followup_content(goals)})
    assert_valid_card(card)
    markers = ("lenke", "*x*", "_y_", "26) *", "tjueseks", "ikke overskrift", "ikke punkt")
    assert_shown_as_typed(card, "Ledelsesutvikling: " + typed, markers=markers)
    assert_shown_as_typed(card, "• " + action, markers=markers)
    assert_shown_as_typed(card, "• " + typed, markers=markers)
