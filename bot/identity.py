"""Match the Teams user of a turn to an imported leader (Entra object id first, e-mail/UPN second)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botframework.connector.models import ErrorResponseException
from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConversationRef, Leader

logger = logging.getLogger(__name__)

_NOT_FOUND_STATUSES = frozenset({400, 403, 404})


@dataclass(frozen=True)
class StoredReference:
    """What is stored of a leader's conversation reference: the reference and whether it works."""

    reference: dict
    reachable: bool


@dataclass(frozen=True)
class LeaderMatch:
    """The leader behind a turn, with the conversation reference stored for them (if any).

    Plain values, valid after the session that read them is gone.
    """

    leader_id: int
    name: str
    reference: StoredReference | None = field(repr=False, compare=False)
    object_id_stored: bool = False


def _query():
    return select(Leader, ConversationRef).outerjoin(
        ConversationRef, ConversationRef.leader_id == Leader.id
    )


_LEADERS = Leader.__table__
_REFERENCES = ConversationRef.__table__
#: Every turn's first query (built once): the sender by Entra object id and their stored reference.
_BY_OBJECT_ID = (
    select(
        _LEADERS.c.id, _LEADERS.c.name, _LEADERS.c.active,
        _REFERENCES.c.reference, _REFERENCES.c.reachable, _REFERENCES.c.leader_id.label("reference_of"),
    )
    .select_from(_LEADERS.outerjoin(_REFERENCES, _REFERENCES.c.leader_id == _LEADERS.c.id))
    .where(_LEADERS.c.aad_object_id == bindparam("aad_object_id"))
)


def _stored(reference: ConversationRef | None) -> StoredReference | None:
    return None if reference is None else StoredReference(reference.reference, reference.reachable)


async def _by_object_id(
    session: AsyncSession, aad_object_id: str
) -> tuple[int, str, bool, StoredReference | None] | None:
    """Id, name, whether active, and stored reference of the leader with this object id."""
    connection = await session.connection()
    row = (await connection.execute(_BY_OBJECT_ID, {"aad_object_id": aad_object_id})).first()
    if row is None:
        return None
    reference = None if row.reference_of is None else StoredReference(row.reference, row.reachable)
    return row.id, row.name, row.active, reference


async def _member_addresses(turn_context: TurnContext, member_id: str) -> list[str]:
    """The e-mail and UPN Teams reports for a member (lower case, without duplicates)."""
    try:
        member = await TeamsInfo.get_member(turn_context, member_id)
    except ErrorResponseException as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status in _NOT_FOUND_STATUSES:
            logger.info("Teams has no member info for the sender (HTTP %s)", status)
            return []
        raise
    addresses = []
    for value in (getattr(member, "email", None), getattr(member, "user_principal_name", None)):
        if isinstance(value, str) and value.strip():
            address = value.strip().lower()
            if address not in addresses:
                addresses.append(address)
    return addresses


async def _by_address(
    session: AsyncSession, addresses: list[str]
) -> tuple[Leader, ConversationRef | None] | None:
    rows = (
        await session.execute(
            _query().where(Leader.active.is_(True), func.lower(Leader.email).in_(addresses))
        )
    ).all()
    if not rows:
        return None
    # E-mail first, then UPN: the order Teams' fields were read in.
    by_email = {row[0].email.lower(): row for row in rows}
    for address in addresses:
        if address in by_email:
            row = by_email[address]
            return row[0], row[1]
    return None


async def identify_leader(turn_context: TurnContext, session: AsyncSession) -> LeaderMatch | None:
    """The active leader who sent this activity, or None.

    A leader found by e-mail/UPN whose Entra object id was empty gets the id stored (flushed,
    not committed: ``object_id_stored`` tells the caller to commit). A leader whose stored
    object id differs from the sender's is not matched.
    """
    sender = turn_context.activity.from_property
    if sender is None or not sender.id:
        return None
    aad_object_id = (sender.aad_object_id or "").strip() or None
    if aad_object_id:
        found = await _by_object_id(session, aad_object_id)
        if found is not None:
            leader_id, name, active, reference = found
            if not active:
                logger.info("The sender is leader %s, who is no longer active", leader_id)
                return None
            return LeaderMatch(leader_id, name, reference)
    addresses = await _member_addresses(turn_context, sender.id)
    if not addresses:
        return None
    found = await _by_address(session, addresses)
    if found is None:
        return None
    leader, reference = found
    stored = False
    if aad_object_id:
        if leader.aad_object_id and leader.aad_object_id != aad_object_id:
            logger.warning(
                "Leader %s matches the sender's e-mail but has another Entra object id; not matched",
                leader.id,
            )
            return None
        if not leader.aad_object_id:
            leader.aad_object_id = aad_object_id
            await session.flush()
            stored = True
            logger.info("Stored the Entra object id of leader %s (matched by e-mail)", leader.id)
    return LeaderMatch(leader.id, leader.name, _stored(reference), stored)
