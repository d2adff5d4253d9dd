"""SQL dialect translation to DuckDB through sqlglot.

Two routes:

- text to text: :func:`translate` (``"postgres"`` SQL in, DuckDB SQL out), cached per
  (sql, read) pair since mock servers see the same statements again and again;
- AST: :func:`parse` / :func:`parse_all` give sqlglot expressions a mock can rewrite (rename
  tables, types, functions) before :func:`to_sql` turns them into DuckDB SQL.

Placeholders ``?`` and ``$n`` pass through unchanged. ``read`` is any sqlglot dialect name
("postgres", "duckdb", ...). Parse and tokenizer errors raise
:class:`~dbapi_conformance.mockservers.engine.errors.SQLSyntaxError` with ``line``/``col``
(1-based) when sqlglot reports them; an unknown dialect raises ``ValueError``.
"""

from __future__ import annotations

import functools
import re

import sqlglot
from sqlglot import errors as sqlglot_errors
from sqlglot import exp

from dbapi_conformance.mockservers.engine.errors import SQLSyntaxError, Unsupported

__all__ = ["translate", "parse", "parse_all", "to_sql", "bulk_insert_sql"]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _syntax_error(exc: Exception) -> SQLSyntaxError:
    details = getattr(exc, "errors", None) or []
    if details:
        first = details[0]
        line, col = first.get("line"), first.get("col")
        text = first.get("description") or "syntax error"
        where = (first.get("start_context") or "") + (first.get("highlight") or "")
        message = f"{text} at line {line}, column {col}" if line else text
        if where.strip():
            message += f" near '{where.strip()[-40:]}'"
        return SQLSyntaxError(message, line=line, col=col, original=_ANSI.sub("", str(exc)))
    message = _ANSI.sub("", str(exc)).split("\n", 1)[0] or "syntax error"
    return SQLSyntaxError(message, original=_ANSI.sub("", str(exc)))


def _dialect(read: str):
    try:
        return sqlglot.Dialect.get_or_raise(read)
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"unknown SQL dialect {read!r}") from exc


def parse_all(sql: str, read: str = "postgres") -> list[exp.Expression]:
    """All statements of ``sql`` as sqlglot expressions (empty statements dropped)."""
    dialect = _dialect(read)
    try:
        statements = dialect.parse(sql)
    except (sqlglot_errors.ParseError, sqlglot_errors.TokenError) as exc:
        raise _syntax_error(exc) from None
    return [s for s in statements if s is not None]


def parse(sql: str, read: str = "postgres") -> exp.Expression:
    """The single statement of ``sql`` as a sqlglot expression.

    Raises SQLSyntaxError for a parse error, an empty text or more than one statement.
    """
    statements = parse_all(sql, read)
    if not statements:
        raise SQLSyntaxError("empty statement")
    if len(statements) > 1:
        raise SQLSyntaxError(f"expected one statement, got {len(statements)}")
    return statements[0]


def to_sql(expression: exp.Expression) -> str:
    """DuckDB SQL text of a sqlglot expression (raises Unsupported if sqlglot cannot)."""
    try:
        return expression.sql(dialect="duckdb", unsupported_level=sqlglot_errors.ErrorLevel.RAISE)
    except sqlglot_errors.UnsupportedError as exc:
        raise Unsupported(str(exc).split("\n", 1)[0]) from None


@functools.lru_cache(maxsize=2048)
def _translate_cached(sql: str, read: str) -> str:
    return "; ".join(to_sql(s) for s in parse_all(sql, read))


def translate(sql: str, read: str = "postgres") -> str:
    """``sql`` in dialect ``read`` -> DuckDB SQL text (statements joined with ``"; "``;
    an empty text gives ``""``). Raises SQLSyntaxError or Unsupported."""
    return _translate_cached(sql, read)


@functools.lru_cache(maxsize=256)
def bulk_insert_sql(sql: str, types: tuple[str, ...]) -> str | None:
    """DuckDB ``INSERT INTO t [(cols)] VALUES (<one row over $1..$n>)`` rewritten to insert
    a whole column of values per placeholder at once: ``$k`` becomes a list of DuckDB type
    ``types[k-1][]`` (``$1::INTEGER[]``), unnested in step with the others, so that one
    statement inserts every row (``INSERT ... SELECT <the row> FROM (SELECT unnest($1::T1[])
    AS p1, ...)``). None for any other statement: several rows, ON CONFLICT, RETURNING,
    placeholders beyond ``types``, or text sqlglot cannot read."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (sqlglot_errors.ParseError, sqlglot_errors.TokenError):
        return None
    if not isinstance(tree, exp.Insert) or any(
            tree.args.get(k) for k in ("conflict", "returning", "where", "overwrite")):
        return None
    values = tree.expression
    if not isinstance(values, exp.Values) or len(values.expressions) != 1:
        return None
    row = values.expressions[0]
    numbers = set()
    for node in row.find_all(exp.Placeholder):
        n = str(node.this)
        if not n.isdigit() or not 1 <= int(n) <= len(types):
            return None
        numbers.add(int(n))
        node.replace(exp.column(f"p{n}", table="bulk_rows"))
    if numbers != set(range(1, len(types) + 1)):
        return None  # every value list must be unnested, or the lists would not line up
    unnested = ", ".join(f"unnest(${k}::{t}[]) AS p{k}" for k, t in enumerate(types, 1))
    select = sqlglot.parse_one(f"SELECT 1 FROM (SELECT {unnested}) AS bulk_rows",
                               read="duckdb")
    select.set("expressions", row.expressions)
    tree.set("expression", select)
    return to_sql(tree)
