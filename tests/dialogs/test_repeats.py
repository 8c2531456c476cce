"""Every answer names what it answers: step tokens on the cards, repeats answered once, whose agreement it is."""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes

from bot import actions
from bot import texts as bot_texts
from bot.turn import STEP
from dialogs.reply import AGREEMENT
from dialogs.texts import common
from dialogs.texts import goals as gtexts
from dialogs.texts import preparation as ptexts
from storage.models import Phase
from tests.dialogs.harness import Chat, all_cards, answers, goals, joined
from tests.support.cards import submit_data

FIRST = "styringsbrev.bidrag"


async def start(chat: Chat, agreement_id: int) -> list[Activity]:
    replies = await chat.submit(actions.submit_data(actions.PREPARE, agreement_id))
    return await chat.press(replies, ptexts.GO_TO_QUESTIONS)


def save_button(replies: list[Activity]) -> dict:
    [data] = [item for item in submit_data(all_cards(replies)) if item.get("reply") == "answer"]
    return data


async def test_a_question_card_carries_its_agreement_question_and_step(pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    first = save_button(await start(chat, pair.agreement))
    assert first["question"] == FIRST and first[AGREEMENT] == pair.agreement and len(first[STEP]) == 16
    second = save_button(await chat.say("Bidrag"))
    assert second["question"] != FIRST and second[STEP] != first[STEP]


async def test_every_question_card_names_the_other_leader(pair, chat_for) -> None:
    subordinate = chat_for(pair.subordinate)
    replies = await start(subordinate, pair.agreement)
    assert "Din lederavtale med Alex Wilber" in joined(replies)
    superior = chat_for(pair.superior)
    replies = await start(superior, pair.agreement)
    assert "Lederavtale med Megan Bowen" in joined(replies)
    for typed in ("Bidrag", "hopp over", "1, 2", "God til", "Utfordrende"):
        replies = await superior.say(typed)
    assert "Lederavtale med Megan Bowen" in joined(replies)  # the goal list
    replies = await superior.press(replies, gtexts.ADD)
    assert "Lederavtale med Megan Bowen" in joined(replies)  # the goal's title
    replies = await superior.say("Delegere mer")
    assert "Lederavtale med Megan Bowen" in joined(replies)  # its actions


async def test_a_double_click_is_stored_once_and_answered_quietly(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    value = {**save_button(await start(chat, pair.agreement)), "text": "Bidraget"}
    replies = await chat.submit(dict(value))
    assert "2 av 11" in joined(replies)
    again = await chat.submit(dict(value))
    assert [activity.text for activity in again] == [bot_texts.ALREADY_RECEIVED]
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {FIRST: "Bidraget"}
    # A client that clears the card's fields after the first click sends the second one without the text.
    again = await chat.submit({key: item for key, item in value.items() if key != "text"})
    assert [activity.text for activity in again] == [bot_texts.ALREADY_RECEIVED]
    # She goes on where she is.
    await chat.say("Notatet")
    assert len(await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)) == 2


async def test_a_redelivered_activity_is_handled_once(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    typed = Activity(type=ActivityTypes.message, text="Bidraget", id="teams-activity-1")
    replies = await chat._receive(typed)
    assert "2 av 11" in joined(replies)
    again = await chat._receive(Activity(type=ActivityTypes.message, text="Bidraget", id="teams-activity-1"))
    assert [activity.text for activity in again] == [bot_texts.ALREADY_RECEIVED]
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {FIRST: "Bidraget"}


async def test_a_card_of_another_agreement_is_given_back_not_saved(session_factory, pair, chat_for) -> None:
    """Alex prepares for Megan, then for Adele; the same question's old card from Megan's is never Adele's answer."""
    chat = chat_for(pair.superior)
    megans = save_button(await start(chat, pair.agreement))
    replies = await start(chat, pair.other_agreement)
    assert "Lederavtale med Adele Vance" in joined(replies)
    assert save_button(replies)["question"] == megans["question"]  # the same question, another agreement

    replies = await chat.submit({**megans, "text": "Skrevet i Megans kort"})
    assert common.GIVEN_BACK_STALE in joined(replies) and "Skrevet i Megans kort" in joined(replies)
    for agreement_id in (pair.agreement, pair.other_agreement):
        assert await answers(session_factory, agreement_id, Phase.PREPARATION, pair.superior) == {}
    # Adele's question is asked again, and answered there.
    replies = await chat.press(replies, common.BUTTON_SAVE, text="For Adele")
    assert await answers(session_factory, pair.other_agreement, Phase.PREPARATION, pair.superior) == {
        FIRST: "For Adele",
    }


async def test_goals_from_one_card_are_stored_once(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    for typed in ("Bidrag", "hopp over", "1, 2", "God til", "Utfordrende"):
        replies = await chat.say(typed)
    replies = await chat.press(replies, gtexts.ADD)
    replies = await chat.say("Delegere mer")
    value = {**save_button(replies), "text": "Fordele oppgaver"}
    await chat.submit(dict(value))
    await chat.submit(dict(value))
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == [
        ("ledelsesutvikling", "Delegere mer", ["Fordele oppgaver"]),
    ]
