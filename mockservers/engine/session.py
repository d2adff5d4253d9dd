"""One client session of the engine: a DuckDB connection with its own transaction.

A session is used by one thread at a time; different sessions run concurrently on different
threads (DuckDB connections of one database are independent; DuckDB releases the GIL while a
statement runs). A per-session lock still serialises calls, so a mock that touches one session
from two threads (say a handler and a cancel) gets ordering, not corruption;
:meth:`Session.interrupt` is the one call that does not take the lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from dbapi_conformance.mockservers.engine import errors
from dbapi_conformance.mockservers.engine.errors import from_duckdb
from dbapi_conformance.mockservers.engine.types import Column, column_from_duckdb, quote_ident

__all__ = ["Result", "Session"]

# Statements whose DuckDB result is a single "Count" row (rows affected), unless RETURNING.
_COUNTED = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE_INTO", "COPY"})
# Statements that produce rows of data in every case.
_QUERIES = frozenset({"SELECT", "EXPLAIN", "RELATION"})


@dataclass(slots=True)
class Result:
    """Outcome of one statement.

    - ``columns``: list of :class:`Column`; ``[]`` when the statement has no result set.
    - ``rows``: list of tuples of Python values as DuckDB returns them (``[]`` without a
      result set). Values: int, float, Decimal, str, bytes, bool, datetime.date/time/datetime
      (naive for TIMESTAMP, UTC-aware for TIMESTAMP WITH TIME ZONE, which needs the pytz
      package), timedelta (INTERVAL), UUID, list (LIST), tuple (fixed-size ARRAY such as
      DOUBLE[2]), dict (STRUCT, MAP), None.
    - ``rowcount``: rows returned for a result set; rows affected for INSERT / UPDATE / DELETE
      / MERGE / COPY (also rows written by CREATE TABLE ... AS SELECT); **-1** for other
      statements (DDL, transaction control, SET) and whenever unknown.
    - ``statement_type``: DuckDB's statement kind, upper case: "SELECT", "INSERT", "UPDATE",
      "DELETE", "CREATE", "DROP", "ALTER", "TRANSACTION", "VARIABLE_SET", "SET", "EXPLAIN",
      "PRAGMA", "CALL", "COPY", ... (the last statement's when several ran).
    """

    columns: list[Column] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    rowcount: int = -1
    statement_type: str = ""

    @property
    def has_result_set(self) -> bool:
        return bool(self.columns)


_CACHE_SIZE = 4096
# texts longer than this are never kept (a statement cache or plan holds its text whole)
_PLAN_TEXT = 16 * 1024
_statement_cache: dict[str, tuple[tuple[str, str, frozenset[str]], ...]] = {}


def _statements(con: duckdb.DuckDBPyConnection, sql: str):
    """(statement type, first keyword, placeholder names) per statement of ``sql``, from
    DuckDB's own parser; cached by text (dict reads and writes are atomic, so threads may
    share the cache; a full cache is simply emptied)."""
    hit = _statement_cache.get(sql)
    if hit is None:
        out = []
        for st in con.extract_statements(sql):
            words = st.query.lstrip(" \t\r\n(").split(None, 1)
            out.append((st.type.name, words[0].upper() if words else "",
                        frozenset(st.named_parameters)))
        hit = tuple(out)
        if len(sql) <= _PLAN_TEXT:  # statement-sized texts only: 4096 long ones are gigabytes
            if len(_statement_cache) >= _CACHE_SIZE:
                _statement_cache.clear()
            _statement_cache[sql] = hit
    return hit


def _bind_referenced(names: frozenset[str], params: Sequence[Any]) -> dict[str, Any] | None:
    """Only the values some placeholder refers to, keyed by placeholder number."""
    if not names:
        return None
    if not all(n.isdigit() for n in names):
        raise errors.ParameterError("named placeholders need a mapping of values")
    missing = sorted(int(n) for n in names if int(n) > len(params))
    if missing:
        raise errors.ParameterError(
            "Values were not provided for the following parameters: "
            + ", ".join(map(str, missing)), missing=missing)
    return {n: params[int(n) - 1] for n in names}


# Statement kinds that cannot change any result's column types; every other kind (DDL,
# SET, ATTACH...) invalidates the sessions' projection plans (Engine.generation).
_DATA_ONLY = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE_INTO", "EXPLAIN",
                        "RELATION", "TRANSACTION", "COPY"})
# Statements that write no table (Engine.data_version); SET changes no row either.
_READS = frozenset({"SELECT", "EXPLAIN", "SET", "VARIABLE_SET"})
# Statements whose written tables a caller may name (execute's writes=).
_DECLARED = frozenset({"INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER"})
_PLANS = 256  # projection plans kept per session (least recently used dropped)


@dataclass(slots=True)
class _Plan:
    """How a projected SELECT text runs: ``sql`` (the text itself, or it wrapped in the
    conversion expressions), the ``columns`` to report, the DuckDB ``types`` its cursor
    must describe (else the plan is stale), and the engine ``generation`` it was made in."""

    sql: str
    columns: list[Column]
    types: list[str]
    generation: int


def _without_semicolon(sql: str) -> str:
    """``sql`` cut before a trailing ``;`` (comments after it go too), so that it can stand
    inside parentheses; DuckDB's own tokenizer tells comments and strings apart."""
    end = None
    for offset, kind in reversed(duckdb.tokenize(sql)):
        if kind == duckdb.token_type.comment:
            continue
        if kind == duckdb.token_type.operator and sql.startswith(";", offset):
            end = offset
            continue
        break
    return sql if end is None else sql[:end]


def _param_types(params) -> tuple:
    """What DuckDB's typing of a statement may depend on besides its text: the Python
    types of the values bound (``SELECT $1`` is INTEGER for 1, VARCHAR for 'a')."""
    if params is None:
        return ()
    if isinstance(params, Mapping):
        return tuple(sorted((k, type(v)) for k, v in params.items()))
    return tuple(map(type, params))


_TX_START = frozenset({"BEGIN", "START"})
_TX_END = frozenset({"COMMIT", "END", "ROLLBACK", "ABORT"})


class Session:
    """A client session. Create with ``Engine.session()``; close with :meth:`close`.

    Autocommit until :meth:`begin` (or a ``BEGIN`` statement); :meth:`commit` /
    :meth:`rollback` end the transaction. DuckDB semantics to know:

    - snapshot isolation; a write-write conflict between two open transactions raises
      TransactionError (at the conflicting write, or at commit);
    - after ANY failed statement inside an explicit transaction the whole transaction is
      aborted (``transaction_aborted``): later statements raise TransactionError until
      rollback(), and commit() rolls back and raises TransactionError (DuckDB has no
      savepoints, so statement-level rollback cannot be imitated). Exceptions: syntax errors
      (caught by the parser before the transaction sees the statement), parameter count
      errors found by ``ignore_surplus``, and unbindable Python parameter values;
    - DDL is transactional.
    """

    def __init__(self, engine, connection: duckdb.DuckDBPyConnection):
        self._engine = engine
        self._con = connection
        self._lock = threading.Lock()
        self._in_tx = False
        self._aborted = False
        self._closed = False
        self._schema = "main"
        self._tx_catalog = False  # a statement inside the open transaction may change types
        # tables written inside the open transaction (None: some not known), for
        # Engine.data_version at its end
        self._tx_open = False
        self._tx_writes: set | None = set()
        self._plans: OrderedDict[tuple, _Plan] = OrderedDict()
        self._plan_hits = self._plan_misses = 0

    # --- state ---------------------------------------------------------------------------
    @property
    def in_transaction(self) -> bool:
        """True between begin() (or BEGIN) and commit()/rollback()."""
        return self._in_tx

    @property
    def transaction_aborted(self) -> bool:
        """True when a statement failed inside the open transaction: DuckDB refuses every
        statement but ROLLBACK (TransactionError) until the transaction ends."""
        return self._in_tx and self._aborted

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def schema(self) -> str:
        """The default schema for unqualified names (initially "main")."""
        return self._schema

    def _check_open(self) -> None:
        if self._closed:
            raise errors.InternalError("session is closed")

    # --- statements ----------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None,
                *, ignore_surplus: bool = False,
                project: Mapping[str, str] | None = None,
                writes: Sequence[tuple[str, str]] | None = None) -> Result:
        """Run ``sql`` (DuckDB dialect) with ``params`` bound to ``$1..$n`` / ``?``
        placeholders (a sequence), or to ``$name`` placeholders (a mapping).

        DuckDB wants exactly one value per placeholder number: a value no placeholder refers
        to (``SELECT $2`` with two values) is a ParameterError (``.surplus``), as is a missing
        one (``.missing``). ``ignore_surplus=True`` binds only the values some placeholder
        refers to, so surplus values are ignored (missing ones still raise).

        ``project``: a column-mapping hook for the result of a single SELECT, DuckDB type
        name (``"TIMESTAMP_NS"``) -> SQL expression template with ``{}`` (or ``{0}``, which
        may be repeated) standing for the column (``"epoch_ms({}::TIMESTAMP)"``). Top-level
        columns of a listed type come back as that expression's values, computed inside
        DuckDB (much faster than converting Python values); ``Column.type_name`` keeps the
        original type. A mock supplies the table its wire format needs (the engine knows no
        wire format). Other statements are unaffected. The first run of a text (per session,
        per Python types of the values bound) asks DuckDB for the result types; later runs
        reuse that plan until a statement other than DML or a query changes the catalog
        (:attr:`projection_stats` counts both).

        ``writes``: ``(schema, name)`` of every table ``sql`` may write, when it is one
        INSERT, UPDATE, DELETE, CREATE, DROP or ALTER statement (the caller vouches for
        it): its end then moves only those tables' :meth:`Engine.data_version`; any other
        statement but a query moves every table's. Inside a transaction the same tables'
        versions move again at its end.

        Several ``;``-separated statements run in order (only without params); the last one's
        Result is returned. Raises an :class:`~.errors.EngineError` subclass; an empty text
        is a SQLSyntaxError.
        """
        with self._lock:
            self._check_open()
            try:
                statements = _statements(self._con, sql)
            except duckdb.Error as exc:
                raise from_duckdb(exc) from None
            if not statements:
                raise errors.SQLSyntaxError("empty statement")
            if len(statements) > 1 and params:
                raise errors.ParameterError("parameters cannot be bound to several statements")
            if ignore_surplus and params is not None and not isinstance(params, Mapping):
                params = _bind_referenced(statements[0][2], params)
            kind = statements[-1][0]
            try:
                if project and kind == "SELECT" and len(statements) == 1:
                    return self._select_projected(sql, params, project)
                if params is None:
                    cur = self._con.execute(sql)
                else:
                    cur = self._con.execute(sql, params)
                return self._result(cur, kind)
            except duckdb.Error as exc:
                if self._in_tx:
                    self._aborted = self._probe_aborted()
                raise from_duckdb(exc) from None
            except (TypeError, ValueError, OverflowError) as exc:
                # the Python binding refused a parameter value (nothing ran)
                raise errors.CastError(f"cannot bind parameter: {exc}") from None
            finally:
                self._track_transactions(statements)
                self._track_writes(statements, writes)

    def _probe_aborted(self) -> bool:
        # Most failures abort DuckDB's transaction, a few (a parameter value the Python
        # binding refuses) do not; asking costs one trivial statement, on the error path only.
        try:
            self._con.execute("SELECT 1").fetchall()
            return False
        except duckdb.Error:
            return True

    def _track_writes(self, statements, writes) -> None:
        # After the statement (and its autocommit), and again after the end of the
        # transaction it ran in: a reader that saw the old version before it read may have
        # read the old rows, one that sees the new version has not.
        declared = writes is not None and len(statements) == 1
        for kind, keyword, _ in statements:
            if kind in _READS:
                continue
            if kind == "TRANSACTION":
                if keyword in _TX_START:
                    self._tx_open = True  # what is gathered stays (a BEGIN inside one fails)
                elif keyword in _TX_END:
                    tables = self._tx_writes if self._tx_open else None
                    self._tx_open, self._tx_writes = False, set()
                    self._changed(tables)
                continue
            tables = frozenset(writes) if declared and kind in _DECLARED else None
            self._changed(tables)
            if self._tx_open:
                self._tx_writes = (None if tables is None or self._tx_writes is None
                                   else self._tx_writes | tables)

    def _changed(self, tables) -> None:
        """Move the data version of ``tables`` (None: of every table)."""
        if tables is None:
            self._engine.data_changed()
        else:
            for table in tables:
                self._engine.data_changed(table)

    def _track_transactions(self, statements) -> None:
        for kind, keyword, _ in statements:
            if kind == "TRANSACTION":
                if keyword in _TX_START:
                    self._in_tx = True
                elif keyword in _TX_END:
                    if self._tx_catalog:  # its changes are now visible to other sessions
                        self._engine.catalog_changed()
                    self._in_tx = self._aborted = self._tx_catalog = False
            elif kind not in _DATA_ONLY:
                self._engine.catalog_changed()
                self._tx_catalog = self._in_tx

    @staticmethod
    def _result(cur, kind: str) -> Result:
        desc = cur.description
        if desc is None:
            return Result([], [], -1, kind)
        if kind not in _QUERIES and len(desc) == 1:
            name, type_ = desc[0][0], str(desc[0][1])
            if name == "Count" and type_ == "BIGINT" and kind in _COUNTED | {"CREATE"}:
                rows = cur.fetchall()
                return Result([], [], int(rows[0][0]) if rows else -1, kind)
            if (name, type_) in (("Success", "BOOLEAN"), ("Count", "BIGINT")):
                rows = cur.fetchall()
                if not rows:
                    return Result([], [], -1, kind)
                columns = [column_from_duckdb(name, type_)]
                return Result(columns, rows, len(rows), kind)
        rows = cur.fetchall()
        columns = [column_from_duckdb(d[0], d[1]) for d in desc]
        return Result(columns, rows, len(rows), kind)

    def insert_many(self, sql: str, rows: Sequence[Sequence[Any]],
                    types: Sequence[str], *,
                    writes: Sequence[tuple[str, str]] | None = None) -> int | None:
        """Run ``sql``, an ``INSERT ... VALUES`` of one row with placeholders ``$1..$n`` of
        DuckDB types ``types``, for every parameter row of ``rows`` in ONE statement
        (``translate.bulk_insert_sql``): all rows go in, or none (the statement fails as a
        whole, raising an EngineError, and nothing is inserted). Returns the rows inserted;
        None, having run nothing, when ``sql`` is not of that form or a row has not
        ``len(types)`` values: run the rows one by one then. ``writes``: see :meth:`execute`."""
        from dbapi_conformance.mockservers.engine.translate import bulk_insert_sql

        if not rows or any(len(row) != len(types) for row in rows):
            return None
        text = bulk_insert_sql(sql, tuple(types))
        if text is None:
            return None
        return self.execute(text, [list(column) for column in zip(*rows)],
                            writes=writes).rowcount

    @property
    def projection_stats(self) -> tuple[int, int]:
        """``(hits, misses)`` of this session's projection plans (see :meth:`execute`)."""
        return self._plan_hits, self._plan_misses

    def _select_projected(self, sql: str, params, project: Mapping[str, str]) -> Result:
        key = (sql, _param_types(params), tuple(project.items()))
        plan = self._plans.get(key)
        if plan is not None and plan.generation == self._engine.generation:
            try:
                cur = self._con.execute(plan.sql, params)
            except duckdb.Error:
                # a plan gone stale in a way its generation missed: plan afresh (which
                # raises again if the statement itself is at fault), but not inside a
                # transaction, which the failure has aborted
                del self._plans[key]
                if self._in_tx:
                    raise
            else:
                if [str(d[1]) for d in cur.description] == plan.types:
                    self._plans.move_to_end(key)
                    self._plan_hits += 1
                    rows = cur.fetchall()
                    return Result(plan.columns, rows, len(rows), "SELECT")
                cur.fetchall()  # finish the result before the connection runs anything else
        self._plan_misses += 1
        generation = self._engine.generation  # read first: a change meanwhile voids the plan
        rel = self._con.sql(sql, params=params)  # lazy: binds, tells the types, runs nothing
        types = [str(t) for t in rel.types]
        columns = [column_from_duckdb(n, t) for n, t in zip(rel.columns, types)]
        run = sql
        if any(t in project for t in types):
            # the column by position (#i), so that duplicate output names do not matter;
            # the newline ends a trailing -- comment of the statement
            run = "SELECT " + ", ".join(
                project[t].format(f"#{i}") if t in project else f"#{i}"
                for i, t in enumerate(types, 1)) + " FROM (" + _without_semicolon(sql) + "\n)"
        cur = self._con.execute(run, params)
        rows = cur.fetchall()
        if len(sql) <= _PLAN_TEXT:
            self._plans[key] = _Plan(run, columns, [str(d[1]) for d in cur.description],
                                     generation)
            if len(self._plans) > _PLANS:
                self._plans.popitem(last=False)
        return Result(columns, rows, len(rows), "SELECT")

    # --- transactions --------------------------------------------------------------------
    def begin(self) -> None:
        """Start an explicit transaction (TransactionError if one is open)."""
        self.execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        """Commit the open transaction. TransactionError if none is open, on a commit-time
        conflict, and when an earlier statement failed inside the transaction (DuckDB then
        discards the whole transaction: it is rolled back and nothing is committed); in every
        case no transaction is open afterwards."""
        if self._aborted and self._in_tx:
            self.execute("ROLLBACK")
            raise errors.TransactionError(
                "transaction rolled back: a statement inside it failed")
        self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction (TransactionError if none)."""
        self.execute("ROLLBACK")

    def interrupt(self) -> None:
        """Stop the statement now running on this session (it raises QueryCanceled).
        Safe to call from another thread; a no-op when idle."""
        if not self._closed:
            try:
                self._con.interrupt()
            except duckdb.Error:
                pass

    def close(self) -> None:
        """Roll back any open transaction and close the connection. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._in_tx = False
        self._engine._forget(self)

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- schema and catalog helpers ------------------------------------------------------
    def set_schema(self, name: str) -> None:
        """Make ``name`` the default schema of this session, creating it when absent."""
        self._engine.ensure_schema(name)
        self.execute(f"USE {quote_ident(name)}")
        self._schema = name

    def table_exists(self, schema: str | None, table: str) -> bool:
        """True if a table or view ``schema.table`` exists (schema None: the session's)."""
        res = self.execute(
            "SELECT 1 FROM duckdb_tables() WHERE schema_name = $1 AND table_name = $2 "
            "UNION ALL SELECT 1 FROM duckdb_views() WHERE schema_name = $1 AND view_name = $2 "
            "LIMIT 1", [schema or self._schema, table])
        return bool(res.rows)

    def tables(self, schema: str | None = None) -> list[tuple[str, str, str]]:
        """``(schema, name, kind)`` of user tables and views, kind "TABLE" or "VIEW", sorted;
        all schemas when ``schema`` is None."""
        res = self.execute(
            "SELECT schema_name, table_name, 'TABLE' FROM duckdb_tables() "
            "WHERE NOT internal AND ($1::VARCHAR IS NULL OR schema_name = $1) "
            "UNION ALL SELECT schema_name, view_name, 'VIEW' FROM duckdb_views() "
            "WHERE NOT internal AND ($1::VARCHAR IS NULL OR schema_name = $1) "
            "ORDER BY 1, 2", [schema])
        return res.rows

    def table_columns(self, schema: str | None, table: str) -> list[Column]:
        """Columns of table or view ``schema.table`` in declaration order, with ``null_ok``
        (False for NOT NULL and primary key columns), ``primary_key`` and ``default``.
        Raises UnknownTable when it does not exist."""
        schema = schema or self._schema
        res = self.execute(
            "SELECT c.column_name, c.data_type, c.is_nullable, c.column_default, "
            "  coalesce(list_contains(pk.cols, c.column_name), false) "
            "FROM duckdb_columns() c LEFT JOIN ("
            "  SELECT schema_name, table_name, flatten(list(constraint_column_names)) AS cols "
            "  FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
            "  GROUP BY ALL) pk "
            "  ON pk.schema_name = c.schema_name AND pk.table_name = c.table_name "
            "WHERE c.schema_name = $1 AND c.table_name = $2 ORDER BY c.column_index",
            [schema, table])
        if not res.rows:
            if not self.table_exists(schema, table):
                raise errors.UnknownTable(f"{schema}.{table}", schema=schema, table=table)
        out = []
        for name, data_type, nullable, default, pk in res.rows:
            col = column_from_duckdb(name, data_type, bool(nullable) and not pk)
            out.append(col._replace(primary_key=bool(pk), default=default))
        return out

    def infer_null_ok(self, sql: str, columns: list[Column]) -> list[Column]:
        """``columns`` (of the Result of ``sql``) with ``null_ok`` filled in where it can be
        known: ``sql`` a SELECT from ONE table or view (no join, set operation or GROUP BY),
        each output column a plain column of it, optionally aliased, or ``*``. Every other
        column keeps None. Costs a sqlglot parse and a catalog query, so it is opt-in; on
        any doubt the columns come back unchanged."""
        from dbapi_conformance.mockservers.engine.nullability import infer

        return infer(self, sql, columns)
