"""The leader sync from Entra ID: the roster read through Graph and applied like the CSV import.

``lederavtale leaders sync`` runs :func:`sync_leaders` once; each process's scheduler calls
:meth:`LeaderSyncJob.run_night` at ``LEDERAVTALE_LEADER_SYNC_HOUR`` when
``LEDERAVTALE_LEADER_SYNC_NIGHTLY`` is on. The first process to insert that night's
``leader_sync_runs`` row runs it; the others meet the primary key and skip, as retention does.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.roster.apply import ImportResult, apply_roster
from agreement.roster.directory import roster_from_directory
from agreement.roster.rows import CheckedRoster, RosterRefused
from agreement.template import default_template_id_for_year
from bot.settings import Settings
from graph.client import GraphClient
from graph.directory import group_users
from graph.errors import GraphError
from scheduler.nightly import claim_night, finish_night
from storage.models import LeaderSyncRun

logger = logging.getLogger(__name__)

#: The counts of a sync's result that its run's summary keeps.
_COUNTS = (
    "leaders_created",
    "leaders_updated",
    "leaders_unchanged",
    "leaders_deactivated",
    "agreements_created",
    "agreements_unchanged",
    "agreements_moved",
    "agreements_reactivated",
    "agreements_deactivated",
)


async def read_roster(client: GraphClient, settings: Settings) -> CheckedRoster:
    """The leader group's and the HR group's people as a checked roster; RosterRefused names people."""
    leaders = await group_users(client, settings.leader_group_id)
    hr_admins = await group_users(client, settings.hr_group_id) if settings.hr_group_id else []
    return roster_from_directory(leaders, hr_admins)


async def sync_leaders(
    session_factory: async_sessionmaker[AsyncSession],
    client: GraphClient,
    settings: Settings,
    year: int,
    *,
    dry_run: bool = False,
) -> ImportResult:
    """Make the leaders and the year's agreements what Entra ID says (a dry run only says what would change)."""
    roster = await read_roster(client, settings)
    return await apply_roster(session_factory, roster, year, default_template_id_for_year(year), dry_run=dry_run)


class LeaderSyncJob:
    """The leader sync, once a night across every process sharing the database."""

    def __init__(self, settings: Settings, session_factory: async_sessionmaker[AsyncSession], claimant: str,
                 graph: GraphClient | None = None) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.claimant = claimant
        #: An open client to use; None opens one from the settings for each run.
        self.graph = graph
        self.zone = ZoneInfo(settings.timezone)

    async def run_night(self, now: datetime) -> dict[str, Any] | None:
        """Run tonight's sync if no other process has; its summary, or None when another has it."""
        local = now.astimezone(self.zone)
        night = local.date()
        if not await claim_night(self.session_factory, LeaderSyncRun, night, self.claimant, now):
            return None
        summary = await self._sync(local.year)
        await finish_night(self.session_factory, LeaderSyncRun, night, now, summary)
        return summary

    async def _sync(self, year: int) -> dict[str, Any]:
        if self.graph is not None and self.settings.leader_group_id:
            return await self._sync_with(self.graph, year)
        if not self.settings.graph_configured or not self.settings.leader_group_id:
            logger.error("The nightly leader sync needs Microsoft Graph and LEDERAVTALE_LEADER_GROUP_ID")
            return {"status": "not_configured"}
        async with GraphClient(self.settings.graph_config()) as client:
            return await self._sync_with(client, year)

    async def _sync_with(self, client: GraphClient, year: int) -> dict[str, Any]:
        try:
            result = await sync_leaders(self.session_factory, client, self.settings, year)
        except RosterRefused as exc:
            logger.warning("The nightly leader sync for %s was refused: %d problems in Entra ID", year,
                           len(exc.problems))
            for problem in exc.problems:
                logger.warning("Leader sync problem: %s", problem.message)
            return {"status": "refused", "year": year, "problems": len(exc.problems)}
        except GraphError as exc:
            logger.error("The nightly leader sync for %s failed: %s", year, exc)
            return {"status": "failed", "year": year, "error": str(exc)}
        return {"status": "applied", "year": year, **{name: getattr(result, name) for name in _COUNTS},
                "kept_agreements": len(result.kept_agreements)}
