"""The Exasol Cursor: statements, prepared-statement parameters, streamed result sets.

- ``execute(sql)`` without parameters sends ``execute``; with parameters it sends
  ``createPreparedStatement`` and one ``executePreparedStatement`` whose ``data`` holds the
  values column-major (protocols/exasol.md 4, 5.6): the server binds them, the SQL text
  never holds a value. Parameters are a sequence for Exasol's own ``?`` placeholders, or a
  mapping for ``:name`` placeholders (the module's ``named`` paramstyle, one of those
  PEP 249 prefers, GLB-PARAM-2), which are rewritten to ``?`` with the shared converter,
  skipping literals, quoted identifiers and comments. Mixing the two is refused.
  The cursor keeps its last prepared statement open and reuses it while the SQL text stays
  the same; it is closed with the cursor, or when another statement is prepared.
- ``executemany(sql, seq)``: ONE ``executePreparedStatement`` with every parameter set as a
  row (``numRows`` = the number of sets); ``rowcount`` is the server's total.
- Results (5.2, 5.3): a result below 1,000 rows comes whole in the reply; a larger one
  leaves a ``resultSetHandle`` on the server, and rows are pulled with ``fetch``
  (``startPosition``, ``numBytes`` = the connection's ``fetch_bytes``) as the caller reads
  them. Only the current chunk is held in memory. ``scroll`` may move anywhere in the
  result: a position outside the chunk is fetched again from the server. The handle is
  closed (``closeResultSet``) by the next execute or by ``close()``.
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

from dbapi_conformance.drivers._dbapi.cursor import CursorBase, check_operation
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    DataError,
    InterfaceError,
    ProgrammingError,
)
from dbapi_conformance.drivers._dbapi.paramstyle import (
    Scanner,
    as_sequence,
    is_mapping,
    pick,
    rewrite,
)
from dbapi_conformance.drivers.exasol.types import describe
from dbapi_conformance.drivers.wire import exasol as wire

__all__ = ["Cursor"]

# Exasol's SQL: '...' literals with '' for a quote, "..." identifiers, -- and /* */ comments.
_SCANNER = Scanner(("qmark",))


@functools.lru_cache(maxsize=1024)
def _placeholders(sql: str) -> int:
    return len(_SCANNER.find(sql))




def _named(sql: str) -> tuple[str, tuple]:
    """``:name`` placeholders -> ``?``; the name of each ``?`` in order."""
    if _placeholders(sql):
        raise ProgrammingError("parameters given as a mapping bind :name placeholders; this "
                               "statement uses ?, which takes a sequence")
    return rewrite(sql, "named", "qmark")


def _bind(sql: str, parameters: Any, where: str = "") -> tuple[str, list]:
    """The SQL to prepare and its values (see the module docstring)."""
    if is_mapping(parameters):
        sql, names = _named(sql)
        return sql, pick(parameters, names)
    args = as_sequence(parameters, "qmark")
    _check_count(sql, len(args), where)
    return sql, args


def _check_count(sql: str, given: int, where: str = "") -> None:
    needed = _placeholders(sql)
    if given != needed:
        raise ProgrammingError(
            f"the statement has {needed} parameter placeholder(s) but {given} "
            f"parameter(s) were given{where}"
        )


class _ResultSet:
    """One open result set: its description, size, decoders, and the chunk in memory."""

    __slots__ = ("handle", "num_rows", "description", "decoders", "chunk", "start", "pos")

    def __init__(self, result_set: dict[str, Any]):
        num_rows = result_set.get("numRows")
        if isinstance(num_rows, bool) or not isinstance(num_rows, int) or num_rows < 0:
            raise InterfaceError(f"result set without a valid numRows: {num_rows!r}")
        columns = result_set.get("columns")
        self.description = describe(columns)
        self.decoders = [wire.value_decoder(c["dataType"]) for c in columns]
        handle = result_set.get("resultSetHandle")
        self.handle = handle if isinstance(handle, int) and not isinstance(handle, bool) \
            and handle > 0 else None  # handle 0 or none: everything is inline (5.3)
        self.num_rows = num_rows
        self.pos = 0
        self.start = 0
        self.chunk: list[tuple] = []
        if "data" in result_set or self.handle is None:
            self.chunk = self.rows(result_set.get("data"),
                                   result_set.get("numRowsInMessage", num_rows))
            if self.handle is None and len(self.chunk) != num_rows:
                raise InterfaceError(f"the server announced {num_rows} rows without a result "
                                     f"set handle but sent {len(self.chunk)}")

    def rows(self, data: Any, count: Any) -> list[tuple]:
        """Row tuples from column-major ``data`` (``data[column][row]``), decoded."""
        ncols = len(self.decoders)
        if not data:
            if count:
                raise InterfaceError(f"the server announced {count} rows but sent no data")
            return []
        if not isinstance(data, list) or len(data) != ncols:
            raise InterfaceError(f"result data has {len(data) if isinstance(data, list) else 0}"
                                 f" columns, the result set {ncols}")
        columns = []
        length = None
        for index, (values, decode) in enumerate(zip(data, self.decoders)):
            if not isinstance(values, list) or (length is not None and len(values) != length):
                raise InterfaceError("result data columns of different lengths")
            length = len(values)
            if decode is not None:
                try:
                    values = [None if v is None else decode(v) for v in values]
                except (wire.ResponseError, ValueError, TypeError, ArithmeticError) as exc:
                    name = self.description[index][0]
                    raise InterfaceError(f"cannot decode column {name!r} "
                                         f"({self.description[index][1]}): {exc}") from None
            columns.append(values)
        return list(zip(*columns))


class Cursor(CursorBase):
    """A PEP 249 cursor of an Exasol :class:`~.connection.Connection` (see the module
    docstring). Besides the PEP 249 surface (:class:`CursorBase`): ``statement_handle``, the
    open prepared statement's handle or None."""

    def __init__(self, connection: Any):
        super().__init__(connection)
        self._result: _ResultSet | None = None
        self._prepared: tuple[str, int, list] | None = None  # sql, handle, parameter columns

    @property
    def statement_handle(self) -> int | None:
        return self._prepared[1] if self._prepared else None

    @property
    def rownumber(self) -> int | None:
        """0-based index of the next row to fetch; None without a result set (EXT-ROWNUM-1)."""
        return None if self._result is None else self._result.pos

    # --- executing -------------------------------------------------------------------

    def _begin(self) -> None:
        self._start()
        self._clear_result()

    @handles_errors
    def execute(self, operation: str, parameters: Any = None) -> None:
        """Run one statement (CUR-EXEC-1..5); ``parameters``: a mapping for ``:name``
        placeholders, or a sequence with one value per ``?``. Raises ProgrammingError for a
        missing name, a wrong number of values or a value with no Exasol form, DataError for
        a value out of range, server errors per :mod:`.errors`."""
        self._begin()
        sql, args = _bind(check_operation(operation), parameters)
        if not args and not _placeholders(sql):
            self._load(self._connection._request({"command": "execute", "sqlText": sql}))
            return
        self._load(self._execute_prepared(sql, [args]))

    @handles_errors
    def executemany(self, operation: str, seq_of_parameters: Iterable[Any]) -> None:
        """Run one statement for every parameter set in ONE ``executePreparedStatement``
        (CUR-EXECMANY-1); ``rowcount`` is the total the server reports. An empty sequence
        sends nothing (rowcount 0). The sets are all mappings (``:name``) or all sequences
        (``?``), as in execute. A statement without placeholders is run once per set."""
        self._begin()
        sql = check_operation(operation)
        try:
            sets = list(seq_of_parameters)
        except TypeError:
            raise ProgrammingError(
                "seq_of_parameters must be an iterable of parameter sets, not "
                f"{type(seq_of_parameters).__name__}") from None
        given = []
        prepared_sql = sql
        for index, parameters in enumerate(sets):
            prepared_sql, args = _bind(sql, parameters, f" in parameter set {index}")
            given.append(args)
        sql = prepared_sql
        if not given:
            self._set_rowcount(0)
            return
        if not _placeholders(sql):  # without parameters a request runs only once (4)
            total = 0
            for _ in given:
                self._clear_result()
                self._load(self._connection._request({"command": "execute", "sqlText": sql}))
                total = total + self._rowcount if self._rowcount >= 0 and total >= 0 else -1
            if self._result is None:
                self._set_rowcount(total)
            return
        self._load(self._execute_prepared(sql, given))

    def _prepare(self, sql: str) -> tuple[int, list]:
        if self._prepared is not None and self._prepared[0] == sql:
            return self._prepared[1], self._prepared[2]
        self._close_prepared()
        data = self._connection._request({"command": "createPreparedStatement", "sqlText": sql})
        handle = data.get("statementHandle")
        if isinstance(handle, bool) or not isinstance(handle, int):
            raise InterfaceError(f"createPreparedStatement gave no statementHandle: {data!r:.200}")
        parameter_data = data.get("parameterData") or {}
        columns = parameter_data.get("columns") if isinstance(parameter_data, dict) else None
        columns = columns if isinstance(columns, list) else []
        self._prepared = (sql, handle, columns)
        return handle, columns

    def _execute_prepared(self, sql: str, rows: list[list]) -> dict[str, Any]:
        handle, columns = self._prepare(sql)
        if len(columns) != len(rows[0]):
            raise ProgrammingError(f"the server counts {len(columns)} parameter(s) in the "
                                   f"statement, {len(rows[0])} were given")
        data = []
        for index, column in enumerate(columns):
            data_type = column.get("dataType") if isinstance(column, dict) else None
            if not isinstance(data_type, dict):
                raise InterfaceError(f"parameter {index + 1} has no dataType: {column!r:.200}")
            try:
                data.append([wire.encode_param(row[index], data_type) for row in rows])
            except wire.EncodeError as exc:
                cls = DataError if "out of range" in str(exc) else ProgrammingError
                raise cls(f"parameter {index + 1}: {exc}") from None
        return self._connection._request({
            "command": "executePreparedStatement",
            "statementHandle": handle,
            "numColumns": len(columns),
            "numRows": len(rows),
            "columns": columns,
            "data": data,
        })

    def _load(self, response: dict[str, Any]) -> None:
        results = response.get("results")
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise InterfaceError(f"the reply holds no result: {response!r:.200}")
        result = results[0]
        kind = result.get("resultType")
        if kind == "rowCount":
            count = result.get("rowCount")
            self._set_rowcount(count if isinstance(count, int) and count >= 0 else -1)
        elif kind == "resultSet" and isinstance(result.get("resultSet"), dict):
            self._result = _ResultSet(result["resultSet"])
            self._description = self._result.description
            self._rowcount = self._result.num_rows
        else:
            raise InterfaceError(f"unknown result type {kind!r}")

    # --- fetching --------------------------------------------------------------------

    def _open_result(self) -> _ResultSet:
        if self._closed:
            raise ProgrammingError("cursor is closed")
        self._connection._check_open()
        if self._result is None:
            raise ProgrammingError("no result set: the last execute*() returned no rows, "
                                   "or none was called")
        return self._result

    def _row_at(self, rs: _ResultSet, pos: int) -> tuple:
        """The row at ``pos`` (< num_rows), fetching the chunk that starts there if needed."""
        offset = pos - rs.start
        if not 0 <= offset < len(rs.chunk):
            self._fetch_chunk(rs, pos)
            offset = 0
        return rs.chunk[offset]

    def _fetch_chunk(self, rs: _ResultSet, pos: int) -> None:
        if rs.handle is None:
            raise InterfaceError(f"row {pos} is missing from an inline result set")
        rs.chunk = []  # the old chunk is let go before the new one arrives
        data = self._connection._request({
            "command": "fetch", "resultSetHandle": rs.handle, "startPosition": pos,
            "numBytes": self._connection.fetch_bytes,
        })
        count = data.get("numRows")
        rows = rs.rows(data.get("data"), count)
        if not rows:  # 0 rows while rows remain would loop forever (5.3)
            raise InterfaceError(f"fetch from row {pos} of {rs.num_rows} returned no rows")
        rs.chunk = rows
        rs.start = pos

    @handles_errors
    def fetchone(self) -> tuple | None:
        """The next row, or None at the end (CUR-FONE-1); ProgrammingError without a result
        set (CUR-FONE-2)."""
        rs = self._open_result()
        if rs.pos >= rs.num_rows:
            return None
        row = self._row_at(rs, rs.pos)
        rs.pos += 1
        return row

    @handles_errors
    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) rows, ``[]`` at the end (CUR-FMANY-1..4)."""
        rs = self._open_result()
        if size is None:
            size = self._arraysize
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProgrammingError(f"fetchmany size must be an int >= 0, not {size!r}")
        return self._take(rs, min(size, rs.num_rows - rs.pos))

    @handles_errors
    def fetchall(self) -> list[tuple]:
        """All remaining rows (CUR-FALL-1, CUR-FALL-2)."""
        rs = self._open_result()
        return self._take(rs, rs.num_rows - rs.pos)

    def _take(self, rs: _ResultSet, count: int) -> list[tuple]:
        out: list[tuple] = []
        while len(out) < count:
            self._row_at(rs, rs.pos)  # makes sure the chunk holds rs.pos
            offset = rs.pos - rs.start
            part = rs.chunk[offset: offset + count - len(out)]
            out.extend(part)
            rs.pos += len(part)
        return out

    @handles_errors
    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move to ``pos + value`` (``relative``) or ``value`` (``absolute``), 0..rowcount;
        IndexError outside, the position unchanged (EXT-SCROLL-1/2)."""
        rs = self._open_result()
        del self.messages[:]
        if mode not in ("relative", "absolute"):
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProgrammingError(f"scroll value must be an int, not {value!r}")
        target = rs.pos + value if mode == "relative" else value
        if not 0 <= target <= rs.num_rows:
            raise IndexError(f"scroll target {target} is outside the result (0..{rs.num_rows})")
        rs.pos = target

    # --- closing ---------------------------------------------------------------------

    def _clear_result(self) -> None:
        rs, self._result = self._result, None
        super()._clear_result()
        if rs is not None and rs.handle is not None and not self._connection.closed:
            self._connection._request({"command": "closeResultSet",
                                       "resultSetHandles": [rs.handle]})

    def _close_prepared(self) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and not self._connection.closed:
            self._connection._request({"command": "closePreparedStatement",
                                       "statementHandle": prepared[1]})

    def _release(self) -> None:
        try:
            self._clear_result()
        finally:
            self._close_prepared()

    @handles_errors
    def close(self) -> None:
        """Close the cursor now: its result set and prepared statement are closed on the
        server (CUR-CLOSE-1). Closing again does nothing; a cursor of a closed connection
        raises ProgrammingError (CON-CLOSE-3)."""
        if self._closed:
            return
        self._closed = True
        self._connection._check_open()
        self._release()

    def __exit__(self, *exc_info: Any) -> None:
        if not self._closed:
            self._closed = True
            if not self._connection.closed:
                self._release()
