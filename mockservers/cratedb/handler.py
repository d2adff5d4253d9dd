"""One CrateDB connection state and the execution of ``POST /_sql`` requests.

CrateDB keeps a session per HTTP connection: user, schema (from ``Default-Schema`` on the
first request, else ``doc``), ``SET`` values (cratedb.md 2.4). :class:`CrateSession` is that
state plus one engine session; :meth:`CrateSession.handle` runs one decoded request and
returns the HTTP status and JSON body, never raising for a client's mistake. Its calls
block (DuckDB): the server runs them on worker threads, one at a time per connection.

Statements too large for the mock's parser get the answer CrateDB gives when its parser runs
out of stack (crate/crate ``SqlParser.invokeParser``): ``ParsingException[line 1:1:
statement is too large (stack overflow while parsing)]``, code 4000. CrateDB's only limit is
its stack; the mock refuses, with that answer, a statement longer than
``max_statement_length`` characters (tokenizing costs time and memory in proportion), one
whose :func:`~.statements.expression_depth` passes ``max_expression_depth``, and any that
makes Python's recursion limit trip.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from dbapi_conformance.drivers.wire.cratedb import (
    DataType,
    SQLRequest,
    bulk_item,
    encode_bulk,
    encode_error,
    encode_result,
    encode_rowcount,
)
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb import udf, users
from dbapi_conformance.mockservers.cratedb.catalog import META_TABLES, Catalog, Relation
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, from_duckdb_type
from dbapi_conformance.mockservers.cratedb.commands import Outcome, run_command
from dbapi_conformance.mockservers.cratedb.copy import run_copy
from dbapi_conformance.mockservers.cratedb.live import Jobs, classify
from dbapi_conformance.mockservers.cratedb.live import refresh as refresh_live
from dbapi_conformance.mockservers.cratedb.pklookup import PkIndex, PkLookup
from dbapi_conformance.mockservers.cratedb.refresh import Refresher
from dbapi_conformance.mockservers.cratedb.statements import (
    Statement,
    StatementCache,
    not_a_statement,
    number_qmarks,
)
from dbapi_conformance.mockservers.cratedb.systables import SHARDS_VIEW, NodeInfo, shards_view
from dbapi_conformance.mockservers.cratedb.translate import DYNAMIC, Prepared, Translator, parse
from dbapi_conformance.mockservers.cratedb.values import (
    PROJECT,
    column_encoder,
    encode_rows,
    guess_type,
    param_converter,
)
from dbapi_conformance.mockservers.engine import Result
from dbapi_conformance.mockservers.engine import errors as eng

__all__ = ["ServerContext", "CrateSession", "ENGINE_SETTINGS", "MAX_STATEMENT_LENGTH",
           "MAX_EXPRESSION_DEPTH"]

log = logging.getLogger(__name__)

# DuckDB settings of the mock's engine. One DuckDB thread per statement: the server's
# parallelism is its connections (each runs on its own worker thread), and handing a small
# statement to DuckDB's own threads costs more than it runs (point queries ~15% more CPU).
ENGINE_SETTINGS = {"threads": 1}

_QUERY_WORDS = {"SELECT", "WITH", "VALUES", "INSERT", "UPDATE", "DELETE", "EXPLAIN"}
_OBJECTS = ("OBJECT", "UNCHECKED_OBJECT", "GEO_SHAPE")
_RETRIES = 5
_CACHE_SIZE = 512
_BULK_ONE_BY_ONE = 8  # a failed chunk of a bulk INSERT this small runs item by item
#: Characters of one statement (a 1,000-row multi-row INSERT is far below).
MAX_STATEMENT_LENGTH = 1 << 20
#: expression_depth(); chains of a few hundred operators parse fine, deeper ones do not.
MAX_EXPRESSION_DEPTH = 1000


def too_large() -> cerr.CrateError:
    """CrateDB's answer to a statement its parser cannot take (StackOverflowError)."""
    return cerr.parsing_error(1, 1, "statement is too large (stack overflow while parsing)")


def _killed() -> cerr.CrateError:
    return cerr.CrateError(5030, "JobKilledException", "Job killed. The client went away")


@dataclass
class ServerContext:
    """What every session of one server shares, including a cache of translations (the
    same statements come again and again; sqlglot takes most of a simple query's time)
    and one of split statement texts (``statements``)."""

    engine: object
    catalog: Catalog
    version: str
    node: NodeInfo | None = None
    jobs: Jobs = field(default_factory=Jobs)
    max_statement_length: int = MAX_STATEMENT_LENGTH
    max_expression_depth: int = MAX_EXPRESSION_DEPTH
    users: users.UserStore = field(default_factory=users.UserStore)
    refresh: Refresher | None = None  # strict refresh mode (refresh.py), off by default
    cache: OrderedDict = field(default_factory=OrderedDict)
    cache_lock: threading.Lock = field(default_factory=threading.Lock)
    statements: StatementCache = field(default_factory=StatementCache)
    #: primary-key lookups from table snapshots (pklookup.py); None: always DuckDB
    pk_index: PkIndex | None = None
    pk_lookups: bool = True

    def __post_init__(self):
        if self.pk_index is None and self.pk_lookups:
            self.pk_index = PkIndex(self.engine)

    def peek(self, key):
        """What :meth:`cached` holds for ``key``, or None; builds nothing."""
        with self.cache_lock:
            return self.cache.get(key)

    def cached(self, key, build):
        with self.cache_lock:
            found = self.cache.get(key)
            if found is not None:
                self.cache.move_to_end(key)
                return found
        value = build()
        with self.cache_lock:
            self.cache[key] = value
            if len(self.cache) > _CACHE_SIZE:
                self.cache.popitem(last=False)
        return value


def _full_type(column) -> str:
    if column.type_name == "DECIMAL" and column.precision is not None:
        return f"DECIMAL({column.precision},{column.scale or 0})"
    return column.type_name

def _parameter_type(args: list, index: int) -> CrateType | None:
    """CrateDB's type of a bare parameter column: OBJECT for a JSON object (bound as JSON
    text), else None (the engine's type of the bound value)."""
    value = args[index] if 0 <= index < len(args) else None
    return CrateType(DataType.OBJECT) if isinstance(value, dict) else None


def _compatible(t: CrateType, column) -> bool:
    """Whether a provenance type fits the engine's result type (an alias may have hidden
    an expression behind a column name)."""
    if t is DYNAMIC:
        return True
    derived = from_duckdb_type(_full_type(column))
    if derived.id == t.id or t.duck.upper() == _full_type(column).upper():
        return True
    if t.id.name in _OBJECTS and derived.id.name in _OBJECTS:
        return True
    return False


class CrateSession:
    """State of one client connection. ``user`` and ``schema`` come from the first request.
    Not thread-safe: the server serialises calls per connection."""

    def __init__(self, ctx: ServerContext, user: str, schema: str):
        self.ctx = ctx
        self.user = user
        self.initial_schema = schema
        self.schema = schema
        self.settings: dict[str, str] = {}
        self.session_id = ctx.jobs.new_session_id()
        self._engine_session = None
        #: set by cancel(): the client went away, start no further statement
        self.cancelled = False
        self._limits: udf.Limits | None = None  # of the running statement's JS calls

    # --- state used by commands.py -----------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        return self.ctx.catalog

    @property
    def engine_session(self):
        if self._engine_session is None:
            session = self.ctx.engine.session()
            # CrateDB divides integers like Java: 5 / 2 = 2
            session.execute("SET integer_division = true")
            # DuckDB draws a progress bar on stdout for long statements
            session.execute("SET enable_progress_bar = false")
            self._engine_session = session
        return self._engine_session

    def set_search_path(self, schema: str) -> None:
        self.schema = schema

    def show_settings(self) -> dict[str, str]:
        return {**self.settings, "search_path": self.schema}

    def relation(self, schema: str | None, name: str) -> Relation:
        """A relation by (optional) schema and name; RelationUnknown otherwise."""
        rel = self.catalog.get(schema or self.schema, name)
        if rel is None:
            raise cerr.relation_unknown(f"{schema}.{name}" if schema else name)
        return rel

    def translator(self) -> Translator:
        return Translator(self.catalog, self.schema, self.user, self.ctx.version,
                          search=self.ctx.refresh is not None)

    def prepare_query(self, text: str, args: list) -> tuple[Prepared, list]:
        """Translate a query or DML text; returns the statement and its converted params."""
        stmt = self.ctx.statements.split(text)
        tree = parse(stmt, number_qmarks(stmt))
        prepared = self.translator().prepare(tree, len(args))
        return prepared, self._params(prepared, args)

    def run_ddl(self, statements, add: Relation | None, *, schema: str | None = None,
                drop: Relation | None = None) -> int:
        """Run DDL and the matching catalog change in one DuckDB transaction."""
        if schema is not None:
            self.ctx.engine.ensure_schema(schema)
        session = self.engine_session
        # the tables these statements may write (Engine.data_version): the relations
        # changed and the catalog's own; not known without either relation
        touched = [(r.storage, r.name) for r in (add, drop) if r is not None]
        writes = touched + META_TABLES if touched else None
        session.begin()
        count = -1
        try:
            for sql, params in statements:
                count = session.execute(sql, params, writes=writes).rowcount
            if drop is not None:
                for sql, params in self.catalog.forget_statements(drop.schema, drop.name):
                    session.execute(sql, params, writes=META_TABLES)
            if add is not None:
                for sql, params in self.catalog.persist_statements(add):
                    session.execute(sql, params, writes=META_TABLES)
            session.commit()
        except BaseException:
            if session.in_transaction:
                session.rollback()
            raise
        if drop is not None:
            self.catalog.remove(drop.schema, drop.name)
        if add is not None:
            self.catalog.add(add)
        if self.ctx.node is not None and (add is not None or drop is not None):
            session.execute(shards_view(self.catalog, self.ctx.node), writes=[SHARDS_VIEW])
        if self.ctx.refresh is not None:
            self.ctx.refresh.on_ddl(session, add, drop)
        return count

    def interrupt(self) -> None:
        """Stop the statement now running (from another thread); a no-op when idle."""
        limits = self._limits
        if limits is not None:
            limits.stopped = True  # a JavaScript call it runs ends by its timeout
        if self._engine_session is not None:
            self._engine_session.interrupt()

    def cancel(self) -> None:
        """The client went away (from another thread): stop the running statement and start
        no other one."""
        self.cancelled = True
        self.interrupt()

    def close(self) -> None:
        if self._engine_session is not None:
            self._engine_session.close()
            self._engine_session = None

    # --- requests ----------------------------------------------------------------------
    def handle(self, request: SQLRequest, types: bool, error_trace: bool,
               deadline: float | None = None) -> tuple[int, bytes]:
        """Run one request: (HTTP status, JSON body). Client errors become CrateDB error
        bodies; an unexpected failure becomes a 5000 error, never an exception.
        ``deadline`` (``time.monotonic()``) is when the server stops waiting for it: no
        JavaScript call runs past it."""
        self._limits = limits = udf.Limits(deadline)
        try:
            with udf.statement_limits(limits):
                return self._handle(request, types, error_trace)
        finally:
            self._limits = None

    def answer_now(self, request: SQLRequest, types: bool,
                   error_trace: bool) -> tuple[int, bytes] | None:
        """:meth:`handle` for a request a table snapshot answers (pklookup.py) with work
        known in advance to be small (a few dict lookups, one row to encode), so that the
        server may run it on its event loop; None, having done nothing, for any other
        request (also one whose statement or translation is not cached yet)."""
        index = self.ctx.pk_index
        if index is None or request.bulk_args is not None or self.cancelled or (
                self._engine_session is not None and self._engine_session.in_transaction):
            return None
        text = request.stmt
        if len(text) > self.ctx.statements.max_text:
            return None
        stmt = self.ctx.statements.peek(text)
        if (stmt is None or not stmt.toks or stmt.words[0] != "SELECT"
                or stmt.depth > self.ctx.max_expression_depth):
            return None
        args = request.args
        prepared = self.ctx.peek((stmt.text, self.schema, self.user, len(args),
                                  self.catalog.generation))
        if prepared is None or prepared.lookup is None:
            return None
        try:
            params = self._params(prepared, args)
        except Exception:  # noqa: BLE001 - the worker path words the error
            return None
        rows = index.get(prepared.lookup, params)
        if rows is None:
            return None
        return self._handle(request, types, error_trace, (stmt, prepared, rows))

    def _handle(self, request: SQLRequest, types: bool, error_trace: bool,
                answer: tuple | None = None) -> tuple[int, bytes]:
        start = time.perf_counter()
        job = self.ctx.jobs.start(request.stmt, self.user, self.session_id)
        kind, failure = "UNDEFINED", None
        try:
            if len(request.stmt) > self.ctx.max_statement_length:
                raise too_large()
            stmt = (answer[0] if answer is not None
                    else self.ctx.statements.split(request.stmt))
            kind = classify(stmt.words[:3])
            if stmt.depth > self.ctx.max_expression_depth:
                raise too_large()
            if request.bulk_args is not None:
                results = self._bulk(stmt, request.bulk_args)
                return 200, encode_bulk(results, _ms(start))
            if answer is not None:  # answer_now: rows from a snapshot
                outcome = self._snapshot_result(answer[1], answer[2])
            else:
                outcome = self._single(stmt, request.args)
            if outcome.cols is None:
                return 200, encode_rowcount(outcome.rowcount, _ms(start), types)
            col_types = [t.col_type for t in outcome.types] if types else None
            return 200, encode_result(outcome.cols, col_types, outcome.rows, _ms(start))
        except Exception as exc:  # noqa: BLE001 - a mock bug must not kill the connection
            err = _as_crate_error(exc, request.stmt)
            failure = err.text
            return err.status, encode_error(err.code, err.message,
                                            cerr.error_trace(err) if error_trace else None)
        finally:
            # CrateDB logs statements that fail before execution as UNDEFINED (JobsLogs)
            self.ctx.jobs.finish(job, kind if failure is None else "UNDEFINED", failure)

    def _single(self, stmt: Statement, args: list) -> Outcome:
        if not stmt.toks:
            return Outcome(0)
        if users.is_user_statement(stmt):  # takes parameters: CREATE USER u WITH (password = ?)
            return users.run_statement(self, stmt, args)
        if stmt.words[0] == "COPY":
            return run_copy(self, stmt, args)
        outcome = run_command(self, stmt)
        if outcome is not None:
            return outcome
        first = stmt.words[0]
        if first == "EXPLAIN":
            return self._explain(stmt, args)
        if first not in _QUERY_WORDS and stmt.toks[0].kind != "L_PAREN":
            raise not_a_statement(stmt)
        prepared, params = self._prepare(stmt, args)
        return self._execute(prepared, params, args)

    def _prepare(self, stmt: Statement, args: list) -> tuple[Prepared, list]:
        def build() -> Prepared:
            tree = parse(stmt, number_qmarks(stmt))
            return self.translator().prepare(tree, len(args))

        if len(stmt.text) > self.ctx.statements.max_text:
            prepared = build()  # only statement-sized texts are kept, as by the statement cache
        else:
            key = (stmt.text, self.schema, self.user, len(args), self.catalog.generation)
            prepared = self.ctx.cached(key, build)
        return prepared, self._params(prepared, args)

    @staticmethod
    def _params(prepared: Prepared, args: list) -> list:
        converters = prepared.converters
        if converters is None:  # param_converter: convert_param, quicker for common values
            converters = prepared.converters = [
                (i, param_converter(prepared.hints.get(i))) for i in prepared.order]
        return [convert(args[i]) for i, convert in converters]

    def _execute(self, prepared: Prepared, params: list, args: list = ()) -> Outcome:
        if prepared.live:
            refresh_live(self, prepared.live)
        if self.cancelled:
            raise _killed()
        lookup = prepared.lookup
        if lookup is not None:
            return self._lookup(prepared, lookup, params, args)
        refresh = self.ctx.refresh
        if refresh is not None and prepared.searched != []:
            refresh.before_search(self.engine_session, prepared.searched)
        target = prepared.target
        writes = [(target.storage, target.name)] if (
            prepared.kind != "select" and target is not None) else None
        res = self._retrying(lambda: self.engine_session.execute(
            prepared.sql, params, project=PROJECT, writes=writes))
        if refresh is not None and prepared.kind != "select":
            refresh.written(prepared.target)
        if not res.columns:
            return Outcome(res.rowcount)
        return self._result(prepared, res, args)

    def _lookup(self, prepared: Prepared, lookup: PkLookup, params: list,
                args: list) -> Outcome:
        """A primary-key lookup (pklookup.py): from the table's snapshot when it can
        answer, else in DuckDB (which may make the snapshot worth taking)."""
        index = self.ctx.pk_index
        session = self.engine_session
        if index is not None and not session.in_transaction:
            rows = index.get(lookup, params)
            if rows is not None:
                return self._snapshot_result(prepared, rows)
        start = time.perf_counter()
        res = self._retrying(lambda: session.execute(prepared.sql, params, project=PROJECT))
        if index is not None and not session.in_transaction:
            index.ran(session, lookup, res.columns, time.perf_counter() - start, PROJECT)
        return self._result(prepared, res, args)

    def _snapshot_result(self, prepared: Prepared, rows: list[tuple]) -> Outcome:
        """:meth:`_result` of rows from a snapshot: their columns are those DuckDB gave
        for the statement (PkLookup.columns), so their types and encoders are worked out
        once (plain table columns: nothing in them depends on the request's values)."""
        lookup = prepared.lookup
        columns = lookup.columns
        shape = lookup.shape
        if shape is None or shape[0] is not columns:
            types = self._result_types(prepared, columns, ())
            if any(t is DYNAMIC for t in types):  # guessed from the values each time
                return self._result(prepared, Result(columns, rows, len(rows), "SELECT"))
            shape = lookup.shape = (columns, [c.name for c in columns], types, [
                column_encoder(c.type_name, t) for c, t in zip(columns, types)])
        _, names, types, encoders = shape
        out = encode_rows(rows, encoders)
        return Outcome(len(out), names, list(types), out)

    def _result(self, prepared: Prepared, res, args: list = ()) -> Outcome:
        types = self._result_types(prepared, res.columns, args)
        rows = encode_rows(res.rows, [column_encoder(c.type_name, t)
                                      for c, t in zip(res.columns, types)])
        for i, t in enumerate(types):
            if t is DYNAMIC:
                types[i] = guess_type(row[i] for row in rows)
        return Outcome(len(rows), [c.name for c in res.columns], types, rows)

    @staticmethod
    def _result_types(prepared: Prepared, columns, args) -> list[CrateType]:
        """The CrateDB type of each result column (DYNAMIC: to be guessed from values)."""
        types: list[CrateType] = []
        for i, column in enumerate(columns):
            t = None
            if prepared.out_types is not None and i < len(prepared.out_types):
                t = prepared.out_types[i]
            elif prepared.out_types is None:
                t = prepared.by_name.get(column.name)
            if t is not None and t.params[:1] == (-2,):  # a bare parameter: SELECT ?
                t = _parameter_type(args, t.params[1]) or from_duckdb_type(_full_type(column))
            elif t is None or not _compatible(t, column):
                t = from_duckdb_type(_full_type(column))
            types.append(t)
        return types

    def _explain(self, stmt: Statement, args: list) -> Outcome:
        inner = stmt.toks[1:]
        while inner and inner[0].word in ("ANALYZE", "VERBOSE", "COSTS"):
            inner = inner[1:]
        if inner and inner[0].kind == "L_PAREN":  # EXPLAIN (COSTS FALSE) ...
            depth = 0
            for j, t in enumerate(inner):
                depth += t.kind == "L_PAREN"
                depth -= t.kind == "R_PAREN"
                if depth == 0:
                    inner = inner[j + 1:]
                    break
        if not inner:
            raise not_a_statement(stmt)
        text = stmt.text[inner[0].start:]
        prepared, params = self.prepare_query(text, args)
        res = self.engine_session.execute("EXPLAIN " + prepared.sql, params)
        plan = "\n".join(str(r[-1]) for r in res.rows)
        return Outcome(1, ["QUERY PLAN"], [from_duckdb_type("VARCHAR")], [[plan]])

    def _bulk(self, stmt: Statement, bulk_args: list[list]) -> list[dict]:
        if not bulk_args:
            return []
        if not stmt.toks or (stmt.words[0] not in _QUERY_WORDS
                             and stmt.toks[0].kind != "L_PAREN"):
            return [{"rowcount": self._single(stmt, args).rowcount} for args in bulk_args]
        nargs = max(len(a) for a in bulk_args)
        prepared, _ = self._prepare(stmt, [None] * nargs)
        if prepared.kind == "select" or (prepared.out_types is not None and
                                         len(prepared.out_types) > 0):
            raise cerr.unsupported(
                "Bulk operations for statements that return result sets is not supported")
        converted = []
        converters = [(i, param_converter(prepared.hints.get(i))) for i in prepared.order]
        for args in bulk_args:
            if len(args) < prepared.nargs:
                raise cerr.parse_error(
                    f"The query contains a parameter placeholder ${len(args) + 1}, but there "
                    f"are only {len(args)} parameter values")
            converted.append([convert(args[i]) for i, convert in converters])
        types = self._bulk_types(prepared)
        results: list[dict] = []
        self._bulk_chunk(prepared, converted, types, results)
        return results

    @staticmethod
    def _bulk_types(prepared: Prepared) -> list[str] | None:
        """The DuckDB type of each placeholder of a plain INSERT, when the columns the
        values meet tell them all; None when the items must run one by one."""
        if prepared.kind != "insert" or prepared.out_types:
            return None
        types = []
        for i in prepared.order:
            t = prepared.hints.get(i)
            if t is None:
                return None
            types.append(t.duck)
        return types

    def _bulk_chunk(self, prepared: Prepared, chunk: list[list], types: list[str] | None,
                    results: list[dict]) -> None:
        """Run the items of ``chunk`` in order, appending CrateDB's result per item. A
        plain INSERT goes in as one engine statement (all or nothing); when that fails, the
        halves are tried in turn, and the items of a small chunk one by one, so that each
        failing item gets its own error (rowcount -2) and the others their rows."""
        if self.cancelled:
            raise _killed()
        if types is not None and len(chunk) > _BULK_ONE_BY_ONE:
            try:
                target = prepared.target
                count = self._retrying(lambda: self.engine_session.insert_many(
                    prepared.sql, chunk, types,
                    writes=[(target.storage, target.name)] if target is not None else None))
            except eng.EngineError:  # some item fails: find which, half by half
                half = len(chunk) // 2
                self._bulk_chunk(prepared, chunk[:half], types, results)
                self._bulk_chunk(prepared, chunk[half:], types, results)
                return
            if count is not None:
                if count != len(chunk):  # a plain INSERT writes one row per item
                    raise cerr.CrateError(5000, "RuntimeException",
                                          f"bulk insert wrote {count} rows for {len(chunk)}")
                if self.ctx.refresh is not None:
                    self.ctx.refresh.written(prepared.target)
                results.extend(bulk_item(1) for _ in chunk)
                return
        for params in chunk:
            try:
                results.append(bulk_item(self._execute(prepared, params).rowcount))
            except eng.EngineError as exc:
                err = cerr.from_engine(exc)
                if not err.runtime:
                    raise err from None
                results.append(bulk_item(-2, (err.code, err.message)))

    @staticmethod
    def _retrying(run):
        """``run()``, retried on a write-write conflict with another connection's
        statement: CrateDB retries conflicting writes itself, so the mock does too."""
        for attempt in range(_RETRIES):
            try:
                return run()
            except eng.TransactionError:
                if attempt == _RETRIES - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))


def _as_crate_error(exc: Exception, stmt: str) -> cerr.CrateError:
    """The CrateDB error a failed request answers with."""
    if isinstance(exc, RecursionError):
        return too_large()
    if isinstance(exc, cerr.CrateError):
        return exc
    if isinstance(exc, eng.EngineError):
        return cerr.from_engine(exc)
    log.exception("unexpected failure for %r", stmt[:200])
    return cerr.CrateError(5000, type(exc).__name__, str(exc))  # HTTP 500


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0

