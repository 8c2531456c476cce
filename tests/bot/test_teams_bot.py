"""The bot service with the real dialogs, over HTTP: greeting, commands, an answer saved, outsiders.

Every request goes through the real aiohttp app; every reply is read from the fake Bot Connector
on 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botbuilder.schema import Activity
from sqlalchemy import func, select

from bot import texts as bot_texts
from bot import actions
from bot.teams_bot import strip_recipient_mentions
from dialogs.texts import common
from dialogs.texts import menu as menu_texts
from dialogs.texts import preparation as ptexts
from dialogs.texts import welcome as wtexts
from dialogs.welcome import welcome_text
from storage.models import Answer, BotStateItem, ConversationRef, Phase
from tests.bot.conftest import TENANT, message, make_settings
from tests.dialogs.harness import check_card, make_deps
from tests.support.cards import submit_data
from tests.support.factories import make_pair
from tests.support.fake_connector import Recorded

pytestmark = pytest.mark.usefixtures("no_internet")

#: The year of the agreements: the real dialogs use the real clock.
YEAR = datetime.now(ZoneInfo("Europe/Oslo")).year


async def start(client_for, database_url: str):
    from lederavtale.app import main_dialog

    return await client_for(make_settings(database_url), dialog_factory=main_dialog)


def megan(connector, text: str | None = "hei", **extra: Any) -> dict:
    return message(connector, text, **extra)


def alex(connector, text: str | None = "hei", **extra: Any) -> dict:
    return message(
        connector, text, user_id="29:user-alex", aad_object_id="aad-alex",
        conversation_id="a:conversation-alex", **extra,
    )


def card_texts(item: Recorded) -> str:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for content in item.cards:
        walk(content)
    return "\n".join(found)


def everything(items: list[Recorded]) -> str:
    return "\n".join(part for item in items for part in (item.text, card_texts(item)) if part)


def button(items: list[Recorded], title: str) -> dict:
    """The data of the last button with this title in the recorded cards."""
    found = submit_data([content for item in items for content in item.cards], title)
    assert found, f"no button {title!r} in {everything(items)!r}"
    return found[-1]


async def turn(client, connector, body: dict) -> list[Recorded]:
    """Post one activity and return what the bot sent in answer (every card is schema-checked)."""
    connector.clear()
    response = await client.post("/api/messages", json=body)
    assert response.status == 201, await response.text()
    for item in connector.activities:
        for content in item.cards:
            check_card(content)
    return list(connector.activities)


async def test_a_new_leader_is_greeted_with_what_is_waiting_then_shown_the_menu(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)

    greeting, menu = await turn(client, connector, alex(connector))
    assert greeting.conversation_id == "a:conversation-alex"
    text = greeting.text
    assert text.startswith("Hei, Alex! Jeg er lederavtale-boten i Lørenskog kommune.")
    assert wtexts.ABOUT in text
    assert wtexts.WAITING_TITLE.format(year=YEAR) in text
    # As subordinate (to Patti) and as superior (of Megan and Adele), each with its next step.
    assert f"- **Din lederavtale med Patti Fernandez** (ikke startet): {menu_texts.STEP_PREPARE}" in text
    assert f"- **Lederavtale med Adele Vance** (ikke startet): {menu_texts.STEP_PLAN.format(name='Adele Vance')}" in text
    assert f"- **Lederavtale med Megan Bowen** (ikke startet): {menu_texts.STEP_PLAN.format(name='Megan Bowen')}" in text
    assert text.index("Patti Fernandez") < text.index("Adele Vance") < text.index("Megan Bowen")
    assert wtexts.COMMANDS in text
    assert menu_texts.TITLE.format(year=YEAR) in card_texts(menu)
    assert button([menu], menu_texts.BUTTONS[actions.PLAN])["agreement_id"] in (pair.agreement, pair.other_agreement)

    # Only the first contact greets.
    (again,) = await turn(client, connector, alex(connector, "meny"))
    assert wtexts.ABOUT not in everything([again])
    assert menu_texts.TITLE.format(year=YEAR) in card_texts(again)


async def test_the_greeting_names_a_planned_meeting_and_nothing_written(session_factory) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    deps = make_deps()
    from agreement.answers import save_answer
    from agreement.opening import open_agreement
    from storage.models import Agreement

    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        agreement.meeting_at = datetime(YEAR, 2, 10, 8, 0)
        await session.commit()
    async with session_factory() as session:
        opened = await open_agreement(session, pair.subordinate, pair.agreement)
        await save_answer(session, opened, "styringsbrev.bidrag", Phase.PREPARATION, "Hemmelig svar", max_length=4000)
        await session.commit()
    deps.clock = lambda: datetime(YEAR, 2, 2, 8, 0, tzinfo=ZoneInfo("UTC"))
    async with session_factory() as session:
        text = await welcome_text(deps, session, pair.subordinate)
    assert text.startswith("Hei, Megan!")
    assert f"- **Din lederavtale med Alex Wilber** (planlagt): {menu_texts.STEP_PREPARE} Samtalen er tirsdag 10. februar {YEAR} kl. 09.00." in text
    assert "Hemmelig svar" not in text
    assert "Adele" not in text and "Patti" not in text


async def test_a_leader_with_no_agreement_this_year_is_told_so(session_factory) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    async with session_factory() as session:
        text = await welcome_text(make_deps(clock=lambda: datetime.now(ZoneInfo("UTC"))), session, pair.outsider)
    assert text.startswith("Hei, Isaiah!")
    assert wtexts.WAITING_NONE.format(year=YEAR) in text
    assert wtexts.WAITING_TITLE.format(year=YEAR) not in text


async def test_a_message_in_an_answer_saved_and_the_next_question_out(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    greeting, menu = await turn(client, connector, megan(connector))
    replies = await turn(client, connector, megan(connector, None, value=button([menu], menu_texts.BUTTONS[actions.PREPARE])))
    assert ptexts.PRIVATE in everything(replies)
    replies = await turn(client, connector, megan(connector, None, value=button(replies, ptexts.GO_TO_QUESTIONS)))
    assert "Hva er leders viktigste bidrag inn i arbeidet med de sentrale tema og oppdrag fra styringsbrevet?" in everything(replies)

    replies = await turn(client, connector, megan(connector, "Å levere på oppvekstplanen"))
    assert "Notatfelt" in everything(replies) and "2 av 11" in everything(replies)
    assert all(item.conversation_id == "a:conversation-megan" for item in replies)
    async with session_factory() as session:
        saved = (await session.scalars(select(Answer).where(
            Answer.agreement_id == pair.agreement, Answer.author_id == pair.subordinate, Answer.phase == Phase.PREPARATION,
        ))).all()
    assert {row.question_key: row.text for row in saved} == {"styringsbrev.bidrag": "Å levere på oppvekstplanen"}


@pytest.mark.parametrize("typed", ["hjelp", "HJELP ", "start", "status", "avbryt", "meny"])
async def test_the_commands_typed_in_the_middle_of_a_question(
    typed, session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    await turn(client, connector, megan(connector))
    replies = await turn(client, connector, megan(connector, None, value={"action": actions.PREPARE, "agreement_id": pair.agreement}))
    replies = await turn(client, connector, megan(connector, None, value=button(replies, ptexts.GO_TO_QUESTIONS)))
    question = "Hva er leders viktigste bidrag inn i arbeidet med de sentrale tema og oppdrag fra styringsbrevet?"
    assert question in everything(replies)

    replies = await turn(client, connector, megan(connector, f"<at>Lederavtale</at> {typed}", entities=[
        {"type": "mention", "text": "<at>Lederavtale</at>", "mentioned": {"id": "28:lederavtale-bot", "name": "Lederavtale"}},
    ]))
    shown = everything(replies)
    command = typed.strip().lower()
    if command == "hjelp":
        assert common.HELP_INTRO in shown and question in shown  # help, then the question again
    elif command == "status":
        assert common.STATUS_TITLE.format(year=YEAR) in shown
        assert common.STATUS_LINE_SUBORDINATE.format(name="Alex Wilber", status="ikke startet") in shown
        assert question in shown
    elif command == "avbryt":
        assert shown == common.CANCELLED
    else:  # start / meny
        assert menu_texts.TITLE.format(year=YEAR) in shown and question not in shown
    async with session_factory() as session:  # a command is never saved as an answer
        assert await session.scalar(select(func.count()).select_from(Answer)) == 0


@pytest.mark.parametrize(
    "action, expected",
    [
        (actions.HELP, common.HELP_INTRO),
        (actions.STATUS, common.STATUS_TITLE.format(year=YEAR)),
        (actions.CANCEL, common.NOTHING_TO_CANCEL),
        (actions.OPEN_MENU, menu_texts.TITLE.format(year=YEAR)),
    ],
)
async def test_the_commands_as_card_buttons(action, expected, session_factory, database_url, connector, client_for) -> None:
    await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    await turn(client, connector, megan(connector))
    replies = await turn(client, connector, megan(connector, "avbryt"))
    assert everything(replies) == common.CANCELLED
    replies = await turn(client, connector, megan(connector, None, value={"action": action}))
    assert expected in everything(replies)


async def test_an_outsider_gets_the_explanation_and_nothing_else(
    session_factory, database_url, connector, client_for
) -> None:
    await make_pair(session_factory, year=YEAR)
    connector.add_member("29:stranger", email="stranger@example.com", userPrincipalName="stranger@example.com")
    client = await start(client_for, database_url)
    for body in (
        message(connector, "hjelp", user_id="29:stranger", aad_object_id="aad-stranger", conversation_id="a:stranger"),
        message(connector, None, value={"action": actions.STATUS}, user_id="29:stranger",
                aad_object_id="aad-stranger", conversation_id="a:stranger"),
        message(connector, None, activity_type="conversationUpdate", membersAdded=[{"id": "28:lederavtale-bot"}],
                user_id="29:stranger", aad_object_id="aad-stranger", conversation_id="a:stranger"),
    ):
        replies = await turn(client, connector, body)
        assert [(item.text, item.cards) for item in replies] == [(bot_texts.UNKNOWN_USER, [])]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert await session.scalar(select(func.count()).select_from(BotStateItem)) == 0


@pytest.mark.parametrize("conversation_type", ["groupChat", "channel"])
async def test_a_group_chat_or_channel_gets_no_agreement_content(
    conversation_type, session_factory, database_url, connector, client_for
) -> None:
    await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    shared = {"id": "19:shared", "conversationType": conversation_type, "tenantId": TENANT}
    for body in (
        megan(connector, "start"),
        megan(connector, None, value={"action": actions.STATUS}),
        megan(connector, None, activity_type="conversationUpdate", membersAdded=[{"id": "28:lederavtale-bot"}]),
    ):
        body["conversation"] = shared
        replies = await turn(client, connector, body)
        assert [(item.text, item.cards) for item in replies] == [(bot_texts.NOT_PERSONAL, [])]
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert await session.scalar(select(func.count()).select_from(BotStateItem)) == 0
    # The same leader in the personal chat is served as usual.
    greeting, _menu = await turn(client, connector, megan(connector, "hei"))
    assert greeting.text.startswith("Hei, Megan!")


async def test_a_leader_found_by_email_in_teams_member_info(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)  # Adele has no Entra object id stored
    connector.add_member("29:user-adele", email="adelev@example.com", userPrincipalName="adele.vance@example.com")
    client = await start(client_for, database_url)
    greeting, menu = await turn(client, connector, message(
        connector, "hei", user_id="29:user-adele", aad_object_id="aad-adele", conversation_id="a:conversation-adele",
    ))
    assert greeting.text.startswith("Hei, Adele!")
    assert f"- **Din lederavtale med Alex Wilber** (ikke startet): {menu_texts.STEP_PREPARE}" in greeting.text
    async with session_factory() as session:
        row = await session.get(ConversationRef, pair.colleague)
        assert row is not None and row.reference["conversation"]["id"] == "a:conversation-adele"


def _typed(text: str, entities: list[dict] | None = None) -> Activity:
    return Activity().deserialize({
        "type": "message", "text": text, "recipient": {"id": "28:lederavtale-bot"}, "entities": entities or [],
    })


def test_typed_text_keeps_its_line_breaks_and_spacing() -> None:
    typed = "Ukentlig fordeling av oppgaver\nOppfølging  hver fredag"
    activity = _typed(typed)
    assert strip_recipient_mentions(activity) == typed
    assert activity.text == typed


def test_only_the_bots_mention_is_removed_and_the_lines_stay() -> None:
    mention = {"type": "mention", "text": "<at>Lederavtale</at>", "mentioned": {"id": "28:lederavtale-bot", "name": "Lederavtale"}}
    other = {"type": "mention", "text": "<at>Megan</at>", "mentioned": {"id": "29:megan", "name": "Megan"}}
    activity = _typed("<at>Lederavtale</at> Første linje\nAndre linje med <at>Megan</at>", [mention, other])
    assert strip_recipient_mentions(activity) == "Første linje\nAndre linje med <at>Megan</at>"
