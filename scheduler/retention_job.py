"""The nightly retention job: of several bot processes, one runs retention each night.

Each process's scheduler calls :meth:`RetentionJob.run_night` at ``LEDERAVTALE_RETENTION_HOUR``
(local time) when ``LEDERAVTALE_RETENTION_NIGHTLY`` is on. The first to insert that night's
``retention_runs`` row runs it; the others meet the primary key and skip, as the reminder sweep's
claims do. The nightly run never forces: a signed agreement never exported stays until HR exports
it or runs ``lederavtale retention --force --reason``.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.retention import RetentionReport, run_retention
from bot.settings import Settings
from scheduler.nightly import claim_night, finish_night
from storage.models import RetentionRun

logger = logging.getLogger(__name__)


class RetentionJob:
    """Retention and idle clearing, once a night across every process sharing the database."""

    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], claimant: str) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.claimant = claimant
        self.zone = ZoneInfo(settings.timezone)

    async def run_night(self, now: datetime) -> RetentionReport | None:
        """Run tonight's retention if no other process has; None when another has it."""
        night = now.astimezone(self.zone).date()
        if not await claim_night(self.session_factory, RetentionRun, night, self.claimant, now):
            return None
        report = await run_retention(
            self.session_factory, now, self.zone, retention_years=self.settings.retention_years,
            idle_days=self.settings.dialog_idle_days, run_by=self.claimant,
        )
        await finish_night(self.session_factory, RetentionRun, night, now, report.summary())
        return report
