"""Every button of a reminder card, pressed in the real MainDialog, opens its flow for its agreement.

The reminders are sent by a real sweep to the fake Bot Connector; each button found in the cards
is then pressed by the leader who received it, in a chat with the dialogs as the bot runs them.
A refusal ("... Her er menyen din."), an unknown action or a wrong agreement fails the test.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import uuid

import pytest
from sqlalchemy import update

from bot.settings import Settings
from bot import actions
from dialogs.main_dialog import MainDialog
from scheduler.sweep import Sweeper
from storage.models import Agreement
from tests.dialogs.harness import Chat, Clock, joined, make_deps
from tests.scheduler.conftest import make_sender, seed_demo
from tests.scheduler.helpers import at
from tests.support.cards import submit_data
from tests.support.fake_connector import FakeConnector

YEAR = 2026


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def card_buttons(cards: list[dict]) -> list[dict]:
    return submit_data(cards)


def active_dialogs(state: object) -> list[tuple[str, dict]]:
    """The ids (and options) of every dialog on the stored dialog stacks, outermost first."""
    found: list[tuple[str, dict]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)
        elif hasattr(node, "dialog_stack"):
            walk(node.dialog_stack)
        elif hasattr(node, "id") and hasattr(node, "state"):
            state = node.state or {}
            options = state.get("options")
            found.append((node.id, options if isinstance(options, dict) else {}))
            walk(state)

    walk(state)
    return found


async def set_state(session_factory, agreement_id: int, **values) -> None:
    async with session_factory() as session:
        await session.execute(update(Agreement).where(Agreement.id == agreement_id).values(**values))
        await session.commit()


async def press_every_button(session_factory, connector: FakeConnector, now: datetime) -> list[tuple[int, str, int]]:
    """Press each button of each card sent so far as its recipient; returns (leader, action, agreement)."""
    pressed = []
    for recorded in connector.activities:
        leader_id = int(recorded.conversation_id.removeprefix("conv-"))
        for data in card_buttons(recorded.cards):
            dialog = MainDialog(make_deps(clock=Clock(utc(now))))
            chat = Chat(dialog, leader_id, session_factory, conversation=f"buttons-{uuid.uuid4().hex}")
            replies = await chat.submit(dict(data))
            said = joined(replies)
            assert "Her er menyen din" not in said, (leader_id, data, said)
            stack = active_dialogs(chat.dialog_state)
            flow = dialog.flows[data["action"]].id
            ids = [dialog_id for dialog_id, _options in stack]
            assert flow in ids, (leader_id, data, ids, said)
            # The flow (or the waterfall inside it) was given the button's agreement.
            inside = [options.get("agreement_id") for _id, options in stack[ids.index(flow):]]
            assert data["agreement_id"] in inside and set(inside) <= {data["agreement_id"], None}, (data, stack)
            pressed.append((leader_id, data["action"], data["agreement_id"]))
    return pressed


@pytest.mark.parametrize("season", ["spring", "prep", "autumn", "november"])
async def test_every_reminder_button_opens_its_flow_for_its_agreement(
    season: str, session_factory, adapter, connector: FakeConnector
) -> None:
    demo = await seed_demo(session_factory, connector, year=YEAR)
    signed_at = utc(at(date(YEAR, 2, 12), 12))
    signed = dict(meeting_at=signed_at, superior_prepared_at=signed_at, subordinate_prepared_at=signed_at,
                  filled_at=signed_at, superior_signed_at=signed_at, subordinate_signed_at=signed_at)
    if season == "spring":
        # a: not started; b: meeting planned and Alex prepared; c: filled in (Alex never prepared), sent
        # back with comments: Alex changes the agreed text, as the menu offers.
        await set_state(session_factory, demo.sup_b, meeting_at=utc(at(date(YEAR, 2, 20), 10)),
                        superior_prepared_at=signed_at)
        await set_state(session_factory, demo.sup_c, meeting_at=utc(at(date(YEAR, 2, 20), 13)),
                        subordinate_prepared_at=signed_at, review_comment_at=signed_at)
        await set_state(session_factory, demo.top_sup, meeting_at=utc(at(date(YEAR, 2, 20), 13)), filled_at=signed_at)
        expected = {
            (demo.sup, actions.PLAN, demo.sup_a), (demo.sup, actions.FILL, demo.sup_b),
            (demo.sup, actions.FILL, demo.sup_c), (demo.top, actions.SIGN, demo.top_sup),
        }
        now = at(date(YEAR, 2, 27), 9, 5)  # the first Q1 reminder (1 March 2026 is a Sunday)
    elif season == "prep":
        await set_state(session_factory, demo.sup_a, meeting_at=utc(at(date(YEAR, 2, 10), 10)))
        now = at(date(YEAR, 2, 9), 9, 5)
        expected = {(demo.sup, actions.PREPARE, demo.sup_a), (demo.a, actions.PREPARE, demo.sup_a)}
    elif season == "autumn":
        await set_state(session_factory, demo.sup_a, **signed)
        now = at(date(YEAR, 9, 1), 9, 5)
        expected = {(demo.sup, actions.FOLLOWUP_REFLECT, demo.sup_a), (demo.a, actions.FOLLOWUP_REFLECT, demo.sup_a)}
    else:
        await set_state(session_factory, demo.sup_a, **signed)
        await set_state(session_factory, demo.top_sup, **signed, followup_recorded_at=signed_at,
                        subordinate_followup_confirmed_at=signed_at)
        now = at(date(YEAR, 11, 2), 9, 5)  # the first November reminder went out on Friday 30 October
        expected = {(demo.sup, actions.FOLLOWUP_RECORD, demo.sup_a), (demo.top, actions.FOLLOWUP_CONFIRM, demo.top_sup)}
    sweeper = Sweeper(Settings(), session_factory, make_sender(adapter, session_factory), instance_id="buttons")
    earlier = {"prep": at(date(YEAR, 1, 9), 9, 5), "november": at(date(YEAR, 9, 1), 9, 5)}
    if season in earlier:  # the kick-off (10 January 2026 is a Saturday), or the autumn post, went out before
        assert (await sweeper.run(earlier[season])).sent == 2
        connector.clear()
    report = await sweeper.run(now)
    assert report.sent == len({leader for leader, _action, _agreement in expected})
    pressed = await press_every_button(session_factory, connector, now)
    assert set(pressed) == expected and len(pressed) == len(expected)
