"""The planned conversation in both calendars: a Teams meeting in the superior's calendar, or an .ics file instead.

The meeting is made through Microsoft Graph as an event in the superior's calendar with the
subordinate invited, so it is in both calendars. Re-planning moves that event. Its create carries a
``transactionId`` made from the agreement, so a create Graph carried out but whose answer we never
stored (a crash, or a turn run again) gives back the same event instead of a second one.
"""

from __future__ import annotations

import html
import logging
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.opening import AgreementAccess
from bot.settings import Settings
from dialogs.texts import plan as texts
from documents.meeting_ics import MeetingFile, Person, meeting_ics
from graph.client import GraphClient
from graph.config import GraphConfig
from graph.errors import GraphNotFound
from graph.events import create_meeting, move_meeting
from storage.models import Agreement, AgreementEvent, Leader

logger = logging.getLogger(__name__)

#: The namespace of the meetings' stable ids (Graph's transactionId, the .ics UID).
_MEETINGS = uuid.UUID("5b0f3c3e-8f1d-4f55-9a43-6c1de2a0b7d1")
#: Graph's name for times given in UTC (the times sent are always UTC, whatever the service's zone).
_UTC = "UTC"
#: Graph's budget in a planning turn: the leader waits in the chat (and Teams gives a turn about 15 s), and the
#: turn's transaction is open meanwhile. Past it the plan stands and the leader gets the .ics instead.
_TURN_TIMEOUT = 5.0
_TURN_ATTEMPTS = 2


@dataclass(frozen=True)
class PlacedMeeting:
    """The conversation's event: its id and whose calendar holds it; ``moved`` when it was there already."""

    event_id: str
    organizer_id: str
    moved: bool


def organizer_of(superior: Leader) -> str:
    """Whose calendar holds the meeting, as Graph names the user: the Entra object id, else the e-mail."""
    return superior.aad_object_id or superior.email


def meeting_uid(agreement: Agreement, organizer_id: str, replaces: str | None = None) -> str:
    """A stable id of the agreement's meeting in one organizer's calendar (a new one for one that replaces a lost event)."""
    return str(uuid.uuid5(_MEETINGS, f"{agreement.id}:{agreement.year}:{organizer_id}:{replaces or ''}"))


def meeting_subject(superior: Leader, subordinate: Leader) -> str:
    """The meeting's title."""
    return texts.MEETING_SUBJECT.format(superior=superior.name, subordinate=subordinate.name)


def meeting_body_html(superior: Leader, subordinate: Leader) -> str:
    """What the meeting is for and how to prepare in the bot, as the event's HTML body."""
    return texts.MEETING_BODY_HTML.format(superior=html.escape(superior.name), subordinate=html.escape(subordinate.name))


class MeetingCalendar:
    """Puts the planned conversation in the superior's calendar through Graph, with the subordinate invited."""

    def __init__(self, config: GraphConfig, *, minutes: int) -> None:
        self._config = replace(config, timeout=min(config.timeout, _TURN_TIMEOUT),
                               max_attempts=min(config.max_attempts, _TURN_ATTEMPTS),
                               max_retry_after=min(config.max_retry_after, _TURN_TIMEOUT))
        self._length = timedelta(minutes=minutes)

    async def place(self, agreement: Agreement, superior: Leader, subordinate: Leader,
                    start: datetime) -> PlacedMeeting:
        """Make the meeting at ``start``, or move the one made before; a GraphError when Graph cannot."""
        organizer = organizer_of(superior)
        end = start + self._length
        subject, body = meeting_subject(superior, subordinate), meeting_body_html(superior, subordinate)
        stored = agreement.meeting_event_id
        # A meeting planned by an earlier superior stays in their calendar; the current one gets their own.
        if agreement.meeting_event_organizer_id != organizer:
            stored = None
        # One client per planning: it is rare, and the turn should not share a session's lifetime.
        async with GraphClient(self._config) as client:
            if stored is not None:
                try:
                    await move_meeting(client, organizer, stored, start=start, end=end, time_zone=_UTC,
                                       subject=subject, body_html=body)
                    return PlacedMeeting(stored, organizer, moved=True)
                except GraphNotFound:
                    logger.info("The calendar event of agreement %s is gone; making a new one", agreement.id)
            event_id = await create_meeting(
                client, organizer, subject=subject, start=start, end=end, body_html=body,
                attendees=[(subordinate.name, subordinate.email)], time_zone=_UTC,
                transaction_id=meeting_uid(agreement, organizer, stored),
            )
            # Graph answers a create it knows by its transactionId with the event as first made, maybe
            # at an earlier time planned in a turn that was never stored: set the time asked for now.
            await move_meeting(client, organizer, event_id, start=start, end=end, time_zone=_UTC)
        return PlacedMeeting(event_id, organizer, moved=False)


def meeting_calendar(settings: Settings) -> MeetingCalendar | None:
    """The calendar meetings, or None when they are off or Graph is not configured."""
    config = settings.graph_config() if settings.meetings_enabled else None
    return MeetingCalendar(config, minutes=settings.meeting_minutes) if config is not None else None


def ics_file_name(subordinate: Leader) -> str:
    """The .ics file's name: the conversation with the subordinate leader."""
    return texts.ICS_FILE_NAME.format(subordinate=subordinate.name)


async def calendar_file(session: AsyncSession, opened: AgreementAccess, minutes: int, stamp: datetime) -> bytes:
    """The planned conversation of ``opened`` (which has a meeting time) as an .ics invitation, as stored now."""
    agreement = opened.agreement
    superior, subordinate = agreement.superior, agreement.subordinate
    # Each planning is a new revision of the same invitation: calendars keep the highest SEQUENCE.
    sequence = await session.scalar(select(func.count(AgreementEvent.id)).where(
        AgreementEvent.agreement_id == agreement.id, AgreementEvent.kind == "planned"))
    start = agreement.meeting_at
    meeting = MeetingFile(
        uid=f"{meeting_uid(agreement, organizer_of(superior))}@lederavtale",
        sequence=sequence or 0,
        start=start,
        end=start + timedelta(minutes=minutes),
        summary=meeting_subject(superior, subordinate),
        description=texts.MEETING_DESCRIPTION.format(superior=superior.name, subordinate=subordinate.name),
        organizer=Person(superior.name, superior.email),
        attendee=Person(subordinate.name, subordinate.email),
    )
    return meeting_ics(meeting, stamp)
