"""fulldriver.broken2: fulldriver with further behaviours broken on purpose, one per clause.

A second broken variant next to fulldriver.broken: it breaks clauses broken.py leaves
alone, each by a small override that only the tests of its own clause notice (as far as
the suite's tests allow). tests/test_certify_fulldriver.py pins which clauses and tests
fail. Each entry of BREAKS is (area, what is wrong, the clause that should catch it).
"""

from __future__ import annotations

import builtins
import weakref
from typing import Any

from fulldriver import *  # noqa: F403 - the same module surface
from fulldriver import Connection, Cursor, Xid
from fulldriver import errors as _errors
from fulldriver.errors import ProgrammingError
from fulldriver.handling import api
from fulldriver.sqltext import READ_VERBS, split_statements, verb

BREAKS = (
    ("module", "connect() names its first parameter 'path', none of the suggested keywords",
     "MOD-CONNECT-2"),
    ("exceptions", "Warning derives from Error", "EXC-WARN-2"),
    ("exceptions", "DatabaseError only recognises the database errors, it is no Error",
     "EXC-DB-1"),
    ("transactions", "a new connection autocommits until its first commit() or rollback()",
     "CON-COMMIT-2"),
    ("connection", "a parameterless query run by a second cursor takes the rows the first "
     "cursor running it has not read", "CON-CURSOR-1"),
    ("cursor", "a cursor answers a repeated query from its cache, though another cursor of "
     "the connection wrote since", "CUR-ISO-1"),
    ("extensions", "rownumber does not count the rows fetchmany() read", "EXT-ROWNUM-1"),
    ("extensions", "connection.Warning is the builtin Warning", "EXT-CONNEXC-1"),
    ("extensions", "scroll(n, mode='absolute') counts rows from 1", "EXT-SCROLL-1"),
    ("extensions", "scrolling backwards raises ProgrammingError, not NotSupportedError",
     "EXT-SCROLL-3"),
    ("extensions", "the database's messages name their class as text", "EXT-MSG-1"),
    ("extensions", "cursor() does not clear connection.messages", "EXT-MSG-3"),
    ("extensions", "next() returns None at the end instead of raising StopIteration",
     "EXT-NEXT-1"),
    ("extensions", "iter(cursor) is a generator over the rows, not the cursor", "EXT-ITER-1"),
    ("extensions", "connection.errorhandler cannot be set back to None", "EXT-ERRH-1"),
    ("extensions", "a new cursor's errorhandler is None; its errors still go to the "
     "connection's handler", "EXT-ERRH-3"),
    ("extensions", "autocommit reads as the int 0 until it is first assigned", "EXT-AUTOC-1"),
    ("tpc", "tpc_recover is there only while a prepared transaction waits", "TPC-GEN-1"),
    ("tpc", "xid() refuses a gtrid or bqual of 64 characters", "TPC-XID-2"),
    ("tpc", "rollback() inside a TPC transaction rolls it back instead of raising",
     "TPC-BEGIN-2"),
    ("tpc", "queries run after tpc_prepare()", "TPC-PREP-1"),
    ("tpc", "tpc_commit(xid) of an unknown xid does nothing", "TPC-COMMIT-2"),
    ("tpc", "tpc_rollback() before tpc_prepare() commits", "TPC-RB-1"),
    ("tpc", "tpc_recover() swaps gtrid and bqual", "TPC-RECOVER-1"),
)


class Warning(_errors.Error):  # noqa: A001 - EXC-WARN-2: an Error
    """The module's Warning, derived from Error (and so from Exception)."""


class _DatabaseErrorType(type):
    """issubclass/isinstance answer for the database errors of fulldriver.errors."""

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, _errors.DatabaseError)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, _errors.DatabaseError)


class DatabaseError(Exception, metaclass=_DatabaseErrorType):
    """EXC-DB-1: the six database error classes count as subclasses, but DatabaseError
    itself derives from Exception, not Error."""


def _recording_warn(connection: BrokenConnection):
    me = weakref.ref(connection)

    def warn(text: Any) -> Any:
        conn = me()
        if conn is not None:
            target = conn.running if conn.running is not None else conn
            # EXT-MSG-1: the class by name, not the class
            target.messages.append((_errors.Warning.__name__, _errors.Warning(str(text))))
        return text

    return warn


class BrokenCursor(Cursor):
    _many = 0
    _shared_query = None

    def __init__(self, connection: Any) -> None:
        super().__init__(connection)
        self.errorhandler = None  # EXT-ERRH-3
        self._cache: dict[tuple[str, str], tuple[Any, Any]] = {}

    def _errorhandler(self):
        if self.errorhandler is not None:
            return self.errorhandler
        return self._connection.errorhandler  # EXT-ERRH-3: errors still reach it

    @property
    def rownumber(self) -> int | None:
        if self._current_set() is None:
            return None
        return self._pos - self._many  # EXT-ROWNUM-1

    def _reset(self) -> None:
        super()._reset()
        self._many = 0
        self._shared_query = None

    def _run(self, sql: str, params: Any, sets: list) -> tuple[int, int | None]:
        kind = verb(sql)
        if kind not in READ_VERBS:
            self._cache.clear()  # only this cursor's own writes invalidate (CUR-ISO-1)
            return super()._run(sql, params, sets)
        key = (sql, repr(params))
        stamp = self._connection.stamp()
        cached = self._cache.get(key)
        if cached is not None and cached[0] == stamp:
            sets.append(cached[1])
            return len(cached[1].rows), None
        before = len(sets)
        result = super()._run(sql, params, sets)
        if len(sets) == before + 1:
            self._cache[key] = (stamp, sets[-1])
        return result

    def execute(self, operation: str, parameters: Any = None) -> None:
        super().execute(operation, parameters)
        statements = split_statements(operation) if isinstance(operation, str) else []
        if parameters or len(statements) != 1 or verb(operation) not in READ_VERBS:
            return
        # CON-CURSOR-1: the connection's cursors share one statement per parameterless query.
        owners = self._connection.query_owners
        previous = owners.get(operation)
        other = previous() if previous is not None else None
        if other is not None and other is not self and other._shared_query == operation:
            current = other._current_set()
            if current is not None:
                other._pos = len(current.rows)
        owners[operation] = weakref.ref(self)
        self._shared_query = operation

    def fetchmany(self, size: int | None = None) -> Any:
        rows = super().fetchmany(size)
        self._many += len(rows)  # EXT-ROWNUM-1
        return rows

    @api(clears_messages=False)
    def scroll(self, value: int, mode: str = "relative") -> None:
        if mode == "relative" and value < 0:
            raise ProgrammingError("scroll(): cannot scroll backwards")  # EXT-SCROLL-3
        if mode == "absolute":
            value -= 1  # EXT-SCROLL-1: rows counted from 1
        return Cursor.scroll.__wrapped__(self, value, mode)

    def next(self) -> Any:
        return self.fetchone()  # EXT-NEXT-1: None at the end (__next__ still stops)

    def __iter__(self) -> Any:
        # EXT-ITER-1: a generator, not the cursor
        while True:
            row = self.fetchone()
            if row is None:
                return
            yield row


class BrokenConnection(Connection):
    cursor_class = BrokenCursor
    Warning = builtins.Warning  # EXT-CONNEXC-1
    DatabaseError = DatabaseError
    _fresh = True
    _assigned = False
    _handler = None
    _ends = 0

    def __init__(self, database: Any, timeout: float = 10.0, autocommit: bool = False) -> None:
        super().__init__(database, timeout=timeout, autocommit=autocommit)
        self.query_owners: dict[str, Any] = {}

    def _add_functions(self) -> None:
        super()._add_functions()
        self._db.create_function("warn", 1, _recording_warn(self))

    def stamp(self) -> tuple[int, int]:
        """Changes other connections committed (data_version), and this one's ends."""
        with self.translating():
            return self._db.execute("PRAGMA data_version").fetchone()[0], self._ends

    @property
    def errorhandler(self) -> Any:
        return self._handler

    @errorhandler.setter
    def errorhandler(self, value: Any) -> None:
        if value is None and self._handler is not None:
            return  # EXT-ERRH-1: a handler once set stays
        self._handler = value

    @property
    def autocommit(self) -> Any:
        return self._autocommit if self._assigned else int(self._autocommit)  # EXT-AUTOC-1

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._set_autocommit(value)
        self._assigned = True
        self._fresh = False

    def run(self, sql: str, params: Any = (), write: bool = True) -> Any:
        if self._tpc is not None and self._tpc.prepared and not write:
            with self.translating():
                return self._db.execute(sql, params)  # TPC-PREP-1
        if self._fresh and self._tpc is None and not self._autocommit:
            self._autocommit = True  # CON-COMMIT-2: autocommit until the first commit()
            try:
                return super().run(sql, params, write)
            finally:
                self._autocommit = False
        return super().run(sql, params, write)

    @api()
    def commit(self) -> None:
        self._fresh = False
        self._ends += 1
        return Connection.commit.__wrapped__(self)

    @api()
    def rollback(self) -> None:
        self._fresh = False
        self._ends += 1
        if self._tpc is not None and not self._closed:
            return Connection.tpc_rollback.__wrapped__(self)  # TPC-BEGIN-2
        return Connection.rollback.__wrapped__(self)

    @api(clears_messages=False)
    def cursor(self) -> BrokenCursor:
        self.check_open()
        return self.cursor_class(self)  # EXT-MSG-3: messages kept

    @api()
    def xid(self, format_id: int, gtrid: str, bqual: str) -> Xid:
        for part in (gtrid, bqual):
            if isinstance(part, str) and len(part) >= 64:
                raise ProgrammingError("gtrid and bqual take at most 63 characters")  # TPC-XID-2
        return Connection.xid.__wrapped__(self, format_id, gtrid, bqual)

    @api()
    def tpc_begin(self, xid: Any) -> None:
        Connection.tpc_begin.__wrapped__(self, xid)
        self._fresh = False

    @api()
    def tpc_commit(self, xid: Any = None) -> None:
        self._ends += 1
        if (xid is not None and not self._closed and self._store is not None
                and self._tpc is None and not self._db.in_transaction
                and self._store.load(Xid(*xid)) is None):
            return None  # TPC-COMMIT-2: an unknown xid is not reported
        return Connection.tpc_commit.__wrapped__(self, xid)

    @api()
    def tpc_rollback(self, xid: Any = None) -> None:
        self._ends += 1
        if xid is None and not self._closed and self._tpc is not None and not self._tpc.prepared:
            self._end("COMMIT")  # TPC-RB-1
            self._tpc = None
            return None
        return Connection.tpc_rollback.__wrapped__(self, xid)

    @property
    def tpc_recover(self) -> Any:
        if self._closed or self._store is None or not self._store.xids():
            raise AttributeError("tpc_recover")  # TPC-GEN-1: only while one waits
        return self._recover

    @api()
    def _recover(self) -> list[Xid]:
        found = Connection.tpc_recover.__wrapped__(self)
        return [Xid(xid[0], xid[2], xid[1]) for xid in found]  # TPC-RECOVER-1


def connect(path: Any, *, timeout: float = 10.0, autocommit: bool = False) -> Any:  # noqa: F811
    """As fulldriver.connect, with the BREAKS (MOD-CONNECT-2: the parameter is ``path``)."""
    return BrokenConnection(path, timeout=timeout, autocommit=autocommit)
