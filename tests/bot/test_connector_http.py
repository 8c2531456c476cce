"""The Bot Connector client on aiohttp: what reaches the connector, tokens, errors."""

from __future__ import annotations

import socket

import pytest
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ErrorResponseException
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest.exceptions import ClientRequestError

from bot.connector_http import AiohttpSender, use_aiohttp


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


async def test_an_activity_arrives_whole_over_aiohttp(connector, credentials) -> None:
    client = use_aiohttp(ConnectorClient(credentials, base_url=connector.url))
    async with client:
        assert isinstance(client.config.pipeline._sender, AiohttpSender)
        text = "Hva er du god til som leder? Æøå – «sitat» 😊"
        response = await client.conversations.send_to_conversation("a:conversation-megan", reply(text))
        # Sent again on the same session: the connection is reused, not rebuilt.
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


async def test_closing_the_client_closes_its_session(connector, credentials) -> None:
    client = use_aiohttp(ConnectorClient(credentials, base_url=connector.url))
    await client.conversations.send_to_conversation("a:conversation-megan", reply("hei"))
    sender = client.config.pipeline._sender
    session = sender._session
    assert session is not None and not session.closed
    await client.__aexit__(None, None, None)
    assert session.closed


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


async def test_no_proxy_hosts_are_reached_directly(connector, credentials, proxy_environment) -> None:
    proxy_environment.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port()}")
    proxy_environment.setenv("NO_PROXY", "127.0.0.1,localhost")
    sender = AiohttpSender(10)
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", reply("direkte"))
    assert [item.text for item in connector.activities] == ["direkte"]
    async with sender:
        sender._client_session()
        assert sender._proxy_for("http://smba.example.invalid/v3") == sender._proxies["http"]
        assert sender._proxy_for(f"{connector.url}/v3") is None


async def test_without_proxy_variables_nothing_is_proxied(credentials, proxy_environment) -> None:
    sender = AiohttpSender(10)
    async with sender:
        sender._client_session()
        assert sender._proxy_for("https://smba.trafficmanager.net/emea/v3") is None


async def test_activities_are_sent_as_msrest_serialises_them(connector, credentials) -> None:
    from msrest import Serializer
    from botbuilder.schema import Attachment, Mention
    from botframework.connector import models

    activity = reply("Se kortet")
    activity.attachments = [Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                       content={"type": "AdaptiveCard", "version": "1.5", "body": []})]
    activity.entities = [Mention(mentioned=ChannelAccount(id="29:megan", name="Megan"), text="<at>Megan</at>", type="mention")]
    activity.channel_data = {"notification": {"alert": True}}
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", activity)
    expected = Serializer({k: v for k, v in models.__dict__.items() if isinstance(v, type)}).body(activity, "Activity")
    assert connector.activities[0].activity == expected
    assert expected["attachments"][0]["content"]["version"] == "1.5" and expected["entities"][0]["text"] == "<at>Megan</at>"


async def test_a_body_with_plain_dicts_where_models_belong_takes_msrests_own_path(connector, credentials) -> None:
    from msrest import Serializer
    from botframework.connector import models

    from bot.connector_http import ModelBodySerializer

    activity = reply("Fra en ordbok")
    activity.from_property = {"id": "28:bot", "name": "Lederavtale", "aadObjectId": "aad-bot"}
    serializer = ModelBodySerializer({k: v for k, v in models.__dict__.items() if isinstance(v, type)})
    serializer.client_side_validation = False
    assert not serializer._made_of_models(activity)
    async with use_aiohttp(ConnectorClient(credentials, base_url=connector.url)) as client:
        await client.conversations.send_to_conversation("a:conversation-megan", activity)
    sent = connector.activities[0].activity
    assert sent["from"] == {"id": "28:bot", "name": "Lederavtale", "aadObjectId": "aad-bot"}
    expected = Serializer({k: v for k, v in models.__dict__.items() if isinstance(v, type)}).body(reply("Fra en ordbok"), "Activity")
    assert {key: value for key, value in sent.items() if key != "from"} == {key: value for key, value in expected.items() if key != "from"}
    assert serializer._made_of_models(reply("Bare modeller"))
