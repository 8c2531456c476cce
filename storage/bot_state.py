"""One conversation's dialog state (``bot_state``), read and written inside a turn's own transaction."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import Insert

from storage import state_codec
from storage.models import BotStateItem, utcnow

logger = logging.getLogger(__name__)

_TABLE = BotStateItem.__table__
MAX_KEY_LENGTH: int = _TABLE.c.key.type.length
_DIGEST_LENGTH = 64  # hex SHA-256
_INSERTS: dict[str, Callable[..., Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
_READ = select(_TABLE.c.etag, _TABLE.c.data, _TABLE.c.shown, _TABLE.c.delivered).where(
    _TABLE.c.key == bindparam("stored_key")
)
_VALUES = {
    "etag": bindparam("new_etag"),
    "data": bindparam("new_data"),
    "updated_at": bindparam("now"),
    "shown": bindparam("new_shown"),
}
_REPLACE = (
    update(_TABLE)
    .where(_TABLE.c.key == bindparam("stored_key"), _TABLE.c.etag == bindparam("expected_etag"))
    .values(_VALUES)
)


@functools.cache
def _insert_if_new(dialect: str) -> Insert:
    """The insert that leaves an existing row alone, built once per dialect (building costs more than running)."""
    try:
        insert = _INSERTS[dialect]
    except KeyError:
        raise RuntimeError(f"Bot state is kept in PostgreSQL or SQLite, not {dialect}") from None
    return (
        insert(_TABLE)
        .values(key=bindparam("stored_key"), **_VALUES)
        .on_conflict_do_nothing(index_elements=[_TABLE.c.key])
    )


class EtagConflictError(RuntimeError):
    """A write carried an e_tag that no longer matches the stored item: someone wrote first."""

    def __init__(self, key: str, expected: str | None) -> None:
        super().__init__(f"Bot state changed since it was read (expected e_tag {expected})")
        self.key = key
        self.expected = expected


class BotStateDataError(ValueError):
    """A stored state item could not be decoded."""


def stored_key(key: str) -> str:
    """The ``bot_state.key`` value for a state key: the key itself, or a prefix plus its SHA-256."""
    if not isinstance(key, str):
        raise TypeError(f"Bot state keys must be strings, not {type(key).__name__}")
    if len(key) <= MAX_KEY_LENGTH and _storable_verbatim(key):
        return key
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    prefix = key[: MAX_KEY_LENGTH - _DIGEST_LENGTH]
    prefix = prefix.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")
    return prefix + digest


def _storable_verbatim(key: str) -> bool:
    # PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded at all.
    if "\x00" in key:
        return False
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _encode(item: Mapping[str, object]) -> str:
    # In jsonpickle's format, as CosmosDbPartitionedStorage stores it: dialog stacks hold objects.
    return json.dumps(state_codec.encode(dict(item)))


def _decode(key: str, data: str) -> dict:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise BotStateDataError(f"Stored bot state item {key!r} is not valid JSON") from exc
    if not isinstance(document, dict):
        raise BotStateDataError(f"Stored bot state item {key!r} is not a JSON object")
    item = state_codec.decode(document)
    if not isinstance(item, dict):
        raise BotStateDataError(f"Stored bot state item {key!r} is not a mapping")
    return item


@dataclass(frozen=True)
class StoredState:
    """One state item as a turn loaded it: the item, its e_tag and the step tokens beside it."""

    item: dict
    etag: str
    shown: str | None
    delivered: str | None


async def read_state(connection: AsyncConnection, key: str, *, lock: bool) -> StoredState | None:
    """The item under ``key``, or None; with ``lock`` its row is held until the transaction ends (PostgreSQL)."""
    statement = _READ.with_for_update() if lock and connection.dialect.name == "postgresql" else _READ
    row = (await connection.execute(statement, {"stored_key": stored_key(key)})).first()
    if row is None:
        return None
    return StoredState(_decode(key, row.data), row.etag, row.shown, row.delivered)


async def write_state(
    connection: AsyncConnection, key: str, item: Mapping[str, object], *, etag: str | None, shown: str | None
) -> str:
    """Store ``item`` if the stored e_tag is still ``etag`` (None: if there is none yet); the new e_tag.

    A stale ``etag`` (or a row gone since), or a row written meanwhile where there was none,
    raises ``EtagConflictError``.
    """
    new_etag = uuid.uuid4().hex
    values = {"stored_key": stored_key(key), "new_etag": new_etag, "new_data": _encode(item), "now": utcnow(),
              "new_shown": shown}
    if etag is None:
        result = await connection.execute(_insert_if_new(connection.dialect.name), values)
    else:
        result = await connection.execute(_REPLACE, {**values, "expected_etag": etag})
    if result.rowcount == 0:
        logger.info("Bot state eTag conflict for key %s", ascii(key))
        raise EtagConflictError(key, etag)
    return new_etag


async def mark_delivered(connection: AsyncConnection, key: str, token: str) -> bool:
    """Note that the question with step ``token`` reached the leader, unless the dialog has moved on since."""
    result = await connection.execute(
        update(_TABLE).where(_TABLE.c.key == stored_key(key), _TABLE.c.shown == token).values(delivered=token)
    )
    return result.rowcount > 0


# --- retention: dialog state that names an agreement, and conversations left idle ------------------------------

#: The keys under which dialog state names the agreement a flow works on (``dialogs.flow``'s options and AT_HAND).
_AGREEMENT_KEYS = ("agreement_id", "lederavtale.agreement_at_hand")


def agreement_ids(item: object) -> set[int]:
    """Every agreement id a decoded state item names (a flow's options, the agreement at hand), at any depth."""
    found: set[int] = set()
    seen: set[int] = set()
    pending: list[object] = [item]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _AGREEMENT_KEYS and type(value) is int:
                    found.add(value)
                elif isinstance(value, (dict, list)) or hasattr(value, "__dict__"):
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(value for value in node if isinstance(value, (dict, list)) or hasattr(value, "__dict__"))
        elif hasattr(node, "__dict__") and not isinstance(node, type):
            pending.append(vars(node))
    return found


async def states_naming(connection: AsyncConnection, agreements: set[int]) -> list[tuple[str, str, set[int]]]:
    """(stored key, e_tag, the agreements of ``agreements`` it names) of each stored item that names one of ``agreements``; items that cannot be read are skipped."""
    if not agreements:
        return []
    named: list[tuple[str, str, set[int]]] = []
    rows = await connection.execute(select(_TABLE.c.key, _TABLE.c.etag, _TABLE.c.data))
    for row in rows:
        try:
            item = _decode(row.key, row.data)
        except Exception:  # an item this code cannot read names nothing it can tell; idle clearing takes it later
            logger.warning("Bot state item %s could not be read for retention", ascii(row.key[:40]))
            continue
        ids = agreement_ids(item) & agreements
        if ids:
            named.append((row.key, row.etag, ids))
    return named


async def delete_unchanged(connection: AsyncConnection, stored: str, etag: str) -> bool:
    """Delete the item stored under ``stored`` if it still has ``etag`` (a turn since has moved on: left alone)."""
    result = await connection.execute(delete(_TABLE).where(_TABLE.c.key == stored, _TABLE.c.etag == etag))
    return result.rowcount > 0


async def count_idle(connection: AsyncConnection, before: datetime) -> int:
    """How many conversations have had no turn since ``before``."""
    return (await connection.execute(select(func.count()).select_from(_TABLE).where(_TABLE.c.updated_at < before))).scalar_one()


async def clear_idle(connection: AsyncConnection, before: datetime) -> int:
    """Delete the dialog state of every conversation without a turn since ``before``; how many.

    The leader's next message starts afresh from the menu; answers are in their own tables and
    stay. The condition is checked by the database row by row, so a turn that wrote meanwhile
    (on PostgreSQL it holds the row locked) keeps its state.
    """
    result = await connection.execute(delete(_TABLE).where(_TABLE.c.updated_at < before))
    return result.rowcount
