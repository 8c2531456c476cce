"""The bot service over HTTP: the real aiohttp app, a fake Bot Connector on 127.0.0.1, no mocks."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.http import ENGINE, MAX_BODY_BYTES
from bot.settings import Settings
from storage.db import create_engine, create_session_factory
from storage.models import BotStateItem, ConversationRef, Leader
from tests.bot.conftest import BOT_ID, MENU_TEXT, add_leader, make_settings, message, probe_greeting
from tests.support.fake_connector import FakeConnector
from tests.support.openid_server import OpenIdServer, new_key, running_openid_server

pytestmark = pytest.mark.usefixtures("no_internet")


def report(recorded) -> dict:
    return json.loads(recorded.text)


async def test_message_in_reply_out_to_the_right_conversation(db, database_url, connector, client_for) -> None:
    megan = await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    alex = await add_leader(db, "Alex Wilber", "alexw@example.com", "aad-alex")
    client = await client_for(make_settings(database_url))

    first = message(connector, "hei")
    response = await client.post("/api/messages", json=first)
    assert response.status == 201
    greeting, reply = connector.activities
    assert greeting.text == probe_greeting("Megan Bowen")
    assert reply.conversation_id == "a:conversation-megan"
    assert reply.activity["replyToId"] == first["id"]
    assert reply.activity["recipient"]["id"] == "29:user-megan"
    assert reply.activity["from"]["id"] == BOT_ID
    assert report(reply) == {"leader": megan, "text": "hei", "value": None, "turns": 1}

    connector.clear()
    second = message(
        connector, "og en gang til", user_id="29:user-alex", aad_object_id="aad-alex",
        conversation_id="a:conversation-alex",
    )
    third = message(connector, "igjen")
    assert (await client.post("/api/messages", json=second)).status == 201
    assert (await client.post("/api/messages", json=third)).status == 201
    by_conversation = {item.conversation_id: item for item in connector.activities}
    assert connector.conversation_counts() == {"a:conversation-alex": 2, "a:conversation-megan": 1}
    assert report(by_conversation["a:conversation-megan"]) == {
        "leader": megan, "text": "igjen", "value": None, "turns": 2,
    }
    assert report(connector.sent_to("a:conversation-alex")[1])["leader"] == alex
    assert connector.sent_to("a:conversation-megan")[0].activity["replyToId"] == third["id"]


async def test_the_conversation_reference_is_stored_and_rewritten_only_when_it_changes(
    db, database_url, connector, client_for
) -> None:
    megan = await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url))
    await client.post("/api/messages", json=message(connector, "hei"))
    async with db() as session:
        row = await session.get(ConversationRef, megan)
        assert row is not None
        stored_at = row.updated_at
        assert row.reference["conversation"]["id"] == "a:conversation-megan"
        assert row.reference["serviceUrl"] == connector.url
        assert row.reference["user"]["id"] == "29:user-megan"
        assert row.reference["bot"]["id"] == BOT_ID
        assert row.reference.get("activityId") is None
        assert row.tenant_id == "tenant-lorenskog"
        assert row.reachable

    await client.post("/api/messages", json=message(connector, "mer"))
    async with db() as session:
        assert (await session.get(ConversationRef, megan)).updated_at == stored_at

    moved = message(connector, "fra et annet sted", locale="en-US")
    await client.post("/api/messages", json=moved)
    async with db() as session:
        row = await session.get(ConversationRef, megan)
        assert row.updated_at > stored_at
        assert row.reference["locale"] == "en-US"


async def test_an_unreachable_leader_who_writes_is_reachable_again(db, database_url, connector, client_for) -> None:
    megan = await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url))
    await client.post("/api/messages", json=message(connector, "hei"))
    async with db() as session:
        row = await session.get(ConversationRef, megan)
        row.reachable = False
        row.unreachable_reason = "http_403"
        await session.commit()
    connector.clear()
    await client.post("/api/messages", json=message(connector, "hei igjen"))
    async with db() as session:
        assert (await session.get(ConversationRef, megan)).reachable
    # Not a first contact: no second greeting.
    assert [report(item)["text"] for item in connector.activities] == ["hei igjen"]


async def test_unknown_user_gets_the_explanation_and_nothing_else(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    connector.add_member("29:stranger", email="stranger@example.com", userPrincipalName="stranger@example.com")
    client = await client_for(make_settings(database_url))
    response = await client.post(
        "/api/messages", json=message(connector, "status", user_id="29:stranger", aad_object_id="aad-stranger")
    )
    assert response.status == 201
    assert [item.text for item in connector.activities] == [texts.UNKNOWN_USER]
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(ConversationRef)) == 0
        assert await session.scalar(select(func.count()).select_from(BotStateItem)) == 0


async def test_unknown_user_without_member_info_gets_the_explanation(db, database_url, connector, client_for) -> None:
    client = await client_for(make_settings(database_url))
    await client.post("/api/messages", json=message(connector, "hei", user_id="29:nobody", aad_object_id=None))
    assert [item.text for item in connector.activities] == [texts.UNKNOWN_USER]


async def test_known_user_by_email_fallback_gets_the_object_id_stored(db, database_url, connector, client_for) -> None:
    adele = await add_leader(db, "Adele Vance", "adelev@example.com", None)
    connector.add_member("29:user-adele", email="AdeleV@Example.com", userPrincipalName="adele.vance@example.com")
    client = await client_for(make_settings(database_url))
    await client.post(
        "/api/messages",
        json=message(connector, "hei", user_id="29:user-adele", aad_object_id="aad-adele",
                     conversation_id="a:conversation-adele"),
    )
    greeting, reply = connector.activities
    assert greeting.text == probe_greeting("Adele Vance")
    assert report(reply)["leader"] == adele
    async with db() as session:
        assert (await session.get(Leader, adele)).aad_object_id == "aad-adele"

    # From now on the object id alone finds her: Teams' member info is not needed.
    connector.members.clear()
    connector.clear()
    await client.post(
        "/api/messages",
        json=message(connector, "igjen", user_id="29:user-adele", aad_object_id="aad-adele",
                     conversation_id="a:conversation-adele"),
    )
    assert report(connector.activities[0])["leader"] == adele


async def test_known_user_by_upn_when_teams_has_no_email(db, database_url, connector, client_for) -> None:
    isaiah = await add_leader(db, "Isaiah Langer", "isaiahl@example.com", None)
    connector.add_member("29:user-isaiah", userPrincipalName="IsaiahL@example.com")
    client = await client_for(make_settings(database_url))
    await client.post(
        "/api/messages",
        json=message(connector, "hei", user_id="29:user-isaiah", aad_object_id=None,
                     conversation_id="a:conversation-isaiah"),
    )
    assert report(connector.activities[-1])["leader"] == isaiah
    async with db() as session:
        assert (await session.get(Leader, isaiah)).aad_object_id is None


async def test_email_match_with_another_object_id_is_refused(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    connector.add_member("29:impostor", email="meganb@example.com")
    client = await client_for(make_settings(database_url))
    await client.post(
        "/api/messages", json=message(connector, "hei", user_id="29:impostor", aad_object_id="aad-someone-else")
    )
    assert [item.text for item in connector.activities] == [texts.UNKNOWN_USER]


async def test_an_inactive_leader_is_unknown(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Ola Strand", "olas@example.com", "aad-ola", active=False)
    connector.add_member("29:user-ola", email="olas@example.com")
    client = await client_for(make_settings(database_url))
    await client.post("/api/messages", json=message(connector, "hei", user_id="29:user-ola", aad_object_id="aad-ola"))
    assert [item.text for item in connector.activities] == [texts.UNKNOWN_USER]


async def test_mentions_of_the_bot_are_stripped(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url))
    await client.post("/api/messages", json=message(connector, "hei"))
    connector.clear()
    mention = {
        "type": "mention",
        "text": "<at>Lederavtale (test)</at>",
        "mentioned": {"id": BOT_ID, "name": "Lederavtale (test)"},
    }
    other = {"type": "mention", "text": "<at>Alex</at>", "mentioned": {"id": "29:user-alex", "name": "Alex"}}
    await client.post(
        "/api/messages",
        json=message(connector, "<at>Lederavtale (test)</at>  status med <at>Alex</at>", entities=[mention, other]),
    )
    assert report(connector.activities[0])["text"] == "status med <at>Alex</at>"


async def test_a_card_submit_goes_to_the_dialog(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url))
    await client.post("/api/messages", json=message(connector, "hei"))
    connector.clear()
    await client.post("/api/messages", json=message(connector, None, value={"action": "status"}))
    assert report(connector.activities[0]) == {
        "leader": await _id_of(db, "meganb@example.com"), "text": None, "value": {"action": "status"}, "turns": 2,
    }


async def _id_of(db: async_sessionmaker[AsyncSession], email: str) -> int:
    async with db() as session:
        return await session.scalar(select(Leader.id).where(Leader.email == email))


async def test_install_greets_once_and_shows_the_menu(db, database_url, connector, client_for) -> None:
    megan = await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url))
    added = message(
        connector, None, activity_type="conversationUpdate",
        membersAdded=[{"id": BOT_ID}, {"id": "29:user-megan"}],
    )
    installed = message(connector, None, activity_type="installationUpdate", action="add")
    assert (await client.post("/api/messages", json=added)).status == 201
    assert (await client.post("/api/messages", json=installed)).status == 201
    assert [item.text for item in connector.activities] == [probe_greeting("Megan Bowen"), MENU_TEXT]
    async with db() as session:
        assert (await session.get(ConversationRef, megan)) is not None


async def test_install_by_an_outsider_explains_once(db, database_url, connector, client_for) -> None:
    client = await client_for(make_settings(database_url))
    added = message(connector, None, activity_type="conversationUpdate", membersAdded=[{"id": BOT_ID}],
                    aad_object_id="aad-stranger", user_id="29:stranger")
    installed = message(connector, None, activity_type="installationUpdate", action="add",
                        aad_object_id="aad-stranger", user_id="29:stranger")
    await client.post("/api/messages", json=added)
    await client.post("/api/messages", json=installed)
    assert [item.text for item in connector.activities] == [texts.UNKNOWN_USER]


async def test_a_member_added_who_is_not_the_bot_is_ignored(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url))
    update = message(connector, None, activity_type="conversationUpdate", membersAdded=[{"id": "29:someone"}])
    assert (await client.post("/api/messages", json=update)).status == 201
    assert connector.activities == []


async def test_healthz(sqlite_url, connector, client_for) -> None:
    client = await client_for(make_settings(sqlite_url))
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_healthz_reports_a_broken_database(sqlite_url, connector, client_for) -> None:
    client = await client_for(make_settings(sqlite_url))
    await client.app[ENGINE].dispose()
    path = Path(sqlite_url.split(":///", 1)[1])
    for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        leftover.unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    response = await client.get("/healthz")
    assert response.status == 503
    assert await response.json() == {"status": "unavailable"}


async def add_megan(url: str) -> None:
    """Megan Bowen as a known leader in the database at ``url``."""
    engine = create_engine(url)
    try:
        await add_leader(create_session_factory(engine), "Megan Bowen", "meganb@example.com", "aad-megan")
    finally:
        await engine.dispose()


async def test_an_error_in_a_turn_apologises_without_logging_the_text_and_keeps_serving(
    sqlite_url, connector, client_for, caplog
) -> None:
    await add_megan(sqlite_url)
    client = await client_for(make_settings(sqlite_url))
    await client.post("/api/messages", json=message(connector, "hei"))
    connector.clear()
    with caplog.at_level(logging.DEBUG):
        response = await client.post("/api/messages", json=message(connector, "boom"))
    assert response.status == 201
    assert [item.text for item in connector.activities] == [texts.TURN_ERROR]
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors and "RuntimeError" in errors[0].getMessage()
    assert "boom" not in caplog.text
    connector.clear()
    await client.post("/api/messages", json=message(connector, "videre"))
    # The failed turn's state was not saved: this is the second successful turn.
    assert report(connector.activities[0])["turns"] == 2


# --- malformed requests ---------------------------------------------------------------


def _valid(connector: FakeConnector) -> dict:
    return message(connector, "hei")


BAD_BODIES = {
    "not json": lambda c: (b"{not json", "application/json"),
    "json array": lambda c: (b"[1, 2]", "application/json"),
    "json string": lambda c: (b'"message"', "application/json"),
    "not utf-8": lambda c: (b"\xff\xfe\xfa", "application/json"),
    "missing type": lambda c: (_without(_valid(c), "type"), "application/json"),
    "empty type": lambda c: (_with(_valid(c), type=""), "application/json"),
    "type not a string": lambda c: (_with(_valid(c), type=5), "application/json"),
    "missing serviceUrl": lambda c: (_without(_valid(c), "serviceUrl"), "application/json"),
    "serviceUrl not a URL": lambda c: (_with(_valid(c), serviceUrl="not a url"), "application/json"),
    "missing conversation": lambda c: (_without(_valid(c), "conversation"), "application/json"),
    "conversation not an object": lambda c: (_with(_valid(c), conversation="a:1"), "application/json"),
    "conversation without id": lambda c: (_with(_valid(c), conversation={"tenantId": "t"}), "application/json"),
    "from not an object": lambda c: (_with(_valid(c), **{"from": [1]}), "application/json"),
    "entities not a list": lambda c: (_with(_valid(c), entities="x"), "application/json"),
    "bad timestamp": lambda c: (_with(_valid(c), timestamp="yesterday"), "application/json"),
    "text not a string": lambda c: (_with(_valid(c), text={"a": 1}), "application/json"),
    "wrong content type": lambda c: (json.dumps(_valid(c)).encode(), "text/plain"),
    "form content type": lambda c: (b"type=message", "application/x-www-form-urlencoded"),
    "too large": lambda c: (_with(_valid(c), text="x" * (MAX_BODY_BYTES + 1)), "application/json"),
    "empty body": lambda c: (b"", "application/json"),
}


def _without(body: dict, key: str) -> bytes:
    body.pop(key)
    return json.dumps(body).encode()


def _with(body: dict, **values) -> bytes:
    body.update(values)
    return json.dumps(body).encode()


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_a_malformed_body_gets_400_and_the_next_request_is_served(
    case, sqlite_url, connector, client_for
) -> None:
    await add_megan(sqlite_url)
    client = await client_for(make_settings(sqlite_url))
    body, content_type = BAD_BODIES[case](connector)
    response = await client.post("/api/messages", data=body, headers={"Content-Type": content_type})
    assert response.status == 400
    error = await response.json()
    assert set(error) == {"error"} and 0 < len(error["error"]) < 100
    assert connector.activities == []

    response = await client.post("/api/messages", json=_valid(connector))
    assert response.status == 201
    assert len(connector.activities) == 2  # the greeting and the dialog's reply


async def test_a_chunked_body_over_the_limit_gets_400(sqlite_url, connector, client_for) -> None:
    client = await client_for(make_settings(sqlite_url))

    async def chunks():
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    response = await client.post("/api/messages", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status == 400
    assert (await client.get("/healthz")).status == 200


async def test_other_methods_and_paths_are_not_served(sqlite_url, connector, client_for) -> None:
    client = await client_for(make_settings(sqlite_url))
    assert (await client.get("/api/messages")).status == 405
    assert (await client.post("/api/notify", json={})).status == 404


# --- authentication and tenants ---------------------------------------------------------

APP_ID = "00000000-0000-0000-0000-00000000b07a"


def authenticated_settings(database_url: str, **overrides) -> Settings:
    values = {
        "app_id": APP_ID, "app_password": "not-a-real-secret", "allowed_tenants": ("tenant-lorenskog",),
        # Nothing listens on the discard port: the signing keys are never had unless a test serves them.
        "channel_openid_metadata_url": "http://127.0.0.1:9/openid",
    }
    values.update(overrides)
    return make_settings(database_url, **values)


class Issuer:
    """Tokens from the local OpenID server, for this bot by default."""

    def __init__(self, server: OpenIdServer) -> None:
        self.server = server

    def token(self, service_url: str, *, audience: str = APP_ID, key=None, expires_in: int = 600) -> str:
        return self.server.token(service_url, audience=audience, key=key, exp=int(time.time()) + expires_in)


@pytest.fixture
async def issuer():
    async with running_openid_server() as server:
        yield Issuer(server)


async def test_with_an_app_id_a_request_without_a_token_gets_401(sqlite_url, connector, client_for) -> None:
    client = await client_for(authenticated_settings(sqlite_url))
    response = await client.post("/api/messages", json=message(connector, "hei"))
    assert response.status == 401
    assert await response.json() == {"error": "unauthorized"}
    response = await client.post(
        "/api/messages", json=message(connector, "hei"), headers={"Authorization": "Bearer not.a.token"}
    )
    assert response.status == 401
    assert connector.activities == []
    assert (await client.get("/healthz")).status == 200


async def test_the_bot_framework_settings_come_from_the_environment(sqlite_url, connector, client_for) -> None:
    from bot.adapter import bot_framework_configuration

    settings = Settings.from_env({
        "DATABASE_URL": sqlite_url, "LEDERAVTALE_SCHEDULER": "false", "MicrosoftAppId": APP_ID,
        "MicrosoftAppPassword": "not-a-real-secret", "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": "tenant-lorenskog",
    })
    assert not settings.local_mode and settings.allowed_tenants == ("tenant-lorenskog",)
    configuration = bot_framework_configuration(settings)
    assert (configuration.APP_ID, configuration.APP_PASSWORD, configuration.APP_TYPE, configuration.APP_TENANTID) == (
        APP_ID, "not-a-real-secret", "SingleTenant", "tenant-lorenskog",
    )
    client = await client_for(settings)
    assert (await client.post("/api/messages", json=message(connector, "hei"))).status == 401


async def test_with_an_app_id_only_a_valid_token_from_an_allowed_tenant_is_served(
    sqlite_url, connector, client_for, issuer
) -> None:
    settings = authenticated_settings(sqlite_url, channel_openid_metadata_url=issuer.server.metadata_url)
    client = await client_for(settings)
    # A conversation update that does not concern the bot: served without any reply (a reply
    # would need a token from Microsoft Entra, which the tests never reach).
    body = message(connector, None, activity_type="conversationUpdate", membersAdded=[{"id": "29:someone"}])

    async def post(payload: dict, token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return (await client.post("/api/messages", json=payload, headers=headers)).status

    assert await post(body, issuer.token(connector.url)) == 201
    assert await post(body, None) == 401
    assert await post(body, issuer.token(connector.url, audience="another-bot")) == 401
    assert await post(body, issuer.token(connector.url, expires_in=-3600)) == 401
    assert await post(body, issuer.token("http://127.0.0.1:1")) == 401  # issued for another service URL
    assert await post(body, issuer.token(connector.url, key=new_key())) == 401

    other_tenant = message(connector, "hei", tenant="tenant-elsewhere", activity_type="message")
    response = await client.post(
        "/api/messages", json=other_tenant, headers={"Authorization": f"Bearer {issuer.token(connector.url)}"}
    )
    assert response.status == 403
    assert await response.json() == {"error": "tenant not allowed"}
    no_tenant = message(connector, "hei", tenant=None)
    assert await post(no_tenant, issuer.token(connector.url)) == 403
    assert connector.activities == []
    assert await post(body, issuer.token(connector.url)) == 201


async def test_in_local_mode_the_allowed_tenants_still_hold(db, database_url, connector, client_for) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url, allowed_tenants=("tenant-lorenskog",)))
    response = await client.post("/api/messages", json=message(connector, "hei", tenant="tenant-elsewhere"))
    assert response.status == 403
    assert connector.activities == []
    response = await client.post("/api/messages", json=message(connector, "hei", tenant="TENANT-Lorenskog"))
    assert response.status == 201
    assert len(connector.activities) == 2
