"""The aiohttp application: ``POST /api/messages`` and ``GET /healthz``, wired in one cleanup context."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import traceback
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import jwt
import requests
from aiohttp import web
from botbuilder.core import ConversationState, TurnContext, UserState, serializer_helper
from botbuilder.dialogs import Dialog
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import texts
from bot.adapter import ReusingBotFrameworkAuthentication, create_adapter
from bot.identity import LeaderMatch
from bot.settings import Settings
from bot.teams_bot import Greeter, LeaderSetter, LederavtaleBot, TurnConversationState
from bot.tenants import tenant_allowed
from storage.bot_state import SqlAlchemyStorage
from storage.db import create_engine, create_session_factory

logger = logging.getLogger(__name__)

#: Largest request body accepted on /api/messages (Teams messages are far smaller).
MAX_BODY_BYTES = 256 * 1024
HEALTH_TIMEOUT_SECONDS = 5.0


class Notifier(Protocol):
    async def notify(self, leader_id: int, activity: Activity) -> None: ...


class Scheduler(Protocol):
    def start(self) -> Any: ...

    def shutdown(self) -> Any: ...


@dataclass(frozen=True)
class DialogWiring:
    """What the bot needs from the dialogs package."""

    dialog: Dialog
    set_leader: LeaderSetter
    greeter: Greeter | None = None


#: Builds the dialogs from the service's collaborators.
DialogFactory = Callable[[async_sessionmaker[AsyncSession], Settings, Notifier], DialogWiring]

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSION_FACTORY = web.AppKey("session_factory", async_sessionmaker)
STORAGE = web.AppKey("storage", SqlAlchemyStorage)
CONVERSATION_STATE = web.AppKey("conversation_state", ConversationState)
USER_STATE = web.AppKey("user_state", UserState)
ADAPTER = web.AppKey("adapter", CloudAdapter)
AUTHENTICATION = web.AppKey("authentication", ReusingBotFrameworkAuthentication)
BOT = web.AppKey("bot", LederavtaleBot)
SENDER = web.AppKey("sender", object)
NOTIFIER = web.AppKey("notifier", object)
SCHEDULER = web.AppKey("scheduler", object)
DIALOG_FACTORY = web.AppKey("dialog_factory", object)


# --- wiring ---------------------------------------------------------------------------


class SenderNotifier:
    """The dialogs' notifier on top of the proactive sender: failures are logged, not raised."""

    def __init__(self, sender: Any) -> None:
        self._sender = sender

    async def notify(self, leader_id: int, activity: Activity) -> None:
        """Send ``activity`` to a leader; a leader who cannot be reached is logged."""
        result = await self._sender.send(leader_id, activity)
        if not getattr(result, "sent", True):
            logger.warning(
                "Could not notify leader %s: %s", leader_id, getattr(result, "error", None) or "not sent"
            )


def main_dialog(
    session_factory: async_sessionmaker[AsyncSession], settings: Settings, notifier: Notifier
) -> DialogWiring:
    """The real dialogs (imported here, so the bot layer can be built and tested without them)."""
    from dialogs.context import set_leader
    from dialogs.deps import DialogDeps
    from dialogs.main_dialog import MainDialog

    deps = DialogDeps(
        session_factory=session_factory,
        settings=settings,
        notifier=notifier,
        clock=partial(datetime.now, ZoneInfo(settings.timezone)),
    )
    return DialogWiring(MainDialog(deps), set_leader, _welcome_greeter(deps))


def _welcome_greeter(deps: Any) -> Greeter | None:
    """The dialogs' welcome builder, when the dialogs package provides one."""
    try:
        from dialogs.welcome import welcome_activity  # type: ignore[import-not-found]
    except ModuleNotFoundError as exc:
        if exc.name != "dialogs.welcome":
            raise
        return None

    async def greet(turn_context: TurnContext, match: LeaderMatch) -> None:
        await turn_context.send_activity(await welcome_activity(deps, match.leader_id))

    return greet


def describe_exception(error: BaseException) -> str:
    """Exception types and code locations, without messages (they may quote what a leader wrote)."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)[-6:]
        where = " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
        parts.append(f"{type(current).__module__}.{type(current).__qualname__} at {where or '?'}")
        current = current.__cause__ or current.__context__
    return " | caused by ".join(parts)


async def on_turn_error(turn_context: TurnContext, error: Exception) -> None:
    """Log what failed (never the content) and apologise to the user."""
    activity = turn_context.activity
    logger.error(
        "Unhandled error in a %s turn of conversation %s: %s",
        activity.type,
        activity.conversation.id if activity.conversation else "?",
        describe_exception(error),
    )
    try:
        await turn_context.send_activity(texts.TURN_ERROR)
    except Exception as exc:  # the apology is best effort; the service keeps serving
        logger.warning("Could not send the apology: %s", describe_exception(exc))


async def _close(resource: Any, name: str) -> None:
    try:
        result = resource()
        if inspect.isawaitable(result):
            await result
    except Exception as exc:  # shutdown goes on with the other resources
        logger.warning("Could not close %s: %s", name, describe_exception(exc))


async def _lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Build everything at start-up and tear it down in reverse order at shutdown."""
    from agreement.template import validate_all_templates
    from bot.proactive import ProactiveSender
    from storage.migrate import upgrade

    settings = app[SETTINGS]
    async with AsyncExitStack() as stack:
        # hide_parameters: a failing statement's error must not carry a leader's answer into the log.
        engine = create_engine(settings.database_url, hide_parameters=True)
        stack.push_async_callback(engine.dispose)
        await upgrade(engine)
        validate_all_templates()
        session_factory = create_session_factory(engine)
        storage = SqlAlchemyStorage(session_factory)
        conversation_state = TurnConversationState(storage)
        user_state = UserState(storage)
        adapter, authentication = create_adapter(settings)
        stack.push_async_callback(authentication.close)
        adapter.on_turn_error = on_turn_error
        sender = ProactiveSender(adapter, settings, session_factory)
        notifier = SenderNotifier(sender)
        factory: DialogFactory = app[DIALOG_FACTORY]  # type: ignore[assignment]
        wiring = factory(session_factory, settings, notifier)
        bot = LederavtaleBot(
            session_factory=session_factory,
            conversation_state=conversation_state,
            user_state=user_state,
            dialog=wiring.dialog,
            set_leader=wiring.set_leader,
            greeter=wiring.greeter,
        )
        app[ENGINE] = engine
        app[SESSION_FACTORY] = session_factory
        app[STORAGE] = storage
        app[CONVERSATION_STATE] = conversation_state
        app[USER_STATE] = user_state
        app[ADAPTER] = adapter
        app[AUTHENTICATION] = authentication
        app[SENDER] = sender
        app[NOTIFIER] = notifier
        app[BOT] = bot
        if settings.scheduler_enabled:
            from scheduler.service import ReminderScheduler

            scheduler = ReminderScheduler(settings, session_factory, sender)
            started = scheduler.start()
            if inspect.isawaitable(started):
                await started
            stack.push_async_callback(_close, scheduler.shutdown, "the reminder scheduler")
            app[SCHEDULER] = scheduler
        logger.info(
            "Bot service ready (%s mode)", "local, unauthenticated" if settings.local_mode else "authenticated"
        )
        yield
        logger.info("Bot service stopping")


def create_app(settings: Settings, *, dialog_factory: DialogFactory | None = None) -> web.Application:
    """The web application; nothing is connected until the app starts (see ``_lifecycle``)."""
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[DIALOG_FACTORY] = dialog_factory or main_dialog
    app.cleanup_ctx.append(_lifecycle)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    return app


# --- request handling -----------------------------------------------------------------


class BadRequest(ValueError):
    """The request body is not an activity this service can process."""


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _require_object(body: dict, key: str, *, required: bool) -> None:
    value = body.get(key)
    if value is None:
        if required:
            raise BadRequest(f"missing {key}")
        return
    if not isinstance(value, dict):
        raise BadRequest(f"{key} must be an object")


def parse_activity(raw: bytes) -> Activity:
    """Decode and check a request body; anything but a well-formed activity raises BadRequest."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body is not an activity")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise BadRequest("missing type")
    service_url = body.get("serviceUrl")
    if not isinstance(service_url, str) or not service_url.strip():
        raise BadRequest("missing serviceUrl")
    parts = urlsplit(service_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest("serviceUrl is not an http(s) URL")
    _require_object(body, "conversation", required=True)
    conversation_id = body["conversation"].get("id")
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise BadRequest("missing conversation.id")
    for key in ("from", "recipient", "channelData"):
        _require_object(body, key, required=False)
    for key in ("text", "id", "channelId", "locale", "replyToId"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"{key} must be a string")
    for key in ("entities", "attachments", "membersAdded", "membersRemoved"):
        if body.get(key) is not None and not isinstance(body[key], list):
            raise BadRequest(f"{key} must be a list")
    try:
        return Activity().deserialize(body)
    except (ValueError, TypeError, AttributeError, KeyError):
        raise BadRequest("body is not a valid activity") from None


async def _read_body(request: web.Request) -> bytes:
    if request.content_type != "application/json":
        raise BadRequest("Content-Type must be application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest(f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise BadRequest(f"body is larger than {MAX_BODY_BYTES} bytes") from None


async def messages(request: web.Request) -> web.StreamResponse:
    """``POST /api/messages``: authenticate, check the tenant, run the turn."""
    try:
        activity = parse_activity(await _read_body(request))
    except BadRequest as exc:
        logger.info("Refused a malformed request: %s", exc)
        return _error(400, str(exc))
    adapter = request.app[ADAPTER]
    settings = request.app[SETTINGS]
    auth_header = request.headers.get("Authorization", "")
    try:
        authenticated = await adapter.bot_framework_authentication.authenticate_request(activity, auth_header)
    except (PermissionError, jwt.PyJWTError) as exc:
        logger.info("Refused an unauthenticated request: %s", type(exc).__name__)
        return _error(401, "unauthorized")
    except requests.RequestException as exc:
        logger.error("Could not fetch the Bot Framework signing keys: %s", type(exc).__name__)
        return _error(503, "authentication unavailable")
    except Exception as exc:  # botbuilder raises bare Exception/IndexError for some bad tokens
        logger.warning("Refused a request whose token failed validation: %s", describe_exception(exc))
        return _error(401, "unauthorized")
    if not tenant_allowed(activity, settings.allowed_tenants):
        logger.warning("Refused an activity from a tenant that is not allowed")
        return _error(403, "tenant not allowed")
    try:
        invoke_response = await adapter.process_activity(authenticated, activity, request.app[BOT].on_turn)
    except PermissionError:
        return _error(401, "unauthorized")
    except Exception as exc:  # errors outside the turn (the turn's own go to on_turn_error)
        logger.error("Could not process an activity: %s", describe_exception(exc))
        return _error(500, "internal error")
    if invoke_response:
        return web.json_response(
            data=serializer_helper(invoke_response.body), status=invoke_response.status
        )
    return web.Response(status=201)


async def healthz(request: web.Request) -> web.Response:
    """``GET /healthz``: 200 when the database answers ``SELECT 1``, else 503."""
    engine = request.app[ENGINE]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy"; the cause goes to the log
        logger.warning("Health check failed: %s", describe_exception(exc))
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})
