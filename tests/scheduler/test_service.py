"""The reminder scheduler's timer: it sweeps at once and then on its interval, survives a failed sweep,
catches up after downtime, and stops cleanly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from scheduler.service import ReminderScheduler
from storage.db import create_engine, create_session_factory
from storage.models import ReminderLog, ReminderStatus
from tests.scheduler.conftest import make_sender, seed_demo, seed_superiors
from tests.scheduler.helpers import at

SETTINGS = Settings()
#: The shortest interval the scheduler takes, to watch its timer at work.
EVERY_SECOND = replace(SETTINGS, sweep_interval_seconds=1)


@pytest.fixture
async def sqlite_factory(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A session factory on SQLite: the timer tests need not run on both databases."""
    engine = create_engine(sqlite_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


class CountingClock:
    """A clock fixed at one moment that counts the sweeps asking it the time (one question per sweep)."""

    def __init__(self, moment: datetime, *, fail_first: bool = False) -> None:
        self.moment = moment
        self.fail_first = fail_first
        self.asked: list[float] = []

    def __call__(self) -> datetime:
        self.asked.append(time.monotonic())
        if self.fail_first and len(self.asked) == 1:
            raise RuntimeError("the clock broke")
        return self.moment

    async def wait_for(self, sweeps: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.asked) < sweeps:
            assert time.monotonic() < deadline, f"only {len(self.asked)} of {sweeps} sweeps ran"
            await asyncio.sleep(0.02)


async def test_start_runs_a_sweep_at_once_with_the_real_clock(session_factory, adapter, connector) -> None:
    demo = await seed_demo(session_factory, connector)
    with time_machine.travel(at(date(2025, 1, 10), 9, 1), tick=True):
        scheduler = ReminderScheduler(SETTINGS, session_factory, make_sender(adapter, session_factory))
        scheduler.start()
        try:
            await connector.wait_for(2)
        finally:
            await scheduler.shutdown()
    assert set(connector.conversation_counts()) == {demo.conversation(demo.top), demo.conversation(demo.sup)}
    assert len(connector.activities) == 2


async def test_the_timer_sweeps_once_per_interval_and_a_second_start_adds_no_timer(
    sqlite_factory, adapter, connector
) -> None:
    await seed_superiors(sqlite_factory, connector, 2)
    clock = CountingClock(at(date(2025, 1, 10), 9, 5))
    scheduler = ReminderScheduler(EVERY_SECOND, sqlite_factory, make_sender(adapter, sqlite_factory), clock)
    started = time.monotonic()
    scheduler.start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            scheduler.start()
        await clock.wait_for(3)
    finally:
        await scheduler.shutdown()
    # The first sweep at once, then one a second (never sooner): the third comes two seconds on.
    assert clock.asked[2] - started >= 1.9
    # Each sweep sends only what is still due: the first sent both, the later ones nothing again.
    assert sorted(connector.conversation_counts().values()) == [1, 1]
    assert not scheduler.running


async def test_the_timer_keeps_sweeping_and_survives_a_failed_sweep(sqlite_factory, adapter, connector, caplog) -> None:
    await seed_superiors(sqlite_factory, connector, 2)
    clock = CountingClock(at(date(2025, 1, 10), 9, 5), fail_first=True)
    scheduler = ReminderScheduler(EVERY_SECOND, sqlite_factory, make_sender(adapter, sqlite_factory), clock)
    scheduler.start()
    try:
        await connector.wait_for(2, timeout=5)
        await clock.wait_for(3)
    finally:
        await scheduler.shutdown()
    assert "Reminder sweep failed" in caplog.text
    assert sorted(connector.conversation_counts().values()) == [1, 1]  # later sweeps send nothing again


async def test_after_shutdown_no_sweep_runs_until_it_is_started_again(sqlite_factory, adapter, connector) -> None:
    clock = CountingClock(at(date(2025, 1, 10), 9, 5))
    scheduler = ReminderScheduler(EVERY_SECOND, sqlite_factory, make_sender(adapter, sqlite_factory), clock)
    scheduler.start()
    await clock.wait_for(1)
    await scheduler.shutdown()
    await scheduler.shutdown()  # twice is harmless
    swept = len(clock.asked)
    await asyncio.sleep(1.5)
    assert len(clock.asked) == swept and not scheduler.running

    scheduler.start()
    try:
        await clock.wait_for(swept + 1)
        assert scheduler.running
    finally:
        await scheduler.shutdown()


async def test_shutting_down_a_scheduler_that_never_started_is_harmless(sqlite_factory, adapter) -> None:
    scheduler = ReminderScheduler(SETTINGS, sqlite_factory, make_sender(adapter, sqlite_factory))
    await scheduler.shutdown()
    assert not scheduler.running


async def test_after_downtime_the_next_start_sends_what_was_missed_once(session_factory, adapter, connector) -> None:
    demo = await seed_demo(session_factory, connector)
    sender = make_sender(adapter, session_factory)
    # Down from 9 January to 17 March: the kick-off and the first Q1 reminder are missed.
    scheduler = ReminderScheduler(SETTINGS, session_factory, sender, lambda: at(date(2025, 3, 17), 10, 0))
    report = await scheduler.sweep_once()
    assert report.sent == 2
    assert all(
        block["items"][0]["text"] == "Påminnelse: lederavtaler som ikke er signert"
        for recorded in connector.activities for block in recorded.cards[0]["body"][1:]
    )
    assert (await scheduler.sweep_once(at(date(2025, 3, 17), 10, 5))).planned == 0
    assert (await scheduler.sweep_once(at(date(2025, 3, 18), 9, 5))).planned == 0
    assert sorted(connector.conversation_counts()) == sorted(
        [demo.conversation(demo.top), demo.conversation(demo.sup)]
    )


async def test_concurrent_manual_sweeps_do_not_overlap(session_factory, adapter, connector) -> None:
    await seed_superiors(session_factory, connector, 6)
    scheduler = ReminderScheduler(SETTINGS, session_factory, make_sender(adapter, session_factory))
    now = at(date(2025, 1, 10), 9, 5)
    reports = await asyncio.gather(*(scheduler.sweep_once(now) for _ in range(3)))
    assert [report.sent for report in reports] == [6, 0, 0]
    assert sorted(connector.conversation_counts().values()) == [1] * 6


async def test_shutdown_lets_started_messages_finish_and_claims_nothing_new(sqlite_factory, adapter, connector) -> None:
    await seed_superiors(sqlite_factory, connector, 4)
    connector.delay_next(0.5)
    scheduler = ReminderScheduler(
        SETTINGS, sqlite_factory, make_sender(adapter, sqlite_factory), lambda: at(date(2025, 1, 10), 9, 5),
        concurrency=1,
    )
    scheduler.start()
    await connector.wait_for(1)
    await scheduler.shutdown()
    # The message in flight was sent to the end and logged so; nothing else was claimed.
    async with sqlite_factory() as session:
        assert list(await session.scalars(select(ReminderLog.status))) == [ReminderStatus.SENT]
    assert len(connector.activities) == 1

    again = ReminderScheduler(
        SETTINGS, sqlite_factory, make_sender(adapter, sqlite_factory), lambda: at(date(2025, 1, 10), 9, 10)
    )
    assert (await again.sweep_once()).sent == 3
    assert sorted(connector.conversation_counts().values()) == [1] * 4


def test_a_nonsense_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1 second"):
        ReminderScheduler(replace(SETTINGS, sweep_interval_seconds=0), None, None)  # type: ignore[arg-type]
