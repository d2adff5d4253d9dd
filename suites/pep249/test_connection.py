"""PEP 249 Connection objects: close(), cursor(), and commit() where there are no transactions.

Transaction behaviour (commit visibility, rollback, implicit rollback on close) is in
test_transactions.py.
"""

import pytest

from dbapi_conformance.suites.pep249._support import (
    assert_error,
    basic_rows,
    insert_basic,
    observe_call,
    raised_by,
    select_basic,
)


@pytest.mark.pep249("CON-CLOSE-1")
def test_close_takes_effect_at_once(dbapi_module, dbapi_connect, dbapi_target):
    connection = dbapi_connect()
    cursor = connection.cursor()
    cursor.execute(dbapi_target.sql.select_one)
    assert [list(row) for row in cursor.fetchall()] == [[1]]
    connection.close()
    # The connection object is still referenced here, so garbage collection cannot have closed
    # it: any failure below comes from close() itself.
    exc = raised_by(
        lambda: connection.cursor().execute(dbapi_target.sql.select_one),
        "running a statement on a closed connection",
    )
    assert_error(dbapi_module, exc, "Error", "statement on a closed connection")


def _use_closed_connection(connection, operation, optional):
    if operation == "cursor":
        return connection.cursor()
    if operation == "commit":
        return connection.commit()
    if operation == "rollback":
        # n/a only where "rollback" is declared absent and the method is missing.
        return optional(connection, "rollback", "rollback")()
    raise AssertionError(operation)  # pragma: no cover


@pytest.mark.pep249("CON-CLOSE-2")
@pytest.mark.parametrize("operation", ["cursor", "commit", "rollback"])
def test_closed_connection_raises_error(operation, dbapi_module, dbapi_connect, dbapi_optional):
    connection = dbapi_connect()
    connection.close()
    exc = raised_by(
        lambda: _use_closed_connection(connection, operation, dbapi_optional),
        f"{operation}() on a closed connection",
    )
    assert_error(dbapi_module, exc, "Error", f"{operation}() on a closed connection")


@pytest.mark.pep249("CON-CLOSE-3")
@pytest.mark.parametrize("operation", ["execute", "executemany"])
def test_cursor_of_closed_connection_raises_error(
    operation, dbapi_module, dbapi_connect, dbapi_target, dbapi_table, dbapi_params
):
    table = dbapi_table()
    connection = dbapi_connect()
    cursor = connection.cursor()
    cursor.execute(dbapi_target.sql.select_one)
    cursor.fetchall()
    connection.close()
    sql = dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")
    if operation == "execute":
        exc = raised_by(lambda: cursor.execute(sql, dbapi_params.args(1, "a")), "execute")
    else:
        exc = raised_by(lambda: cursor.executemany(sql, [dbapi_params.args(1, "a")]), "executemany")
    assert_error(dbapi_module, exc, "Error", f"{operation}() on a cursor of a closed connection")


@pytest.mark.pep249("CON-CLOSE-5")
def test_close_twice(dbapi_connect, dbapi_observe):
    connection = dbapi_connect()
    connection.close()
    dbapi_observe("CON-CLOSE-5", f"second close(): {observe_call(connection.close)}")


@pytest.mark.pep249("CON-CURSOR-1")
def test_cursor_returns_new_cursors(dbapi_connection, dbapi_target):
    first = dbapi_connection.cursor()
    second = dbapi_connection.cursor()
    assert first is not second
    first.execute(dbapi_target.sql.select_one)
    second.execute(dbapi_target.sql.select_one)
    assert [list(row) for row in first.fetchall()] == [[1]]
    assert [list(row) for row in second.fetchall()] == [[1]]


@pytest.mark.pep249("CON-CURSOR-2")
def test_named_cursor_argument(dbapi_connection, dbapi_observe):
    def named():
        cursor = dbapi_connection.cursor("dbapi_named_cursor")
        cursor.close()
        return type(cursor).__name__

    dbapi_observe("CON-CURSOR-2", f"cursor('dbapi_named_cursor'): {observe_call(named)}")


@pytest.mark.pep249("CON-COMMIT-3")
def test_autocommit_switch(dbapi_connection, dbapi_module, dbapi_observe):
    found = [
        name
        for name in ("autocommit", "setautocommit", "set_autocommit")
        if hasattr(dbapi_connection, name)
    ]
    if "autocommit" in found:
        found[found.index("autocommit")] = f"autocommit={dbapi_connection.autocommit!r}"
    dbapi_observe("CON-COMMIT-3", f"autocommit controls on the connection: {found or 'none'}")


@pytest.mark.pep249("CON-COMMIT-4")
@pytest.mark.dbapi_without("transactions")
def test_commit_without_transactions_is_a_no_op(
    dbapi_target, dbapi_connect, dbapi_table, dbapi_params
):
    table = dbapi_table()
    connection = dbapi_connect()
    cursor = connection.cursor()
    connection.commit()  # nothing pending
    insert_basic(cursor, dbapi_params, table, basic_rows(1))
    connection.commit()
    connection.commit()
    # The connection stays usable and the write is there, exactly once.
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == basic_rows(1)
