"""Installing the Teams app for a leader the bot cannot reach: the sender against the fake Graph and Bot Connector."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installation import AppInstaller
from bot.proactive import ProactiveSender, SendStatus
from bot.settings import Settings
from graph.client import GraphClient
from storage.conversation_refs import get_reference, mark_unreachable, save_reference
from storage.models import AppInstallation, Leader
from tests.support.fake_connector import FakeConnector, conversation_reference
from tests.support.fake_graph import FakeGraph

MANIFEST_ID = "lederavtale-manifest"
CATALOG_ID = "catalog-lederavtale"
USER = "aad-megan"


@dataclass
class World:
    graph: FakeGraph
    connector: FakeConnector
    session_factory: async_sessionmaker[AsyncSession]
    client: GraphClient

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "graph_url": self.graph.graph_url,
            "login_url": self.graph.login_url,
            "graph_ca_file": self.graph.ca_file,
            "graph_tenant_id": self.graph.tenant_id,
            "graph_client_id": self.graph.client_id,
            "graph_client_secret": self.graph.client_secret,
            "teams_app_id": MANIFEST_ID,
            "teams_service_url": self.connector.url,
            "install_wait_seconds": 0.3,
        }
        return Settings(**(values | overrides))

    def sender(self, adapter, **settings: Any) -> ProactiveSender:
        chosen = self.settings(**settings)
        installer = AppInstaller(chosen, self.session_factory, self.client) if chosen.install_enabled else None
        return ProactiveSender(
            adapter, chosen, self.session_factory, base_delay=0.05, max_delay=0.2, rng=random.Random(3),
            installer=installer,
        )

    def installs(self) -> list[tuple[str, str, int]]:
        return list(self.graph.installs)


@pytest.fixture
async def world(session_factory, connector: FakeConnector) -> AsyncIterator[World]:
    async with FakeGraph() as graph:
        graph.add_user(USER, "Megan Bowen", "meganb@example.com")
        graph.add_catalog_app(MANIFEST_ID, CATALOG_ID)
        async with GraphClient(graph.config()) as client:
            yield World(graph, connector, session_factory, client)


async def add_leader(session_factory, aad_object_id: str | None = USER, email: str = "meganb@example.com") -> int:
    async with session_factory() as session:
        leader = Leader(name="Megan Bowen", email=email, aad_object_id=aad_object_id)
        session.add(leader)
        await session.commit()
        return leader.id


async def installation(session_factory, leader_id: int) -> AppInstallation | None:
    async with session_factory() as session:
        return await session.get(AppInstallation, leader_id)


def reminder(text: str = "Påminnelse") -> Activity:
    return Activity(type="message", text=text)


CHAT_ID = f"19:{USER}_{CATALOG_ID}@unq.gbl.spaces"


async def test_without_an_installation_update_the_installed_apps_chat_is_used(world: World, adapter) -> None:
    leader = await add_leader(world.session_factory)
    result = await world.sender(adapter).send(leader, reminder())
    assert result.status is SendStatus.SENT
    assert world.installs() == [(USER, CATALOG_ID, 201)]
    [sent] = world.connector.activities
    assert sent.conversation_id == CHAT_ID and sent.text == "Påminnelse"
    async with world.session_factory() as session:
        row = await get_reference(session, leader)
        assert row.reachable and row.service_url == world.connector.url
        assert row.reference["conversation"]["id"] == CHAT_ID
        assert row.reference["conversation"]["conversationType"] == "personal"
        assert row.tenant_id == world.graph.tenant_id
        assert row.reference["channelId"] == "msteams"
        assert row.reference["user"]["aadObjectId"] == USER
    stored = await installation(world.session_factory, leader)
    assert stored.status == "installed" and stored.installed_at is not None and stored.reason is None

    # The next message goes to the stored chat without asking Graph again.
    calls = len(world.graph.requests)
    assert (await world.sender(adapter).send(leader, reminder("Igjen"))).sent
    assert len(world.graph.requests) == calls
    assert [item.text for item in world.connector.sent_to(CHAT_ID)] == ["Påminnelse", "Igjen"]


async def test_already_installed_fetches_the_chat(world: World, adapter) -> None:
    world.graph.preinstall(USER, CATALOG_ID)
    leader = await add_leader(world.session_factory)
    assert (await world.sender(adapter, install_wait_seconds=30.0).send(leader, reminder())).sent
    assert world.installs() == [(USER, CATALOG_ID, 409)]
    assert [item.conversation_id for item in world.connector.activities] == [CHAT_ID]
    assert ("GET", f"/users/{USER}/teamwork/installedApps?$expand=teamsApp&$filter=teamsApp/id eq '{CATALOG_ID}'") in (
        world.graph.requests
    )
    assert (await installation(world.session_factory, leader)).status == "installed"


async def test_a_leader_blocked_by_policy_stays_unreachable_with_the_reason(world: World, adapter) -> None:
    world.graph.block_install(USER, "App installation is blocked by the tenant's app permission policy.")
    leader = await add_leader(world.session_factory)
    sender = world.sender(adapter)
    result = await sender.send(leader, reminder())
    assert (result.status, result.error) == (SendStatus.UNREACHABLE, "install_blocked")
    stored = await installation(world.session_factory, leader)
    assert stored.status == "blocked" and stored.installed_at is None
    assert "blocked by the tenant's app permission policy" in stored.reason
    assert world.connector.requests == 0

    calls = len(world.graph.requests)
    again = await sender.send(leader, reminder())
    assert (again.status, again.error) == (SendStatus.UNREACHABLE, "install_blocked")
    assert len(world.graph.requests) == calls  # not tried again
    assert world.installs() == [(USER, CATALOG_ID, 403)]


async def test_a_graph_failure_is_recorded_and_tried_again_next_time(world: World, adapter) -> None:
    leader = await add_leader(world.session_factory)
    world.graph.fail_next(500, path_prefix="/users/")
    sender = world.sender(adapter)
    result = await sender.send(leader, reminder())
    assert (result.status, result.error) == (SendStatus.UNREACHABLE, "install_failed")
    stored = await installation(world.session_factory, leader)
    assert stored.status == "failed" and "HTTP 500" in stored.reason and USER not in stored.reason
    assert (await sender.send(leader, reminder())).sent
    assert world.installs() == [(USER, CATALOG_ID, 201)]
    assert (await installation(world.session_factory, leader)).status == "installed"


async def test_an_app_missing_from_the_catalogue_is_looked_up_once(world: World, adapter) -> None:
    first = await add_leader(world.session_factory)
    second = await add_leader(world.session_factory, "aad-alex", "alexw@example.com")
    sender = world.sender(adapter, teams_app_id="not-published")
    for leader in (first, second):
        result = await sender.send(leader, reminder())
        assert (result.status, result.error) == (SendStatus.UNREACHABLE, "app_not_in_catalog")
        stored = await installation(world.session_factory, leader)
        assert (stored.status, stored.reason) == ("failed", "app_not_in_catalog")
    assert [path for _method, path in world.graph.requests] == ["/appCatalogs/teamsApps?$filter=externalId eq 'not-published'"]
    assert world.installs() == []


async def test_a_configured_catalogue_id_is_used_without_a_lookup(world: World, adapter) -> None:
    leader = await add_leader(world.session_factory)
    assert (await world.sender(adapter, teams_app_id="unknown", teams_app_catalog_id=CATALOG_ID).send(leader, reminder())).sent
    assert not any(path.startswith("/appCatalogs") for _method, path in world.graph.requests)
    assert world.installs() == [(USER, CATALOG_ID, 201)]


async def test_a_leader_without_an_object_id_is_installed_by_e_mail(world: World, adapter) -> None:
    leader = await add_leader(world.session_factory, None)
    result = await world.sender(adapter).send(leader, reminder())
    # The fake knows users by object id only, as Graph does not for this address: the attempt is recorded.
    assert ("POST", "/users/meganb@example.com/teamwork/installedApps") in world.graph.requests
    assert (result.status, result.error) == (SendStatus.UNREACHABLE, "install_failed")
    assert (await installation(world.session_factory, leader)).status == "failed"


async def test_nothing_is_installed_when_the_feature_is_off(world: World, adapter) -> None:
    leader = await add_leader(world.session_factory)
    sender = world.sender(adapter, proactive_install=False)
    assert sender.installer is None
    result = await sender.send(leader, reminder())
    assert (result.status, result.error) == (SendStatus.UNREACHABLE, "no_reference")
    assert world.graph.requests == [] and world.connector.requests == 0
    assert await installation(world.session_factory, leader) is None


async def test_a_leader_who_removed_the_app_gets_it_installed_again(world: World, adapter) -> None:
    leader = await add_leader(world.session_factory)
    async with world.session_factory() as session:
        await save_reference(session, leader, conversation_reference(world.connector.url, "a:old-chat", USER))
        await session.commit()
    world.connector.fail_conversation("a:old-chat", 403)
    sender = world.sender(adapter)
    removed = await sender.send(leader, reminder("Første"))
    assert (removed.status, removed.error) == (SendStatus.UNREACHABLE, "http_403")
    assert world.installs() == []  # the send that found the app gone tries nothing more

    assert (await sender.send(leader, reminder("Andre"))).sent
    assert world.installs() == [(USER, CATALOG_ID, 201)]
    assert [item.text for item in world.connector.sent_to(CHAT_ID)] == ["Andre"]
    async with world.session_factory() as session:
        row = await get_reference(session, leader)
        assert row.reachable and row.reference["conversation"]["id"] == CHAT_ID


async def test_a_conversation_that_is_gone_or_a_blocked_bot_after_install_is_not_retried_in_a_loop(
    world: World, adapter
) -> None:
    leader = await add_leader(world.session_factory)
    async with world.session_factory() as session:
        await save_reference(session, leader, conversation_reference(world.connector.url, "a:old-chat", USER))
        await mark_unreachable(session, leader, "http_404")
        await session.commit()
    world.connector.fail_conversation(CHAT_ID, 403)
    result = await world.sender(adapter).send(leader, reminder())
    assert (result.status, result.error, result.attempts) == (SendStatus.UNREACHABLE, "http_403", 1)
    assert world.installs() == [(USER, CATALOG_ID, 201)]
    assert world.connector.requests == 1
