"""The planner as a pure function, over whole simulated years and around its edge cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from scheduler.planner import Kind, LeaderInfo, LogEntry, RetryPolicy, plan
from storage.models import ReminderStatus
from tests.scheduler.helpers import World, agreement, at, change, leaders, simulate

TOP, SUP, A, B, C = 1, 2, 3, 4, 5


def since(sent: dict, day: date) -> dict:
    """The simulation's messages from ``day`` on (earlier days only set up the log)."""
    return {key: value for key, value in sent.items() if key >= day}


def demo_world(year: int = 2025) -> World:
    people = leaders((TOP, "Patti Fernandez", None), (SUP, "Alex Wilber", TOP), (A, "Megan Bowen", SUP),
                     (B, "Adele Vance", SUP), (C, "Isaiah Langer", SUP))
    agreements = {
        10: agreement(10, SUP, A, year),
        11: agreement(11, SUP, B, year),
        12: agreement(12, SUP, C, year),
        13: agreement(13, TOP, SUP, year),
    }
    return World(year, people, agreements)


def demo_events(year: int = 2025) -> dict:
    def update(agreement_id: int, **state):
        def apply(world: World) -> None:
            world.agreements[agreement_id] = change(world.agreements[agreement_id], **state)
        return apply

    return {
        at(date(year, 1, 20), 11): update(10, meeting_at=at(date(year, 2, 10), 10, 0)),
        at(date(year, 2, 6), 12): update(10, subordinate_prepared=True),
        at(date(year, 2, 12), 12): update(10, signed=True),
        at(date(year, 2, 26), 12): update(11, meeting_at=at(date(year, 3, 3), 10, 0)),
        at(date(year, 3, 5), 12): update(13, signed=True),
        at(date(year, 3, 20), 12): update(12, signed=True),
        at(date(year, 10, 15), 12): update(10, followup_done=True),
    }


def test_a_demo_year_sends_the_right_messages_on_the_right_days() -> None:
    sent = simulate(demo_world(), demo_events())
    assert sent == {
        date(2025, 1, 10): {TOP: (("kickoff", (13,)),), SUP: (("kickoff", (10, 11, 12)),)},
        # Megan prepared on 6 February: only Alex is reminded to prepare for their meeting.
        date(2025, 2, 7): {SUP: (("meeting_prep", (10,)),)},
        # 1 March is a Saturday. Alex gets the Q1 reminder and the meeting preparation in one message.
        date(2025, 2, 28): {
            TOP: (("q1_reminder", (13,)),),
            SUP: (("q1_reminder", (11, 12)), ("meeting_prep", (11,))),
            B: (("meeting_prep", (11,)),),
        },
        date(2025, 3, 14): {SUP: (("q1_reminder", (11, 12)),)},
        date(2025, 3, 25): {SUP: (("q1_reminder", (11,)),)},
        date(2025, 4, 1): {SUP: (("deadline_passed", (11,)),)},
        # Both leaders of each signed agreement; Alex's three agreements come in one message.
        date(2025, 9, 1): {
            TOP: (("followup_start", (13,)),),
            SUP: (("followup_start", (10, 12, 13)),),
            A: (("followup_start", (10,)),),
            C: (("followup_start", (12,)),),
        },
        # The follow-up of agreement 10 was done in October; 11 was never signed.
        date(2025, 10, 31): {TOP: (("followup_reminder", (13,)),), SUP: (("followup_reminder", (12,)),)},
        date(2025, 11, 20): {TOP: (("followup_reminder", (13,)),), SUP: (("followup_reminder", (12,)),)},
    }


def test_escalation_to_the_superiors_superior_is_a_setting() -> None:
    sent = simulate(demo_world(), demo_events(), escalate_overdue=True, end=date(2025, 4, 30))
    assert since(sent, date(2025, 3, 26)) == {
        date(2025, 4, 1): {SUP: (("deadline_passed", (11,)),), TOP: (("deadline_escalation", (11,)),)},
    }


YEARS = {
    # year: kick-off, Q1 reminders, deadline passed, follow-up post, November reminders
    2016: ("01-08", ("03-01", "03-15", "03-23"), "04-01", "09-01", ("11-01", "11-18")),  # leap year, Easter 27 March
    2024: ("01-10", ("03-01", "03-15", "03-25"), "04-02", "08-30", ("11-01", "11-20")),  # leap year, Easter 31 March
    2025: ("01-10", ("02-28", "03-14", "03-25"), "04-01", "09-01", ("10-31", "11-20")),
    2027: ("01-08", ("03-01", "03-15", "03-24"), "04-01", "09-01", ("11-01", "11-19")),  # Easter 28 March
    2028: ("01-10", ("03-01", "03-15", "03-24"), "04-03", "09-01", ("11-01", "11-20")),  # leap year
}


@pytest.mark.parametrize("year", sorted(YEARS))
def test_the_calendar_of_the_year_decides_the_days(year: int) -> None:
    world = World(year, leaders((TOP, "Top", None), (SUP, "Sup", TOP), (B, "Sub", SUP)),
                  {11: agreement(11, SUP, B, year), 13: agreement(13, TOP, SUP, year)})
    events = {at(date(year, 2, 1), 12): lambda w: w.agreements.__setitem__(13, change(w.agreements[13], signed=True))}
    sent = simulate(world, events)
    kickoff, q1, passed, followup, november = YEARS[year]
    day = lambda text: date.fromisoformat(f"{year}-{text}")  # noqa: E731
    expected = {
        day(kickoff): {TOP: (("kickoff", (13,)),), SUP: (("kickoff", (11,)),)},
        **{day(d): {SUP: (("q1_reminder", (11,)),)} for d in q1},
        day(passed): {SUP: (("deadline_passed", (11,)),)},
        day(followup): {TOP: (("followup_start", (13,)),), SUP: (("followup_start", (13,)),)},
        **{day(d): {TOP: (("followup_reminder", (13,)),)} for d in november},
    }
    assert sent == expected


def test_the_working_day_before_a_meeting_in_a_leap_year_is_29_february() -> None:
    world = demo_world(2028)
    world.agreements[11] = change(world.agreements[11], meeting_at=at(date(2028, 3, 1), 10, 0))
    sent = simulate(world, start=date(2028, 2, 20), end=date(2028, 3, 2))
    assert sent[date(2028, 2, 29)] == {SUP: (("meeting_prep", (11,)),), B: (("meeting_prep", (11,)),)}
    assert sent[date(2028, 3, 1)] == {SUP: (("q1_reminder", (10, 11, 12)),), TOP: (("q1_reminder", (13,)),)}


def test_nothing_before_the_sending_time_or_on_days_off() -> None:
    world = demo_world()
    snapshot = world.snapshot()
    assert plan(at(date(2025, 1, 10), 8, 59), snapshot) == []
    assert [m.recipient_id for m in plan(at(date(2025, 1, 10), 9, 0), snapshot)] == [TOP, SUP]
    assert plan(at(date(2025, 1, 11), 12, 0), snapshot) == []  # Saturday: the kick-off waits for Monday
    assert [m.recipient_id for m in plan(at(date(2025, 1, 13), 9, 0), snapshot)] == [TOP, SUP]


def test_the_sending_time_is_configurable() -> None:
    world = demo_world()
    world.overrides = {"send_time": "07:30"}
    assert plan(at(date(2025, 1, 10), 7, 29), world.snapshot()) == []
    assert len(plan(at(date(2025, 1, 10), 7, 30), world.snapshot())) == 2


def test_after_downtime_only_the_latest_missed_step_is_sent_once() -> None:
    # Down from the day before the first Q1 reminder until after the second one.
    sent = simulate(demo_world(), end=date(2025, 3, 24), down=(date(2025, 2, 27), date(2025, 3, 18)))
    assert since(sent, date(2025, 1, 11)) == {date(2025, 3, 19): {TOP: (("q1_reminder", (13,)),), SUP: (("q1_reminder", (10, 11, 12)),)}}
    assert {item.due_date for item in plan(at(date(2025, 3, 19)), demo_world().snapshot())[1].items} == {date(2025, 3, 14)}


def test_a_missed_deadline_notice_is_caught_up_but_not_for_ever() -> None:
    caught = simulate(demo_world(), end=date(2025, 4, 30), down=(date(2025, 3, 26), date(2025, 4, 9)))
    assert since(caught, date(2025, 3, 26)) == {date(2025, 4, 10): {TOP: (("deadline_passed", (13,)),), SUP: (("deadline_passed", (10, 11, 12)),)}}
    too_late = simulate(demo_world(), end=date(2025, 4, 30), down=(date(2025, 3, 26), date(2025, 4, 15)))
    assert since(too_late, date(2025, 3, 26)) == {}


def test_a_kickoff_is_not_sent_after_the_first_reminder_or_the_deadline() -> None:
    world = demo_world()
    kinds = {m.recipient_id: m.kinds for m in plan(at(date(2025, 2, 28)), world.snapshot())}
    assert kinds == {TOP: (Kind.Q1_REMINDER,), SUP: (Kind.Q1_REMINDER,)}


def test_an_agreement_added_later_gets_the_current_step() -> None:
    world = demo_world()
    sent = simulate(world, start=date(2025, 1, 10), end=date(2025, 1, 10))
    assert set(sent[date(2025, 1, 10)]) == {TOP, SUP}
    world.leaders[6] = LeaderInfo(6, "Lynne Robbins", SUP, True, True)
    world.agreements[14] = agreement(14, SUP, 6, 2025)
    later = simulate(world, start=date(2025, 1, 20), end=date(2025, 1, 31))
    assert later == {date(2025, 1, 20): {SUP: (("kickoff", (14,)),)}}


def test_one_message_a_day_what_comes_up_later_waits_for_tomorrow() -> None:
    world = demo_world()
    meeting = at(date(2025, 3, 18), 10, 0)
    events = {at(date(2025, 3, 14), 11, 0): lambda w: w.agreements.__setitem__(11, change(w.agreements[11], meeting_at=meeting))}
    sent = simulate(world, events, start=date(2025, 3, 14), end=date(2025, 3, 18))
    # The meeting is planned after Alex got the Q1 reminder on Friday 14 March; his preparation
    # reminder is due Monday 17 March anyway. Adele has had no message yet that Friday.
    assert sent == {
        date(2025, 3, 14): {TOP: (("q1_reminder", (13,)),), SUP: (("q1_reminder", (10, 11, 12)),)},
        date(2025, 3, 17): {SUP: (("meeting_prep", (11,)),), B: (("meeting_prep", (11,)),)},
    }


def test_preparation_planned_the_same_day_waits_until_the_next_morning_if_already_messaged() -> None:
    world = demo_world()
    meeting = at(date(2025, 3, 15), 12, 0)  # a Saturday meeting planned on Friday at 11
    events = {at(date(2025, 3, 14), 11, 0): lambda w: w.agreements.__setitem__(11, change(w.agreements[11], meeting_at=meeting))}
    sent = simulate(world, events, start=date(2025, 3, 14), end=date(2025, 3, 17))
    assert sent[date(2025, 3, 14)][B] == (("meeting_prep", (11,)),)  # Adele: at the next sweep, 13:00
    assert sent[date(2025, 3, 14)][SUP] == (("q1_reminder", (10, 11, 12)),)  # Alex already had his message
    assert date(2025, 3, 15) not in sent and date(2025, 3, 17) not in sent  # Saturday; then the meeting is over


def test_no_preparation_reminder_once_the_agreement_is_filled_or_both_prepared() -> None:
    world = demo_world()
    world.agreements[11] = change(world.agreements[11], meeting_at=at(date(2025, 2, 5), 10, 0), filled=True)
    world.agreements[12] = change(world.agreements[12], meeting_at=at(date(2025, 2, 5), 10, 0),
                                  superior_prepared=True, subordinate_prepared=True)
    assert all(Kind.MEETING_PREP not in m.kinds for m in plan(at(date(2025, 2, 4)), world.snapshot()))
    assert all(Kind.MEETING_PREP not in m.kinds for m in plan(at(date(2025, 2, 4), 16), world.snapshot()))


def test_signed_agreements_get_no_spring_reminders_and_finished_followups_no_autumn_ones() -> None:
    world = demo_world()
    for key in (10, 11, 12, 13):
        world.agreements[key] = change(world.agreements[key], signed=True, followup_done=True)
    assert simulate(world) == {}


def test_inactive_leaders_get_nothing_and_the_escalation_skips_them() -> None:
    world = demo_world()
    world.leaders[SUP] = LeaderInfo(SUP, "Alex Wilber", TOP, False, True)
    sent = simulate(world, start=date(2025, 1, 1), end=date(2025, 4, 30), escalate_overdue=True)
    assert all(SUP not in per_day for per_day in sent.values())
    assert sent[date(2025, 1, 10)] == {TOP: (("kickoff", (13,)),)}


def test_a_follow_up_post_reaches_an_agreement_signed_in_the_autumn() -> None:
    world = demo_world()
    events = {at(date(2025, 10, 2), 12): lambda w: w.agreements.__setitem__(11, change(w.agreements[11], signed=True))}
    sent = simulate(world, events, start=date(2025, 9, 2), end=date(2025, 10, 10))
    # Signed at noon: the 13:00 sweep sends the post.
    assert sent == {date(2025, 10, 2): {SUP: (("followup_start", (11,)),), B: (("followup_start", (11,)),)}}


def test_plan_refuses_a_naive_time_or_a_snapshot_of_another_year() -> None:
    snapshot = demo_world().snapshot()
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(datetime(2025, 1, 10, 9, 0), snapshot)
    with pytest.raises(ValueError, match="snapshot is for 2025"):
        plan(at(date(2026, 1, 9)), snapshot)


# --- the log decides what may be sent again ------------------------------------------------


def _entry(status: ReminderStatus, attempts: int, claimed_at: datetime, recipient: int = SUP) -> LogEntry:
    return LogEntry(99, "kickoff", recipient, 11, date(2025, 1, 10), status, attempts, "other/1", claimed_at, None)


@pytest.mark.parametrize(
    ("status", "attempts", "age_minutes", "reachable", "planned"),
    [
        (ReminderStatus.SENT, 1, 600, True, False),
        (ReminderStatus.CLAIMED, 0, 5, True, False),  # being sent by another process right now
        (ReminderStatus.CLAIMED, 0, 15, True, True),  # abandoned before the send started
        (ReminderStatus.CLAIMED, 1, 600, True, False),  # the send started: may have arrived, never again
        (ReminderStatus.FAILED, 1, 10, True, False),  # too soon to try again
        (ReminderStatus.FAILED, 2, 45, True, True),
        (ReminderStatus.FAILED, 3, 600, True, False),  # enough rounds
        (ReminderStatus.UNREACHABLE, 1, 600, False, False),
        (ReminderStatus.UNREACHABLE, 1, 600, True, True),  # spoke to the bot since
    ],
)
def test_what_is_in_the_log_is_planned_again_only_when_safe(
    status: ReminderStatus, attempts: int, age_minutes: int, reachable: bool, planned: bool
) -> None:
    world = demo_world()
    now = at(date(2025, 1, 13), 11, 0)
    claimed_at = (now - timedelta(minutes=age_minutes)).astimezone(timezone.utc)
    entry = _entry(status, attempts, claimed_at)
    world.log[entry.key] = entry
    world.leaders[SUP] = LeaderInfo(SUP, "Alex Wilber", TOP, True, reachable)
    messages = {m.recipient_id: m for m in plan(now, world.snapshot(), policy=RetryPolicy())}
    if status is ReminderStatus.CLAIMED and not planned and claimed_at.date() == now.date():
        assert SUP not in messages  # someone is (or may be) messaging Alex today: nothing else today
        return
    items = {item.agreement_id: item for item in messages[SUP].items} if SUP in messages else {}
    assert (11 in items) is planned
    if planned:
        assert items[11].retry_of == entry
    else:
        assert set(items) <= {10, 12}
