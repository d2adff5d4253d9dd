"""PEP 249 Connection over sqlite3: transactions, autocommit, TPC, messages, errorhandler.

Transactions (CON-COMMIT-*, CON-ROLLBACK-*, CON-CLOSE-4): sqlite3 runs in its own
autocommit mode and the driver opens ``BEGIN IMMEDIATE`` before the first statement that is
not a query (sqltext.READ_VERBS), unless ``autocommit`` is True. Queries outside a
transaction read the latest committed data. The database runs in WAL mode, so readers never
wait for writers. ``close()`` rolls back what is pending.

SQL functions the driver adds to every connection:
- ``div(x, y)``: x / y (integer division truncating toward zero for two integers); raises
  DataError on y = 0 (SQLite's own ``/`` gives NULL there). NULL in, NULL out.
- ``warn(text)``: returns ``text`` and adds ``(Warning, Warning(text))`` to the ``messages``
  of the cursor running the statement (EXT-MSG-1).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from typing import Any

from . import errors
from .cursor import Cursor
from .errors import DataError, InterfaceError, NotSupportedError, ProgrammingError, translate
from .handling import api
from .tpc import MARKERS, PreparedStore, TpcState, Xid


def _div(x: Any, y: Any, on_zero) -> Any:
    if x is None or y is None:
        return None
    if y == 0:
        on_zero()
        raise ZeroDivisionError("division by zero")
    if isinstance(x, int) and isinstance(y, int):
        quotient = abs(x) // abs(y)
        return quotient if (x < 0) == (y < 0) else -quotient
    return x / y


class Connection:
    """A connection to one SQLite database file (``connect()`` in the package)."""

    Warning = errors.Warning
    Error = errors.Error
    InterfaceError = errors.InterfaceError
    DatabaseError = errors.DatabaseError
    DataError = errors.DataError
    OperationalError = errors.OperationalError
    IntegrityError = errors.IntegrityError
    InternalError = errors.InternalError
    ProgrammingError = errors.ProgrammingError
    NotSupportedError = errors.NotSupportedError

    cursor_class = Cursor

    def __init__(self, database: Any, timeout: float = 10.0, autocommit: bool = False) -> None:
        path = str(database)
        try:
            self._db = sqlite3.connect(path, timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints
        except sqlite3.Error as exc:
            raise translate(exc) from exc
        self._lock = threading.RLock()
        self._autocommit = bool(autocommit)
        self._closed = False
        self._tpc: TpcState | None = None
        self._store = None if path == ":memory:" else PreparedStore(f"{path}.tpc", timeout)
        self._udf_error: errors.Error | None = None
        self.running: Cursor | None = None  # the cursor whose statement runs now
        self.messages: list[tuple[type, Any]] = []
        self.errorhandler = None
        self._add_functions()

    def _add_functions(self) -> None:
        me = weakref.ref(self)

        def zero() -> None:
            if me() is not None:
                me()._udf_error = DataError("division by zero")

        def warn(text: Any) -> Any:
            conn = me()
            if conn is not None:
                target = conn.running if conn.running is not None else conn
                target.messages.append((errors.Warning, errors.Warning(str(text))))
            return text

        self._db.create_function("div", 2, lambda x, y: _div(x, y, zero), deterministic=True)
        self._db.create_function("warn", 1, warn)

    def _errorhandler(self):
        return self.errorhandler

    def _handler_args(self) -> tuple[Connection, None]:
        return self, None

    # --- plumbing used by cursors ---------------------------------------------------------

    def check_open(self) -> None:
        if self._closed:
            raise InterfaceError("the connection is closed")

    @contextlib.contextmanager
    def translating(self) -> Iterator[None]:
        """Turn sqlite3 errors raised inside into PEP 249 errors."""
        self._udf_error = None
        try:
            yield
        except sqlite3.Error as exc:
            error, self._udf_error = self._udf_error, None
            raise (error or self.translate(exc)) from exc

    def translate(self, exc: sqlite3.Error) -> errors.Error:
        return translate(exc)

    def run(self, sql: str, params: Any = (), write: bool = True) -> sqlite3.Cursor:
        """Execute one statement for a cursor; opens a transaction first for a write."""
        if self._tpc is not None and self._tpc.prepared:
            raise ProgrammingError("no statements after tpc_prepare() until tpc_commit() "
                                   "or tpc_rollback() (TPC-PREP-1)")
        with self.translating():
            if write and not self._autocommit and not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
            result = self._db.execute(sql, params)
        if write and self._tpc is not None:
            self._tpc.log.append((sql, params))
        return result

    def declared_types(self, query: str, count: int) -> list[str]:
        """Declared types of the result columns of ``query`` ("" where none), learnt from
        ``PRAGMA table_info`` of a temporary view over it (parameters replaced by NULL)."""
        from .sqltext import without_parameters

        view = f"_fulldriver_probe_{id(self):x}"
        try:
            self._db.execute(f"CREATE TEMP VIEW {view} AS {without_parameters(query)}")
            try:
                info = self._db.execute(f"PRAGMA temp.table_info({view})").fetchall()
            finally:
                self._db.execute(f"DROP VIEW temp.{view}")
        except sqlite3.Error:
            return [""] * count
        types = [row[2] or "" for row in info]
        return types if len(types) == count else [""] * count

    # --- PEP 249 methods ------------------------------------------------------------------

    @api()
    def close(self) -> None:
        """Close now, rolling back a pending transaction (CON-CLOSE-1, CON-CLOSE-4).
        A second close() does nothing (CON-CLOSE-5)."""
        if self._closed:
            return
        self._closed = True
        with self.translating():
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            self._db.close()

    @api()
    def commit(self) -> None:
        """Commit the pending transaction (CON-COMMIT-1); ProgrammingError in TPC (TPC-BEGIN-2)."""
        self.check_open()
        self._no_tpc("commit()")
        self._end("COMMIT")

    @api()
    def rollback(self) -> None:
        """Discard the pending transaction (CON-ROLLBACK-2); ProgrammingError in TPC."""
        self.check_open()
        self._no_tpc("rollback()")
        self._end("ROLLBACK")

    @api()
    def cursor(self) -> Cursor:
        """A new cursor (CON-CURSOR-1); it copies ``errorhandler`` (EXT-ERRH-3)."""
        self.check_open()
        return self.cursor_class(self)

    def _end(self, statement: str) -> None:
        with self.translating():
            if self._db.in_transaction:
                self._db.execute(statement)

    def _no_tpc(self, what: str) -> None:
        if self._tpc is not None:
            raise ProgrammingError(f"{what} inside a TPC transaction (TPC-BEGIN-2)")

    # --- autocommit (EXT-AUTOC-1, EXT-AUTOC-2) --------------------------------------------

    @property
    def autocommit(self) -> bool:
        """True: every statement commits at once; False (the default): manual commit."""
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._set_autocommit(value)

    @api()
    def _set_autocommit(self, value: bool) -> None:
        # Switching on commits what is pending (footnote 12); off: the next write begins.
        self.check_open()
        self._no_tpc("setting autocommit")
        if value:
            self._end("COMMIT")
        self._autocommit = bool(value)

    # --- two-phase commit (tpc.py describes the emulation) --------------------------------

    @api()
    def xid(self, format_id: int, gtrid: str, bqual: str) -> Xid:
        """A transaction id (TPC-XID-1/2); NotSupportedError for an in-memory database."""
        self.check_open()
        if self._store is None:
            raise NotSupportedError("TPC needs a database file (recovery keeps a side file)")
        return Xid(format_id, gtrid, bqual)

    @api()
    def tpc_begin(self, xid: Xid) -> None:
        """Begin a TPC transaction; ProgrammingError inside a transaction, in TPC, or in
        autocommit mode (TPC-BEGIN-1)."""
        self.check_open()
        if self._store is None:
            raise NotSupportedError("TPC needs a database file")
        if self._tpc is not None or self._db.in_transaction:
            raise ProgrammingError("tpc_begin() inside a transaction")
        if self._autocommit:
            raise ProgrammingError("tpc_begin() in autocommit mode")
        self._tpc = TpcState(Xid(*xid))

    @api()
    def tpc_prepare(self) -> None:
        """Prepare the TPC transaction; ProgrammingError outside one (TPC-PREP-1)."""
        self.check_open()
        if self._tpc is None or self._tpc.prepared:
            raise ProgrammingError("tpc_prepare() outside an unprepared TPC transaction")
        state = self._tpc
        with self.translating():
            if not self._db.in_transaction:
                self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(f"CREATE TABLE IF NOT EXISTS {MARKERS} (xid TEXT PRIMARY KEY)")
            self._db.execute(f"INSERT INTO {MARKERS} VALUES (?)", (state.xid.key(),))
        self._store.save(state.xid, state.log)
        state.prepared = True

    @api()
    def tpc_commit(self, xid: Xid | None = None) -> None:
        """Commit the TPC transaction (one-phase before prepare), or with ``xid`` a prepared
        transaction left by another connection (TPC-COMMIT-1, TPC-COMMIT-2)."""
        self.check_open()
        if xid is None:
            state = self._current_tpc("tpc_commit()")
            self._end("COMMIT")
            self._tpc = None
            if state.prepared:
                self._forget(state.xid)
            return
        xid = self._recovery_xid(xid, "tpc_commit")
        log = self._store.load(xid)
        if log is None:
            raise ProgrammingError(f"tpc_commit(): no prepared transaction {tuple(xid)!r}")
        if not self._committed(xid):
            with self.translating():
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    for sql, params in log:
                        self._db.execute(sql, params)
                    self._db.execute(f"CREATE TABLE IF NOT EXISTS {MARKERS} "
                                     "(xid TEXT PRIMARY KEY)")
                    self._db.execute(f"INSERT INTO {MARKERS} VALUES (?)", (xid.key(),))
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
        self._forget(xid)

    @api()
    def tpc_rollback(self, xid: Xid | None = None) -> None:
        """Roll back the TPC transaction (before or after prepare), or with ``xid`` a
        prepared transaction left by another connection (TPC-RB-1)."""
        self.check_open()
        if xid is None:
            state = self._current_tpc("tpc_rollback()")
            self._end("ROLLBACK")
            self._tpc = None
            if state.prepared:
                self._store.forget(state.xid)
            return
        xid = self._recovery_xid(xid, "tpc_rollback")
        if self._store.load(xid) is None:
            raise ProgrammingError(f"tpc_rollback(): no prepared transaction {tuple(xid)!r}")
        if self._committed(xid):
            self._forget(xid)
            raise ProgrammingError(f"tpc_rollback(): {tuple(xid)!r} was committed already")
        self._store.forget(xid)

    @api()
    def tpc_recover(self) -> list[Xid]:
        """The prepared transactions waiting for tpc_commit/tpc_rollback (TPC-RECOVER-1)."""
        self.check_open()
        if self._store is None:
            raise NotSupportedError("TPC needs a database file")
        return [xid for xid in self._store.xids() if not self._committed(xid)]

    def _current_tpc(self, what: str) -> TpcState:
        if self._tpc is None:
            raise ProgrammingError(f"{what} without an argument outside a TPC transaction")
        return self._tpc

    def _recovery_xid(self, xid: Any, what: str) -> Xid:
        if self._store is None:
            raise NotSupportedError("TPC needs a database file")
        if self._tpc is not None or self._db.in_transaction:
            raise ProgrammingError(f"{what}(xid) is for recovery, outside a transaction")
        return Xid(*xid)

    def _committed(self, xid: Xid) -> bool:
        with self.translating():
            exists = self._db.execute("SELECT 1 FROM sqlite_master WHERE name = ?",
                                      (MARKERS,)).fetchall()
            return bool(exists) and bool(self._db.execute(
                f"SELECT 1 FROM {MARKERS} WHERE xid = ?", (xid.key(),)).fetchall())

    def _forget(self, xid: Xid) -> None:
        """Drop the record of a committed xid, then its marker (in that order: tpc.py)."""
        self._store.forget(xid)
        with self.translating():
            self._db.execute(f"DELETE FROM {MARKERS} WHERE xid = ?", (xid.key(),))
