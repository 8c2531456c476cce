"""The web endpoints: ``POST /api/messages`` (authenticate, check the tenant, run the turn) and ``GET /healthz``."""

from __future__ import annotations

import asyncio
import logging
import traceback

from aiohttp import web
from botbuilder.core import TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.adapter import ReusingBotFrameworkAuthentication
from bot.channel_auth import AuthenticationUnavailable
from bot.files import LINK_ROUTE, serve_link
from bot.inbound import BadRequest, parse_activity
from bot.settings import Settings
from bot.teams_bot import LederavtaleBot
from bot.tenants import tenant_allowed

logger = logging.getLogger(__name__)

#: Largest request body accepted on /api/messages (Teams messages are far smaller).
MAX_BODY_BYTES = 256 * 1024
HEALTH_TIMEOUT_SECONDS = 5.0

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
ADAPTER = web.AppKey("adapter", CloudAdapter)
BOT = web.AppKey("bot", LederavtaleBot)


def add_routes(app: web.Application) -> None:
    """Route the endpoints; the app must hold SETTINGS, ENGINE, ADAPTER and BOT once started (HANDOUT for links)."""
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get(LINK_ROUTE, serve_link)


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
        ascii(activity.conversation.id) if activity.conversation else "?",
        describe_exception(error),
    )
    try:
        await turn_context.send_activity(texts.TURN_ERROR)
    except Exception as exc:  # the apology is best effort; the service keeps serving
        logger.warning("Could not send the apology: %s", describe_exception(exc))


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


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
    except PermissionError as exc:
        logger.info("Refused an unauthenticated request: %s", exc)
        return _error(401, "unauthorized")
    except AuthenticationUnavailable:
        return _error(503, "authentication unavailable")
    except Exception as exc:  # in local mode botbuilder checks a token sent anyway, raising bare Exceptions
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
    """``GET /healthz``: 200 when the database answers ``SELECT 1``, else 503.

    Without the channel's signing keys the answer is still 200 (a restart cannot mend a remote key
    server), but ``{"status": "degraded", "authentication": "unavailable" | "loading"}``.
    """
    engine = request.app[ENGINE]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not healthy"; the cause goes to the log
        logger.warning("Health check failed: %s", describe_exception(exc))
        return web.json_response({"status": "unavailable"}, status=503)
    authentication = request.app[ADAPTER].bot_framework_authentication
    keys = None
    if isinstance(authentication, ReusingBotFrameworkAuthentication):
        keys = authentication.channel_key_status()
    if keys not in (None, "ok"):
        return web.json_response({"status": "degraded", "authentication": keys})
    return web.json_response({"status": "ok"})
