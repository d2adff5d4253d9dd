"""fulldriver.broken: fulldriver with one behaviour broken per area, on purpose.

It exists so that the project's tests can show that suite tests fail when they should
(tests/test_certify_fulldriver.py pins which clauses and tests fail). Each entry of BREAKS
is (area, what is wrong, the clause that should catch it).
"""

from __future__ import annotations

from typing import Any

from fulldriver import *  # noqa: F403 - the same module surface
from fulldriver import Connection, Cursor, Xid
from fulldriver.errors import IntegrityError, ProgrammingError
from fulldriver.handling import api
from fulldriver.sqltext import verb
from fulldriver.values import DBAPITypeObject

BREAKS = (
    ("module", "apilevel is '1.0'", "GLB-APILEVEL-2"),
    ("exceptions", "a duplicate key raises ProgrammingError", "EXC-INTEG-1"),
    ("transactions", "rollback() keeps the pending changes", "CON-ROLLBACK-2"),
    ("transactions", "close() commits instead of rolling back", "CON-CLOSE-4"),
    ("attributes", "rowcount of UPDATE is one too many", "CUR-ROWC-2"),
    ("fetch", "fetchone() without a result set returns []", "CUR-FONE-2"),
    ("execute", "setinputsizes() truncates longer strings", "CUR-EXEC-7"),
    ("types", "DATETIME does not compare equal to TIME columns", "CUR-DESC-5"),
    ("callproc", "callproc() changes its argument list", "CUR-CALLPROC-2"),
    ("nextset", "nextset() never moves to the second set", "CUR-NEXTSET-2"),
    ("extensions", "lastrowid is writable", "EXT-LASTROW-1"),
    ("extensions", "cursor.connection is writable", "EXT-CURCONN-1"),
    ("extensions", "the cursor's errorhandler is never called", "EXT-ERRH-2"),
    ("extensions", "execute() does not clear cursor.messages", "EXT-MSG-2"),
    ("extensions", "scroll() past the end stops at the end", "EXT-SCROLL-2"),
    ("extensions", "setting autocommit=True changes nothing", "EXT-AUTOC-2"),
    ("tpc", "xid() says it has 2 items", "TPC-XID-1"),
    ("tpc", "one-phase tpc_commit() rolls back", "TPC-COMMIT-1"),
)

apilevel = "1.0"


class _DatetimeWithoutTime(DBAPITypeObject):
    def __eq__(self, other: object) -> bool:
        text = str(other).upper()
        if "TIME" in text and "DATE" not in text and "STAMP" not in text:
            return False
        return super().__eq__(other)

    __hash__ = DBAPITypeObject.__hash__


DATETIME = _DatetimeWithoutTime("DATETIME")  # noqa: F811


class BrokenXid(Xid):
    __slots__ = ()

    def __len__(self) -> int:
        return 2


class BrokenCursor(Cursor):
    _ran = False

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @lastrowid.setter
    def lastrowid(self, value: int | None) -> None:
        self._lastrowid = value

    @property
    def connection(self) -> Any:
        return self._connection

    @connection.setter
    def connection(self, value: Any) -> None:
        self._connection = value

    def _errorhandler(self) -> None:
        return None

    def _run(self, sql: str, params: Any, sets: list) -> tuple[int, int | None]:
        count, lastrowid = super()._run(sql, params, sets)
        return (count + 1 if verb(sql) == "UPDATE" else count), lastrowid

    def execute(self, operation: str, parameters: Any = None) -> None:
        kept = list(self.messages)
        if parameters is not None and self._input_sizes:
            parameters = self._truncated(parameters)
        try:
            super().execute(operation, parameters)
        finally:
            self.messages[:0] = kept
            self._ran = True

    def _truncated(self, parameters: Any) -> Any:
        keys = list(parameters) if isinstance(parameters, dict) else range(len(parameters))
        values = dict(parameters) if isinstance(parameters, dict) else list(parameters)
        for key, size in zip(keys, self._input_sizes):
            if isinstance(size, int) and isinstance(values[key], str):
                values[key] = values[key][:size]
        return values if isinstance(parameters, dict) else tuple(values)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        super().executemany(operation, seq_of_parameters)
        self._ran = True

    def fetchone(self) -> Any:
        if self._ran and not self._sets and not self._closed:
            return []
        return super().fetchone()

    def callproc(self, procname: str, parameters: Any = ()) -> Any:
        result = super().callproc(procname, parameters)
        if isinstance(parameters, list):
            parameters[:] = result
            return parameters
        return result

    @api()
    def nextset(self) -> None:
        self._rows()
        self._pos = len(self._sets[self._set].rows)
        return None

    @api(clears_messages=False)
    def scroll(self, value: int, mode: str = "relative") -> None:
        rows = self._rows()
        target = self._pos + value if mode == "relative" else value
        self._pos = min(max(target, 0), len(rows))


class BrokenConnection(Connection):
    cursor_class = BrokenCursor
    _claimed_autocommit = False

    def translate(self, exc: Any) -> Any:
        error = super().translate(exc)
        return ProgrammingError(str(error)) if isinstance(error, IntegrityError) else error

    @api()
    def rollback(self) -> None:
        self.check_open()
        self._no_tpc("rollback()")

    @api()
    def close(self) -> None:
        if not self._closed and self._tpc is None:
            self._end("COMMIT")
        super().close()

    @property
    def autocommit(self) -> bool:
        return self._claimed_autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self.check_open()
        self._claimed_autocommit = bool(value)

    @api()
    def xid(self, format_id: int, gtrid: str, bqual: str) -> BrokenXid:
        self.check_open()
        return BrokenXid(format_id, gtrid, bqual)

    @api()
    def tpc_commit(self, xid: Any = None) -> None:
        if xid is None and self._tpc is not None and not self._tpc.prepared:
            self.check_open()
            self._end("ROLLBACK")
            self._tpc = None
            return
        super().tpc_commit(xid)


def connect(database: Any, *, timeout: float = 10.0, autocommit: bool = False) -> Any:  # noqa: F811
    """As fulldriver.connect, with the BREAKS."""
    return BrokenConnection(database, timeout=timeout, autocommit=autocommit)
