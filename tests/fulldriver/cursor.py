"""PEP 249 Cursor: execute*, fetch*, description/rowcount, callproc, nextset and the
cursor extensions (rownumber, connection, scroll, messages, next, __iter__, lastrowid,
errorhandler).

An operation's rows are read at once into memory, so the cursor can scroll both ways and
knows ``rowcount`` and ``rownumber``. An operation may hold several statements separated
by ``;`` (without parameters then): each statement that returns rows gives a result set,
in order, and ``nextset()`` moves from one to the next (CUR-NEXTSET-2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import procedures
from .errors import InterfaceError, ProgrammingError
from .handling import api
from .sqltext import QUERY_VERBS, READ_VERBS, split_statements, verb
from .values import adapt, convert, converter, type_code

if TYPE_CHECKING:
    from .connection import Connection


@dataclass
class ResultSet:
    """One result set: 7-item description tuples and the rows as tuples."""

    description: tuple[tuple, ...]
    rows: list[tuple]


def bind(parameters: Any) -> tuple | dict:
    """Parameters for sqlite3: a dict for a Mapping, a tuple for any other sequence (both
    by ``__getitem__``, CUR-EXEC-3), values adapted; ProgrammingError for anything else."""
    if parameters is None:
        return ()
    if isinstance(parameters, Mapping):
        return {key: adapt(parameters[key]) for key in parameters}
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Sequence):
        raise ProgrammingError(f"parameters must be a sequence or a mapping, not "
                               f"{type(parameters).__name__}")
    return tuple(adapt(parameters[i]) for i in range(len(parameters)))


class Cursor:
    """A cursor of ``connection`` (made by ``Connection.cursor()``)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.arraysize = 1
        self.messages: list[tuple[type, Any]] = []
        self.errorhandler = connection.errorhandler
        self._closed = False
        self._sets: list[ResultSet] | None = None
        self._set = 0
        self._pos = 0
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._input_sizes: Sequence[Any] = ()
        self._output_size: tuple[int, int | None] | None = None

    # --- attributes -----------------------------------------------------------------------

    @property
    def _lock(self):
        return self._connection._lock

    def _errorhandler(self):
        return self.errorhandler

    def _handler_args(self) -> tuple[Connection, Cursor]:
        return self._connection, self

    @property
    def connection(self) -> Connection:
        """The connection this cursor was made by; read-only (EXT-CURCONN-1)."""
        return self._connection

    @property
    def description(self) -> tuple[tuple, ...] | None:
        """7-item column descriptions of the current result set, None without one
        (CUR-DESC-*); name and type_code are set, the other five are None."""
        current = self._current_set()
        return None if current is None else current.description

    @property
    def rowcount(self) -> int:
        """Rows of the current result set, or rows affected by the last DML (matched by
        WHERE for UPDATE); -1 before any execute and for other statements (CUR-ROWC-*)."""
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        """The rowid of the row a single-row INSERT/REPLACE added, else None (EXT-LASTROW-1)."""
        return self._lastrowid

    @property
    def rownumber(self) -> int | None:
        """0-based index of the next row of the current result set, None without one."""
        return None if self._current_set() is None else self._pos

    def _current_set(self) -> ResultSet | None:
        return None if not self._sets else self._sets[self._set]

    # --- helpers --------------------------------------------------------------------------

    def _check(self) -> None:
        if self._closed:
            raise InterfaceError("the cursor is closed")
        self._connection.check_open()

    def _reset(self) -> None:
        self._sets, self._set, self._pos = None, 0, 0
        self._rowcount, self._lastrowid = -1, None

    def _run(self, sql: str, params: Any, sets: list[ResultSet]) -> tuple[int, int | None]:
        """Run one statement; append its result set if it has one. -> (rowcount, lastrowid)."""
        conn = self._connection
        kind = verb(sql)
        conn.running = self
        try:
            cur = conn.run(sql, params, write=kind not in READ_VERBS)
            if cur.description is None:
                inserted = kind in ("INSERT", "REPLACE") and cur.rowcount == 1
                return cur.rowcount, (cur.lastrowid if inserted else None)
            with conn.translating():
                raw = cur.fetchall()
        finally:
            conn.running = None
        names = [column[0] for column in cur.description]
        declared = (conn.declared_types(sql, len(names)) if kind in QUERY_VERBS
                    else [""] * len(names))
        converters = [converter(d) for d in declared]
        rows = [tuple(convert(v, c) for v, c in zip(row, converters)) for row in raw]
        description = tuple(
            (name, type_code(d, name, [row[i] for row in raw]), None, None, None, None, None)
            for i, (name, d) in enumerate(zip(names, declared))
        )
        sets.append(ResultSet(description, rows))
        return len(rows), None

    def _finish(self, sets: list[ResultSet], rowcount: int, lastrowid: int | None) -> None:
        self._sets = sets or None
        self._rowcount = len(sets[0].rows) if sets else rowcount
        self._lastrowid = lastrowid

    def _statement_run(self, sql: str, params: Any) -> Any:
        return self._connection.run(sql, params, write=True)

    # --- execute* -------------------------------------------------------------------------

    @api()
    def execute(self, operation: str, parameters: Any = None) -> None:
        """Run ``operation`` with parameters in paramstyle "named" (``:name``, a mapping) or
        positionally (``?``, a sequence) (CUR-EXEC-*). Also runs the procedure statements
        of procedures.py and several ``;``-separated statements (then without parameters)."""
        self._check()
        self._reset()
        params = bind(parameters)
        definition = procedures.parse_create(operation)
        if definition is not None:
            return procedures.create(self._statement_run, definition)
        dropped = procedures.parse_drop(operation)
        if dropped is not None:
            return procedures.drop(self._statement_run, *dropped)
        statements = split_statements(operation)
        if len(statements) > 1 and params:
            raise ProgrammingError("parameters are not supported for several statements")
        sets: list[ResultSet] = []
        rowcount, lastrowid = -1, None
        for sql in statements:
            count, lastrowid = self._run(sql, params, sets)
            if count >= 0:
                rowcount = count if rowcount < 0 else rowcount + count
        self._finish(sets, rowcount, lastrowid)

    @api()
    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        """Run a statement without a result set once per parameter set (CUR-EXECMANY-1);
        rowcount is the sum; ProgrammingError for a query (CUR-EXECMANY-3)."""
        self._check()
        self._reset()
        statements = split_statements(operation)
        if len(statements) != 1 or procedures.parse_create(operation):
            raise ProgrammingError("executemany() runs exactly one statement")
        if verb(statements[0]) in READ_VERBS:
            raise ProgrammingError("executemany() cannot run a query")
        total = 0
        for parameters in seq_of_parameters:
            count, _ = self._run(statements[0], bind(parameters), [])
            total += max(count, 0)
        self._finish([], total, None)

    @api()
    def callproc(self, procname: str, parameters: Sequence[Any] = ()) -> Sequence[Any]:
        """Call a stored procedure (procedures.py); returns a copy of ``parameters`` with
        OUT/INOUT entries replaced (CUR-CALLPROC-2); its result sets are read with fetch*
        (CUR-CALLPROC-3). ProgrammingError: unknown procedure, wrong argument count."""
        self._check()
        self._reset()
        definition = procedures.load(self._query, procname)
        given = list(parameters)
        if len(given) != len(definition.params):
            raise ProgrammingError(f"procedure {procname} takes {len(definition.params)} "
                                   f"arguments, got {len(given)}")
        values = {name: (None if mode == "OUT" else adapt(arg))
                  for (mode, name), arg in zip(definition.params, given)}
        sets: list[ResultSet] = []
        rowcount = -1
        for statement in definition.body:
            assignment = procedures.parse_assignment(statement)
            if assignment is None:
                rowcount, _ = self._run(statement, values, sets)
                continue
            assigned: list[ResultSet] = []
            self._run(assignment.query, values, assigned)
            row = assigned[0].rows[0] if assigned and assigned[0].rows else None
            for index, target in enumerate(assignment.targets):
                values[target] = None if row is None or index >= len(row) else row[index]
        self._finish(sets, rowcount, None)
        result = [values[name] if mode != "IN" else arg
                  for (mode, name), arg in zip(definition.params, given)]
        return tuple(result) if isinstance(parameters, tuple) else result

    def _query(self, sql: str, params: Any) -> list[tuple]:
        return self._connection.run(sql, params, write=False).fetchall()

    @api()
    def nextset(self) -> bool | None:
        """Move to the next result set: True, or None when there is none (the rows left in
        the current one are discarded); ProgrammingError without results (CUR-NEXTSET-*)."""
        self._check()
        if not self._sets:
            raise ProgrammingError("nextset(): the last operation produced no result set")
        if self._set + 1 < len(self._sets):
            self._set += 1
            self._pos = 0
            self._rowcount = len(self._sets[self._set].rows)
            return True
        self._pos = len(self._sets[self._set].rows)
        return None

    # --- fetch* ---------------------------------------------------------------------------

    def _rows(self) -> list[tuple]:
        self._check()
        current = self._current_set()
        if current is None:
            raise ProgrammingError("no result set: nothing was executed, or the last "
                                   "operation returned no rows (CUR-FONE-2)")
        return current.rows

    @api(clears_messages=False)
    def fetchone(self) -> tuple | None:
        """The next row, or None at the end (CUR-FONE-1)."""
        rows = self._rows()
        if self._pos >= len(rows):
            return None
        self._pos += 1
        return rows[self._pos - 1]

    @api(clears_messages=False)
    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) next rows; [] at the end (CUR-FMANY-*)."""
        rows = self._rows()
        count = self.arraysize if size is None else size
        batch = rows[self._pos:self._pos + max(count, 0)]
        self._pos += len(batch)
        return batch

    @api(clears_messages=False)
    def fetchall(self) -> list[tuple]:
        """All remaining rows (CUR-FALL-1)."""
        rows = self._rows()
        batch = rows[self._pos:]
        self._pos = len(rows)
        return batch

    @api(clears_messages=False)
    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the position by ``value`` ("relative") or to ``value`` ("absolute");
        IndexError outside 0..len(rows), position unchanged (EXT-SCROLL-1/2)."""
        rows = self._rows()
        if mode not in ("relative", "absolute"):
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        target = self._pos + value if mode == "relative" else value
        if not 0 <= target <= len(rows):
            raise IndexError(f"scroll to row {target} outside the result set of {len(rows)}")
        self._pos = target

    def next(self) -> tuple:
        """fetchone(), but StopIteration at the end (EXT-NEXT-1)."""
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    __next__ = next

    def __iter__(self) -> Cursor:
        """The cursor itself (EXT-ITER-1)."""
        return self

    # --- the rest -------------------------------------------------------------------------

    @api()
    def setinputsizes(self, sizes: Sequence[Any]) -> None:
        """Remembered only: values longer or of another type than declared are bound as
        they are (CUR-SETIN-1, CUR-EXEC-7)."""
        self._check()
        self._input_sizes = tuple(sizes)

    @api()
    def setoutputsize(self, size: int, column: int | None = None) -> None:
        """Remembered only: rows are read whole (CUR-SETOUT-1)."""
        self._check()
        self._output_size = (size, column)

    @api()
    def close(self) -> None:
        """Close now; later use raises InterfaceError (CUR-CLOSE-*); closing twice is fine."""
        self._closed = True
        self._reset()
