"""Bot Framework ``Storage`` for dialog stacks and user/conversation state (``bot_state``)."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botbuilder.core import Storage
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql.dml import Insert

from storage import state_codec
from storage.models import BotStateItem, utcnow

logger = logging.getLogger(__name__)

_TABLE = BotStateItem.__table__
_READ = select(_TABLE.c.key, _TABLE.c.etag, _TABLE.c.data).where(
    _TABLE.c.key.in_(bindparam("keys", expanding=True))
)
MAX_KEY_LENGTH: int = _TABLE.c.key.type.length
_DIGEST_LENGTH = 64  # hex SHA-256
_INSERTS: dict[str, Callable[..., Insert]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


@functools.cache
def _upserts(dialect: str) -> tuple[Insert, Insert, Insert]:
    """Insert-or-replace, replace-if-the-e_tag-matches and insert-if-new, built once per dialect.

    Building one costs more than running it.
    """
    try:
        insert = _INSERTS[dialect]
    except KeyError:
        raise RuntimeError(f"Bot state is kept in PostgreSQL or SQLite, not {dialect}") from None
    statement = insert(_TABLE).values(
        key=bindparam("key"),
        etag=bindparam("etag"),
        data=bindparam("data"),
        updated_at=bindparam("updated_at"),
        shown=bindparam("shown", None),
    )
    set_ = {
        "etag": statement.excluded.etag,
        "data": statement.excluded.data,
        "updated_at": statement.excluded.updated_at,
        "shown": statement.excluded.shown,
    }
    return (
        statement.on_conflict_do_update(index_elements=[_TABLE.c.key], set_=set_),
        statement.on_conflict_do_update(
            index_elements=[_TABLE.c.key], set_=set_, where=_TABLE.c.etag == bindparam("expected_etag")
        ),
        statement.on_conflict_do_nothing(index_elements=[_TABLE.c.key]),
    )


class EtagConflictError(KeyError):
    """A write carried an e_tag that no longer matches the stored item: someone wrote first."""

    def __init__(self, key: str, expected: str, current: str | None) -> None:
        # Same message as MemoryStorage's KeyError, so handlers written for it keep working.
        super().__init__("Etag conflict.\nOriginal: %s\r\nCurrent: %s" % (expected, current))
        self.key = key
        self.expected = expected
        self.current = current

    def __str__(self) -> str:
        return str(self.args[0])


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


def _etag_of(item: object) -> Any:
    if isinstance(item, dict):
        return item.get("e_tag")
    return getattr(item, "e_tag", None)


def _encode(key: str, item: object) -> str:
    # In jsonpickle's format, as CosmosDbPartitionedStorage stores it: dialog stacks hold objects.
    flat = state_codec.encode(item)
    if not isinstance(flat, dict):
        raise TypeError(
            f"Bot state item {key!r} must be a dict or an object, not {type(item).__name__}"
        )
    flat.pop("e_tag", None)
    return json.dumps(flat)


def _decode(key: str, data: str, etag: str) -> object:
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise BotStateDataError(f"Stored bot state item {key!r} is not valid JSON") from exc
    if not isinstance(document, dict):
        raise BotStateDataError(f"Stored bot state item {key!r} is not a JSON object")
    document["e_tag"] = etag
    return state_codec.decode(document)


@dataclass(frozen=True)
class _Change:
    key: str
    stored_key: str
    expected_etag: str | None
    data: str


def _prepare(key: str, item: object) -> _Change:
    etag = _etag_of(item)
    if etag == "":
        raise ValueError("SqlAlchemyStorage.write(): etag missing")
    if etag is not None and not isinstance(etag, str):
        raise TypeError(f"The e_tag of bot state item {key!r} must be a string")
    expected = None if etag in (None, "*") else etag
    return _Change(key, stored_key(key), expected, _encode(key, item))


def _check_keys(keys: Iterable[str] | None, action: str) -> list[str]:
    if keys is None:
        raise ValueError(f"Keys are required when {action}")
    if isinstance(keys, (str, bytes)):
        raise TypeError(f"Keys must be a collection of keys, not a single {type(keys).__name__}")
    return list(keys)


class SqlAlchemyStorage(Storage):
    """Bot state in ``bot_state``, with MemoryStorage's eTag rules enforced by the database."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        super().__init__()
        # Plain connections, no ORM session: the state is one table of keys and documents.
        self._engine: AsyncEngine = session_factory.kw["bind"]

    async def read(self, keys: Iterable[str]) -> dict[str, object]:
        """Return the stored items among ``keys`` (missing ones left out), each with its e_tag."""
        wanted: dict[str, list[str]] = {}
        for key in _check_keys(keys, "reading"):
            originals = wanted.setdefault(stored_key(key), [])
            if key not in originals:
                originals.append(key)
        if not wanted:
            return {}
        async with self._engine.connect() as connection:
            result = await connection.execute(_READ, {"keys": list(wanted)})
            rows = result.all()
        items: dict[str, object] = {}
        for row in rows:
            for key in wanted[row.key]:
                items[key] = _decode(key, row.data, row.etag)
        return items

    async def write(self, changes: Mapping[str, object]) -> None:
        """Store ``changes`` in one transaction; a stale e_tag raises ``EtagConflictError``."""
        if changes is None:
            raise ValueError("Changes are required when writing")
        if not changes:
            return
        if not isinstance(changes, Mapping):
            raise TypeError("Changes must be a mapping from key to item")
        # Every writer takes the row locks in the same order, so multi-item writes cannot deadlock.
        prepared = sorted(
            (_prepare(key, item) for key, item in changes.items()), key=lambda c: c.stored_key
        )
        statements = _upserts(self._engine.dialect.name)
        async with self._engine.begin() as connection:
            now = utcnow()
            for change in prepared:
                # One statement per item: a new key is inserted (whatever its e_tag, as in
                # MemoryStorage), an existing one is replaced only if its e_tag still matches.
                values = {"key": change.stored_key, "etag": uuid.uuid4().hex, "data": change.data, "updated_at": now}
                if change.expected_etag is None:
                    result = await connection.execute(statements[0], values)
                else:
                    result = await connection.execute(statements[1], {**values, "expected_etag": change.expected_etag})
                if result.rowcount == 0:
                    current = await connection.scalar(
                        select(_TABLE.c.etag).where(_TABLE.c.key == change.stored_key)
                    )
                    logger.warning("Bot state eTag conflict for key %s", change.key)
                    raise EtagConflictError(change.key, change.expected_etag, current)

    async def delete(self, keys: Iterable[str]) -> None:
        """Remove the items under ``keys``; unknown keys are ignored."""
        stored = {stored_key(key) for key in _check_keys(keys, "deleting")}
        if not stored:
            return
        async with self._engine.begin() as connection:
            await connection.execute(delete(_TABLE).where(_TABLE.c.key.in_(stored)))


# --- one conversation's state, read and written inside a turn's own transaction ----------------

_READ_ONE = select(_TABLE.c.etag, _TABLE.c.data, _TABLE.c.shown, _TABLE.c.delivered).where(
    _TABLE.c.key == bindparam("key")
)


@dataclass(frozen=True)
class StoredState:
    """One state item as a turn loaded it: the item, its e_tag and the step tokens beside it."""

    item: dict
    etag: str
    shown: str | None
    delivered: str | None


async def read_state(connection: AsyncConnection, key: str, *, lock: bool) -> StoredState | None:
    """The item under ``key``, or None; with ``lock`` its row is held until the transaction ends (PostgreSQL)."""
    statement = _READ_ONE.with_for_update() if lock and connection.dialect.name == "postgresql" else _READ_ONE
    row = (await connection.execute(statement, {"key": stored_key(key)})).first()
    if row is None:
        return None
    item = _decode(key, row.data, row.etag)
    if not isinstance(item, dict):
        raise BotStateDataError(f"Stored bot state item {key!r} is not a mapping")
    return StoredState(item, row.etag, row.shown, row.delivered)


async def write_state(
    connection: AsyncConnection, key: str, item: Mapping[str, object], *, etag: str | None, shown: str | None
) -> str:
    """Store ``item`` if the stored e_tag is still ``etag`` (None: if there is none yet); the new e_tag.

    A stale ``etag``, or a row written meanwhile where there was none, raises ``EtagConflictError``.
    """
    statements = _upserts(connection.dialect.name)
    new_etag = uuid.uuid4().hex
    values = {"key": stored_key(key), "etag": new_etag, "data": _encode(key, dict(item)), "updated_at": utcnow(),
              "shown": shown}
    if etag is None:
        result = await connection.execute(statements[2], values)
    else:
        result = await connection.execute(statements[1], {**values, "expected_etag": etag})
    if result.rowcount == 0:
        logger.info("Bot state eTag conflict for key %s", ascii(key))
        raise EtagConflictError(key, etag or "", None)
    return new_etag


async def mark_delivered(connection: AsyncConnection, key: str, token: str) -> bool:
    """Note that the question with step ``token`` reached the leader, unless the dialog has moved on since."""
    result = await connection.execute(
        update(_TABLE).where(_TABLE.c.key == stored_key(key), _TABLE.c.shown == token).values(delivered=token)
    )
    return result.rowcount > 0
