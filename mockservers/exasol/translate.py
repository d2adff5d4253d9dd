"""Exasol SQL -> DuckDB SQL, through sqlglot's ``exasol`` dialect, plus the statement kinds
the mock handles itself (OPEN/CLOSE SCHEMA, COMMIT/ROLLBACK, ALTER SESSION).

Where Exasol differs from DuckDB and what is done about it (dialect.py holds the AST rules):

- unquoted identifiers are upper case in Exasol (``create table t`` makes ``T``): every
  unquoted identifier is upper-cased before DuckDB sees it;
- Exasol's integer types are DECIMALs (INTEGER = DECIMAL(18,0), BIGINT = DECIMAL(36,0),
  SMALLINT = DECIMAL(9,0), TINYINT = DECIMAL(3,0), a bare DECIMAL = DECIMAL(18,0)); FLOAT and
  REAL are DOUBLE; character types lose their ``UTF8``/``ASCII`` suffix;
- an unnamed select expression is named after its text (``COUNT(*)``, ``2``);
- ``?`` placeholders become DuckDB's ``$1..$n`` and each remembers the column it meets
  (``INSERT INTO t VALUES (?)``, ``col = ?``, ``SET col = ?``): that column's type is the
  parameter's type in ``createPreparedStatement``.

:func:`translate` is cached by text (statements are immutable values).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from dbapi_conformance.mockservers.exasol import dialect

__all__ = ["Statement", "translate", "SqlError"]

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_CLOSE_SCHEMA = re.compile(r"^\s*CLOSE\s+SCHEMA\s*;?\s*$", re.IGNORECASE)
_ALTER_SESSION = re.compile(
    r"^\s*ALTER\s+SESSION\s+SET\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"
    r"(?P<value>'(?:[^']|'')*'|[A-Za-z0-9_.+-]+)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
# character set suffixes sqlglot's exasol dialect does not parse: VARCHAR(10) UTF8
_CHARSET = re.compile(r"\)\s+(?:CHARACTER\s+SET\s+)?(UTF8|ASCII)\b", re.IGNORECASE)


class SqlError(Exception):
    """A statement that cannot be read: ``text`` in Exasol's wording (sqlCode 42000)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class Statement:
    """One translated statement.

    ``kind``: "query" (rows), "dml", "ddl", "create_schema", "drop_schema", "open_schema",
    "close_schema", "commit", "rollback", "alter_session". ``sql``: DuckDB text (engine
    kinds). ``schema``: the schema of open/create/drop schema. ``placeholders``: number of
    ``?``; ``hints``: per placeholder ``(table, column)`` (table as ``(schema, name)``,
    schema None = unqualified; column a name or a 0-based position) or None.
    ``tables``: unqualified table names referenced (no schema open = an error).
    ``setting``: ``(NAME, value)`` of ALTER SESSION. ``targets``: ``(schema, name)`` of
    every table a statement other than a query names (schema None = unqualified), so that
    the system schema can be kept read-only.
    """

    kind: str
    sql: str = ""
    schema: str | None = None
    placeholders: int = 0
    hints: tuple = ()
    tables: tuple[str, ...] = ()
    setting: tuple[str, str] | None = None
    targets: tuple[tuple[str | None, str], ...] = ()


@functools.lru_cache(maxsize=2048)
def translate(text: str) -> Statement:
    """The :class:`Statement` of one Exasol SQL text. Raises SqlError (syntax errors,
    several statements)."""
    if _CLOSE_SCHEMA.match(text):
        return Statement("close_schema")
    m = _ALTER_SESSION.match(text)
    if m:
        value = m.group("value")
        if value.startswith("'"):
            value = value[1:-1].replace("''", "'")
        return Statement("alter_session", setting=(m.group("name").upper(), value))
    try:
        trees = [t for t in sqlglot.parse(_CHARSET.sub(")", text), read="exasol") if t]
    except (ParseError, TokenError) as exc:
        raise SqlError(_syntax_text(exc)) from None
    if not trees:
        raise SqlError("syntax error, unexpected end of input [line 1, column 1]")
    if len(trees) > 1:
        raise SqlError("syntax error, unexpected ';' - only one statement per execute")
    tree = trees[0]
    if isinstance(tree, exp.Command):
        word = (tree.this or "").upper()
        raise SqlError(f"syntax error, unexpected {word or 'command'} [line 1, column 1]")
    tree = dialect.normalize(tree)
    if isinstance(tree, exp.Use):
        return Statement("open_schema", schema=tree.this.name)
    if isinstance(tree, exp.Commit):
        return Statement("commit")
    if isinstance(tree, exp.Rollback):
        return Statement("rollback")
    kind = _kind(tree)
    schema = None
    if kind in ("create_schema", "drop_schema"):
        target = tree.find(exp.Table)
        schema = (target.db or target.name) if target is not None else None
    hints = dialect.placeholder_hints(tree)
    tables = dialect.unqualified_tables(tree)
    targets = () if kind == "query" else tuple(
        (t.db or None, t.name) for t in tree.find_all(exp.Table) if t.name)
    if kind == "query":
        dialect.name_columns(tree)
    dialect.map_types(tree)
    dialect.map_functions(tree)
    dialect.guard_division(tree)
    tree = dialect.number_placeholders(tree)
    try:
        sql = tree.sql(dialect="duckdb")
    except Exception as exc:  # sqlglot cannot write it for DuckDB
        raise SqlError(f"syntax error, {exc}"[:300]) from None
    return Statement(kind, sql, schema, len(hints), tuple(hints), tables, targets=targets)


def _kind(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Query) or isinstance(tree, (exp.Describe,)):
        return "query"
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return "dml"
    if isinstance(tree, exp.Create) and (tree.args.get("kind") or "").upper() == "SCHEMA":
        return "create_schema"
    if isinstance(tree, exp.Drop) and (tree.args.get("kind") or "").upper() == "SCHEMA":
        return "drop_schema"
    return "ddl"


def _syntax_text(exc: Exception) -> str:
    errors = getattr(exc, "errors", None) or []
    if errors:
        first = errors[0]
        token = (first.get("highlight") or "").strip() or "end of input"
        return (f"syntax error, unexpected {token} [line {first.get('line', 1)}, "
                f"column {first.get('col', 1)}]")
    return f"syntax error, {str(exc).splitlines()[0]}"[:300]
