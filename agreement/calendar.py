"""The reminder calendar of one year: default dates, per-year overrides and working days.

Every date of the calendar (and the sending time) can be overridden per year in the
``year_calendars`` table. A date that falls on a Saturday, a Sunday or a Norwegian public
holiday moves to the working day before. One exception keeps the messages sensible: the
"deadline passed" notice must come after the deadline, so if moving it back would put it on
or before the (moved) deadline, it moves forward to the first working day after the deadline
instead (1 April 2024 is Easter Monday and the working day before it is the deadline itself).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.texts import calendar as texts
from storage.models import YearCalendar, utcnow

#: The calendar's dates in the order they must come in the year, with their defaults (month, day).
DEFAULT_DATES: dict[str, tuple[int, int]] = {
    "kickoff": (1, 10),
    "q1_reminder_1": (3, 1),
    "q1_reminder_2": (3, 15),
    "q1_reminder_3": (3, 25),
    "q1_deadline": (3, 31),
    "q1_deadline_passed": (4, 1),
    "followup_start": (9, 1),
    "followup_reminder_1": (11, 1),
    "followup_reminder_2": (11, 20),
    "followup_deadline": (11, 30),
}
#: The dates that are deadlines the reminders name; on the others, reminders go out.
DEADLINE_KEYS = ("q1_deadline", "followup_deadline")
SEND_TIME_KEY = "send_time"
DEFAULT_SEND_TIME = time(9, 0)
KEYS = (*DEFAULT_DATES, SEND_TIME_KEY)

_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class CalendarError(ValueError):
    """A calendar setting that cannot be used; the message says which and why."""


@functools.cache
def _holidays(year: int) -> holidays.HolidayBase:
    # Sundays are weekends anyway; be explicit so that "holiday" means a public holiday.
    return holidays.Norway(years=year, include_sundays=False, language="no")


def public_holiday(day: date) -> str | None:
    """The (bokmål) name of the Norwegian public holiday on ``day``, if it is one."""
    return _holidays(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Norwegian public holiday."""
    return day.weekday() < 5 and public_holiday(day) is None


def working_day_on_or_before(day: date) -> date:
    """``day`` itself if it is a working day, else the nearest working day before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_day_before(day: date) -> date:
    """The nearest working day strictly before ``day``."""
    return working_day_on_or_before(day - timedelta(days=1))


def working_day_after(day: date) -> date:
    """The nearest working day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def parse_date(value: str, key: str) -> date:
    """A ``YYYY-MM-DD`` date, or a CalendarError naming the key."""
    try:
        return date.fromisoformat(value.strip())
    except (AttributeError, ValueError):
        raise CalendarError(texts.NOT_A_DATE.format(key=key, value=value)) from None


def parse_time(value: str, key: str = SEND_TIME_KEY) -> time:
    """An ``HH:MM`` time of day, or a CalendarError naming the key."""
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise CalendarError(texts.NOT_A_TIME.format(key=key, value=value))
    return time(int(match.group(1)), int(match.group(2)))


def zone(name: str) -> ZoneInfo:
    """The time zone with this IANA name, or a CalendarError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(texts.UNKNOWN_ZONE.format(name=name)) from None


@dataclass(frozen=True)
class ReminderCalendar:
    """One year's calendar: the configured dates, and the dates reminders actually go out."""

    year: int
    timezone: ZoneInfo
    send_time: time
    configured: Mapping[str, date]
    effective: Mapping[str, date]
    overrides: Mapping[str, str]

    def date(self, key: str) -> date:
        """The effective (working-day) date of ``key``."""
        return self.effective[key]

    @property
    def kickoff(self) -> date:
        return self.effective["kickoff"]

    @property
    def q1_reminders(self) -> tuple[date, ...]:
        return tuple(self.effective[f"q1_reminder_{n}"] for n in (1, 2, 3))

    @property
    def q1_deadline(self) -> date:
        return self.effective["q1_deadline"]

    @property
    def q1_deadline_passed(self) -> date:
        return self.effective["q1_deadline_passed"]

    @property
    def followup_start(self) -> date:
        return self.effective["followup_start"]

    @property
    def followup_reminders(self) -> tuple[date, ...]:
        return tuple(self.effective[f"followup_reminder_{n}"] for n in (1, 2))

    @property
    def followup_deadline(self) -> date:
        return self.effective["followup_deadline"]

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` (timezone-aware) in the calendar's time zone."""
        return moment.astimezone(self.timezone).date()

    def send_moment(self, day: date) -> datetime:
        """When messages due on ``day`` may go out, as a timezone-aware datetime."""
        return datetime.combine(day, self.send_time, tzinfo=self.timezone)

    def meeting_prep_day(self, meeting_at: datetime) -> date:
        """The working day before the day of a planned meeting."""
        return working_day_before(self.local_date(meeting_at))


def _configured_dates(year: int, overrides: Mapping[str, str]) -> dict[str, date]:
    configured: dict[str, date] = {}
    for key, (month, day) in DEFAULT_DATES.items():
        if key in overrides:
            value = parse_date(overrides[key], key)
            if value.year != year:
                raise CalendarError(texts.NOT_IN_YEAR.format(key=key, value=value.isoformat(), year=year))
            configured[key] = value
        else:
            configured[key] = date(year, month, day)
    return configured


def _check_order(configured: Mapping[str, date]) -> None:
    keys = list(configured)
    for earlier, later in zip(keys, keys[1:]):
        if configured[later] <= configured[earlier]:
            raise CalendarError(texts.ORDER.format(
                later=later, later_date=configured[later].isoformat(),
                earlier=earlier, earlier_date=configured[earlier].isoformat(),
            ))


def _effective_dates(year: int, configured: Mapping[str, date]) -> dict[str, date]:
    effective = {key: working_day_on_or_before(day) for key, day in configured.items()}
    if effective["q1_deadline_passed"] <= effective["q1_deadline"]:
        effective["q1_deadline_passed"] = working_day_after(effective["q1_deadline"])
    keys = list(effective)
    for earlier, later in zip(keys, keys[1:]):
        if effective[later] < effective[earlier]:
            raise CalendarError(texts.MOVED_ORDER.format(
                later=later, later_date=effective[later].isoformat(),
                earlier=earlier, earlier_date=effective[earlier].isoformat(),
            ))
    for key, day in effective.items():
        if day.year != year:
            raise CalendarError(texts.MOVED_OUT_OF_YEAR.format(
                key=key, value=configured[key].isoformat(), moved=day.isoformat(), year=year
            ))
    return effective


def build_calendar(year: int, overrides: Mapping[str, str] | None = None, timezone: str = "Europe/Oslo") -> ReminderCalendar:
    """The calendar of ``year`` with ``overrides`` (key -> ``YYYY-MM-DD`` or ``HH:MM``) applied."""
    if not 2000 <= year <= 2200:
        raise CalendarError(texts.BAD_YEAR.format(year=year))
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - set(KEYS))
    if unknown:
        raise CalendarError(texts.UNKNOWN_KEYS.format(keys=", ".join(unknown), known=", ".join(KEYS)))
    configured = _configured_dates(year, overrides)
    _check_order(configured)
    send_time = parse_time(overrides[SEND_TIME_KEY]) if SEND_TIME_KEY in overrides else DEFAULT_SEND_TIME
    return ReminderCalendar(
        year=year,
        timezone=zone(timezone),
        send_time=send_time,
        configured=configured,
        effective=_effective_dates(year, configured),
        overrides=overrides,
    )


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` from the command line; an empty VALUE resets KEY to its default."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CalendarError(texts.NOT_KEY_VALUE.format(pair=pair))
        if key not in KEYS:
            raise CalendarError(texts.UNKNOWN_KEYS.format(keys=key, known=", ".join(KEYS)))
        result[key] = value.strip()
    return result


async def load_calendar(session: AsyncSession, year: int, timezone: str = "Europe/Oslo") -> ReminderCalendar:
    """The calendar of ``year`` with the overrides stored in the database."""
    row = await session.get(YearCalendar, year)
    overrides = dict(row.settings) if row is not None and row.settings else {}
    try:
        return build_calendar(year, overrides, timezone)
    except CalendarError as exc:
        raise CalendarError(texts.STORED_INVALID.format(year=year, error=exc)) from exc


async def set_calendar(
    session: AsyncSession, year: int, updates: Mapping[str, str], timezone: str = "Europe/Oslo"
) -> ReminderCalendar:
    """Apply ``updates`` (an empty value removes an override) after validating the result; caller commits."""
    row = await session.get(YearCalendar, year)
    overrides = dict(row.settings) if row is not None and row.settings else {}
    for key, value in updates.items():
        if value == "":
            overrides.pop(key, None)
        else:
            overrides[key] = value
    calendar = build_calendar(year, overrides, timezone)
    canonical = {
        key: (calendar.send_time.strftime("%H:%M") if key == SEND_TIME_KEY else calendar.configured[key].isoformat())
        for key in overrides
    }
    if row is None:
        session.add(YearCalendar(year=year, settings=canonical))
    else:
        row.settings = canonical
        row.updated_at = utcnow()
    return build_calendar(year, canonical, timezone)
