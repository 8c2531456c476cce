"""Conversation references for proactive messages (add / get / all / mark unreachable)."""

from __future__ import annotations

from botbuilder.schema import ConversationReference
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, utcnow


async def save_reference(session: AsyncSession, leader_id: int, reference: ConversationReference) -> None:
    """Store or refresh a leader's reference; speaking to the bot makes them reachable again."""
    data = reference.serialize()
    tenant_id = getattr(reference.conversation, "tenant_id", None) if reference.conversation else None
    row = await session.get(ConversationRef, leader_id)
    if row is None:
        session.add(
            ConversationRef(
                leader_id=leader_id,
                reference=data,
                tenant_id=tenant_id,
                service_url=reference.service_url or "",
                reachable=True,
            )
        )
        return
    if row.reference != data:
        row.reference = data
        row.service_url = reference.service_url or ""
        row.tenant_id = tenant_id
        row.updated_at = utcnow()
    if not row.reachable:
        row.reachable = True
        row.unreachable_reason = None
        row.unreachable_at = None
        row.updated_at = utcnow()


async def get_reference(session: AsyncSession, leader_id: int) -> ConversationRef | None:
    return await session.get(ConversationRef, leader_id)


async def all_references(session: AsyncSession) -> list[ConversationRef]:
    return list((await session.scalars(select(ConversationRef))).all())


async def mark_unreachable(session: AsyncSession, leader_id: int, reason: str) -> None:
    """Record that the bot cannot reach this leader (403/404 or no reference)."""
    row = await session.get(ConversationRef, leader_id)
    if row is not None and row.reachable:
        row.reachable = False
        row.unreachable_reason = reason[:200]
        row.unreachable_at = utcnow()


def to_reference(row: ConversationRef) -> ConversationReference:
    """Rebuild the Bot Framework reference from its stored JSON."""
    return ConversationReference().deserialize(row.reference)
