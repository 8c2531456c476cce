"""A lean SQLite driver for SQLAlchemy's asyncio engine: statements run in the event loop's thread.

SQLAlchemy's stock ``sqlite+aiosqlite`` adapter sends every statement to aiosqlite's worker thread
in four round trips (open a cursor, execute, fetch, close), one more for every commit and rollback
(even when there is nothing to commit or roll back: a pooled connection is rolled back each time
it is returned), and each connection has a thread of its own. Each trip wakes a thread and the
event loop, and under load the threads fight over the GIL: together that cost several times more
than the statements themselves, which on a local SQLite file take microseconds.

This driver runs a statement, fetches its rows and closes its cursor right in the event loop's
thread, and skips the commit or rollback of a connection that has no open transaction
(``sqlite3.Connection.in_transaction``). Nothing in it waits inline:

* SQLite's busy handler is switched off (``busy_timeout`` 0) for inline work. When another
  *process* holds the write lock (the scheduler or a CLI command on the same file), SQLite says
  so at once and the statement is run again in aiosqlite's worker thread with the configured
  busy timeout, so the wait happens off the event loop.
* SQLite lets one writer in at a time. A connection about to start a write transaction first
  takes an ``asyncio.Lock`` shared by the engine's connections, and gives it back when it
  commits, rolls back or closes, so writers in this process queue without sleeping (SQLite's busy
  handler sleeps up to 100 ms at a time, which showed up as seconds-long p99 latencies).

WAL with ``synchronous=NORMAL`` (see :mod:`storage.db`) keeps commits free of fsync; the WAL's
automatic checkpoint, every thousand pages written, is the one disk flush left inline.
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
    """Execute, fetch every row, close the cursor."""
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


def _is_busy(error: BaseException) -> bool:
    """Whether SQLite refused because another connection holds a lock (SQLITE_BUSY and kin)."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, sqlite3.OperationalError) and code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


def _waiting(busy_timeout_ms: int, call: Any, connection: sqlite3.Connection, *args: Any) -> Any:
    """Runs in aiosqlite's thread: ``call`` with SQLite's busy handler waiting up to the timeout."""
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}").close()
    try:
        return call(connection, *args)
    finally:
        connection.execute("PRAGMA busy_timeout = 0").close()


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


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor that runs its statement, fetches its rows and closes in one call."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: "InlineConnection") -> None:  # noqa: D107 (no aiosqlite cursor)
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


class InlineConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection: statements inline, no-op commits and rollbacks skipped, writers queued."""

    __slots__ = ("_gate", "_holds_gate")

    _cursor_cls = InlineCursor

    def __init__(self, dbapi: Any, connection: Any, gate: _WriterGate) -> None:
        super().__init__(dbapi, connection)
        self._gate = gate
        self._holds_gate = False

    def _sqlite(self) -> sqlite3.Connection | None:
        # aiosqlite's own sqlite3 connection. Only one statement runs on it at a time: inline, or
        # (while waiting for another process's lock) in aiosqlite's thread, awaited here.
        return self._connection._connection

    async def run_statement(self, operation: str, parameters: Any, many: bool):
        raw = self._sqlite()
        if raw is None:
            raise ValueError("Connection closed")
        if not self._holds_gate and not raw.in_transaction and _starts_write(operation):
            await self._enter_gate()
        return await self._inline_or_waiting(_run, raw, operation, parameters, many)

    async def _inline_or_waiting(self, call: Any, raw: sqlite3.Connection, *args: Any) -> Any:
        """``call`` right here; if another process holds the lock, again in the worker thread."""
        try:
            return call(raw, *args)
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        logger.debug("SQLite is busy; waiting for the lock off the event loop")
        return await self._connection._execute(_waiting, self._gate.timeout * 1000, call, raw, *args)

    def _finish(self, call: Any) -> None:
        raw = self._sqlite()
        if raw is None or not raw.in_transaction:
            return
        try:
            await_(self._inline_or_waiting(call, raw))
        except Exception as error:
            self._handle_exception(error)

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
            self._finish(sqlite3.Connection.rollback)
        finally:
            self._leave_gate()

    def commit(self) -> None:
        try:
            self._finish(sqlite3.Connection.commit)
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


class _InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, aiosqlite: Any, sqlite: Any) -> None:
        super().__init__(aiosqlite, sqlite)
        self.gate: _WriterGate | None = None

    def connect(self, *arg: Any, **kw: Any) -> InlineConnection:
        timeout = float(kw.get("timeout", 5.0))
        # Used from the event loop's thread and, while waiting for a lock, aiosqlite's.
        kw["check_same_thread"] = False
        stock = super().connect(*arg, **kw)
        if self.gate is None:
            self.gate = _WriterGate(timeout)
        connection = InlineConnection(self, stock._connection, self.gate)
        raw = connection._sqlite()
        if raw is not None:
            # Inline work never waits; see _inline_or_waiting.
            raw.execute("PRAGMA busy_timeout = 0").close()
        return connection


class InlineSQLiteDialect(SQLiteDialect_aiosqlite):
    """``sqlite+aiosqlite`` with :class:`InlineConnection` connections."""

    driver = "aiosqlite"
    supports_statement_cache = True
    supports_server_side_cursors = False

    @classmethod
    def import_dbapi(cls) -> _InlineDBAPI:
        return _InlineDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")
