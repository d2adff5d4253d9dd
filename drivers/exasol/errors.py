"""The one table mapping Exasol errors to PEP 249 exception classes.

An Exasol error reply is ``{"status": "error", "exception": {"sqlCode": "42000", "text":
...}}`` (protocols/exasol.md 3); ``sqlCode`` is a five-character SQLSTATE-like string,
``00000`` for protocol-level errors. The mapping, by precedence:

1. :data:`BY_TEXT`: message refinements where one code covers several kinds of failure
   (Exasol reports many constraint and data errors under ``42000`` or ``00000``).
2. :data:`BY_CODE`: single codes (``08004`` failed login, ``R0001`` query timeout, ...).
3. :data:`BY_CLASS`: the code's first two characters (SQLSTATE class: ``22`` data, ``23``
   and ``27`` integrity, ``42`` syntax and access, ``08`` connection, ...).
4. Anything else: DatabaseError.

Decisions: protocol errors (``00000``: malformed request, a JSON value of the wrong kind for
a parameter) are InterfaceErrors unless their text says more; timeouts (``R0001``) and
aborted queries (``R0003``) are OperationalErrors; transaction conflicts (``40001``) are
OperationalErrors, as PEP 249 names "a transaction could not be processed" there.
"""

from __future__ import annotations

import re
from typing import Any

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

__all__ = ["BY_CLASS", "BY_CODE", "BY_TEXT", "error_class", "from_server_error"]

#: Single sqlCodes (protocols/exasol.md 3).
BY_CODE: dict[str, type[Error]] = {
    "08004": OperationalError,  # authentication failed, TLS required
    "42X91": IntegrityError,  # primary/foreign key constraint violation
    "R0001": OperationalError,  # query timeout (queryTimeout attribute)
    "R0003": OperationalError,  # query aborted (abortQuery, KILL STATEMENT)
    "40001": OperationalError,  # transaction conflict: rolled back, retry
    "0A000": NotSupportedError,  # feature not supported
}

#: SQLSTATE classes, the sqlCode's first two characters.
BY_CLASS: dict[str, type[Error]] = {
    "00": InterfaceError,  # protocol-level errors of the WebSocket API
    "08": OperationalError,  # connection exceptions
    "0A": NotSupportedError,  # feature not supported
    "22": DataError,  # data exceptions: division by zero, out of range, invalid cast
    "23": IntegrityError,  # integrity constraint violations
    "27": IntegrityError,  # Exasol's constraint violations (NOT NULL, 27001)
    "40": OperationalError,  # transaction rollback
    "42": ProgrammingError,  # syntax errors, access rules, unknown or existing objects
    "R0": OperationalError,  # Exasol's run-time limits: timeouts, aborted queries
    "XX": InternalError,  # internal errors
}

#: (pattern over the message text, class), tried in order before the code tables.
BY_TEXT: tuple[tuple[re.Pattern[str], type[Error]], ...] = (
    (re.compile(r"constraint violation|violated constraint|duplicate key", re.I),
     IntegrityError),
    (re.compile(r"division by zero|out of range|overflow|invalid character value for cast"
                r"|data exception|numeric value", re.I), DataError),
    (re.compile(r"JSON value is not a", re.I), ProgrammingError),
)


def error_class(sql_code: Any, text: str) -> type[Error]:
    """The PEP 249 class for an Exasol error with ``sql_code`` and message ``text``."""
    text = text if isinstance(text, str) else str(text)
    for pattern, cls in BY_TEXT:
        if pattern.search(text):
            return cls
    code = sql_code if isinstance(sql_code, str) else ""
    return BY_CODE.get(code) or BY_CLASS.get(code[:2]) or DatabaseError


def from_server_error(err: Any, *, prefix: str = "") -> Error:
    """A PEP 249 exception for a decoded error reply (``wire.ServerError``: ``sql_code``,
    ``text``), carrying ``code`` and ``sqlstate`` (both the sqlCode) and ``message``."""
    code = err.sql_code if isinstance(err.sql_code, str) else None
    text = err.text if isinstance(err.text, str) else repr(err.text)
    cls = error_class(code, text)
    message = f"{prefix}{text} [sqlCode {code}]" if code else f"{prefix}{text}"
    return cls(message, code=code, sqlstate=code)
