"""The threadsafety tests survive a driver that crashes the interpreter (GLB-THREAD-2).

The suite runs its thread scenarios in a forked child process; a child that dies by a signal
fails the test instead of ending the run. The run under test is itself a subprocess, so a
broken protection fails this test rather than killing the project's own test run.
"""

from __future__ import annotations

import json
import multiprocessing
import sys

import pytest

pytestmark = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods() or sys.platform == "darwin",
    reason="the suite runs thread scenarios in a child process only where it can fork",
)

#: A sqlite3 wrapper claiming threadsafety 3 whose cursor dies by SIGSEGV (as a C extension
#: would) as soon as a second thread uses it.
CRASHY_DRIVER = '''
import os
import signal
import sqlite3
import threading
from sqlite3 import *  # noqa: F401,F403 - the exception classes and constructors

apilevel = "2.0"
threadsafety = 3
paramstyle = "qmark"


class Cursor:
    def __init__(self, cursor):
        self._cursor = cursor
        self._threads = set()

    def execute(self, sql, params=()):
        self._threads.add(threading.get_ident())
        if len(self._threads) > 1:
            os.kill(os.getpid(), signal.SIGSEGV)
        self._cursor.execute(sql, params)
        return self

    def __getattr__(self, name):
        return getattr(self._cursor, name)


class Connection:
    def __init__(self, path):
        # autocommit: threads sharing the connection must not interleave implicit BEGINs
        self._conn = sqlite3.connect(
            path, timeout=10, check_same_thread=False, isolation_level=None
        )

    def cursor(self):
        return Cursor(self._conn.cursor())

    def __getattr__(self, name):
        return getattr(self._conn, name)


def connect(path):
    return Connection(path)
'''

CRASHY_CONFTEST = '''
from dbapi_conformance.harness import DriverProfile, SqlProfile

def pytest_dbapi_profile(config, driver):
    if driver != "crashy_dbapi":
        return None
    return DriverProfile(
        module="crashy_dbapi", database="sqlite", server="none",
        connect=lambda module, endpoint: module.connect(endpoint.data_dir / "db.sqlite"),
        sql=SqlProfile(types={"int": "INTEGER", "text": "TEXT"}),
    )
'''


def test_a_crash_in_the_thread_scenario_fails_only_that_test(pytester):
    pytester.makepyfile(crashy_dbapi=CRASHY_DRIVER)
    pytester.makeconftest(CRASHY_CONFTEST)
    result = pytester.runpytest_subprocess(
        "--dbapi-driver=crashy_dbapi", "-k", "threads_share", "-p", "no:cacheprovider",
        timeout=120,
    )
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["E * Failed: interpreter crashed: signal 11 (SIGSEGV)*"])
    report = json.loads((pytester.path / "reports" / "crashy_dbapi-sqlite.json").read_text())
    thread = next(c for c in report["clauses"] if c["id"] == "GLB-THREAD-2")
    assert thread["outcome"] == "fail"
    assert thread["detail"].startswith("Failed: interpreter crashed: signal 11 (SIGSEGV)")
    outcomes = {t["nodeid"].split("::")[1]: t["outcome"] for t in thread["tests"]}
    assert outcomes == {
        "test_threads_share_the_module[crashy_dbapi-sqlite]": "pass",
        "test_threads_share_a_connection[crashy_dbapi-sqlite]": "pass",
        "test_threads_share_a_cursor[crashy_dbapi-sqlite]": "fail",
    }
