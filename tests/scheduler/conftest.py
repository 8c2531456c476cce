"""Helpers for sweep and scheduler tests: a sender with quick backoff and a seeded database
(the fake Bot Connector and the adapter fixtures are in tests/conftest.py)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.proactive import ProactiveSender
from bot.settings import Settings
from storage.conversation_refs import save_reference
from storage.models import Agreement, Leader
from tests.support.fake_connector import FakeConnector, conversation_reference

TEMPLATE_ID = "lederavtale-2023"


def make_sender(adapter, session_factory, **settings) -> ProactiveSender:
    """A sender with short backoff so that retry tests stay quick."""
    return ProactiveSender(
        adapter, Settings(**settings), session_factory, base_delay=0.05, max_delay=0.2, rng=random.Random(3)
    )


@dataclass(frozen=True)
class Demo:
    """Ids of the demo hierarchy: top → sup → a, b, c, and the agreements 10..13 in the test's order."""

    top: int
    sup: int
    a: int
    b: int
    c: int
    sup_a: int
    sup_b: int
    sup_c: int
    top_sup: int

    def conversation(self, leader_id: int) -> str:
        return f"conv-{leader_id}"


async def add_leader(
    session: AsyncSession, connector: FakeConnector | None, name: str, superior_id: int | None = None
) -> Leader:
    """A leader with a conversation reference into ``connector`` (none if it is None)."""
    leader = Leader(name=name, email=f"{name.lower().replace(' ', '.')}@example.com", superior_id=superior_id)
    session.add(leader)
    await session.flush()
    if connector is not None:
        await save_reference(session, leader.id, conversation_reference(connector.url, f"conv-{leader.id}"))
    return leader


async def seed_demo(
    session_factory: async_sessionmaker[AsyncSession], connector: FakeConnector, year: int = 2025
) -> Demo:
    """The demo municipality of the planner tests, in the database."""
    async with session_factory() as session:
        top = await add_leader(session, connector, "Patti Fernandez")
        sup = await add_leader(session, connector, "Alex Wilber", top.id)
        a = await add_leader(session, connector, "Megan Bowen", sup.id)
        b = await add_leader(session, connector, "Adele Vance", sup.id)
        c = await add_leader(session, connector, "Isaiah Langer", sup.id)
        agreements = [
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=sup.id, subordinate_id=a.id),
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=sup.id, subordinate_id=b.id),
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=sup.id, subordinate_id=c.id),
            Agreement(year=year, template_id=TEMPLATE_ID, superior_id=top.id, subordinate_id=sup.id),
        ]
        session.add_all(agreements)
        await session.commit()
        return Demo(top.id, sup.id, a.id, b.id, c.id, *(item.id for item in agreements))


async def seed_superiors(
    session_factory: async_sessionmaker[AsyncSession],
    connector: FakeConnector | None,
    count: int,
    year: int = 2025,
    prefix: str = "",
) -> list[int]:
    """``count`` superiors with one subordinate each; returns the superiors' ids."""
    superiors = []
    async with session_factory() as session:
        for n in range(count):
            sup = await add_leader(session, connector, f"{prefix}Overordnet {n}")
            sub = await add_leader(session, connector, f"{prefix}Underordnet {n}", sup.id)
            session.add(Agreement(year=year, template_id=TEMPLATE_ID, superior_id=sup.id, subordinate_id=sub.id))
            superiors.append(sup.id)
        await session.commit()
    return superiors
