"""Ignite 3 error answers of the mock: engine and dialect errors as Ignite's codes, Java
class names and messages (ignite3.md 8; apache/ignite-3 ``ErrorGroups``,
``SqlExceptionMapperProvider``)."""

from __future__ import annotations

import uuid

from dbapi_conformance.drivers.wire.ignite import (
    IGNITE_EXCEPTION,
    SQL_EXCEPTION,
    TX_EXCEPTION,
    ErrorCode,
    ErrorInfo,
)
from dbapi_conformance.mockservers.engine import errors as eng
from dbapi_conformance.mockservers.ignite.dialect import DialectError

__all__ = ["IgniteError", "from_engine", "from_dialect", "sql_error", "tx_error",
           "internal_error"]


class IgniteError(Exception):
    """An error the mock answers with: ``info`` is the wire error object."""

    def __init__(self, info: ErrorInfo) -> None:
        super().__init__(info.text)
        self.info = info


def _info(code: int, class_name: str, message: str) -> ErrorInfo:
    return ErrorInfo(int(code), class_name, message, uuid.uuid4())


def sql_error(code: int, message: str) -> IgniteError:
    """A ``SqlException`` with ``code`` (ErrorCode)."""
    return IgniteError(_info(code, SQL_EXCEPTION, message))


def tx_error(code: int, message: str) -> IgniteError:
    return IgniteError(_info(code, TX_EXCEPTION, message))


def internal_error(message: str, code: int = ErrorCode.INTERNAL) -> IgniteError:
    return IgniteError(_info(code, IGNITE_EXCEPTION, message))


def from_dialect(exc: DialectError) -> IgniteError:
    code = ErrorCode.STMT_VALIDATION if exc.kind == "validation" else ErrorCode.STMT_PARSE
    message = exc.message if exc.kind == "parse" else f"Failed to validate query. {exc.message}"
    return sql_error(code, message)


def from_engine(exc: eng.EngineError) -> IgniteError:
    """The Ignite answer to an engine error (the statement failed while running or being
    validated)."""
    if isinstance(exc, (eng.UnknownTable, eng.UnknownColumn, eng.UnknownFunction)):
        return sql_error(ErrorCode.STMT_VALIDATION,
                         f"Failed to validate query. Object '{exc.name}' not found")
    if isinstance(exc, eng.UnknownSchema):
        return sql_error(ErrorCode.SCHEMA_NOT_FOUND, f"Schema not found [schemaName={exc.name}]")
    if isinstance(exc, eng.TableExists):
        return sql_error(ErrorCode.STMT_VALIDATION,
                         f"Failed to validate query. Table with name '{exc.name}' already exists")
    if isinstance(exc, eng.DuplicateKey):
        return sql_error(ErrorCode.CONSTRAINT_VIOLATION,
                         "PK unique constraint is violated [key=" + (exc.key or "") + "]")
    if isinstance(exc, eng.NotNullViolation):
        return sql_error(ErrorCode.CONSTRAINT_VIOLATION,
                         f"Column '{exc.name}' does not allow NULLs")
    if isinstance(exc, eng.ConstraintViolation):
        return sql_error(ErrorCode.CONSTRAINT_VIOLATION, exc.message)
    if isinstance(exc, eng.SQLSyntaxError):
        return sql_error(ErrorCode.STMT_PARSE, f"Failed to parse query: {exc.message}")
    if isinstance(exc, eng.ParameterError):
        return sql_error(ErrorCode.STMT_VALIDATION, f"Failed to validate query. {exc.message}")
    if isinstance(exc, (eng.InvalidStatement, eng.Unsupported)):
        return sql_error(ErrorCode.STMT_VALIDATION, f"Failed to validate query. {exc.message}")
    if isinstance(exc, eng.DivisionByZero):
        return sql_error(ErrorCode.RUNTIME, "Division by zero")
    if isinstance(exc, (eng.NumericOverflow, eng.CastError)):
        return sql_error(ErrorCode.RUNTIME, exc.message)
    if isinstance(exc, eng.QueryCanceled):
        return sql_error(ErrorCode.EXECUTION_CANCELLED, "The query was cancelled while executing.")
    if isinstance(exc, eng.TransactionError):
        return tx_error(ErrorCode.TX_COMMIT if "commit" in exc.message.lower()
                        else _code(7, 4), exc.message)  # ACQUIRE_LOCK: a write conflict
    return internal_error(exc.message)


def _code(group: int, code: int) -> int:
    return group << 16 | code
