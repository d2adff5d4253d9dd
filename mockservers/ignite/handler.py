"""One client connection's Ignite 3 state and its answer to each request.

An :class:`IgniteSession` holds the connection's resources, numbered from 1 by one counter
as the server's ``ClientResourceRegistry`` does: explicit transactions (each on its own
engine session, so its writes stay invisible to every other session until commit) and open
cursors (the rows of a result not yet delivered). Statements outside a transaction run on
the connection's autocommit session. Closing the session rolls back what is open (a client
that goes away, ignite3.md 7.1).

:meth:`IgniteSession.handle` runs on a worker thread, one request of a connection at a time;
:meth:`IgniteSession.interrupt` may be called from another thread (OPERATION_CANCEL, or the
client leaving) and stops the statement that runs.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.ignite import ColumnType as T
from dbapi_conformance.drivers.wire.ignite import ErrorCode
from dbapi_conformance.mockservers.engine import Engine, Session
from dbapi_conformance.mockservers.engine import errors as eng
from dbapi_conformance.mockservers.ignite import dialect
from dbapi_conformance.mockservers.ignite.coltypes import column_meta
from dbapi_conformance.mockservers.ignite.errors import (
    IgniteError,
    from_dialect,
    from_engine,
    internal_error,
    sql_error,
)
from dbapi_conformance.mockservers.ignite.systables import DEFAULT_ZONE, INTERNAL_SCHEMA

__all__ = ["ServerContext", "IgniteSession", "ENGINE_SETTINGS", "MAX_RESOURCES"]

#: One DuckDB thread per statement (the server's parallelism is its connections); integer
#: division as in Calcite (7 / 2 = 3), and division by zero an error.
ENGINE_SETTINGS = {"threads": 1, "integer_division": True}
#: Open transactions plus cursors one connection may hold.
MAX_RESOURCES = 1024
_NULL_OK_CACHE = 256  # statements whose result nullability a connection remembers

_ROWCOUNT = [w.ColumnMeta("ROWCOUNT", T.INT64, False, w.MIN_INT, -1)]
_APPLIED = [w.ColumnMeta("APPLIED", T.BOOLEAN, False, w.MIN_INT, 1)]


@dataclass
class ServerContext:
    """What every connection of one server shares (all of it safe to share: the engine
    is thread-safe across sessions, the rest is read-only or locked)."""

    engine: Engine
    catalog: str
    default_page_size: int = w.DEFAULT_PAGE_SIZE
    max_page_size: int = 1 << 16
    ddl_lock: threading.Lock = field(default_factory=threading.Lock)
    _clock_lock: threading.Lock = field(default_factory=threading.Lock)
    _last_ts: int = 0

    def timestamp(self) -> int:
        """A hybrid timestamp (physical ms << 16 | logical), strictly increasing."""
        with self._clock_lock:
            ts = max(int(time.time() * 1000) << 16, self._last_ts + 1)
            self._last_ts = ts
            return ts


@dataclass
class _Cursor:
    columns: list[w.ColumnMeta]
    rows: list[tuple]
    position: int
    page_size: int


@dataclass
class _Tx:
    session: Session
    read_only: bool
    #: Rolled back by a failed statement: Ignite rolls an explicit transaction back when a
    #: statement in it fails while running (``QueryTransactionWrapperImpl.finalise``);
    #: DuckDB aborts it on any failed statement, so the mock does so for every failure
    #: that reached the engine.
    finished: bool = False


def _schema_name(text: str | None) -> str:
    """The request's default schema as Ignite parses it: an identifier, unquoted names
    upper-cased (ignite3.md 14 item 14)."""
    if not text:
        return w.DEFAULT_SCHEMA
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return text.upper()


def _bind(args: Sequence[tuple[T | None, Any]] | None) -> list[Any] | None:
    if args is None:
        return None
    values = []
    for i, (col_type, value) in enumerate(args, 1):
        if col_type in (T.PERIOD, T.DURATION):
            raise sql_error(ErrorCode.STMT_VALIDATION,
                            f"Unsupported dynamic parameter defined. Provided "
                            f"'{col_type.name}' is not supported (parameter {i}).")
        values.append(value)
    return values


def _as_text(value: Any) -> Any:
    # a DuckDB type Ignite lacks (lists, structs...) goes as text
    return value if value is None or isinstance(value, str) else str(value)


def _as_decimal(value: Any) -> Any:
    return value if value is None or isinstance(value, decimal.Decimal) \
        else decimal.Decimal(value)


def _as_utc(value: Any) -> Any:
    if isinstance(value, _dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=_dt.timezone.utc)
    return value


#: The column types whose engine values need a conversion before encoding.
_WIRE_VALUE = {T.STRING: _as_text, T.DECIMAL: _as_decimal, T.TIMESTAMP: _as_utc}


def _wire_rows(columns: Sequence[w.ColumnMeta], rows: list[tuple]) -> list[tuple]:
    """The engine's rows as the codec encodes them, converted a column at a time (and
    only the columns that need it)."""
    converters = [_WIRE_VALUE.get(c.type) for c in columns]
    if not rows or not any(converters):
        return rows
    values = [list(col) if f is None else list(map(f, col))
              for f, col in zip(converters, zip(*rows))]
    return list(zip(*values))


# argument types -> DuckDB types of the one-statement batch insert's value lists
_DUCKDB_TYPES = {
    T.BOOLEAN: "BOOLEAN", T.INT8: "TINYINT", T.INT16: "SMALLINT", T.INT32: "INTEGER",
    T.INT64: "BIGINT", T.FLOAT: "FLOAT", T.DOUBLE: "DOUBLE", T.DATE: "DATE", T.TIME: "TIME",
    T.DATETIME: "TIMESTAMP", T.TIMESTAMP: "TIMESTAMPTZ", T.UUID: "UUID", T.STRING: "VARCHAR",
    T.BYTE_ARRAY: "BLOB",
}


def _bulk_types(rows: Sequence[Sequence[tuple[T | None, Any]]]) -> list[str] | None:
    """One DuckDB type per argument column when every row agrees (NULLs fit any), else
    None."""
    width = len(rows[0])
    found: list[T | None] = [None] * width
    scales = [0] * width
    for row in rows:
        if len(row) != width:
            return None
        for i, (col_type, value) in enumerate(row):
            if col_type is None:
                continue
            if found[i] not in (None, col_type):
                return None
            found[i] = col_type
            if col_type == T.DECIMAL:
                exponent = value.as_tuple().exponent
                scales[i] = max(scales[i], -exponent if isinstance(exponent, int) else 0)
    out = []
    for col_type, scale in zip(found, scales):
        if col_type == T.DECIMAL:
            out.append(f"DECIMAL(38, {min(scale, 37)})")
        elif col_type is None:
            out.append("VARCHAR")
        elif col_type in _DUCKDB_TYPES:
            out.append(_DUCKDB_TYPES[col_type])
        else:
            return None
    return out


class IgniteSession:
    """The Ignite state of one connection (module doc)."""

    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        self._auto = ctx.engine.session()
        self._next_id = 1
        self._txs: dict[int, _Tx] = {}
        self._cursors: dict[int, _Cursor] = {}
        self._null_ok: dict[tuple, tuple] = {}
        self._running: Session | None = None
        #: The id of the request now being answered (the server's OPERATION_CANCEL target).
        self.running_request: int | None = None
        self._closed = False
        self._lock = threading.Lock()  # close() vs a request still running

    # --- life cycle ----------------------------------------------------------------------
    def interrupt(self) -> None:
        """Stop the statement now running (thread-safe; a no-op when idle)."""
        running = self._running
        if running is not None:
            running.interrupt()

    def close(self) -> None:
        """Roll back open transactions, drop cursors, close the sessions. Idempotent."""
        self.interrupt()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for tx in self._txs.values():
                tx.session.close()
            self._txs.clear()
            self._cursors.clear()
            self._auto.close()

    def _new_id(self) -> int:
        rid, self._next_id = self._next_id, self._next_id + 1
        return rid

    # --- dispatch ------------------------------------------------------------------------
    def handle(self, request: w.Request) -> w.Response:
        """The response to one request: the op's answer, or an ErrorResponse."""
        with self._lock:
            if self._closed:
                return self._error(request, internal_error("the connection is closing"))
            try:
                return self._dispatch(request)
            except IgniteError as exc:
                return self._error(request, exc)
            except eng.EngineError as exc:
                return self._error(request, from_engine(exc))
            except dialect.DialectError as exc:
                return self._error(request, from_dialect(exc))
            except w.EncodeError as exc:
                return self._error(request, internal_error(f"cannot send the result: {exc}"))
            finally:
                self._running = None

    def _error(self, request: w.Request, exc: IgniteError) -> w.ErrorResponse:
        return w.ErrorResponse(request_id=request.request_id, error=exc.info,
                               observable_timestamp=self.ctx.timestamp())

    def _dispatch(self, r: w.Request) -> w.Response:
        rid, ts = r.request_id, self.ctx.timestamp()
        if isinstance(r, (w.Heartbeat, w.OperationCancel)):
            return w.EmptyResponse(request_id=rid, observable_timestamp=ts)
        if isinstance(r, w.TxBegin):
            # never an error: an error answer to TX_BEGIN aborts pyignite_dbapi's process
            session = self.ctx.engine.session()
            session.set_schema(w.DEFAULT_SCHEMA)
            session.begin()
            tx_id = self._new_id()
            self._txs[tx_id] = _Tx(session, r.read_only)
            return w.TxBeginResponse(request_id=rid, tx_id=tx_id, observable_timestamp=ts)
        if isinstance(r, (w.TxCommit, w.TxRollback)):
            tx = self._txs.pop(r.tx_id, None)
            if tx is None:
                raise internal_error(f"Failed to find resource with id: {r.tx_id}",
                                     ErrorCode.RESOURCE_NOT_FOUND)
            try:
                if tx.finished:
                    pass  # already rolled back by a failed statement
                elif isinstance(r, w.TxCommit):
                    tx.session.commit()
                    self.ctx.engine.catalog_changed()
                else:
                    tx.session.rollback()
            except eng.TransactionError as exc:
                raise IgniteError(w.ErrorInfo(ErrorCode.TX_COMMIT, w.TX_EXCEPTION,
                                              f"Failed to commit a transaction: {exc.message}")
                                  ) from None
            finally:
                tx.session.close()
            return w.EmptyResponse(request_id=rid, observable_timestamp=self.ctx.timestamp())
        if isinstance(r, w.SqlExec):
            return self._exec(r)
        if isinstance(r, w.SqlCursorNextPage):
            return self._next_page(r)
        if isinstance(r, w.SqlCursorClose):
            if self._cursors.pop(r.cursor_id, None) is None:
                raise internal_error(f"Failed to find resource with id: {r.cursor_id}",
                                     ErrorCode.RESOURCE_NOT_FOUND)
            return w.EmptyResponse(request_id=rid, observable_timestamp=ts)
        if isinstance(r, w.SqlQueryMeta):
            return self._query_meta(r)
        if isinstance(r, w.SqlExecBatch):
            return self._batch(r)
        if isinstance(r, w.SqlExecScript):
            return self._script(r)
        raise sql_error(ErrorCode.PROTOCOL, f"Unexpected operation code: {r.op}")

    # --- statements ----------------------------------------------------------------------
    def _session_for(self, tx_id: int | None) -> tuple[Session, _Tx | None]:
        if tx_id is None:
            return self._auto, None
        tx = self._txs.get(tx_id)
        if tx is None:
            raise internal_error(f"Failed to find resource with id: {tx_id}",
                                 ErrorCode.RESOURCE_NOT_FOUND)
        if tx.finished:
            raise IgniteError(w.ErrorInfo(ErrorCode.TX_ALREADY_FINISHED, w.TX_EXCEPTION,
                                          "Transaction is already finished"))
        return tx.session, tx

    def _use_schema(self, session: Session, schema: str) -> None:
        if session.schema == schema:
            return
        if not session.execute("SELECT 1 FROM duckdb_schemas() WHERE schema_name = $1 AND "
                               "database_name = current_database()", [schema]).rows:
            raise sql_error(ErrorCode.SCHEMA_NOT_FOUND,
                            f"Schema not found [schemaName={schema}]")
        session.set_schema(schema)

    def _run(self, session: Session, tx: _Tx | None, statement: dialect.Statement,
             params: list | None) -> tuple[list[w.ColumnMeta], list[tuple], int, bool]:
        """(columns, rows, affected, applied) of one translated statement."""
        kind = statement.kind
        if kind == dialect.TX:
            raise sql_error(ErrorCode.STMT_VALIDATION, 'Statement of type "Transaction control '
                            'statement" is not allowed in current context')
        # OptimizingPhaseHandler.ensureStatementMatchesTx (3.1.0: RUNTIME_ERR for both)
        if kind == dialect.DML and tx is not None and tx.read_only:
            raise sql_error(ErrorCode.RUNTIME,
                            "DML cannot be started by using read only transactions.")
        if kind in (dialect.DDL, dialect.ZONE):
            if tx is not None:
                raise sql_error(ErrorCode.RUNTIME, "DDL doesn't support transactions.")
            if params:
                raise sql_error(ErrorCode.STMT_VALIDATION, "Unexpected number of query "
                                f"parameters. Provided {len(params)} but there is only 0 "
                                "dynamic parameter(s).")
            applied = self._ddl(session, statement)
            return [], [], -1, applied
        self._running = session
        if kind == dialect.EXPLAIN:
            plan = session.execute(f"EXPLAIN {statement.sql}", params)
            text = "\n".join(str(row[-1]) for row in plan.rows)
            return [w.ColumnMeta("PLAN", T.STRING, True, w.MIN_INT, 65536)], [(text,)], -1, False
        try:
            result = session.execute(statement.sql, params)
        except eng.EngineError:
            if tx is not None and session.transaction_aborted:
                session.rollback()
                tx.finished = True
            raise
        if kind == dialect.QUERY or result.has_result_set and kind != dialect.DML:
            described = self._nullability(session, statement.sql, result.columns) \
                if kind == dialect.QUERY else result.columns
            columns = [column_meta(c) for c in described]
            return columns, _wire_rows(columns, result.rows), -1, False
        return [], [], max(result.rowcount, 0) if kind == dialect.DML else -1, False

    def _nullability(self, session: Session, sql: str, columns: list) -> list:
        """``columns`` with Ignite's nullability where it is known (plain columns of one
        table: NOT NULL and primary keys), kept per statement text until the catalog
        changes (the inference costs a parse and a catalog query)."""
        key = (sql, self.ctx.engine.generation, tuple(c.type_name for c in columns))
        flags = self._null_ok.get(key)
        if flags is None:
            flags = tuple(c.null_ok for c in session.infer_null_ok(sql, columns))
            if len(self._null_ok) >= _NULL_OK_CACHE:
                self._null_ok.clear()
            self._null_ok[key] = flags
        return [c._replace(null_ok=f) for c, f in zip(columns, flags)]

    def _ddl(self, session: Session, statement: dialect.Statement) -> bool:
        with self.ctx.ddl_lock:  # DDL and its bookkeeping are one step for other clients
            if statement.kind == dialect.ZONE:
                return self._zone(session, dialect.zone_statement(statement.sql))
            if statement.table is not None:
                schema = statement.table[0] or session.schema
                zone = statement.zone or DEFAULT_ZONE
                if zone.upper() == DEFAULT_ZONE.upper():
                    zone = DEFAULT_ZONE
                elif not session.execute(f'SELECT 1 FROM "{INTERNAL_SCHEMA}".zones WHERE '
                                         "name = $1", [zone]).rows:
                    raise sql_error(ErrorCode.STMT_VALIDATION, "Failed to validate query. "
                                    f"Distribution zone with name '{zone}' not found")
                exists = session.table_exists(schema, statement.table[1])
                if exists and statement.if_not_exists:
                    return False
                if exists:
                    raise sql_error(ErrorCode.STMT_VALIDATION, "Failed to validate query. "
                                    f"Table with name '{schema}.{statement.table[1]}' "
                                    "already exists")
                self._running = session
                session.execute(statement.sql)
                session.execute(f'INSERT OR REPLACE INTO "{INTERNAL_SCHEMA}".table_zones '
                                "VALUES ($1, $2, $3, $4)",
                                [schema, statement.table[1], zone,
                                 ", ".join(statement.colocation) or None])
            else:
                self._running = session
                session.execute(statement.sql)
            self.ctx.engine.catalog_changed()
            return True

    def _zone(self, session: Session, z: dialect.ZoneStatement | None) -> bool:
        assert z is not None
        table = f'"{INTERNAL_SCHEMA}".zones'
        found = bool(session.execute(f"SELECT 1 FROM {table} WHERE name = $1", [z.name]).rows)
        if z.action == "CREATE":
            if found:
                if z.if_exists:
                    return False
                raise sql_error(ErrorCode.STMT_VALIDATION, "Failed to validate query. "
                                f"Distribution zone with name '{z.name}' already exists")
            next_id = session.execute(f"SELECT COALESCE(max(id), 0) + 1 FROM {table}").rows[0][0]
            session.execute(f"INSERT INTO {table} VALUES ($1, $2, $3, $4, false)",
                            [z.name, next_id, z.partitions or 25, z.replicas or 1])
            return True
        if not found:
            if z.if_exists:
                return False
            raise sql_error(ErrorCode.STMT_VALIDATION, "Failed to validate query. "
                            f"Distribution zone with name '{z.name}' not found")
        if z.action == "DROP":
            used = session.execute(f'SELECT 1 FROM "{INTERNAL_SCHEMA}".table_zones tz JOIN '
                                   "duckdb_tables() t ON t.schema_name = tz.schema_name AND "
                                   "t.table_name = tz.table_name WHERE tz.zone = $1",
                                   [z.name]).rows
            if used:
                raise sql_error(ErrorCode.STMT_VALIDATION, "Failed to validate query. "
                                f"Distribution zone '{z.name}' is assigned to the table")
            session.execute(f"DELETE FROM {table} WHERE name = $1", [z.name])
        else:
            if z.partitions is not None or z.replicas is not None:
                session.execute(f"UPDATE {table} SET partitions = COALESCE($2, partitions), "
                                "replicas = COALESCE($3, replicas) WHERE name = $1",
                                [z.name, z.partitions, z.replicas])
        return True

    def _page_size(self, props: w.SqlProperties) -> int:
        size = props.page_size or self.ctx.default_page_size
        if size <= 0:
            raise sql_error(ErrorCode.STMT_VALIDATION, "Page size must be positive")
        return min(size, self.ctx.max_page_size)

    def _exec(self, r: w.SqlExec) -> w.Response:
        session, tx = self._session_for(r.tx_id)
        self._use_schema(session, _schema_name(r.properties.schema))
        page_size = self._page_size(r.properties)
        statement = dialect.translate(r.statement, self.ctx.catalog)
        columns, rows, affected, applied = self._run(session, tx, statement, _bind(r.args))
        ts = self.ctx.timestamp()
        if not columns:
            return w.SqlExecResponse(request_id=r.request_id, was_applied=applied,
                                     affected_rows=affected, observable_timestamp=ts)
        cursor_id = None
        if len(rows) > page_size:
            if len(self._txs) + len(self._cursors) >= MAX_RESOURCES:
                raise internal_error(f"Too many open resources ({MAX_RESOURCES}) on one "
                                     "connection: close cursors or transactions first")
            cursor_id = self._new_id()
            self._cursors[cursor_id] = _Cursor(columns, rows, page_size, page_size)
        return w.SqlExecResponse(request_id=r.request_id, cursor_id=cursor_id, has_row_set=True,
                                 has_more_pages=cursor_id is not None, columns=columns,
                                 rows=rows[:page_size], observable_timestamp=ts)

    def _next_page(self, r: w.SqlCursorNextPage) -> w.Response:
        cursor = self._cursors.get(r.cursor_id)
        if cursor is None:
            raise internal_error(f"Failed to find resource with id: {r.cursor_id}",
                                 ErrorCode.RESOURCE_NOT_FOUND)
        start = cursor.position
        cursor.position += cursor.page_size
        more = cursor.position < len(cursor.rows)
        if not more:
            del self._cursors[r.cursor_id]  # the server frees a cursor after its last page
        return _Page(request_id=r.request_id, rows=cursor.rows[start:cursor.position],
                     has_more_pages=more, columns=cursor.columns,
                     observable_timestamp=self.ctx.timestamp())

    def _query_meta(self, r: w.SqlQueryMeta) -> w.Response:
        # Never an error for DML/DDL: pyignite_dbapi aborts on a failed QUERY_META
        # (ignite3.md 11 item 4); a statement that cannot be described gets no columns.
        ts = self.ctx.timestamp()
        try:
            statement = dialect.translate(r.statement, self.ctx.catalog)
        except dialect.DialectError:
            return w.SqlQueryMetaResponse(request_id=r.request_id, observable_timestamp=ts)
        if statement.kind == dialect.DML:
            columns = _ROWCOUNT
        elif statement.kind in (dialect.DDL, dialect.ZONE, dialect.TX):
            columns = _APPLIED
        elif statement.kind == dialect.EXPLAIN:
            columns = [w.ColumnMeta("PLAN", T.STRING, True, w.MIN_INT, 65536)]
        else:
            columns = self._describe(r, statement)
        return w.SqlQueryMetaResponse(request_id=r.request_id, columns=columns,
                                      observable_timestamp=ts)

    def _describe(self, r: w.SqlQueryMeta, statement: dialect.Statement) -> list[w.ColumnMeta]:
        try:
            session, _ = self._session_for(r.tx_id)
            self._use_schema(session, _schema_name(r.schema))
            described = session.execute(f"DESCRIBE {statement.sql}")
        except (IgniteError, eng.EngineError):
            return []
        from dbapi_conformance.mockservers.engine.types import column_from_duckdb

        return [column_meta(column_from_duckdb(name, type_name))
                for name, type_name, *_ in described.rows]

    def _batch(self, r: w.SqlExecBatch) -> w.Response:
        session, tx = self._session_for(r.tx_id)
        self._use_schema(session, _schema_name(r.properties.schema))
        statement = dialect.translate(r.statement, self.ctx.catalog)
        if statement.kind != dialect.DML:
            raise IgniteError(w.ErrorInfo(
                ErrorCode.STMT_VALIDATION, w.SQL_BATCH_EXCEPTION,
                "Invalid SQL statement type. Expected [DML] but got "
                f"[{'QUERY' if statement.kind == dialect.QUERY else 'DDL'}].",
                extensions={w.SQL_UPDATE_COUNTERS: []}))
        if tx is None and r.rows and len(r.rows) > 1:
            done = self._bulk_insert(session, statement, r.rows)
            if done:
                return w.SqlExecBatchResponse(request_id=r.request_id, counts=[1] * done,
                                              observable_timestamp=self.ctx.timestamp())
        counts: list[int] = []
        for row in r.rows or [[]]:
            try:
                _, _, affected, _ = self._run(session, tx, statement, _bind(row) or None)
            except (IgniteError, eng.EngineError) as exc:
                info = exc.info if isinstance(exc, IgniteError) else from_engine(exc).info
                raise IgniteError(w.ErrorInfo(info.code, w.SQL_BATCH_EXCEPTION, info.message,
                                              info.trace_id,
                                              extensions={w.SQL_UPDATE_COUNTERS: counts})
                                  ) from None
            counts.append(affected)
        return w.SqlExecBatchResponse(request_id=r.request_id, counts=counts,
                                      observable_timestamp=self.ctx.timestamp())

    def _bulk_insert(self, session: Session, statement: dialect.Statement,
                     rows: Sequence[Sequence[tuple[T | None, Any]]]) -> int | None:
        """All rows of an autocommitted one-row INSERT batch in one engine statement (all
        or nothing), or None when that cannot be done or failed: then the rows run one by
        one, so that a failure is reported with the counts before it."""
        sql = dialect.numbered_insert(statement.sql)
        if sql is None:
            return None
        types = _bulk_types(rows)
        if types is None:
            return None
        self._running = session
        try:
            done = session.insert_many(sql, [_bind(row) for row in rows], types)
        except eng.EngineError:
            return None
        return done if done == len(rows) else None

    def _script(self, r: w.SqlExecScript) -> w.Response:
        self._use_schema(self._auto, _schema_name(r.properties.schema))
        params = _bind(r.args) or []
        tx: _Tx | None = None
        try:
            for text in dialect.split_script(r.script):
                upper = text.split(None, 2)
                words = [u.upper() for u in upper[:2]]
                if words[:2] == ["START", "TRANSACTION"] or words[:1] == ["BEGIN"]:
                    if tx is not None:
                        raise sql_error(ErrorCode.TX_CONTROL_INSIDE_EXTERNAL_TX,
                                        "Transaction control statement cannot be executed "
                                        "within an external transaction.")
                    session = self.ctx.engine.session()
                    session.set_schema(self._auto.schema)
                    session.begin()
                    tx = _Tx(session, False)
                    continue
                if words[:1] == ["COMMIT"] and tx is not None:
                    tx.session.commit()
                    tx.session.close()
                    tx = None
                    continue
                statement = dialect.translate(text, self.ctx.catalog)
                count = text.count("?")
                used, params = params[:count], params[count:]
                self._run(tx.session if tx else self._auto, tx, statement, used or None)
        finally:
            if tx is not None:
                tx.session.close()  # a script ending inside its transaction rolls it back
        return w.EmptyResponse(request_id=r.request_id, observable_timestamp=self.ctx.timestamp())


@dataclass(frozen=True, kw_only=True)
class _Page(w.SqlPageResponse):
    """A page with the columns its rows are encoded with (the server's send_page)."""

    columns: Sequence[w.ColumnMeta] = ()
