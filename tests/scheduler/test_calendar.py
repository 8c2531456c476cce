"""The reminder calendar: defaults, overrides, working days and Easter near the Q1 deadline."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.calendar import (
    CalendarError,
    build_calendar,
    is_working_day,
    load_calendar,
    parse_assignments,
    public_holiday,
    set_calendar,
    working_day_after,
    working_day_before,
    working_day_on_or_before,
)


def test_weekends_and_norwegian_public_holidays_are_not_working_days() -> None:
    assert is_working_day(date(2025, 3, 31))  # a Monday
    assert not is_working_day(date(2025, 3, 29))  # Saturday
    assert not is_working_day(date(2025, 3, 30))  # Sunday
    assert public_holiday(date(2024, 3, 28)) and not is_working_day(date(2024, 3, 28))  # Maundy Thursday
    assert not is_working_day(date(2024, 3, 29))  # Good Friday
    assert not is_working_day(date(2024, 4, 1))  # Easter Monday
    assert not is_working_day(date(2025, 5, 17))  # Constitution Day
    assert not is_working_day(date(2025, 12, 26))
    assert public_holiday(date(2025, 3, 30)) is None  # an ordinary Sunday is a weekend, not a holiday


def test_moving_to_working_days() -> None:
    assert working_day_on_or_before(date(2024, 4, 1)) == date(2024, 3, 27)
    assert working_day_before(date(2025, 3, 3)) == date(2025, 2, 28)
    assert working_day_before(date(2028, 3, 1)) == date(2028, 2, 29)  # leap day
    assert working_day_after(date(2024, 3, 27)) == date(2024, 4, 2)


def test_defaults_in_an_ordinary_year() -> None:
    calendar = build_calendar(2025)
    assert calendar.kickoff == date(2025, 1, 10)  # Friday
    assert calendar.q1_reminders == (date(2025, 2, 28), date(2025, 3, 14), date(2025, 3, 25))  # 1/3 Sat, 15/3 Sat
    assert calendar.q1_deadline == date(2025, 3, 31)
    assert calendar.q1_deadline_passed == date(2025, 4, 1)
    assert calendar.followup_start == date(2025, 9, 1)
    assert calendar.followup_reminders == (date(2025, 10, 31), date(2025, 11, 20))  # 1/11 Sat
    assert calendar.followup_deadline == date(2025, 11, 28)  # 30/11 Sun
    assert calendar.send_time == time(9, 0)
    assert calendar.send_moment(date(2025, 3, 3)) == datetime(2025, 3, 3, 8, 0, tzinfo=timezone.utc)
    assert calendar.send_moment(date(2025, 9, 1)) == datetime(2025, 9, 1, 7, 0, tzinfo=timezone.utc)


def test_easter_at_the_end_of_march_2024_moves_the_deadline_dates() -> None:
    calendar = build_calendar(2024)
    assert calendar.q1_reminders == (date(2024, 3, 1), date(2024, 3, 15), date(2024, 3, 25))
    # 28 Maundy Thursday, 29 Good Friday, 30 Saturday, 31 Easter Sunday: the deadline is the 27th.
    assert calendar.q1_deadline == date(2024, 3, 27)
    # 1 April is Easter Monday; the working day before it is the deadline itself, so the
    # "deadline passed" notice goes out on the first working day after the deadline instead.
    assert calendar.q1_deadline_passed == date(2024, 4, 2)
    assert calendar.followup_deadline == date(2024, 11, 29)


def test_easter_2027_moves_the_last_q1_reminder_before_maundy_thursday() -> None:
    calendar = build_calendar(2027)
    assert calendar.q1_reminders[2] == date(2027, 3, 24)
    assert calendar.q1_deadline == date(2027, 3, 31)
    assert calendar.q1_deadline_passed == date(2027, 4, 1)


def test_leap_year_2028() -> None:
    calendar = build_calendar(2028, {"q1_reminder_1": "2028-02-29"})
    assert calendar.q1_reminders[0] == date(2028, 2, 29)
    assert calendar.q1_deadline == date(2028, 3, 31)  # Friday
    # 1 April 2028 is a Saturday: moving back would hit the deadline, so it moves forward.
    assert calendar.q1_deadline_passed == date(2028, 4, 3)
    assert calendar.meeting_prep_day(datetime(2028, 3, 1, 9, 0, tzinfo=timezone.utc)) == date(2028, 2, 29)


def test_every_date_and_the_hour_can_be_overridden() -> None:
    calendar = build_calendar(2025, {"kickoff": "2025-01-15", "q1_deadline": "2025-03-28", "send_time": "08:30"})
    assert calendar.kickoff == date(2025, 1, 15)
    assert calendar.q1_deadline == date(2025, 3, 28)
    assert calendar.send_moment(date(2025, 1, 15)) == datetime(2025, 1, 15, 7, 30, tzinfo=timezone.utc)


def test_meeting_prep_is_the_working_day_before_the_meetings_local_date() -> None:
    calendar = build_calendar(2025)
    # 23:30 UTC on Sunday is 00:30 on Monday in Oslo: prepare on Friday.
    assert calendar.meeting_prep_day(datetime(2025, 3, 2, 23, 30, tzinfo=timezone.utc)) == date(2025, 2, 28)
    assert calendar.meeting_prep_day(datetime(2025, 3, 5, 9, 0, tzinfo=timezone.utc)) == date(2025, 3, 4)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kickof": "2025-01-10"}, "Ukjent kalenderinnstilling: kickof"),
        ({"kickoff": "10.01.2025"}, "kickoff: «10.01.2025» er ikke en dato"),
        ({"kickoff": "2024-01-10"}, "kickoff: 2024-01-10 er ikke i 2025"),
        ({"q1_reminder_2": "2025-02-01"}, r"q1_reminder_2 \(2025-02-01\) må komme etter q1_reminder_1 \(2025-03-01\)"),
        ({"q1_deadline_passed": "2025-03-31"}, "må komme etter q1_deadline"),
        ({"send_time": "9"}, "er ikke et klokkeslett"),
        ({"send_time": "25:00"}, "er ikke et klokkeslett"),
        ({"kickoff": "2025-01-01"}, r"arbeidsdagen før \(2024-12-31\) er ikke i 2025"),  # New Year's Day would move to 31 December
    ],
)
def test_bad_overrides_are_refused_with_a_clear_message(overrides: dict, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        build_calendar(2025, overrides)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(CalendarError, match="Ukjent tidssone"):
        build_calendar(2025, timezone="Europe/Lorenskog")


def test_command_line_assignments() -> None:
    assert parse_assignments(["kickoff=2025-01-13", "send_time=08:00", "q1_deadline="]) == {
        "kickoff": "2025-01-13", "send_time": "08:00", "q1_deadline": "",
    }
    with pytest.raises(CalendarError, match="er ikke NØKKEL=VERDI"):
        parse_assignments(["kickoff"])
    with pytest.raises(CalendarError, match="Ukjent kalenderinnstilling: deadline "):
        parse_assignments(["deadline=2025-03-31"])


async def test_overrides_are_stored_per_year_and_can_be_reset(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        await set_calendar(session, 2025, {"kickoff": "2025-01-13", "send_time": "8:15"})
        await session.commit()
    async with session_factory() as session:
        calendar = await load_calendar(session, 2025)
        other_year = await load_calendar(session, 2026)
    assert calendar.kickoff == date(2025, 1, 13) and calendar.send_time == time(8, 15)
    assert calendar.overrides == {"kickoff": "2025-01-13", "send_time": "08:15"}
    assert other_year.kickoff == date(2026, 1, 9)  # 10 January 2026 is a Saturday
    async with session_factory() as session:
        with pytest.raises(CalendarError, match="må komme etter"):
            await set_calendar(session, 2025, {"q1_reminder_1": "2025-01-05"})
        await set_calendar(session, 2025, {"kickoff": ""})
        await session.commit()
    async with session_factory() as session:
        calendar = await load_calendar(session, 2025)
    assert calendar.kickoff == date(2025, 1, 10) and calendar.overrides == {"send_time": "08:15"}
