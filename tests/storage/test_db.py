"""The engine on SQLite: WAL, foreign keys and a busy timeout; writers wait for each other, never fail."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from storage.db import create_engine, normalise_database_url
from tests.support.paths import REPO


@pytest.fixture
def database_file(tmp_path):
    path = tmp_path / "notes.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return path


@pytest.fixture
async def engine_for():
    engines = []

    def make(path, **connect_args):
        engine = create_engine(f"sqlite:///{path}", connect_args=connect_args)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.dispose()


def bodies(database_file) -> list[str]:
    with sqlite3.connect(database_file) as reader:
        return [row[0] for row in reader.execute("SELECT body FROM notes ORDER BY id")]


def test_plain_urls_get_the_async_drivers() -> None:
    assert normalise_database_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert normalise_database_url("postgres://u:p@host/db") == "postgresql+asyncpg://u:p@host/db"
    assert normalise_database_url("postgresql://u:p@host/db") == "postgresql+asyncpg://u:p@host/db"
    assert normalise_database_url("sqlite+aiosqlite://") == "sqlite+aiosqlite://"


async def test_a_new_sqlite_file_gets_wal_foreign_keys_and_a_busy_timeout(engine_for, tmp_path) -> None:
    path = tmp_path / "new" / "folder" / "bot.db"
    engine = engine_for(path)
    async with engine.begin() as connection:
        pragmas = [
            (await connection.execute(text(f"PRAGMA {name}"))).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        ]
        await connection.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        await connection.execute(text("CREATE TABLE child (parent_id INTEGER REFERENCES parent (id))"))
    assert pragmas == ["wal", 1, 30_000, 1]  # synchronous 1 = NORMAL
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO child VALUES (42)"))
    with sqlite3.connect(path) as reader:  # the mode is kept in the file
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_an_in_memory_database_works_without_wal() -> None:
    engine = create_engine("sqlite+aiosqlite://")
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "memory"
            assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    finally:
        await engine.dispose()


async def test_a_new_file_switches_to_wal_once_a_writer_in_the_old_mode_is_done(engine_for, tmp_path) -> None:
    path = tmp_path / "new.db"
    # Another program writes the new file in SQLite's default journal mode; SQLite refuses a switch
    # to WAL at once meanwhile, whatever the busy timeout.
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO notes (body) VALUES ('skrevet først')")
    threading.Timer(0.3, holder.execute, ["COMMIT"]).start()
    try:
        engine = engine_for(path)
        async with engine.begin() as connection:
            assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
            await connection.execute(text("INSERT INTO notes (body) VALUES ('skrevet etterpå')"))
    finally:
        holder.close()
    assert bodies(path) == ["skrevet først", "skrevet etterpå"]


WRITER = """
import asyncio, sys
from sqlalchemy import text
from storage.db import create_engine

async def main(path, name):
    engine = create_engine(f"sqlite:///{path}")
    async def write(number):
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
            await connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": f"{name} {number}"})
    await asyncio.gather(*(write(number) for number in range(5)))
    await engine.dispose()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def test_processes_opening_a_new_file_at_the_same_time_all_get_to_write(tmp_path) -> None:
    path = tmp_path / "shared.db"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), f"prosess {index}"], cwd=REPO, stderr=subprocess.PIPE)
        for index in range(4)
    ]
    errors = [writer.communicate(timeout=120)[1].decode() for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0, 0, 0], errors
    assert len(bodies(path)) == 20
    with sqlite3.connect(path) as reader:
        assert reader.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_concurrent_writers_in_one_process_wait_for_each_other_and_never_fail(engine_for, database_file) -> None:
    engine = engine_for(database_file)

    async def write(number: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": f"svar {number}"})
            await asyncio.sleep(0)  # let the others try while this transaction is open
            await connection.execute(text("UPDATE notes SET body = body || '.' WHERE body = :body"), {"body": f"svar {number}"})

    await asyncio.gather(*(write(number) for number in range(30)))
    assert sorted(bodies(database_file)) == sorted(f"svar {number}." for number in range(30))


async def test_writers_in_one_process_queue_in_the_event_loop_not_in_sqlites_lock(engine_for, database_file) -> None:
    # A busy timeout far shorter than the writes: any writer meeting another in SQLite's lock would fail.
    engine = engine_for(database_file, timeout=0.01)

    async def write(number: int) -> None:
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": f"svar {number}"})
            await asyncio.sleep(0.02)  # the transaction stays open while the others try

    await asyncio.gather(*(write(number) for number in range(10)))
    assert len(bodies(database_file)) == 10


async def test_a_lock_held_by_another_process_is_waited_for_while_the_event_loop_goes_on(engine_for, database_file) -> None:
    engine = engine_for(database_file)
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
    assert bodies(database_file) == ["skrevet mens en annen ventet"]


async def test_a_lock_held_past_the_busy_timeout_is_an_error_and_the_engine_goes_on(engine_for, database_file) -> None:
    engine = engine_for(database_file, timeout=0.2)
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
    assert bodies(database_file) == ["nå går det"]


async def test_a_rolled_back_transaction_leaves_nothing_and_frees_the_lock(engine_for, database_file) -> None:
    engine = engine_for(database_file, timeout=1)
    with pytest.raises(RuntimeError):
        async with engine.begin() as connection:
            await connection.execute(text("INSERT INTO notes (body) VALUES ('angret')"))
            raise RuntimeError("the turn failed")
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO notes (body) VALUES ('beholdt')"))
    assert bodies(database_file) == ["beholdt"]
