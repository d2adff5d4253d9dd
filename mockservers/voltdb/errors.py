"""VoltDB's answers to failed calls: status codes, status strings and serialised exceptions.

Sources: protocols/voltdb.md 4.2 (status codes), 5.1 (@AdHoc texts), 5.3 (DDL), 5.5
(``"VOLTDB ERROR: " + kind + "\\n  " + message`` from ProcedureRunner.getErrorResponse),
VoltDB/voltdb ``exceptions/*`` (the SerializableException kinds and SQL states).
"""

from __future__ import annotations

from dataclasses import dataclass

from dbapi_conformance.drivers.wire.voltdb import (
    ConstraintType,
    ExceptionType,
    Status,
    VoltException,
)
from dbapi_conformance.mockservers.engine import errors as eerr
from dbapi_conformance.mockservers.voltdb.dialect import LENGTH_CHECK

__all__ = ["CallError", "from_engine", "not_found", "wrong_parameter_count", "adhoc_count",
           "graceful", "unexpected", "ADHOC_NO_QUERY", "ADHOC_EMPTY", "ADHOC_MIXED",
           "ADHOC_PARAMS_MULTI"]

ADHOC_NO_QUERY = "Adhoc system procedure requires at least the query parameter."
ADHOC_EMPTY = "Failed to plan, no SQL statement provided."
ADHOC_MIXED = "DDL mixed with DML and queries is unsupported."
RESULT_OVERFLOW = ("Output from SQL stmt overflowed output/network buffer of 50mb (-32k for "
                   "message headers). Try a \"limit\" clause or a stronger predicate.")
ADHOC_PARAMS_MULTI = (
    "The @AdHoc stored procedure when called with more than one parameter must be passed a "
    "single parameterized SQL statement as its first parameter. Pass each parameterized SQL "
    "statement to a separate callProcedure invocation.")


@dataclass
class CallError(Exception):
    """A failed call: ``status`` (:class:`Status`), ``text`` (the status string) and the
    serialised ``exception`` VoltDB sends with it, if any."""

    status: int
    text: str
    exception: VoltException | None = None

    def __str__(self) -> str:
        return self.text


def graceful(text: str) -> CallError:
    return CallError(Status.GRACEFUL_FAILURE, text)


def unexpected(text: str) -> CallError:
    return CallError(Status.UNEXPECTED_FAILURE, text)


def not_found(name: str) -> CallError:
    """An unknown procedure (InvocationDispatcher)."""
    return unexpected(f"Procedure {name} was not found")


def wrong_parameter_count(name: str, expected: int, got: int) -> CallError:
    """A user procedure called with the wrong number of values (ProcedureRunner)."""
    return graceful(f"PROCEDURE {name} EXPECTS {expected} PARAMS, BUT RECEIVED {got}")


def adhoc_count(expected: int, got: int) -> CallError:
    return graceful(f"Incorrect number of parameters passed: expected {expected}, "
                    f"passed {got}")


def _ascii(text: str) -> str:
    # voltdbclient reads exception messages byte by byte as signed chars (chr() of a
    # negative byte fails), so non-ASCII characters go as escapes
    return text.encode("ascii", "backslashreplace").decode("ascii")


def _sql_error(message: str, state: str) -> CallError:
    return CallError(Status.GRACEFUL_FAILURE, f"VOLTDB ERROR: SQL ERROR\n  {message}",
                     VoltException(ExceptionType.SQL_EXCEPTION, _ascii(message),
                                   sql_state=state))


def _constraint(kind: ConstraintType, table: str, detail: str) -> CallError:
    message = (f"Constraint Type {kind.name}, Table CatalogId {table}\n{detail}")
    return CallError(Status.GRACEFUL_FAILURE, f"VOLTDB ERROR: CONSTRAINT VIOLATION\n  {message}",
                     VoltException(ExceptionType.CONSTRAINT_FAILURE, _ascii(message),
                                   sql_state="23000", constraint_type=kind, table_name=table))


def from_engine(exc: eerr.EngineError, table: str | None = None) -> CallError:
    """The VoltDB answer to an engine error of one statement (``table``: the DML target,
    for constraint failures)."""
    tname = (getattr(exc, "table", None) or table or "").upper()
    if isinstance(exc, eerr.DuplicateKey):
        kind = (ConstraintType.PRIMARY_KEY if "primary key" in exc.message.lower()
                else ConstraintType.UNIQUE)
        key = exc.key or ""
        return _constraint(kind, tname, f"Relevant Tuples:\n{key}")
    if isinstance(exc, eerr.NotNullViolation):
        column = (exc.name or "").split(".")[-1].upper()
        return _constraint(ConstraintType.NOT_NULL, tname,
                           f"Attempted violation of NOT NULL constraint on column {column}")
    if isinstance(exc, eerr.ConstraintViolation):
        m = LENGTH_CHECK.search(exc.message) or LENGTH_CHECK.search(exc.original or "")
        if m:
            kind = "VARCHAR" if m.group(1).lower() == "length" else "VARBINARY"
            return _sql_error(f"The size of the value exceeds the size of the "
                              f"{kind}({m.group(3)}) column {m.group(2)}.", "22001")
        return _constraint(ConstraintType.UNIQUE, tname, exc.message)
    if isinstance(exc, eerr.DivisionByZero):
        return _sql_error("Attempted to divide by 0", "22012")
    if isinstance(exc, eerr.NumericOverflow):
        return _sql_error(f"Type out of range: {exc.message}", "22003")
    if isinstance(exc, eerr.CastError):
        return _sql_error(f"Type conversion error: {exc.message}", "22018")
    if isinstance(exc, (eerr.UnknownTable, eerr.UnknownColumn, eerr.UnknownSchema)):
        name = (exc.name or "").split(".")[-1].upper()
        return graceful(f"user lacks privilege or object not found: {name}")
    if isinstance(exc, eerr.UnknownFunction):
        return graceful(f"user lacks privilege or object not found: {(exc.name or '').upper()}")
    if isinstance(exc, eerr.TableExists):
        return graceful(f"object name already exists: {(exc.name or '').upper()}")
    if isinstance(exc, eerr.SQLSyntaxError):
        return graceful(exc.message)
    if isinstance(exc, eerr.ParameterError):
        return graceful(exc.message)
    if isinstance(exc, eerr.QueryCanceled):
        return CallError(Status.GRACEFUL_FAILURE, "Transaction Interrupted")
    if isinstance(exc, (eerr.InvalidStatement, eerr.Unsupported)):
        return graceful(exc.message)
    return CallError(Status.UNEXPECTED_FAILURE,
                     f"VOLTDB ERROR: UNEXPECTED FAILURE:\n  {exc.message}",
                     VoltException(ExceptionType.GENERIC, _ascii(exc.message)))
