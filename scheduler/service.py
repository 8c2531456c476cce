"""The reminder scheduler: an APScheduler 3 ``AsyncIOScheduler`` running the sweep every few minutes.

The bot service starts it in its ``cleanup_ctx`` when ``settings.scheduler_enabled``;
``lederavtale scheduler`` runs it on its own. The job is ``coalesce``d with ``max_instances=1``:
runs missed while the loop was busy collapse into one, and a sweep never overlaps the previous
one. Nothing is lost by skipping a run: each sweep sends everything still due (see
``scheduler.planner``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.calendar import zone
from bot.settings import Settings
from graph.client import GraphClient
from scheduler.leader_sync import LeaderSyncJob
from scheduler.retention_job import RetentionJob
from scheduler.sweep import Sender, Sweeper, SweepReport, instance_name

logger = logging.getLogger(__name__)

#: How long shutdown waits for a running sweep to finish the messages it has started.
SHUTDOWN_TIMEOUT_SECONDS = 30.0


def utc_now() -> datetime:
    """The current time, timezone-aware (the default clock)."""
    return datetime.now(timezone.utc)


class ReminderScheduler:
    """Runs the reminder sweep every ``settings.sweep_interval_seconds``, and on demand."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Callable[[], datetime] = utc_now,
        *,
        concurrency: int | None = None,
        graph: GraphClient | None = None,
    ) -> None:
        if settings.sweep_interval_seconds < 1:
            raise ValueError(f"the sweep interval must be at least 1 second, not {settings.sweep_interval_seconds}")
        self.interval_seconds = settings.sweep_interval_seconds
        self.clock = clock
        self.sweeper = Sweeper(
            settings, session_factory, sender,
            instance_id=f"{instance_name()}/{uuid.uuid4().hex[:8]}", concurrency=concurrency,
        )
        self._timezone = zone(settings.timezone)
        #: Retention once a night (LEDERAVTALE_RETENTION_NIGHTLY), claimed per night across processes.
        self.retention = RetentionJob(settings, session_factory, self.sweeper.instance_id) \
            if settings.retention_nightly else None
        self._retention_hour = settings.retention_hour
        #: The leader sync from Entra ID once a night (LEDERAVTALE_LEADER_SYNC_NIGHTLY), claimed likewise.
        self.leader_sync = LeaderSyncJob(settings, session_factory, self.sweeper.instance_id, graph) \
            if settings.leader_sync_nightly else None
        self._leader_sync_hour = settings.leader_sync_hour
        self._scheduler: AsyncIOScheduler | None = None
        self._lock = asyncio.Lock()
        self._stopping = False
        self._current: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running

    def start(self) -> None:
        """Start the timer on the running event loop; the first sweep runs at once."""
        if self.running:
            raise RuntimeError("the reminder scheduler is already running")
        self._stopping = False
        scheduler = AsyncIOScheduler(timezone=self._timezone)
        scheduler.add_job(
            self._timed_sweep,
            "interval",
            seconds=self.interval_seconds,
            name="reminder sweep",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=self.interval_seconds,
            next_run_time=datetime.now(self._timezone),
        )
        if self.retention is not None:
            scheduler.add_job(self._timed_retention, "cron", hour=self._retention_hour, minute=0,
                              name="nightly retention", coalesce=True, max_instances=1, misfire_grace_time=3600)
        if self.leader_sync is not None:
            scheduler.add_job(self._timed_leader_sync, "cron", hour=self._leader_sync_hour, minute=0,
                              name="nightly leader sync", coalesce=True, max_instances=1, misfire_grace_time=3600)
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
            _done, pending = await asyncio.wait({current}, timeout=SHUTDOWN_TIMEOUT_SECONDS)
            if pending:
                logger.warning("The reminder sweep did not finish in %ss; cancelling it", SHUTDOWN_TIMEOUT_SECONDS)
                current.cancel()
                await asyncio.gather(current, return_exceptions=True)
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        logger.info("Reminder scheduler stopped")

    async def sweep_once(self, now: datetime | None = None) -> SweepReport:
        """Plan and send what is due at ``now`` (default: the clock); one sweep at a time."""
        async with self._lock:
            moment = now if now is not None else self.clock()
            self._current = asyncio.current_task()
            try:
                return await self.sweeper.run(moment, stopping=lambda: self._stopping)
            finally:
                self._current = None

    async def _timed_retention(self) -> None:
        try:
            await self.retention.run_night(self.clock())
        except Exception:  # logged; the claim stays, so tonight is not run twice; tomorrow runs afresh
            logger.exception("Nightly retention failed")

    async def _timed_leader_sync(self) -> None:
        try:
            await self.leader_sync.run_night(self.clock())
        except Exception:  # logged; the claim stays, so tonight is not run twice; tomorrow runs afresh
            logger.exception("Nightly leader sync failed")

    async def _timed_sweep(self) -> None:
        try:
            await self.sweep_once()
        except Exception:  # a failed sweep is logged; the next run starts afresh
            logger.exception("Reminder sweep failed")
