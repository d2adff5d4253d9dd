"""Connections and scratch tables opened for one test, and always cleaned up.

The ``dbapi_connect`` fixture yields a ConnectionFactory; ``dbapi_table`` creates tables
through it and defers their DROP until the test's connections are closed, so an open
transaction of the test cannot block the drop (pep249-clauses.md 8.2: test connections are
always closed). ``dbapi_connect_unreachable`` yields an UnreachableConnector: connections to
a port where nothing listens (EXC-OPER-1).
"""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Callable
from typing import Any

from dbapi_conformance.harness.sqlprofile import SqlProfile


class ConnectionFactory:
    """Callable returning a new open connection; remembers each one to close it later.

    ``open_connection``: () -> connection (the driver profile's connect, bound).
    """

    def __init__(self, open_connection: Callable[[], Any]) -> None:
        self._open = open_connection
        self.opened: list[Any] = []
        self._deferred: list[Callable[[], None]] = []

    def __call__(self) -> Any:
        conn = self._open()
        self.opened.append(conn)
        return conn

    def defer(self, action: Callable[[], None]) -> None:
        """Run ``action`` at teardown, after the connections are closed."""
        self._deferred.append(action)

    def teardown(self) -> None:
        """Close every connection (errors from closed ones ignored), then deferred actions."""
        close_all(self.opened)
        deferred, self._deferred = self._deferred, []
        for action in reversed(deferred):
            action()
        close_all(self.opened)  # connections the deferred actions opened


def close_all(connections: list[Any]) -> None:
    """Close and forget every connection; a failing close() is ignored (already closed)."""
    while connections:
        conn = connections.pop()
        try:
            conn.close()
        except Exception:  # CON-CLOSE-5: a second close may raise; teardown goes on
            pass


def run_statement(connect: Callable[[], Any], sql: str) -> None:
    """Execute ``sql`` on a fresh connection, commit, close it."""
    conn = connect()
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()
        conn.commit()  # a no-op where there are no transactions (CON-COMMIT-4)
    finally:
        conn.close()


def new_table_name() -> str:
    """A fresh table name, ``t_`` and 8 hex digits (lower case: some databases fold names)."""
    return f"t_{secrets.token_hex(4)}"


def make_table_factory(
    sql: SqlProfile,
    connect: Callable[[], Any],
    defer: Callable[[Callable[[], None]], None],
) -> Callable[..., str]:
    """The ``dbapi_table(shape="basic")`` factory: create a table, return its name.

    ``defer`` schedules the DROP (errors at drop are ignored). ValueError for an unknown
    shape; the driver's own error when CREATE TABLE fails.
    """

    def create(shape: str = "basic") -> str:
        name = new_table_name()
        ddl = sql.create_table(name, shape)  # validates the shape before touching the server
        run_statement(connect, ddl)

        def drop() -> None:
            try:
                run_statement(connect, sql.drop_table(name))
            except Exception:  # the table may be gone, or the server may be down
                pass

        defer(drop)
        return name

    return create


# --- an unreachable server (EXC-OPER-1) -------------------------------------------------------

#: Seconds handed to the driver as its network timeout (Endpoint.timeout) when it connects
#: to a port where nothing listens; a refused connection fails at once anyway.
UNREACHABLE_TIMEOUT = 5.0
#: Seconds a connect() to that port may take before the harness calls it a hang.
UNREACHABLE_LIMIT = 30.0


class CallTimedOut(Exception):
    """``call_within``: the action was still running when the time was up."""


def call_within(action: Callable[[], Any], seconds: float) -> Any:
    """Run ``action()`` on a daemon thread and return its result or re-raise its exception.

    Raises CallTimedOut when it is still running after ``seconds``; the thread is then left
    behind (a daemon: it cannot keep the interpreter alive).
    """
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, action()))
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            outcome.append((False, exc))

    thread = threading.Thread(target=run, name="dbapi-call-within", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        raise CallTimedOut(f"still running after {seconds:g} s")
    ok, value = outcome[0]
    if ok:
        return value
    raise value


class DeadPort:
    """A TCP port on 127.0.0.1 where nothing listens.

    The socket is bound but never listens, so connections to it are refused at once, and
    while it is held no other program (and no outgoing connection's local port) can take
    the port. ``close()`` releases it; idempotent.
    """

    host = "127.0.0.1"

    def __init__(self) -> None:
        self._sock: socket.socket | None = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((self.host, 0))
        self.port: int = self._sock.getsockname()[1]

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class UnreachableConnector:
    """Callable: connect with ``open_at(port)`` to a DeadPort; connections closed later.

    ``open_at``: port -> connection (the profile's connect on an Endpoint moved to
    127.0.0.1:port). A call returns the connection (a driver may connect lazily, so the
    error can come with the first execute) or raises the driver's error. CallTimedOut
    when connect() has not returned after ``limit`` seconds (default UNREACHABLE_LIMIT).
    """

    def __init__(self, open_at: Callable[[int], Any], limit: float | None = None):
        self._open_at = open_at
        self._limit = UNREACHABLE_LIMIT if limit is None else limit
        self._port: DeadPort | None = None
        self.opened: list[Any] = []

    def __call__(self) -> Any:
        if self._port is None:
            self._port = DeadPort()
        port = self._port.port
        conn = call_within(lambda: self._open_at(port), self._limit)
        self.opened.append(conn)
        return conn

    def teardown(self) -> None:
        close_all(self.opened)
        if self._port is not None:
            self._port.close()
