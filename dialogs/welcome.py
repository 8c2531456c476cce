"""The greeting for a leader's first contact: what the bot does and what is waiting for them."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import agreements_of, get_leader
from dialogs.flow import DialogDeps
from dialogs.next_steps import followup_start, next_step
from dialogs.texts import common
from dialogs.texts import welcome as texts


def first_name(name: str) -> str:
    """The first word of a full name (the whole name when it has one word)."""
    words = (name or "").split()
    return words[0] if words else ""


async def welcome_text(deps: DialogDeps, session: AsyncSession, leader_id: int) -> str:
    """The greeting as Markdown: who the bot is, then this year's agreements and their next steps.

    Only status, meeting time and the next step are named, never anything written in an agreement.
    """
    day = deps.today()
    leader = await get_leader(session, leader_id)
    name = leader.name
    agreements = await agreements_of(session, leader_id, day.year)
    starts = await followup_start(session, day.year, deps.settings.timezone)
    lines = []
    for opened in agreements:
        template = texts.LINE_SUPERIOR if opened.role is Role.SUPERIOR else texts.LINE_SUBORDINATE
        line = template.format(
            name=opened.other.name, status=opened.status.label, step=next_step(opened, day, starts).text
        )
        meeting = opened.agreement.meeting_at
        if meeting is not None and opened.agreement.filled_at is None:
            line += " " + texts.MEETING.format(when=common.format_when(deps.local(meeting)))
        lines.append("- " + line)
    parts = [texts.GREETING.format(first_name=first_name(name)), texts.ABOUT]
    if lines:
        parts.append(texts.WAITING_TITLE.format(year=day.year) + "\n\n" + "\n".join(lines))
    else:
        parts.append(texts.WAITING_NONE.format(year=day.year))
    parts.append(texts.COMMANDS)
    return "\n\n".join(parts)


async def welcome_activity(deps: DialogDeps, session: AsyncSession, leader_id: int) -> Activity:
    """The greeting as a message activity (Markdown text, so it reads well in Teams and in a notification)."""
    activity = MessageFactory.text(await welcome_text(deps, session, leader_id))
    activity.text_format = "markdown"
    return activity
