"""Engine and session factory for the configured database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.settings import ensure_sqlite_directory, normalise_database_url

logger = logging.getLogger(__name__)


_STOCK_SQLITE = "sqlite+aiosqlite://"


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
