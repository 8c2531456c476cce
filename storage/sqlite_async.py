"""A leaner aiosqlite driver for SQLAlchemy: one thread hand-off per statement, writers queued in-process.

SQLAlchemy's stock ``sqlite+aiosqlite`` adapter makes four round trips to aiosqlite's worker
thread for every statement (open a cursor, execute, fetch, close) and one for every commit and
rollback, even when there is nothing to commit or roll back (a pooled connection is rolled back
each time it is returned). Each round trip wakes a thread and the event loop, and together they
cost more than the statements themselves. This driver runs a statement, fetches its rows and
closes its cursor in one trip, and skips the commit or rollback of a connection that has no open
transaction (``sqlite3.Connection.in_transaction``).

SQLite lets one writer in at a time. Writers from the same process used to meet in SQLite's busy
handler, which sleeps (up to 100 ms a time) and showed up as seconds-long p99 latencies under
load. Here a connection about to start a write transaction first takes an ``asyncio.Lock`` shared
by the engine's connections, and gives it back when it commits, rolls back or closes, so
in-process writers queue without sleeping. SQLite's own locking still decides (other processes,
and a writer that waited longer than the busy timeout goes on without the lock and gets SQLite's
usual answer).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
from typing import Any

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util.concurrency import await_

logger = logging.getLogger(__name__)

#: The URL driver name of this dialect: ``sqlite+lederavtale_aiosqlite:///file.db``.
DRIVER = "lederavtale_aiosqlite"

_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _starts_write(operation: str) -> bool:
    return operation.lstrip()[:7].upper().startswith(_WRITE_VERBS)


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool):
    """Runs in aiosqlite's thread: execute, fetch every row, close the cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _WriterGate:
    """One asyncio.Lock per engine and event loop (an engine may outlive a loop in tests)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop = asyncio.Lock(), loop
        return self._lock


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement, rows and close take a single trip to the worker thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: "OneTripConnection") -> None:  # noqa: D107 (no aiosqlite cursor)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description = None
        self._rowcount = -1
        self._lastrowid = None
        self._arraysize = 1

    @property
    def description(self):
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self):
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        adapt = self._adapt_connection
        try:
            result = await_(adapt.run_statement(operation, parameters, many))
        except Exception as error:
            adapt._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection: one-trip cursors, no-op commits and rollbacks skipped, writers queued."""

    __slots__ = ("_gate", "_holds_gate")

    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: Any, gate: _WriterGate) -> None:
        super().__init__(dbapi, connection)
        self._gate = gate
        self._holds_gate = False

    def _sqlite(self) -> sqlite3.Connection | None:
        # aiosqlite's own sqlite3 connection; reading in_transaction from this thread is a plain
        # flag read, and nothing else runs on the connection while a statement is awaited here.
        return self._connection._connection

    def _in_transaction(self) -> bool:
        raw = self._sqlite()
        return raw is not None and raw.in_transaction

    async def run_statement(self, operation: str, parameters: Any, many: bool):
        raw = self._sqlite()
        if raw is None:
            raise ValueError("Connection closed")
        if not self._holds_gate and not raw.in_transaction and _starts_write(operation):
            await self._enter_gate()
        return await self._connection._execute(_run, raw, operation, parameters, many)

    async def _enter_gate(self) -> None:
        lock = self._gate.lock()
        try:
            await asyncio.wait_for(lock.acquire(), self._gate.timeout)
        except asyncio.TimeoutError:
            # Leave it to SQLite's busy timeout, as without the gate.
            logger.warning("Waited %.0f s for the SQLite writer queue; going on without it", self._gate.timeout)
            return
        self._holds_gate = True

    def _leave_gate(self) -> None:
        if self._holds_gate:
            self._holds_gate = False
            lock = self._gate._lock
            if lock is not None and lock.locked():
                lock.release()

    def rollback(self) -> None:
        try:
            if self._in_transaction():
                super().rollback()
        finally:
            self._leave_gate()

    def commit(self) -> None:
        try:
            if self._in_transaction():
                super().commit()
        finally:
            self._leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_gate()

    def terminate(self) -> None:
        try:
            super().terminate()
        finally:
            self._leave_gate()


class _OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self.gate: _WriterGate | None = None

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        stock = super().connect(*arg, **kw)
        timeout = float(kw.get("timeout", 5.0))
        if self.gate is None:
            self.gate = _WriterGate(timeout)
        return OneTripConnection(self, stock._connection, self.gate)


class OneTripSQLiteDialect(SQLiteDialect_aiosqlite):
    """``sqlite+aiosqlite`` with :class:`OneTripConnection` connections."""

    driver = "aiosqlite"
    supports_statement_cache = True
    supports_server_side_cursors = False

    @classmethod
    def import_dbapi(cls) -> _OneTripDBAPI:
        return _OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "OneTripSQLiteDialect")
