"""fulldriver.broken: fulldriver with one behaviour broken per area, on purpose.

It exists so that the project's tests can show that suite tests fail when they should
(tests/test_certify_fulldriver.py pins which clauses and tests fail). Each entry of BREAKS
is (area, what is wrong, the clause that should catch it).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Mapping
from typing import Any

from fulldriver import *  # noqa: F403 - the same module surface
from fulldriver import Connection, Cursor, Xid
from fulldriver import errors as _errors
from fulldriver.errors import DataError, IntegrityError, ProgrammingError
from fulldriver.handling import api
from fulldriver.sqltext import verb
from fulldriver.values import DBAPITypeObject, family_of

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
    ("module", "threadsafety is 4", "GLB-THREAD-1"),
    ("module", "a SELECT binds two or more named parameters in reverse order", "GLB-PARAM-3"),
    ("exceptions", "Warning derives from BaseException, not Exception", "EXC-WARN-1"),
    ("exceptions", "InterfaceError does not derive from Error", "EXC-IFACE-1"),
    ("exceptions", "InternalError derives from Error, not DatabaseError", "EXC-INTERN-1"),
    ("exceptions", "OperationalError derives from Error, not DatabaseError", "EXC-OPER-1"),
    ("exceptions", "NotSupportedError derives from Error, not DatabaseError", "EXC-NOTSUP-1"),
    ("exceptions", "division by zero raises ProgrammingError", "EXC-DATA-1"),
    ("exceptions", "a syntax error raises OperationalError", "EXC-PROG-1"),
    ("exceptions", "an unbindable parameter raises a bare ValueError", "EXC-ALL-1"),
    ("exceptions", "the unknown-table error has no message", "EXC-VALUES-1"),
    ("connection", "a cursor made after close() runs queries as no-ops", "CON-CLOSE-1"),
    ("connection", "rollback() after close() does not raise", "CON-CLOSE-2"),
    ("connection", "an old cursor's executemany() after close() is a no-op", "CON-CLOSE-3"),
    ("cursor", "close() of a partly read cursor does nothing", "CUR-CLOSE-1"),
    ("cursor", "nextset() on a closed cursor returns None", "CUR-CLOSE-2"),
    ("cursor", "setinputsizes() refuses NUMBER", "CUR-SETIN-1"),
    ("cursor", "setoutputsize() refuses a column", "CUR-SETOUT-1"),
    ("callproc", "callproc() loses the procedure's result set", "CUR-CALLPROC-3"),
    ("nextset", "nextset() before any execute returns None", "CUR-NEXTSET-3"),
    ("attributes", "description is writable", "CUR-DESC-1"),
    ("attributes", "a query without rows describes its columns sorted by name", "CUR-DESC-2"),
    ("attributes", "null_ok is the text 'YES'", "CUR-DESC-3"),
    ("attributes", "CREATE keeps the previous description", "CUR-DESC-4"),
    ("attributes", "rowcount is writable", "CUR-ROWC-1"),
    ("attributes", "rowcount of a new cursor is 0", "CUR-ROWC-3"),
    ("attributes", "arraysize is capped at 4", "CUR-ASIZE-1"),
    ("fetch", "fetchmany() without a size fetches at most 3 rows", "CUR-ASIZE-2"),
    ("fetch", "fetchmany() returns an iterator, not a sequence", "CUR-FMANY-1"),
    ("fetch", "fetchmany() uses the arraysize of execute() time", "CUR-FMANY-2"),
    ("fetch", "fetchmany(size) drops a last batch shorter than size", "CUR-FMANY-3"),
    ("fetch", "fetchone() on an empty result returns ()", "CUR-FONE-1"),
    ("fetch", "fetchall() does not move the position", "CUR-FALL-1"),
    ("execute", "DELETE without parameters deletes nothing", "CUR-EXEC-1"),
    ("execute", "a Mapping that is not a dict is refused", "CUR-EXEC-3"),
    ("execute", "'' inside a bound string becomes '", "CUR-EXEC-4"),
    ("execute", "%% in the SQL becomes %", "CUR-EXEC-5"),
    ("execute", "executemany() stops after 6 parameter sets", "CUR-EXECMANY-1"),
    ("types", "ROWID is missing", "TYP-OBJ-1"),
    ("types", "Date() values compare equal whatever their day", "TYP-CTOR-1"),
    ("types", "TimeFromTicks() drops the seconds", "TYP-CTOR-2"),
    ("types", "Binary() truncates values to 64 KiB", "TYP-CTOR-3"),
    ("types", "Timestamp parameters are bound with a 'T' separator", "TYP-OBJ-3"),
    ("types", "NULL in a STRING column is fetched as ''", "TYP-NULL-1"),
    ("types", "BLOB values are fetched as lists of ints", "TYP-HINT-1"),
)

apilevel = "1.0"
threadsafety = 4  # GLB-THREAD-1


class Warning(BaseException):  # noqa: A001 - EXC-WARN-1: not an Exception
    """The module's Warning, derived from BaseException."""


class InterfaceError(Exception):
    """EXC-IFACE-1 (and EXC-ERR-1): not derived from Error."""


class InternalError(_errors.Error):
    """EXC-INTERN-1: derived from Error, not DatabaseError."""


class OperationalError(_errors.Error):  # noqa: F811
    """EXC-OPER-1: derived from Error, not DatabaseError."""


class NotSupportedError(_errors.Error):
    """EXC-NOTSUP-1: derived from Error, not DatabaseError."""


del ROWID  # noqa: F821 - TYP-OBJ-1: one type object missing


class _DatetimeWithoutTime(DBAPITypeObject):
    def __eq__(self, other: object) -> bool:
        text = str(other).upper()
        if "TIME" in text and "DATE" not in text and "STAMP" not in text:
            return False
        return super().__eq__(other)

    __hash__ = DBAPITypeObject.__hash__


DATETIME = _DatetimeWithoutTime("DATETIME")  # noqa: F811


class Date(datetime.date):  # noqa: F811
    """TYP-CTOR-1: Date values compare equal whatever their day."""

    def __eq__(self, other: object) -> bool:
        if isinstance(other, datetime.date) and not isinstance(other, datetime.datetime):
            return (self.year, self.month) == (other.year, other.month)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = datetime.date.__hash__


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802,F811
    """TYP-CTOR-2: the local time of day without its seconds."""
    return datetime.time(*time.localtime(ticks)[3:5])


def Binary(value: Any) -> bytes:  # noqa: N802,F811
    """TYP-CTOR-3: truncated to 64 KiB."""
    return bytes(value)[:65536]


class BrokenXid(Xid):
    __slots__ = ()

    def __len__(self) -> int:
        return 2


def _param_values(parameters: Any, change) -> Any:
    """``parameters`` with ``change(value)`` applied to every value (same container kind)."""
    if isinstance(parameters, dict):
        return {key: change(value) for key, value in parameters.items()}
    if isinstance(parameters, (list, tuple)):
        return type(parameters)(change(value) for value in parameters)
    return parameters


def _broken_value(value: Any) -> Any:
    if type(value) is object:
        raise ValueError(f"cannot adapt {value!r}")  # EXC-ALL-1: not a module error
    if isinstance(value, str):
        return value.replace("\'\'", "'")  # CUR-EXEC-4
    if isinstance(value, datetime.datetime):
        return value.isoformat()  # TYP-OBJ-3: 'T' separator
    return value


class BrokenCursor(Cursor):
    _ran = False
    _made_closed = False
    _kept_description = None
    _execute_arraysize = 1

    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        self._rowcount = 0  # CUR-ROWC-3
        self._made_closed = connection._closed

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

    @property
    def description(self) -> Any:
        if self._kept_description is not None:
            return self._kept_description  # CUR-DESC-4
        current = self._current_set()
        if current is None:
            return None
        columns = tuple(column[:6] + ("YES",) for column in current.description)  # CUR-DESC-3
        return columns if current.rows else tuple(sorted(columns))  # CUR-DESC-2

    @description.setter
    def description(self, value: Any) -> None:  # CUR-DESC-1
        self._kept_description = value

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @rowcount.setter
    def rowcount(self, value: int) -> None:  # CUR-ROWC-1
        self._rowcount = value

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = min(value, 4)  # CUR-ASIZE-1

    def _errorhandler(self) -> None:
        return None

    def _run(self, sql: str, params: Any, sets: list) -> tuple[int, int | None]:
        if verb(sql) == "DELETE" and not params:
            return 0, None  # CUR-EXEC-1
        before = len(sets)
        count, lastrowid = super()._run(sql, params, sets)
        if len(sets) > before:
            sets[-1].rows = [self._broken_row(sets[-1].description, row) for row in sets[-1].rows]
        return (count + 1 if verb(sql) == "UPDATE" else count), lastrowid

    @staticmethod
    def _broken_row(description: Any, row: tuple) -> tuple:
        out = []
        for column, value in zip(description, row):
            if value is None and family_of(column[1]) == "STRING":
                value = ""  # TYP-NULL-1
            elif isinstance(value, bytes):
                value = list(value)  # TYP-HINT-1
            out.append(value)
        return tuple(out)

    def execute(self, operation: str, parameters: Any = None) -> None:
        if self._made_closed and self._connection._closed:
            return None  # CON-CLOSE-1
        if isinstance(parameters, Mapping) and not isinstance(parameters, dict):
            raise ProgrammingError("parameters must be a dict")  # CUR-EXEC-3
        kept = list(self.messages)
        operation = operation.replace("%%", "%")  # CUR-EXEC-5
        parameters = _param_values(parameters, _broken_value)
        if (isinstance(parameters, dict) and len(parameters) >= 2
                and verb(operation) == "SELECT"):
            parameters = tuple(reversed(list(parameters.values())))  # GLB-PARAM-3
            for key in sorted({f":p{n}" for n in range(1, len(parameters) + 1)}, reverse=True):
                operation = operation.replace(key, "?")
        if parameters is not None and self._input_sizes:
            parameters = self._truncated(parameters)
        self._kept_description = None
        previous = self.description if verb(operation) == "CREATE" else None
        try:
            super().execute(operation, parameters)
        finally:
            self.messages[:0] = kept
            self._ran = True
            self._execute_arraysize = self.arraysize
        self._kept_description = previous

    def _truncated(self, parameters: Any) -> Any:
        keys = list(parameters) if isinstance(parameters, dict) else range(len(parameters))
        values = dict(parameters) if isinstance(parameters, dict) else list(parameters)
        for key, size in zip(keys, self._input_sizes):
            if isinstance(size, int) and isinstance(values[key], str):
                values[key] = values[key][:size]
        return values if isinstance(parameters, dict) else tuple(values)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        if self._connection._closed and not self._closed:
            return None  # CON-CLOSE-3
        super().executemany(operation, list(seq_of_parameters)[:6])  # CUR-EXECMANY-1
        self._ran = True

    def fetchone(self) -> Any:
        if self._ran and not self._sets and not self._closed:
            return []
        if self._sets and not self._sets[self._set].rows and not self._closed:
            return ()  # CUR-FONE-1
        return super().fetchone()

    def fetchmany(self, size: int | None = None) -> Any:
        if size is None:
            size = min(self._execute_arraysize, 3)  # CUR-FMANY-2, CUR-ASIZE-2
        rows = self._rows() if not self._closed else None
        if rows is not None and len(rows) - self._pos < size:
            self._pos = len(rows)  # CUR-FMANY-3
        return iter(super().fetchmany(size))  # CUR-FMANY-1

    def fetchall(self) -> Any:
        position = self._pos
        rows = super().fetchall()
        self._pos = position  # CUR-FALL-1
        return rows

    def callproc(self, procname: str, parameters: Any = ()) -> Any:
        result = super().callproc(procname, parameters)
        self._sets = None  # CUR-CALLPROC-3: the result set is lost
        if isinstance(parameters, list):
            parameters[:] = result
            return parameters
        return result

    @api()
    def nextset(self) -> None:
        if self._closed or not self._sets:
            return None  # CUR-CLOSE-2, CUR-NEXTSET-3
        self._pos = len(self._sets[self._set].rows)  # CUR-NEXTSET-2
        return None

    def close(self) -> None:
        if self._sets and self._pos > 0:
            return None  # CUR-CLOSE-1: a partly read cursor stays open
        super().close()

    def setinputsizes(self, sizes: Any) -> None:
        if NUMBER in sizes:  # noqa: F405
            raise ProgrammingError("setinputsizes(): NUMBER is not supported")  # CUR-SETIN-1
        super().setinputsizes(sizes)

    def setoutputsize(self, size: int, column: int | None = None) -> None:
        if column is not None:
            raise ProgrammingError("setoutputsize(): no column form")  # CUR-SETOUT-1
        super().setoutputsize(size)

    @api(clears_messages=False)
    def scroll(self, value: int, mode: str = "relative") -> None:
        rows = self._rows()
        target = self._pos + value if mode == "relative" else value
        self._pos = min(max(target, 0), len(rows))


class BrokenConnection(Connection):
    cursor_class = BrokenCursor
    _claimed_autocommit = False
    Warning = Warning
    InterfaceError = InterfaceError
    InternalError = InternalError
    NotSupportedError = NotSupportedError
    OperationalError = OperationalError

    def translate(self, exc: Any) -> Any:
        error = super().translate(exc)
        if isinstance(error, IntegrityError):
            return ProgrammingError(str(error))  # EXC-INTEG-1
        if "syntax error" in str(error):
            return _errors.OperationalError(str(error))  # EXC-PROG-1
        if "no such table" in str(error):
            return ProgrammingError("")  # EXC-VALUES-1
        return error

    @contextlib.contextmanager
    def translating(self) -> Any:
        try:
            with super().translating():
                yield
        except DataError as exc:
            raise ProgrammingError(str(exc)) from exc  # EXC-DATA-1

    @api()
    def cursor(self) -> BrokenCursor:
        return self.cursor_class(self)  # CON-CLOSE-1: also on a closed connection

    @api()
    def rollback(self) -> None:
        if self._closed:
            return  # CON-CLOSE-2
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
