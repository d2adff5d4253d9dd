"""The Ignite 3 Cursor: SQL_EXEC, paged fetch, SQL_EXEC_BATCH, SQL_EXEC_SCRIPT.

Parameters always travel as the statement's argument tuple (protocols/ignite3.md 5.1,
6.4): the server binds them, never the SQL text. A mapping binds ``:name`` placeholders
(the module's ``named`` paramstyle, one PEP 249 prefers, GLB-PARAM-2), rewritten to
Ignite's ``?`` with the shared converter (literals, quoted identifiers and comments are
skipped); a sequence binds Ignite's own ``?`` as they are. Mixing both is refused.

Results come page by page (ignite3.md 5.2-5.4): SQL_EXEC brings the first ``page_size``
rows, SQL_CURSOR_NEXT_PAGE the next page when the rows in hand run out, and a cursor
closed (or re-executed) before the last page sends SQL_CURSOR_CLOSE. ``rowcount`` of a
query is -1 until the last page has arrived, then the number of rows (CUR-ROWC-4).
``scroll`` moves forwards freely and backwards within the rows still buffered
(NotSupportedError beyond them, EXT-SCROLL-3).

``executemany`` sends every parameter set in ONE SQL_EXEC_BATCH request; ``rowcount`` is
the sum of the per-set counts. When a set fails the error is raised and its
``update_counters`` (and the cursor's ``rowcount``) give what was applied before it.

``executescript(script)`` (an extension) runs several ``;``-separated statements, including
``START TRANSACTION``/``COMMIT``, in one SQL_EXEC_SCRIPT request (ignite3.md 5.7). The
server returns no result sets: afterwards ``description`` is None and ``rowcount`` -1. A
script commits the connection's open transaction first and runs outside it
(see :mod:`.connection`).
"""

from __future__ import annotations

from typing import Any, Iterable

from dbapi_conformance.drivers._dbapi.cursor import CursorBase, check_operation
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    DataError,
    Error,
    InterfaceError,
    NotSupportedError,
    ProgrammingError,
)
from dbapi_conformance.drivers._dbapi.paramstyle import (
    Scanner,
    as_sequence,
    is_mapping,
    pick,
    rewrite,
)
from dbapi_conformance.drivers.ignite.types import description as describe
from dbapi_conformance.drivers.wire.ignite import (
    EncodeError,
    SqlCursorClose,
    SqlCursorNextPage,
    SqlExec,
    SqlExecBatch,
    SqlExecBatchResponse,
    SqlExecResponse,
    SqlExecScript,
    SqlPageResponse,
    python_type,
)

__all__ = ["Cursor"]

_SCANNER = Scanner(("qmark",))
_INT64 = (-(2 ** 63), 2 ** 63 - 1)




def _named(sql: str) -> tuple[str, tuple]:
    """``:name`` placeholders -> ``?``; the names in ``?`` order."""
    if _SCANNER.find(sql):
        raise ProgrammingError("parameters given as a mapping bind :name placeholders; this "
                               "statement uses ?, which takes a sequence")
    return rewrite(sql, "named", "qmark")


def _bind(sql: str, parameters: Any, where: str = "") -> tuple[str, list]:
    """The SQL to send and its arguments (see the module docstring)."""
    if is_mapping(parameters):
        sql, names = _named(sql)
        return sql, _check_values(pick(parameters, names), where)
    args = as_sequence(parameters, "qmark")
    needed = len(_SCANNER.find(sql))
    if len(args) != needed:
        raise ProgrammingError(f"the statement has {needed} parameter placeholder(s) but "
                               f"{len(args)} parameter(s) were given{where}")
    return sql, _check_values(args, where)


def _check_values(args: list, where: str) -> list:
    for i, value in enumerate(args):
        if value is None:
            continue
        try:
            python_type(value)
        except EncodeError:
            raise ProgrammingError(f"parameter {i + 1}{where}: Ignite has no type for a "
                                   f"{type(value).__name__} value") from None
        if isinstance(value, int) and not _INT64[0] <= value <= _INT64[1]:
            raise DataError(f"parameter {i + 1}{where}: {value} does not fit in BIGINT")
    return args


class Cursor(CursorBase):
    """A PEP 249 cursor of an Ignite :class:`~.connection.Connection` (see the module
    docstring). Besides the PEP 249 surface: :meth:`executescript`."""

    def __init__(self, connection: Any):
        super().__init__(connection)
        self._server_cursor: int | None = None  # id while more pages remain
        self._base = 0  # absolute index of self._rows[0]
        self._channel = None  # the channel the server cursor lives on

    # --- executing ---------------------------------------------------------------------

    def _begin(self) -> None:
        self._start()
        self._release()
        self._clear_result()
        self._base = 0

    @handles_errors
    def execute(self, operation: str, parameters: Any = None) -> None:
        """Run one statement (CUR-EXEC-1..5) through SQL_EXEC.

        ``parameters``: a mapping for ``:name`` placeholders, or a sequence with one value
        per ``?``. ProgrammingError for a missing name, a wrong number of values or a value
        of no Ignite type; DataError for an int beyond BIGINT; server errors per :mod:`.errors`.
        """
        self._begin()
        sql, args = _bind(check_operation(operation), parameters)
        conn = self._connection
        tx = conn._tx_for(sql)
        response = conn._request(lambda rid, ts: SqlExec(
            request_id=rid, tx_id=tx, properties=conn._properties(), statement=sql,
            args=args, observable_timestamp=ts))
        if not isinstance(response, SqlExecResponse):
            raise InterfaceError(f"SQL_EXEC answered with {type(response).__name__}")
        if not response.has_row_set:
            self._set_rowcount(response.affected_rows)
            return
        self._description = describe(response.columns)
        self._rows = list(response.rows)
        self._pos = 0
        if response.has_more_pages and response.cursor_id is not None:
            self._server_cursor = response.cursor_id
            self._channel = conn._channel
            self._rowcount = -1
        else:
            self._rowcount = len(self._rows)

    @handles_errors
    def executemany(self, operation: str, seq_of_parameters: Iterable[Any]) -> None:
        """Run one statement once per parameter set, all sets in ONE SQL_EXEC_BATCH
        request (CUR-EXECMANY-1..3). An empty sequence sends nothing (rowcount 0)."""
        self._begin()
        sql = check_operation(operation)
        try:
            given = list(seq_of_parameters)
        except TypeError:
            raise ProgrammingError(
                "seq_of_parameters must be an iterable of parameter sets, not "
                f"{type(seq_of_parameters).__name__}") from None
        if not given:
            self._set_rowcount(0)
            return
        if is_mapping(given[0]):
            sql, names = _named(sql)
            rows = [_check_values(pick(p, names), f" in parameter set {i}")
                    for i, p in enumerate(given)]
        else:
            rows = [_bind(sql, p, f" in parameter set {i}")[1] for i, p in enumerate(given)]
        conn = self._connection
        tx = conn._tx_for(sql)
        try:
            response = conn._request(lambda rid, ts: SqlExecBatch(
                request_id=rid, tx_id=tx, properties=conn._properties(), statement=sql,
                rows=rows, observable_timestamp=ts))
        except Error as exc:
            counters = getattr(exc, "update_counters", None)
            if counters is not None:
                self._set_rowcount(sum(c for c in counters if c > 0))
            raise
        if not isinstance(response, SqlExecBatchResponse):
            raise InterfaceError(f"SQL_EXEC_BATCH answered with {type(response).__name__}")
        counts = list(response.counts)
        self._set_rowcount(-1 if any(c < 0 for c in counts) else sum(counts))

    @handles_errors
    def executescript(self, script: str, parameters: Any = None) -> None:
        """Run a script of ``;``-separated statements in one SQL_EXEC_SCRIPT request
        (ignite3.md 5.7); ``parameters`` bind the script's ``?`` in order. The script
        commits the connection's open transaction first and may hold its own
        ``START TRANSACTION ... COMMIT``. No result sets come back."""
        self._begin()
        sql, args = _bind(check_operation(script), parameters)
        conn = self._connection
        conn._tx_for(None)
        conn._request(lambda rid, ts: SqlExecScript(
            request_id=rid, properties=conn._properties(), script=sql, args=args,
            observable_timestamp=ts))
        self._set_rowcount(-1)

    def callproc(self, procname: str, parameters: Any = None) -> Any:
        """Ignite has no stored procedures: NotSupportedError (CUR-CALLPROC-*)."""
        self._start()
        raise NotSupportedError("Ignite 3 has no stored procedures")

    def nextset(self) -> None:
        """Ignite returns one result set per statement: NotSupportedError."""
        self._start()
        raise NotSupportedError("Ignite 3 returns one result set per statement")

    # --- pages -------------------------------------------------------------------------

    def _more(self) -> bool:
        """Fetch the next page into the buffer; False when there are no more pages."""
        cursor_id = self._server_cursor
        if cursor_id is None:
            return False
        conn = self._connection
        if conn._channel is not self._channel:
            self._server_cursor = None
            raise InterfaceError("the connection to the node was lost; this result's "
                                 "remaining pages are gone")
        try:
            response = conn._request(lambda rid, ts: SqlCursorNextPage(
                request_id=rid, cursor_id=cursor_id))
        except Error:
            self._server_cursor = None
            raise
        if not isinstance(response, SqlPageResponse):
            self._server_cursor = None
            raise InterfaceError(f"SQL_CURSOR_NEXT_PAGE answered with "
                                 f"{type(response).__name__}")
        # keep only the unread rows (and what scroll may go back to on this page)
        drop = max(0, self._pos - self._base)
        if drop:
            del self._rows[:drop]
            self._base += drop
        self._rows.extend(response.rows)
        if not response.has_more_pages:
            self._server_cursor = None
            self._rowcount = self._base + len(self._rows)
        return True

    def _ensure(self, n: int | None) -> list[tuple]:
        """The buffer, holding at least ``n`` unread rows if the result has them (all the
        rest for None)."""
        rows = self._result_rows()
        while self._server_cursor is not None and (
                n is None or self._base + len(rows) - self._pos < n):
            self._more()
            rows = self._rows
        return rows

    @handles_errors
    def fetchone(self) -> tuple | None:
        """The next row, or None at the end (CUR-FONE-1); ProgrammingError without a
        result set (CUR-FONE-2)."""
        rows = self._ensure(1)
        i = self._pos - self._base
        if i < len(rows):
            self._pos += 1
            return rows[i]
        return None

    @handles_errors
    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) rows (CUR-FMANY-1..4)."""
        self._result_rows()
        if size is None:
            size = self._arraysize
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProgrammingError(f"fetchmany size must be an int >= 0, not {size!r}")
        rows = self._ensure(size)
        i = self._pos - self._base
        chunk = rows[i:i + size]
        self._pos += len(chunk)
        return chunk

    @handles_errors
    def fetchall(self) -> list[tuple]:
        """All remaining rows (CUR-FALL-1/2), fetching every page left."""
        rows = self._ensure(None)
        i = self._pos - self._base
        self._pos = self._base + len(rows)
        return rows[i:]

    @handles_errors
    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move to ``pos + value`` (relative) or ``value`` (absolute) (EXT-SCROLL-1/2).
        IndexError beyond the result's end (position unchanged); NotSupportedError for a
        row before the buffered ones (EXT-SCROLL-3)."""
        self._result_rows()
        del self.messages[:]
        if mode not in ("relative", "absolute"):
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProgrammingError(f"scroll value must be an int, not {value!r}")
        target = self._pos + value if mode == "relative" else value
        if target < 0:
            raise IndexError(f"scroll target {target} is before the first row")
        if target < self._base:
            raise NotSupportedError(f"scroll target {target} is before the rows still held "
                                    f"(from {self._base}): Ignite cursors go forwards only")
        # fetch pages without dropping rows, so that a failed move leaves the position
        pos, self._pos = self._pos, self._base
        try:
            while self._server_cursor is not None and self._base + len(self._rows) < target:
                self._more()
        finally:
            self._pos = pos
        if target > self._base + len(self._rows):
            raise IndexError(f"scroll target {target} is outside the result "
                             f"(0..{self._base + len(self._rows)})")
        self._pos = target

    @property
    def rownumber(self) -> int | None:
        """0-based index of the next row; None without a result set (EXT-ROWNUM-1)."""
        return None if self._rows is None else self._pos

    # --- closing -----------------------------------------------------------------------

    def _release(self) -> None:
        """SQL_CURSOR_CLOSE for a result whose last page has not been read."""
        cursor_id, self._server_cursor = self._server_cursor, None
        conn = self._connection
        if cursor_id is None or conn.closed or conn._channel is not self._channel:
            return
        conn._request(lambda rid, ts: SqlCursorClose(request_id=rid, cursor_id=cursor_id))

    @handles_errors
    def close(self) -> None:
        """Close the cursor (CUR-CLOSE-1); an unfinished result is closed on the server."""
        if self._closed:
            return
        self._closed = True
        try:
            if not self._connection.closed:
                self._release()
        finally:
            self._clear_result()
        self._connection._check_open()

    def __exit__(self, *exc_info: Any) -> None:
        if not self._closed:
            self._closed = True
            try:
                if not self._connection.closed:
                    self._release()
            finally:
                self._clear_result()
