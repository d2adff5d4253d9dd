"""The one table mapping Ignite 3 error codes to PEP 249 exception classes.

Sources: protocols/ignite3.md 8 (``ErrorGroups.java``: full code = ``group << 16 | code``)
and PEP 249 "Exceptions". By precedence:

1. :data:`BY_CODE`, single codes. Agrees with pyignite_dbapi 3.1.0 where that driver is
   right (0x40005 CONSTRAINT_VIOLATION -> IntegrityError; 0x40003 STMT_PARSE, 0x40004
   STMT_VALIDATION, 0x20002 TABLE_NOT_FOUND -> ProgrammingError) and departs from it where
   PEP 249 names a better class: a cancelled or timed-out query is an OperationalError, an
   internal server fault an InternalError, unmarshallable values NotSupportedError.
2. SQL RUNTIME (0x40007) covers both bad data (division by zero, value out of range, a
   failed cast: DataError) and DDL inside a transaction ("DDL doesn't support
   transactions.": ProgrammingError); the message tells them apart.
3. :data:`BY_GROUP`: the code's group (``code >> 16``).
4. Anything else, and a missing code: DatabaseError.
"""

from __future__ import annotations

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
from dbapi_conformance.drivers.wire.ignite import SQL_UPDATE_COUNTERS, ErrorCode, ErrorInfo

__all__ = ["BY_CODE", "BY_GROUP", "error_class", "from_error_info"]


def _c(group: int, code: int) -> int:
    return group << 16 | code


#: Single full codes (ignite3.md 8).
BY_CODE: dict[int, type[Error]] = {
    ErrorCode.ILLEGAL_ARGUMENT: ProgrammingError,
    ErrorCode.CURSOR_ALREADY_CLOSED: InterfaceError,
    _c(1, 8): ProgrammingError,  # USER_OBJECT_SERIALIZATION
    _c(1, 9): IntegrityError,  # NULLABLE_VALUE: NULL where a value is required
    ErrorCode.RESOURCE_NOT_FOUND: InterfaceError,  # a cursor/tx id the server does not know
    ErrorCode.INTERNAL: InternalError,
    ErrorCode.PROTOCOL: InterfaceError,  # the server could not read our request
    ErrorCode.QUERY_NO_RESULT_SET: ProgrammingError,
    ErrorCode.SCHEMA_NOT_FOUND: ProgrammingError,
    ErrorCode.STMT_PARSE: ProgrammingError,
    ErrorCode.STMT_VALIDATION: ProgrammingError,
    ErrorCode.CONSTRAINT_VIOLATION: IntegrityError,
    ErrorCode.EXECUTION_CANCELLED: OperationalError,  # cancelled, incl. the query timeout
    ErrorCode.RUNTIME: DataError,  # refined by message below
    ErrorCode.MAPPING: InternalError,  # the query could not be mapped onto the cluster
    ErrorCode.TX_CONTROL_INSIDE_EXTERNAL_TX: ProgrammingError,
    _c(0x16, 2): NotSupportedError,  # MARSHALLING UNSUPPORTED_OBJECT_TYPE
}

#: Error groups (``ErrorGroups.java``): code >> 16 -> class.
BY_GROUP: dict[int, type[Error]] = {
    0x1: OperationalError,  # CMN: node stopping, component not started, node left
    0x2: ProgrammingError,  # TBL: table/column exists or not found, schema mismatch
    0x3: OperationalError,  # CLIENT: connection, compatibility, handshake, SSL config
    0x4: ProgrammingError,  # SQL
    0x5: ProgrammingError,  # META
    0x6: ProgrammingError,  # IDX
    0x7: OperationalError,  # TX: lock conflicts, commit/rollback failures, finished tx
    0x8: OperationalError,  # REP: replicator timeouts, group overloaded
    0x9: InternalError,  # STORAGE
    0xA: OperationalError,  # DISTRZONES
    0xB: OperationalError,  # NETWORK
    0xC: OperationalError,  # NODECFG
    0xF: OperationalError,  # AUTHENTICATION
    0x16: DataError,  # MARSHALLING
}

_DDL_IN_TX = "DDL doesn't support transactions"


def error_class(code: int | None, message: str | None = None) -> type[Error]:
    """The PEP 249 class for an Ignite full error ``code`` (None: the server sent none)
    and its ``message``."""
    if code is None:
        return DatabaseError
    if code == ErrorCode.RUNTIME and message and _DDL_IN_TX in message:
        return ProgrammingError
    return BY_CODE.get(code) or BY_GROUP.get(code >> 16) or DatabaseError


def from_error_info(info: ErrorInfo, prefix: str = "") -> Error:
    """A PEP 249 exception for an Ignite error object (ignite3.md 2.4): the message is
    ``"<class>: <message>"`` as the official client shows it; ``code`` the full code,
    ``error_trace`` the server's stack trace text; ``update_counters`` the counts of a
    failed batch's rows that were applied (``sql-update-counters``), else None."""
    cls = error_class(info.code, info.message)
    text = prefix + info.text
    trace = info.stack_trace
    exc = cls(text, code=info.code, error_trace=trace if trace and "\n" in trace else None)
    counters: Any = (info.extensions or {}).get(SQL_UPDATE_COUNTERS)
    exc.update_counters = list(counters) if isinstance(counters, list) else None  # type: ignore[attr-defined]
    exc.trace_id = info.trace_id  # type: ignore[attr-defined]
    exc.class_name = info.class_name  # type: ignore[attr-defined]
    return exc
