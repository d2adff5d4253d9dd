"""One logged-in Exasol session: its attributes, engine session, result sets and prepared
statements, and the commands of exasol.md 4-7 (run on a worker thread, one at a time).

:meth:`ExasolSession.handle` takes a checked request (wire.parse_request) and returns the
reply object; it never raises for a bad request or a failing statement (those are error
replies). Transactions follow Exasol: autocommit on by default; with it off, the first
statement opens a transaction that COMMIT / ROLLBACK end (the engine gives each session
snapshot isolation, so other sessions see nothing before the commit). A failed statement
inside a transaction rolls back only itself, as in Exasol: DuckDB aborts the whole
transaction instead, so the session keeps a log of the transaction's successful statements
(up to ``MAX_REPLAY_BYTES`` of parameters) and replays them in a new transaction. A
transaction too big to replay, or whose replay fails (a concurrent change), is rolled back
as a whole and the error text says so.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.drivers.wire.exasol import RequestError, SqlCode
from dbapi_conformance.mockservers.engine import Engine, quote_ident
from dbapi_conformance.mockservers.engine import errors as ee
from dbapi_conformance.mockservers.exasol import coltypes, dialect, metadata, systables
from dbapi_conformance.mockservers.exasol.errors import NO_SCHEMA, ExaError, from_engine
from dbapi_conformance.mockservers.exasol.translate import SqlError, Statement, translate

__all__ = ["ServerContext", "ExasolSession", "MAX_HANDLES"]

log = logging.getLogger(__name__)

#: Parameter bytes (roughly) of a transaction's statements kept for a replay.
MAX_REPLAY_BYTES = 64 * 1024 * 1024
#: Open result sets and prepared statements per session (handles stay below 65536).
MAX_HANDLES = 4096
_HANDLE_LIMIT = 65535
_SCALARS = (str, int, float, bool, type(None))
# ALTER SESSION parameters the mock accepts, with the values it can honour (None = any).
_SESSION_PARAMETERS: dict[str, tuple[str, ...] | None] = {
    "NLS_DATE_FORMAT": ("YYYY-MM-DD",),
    "NLS_TIMESTAMP_FORMAT": ("YYYY-MM-DD HH24:MI:SS.FF6",),
    "NLS_DATE_LANGUAGE": ("ENG",),
    "NLS_NUMERIC_CHARACTERS": (".,",),
    "TIME_ZONE": ("UNIVERSAL", "UTC"),
    "NLS_FIRST_DAY_OF_WEEK": None, "QUERY_CACHE": None, "PROFILE": None,
    "TIME_ZONE_BEHAVIOR": None, "QUERY_TIMEOUT": None, "SQL_PREPROCESSOR_SCRIPT": None,
    "DEFAULT_LIKE_ESCAPE_CHARACTER": None, "TIMESTAMP_ARITHMETIC_BEHAVIOR": None,
    "SNAPSHOT_MODE": None, "IDLE_TIMEOUT": None, "SESSION_TEMP_DB_RAM_LIMIT": None,
}


@dataclass
class ServerContext:
    """What all sessions of one server share (read-only, or thread-safe: the engine)."""

    engine: Engine
    host: str = "127.0.0.1"


@dataclass
class _ResultSet:
    columns: list[dict]
    data: list[list[Any]]  # column-major JSON values
    num_rows: int


@dataclass
class _Prepared:
    statement: Statement
    text: str
    param_types: list[dict]
    lenient: list[bool]  # parameter type unknown: VARCHAR, any JSON scalar accepted
    result_columns: list[dict] | None = None
    result_handles: set[int] = field(default_factory=set)


class ExasolSession:
    """A session of user ``user`` (upper case) with id ``session_id``; raises ExaError
    only from the constructor's engine session opening."""

    def __init__(self, ctx: ServerContext, user: str, session_id: int,
                 protocol_version: int, compression: bool = False):
        self.ctx = ctx
        self.user = user
        self.session_id = session_id
        self.protocol_version = protocol_version
        try:
            self.engine = ctx.engine.session()
        except ee.EngineError as exc:
            raise from_engine(exc) from None
        self.attributes: dict[str, Any] = dict(wire.DEFAULT_ATTRIBUTES)
        self.attributes["compressionEnabled"] = compression
        self._results: dict[int, _ResultSet] = {}
        self._statements: dict[int, _Prepared] = {}
        self._next_handle = 1
        self._timed_out = False
        self._abort = False
        self._tx_log: list[tuple] | None = []  # None: too big to replay
        self._tx_log_bytes = 0
        self._set_search_path("")
        self.engine.execute(f"SET VARIABLE {dialect.USER_VARIABLE} = $1", [user])
        self.engine.execute(f"SET VARIABLE {dialect.SESSION_VARIABLE} = $1", [str(session_id)])

    # --- life cycle ----------------------------------------------------------------------
    def close(self) -> None:
        """Roll back and close the engine session; idempotent."""
        self._results.clear()
        self._statements.clear()
        self.engine.close()

    def interrupt(self) -> None:
        """Stop the running command (abortQuery, a departed client): its statement now, or
        the next one it would start (the request may not have reached the engine yet).
        Any thread; :meth:`arm` clears it before the next command."""
        self._abort = True
        self.engine.interrupt()

    def arm(self) -> None:
        """Called before a command is handed to a worker thread."""
        self._abort = False

    # --- dispatch --------------------------------------------------------------------------
    def handle(self, request: wire.Request) -> dict:
        """The reply to one request (exasol.md 4); attributes that changed ride along."""
        changed: dict[str, Any] = {}
        try:
            if request.attributes:
                changed.update(self.set_attributes(request.attributes))
            method = getattr(self, "_cmd_" + (request.command or ""), None)
            if method is None and request.command in wire.METADATA_COMMANDS:
                if self.protocol_version < 2:
                    raise RequestError(SqlCode.UNKNOWN, f"Unknown command: {request.command}"
                                       " (metadata commands need protocol version 2)")
                method = self._metadata
            if method is None:
                raise RequestError(SqlCode.UNKNOWN, f"Unknown command: {request.command}")
            reply = method(request, changed)
        except RequestError as exc:
            reply = wire.error_reply(exc.sql_code, self._with_session(exc.text))
        except ee.EngineError as exc:
            err = from_engine(exc)
            reply = wire.error_reply(err.sql_code, self._with_session(err.text))
        except SqlError as exc:
            reply = wire.error_reply(SqlCode.SYNTAX_OR_ACCESS, self._with_session(exc.text))
        except wire.EncodeError as exc:
            reply = wire.error_reply(SqlCode.DATA_EXCEPTION,
                                     self._with_session(f"data exception - {exc}"))
        except Exception as exc:  # noqa: BLE001 - a mock bug: an error reply, not a hang
            log.exception("Exasol mock command %s failed", request.command)
            reply = wire.error_reply(SqlCode.UNKNOWN, self._with_session(
                f"internal error: {type(exc).__name__}: {exc}"[:500]))
        if self.engine.transaction_aborted:
            lost = self._recover()
            if lost and reply.get("status") == "error":
                reply["exception"]["text"] += f" - {lost}"
        self._note_transaction(changed)
        if changed:
            reply.setdefault("attributes", {}).update(changed)
        return reply

    # --- statement-level rollback ------------------------------------------------------------
    def _log(self, entry: tuple, size: int) -> None:
        if self._tx_log is None or not self.engine.in_transaction:
            return
        self._tx_log_bytes += size
        if self._tx_log_bytes > MAX_REPLAY_BYTES:
            self._tx_log = None
        else:
            self._tx_log.append(entry)

    def _reset_log(self) -> None:
        self._tx_log, self._tx_log_bytes = [], 0

    def _recover(self) -> str | None:
        """Undo only the failed statement: roll back, begin again, replay the log. Returns
        None, or why the whole transaction was lost."""
        log_ = self._tx_log
        self._reset_log()
        try:
            self.engine.rollback()
        except ee.EngineError:
            pass
        if log_ is None:
            return "transaction rolled back (too large for the mock to replay)"
        if not log_:
            if not self.attributes["autocommit"]:
                self.engine.begin()
            return None
        try:
            self.engine.begin()
            for kind, sql, params, types in log_:
                if kind == "many":
                    self.engine.insert_many(sql, params, types)
                else:
                    self.engine.execute(sql, params)
        except ee.EngineError as exc:
            with contextlib.suppress(ee.EngineError):
                self.engine.rollback()
            return f"transaction rolled back (its replay failed: {exc.message})"
        self._tx_log = log_
        return None

    def _with_session(self, text: str) -> str:
        return f"{text} (Session: {self.session_id})"

    def _note_transaction(self, changed: dict) -> None:
        open_ = self.engine.in_transaction
        if open_ != self.attributes["openTransaction"]:
            self.attributes["openTransaction"] = open_
            changed["openTransaction"] = open_

    # --- attributes (exasol.md 6) ----------------------------------------------------------
    def set_attributes(self, attributes: Mapping[str, Any]) -> dict[str, Any]:
        """Apply settable attributes (read-only and unknown ones ignored); returns the
        changed ones. RequestError for a wrong kind, ExaError for an unknown schema."""
        changed = {}
        for name, value in wire.check_attributes(attributes).items():
            if name == "currentSchema":
                if value.upper() != self.attributes["currentSchema"]:
                    self._open_schema(value)
                    changed[name] = self.attributes[name]
                continue
            if name == "autocommit" and value and self.engine.in_transaction:
                self._reset_log()
                self.engine.commit()  # switching autocommit on commits, as in Exasol
            if self.attributes.get(name) != value:
                self.attributes[name] = value
                changed[name] = value
        return changed

    def _cmd_getAttributes(self, request, changed) -> dict:  # noqa: N802 - command name
        self._note_transaction(changed)
        changed.clear()
        return {"status": "ok", "attributes": dict(self.attributes)}

    def _cmd_setAttributes(self, request, changed) -> dict:  # noqa: N802
        # handle() applied request.attributes already: they are this command's payload
        return wire.ok_reply()

    def _cmd_getHosts(self, request, changed) -> dict:  # noqa: N802
        host = request.get("hostIp") or self.ctx.host
        return wire.ok_reply({"numNodes": 1, "nodes": [host]})

    # --- schemas ---------------------------------------------------------------------------
    def _set_search_path(self, schema: str) -> None:
        path = ",".join(quote_ident(s) for s in ([schema] if schema else []) + [
            systables.SYSTEM_SCHEMA])
        self.engine.execute(f"SET search_path = '{path.replace(chr(39), chr(39) * 2)}'")

    def _schema_exists(self, name: str) -> bool:
        return bool(self.engine.execute(
            "SELECT 1 FROM duckdb_schemas() WHERE schema_name = $1 AND "
            "database_name = current_database()", [name]).rows)

    def _open_schema(self, name: str) -> None:
        """OPEN SCHEMA / currentSchema; "" closes it. ExaError for an unknown schema."""
        if name and not self._schema_exists(name):
            if self._schema_exists(name.upper()):
                name = name.upper()
            else:
                raise ExaError(SqlCode.SYNTAX_OR_ACCESS, f"schema {name.upper()} not found")
        if name in systables.HIDDEN_SCHEMAS and name != systables.SYSTEM_SCHEMA:
            raise ExaError(SqlCode.SYNTAX_OR_ACCESS, f"schema {name.upper()} not found")
        self._set_search_path(name)
        self.attributes["currentSchema"] = name

    # --- statements ------------------------------------------------------------------------
    def _begin_if_needed(self) -> None:
        if not self.attributes["autocommit"] and not self.engine.in_transaction:
            self.engine.begin()
            self._reset_log()

    def _timeout(self) -> None:
        self._timed_out = True
        self.engine.interrupt()

    def _engine_execute(self, sql: str, params: Sequence[Any] | None = None):
        if self._abort:
            raise ee.QueryCanceled("aborted before it started")
        timeout = self.attributes["queryTimeout"]
        timer = None
        self._timed_out = False
        if timeout:
            timer = threading.Timer(timeout, self._timeout)
            timer.daemon = True
            timer.start()
        try:
            return self.engine.execute(sql, params)
        except ee.QueryCanceled:
            if self._timed_out:
                raise ExaError(SqlCode.QUERY_TIMEOUT,
                               "Query terminated because timeout has been reached.") from None
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _check_schema(self, statement: Statement) -> None:
        current = self.attributes["currentSchema"]
        if not current:
            for name in statement.tables:
                if name not in systables.VIEWS:
                    raise ExaError(SqlCode.SYNTAX_OR_ACCESS, NO_SCHEMA)
        # the system schema is read-only: every session's catalog views live there
        system = systables.SYSTEM_SCHEMA
        touched = [schema or (system if name in systables.VIEWS else current)
                   for schema, name in statement.targets]
        if statement.kind in ("create_schema", "drop_schema"):
            touched.append(statement.schema or "")
        if any(schema.upper() in (system, "MAIN") for schema in touched):
            raise ExaError("42500", f"insufficient privileges: schema {system} is read-only")

    def run(self, statement: Statement, params: Sequence[Any] | None = None,
            changed: dict | None = None) -> dict:
        """One statement -> its ``results[]`` element."""
        changed = {} if changed is None else changed
        kind = statement.kind
        self._check_schema(statement)
        if kind == "open_schema":
            self._open_schema(statement.schema or "")
            changed["currentSchema"] = self.attributes["currentSchema"]
            return wire.row_count_result(0)
        if kind == "close_schema":
            self._open_schema("")
            changed["currentSchema"] = ""
            return wire.row_count_result(0)
        if kind in ("commit", "rollback"):
            if self.engine.in_transaction:
                self._reset_log()
                self.engine.commit() if kind == "commit" else self.engine.rollback()
            return wire.row_count_result(0)
        if kind == "alter_session":
            name, value = statement.setting
            if name not in _SESSION_PARAMETERS:
                raise ExaError(SqlCode.SYNTAX_OR_ACCESS, f"unknown session parameter {name}")
            allowed = _SESSION_PARAMETERS[name]
            if allowed is not None and value.upper() not in allowed:
                raise ExaError("0A000", f"Feature not supported: {name} = '{value}' (the "
                               "mock renders values with the default formats only)")
            return wire.row_count_result(0)
        self._begin_if_needed()
        result = self._engine_execute(statement.sql, params)
        self._log(("exec", statement.sql, params, None), _size(params))
        if kind == "create_schema" and statement.schema:
            self._open_schema(statement.schema)  # Exasol opens a schema it creates
            changed["currentSchema"] = self.attributes["currentSchema"]
        elif kind == "drop_schema" and statement.schema == self.attributes["currentSchema"]:
            self._set_search_path("")
            self.attributes["currentSchema"] = ""
            changed["currentSchema"] = ""
        return self._entry(result)

    def _entry(self, result) -> dict:
        if not result.has_result_set:
            return wire.row_count_result(max(result.rowcount, 0))
        rows = result.rows
        cap = self.attributes["resultSetMaxRows"]
        if cap and len(rows) > cap:
            rows = rows[:cap]
        engine_data = [list(col) for col in zip(*rows)] if rows else [
            [] for _ in result.columns]
        columns = coltypes.result_columns(result.columns, engine_data)
        data = coltypes.encode_columns(result.columns, [c["dataType"] for c in columns],
                                       engine_data)
        if len(rows) < wire.INLINE_ROW_LIMIT:
            return wire.result_set(columns, len(rows), data)
        handle = self._new_handle()
        self._results[handle] = _ResultSet(columns, data, len(rows))
        return wire.result_set(columns, len(rows), handle=handle)

    def _new_handle(self) -> int:
        if len(self._results) + len(self._statements) >= MAX_HANDLES:
            raise RequestError(SqlCode.UNKNOWN, f"too many open result sets and prepared "
                                                f"statements (limit {MAX_HANDLES}); close some")
        while True:
            handle = self._next_handle
            self._next_handle = 1 if handle >= _HANDLE_LIMIT else handle + 1
            if handle not in self._results and handle not in self._statements:
                return handle

    def _cmd_execute(self, request, changed) -> dict:
        entry = self.run(translate(request.get("sqlText")), None, changed)
        return wire.ok_reply({"numResults": 1, "results": [entry]})

    def _cmd_executeBatch(self, request, changed) -> dict:  # noqa: N802
        results = [self.run(translate(text), None, changed) for text in request.get("sqlTexts")]
        return wire.ok_reply({"numResults": len(results), "results": results})

    # --- result sets -----------------------------------------------------------------------
    def _result(self, handle: int) -> _ResultSet:
        rs = self._results.get(handle)
        if rs is None:
            raise RequestError(SqlCode.UNKNOWN, f"result set handle {handle} not found")
        return rs

    def _cmd_fetch(self, request, changed) -> dict:
        rs = self._result(request.get("resultSetHandle"))
        start = request.get("startPosition")
        if not 0 <= start <= rs.num_rows:
            raise RequestError(SqlCode.UNKNOWN, f"startPosition {start} outside the result "
                                                f"set of {rs.num_rows} rows")
        budget = min(max(request.get("numBytes"), 1), wire.MAX_DATA_MESSAGE_SIZE)
        count = wire.rows_within(coltypes.row_sizes(rs.data, start, rs.num_rows), budget)
        return wire.fetch_reply([col[start:start + count] for col in rs.data], count)

    def _cmd_closeResultSet(self, request, changed) -> dict:  # noqa: N802
        for handle in request.get("resultSetHandles"):
            self._results.pop(handle, None)
        return wire.ok_reply()

    def _cmd_getResultSetHeader(self, request, changed) -> dict:  # noqa: N802
        results = []
        for handle in request.get("resultSetHandles"):
            rs = self._result(handle)
            results.append(wire.result_set(rs.columns, rs.num_rows, handle=handle))
        return wire.ok_reply({"numResults": len(results), "results": results})

    # --- prepared statements ---------------------------------------------------------------
    def _param_type(self, hint, tables: dict) -> dict | None:
        if hint is None:
            return None
        (schema, table), column = hint
        key = (schema or self.attributes["currentSchema"], table)
        if key not in tables:
            try:
                tables[key] = self.engine.table_columns(*key)
            except ee.EngineError:
                tables[key] = None
        columns = tables[key]
        if not columns:
            return None
        if isinstance(column, int):
            found = columns[column] if column < len(columns) else None
        else:
            found = next((c for c in columns if c.name == column), None)
        return coltypes.data_type(found) if found is not None else None

    def _cmd_createPreparedStatement(self, request, changed) -> dict:  # noqa: N802
        text = request.get("sqlText")
        statement = translate(text)
        self._check_schema(statement)
        tables: dict = {}
        types, lenient = [], []
        for hint in statement.hints:
            found = self._param_type(hint, tables)
            types.append(found or wire.varchar_type())
            lenient.append(found is None)
        prepared = _Prepared(statement, text, types, lenient)
        if statement.kind == "query":
            prepared.result_columns = self._describe(statement)
        handle = self._new_handle()
        self._statements[handle] = prepared
        data: dict[str, Any] = {"statementHandle": handle}
        if statement.placeholders:
            data["parameterData"] = {"numColumns": len(types), "columns": [
                {"name": "", "dataType": t} for t in types]}
        if prepared.result_columns is not None:
            entry = wire.result_set(prepared.result_columns, 0)
        else:
            entry = wire.row_count_result(0)
        data.update(numResults=1, results=[entry])
        return wire.ok_reply(data)

    def _describe(self, statement: Statement) -> list[dict] | None:
        """Result columns of a query without running it (LIMIT 0, parameters NULL)."""
        try:
            result = self.engine.execute(
                f"SELECT * FROM ({statement.sql}) AS q LIMIT 0",
                [None] * statement.placeholders or None)
        except ee.EngineError:
            return None
        return coltypes.result_columns(result.columns, [])

    def _statement(self, handle: int) -> _Prepared:
        prepared = self._statements.get(handle)
        if prepared is None:
            raise RequestError(SqlCode.UNKNOWN, f"prepared statement handle {handle} not found")
        return prepared

    def _decode_rows(self, prepared: _Prepared, request) -> list[list[Any]]:
        n_params = prepared.statement.placeholders
        num_columns, num_rows = request.get("numColumns"), request.get("numRows")
        if num_columns != n_params:
            raise RequestError(SqlCode.UNKNOWN, f"numColumns is {num_columns}, the statement "
                                                f"has {n_params} parameters")
        data = request.get("data") or []
        if n_params == 0:
            if num_rows > 1:
                raise RequestError(SqlCode.UNKNOWN, "a statement without parameters runs "
                                                    "with at most one row")
            return [[]]
        if num_rows < 1 or len(data) != n_params or any(
                not isinstance(col, list) or len(col) != num_rows for col in data):
            raise RequestError(SqlCode.UNKNOWN, f"data must hold {n_params} columns of "
                                                f"numRows ({num_rows}) values")
        columns = []
        for values, dtype, lenient in zip(data, prepared.param_types, prepared.lenient):
            if lenient:
                if not all(isinstance(v, _SCALARS) for v in values):
                    raise RequestError(SqlCode.UNKNOWN, "getString: JSON value is not a "
                                                        "string")
                columns.append([None if v == "" else v for v in values])
            elif dtype["type"] in ("VARCHAR", "CHAR"):
                # Exasol stores an empty string as NULL (exasol.md 5.5)
                columns.append([None if v == "" else wire.decode_param(v, dtype)
                                for v in values])
            else:
                columns.append([wire.decode_param(v, dtype) for v in values])
        return [list(row) for row in zip(*columns)]

    def _cmd_executePreparedStatement(self, request, changed) -> dict:  # noqa: N802
        prepared = self._statement(request.get("statementHandle"))
        rows = self._decode_rows(prepared, request)
        statement = prepared.statement
        if statement.kind != "dml" or len(rows) == 1:
            if len(rows) != 1:
                raise RequestError(SqlCode.UNKNOWN, "only DML runs with several rows")
            entry = self.run(statement, rows[0] or None, changed)
            handle = entry.get("resultSet", {}).get("resultSetHandle")
            if handle:
                prepared.result_handles.add(handle)
            return wire.ok_reply({"numResults": 1, "results": [entry]})
        self._check_schema(statement)
        self._begin_if_needed()
        own_tx = not self.engine.in_transaction
        if own_tx:
            self.engine.begin()  # all rows or none
            self._reset_log()
        try:
            total = None
            types = [coltypes.duck_type(t) for t in prepared.param_types]
            if statement.sql.lstrip()[:6].upper() == "INSERT" and not any(prepared.lenient):
                total = self.engine.insert_many(statement.sql, rows, types)
            if total is None:
                total = 0
                for row in rows:
                    total += max(self._engine_execute(statement.sql, row).rowcount, 0)
                for row in rows:
                    self._log(("exec", statement.sql, row, None), _size(row))
            else:
                self._log(("many", statement.sql, rows, types), _size(rows))
            if own_tx:
                self.engine.commit()
        except BaseException:
            if own_tx and self.engine.in_transaction:
                self.engine.rollback()
            raise
        return wire.ok_reply({"numResults": 1, "results": [wire.row_count_result(total)]})

    def _cmd_closePreparedStatement(self, request, changed) -> dict:  # noqa: N802
        prepared = self._statements.pop(request.get("statementHandle"), None)
        if prepared is not None:
            for handle in prepared.result_handles:
                self._results.pop(handle, None)
        return wire.ok_reply()

    # --- metadata (v2+) --------------------------------------------------------------------
    def _metadata(self, request, changed) -> dict:
        sql, params = metadata.query(request.command, request.fields)
        result = self.engine.execute(sql, params or None)
        return wire.ok_reply({"numResults": 1, "results": [self._entry(result)]})


def _size(params: Any) -> int:
    """Rough bytes of parameters (for the replay budget)."""
    if params is None:
        return 16
    if isinstance(params, (list, tuple)):
        return 16 + sum(_size(p) for p in params) if len(params) < 64 else (
            16 + len(params) * _size(params[0]))
    return len(params) if isinstance(params, str) else 16

