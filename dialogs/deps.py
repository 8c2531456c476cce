"""What the dialogs need from the rest of the service, passed in through their constructors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings


class Notifier(Protocol):
    """Sends a message to a leader outside the current conversation (a proactive message)."""

    async def notify(self, leader_id: int, activity: Activity) -> None:
        """Send ``activity`` to the leader's personal chat with the bot."""


@dataclass
class DialogDeps:
    """The collaborators every dialog gets: database, settings, proactive sender and clock."""

    session_factory: async_sessionmaker[AsyncSession]
    settings: Settings
    notifier: Notifier
    clock: Callable[[], datetime]
