"""The one table mapping CrateDB errors to PEP 249 exception classes.

Sources: protocols/cratedb.md 3.1-3.2 (codes, HTTP statuses, message shapes); PEP 249
"Exceptions" for the classes. The mapping, by precedence:

1. Message refinements for the 4000 and 5000 families, where CrateDB gives several kinds of
   failure one code (the message is ``ExceptionName[text]``):
   - IntegrityError: ``DuplicateKeyException``, ``must not be null`` (NOT NULL violated),
     ``Failed CONSTRAINT`` (CHECK failed);
   - DataError: ``Cannot cast value``, ``/ by zero``, ``division by zero``, ``overflow``,
     ``out of range``, ``ArithmeticException``, ``NumberFormatException``.
   And for 4004: ``UnsupportedFunctionException[Unknown function`` is a ProgrammingError
   (a misspelt function name, not a missing feature).
2. :data:`BY_CODE`: single codes.
3. :data:`BY_FAMILY`: the code's family (its HTTP status: 4041 -> 404).
4. Responses without a CrateDB code (plain-text bodies): :data:`BY_HTTP_STATUS`, else
   ProgrammingError for other 4xx, InternalError for other 5xx, InterfaceError otherwise.

Decisions: a failed login (plain-text 401 from the authentication layer) is an
OperationalError, as in most drivers; a missing privilege (JSON 4010/4011, also HTTP 401)
is a ProgrammingError, like other "you may not run this statement" errors; read-only nodes
and blocked tables (403x), overload (4290), unavailable shards or cluster (5002, 503x) and
killed queries (5005) are OperationalErrors; other server failures (5000, 5001, 5003) are
InternalErrors.
"""

from __future__ import annotations

import re

from dbapi_conformance.drivers._dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
)
from dbapi_conformance.drivers.wire.cratedb import ServerError, http_status

__all__ = ["BY_CODE", "BY_FAMILY", "BY_HTTP_STATUS", "error_class", "from_server_error"]

#: Single CrateDB error codes (cratedb.md 3.2).
BY_CODE: dict[int, type[Error]] = {
    4003: IntegrityError,  # field validation failed (constraint checks)
    4004: NotSupportedError,  # feature not supported (yet)
    4005: NotSupportedError,  # ALTER TABLE on an alias
    4090: IntegrityError,  # conflict
    4091: IntegrityError,  # duplicate primary key
    4092: IntegrityError,  # version conflict (optimistic concurrency)
    5002: OperationalError,  # shards not available
    5004: OperationalError,  # snapshot creation failed
    5005: OperationalError,  # query killed
    5006: OperationalError,  # repository verification failed
}

#: Code families, keyed by the family's HTTP status (cratedb.md 3.2).
BY_FAMILY: dict[int, type[Error]] = {
    400: ProgrammingError,  # syntax, analysis, invalid names; 4000 also every bad argument
    401: ProgrammingError,  # not authorized / missing privilege for the statement
    403: OperationalError,  # read-only node, closed or blocked relation
    404: ProgrammingError,  # unknown relation, column, schema, function, user
    409: ProgrammingError,  # something already exists (4090-4092 are in BY_CODE)
    429: OperationalError,  # too many requests
    500: InternalError,  # unhandled server error, task or shard failure
    503: OperationalError,  # cluster unavailable, no master, no shard
}

#: Responses without a CrateDB error code (plain-text bodies from outside the SQL handler).
BY_HTTP_STATUS: dict[int, type[Error]] = {
    401: OperationalError,  # authentication failed
    403: OperationalError,  # the path is not CrateDB's SQL endpoint (wrong URL path)
    404: OperationalError,  # the path is not CrateDB's SQL endpoint (wrong URL path)
    413: DataError,  # request body larger than http.max_content_length
    429: OperationalError,  # executor rejected the request
    502: OperationalError,
    503: OperationalError,
    504: OperationalError,
}

_INTEGRITY = re.compile(r"DuplicateKeyException|must not be null|Failed CONSTRAINT")
_DATA = re.compile(
    r"Cannot cast value|/ by zero|[Dd]ivision by zero|overflow|out of range"
    r"|ArithmeticException|NumberFormatException"
)
_UNKNOWN_FUNCTION = "UnsupportedFunctionException[Unknown function"


def error_class(code: int | None, message: str, status: int) -> type[Error]:
    """The PEP 249 class for a CrateDB error ``code`` (None when the body had none), its
    ``message`` and the HTTP ``status``."""
    if code is None:
        if status in BY_HTTP_STATUS:
            return BY_HTTP_STATUS[status]
        if 400 <= status < 500:
            return ProgrammingError
        if 500 <= status < 600:
            return InternalError
        return InterfaceError
    family = http_status(code) if code >= 1000 else status
    if family in (400, 500):
        if _INTEGRITY.search(message):
            return IntegrityError
        if _DATA.search(message):
            return DataError
    if code == 4004 and message.startswith(_UNKNOWN_FUNCTION):
        return ProgrammingError
    return BY_CODE.get(code) or BY_FAMILY.get(family) or DatabaseError


def from_server_error(err: ServerError) -> Error:
    """A PEP 249 exception for a decoded CrateDB error response (cratedb.md 3.1), carrying
    ``code``, ``message``, ``error_trace`` and ``http_status``."""
    code = err.code if isinstance(err.code, int) and not isinstance(err.code, bool) else None
    cls = error_class(code, err.message, err.http_status)
    message = err.message
    if code is None and not message.startswith("HTTP"):
        message = f"HTTP {err.http_status}: {message}"
    return cls(
        message, code=code, error_trace=err.error_trace, http_status=err.http_status
    )
