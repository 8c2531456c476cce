"""The Bot Connector client on aiohttp: what reaches the connector, tokens, errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import requests
from aiohttp import web
from botbuilder.schema import Activity, Attachment, ChannelAccount, ConversationAccount, ErrorResponseException, Mention
from botframework.connector import models
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest import Serializer
from msrest.exceptions import ClientRequestError

from bot.connector_http import use_aiohttp
from tests.support.fake_connector import FakeConnector

#: msrest's own serialiser for the Bot Connector's models: what botframework would send.
MSREST = Serializer({name: value for name, value in models.__dict__.items() if isinstance(value, type)})


def reply(text: str) -> Activity:
    return Activity(
        type="message",
        text=text,
        from_property=ChannelAccount(id="28:bot"),
        recipient=ChannelAccount(id="29:megan"),
        conversation=ConversationAccount(id="a:conversation-megan"),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def credentials():
    return MicrosoftAppCredentials("", "")


@pytest.fixture
def without_requests(monkeypatch):
    """Fail any use of ``requests``, the library msrest would send with in worker threads."""

    def refuse(*_args, **_kwargs):
        raise AssertionError("sent with requests, not aiohttp")

    monkeypatch.setattr(requests.Session, "request", refuse)
    monkeypatch.setattr(requests.Session, "send", refuse)


class ConnectionCounter:
    """A minimal Bot Connector that notes the TCP connection each request came in on."""

    def __init__(self) -> None:
        self.transports: list[asyncio.Transport] = []
        self.url = ""

    async def activity(self, request: web.Request) -> web.Response:
        if request.transport not in self.transports:
            self.transports.append(request.transport)
        return web.json_response({"id": f"activity-{len(self.transports)}"})

    async def all_closed(self, timeout: float = 5.0) -> bool:
        for _ in range(int(timeout / 0.02)):
            if all(transport.is_closing() for transport in self.transports):
                return True
            await asyncio.sleep(0.02)
        return False


@pytest.fixture
async def connection_counter() -> AsyncIterator[ConnectionCounter]:
    counter = ConnectionCounter()
    app = web.Application()
    app.router.add_post("/v3/conversations/{conversation_id}/activities", counter.activity)
    app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", counter.activity)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    counter.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield counter
    finally:
        await runner.cleanup()


async def test_an_activity_arrives_whole_over_aiohttp(connector, credentials, without_requests) -> None:
    client = use_aiohttp(ConnectorClient(credentials, base_url=connector.url))
    async with client:
        text = "Hva er du god til som leder? Æøå – «sitat» 😊"
        response = await client.conversations.send_to_conversation("a:conversation-megan", reply(text))
        await client.conversations.reply_to_activity("a:conversation-megan", "activity-1", reply("igjen"))
    assert response.id
    assert [(item.conversation_id, item.text) for item in connector.activities] == [
        ("a:conversation-megan", text), ("a:conversation-megan", "igjen"),
    ]
    # Local mode: no app id, so no token is asked for or sent.
    assert [item.authorization for item in connector.activities] == [None, None]


async def test_with_an_app_id_every_call_carries_the_credentials_token(connector, monkeypatch) -> None:
    credentials = MicrosoftAppCredentials("app-id", "not-a-real-secret")
    tokens = iter(["token-1", "token-2"])
    monkeypatch.setattr(credentials, "get_access_token", lambda force_refresh=False: next(tokens))
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", reply("én"))
        await client.conversations.send_to_conversation("a:conversation-megan", reply("to"))
    assert [item.authorization for item in connector.activities] == ["Bearer token-1", "Bearer token-2"]


async def test_a_failure_status_gives_botbuilders_error_with_status_and_headers(connector, credentials) -> None:
    connector.fail_next(429, headers={"Retry-After": "3"})
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        with pytest.raises(ErrorResponseException) as raised:
            await client.conversations.send_to_conversation("a:conversation-megan", reply("for fort"))
        assert raised.value.response.status_code == 429
        assert raised.value.response.headers.get("retry-after") == "3"
        # The next call on the same client goes through.
        await client.conversations.send_to_conversation("a:conversation-megan", reply("nå"))
    assert [item.text for item in connector.activities] == ["nå"]


async def test_a_connector_that_cannot_be_reached_is_a_client_request_error(credentials) -> None:
    client = use_aiohttp(ConnectorClient(credentials, base_url=f"http://127.0.0.1:{free_port()}"))
    async with client:
        with pytest.raises(ClientRequestError):
            await client.conversations.send_to_conversation("a:conversation-megan", reply("hallo?"))


async def test_one_connection_carries_every_call_and_closing_the_client_closes_it(
    connection_counter, credentials
) -> None:
    async with use_aiohttp(ConnectorClient(credentials, base_url=connection_counter.url)) as client:
        for text in ("én", "to", "tre"):
            await client.conversations.send_to_conversation("a:conversation-megan", reply(text))
        assert len(connection_counter.transports) == 1
        assert not connection_counter.transports[0].is_closing()
    assert await connection_counter.all_closed()


@pytest.fixture
def proxy_environment(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


async def test_the_proxy_from_the_environment_is_used_as_requests_would(connector, credentials, proxy_environment) -> None:
    # The fake connector plays the proxy: a request for a host that does not exist reaches it.
    proxy_environment.setenv("HTTP_PROXY", connector.url)
    async with use_aiohttp(ConnectorClient(credentials, base_url="http://smba.example.invalid")) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", reply("via proxyen"))
    assert [item.text for item in connector.activities] == ["via proxyen"]


async def test_no_proxy_hosts_are_reached_directly_and_others_through_the_proxy(
    connector, credentials, proxy_environment
) -> None:
    # The fake connector plays the proxy; a second one is reached directly (127.0.0.1 is in NO_PROXY).
    proxy_environment.setenv("HTTP_PROXY", connector.url)
    proxy_environment.setenv("NO_PROXY", "127.0.0.1,localhost")
    async with FakeConnector() as direct:
        async with use_aiohttp(ConnectorClient(credentials, base_url=direct.url)) as client:
            await client.conversations.send_to_conversation("a:conversation-megan", reply("direkte"))
        async with use_aiohttp(ConnectorClient(credentials, base_url="http://smba.example.invalid")) as client:
            await client.conversations.send_to_conversation("a:conversation-megan", reply("via proxyen"))
        assert [item.text for item in direct.activities] == ["direkte"]
    assert [item.text for item in connector.activities] == ["via proxyen"]


async def test_without_proxy_variables_every_host_is_reached_directly(credentials, proxy_environment, no_internet) -> None:
    async with use_aiohttp(ConnectorClient(credentials, base_url="http://smba.example.invalid")) as client:
        with pytest.raises(ClientRequestError):
            await client.conversations.send_to_conversation("a:conversation-megan", reply("hallo?"))
    assert no_internet == ["smba.example.invalid"]
    no_internet.clear()  # the one attempt this test makes on purpose


async def test_activities_are_sent_as_msrest_serialises_them(connector, credentials) -> None:
    activity = reply("Se kortet")
    activity.attachments = [Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                       content={"type": "AdaptiveCard", "version": "1.5", "body": []})]
    activity.entities = [Mention(mentioned=ChannelAccount(id="29:megan", name="Megan"), text="<at>Megan</at>", type="mention")]
    activity.channel_data = {"notification": {"alert": True}}
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", activity)
    expected = MSREST.body(activity, "Activity")
    assert connector.activities[0].activity == expected
    assert expected["attachments"][0]["content"]["version"] == "1.5" and expected["entities"][0]["text"] == "<at>Megan</at>"


async def test_a_body_with_plain_dicts_where_models_belong_is_sent_as_msrest_sends_it(connector, credentials) -> None:
    activity = reply("Fra en ordbok")
    activity.from_property = {"id": "28:bot", "name": "Lederavtale", "aadObjectId": "aad-bot"}
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", activity)
    sent = connector.activities[0].activity
    assert sent["from"] == {"id": "28:bot", "name": "Lederavtale", "aadObjectId": "aad-bot"}
    expected = MSREST.body(reply("Fra en ordbok"), "Activity")
    assert {key: value for key, value in sent.items() if key != "from"} == {key: value for key, value in expected.items() if key != "from"}
