"""The planned conversation in both calendars: a Teams meeting made, moved, or an .ics file instead (fake Graph)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot import actions
from dialogs.main_dialog import MainDialog
from bot.settings import Settings
from dialogs.meeting_invitation import MeetingCalendar, meeting_body_html, meeting_calendar
from dialogs.texts import plan as ptexts
from storage.models import Agreement, Leader
from tests.dialogs.harness import Chat, joined, make_deps
from tests.support.fake_graph import FakeGraph

NEW_TIME = "tirsdag 10. februar 2026 kl. 09.30"
MOVED_TIME = "onsdag 11. februar 2026 kl. 13.15"


@pytest.fixture
async def graph():
    async with FakeGraph() as fake:
        fake.add_user("aad-alex", "Alex Wilber", "alexw@example.com")
        fake.add_user("aad-megan", "Megan Bowen", "meganb@example.com")
        yield fake


@pytest.fixture
def deps(session_factory, clock, graph):
    return replace(make_deps(clock=clock), meetings=MeetingCalendar(graph.config(), minutes=45))


def chat(deps, session_factory, leader_id: int) -> Chat:
    return Chat(MainDialog(deps), leader_id, session_factory)


async def plan(chat: Chat, agreement_id: int, date: str, time: str):
    replies = await chat.submit(actions.submit_data(actions.PLAN, agreement_id))
    return await chat.press(replies, ptexts.SAVE, date=date, time=time)


async def stored(session_factory, agreement_id: int) -> Agreement:
    async with session_factory() as session:
        return await session.get(Agreement, agreement_id)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc)


def event_posts(graph: FakeGraph) -> list[tuple[str, str]]:
    return [(method, path) for method, path in graph.requests if path.startswith("/users/")]


async def test_planning_makes_one_teams_meeting_with_both_leaders(session_factory, pair, deps, graph) -> None:
    replies = await plan(chat(deps, session_factory, pair.superior), pair.agreement, "2026-02-10", "09:30")

    said = joined(replies)
    assert ptexts.DONE.format(name="Megan Bowen", when=NEW_TIME) in said
    assert ptexts.CALENDAR_CREATED.format(name="Megan Bowen") in said
    assert ptexts.ICS_BUTTON not in said
    [(event_id, event)] = graph.events.items()
    assert event["organizer_id"] == "aad-alex"
    assert event["attendees"] == [
        {"emailAddress": {"address": "meganb@example.com", "name": "Megan Bowen"}, "type": "required"}]
    assert event["isOnlineMeeting"] is True and event["onlineMeetingProvider"] == "teamsForBusiness"
    assert event["transactionId"]
    assert event["subject"] == ptexts.MEETING_SUBJECT.format(superior="Alex Wilber", subordinate="Megan Bowen")
    assert event["start"] == {"dateTime": "2026-02-10T08:30:00", "timeZone": "UTC"}
    assert event["end"] == {"dateTime": "2026-02-10T09:15:00", "timeZone": "UTC"}
    assert event["body"]["contentType"] == "HTML"
    assert "«Forbered deg»" in event["body"]["content"] and "Alex Wilber og Megan Bowen" in event["body"]["content"]
    agreement = await stored(session_factory, pair.agreement)
    assert (agreement.meeting_event_id, agreement.meeting_event_organizer_id) == (event_id, "aad-alex")
    assert utc(agreement.meeting_at) == datetime(2026, 2, 10, 8, 30, tzinfo=timezone.utc)


async def test_replanning_moves_the_same_meeting(session_factory, pair, deps, graph) -> None:
    superior = chat(deps, session_factory, pair.superior)
    await plan(superior, pair.agreement, "2026-02-10", "09:30")
    [event_id] = graph.events
    graph.requests.clear()

    replies = await plan(superior, pair.agreement, "2026-02-11", "13:15")

    assert ptexts.CALENDAR_MOVED.format(name="Megan Bowen") in joined(replies)
    assert list(graph.events) == [event_id]
    assert graph.events[event_id]["start"] == {"dateTime": "2026-02-11T12:15:00", "timeZone": "UTC"}
    assert [method for method, _ in event_posts(graph)] == ["PATCH"]
    assert (await stored(session_factory, pair.agreement)).meeting_event_id == event_id


async def test_a_meeting_deleted_in_the_calendar_is_made_anew(session_factory, pair, deps, graph) -> None:
    superior = chat(deps, session_factory, pair.superior)
    await plan(superior, pair.agreement, "2026-02-10", "09:30")
    [gone] = graph.events
    del graph.events[gone]

    replies = await plan(superior, pair.agreement, "2026-02-11", "13:15")

    assert ptexts.CALENDAR_CREATED.format(name="Megan Bowen") in joined(replies)
    [(event_id, event)] = graph.events.items()
    assert event_id != gone and event["start"]["dateTime"] == "2026-02-11T12:15:00"
    assert (await stored(session_factory, pair.agreement)).meeting_event_id == event_id


async def test_a_create_carried_out_but_never_stored_gives_back_the_same_event(session_factory, pair, deps,
                                                                               graph) -> None:
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        superior = await session.get(Leader, pair.superior)
        subordinate = await session.get(Leader, pair.subordinate)
    first = await deps.meetings.place(agreement, superior, subordinate, datetime(2026, 2, 10, 8, 30, tzinfo=timezone.utc))
    # Nothing was stored (a crash before the commit): the retry, at another time, finds the same event.
    again = await deps.meetings.place(agreement, superior, subordinate, datetime(2026, 2, 12, 7, 0, tzinfo=timezone.utc))

    assert again.event_id == first.event_id and not again.moved
    assert list(graph.events) == [first.event_id]
    assert graph.events[first.event_id]["start"]["dateTime"] == "2026-02-12T07:00:00"


@pytest.mark.parametrize("status", [500, 403])
async def test_a_graph_failure_keeps_the_plan_and_offers_an_ics_file(session_factory, pair, deps, graph,
                                                                     status: int) -> None:
    graph.fail_next(status, path_prefix="/users/")
    replies = await plan(chat(deps, session_factory, pair.superior), pair.agreement, "2026-02-10", "09:30")

    said = joined(replies)
    assert ptexts.DONE.format(name="Megan Bowen", when=NEW_TIME) in said
    assert ptexts.CALENDAR_FAILED.format(name="Megan Bowen") in said
    assert ptexts.ICS_TITLE in said
    assert graph.events == {}
    agreement = await stored(session_factory, pair.agreement)
    assert utc(agreement.meeting_at) == datetime(2026, 2, 10, 8, 30, tzinfo=timezone.utc)
    assert agreement.meeting_event_id is None
    # The subordinate is told all the same.
    assert deps.notifier.to(pair.subordinate)


async def test_with_the_calendar_meetings_off_graph_is_not_called_and_an_ics_is_offered(
    session_factory, pair, clock, graph
) -> None:
    deps = make_deps(clock=clock)
    replies = await plan(chat(deps, session_factory, pair.superior), pair.agreement, "2026-02-10", "09:30")

    said = joined(replies)
    assert ptexts.DONE.format(name="Megan Bowen", when=NEW_TIME) in said
    assert ptexts.CALENDAR_FAILED.format(name="Megan Bowen") not in said
    assert ptexts.ICS_TITLE in said
    assert graph.requests == [] and graph.tokens_issued == 0


def test_the_names_in_the_meeting_body_are_escaped() -> None:
    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

    body = meeting_body_html(Named("Ola <b>Nordmann</b>"), Named("Kari & Co"))
    assert "Ola &lt;b&gt;Nordmann&lt;/b&gt;" in body and "Kari &amp; Co" in body


async def test_graph_throttling_past_the_turns_budget_gives_the_ics_at_once(session_factory, pair, deps,
                                                                            graph) -> None:
    graph.throttle(1, retry_after=60)
    started = datetime.now(timezone.utc)
    replies = await plan(chat(deps, session_factory, pair.superior), pair.agreement, "2026-02-10", "09:30")

    assert datetime.now(timezone.utc) - started < timedelta(seconds=10)
    assert ptexts.CALENDAR_FAILED.format(name="Megan Bowen") in joined(replies)
    assert ptexts.ICS_TITLE in joined(replies)
    assert (await stored(session_factory, pair.agreement)).meeting_at is not None


async def test_a_passing_graph_outage_is_waited_out(session_factory, pair, deps, graph) -> None:
    graph.fail_next(503, path_prefix="/users/")
    replies = await plan(chat(deps, session_factory, pair.superior), pair.agreement, "2026-02-10", "09:30")

    assert ptexts.CALENDAR_CREATED.format(name="Megan Bowen") in joined(replies)
    assert len(graph.events) == 1


def test_the_calendar_meetings_are_on_with_graph_unless_switched_off(graph) -> None:
    assert meeting_calendar(Settings.from_env(graph.settings_env())) is not None
    assert meeting_calendar(Settings.from_env(graph.settings_env() | {"LEDERAVTALE_CALENDAR_MEETINGS": "false"})) is None
    assert meeting_calendar(Settings.from_env({})) is None
