"""A turn is stored before it is answered, through the real service over HTTP, on SQLite and PostgreSQL.

The same card submitted twice at once (a double click, or the connector delivering an activity
again) is answered once and stored once; replies that cannot be sent after the commit leave the
leader at the next question, never with an answer filed under the wrong one; the dialog state
belongs to the chat and the leader in it.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import actions
from bot import texts as bot_texts
from dialogs.texts import common
from dialogs.texts import goals as gtexts
from dialogs.texts import preparation as ptexts
from storage.models import Answer, AnswerRevision, BotStateItem, Goal, Phase
from tests.bot.conftest import message, make_settings
from tests.bot.test_teams_bot import button, everything, megan, turn
from tests.dialogs.harness import check_card
from tests.support.factories import make_pair
from tests.support.fake_connector import FakeConnector, Recorded

pytestmark = pytest.mark.usefixtures("no_internet")

YEAR = datetime.now(ZoneInfo("Europe/Oslo")).year
FIRST = "styringsbrev.bidrag"
SECOND = "styringsbrev.notat"


async def start(client_for, database_url: str):
    from lederavtale.app import main_dialog

    return await client_for(make_settings(database_url), dialog_factory=main_dialog)


async def at_first_question(client, connector: FakeConnector, agreement_id: int) -> list[Recorded]:
    """Megan opens her preparation and goes to the questions; the replies showing the first one."""
    await turn(client, connector, megan(connector))
    offer = await turn(client, connector, megan(connector, None, value=actions.submit_data(actions.PREPARE,
                                                                                        agreement_id)))
    return await turn(client, connector, megan(connector, None, value=button(offer, ptexts.GO_TO_QUESTIONS)))


async def post_together(client, connector: FakeConnector, *bodies: dict) -> list[Recorded]:
    """Post the activities at the same moment; everything the bot sent in answer to them."""
    connector.clear()
    responses = await asyncio.gather(*(client.post("/api/messages", json=body) for body in bodies))
    for response in responses:
        assert response.status == 201, await response.text()
    for item in connector.activities:
        for content in item.cards:
            check_card(content)
    return list(connector.activities)


def asking(items: list[Recorded], progress: str) -> list[Recorded]:
    return [item for item in items if item.cards and progress in everything([item])]


async def count(session_factory, model, *where) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def stored_answers(session_factory, agreement_id: int, author_id: int) -> dict[str, str]:
    async with session_factory() as session:
        rows = await session.scalars(select(Answer).where(Answer.agreement_id == agreement_id,
                                                          Answer.author_id == author_id,
                                                          Answer.phase == Phase.PREPARATION))
        return {row.question_key: row.text for row in rows}


@pytest.mark.parametrize("same_activity", [False, True], ids=["double-click", "redelivered"])
async def test_the_same_submit_twice_at_once_is_answered_once_and_stored_once(
    session_factory, database_url, connector, client_for, same_activity: bool
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    shown = await at_first_question(client, connector, pair.agreement)
    value = {**button(shown, common.BUTTON_SAVE), "text": "Bidraget mitt"}
    first = megan(connector, None, value=value)
    second = dict(first) if same_activity else megan(connector, None, value=value)

    replies = await post_together(client, connector, first, second)

    said = everything(replies)
    assert bot_texts.TURN_ERROR not in said
    assert len(asking(replies, "2 av 11")) == 1, said  # the next question once
    assert [item.text for item in replies].count(bot_texts.ALREADY_RECEIVED) == 1, said  # the repeat, quietly
    assert await stored_answers(session_factory, pair.agreement, pair.subordinate) == {FIRST: "Bidraget mitt"}
    assert await count(session_factory, AnswerRevision) == 1


async def test_a_goal_submitted_twice_at_once_is_stored_once(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    await at_first_question(client, connector, pair.agreement)
    for typed in ("Bidrag", "hopp over", "1, 2", "God til", "Utfordrende"):
        replies = await turn(client, connector, megan(connector, typed))
    replies = await turn(client, connector, megan(connector, None, value=button(replies, gtexts.ADD)))
    replies = await turn(client, connector, megan(connector, "Delegere mer"))
    value = {**button(replies, common.BUTTON_SAVE), "text": "Fordele oppgaver\nUkentlig oppfølging"}

    replies = await post_together(client, connector, megan(connector, None, value=value),
                                  megan(connector, None, value=value))

    said = everything(replies)
    assert bot_texts.TURN_ERROR not in said
    assert said.count(gtexts.SAVED.format(title="Delegere mer")) == 1, said
    assert [item.text for item in replies].count(bot_texts.ALREADY_RECEIVED) == 1, said
    assert await count(session_factory, Goal, Goal.agreement_id == pair.agreement) == 1


async def test_replies_that_cannot_be_sent_after_the_commit_leave_the_leader_at_the_next_question(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    await at_first_question(client, connector, pair.agreement)

    # The answer is stored, but the next question never reaches Megan.
    connector.fail_conversation("a:conversation-megan", 503)
    connector.clear()
    response = await client.post("/api/messages", json=megan(connector, "Svar på det første"))
    assert response.status < 500
    assert connector.activities == []
    connector.stop_failing("a:conversation-megan")
    assert await stored_answers(session_factory, pair.agreement, pair.subordinate) == {FIRST: "Svar på det første"}

    # She still sees the first question and writes again: the text is given back with the
    # question it would answer, and saved nowhere.
    replies = await turn(client, connector, megan(connector, "Et nytt forsøk på det første"))
    said = everything(replies)
    assert common.GIVEN_BACK_UNSEEN in said and "Et nytt forsøk på det første" in said
    assert asking(replies, "2 av 11")
    assert await stored_answers(session_factory, pair.agreement, pair.subordinate) == {FIRST: "Svar på det første"}

    # Now that she has seen it, her answer to the second question goes there.
    await turn(client, connector, megan(connector, "Notatet"))
    assert await stored_answers(session_factory, pair.agreement, pair.subordinate) == {
        FIRST: "Svar på det første", SECOND: "Notatet",
    }


async def test_a_notice_to_the_other_leader_waits_for_the_commit(
    session_factory, database_url, connector, client_for, monkeypatch
) -> None:
    """A turn that cannot be stored sends nothing: not its replies, not its notices."""
    from dialogs import flow
    from agreement.errors import ConcurrentChange

    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    shown = await at_first_question(client, connector, pair.agreement)

    async def always_colliding(session):
        raise ConcurrentChange()

    monkeypatch.setattr(flow, "flush", always_colliding)
    replies = await turn(client, connector, megan(connector, None, value={**button(shown, common.BUTTON_SAVE),
                                                                         "text": "Ikke lagret"}))
    monkeypatch.undo()
    assert [item.conversation_id for item in replies] == ["a:conversation-megan"]
    assert bot_texts.NOT_STORED in everything(replies) and "Ikke lagret" in everything(replies)
    assert await stored_answers(session_factory, pair.agreement, pair.subordinate) == {}


async def test_dialog_state_belongs_to_the_leader_not_only_to_the_chat(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    shown = await at_first_question(client, connector, pair.agreement)
    await turn(client, connector, megan(connector, None, value={**button(shown, common.BUTTON_SAVE),
                                                                "text": "Megans eget svar"}))

    # Alex's user id with Megan's conversation id: his own state, never Megan's card or text.
    replies = await turn(client, connector, message(connector, "status", user_id="29:user-alex",
                                                    aad_object_id="aad-alex", conversation_id="a:conversation-megan"))
    said = everything(replies)
    assert "Megans eget svar" not in said and "2 av 11" not in said
    async with session_factory() as session:
        keys = set((await session.scalars(select(BotStateItem.key))).all())
    assert "msteams/conversations/a:conversation-megan/users/29:user-megan" in keys
    assert "msteams/conversations/a:conversation-megan/users/29:user-alex" in keys

