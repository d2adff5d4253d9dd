"""PEP 249 threadsafety: the declared level must hold under concurrent use (GLB-THREAD-2).

Level 1: threads share the module (each opens its own connection). Level 2: threads share one
connection, each with its own cursor. Level 3: threads share one cursor. No capability
excuses this MUST clause: a level above the declared one is not claimed, so its test passes
with an observation; the levels the module claims are always stressed. Threads start
together behind a barrier, and every result is checked, so crossed replies between threads
are caught.

A driver that is wrong about its level may crash the interpreter (a C extension used from
threads it cannot cope with). So where the platform can fork (not on Windows or macOS, see
reports/README.md), the threads run in a forked child process: a crash or hang there fails
the test ("interpreter crashed: signal N") instead of ending the whole run. The child opens
its own connections; connections of the parent are never used across the fork.
"""

import multiprocessing
import signal
import sys
import threading
import traceback
import warnings

import pytest

from dbapi_conformance.suites.pep249._support import count_rows

THREADS = 4
ROWS_PER_THREAD = 5
JOIN_TIMEOUT = 30.0  # seconds; a safety net against a hung driver, not a speed target
CHILD_TIMEOUT = 60.0  # seconds for the whole child process (connect, threads, commit)


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


def _can_fork():
    # macOS system libraries are not fork-safe (CPython's default there is spawn).
    return "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"


def _signal_name(number):
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown"


def _run_protected(scenario):
    """Run ``scenario()`` in a forked child process where possible, else in this process.

    Fails the test with the child's error, with "interpreter crashed: signal N" when the
    child died by a signal, or when it did not finish within CHILD_TIMEOUT seconds.
    """
    if not _can_fork():
        scenario()
        return
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)

    def child():
        reader.close()
        try:
            scenario()
        except BaseException as exc:  # noqa: BLE001 - sent to the parent
            writer.send(f"{type(exc).__name__}: {exc}")
        else:
            writer.send(None)
        writer.close()

    process = context.Process(target=child, name="dbapi-threadsafety", daemon=True)
    with warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads (the mock server's);
        # the child only uses objects it creates itself.
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    writer.close()
    try:
        # poll() is also true at end of file: the child died without sending.
        if not reader.poll(CHILD_TIMEOUT):
            process.kill()
            process.join(JOIN_TIMEOUT)
            pytest.fail(f"the threads did not finish within {CHILD_TIMEOUT:g} s (hang?)")
        try:
            message = reader.recv()
        except EOFError:
            message = "no result"
    finally:
        reader.close()
    process.join(JOIN_TIMEOUT)
    code = process.exitcode
    if code is not None and code < 0:
        pytest.fail(f"interpreter crashed: signal {-code} ({_signal_name(-code)}) in the "
                    "child process running the threads")
    if message is not None:
        pytest.fail(message if code == 0 else f"child process exited with code {code}: {message}")


def _claims_level(module, level, observe):
    """True when the module's threadsafety claims ``level``; else records that it does not."""
    declared = module.threadsafety
    assert type(declared) is int, f"threadsafety is {declared!r}, not an int"
    if declared < level:
        observe("GLB-THREAD-2", f"threadsafety {declared}: level {level} is not claimed")
        return False
    return True


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
def test_threads_share_the_module(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_observe
):
    if not _claims_level(dbapi_module, 1, dbapi_observe):
        return
    table = dbapi_table()

    def work(index):
        connection = dbapi_connect()
        cursor = connection.cursor()
        _insert_and_check(cursor, dbapi_params, table, _rows_of(index))
        connection.commit()
        cursor.execute(dbapi_target.sql.select_one)
        assert [list(row) for row in cursor.fetchall()] == [[1]]
        connection.close()

    _run_protected(lambda: _run_in_threads(work))
    assert count_rows(dbapi_target, dbapi_connect().cursor(), table) == THREADS * ROWS_PER_THREAD


@pytest.mark.pep249("GLB-THREAD-2")
def test_threads_share_a_connection(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_observe
):
    if not _claims_level(dbapi_module, 2, dbapi_observe):
        return
    table = dbapi_table()

    def scenario():
        connection = dbapi_connect()

        def work(index):
            cursor = connection.cursor()
            _insert_and_check(cursor, dbapi_params, table, _rows_of(index))
            cursor.close()

        _run_in_threads(work)
        connection.commit()
        connection.close()

    _run_protected(scenario)
    assert count_rows(dbapi_target, dbapi_connect().cursor(), table) == THREADS * ROWS_PER_THREAD


@pytest.mark.pep249("GLB-THREAD-2")
def test_threads_share_a_cursor(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_observe
):
    if not _claims_level(dbapi_module, 3, dbapi_observe):
        return
    table = dbapi_table()
    insert = dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")

    def scenario():
        connection = dbapi_connect()
        cursor = connection.cursor()

        def work(index):
            # Only statements without results: with one shared cursor, which thread fetches
            # which result set is the caller's business.
            for row in _rows_of(index):
                cursor.execute(insert, dbapi_params.args(*row))

        _run_in_threads(work)
        connection.commit()
        connection.close()

    _run_protected(scenario)
    reader = dbapi_connect().cursor()
    dbapi_target.sql.after_write(reader, table)
    reader.execute(f"SELECT id, name FROM {table} ORDER BY id")
    expected = sorted(row for index in range(THREADS) for row in _rows_of(index))
    assert [tuple(row) for row in reader.fetchall()] == expected
