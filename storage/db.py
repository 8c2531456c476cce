"""Engine and session factory for the configured database."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from storage.migrate import upgrade

logger = logging.getLogger(__name__)

#: The embedded default: a SQLite file beside the working directory.
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/lederavtale.db"
#: How long a SQLite connection waits for another connection's (or process's) lock.
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0

_WAL_RETRY_SECONDS = 0.05


def normalise_database_url(url: str) -> str:
    """Use the async drivers for plain ``sqlite://`` and ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


def _is_file(url: str) -> bool:
    """Whether a ``sqlite+aiosqlite`` URL names a database file (not an in-memory database)."""
    database = make_url(url).database
    return bool(database) and database != ":memory:" and "mode=memory" not in url


def _ensure_directory(url: str) -> None:
    """Create the parent folder of a file-based SQLite database."""
    if _is_file(url):
        Path(make_url(url).database).parent.mkdir(parents=True, exist_ok=True)


def _use_wal(cursor: Any, timeout: float) -> None:
    """Switch the file to write-ahead logging, unless it is in WAL already (the file keeps the mode)."""
    deadline = time.monotonic() + timeout
    while True:
        cursor.execute("PRAGMA journal_mode")
        if cursor.fetchone()[0] in ("wal", "memory"):
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            logger.info("SQLite database switched to write-ahead logging")
            return
        except sqlite3.OperationalError:
            # While another connection writes in the old journal mode, SQLite refuses the switch
            # at once, busy timeout or not (waiting could deadlock). Only a new file meets this,
            # once, so the short blocking wait is acceptable.
            if time.monotonic() >= deadline:
                raise
            time.sleep(_WAL_RETRY_SECONDS)


def _sqlite_pragmas(timeout: float) -> Callable[[Any, Any], None]:
    """The connect hook: foreign keys, WAL, and commits without fsync (WAL's ``synchronous=NORMAL``)."""

    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys=ON")
            _use_wal(cursor, timeout)
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    return on_connect


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite (stock ``sqlite+aiosqlite``) gets foreign keys, WAL and a busy timeout."""
    url = normalise_database_url(database_url)
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, **kwargs)
    _ensure_directory(url)
    # sqlite3's timeout is SQLite's busy timeout, set as the connection opens: before the WAL
    # switch, which may meet another connection's lock. aiosqlite waits in its own thread.
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs.pop("connect_args", {})}
    if _is_file(url) and "poolclass" not in kwargs:
        # One connection per process: SQLite lets one writer in at a time anyway. Writers then
        # queue for the pool in the event loop instead of meeting in SQLite's lock, where its
        # busy handler sleeps up to 100 ms at a time (seconds-long p99s under load). The price:
        # never hold a connection while asking for a second one. Other processes on the file
        # are still waited for with the busy timeout.
        kwargs.update(poolclass=AsyncAdaptedQueuePool, pool_size=1, max_overflow=0)
    engine = create_async_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas(connect_args["timeout"]))
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One ``AsyncSession`` per turn or job; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def open_database(
    database_url: str, *, migrate: bool = True
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """Engine and session factory for one command or service run, migrated first."""
    engine = create_engine(database_url)
    try:
        if migrate:
            await upgrade(engine)
        yield engine, create_session_factory(engine)
    finally:
        await engine.dispose()
