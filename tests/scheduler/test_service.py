"""The APScheduler-driven reminder scheduler: start, timer, catch-up after downtime, shutdown."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from bot.settings import Settings
from scheduler import service
from scheduler.service import JOB_ID, ReminderScheduler, run_sweep_job
from tests.scheduler.conftest import make_sender, seed_demo, seed_superiors
from tests.scheduler.helpers import at

SETTINGS = Settings()


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
    assert scheduler.last_report is not None and scheduler.last_report.sent == 2


async def test_the_job_is_configured_for_a_single_recurring_sweep(sqlite_url, adapter, connector) -> None:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    scheduler = ReminderScheduler(SETTINGS, factory, make_sender(adapter, factory), interval_seconds=120)
    scheduler.start()
    try:
        job = scheduler._scheduler.get_job(JOB_ID)
        assert job.func is run_sweep_job and job.kwargs == {"scheduler_id": scheduler.id} and job.args == ()
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 120)
        assert job.trigger.interval == timedelta(seconds=120)
        assert len(scheduler._scheduler.get_jobs()) == 1
        with pytest.raises(RuntimeError, match="already running"):
            scheduler.start()
    finally:
        await scheduler.shutdown()
        await engine.dispose()
    assert not scheduler.running and scheduler.next_run() is None
    assert scheduler.id not in service._schedulers


async def test_the_timer_keeps_sweeping_and_survives_a_failed_sweep(sqlite_url, adapter, connector, caplog) -> None:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    await seed_superiors(factory, connector, 2)
    calls: list[datetime] = []

    def clock() -> datetime:
        calls.append(datetime.now(timezone.utc))
        if len(calls) == 1:
            raise RuntimeError("the clock broke")  # the first sweep fails
        return at(date(2025, 1, 10), 9, 5)

    scheduler = ReminderScheduler(SETTINGS, factory, make_sender(adapter, factory), clock, interval_seconds=1)
    scheduler.start()
    try:
        await connector.wait_for(2, timeout=5)
        await asyncio.sleep(1.2)
    finally:
        await scheduler.shutdown()
        await engine.dispose()
    assert len(calls) >= 3
    assert "Reminder sweep failed" in caplog.text
    assert sorted(connector.conversation_counts().values()) == [1, 1]  # later sweeps send nothing again


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


async def test_shutdown_lets_started_messages_finish_and_claims_nothing_new(sqlite_url, adapter, connector) -> None:
    from storage.db import create_engine, create_session_factory

    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    try:
        await seed_superiors(factory, connector, 4)
        connector.delay_next(0.5)
        scheduler = ReminderScheduler(
            SETTINGS, factory, make_sender(adapter, factory), lambda: at(date(2025, 1, 10), 9, 5), concurrency=1
        )
        scheduler.start()
        await connector.wait_for(1)
        await scheduler.shutdown()
        assert scheduler.last_report.sent == 1 and len(connector.activities) == 1

        again = ReminderScheduler(SETTINGS, factory, make_sender(adapter, factory), lambda: at(date(2025, 1, 10), 9, 10))
        assert (await again.sweep_once()).sent == 3
        assert sorted(connector.conversation_counts().values()) == [1] * 4
    finally:
        await engine.dispose()


async def test_an_unknown_scheduler_id_is_logged_not_raised(caplog) -> None:
    await run_sweep_job("nobody")
    assert "No reminder scheduler nobody" in caplog.text


def test_a_nonsense_interval_is_refused(tmp_path) -> None:
    with pytest.raises(ValueError, match="at least 1 second"):
        ReminderScheduler(SETTINGS, None, None, interval_seconds=0)  # type: ignore[arg-type]
