"""Calendar events through Graph: the conversation as an online Teams meeting in the organizer's calendar."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from graph.client import GraphClient

_PERMISSION = "Calendars.ReadWrite"


def _when(moment: datetime, time_zone: str) -> dict[str, str]:
    """Graph's dateTimeTimeZone: wall-clock time in ``time_zone``; an aware time is converted to it first."""
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)
        except (ZoneInfoNotFoundError, ValueError):
            # A Windows zone name ("W. Europe Standard Time") is Graph's too, but not Python's: send UTC.
            moment, time_zone = moment.astimezone(timezone.utc).replace(tzinfo=None), "UTC"
    return {"dateTime": moment.isoformat(timespec="seconds"), "timeZone": time_zone}


async def create_meeting(
    client: GraphClient,
    organizer_id: str,
    *,
    subject: str,
    start: datetime,
    end: datetime,
    body_html: str,
    attendees: list[tuple[str, str]],
    time_zone: str,
    transaction_id: str | None = None,
) -> str:
    """Create an online Teams meeting in the organizer's calendar, inviting ``attendees`` (name, e-mail); its id.

    A create with a ``transaction_id`` Graph has seen gives back that event instead of a second one.
    """
    event: dict[str, Any] = {
        "subject": subject,
        "body": {"contentType": "HTML", "content": body_html},
        "start": _when(start, time_zone),
        "end": _when(end, time_zone),
        "attendees": [
            {"emailAddress": {"address": email, "name": name}, "type": "required"} for name, email in attendees
        ],
        "isOnlineMeeting": True,
        "onlineMeetingProvider": "teamsForBusiness",
    }
    if transaction_id is not None:
        event["transactionId"] = transaction_id
    answer = await client.post(f"/users/{organizer_id}/events", event, permission=_PERMISSION)
    return answer.body["id"]


async def move_meeting(
    client: GraphClient,
    organizer_id: str,
    event_id: str,
    *,
    start: datetime,
    end: datetime,
    time_zone: str,
    subject: str | None = None,
    body_html: str | None = None,
) -> None:
    """Move the meeting (and retitle or reword it when given); GraphNotFound when the event is gone."""
    change: dict[str, Any] = {"start": _when(start, time_zone), "end": _when(end, time_zone)}
    if subject is not None:
        change["subject"] = subject
    if body_html is not None:
        change["body"] = {"contentType": "HTML", "content": body_html}
    await client.patch(f"/users/{organizer_id}/events/{event_id}", change, permission=_PERMISSION)
