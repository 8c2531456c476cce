"""Where a leader left a walk through the questions of one agreement, for «Fortsett der du slapp».

The dialog stack of a walk is gone once the leader writes «avbryt» or goes elsewhere, so the
question it was at is kept beside the dialog states, one item per leader (whichever chat they
write from), in the turn's own transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.bot_state import read_state, write_state
from storage.models import Phase

_POSITIONS = "positions"


def _key(leader_id: int) -> str:
    return f"lederavtale/resume/leaders/{leader_id}"


def _slot(agreement_id: int, phase: Phase) -> str:
    return f"{agreement_id}/{phase.value}"


async def _positions(session: AsyncSession, leader_id: int) -> tuple[dict[str, str], str | None]:
    stored = await read_state(await session.connection(), _key(leader_id), lock=False)
    if stored is None:
        return {}, None
    positions = stored.item.get(_POSITIONS)
    return (dict(positions) if isinstance(positions, dict) else {}), stored.etag


async def _store(session: AsyncSession, leader_id: int, positions: dict[str, str], etag: str | None) -> None:
    # A write by another turn in between is an e_tag conflict: that turn is run again.
    await write_state(await session.connection(), _key(leader_id), {_POSITIONS: positions}, etag=etag, shown=None)


async def remember(session: AsyncSession, leader_id: int, agreement_id: int, phase: Phase, question_key: str) -> None:
    """Note that the leader left ``phase`` of the agreement at ``question_key``."""
    positions, etag = await _positions(session, leader_id)
    if positions.get(_slot(agreement_id, phase)) == question_key:
        return
    positions[_slot(agreement_id, phase)] = question_key
    await _store(session, leader_id, positions, etag)


async def recall(session: AsyncSession, leader_id: int, agreement_id: int, phase: Phase) -> str | None:
    """The question the leader left ``phase`` of the agreement at, if a walk was left before its end."""
    positions, _ = await _positions(session, leader_id)
    key = positions.get(_slot(agreement_id, phase))
    return key if isinstance(key, str) else None


async def forget(session: AsyncSession, leader_id: int, agreement_id: int, phase: Phase) -> None:
    """The walk reached its end: nothing to continue."""
    positions, etag = await _positions(session, leader_id)
    if positions.pop(_slot(agreement_id, phase), None) is not None:
        await _store(session, leader_id, positions, etag)
