"""Alembic environment: the service's own connection, or an async engine on a given URL."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import DEFAULT_DATABASE_URL, create_engine, normalise_database_url
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    # The service hands over a connection (storage.migrate.upgrade); scripts give a URL or DATABASE_URL.
    return config.attributes.get("database_url") or normalise_database_url(
        os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    )


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_engine(_database_url())
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_configure)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
