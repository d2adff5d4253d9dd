"""PEP 249 threadsafety: the declared level must hold under concurrent use (GLB-THREAD-2).

Level 1: threads share the module (each opens its own connection). Level 2: threads share one
connection, each with its own cursor. Level 3: threads share one cursor. Each level's test is
"n/a" when the module declares a lower level. Threads start together behind a barrier, and
every result is checked, so crossed replies between threads are caught.
"""

import threading
import traceback

import pytest
from dbapi_conformance.suites.pep249._support import count_rows

THREADS = 4
ROWS_PER_THREAD = 5
JOIN_TIMEOUT = 30.0  # seconds; a safety net against a hung driver, not a speed target


def _rows_of(thread):
    return [(thread * 1000 + i, f"thread-{thread}-row-{i}") for i in range(ROWS_PER_THREAD)]


def _run_in_threads(work):
    """Run ``work(thread_index)`` in THREADS threads at once; fail on any error or hang."""
    barrier = threading.Barrier(THREADS)
    errors = []

    def run(index):
        try:
            barrier.wait(timeout=JOIN_TIMEOUT)
            work(index)
        except BaseException:  # noqa: BLE001 - reported by the main thread
            errors.append(f"thread {index}:\n{traceback.format_exc()}")

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "threads did not finish (hang?)"
    assert not errors, "\n".join(errors)


def _require_level(module, level):
    declared = module.threadsafety
    if declared < level:
        pytest.skip(f"n/a: the module declares threadsafety {declared} < {level}")


def _insert_and_check(cursor, params, table, rows):
    insert = params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")
    select = params.sql(f"SELECT id, name FROM {table} WHERE id = {{}}")
    for row in rows:
        cursor.execute(insert, params.args(*row))
    for row in rows:
        cursor.execute(select, params.args(row[0]))
        got = [tuple(r) for r in cursor.fetchall()]
        assert got == [row], f"read {got} for id {row[0]}, expected {[row]}"


@pytest.mark.pep249("GLB-THREAD-2")
@pytest.mark.dbapi_requires("threadsafety_stress")
def test_threads_share_the_module(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params
):
    _require_level(dbapi_module, 1)
    table = dbapi_table()

    def work(index):
        connection = dbapi_connect()
        cursor = connection.cursor()
        _insert_and_check(cursor, dbapi_params, table, _rows_of(index))
        connection.commit()
        cursor.execute(dbapi_target.sql.select_one)
        assert [list(row) for row in cursor.fetchall()] == [[1]]

    _run_in_threads(work)
    assert count_rows(dbapi_target, dbapi_connect().cursor(), table) == THREADS * ROWS_PER_THREAD


@pytest.mark.pep249("GLB-THREAD-2")
@pytest.mark.dbapi_requires("threadsafety_stress")
def test_threads_share_a_connection(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_connect, dbapi_table, dbapi_params
):
    _require_level(dbapi_module, 2)
    table = dbapi_table()

    def work(index):
        cursor = dbapi_connection.cursor()
        _insert_and_check(cursor, dbapi_params, table, _rows_of(index))
        cursor.close()

    _run_in_threads(work)
    dbapi_connection.commit()
    assert count_rows(dbapi_target, dbapi_connect().cursor(), table) == THREADS * ROWS_PER_THREAD


@pytest.mark.pep249("GLB-THREAD-2")
@pytest.mark.dbapi_requires("threadsafety_stress")
def test_threads_share_a_cursor(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_connect, dbapi_table, dbapi_params
):
    _require_level(dbapi_module, 3)
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    insert = dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")

    def work(index):
        # Only statements without results: with one shared cursor, which thread fetches
        # which result set is the caller's business.
        for row in _rows_of(index):
            cursor.execute(insert, dbapi_params.args(*row))

    _run_in_threads(work)
    dbapi_connection.commit()
    reader = dbapi_connect().cursor()
    dbapi_target.sql.after_write(reader, table)
    reader.execute(f"SELECT id, name FROM {table} ORDER BY id")
    expected = sorted(row for index in range(THREADS) for row in _rows_of(index))
    assert [tuple(row) for row in reader.fetchall()] == expected
