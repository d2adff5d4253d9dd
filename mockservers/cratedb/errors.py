"""CrateDB errors of the mock: code, exception name and text (cratedb.md 3.1, 3.2).

:class:`CrateError` is what a handler raises; :func:`from_engine` turns the engine's neutral
errors into CrateDB's own codes, exception names and messages (crate/crate ``HttpError``,
``SQLExceptions.prepareForClientTransmission``: IllegalArgumentException becomes
SQLParseException 4000, UnsupportedOperationException becomes UnsupportedFeatureException
4004, anything unmapped is 5000).
"""

from __future__ import annotations

import re

from dbapi_conformance.drivers.wire.cratedb import ErrorCode, error_message, http_status
from dbapi_conformance.mockservers.cratedb import sized
from dbapi_conformance.mockservers.engine import errors as eng

__all__ = ["CrateError", "from_engine", "error_trace", "parsing_error", "relation_unknown",
           "column_unknown", "cast_error", "duplicate_key"]

# Java packages of the exception names, used for the error_trace text only.
_PACKAGES = {
    "ArithmeticException": "java.lang",
    "IllegalArgumentException": "java.lang",
    "UnsupportedOperationException": "java.lang",
    "ParsingException": "io.crate.sql.parser",
}


class CrateError(Exception):
    """A CrateDB error answer: ``code`` (e.g. 4041), ``name`` (the Java exception's simple
    name, e.g. ``RelationUnknown``) and ``text`` (its message). ``message`` is
    ``Name[text]`` as CrateDB sends it; ``status`` is the HTTP status of the code family."""

    def __init__(self, code: int, name: str, text: str, *, runtime: bool = False):
        super().__init__(error_message(name, text))
        self.code = int(code)
        self.name = name
        self.text = text
        #: True for failures CrateDB reports per item of a bulk request (rowcount -2):
        #: duplicate keys and constraint checks; analysis errors fail the whole request.
        self.runtime = runtime

    @property
    def message(self) -> str:
        return error_message(self.name, self.text)

    @property
    def status(self) -> int:
        return http_status(self.code)


def parse_error(text: str) -> CrateError:
    """SQLParseException (4000): IllegalArgumentException and friends."""
    return CrateError(4000, "SQLParseException", text)


def parsing_error(line: int, col: int, text: str) -> CrateError:
    """A grammar error as CrateDB's parser words it: ``line L:C: <text>``."""
    return CrateError(4000, "ParsingException", f"line {line}:{col}: {text}")


def relation_unknown(name: str) -> CrateError:
    return CrateError(ErrorCode.UNKNOWN_RELATION, "RelationUnknown", f"Relation '{name}' unknown")


def schema_unknown(name: str) -> CrateError:
    return CrateError(ErrorCode.UNKNOWN_SCHEMA, "SchemaUnknownException",
                      f"Schema '{name}' unknown")


def column_unknown(name: str) -> CrateError:
    return CrateError(ErrorCode.UNKNOWN_COLUMN, "ColumnUnknownException", f"Column {name} unknown")


def relation_exists(qualified: str) -> CrateError:
    return CrateError(ErrorCode.RELATION_ALREADY_EXISTS, "RelationAlreadyExists",
                      f"Relation '{qualified}' already exists.")


def duplicate_key() -> CrateError:
    return CrateError(ErrorCode.DUPLICATE_PRIMARY_KEY, "DuplicateKeyException",
                      "A document with the same primary key exists already", runtime=True)


def cast_error(value: object, type_name: str) -> CrateError:
    return parse_error(f"Cannot cast value `{value}` to type `{type_name}`")


def unsupported(text: str) -> CrateError:
    return CrateError(ErrorCode.POSSIBLE_FEATURE_NOT_SUPPORTED_YET,
                      "UnsupportedFeatureException", text)


def not_null(column: str) -> CrateError:
    """NOT NULL violated by an explicit NULL (ConstraintsValidator): 4000, a runtime failure
    in bulk requests."""
    return CrateError(4000, "SQLParseException", f'"{column}" must not be null', runtime=True)


def _to_crate_type_name(duck: str) -> str:
    d = duck.upper()
    for key, name in (("BIGINT", "bigint"), ("HUGEINT", "bigint"), ("SMALLINT", "smallint"),
                      ("TINYINT", "byte"), ("INT", "integer"), ("DOUBLE", "double precision"),
                      ("FLOAT", "real"), ("DECIMAL", "numeric"), ("BOOL", "boolean"),
                      ("TIMESTAMP WITH TIME ZONE", "timestamp with time zone"),
                      ("TIMESTAMP", "timestamp without time zone"), ("DATE", "date"),
                      ("VARCHAR", "text"), ("JSON", "object"), ("UUID", "uuid")):
        if key in d:
            return name
    return duck.lower()


def _cast_message(msg: str) -> str:
    # DuckDB: Could not convert string 'abc' to INT32 / Conversion Error: ... 'abc' ... INT32
    m = re.search(r"(?:string|value) '(?P<v>[^']*)' to (?P<t>[A-Z0-9_ ]+)", msg)
    if m:
        return f"Cannot cast value `{m.group('v')}` to type `{_duck_internal(m.group('t'))}`"
    m = re.search(r"[Tt]ype (?P<f>\w+) with value (?P<v>\S+) can't be cast (?:because the value "
                  r"is out of range )?(?:for|to) the destination type (?P<t>\w+)", msg)
    if m:
        return f"Cannot cast value `{m.group('v')}` to type `{_duck_internal(m.group('t'))}`"
    m = re.search(r"Could not cast value (?P<v>\S+) to (?P<t>[A-Z]+)", msg)
    if m:
        value = m.group("v")
        if "." in value:
            value = value.rstrip("0").rstrip(".")
        return f"Cannot cast value `{value}` to type `{_duck_internal(m.group('t'))}`"
    return msg


def _duck_internal(t: str) -> str:
    return {
        "INT8": "byte", "INT16": "smallint", "INT32": "integer", "INT64": "bigint",
        "INT128": "bigint", "FLOAT": "real", "DOUBLE": "double precision", "BOOL": "boolean",
        "DATE": "date", "TIMESTAMP": "timestamp without time zone",
        "TIMESTAMP WITH TIME ZONE": "timestamp with time zone", "UUID": "uuid",
    }.get(t.strip().upper(), _to_crate_type_name(t.strip()))


def from_engine(err: eng.EngineError) -> CrateError:
    """CrateDB's answer for an engine error (cratedb.md 3.1/3.2)."""
    msg = err.message or ""
    if isinstance(err, eng.UnknownTable):
        return relation_unknown(err.name or "")
    if isinstance(err, eng.UnknownSchema):
        return schema_unknown(err.name or "")
    if isinstance(err, eng.UnknownColumn):
        return column_unknown(err.name or "")
    if isinstance(err, eng.UnknownFunction):
        return CrateError(ErrorCode.POSSIBLE_FEATURE_NOT_SUPPORTED_YET,
                          "UnsupportedFunctionException", f"Unknown function: {err.name}(...)")
    if isinstance(err, eng.TableExists):
        return relation_exists(err.name or "")
    if isinstance(err, eng.DuplicateKey):
        return duplicate_key()
    if isinstance(err, eng.NotNullViolation):
        return not_null(err.name or "")
    if isinstance(err, eng.ConstraintViolation):
        return CrateError(ErrorCode.FIELD_VALIDATION_FAILED, "ColumnValidationException", msg,
                          runtime=True)
    if isinstance(err, eng.SQLSyntaxError):
        return parsing_error(err.line or 1, err.col or 1, msg)
    if isinstance(err, eng.CastError):
        return parse_error(_cast_message(msg))
    if isinstance(err, eng.DivisionByZero) or msg.endswith("/ by zero"):
        # BinaryScalar wraps ArithmeticException in IllegalArgumentException -> 4000.
        return parse_error("/ by zero")
    if isinstance(err, eng.NumericOverflow):
        if "cast" in msg or "out of range" in msg:
            return parse_error(_cast_message(msg))
        kind = "long" if "INT64" in msg or "INT128" in msg else "integer"
        return parse_error(f"{kind} overflow")
    if isinstance(err, eng.ParameterError):
        return parse_error(msg)
    if isinstance(err, eng.Unsupported):
        return unsupported(msg)
    if isinstance(err, eng.InvalidStatement):
        return parse_error(msg)
    too_long = sized.too_long(msg)
    if too_long is not None:  # a VARCHAR(n) / CHARACTER(n) write; per bulk item
        return CrateError(4000, "SQLParseException", too_long, runtime=True)
    return CrateError(ErrorCode.UNHANDLED_SERVER_ERROR, "RuntimeException", msg)


def error_trace(err: CrateError) -> str:
    """A Java-looking stack trace for ``?error_trace`` (cratedb.md 1.1): the exception's
    qualified class name and message, then a few frames of the mock."""
    package = _PACKAGES.get(err.name, "io.crate.exceptions")
    frames = [
        "io.crate.rest.action.SqlHttpHandler.handleSQLRequest(SqlHttpHandler.java:231)",
        "io.crate.rest.action.SqlHttpHandler.channelRead0(SqlHttpHandler.java:121)",
        "io.netty.channel.SimpleChannelInboundHandler.channelRead("
        "SimpleChannelInboundHandler.java:99)",
        "java.base/java.lang.Thread.run(Thread.java:1583)",
    ]
    return f"{package}.{err.name}: {err.text}\n" + "".join(f"\tat {f}\n" for f in frames)
