"""Primary-key lookups answered from table snapshots on the CrateDB mock (pklookup.py).

A snapshot answers ``SELECT cols FROM t WHERE pk = ?`` only while no statement may have
written the table since it was read; these tests take snapshots at once (``pay_off = 0``)
and check, through the official client, that every answer is the one DuckDB gives (a twin
server without snapshots answers the same requests), after every kind of write, with
composite keys, key values that need casting, in strict refresh mode and under concurrent
writers. CrateDB's own rule (crate/crate ``OptimizeCollectWhereClauseAccess``,
``PKLookupOperation``): such lookups are real-time, refreshed or not.
"""

from __future__ import annotations

import itertools
import json
import random
import threading

import orjson
import pytest
import urllib3
from crate import client

from dbapi_conformance.mockservers.cratedb import MockServer, pklookup, systables
from dbapi_conformance.mockservers.cratedb.catalog import Catalog
from dbapi_conformance.mockservers.cratedb.handler import (
    ENGINE_SETTINGS,
    CrateSession,
    ServerContext,
)
from dbapi_conformance.mockservers.engine import Engine

_names = (f"pk{i}" for i in itertools.count())
TIMEOUT = urllib3.Timeout(total=20)


@pytest.fixture(scope="module")
def fast():
    with MockServer() as srv:
        srv.pk_index.pay_off = 0.0  # a snapshot after the first lookup DuckDB answers
        yield srv


@pytest.fixture(scope="module")
def plain():
    with MockServer(pk_lookups=False) as srv:
        assert srv.pk_index is None
        yield srv


@pytest.fixture(scope="module")
def http():
    pool = urllib3.PoolManager(timeout=TIMEOUT, retries=False)
    yield pool
    pool.clear()


def _post(http, server, stmt, args=None, bulk_args=None) -> dict:
    body = {"stmt": stmt}
    if args is not None:
        body["args"] = args
    if bulk_args is not None:
        body["bulk_args"] = bulk_args
    resp = http.request("POST", server.url + "/_sql?types=true", body=orjson.dumps(body),
                        headers={"Content-Type": "application/json"})
    answer = json.loads(resp.data)
    answer.pop("duration", None)
    answer["status"] = resp.status
    return answer


class Twins:
    """The same requests to a server with snapshots and one without; answers compared."""

    def __init__(self, http, fast, plain):
        self.http, self.fast, self.plain = http, fast, plain

    def both(self, stmt, args=None, bulk_args=None) -> dict:
        a = _post(self.http, self.fast, stmt, args, bulk_args)
        b = _post(self.http, self.plain, stmt, args, bulk_args)
        if "error" in a:  # error texts may name the server's own objects alike
            assert a["error"]["code"] == b["error"]["code"], (stmt, a, b)
        else:
            assert a == b, (stmt, args, a, b)
        return a

    def lookup(self, stmt, args) -> list:
        """``stmt`` twice on both servers (DuckDB, then the snapshot taken after it):
        the rows, checked to be the same everywhere and to have come from a snapshot."""
        before = self.fast.pk_index.hits
        first = self.both(stmt, args)
        second = self.both(stmt, args)
        assert first == second
        assert self.fast.pk_index.hits > before, f"no snapshot answered {stmt!r} {args}"
        return second["rows"]


@pytest.fixture
def twins(http, fast, plain):
    return Twins(http, fast, plain)


def test_every_column_type_comes_back_as_duckdb_gives_it(twins):
    name = next(_names)
    twins.both(f"CREATE TABLE {name} (id INT PRIMARY KEY, t TEXT, d DOUBLE, r REAL, "
               "ts TIMESTAMP WITH TIME ZONE, tsn TIMESTAMP WITHOUT TIME ZONE, o OBJECT, "
               "a ARRAY(INTEGER), ip IP, g GEO_POINT, b BOOLEAN, l BIGINT, c CHARACTER(3), "
               "n NUMERIC(10, 2), bits BIT(4), dt DATE)")
    twins.both(f"INSERT INTO {name} VALUES (1, 'Arthur', 0.1, 1.8, 1767225600123, "
               "'2026-01-01T10:00:00', {a = 1, b = [1, 2]}, [1, NULL, 3], '10.0.0.1', "
               "[13.4, 52.5], true, 9007199254740993, 'ab', 12.34, B'0101', "
               "'2026-01-02'), (2, NULL, 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, "
               "NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
    rows = twins.lookup(f"SELECT t, d, r, ts, tsn, o, a, ip, g, b, l, c, n, bits, dt "
                        f"FROM {name} WHERE id = ?", [1])
    assert rows == [["Arthur", 0.1, 1.8, 1767225600123, 1767261600000, {"a": 1, "b": [1, 2]},
                     [1, None, 3], "10.0.0.1", [13.4, 52.5], True, 9007199254740993, "ab ",
                     12.34, "B'0101'", 1767312000000]]
    rows = twins.lookup(f"SELECT d, t, id FROM {name} WHERE id = ?", [2])
    assert rows == [["NaN", None, 2]]
    assert twins.lookup(f"SELECT x.t AS who FROM {name} x WHERE ? = x.id", [1]) == [["Arthur"]]
    assert twins.lookup(f"SELECT t FROM {name} WHERE id = ?", [3]) == []


def test_each_kind_of_write_is_seen_by_the_next_lookup(twins, tmp_path):
    name = next(_names)
    q = f"SELECT v, w FROM {name} WHERE id = ?"
    twins.both(f"CREATE TABLE {name} (id INT PRIMARY KEY, v TEXT, w INT)")
    twins.both(f"INSERT INTO {name} (id, v, w) VALUES (1, 'a', 1), (2, 'b', 2)")
    assert twins.lookup(q, [1]) == [["a", 1]]
    twins.both(f"INSERT INTO {name} (id, v, w) VALUES (?, ?, ?)", [3, "c", 3])
    assert twins.lookup(q, [3]) == [["c", 3]]
    twins.both(f"UPDATE {name} SET v = ? WHERE id = ?", ["A", 1])
    assert twins.lookup(q, [1]) == [["A", 1]]
    twins.both(f"UPDATE {name} SET w = w + 10 WHERE v <> 'zzz'")  # a search, every row
    assert twins.lookup(q, [2]) == [["b", 12]]
    twins.both(f"DELETE FROM {name} WHERE id = ?", [2])
    assert twins.lookup(q, [2]) == []
    twins.both(f"INSERT INTO {name} (id, v, w) VALUES (1, 'dup', 0) "
               "ON CONFLICT (id) DO UPDATE SET v = excluded.v")
    assert twins.lookup(q, [1]) == [["dup", 11]]
    twins.both(f"INSERT INTO {name} (id, v, w) VALUES (?, ?, ?)",
               bulk_args=[[i, f"bulk{i}", i] for i in range(10, 40)])
    assert twins.lookup(q, [25]) == [["bulk25", 25]]
    twins.both(f"INSERT INTO {name} (id, v, w) (SELECT * FROM unnest(?, ?, ?))",
               [[50, 51], ["u50", "u51"], [50, 51]])
    assert twins.lookup(q, [51]) == [["u51", 51]]
    path = tmp_path / "rows.json"
    path.write_text('{"id": 60, "v": "copied", "w": 60}\n', encoding="utf-8")
    twins.both(f"COPY {name} FROM ?", [path.as_uri()])
    assert twins.lookup(q, [60]) == [["copied", 60]]
    twins.both(f"ALTER TABLE {name} ADD COLUMN extra TEXT")
    twins.both(f"UPDATE {name} SET extra = 'x' WHERE id = 60")
    assert twins.lookup(f"SELECT extra, v FROM {name} WHERE id = ?", [60]) == [["x", "copied"]]
    assert twins.lookup(q, [60]) == [["copied", 60]]
    twins.both(f"DELETE FROM {name}")
    assert twins.lookup(q, [60]) == []
    twins.both(f"DROP TABLE {name}")
    twins.both(f"CREATE TABLE {name} (id INT PRIMARY KEY, v INT, w TEXT)")
    twins.both(f"INSERT INTO {name} (id, v, w) VALUES (60, 6, 'new')")
    assert twins.lookup(q, [60]) == [[6, "new"]]
    # writes to another table, DDL included, leave this one's snapshot alone
    twins.lookup(q, [60])
    builds = twins.fast.pk_index.builds
    other = next(_names)
    twins.both(f"CREATE TABLE {other} (id INT PRIMARY KEY)")
    twins.both(f"INSERT INTO {other} (id) VALUES (?)", bulk_args=[[1], [2]])
    twins.both(f"ALTER TABLE {other} ADD COLUMN v TEXT")
    twins.both(f"DROP TABLE {other}")
    assert twins.lookup(q, [60]) == [[6, "new"]]
    assert twins.fast.pk_index.builds == builds


def test_composite_keys_and_key_values_duckdb_must_cast(twins):
    name = next(_names)
    twins.both(f"CREATE TABLE {name} (a INT, b TEXT, v DOUBLE, PRIMARY KEY (a, b))")
    twins.both(f"INSERT INTO {name} (a, b, v) VALUES (1, 'x', 1.5), (1, 'y', 2.5), "
               "(2, 'x', 3.5)")
    q = f"SELECT v FROM {name} WHERE b = ? AND a = ?"
    assert twins.lookup(q, ["y", 1]) == [[2.5]]
    assert twins.lookup(q, ["x", 2]) == [[3.5]]
    assert twins.lookup(q, ["z", 2]) == []
    for args in (["x", "2"], ["x", 2.0], ["x", None], [None, 1], ["x", 2.5], [1, 1],
                 ["x", 2 ** 40], ["x", -2 ** 63], ["x", True], ["x", [2]], ["x", {"a": 2}]):
        twins.both(q, args)  # DuckDB's casts decide: the snapshot must not answer
    assert twins.both(q, ["x", "2"])["rows"] == [[3.5]]
    # not the whole key, or more than the key: DuckDB answers
    before = twins.fast.pk_index.hits
    twins.both(f"SELECT v FROM {name} WHERE a = ?", [1])
    twins.both(f"SELECT v FROM {name} WHERE a = ? AND b = ? AND v > 0", [1, "x"])
    twins.both(f"SELECT v FROM {name} WHERE a = ? OR b = ?", [1, "x"])
    twins.both(f"SELECT * FROM {name} WHERE a = ? AND b = ?", [1, "x"])
    twins.both(f"SELECT v + 1 FROM {name} WHERE a = ? AND b = ?", [1, "x"])
    twins.both(f"SELECT v FROM {name} WHERE a = ? AND b = ? LIMIT 0", [1, "x"])
    assert twins.fast.pk_index.hits == before


def test_shapes_the_snapshot_answers_and_those_it_leaves_to_duckdb():
    engine = Engine(None, settings=ENGINE_SETTINGS)
    try:
        ctx = ServerContext(engine, Catalog(), "6.4.1")
        systables.install(engine, ctx.catalog, systables.NodeInfo("n", "6.4.1", 4200,
                                                                  "127.0.0.1"))
        sess = CrateSession(ctx, "crate", "doc")
        sess._single(ctx.statements.split(
            "CREATE TABLE t (id INT PRIMARY KEY, k TEXT, v TEXT)"), [])
        sess._single(ctx.statements.split("CREATE TABLE nopk (id INT, v TEXT)"), [])

        def lookup(sql, nargs=1):
            prepared, _ = sess._prepare(ctx.statements.split(sql), [1] * nargs)
            return prepared.lookup

        got = lookup("SELECT v, k AS kk FROM t WHERE id = ?")
        assert (got.table, got.pk, got.keys, got.outputs) == (("doc", "t"), ("id",), (0,),
                                                              ("v", "k"))
        assert lookup("SELECT v FROM doc.t WHERE (? = id)").keys == (0,)
        assert lookup("SELECT v FROM t WHERE id = $2", 2).keys == (0,)
        for sql in ("SELECT * FROM t WHERE id = ?", "SELECT v FROM t WHERE id = 1",
                    "SELECT v FROM t WHERE id = ? AND v = ?", "SELECT v FROM t WHERE k = ?",
                    "SELECT v FROM t WHERE id = ? ORDER BY v", "SELECT v FROM t WHERE id = ? "
                    "LIMIT 1", "SELECT DISTINCT v FROM t WHERE id = ?",
                    "SELECT count(*) FROM t WHERE id = ?", "SELECT _id FROM t WHERE id = ?",
                    "SELECT v FROM t WHERE id IN (?)", "SELECT v FROM nopk WHERE id = ?",
                    "SELECT a.v FROM t a, t b WHERE a.id = ?",
                    "SELECT v FROM t WHERE id = ? UNION SELECT v FROM t WHERE id = ?",
                    "SELECT name FROM sys.cluster WHERE name = ?",
                    "WITH c AS (SELECT * FROM t) SELECT v FROM c WHERE id = ?"):
            nargs = sql.count("?")
            assert lookup(sql, nargs) is None, sql
        # a table gone while its snapshot is taken: no snapshot, and no error for the
        # lookup that already has its answer from DuckDB
        gone = lookup("SELECT v FROM t WHERE id = ?")
        sess._single(ctx.statements.split("DROP TABLE t"), [])
        ctx.pk_index.pay_off = 0.0
        ctx.pk_index.ran(sess.engine_session, gone, [], 1.0, None)
        assert ctx.pk_index.builds == 0
    finally:
        engine.close()


def test_lookups_are_real_time_in_strict_refresh_mode():
    with MockServer(refresh_interval=3_600_000) as srv:
        srv.pk_index.pay_off = 0.0
        conn = client.connect(srv.url, timeout=10)
        try:
            cur = conn.cursor()
            cur.execute("CREATE TABLE rt (id INT PRIMARY KEY, v TEXT)")
            cur.execute("INSERT INTO rt (id, v) VALUES (1, 'a')")
            for _ in range(2):
                cur.execute("SELECT v FROM rt WHERE id = ?", [1])
                assert cur.fetchall() == [["a"]]
            hits = srv.pk_index.hits
            cur.execute("UPDATE rt SET v = 'b' WHERE id = 1")
            for _ in range(2):
                cur.execute("SELECT v FROM rt WHERE id = ?", [1])
                assert cur.fetchall() == [["b"]]
            cur.execute("SELECT v FROM rt WHERE v = 'b'")  # a search: not refreshed yet
            assert cur.fetchall() == []
            assert srv.pk_index.hits > hits
        finally:
            conn.close()


def test_jobs_log_lists_lookups_answered_from_a_snapshot(fast):
    conn = client.connect(fast.url, timeout=10)
    try:
        cur = conn.cursor()
        name = next(_names)
        cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, v TEXT)")
        cur.execute(f"INSERT INTO {name} (id, v) VALUES (7, 'seven')")
        stmt = f"SELECT v FROM {name} WHERE id = ?"
        for _ in range(3):
            cur.execute(stmt, [7])
            assert cur.fetchall() == [["seven"]]
        cur.execute("SELECT count(*) FROM sys.jobs_log WHERE stmt = ? AND error IS NULL "
                    "AND classification['type'] = 'SELECT'", [stmt])
        assert cur.fetchall() == [[3]]
    finally:
        conn.close()


def test_tables_past_the_row_or_size_limit_are_not_snapshotted(fast):
    conn = client.connect(fast.url, timeout=10)
    index = fast.pk_index
    try:
        cur = conn.cursor()
        name = next(_names)
        cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, v INT)")
        cur.execute(f"INSERT INTO {name} (id, v) SELECT g, g * 2 FROM "
                    "generate_series(1, 50) AS t(g)")
        index.max_rows = 20
        builds = index.builds
        for i in (1, 25, 50, 1):
            cur.execute(f"SELECT v FROM {name} WHERE id = ?", [i])
            assert cur.fetchall() == [[i * 2]]
        assert index.builds == builds
        index.max_rows = 500_000
        index.max_bytes = 50 * 1000  # 50 rows of 1,000-character texts are more
        cur.execute(f"ALTER TABLE {name} ADD COLUMN t TEXT")
        cur.execute(f"UPDATE {name} SET t = repeat('x', 1000)")
        for i in (1, 25, 50, 1):
            cur.execute(f"SELECT v, t FROM {name} WHERE id = ?", [i])
            assert cur.fetchall() == [[i * 2, "x" * 1000]]
        assert index.builds == builds
        index.max_bytes = 10 * 1024 * 1024
        cur.execute(f"UPDATE {name} SET v = v + 0 WHERE id = 1")  # tried again once written
        for i in (1, 25, 50, 1):
            cur.execute(f"SELECT v, t FROM {name} WHERE id = ?", [i])
            assert cur.fetchall() == [[i * 2, "x" * 1000]]
        assert index.builds == builds + 1
    finally:
        index.max_rows, index.max_bytes = pklookup.MAX_ROWS, pklookup.MAX_BYTES
        conn.close()


def test_concurrent_writers_and_readers_never_see_a_stale_row(fast):
    """Each writer owns some rows and bumps their counters, reading each one back on
    another connection at once; readers check that no row's counter ever goes back."""
    name = next(_names)
    setup = client.connect(fast.url, timeout=20)
    setup.cursor().execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, n INT, tag TEXT)")
    setup.cursor().execute(f"INSERT INTO {name} (id, n, tag) SELECT g, 0, 'r' || g FROM "
                           "generate_series(0, 39) AS t(g)")
    hits = fast.pk_index.hits
    errors: list[str] = []
    stop = threading.Event()
    lookup = f"SELECT n, tag FROM {name} WHERE id = ?"

    def writer(w: int) -> None:
        write = client.connect(fast.url, timeout=20).cursor()
        check = client.connect(fast.url, timeout=20).cursor()
        mine = [i for i in range(40) if i % 4 == w]
        try:
            for n in range(1, 16):
                for i in mine:
                    if n % 5 == 0:  # another write path: delete and insert again
                        write.execute(f"DELETE FROM {name} WHERE id = ?", [i])
                        check.execute(lookup, [i])
                        if check.fetchall() != []:
                            errors.append(f"row {i} still there after its DELETE")
                        write.execute(f"INSERT INTO {name} (id, n, tag) VALUES (?, ?, ?)",
                                      [i, n, f"r{i}"])
                    else:
                        write.execute(f"UPDATE {name} SET n = ? WHERE id = ?", [n, i])
                    check.execute(lookup, [i])
                    got = check.fetchall()
                    if got != [[n, f"r{i}"]]:
                        errors.append(f"row {i}: {got} after writing {n}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"writer {w}: {exc!r}")

    def reader(r: int) -> None:
        cur = client.connect(fast.url, timeout=20).cursor()
        seen = [0] * 40
        rng = random.Random(r)
        try:
            while not stop.is_set():
                i = rng.randrange(40)
                cur.execute(lookup, [i])
                got = cur.fetchall()
                if got == []:  # between a writer's DELETE and INSERT
                    continue
                if got[0][0] < seen[i]:
                    errors.append(f"row {i} went back from {seen[i]} to {got[0][0]}")
                seen[i] = got[0][0]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"reader {r}: {exc!r}")

    writers = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    readers = [threading.Thread(target=reader, args=(r,)) for r in range(3)]
    for t in writers + readers:
        t.start()
    for t in writers:
        t.join(120)
    stop.set()
    for t in readers:
        t.join(30)
    assert not any(t.is_alive() for t in writers + readers)
    assert errors == []
    cur = setup.cursor()
    for i in range(40):
        cur.execute(lookup, [i])
        assert cur.fetchall() == [[15, f"r{i}"]]
    assert fast.pk_index.hits > hits
    setup.close()


def test_pipelined_requests_are_answered_in_order_from_snapshots_and_duckdb(fast):
    """Requests sent back to back on one connection, some answered on the event loop from
    a snapshot and some by DuckDB on a worker, all in one write or one request per
    write: every answer comes, in order."""
    import socket
    from urllib.parse import urlsplit

    conn = client.connect(fast.url, timeout=10)
    name = next(_names)
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, v TEXT)")
    cur.execute(f"INSERT INTO {name} (id, v) SELECT g, 'v' || g FROM "
                "generate_series(0, 9) AS t(g)")
    for _ in range(2):  # the second is answered from a snapshot
        cur.execute(f"SELECT v FROM {name} WHERE id = ?", [0])
    conn.close()
    requests, expected = [], []
    for i in range(30):
        if i % 3 == 2:
            body = orjson.dumps({"stmt": f"SELECT count(*) FROM {name} WHERE id <= ?",
                                 "args": [i % 10]})
            expected.append([[i % 10 + 1]])
        else:
            body = orjson.dumps({"stmt": f"SELECT v FROM {name} WHERE id = ?",
                                 "args": [i % 10]})
            expected.append([[f"v{i % 10}"]])
        requests.append(b"POST /_sql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(body) + body)
    url = urlsplit(fast.url)
    hits = fast.pk_index.hits
    for together in (True, False):
        s = socket.create_connection((url.hostname, url.port), timeout=10)
        try:
            if together:
                s.sendall(b"".join(requests))
            else:
                for r in requests:
                    s.sendall(r)
            data, answers = b"", []
            while len(answers) < len(requests):
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep:
                    length = int([h for h in head.split(b"\r\n") if h.lower().startswith(
                        b"content-length:")][0].split(b":")[1])
                    if len(rest) >= length:
                        assert head.startswith(b"HTTP/1.1 200 ")
                        answers.append(json.loads(rest[:length])["rows"])
                        data = rest[length:]
                        continue
                chunk = s.recv(65536)
                assert chunk, f"connection closed after {len(answers)} answers"
                data += chunk
        finally:
            s.close()
        assert answers == expected
    assert fast.pk_index.hits >= hits + 40
