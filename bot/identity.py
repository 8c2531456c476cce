"""Match the Teams user of a turn to an imported leader (Entra object id first, e-mail/UPN second)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botframework.connector.models import ErrorResponseException
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bot_state import stored_key
from storage.models import BotStateItem, ConversationRef, Leader

logger = logging.getLogger(__name__)

#: Where the result of :func:`identify_leader` is kept for the rest of the turn.
TURN_STATE_KEY = "lederavtale.identified_leader"
#: Where :func:`identify_leader` leaves the bot state item it read along with the leader:
#: ``(state key, etag, data)``, etag and data None when there is no such item.
PRELOADED_STATE_KEY = "lederavtale.preloaded_state"

_NOT_FOUND_STATUSES = frozenset({400, 403, 404})


@dataclass(frozen=True)
class LeaderMatch:
    """The leader behind a turn, with the conversation reference stored for them (if any).

    ``leader_id`` and ``name`` are plain copies that stay valid after the session is gone;
    ``leader`` and ``reference`` are the rows loaded in the turn's session.
    """

    leader_id: int
    name: str
    matched_by: str
    leader: Leader = field(repr=False, compare=False)
    reference: ConversationRef | None = field(repr=False, compare=False)
    object_id_stored: bool = False

    @classmethod
    def of(
        cls, leader: Leader, reference: ConversationRef | None, matched_by: str, object_id_stored: bool = False
    ) -> "LeaderMatch":
        return cls(leader.id, leader.name, matched_by, leader, reference, object_id_stored)


class _Unknown:
    """Marks a turn whose sender was looked up and is not a leader."""


_UNKNOWN = _Unknown()


def cached_match(turn_context: TurnContext) -> LeaderMatch | None:
    """The leader identified earlier in this turn, or None (unknown or not looked up yet)."""
    cached = turn_context.turn_state.get(TURN_STATE_KEY)
    return cached if isinstance(cached, LeaderMatch) else None


def _query():
    return select(Leader, ConversationRef).outerjoin(
        ConversationRef, ConversationRef.leader_id == Leader.id
    )


_STATE = BotStateItem.__table__


async def _by_object_id(
    turn_context: TurnContext, session: AsyncSession, aad_object_id: str, state_key: str | None
) -> tuple[Leader, ConversationRef | None] | None:
    query = _query().where(Leader.aad_object_id == aad_object_id)
    if state_key is not None:
        # The turn's dialog state comes in the same round trip (read as it is now, as a
        # separate read at the start of the dialog would; writes still check its eTag).
        query = query.add_columns(_STATE.c.etag, _STATE.c.data).outerjoin(
            _STATE, _STATE.c.key == stored_key(state_key)
        )
    row = (await session.execute(query)).first()
    if row is None:
        return None
    if state_key is not None:
        turn_context.turn_state[PRELOADED_STATE_KEY] = (state_key, row[2], row[3])
    return row[0], row[1]


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


async def identify_leader(
    turn_context: TurnContext, session: AsyncSession, *, state_key: str | None = None
) -> LeaderMatch | None:
    """The active leader who sent this activity, or None; looked up once per turn.

    With ``state_key`` the bot state item under that key is read in the same query (when the
    leader is found by object id) and left in ``turn_state[PRELOADED_STATE_KEY]``.

    A leader found by e-mail/UPN whose Entra object id was empty gets the id stored (flushed,
    not committed: ``object_id_stored`` tells the caller to commit). A leader whose stored object id differs from the sender's is not matched.
    """
    cached = turn_context.turn_state.get(TURN_STATE_KEY)
    if cached is not None:
        return cached if isinstance(cached, LeaderMatch) else None
    match = await _identify(turn_context, session, state_key)
    turn_context.turn_state[TURN_STATE_KEY] = match if match is not None else _UNKNOWN
    return match


async def _identify(turn_context: TurnContext, session: AsyncSession, state_key: str | None) -> LeaderMatch | None:
    sender = turn_context.activity.from_property
    if sender is None or not sender.id:
        return None
    aad_object_id = (sender.aad_object_id or "").strip() or None
    if aad_object_id:
        found = await _by_object_id(turn_context, session, aad_object_id, state_key)
        if found is not None:
            if not found[0].active:
                logger.info("The sender is leader %s, who is no longer active", found[0].id)
                return None
            return LeaderMatch.of(found[0], found[1], "aad_object_id")
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
    return LeaderMatch.of(leader, reference, "email", stored)
