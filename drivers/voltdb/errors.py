"""The one table mapping VoltDB failures to PEP 249 exception classes.

Sources: protocols/voltdb.md 2.2 (login statuses), 4.2 (response statuses), 5.1 and 5.5
(status strings: ``VOLTDB ERROR: <kind>`` for procedure failures, bare planner messages);
PEP 249 "Exceptions" for the classes. The mapping, by precedence:

1. A serialised exception in the response (voltdb.md 4.1 bit 6): a constraint failure is
   an IntegrityError; an SQL exception goes by its SQLSTATE class (22 DataError, 23
   IntegrityError, 42 ProgrammingError).
2. :data:`BY_KIND`: the ``VOLTDB ERROR: <kind>`` of the status string (CONSTRAINT
   VIOLATION -> IntegrityError, SQL ERROR -> DataError or DatabaseError, ...).
3. :data:`BY_MESSAGE`: message patterns VoltDB gives several statuses (a procedure that
   was not found, a wrong parameter count, a parameter that does not convert).
4. :data:`BY_STATUS`: the status code (GRACEFUL_FAILURE without a kind is a planner error,
   a ProgrammingError; server unavailable, connection lost and timeouts are
   OperationalErrors; UNEXPECTED_FAILURE is an InternalError).
"""

from __future__ import annotations

import re

from dbapi_conformance.drivers._dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from dbapi_conformance.drivers.wire.voltdb import (
    ClientResponse,
    ExceptionType,
    Status,
    status_name,
)

__all__ = ["BY_STATUS", "BY_KIND", "BY_MESSAGE", "BY_SQLSTATE_CLASS", "error_class",
           "from_response"]

#: Response status -> class when nothing more specific applies (voltdb.md 4.2).
BY_STATUS: dict[int, type[Error]] = {
    Status.USER_ABORT: OperationalError,  # the procedure rolled itself back
    Status.GRACEFUL_FAILURE: ProgrammingError,  # planner errors carry no "VOLTDB ERROR"
    Status.UNEXPECTED_FAILURE: InternalError,
    Status.CONNECTION_LOST: OperationalError,
    Status.SERVER_UNAVAILABLE: OperationalError,  # paused, shutting down: never executed
    Status.CONNECTION_TIMEOUT: OperationalError,
    Status.RESPONSE_UNKNOWN: OperationalError,
    Status.TXN_RESTART: InternalError,
    Status.OPERATIONAL_FAILURE: OperationalError,
    Status.TXN_MISPARTITIONED: InternalError,
    Status.TXN_MISROUTED: InternalError,
    Status.DR_TABLE_HASH_NOT_FOUND: InternalError,
    Status.UNSUPPORTED_DYNAMIC_CHANGE: NotSupportedError,  # the schema change needs a reinit
    Status.CLIENT_ERROR_TXN_NOT_SENT: OperationalError,
    Status.CLIENT_REQUEST_TIMEOUT: OperationalError,
    Status.CLIENT_RESPONSE_TIMEOUT: OperationalError,
    Status.COMPOUND_PROC_USER_ABORT: OperationalError,
    Status.COMPOUND_PROC_TIMEOUT: OperationalError,
}

#: ``VOLTDB ERROR: <kind>`` of a status string (voltdb.md 5.5) -> class; SQL ERROR is
#: refined to DataError by :data:`_DATA`.
BY_KIND: dict[str, type[Error]] = {
    "CONSTRAINT VIOLATION": IntegrityError,
    "SQL ERROR": DatabaseError,
    "USER ABORT": OperationalError,
    "TRANSACTION INTERRUPTED": OperationalError,
    "UNEXPECTED FAILURE": InternalError,
}

#: Message patterns -> class, for texts VoltDB sends with several statuses (voltdb.md 5.1).
BY_MESSAGE: tuple[tuple[re.Pattern[str], type[Error]], ...] = (
    (re.compile(r"Procedure \S+ was not found", re.I), ProgrammingError),
    (re.compile(r"Incorrect number of parameters|requires at least the query parameter"
                r"|must be passed a single parameterized SQL statement|question marks",
                re.I), ProgrammingError),
    (re.compile(r"tryToMakeCompatible|Unable to convert|out of range|is not a match", re.I),
     DataError),
)

#: SQLSTATE class (its first two characters) of a serialised SQL exception -> class.
BY_SQLSTATE_CLASS: dict[str, type[Error]] = {
    "22": DataError,
    "23": IntegrityError,
    "42": ProgrammingError,
    "0A": NotSupportedError,
}

_KIND = re.compile(r"VOLTDB ERROR:\s*([A-Za-z ]+?)(?::|\n|$)")
_DATA = re.compile(r"divide|division|by zero|overflow|out of range|too long|exceeds|"
                   r"truncat|numeric value|Unable to convert|cannot be converted", re.I)


def error_class(status: int, status_string: str | None,
                exception_type: int | None = None, sqlstate: str | None = None) -> type[Error]:
    """The PEP 249 class of a failed call (see the module docstring for the order)."""
    text = status_string or ""
    if exception_type == ExceptionType.CONSTRAINT_FAILURE:
        return IntegrityError
    if exception_type == ExceptionType.SQL_EXCEPTION and sqlstate:
        cls = BY_SQLSTATE_CLASS.get(sqlstate[:2].upper())
        if cls is not None:
            return cls
    match = _KIND.search(text)
    if match:
        kind = match.group(1).strip().upper()
        cls = BY_KIND.get(kind)
        if cls is not None:
            if cls is DatabaseError and _DATA.search(text):
                return DataError
            return cls
    for pattern, cls in BY_MESSAGE:
        if pattern.search(text):
            return cls
    return BY_STATUS.get(status, DatabaseError)


def from_response(response: ClientResponse, what: str = "") -> Error:
    """A PEP 249 exception for a response whose status is not SUCCESS, carrying ``code``
    (the status), ``sqlstate`` (of a serialised SQL exception) and ``message`` (the
    status string, prefixed by ``what``: the procedure called)."""
    exc = response.exception
    exception_type = exc.type if exc is not None else None
    sqlstate = exc.sql_state if exc is not None else None
    cls = error_class(response.status, response.status_string, exception_type, sqlstate)
    text = response.status_string
    if not text and exc is not None:
        text = exc.message
    text = text or "no status string"
    prefix = f"{what}: " if what else ""
    message = f"{prefix}{status_name(response.status)} ({response.status}): {text}"
    return cls(message, code=response.status, sqlstate=sqlstate)
