"""One sweep: plan what is due, then claim, send and record each leader's message.

Each reminder goes out at most once. For every message the sweep

1. claims its reminder-log rows in one short transaction (an INSERT per new reminder; a
   unique-key violation means another process has it, and the whole message is skipped);
2. marks the claim as being sent (``attempts`` + 1) just before handing it to the sender;
3. records the outcome: ``sent``, ``unreachable`` or ``failed``.

A crash after step 1 leaves a claim with ``attempts = 0``: nothing was sent, and a later
sweep takes it over once it is older than ``RetryPolicy.stale_claim_after``. A crash after
step 2 leaves ``claimed`` with ``attempts >= 1``: the message may have reached Teams, so it is
never sent again (at most once) and ``lederavtale reminders log`` shows it as uncertain.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from botbuilder.schema import Activity
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.errors import AgreementError
from agreement.goals import list_goals
from agreement.opening import open_agreement
from agreement.template import FieldKind, TemplateError
from bot.cards import to_activity
from bot.proactive import SendResult, SendStatus
from bot.settings import Settings
from agreement.calendar import zone
from scheduler.cards import FollowupContent, GoalView, reminder_card, summary
from scheduler.planner import Kind, Message, RetryPolicy, Snapshot, load_snapshot, plan
from storage.models import Phase, ReminderLog, ReminderStatus

logger = logging.getLogger(__name__)


class Sender(Protocol):
    """What the sweep needs from :class:`bot.proactive.ProactiveSender`."""

    async def send(self, leader_id: int, activity: Activity) -> SendResult: ...


def instance_name() -> str:
    """A name for this process in the reminder log's ``claimed_by``."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def default_concurrency(settings: Settings) -> int:
    """Enough messages in flight to keep the rate up while some wait for a retry."""
    return max(4, min(64, math.ceil(settings.send_rate_per_second / 5)))


@dataclass
class SweepReport:
    """What one sweep did (counts of messages, not of reminders)."""

    now: datetime
    messages: list[Message] = field(default_factory=list)
    sent: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    dry_run: bool = False
    #: What the messages were planned from (names and agreements for reports).
    snapshot: Snapshot | None = None

    @property
    def planned(self) -> int:
        return len(self.messages)


@dataclass(frozen=True)
class Claim:
    token: str
    row_ids: tuple[int, ...]


class _ClaimLost(Exception):
    """A row to be claimed again was changed by someone else in the meantime."""


async def claim(
    session_factory: async_sessionmaker[AsyncSession], message: Message, stamp: datetime, claimant: str
) -> Claim | None:
    """Claim every reminder of ``message`` in one transaction, or none of them (returns None)."""
    token = f"{claimant}/{uuid.uuid4().hex[:12]}"
    ids: list[int] = []
    try:
        async with session_factory() as session, session.begin():
            for item in message.items:  # planner order: the same in every process, so no deadlocks
                old = item.retry_of
                if old is None:
                    row = ReminderLog(
                        kind=item.kind.value, recipient_id=item.recipient_id, agreement_id=item.agreement_id,
                        due_date=item.due_date, status=ReminderStatus.CLAIMED, claimed_by=token,
                        claimed_at=stamp, attempts=0,
                    )
                    session.add(row)
                    await session.flush()
                    ids.append(row.id)
                    continue
                result = await session.execute(
                    update(ReminderLog)
                    .where(
                        ReminderLog.id == old.id,
                        ReminderLog.status == old.status,
                        ReminderLog.attempts == old.attempts,
                        ReminderLog.claimed_by == old.claimed_by,
                    )
                    .values(status=ReminderStatus.CLAIMED, claimed_by=token, claimed_at=stamp, error=None)
                )
                if result.rowcount != 1:
                    raise _ClaimLost()
                ids.append(old.id)
    except (IntegrityError, _ClaimLost):
        logger.info("Reminders for leader %s are claimed by another process", message.recipient_id)
        return None
    except DBAPIError:
        logger.warning("Could not claim reminders for leader %s; a later sweep will", message.recipient_id, exc_info=True)
        return None
    return Claim(token, tuple(ids))


async def start_sending(session_factory: async_sessionmaker[AsyncSession], claimed: Claim) -> bool:
    """Count a send round on the claimed rows; False if the claim was taken over meanwhile."""
    try:
        async with session_factory() as session, session.begin():
            result = await session.execute(
                update(ReminderLog)
                .where(
                    ReminderLog.id.in_(claimed.row_ids),
                    ReminderLog.claimed_by == claimed.token,
                    ReminderLog.status == ReminderStatus.CLAIMED,
                )
                .values(attempts=ReminderLog.attempts + 1)
            )
            if result.rowcount != len(claimed.row_ids):
                raise _ClaimLost()
    except _ClaimLost:
        logger.warning("A claim was taken over before sending (%s rows)", len(claimed.row_ids))
        return False
    return True


_OUTCOME = {
    SendStatus.SENT: ReminderStatus.SENT,
    SendStatus.UNREACHABLE: ReminderStatus.UNREACHABLE,
    SendStatus.FAILED: ReminderStatus.FAILED,
}


async def finish(
    session_factory: async_sessionmaker[AsyncSession], claimed: Claim, result: SendResult, stamp: datetime
) -> None:
    """Record the outcome of a send on the claimed rows."""
    values: dict[str, object] = {"status": _OUTCOME[result.status], "error": (result.error or None)}
    if result.status is SendStatus.SENT:
        values["sent_at"] = stamp
    async with session_factory() as session, session.begin():
        await session.execute(
            update(ReminderLog)
            .where(ReminderLog.id.in_(claimed.row_ids), ReminderLog.claimed_by == claimed.token)
            .values(**values)
        )


async def load_followup_content(
    session: AsyncSession, recipient_id: int, agreement_ids: list[int]
) -> dict[int, FollowupContent]:
    """The follow-up text and the spring goals, read as ``recipient_id`` through the access-checked path."""
    content: dict[int, FollowupContent] = {}
    for agreement_id in agreement_ids:
        opened = await open_agreement(session, recipient_id, agreement_id)
        template = opened.template
        followup = template.followup
        goals = []
        for goal in await list_goals(session, opened, phase=Phase.AGREEMENT):
            try:
                section = template.section(goal.section_key).heading
            except KeyError:
                section = goal.section_key
            goals.append(GoalView(section, goal.title, tuple(action.text for action in goal.current_actions)))
        content[agreement_id] = FollowupContent(
            paragraphs=followup.paragraphs,
            intro=followup.intro,
            questions=tuple(f.label for f in followup.fields if f.kind is FieldKind.TEXT),
            goals=tuple(goals),
        )
    return content


async def render(
    session_factory: async_sessionmaker[AsyncSession], message: Message, snapshot: Snapshot
) -> Activity:
    """The message as an activity with one Adaptive Card."""
    followups = [item.agreement_id for item in message.items_of(Kind.FOLLOWUP_START)]
    content = {}
    if followups:
        # The spring goals go into the card: a read of the agreement, logged (committed) with it.
        async with session_factory() as session, session.begin():
            content = await load_followup_content(session, message.recipient_id, followups)
    return to_activity(reminder_card(message, snapshot, content), summary=summary(message))


async def plan_due(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    policy: RetryPolicy = RetryPolicy(),
) -> tuple[Snapshot, list[Message]]:
    """The snapshot of the year of ``now`` and the messages due at ``now``."""
    year = now.astimezone(zone(settings.timezone)).year
    async with session_factory() as session:
        snapshot = await load_snapshot(session, year, settings.timezone)
    return snapshot, plan(now, snapshot, escalate_overdue=settings.escalate_overdue, policy=policy)


class Sweeper:
    """Plans and sends the reminders due at a given time."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender,
        *,
        instance_id: str | None = None,
        policy: RetryPolicy = RetryPolicy(),
        concurrency: int | None = None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.sender = sender
        self.instance_id = instance_id or instance_name()
        self.policy = policy
        self.concurrency = concurrency or default_concurrency(settings)

    async def snapshot(self, now: datetime) -> Snapshot:
        """The planning snapshot for the year of ``now``."""
        year = now.astimezone(zone(self.settings.timezone)).year
        async with self.session_factory() as session:
            return await load_snapshot(session, year, self.settings.timezone)

    async def plan(self, now: datetime) -> tuple[Snapshot, list[Message]]:
        """The snapshot and the messages due at ``now``."""
        return await plan_due(self.session_factory, self.settings, now, self.policy)

    async def run(
        self, now: datetime, *, dry_run: bool = False, stopping: Callable[[], bool] = lambda: False
    ) -> SweepReport:
        """Plan at ``now`` and send (unless ``dry_run``); stops claiming when ``stopping()``."""
        if now.tzinfo is None:
            raise ValueError("the sweep needs a timezone-aware time")
        started = time.monotonic()
        snapshot, messages = await self.plan(now)
        report = SweepReport(now=now, messages=messages, dry_run=dry_run, snapshot=snapshot)
        if not messages:
            logger.debug("Reminder sweep at %s: nothing due", now.isoformat())
        if dry_run or not messages:
            return report

        def stamp() -> datetime:
            return (now + timedelta(seconds=time.monotonic() - started)).astimezone(timezone.utc)

        pending: Iterator[Message] = iter(messages)

        async def worker() -> None:
            for message in pending:
                if stopping():
                    return
                try:
                    await self._deliver(message, snapshot, stamp, report)
                except Exception:  # one broken message must not stop the others
                    logger.exception("Sending the reminder message to leader %s failed", message.recipient_id)
                    report.failed += 1

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(messages)))))
        logger.info(
            "Reminder sweep at %s: %s messages planned, %s sent, %s unreachable, %s failed, %s skipped",
            now.isoformat(), report.planned, report.sent, report.unreachable, report.failed, report.skipped,
        )
        return report

    async def _deliver(
        self, message: Message, snapshot: Snapshot, stamp: Callable[[], datetime], report: SweepReport
    ) -> None:
        try:
            activity = await render(self.session_factory, message, snapshot)
        except (AgreementError, TemplateError) as exc:  # changed since planning, or a broken template
            logger.warning("Skipped the message to leader %s: %s", message.recipient_id, exc)
            report.skipped += 1
            return
        claimed = await claim(self.session_factory, message, stamp(), self.instance_id)
        if claimed is None or not await start_sending(self.session_factory, claimed):
            report.skipped += 1
            return
        result = await self.sender.send(message.recipient_id, activity)
        await finish(self.session_factory, claimed, result, stamp())
        if result.status is SendStatus.SENT:
            report.sent += 1
        elif result.status is SendStatus.UNREACHABLE:
            report.unreachable += 1
        else:
            report.failed += 1

