"""Migration 0003 splits the one "Sted og dato" into each signer's own place and date, losing no signature."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone

import asyncpg
import pytest
import sqlalchemy as sa
from alembic import command

from storage.db import create_engine
from storage.migrate import alembic_config, upgrade

SIGNED = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc)
LATER = datetime(2026, 2, 12, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database with no tables yet, on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    server = request.getfixturevalue("postgres_server")
    name = f"empty_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(host="127.0.0.1", port=server.port, user="postgres")
    try:
        await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()
    return server.url(name)


def _tables(sync_conn) -> sa.MetaData:
    metadata = sa.MetaData()
    metadata.reflect(sync_conn, only=["leaders", "agreements", "agreement_events"])
    return metadata


def _seed(sync_conn) -> None:
    """Agreements as schema 0002 kept them: one "Sted og dato", written by whoever signed last."""
    tables = _tables(sync_conn)
    leaders, agreements, events = (tables.tables[name] for name in ("leaders", "agreements", "agreement_events"))
    common = {"unit": "", "is_hr_admin": False, "active": True, "created_at": SIGNED, "updated_at": SIGNED}
    sync_conn.execute(leaders.insert(), [
        {"id": n, "name": f"Leder {n}", "email": f"leder{n}@example.com", **common} for n in range(1, 6)
    ])
    agreement = {"year": 2026, "template_id": "lederavtale-2023", "template_version": 1, "superior_id": 1,
                 "active": True, "superior_shares_development": False, "subordinate_shares_development": False,
                 "version": 1, "created_at": SIGNED, "updated_at": SIGNED,
                 "subordinate_signed_at": None, "superior_signed_at": None, "sign_place_date": None}
    sync_conn.execute(agreements.insert(), [
        # Both signed; the superior's entry replaced the subordinate's in the one column.
        {**agreement, "id": 1, "subordinate_id": 2, "subordinate_signed_at": SIGNED, "superior_signed_at": LATER,
         "sign_place_date": "Oslo, 12.02.2026"},
        # One signature, with no date in it.
        {**agreement, "id": 2, "subordinate_id": 3, "subordinate_signed_at": SIGNED,
         "sign_place_date": "Lørenskog, i dag"},
        # A signature the history has no event for: the column is all there is.
        {**agreement, "id": 3, "subordinate_id": 4, "subordinate_signed_at": SIGNED,
         "sign_place_date": "Lørenskog, 1.2.2026"},
        # Reopened: both signatures cleared, the column left behind.
        {**agreement, "id": 4, "subordinate_id": 5, "sign_place_date": "Asker, 03.02.2026"},
    ])
    sync_conn.execute(events.insert(), [
        {"agreement_id": 1, "kind": "signed", "actor_id": 2, "detail": {"place_and_date": "Asker, 01.02.2026"},
         "created_at": SIGNED},
        {"agreement_id": 1, "kind": "comments_sent", "actor_id": 2, "detail": {}, "created_at": SIGNED},
        # Signed again after the comments: the latest signature counts.
        {"agreement_id": 1, "kind": "signed", "actor_id": 2, "detail": {"place_and_date": "Lørenskog, 10.02.2026"},
         "created_at": SIGNED},
        {"agreement_id": 1, "kind": "signed", "actor_id": 1, "detail": {"place_and_date": "Oslo, 12.02.2026"},
         "created_at": LATER},
        {"agreement_id": 2, "kind": "signed", "actor_id": 3, "detail": {"place_and_date": "Lørenskog, i dag"},
         "created_at": SIGNED},
        {"agreement_id": 4, "kind": "signed", "actor_id": 5, "detail": {"place_and_date": "Asker, 03.02.2026"},
         "created_at": SIGNED},
    ])


def _rows(sync_conn, columns: list[str]) -> dict[int, tuple]:
    agreements = _tables(sync_conn).tables["agreements"]
    query = sa.select(agreements.c.id, *(agreements.c[name] for name in columns)).order_by(agreements.c.id)
    return {row[0]: tuple(row[1:]) for row in sync_conn.execute(query)}


def _downgrade(sync_conn, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = sync_conn
    command.downgrade(config, revision)


SIGNATURES = ["subordinate_sign_place", "subordinate_sign_date", "superior_sign_place", "superior_sign_date"]


async def test_every_signature_keeps_its_own_place_and_date(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await upgrade(engine, "0002")
        async with engine.begin() as conn:
            await conn.run_sync(_seed)
        await upgrade(engine, "0003")
        async with engine.connect() as conn:
            assert await conn.run_sync(_rows, SIGNATURES) == {
                1: ("Lørenskog", date(2026, 2, 10), "Oslo", date(2026, 2, 12)),
                2: ("Lørenskog, i dag", None, None, None),
                3: ("Lørenskog", date(2026, 2, 1), None, None),
                4: (None, None, None, None),
            }
            columns = await conn.run_sync(lambda sync: {c["name"] for c in sa.inspect(sync).get_columns("agreements")})
        assert "sign_place_date" not in columns

        # Back to one column: the entry of whoever signed last, as schema 0002 had it.
        async with engine.begin() as conn:
            await conn.run_sync(_downgrade, "0002")
        async with engine.connect() as conn:
            assert await conn.run_sync(_rows, ["sign_place_date"]) == {
                1: ("Oslo, 12.02.2026",), 2: ("Lørenskog, i dag",), 3: ("Lørenskog, 01.02.2026",), 4: (None,),
            }
    finally:
        await engine.dispose()
