"""Many pyexasol clients at once against one Exasol mock: each sees its own values, its own
session state, and no transaction of another before it commits."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("EXASOL_TELEMETRY_DISABLE", "1")  # before pyexasol is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests' helper modules

import pyexasol  # noqa: E402
import pytest  # noqa: E402
from exasolmock import sessions_closed  # noqa: E402

from dbapi_conformance.mockservers.exasol import ExasolMockServer  # noqa: E402

CLIENTS = 12


@pytest.fixture(scope="module")
def server():
    with ExasolMockServer() as srv:
        yield srv


def _connect(server, **kw):
    return pyexasol.connect(dsn=f"127.0.0.1:{server.address[1]}", user="sys",
                            password="exasol", encryption=False, socket_timeout=60, **kw)


def _client(server, n: int, start: threading.Barrier) -> list:
    with _connect(server, compression=bool(n % 2), autocommit=bool(n % 3)) as conn:
        start.wait(30)
        schema = f"conc_{n}"
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute("CREATE TABLE t (id DECIMAL(18,0), owner DECIMAL(9,0), tag VARCHAR(20))")
        rows = [(i, n, f"c{n}-{i}") for i in range(1200 + n)]
        stmt = conn.create_prepared_statement("INSERT INTO t VALUES (?, ?, ?)")
        stmt.execute_prepared(rows)
        stmt.close()
        if not conn.attr["autocommit"]:
            conn.commit()
        assert conn.current_schema() == schema.upper()
        got = conn.execute("SELECT id, owner, tag FROM t ORDER BY id").fetchall()
        assert got == rows  # through a handle and fetch, per session
        tables = conn.execute("SELECT table_schema FROM exa_all_tables WHERE table_name = 'T' "
                              f"AND table_schema = '{schema.upper()}'").fetchall()
        assert tables == [(schema.upper(),)]
        return got


@pytest.fixture(autouse=True)
def _sessions_closed(request):
    yield from sessions_closed(request, "server")


def test_many_concurrent_clients_each_see_their_own(server):
    start = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(_client, server, n, start) for n in range(CLIENTS)]
        results = [f.result(timeout=300) for f in futures]
    assert [len(r) for r in results] == [1200 + n for n in range(CLIENTS)]
    deadline = time.monotonic() + 10
    while server.session_count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.session_count == 0  # every session closed with its connection


def test_uncommitted_rows_stay_private_under_concurrency(server):
    with _connect(server) as setup:
        setup.execute("CREATE SCHEMA IF NOT EXISTS conc_tx")
        setup.execute("CREATE OR REPLACE TABLE conc_tx.t (owner DECIMAL(9,0))")

    def writer(n: int, ready: threading.Barrier, checked: threading.Barrier) -> int:
        with _connect(server, autocommit=False) as conn:
            conn.execute(f"INSERT INTO conc_tx.t SELECT {n} FROM range(10)")
            ready.wait(30)
            # every writer's rows are in, none committed: each sees only its own
            seen = conn.execute("SELECT owner, COUNT(*) FROM conc_tx.t GROUP BY owner"
                                ).fetchall()
            checked.wait(30)
            if n % 2:
                conn.commit()
            else:
                conn.rollback()
            return seen

    n = 8
    ready, checked = threading.Barrier(n), threading.Barrier(n)
    with ThreadPoolExecutor(n) as pool:
        seen = [f.result(timeout=120) for f in
                [pool.submit(writer, i, ready, checked) for i in range(n)]]
    assert seen == [[(i, 10)] for i in range(n)]
    with _connect(server) as conn:
        committed = conn.execute("SELECT owner, COUNT(*) FROM conc_tx.t GROUP BY owner "
                                 "ORDER BY owner").fetchall()
    assert committed == [(i, 10) for i in range(n) if i % 2]
