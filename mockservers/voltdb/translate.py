"""VoltDB statement texts -> what the mock runs: splitting a batch, telling DDL from DML,
VoltDB-only statements (PARTITION, CREATE / DROP PROCEDURE), and DuckDB SQL with VoltDB's
result column names.

VoltDB facts: protocols/voltdb.md 5.1 (batches split on ``;``), 5.3 (DDL statements),
5.2 (result shapes). Result columns: a column keeps its (upper-case) name, an alias its
alias, any other expression is named ``C<n>`` by its 1-based position, as VoltDB names them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import errors as sqlglot_errors
from sqlglot import exp

from dbapi_conformance.mockservers.engine import errors as eerr
from dbapi_conformance.mockservers.voltdb.dialect import rewrite

__all__ = ["MAX_RESULT_ROWS", "split_statements", "Statement", "classify", "translate",
           "VoltStatement", "parse_volt_statement", "MAX_SQL_LENGTH"]

#: Most rows one statement may return: VoltDB refuses results over 50 MB; the mock counts
#: rows instead of bytes so that it never holds an unbounded result (queries get a LIMIT
#: of one more row, and a statement that fills it is refused).
MAX_RESULT_ROWS = 500_000
#: Longest SQL text accepted (VoltDB strings are at most 1 MiB, voltdb.md 9.16).
MAX_SQL_LENGTH = 1024 * 1024
_DDL_WORDS = frozenset({"CREATE", "DROP", "ALTER", "PARTITION", "DR", "SET", "IMPORT",
                        "EXPORT"})


def split_statements(sql: str) -> list[str]:
    """``sql`` cut at ``;`` outside quotes and comments; empty pieces dropped."""
    out: list[str] = []
    start = i = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == c:
                    if j + 1 < n and sql[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            continue
        if c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == ";":
            out.append(sql[start:i])
            start = i + 1
        i += 1
    out.append(sql[start:])
    return [s.strip() for s in out if _strip_comments(s).strip()]


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


def first_word(text: str) -> str:
    m = re.match(r"\s*\(*\s*([A-Za-z_]+)", _strip_comments(text))
    return m.group(1).upper() if m else ""


def classify(text: str) -> str:
    """"ddl", "dml" or "query" (SELECT, EXPLAIN and anything else that is not DDL)."""
    word = first_word(text)
    if word in _DDL_WORDS:
        return "ddl"
    if word in ("INSERT", "UPDATE", "DELETE", "UPSERT", "TRUNCATE"):
        return "dml"
    return "query"


@dataclass(frozen=True)
class Statement:
    """One translated statement: DuckDB ``sql``, the number of ``?`` placeholders, the
    statement ``kind`` ("query" / "dml" / "ddl"), ``read_only``, and for DML the target
    ``table`` (upper case)."""

    sql: str
    placeholders: int
    kind: str
    read_only: bool
    table: str | None = None
    #: per placeholder, in order: the target column it is a value for (an INSERT value,
    #: ``SET col = ?``, ``col = ?``) as a column name or a 0-based position in ``table``,
    #: or None where it has none; () when unknown
    slots: tuple = ()


def _syntax(exc: Exception) -> eerr.SQLSyntaxError:
    details = getattr(exc, "errors", None) or []
    if details:
        token = (details[0].get("highlight") or "").strip()
        if token:
            return eerr.SQLSyntaxError(f"unexpected token: {token}")
    return eerr.SQLSyntaxError("unexpected token: " + str(exc).split("\n", 1)[0][:80])


def _name_outputs(select: exp.Select) -> None:
    for i, proj in enumerate(select.expressions, 1):
        if isinstance(proj, (exp.Alias, exp.Column, exp.Star)):
            continue
        select.expressions[i - 1] = exp.alias_(proj, f"C{i}", quoted=True)


def _cap_rows(tree: exp.Expression) -> None:
    limit = tree.args.get("limit")
    cap = MAX_RESULT_ROWS + 1
    if limit is None:
        tree.set("limit", exp.Limit(expression=exp.Literal.number(cap)))
        return
    value = limit.args.get("expression")
    if isinstance(value, exp.Literal) and value.is_int and int(value.this) > cap:
        limit.set("expression", exp.Literal.number(cap))
    # a LIMIT ? is left alone: its value is the client's


#: Texts up to this length are cached (2048 of them); longer ones are translated each time,
#: so that the cache never holds gigabytes of SQL.
_CACHED_TEXT = 16 * 1024


def translate(text: str) -> Statement:
    """One VoltDB DML / query / standard DDL statement -> :class:`Statement`. Raises
    SQLSyntaxError (VoltDB's "unexpected token" wording) or Unsupported."""
    if len(text) <= _CACHED_TEXT:
        return _translate_cached(text)
    return _translate(text)


@functools.lru_cache(maxsize=2048)
def _translate_cached(text: str) -> Statement:
    return _translate(text)


#: Statements VoltDB's planner has no words for, which DuckDB would run: transaction
#: control (a COMMIT or ROLLBACK would end the call's transaction half-way, breaking the
#: batch's all-or-nothing) and DuckDB's own commands.
_NOT_VOLTDB = frozenset({"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT",
                         "RELEASE", "PRAGMA", "ATTACH", "DETACH", "INSTALL", "LOAD", "USE",
                         "CHECKPOINT", "FORCE", "VACUUM", "RESET", "CALL", "COPY", "SUMMARIZE",
                         "DESCRIBE", "SHOW", "PIVOT", "UNPIVOT"})


def _translate(text: str) -> Statement:
    if len(text) > MAX_SQL_LENGTH:
        raise eerr.Unsupported(f"SQL statement of {len(text)} characters is over "
                               f"{MAX_SQL_LENGTH}")
    word = first_word(text)
    if word in _NOT_VOLTDB:
        raise eerr.SQLSyntaxError(f"unexpected token: {word}")
    kind = classify(text)
    body = text
    upsert = first_word(text) == "UPSERT"
    if upsert:
        body = re.sub(r"^\s*upsert", "INSERT", _strip_comments(text), count=1, flags=re.I)
    try:
        trees = [t for t in sqlglot.parse(body, read="postgres") if t is not None]
    except (sqlglot_errors.ParseError, sqlglot_errors.TokenError) as exc:
        raise _syntax(exc) from None
    except RecursionError:
        raise eerr.Unsupported("statement nested too deeply") from None
    if len(trees) != 1:
        raise eerr.SQLSyntaxError("unexpected token: ;")
    tree = rewrite(trees[0])
    if upsert and isinstance(tree, exp.Insert):
        tree.set("alternative", "REPLACE")
    if isinstance(tree, exp.Select):
        _name_outputs(tree)
    elif isinstance(tree, exp.Union):
        left = tree
        while isinstance(left, exp.Union):
            left = left.this
        if isinstance(left, exp.Select):
            _name_outputs(left)
    if isinstance(tree, (exp.Select, exp.Union)):
        _cap_rows(tree)
    marks = list(tree.find_all(exp.Placeholder, bfs=False))
    placeholders = len(marks)
    table = None
    slots: tuple = ()
    if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
        target = tree.find(exp.Table)
        table = target.name if target is not None else None
        slots = tuple(_slot(tree, m) for m in marks)
    try:
        sql = tree.sql(dialect="duckdb", unsupported_level=sqlglot_errors.ErrorLevel.RAISE)
    except sqlglot_errors.UnsupportedError as exc:
        raise eerr.Unsupported(str(exc).split("\n", 1)[0]) from None
    return Statement(sql, placeholders, kind, kind == "query", table, slots)


def _slot(tree: exp.Expression, mark: exp.Placeholder):
    """The column ``mark`` is a value for (name or position), or None."""
    parent = mark.parent
    if isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values) and \
            isinstance(tree, exp.Insert):
        position = next(i for i, e in enumerate(parent.expressions) if e is mark)
        schema = tree.this
        if isinstance(schema, exp.Schema) and schema.expressions:
            cols = schema.expressions
            return cols[position].name if position < len(cols) else None
        return position
    if isinstance(parent, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)):
        other = parent.expression if parent.this is mark else parent.this
        if isinstance(other, exp.Column):
            return other.name
    return None


# --- VoltDB-only DDL --------------------------------------------------------------------------

_NAME = r'("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)'


def _ident(text: str) -> str:
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text.upper()


def _proc_name(text: str) -> str:
    # procedure names keep their case (they are looked up case-insensitively)
    return text[1:-1].replace('""', '"') if text.startswith('"') else text


@dataclass(frozen=True)
class VoltStatement:
    """A DDL statement DuckDB does not know. ``kind``: "partition_table",
    "partition_procedure", "create_procedure", "drop_procedure", "ignored"; ``name`` the
    table or procedure, ``table`` / ``column`` / ``parameter`` the partitioning, ``body``
    the statement of a CREATE PROCEDURE, ``if_exists`` for DROP PROCEDURE."""

    kind: str
    name: str = ""
    table: str | None = None
    column: str | None = None
    parameter: int | None = None
    body: str | None = None
    if_exists: bool = False


_PARTITION_TABLE = re.compile(rf"^\s*PARTITION\s+TABLE\s+{_NAME}\s+ON\s+COLUMN\s+{_NAME}\s*$",
                              re.I | re.S)
_PARTITION_ON = (rf"PARTITION\s+ON\s+TABLE\s+{_NAME}\s+COLUMN\s+{_NAME}"
                 r"(?:\s+PARAMETER\s+(\d+))?")
_PARTITION_PROC = re.compile(rf"^\s*PARTITION\s+PROCEDURE\s+{_NAME}\s+ON\s+TABLE\s+{_NAME}"
                             rf"\s+COLUMN\s+{_NAME}(?:\s+PARAMETER\s+(\d+))?\s*$", re.I | re.S)
_CREATE_PROC = re.compile(
    rf"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?PROCEDURE\s+{_NAME}"
    rf"((?:\s+(?:{_PARTITION_ON}|ALLOW\s+[^\s]+(?:\s*,\s*[^\s]+)*|DIRECTED))*)"
    r"\s+AS\s+(.*)$", re.I | re.S)
_CREATE_PROC_FROM_CLASS = re.compile(r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?PROCEDURE\s+.*\bFROM\s+"
                                     r"CLASS\b", re.I | re.S)
_DROP_PROC = re.compile(rf"^\s*DROP\s+PROCEDURE\s+{_NAME}(\s+IF\s+EXISTS)?\s*$", re.I | re.S)
_IGNORED = re.compile(r"^\s*(CREATE\s+ROLE|DROP\s+ROLE|DR\s+TABLE|SET\s+DR|IMPORT\s+CLASS"
                      r"|CREATE\s+FUNCTION|DROP\s+FUNCTION)\b", re.I)
_DROP_TABLE_IF = re.compile(rf"^\s*DROP\s+(TABLE|VIEW)\s+{_NAME}\s+IF\s+EXISTS(\s+CASCADE)?\s*$",
                            re.I | re.S)


def parse_volt_statement(text: str) -> VoltStatement | None:
    """The VoltDB-only DDL statement ``text`` is, or None for standard SQL. Raises
    Unsupported for CREATE PROCEDURE ... FROM CLASS (Java procedures)."""
    clean = _strip_comments(text).strip()
    if m := _PARTITION_TABLE.match(clean):
        return VoltStatement("partition_table", _ident(m.group(1)), _ident(m.group(1)),
                             _ident(m.group(2)))
    if m := _PARTITION_PROC.match(clean):
        return VoltStatement("partition_procedure", _proc_name(m.group(1)), _ident(m.group(2)),
                             _ident(m.group(3)), int(m.group(4)) if m.group(4) else None)
    if m := _CREATE_PROC.match(clean):
        options = m.group(2) or ""
        part = re.search(_PARTITION_ON, options, re.I)
        return VoltStatement("create_procedure", _proc_name(m.group(1)),
                             _ident(part.group(1)) if part else None,
                             _ident(part.group(2)) if part else None,
                             int(part.group(3)) if part and part.group(3) else None,
                             body=m.group(m.lastindex).strip())
    if _CREATE_PROC_FROM_CLASS.match(clean):
        raise eerr.Unsupported("Java stored procedures (CREATE PROCEDURE FROM CLASS) cannot "
                               "be loaded into this server")
    if m := _DROP_PROC.match(clean):
        return VoltStatement("drop_procedure", _proc_name(m.group(1)), if_exists=bool(m.group(2)))
    if m := _DROP_TABLE_IF.match(clean):
        # VoltDB puts IF EXISTS after the name; DuckDB before it
        return VoltStatement("drop_if_exists", _ident(m.group(2)), table=m.group(1).upper(),
                             if_exists=True, body=m.group(3) or "")
    if _IGNORED.match(clean):
        return VoltStatement("ignored")
    return None
