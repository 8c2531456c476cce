"""Which reminders are due to whom: a pure function of the time and a snapshot of the database.

Rules (dates are the calendar's effective working-day dates, times are local):

* Nothing goes out on a Saturday, Sunday or public holiday, or before the sending time
  (09:00) of the day.
* The spring reminders to a superior form a chain: kick-off, the three Q1 reminders, then
  "deadline passed". Only the latest one that is due is sent; an earlier one that was missed
  is superseded by it. A kick-off or Q1 reminder is never sent after the deadline, and a missed
  "deadline passed" (and its escalation) is caught up for at most ``LATE_LIMIT_DAYS`` days.
  An agreement added later in the period gets the current step of the chain (so a leader
  imported in February still gets a kick-off).
* Meeting preparation is due on the working day before the meeting, to each leader of the
  pair who has not marked their preparation done, while the meeting is still ahead and the
  agreement is not yet filled in.
* The autumn follow-up post is due from the follow-up date until the follow-up deadline, to
  both leaders of each signed agreement whose follow-up is not yet recorded (an agreement
  signed in October still gets it). The November reminders form a chain like the spring one.
* A reminder is sent once: a reminder already in the log is not planned again, except a
  claim abandoned before its send started, a failed send (up to a few rounds) and an
  unreachable leader who has spoken to the bot since.
* A leader gets at most one message a day: everything due to them is combined, and what
  becomes due after they got today's message waits for the next day (while still relevant).
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.status import AgreementStatus, derive_status
from agreement.calendar import ReminderCalendar, is_working_day, load_calendar
from storage.models import Agreement, ConversationRef, Leader, ReminderLog, ReminderStatus

#: How long a missed reminder at the end of a chain may still be sent late.
LATE_LIMIT_DAYS = 14


class Kind(str, enum.Enum):
    """The kinds of reminder, in the order they appear in a combined message."""

    KICKOFF = "kickoff"
    Q1_REMINDER = "q1_reminder"
    DEADLINE_PASSED = "deadline_passed"
    MEETING_PREP = "meeting_prep"
    FOLLOWUP_START = "followup_start"
    FOLLOWUP_REMINDER = "followup_reminder"
    ESCALATION = "deadline_escalation"

    @property
    def order(self) -> int:
        return list(Kind).index(self)


@dataclass(frozen=True)
class RetryPolicy:
    """When a reminder already in the log may be claimed again."""

    #: A claim whose send never started (a crash right after claiming) is free again after this.
    stale_claim_after: timedelta = timedelta(minutes=10)
    #: A failed send is tried again after this ...
    retry_failed_after: timedelta = timedelta(minutes=30)
    #: ... until this many send rounds were made.
    max_rounds: int = 3


@dataclass(frozen=True)
class LeaderInfo:
    id: int
    name: str
    superior_id: int | None
    active: bool
    reachable: bool


@dataclass(frozen=True)
class AgreementInfo:
    """What planning and the cards need to know about an (active) agreement: status and dates only."""

    id: int
    year: int
    template_id: str
    superior_id: int
    subordinate_id: int
    status: AgreementStatus
    meeting_at: datetime | None
    superior_prepared: bool
    subordinate_prepared: bool
    filled: bool
    superior_signed: bool
    subordinate_signed: bool
    followup_recorded: bool
    superior_followup_confirmed: bool
    subordinate_followup_confirmed: bool
    #: The subordinate sent the filled agreement back with comments (it is no longer filled).
    review_comments: bool = False

    @property
    def signed(self) -> bool:
        return self.superior_signed and self.subordinate_signed

    @property
    def followup_done(self) -> bool:
        return self.status is AgreementStatus.OPPFOLGING_GJENNOMFORT

    def other(self, leader_id: int) -> int:
        """The other leader of the pair."""
        return self.subordinate_id if leader_id == self.superior_id else self.superior_id

    def prepared(self, leader_id: int) -> bool:
        return self.superior_prepared if leader_id == self.superior_id else self.subordinate_prepared

    @classmethod
    def of(cls, agreement: Agreement) -> "AgreementInfo":
        return cls(
            id=agreement.id,
            year=agreement.year,
            template_id=agreement.template_id,
            superior_id=agreement.superior_id,
            subordinate_id=agreement.subordinate_id,
            status=derive_status(agreement),
            meeting_at=as_utc(agreement.meeting_at),
            superior_prepared=agreement.superior_prepared_at is not None,
            subordinate_prepared=agreement.subordinate_prepared_at is not None,
            filled=agreement.filled_at is not None,
            superior_signed=agreement.superior_signed_at is not None,
            subordinate_signed=agreement.subordinate_signed_at is not None,
            followup_recorded=agreement.followup_recorded_at is not None,
            superior_followup_confirmed=agreement.superior_followup_confirmed_at is not None,
            subordinate_followup_confirmed=agreement.subordinate_followup_confirmed_at is not None,
            review_comments=agreement.review_comment_at is not None,
        )


LogKey = tuple[str, int, int, date]


def as_utc(value: datetime | None) -> datetime | None:
    """A stored timestamp as an aware UTC datetime (SQLite hands them back naive, in UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


@dataclass(frozen=True)
class LogEntry:
    """One row of the reminder log."""

    id: int
    kind: str
    recipient_id: int
    agreement_id: int
    due_date: date
    status: ReminderStatus
    attempts: int
    claimed_by: str
    claimed_at: datetime
    sent_at: datetime | None

    @property
    def key(self) -> LogKey:
        return (self.kind, self.recipient_id, self.agreement_id, self.due_date)


@dataclass(frozen=True)
class Snapshot:
    """The state planning works from: one year's calendar, leaders, agreements and log."""

    year: int
    calendar: ReminderCalendar
    leaders: Mapping[int, LeaderInfo]
    agreements: tuple[AgreementInfo, ...]
    log: Mapping[LogKey, LogEntry] = field(default_factory=dict)

    def agreement(self, agreement_id: int) -> AgreementInfo:
        for agreement in self.agreements:
            if agreement.id == agreement_id:
                return agreement
        raise KeyError(agreement_id)


@dataclass(frozen=True)
class PlannedItem:
    """One reminder about one agreement to one leader; ``retry_of`` is its earlier log row, if any."""

    kind: Kind
    recipient_id: int
    agreement_id: int
    due_date: date
    retry_of: LogEntry | None = None

    @property
    def key(self) -> LogKey:
        return (self.kind.value, self.recipient_id, self.agreement_id, self.due_date)


@dataclass(frozen=True)
class Message:
    """Everything due to one leader today, sent as one card."""

    recipient_id: int
    items: tuple[PlannedItem, ...]

    @property
    def kinds(self) -> tuple[Kind, ...]:
        """The kinds in this message, in card order, each once."""
        return tuple(sorted({item.kind for item in self.items}, key=lambda kind: kind.order))

    def items_of(self, kind: Kind) -> tuple[PlannedItem, ...]:
        return tuple(item for item in self.items if item.kind is kind)


def _current_step(steps: list[tuple[date, Kind]], today: date) -> tuple[int, date, Kind] | None:
    current = None
    for index, (day, kind) in enumerate(steps):
        if day <= today:
            current = (index, day, kind)
    return current


def _spring_step(calendar: ReminderCalendar, today: date) -> tuple[Kind, date] | None:
    steps = [(calendar.kickoff, Kind.KICKOFF)] + [(day, Kind.Q1_REMINDER) for day in calendar.q1_reminders]
    steps.append((calendar.q1_deadline_passed, Kind.DEADLINE_PASSED))
    current = _current_step(steps, today)
    if current is None:
        return None
    index, due, kind = current
    if kind is Kind.DEADLINE_PASSED:
        last = due + timedelta(days=LATE_LIMIT_DAYS)
    else:
        last = min(steps[index + 1][0] - timedelta(days=1), calendar.q1_deadline)
    return (kind, due) if today <= last else None


def _autumn_step(calendar: ReminderCalendar, today: date) -> date | None:
    steps = [(day, Kind.FOLLOWUP_REMINDER) for day in calendar.followup_reminders]
    current = _current_step(steps, today)
    if current is None:
        return None
    index, due, _kind = current
    last = calendar.followup_deadline
    if index + 1 < len(steps):
        last = min(last, steps[index + 1][0] - timedelta(days=1))
    return due if today <= last else None


def candidates(now: datetime, snapshot: Snapshot, *, escalate_overdue: bool = False) -> Iterator[PlannedItem]:
    """Every reminder relevant at ``now``, before looking at the log."""
    calendar = snapshot.calendar
    today = calendar.local_date(now)
    leaders = snapshot.leaders

    def active(leader_id: int | None) -> bool:
        return leader_id is not None and leader_id in leaders and leaders[leader_id].active

    spring = _spring_step(calendar, today)
    autumn = _autumn_step(calendar, today)
    followup_post = calendar.followup_start <= today <= calendar.followup_deadline
    for agreement in snapshot.agreements:
        superior = agreement.superior_id
        if spring is not None and not agreement.signed and active(superior):
            kind, due = spring
            yield PlannedItem(kind, superior, agreement.id, due)
            if kind is Kind.DEADLINE_PASSED and escalate_overdue:
                above = leaders[superior].superior_id
                if active(above) and above not in (superior, agreement.subordinate_id):
                    yield PlannedItem(Kind.ESCALATION, above, agreement.id, due)
        if agreement.meeting_at is not None and not agreement.filled and not agreement.signed and now < agreement.meeting_at:
            due = calendar.meeting_prep_day(agreement.meeting_at)
            if due <= today:
                for leader_id in (agreement.superior_id, agreement.subordinate_id):
                    if active(leader_id) and not agreement.prepared(leader_id):
                        yield PlannedItem(Kind.MEETING_PREP, leader_id, agreement.id, due)
        if agreement.signed and not agreement.followup_done:
            if followup_post and not agreement.followup_recorded:
                for leader_id in (agreement.superior_id, agreement.subordinate_id):
                    if active(leader_id):
                        yield PlannedItem(Kind.FOLLOWUP_START, leader_id, agreement.id, calendar.followup_start)
            if autumn is not None and active(superior):
                yield PlannedItem(Kind.FOLLOWUP_REMINDER, superior, agreement.id, autumn)


def _retryable(entry: LogEntry, now: datetime, snapshot: Snapshot, policy: RetryPolicy) -> bool:
    if entry.status is ReminderStatus.CLAIMED:
        return entry.attempts == 0 and entry.claimed_at <= now - policy.stale_claim_after
    if entry.status is ReminderStatus.FAILED:
        return entry.attempts < policy.max_rounds and entry.claimed_at <= now - policy.retry_failed_after
    if entry.status is ReminderStatus.UNREACHABLE:
        leader = snapshot.leaders.get(entry.recipient_id)
        return leader is not None and leader.reachable
    return False


def messaged_today(now: datetime, snapshot: Snapshot, policy: RetryPolicy = RetryPolicy()) -> set[int]:
    """Leaders who got (or are being sent, or may have got) a reminder message today."""
    calendar = snapshot.calendar
    today = calendar.local_date(now)
    result = set()
    for entry in snapshot.log.values():
        if entry.status is ReminderStatus.SENT and entry.sent_at is not None:
            if calendar.local_date(entry.sent_at) == today:
                result.add(entry.recipient_id)
        elif entry.status is ReminderStatus.CLAIMED and not _retryable(entry, now, snapshot, policy):
            if calendar.local_date(entry.claimed_at) == today:
                result.add(entry.recipient_id)
    return result


def plan(
    now: datetime,
    snapshot: Snapshot,
    *,
    escalate_overdue: bool = False,
    policy: RetryPolicy = RetryPolicy(),
) -> list[Message]:
    """The messages to send at ``now`` (timezone-aware), one per recipient, in recipient order."""
    if now.tzinfo is None:
        raise ValueError("plan() needs a timezone-aware time")
    calendar = snapshot.calendar
    today = calendar.local_date(now)
    if today.year != snapshot.year:
        raise ValueError(f"the snapshot is for {snapshot.year}, not {today.year}")
    if not is_working_day(today) or now < calendar.send_moment(today):
        return []
    busy = messaged_today(now, snapshot, policy)
    by_recipient: dict[int, dict[LogKey, PlannedItem]] = defaultdict(dict)
    for item in candidates(now, snapshot, escalate_overdue=escalate_overdue):
        if item.recipient_id in busy:
            continue
        entry = snapshot.log.get(item.key)
        if entry is not None:
            if not _retryable(entry, now, snapshot, policy):
                continue
            item = PlannedItem(item.kind, item.recipient_id, item.agreement_id, item.due_date, entry)
        by_recipient[item.recipient_id][item.key] = item
    return [
        Message(
            recipient_id,
            tuple(sorted(items.values(), key=lambda item: (item.kind.order, item.agreement_id, item.due_date))),
        )
        for recipient_id, items in sorted(by_recipient.items())
    ]


async def load_snapshot(session: AsyncSession, year: int, timezone: str = "Europe/Oslo") -> Snapshot:
    """Read the year's calendar, leaders, active agreements and reminder log (no answer content)."""
    calendar = await load_calendar(session, year, timezone)
    reachable = {
        leader_id: flag
        for leader_id, flag in (await session.execute(select(ConversationRef.leader_id, ConversationRef.reachable))).all()
    }
    leaders = {
        row.id: LeaderInfo(row.id, row.name, row.superior_id, row.active, reachable.get(row.id, False))
        for row in (
            await session.execute(select(Leader.id, Leader.name, Leader.superior_id, Leader.active))
        ).all()
    }
    agreements = tuple(
        AgreementInfo.of(agreement)
        for agreement in (
            await session.scalars(
                select(Agreement).where(Agreement.year == year, Agreement.active.is_(True)).order_by(Agreement.id)
            )
        ).all()
    )
    log_rows = await session.execute(
        select(
            ReminderLog.id, ReminderLog.kind, ReminderLog.recipient_id, ReminderLog.agreement_id,
            ReminderLog.due_date, ReminderLog.status, ReminderLog.attempts, ReminderLog.claimed_by,
            ReminderLog.claimed_at, ReminderLog.sent_at,
        ).where(ReminderLog.due_date >= date(year, 1, 1), ReminderLog.due_date <= date(year, 12, 31))
    )
    log = {}
    for row in log_rows.all():
        entry = LogEntry(*row[:8], as_utc(row.claimed_at), as_utc(row.sent_at))
        log[entry.key] = entry
    return Snapshot(year, calendar, leaders, agreements, log)
