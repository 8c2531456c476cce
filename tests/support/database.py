"""What a test database holds, to check that running something again changed nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Base


async def dump_tables(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    async with session_factory() as session:
        dump = {}
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table).order_by(*table.primary_key.columns))
            dump[table.name] = [tuple(row) for row in result.all()]
        return dump
