"""The engine's neutral errors -> Exasol's ``sqlCode`` and text (exasol.md 3).

Real texts where the notes have them (``object T not found``, ``syntax error, unexpected
...``, ``constraint violation - not null``); every text ends with ``(Session: N)`` as
Exasol's do.
"""

from __future__ import annotations

from dbapi_conformance.drivers.wire.exasol import RequestError, SqlCode
from dbapi_conformance.mockservers.engine import errors as ee
from dbapi_conformance.mockservers.exasol.dialect import DIVISION_BY_ZERO

__all__ = ["ExaError", "from_engine", "NO_SCHEMA"]

NO_SCHEMA = "no schema specified or opened or current schema has been dropped"


class ExaError(RequestError):
    """An error reply of a statement: Exasol's sqlCode and text."""


def _name(err: ee.EngineError) -> str:
    name = getattr(err, "name", None) or ""
    return name.upper() if name == name.lower() else name


def from_engine(err: ee.EngineError) -> ExaError:
    """Map an engine error (engine/errors.py) to Exasol's code and wording."""
    code, text = SqlCode.UNKNOWN, err.message
    if DIVISION_BY_ZERO in err.message:  # dialect.guard_division
        code, text = SqlCode.DIVISION_BY_ZERO, DIVISION_BY_ZERO
    elif isinstance(err, ee.SQLSyntaxError):
        where = f" [line {err.line}, column {err.col}]" if err.line else ""
        code, text = SqlCode.SYNTAX_OR_ACCESS, f"syntax error, {err.message}{where}"
    elif isinstance(err, (ee.UnknownTable, ee.UnknownColumn)):
        name = _name(err)
        if err.schema and isinstance(err, ee.UnknownTable) and "." not in name:
            name = f"{err.schema}.{name}"
        code, text = SqlCode.SYNTAX_OR_ACCESS, f"object {name} not found"
    elif isinstance(err, ee.UnknownSchema):
        code, text = SqlCode.SYNTAX_OR_ACCESS, f"schema {_name(err)} not found"
    elif isinstance(err, ee.UnknownFunction):
        code, text = SqlCode.SYNTAX_OR_ACCESS, f"function or script {_name(err)} not found"
    elif isinstance(err, ee.TableExists):
        code, text = "42500", f"object {_name(err)} already exists"
    elif isinstance(err, ee.SchemaExists):
        code, text = "42500", f"schema {_name(err)} already exists"
    elif isinstance(err, ee.NotNullViolation):
        column = f" ({_name(err)})" if err.name else ""
        code, text = SqlCode.CONSTRAINT_NOT_NULL, f"constraint violation - not null{column}"
    elif isinstance(err, ee.DuplicateKey):
        code, text = SqlCode.CONSTRAINT_KEY, f"constraint violation - primary key ({err.message})"
    elif isinstance(err, ee.ConstraintViolation):
        code, text = SqlCode.CONSTRAINT_NOT_NULL, f"constraint violation - {err.message}"
    elif isinstance(err, ee.CastError) and "Could not cast value" in err.message and (
            "DECIMAL" in err.message or "INT" in err.message):
        # a number that does not fit the target's digits
        code, text = SqlCode.NUMERIC_OUT_OF_RANGE, (
            f"data exception - numeric value out of range; {err.message}")
    elif isinstance(err, ee.CastError):
        code, text = SqlCode.INVALID_CAST, (
            f"data exception - invalid character value for cast; {err.message}")
    elif isinstance(err, ee.DivisionByZero):
        code, text = SqlCode.DIVISION_BY_ZERO, "data exception - division by zero"
    elif isinstance(err, ee.NumericOverflow):
        code, text = SqlCode.NUMERIC_OUT_OF_RANGE, (
            f"data exception - numeric value out of range; {err.message}")
    elif isinstance(err, (ee.InvalidStatement, ee.ParameterError)):
        code, text = SqlCode.SYNTAX_OR_ACCESS, err.message
    elif isinstance(err, ee.Unsupported):
        code, text = "0A000", f"Feature not supported: {err.message}"
    elif isinstance(err, ee.TransactionError):
        code, text = SqlCode.TRANSACTION_CONFLICT, (
            f"GlobalTransactionRollback msg: {err.message}")
    elif isinstance(err, ee.QueryCanceled):
        code, text = SqlCode.QUERY_ABORTED, "Query aborted"
    return ExaError(code, text[:2000])
