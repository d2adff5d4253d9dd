"""PEP 249 exception classes ("Exceptions") and the one table mapping sqlite3 errors to them."""

from __future__ import annotations

import sqlite3


class Warning(Exception):  # noqa: A001 - the PEP 249 name
    """Important warnings (EXC-WARN-1); not an Error (EXC-WARN-2)."""


class Error(Exception):
    """Base of every error class (EXC-ERR-1)."""


class InterfaceError(Error):
    """Misuse of the driver itself: a closed connection or cursor (EXC-IFACE-1)."""


class DatabaseError(Error):
    """Errors of the database (EXC-DB-1)."""


class DataError(DatabaseError):
    """Bad data: division by zero, integer overflow (EXC-DATA-1)."""


class OperationalError(DatabaseError):
    """The database's operation: locked, cannot open, I/O (EXC-OPER-1)."""


class IntegrityError(DatabaseError):
    """A failed constraint: duplicate key, NOT NULL, foreign key (EXC-INTEG-1)."""


class InternalError(DatabaseError):
    """The database's internal state is out of sync (EXC-INTERN-1)."""


class ProgrammingError(DatabaseError):
    """Bad SQL, missing or existing objects, wrong parameters, API misuse (EXC-PROG-1)."""


class NotSupportedError(DatabaseError):
    """A feature the database or driver does not offer (EXC-NOTSUP-1)."""


#: The PEP 249 names, in the PEP's order (also set on every Connection, EXT-CONNEXC-1).
EXCEPTIONS = (Warning, Error, InterfaceError, DatabaseError, DataError, OperationalError,
              IntegrityError, InternalError, ProgrammingError, NotSupportedError)

#: SQLite primary result codes (https://www.sqlite.org/rescode.html) -> PEP 249 class.
_BY_CODE = {
    1: ProgrammingError,  # SQLITE_ERROR: syntax, no such table, table exists (but see below)
    2: InternalError,  # SQLITE_INTERNAL
    5: OperationalError,  # SQLITE_BUSY
    6: OperationalError,  # SQLITE_LOCKED
    7: OperationalError,  # SQLITE_NOMEM
    8: OperationalError,  # SQLITE_READONLY
    9: OperationalError,  # SQLITE_INTERRUPT
    10: OperationalError,  # SQLITE_IOERR
    11: DatabaseError,  # SQLITE_CORRUPT
    13: OperationalError,  # SQLITE_FULL
    14: OperationalError,  # SQLITE_CANTOPEN
    15: OperationalError,  # SQLITE_PROTOCOL
    18: DataError,  # SQLITE_TOOBIG
    19: IntegrityError,  # SQLITE_CONSTRAINT
    20: DataError,  # SQLITE_MISMATCH
    21: InterfaceError,  # SQLITE_MISUSE
    25: DataError,  # SQLITE_RANGE
    26: DatabaseError,  # SQLITE_NOTADB
}
#: sqlite3 classes raised without a result code (binding errors, misuse of sqlite3).
_BY_CLASS = (
    (sqlite3.IntegrityError, IntegrityError),
    (sqlite3.DataError, DataError),
    (sqlite3.NotSupportedError, NotSupportedError),
    (sqlite3.InternalError, InternalError),
    (sqlite3.ProgrammingError, ProgrammingError),
    (sqlite3.OperationalError, OperationalError),
    (sqlite3.InterfaceError, InterfaceError),
    (sqlite3.DatabaseError, DatabaseError),
)
#: SQLITE_ERROR messages that are about data, not about the SQL text.
_DATA_MESSAGES = ("integer overflow", "string or blob too big")


def error_class(exc: sqlite3.Error) -> type[Error]:
    """The PEP 249 class for a sqlite3 error: by SQLite result code, else by sqlite3 class."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        primary = code & 0xFF
        if primary == 1 and any(text in str(exc) for text in _DATA_MESSAGES):
            return DataError
        if primary in _BY_CODE:
            return _BY_CODE[primary]
    for sqlite_class, cls in _BY_CLASS:
        if isinstance(exc, sqlite_class):
            return cls
    return Error


def translate(exc: sqlite3.Error) -> Error:
    """A new PEP 249 error with the sqlite3 error's message (``__cause__`` set by the caller)."""
    return error_class(exc)(str(exc) or type(exc).__name__)
