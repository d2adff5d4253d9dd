"""Ignite 3 SQL (Apache Calcite) to DuckDB, through sqlglot.

What differs from DuckDB and is handled here:

- unquoted identifiers are upper-cased, as Calcite does (``select id from t`` names the
  column ``ID``); quoted ones keep their case;
- an unaliased projection that is not a column is named ``EXPR$<n>`` (n = its position);
- ``CREATE TABLE`` needs a primary key, and may end with Ignite's storage clauses
  (``COLOCATE [BY] (cols)``, ``ZONE name``, ``STORAGE PROFILE 'p'``, ``WITH ...``), which the
  mock records (SYSTEM.TABLES) and DuckDB never sees; type lengths and precisions other than
  DECIMAL's are dropped (DuckDB has no VARBINARY(n) or TIMESTAMP(p));
- ``CREATE ZONE`` / ``ALTER ZONE`` / ``DROP ZONE`` are Ignite's own (:func:`zone_statement`);
- ``EXPLAIN [PLAN FOR]`` answers one ``PLAN`` column (DuckDB's plan text); statements
  Ignite does not have (SET, PRAGMA, SHOW, COPY, ...) are parse errors;
- one statement per SQL_EXEC; a script is split on the semicolons between statements.

Translations are pure functions of the text, cached (a dict whose reads and writes are
atomic), so connections may share the cache.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Tokenizer, TokenType

__all__ = ["Statement", "translate", "numbered_insert", "split_script", "DialectError",
           "zone_statement", "ZoneStatement"]

_CACHE: dict[tuple[str, str], Statement] = {}
_CACHE_SIZE = 2048
_CACHED_TEXT = 16 * 1024

QUERY, DML, DDL, TX, ZONE, EXPLAIN, OTHER = (
    "query", "dml", "ddl", "tx", "zone", "explain", "other")


class DialectError(Exception):
    """A statement Ignite refuses before running it: ``kind`` is ``"parse"`` (a syntax error,
    STMT_PARSE) or ``"validation"`` (STMT_VALIDATION)."""

    def __init__(self, message: str, kind: str = "parse") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


@dataclass(frozen=True)
class Statement:
    """One translated statement: ``kind`` (query, dml, ddl, tx, zone, explain: ``sql`` is
    then the statement explained), the DuckDB ``sql``, and for CREATE TABLE the ``table``
    (schema or None, name), its ``zone`` and ``colocation`` columns."""

    kind: str
    sql: str
    table: tuple[str | None, str] | None = None
    zone: str | None = None
    colocation: tuple[str, ...] = ()
    if_not_exists: bool = False


def split_script(script: str) -> list[str]:
    """The statements of a script, split on top-level semicolons (strings and comments are
    the tokenizer's); empty ones dropped. DialectError for text that does not tokenize."""
    try:
        tokens = Tokenizer().tokenize(script)
    except TokenError as exc:
        raise DialectError(f"Failed to parse query: {exc}") from None
    out, start = [], 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            out.append(script[start:token.start])
            start = token.end + 1
    out.append(script[start:])
    return [s.strip() for s in out if s.strip()]


# CREATE TABLE tails Ignite accepts after the column list
_TAIL = re.compile(
    r"""\s*(?:
        COLOCATE(?:\s+BY)?\s*\((?P<coloc>[^)]*)\)
      | ZONE\s+(?P<zone>"[^"]+"|\w+)
      | STORAGE\s+PROFILE\s+'[^']*'
      | WITH\s*\([^)]*\)
      | WITH\s+\w+\s*=\s*(?:'[^']*'|\w+)(?:\s*,\s*\w+\s*=\s*(?:'[^']*'|\w+))*
    )""", re.IGNORECASE | re.VERBOSE)
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(?:PLAN\s+FOR\s+|MAPPING\s+FOR\s+)?", re.I)
_TX_CONTROL = re.compile(r"^\s*(?:START\s+TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b", re.I)
_CREATE_TABLE = re.compile(r"^\s*CREATE\s+TABLE\b", re.IGNORECASE)


def _name(text: str) -> str:
    text = text.strip()
    if text.startswith('"') and text.endswith('"'):
        return text[1:-1].replace('""', '"')
    return text.upper()


def _split_create_tail(sql: str) -> tuple[str, str | None, tuple[str, ...]]:
    """``CREATE TABLE ... (cols)`` without Ignite's storage clauses, and the zone and
    colocation columns they named."""
    depth, close = 0, None
    try:
        tokens = Tokenizer().tokenize(sql)
    except TokenError as exc:
        raise DialectError(f"Failed to parse query: {exc}") from None
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                close = token.end + 1
                break
    if close is None:
        return sql, None, ()
    head, tail = sql[:close], sql[close:].rstrip().rstrip(";")
    zone, coloc = None, ()
    pos = 0
    while pos < len(tail):
        m = _TAIL.match(tail, pos)
        if m is None or m.end() == pos:
            break
        if m.group("zone"):
            zone = _name(m.group("zone"))
        if m.group("coloc") is not None:
            coloc = tuple(_name(c) for c in m.group("coloc").split(",") if c.strip())
        pos = m.end()
    if tail[pos:].strip():
        raise DialectError(f"Failed to parse query: Encountered \"{tail[pos:].strip()[:40]}\"")
    return head, zone, coloc


def _upper_identifiers(tree: exp.Expression) -> None:
    for ident in tree.find_all(exp.Identifier):
        if not ident.quoted:
            ident.set("this", ident.name.upper())
        ident.set("quoted", True)


def _name_expressions(select: exp.Select) -> None:
    for i, projection in enumerate(select.expressions):
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)):
            continue
        select.expressions[i] = exp.alias_(projection, f"EXPR${i}", quoted=True)


def _plain_types(tree: exp.Expression) -> None:
    for dtype in tree.find_all(exp.DataType):
        if dtype.this not in (exp.DataType.Type.DECIMAL,):
            dtype.set("expressions", [])


def _has_primary_key(create: exp.Create) -> bool:
    schema = create.this
    if not isinstance(schema, exp.Schema):
        return True  # CREATE TABLE ... AS: refused elsewhere or by DuckDB
    for node in schema.expressions:
        if isinstance(node, exp.PrimaryKey):
            return True
        if isinstance(node, exp.ColumnDef) and any(
                isinstance(c.kind, exp.PrimaryKeyColumnConstraint)
                for c in node.args.get("constraints") or []):
            return True
    return False


def _kind(tree: exp.Expression) -> str:
    if isinstance(tree, (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Values)):
        return QUERY
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete, exp.Merge)):
        return DML
    if isinstance(tree, (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable)):
        return DDL
    if isinstance(tree, (exp.Transaction, exp.Commit, exp.Rollback)):
        return TX
    if isinstance(tree, exp.Describe):
        return QUERY
    return OTHER


def translate(sql: str, catalog: str = "memory") -> Statement:
    """One Ignite statement as DuckDB SQL; ``catalog`` qualifies references to the SYSTEM
    schema (DuckDB has a catalog of that name). DialectError for several statements, a
    syntax error, or a CREATE TABLE without a primary key."""
    key = (catalog, sql)
    hit = _CACHE.get(key)
    if hit is not None:
        return hit
    statement = _translate(sql, catalog)
    if len(sql) <= _CACHED_TEXT:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = statement
    return statement


def _translate(sql: str, catalog: str) -> Statement:
    parts = split_script(sql)
    if not parts:
        raise DialectError("Failed to parse query: Encountered \"<EOF>\" at line 1, column 1")
    if len(parts) > 1:
        raise DialectError("Multiple statements are not allowed.")
    text = parts[0]
    if zone_statement(text) is not None:
        return Statement(ZONE, text)
    if _TX_CONTROL.match(text):
        return Statement(TX, text)
    explain = _EXPLAIN.match(text)
    if explain:
        inner = _translate(text[explain.end():], catalog)
        if inner.kind not in (QUERY, DML):
            raise DialectError("Failed to parse query: EXPLAIN takes a query or DML")
        return Statement(EXPLAIN, inner.sql)
    zone, coloc = None, ()
    if _CREATE_TABLE.match(text):
        text, zone, coloc = _split_create_tail(text)
    try:
        # postgres reads as Calcite does where it matters here: NULLs sort high
        trees = sqlglot.parse(text, read="postgres")
    except (ParseError, TokenError) as exc:
        raise DialectError(f"Failed to parse query: {str(exc).splitlines()[0]}") from None
    if len(trees) != 1 or trees[0] is None:
        raise DialectError("Failed to parse query: not one statement")
    tree = trees[0]
    kind = _kind(tree)
    if kind == TX:
        return Statement(TX, text)
    if kind == OTHER:  # SET, PRAGMA, SHOW, COPY, ...: not Ignite SQL
        raise DialectError("Failed to parse query: Non-query expression encountered in "
                           "illegal context")
    _upper_identifiers(tree)
    for table in tree.find_all(exp.Table):
        if table.db == "SYSTEM" and not table.catalog:
            table.set("catalog", exp.to_identifier(catalog, quoted=True))
    if isinstance(tree, exp.Select):
        _name_expressions(tree)
    table = None
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        if not _has_primary_key(tree):
            raise DialectError("Table without PRIMARY KEY is not supported", "validation")
        _plain_types(tree)
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        table = (target.db or None, target.name)
        if zone is None:
            zone = "DEFAULT"
        return Statement(DDL, tree.sql(dialect="duckdb"), table, zone, coloc,
                         bool(tree.args.get("exists")))
    _plain_types(tree)
    return Statement(kind, tree.sql(dialect="duckdb"))


@dataclass(frozen=True)
class ZoneStatement:
    """``CREATE ZONE`` / ``ALTER ZONE`` / ``DROP ZONE``: ``action``, zone ``name``,
    ``if_exists`` (IF EXISTS / IF NOT EXISTS), ``partitions`` and ``replicas`` when given."""

    action: str
    name: str
    if_exists: bool
    partitions: int | None = None
    replicas: int | None = None


_ZONE = re.compile(
    r"^\s*(?P<action>CREATE|ALTER|DROP)\s+ZONE\s+(?P<if>IF\s+(?:NOT\s+)?EXISTS\s+)?"
    r"(?P<name>\"[^\"]+\"|\w+)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_ZONE_OPTION = re.compile(r"\b(PARTITIONS|REPLICAS)\s*=?\s*(\d+)", re.IGNORECASE)


def zone_statement(sql: str) -> ZoneStatement | None:
    """The zone statement ``sql`` is, or None when it is none."""
    m = _ZONE.match(sql)
    if m is None:
        return None
    options = {k.upper(): int(v) for k, v in _ZONE_OPTION.findall(m.group("rest"))}
    return ZoneStatement(m.group("action").upper(), _name(m.group("name")),
                         bool(m.group("if")), options.get("PARTITIONS"),
                         options.get("REPLICAS"))


def numbered_insert(sql: str) -> str | None:
    """A translated one-row ``INSERT ... VALUES (?, ...)`` with its placeholders numbered
    ``$1..$n`` in order (what the engine's one-statement batch insert takes), or None for
    any other statement."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
    except (ParseError, TokenError):
        return None
    values = tree.expression if isinstance(tree, exp.Insert) else None
    if not isinstance(values, exp.Values) or len(values.expressions) != 1:
        return None
    placeholders = list(tree.find_all(exp.Placeholder, bfs=False))
    if any(p.this for p in placeholders) or any(
            p.find_ancestor(exp.Values) is not values for p in placeholders):
        return None
    for i, placeholder in enumerate(placeholders, 1):
        placeholder.set("this", str(i))
    return tree.sql(dialect="duckdb")
