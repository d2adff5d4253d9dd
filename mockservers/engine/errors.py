"""Database-neutral errors of the SQL engine, and the mapping from DuckDB's exceptions.

Every error a :class:`~dbapi_conformance.mockservers.engine.Session` raises is an
:class:`EngineError`; a raw ``duckdb`` exception never escapes the engine. Each mock server
maps these classes to its own database's error codes and messages, using the attributes
(``name``, ``schema``, ``table``, ``line``, ``col`` ...) rather than the text, which is
DuckDB's wording.

Hierarchy::

    EngineError                 .message (one line, DuckDB's wording), .original (full text)
      UnknownTable(name)        table or view; .name as written ("t" or "s.t"), .table, .schema
      UnknownColumn(name)       .name; .table when the message names it
      UnknownSchema(name)       .name; .table when a qualified table name was looked up
      UnknownFunction(name)     unknown function, or no overload for the argument types
      TableExists(name)         table or view name taken; .kind "table" or "view"
      SchemaExists(name)
      ConstraintViolation       CHECK, foreign key, other constraints
        DuplicateKey            primary key / unique; .key ("id: 1" or "1") when known
        NotNullViolation(name)  .name = column, .table
      SQLSyntaxError            parse errors; .line, .col (1-based) when known
      InvalidStatement          parses but is invalid: GROUP BY misuse, ambiguous column...
      CastError                 a value cannot be converted to the target type, or a
                                parameter value has a Python type DuckDB cannot bind
      DivisionByZero
      NumericOverflow           arithmetic overflow, integer value out of range (also a
                                Python int parameter beyond 128 bits)
      ParameterError            missing / surplus parameter values; .missing, .surplus
      Unsupported               unknown type, not implemented, disabled feature
      TransactionError          write-write conflict, aborted transaction, no transaction
      QueryCanceled             Session.interrupt() stopped the statement
      InternalError             anything else (DuckDB internal, I/O, closed session)
"""

from __future__ import annotations

import re

import duckdb

__all__ = [
    "EngineError",
    "UnknownTable",
    "UnknownColumn",
    "UnknownSchema",
    "UnknownFunction",
    "TableExists",
    "SchemaExists",
    "ConstraintViolation",
    "DuplicateKey",
    "NotNullViolation",
    "SQLSyntaxError",
    "InvalidStatement",
    "CastError",
    "DivisionByZero",
    "NumericOverflow",
    "ParameterError",
    "Unsupported",
    "TransactionError",
    "QueryCanceled",
    "InternalError",
    "from_duckdb",
]


class EngineError(Exception):
    """Base class. ``message``: one-line text; ``original``: DuckDB's full text (or None)."""

    def __init__(self, message: str, *, original: str | None = None):
        super().__init__(message)
        self.message = message
        self.original = original

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class _NamedError(EngineError):
    """An error about a named object; ``name`` is the object's name as DuckDB reports it."""

    _default = "{name}"

    def __init__(self, name: str | None, message: str | None = None, *,
                 original: str | None = None, schema: str | None = None,
                 table: str | None = None):
        super().__init__(message or self._default.format(name=name), original=original)
        self.name = name
        self.schema = schema
        self.table = table


class UnknownTable(_NamedError):
    _default = 'table "{name}" does not exist'


class UnknownColumn(_NamedError):
    _default = 'column "{name}" does not exist'


class UnknownSchema(_NamedError):
    _default = 'schema "{name}" does not exist'


class UnknownFunction(_NamedError):
    _default = 'function "{name}" does not exist'


class TableExists(_NamedError):
    _default = 'table "{name}" already exists'

    def __init__(self, name, message=None, *, kind: str = "table", **kw):
        super().__init__(name, message, **kw)
        self.kind = kind


class SchemaExists(_NamedError):
    _default = 'schema "{name}" already exists'


class ConstraintViolation(EngineError):
    pass


class DuplicateKey(ConstraintViolation):
    def __init__(self, message: str = "duplicate key", *, key: str | None = None,
                 original: str | None = None):
        super().__init__(message, original=original)
        self.key = key


class NotNullViolation(ConstraintViolation):
    def __init__(self, name: str | None = None, message: str | None = None, *,
                 table: str | None = None, original: str | None = None):
        super().__init__(message or f'column "{name}" must not be NULL', original=original)
        self.name = name
        self.table = table


class SQLSyntaxError(EngineError):
    """``line`` and ``col`` are 1-based positions in the statement text, or None."""

    def __init__(self, message: str, *, line: int | None = None, col: int | None = None,
                 original: str | None = None):
        super().__init__(message, original=original)
        self.line = line
        self.col = col


class InvalidStatement(EngineError):
    pass


class CastError(EngineError):
    pass


class DivisionByZero(EngineError):
    pass


class NumericOverflow(EngineError):
    pass


class ParameterError(EngineError):
    """``missing``: placeholder numbers without a value; ``surplus``: values without one."""

    def __init__(self, message: str, *, missing: list[int] | None = None,
                 surplus: list[int] | None = None, original: str | None = None):
        super().__init__(message, original=original)
        self.missing = missing or []
        self.surplus = surplus or []


class Unsupported(EngineError):
    pass


class TransactionError(EngineError):
    pass


class QueryCanceled(EngineError):
    pass


class InternalError(EngineError):
    pass


# --- mapping -------------------------------------------------------------------------------

_PREFIX = re.compile(r"^[A-Za-z ]*Error: ")
_NAME = r'"?(?P<name>[^"!\n]+?)"?'


def _first_line(text: str) -> str:
    line = text.split("\n", 1)[0]
    return _PREFIX.sub("", line, count=1).strip()


def _position(text: str) -> tuple[int | None, int | None]:
    """Line/column from DuckDB's "LINE n: <text>" plus caret line, when present."""
    m = re.search(r"\nLINE (\d+): (.*)\n( *)\^", text)
    if not m:
        return None, None
    prefix = len(f"LINE {m.group(1)}: ")
    return int(m.group(1)), len(m.group(3)) - prefix + 1


def _split_qualified(name: str) -> tuple[str | None, str]:
    schema, dot, table = name.rpartition(".")
    return (schema or None) if dot else None, table


_CATALOG = [
    (re.compile(r'^(?:Table|View) with name "(?P<name>[^"]+)" does not exist because schema '
                r'"(?P<schema>[^"]+)" does not exist'), "schema_of_table"),
    (re.compile(rf"^(?:Table|View) with name {_NAME} does not exist"), "table"),
    (re.compile(rf"^Schema with name {_NAME} does not exist"), "schema"),
    (re.compile(rf"^(?P<kind>Table|View) with name {_NAME} already exists"), "exists"),
    (re.compile(rf"^Schema with name {_NAME} already exists"), "schema_exists"),
    (re.compile(rf"^\w+ Function with name {_NAME} does not exist"), "function"),
    (re.compile(rf"^Type with name {_NAME} does not exist"), "type"),
]

_COLUMN = [
    re.compile(r'^Referenced column "(?P<name>[^"]+)" (?:was )?not found'),
    re.compile(r'^Table "(?P<table>[^"]+)" does not have a column (?:named|with name) '
               r'"(?P<name>[^"]+)"'),
    re.compile(r"^Referenced update column (?P<name>\S+) not found in table"),
    re.compile(r'^Column "(?P<name>[^"]+)" referenced that does not exist'),
]


def _catalog(msg: str, original: str) -> EngineError:
    for pattern, what in _CATALOG:
        m = pattern.search(msg)
        if not m:
            continue
        name = m.group("name")
        if what == "schema_of_table":
            return UnknownSchema(m.group("schema"), msg, original=original,
                                 table=_split_qualified(name)[1])
        if what == "table":
            schema, table = _split_qualified(name)
            return UnknownTable(name, msg, original=original, schema=schema, table=table)
        if what == "schema":
            return UnknownSchema(name, msg, original=original)
        if what == "exists":
            schema, table = _split_qualified(name)
            return TableExists(name, msg, original=original, kind=m.group("kind").lower(),
                               schema=schema, table=table)
        if what == "schema_exists":
            return SchemaExists(name, msg, original=original)
        if what == "function":
            return UnknownFunction(name, msg, original=original)
        return Unsupported(msg, original=original)  # unknown type name
    if "does not exist" in msg:
        return Unsupported(msg, original=original)
    return InvalidStatement(msg, original=original)


def _binder(msg: str, original: str) -> EngineError:
    for pattern in _COLUMN:
        m = pattern.search(msg)
        if m:
            table = m.groupdict().get("table")
            return UnknownColumn(m.group("name"), msg, original=original, table=table)
    m = re.search(r'^Referenced table "(?P<name>[^"]+)" not found', msg)
    if m:
        return UnknownTable(m.group("name"), msg, original=original, table=m.group("name"))
    m = re.search(r'function call "(?P<name>[^"(]+)\(', msg) or re.search(
        r"No function matches the given name and argument types '(?P<name>[^'(]+)\(", msg)
    if m:
        return UnknownFunction(m.group("name"), msg, original=original)
    if "Cannot mix values of type" in msg or "Cannot compare values" in msg:
        return CastError(msg, original=original)
    return InvalidStatement(msg, original=original)


def _constraint(msg: str, original: str) -> EngineError:
    m = re.search(r'^NOT NULL constraint failed: (?:"?(?P<table>[^".]+)"?\.)?"?(?P<name>[^"]+)"?',
                  msg)
    if m:
        return NotNullViolation(m.group("name"), msg, table=m.group("table"), original=original)
    m = re.search(r'[Dd]uplicate key "(?P<key>[^"]*)"', msg)
    if m:
        return DuplicateKey(msg, key=m.group("key"), original=original)
    return ConstraintViolation(msg, original=original)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def _invalid_input(msg: str, original: str) -> EngineError:
    if msg.startswith("Division by zero"):
        return DivisionByZero(msg, original=original)
    m = re.search(r"Values were not provided for the following parameters: (.*)$", msg)
    if m:
        return ParameterError(msg, missing=_numbers(m.group(1)), original=original)
    m = re.search(r"identifiers of the excess parameters: (.*)$", msg)
    if m:
        return ParameterError(msg, surplus=_numbers(m.group(1)), original=original)
    if "Parameter argument/count mismatch" in msg or "prepared statement parameter" in msg:
        return ParameterError(msg, original=original)
    if "integer too large" in msg:
        return NumericOverflow(msg, original=original)
    if "Required module 'pytz'" in msg:
        return InternalError("the Python package pytz is needed for TIMESTAMP WITH TIME ZONE "
                             "values", original=original)
    if msg.startswith("Cannot change configuration") or "is not supported" in msg:
        return Unsupported(msg, original=original)
    return InternalError(msg, original=original)


def from_duckdb(exc: BaseException) -> EngineError:
    """Map a DuckDB exception to the matching :class:`EngineError` (never raises)."""
    if isinstance(exc, EngineError):
        return exc
    original = str(exc)
    msg = _first_line(original)
    if isinstance(exc, duckdb.ParserException):
        line, col = _position(original)
        return SQLSyntaxError(msg, line=line, col=col, original=original)
    if isinstance(exc, duckdb.CatalogException):
        return _catalog(msg, original)
    if isinstance(exc, duckdb.BinderException):
        return _binder(msg, original)
    if isinstance(exc, duckdb.ConstraintException):
        return _constraint(msg, original)
    if isinstance(exc, duckdb.ConversionException):
        if "out of range" in msg:
            return NumericOverflow(msg, original=original)
        return CastError(msg, original=original)
    if isinstance(exc, duckdb.OutOfRangeException):
        return NumericOverflow(msg, original=original)
    if isinstance(exc, duckdb.InterruptException):
        return QueryCanceled(msg, original=original)
    if isinstance(exc, duckdb.TransactionException):
        return TransactionError(msg, original=original)
    if isinstance(exc, duckdb.InvalidInputException):
        return _invalid_input(msg, original)
    if isinstance(exc, duckdb.DependencyException):
        return InvalidStatement(msg, original=original)
    if "Unable to transform python value" in msg:  # a parameter of an unbindable type
        return CastError(msg, original=original)
    if isinstance(exc, (duckdb.NotImplementedException, duckdb.PermissionException)):
        return Unsupported(msg, original=original)
    if isinstance(exc, duckdb.ConnectionException):
        return InternalError(msg, original=original)
    if isinstance(exc, duckdb.TypeMismatchException):
        return CastError(msg, original=original)
    return InternalError(msg or type(exc).__name__, original=original)
