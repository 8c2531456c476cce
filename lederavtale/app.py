"""The app factory: the web service and the reminder scheduler, built together in one cleanup context."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from botbuilder.core import TurnContext
from botbuilder.dialogs import Dialog
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.template import validate_all_templates
from bot.adapter import open_outbound
from bot.files import HANDOUT, FileHandout
from bot.http import (
    ADAPTER,
    BOT,
    ENGINE,
    MAX_BODY_BYTES,
    SETTINGS,
    add_routes,
    describe_exception,
    on_turn_error,
)
from bot.identity import LeaderMatch
from bot.proactive import ProactiveSender
from bot.settings import Settings
from bot.teams_bot import Greeter, LeaderSetter, LederavtaleBot
from bot.turn import TurnRunner, turn_session
from dialogs.document_handout import DocumentHandout
from dialogs.flow import DialogDeps, set_leader
from dialogs.main_dialog import MainDialog
from dialogs.meeting_invitation import meeting_calendar
from dialogs.welcome import welcome_activity
from scheduler.service import ReminderScheduler
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DialogWiring:
    """What the activity handler needs from the dialogs: the root dialog and how to greet."""

    dialog: Dialog
    set_leader: LeaderSetter
    greeter: Greeter
    #: The leaders' copies as files, given the HTTP client to upload with.
    handout: Callable[[aiohttp.ClientSession], FileHandout] | None = None


#: Builds the dialogs from the service's collaborators.
DialogFactory = Callable[[async_sessionmaker[AsyncSession], Settings, "SenderNotifier"], DialogWiring]

DIALOG_FACTORY = web.AppKey("dialog_factory", Callable[..., DialogWiring])


class SenderNotifier:
    """The dialogs' notifier on top of the proactive sender: failures are logged, not raised."""

    def __init__(self, sender: ProactiveSender) -> None:
        self._sender = sender

    async def notify(self, leader_id: int, activity: Activity) -> None:
        """Send ``activity`` to a leader; a leader who cannot be reached is logged."""
        result = await self._sender.send(leader_id, activity)
        if not result.sent:
            logger.warning("Could not notify leader %s: %s", leader_id, result.error or "not sent")


def main_dialog(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, notifier: SenderNotifier
) -> DialogWiring:
    """The real dialogs, with the welcome greeting for a leader's first contact."""
    deps = DialogDeps(
        settings=settings,
        notifier=notifier,
        clock=partial(datetime.now, ZoneInfo(settings.timezone)),
        meetings=meeting_calendar(settings),
    )

    async def greet(turn_context: TurnContext, match: LeaderMatch) -> None:
        await turn_context.send_activity(await welcome_activity(deps, turn_session(turn_context), match.leader_id))

    return DialogWiring(MainDialog(deps), set_leader, greet, partial(DocumentHandout, session_factory, deps))


async def _close_scheduler(scheduler: ReminderScheduler) -> None:
    try:
        await scheduler.shutdown()
    except Exception as exc:  # shutdown goes on with the other resources
        logger.warning("Could not close the reminder scheduler: %s", describe_exception(exc))


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Build everything at start-up and tear it down in reverse order at shutdown."""
    settings = app[SETTINGS]
    async with AsyncExitStack() as stack:
        # hide_parameters: a failing statement's error must not carry a leader's answer into the log.
        engine = create_engine(settings.database_url, hide_parameters=True)
        stack.push_async_callback(engine.dispose)
        await upgrade(engine)
        validate_all_templates()
        session_factory = create_session_factory(engine)
        outbound = await stack.enter_async_context(open_outbound(settings, session_factory))
        outbound.adapter.on_turn_error = on_turn_error
        wiring = app[DIALOG_FACTORY](session_factory, settings, SenderNotifier(outbound.sender))
        handout = None
        if wiring.handout is not None:
            uploads = await stack.enter_async_context(aiohttp.ClientSession())
            handout = wiring.handout(uploads)
            app[HANDOUT] = handout
        app[ENGINE] = engine
        app[ADAPTER] = outbound.adapter
        app[BOT] = LederavtaleBot(
            session_factory=session_factory,
            runner=TurnRunner(session_factory, wiring.dialog),
            set_leader=wiring.set_leader,
            greeter=wiring.greeter,
            files=handout,
        )
        if settings.scheduler_enabled:
            scheduler = ReminderScheduler(settings, session_factory, outbound.sender)
            scheduler.start()
            stack.push_async_callback(_close_scheduler, scheduler)
        logger.info(
            "Bot service ready (%s mode)", "local, unauthenticated" if settings.local_mode else "authenticated"
        )
        yield
        logger.info("Bot service stopping")


def create_app(settings: Settings, *, dialog_factory: DialogFactory = main_dialog) -> web.Application:
    """The web application; nothing is connected until the app starts (see ``_lifecycle``)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[DIALOG_FACTORY] = dialog_factory
    app.cleanup_ctx.append(_lifecycle)
    add_routes(app)
    return app
