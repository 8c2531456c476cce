"""The planned conversation as an .ics file, over HTTP: after a Graph failure, or with the calendar meetings off.

The bot runs as the real aiohttp app with the real dialogs; Teams is the fake Bot Connector, Graph
the fake Graph, and the leader's OneDrive upload session a fake upload target, all on 127.0.0.1.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot import actions
from bot.files import CONSENT_CARD, FILE_INFO_CARD
from dialogs.meeting_invitation import MeetingCalendar
from dialogs.texts import plan as ptexts
from lederavtale.app import main_dialog
from storage.models import Agreement
from tests.bot.conftest import make_settings
from tests.bot.test_document_handout import answer, attachments, consent_answer, link_of, target  # noqa: F401
from tests.bot.test_teams_bot import alex, button, everything, megan, turn
from tests.support.factories import make_pair
from tests.support.fake_graph import FakeGraph

pytestmark = pytest.mark.usefixtures("no_internet")

OSLO = ZoneInfo("Europe/Oslo")
YEAR = datetime.now(OSLO).year


def tomorrow_at_ten() -> datetime:
    return datetime.combine(datetime.now(OSLO).date() + timedelta(days=1), datetime.min.time(), OSLO) \
        .replace(hour=10)


async def plan(client, connector, agreement_id: int, when: datetime):
    """Alex (the superior) plans the conversation: what the bot answers."""
    asked = await turn(client, connector, alex(connector, None, value=actions.submit_data(actions.PLAN, agreement_id)))
    data = {**button(asked, ptexts.SAVE), "date": when.date().isoformat(), "time": when.strftime("%H:%M")}
    return await turn(client, connector, alex(connector, None, value=data))


def the_event(content: bytes):
    calendar = Calendar.from_ical(content)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    return event


def check_invitation(content: bytes, when: datetime, minutes: int) -> str:
    """The .ics holds the conversation at ``when`` in UTC, Alex organizing, Megan invited; its UID."""
    event = the_event(content)
    assert event.decoded("DTSTART") == when.astimezone(timezone.utc)
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=minutes)
    assert str(event["SUMMARY"]) == ptexts.MEETING_SUBJECT.format(superior="Alex Wilber", subordinate="Megan Bowen")
    assert "«Forbered deg»" in str(event["DESCRIPTION"])
    assert str(event["ORGANIZER"]) == "mailto:alexw@example.com"
    assert str(event["ATTENDEE"]) == "mailto:meganb@example.com"
    return str(event["UID"])


async def test_a_graph_failure_keeps_the_plan_and_the_link_serves_the_ics_once(
    session_factory, database_url, connector, client_for
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    async with FakeGraph() as graph:
        graph.add_user("aad-alex", "Alex Wilber", "alexw@example.com")

        def wiring(session_factory, settings, notifier):
            wired = main_dialog(session_factory, settings, notifier)
            wired.dialog.deps.meetings = MeetingCalendar(graph.config(), minutes=settings.meeting_minutes)
            return wired

        client = await client_for(make_settings(database_url, document_delivery="link"), dialog_factory=wiring)
        graph.fail_next(500, path_prefix="/users/")
        when = tomorrow_at_ten()
        replies = await plan(client, connector, pair.agreement, when)

    assert ptexts.CALENDAR_FAILED.format(name="Megan Bowen") in everything(replies)
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.meeting_at is not None and agreement.meeting_event_id is None
    url = link_of(replies)
    path = url[url.index("/api/documents/"):]

    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "text/calendar"
    assert "Ledersamtale%20Megan%20Bowen.ics" in response.headers["Content-Disposition"]
    uid = check_invitation(await response.read(), when, 60)

    again = await client.get(path)
    assert again.status == 410 and await again.text() == ptexts.ICS_GONE

    # Planned again (a new offer): the same invitation, a later revision of it.
    later = when + timedelta(days=1)
    replies = await plan(client, connector, pair.agreement, later)
    url = link_of(replies)
    moved = await client.get(url[url.index("/api/documents/"):])
    content = await moved.read()
    assert check_invitation(content, later, 60) == uid
    assert the_event(content)["SEQUENCE"] == 2


async def test_with_the_calendar_meetings_off_the_ics_comes_as_a_file_for_the_planner_only(
    session_factory, database_url, connector, client_for, target  # noqa: F811
) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await client_for(make_settings(database_url, document_delivery="file-consent", meeting_minutes=30),
                              dialog_factory=main_dialog)
    when = tomorrow_at_ten()
    replies = await plan(client, connector, pair.agreement, when)
    assert ptexts.CALENDAR_FAILED.format(name="Megan Bowen") not in everything(replies)
    [consent] = attachments(replies, CONSENT_CARD)
    assert consent["name"] == "Ledersamtale Megan Bowen.ics"

    status, told = await answer(client, connector, consent_answer(connector, megan, consent, target))
    assert status == 200 and ptexts.ICS_NOT_YOURS in everything(told)
    assert target.received == []

    status, told = await answer(client, connector, consent_answer(connector, alex, consent, target))
    assert status == 200
    assert attachments(told, FILE_INFO_CARD)
    [(_, content)] = target.received
    check_invitation(content, when, 30)

    status, told = await answer(client, connector, consent_answer(connector, alex, consent, target))
    assert ptexts.ICS_GONE in everything(told) and len(target.received) == 1
