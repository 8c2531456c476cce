"""The lean SQLite driver: statements in the event loop's thread, waits for locks off it."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from storage.db import create_engine
from storage.sqlite_async import DRIVER


@pytest.fixture
def database_file(tmp_path):
    path = tmp_path / "driver.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return path


@pytest.fixture
async def engine_for(database_file):
    engines = []

    def make(**connect_args):
        engine = create_engine(f"sqlite+aiosqlite:///{database_file}", connect_args={"timeout": 30, **connect_args})
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.dispose()


def count_rows(database_file) -> int:
    with sqlite3.connect(database_file) as reader:
        return reader.execute("SELECT count(*) FROM notes").fetchone()[0]


async def test_sqlite_aiosqlite_urls_get_the_lean_driver_which_runs_statements_in_the_loop_thread(engine_for) -> None:
    engine = engine_for()
    assert engine.url.drivername == f"sqlite+{DRIVER}"
    threads = []
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        raw.driver_connection._connection.create_function("thread_of", 0, lambda: threads.append(threading.get_ident()) or 1)
        assert (await connection.execute(text("SELECT thread_of()"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 0
    assert threads == [threading.get_ident()]


async def test_a_lock_held_by_another_process_is_waited_for_off_the_event_loop(engine_for, database_file) -> None:
    engine = engine_for()
    holder = sqlite3.connect(database_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer, as another process would hold it
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.3, holder.execute, "COMMIT")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('skrevet mens en annen ventet')"))
    finally:
        ticking.cancel()
        holder.close()
    # The event loop went on while the insert waited for the other writer.
    assert ticks >= 10
    assert count_rows(database_file) == 1
    async with engine.connect() as connection:
        # Back to not waiting inline once the lock was had.
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 0


async def test_a_lock_held_past_the_busy_timeout_is_an_error_and_the_engine_goes_on(engine_for, database_file) -> None:
    engine = engine_for(timeout=0.2)
    holder = sqlite3.connect(database_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO notes (body) VALUES ('venter for lenge')"))
    finally:
        holder.execute("COMMIT")
        holder.close()
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES ('nå går det')"))
    assert count_rows(database_file) == 1


async def test_writers_in_this_process_queue_in_the_loop_not_in_sqlites_lock(engine_for, database_file, monkeypatch) -> None:
    import storage.sqlite_async as driver

    waits = []
    real_waiting = driver._waiting
    monkeypatch.setattr(driver, "_waiting", lambda *args: waits.append(args) or real_waiting(*args))
    engine = engine_for(timeout=5)

    async def write(number: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": f"svar {number}"})
            await asyncio.sleep(0)  # let the others try while this transaction is open
            await connection.execute(text("UPDATE notes SET body = body || '.' WHERE body = :body"), {"body": f"svar {number}"})

    await asyncio.gather(*(write(number) for number in range(30)))
    assert count_rows(database_file) == 30
    # None of them met another in SQLite's lock (which would have meant waiting in a thread).
    assert waits == []


async def test_a_rolled_back_transaction_leaves_nothing_and_frees_the_writer_queue(engine_for, database_file) -> None:
    engine = engine_for(timeout=1)
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('angret')"))
            raise RuntimeError("the turn failed")
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES ('beholdt')"))
    with sqlite3.connect(database_file) as reader:
        assert [row[0] for row in reader.execute("SELECT body FROM notes")] == ["beholdt"]
