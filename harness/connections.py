"""Connections and scratch tables opened for one test, and always cleaned up.

The ``dbapi_connect`` fixture yields a ConnectionFactory; ``dbapi_table`` creates tables
through it and defers their DROP until the test's connections are closed, so an open
transaction of the test cannot block the drop (pep249-clauses.md 8.2: test connections are
always closed).
"""

from __future__ import annotations

import secrets
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
    """A fresh table name, ``t_`` and 8 hex digits (lower case: CrateDB folds names)."""
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
