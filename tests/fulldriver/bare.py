"""fulldriver.bare: fulldriver reduced to PEP 249's required surface (a test target).

What a driver author with a minimal driver would ship: the module globals, exceptions,
type objects and constructors of fulldriver, and Connection/Cursor objects with only the
required methods and attributes. It exists so that the suite's "declared absent" paths run
against one of this project's own targets (tests/test_certify_fulldriver.py pins them);
its profile (profile.BARE_CAPABILITIES) declares every left-out capability absent.

- Module globals: apilevel "2.0"; threadsafety 1 (threads may share the module only;
  the claim a minimal driver makes, though the wrapped connection is locked throughout);
  paramstyle "numeric" (``:1``, ``:2`` with a sequence: SQLite reads ``:1`` as the named
  parameter "1", so the sequence is bound as the mapping {"1": seq[0], ...}; a mapping is
  bound by name as in fulldriver). ``connect(database, *, timeout=10.0)`` has no
  autocommit keyword.
- No transactions: every statement commits at once (the wrapped fulldriver connection runs
  with autocommit on). ``commit()`` is a no-op on an open connection (CON-COMMIT-4) and
  raises InterfaceError on a closed one; ``rollback()`` is kept and raises
  NotSupportedError (CON-ROLLBACK-3: the form PEP 249 allows besides leaving it out, which
  the CrateDB targets show).
- TPC support known only at run time (PEP 249 allows it): ``xid()`` and the ``tpc_*()``
  methods exist and raise NotSupportedError on an open connection (TPC-XID-3, TPC-GEN-1),
  InterfaceError on a closed one.
- No optional extension: Connection has no autocommit, messages, errorhandler or exception
  class attributes; Cursor has no callproc, nextset, rownumber, connection, scroll,
  messages, next, __iter__, lastrowid or errorhandler. Reading any of them raises
  AttributeError (``hasattr`` is False), and both classes have ``__slots__``, so none can
  be set either.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import fulldriver as _full
from fulldriver import (  # noqa: F401 - the required module surface, re-exported
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    DatabaseError,
    DataError,
    Date,
    DateFromTicks,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
    Warning,
)

apilevel = "2.0"
threadsafety = 1
paramstyle = "numeric"

#: The message of every NotSupportedError the TPC methods raise.
NO_TPC = "fulldriver.bare has no two-phase commit (no transactions at all)"
NO_TRANSACTIONS = "fulldriver.bare has no transactions: every statement commits at once"


def numbered(parameters: Any) -> Any:
    """Parameters for ``:1``-style SQL: a sequence (read by ``__getitem__``, CUR-EXEC-3)
    becomes {"1": parameters[0], ...}; None, a mapping or anything else is returned as it
    is (fulldriver's binding raises ProgrammingError for what is neither)."""
    if parameters is None or isinstance(parameters, (Mapping, str, bytes)):
        return parameters
    if not isinstance(parameters, Sequence):
        return parameters
    return {str(i + 1): parameters[i] for i in range(len(parameters))}


class Cursor:
    """A cursor (made by ``Connection.cursor()``): the required PEP 249 surface only.

    ``description``, ``rowcount`` (read-only) and ``arraysize`` (read/write, default 1) and
    the methods execute, executemany, fetchone, fetchmany, fetchall, setinputsizes,
    setoutputsize, close behave as fulldriver's (errors: ProgrammingError without a result
    set, InterfaceError once closed).
    """

    __slots__ = ("_cursor",)

    def __init__(self, cursor: _full.Cursor) -> None:
        self._cursor = cursor

    @property
    def description(self) -> tuple[tuple, ...] | None:
        """7-item column descriptions, None without a result set (CUR-DESC-*)."""
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        """Rows of the result set or rows affected; -1 when unknown (CUR-ROWC-*)."""
        return self._cursor.rowcount

    @property
    def arraysize(self) -> int:
        """Rows fetchmany() returns by default (CUR-ASIZE-*)."""
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    def execute(self, operation: str, parameters: Any = None) -> None:
        """Run one operation with ``:1``-style parameters from a sequence (CUR-EXEC-*)."""
        self._cursor.execute(operation, numbered(parameters))

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        """Run a statement without a result set once per parameter set (CUR-EXECMANY-1)."""
        self._cursor.executemany(operation, (numbered(p) for p in seq_of_parameters))

    def fetchone(self) -> tuple | None:
        """The next row, or None at the end (CUR-FONE-*)."""
        return self._cursor.fetchone()

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) next rows (CUR-FMANY-*)."""
        return self._cursor.fetchmany(size)

    def fetchall(self) -> list[tuple]:
        """All remaining rows (CUR-FALL-*)."""
        return self._cursor.fetchall()

    def setinputsizes(self, sizes: Sequence[Any]) -> None:
        """Remembered only (CUR-SETIN-1)."""
        self._cursor.setinputsizes(sizes)

    def setoutputsize(self, size: int, column: int | None = None) -> None:
        """Remembered only (CUR-SETOUT-1)."""
        self._cursor.setoutputsize(size, column)

    def close(self) -> None:
        """Close now; later use raises InterfaceError (CUR-CLOSE-*)."""
        self._cursor.close()


class Connection:
    """A connection to one SQLite database file, without transactions (``connect()``)."""

    __slots__ = ("_conn",)

    def __init__(self, database: Any, timeout: float = 10.0) -> None:
        self._conn = _full.Connection(database, timeout=timeout, autocommit=True)

    def close(self) -> None:
        """Close now (CON-CLOSE-1); a second close() does nothing (CON-CLOSE-5)."""
        self._conn.close()

    def commit(self) -> None:
        """A no-op: every statement is committed already (CON-COMMIT-4). InterfaceError
        once closed (CON-CLOSE-2)."""
        self._conn.check_open()

    def rollback(self) -> None:
        """Always NotSupportedError: there are no transactions to roll back (CON-ROLLBACK-3,
        the form PEP 249 footnote 3 allows a driver that keeps the method); InterfaceError
        once closed (CON-CLOSE-2)."""
        self._conn.check_open()
        raise NotSupportedError(NO_TRANSACTIONS)

    def cursor(self) -> Cursor:
        """A new cursor (CON-CURSOR-1); InterfaceError once closed (CON-CLOSE-2)."""
        return Cursor(self._conn.cursor())

    # --- two-phase commit: present, but not supported (TPC-XID-3) ----------------------------

    def _no_tpc(self) -> NotSupportedError:
        self._conn.check_open()
        return NotSupportedError(NO_TPC)

    def xid(self, format_id: int, gtrid: str, bqual: str) -> Any:
        """Always NotSupportedError (InterfaceError once closed)."""
        raise self._no_tpc()

    def tpc_begin(self, xid: Any) -> None:
        """Always NotSupportedError (InterfaceError once closed)."""
        raise self._no_tpc()

    def tpc_prepare(self) -> None:
        """Always NotSupportedError (InterfaceError once closed)."""
        raise self._no_tpc()

    def tpc_commit(self, xid: Any = None) -> None:
        """Always NotSupportedError (InterfaceError once closed)."""
        raise self._no_tpc()

    def tpc_rollback(self, xid: Any = None) -> None:
        """Always NotSupportedError (InterfaceError once closed)."""
        raise self._no_tpc()

    def tpc_recover(self) -> list[Any]:
        """Always NotSupportedError (InterfaceError once closed)."""
        raise self._no_tpc()


def connect(database: Any, *, timeout: float = 10.0) -> Connection:
    """Open the SQLite database file ``database`` (str or path). ``timeout``: seconds to wait
    for another connection's lock. OperationalError when it cannot open."""
    return Connection(database, timeout=timeout)


__all__ = [
    "BINARY", "DATETIME", "NUMBER", "ROWID", "STRING", "Binary", "Connection", "Cursor",
    "DataError", "DatabaseError", "Date", "DateFromTicks", "Error", "IntegrityError",
    "InterfaceError", "InternalError", "NotSupportedError", "OperationalError",
    "ProgrammingError", "Time", "TimeFromTicks", "Timestamp", "TimestampFromTicks", "Warning",
    "apilevel", "connect", "paramstyle", "threadsafety",
]
