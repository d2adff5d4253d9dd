"""Strict refresh mode of the CrateDB mock (``refresh_interval``), through the official
client, and the ways to turn it on (``dbapi-mock cratedb --refresh-interval``, the
harness's ``--dbapi-mock-option``).

Expected behaviour: cratedb.md 5.3; crate/crate ``docs/sql/statements/refresh.rst``
(REFRESH TABLE rowcount: one per table), ``docs/concepts/storage-consistency.rst``
(primary-key lookups are real-time, searches see refreshed data only).
"""

from __future__ import annotations

import itertools
import time

import pytest
from crate import client

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases.cratedb import ENTRY as CRATEDB
from dbapi_conformance.harness.options import mock_arguments
from dbapi_conformance.harness.plugin import active_run
from dbapi_conformance.harness.profiles import DriverProfile
from dbapi_conformance.harness.servers import ServerPool, start_mock_subprocess
from dbapi_conformance.harness.sqlprofile import SqlProfile
from dbapi_conformance.harness.targets import Target
from dbapi_conformance.mockservers.cratedb import MockServer
from dbapi_conformance.mockservers.cratedb.catalog import Column, Relation
from dbapi_conformance.mockservers.cratedb.coltypes import parse_type_name
from dbapi_conformance.mockservers.cratedb.refresh import Refresher
from dbapi_conformance.mockservers.engine import Engine

_names = (f"rf{i}" for i in itertools.count())
HOUR_MS = 3_600_000  # an interval that never elapses during a test


@pytest.fixture(scope="module")
def strict():
    with MockServer(refresh_interval=HOUR_MS) as srv:
        yield srv


@pytest.fixture
def cur(strict):
    conn = client.connect(strict.url, timeout=10)
    yield conn.cursor()
    conn.close()


def _table(cur, ddl="(id INT PRIMARY KEY, name TEXT)") -> str:
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} {ddl}")
    return name


def test_searches_see_writes_only_after_refresh_table(cur):
    name = _table(cur)
    cur.execute(f"INSERT INTO {name} (id, name) VALUES (1, 'Arthur')")
    cur.execute(f"SELECT count(*) FROM {name}")
    assert cur.fetchall() == [[0]]
    cur.execute(f"SELECT * FROM {name} WHERE name = 'Arthur'")
    assert cur.fetchall() == []
    cur.execute(f"SELECT name FROM {name} WHERE id = ?", [1])  # a primary-key lookup
    assert cur.fetchall() == [["Arthur"]]
    cur.execute(f"SELECT name FROM {name} WHERE _id = '1'")
    assert cur.fetchall() == [["Arthur"]]
    cur.execute(f"UPDATE {name} SET name = 'Ford' WHERE name = 'Arthur'")  # a search
    assert cur.rowcount == 0
    cur.execute(f"REFRESH TABLE {name}")
    assert cur.rowcount == 1
    cur.execute(f"SELECT count(*), max(name) FROM {name}")
    assert cur.fetchall() == [[1, "Arthur"]]
    cur.execute(f"UPDATE {name} SET name = 'Ford' WHERE name = 'Arthur'")
    assert cur.rowcount == 1
    cur.execute(f"SELECT name FROM {name}")  # the search still sees the old row
    assert cur.fetchall() == [["Arthur"]]
    cur.execute(f"SELECT name FROM {name} WHERE id = 1")
    assert cur.fetchall() == [["Ford"]]
    cur.execute(f"DELETE FROM {name} WHERE id = 1")
    assert cur.rowcount == 1
    cur.execute(f"SELECT id FROM {name}")
    assert cur.fetchall() == [[1]]  # deleted, but not refreshed yet
    cur.execute(f"REFRESH TABLE {name}")
    cur.execute(f"SELECT id FROM {name}")
    assert cur.fetchall() == []


def test_bulk_inserts_joins_and_views_search_refreshed_data(cur):
    name = _table(cur)
    other = _table(cur, "(id INT PRIMARY KEY, n INT)")
    cur.executemany(f"INSERT INTO {name} (id, name) VALUES (?, ?)", [[1, "a"], [2, "b"]])
    cur.execute(f"INSERT INTO {other} (id, n) VALUES (1, 10)")
    cur.execute(f"CREATE VIEW {name}_v AS SELECT * FROM {name}")
    cur.execute(f"SELECT t.name, o.n FROM {name} t JOIN {other} o ON t.id = o.id")
    assert cur.fetchall() == []
    cur.execute(f"REFRESH TABLE {name}, {other}")
    assert cur.rowcount == 2
    cur.execute(f"SELECT t.name, o.n FROM {name} t JOIN {other} o ON t.id = o.id")
    assert cur.fetchall() == [["a", 10]]
    cur.execute(f"SELECT * FROM {name}_v ORDER BY id")
    assert cur.fetchall() == [[1, "a"], [2, "b"]]
    cur.execute(f"INSERT INTO {name} (id, name) (SELECT id + 10, name FROM {name})")
    assert cur.rowcount == 2
    cur.execute(f"SELECT count(*) FROM {name}_v")
    assert cur.fetchall() == [[2]]


def test_the_interval_makes_writes_visible():
    with MockServer(refresh_interval=50) as srv, client.connect(srv.url, timeout=10) as conn:
        cur = conn.cursor()
        name = _table(cur)
        cur.execute(f"INSERT INTO {name} (id, name) VALUES (1, 'Arthur')")
        time.sleep(0.1)  # longer than the interval: a refresh has happened since
        cur.execute(f"SELECT count(*) FROM {name}")
        assert cur.fetchall() == [[1]]



def test_the_interval_makes_a_one_statement_bulk_insert_visible():
    """A bulk request large enough to go in as one engine statement still counts as a
    write the search copy lacks, so the interval brings it in."""
    with MockServer(refresh_interval=50) as srv, client.connect(srv.url, timeout=10) as conn:
        cur = conn.cursor()
        name = _table(cur)
        time.sleep(0.1)
        cur.execute(f"SELECT count(*) FROM {name}")  # refreshed: nothing pending now
        assert cur.fetchall() == [[0]]
        cur.executemany(f"INSERT INTO {name} (id, name) VALUES (?, ?)",
                        [[i, f"n{i}"] for i in range(100)])
        time.sleep(0.1)  # longer than the interval
        cur.execute(f"SELECT count(*), sum(id) FROM {name}")
        assert cur.fetchall() == [[100, sum(range(100))]]

def test_default_mode_shows_writes_at_once():
    with MockServer() as srv, client.connect(srv.url, timeout=10) as conn:
        cur = conn.cursor()
        name = _table(cur)
        cur.execute(f"INSERT INTO {name} (id, name) VALUES (1, 'Arthur')")
        cur.execute(f"SELECT count(*) FROM {name} WHERE name = 'Arthur'")
        assert cur.fetchall() == [[1]]


def test_a_refresh_is_due_one_interval_after_the_first_write_it_lacks():
    now = [100.0]
    refresher = Refresher(1000, clock=lambda: now[0])
    with Engine() as engine, engine.session() as session:
        session.execute("CREATE SCHEMA doc")
        session.execute("CREATE TABLE doc.t (id INTEGER, _seq_no BIGINT)")
        rel = Relation("doc", "t", [Column("id", parse_type_name("integer"))])
        refresher.install(session, [rel])

        def searched() -> int:
            refresher.before_search(session, [rel])
            return session.execute('SELECT count(*) FROM crate_search.main."doc.t"').rows[0][0]

        session.execute("INSERT INTO doc.t VALUES (1, 0)")
        refresher.written(rel)
        now[0] += 0.5
        session.execute("INSERT INTO doc.t VALUES (2, 1)")
        refresher.written(rel)
        now[0] += 0.499
        assert searched() == 0
        now[0] += 0.001  # one interval after the first write
        assert searched() == 2
        session.execute("INSERT INTO doc.t VALUES (3, 2)")
        refresher.written(rel)
        now[0] += 0.999
        assert searched() == 2
        refresher.refresh(session, [rel])  # REFRESH TABLE
        assert searched() == 3


def _mock_target() -> Target:
    profile = DriverProfile(module="crate.client", database="cratedb", connect=lambda m, e: None)
    return Target(id="crate-cratedb-mock", driver="crate.client", database="cratedb",
                  server="mock", server_kind="mock", capabilities=Capabilities(),
                  sql=SqlProfile({"int": "INT", "text": "TEXT"}), profile=profile, db=CRATEDB)


def test_dbapi_mock_and_harness_options_turn_it_on(tmp_path):
    assert mock_arguments(["cratedb:refresh-interval=1000", "other:x=1", "verbose"],
                          "cratedb") == ["--refresh-interval", "1000", "--verbose"]
    endpoint, stop = start_mock_subprocess(CRATEDB, arguments=["--refresh-interval",
                                                               str(HOUR_MS)])
    pool = ServerPool(tmp_path, (f"cratedb:refresh-interval={HOUR_MS}",))
    try:
        for url in (endpoint.url, pool.endpoint(_mock_target()).url):
            with client.connect(url, timeout=10) as conn:
                cur = conn.cursor()
                name = _table(cur)
                cur.execute(f"INSERT INTO {name} (id, name) VALUES (1, 'a')")
                cur.execute(f"SELECT count(*) FROM {name}")
                assert cur.fetchall() == [[0]]
    finally:
        stop()
        pool.close()


def test_a_mock_option_the_mock_does_not_know_fails_its_tests(tmp_path):
    pool = ServerPool(tmp_path, ("cratedb:no-such-option=1",))
    try:
        with pytest.raises(RuntimeError, match="the cratedb mock refuses --dbapi-mock-option "
                                               "--no-such-option 1: unrecognized arguments"):
            pool.endpoint(_mock_target())
    finally:
        pool.close()


def test_mock_options_are_read_from_the_command_line(pytester):
    config = pytester.parseconfigure("--dbapi-driver=crate",
                                     "--dbapi-mock-option=cratedb:refresh-interval=1000")
    run = active_run(config)
    assert run.settings.mock_options == ("cratedb:refresh-interval=1000",)
    result = pytester.runpytest("--dbapi-driver=crate", "--dbapi-mock-option=Bad Option")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*use [[]DB:[]]NAME[[]=VALUE[]]*"])


def test_concurrent_writers_searchers_and_refreshes_lose_no_row():
    """The search copies are shared by every connection: writes that land while another
    connection refreshes must still become visible (no write is forgotten)."""
    import threading

    with MockServer(refresh_interval=50) as srv:
        with client.connect(srv.url, timeout=30) as conn:
            name = _table(conn.cursor())
        errors: list[BaseException] = []

        def work(worker: int) -> None:
            try:
                with client.connect(srv.url, timeout=30) as c:
                    cur = c.cursor()
                    for i in range(20):
                        cur.execute(f"INSERT INTO {name} (id, name) VALUES (?, 'x')",
                                    [worker * 100 + i])
                        cur.execute(f"SELECT count(*) FROM {name}")
                        if i % 5 == 0:
                            cur.execute(f"REFRESH TABLE {name}")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors and not any(t.is_alive() for t in threads)
        time.sleep(0.1)  # longer than the interval since the last write
        with client.connect(srv.url, timeout=30) as conn:
            cur = conn.cursor()
            cur.execute(f"SELECT count(*) FROM {name}")
            assert cur.fetchall() == [[160]]


def test_refresh_interval_must_be_positive():
    import argparse

    from dbapi_conformance.mockservers.base import UsageError

    parser = argparse.ArgumentParser()
    MockServer.add_arguments(parser)
    with pytest.raises(UsageError, match="--refresh-interval needs a positive number"):
        MockServer.from_args(parser.parse_args(["--refresh-interval", "0"]))
    assert MockServer.from_args(parser.parse_args(["--refresh-interval", "250"])
                                ).refresh_interval == 250
