"""Installing the bot's Teams app for a leader it cannot reach, through Microsoft Graph.

A leader who never opened the bot has no conversation reference, and one who removed the app
has a reference that answers 403/404. Installing the app for them in their personal scope makes
Teams open the chat: the reference then comes with the installation update the bot receives
(:mod:`bot.teams_bot` stores it), or is built from the installed app's chat. Every attempt is
recorded in ``app_installations``; a leader blocked by policy is not tried again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from graph.client import GraphClient
from graph.errors import GraphError
from graph.teams_apps import find_catalog_app, install_for_user, installed_app_chat_id
from storage.conversation_refs import get_reference, save_reference, to_reference
from storage.models import AppInstallation, Leader, utcnow

logger = logging.getLogger(__name__)

#: Why a leader is unreachable when installing the app may help: never opened it, or removed it.
INSTALLABLE = frozenset({"no_reference", "http_403", "http_404"})
#: The reasons a send reports when the install did not give a reference.
BLOCKED = "install_blocked"
FAILED = "install_failed"
NOT_IN_CATALOG = "app_not_in_catalog"
#: A catalogue lookup that found nothing is trusted this long (an admin may publish the app later).
CATALOG_MISS_SECONDS = 600.0
#: How often the wait for the installation update looks for the stored reference.
POLL_SECONDS = 0.2
_REASON_LENGTH = 300

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True)
class Reached:
    """The reference to send with, or (``reference`` None) the short reason why there is none."""

    reference: ConversationReference | None
    reason: str | None = None


class AppInstaller:
    """Installs the app for one leader at a time and hands back the conversation reference."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        graph: GraphClient,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._session_factory = session_factory
        self._graph = graph
        self._clock = clock
        self._sleep = sleep
        self._catalog_id: str | None = settings.teams_app_catalog_id or None
        self._catalog_missed_at: float | None = None
        self._catalog_lock = asyncio.Lock()
        # One install at a time per leader in this process (a reminder and a notice at once install
        # once); at most one small lock per leader of the roster.
        self._leader_locks: dict[int, asyncio.Lock] = {}

    def installs_for(self, reason: str) -> bool:
        """Whether a leader unreachable for ``reason`` gets the app installed (not one blocked by policy)."""
        return reason in INSTALLABLE

    async def reach(self, leader_id: int) -> Reached:
        """Install the app for the leader (once) and return the reference to send with, or why not."""
        async with self._leader_locks.setdefault(leader_id, asyncio.Lock()):
            return await self._reach(leader_id)

    async def _reach(self, leader_id: int) -> Reached:
        async with self._session_factory() as session:
            row = await get_reference(session, leader_id)
            if row is not None and row.reachable:  # stored meanwhile (the leader opened the bot, or another install)
                return Reached(to_reference(row))
            leader = await session.get(Leader, leader_id)
            installation = await session.get(AppInstallation, leader_id)
            if leader is None:
                return Reached(None, "no_reference")
            if installation is not None and installation.status == "blocked":
                logger.info("Installing the app for leader %s is blocked by policy: not tried again", leader_id)
                return Reached(None, BLOCKED)
            object_id = leader.aad_object_id
            user = object_id or leader.email
        try:
            catalog_id = await self._catalog_app()
        except GraphError as exc:
            return await self._failed(leader_id, str(exc))
        if catalog_id is None:
            logger.warning("The Teams app %s is not in the tenant's app catalogue", self._settings.teams_manifest_id)
            await self._record(leader_id, "failed", NOT_IN_CATALOG)
            return Reached(None, NOT_IN_CATALOG)
        try:
            result = await install_for_user(self._graph, user, catalog_id)
        except GraphError as exc:
            return await self._failed(leader_id, str(exc))
        if result.status == "blocked":
            logger.warning("Installing the app for leader %s was refused: %s", leader_id, result.reason)
            await self._record(leader_id, "blocked", result.reason)
            return Reached(None, BLOCKED)
        if result.status == "installed":
            logger.info("Installed the app for leader %s", leader_id)
            reference = await self._wait_for_reference(leader_id)
            if reference is not None:
                await self._record(leader_id, "installed", None)
                return Reached(reference)
            logger.info("No installation update for leader %s in time: fetching the chat", leader_id)
        else:
            logger.info("The app was already installed for leader %s: fetching the chat", leader_id)
        try:
            chat_id = await installed_app_chat_id(self._graph, user, catalog_id)
        except GraphError as exc:
            return await self._failed(leader_id, str(exc))
        if not chat_id:
            return await self._failed(leader_id, "the installed app has no chat")
        reference = await self._store_chat_reference(leader_id, chat_id, object_id)
        await self._record(leader_id, "installed", None)
        return Reached(reference)

    async def _catalog_app(self) -> str | None:
        """The app's catalogue id: configured, or looked up by the manifest id once (a miss for a while)."""
        async with self._catalog_lock:
            if self._catalog_id is not None:
                return self._catalog_id
            if self._catalog_missed_at is not None and self._clock() - self._catalog_missed_at < CATALOG_MISS_SECONDS:
                return None
            found = await find_catalog_app(self._graph, self._settings.teams_manifest_id)
            if found is None:
                self._catalog_missed_at = self._clock()
            else:
                self._catalog_id = found
            return found

    async def _wait_for_reference(self, leader_id: int) -> ConversationReference | None:
        """The reference Teams' installation update brings, once stored; None after the configured wait."""
        deadline = self._clock() + max(0.0, self._settings.install_wait_seconds)
        while True:
            async with self._session_factory() as session:
                row = await get_reference(session, leader_id)
                if row is not None and row.reachable:
                    return to_reference(row)
            remaining = deadline - self._clock()
            if remaining <= 0:
                return None
            await self._sleep(min(POLL_SECONDS, remaining))

    async def _store_chat_reference(
        self, leader_id: int, chat_id: str, object_id: str | None
    ) -> ConversationReference:
        """Build the reference to the installed app's chat and store it (unless one came meanwhile)."""
        settings = self._settings
        reference = ConversationReference(
            channel_id="msteams",
            service_url=settings.teams_service_url,
            conversation=ConversationAccount(id=chat_id, conversation_type="personal", tenant_id=settings.graph_tenant),
            bot=ChannelAccount(id=f"28:{settings.app_id}"),
            user=ChannelAccount(aad_object_id=object_id),
        )
        async with self._session_factory() as session:
            row = await get_reference(session, leader_id)
            if row is not None and row.reachable:
                return to_reference(row)
            await save_reference(session, leader_id, reference)
            try:
                await session.commit()
            except IntegrityError:
                # The installation update stored the first reference at the same moment: use that one.
                await session.rollback()
                row = await get_reference(session, leader_id)
                if row is not None:
                    return to_reference(row)
                raise
        logger.info("Stored the installed app's chat as the conversation reference of leader %s", leader_id)
        return reference

    async def _failed(self, leader_id: int, reason: str) -> Reached:
        logger.warning("Installing the app for leader %s failed: %s", leader_id, reason)
        await self._record(leader_id, "failed", reason)
        return Reached(None, FAILED)

    async def _record(self, leader_id: int, status: str, reason: str | None) -> None:
        """Store the outcome of this attempt (one row per leader, the latest attempt)."""
        reason = reason[:_REASON_LENGTH] if reason else None
        for _ in range(2):  # a second process may insert the row at the same moment: update it then
            async with self._session_factory() as session:
                row = await session.get(AppInstallation, leader_id)
                now = utcnow()
                if row is None:
                    row = AppInstallation(leader_id=leader_id)
                    session.add(row)
                row.status = status
                row.reason = reason
                row.attempted_at = now
                if status == "installed":
                    row.installed_at = now
                try:
                    await session.commit()
                    return
                except IntegrityError:
                    await session.rollback()
        logger.warning("Could not record the app installation attempt for leader %s", leader_id)
