"""The leader sync from Entra ID against the fake Graph: the same roster code as the CSV import."""

from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.roster.apply import import_leaders
from agreement.roster.rows import RosterRefused
from bot.settings import Settings
from graph.client import GraphClient
from scheduler.leader_sync import LeaderSyncJob, sync_leaders
from storage.db import create_engine, create_session_factory
from storage.models import Agreement, Leader, LeaderSyncRun
from tests.support.database import dump_tables
from tests.support.fake_graph import FakeGraph


YEAR = 2026
TEMPLATE = "lederavtale-2023"
NIGHT = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)

# Three levels: Sjef; Anne, Bente (HR) and Frode under Sjef; Carl and Dina under Anne.
PEOPLE = [
    ("oid-sjef", "Sjef Sjefsen", "sjef@example.com", "Kommunedirektøren", None),
    ("oid-anne", "Anne Andersen", "anne@example.com", "Oppvekst", "oid-sjef"),
    ("oid-bente", "Bente Berg", "bente@example.com", "Helse og omsorg", "oid-sjef"),
    ("oid-carl", "Carl Carlsen", "carl@example.com", "Lørenskog skole Nord", "oid-anne"),
    ("oid-dina", "Dina Dahl", "dina@example.com", None, "oid-anne"),
    ("oid-frode", "Frode Fjell", "frode@example.com", "Teknisk", "oid-sjef"),
]
CSV = "\n".join(
    [
        "navn;e-post;objectid;enhet;overordnet_epost;hr",
        "Sjef Sjefsen;sjef@example.com;oid-sjef;Kommunedirektøren;;nei",
        "Anne Andersen;anne@example.com;oid-anne;Oppvekst;sjef@example.com;nei",
        "Bente Berg;bente@example.com;oid-bente;Helse og omsorg;sjef@example.com;ja",
        "Carl Carlsen;carl@example.com;oid-carl;Lørenskog skole Nord;anne@example.com;nei",
        "Dina Dahl;dina@example.com;oid-dina;;anne@example.com;nei",
        "Frode Fjell;frode@example.com;oid-frode;Teknisk;sjef@example.com;nei",
    ]
).encode() + b"\n"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph(page_size=2) as fake:
        for id, name, mail, department, manager in PEOPLE:
            fake.add_user(id, name, mail, department=department, manager_id=manager)
        # Nested: the top leader directly, the others through a subgroup.
        fake.add_group("under", [id for id, *_ in PEOPLE[1:]])
        fake.add_group("leaders", ["oid-sjef", "under"])
        fake.add_group("hr", ["oid-bente"])
        yield fake


@pytest.fixture
def settings(graph: FakeGraph) -> Settings:
    return Settings.from_env(
        {**graph.settings_env(), "LEDERAVTALE_LEADER_GROUP_ID": "leaders", "LEDERAVTALE_HR_GROUP_ID": "hr"}
    )


@pytest.fixture
async def client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    async with GraphClient(graph.config()) as opened:
        yield opened


async def _sync(session_factory, client, settings, *, dry_run: bool = False):
    return await sync_leaders(session_factory, client, settings, YEAR, dry_run=dry_run)


async def _roster(session_factory: async_sessionmaker[AsyncSession]) -> tuple[set[tuple], set[tuple]]:
    """Leaders and agreements by e-mail, without database ids or timestamps."""
    async with session_factory() as session:
        leaders = {leader.id: leader for leader in (await session.scalars(select(Leader))).all()}
        agreements = (await session.scalars(select(Agreement))).all()
    email = {id: leader.email for id, leader in leaders.items()}
    return (
        {
            (l.name, l.email, l.aad_object_id, l.unit, l.is_hr_admin, l.active, email.get(l.superior_id))
            for l in leaders.values()
        },
        {(a.year, a.template_id, email[a.superior_id], email[a.subordinate_id], a.active) for a in agreements},
    )


async def test_a_three_level_hierarchy_over_pages_becomes_what_the_csv_gives(
    session_factory, client, settings, graph: FakeGraph, sqlite_url: str
) -> None:
    result = await _sync(session_factory, client, settings)

    assert (result.leaders_created, result.agreements_created) == (6, 5)
    # Several pages: the members came through @odata.nextLink.
    assert sum("skiptoken" in path for _method, path in graph.requests) >= 2
    engine = create_engine(sqlite_url)
    try:
        from_csv = create_session_factory(engine)
        await import_leaders(from_csv, CSV, YEAR, TEMPLATE)
        assert await _roster(session_factory) == await _roster(from_csv)
    finally:
        await engine.dispose()

    before = await dump_tables(session_factory)
    again = await _sync(session_factory, client, settings)
    assert again.changed_anything is False
    assert await dump_tables(session_factory) == before


async def test_a_changed_manager_moves_the_pair(session_factory, client, settings, graph: FakeGraph) -> None:
    await _sync(session_factory, client, settings)
    graph.set_manager("oid-carl", "oid-bente")

    result = await _sync(session_factory, client, settings)

    assert (result.agreements_moved, result.leaders_updated) == (1, 1)
    assert [change.fields for change in result.changed_leaders] == [("superior_id",)]
    _leaders, agreements = await _roster(session_factory)
    assert (YEAR, TEMPLATE, "bente@example.com", "carl@example.com", True) in agreements


async def test_a_cycle_or_an_outside_manager_refuses_the_whole_sync_naming_people(
    session_factory, client, settings, graph: FakeGraph
) -> None:
    await _sync(session_factory, client, settings)
    before = await dump_tables(session_factory)
    graph.set_manager("oid-sjef", "oid-carl")  # Sjef → Carl → Anne → Sjef
    graph.add_user("oid-ola", "Ola Utenfor", "ola@example.com")
    graph.set_manager("oid-frode", "oid-ola")
    graph.add_user("oid-eva", "Eva Ny", "eva@example.com", manager_id="oid-bente")
    graph.add_group("under", [id for id, *_ in PEOPLE[1:]] + ["oid-eva"])

    with pytest.raises(RosterRefused) as caught:
        await _sync(session_factory, client, settings)

    assert [problem.message for problem in caught.value.problems] == [
        "Lederne er ledere for hverandre i en sirkel i Entra ID (Anne Andersen (anne@example.com) → "
        "Sjef Sjefsen (sjef@example.com) → Carl Carlsen (carl@example.com) → Anne Andersen (anne@example.com)). "
        "Øverste leder skal ikke ha en leder i ledergruppen.",
        "Frode Fjell (frode@example.com) har Ola Utenfor (ola@example.com) som leder i Entra ID, men "
        "Ola Utenfor (ola@example.com) er ikke med i ledergruppen. Legg lederen til i gruppen, eller rett "
        "opp lederen til Frode Fjell i Entra ID.",
    ]
    assert await dump_tables(session_factory) == before


async def test_throttling_is_waited_out(session_factory, client, settings, graph: FakeGraph) -> None:
    graph.throttle(2, retry_after=1)

    result = await _sync(session_factory, client, settings)

    assert (result.leaders_created, result.agreements_created) == (6, 5)


async def test_a_dry_run_shows_the_changes_writes_nothing_and_agrees_with_the_run(
    session_factory, client, settings, graph: FakeGraph
) -> None:
    await _sync(session_factory, client, settings)
    graph.add_user("oid-anne", "Anne Nyttnavn", "anne@example.com", department="Oppvekst og kultur",
                   manager_id="oid-sjef")
    graph.remove_user("oid-frode")
    graph.add_user("oid-eva", "Eva Ny", "eva@example.com", manager_id="oid-bente")
    graph.add_group("under", [id for id, *_ in PEOPLE[1:5]] + ["oid-eva"])
    before = await dump_tables(session_factory)

    preview = await _sync(session_factory, client, settings, dry_run=True)

    assert await dump_tables(session_factory) == before
    assert preview.changes().splitlines() == [
        "Ny leder: Eva Ny (eva@example.com)",
        "Endret leder: Anne Nyttnavn (anne@example.com) (navn, enhet)",
        "Sluttet: Frode Fjell (frode@example.com)",
        "Ny lederavtale: Eva Ny (eva@example.com) med Bente Berg (bente@example.com)",
    ]
    applied = await _sync(session_factory, client, settings)
    assert applied == preview
    assert await dump_tables(session_factory) != before


async def test_a_leader_who_left_is_marked_and_keeps_a_started_agreement(
    session_factory, client, settings, graph: FakeGraph
) -> None:
    await _sync(session_factory, client, settings)
    async with session_factory.begin() as session:
        frode = await session.scalar(select(Leader).where(Leader.email == "frode@example.com"))
        agreement = await session.scalar(select(Agreement).where(Agreement.subordinate_id == frode.id))
        agreement.meeting_at = datetime(2026, 2, 1, 9, tzinfo=timezone.utc)
    graph.add_group("under", [id for id, *_ in PEOPLE[1:5]])

    result = await _sync(session_factory, client, settings)

    assert [change.leader for change in result.left_leaders] == ["Frode Fjell (frode@example.com)"]
    async with session_factory() as session:
        frode = await session.scalar(select(Leader).where(Leader.email == "frode@example.com"))
        kept = await session.scalar(select(Agreement).where(Agreement.subordinate_id == frode.id))
    assert (frode.active, frode.left_at is not None, kept.active) == (False, True, True)

    graph.add_group("under", [id for id, *_ in PEOPLE[1:]])
    await _sync(session_factory, client, settings)
    async with session_factory() as session:
        frode = await session.scalar(select(Leader).where(Leader.email == "frode@example.com"))
    assert (frode.active, frode.left_at) == (True, None)


async def test_the_nightly_job_runs_once_across_two_processes(
    session_factory, client, settings, graph: FakeGraph
) -> None:
    first = LeaderSyncJob(settings, session_factory, "host-a/1", client)
    second = LeaderSyncJob(settings, session_factory, "host-b/2", client)

    summaries = [await first.run_night(NIGHT), await second.run_night(NIGHT)]

    assert summaries[1] is None
    assert summaries[0]["status"] == "applied"
    assert (summaries[0]["leaders_created"], summaries[0]["agreements_created"]) == (6, 5)
    async with session_factory() as session:
        [run] = (await session.scalars(select(LeaderSyncRun))).all()
    assert (run.claimed_by, run.summary, run.finished_at is not None) == ("host-a/1", summaries[0], True)


async def test_a_refused_nightly_sync_records_the_problem_count(
    session_factory, client, settings, graph: FakeGraph
) -> None:
    graph.set_manager("oid-sjef", "oid-carl")

    summary = await LeaderSyncJob(settings, session_factory, "host-a/1", client).run_night(NIGHT)

    assert summary == {"status": "refused", "year": YEAR, "problems": 1}
    async with session_factory() as session:
        assert (await session.scalars(select(Leader))).all() == []


async def test_the_nightly_job_opens_its_own_client_from_the_settings(session_factory, settings) -> None:
    summary = await LeaderSyncJob(settings, session_factory, "host-a/1").run_night(NIGHT)

    assert (summary["status"], summary["leaders_created"]) == ("applied", 6)
