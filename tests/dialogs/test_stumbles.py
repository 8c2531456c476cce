"""Fewer ways to stumble: a goal used once, «Fjern» confirmed, «Hopp over» pointed to, choices as people write
them, and example dates that lie ahead."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from botbuilder.dialogs import ComponentDialog, DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy import select

from agreement.goals import add_goal
from bot import actions
from dialogs.flow import DialogDeps
from dialogs.goals_dialog import GoalsDialog
from dialogs.reply import example_when
from dialogs.texts import common
from dialogs.texts import goals as gtexts
from dialogs.texts import plan as ptexts
from dialogs.texts import preparation as prep_texts
from dialogs.texts import questions as qtexts
from storage.models import Agreement, Goal, Phase, utcnow
from tests.agreement.helpers import MAX_LENGTH, act
from tests.dialogs.harness import Chat, all_cards, answers, goals, joined
from tests.dialogs.helpers import prepare
from tests.support.cards import submit_data

GOALS_LABEL = "Sett utviklingsmål og tiltak for kommende periode."
FINISHED = "Målene er ferdige."


class GoalsHost(ComponentDialog):
    """The goals list of the Ledelsesutvikling section as a chat's root dialog, as a walk through the form starts it."""

    def __init__(self, deps: DialogDeps, phase: Phase, agreement_id: int) -> None:
        super().__init__("GoalsHost")
        self.goal_options = {"agreement_id": agreement_id, "question": "ledelsesutvikling.mal",
                             "section_key": "ledelsesutvikling", "progress": "6 av 11", "label": GOALS_LABEL}
        self.add_dialog(GoalsDialog("goals", deps, phase))
        self.add_dialog(WaterfallDialog("host", [self.start_step, self.end_step]))
        self.initial_dialog_id = "host"

    async def start_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        return await step.begin_dialog("goals", dict(self.goal_options))

    async def end_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        await step.context.send_activity(FINISHED)
        return await step.end_dialog()


def goal_button(replies, option: str, goal_id: int) -> dict:
    """The data (with its step token) of the last card's button ``option`` for one goal."""
    found = [data for data in submit_data(all_cards(replies[-1:]))
             if data.get("option") == option and data.get("goal_id") == goal_id]
    assert len(found) == 1, found
    return found[0]


async def goal_id(session_factory, title: str, phase: Phase) -> int:
    async with session_factory() as session:
        return (await session.scalars(
            select(Goal.id).where(Goal.title == title, Goal.phase == phase, Goal.removed_at.is_(None))
        )).one()


async def tokens(session_factory, agreement_id: int) -> list[tuple[str, str | None, bool]]:
    """Every agreed goal row, removed ones too: title, source token, removed."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(Goal).where(Goal.agreement_id == agreement_id, Goal.phase == Phase.AGREEMENT).order_by(Goal.id)
        )
        return [(g.title, g.source_token, g.removed_at is not None) for g in rows]


# --- no duplicate goals -------------------------------------------------------------------


async def test_a_goal_from_the_preparation_is_added_once(session_factory, pair, deps) -> None:
    await prepare(session_factory, pair.subordinate, pair.agreement, "fra Megan")
    await prepare(session_factory, pair.superior, pair.agreement, "fra Alex")
    megans = await goal_id(session_factory, "mål fra Megan", Phase.PREPARATION)
    chat = Chat(GoalsHost(deps, Phase.AGREEMENT, pair.agreement), pair.superior, session_factory)

    replies = await chat.say("start")
    assert gtexts.SUGGESTIONS in joined(replies) and "mål fra Megan" in joined(replies)
    replies = await chat.submit(goal_button(replies, "use", megans))
    assert gtexts.SAVED.format(title="mål fra Megan") in joined(replies)
    # The list is sent again, with the suggestion still on it: pressed on this sending, it adds nothing.
    replies = await chat.submit(goal_button(replies, "use", megans))
    assert gtexts.ALREADY_USED.format(title="mål fra Megan") in joined(replies)
    assert gtexts.SAVED.format(title="mål fra Megan") not in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == [
        ("ledelsesutvikling", "mål fra Megan", ["tiltak fra Megan"])
    ]
    assert await tokens(session_factory, pair.agreement) == [("mål fra Megan", f"use:{megans}:agreement:0", False)]

    # Changed in the agreement, it is still the goal taken from Megan's preparation.
    agreed = await goal_id(session_factory, "mål fra Megan", Phase.AGREEMENT)
    replies = await chat.submit(goal_button(replies, "edit", agreed))
    replies = await chat.say("mål fra Megan, skjerpet")
    replies = await chat.say("behold")
    assert gtexts.CHANGED.format(title="mål fra Megan, skjerpet") in joined(replies)
    replies = await chat.submit(goal_button(replies, "use", megans))
    assert gtexts.ALREADY_USED.format(title="mål fra Megan") in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == [
        ("ledelsesutvikling", "mål fra Megan, skjerpet", ["tiltak fra Megan"])
    ]
    # Alex's own suggestion is another goal.
    alexs = await goal_id(session_factory, "mål fra Alex", Phase.PREPARATION)
    replies = await chat.submit(goal_button(replies, "use", alexs))
    assert gtexts.SAVED.format(title="mål fra Alex") in joined(replies)
    replies = await chat.press(replies, gtexts.DONE)
    assert FINISHED in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == [
        ("ledelsesutvikling", "mål fra Megan, skjerpet", ["tiltak fra Megan"]),
        ("ledelsesutvikling", "mål fra Alex", ["tiltak fra Alex"]),
    ]


async def test_a_goal_typed_alike_is_not_added_again_from_the_preparation(session_factory, pair, deps) -> None:
    await prepare(session_factory, pair.subordinate, pair.agreement, "fra Megan")
    await prepare(session_factory, pair.superior, pair.agreement, "fra Alex")
    megans = await goal_id(session_factory, "mål fra Megan", Phase.PREPARATION)
    chat = Chat(GoalsHost(deps, Phase.AGREEMENT, pair.agreement), pair.superior, session_factory)
    replies = await chat.say("start")
    replies = await chat.press(replies, gtexts.ADD)
    replies = await chat.say("Mål fra Megan")
    replies = await chat.say("tiltak fra Megan")
    assert gtexts.SAVED.format(title="Mål fra Megan") in joined(replies)
    replies = await chat.submit(goal_button(replies, "use", megans))
    assert gtexts.ALREADY_USED.format(title="mål fra Megan") in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == [
        ("ledelsesutvikling", "Mål fra Megan", ["tiltak fra Megan"])
    ]


# --- «Fjern» asks first ---------------------------------------------------------------------


async def test_removing_a_goal_asks_first(session_factory, pair, deps) -> None:
    await act(session_factory, pair.subordinate, pair.agreement,
              lambda s, o: add_goal(s, o, "ledelsesutvikling", Phase.PREPARATION, "Bedre møter",
                                    ["Agenda på forhånd", "Referat samme dag"], max_length=MAX_LENGTH))
    kept = [("ledelsesutvikling", "Bedre møter", ["Agenda på forhånd", "Referat samme dag"])]
    meetings = await goal_id(session_factory, "Bedre møter", Phase.PREPARATION)
    chat = Chat(GoalsHost(deps, Phase.PREPARATION, pair.agreement), pair.subordinate, session_factory)
    replies = await chat.say("start")

    replies = await chat.submit(goal_button(replies, "remove", meetings))
    text = joined(replies)
    assert gtexts.CONFIRM_REMOVE.format(title="Bedre møter") in text and "Referat samme dag" in text
    assert gtexts.REMOVED.format(title="Bedre møter") not in text
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == kept
    # «Behold» keeps it and shows the list again.
    replies = await chat.press(replies, gtexts.KEEP)
    assert gtexts.KEPT.format(title="Bedre møter") in joined(replies) and gtexts.DONE in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == kept

    # Something else typed is answered with the two choices; «Fjern» removes it.
    replies = await chat.submit(goal_button(replies, "remove", meetings))
    replies = await chat.say("kanskje")
    assert gtexts.CONFIRM_REMOVE_HINT in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == kept
    replies = await chat.press(replies, gtexts.REMOVE)
    assert gtexts.REMOVED.format(title="Bedre møter") in joined(replies) and gtexts.NONE_YET in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == []
    async with session_factory() as session:
        removed = (await session.scalars(select(Goal.title).where(Goal.removed_at.is_not(None)))).all()
    assert removed == ["Bedre møter"]  # kept as history


async def test_removing_by_typing_and_a_goal_gone_meanwhile(session_factory, pair, deps) -> None:
    for title in ("Bedre møter", "Delegere mer"):
        await act(session_factory, pair.subordinate, pair.agreement,
                  lambda s, o, title=title: add_goal(s, o, "ledelsesutvikling", Phase.PREPARATION, title, ["Tiltak"],
                                                     max_length=MAX_LENGTH))
    meetings = await goal_id(session_factory, "Bedre møter", Phase.PREPARATION)
    delegating = await goal_id(session_factory, "Delegere mer", Phase.PREPARATION)
    chat = Chat(GoalsHost(deps, Phase.PREPARATION, pair.agreement), pair.subordinate, session_factory)
    replies = await chat.say("start")
    replies = await chat.submit(goal_button(replies, "remove", meetings))
    replies = await chat.say("Ja")
    assert gtexts.REMOVED.format(title="Bedre møter") in joined(replies)

    # Asked about a goal that another chat of the same leader removes before the answer.
    replies = await chat.submit(goal_button(replies, "remove", delegating))
    async with session_factory() as session:
        (await session.get(Goal, delegating)).removed_at = utcnow()
        await session.commit()
    replies = await chat.press(replies, gtexts.REMOVE)
    assert gtexts.ALREADY_REMOVED.format(title="Delegere mer") in joined(replies) and gtexts.NONE_YET in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == []


# --- an optional field points to «Hopp over» ------------------------------------------------


async def start_preparation(chat: Chat, agreement_id: int) -> list:
    replies = await chat.submit(actions.submit_data(actions.PREPARE, agreement_id))
    return await chat.press(replies, prep_texts.GO_TO_QUESTIONS)


async def test_an_empty_optional_answer_points_to_skipping(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    replies = await start_preparation(chat, pair.agreement)
    # A question that must be answered says so, without offering to skip.
    replies = await chat.press(replies, common.BUTTON_SAVE, text="  ")
    assert common.EMPTY in joined(replies) and common.EMPTY_SKIPPABLE not in joined(replies)
    replies = await chat.say("Bidraget")
    assert "2 av 11" in joined(replies) and "Notatfelt" in joined(replies)
    replies = await chat.press(replies, common.BUTTON_SAVE, text="")
    text = joined(replies)
    assert common.EMPTY_SKIPPABLE in text and "«Hopp over»" in common.EMPTY_SKIPPABLE
    assert "2 av 11" in text and common.BUTTON_SKIP in text
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": "Bidraget"
    }
    replies = await chat.press(replies, common.BUTTON_SKIP)
    assert "3 av 11" in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": "Bidraget"
    }


# --- choices as people write them -----------------------------------------------------------


async def to_choice(chat: Chat, agreement_id: int) -> list:
    replies = await start_preparation(chat, agreement_id)
    replies = await chat.say("Bidraget")
    replies = await chat.say("hopp over")
    assert "Med utgangspunkt i lederplattformen, velg ut to-tre tema/forventninger." in joined(replies)
    return replies


@pytest.mark.parametrize(("typed", "keys"), [
    ("1 og 3", ["apen", "trygg"]),
    ("1,3", ["apen", "trygg"]),
    ("1 3", ["apen", "trygg"]),
    ("1, 3 og 4", ["apen", "trygg", "rollemodell"]),
    ("tillit og innovasjon", ["tillit", "endring"]),
    ("Viser retning, GODE ROLLEMODELLER", ["retning", "rollemodell"]),
    ("ER ÅPNE, TROVERDIGE OG ENGASJERTE og gir tillit", ["apen", "tillit"]),
    ("åpen\ntrygg", ["apen", "trygg"]),
])
async def test_a_choice_is_understood_as_written(session_factory, pair, chat_for, typed, keys) -> None:
    chat = chat_for(pair.subordinate)
    await to_choice(chat, pair.agreement)
    replies = await chat.say(typed)
    assert "Hva er leder god til, og hvorfor?" in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved["ledelsesutvikling.tema"] == json.dumps(keys)


async def test_unknown_parts_of_a_choice_are_refused_with_the_known_ones_ticked(session_factory, pair,
                                                                                chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await to_choice(chat, pair.agreement)
    unknown = qtexts.CHOICE_UNKNOWN.format(count=7)
    # «blåbær» names no statement; «bygger» begins two of them.
    for typed, ticked in (("1 og blåbær", "apen"), ("bygger og tillit", "tillit")):
        replies = await chat.say(typed)
        assert unknown in joined(replies)
        choice_set = next(node for content in all_cards(replies) for node in content["body"]
                          if node.get("type") == "Input.ChoiceSet")
        assert choice_set["value"] == ticked
    assert "ledelsesutvikling.tema" not in await answers(session_factory, pair.agreement, Phase.PREPARATION,
                                                         pair.subordinate)
    # Too few understood is counted as before.
    replies = await chat.say("gir tillit")
    assert "Du valgte ett utsagn." in joined(replies)
    replies = await chat.say("tillit og bygger relasjoner")
    assert "Hva er leder god til, og hvorfor?" in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved["ledelsesutvikling.tema"] == json.dumps(["tillit", "relasjoner"])


# --- example dates from today ---------------------------------------------------------------


def test_the_example_time_is_the_next_weekday() -> None:
    monday = date(2026, 2, 2)
    expected = {0: "03.02.2026", 1: "04.02.2026", 2: "05.02.2026", 3: "06.02.2026", 4: "09.02.2026",
                5: "09.02.2026", 6: "09.02.2026"}
    for offset, day in expected.items():
        assert example_when(monday + timedelta(days=offset)) == f"{day} 09:00"
    assert example_when(date(2026, 12, 31)) == "01.01.2027 09:00"


@pytest.mark.parametrize(("now", "example", "said"), [
    (datetime(2026, 2, 2, 8, 0, tzinfo=timezone.utc), "03.02.2026 09:00", "tirsdag 3. februar 2026 kl. 09.00"),
    (datetime(2026, 2, 6, 15, 0, tzinfo=timezone.utc), "09.02.2026 09:00", "mandag 9. februar 2026 kl. 09.00"),
])
async def test_typing_the_example_time_is_accepted(session_factory, pair, chat_for, clock, now, example,
                                                   said) -> None:
    clock.now = now
    chat = chat_for(pair.superior)
    replies = await chat.submit(actions.submit_data(actions.PLAN, pair.agreement))
    assert ptexts.TYPED_HINT.format(example=example) in joined(replies)
    date_input = next(node for content in all_cards(replies) for node in content["body"]
                      if node.get("type") == "Input.Date")
    assert date_input["errorMessage"] == ptexts.INVALID_WHEN.format(example=example)
    replies = await chat.say("en gang neste uke")
    assert ptexts.INVALID_WHEN.format(example=example) in joined(replies)
    replies = await chat.say(example)
    assert ptexts.DONE.format(name="Megan Bowen", when=said) in joined(replies)
    async with session_factory() as session:
        meeting = (await session.get(Agreement, pair.agreement)).meeting_at
    day, month, year = (int(part) for part in example.split()[0].split("."))
    # 09:00 in Oslo in winter is 08:00 UTC.
    assert meeting.replace(tzinfo=meeting.tzinfo or timezone.utc) == datetime(year, month, day, 8, 0,
                                                                               tzinfo=timezone.utc)
