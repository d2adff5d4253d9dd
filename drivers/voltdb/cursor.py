"""The VoltDB Cursor: SQL through ``@AdHoc``, stored procedures through ``callproc``.

- ``execute(sql, params)`` invokes ``@AdHoc`` with the SQL text as parameter 0 and the
  values as typed parameters 1..n, bound by the server to the ``?`` placeholders
  (protocols/voltdb.md 5.1); values never enter the SQL text. A mapping binds ``:name``
  placeholders (the module's "named" paramstyle), rewritten to ``?``; a sequence binds
  ``?`` placeholders as they are. Several statements separated
  by ``;`` run as one transaction and give one result per statement, in order: a query's
  rows, a DML statement's modified-tuple count (5.2). The first is current; ``nextset()``
  moves to the next.
- ``executemany`` pipelines one invocation per parameter set (:mod:`.transport`).
- ``callproc(name, params)`` invokes the procedure by name; each table it returns is a
  result set (fetch*, then ``nextset()``). VoltDB procedures have no OUT parameters, so
  the parameters come back unchanged (CUR-CALLPROC-2).

Every call is its own transaction (voltdb.md 5.6): there is nothing to commit.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Sequence

from dbapi_conformance.drivers._dbapi.cursor import CursorBase, check_operation
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import Error, ProgrammingError
from dbapi_conformance.drivers._dbapi.paramstyle import (
    as_sequence,
    find_placeholders,
    is_mapping,
    pick,
    rewrite,
)
from dbapi_conformance.drivers.voltdb.errors import from_response
from dbapi_conformance.drivers.voltdb.types import description_of, parameter, python_value
from dbapi_conformance.drivers.wire.voltdb import (
    ClientResponse,
    Parameter,
    Status,
    VoltTable,
    VoltType,
)

__all__ = ["Cursor", "split_statements", "statement_kind"]

_ADHOC = "@AdHoc"
#: Quoted text and comments (skipped when splitting on ``;``), or a ``;``.
_TOKENS = re.compile(r"'[^']*(?:''[^']*)*(?:'|\Z)|\"[^\"]*(?:\"\"[^\"]*)*(?:\"|\Z)"
                     r"|--[^\n]*|/\*.*?(?:\*/|\Z)|(;)", re.S)
_LEADING = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/|\()*([A-Za-z]+)", re.S)
_DML = frozenset({"INSERT", "UPDATE", "DELETE", "UPSERT", "TRUNCATE", "MIGRATE"})
_QUERY = frozenset({"SELECT", "WITH", "EXPLAIN", "EXPLAINPROC", "EXPLAINVIEW", "VALUES",
                    "EXEC", "EXECUTE"})
_MODIFIED = "modified_tuples"


def split_statements(sql: str) -> list[str]:
    """The statements of ``sql`` split on ``;`` outside literals, quoted names and
    comments; empty ones dropped."""
    out, start = [], 0
    for match in _TOKENS.finditer(sql):
        if match.group(1):
            out.append(sql[start:match.start()])
            start = match.end()
    out.append(sql[start:])
    return [s for s in out if s.strip() and _LEADING.match(s)]


def statement_kind(sql: str) -> str:
    """"query", "dml" or "ddl" by the statement's first keyword ("query" for unknown)."""
    match = _LEADING.match(sql)
    word = match.group(1).upper() if match else ""
    if word in _DML:
        return "dml"
    if word in _QUERY or not word:
        return "query"
    return "ddl"


def _modified_count(table: VoltTable) -> int | None:
    cols = table.columns
    if (len(cols) == 1 and cols[0].type == VoltType.BIGINT
            and cols[0].name.lower() == _MODIFIED and len(table.rows) == 1):
        value = table.rows[0][0]
        return value if isinstance(value, int) else -1
    return None


def _rows(table: VoltTable) -> list[tuple]:
    times = [i for i, c in enumerate(table.columns) if c.type == VoltType.TIMESTAMP]
    if not times:
        return [tuple(r) for r in table.rows]
    if not table.rows:
        return []
    columns = list(zip(*table.rows))
    for i in times:
        columns[i] = [python_value(VoltType.TIMESTAMP, v) for v in columns[i]]
    return list(zip(*columns))


class Cursor(CursorBase):
    """A cursor of a VoltDB :class:`~.connection.Connection`.

    Besides the PEP 249 surface (see :class:`CursorBase`): ``statuses`` holds the
    ``ClientResponse`` of each invocation of the last execute*/callproc (app status,
    round-trip time, the raw tables).
    """

    def __init__(self, connection: Any):
        super().__init__(connection)
        self._sets: list[tuple] | None = None
        self._set_index = 0
        self.statuses: tuple[ClientResponse, ...] = ()

    def _begin(self) -> None:
        self._start()
        self._clear_result()
        self._sets = None
        self._set_index = 0
        self.statuses = ()

    # --- PEP 249 ---------------------------------------------------------------------

    @handles_errors
    def execute(self, operation: str, parameters: Any = None) -> None:
        """Run ``operation`` through ``@AdHoc`` (CUR-EXEC-1..5): a mapping for ``:name``
        placeholders, or a sequence with one value per ``?`` (outside literals and
        comments). Several statements (``;``) run as one
        transaction, one result each (nextset). Raises ProgrammingError for a wrong
        parameter count or container, DataError for a value VoltDB cannot hold, server
        errors per :mod:`.errors`."""
        self._begin()
        sql = check_operation(operation)
        sql, params = _bind(sql, parameters)
        response = self._connection._call(_ADHOC, [Parameter(VoltType.STRING, sql), *params])
        self.statuses = (response,)
        self._check(response, "execute")
        self._install(_statement_sets(sql, response.tables))

    @handles_errors
    def executemany(self, operation: str, seq_of_parameters: Iterable[Any]) -> None:
        """Run ``operation`` once per parameter set, the invocations pipelined on the
        connection (CUR-EXECMANY-1). Each invocation is its own transaction: when one
        fails the others still take effect; ``rowcount`` becomes the sum of the counts of
        those that succeeded, every failure goes to ``messages`` and the first is raised.
        An empty sequence sends nothing (rowcount 0). No result set is kept."""
        self._begin()
        sql = check_operation(operation)
        try:
            given = list(seq_of_parameters)
        except TypeError:
            raise ProgrammingError("seq_of_parameters must be an iterable of parameter sets, "
                                   f"not {type(seq_of_parameters).__name__}") from None
        if not given:
            self._set_rowcount(0)
            return
        calls = []
        for i, p in enumerate(given):
            text, params = _bind(sql, p, f" in parameter set {i}")
            calls.append((_ADHOC, [Parameter(VoltType.STRING, text), *params]))
        responses = self._connection._call_many(calls)
        self.statuses = tuple(responses)
        total, failures = 0, []
        for index, response in enumerate(responses):
            if response.status != Status.SUCCESS:
                failures.append(from_response(
                    response, f"executemany parameter set {index} of {len(given)}"))
                continue
            for item in _statement_sets(sql, response.tables):
                if item[0] == "rows":
                    total += len(item[2])
                elif item[1] > 0:
                    total += item[1]
        self._set_rowcount(total)
        if failures:
            self.messages.extend((type(e), e) for e in failures)
            first = failures[0]
            if len(failures) > 1:
                first.message += (f" (and {len(failures) - 1} more failed parameter set(s), "
                                  "see messages; the others took effect)")
                first.args = (first.message,)
            raise first

    @handles_errors
    def callproc(self, procname: str, parameters: Sequence[Any] | None = None) -> Any:
        """Invoke the stored procedure ``procname`` with ``parameters`` (CUR-CALLPROC-1..3).
        Each table it returns is a result set: the first is current, ``nextset()`` moves
        on. Returns a copy of ``parameters`` (VoltDB procedures have no OUT or INOUT
        parameters). Raises ProgrammingError for an unknown procedure or wrong arguments."""
        self._begin()
        if not isinstance(procname, str) or not procname.strip():
            raise ProgrammingError(f"procname must be a non-empty str, not {procname!r}")
        values = as_sequence(parameters, "qmark")
        typed = [parameter(v) for v in values]
        response = self._connection._call(procname, typed)
        self.statuses = (response,)
        self._check(response, f"callproc {procname}")
        self._install([("rows", description_of(t), _rows(t)) for t in response.tables])
        return tuple(values) if isinstance(parameters, tuple) else list(values)

    @handles_errors
    def nextset(self) -> bool | None:
        """Move to the next result of the last execute/callproc, dropping the rows left in
        the current one (CUR-NEXTSET-2): True, or None when there is none. Raises
        ProgrammingError when nothing was executed (CUR-NEXTSET-3)."""
        self._start()
        if self._sets is None:
            raise ProgrammingError("nextset(): nothing was executed on this cursor")
        if self._set_index + 1 >= len(self._sets):
            self._set_index = len(self._sets)
            self._set_rowcount(-1)
            return None
        self._set_index += 1
        self._show(self._sets[self._set_index])
        return True

    # --- results ---------------------------------------------------------------------

    @staticmethod
    def _check(response: ClientResponse, what: str) -> None:
        if response.status != Status.SUCCESS:
            raise from_response(response, what)

    def _install(self, sets: list[tuple]) -> None:
        self._sets = sets
        self._set_index = 0
        if sets:
            self._show(sets[0])
        else:
            self._set_rowcount(-1)

    def _show(self, item: tuple) -> None:
        if item[0] == "rows":
            self._set_result(item[1], item[2])
        else:
            self._set_rowcount(item[1])


def _statement_sets(sql: str, tables: Sequence[VoltTable]) -> list[tuple]:
    """One result per table: ("rows", description, rows) for a query, ("count", n) for a
    DML statement, ("count", -1) for DDL. Kinds come from the statements' first keywords
    when they match the tables one to one, else from the table's shape."""
    kinds: list[str] | None = [statement_kind(s) for s in split_statements(sql)]
    if kinds and all(k == "ddl" for k in kinds):
        # A DDL batch is one catalog update: one STATUS table however many statements.
        return [("count", -1) for _ in tables]
    if kinds is not None and len(kinds) != len(tables):
        kinds = None
    out: list[tuple] = []
    for i, table in enumerate(tables):
        kind = kinds[i] if kinds else None
        if kind == "ddl":
            out.append(("count", -1))
            continue
        count = _modified_count(table)
        if count is not None and kind != "query":
            out.append(("count", count))
        else:
            out.append(("rows", description_of(table), _rows(table)))
    return out




def _bind(sql: str, parameters: Any, where: str = "") -> tuple[str, list[Parameter]]:
    """The SQL to send and the typed parameters for its ``?`` markers: a mapping binds
    ``:name`` placeholders (the module's paramstyle), rewritten to ``?`` with the shared
    converter (literals, quoted names and comments untouched); a sequence binds VoltDB's
    own ``?`` placeholders as they are."""
    if parameters is not None and is_mapping(parameters):
        if _qmarks(sql):
            raise ProgrammingError("named parameters were given, but the statement has ? "
                                   f"placeholders{where}: use one style")
        sql, keys = rewrite(sql, "named", "qmark")
        values = pick(parameters, keys)
    else:
        values = as_sequence(parameters, "qmark")
        # Without parameters the text goes as it is: a ``?`` in a CREATE PROCEDURE body is
        # the procedure's parameter, and the server counts placeholders itself (5.1).
        wanted = _qmarks(sql)
        if (parameters is not None or not wanted) and wanted != len(values):
            raise ProgrammingError(f"the statement has {wanted} placeholder(s) but "
                                   f"{len(values)} parameter(s) were given{where}")
    try:
        return sql, [parameter(v) for v in values]
    except Error as exc:
        if where:
            exc.message += where
            exc.args = (exc.message,)
        raise


def _qmarks(sql: str) -> int:
    return sum(1 for p in find_placeholders(sql, "qmark") if p.style == "qmark")
