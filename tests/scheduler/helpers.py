"""In-memory snapshots and a day-by-day simulation of the planner (no database)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from agreement.status import AgreementStatus
from agreement.calendar import build_calendar
from scheduler.planner import AgreementInfo, LeaderInfo, LogEntry, Message, Snapshot, plan
from storage.models import ReminderStatus

OSLO = ZoneInfo("Europe/Oslo")
_ids = itertools.count(1)


def at(day: date, hour: int = 9, minute: int = 5) -> datetime:
    """A local Oslo time on ``day``."""
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO)


def _status(a: AgreementInfo) -> AgreementStatus:
    if a.signed and a.followup_recorded and a.superior_followup_confirmed and a.subordinate_followup_confirmed:
        return AgreementStatus.OPPFOLGING_GJENNOMFORT
    if a.signed:
        return AgreementStatus.SIGNERT
    if a.filled:
        return AgreementStatus.UTFYLT
    if a.superior_prepared and a.subordinate_prepared:
        return AgreementStatus.FORBEREDT
    if a.meeting_at is not None:
        return AgreementStatus.PLANLAGT
    return AgreementStatus.IKKE_STARTET


def agreement(agreement_id: int, superior: int, subordinate: int, year: int, **state) -> AgreementInfo:
    """An agreement with the given state flags; the status is derived like derive_status does."""
    base = AgreementInfo(
        id=agreement_id, year=year, template_id="lederavtale-2023", superior_id=superior, subordinate_id=subordinate,
        status=AgreementStatus.IKKE_STARTET, meeting_at=None, superior_prepared=False, subordinate_prepared=False,
        filled=False, superior_signed=False, subordinate_signed=False, followup_recorded=False,
        superior_followup_confirmed=False, subordinate_followup_confirmed=False,
    )
    return change(base, **state)


def change(info: AgreementInfo, **state) -> AgreementInfo:
    """The agreement with some state changed ("signed" and "followup_done" set both sides)."""
    if state.pop("signed", False):
        state.update(filled=True, superior_signed=True, subordinate_signed=True, superior_prepared=True,
                     subordinate_prepared=True)
    if state.pop("followup_done", False):
        state.update(followup_recorded=True, superior_followup_confirmed=True, subordinate_followup_confirmed=True)
    updated = replace(info, **state)
    return replace(updated, status=_status(updated))


@dataclass
class World:
    """Leaders, agreements and a reminder log that changes as the simulated year goes by."""

    year: int
    leaders: dict[int, LeaderInfo]
    agreements: dict[int, AgreementInfo]
    overrides: dict[str, str] = field(default_factory=dict)
    log: dict = field(default_factory=dict)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            self.year, build_calendar(self.year, self.overrides), dict(self.leaders),
            tuple(self.agreements[key] for key in sorted(self.agreements)), dict(self.log),
        )

    def record(self, message: Message, now: datetime, status: ReminderStatus = ReminderStatus.SENT) -> None:
        """Write the message's reminders to the log as a sweep would."""
        for item in message.items:
            self.log[item.key] = LogEntry(
                next(_ids), item.kind.value, item.recipient_id, item.agreement_id, item.due_date, status,
                1, "test", now.astimezone(timezone.utc), now.astimezone(timezone.utc) if status is ReminderStatus.SENT else None,
            )


def leaders(*specs: tuple[int, str, int | None]) -> dict[int, LeaderInfo]:
    return {lid: LeaderInfo(lid, name, superior, True, True) for lid, name, superior in specs}


Summary = dict[date, dict[int, tuple[tuple[str, tuple[int, ...]], ...]]]


def simulate(
    world: World,
    events: dict[datetime, Callable[[World], None]] | None = None,
    *,
    start: date | None = None,
    end: date | None = None,
    times: tuple[tuple[int, int], ...] = ((7, 0), (9, 0), (9, 5), (13, 0), (16, 30)),
    escalate_overdue: bool = False,
    down: tuple[date, date] | None = None,
) -> Summary:
    """Run the planner several times a day over the period, sending everything it plans.

    Returns, per day with messages, recipient -> ((kind, agreement ids), ...).
    ``down`` is a period (inclusive) without sweeps.
    """
    events = dict(sorted((events or {}).items()))
    day = start or date(world.year, 1, 1)
    last = end or date(world.year, 12, 31)
    sent: Summary = {}
    while day <= last:
        for hour, minute in times:
            now = at(day, hour, minute)
            for when in [when for when in events if when <= now]:
                events.pop(when)(world)
            if down and down[0] <= day <= down[1]:
                continue
            for message in plan(now, world.snapshot(), escalate_overdue=escalate_overdue):
                world.record(message, now)
                per_day = sent.setdefault(day, {})
                assert message.recipient_id not in per_day, f"second message on {day} to {message.recipient_id}"
                per_day[message.recipient_id] = tuple(
                    (kind.value, tuple(item.agreement_id for item in message.items_of(kind))) for kind in message.kinds
                )
        day += timedelta(days=1)
    return sent
