"""The CloudAdapter, with Bot Connector clients reused across turns."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace

from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    CallerIdConstants,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.auth.authentication_constants import AuthenticationConstants
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channel_auth import ChannelKeys, ChannelTokenValidator, KeyTimings
from bot.connector_http import use_aiohttp
from bot.installation import AppInstaller
from bot.proactive import ProactiveSender
from bot.settings import Settings
from bot.turn import hold
from graph.client import GraphClient

logger = logging.getLogger(__name__)


def _app_id(claims_identity: ClaimsIdentity | None) -> str:
    if claims_identity is None:
        return ""
    claims = claims_identity.claims or {}
    return (
        claims.get(AuthenticationConstants.AUDIENCE_CLAIM)
        or claims.get(AuthenticationConstants.APP_ID_CLAIM)
        or ""
    )


class _CachingConnectorFactory(ConnectorFactory):
    """Hands out one ConnectorClient per (app id, service URL, audience)."""

    def __init__(self, owner: "ReusingBotFrameworkAuthentication", inner: ConnectorFactory, app_id: str):
        self._owner = owner
        self._inner = inner
        self._app_id = app_id

    async def create(self, service_url: str, audience: str = None) -> ConnectorClient:
        return await self._owner.connector_client(self._inner, self._app_id, service_url, audience)


class ReusingBotFrameworkAuthentication(BotFrameworkAuthentication):
    """Wraps a BotFrameworkAuthentication so that HTTP clients are built once, not per turn.

    botbuilder builds a new ConnectorClient and UserTokenClient (each with its own HTTP
    session and credentials) on every turn, which costs most of a turn's CPU. The cached
    ConnectorClients send over aiohttp (:mod:`bot.connector_http`). With a ``channel`` validator,
    inbound tokens are validated by :mod:`bot.channel_auth` instead of botbuilder's blocking fetches.
    """

    def __init__(self, inner: BotFrameworkAuthentication, channel: ChannelTokenValidator | None = None):
        self._inner = inner
        self._channel = channel
        self._connectors: dict[tuple[str, str, str | None], ConnectorClient] = {}
        self._user_token_clients: dict[str, UserTokenClient] = {}
        self._lock = asyncio.Lock()

    async def connector_client(
        self, factory: ConnectorFactory, app_id: str, service_url: str, audience: str | None
    ) -> ConnectorClient:
        key = (app_id, service_url, audience)
        client = self._connectors.get(key)
        if client is None:
            async with self._lock:
                client = self._connectors.get(key)
                if client is None:
                    client = use_aiohttp(await factory.create(service_url, audience))
                    self._connectors[key] = client
        return client

    def channel_key_status(self) -> str | None:
        """The channel signing keys' status (see :meth:`ChannelKeys.status`); None without authentication."""
        return None if self._channel is None else self._channel.keys.status()

    async def authenticate_request(self, activity, auth_header: str) -> AuthenticateRequestResult:
        if self._channel is None:
            result = await self._inner.authenticate_request(activity, auth_header)
        else:
            claims = await self._channel.validate(auth_header, activity.channel_id, activity.service_url)
            result = AuthenticateRequestResult()
            result.claims_identity = ClaimsIdentity(claims, True)
            result.audience = self._inner.get_originating_audience()
            result.caller_id = CallerIdConstants.public_azure_channel
            result.connector_factory = self._inner.create_connector_factory(result.claims_identity)
        if result.connector_factory is not None:
            result.connector_factory = _CachingConnectorFactory(
                self, result.connector_factory, _app_id(result.claims_identity)
            )
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str):
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return _CachingConnectorFactory(
            self, self._inner.create_connector_factory(claims_identity), _app_id(claims_identity)
        )

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        app_id = _app_id(claims_identity)
        client = self._user_token_clients.get(app_id)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._user_token_clients[app_id] = client
        return client

    def create_bot_framework_client(self):
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)

    async def close(self) -> None:
        """Close the cached HTTP clients and stop fetching signing keys."""
        if self._channel is not None:
            await self._channel.keys.close()
        clients = list(self._connectors.values())
        self._connectors.clear()
        self._user_token_clients.clear()
        for client in clients:
            try:
                await client.__aexit__(None, None, None)
            except Exception:  # closing is best effort at shutdown
                logger.warning("Could not close a Bot Connector client", exc_info=True)


def bot_framework_configuration(settings: Settings) -> SimpleNamespace:
    """The attribute names botbuilder's configuration classes read."""
    return SimpleNamespace(
        APP_ID=settings.app_id,
        APP_PASSWORD=settings.app_password,
        APP_TYPE=settings.app_type,
        APP_TENANTID=settings.app_tenant_id,
    )


def create_authentication(
    settings: Settings, key_timings: KeyTimings = KeyTimings()
) -> ReusingBotFrameworkAuthentication:
    """Bot Framework authentication from the settings, with client reuse; local mode authenticates nothing."""
    channel = None
    if not settings.local_mode:
        channel = ChannelTokenValidator(
            ChannelKeys(settings.channel_openid_metadata_url, key_timings),
            settings.app_id,
            settings.channel_token_issuer,
        )
    return ReusingBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(bot_framework_configuration(settings)), channel
    )


class TurnAdapter(CloudAdapter):
    """The CloudAdapter, with the replies of a dialog turn held until the turn is stored (see bot.turn)."""

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        held = hold(context, activities)
        if held is not None:
            return held
        return await super().send_activities(context, activities)


@dataclass(frozen=True)
class Outbound:
    """The adapter, its authentication and the proactive sender: how the bot reaches Teams."""

    adapter: CloudAdapter
    authentication: ReusingBotFrameworkAuthentication
    sender: ProactiveSender


@asynccontextmanager
async def open_outbound(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession], *, graph: GraphClient | None = None
) -> AsyncIterator[Outbound]:
    """The one place the adapter, authentication and sender are built (web service, scheduler, commands).

    With ``settings.install_enabled`` the sender installs the Teams app for leaders it cannot reach,
    through ``graph`` or, when None, a Graph client of its own for as long as this is open.
    """
    authentication = create_authentication(settings)
    adapter = TurnAdapter(authentication)
    try:
        async with AsyncExitStack() as stack:
            installer = None
            if settings.install_enabled:
                if graph is None:
                    graph = await stack.enter_async_context(GraphClient(settings.graph_config()))
                installer = AppInstaller(settings, session_factory, graph)
            yield Outbound(
                adapter, authentication, ProactiveSender(adapter, settings, session_factory, installer=installer)
            )
    finally:
        await authentication.close()
