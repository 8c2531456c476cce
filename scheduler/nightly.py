"""A nightly job's claim: of several bot processes, the first to insert the night's row runs it.

Each nightly job has a table keyed by the night (``retention_runs``, ``leader_sync_runs``) with
``claimed_by``, ``claimed_at``, ``finished_at`` and ``summary``. The others meet the primary key
and skip, as the reminder sweep's claims do.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import LeaderSyncRun, RetentionRun

logger = logging.getLogger(__name__)

NightlyRun = type[RetentionRun] | type[LeaderSyncRun]


async def claim_night(session_factory: async_sessionmaker[AsyncSession], run: NightlyRun, night: date,
                      claimant: str, now: datetime) -> bool:
    """Claim ``night`` for the job whose table is ``run``; False if another process has it."""
    try:
        async with session_factory() as session, session.begin():
            session.add(run(night=night, claimed_by=claimant[:200], claimed_at=now, summary={}))
    except IntegrityError:
        logger.info("The %s for %s is run by another process", run.__tablename__, night)
        return False
    return True


async def finish_night(session_factory: async_sessionmaker[AsyncSession], run: NightlyRun, night: date,
                       now: datetime, summary: dict[str, Any]) -> None:
    """Record that ``night``'s run is done, and what it did."""
    async with session_factory() as session, session.begin():
        await session.execute(update(run).where(run.night == night).values(finished_at=now, summary=summary))
