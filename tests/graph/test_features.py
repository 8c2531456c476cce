"""Directory, Teams app and calendar calls against the fake Graph."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest
from aiohttp import web

from bot.settings import Settings
from graph.client import GraphClient
from graph.directory import DirectoryUser, group_member_ids, group_users
from graph.errors import GraphNotFound
from graph.events import create_meeting, move_meeting
from graph.teams_apps import find_catalog_app, install_for_user, installed_app_chat_id
from tests.support.fake_graph import FakeGraph


async def test_group_users_are_transitive_with_managers_over_pages() -> None:
    async with FakeGraph(page_size=2) as graph:
        graph.add_user("top", "Top Leader", "top@example.com", department="Rådmannen")
        graph.add_user("mid", "Mid Leader", None, upn="mid@example.com", manager_id="top")
        graph.add_user("low", "Low Leader", "low@example.com", department="Skole", manager_id="mid")
        graph.add_user("outsider", "Not In Group", "out@example.com")
        graph.add_group("nested", ["low"])
        graph.add_group("leaders", ["top", "mid", "nested"])
        async with GraphClient(graph.config()) as client:
            users = {user.id: user for user in await group_users(client, "leaders")}
    assert users == {
        "top": DirectoryUser("top", "Top Leader", "top@example.com", "top@example.com", "Rådmannen", None, None, None),
        "mid": DirectoryUser("mid", "Mid Leader", None, "mid@example.com", None, "top", "Top Leader", "top@example.com"),
        "low": DirectoryUser(
            "low", "Low Leader", "low@example.com", "low@example.com", "Skole", "mid", "Mid Leader", "mid@example.com"
        ),
    }
    assert (
        "GET",
        "/groups/leaders/transitiveMembers/microsoft.graph.user"
        "?$select=id,displayName,mail,userPrincipalName,department,accountEnabled&$top=999",
    ) in graph.requests


async def test_group_member_ids() -> None:
    async with FakeGraph(page_size=1) as graph:
        graph.add_user("a", "A", "a@example.com")
        graph.add_user("b", "B", "b@example.com")
        graph.add_group("hr", ["a", "b"])
        async with GraphClient(graph.config()) as client:
            assert await group_member_ids(client, "hr") == {"a", "b"}


async def test_the_app_is_found_installed_and_its_chat_fetched() -> None:
    async with FakeGraph() as graph:
        graph.add_user("u1", "User One", "u1@example.com")
        graph.add_catalog_app("manifest-id", "catalog-id")
        async with GraphClient(graph.config()) as client:
            assert await find_catalog_app(client, "manifest-id") == "catalog-id"
            assert await find_catalog_app(client, "other") is None
            assert await installed_app_chat_id(client, "u1", "catalog-id") is None
            assert (await install_for_user(client, "u1", "catalog-id")).status == "installed"
            assert (await install_for_user(client, "u1", "catalog-id")).status == "already_installed"
            assert await installed_app_chat_id(client, "u1", "catalog-id") == "19:u1_catalog-id@unq.gbl.spaces"
        assert graph.installs == [("u1", "catalog-id", 201), ("u1", "catalog-id", 409)]


async def test_a_blocked_install_gives_graphs_reason() -> None:
    async with FakeGraph() as graph:
        graph.add_user("u1", "User One", "u1@example.com")
        graph.add_catalog_app("manifest-id", "catalog-id")
        graph.block_install("u1", "App installation is blocked by the tenant's policy.")
        async with GraphClient(graph.config()) as client:
            result = await install_for_user(client, "u1", "catalog-id")
    assert result.status == "blocked"
    assert result.reason == "Forbidden: App installation is blocked by the tenant's policy."


async def test_a_meeting_is_created_and_moved() -> None:
    async with FakeGraph() as graph:
        graph.add_user("boss", "Boss", "boss@example.com")
        async with GraphClient(graph.config()) as client:
            event_id = await create_meeting(
                client,
                "boss",
                subject="Ledersamtale",
                start=datetime(2026, 3, 2, 9, 0),
                end=datetime(2026, 3, 2, 10, 0),
                body_html="<p>Forbered deg</p>",
                attendees=[("Leader", "leader@example.com")],
                time_zone="Europe/Oslo",
            )
            await move_meeting(
                client,
                "boss",
                event_id,
                start=datetime(2026, 3, 3, 12, 0, tzinfo=timezone.utc),
                end=datetime(2026, 3, 3, 13, 0, tzinfo=timezone.utc),
                time_zone="Europe/Oslo",
            )
            with pytest.raises(GraphNotFound):
                await move_meeting(
                    client, "boss", "gone", start=datetime(2026, 3, 3), end=datetime(2026, 3, 3), time_zone="UTC"
                )
    assert list(graph.events) == [event_id]
    event = graph.events[event_id]
    assert event["organizer_id"] == "boss"
    assert event["subject"] == "Ledersamtale"
    assert event["body"] == {"contentType": "HTML", "content": "<p>Forbered deg</p>"}
    assert event["start"] == {"dateTime": "2026-03-03T13:00:00", "timeZone": "Europe/Oslo"}
    assert event["attendees"] == [
        {"emailAddress": {"address": "leader@example.com", "name": "Leader"}, "type": "required"}
    ]
    assert event["isOnlineMeeting"] is True
    assert event["onlineMeetingProvider"] == "teamsForBusiness"


async def test_settings_point_a_client_at_graph() -> None:
    async with FakeGraph() as graph:
        graph.add_user("u1", "User One", "u1@example.com")
        graph.add_group("leaders", ["u1"])
        config = Settings.from_env(graph.settings_env()).graph_config()
        assert config is not None
        async with GraphClient(config) as client:
            assert await group_member_ids(client, "leaders") == {"u1"}


def test_graph_config_is_none_without_credentials_and_uses_the_managed_identity() -> None:
    assert Settings.from_env({}).graph_config() is None
    config = Settings.from_env(
        {
            "MicrosoftAppId": "mi-client",
            "MicrosoftAppType": "UserAssignedMSI",
            "MicrosoftAppTenantId": "tenant",
        }
    ).graph_config()
    assert config is not None
    assert (config.managed_identity_client_id, config.client_secret, config.tenant_id) == ("mi-client", "", "tenant")


async def test_an_install_announces_itself_to_the_bot_as_teams_does() -> None:
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def messages(request: web.Request) -> web.Response:
        await received.put(await request.json())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bot = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
    try:
        async with FakeGraph(bot_endpoint=bot, service_url="http://127.0.0.1:1/connector") as graph:
            graph.add_user("u1", "User One", "u1@example.com")
            graph.add_catalog_app("manifest-id", "catalog-id")
            async with GraphClient(graph.config()) as client:
                await install_for_user(client, "u1", "catalog-id")
            activity = await asyncio.wait_for(received.get(), 10)
    finally:
        await runner.cleanup()
    assert (activity["type"], activity["action"], activity["channelId"]) == ("installationUpdate", "add", "msteams")
    assert activity["conversation"]["id"] == "a:u1"
    assert activity["conversation"]["tenantId"] == graph.tenant_id
    assert activity["from"] == {"id": "29:u1", "aadObjectId": "u1", "name": "User One"}
    assert activity["serviceUrl"] == "http://127.0.0.1:1/connector"
