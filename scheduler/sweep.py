"""One sweep: plan what is due, then claim, send and record each leader's message.

Each reminder goes out at most once. For every message the sweep

1. claims its reminder-log rows in one short transaction (an INSERT per new reminder; a
   unique-key violation means another process has it, and the whole message is skipped);
2. marks the claim as being sent (``attempts`` + 1) just before handing it to the sender;
3. records the outcome: ``sent``, ``unreachable`` or ``failed``, for many messages at once
   (every :data:`FINISH_INTERVAL` seconds or :data:`FINISH_BATCH` messages, and when the sweep ends).

A crash after step 1 leaves a claim with ``attempts = 0``: nothing was sent, and a later
sweep takes it over once it is older than ``RetryPolicy.stale_claim_after``. A crash after
step 2 leaves ``claimed`` with ``attempts >= 1``: the message may have reached Teams, so it is
never sent again (at most once) and ``lederavtale reminders log`` shows it as uncertain. That is
also what a crash before an outcome was recorded leaves, sent or not.

The cards are made ahead of the sending, :data:`RENDER_BATCH` messages at a time: the content
they show (the spring goals) is read in one transaction per batch, which records those reads in
the access log, so the database work is done while the sender waits for its rate limit.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol

from botbuilder.schema import Activity
from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.errors import AgreementError
from agreement.goals import list_goals_of
from agreement.opening import AgreementAccess, open_agreements
from agreement.template import FieldKind, TemplateError
from bot.cards import to_activity
from bot.proactive import SendResult, SendStatus
from bot.settings import Settings
from agreement.calendar import zone
from scheduler.cards import FollowupContent, GoalView, reminder_card, summary
from scheduler.planner import Kind, Message, RetryPolicy, Snapshot, load_snapshot, plan
from storage.models import Goal, Phase, ReminderLog, ReminderStatus

logger = logging.getLogger(__name__)

#: Messages whose cards are made (and content read) in one transaction.
RENDER_BATCH = 25
#: Outcomes are recorded at least this often (seconds) ...
FINISH_INTERVAL = 0.25
#: ... or once this many messages are waiting to be recorded.
FINISH_BATCH = 50

_LOG = ReminderLog.__table__
# The statements of every message, built once (their parameters vary, not their shape).
_CLAIM_NEW = insert(_LOG)
_CLAIM_AGAIN = (
    update(_LOG)
    .where(
        _LOG.c.id == bindparam("row_id"),
        _LOG.c.status == bindparam("old_status"),
        _LOG.c.attempts == bindparam("old_attempts"),
        _LOG.c.claimed_by == bindparam("old_claimed_by"),
    )
    .values(status=ReminderStatus.CLAIMED, claimed_by=bindparam("token"), claimed_at=bindparam("stamp"), error=None)
)
_START_SENDING = (
    update(_LOG)
    .where(
        _LOG.c.id.in_(bindparam("row_ids", expanding=True)),
        _LOG.c.claimed_by == bindparam("token"),
        _LOG.c.status == ReminderStatus.CLAIMED,
    )
    .values(attempts=_LOG.c.attempts + 1)
)


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
    async with session_factory() as session:
        return await claim_in(session, message, stamp, claimant)


async def claim_in(session: AsyncSession, message: Message, stamp: datetime, claimant: str) -> Claim | None:
    """:func:`claim` in a transaction of its own on ``session``."""
    token = f"{claimant}/{uuid.uuid4().hex[:12]}"
    ids: list[int] = []
    try:
        async with session.begin():
            connection = await session.connection()  # plain statements: no ORM objects to track
            for item in message.items:  # planner order: the same in every process, so no deadlocks
                old = item.retry_of
                if old is None:
                    inserted = await connection.execute(_CLAIM_NEW, {
                        "kind": item.kind.value, "recipient_id": item.recipient_id, "agreement_id": item.agreement_id,
                        "due_date": item.due_date, "status": ReminderStatus.CLAIMED, "claimed_by": token,
                        "claimed_at": stamp, "attempts": 0,
                    })
                    ids.append(inserted.inserted_primary_key[0])
                    continue
                result = await connection.execute(_CLAIM_AGAIN, {
                    "row_id": old.id, "old_status": old.status, "old_attempts": old.attempts,
                    "old_claimed_by": old.claimed_by, "token": token, "stamp": stamp,
                })
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
    async with session_factory() as session:
        return await start_sending_in(session, claimed)


async def start_sending_in(session: AsyncSession, claimed: Claim) -> bool:
    """:func:`start_sending` in a transaction of its own on ``session``."""
    try:
        async with session.begin():
            connection = await session.connection()
            result = await connection.execute(_START_SENDING, {"row_ids": list(claimed.row_ids), "token": claimed.token})
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


@dataclass(frozen=True)
class Outcome:
    """The result of one message's send, to be recorded on its claimed rows."""

    claimed: Claim
    result: SendResult
    stamp: datetime


#: One claimed row's outcome (the keys are bind parameters of the statements below).
_FINISH_WHERE = (_LOG.c.id == bindparam("row_id"), _LOG.c.claimed_by == bindparam("token"))
_FINISH_SENT = update(_LOG).where(*_FINISH_WHERE).values(
    status=bindparam("new_status"), error=bindparam("new_error"), sent_at=bindparam("new_sent_at")
)
_FINISH_UNSENT = update(_LOG).where(*_FINISH_WHERE).values(
    status=bindparam("new_status"), error=bindparam("new_error")
)


async def finish(session_factory: async_sessionmaker[AsyncSession], outcomes: Sequence[Outcome]) -> None:
    """Record the outcomes of many sends on their claimed rows, in one transaction."""
    sent: list[dict[str, object]] = []
    unsent: list[dict[str, object]] = []
    for outcome in outcomes:
        result = outcome.result
        for row_id in outcome.claimed.row_ids:
            values = {"row_id": row_id, "token": outcome.claimed.token, "new_status": _OUTCOME[result.status],
                      "new_error": result.error or None}
            if result.status is SendStatus.SENT:
                sent.append({**values, "new_sent_at": outcome.stamp})
            else:
                unsent.append(values)
    async with session_factory() as session, session.begin():
        connection = await session.connection()
        for statement, rows in ((_FINISH_SENT, sent), (_FINISH_UNSENT, unsent)):
            if rows:
                await connection.execute(statement, rows)


class OutcomeRecorder:
    """Collects send outcomes and records them in batches (see the module docstring)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory
        self._pending: list[Outcome] = []
        self._lock = asyncio.Lock()

    async def add(self, outcome: Outcome) -> None:
        """Keep an outcome; records the batch once it is full."""
        self._pending.append(outcome)
        if len(self._pending) >= FINISH_BATCH:
            await self.flush()

    async def flush(self) -> bool:
        """Record every outcome kept so far; False (they wait for the next flush) on a database error."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return True
            try:
                await finish(self.session_factory, batch)
            except BaseException as exc:  # cancelled too: what was not recorded stays to be recorded
                self._pending[:0] = batch
                if not isinstance(exc, DBAPIError):
                    raise
                logger.warning("Could not record %s reminder outcomes yet", len(batch), exc_info=True)
                return False
            return True

    async def run(self) -> None:
        """Record what has come in every :data:`FINISH_INTERVAL` seconds, until cancelled."""
        while True:
            await asyncio.sleep(FINISH_INTERVAL)
            await self.flush()


def _followup_keys(message: Message) -> list[tuple[int, int]]:
    """(reader, agreement) of each follow-up start in the message: the cards that show content."""
    return [(message.recipient_id, item.agreement_id) for item in message.items_of(Kind.FOLLOWUP_START)]


def _followup_content(opened: AgreementAccess, goals: list[Goal]) -> FollowupContent:
    """The follow-up text and the spring goals of one agreement, as its reader was given them."""
    template = opened.template
    followup = template.followup
    views = []
    for goal in goals:
        try:
            section = template.section(goal.section_key).heading
        except KeyError:
            section = goal.section_key
        views.append(GoalView(section, goal.title, tuple(action.text for action in goal.current_actions)))
    return FollowupContent(
        paragraphs=followup.paragraphs,
        intro=followup.intro,
        questions=tuple(f.label for f in followup.fields if f.kind is FieldKind.TEXT),
        goals=tuple(views),
    )


async def render_batch(
    session_factory: async_sessionmaker[AsyncSession], messages: Sequence[Message], snapshot: Snapshot
) -> list[Activity | AgreementError | TemplateError]:
    """Each message as an activity with one Adaptive Card, or why it cannot be made.

    The spring goals go into the follow-up cards: reads of the agreements through the
    access-checked path, logged (committed) with them in one transaction for the batch. A message
    whose agreement cannot be opened (changed since planning, or a broken template) is refused
    before anything of it is read or logged.
    """
    wanted = [key for message in messages for key in _followup_keys(message)]
    goals: dict[tuple[int, int], FollowupContent] = {}
    refused: dict[tuple[int, int], AgreementError | TemplateError] = {}
    if wanted:
        async with session_factory() as session, session.begin():
            opened = await open_agreements(session, wanted)
            readers = {key: found for key, found in opened.items() if isinstance(found, AgreementAccess)}
            refused = {key: found for key, found in opened.items() if not isinstance(found, AgreementAccess)}
            # Only messages that can be made in full are read: nothing of a refused one is logged.
            shown = [key for keys in map(_followup_keys, messages) if not any(key in refused for key in keys)
                     for key in keys]
            listed = await list_goals_of(session, [readers[key] for key in shown], phase=Phase.AGREEMENT)
            goals = {key: _followup_content(readers[key], found) for key, found in zip(shown, listed)}
    results: list[Activity | AgreementError | TemplateError] = []
    for message in messages:
        keys = _followup_keys(message)
        error = next((refused[key] for key in keys if key in refused), None)
        if error is not None:
            results.append(error)
            continue
        content = {key[1]: goals[key] for key in keys}
        results.append(to_activity(reminder_card(message, snapshot, content), summary=summary(message)))
    return results


async def render(
    session_factory: async_sessionmaker[AsyncSession], message: Message, snapshot: Snapshot
) -> Activity:
    """The message as an activity with one Adaptive Card."""
    [rendered] = await render_batch(session_factory, [message], snapshot)
    if isinstance(rendered, Exception):
        raise rendered
    return rendered


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

        # Cards are made a batch ahead of the senders, so the reads overlap the sender's waits.
        prepared: asyncio.Queue[tuple[Message, Activity | AgreementError | TemplateError] | None] = asyncio.Queue(
            maxsize=max(RENDER_BATCH, self.concurrency)
        )
        workers = min(self.concurrency, len(messages))
        outcomes = OutcomeRecorder(self.session_factory)

        async def prepare() -> None:
            try:
                for start in range(0, len(messages), RENDER_BATCH):
                    if stopping():
                        return
                    batch = messages[start:start + RENDER_BATCH]
                    for message, rendered in zip(batch, await render_batch(self.session_factory, batch, snapshot)):
                        await prepared.put((message, rendered))
            finally:
                for _ in range(workers):
                    await prepared.put(None)

        async def worker() -> None:
            while (item := await prepared.get()) is not None:
                message, rendered = item
                if stopping():
                    continue
                try:
                    await self._deliver(message, rendered, stamp, report, outcomes)
                except Exception:  # one broken message must not stop the others
                    logger.exception("Sending the reminder message to leader %s failed", message.recipient_id)
                    report.failed += 1

        recording = asyncio.create_task(outcomes.run())
        try:
            await asyncio.gather(prepare(), *(worker() for _ in range(workers)))
        finally:
            recording.cancel()
            await asyncio.gather(recording, return_exceptions=True)
            if not await outcomes.flush():
                logger.error("Some reminder outcomes could not be recorded: they are shown as uncertain")
        logger.info(
            "Reminder sweep at %s: %s messages planned, %s sent, %s unreachable, %s failed, %s skipped",
            now.isoformat(), report.planned, report.sent, report.unreachable, report.failed, report.skipped,
        )
        return report

    async def _deliver(
        self,
        message: Message,
        rendered: Activity | AgreementError | TemplateError,
        stamp: Callable[[], datetime],
        report: SweepReport,
        outcomes: OutcomeRecorder,
    ) -> None:
        if isinstance(rendered, Exception):  # changed since planning, or a broken template
            logger.warning("Skipped the message to leader %s: %s", message.recipient_id, rendered)
            report.skipped += 1
            return
        # Two transactions, committed one after the other, on one session (one connection checkout).
        async with self.session_factory() as session:
            claimed = await claim_in(session, message, stamp(), self.instance_id)
            started = claimed is not None and await start_sending_in(session, claimed)
        if claimed is None or not started:
            report.skipped += 1
            return
        result = await self.sender.send(message.recipient_id, rendered)
        await outcomes.add(Outcome(claimed, result, stamp()))
        if result.status is SendStatus.SENT:
            report.sent += 1
        elif result.status is SendStatus.UNREACHABLE:
            report.unreachable += 1
        else:
            report.failed += 1
