"""The planned conversation as an iCalendar invitation (.ics), for when it cannot be put in the calendars directly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from icalendar import Calendar, Event, vCalAddress, vText

#: The media type of an .ics file.
CALENDAR = "text/calendar"
_PRODUCT = "-//Lørenskog kommune//Lederavtale//NO"


@dataclass(frozen=True)
class Person:
    """Someone in the invitation: a name and an e-mail address."""

    name: str
    email: str


@dataclass(frozen=True)
class MeetingFile:
    """What the invitation holds; ``uid`` stays the same for one conversation, so a newer file replaces the older."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    organizer: Person
    attendee: Person


def _utc(moment: datetime) -> datetime:
    # SQLite gives timestamps back naive, in UTC.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _address(person: Person) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    return address


def meeting_ics(meeting: MeetingFile, stamp: datetime) -> bytes:
    """The invitation as an .ics file (METHOD:REQUEST, times in UTC); ``stamp`` is when it was made."""
    calendar = Calendar()
    calendar.add("prodid", _PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(meeting.start))
    event.add("dtend", _utc(meeting.end))
    event.add("summary", meeting.summary)
    event.add("description", meeting.description)
    event.add("organizer", _address(meeting.organizer))
    attendee = _address(meeting.attendee)
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["PARTSTAT"] = vText("NEEDS-ACTION")
    attendee.params["RSVP"] = vText("TRUE")
    event.add("attendee", attendee)
    calendar.add_component(event)
    return calendar.to_ical()
