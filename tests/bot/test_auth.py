"""Channel-token validation against a real local OpenID server, and a key server that hangs."""

from __future__ import annotations

import asyncio
import time

import pytest
from botbuilder.schema import Activity
from botframework.connector.auth import CallerIdConstants, ConnectorFactory

from bot.adapter import create_authentication
from bot.channel_auth import AuthenticationUnavailable, ChannelKeys, ChannelTokenValidator, KeyTimings, Unauthorized
from bot.settings import Settings
from tests.bot.conftest import message
from tests.bot.test_app import APP_ID, authenticated_settings
from tests.support.openid_server import OpenIdServer, new_key, running_openid_server

pytestmark = pytest.mark.usefixtures("no_internet")

FAST = KeyTimings(fetch_timeout=0.5, request_wait=0.5, failure_memory=0.1, unknown_key_interval=0.0)


@pytest.fixture
async def server():
    async with running_openid_server() as running:
        yield running


def _body(connector, **extra) -> dict:
    # A conversation update that does not concern the bot needs no reply (and so no Entra token).
    return message(connector, None, activity_type="conversationUpdate", membersAdded=[{"id": "29:someone"}], **extra)


async def _post(client, body: dict, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (await client.post("/api/messages", json=body, headers=headers)).status


def test_the_channel_settings_have_the_bot_framework_names_and_defaults() -> None:
    defaults = Settings.from_env({})
    assert defaults.channel_openid_metadata_url == "https://login.botframework.com/v1/.well-known/openidconfiguration"
    assert defaults.channel_token_issuer == "https://api.botframework.com"
    configured = Settings.from_env({
        "ToBotFromChannelOpenIdMetadataUrl": "http://127.0.0.1:1/openid",
        "ToBotFromChannelTokenIssuer": "https://issuer.example",
    })
    assert (configured.channel_openid_metadata_url, configured.channel_token_issuer) == (
        "http://127.0.0.1:1/openid", "https://issuer.example",
    )


@pytest.mark.parametrize(
    ("case", "claims", "status"),
    [
        ("valid", {}, 201),
        ("within the clock skew", {"exp": -120, "nbf": 120}, 201),
        ("wrong audience", {"aud": "another-bot"}, 401),
        ("wrong issuer", {"iss": "https://elsewhere.example"}, 401),
        ("expired", {"exp": -600}, 401),
        ("not yet valid", {"nbf": 600}, 401),
        ("no exp", {"exp": None}, 401),
        ("no serviceurl", {"serviceurl": None}, 401),
        ("another serviceurl", {"serviceurl": "http://127.0.0.1:1"}, 401),
    ],
)
async def test_only_a_token_valid_for_this_bot_and_service_url_is_served(
    sqlite_url, connector, client_for, server, case, claims, status
) -> None:
    client = await client_for(authenticated_settings(sqlite_url, channel_openid_metadata_url=server.metadata_url))
    now = int(time.time())
    values = {"serviceurl": connector.url}
    for name, value in claims.items():
        values[name] = now + value if name in ("exp", "nbf") and value is not None else value
    token = server.token(values.pop("serviceurl"), audience=values.pop("aud", APP_ID), **values)
    assert await _post(client, _body(connector), token) == status, case
    assert connector.activities == []


async def test_a_wrong_key_an_unknown_key_id_or_another_algorithm_is_refused(
    sqlite_url, connector, client_for, server
) -> None:
    client = await client_for(authenticated_settings(sqlite_url, channel_openid_metadata_url=server.metadata_url))
    assert await _post(client, _body(connector), server.token(connector.url, audience=APP_ID, key=new_key())) == 401
    assert await _post(client, _body(connector), server.token(connector.url, audience=APP_ID, kid="unknown")) == 401
    hs256_token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InRlc3Qta2V5In0.e30.c2lnbmF0dXJl"
    assert await _post(client, _body(connector), hs256_token) == 401
    assert await _post(client, _body(connector), server.token(connector.url, audience=APP_ID)) == 201


async def test_a_channel_the_key_is_not_endorsed_for_is_refused(sqlite_url, connector, client_for, server) -> None:
    client = await client_for(authenticated_settings(sqlite_url, channel_openid_metadata_url=server.metadata_url))
    token = server.token(connector.url, audience=APP_ID)
    assert await _post(client, _body(connector, channelId="webchat"), token) == 401
    assert await _post(client, _body(connector), token) == 201


async def test_a_foreign_tenant_with_a_valid_token_is_refused(sqlite_url, connector, client_for, server) -> None:
    client = await client_for(authenticated_settings(sqlite_url, channel_openid_metadata_url=server.metadata_url))
    token = server.token(connector.url, audience=APP_ID)
    response = await client.post(
        "/api/messages", json=message(connector, "hei", tenant="tenant-elsewhere"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 403
    assert await response.json() == {"error": "tenant not allowed"}
    assert connector.activities == []


async def test_the_configured_issuer_is_the_one_accepted(sqlite_url, connector, client_for, server) -> None:
    settings = authenticated_settings(
        sqlite_url, channel_openid_metadata_url=server.metadata_url, channel_token_issuer="https://issuer.example"
    )
    client = await client_for(settings)
    assert await _post(client, _body(connector), server.token(connector.url, audience=APP_ID)) == 401
    token = server.token(connector.url, audience=APP_ID, iss="https://issuer.example")
    assert await _post(client, _body(connector), token) == 201


async def test_the_result_hands_botbuilder_the_claims_audience_caller_and_a_connector_factory(
    sqlite_url, server
) -> None:
    authentication = create_authentication(
        authenticated_settings(sqlite_url, channel_openid_metadata_url=server.metadata_url)
    )
    activity = Activity(channel_id="msteams", service_url="http://127.0.0.1:1/")
    try:
        result = await authentication.authenticate_request(
            activity, f"Bearer {server.token(activity.service_url, audience=APP_ID)}"
        )
    finally:
        await authentication.close()
    assert result.claims_identity.is_authenticated
    assert result.claims_identity.claims["aud"] == APP_ID
    assert result.audience == "https://api.botframework.com"
    assert result.caller_id == CallerIdConstants.public_azure_channel
    assert isinstance(result.connector_factory, ConnectorFactory)


async def test_a_hanging_key_server_neither_freezes_the_service_nor_lets_a_forged_token_in(
    sqlite_url, connector, client_for, server
) -> None:
    server.hang()
    client = await client_for(authenticated_settings(sqlite_url, channel_openid_metadata_url=server.metadata_url))
    forged = server.token(connector.url, audience=APP_ID, key=new_key())
    async with asyncio.timeout(15):
        post = asyncio.create_task(_post(client, _body(connector), forged))
        health = await client.get("/healthz")
        assert health.status == 200
        assert (await health.json())["status"] == "degraded"
        assert await post == 503
    assert (await client.get("/healthz")).status == 200
    assert connector.activities == []


async def test_a_failed_fetch_is_remembered_and_the_keys_are_had_again_later(server: OpenIdServer) -> None:
    server.hang()
    validator = ChannelTokenValidator(ChannelKeys(server.metadata_url, FAST), APP_ID, "https://api.botframework.com")
    token = server.token("http://127.0.0.1:1/", audience=APP_ID)
    try:
        with pytest.raises(AuthenticationUnavailable):
            await validator.validate(f"Bearer {token}", "msteams", "http://127.0.0.1:1/")
        fetches = server.requests
        with pytest.raises(AuthenticationUnavailable):  # refused at once, without another fetch
            await validator.validate(f"Bearer {token}", "msteams", "http://127.0.0.1:1/")
        assert server.requests == fetches
        assert validator.keys.status() == "unavailable"
        server.answer()
        async with asyncio.timeout(15):
            while validator.keys.status() != "ok":
                await asyncio.sleep(0.05)
        claims = await validator.validate(f"Bearer {token}", "msteams", "http://127.0.0.1:1/")
        assert claims["aud"] == APP_ID
        other_bot = server.token("http://127.0.0.1:1/", audience="another-bot")
        with pytest.raises(Unauthorized):
            await validator.validate(f"Bearer {other_bot}", "msteams", "http://127.0.0.1:1/")
    finally:
        await validator.keys.close()


async def test_a_new_key_id_is_fetched_in_the_background(server: OpenIdServer) -> None:
    validator = ChannelTokenValidator(ChannelKeys(server.metadata_url, FAST), APP_ID, "https://api.botframework.com")
    try:
        await validator.validate(f"Bearer {server.token('http://s/', audience=APP_ID)}", "msteams", "http://s/")
        server.key, server.kid = new_key(), "rotated-key"
        rotated = server.token("http://s/", audience=APP_ID)
        claims = await validator.validate(f"Bearer {rotated}", "msteams", "http://s/")
        assert claims["serviceurl"] == "http://s/"
    finally:
        await validator.keys.close()
