"""The VoltDB reference driver against the VoltDB mock: DDL, every column type with exact
values and NULLs, multi-statement execute with nextset, callproc over user, default and
system procedures (several tables through nextset), pipelined executemany (counted by a
proxy between driver and mock), the error classes, logins, and TLS (trustme)."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import itertools
import socket
import threading

import pytest
import trustme

from dbapi_conformance.drivers import voltdb
from dbapi_conformance.drivers.wire.base import LengthPrefixedFrames
from dbapi_conformance.drivers.wire.voltdb import VoltType
from dbapi_conformance.harness.databases import voltdb as entry
from dbapi_conformance.mockservers.voltdb import MockServer

T = VoltType
_names = itertools.count()


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def conn(server):
    c = voltdb.connect(*server.address, timeout=20)
    yield c
    c.close()


def name() -> str:
    return f"VD{next(_names)}"


def test_ddl_insert_and_select_every_type_exactly(conn):
    t = name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, ti TINYINT, si SMALLINT, i INTEGER, "
                "bi BIGINT, f FLOAT, d DECIMAL, s VARCHAR(64), b VARBINARY(1048576), "
                "ts TIMESTAMP, PRIMARY KEY (id))")
    assert (cur.description, cur.rowcount) == (None, -1)
    values = (1, -127, -32767, -(2 ** 31) + 1, 2 ** 63 - 1, -2.5e300,
              decimal.Decimal("-12345678901234567890123456.123456789012"), "żółw 🐢 'q'",
              bytes(range(256)) * 4096, dt.datetime(2024, 2, 29, 13, 45, 30, 123456))
    cur.execute(f"INSERT INTO {t} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    assert (cur.rowcount, cur.description) == (1, None)
    cur.execute(f"INSERT INTO {t} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (2,) + (None,) * 9)
    cur.execute(f"SELECT * FROM {t} ORDER BY id")
    assert [d[0] for d in cur.description] == ["ID", "TI", "SI", "I", "BI", "F", "D", "S",
                                                 "B", "TS"]
    assert [d[1] for d in cur.description] == [T.INTEGER, T.TINYINT, T.SMALLINT, T.INTEGER,
                                                 T.BIGINT, T.FLOAT, T.DECIMAL, T.STRING,
                                                 T.VARBINARY, T.TIMESTAMP]
    assert cur.description[6][4:6] == (38, 12)
    first, second = cur.fetchall()
    assert first == values and type(first[6]) is decimal.Decimal
    assert second == (2,) + (None,) * 9
    assert cur.rowcount == 2
    # bound values compared by the server
    cur.execute(f"SELECT id FROM {t} WHERE ts = ? AND d = ? AND s = ?", (values[9], values[6],
                                                                      values[7]))
    assert cur.fetchall() == [(1,)]
    # named parameters (the module's paramstyle), rewritten to ? outside literals
    cur.execute(f"SELECT id, ':s' FROM {t} WHERE s = :s AND bi = :big OR id = :s2",
                {"s": values[7], "big": values[4], "s2": 99})
    assert cur.fetchall() == [(1, ":s")]


def test_timestamp_results_of_no_rows_and_of_many(conn):
    t = name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, ts TIMESTAMP, PRIMARY KEY (id))")
    cur.execute(f"SELECT ts, id FROM {t}")
    assert (cur.fetchall(), [d[1] for d in cur.description]) == ([], [T.TIMESTAMP, T.INTEGER])
    base = dt.datetime(2024, 2, 29, 13, 45, 30, 123456)
    rows = [(i, None if i % 3 == 0 else base + dt.timedelta(seconds=i)) for i in range(40)]
    cur.executemany(f"INSERT INTO {t} VALUES (?, ?)", rows)
    cur.execute(f"SELECT id, ts FROM {t} ORDER BY id")
    got = cur.fetchall()
    assert got == rows and all(v is None or v.tzinfo is None for _, v in got)


def test_a_ddl_batch_is_one_catalog_update_without_a_result_set(conn):
    a, b = name(), name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {a} (id INTEGER NOT NULL, PRIMARY KEY (id)); "
                f"CREATE TABLE {b} (id INTEGER NOT NULL, PRIMARY KEY (id)); "
                f"PARTITION TABLE {b} ON COLUMN id")
    assert len(cur.statuses[0].tables) == 1  # one STATUS table for the batch
    assert (cur.description, cur.rowcount, cur.nextset()) == (None, -1, None)
    with pytest.raises(voltdb.ProgrammingError):
        cur.fetchall()
    cur.execute(f"INSERT INTO {b} VALUES (1)")
    assert cur.rowcount == 1


def test_dml_counts_and_multi_statement_results(conn):
    t = name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, v VARCHAR(10), PRIMARY KEY (id))")
    cur.execute(f"INSERT INTO {t} VALUES (1, 'a'); INSERT INTO {t} VALUES (2, 'b'); "
                f"SELECT v FROM {t} ORDER BY id; UPDATE {t} SET v = 'z'; SELECT COUNT(*) FROM {t}")
    assert (cur.description, cur.rowcount) == (None, 1)
    assert cur.nextset() and cur.rowcount == 1
    assert cur.nextset() and cur.fetchall() == [("a",), ("b",)]
    assert cur.description[0][:2] == ("V", T.STRING)
    assert cur.nextset() and (cur.rowcount, cur.description) == (2, None)
    assert cur.nextset() and cur.fetchone() == (2,)
    assert cur.nextset() is None
    # the batch is one transaction: a failing statement undoes the ones before it
    with pytest.raises(voltdb.IntegrityError):
        cur.execute(f"INSERT INTO {t} VALUES (3, 'c'); INSERT INTO {t} VALUES (1, 'dup')")
    cur.execute(f"SELECT COUNT(*) FROM {t}")
    assert cur.fetchone() == (2,)


@pytest.mark.parametrize("control", ["COMMIT", "ROLLBACK", "BEGIN", "PRAGMA version"])
def test_transaction_control_is_a_planner_error_and_the_batch_stays_whole(conn, control):
    t = name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, PRIMARY KEY (id))")
    with pytest.raises(voltdb.ProgrammingError, match="unexpected token") as info:
        cur.execute(f"INSERT INTO {t} VALUES (1); {control}; INSERT INTO {t} VALUES (2)")
    assert info.value.code == -2  # GRACEFUL_FAILURE: nothing ran
    cur.execute(f"SELECT COUNT(*) FROM {t}")
    assert cur.fetchone() == (0,)


def test_callproc_user_default_and_system_procedures(conn):
    t, p = name(), name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, v VARCHAR(10), PRIMARY KEY (id))")
    cur.execute(f"CREATE PROCEDURE {p} AS SELECT id, v FROM {t} WHERE id >= ? ORDER BY id")
    args = [1, "one"]
    assert cur.callproc(f"{t}.insert", args) == [1, "one"] and args == [1, "one"]
    assert cur.fetchall() == [(1,)]  # the modified_tuples table of the default procedure
    cur.callproc(f"{t.lower()}.INSERT", (2, "two"))
    assert cur.callproc(p, (2,)) == (2,)
    assert cur.fetchall() == [(2, "two")] and cur.nextset() is None
    # a system procedure answering with two tables: one result set each
    cur.callproc("@Statistics", ["TOPO", 0])
    topo = cur.fetchall()
    assert [d[0] for d in cur.description] == ["Partition", "Sites", "Leader"] and topo
    assert cur.nextset() is True
    assert [d[0] for d in cur.description] == ["HASHTYPE", "HASHCONFIG"]
    assert cur.fetchall()[0][0] == "ELASTIC"
    assert cur.nextset() is None
    with pytest.raises(voltdb.ProgrammingError, match="was not found"):
        cur.callproc("NoSuchProcedure", [])
    cur.execute(f"DROP PROCEDURE {p}")
    with pytest.raises(voltdb.ProgrammingError):
        cur.callproc(p, (1,))


def test_error_classes(conn):
    t = name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, v VARCHAR(3), PRIMARY KEY (id))")
    cur.execute(f"INSERT INTO {t} VALUES (?, ?)", (1, "a"))
    cases = [
        (f"INSERT INTO {t} VALUES (1, 'b')", (), voltdb.IntegrityError),
        ("SELEC 1", (), voltdb.ProgrammingError),
        ("SELECT * FROM no_such_table", (), voltdb.ProgrammingError),
        ("SELECT 1 / 0", (), voltdb.DataError),
        ("SELECT CAST(2147483647 AS INTEGER) + CAST(1 AS INTEGER)", (), voltdb.DataError),
        (f"INSERT INTO {t} VALUES (?, ?)", (2, "toolong"), voltdb.DataError),
        (f"SELECT * FROM {t} WHERE id = ?; SELECT 1", (1,), voltdb.ProgrammingError),
    ]
    for sql, params, wanted in cases:
        with pytest.raises(wanted) as info:
            cur.execute(sql, params)
        assert info.value.code is not None and info.value.message, sql
    with pytest.raises(voltdb.NotSupportedError):
        conn.rollback()
    cur.execute(f"SELECT COUNT(*) FROM {t}")
    assert cur.fetchone() == (1,)


class CountingProxy:
    """A TCP proxy that counts invocations forwarded to the server and not yet answered;
    ``max_in_flight`` is the most there were at once."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.threads: list[threading.Thread] = []
        self.threads.append(threading.Thread(target=self._accept, daemon=True))
        self.threads[0].start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            client, _ = self.listener.accept()
            upstream = socket.create_connection(self.target, timeout=20)
            for src, dst, delta in ((client, upstream, 1), (upstream, client, -1)):
                th = threading.Thread(target=self._pump, args=(src, dst, delta), daemon=True)
                th.start()
                self.threads.append(th)

    def _pump(self, src: socket.socket, dst: socket.socket, delta: int) -> None:
        frames = LengthPrefixedFrames(64 * 1024 * 1024)
        first = True  # the login and its answer are not invocations
        src.settimeout(20)
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                frames.receive_data(data)
                while frames.next_frame() is not None:
                    if first:
                        first = False
                        continue
                    with self.lock:
                        self.in_flight += delta
                        self.max_in_flight = max(self.max_in_flight, self.in_flight)
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()
        for th in self.threads[1:]:
            th.join(10)


def test_executemany_pipelines_its_invocations(server):
    proxy = CountingProxy(server.address)
    try:
        c = voltdb.connect(*proxy.address, timeout=20)
        try:
            t = name()
            cur = c.cursor()
            cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, v VARCHAR(10), "
                        "PRIMARY KEY (id))")
            cur.executemany(f"INSERT INTO {t} VALUES (?, ?)", [(i, str(i)) for i in range(300)])
            assert cur.rowcount == 300
            cur.execute(f"SELECT COUNT(*), SUM(id) FROM {t}")
            assert cur.fetchone() == (300, sum(range(300)))
        finally:
            c.close()
    finally:
        proxy.close()
    assert proxy.max_in_flight >= 8, proxy.max_in_flight


def test_executemany_applies_the_sets_that_succeed(conn):
    t = name()
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {t} (id INTEGER NOT NULL, PRIMARY KEY (id))")
    with pytest.raises(voltdb.IntegrityError, match="parameter set 2 of 4"):
        cur.executemany(f"INSERT INTO {t} VALUES (?)", [(1,), (2,), (1,), (3,)])
    assert cur.rowcount == 3
    cur.execute(f"SELECT id FROM {t} ORDER BY id")
    assert cur.fetchall() == [(1,), (2,), (3,)]


def test_server_version_and_system_information(conn):
    info = conn.system_information()
    assert info["VERSION"] == entry.server_version(conn) == MockServer.version
    assert info["CLIENTPORT"] == str(conn.host.rsplit(":", 1)[1])


def test_logins_with_users():
    with MockServer(users={"alice": "secret"}) as srv:
        for scheme in ("sha256", "sha1"):
            c = voltdb.connect(*srv.address, user="alice", password="secret",
                               hash_scheme=scheme, timeout=10)
            c.close()
        with pytest.raises(voltdb.OperationalError, match="Authentication failed"):
            voltdb.connect(*srv.address, user="alice", password="wrong", timeout=10)
        with pytest.raises(voltdb.OperationalError):
            voltdb.connect(*srv.address, timeout=10)


def test_tls(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_pem, key_pem, ca_pem = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    with MockServer(tls_cert=str(cert_pem), tls_key=str(key_pem)) as srv:
        c = voltdb.connect(*srv.address, use_ssl=True, ca_cert=str(ca_pem), timeout=10)
        try:
            cur = c.cursor()
            cur.execute("SELECT ? AS x", ("over tls",))
            assert cur.fetchall() == [("over tls",)]
        finally:
            c.close()
        with pytest.raises(voltdb.OperationalError, match="TLS"):
            voltdb.connect(*srv.address, use_ssl=True, ca_cert=str(other), timeout=10)
        with pytest.raises(voltdb.OperationalError):
            voltdb.connect(*srv.address, timeout=3)  # plain text to a TLS port
