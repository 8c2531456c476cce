"""A chat with the real MainDialog over TestAdapter, state in a real Storage, and what it said."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import Dialog, DialogState
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from bot.cards import cards_in
from bot.turn import STEP, TURN_KEY, TurnRunner, hold
from dialogs.flow import DialogDeps, set_leader
from storage.models import Answer, Goal, Phase
from tests.support.cards import assert_valid_card, rich_text_lines, submit_data

SPRING = datetime(2026, 2, 2, 8, 0, tzinfo=timezone.utc)
AUTUMN = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)


@dataclass
class RecordingNotifier:
    """Keeps every proactive message instead of sending it."""

    sent: list[tuple[int, Activity]] = field(default_factory=list)

    async def notify(self, leader_id: int, activity: Activity) -> None:
        for content in cards_in(activity):
            check_card(content)
        self.sent.append((leader_id, activity))

    def to(self, leader_id: int) -> list[Activity]:
        return [activity for recipient, activity in self.sent if recipient == leader_id]


@dataclass
class Clock:
    """A settable clock for the dialogs."""

    now: datetime = SPRING

    def __call__(self) -> datetime:
        return self.now


def make_deps(*, max_answer_length: int = 4000, clock: Clock | None = None) -> DialogDeps:
    return DialogDeps(
        settings=Settings(database_url="sqlite+aiosqlite://", max_answer_length=max_answer_length),
        notifier=RecordingNotifier(),
        clock=clock or Clock(),
    )


def texts_of(activity: Activity) -> list[str]:
    """Every text a leader would read in an activity: its text and the cards' texts and buttons."""
    found: list[str] = [activity.text] if activity.text else []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                found.append(node["text"])
            if node.get("type") == "RichTextBlock":
                found.extend(rich_text_lines(node))
            if node.get("type") in ("Action.Submit",) and isinstance(node.get("title"), str):
                found.append(node["title"])
            if node.get("type") == "FactSet":
                for fact in node.get("facts", []):
                    found.append(f"{fact['title']}: {fact['value']}")
            if node.get("type") == "Input.ChoiceSet":
                found.extend(choice["title"] for choice in node.get("choices", []))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for content in cards_in(activity):
        walk(content)
    return found


def joined(activities: Iterable[Activity]) -> str:
    """All texts of some activities as one string, for ``in`` assertions."""
    return "\n".join(text for activity in activities for text in texts_of(activity))


def buttons(activities: Iterable[Activity]) -> list[dict]:
    """The data of every Action.Submit in the activities' cards, without the step token every turn stamps on them."""
    data = submit_data([content for activity in activities for content in cards_in(activity)])
    return [{key: value for key, value in item.items() if key != STEP} for item in data]


def all_cards(activities: Iterable[Activity]) -> list[dict]:
    return [content for activity in activities for content in cards_in(activity)]


class TurnTestAdapter(TestAdapter):
    """TestAdapter with the service's outbox: a turn's replies are sent once the turn is stored."""

    async def send_activities(self, context: TurnContext, activities: list[Activity]):
        held = hold(context, activities)
        if held is not None:
            return held
        return await super().send_activities(context, activities)


class Chat:
    """One leader's personal chat with the bot: the dialog runs as the bot service runs it."""

    def __init__(self, dialog: Dialog, leader_id: int, session_factory: async_sessionmaker[AsyncSession], *,
                 conversation: str | None = None) -> None:
        self.leader_id = leader_id
        self.dialog = dialog
        self.runner = TurnRunner(session_factory, dialog)
        #: The dialog stack as the last turn stored it.
        self.dialog_state: DialogState | None = None
        template = Activity(
            channel_id="msteams",
            service_url="https://smba.example.test/",
            conversation=ConversationAccount(id=conversation or f"personal-{leader_id}"),
            from_property=ChannelAccount(id=f"user-{leader_id}"),
            recipient=ChannelAccount(id="bot"),
        )
        self.adapter = TurnTestAdapter(self._turn, template)
        self.seen: list[Activity] = []

    async def _turn(self, turn_context: TurnContext) -> None:
        set_leader(turn_context, self.leader_id)
        await self.runner.run(turn_context)
        turn = turn_context.turn_state.get(TURN_KEY)
        if turn is not None:  # None: the turn gave up and stored nothing
            self.dialog_state = turn.dialog_state

    async def _receive(self, activity: Activity | str) -> list[Activity]:
        if isinstance(activity, Activity) and not activity.id:
            activity.id = uuid.uuid4().hex  # unique, as Teams' are (the adapter would count from 1 in every chat)
        await self.adapter.receive_activity(activity)
        replies = []
        while (reply := self.adapter.get_next_activity()) is not None:
            replies.append(reply)
        for content in all_cards(replies):
            check_card(content)
        self.seen.extend(replies)
        return replies

    async def say(self, text: str) -> list[Activity]:
        """Type a message."""
        return await self._receive(Activity(type=ActivityTypes.message, text=text))

    async def submit(self, data: dict) -> list[Activity]:
        """Press a card button (Action.Submit: the data and the card's inputs arrive as value)."""
        return await self._receive(Activity(type=ActivityTypes.message, value=data))

    async def forge(self, replies: list[Activity], data: dict) -> list[Activity]:
        """Send ``data`` as if from the last question card in ``replies`` (with its step token): a forged value."""
        steps = [item[STEP] for item in submit_data(all_cards(replies)) if "reply" in item and STEP in item]
        return await self.submit({**data, STEP: steps[-1]})

    async def press(self, replies: list[Activity], title_or_reply: str, **inputs: Any) -> list[Activity]:
        """Press the button of the last card in ``replies`` with this title, filling in ``inputs``."""
        for content in reversed(all_cards(replies)):
            for data in _submits_with_titles(content):
                title, payload = data
                if title == title_or_reply:
                    return await self.submit({**payload, **inputs})
        raise AssertionError(f"no button {title_or_reply!r} in {joined(replies)!r}")


def _submits_with_titles(content: dict) -> list[tuple[str, dict]]:
    found: list[tuple[str, dict]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append((node["title"], node["data"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(content)
    return found


async def answers(session_factory, agreement_id: int, phase: Phase, author_id: int) -> dict[str, str]:
    """The stored answers of one author and phase (read directly, for assertions)."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(Answer).where(Answer.agreement_id == agreement_id, Answer.phase == phase, Answer.author_id == author_id)
        )
        return {row.question_key: row.text for row in rows}


async def goals(session_factory, agreement_id: int, phase: Phase, author_id: int) -> list[tuple[str, str, list[str]]]:
    """The stored goals (section, title, actions) of one author and phase."""
    async with session_factory() as session:
        rows = await session.scalars(
            select(Goal).where(Goal.agreement_id == agreement_id, Goal.phase == phase, Goal.author_id == author_id,
                               Goal.removed_at.is_(None)).order_by(Goal.section_key, Goal.position)
        )
        return [(g.section_key, g.title, [a.text for a in g.current_actions]) for g in rows]


def check_card(content: dict) -> None:
    """Valid Adaptive Card 1.5, and every button either starts something or answers the prompt."""
    assert_valid_card(content, submit_needs_action=False)
    for data in _submits(content):
        assert "action" in data or {"reply", "question"} <= data.keys(), data


def _submits(content: dict) -> list[dict]:
    return [data for _, data in _submits_with_titles(content)]


def choice_value(keys: list[str]) -> str:
    return ",".join(keys)


def dumps(activities: list[Activity]) -> str:
    return json.dumps([texts_of(a) for a in activities], ensure_ascii=False, indent=1)
