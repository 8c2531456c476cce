"""Fixtures for the bot service: the real aiohttp app, a fake Bot Connector, no internet."""

from __future__ import annotations

import ipaddress
import itertools
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from botbuilder.dialogs import Dialog, DialogContext, DialogTurnResult
from botbuilder.schema import ActivityTypes
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lederavtale.app import DialogWiring, create_app
from bot.settings import Settings
from dialogs.flow import current_leader_id, set_leader
from storage.models import Leader
from tests.support.fake_connector import FakeConnector

TENANT = "tenant-lorenskog"
BOT_ID = "28:lederavtale-bot"
MENU_TEXT = "probe: meny"

_ids = itertools.count(1)


def _is_loopback(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode()
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse (and record) every attempt to resolve or connect to a non-loopback host."""
    attempts: list[str] = []
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, *args, **kwargs):
        if not _is_loopback(host):
            attempts.append(str(host))
            raise OSError(f"test refused to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address[0]):
            attempts.append(str(address[0]))
            raise OSError(f"test refused to connect to {address!r}")

    def connect(self, address):
        check(self, address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(self, address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts
    assert attempts == [], f"the code under test tried to reach the internet: {attempts}"


class ProbeDialog(Dialog):
    """A tiny dialog that reports what reached it: the leader, the text, a card value, its turn count."""

    def __init__(self) -> None:
        super().__init__("probe")

    async def begin_dialog(self, dialog_context: DialogContext, options: object = None) -> DialogTurnResult:
        dialog_context.active_dialog.state["turns"] = 0
        return await self.continue_dialog(dialog_context)

    async def continue_dialog(self, dialog_context: DialogContext) -> DialogTurnResult:
        activity = dialog_context.context.activity
        if activity.type != ActivityTypes.message:
            await dialog_context.context.send_activity(MENU_TEXT)
            return Dialog.end_of_turn
        if activity.text == "boom":
            raise RuntimeError(f"probe failure while handling {activity.text!r}")
        state = dialog_context.active_dialog.state
        state["turns"] += 1
        report = {
            "leader": current_leader_id(dialog_context.context),
            "text": activity.text,
            "value": activity.value,
            "turns": state["turns"],
        }
        await dialog_context.context.send_activity(json.dumps(report))
        return Dialog.end_of_turn


def probe_greeting(name: str) -> str:
    """What the probe wiring greets a leader's first contact with."""
    return f"probe greeting for {name}"


async def probe_greeter(turn_context, match) -> None:
    await turn_context.send_activity(probe_greeting(match.name))


def probe_dialog_factory(session_factory, settings, notifier) -> DialogWiring:
    """Wires the probe dialog and a probe greeting instead of the real dialogs."""
    return DialogWiring(ProbeDialog(), set_leader, probe_greeter)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test app: the given database, no scheduler."""
    values: dict[str, Any] = {"database_url": database_url, "scheduler_enabled": False}
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def db(session_factory: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    """The session factory on the parametrized database (SQLite and PostgreSQL)."""
    return session_factory


async def start_client(settings: Settings, dialog_factory=probe_dialog_factory) -> TestClient:
    client = TestClient(TestServer(create_app(settings, dialog_factory=dialog_factory), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[..., Any]]:
    """Start the real app with given settings; every app started is closed at the end."""
    clients: list[TestClient] = []

    async def start(settings: Settings, dialog_factory=probe_dialog_factory) -> TestClient:
        client = await start_client(settings, dialog_factory)
        clients.append(client)
        return client

    yield start
    for client in reversed(clients):
        await client.close()


async def add_leader(
    session_factory: async_sessionmaker[AsyncSession], name: str, email: str, aad_object_id: str | None = None, **fields: Any
) -> int:
    async with session_factory() as session:
        leader = Leader(name=name, email=email, aad_object_id=aad_object_id, **fields)
        session.add(leader)
        await session.commit()
        return leader.id


def message(
    connector: FakeConnector,
    text: str | None = "hei",
    *,
    user_id: str = "29:user-megan",
    aad_object_id: str | None = "aad-megan",
    conversation_id: str = "a:conversation-megan",
    tenant: str | None = TENANT,
    value: Any = None,
    activity_type: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """A Teams personal-chat activity as the Bot Connector posts it."""
    sender: dict[str, Any] = {"id": user_id, "name": "Megan Bowen"}
    if aad_object_id is not None:
        sender["aadObjectId"] = aad_object_id
    conversation: dict[str, Any] = {"id": conversation_id, "conversationType": "personal"}
    if tenant is not None:
        conversation["tenantId"] = tenant
    body: dict[str, Any] = {
        "type": activity_type,
        "id": f"incoming-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "from": sender,
        "recipient": {"id": BOT_ID, "name": "Lederavtale"},
        "conversation": conversation,
        "locale": "nb-NO",
    }
    if tenant is not None:
        body["channelData"] = {"tenant": {"id": tenant}}
    if text is not None:
        body["text"] = text
    if value is not None:
        body["value"] = value
    body.update(extra)
    return body
