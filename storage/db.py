"""Engine and session factory for the configured database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


logger = logging.getLogger(__name__)


_STOCK_SQLITE = "sqlite+aiosqlite://"

#: The embedded default: a SQLite file beside the working directory.
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/lederavtale.db"


def normalise_database_url(url: str) -> str:
    """Use the async drivers for plain ``sqlite://`` and ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


def ensure_sqlite_directory(url: str) -> None:
    """Create the parent folder of a file-based SQLite database."""
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix):
        path = url[len(prefix):]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)


def create_engine(database_url: str, *, lean_sqlite: bool = True, **kwargs) -> AsyncEngine:
    """Create an async engine; SQLite gets foreign keys, WAL and a busy timeout.

    ``sqlite+aiosqlite`` URLs use :mod:`storage.sqlite_async` (statements in the event loop's
    thread, in-process writers queued) unless ``lean_sqlite`` is False.
    """
    url = normalise_database_url(database_url)
    if url.startswith("sqlite"):
        ensure_sqlite_directory(url)
        kwargs.setdefault("connect_args", {"timeout": 30})
        if lean_sqlite and url.startswith(_STOCK_SQLITE):
            from storage.sqlite_async import DRIVER

            url = f"sqlite+{DRIVER}://" + url[len(_STOCK_SQLITE):]
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """One ``AsyncSession`` per turn or job; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


@asynccontextmanager
async def open_database(
    database_url: str, *, migrate: bool = True
) -> AsyncIterator[tuple[AsyncEngine, async_sessionmaker[AsyncSession]]]:
    """Engine and session factory for one command or service run, migrated first."""
    from storage.migrate import upgrade  # imported here: Alembic is only needed when migrating

    engine = create_engine(database_url)
    try:
        if migrate:
            await upgrade(engine)
        yield engine, create_session_factory(engine)
    finally:
        await engine.dispose()
