"""Reminders to leaders the bot cannot reach: the sweep installs the Teams app through the fake Graph, once."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select, update

from bot.adapter import open_outbound
from bot.settings import Settings
from lederavtale.cli import build_parser
from scheduler.sweep import Sweeper
from storage.conversation_refs import mark_unreachable, save_reference
from storage.models import AppInstallation, Leader, ReminderLog, ReminderStatus
from tests.bot.conftest import make_settings, start_client
from tests.scheduler.conftest import seed_superiors
from tests.scheduler.helpers import at
from tests.support.fake_connector import FakeConnector, conversation_reference
from tests.support.fake_graph import FakeGraph

MANIFEST_ID = "lederavtale-manifest"
CATALOG_ID = "catalog-lederavtale"
KICKOFF = at(date(2025, 1, 10), 9, 5)
#: The next reminder to a superior who has planned nothing: the first quarter's.
Q1 = at(date(2025, 2, 28), 9, 5)


def graph_settings(graph: FakeGraph, connector: FakeConnector, **overrides: Any) -> Settings:
    return Settings.from_env(
        graph.settings_env()
        | {
            "LEDERAVTALE_TEAMS_APP_ID": MANIFEST_ID,
            "LEDERAVTALE_TEAMS_SERVICE_URL": connector.url,
            "LEDERAVTALE_INSTALL_WAIT_SECONDS": "0.3",
        }
        | overrides
    )


async def leaders_in_graph(session_factory, graph: FakeGraph, leader_ids: list[int]) -> list[str]:
    """Give the leaders Entra object ids and put them in the fake directory; returns the ids."""
    object_ids = []
    async with session_factory() as session:
        for leader_id in leader_ids:
            object_id = f"aad-{leader_id}"
            await session.execute(update(Leader).where(Leader.id == leader_id).values(aad_object_id=object_id))
            graph.add_user(object_id, f"Leder {leader_id}", f"leder{leader_id}@example.com")
            object_ids.append(object_id)
        await session.commit()
    graph.add_catalog_app(MANIFEST_ID, CATALOG_ID)
    return object_ids


async def sweep(settings: Settings, session_factory, moment: datetime):
    async with open_outbound(settings, session_factory) as outbound:
        return await Sweeper(settings, session_factory, outbound.sender, instance_id="install").run(moment)


async def statuses(session_factory) -> list[tuple[int, ReminderStatus, str | None]]:
    async with session_factory() as session:
        rows = (await session.scalars(select(ReminderLog).order_by(ReminderLog.id))).all()
        return [(row.recipient_id, row.status, row.error) for row in rows]


def reminders_in(connector: FakeConnector, conversation_id: str) -> list:
    return [item for item in connector.sent_to(conversation_id) if item.cards]


async def test_a_due_reminder_installs_the_app_takes_the_update_s_reference_and_sends_once(
    database_url, session_factory, connector: FakeConnector
) -> None:
    [sup] = await seed_superiors(session_factory, None, 1)
    async with FakeGraph() as graph:
        [object_id] = await leaders_in_graph(session_factory, graph, [sup])
        # The real service receives Teams' installationUpdate and stores the reference.
        app = await start_client(make_settings(database_url))
        try:
            graph.bot_endpoint = str(app.make_url("/api/messages"))
            graph.service_url = connector.url
            settings = graph_settings(graph, connector, LEDERAVTALE_INSTALL_WAIT_SECONDS="20")
            for _ in range(2):
                report = await sweep(settings, session_factory, KICKOFF)
        finally:
            await app.close()
    assert graph.installs == [(object_id, CATALOG_ID, 201)]
    assert report.planned == 0
    conversation = f"a:{object_id}"  # the installation update's, not the installed app's chat
    assert len(reminders_in(connector, conversation)) == 1
    assert all(item.conversation_id == conversation for item in connector.activities)
    assert await statuses(session_factory) == [(sup, ReminderStatus.SENT, None)]
    async with session_factory() as session:
        installation = await session.get(AppInstallation, sup)
        assert installation.status == "installed" and installation.installed_at is not None


async def test_without_an_update_in_time_the_chat_is_used_and_sent_once(session_factory, connector) -> None:
    superiors = await seed_superiors(session_factory, None, 3)
    async with FakeGraph() as graph:
        object_ids = await leaders_in_graph(session_factory, graph, superiors)
        settings = graph_settings(graph, connector)
        first = await sweep(settings, session_factory, KICKOFF)
        second = await sweep(settings, session_factory, KICKOFF)
    assert (first.sent, first.unreachable, second.planned) == (3, 0, 0)
    assert sorted(graph.installs) == sorted((object_id, CATALOG_ID, 201) for object_id in object_ids)
    assert connector.conversation_counts() == {f"19:{o}_{CATALOG_ID}@unq.gbl.spaces": 1 for o in object_ids}


async def test_a_leader_blocked_by_policy_is_not_tried_again_at_the_next_reminder(session_factory, connector) -> None:
    [sup] = await seed_superiors(session_factory, None, 1)
    async with FakeGraph() as graph:
        [object_id] = await leaders_in_graph(session_factory, graph, [sup])
        graph.block_install(object_id, "Blocked by app permission policy.")
        settings = graph_settings(graph, connector)
        assert (await sweep(settings, session_factory, KICKOFF)).unreachable == 1
        calls = len(graph.requests)
        assert (await sweep(settings, session_factory, Q1)).unreachable == 1
        assert len(graph.requests) == calls
    assert graph.installs == [(object_id, CATALOG_ID, 403)]
    assert [status for _id, status, _error in await statuses(session_factory)] == [ReminderStatus.UNREACHABLE] * 2
    assert {error for _id, _status, error in await statuses(session_factory)} == {"install_blocked"}
    assert connector.requests == 0


async def test_nothing_is_installed_when_the_feature_is_off(session_factory, connector) -> None:
    [sup] = await seed_superiors(session_factory, None, 1)
    async with FakeGraph() as graph:
        await leaders_in_graph(session_factory, graph, [sup])
        settings = graph_settings(graph, connector, LEDERAVTALE_PROACTIVE_INSTALL="false")
        assert (await sweep(settings, session_factory, KICKOFF)).unreachable == 1
    assert graph.requests == [] and graph.tokens_issued == 0 and connector.requests == 0
    assert await statuses(session_factory) == [(sup, ReminderStatus.UNREACHABLE, "no_reference")]


async def test_a_leader_who_removed_the_app_gets_it_again_with_the_next_reminder(session_factory, connector) -> None:
    [sup] = await seed_superiors(session_factory, connector, 1)
    async with FakeGraph() as graph:
        [object_id] = await leaders_in_graph(session_factory, graph, [sup])
        connector.fail_conversation(f"conv-{sup}", 403)
        settings = graph_settings(graph, connector)
        assert (await sweep(settings, session_factory, KICKOFF)).unreachable == 1
        assert graph.installs == []
        assert (await sweep(settings, session_factory, Q1)).sent == 1
    assert graph.installs == [(object_id, CATALOG_ID, 201)]
    assert len(reminders_in(connector, f"19:{object_id}_{CATALOG_ID}@unq.gbl.spaces")) == 1
    assert [error for _id, _status, error in await statuses(session_factory)] == ["http_403", None]


async def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.handler(args, settings)


async def test_unreachable_says_why_for_each_leader(sqlite_url, capsys) -> None:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    try:
        leaders = await seed_superiors(factory, None, 5)
        blocked, failed, no_catalog, removed, _never = leaders
        now = datetime.now(timezone.utc)
        async with factory() as session:
            session.add_all([
                AppInstallation(leader_id=blocked, status="blocked", reason="Forbidden: Blocked by app permission policy.",
                                attempted_at=now),
                AppInstallation(leader_id=failed, status="failed", reason="Microsoft Graph POST failed (HTTP 500)",
                                attempted_at=now),
                AppInstallation(leader_id=no_catalog, status="failed", reason="app_not_in_catalog", attempted_at=now),
            ])
            await save_reference(session, removed, conversation_reference("http://127.0.0.1:9", "conv-removed"))
            await session.flush()
            await mark_unreachable(session, removed, "http_404")
            await session.commit()
        configured = Settings(database_url=sqlite_url, graph_tenant_id="t", graph_client_id="c", graph_client_secret="s")
        assert await run(configured, "reminders", "unreachable") == 0
        lines = {line.split(" [")[0]: line for line in capsys.readouterr().out.splitlines() if " [" in line}
        assert "blokkert av en policy: Forbidden: Blocked by app permission policy." in lines["Overordnet 0"]
        assert "installasjonen av appen mislyktes: Microsoft Graph POST failed (HTTP 500)" in lines["Overordnet 1"]
        assert "appen finnes ikke i organisasjonens appkatalog" in lines["Overordnet 2"]
        assert "samtalen finnes ikke lenger, og appen er ikke installert for dem ennå" in lines["Overordnet 3"]
        assert "har ikke startet en samtale med boten, og appen er ikke installert for dem ennå" in lines["Overordnet 4"]

        assert await run(Settings(database_url=sqlite_url), "reminders", "unreachable") == 0
        out = capsys.readouterr().out
        assert "har ikke startet en samtale med boten, og appen installeres ikke for dem fordi Microsoft Graph ikke er satt opp" in out
        switched_off = Settings(database_url=sqlite_url, graph_tenant_id="t", graph_client_id="c",
                                graph_client_secret="s", proactive_install=False)
        assert await run(switched_off, "reminders", "unreachable") == 0
        assert "automatisk installasjon av appen er slått av (LEDERAVTALE_PROACTIVE_INSTALL)" in capsys.readouterr().out
    finally:
        await engine.dispose()
