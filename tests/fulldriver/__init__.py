"""fulldriver: a PEP 249 driver over the standard library's sqlite3 with every optional
extension the conformance suite checks (a test target of this project, not shipped).

Module globals (GLB-*): apilevel "2.0"; threadsafety 3 (threads may share the module,
connections and cursors: every Connection and Cursor method holds its connection's lock);
paramstyle "named" (``:name`` with a mapping; ``?`` with a sequence works too).

Pieces: errors.py (exceptions and the sqlite3 mapping), values.py (type objects,
constructors, conversions), connection.py (transactions, autocommit, TPC, SQL functions
``div`` and ``warn``), tpc.py (the two-phase-commit emulation), cursor.py (cursor,
several result sets), procedures.py (the ``CREATE PROCEDURE`` dialect for callproc).
"""

from __future__ import annotations

from typing import Any

from .connection import Connection
from .cursor import Cursor
from .errors import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)
from .tpc import Xid
from .values import (
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

apilevel = "2.0"
threadsafety = 3
paramstyle = "named"


def connect(database: Any, *, timeout: float = 10.0, autocommit: bool = False) -> Connection:
    """Open the SQLite database file ``database`` (str or path; ":memory:" works without
    TPC). ``timeout``: seconds to wait for another connection's lock; ``autocommit``: the
    initial ``Connection.autocommit`` (MOD-CONNECT-3). OperationalError when it cannot open."""
    return Connection(database, timeout=timeout, autocommit=autocommit)


__all__ = [
    "BINARY", "DATETIME", "NUMBER", "ROWID", "STRING", "Binary", "Connection", "Cursor",
    "DataError", "DatabaseError", "Date", "DateFromTicks", "Error", "IntegrityError",
    "InterfaceError", "InternalError", "NotSupportedError", "OperationalError",
    "ProgrammingError", "Time", "TimeFromTicks", "Timestamp", "TimestampFromTicks", "Warning",
    "Xid", "apilevel", "connect", "paramstyle", "threadsafety",
]
