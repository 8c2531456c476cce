"""Sweeps against the database and the fake Bot Connector: the demo year, crashes, 429s, 403s."""

from __future__ import annotations

import asyncio
import random
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.proactive import ProactiveSender
from bot.settings import Settings
from bot import actions
from scheduler import texts
from scheduler.planner import Kind, Message, PlannedItem
from scheduler.service import ReminderScheduler
from scheduler.sweep import FINISH_BATCH, Sweeper, claim
from storage.conversation_refs import get_reference, save_reference
from storage.models import Agreement, Goal, GoalAction, Phase, ReminderLog, ReminderStatus
from tests.scheduler.conftest import make_sender, seed_demo, seed_superiors
from tests.scheduler.helpers import at
from tests.support.cards import assert_valid_card
from tests.support.fake_connector import FakeConnector, Recorded, conversation_reference

SETTINGS = Settings()


def headings(recorded: Recorded) -> list[str]:
    [card] = recorded.cards
    return [block["items"][0]["text"] for block in card["body"][1:]]


def buttons(recorded: Recorded) -> list[tuple[str, int]]:
    found = []

    def walk(node) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit":
                found.append((node["data"]["action"], node["data"]["agreement_id"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(recorded.cards)
    return found


async def log_rows(session_factory: async_sessionmaker[AsyncSession]) -> list[ReminderLog]:
    async with session_factory() as session:
        return list((await session.scalars(select(ReminderLog).order_by(ReminderLog.id))).all())


async def change_agreement(session_factory, agreement_id: int, **values) -> None:
    async with session_factory() as session:
        await session.execute(update(Agreement).where(Agreement.id == agreement_id).values(**values))
        await session.commit()


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


async def test_the_demo_year_against_the_fake_connector(session_factory, adapter, connector: FakeConnector) -> None:
    demo = await seed_demo(session_factory, connector)
    # The scheduler reads the real clock (datetime.now), moved by time-machine to 09:05 of each day.
    scheduler = ReminderScheduler(SETTINGS, session_factory, make_sender(adapter, session_factory))
    signed = dict(filled_at=utc(at(date(2025, 2, 12), 12)), superior_signed_at=utc(at(date(2025, 2, 12), 12)),
                  subordinate_signed_at=utc(at(date(2025, 2, 12), 12)))

    async def add_goals() -> None:
        async with session_factory() as session:
            private = Goal(agreement_id=demo.sup_a, section_key="ledelsesutvikling", phase=Phase.AGREEMENT,
                           author_id=demo.sup, title="Tydeligere i endringsarbeid")
            work = Goal(agreement_id=demo.sup_a, section_key="personell", phase=Phase.AGREEMENT,
                        author_id=demo.sup, title="Lavere sykefravær", position=1)
            session.add_all([private, work])
            await session.flush()
            session.add(GoalAction(goal_id=private.id, text="Månedlige allmøter"))
            await session.commit()

    events = {
        date(2025, 1, 20): lambda: change_agreement(session_factory, demo.sup_a, meeting_at=utc(at(date(2025, 2, 10), 10, 0))),
        date(2025, 2, 6): lambda: change_agreement(session_factory, demo.sup_a, subordinate_prepared_at=utc(at(date(2025, 2, 6), 12))),
        date(2025, 2, 12): lambda: change_agreement(session_factory, demo.sup_a, **signed),
        date(2025, 2, 13): add_goals,
        date(2025, 2, 26): lambda: change_agreement(session_factory, demo.sup_b, meeting_at=utc(at(date(2025, 3, 3), 10, 0))),
        date(2025, 3, 5): lambda: change_agreement(session_factory, demo.top_sup, **signed),
        date(2025, 3, 20): lambda: change_agreement(session_factory, demo.sup_c, **signed),
        date(2025, 10, 15): lambda: change_agreement(
            session_factory, demo.sup_a, followup_recorded_at=utc(at(date(2025, 10, 15), 12)),
            superior_followup_confirmed_at=utc(at(date(2025, 10, 15), 12)),
            subordinate_followup_confirmed_at=utc(at(date(2025, 10, 15), 12)),
        ),
    }
    by_day: dict[date, dict[str, Recorded]] = {}
    day = date(2025, 1, 1)
    while day.year == 2025:
        before = len(connector.activities)
        with time_machine.travel(at(day, 9, 5), tick=True):
            await scheduler.sweep_once()
        for recorded in connector.activities[before:]:
            assert recorded.conversation_id not in by_day.setdefault(day, {}), "two messages in one day"
            by_day[day][recorded.conversation_id] = recorded
            assert_valid_card(recorded.cards[0])
        if day in events:
            await events[day]()
        day += timedelta(days=1)

    conv = demo.conversation
    overview = {d: {c: headings(r) for c, r in sent.items()} for d, sent in by_day.items()}
    assert overview == {
        date(2025, 1, 10): {conv(demo.top): [texts.KICKOFF_HEADING], conv(demo.sup): [texts.KICKOFF_HEADING]},
        date(2025, 2, 7): {conv(demo.sup): [texts.PREP_HEADING]},
        date(2025, 2, 28): {
            conv(demo.top): [texts.Q1_HEADING],
            conv(demo.sup): [texts.Q1_HEADING, texts.PREP_HEADING],
            conv(demo.b): [texts.PREP_HEADING],
        },
        date(2025, 3, 14): {conv(demo.sup): [texts.Q1_HEADING]},
        date(2025, 3, 25): {conv(demo.sup): [texts.Q1_HEADING]},
        date(2025, 4, 1): {conv(demo.sup): [texts.DEADLINE_PASSED_HEADING]},
        date(2025, 9, 1): {c: [texts.FOLLOWUP_HEADING] for c in map(conv, (demo.top, demo.sup, demo.a, demo.c))},
        date(2025, 10, 31): {conv(demo.top): [texts.FOLLOWUP_REMINDER_HEADING], conv(demo.sup): [texts.FOLLOWUP_REMINDER_HEADING]},
        date(2025, 11, 20): {conv(demo.top): [texts.FOLLOWUP_REMINDER_HEADING], conv(demo.sup): [texts.FOLLOWUP_REMINDER_HEADING]},
    }
    # Buttons open the right flow for the right agreement.
    assert buttons(by_day[date(2025, 1, 10)][conv(demo.sup)]) == [("plan", demo.sup_a), ("plan", demo.sup_b), ("plan", demo.sup_c)]
    assert buttons(by_day[date(2025, 2, 28)][conv(demo.sup)]) == [
        ("prepare", demo.sup_b), ("plan", demo.sup_c), ("prepare", demo.sup_b),  # b's meeting is planned
    ]
    assert buttons(by_day[date(2025, 2, 28)][conv(demo.b)]) == [("prepare", demo.sup_b)]
    assert buttons(by_day[date(2025, 9, 1)][conv(demo.sup)]) == [
        (actions.FOLLOWUP_REFLECT, demo.sup_a), (actions.FOLLOWUP_REFLECT, demo.sup_c), (actions.FOLLOWUP_REFLECT, demo.top_sup),
    ]
    assert buttons(by_day[date(2025, 10, 31)][conv(demo.sup)]) == [("followup_record", demo.sup_c)]
    # The spring goals go to the pair, and to nobody else.
    for leader in (demo.sup, demo.a):
        card = str(by_day[date(2025, 9, 1)][conv(leader)].cards)
        assert "Ledelsesutvikling: Tydeligere i endringsarbeid" in card and "Månedlige allmøter" in card
        assert "Personell, økonomi og fag: Lavere sykefravær" in card
    for leader in (demo.top, demo.c):
        assert "Tydeligere" not in str(by_day[date(2025, 9, 1)][conv(leader)].cards)
    rows = await log_rows(session_factory)
    assert {row.status for row in rows} == {ReminderStatus.SENT}
    assert len(rows) == 24 and all(row.attempts == 1 for row in rows)


async def test_a_restart_in_the_middle_of_a_send_sends_nothing_twice(sqlite_url, adapter, connector) -> None:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    try:
        superiors = await seed_superiors(factory, connector, 5)
        now = at(date(2025, 1, 10), 9, 5)
        connector.delay_next(1.0)  # Teams takes the first message, but the answer comes late
        first = Sweeper(SETTINGS, factory, make_sender(adapter, factory), instance_id="first", concurrency=1)
        crashed = asyncio.create_task(first.run(now))
        await connector.wait_for(1)
        crashed.cancel()  # the process dies while the first message is on its way
        await asyncio.gather(crashed, return_exceptions=True)
        assert len(connector.activities) == 1

        # Another process crashed right after claiming the last leader's kick-off, before sending.
        agreement_id = await _agreement_of(factory, superiors[4])
        abandoned = Message(superiors[4], (PlannedItem(Kind.KICKOFF, superiors[4], agreement_id, date(2025, 1, 10)),))
        assert await claim(factory, abandoned, now.astimezone(timezone.utc), "crashed") is not None

        second = Sweeper(SETTINGS, factory, make_sender(adapter, factory), instance_id="second")
        report = await second.run(now + timedelta(minutes=1))
        assert report.sent == 3  # not the one that may have arrived, not the freshly claimed one
        report = await second.run(now + timedelta(minutes=11))
        assert report.sent == 1  # the abandoned claim is taken over once it is stale
        for later in (timedelta(minutes=40), timedelta(hours=3), timedelta(days=3)):
            assert (await second.run(now + later)).planned == 0
        await asyncio.sleep(1.1)  # let the slow answer arrive before the connector stops
        assert sorted(connector.conversation_counts().values()) == [1] * 5
        rows = {row.recipient_id: row for row in await log_rows(factory)}
        uncertain = [row for row in rows.values() if row.status is ReminderStatus.CLAIMED]
        assert len(uncertain) == 1 and uncertain[0].attempts == 1 and uncertain[0].claimed_by.startswith("first/")
        assert sum(row.status is ReminderStatus.SENT for row in rows.values()) == 4
    finally:
        await engine.dispose()


async def _agreement_of(factory, superior_id: int) -> int:
    async with factory() as session:
        return await session.scalar(select(Agreement.id).where(Agreement.superior_id == superior_id))


async def test_a_429_storm_slows_sending_without_loss_or_duplicates(sqlite_url, adapter) -> None:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the sender's waits after a 429 or a 5xx, really slept
        waits.append(seconds)
        await asyncio.sleep(seconds)

    try:
        # The connector allows 20 requests a second while the sender would do 50, and on top of
        # that answers the first 30 requests with 429 and "Retry-After: 0.3".
        async with FakeConnector(rate_limit_per_second=20) as connector:
            await seed_superiors(factory, connector, 25)
            connector.fail_next(429, count=30, headers={"Retry-After": "0.3"})
            sender = ProactiveSender(adapter, SETTINGS, factory, sleep=sleep, rng=random.Random(3))
            sweeper = Sweeper(SETTINGS, factory, sender, instance_id="storm", concurrency=10)
            report = await sweeper.run(at(date(2025, 1, 10), 9, 5))
        assert report.sent == 25 and report.failed == 0
        assert sorted(connector.conversation_counts().values()) == [1] * 25
        # Every 429 was waited out for its Retry-After: 0.3 s for the scripted ones, 1 s for the
        # connector's own rate limit; nothing was retried without waiting and nothing else failed.
        assert connector.requests == 25 + 30 + connector.rejected_for_rate
        assert sorted(waits) == [0.3] * 30 + [1.0] * connector.rejected_for_rate
        rows = await log_rows(factory)
        assert len(rows) == 25 and {row.status for row in rows} == {ReminderStatus.SENT}
        assert all(row.attempts == 1 for row in rows)  # retried within the send, not as new rounds
    finally:
        await engine.dispose()


async def test_a_403_leader_is_marked_unreachable_and_the_rest_are_reminded(session_factory, adapter, connector) -> None:
    superiors = await seed_superiors(session_factory, connector, 4)
    blocked = superiors[1]
    connector.fail_conversation(f"conv-{blocked}", 403)
    sweeper = Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory), instance_id="t")
    report = await sweeper.run(at(date(2025, 1, 10), 9, 5))
    assert (report.sent, report.unreachable) == (3, 1)
    assert set(connector.conversation_counts()) == {f"conv-{n}" for n in superiors if n != blocked}
    async with session_factory() as session:
        ref = await get_reference(session, blocked)
        assert not ref.reachable and ref.unreachable_reason == "http_403"
    statuses = {row.recipient_id: row.status for row in await log_rows(session_factory)}
    assert statuses[blocked] is ReminderStatus.UNREACHABLE

    requests = connector.requests
    for later in (at(date(2025, 1, 10), 15), at(date(2025, 1, 13), 9, 5), at(date(2025, 1, 20), 9, 5)):
        assert (await sweeper.run(later)).sent == 0
    assert connector.requests == requests  # not retried while unreachable

    connector._conversation_failures.clear()
    async with session_factory() as session:  # the leader opens the bot again
        await save_reference(session, blocked, conversation_reference(connector.url, f"conv-{blocked}"))
        await session.commit()
    report = await sweeper.run(at(date(2025, 1, 21), 9, 5))
    assert report.sent == 1 and connector.conversation_counts()[f"conv-{blocked}"] == 1
    statuses = {row.recipient_id: row.status for row in await log_rows(session_factory)}
    assert set(statuses.values()) == {ReminderStatus.SENT}


async def test_a_leader_without_a_reference_is_logged_unreachable(session_factory, adapter, connector) -> None:
    superiors = await seed_superiors(session_factory, None, 2)
    report = await Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory)).run(at(date(2025, 1, 10), 9, 5))
    assert report.unreachable == 2 and connector.requests == 0
    rows = await log_rows(session_factory)
    assert {(row.recipient_id, row.status, row.error) for row in rows} == {
        (n, ReminderStatus.UNREACHABLE, "no_reference") for n in superiors
    }


async def test_a_failed_send_is_tried_again_in_a_later_sweep_a_bounded_number_of_times(
    session_factory, adapter, connector
) -> None:
    [sup] = await seed_superiors(session_factory, connector, 1)
    connector.fail_conversation(f"conv-{sup}", 503)
    sender = make_sender(adapter, session_factory)
    sender.max_attempts = 2
    sweeper = Sweeper(SETTINGS, session_factory, sender)
    start = at(date(2025, 1, 10), 9, 5)
    outcomes = [(await sweeper.run(start + timedelta(minutes=minutes))).failed for minutes in (0, 10, 35, 70, 110, 200)]
    assert outcomes == [1, 0, 1, 1, 0, 0]  # tried at 0, 35 and 70 minutes (30 apart), then given up
    [row] = await log_rows(session_factory)
    assert (row.status, row.attempts, row.error) == (ReminderStatus.FAILED, 3, "http_503")
    assert connector.requests == 6


async def test_a_dry_run_plans_without_claiming_or_sending(session_factory, adapter, connector) -> None:
    await seed_demo(session_factory, connector)
    report = await Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory)).run(
        at(date(2025, 1, 10), 9, 5), dry_run=True
    )
    assert report.planned == 2 and report.sent == 0
    assert connector.requests == 0 and await log_rows(session_factory) == []


async def test_inactive_agreements_get_nothing(session_factory, adapter, connector) -> None:
    demo = await seed_demo(session_factory, connector)
    for agreement_id in (demo.sup_a, demo.sup_b, demo.sup_c):
        await change_agreement(session_factory, agreement_id, active=False)
    report = await Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory)).run(at(date(2025, 1, 10), 9, 5))
    assert report.sent == 1 and list(connector.conversation_counts()) == [demo.conversation(demo.top)]


@pytest.mark.postgres
async def test_two_schedulers_on_one_postgresql_send_each_reminder_once(postgres_url, adapter, connector) -> None:
    from storage.db import create_engine, create_session_factory

    assert postgres_url.startswith("postgresql")  # the real server of the test session, never skipped
    engines = [create_engine(postgres_url), create_engine(postgres_url)]
    factories = [create_session_factory(engine) for engine in engines]
    try:
        superiors = await seed_superiors(factories[0], connector, 40)
        # Two scheduler services, as in two bot processes: each with its own engine and sender.
        schedulers = [ReminderScheduler(SETTINGS, factory, make_sender(adapter, factory), concurrency=8)
                      for factory in factories]
        for scheduler, name in zip(schedulers, ("node-0", "node-1")):
            scheduler.sweeper.instance_id = name
        # Sends that take a moment, as Teams' do, so that both nodes are at work at the same time.
        connector.delay_next(0.02, count=80)
        # The kick-off to every superior, nothing new five minutes later, then the Q1 reminder.
        for now, due in ((at(date(2025, 1, 10), 9, 5), 40), (at(date(2025, 1, 10), 9, 10), 0), (at(date(2025, 2, 28), 9, 0), 40)):
            reports = await asyncio.gather(*(scheduler.sweep_once(now) for scheduler in schedulers))
            # Each reminder is sent by one node; what a node planned, it sent or found claimed by
            # the other (a node that plans later may find some already sent, and plan fewer).
            assert sum(report.sent for report in reports) == due
            for report in reports:
                assert report.planned == report.sent + report.skipped and report.planned <= due
        assert sorted(connector.conversation_counts().values()) == [2] * 40  # kick-off, then the Q1 reminder
        rows = await log_rows(factories[0])
        assert len(rows) == 80 and {row.status for row in rows} == {ReminderStatus.SENT}
        assert {row.claimed_by.split("/")[0] for row in rows} == {"node-0", "node-1"}
        assert {row.recipient_id for row in rows} == set(superiors)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_outcomes_recorded_in_batches_are_all_recorded_by_the_end_of_the_sweep(
    session_factory, adapter, connector
) -> None:
    superiors = await seed_superiors(session_factory, connector, FINISH_BATCH + 12)
    blocked = set(superiors[::10])
    for leader in blocked:
        connector.fail_conversation(f"conv-{leader}", 403)
    sweeper = Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory), instance_id="batch")
    report = await sweeper.run(at(date(2025, 1, 10), 9, 5))
    assert (report.sent, report.unreachable) == (len(superiors) - len(blocked), len(blocked))
    rows = await log_rows(session_factory)
    assert {row.recipient_id: row.status for row in rows} == {
        n: ReminderStatus.UNREACHABLE if n in blocked else ReminderStatus.SENT for n in superiors
    }
    assert all(row.attempts == 1 for row in rows)
    assert all(row.sent_at is not None for row in rows if row.status is ReminderStatus.SENT)
    assert all(row.sent_at is None and row.error == "http_403" for row in rows if row.recipient_id in blocked)


async def test_a_sweep_stopped_while_sending_records_what_it_sent_and_leaves_the_rest(
    session_factory, adapter, connector
) -> None:
    superiors = await seed_superiors(session_factory, connector, 6)
    now = at(date(2025, 1, 10), 9, 5)
    first = Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory), instance_id="first", concurrency=1)
    connector.delay_next(0.0)
    connector.delay_next(2.0)  # the second message is on its way when the sweep is stopped
    stopping = asyncio.create_task(first.run(now))
    await connector.wait_for(2)
    stopping.cancel()
    await asyncio.gather(stopping, return_exceptions=True)
    rows = {row.recipient_id: row for row in await log_rows(session_factory)}
    # The message answered is recorded as sent though no batch of outcomes was due yet; the one
    # in flight is uncertain; nothing else was claimed.
    assert sorted((row.status, row.attempts) for row in rows.values()) == [
        (ReminderStatus.CLAIMED, 1), (ReminderStatus.SENT, 1)
    ]
    # A later sweep sends the rest, and nothing twice.
    report = await Sweeper(SETTINGS, session_factory, make_sender(adapter, session_factory)).run(now + timedelta(minutes=1))
    assert report.sent == len(superiors) - len(rows)
    await asyncio.sleep(2.1)
    assert sorted(connector.conversation_counts().values()) == [1] * len(superiors)
