"""The engine: one DuckDB database shared by every session of a mock server."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
from sqlglot import exp

from dbapi_conformance.mockservers.engine import errors
from dbapi_conformance.mockservers.engine import translate as _translate
from dbapi_conformance.mockservers.engine.errors import from_duckdb
from dbapi_conformance.mockservers.engine.session import Session
from dbapi_conformance.mockservers.engine.types import quote_ident

__all__ = ["Engine"]

# No file access from SQL (COPY, read_csv, ATTACH, INSTALL) and no extension downloads: a
# mock server must not become a way to read or write the host's files. DuckDB refuses to
# turn external access back on while the database is open, so clients cannot undo this.
_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}


class Engine:
    """One DuckDB database (``path``: a file, so data survives a restart; None: in memory).

    Sessions (:meth:`session`) are independent DuckDB connections to it, each with its own
    transaction and default schema; they may be used from different threads at once. Every
    session starts with time zone UTC.

    ``settings``: DuckDB settings applied to every session (``SET GLOBAL``), for semantics a
    database needs, e.g. ``{"integer_division": True}`` makes ``7 / 2`` give 3 and any
    division by zero (also of doubles) raise DivisionByZero, as in SQL databases where
    ``/`` on integers is integer division.

    Raises InternalError when the file cannot be opened (for example, another process holds
    its lock); an EngineError for an unknown setting or value (ParameterError for a name
    that is not a plain identifier).
    """

    def __init__(self, path: str | os.PathLike | None = None, *,
                 settings: Mapping[str, Any] | None = None):
        self.path = None if path is None else os.fspath(path)
        try:
            self._root = duckdb.connect(self.path or ":memory:", config=dict(_CONFIG))
        except duckdb.Error as exc:
            raise from_duckdb(exc) from None
        try:
            for name, value in {"TimeZone": "UTC", **(settings or {})}.items():
                if not name.replace("_", "").isalnum():
                    raise errors.ParameterError(f"not a setting name: {name!r}")
                # SET takes no placeholders; the value goes in as a quoted literal
                literal = ("true" if value else "false") if isinstance(value, bool) else (
                    "'" + str(value).replace("'", "''") + "'")
                self._root.execute(f"SET GLOBAL {name} = {literal}")
        except duckdb.Error as exc:
            self._root.close()
            raise from_duckdb(exc) from None
        except errors.EngineError:
            self._root.close()
            raise
        self._lock = threading.Lock()
        self._sessions: weakref.WeakSet[Session] = weakref.WeakSet()
        self._closed = False
        self._generation_lock = threading.Lock()
        self._generation = 0
        # data versions (data_version): every table's, and one that moves for all tables
        self._data_lock = threading.Lock()
        self._data_all = 0
        self._data_tables: dict[tuple[str, str], int] = {}

    # --- sessions ------------------------------------------------------------------------
    def session(self) -> Session:
        """A new session on its own DuckDB connection (InternalError after close())."""
        with self._lock:
            if self._closed:
                raise errors.InternalError("engine is closed")
            try:
                session = Session(self, self._root.cursor())
            except duckdb.Error as exc:
                raise from_duckdb(exc) from None
            self._sessions.add(session)
        return session

    def _forget(self, session: Session) -> None:
        with self._lock:
            self._sessions.discard(session)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def generation(self) -> int:
        """A number that changes whenever a statement may have changed the catalog (DDL,
        SET, ... by any session, or the commit of a transaction that ran one), so that what
        a session derived from result types (its projection plans) is known to be stale."""
        return self._generation

    def catalog_changed(self) -> None:
        """Move :attr:`generation` on (thread-safe)."""
        with self._generation_lock:
            self._generation += 1

    def data_version(self, table: tuple[str, str]) -> tuple[int, int]:
        """A value that changes once any statement that may have written DuckDB table
        ``table`` (``(schema, name)``) has ended, successful or not, committed or not:
        compare it before and after reading the table to know whether what was read may be
        stale. Moved by :meth:`data_changed`, which the sessions call after every statement
        other than a query (for one whose caller names the tables it writes, only those
        tables' values move; for any other, every table's do; see Session.execute), and
        so do this engine's own writes. Thread-safe."""
        with self._data_lock:
            return self._data_all, self._data_tables.get(table, 0)

    def data_changed(self, table: tuple[str, str] | None = None) -> None:
        """Move :meth:`data_version` on for ``table``, or for every table (None)."""
        with self._data_lock:
            if table is None:
                self._data_all += 1
            else:
                self._data_tables[table] = self._data_tables.get(table, 0) + 1

    def close(self) -> None:
        """Close every session (open transactions roll back) and the database. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sessions = list(self._sessions)
        for session in sessions:  # stop running statements so close() does not wait on them
            session.interrupt()
        for session in sessions:
            session.close()
        with self._lock:
            try:
                self._root.close()
            except duckdb.Error:
                pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- catalog -------------------------------------------------------------------------
    def _run(self, sql: str, params=None, writes: Sequence[tuple[str, str]] | None = None):
        """Run on the root connection (autocommit), under the engine lock. ``writes``: the
        only tables ``sql`` may write (None: any; see :meth:`data_version`)."""
        with self._lock:
            if self._closed:
                raise errors.InternalError("engine is closed")
            try:
                return self._root.execute(sql, params).fetchall()
            except duckdb.Error as exc:
                raise from_duckdb(exc) from None
            finally:
                for table in (writes if writes is not None else [None]):
                    self.data_changed(table)

    def create_function(self, name: str, fn, params: Sequence[str], returns: str, *,
                        side_effects: bool = False) -> None:
        """Register the Python callable ``fn`` as the scalar SQL function ``name`` of every
        session (DuckDB types as text; NULL arguments reach ``fn`` as None). An exception
        ``fn`` raises fails the statement. Needs numpy (DuckDB's Python functions do).

        ``side_effects=True`` makes the function volatile for DuckDB: it is called once per
        row at execution only, never folded (tried) while planning."""
        with self._lock:
            try:
                self._root.create_function(name, fn, list(params), returns, type="native",
                                           null_handling="special",
                                           side_effects=side_effects)
            except duckdb.Error as exc:
                raise from_duckdb(exc) from None
            finally:
                self.data_changed()

    def remove_function(self, name: str) -> None:
        """Forget a function made by :meth:`create_function` (a no-op for unknown names)."""
        with self._lock:
            try:
                self._root.remove_function(name)
            except duckdb.Error:
                pass
            finally:
                self.data_changed()

    def ensure_schema(self, name: str) -> None:
        """Create schema ``name`` if it does not exist (committed at once; safe to race)."""
        try:
            self._run(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}", writes=())
        except errors.TransactionError:
            # another session created it concurrently: fine if it now exists
            if not self._run("SELECT 1 FROM duckdb_schemas() WHERE schema_name = $1", [name],
                             writes=()):
                raise

    def load_rows(self, schema: str, table: str,
                  columns: str | Sequence[tuple[str, str]],
                  rows: Iterable[Sequence]) -> int:
        """(Re)create table ``schema.table`` and fill it with ``rows``; returns the row count.

        ``columns``: a column list in DuckDB DDL (``"a INTEGER, b VARCHAR NOT NULL"``) or
        ``[(name, type), ...]``. ``rows``: sequences of Python values in column order. The
        rows go in column-wise through one ``unnest`` per column (1605 rows x 9 columns take
        about 15 ms). The schema is created if absent; an existing table is replaced.
        Read-only-ness is not enforced by DuckDB: a mock must refuse writes itself.
        """
        if not isinstance(columns, str):
            columns = ", ".join(f"{quote_ident(n)} {t}" for n, t in columns)
        qualified = f"{quote_ident(schema)}.{quote_ident(table)}"
        self.ensure_schema(schema)
        written = [(schema, table)]
        self._run(f"CREATE OR REPLACE TABLE {qualified} ({columns})", writes=written)
        self.catalog_changed()
        types = [t for (t,) in self._run(
            "SELECT data_type FROM duckdb_columns() WHERE schema_name = $1 AND table_name = $2 "
            "ORDER BY column_index", [schema, table], writes=())]
        rows = list(rows)
        if not rows:
            return 0
        if any(len(row) != len(types) for row in rows):
            raise errors.ParameterError(
                f"every row must have {len(types)} values (the columns of {schema}.{table})")
        data = [list(col) for col in zip(*rows)]
        select = ", ".join(f"unnest(${i}::{t}[])" for i, t in enumerate(types, 1))
        self._run(f"INSERT INTO {qualified} SELECT {select}", data, writes=written)
        return len(data[0])

    # --- SQL dialects (sqlglot) ----------------------------------------------------------
    @staticmethod
    def translate(sql: str, read: str = "postgres") -> str:
        """``sql`` in sqlglot dialect ``read`` -> DuckDB SQL text. See translate.translate."""
        return _translate.translate(sql, read)

    @staticmethod
    def parse(sql: str, read: str = "postgres") -> exp.Expression:
        """The single statement of ``sql`` as a sqlglot AST. See translate.parse."""
        return _translate.parse(sql, read)

    @staticmethod
    def parse_all(sql: str, read: str = "postgres") -> list[exp.Expression]:
        """Every statement of ``sql`` as sqlglot ASTs. See translate.parse_all."""
        return _translate.parse_all(sql, read)

    @staticmethod
    def to_sql(expression: exp.Expression) -> str:
        """DuckDB SQL text of a sqlglot AST. See translate.to_sql."""
        return _translate.to_sql(expression)
