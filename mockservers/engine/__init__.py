"""SQL engine adapter shared by the mock servers: DuckDB sessions, sqlglot dialect translation,
database-neutral errors and column metadata.

Usage::

    from dbapi_conformance.mockservers.engine import Engine, Column, Result, errors
    engine = Engine(path=None)              # one DuckDB database (a file path persists it)
    session = engine.session()              # one per client connection, own transaction
    res = session.execute("SELECT $1 + 1", [41])
    res.columns, res.rows, res.rowcount     # [Column('($1 + 1)', 'INTEGER', ...)], [(42,)], 1
    engine.translate("SELECT x::int8 FROM t", read="postgres")

See engine.py (Engine), session.py (Session, Result), types.py (Column and the type name
scheme), translate.py (sqlglot) and errors.py (the error classes and DuckDB mapping).
"""

from dbapi_conformance.mockservers.engine import errors
from dbapi_conformance.mockservers.engine.engine import Engine
from dbapi_conformance.mockservers.engine.session import Result, Session
from dbapi_conformance.mockservers.engine.translate import parse, parse_all, to_sql, translate
from dbapi_conformance.mockservers.engine.types import (
    Column,
    base_type,
    element_type,
    quote_ident,
    struct_fields,
)

__all__ = [
    "Engine",
    "Session",
    "Result",
    "Column",
    "errors",
    "translate",
    "parse",
    "parse_all",
    "to_sql",
    "element_type",
    "struct_fields",
    "base_type",
    "quote_ident",
]
