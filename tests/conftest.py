"""Shared fixtures: a real PostgreSQL server, a fresh migrated database per test, a fake Bot Connector."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.adapter import create_authentication
from bot.settings import Settings
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade
from tests.support.fake_connector import FakeConnector
from tests.support.postgres import PostgresServer, start_postgres

_counter = itertools.count()


def _run_blocking(make_coroutine) -> None:
    """Run a coroutine to completion on its own loop, even when called from a running one."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(make_coroutine())
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole test session."""
    server = start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer) -> str:
    """A migrated template database that each test's database is copied from."""

    async def build() -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=postgres_server.port, user="postgres")
        try:
            await conn.execute("CREATE DATABASE lederavtale_template")
        finally:
            await conn.close()
        engine = create_engine(postgres_server.url("lederavtale_template"))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    _run_blocking(build)
    return "lederavtale_template"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test's database is copied from."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"

    async def build() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    _run_blocking(build)
    return path


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    target = tmp_path / f"test-{next(_counter)}.db"
    shutil.copyfile(template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _fresh_postgres(server: PostgresServer, template: str) -> str:
    name = f"test_{next(_counter)}"
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres")
    try:
        await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await conn.close()
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database: once on SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue("postgres_template")
    return await _fresh_postgres(server, template)


@pytest.fixture
async def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite database (for tests that need not run on both)."""
    return _fresh_sqlite(sqlite_template, tmp_path)


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer, postgres_template: str) -> str:
    """A fresh, migrated PostgreSQL database."""
    return await _fresh_postgres(postgres_server, postgres_template)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def connector() -> AsyncIterator[FakeConnector]:
    """A fake Bot Connector: a real aiohttp server on 127.0.0.1 that records what the bot sends."""
    async with FakeConnector() as fake:
        yield fake


@pytest.fixture
async def adapter() -> AsyncIterator[CloudAdapter]:
    """The bot's CloudAdapter in local mode, its cached HTTP clients closed afterwards."""
    auth = create_authentication(Settings())
    try:
        yield CloudAdapter(auth)
    finally:
        await auth.close()
