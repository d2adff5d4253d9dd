"""A PEP 249 Cursor base over a buffered result: attributes, fetch*, iteration, scroll.

A driver subclass implements ``execute``/``executemany`` and hands each outcome to
:meth:`CursorBase._set_result` (a result set) or :meth:`CursorBase._set_rowcount` (no result
set). Rows are kept as a list of tuples. Clauses: CUR-DESC-*, CUR-ROWC-*, CUR-ASIZE-*,
CUR-FONE-*, CUR-FMANY-*, CUR-FALL-*, CUR-CLOSE-*, CUR-SETIN-1, CUR-SETOUT-1, EXT-ROWNUM-1,
EXT-CURCONN-1, EXT-SCROLL-1/2, EXT-MSG-1/2, EXT-NEXT-1, EXT-ITER-1, EXT-LASTROW-1,
EXT-ERRH-1..3 (subclasses decorate their own public methods with ``handles_errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Sequence

from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import ProgrammingError

_NO_RESULT = "no result set: the last execute*() returned no rows, or none was called"


class CursorBase:
    """Buffered-result cursor state. ``connection`` must have ``_check_open()``.

    ``description`` (sequence of 7-tuples or None), ``rowcount`` (int, -1 when unknown) and
    ``rownumber`` (index of the next row, None without a result set) are read-only;
    ``arraysize`` (int >= 1, default 1) is read/write; ``lastrowid`` is None; ``messages``
    is a list of ``(exception class, exception)`` cleared by every method but fetch*;
    ``errorhandler`` (read/write) starts as the connection's (EXT-ERRH-3).
    After :meth:`close`, or once the connection is closed, every method raises
    ``ProgrammingError`` (CUR-CLOSE-2, CON-CLOSE-3).
    """

    def __init__(self, connection: Any):
        self._connection = connection
        self._closed = False
        self._arraysize = 1
        self.messages: list[tuple[type, Exception]] = []
        self.errorhandler: Callable[..., Any] | None = getattr(connection, "errorhandler", None)
        self._description: tuple | None = None
        self._rowcount = -1
        self._rows: list[tuple] | None = None
        self._pos = 0

    # --- attributes ------------------------------------------------------------------

    @property
    def connection(self) -> Any:
        """The Connection this cursor was created from (EXT-CURCONN-1)."""
        return self._connection

    @property
    def description(self) -> tuple | None:
        """One 7-tuple per result column, or None without a result set (CUR-DESC-1..4)."""
        return self._description

    @property
    def rowcount(self) -> int:
        """Rows produced or affected by the last execute*; -1 when unknown (CUR-ROWC-1..3)."""
        return self._rowcount

    @property
    def lastrowid(self) -> None:
        """Always None: no row ids (EXT-LASTROW-1)."""
        return None

    @property
    def rownumber(self) -> int | None:
        """0-based index of the next row to fetch; None without a result set (EXT-ROWNUM-1)."""
        return None if self._rows is None else self._pos

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    @property
    def arraysize(self) -> int:
        """Rows per :meth:`fetchmany` call without a size; default 1 (CUR-ASIZE-1)."""
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ProgrammingError(f"arraysize must be an int >= 1, not {value!r}")
        self._arraysize = value

    # --- state helpers for subclasses ------------------------------------------------

    def _error_context(self) -> tuple[Any, Any]:
        return self._connection, self

    def _check_open(self) -> None:
        if self._closed:
            raise ProgrammingError("cursor is closed")
        self._connection._check_open()

    def _start(self) -> None:
        """Begin a standard method: check the state, clear ``messages`` (EXT-MSG-2)."""
        self._check_open()
        del self.messages[:]

    def _clear_result(self) -> None:
        self._description = None
        self._rowcount = -1
        self._rows = None
        self._pos = 0

    def _set_result(self, description: tuple, rows: list[tuple]) -> None:
        """Install a result set: ``rows`` is a list of tuples; rowcount = len(rows)."""
        self._description = description
        self._rows = rows
        self._rowcount = len(rows)
        self._pos = 0

    def _set_rowcount(self, rowcount: int) -> None:
        """Install the outcome of a statement without a result set."""
        self._description = None
        self._rows = None
        self._rowcount = rowcount
        self._pos = 0

    def _result_rows(self) -> list[tuple]:
        if self._closed:
            raise ProgrammingError("cursor is closed")
        self._connection._check_open()
        if self._rows is None:
            raise ProgrammingError(_NO_RESULT)
        return self._rows

    # --- fetching --------------------------------------------------------------------

    @handles_errors
    def fetchone(self) -> tuple | None:
        """The next row as a tuple, or None when no rows are left (CUR-FONE-1).

        Raises ProgrammingError without a result set (CUR-FONE-2).
        """
        rows = self._result_rows()
        pos = self._pos
        if pos < len(rows):
            self._pos = pos + 1
            return rows[pos]
        return None

    @handles_errors
    def fetchmany(self, size: int | None = None) -> list[tuple]:
        """Up to ``size`` (default ``arraysize``) rows; fewer only when fewer are left,
        ``[]`` at the end (CUR-FMANY-1..4). Raises ProgrammingError for a negative size or
        without a result set."""
        rows = self._result_rows()
        if size is None:
            size = self._arraysize
        elif not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ProgrammingError(f"fetchmany size must be an int >= 0, not {size!r}")
        pos = self._pos
        chunk = rows[pos : pos + size]
        self._pos = pos + len(chunk)
        return chunk

    @handles_errors
    def fetchall(self) -> list[tuple]:
        """All remaining rows (CUR-FALL-1, CUR-FALL-2)."""
        rows = self._result_rows()
        pos = self._pos
        self._pos = len(rows)
        return rows[pos:]

    def __iter__(self) -> CursorBase:
        """The cursor itself (EXT-ITER-1)."""
        return self

    def __next__(self) -> tuple:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def next(self) -> tuple:
        """Like fetchone(), but raises StopIteration at the end (EXT-NEXT-1)."""
        return self.__next__()

    @handles_errors
    def scroll(self, value: int, mode: str = "relative") -> None:
        """Move the position in the buffered result by ``value`` rows (``relative``) or to
        ``value`` (``absolute``). The position may range from 0 to the number of rows;
        outside that, IndexError is raised and the position is unchanged (EXT-SCROLL-1/2).
        """
        rows = self._result_rows()
        del self.messages[:]
        if mode not in ("relative", "absolute"):
            raise ProgrammingError(f"scroll mode must be 'relative' or 'absolute', not {mode!r}")
        if not isinstance(value, int) or isinstance(value, bool):
            raise ProgrammingError(f"scroll value must be an int, not {value!r}")
        target = self._pos + value if mode == "relative" else value
        if not 0 <= target <= len(rows):
            raise IndexError(f"scroll target {target} is outside the result (0..{len(rows)})")
        self._pos = target

    # --- no-op methods and closing ---------------------------------------------------

    @handles_errors
    def setinputsizes(self, sizes: Sequence[Any]) -> None:
        """Accepted and ignored: values are sent with their own types (CUR-SETIN-1)."""
        self._start()

    @handles_errors
    def setoutputsize(self, size: int, column: int | None = None) -> None:
        """Accepted and ignored: results are read whole (CUR-SETOUT-1)."""
        self._start()

    @handles_errors
    def close(self) -> None:
        """Close the cursor now and drop its result (CUR-CLOSE-1).

        Closing again does nothing; closing a still-open cursor of a closed connection
        raises ProgrammingError, like every other use of it (CON-CLOSE-3).
        """
        if self._closed:
            return
        self._closed = True
        self._clear_result()
        self._connection._check_open()

    def __enter__(self) -> CursorBase:
        self._check_open()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if not self._closed:
            self._closed = True
            self._clear_result()


def check_operation(operation: Any, *, empty_ok: bool = False) -> str:
    """``operation`` when it is a SQL string (CUR-EXEC-1); ProgrammingError for another type
    or (unless ``empty_ok``, for a server that words its own answer) a blank one."""
    if not isinstance(operation, str):
        raise ProgrammingError(f"the operation must be a str, not {type(operation).__name__}")
    if not empty_ok and not operation.strip():
        raise ProgrammingError("the operation is an empty statement")
    return operation
