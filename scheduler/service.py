"""The reminder scheduler: an APScheduler 3 ``AsyncIOScheduler`` running the sweep every few minutes.

The bot service starts it in its ``cleanup_ctx`` when ``settings.scheduler_enabled``;
``lederavtale scheduler`` runs it on its own. The job is a module-level function that takes
only the scheduler's id (as APScheduler recommends for jobs), with a fixed job id,
``replace_existing``, ``coalesce`` and ``max_instances=1``: runs missed while the loop was busy
collapse into one, and a sweep never overlaps the previous one. Nothing is lost by skipping a
run: each sweep sends everything still due (see ``scheduler.planner``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from agreement.calendar import zone
from scheduler.planner import RetryPolicy
from scheduler.sweep import Sender, Sweeper, SweepReport, instance_name

logger = logging.getLogger(__name__)

JOB_ID = "lederavtale-reminder-sweep"

_schedulers: dict[str, "ReminderScheduler"] = {}


def utc_now() -> datetime:
    """The current time, timezone-aware (the default clock)."""
    return datetime.now(timezone.utc)


async def run_sweep_job(scheduler_id: str) -> None:
    """The APScheduler job: one sweep of the scheduler registered under ``scheduler_id``."""
    scheduler = _schedulers.get(scheduler_id)
    if scheduler is None:
        logger.warning("No reminder scheduler %s is running; sweep skipped", scheduler_id)
        return
    try:
        await scheduler.sweep_once()
    except Exception:  # a failed sweep is logged; the next run starts afresh
        logger.exception("Reminder sweep failed")


class ReminderScheduler:
    """Runs the reminder sweep on a timer, and on demand."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Callable[[], datetime] = utc_now,
        *,
        interval_seconds: int | None = None,
        policy: RetryPolicy = RetryPolicy(),
        concurrency: int | None = None,
        shutdown_timeout: float = 30.0,
    ) -> None:
        interval = interval_seconds if interval_seconds is not None else settings.sweep_interval_seconds
        if interval < 1:
            raise ValueError(f"the sweep interval must be at least 1 second, not {interval}")
        self.id = f"{instance_name()}/{uuid.uuid4().hex[:8]}"
        self.interval_seconds = interval
        self.clock = clock
        self.shutdown_timeout = shutdown_timeout
        self.sweeper = Sweeper(
            settings, session_factory, sender, instance_id=self.id, policy=policy, concurrency=concurrency
        )
        self._timezone = zone(settings.timezone)
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self._current: asyncio.Task | None = None
        self.last_report: SweepReport | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def start(self) -> None:
        """Start the timer on the running event loop; the first sweep runs at once."""
        if self.running:
            raise RuntimeError("the reminder scheduler is already running")
        self._stopping = False
        _schedulers[self.id] = self
        scheduler = AsyncIOScheduler(timezone=self._timezone)
        scheduler.add_job(
            run_sweep_job,
            "interval",
            seconds=self.interval_seconds,
            id=JOB_ID,
            name="reminder sweep",
            kwargs={"scheduler_id": self.id},
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.interval_seconds,
            next_run_time=datetime.now(self._timezone),
        )
        scheduler.start()
        self._scheduler = scheduler
        logger.info("Reminder scheduler started: a sweep every %s seconds", self.interval_seconds)

    async def shutdown(self) -> None:
        """Stop the timer and let a running sweep finish the messages it has started."""
        self._stopping = True
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.pause()  # no new runs; the executor would cancel a running one on shutdown
        current = self._current
        if current is not None and not current.done() and current is not asyncio.current_task():
            _done, pending = await asyncio.wait({current}, timeout=self.shutdown_timeout)
            if pending:
                logger.warning("The reminder sweep did not finish in %ss; cancelling it", self.shutdown_timeout)
                current.cancel()
                await asyncio.gather(current, return_exceptions=True)
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        _schedulers.pop(self.id, None)
        logger.info("Reminder scheduler stopped")

    async def sweep_once(self, now: datetime | None = None, *, dry_run: bool = False) -> SweepReport:
        """Plan and send what is due at ``now`` (default: the clock); one sweep at a time."""
        async with self._lock:
            moment = now if now is not None else self.clock()
            self._current = asyncio.current_task()
            try:
                report = await self.sweeper.run(moment, dry_run=dry_run, stopping=lambda: self._stopping)
            finally:
                self._current = None
            self.last_report = report
            return report

    def next_run(self) -> datetime | None:
        """When the timer runs the next sweep (None when stopped)."""
        if self._scheduler is None:
            return None
        job = self._scheduler.get_job(JOB_ID)
        return job.next_run_time if job is not None else None

