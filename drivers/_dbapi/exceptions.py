"""The PEP 249 exception hierarchy, shared by every reference driver.

PEP 249 "Exceptions": ``Warning`` and ``Error`` derive from ``Exception`` (clauses EXC-WARN-1,
EXC-WARN-2, EXC-ERR-1); ``InterfaceError`` and ``DatabaseError`` derive from ``Error``; the six
database error classes derive from ``DatabaseError``.

Every error carries what the server said, where the protocol has it (None otherwise):
``message`` (text), ``code`` (the database's own error code), ``sqlstate`` (SQLSTATE text),
``error_trace`` (a server-side stack trace) and ``http_status`` (HTTP protocols only).
"""

from __future__ import annotations

__all__ = [
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
    "EXCEPTIONS",
]


class Warning(Exception):  # noqa: A001 - the name is fixed by PEP 249
    """Important warnings, such as data truncation (PEP 249). Not an :class:`Error`."""


class Error(Exception):
    """Base class of all error exceptions (PEP 249).

    ``Error(message, *, code=None, sqlstate=None, error_trace=None, http_status=None)``.
    ``str(error)`` is the message, followed by the server's trace on a new line when there
    is one.
    """

    def __init__(
        self,
        message: str = "",
        *,
        code: int | str | None = None,
        sqlstate: str | None = None,
        error_trace: str | None = None,
        http_status: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.sqlstate = sqlstate
        self.error_trace = error_trace
        self.http_status = http_status

    def __str__(self) -> str:
        if self.error_trace:
            return f"{self.message}\n{self.error_trace}"
        return self.message


class InterfaceError(Error):
    """An error of the driver itself rather than of the database (PEP 249)."""


class DatabaseError(Error):
    """An error related to the database (PEP 249)."""


class DataError(DatabaseError):
    """Bad data: division by zero, a value out of range, a failed cast (PEP 249)."""


class OperationalError(DatabaseError):
    """The database's operation: disconnects, unreachable servers, failed authentication,
    timeouts, resources (PEP 249)."""


class IntegrityError(DatabaseError):
    """Relational integrity: a duplicate key, a failed constraint check (PEP 249)."""


class InternalError(DatabaseError):
    """The database met an internal error (PEP 249)."""


class ProgrammingError(DatabaseError):
    """Programming errors: unknown or existing table, syntax error, wrong number of
    parameters, use of a closed object (PEP 249)."""


class NotSupportedError(DatabaseError):
    """A method or feature the database does not support (PEP 249)."""


#: name -> class, for the module and Connection attributes (EXT-CONNEXC-1).
EXCEPTIONS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        Warning,
        Error,
        InterfaceError,
        DatabaseError,
        DataError,
        OperationalError,
        IntegrityError,
        InternalError,
        ProgrammingError,
        NotSupportedError,
    )
}
