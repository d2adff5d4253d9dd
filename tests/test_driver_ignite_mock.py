"""The Ignite 3 reference driver against the Ignite mock server (in-process: the driver is
pure Python and releases the GIL while it waits): DDL, writes, paging past page_size,
executemany as one batch, transactions between two connections, scripts, error classes,
every column type with NULLs, authentication and TLS."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

import pytest
import trustme

from dbapi_conformance.drivers import ignite
from dbapi_conformance.drivers.ignite import transport
from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.mockservers.ignite.server import MockServer

TIMEOUT = 10.0


def _address(server: MockServer) -> str:
    return server.url.split("://", 1)[1]


@pytest.fixture(scope="module")
def server():
    mock = MockServer(host="127.0.0.1", port=0)
    mock.start()
    yield mock
    mock.stop()


@pytest.fixture
def connect(server):
    opened = []

    def make(**kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        conn = ignite.connect(_address(server), **kwargs)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.close()


@pytest.fixture
def sent(monkeypatch):
    """The requests every channel sends, in order (their codec events)."""
    seen: list = []
    original = transport.Channel.request

    def request(self, build):
        def recording(rid, ts):
            event = build(rid, ts)
            seen.append(event)
            return event

        return original(self, recording)

    monkeypatch.setattr(transport.Channel, "request", request)
    return seen


@pytest.fixture
def table(connect):
    made = []

    def create(columns: str = "id INT PRIMARY KEY, name VARCHAR") -> str:
        name = f"t_{uuid.uuid4().hex[:8]}"
        conn = connect(autocommit=True)
        conn.cursor().execute(f"CREATE TABLE {name} ({columns})")
        made.append(name)
        return name

    yield create
    cursor = connect(autocommit=True).cursor()
    for name in made:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")


def _rows(conn, sql, params=None):
    cursor = conn.cursor()
    cursor.execute(sql, params)
    return cursor.fetchall()


def test_ddl_insert_select(connect, table):
    t = table()
    conn = connect()
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {t} (id, name) VALUES (?, ?)", (1, "one"))
    assert cursor.rowcount == 1 and cursor.description is None
    cursor.execute(f"INSERT INTO {t} (id, name) VALUES (:id, :name)", {"id": 2, "name": None})
    conn.commit()
    cursor.execute(f"SELECT id, name FROM {t} ORDER BY id")
    assert cursor.fetchall() == [(1, "one"), (2, None)]
    assert cursor.rowcount == 2
    assert [d[0] for d in cursor.description] == ["ID", "NAME"]
    assert cursor.description[0][1] == ignite.NUMBER
    assert cursor.description[1][1] == ignite.STRING
    cursor.execute(f"DROP TABLE {t}")
    assert cursor.description is None and cursor.rowcount == -1
    with pytest.raises(ignite.ProgrammingError):
        cursor.execute(f"SELECT id FROM {t}")


def test_paging_past_page_size(connect, table, sent):
    t = table()
    conn = connect(page_size=7)
    cursor = conn.cursor()
    cursor.executemany(f"INSERT INTO {t} (id, name) VALUES (?, ?)",
                       [(i, f"n{i}") for i in range(50)])
    conn.commit()
    del sent[:]
    cursor.execute(f"SELECT id, name FROM {t} ORDER BY id")
    assert cursor.rowcount == -1  # not known before the last page
    assert cursor.fetchone() == (0, "n0")
    assert cursor.fetchmany(10) == [(i, f"n{i}") for i in range(1, 11)]
    assert cursor.rownumber == 11
    rest = cursor.fetchall()
    assert rest == [(i, f"n{i}") for i in range(11, 50)]
    assert cursor.rowcount == 50
    assert cursor.fetchone() is None
    pages = [e for e in sent if isinstance(e, w.SqlCursorNextPage)]
    assert len(pages) == 7  # 50 rows: 7 in the first answer, then 6 full pages and 1 row
    assert page_size_sent(sent) == 7


def page_size_sent(sent):
    return next(e.properties.page_size for e in sent if isinstance(e, w.SqlExec))


def test_closing_early_closes_the_server_cursor(connect, table, sent):
    t = table()
    conn = connect(page_size=2, autocommit=True)
    cursor = conn.cursor()
    cursor.executemany(f"INSERT INTO {t} (id) VALUES (?)", [(i,) for i in range(10)])
    cursor.execute(f"SELECT id FROM {t} ORDER BY id")
    assert cursor.fetchone() == (0,)
    cursor.execute(f"SELECT id FROM {t} ORDER BY id")  # re-execute: the first one is closed
    cursor.fetchone()
    cursor.close()
    closes = [e for e in sent if isinstance(e, w.SqlCursorClose)]
    assert len(closes) == 2 and closes[0].cursor_id != closes[1].cursor_id
    other = conn.cursor()  # the connection keeps serving
    other.execute(f"SELECT COUNT(*) FROM {t}")
    assert other.fetchall() == [(10,)]


def test_scroll_forwards_across_pages_and_back_within_them(connect, table):
    t = table()
    conn = connect(page_size=3, autocommit=True)
    cursor = conn.cursor()
    cursor.executemany(f"INSERT INTO {t} (id) VALUES (?)", [(i,) for i in range(10)])
    cursor.execute(f"SELECT id FROM {t} ORDER BY id")
    cursor.scroll(7)
    assert cursor.fetchone() == (7,)
    cursor.scroll(-2)
    assert cursor.fetchone() == (6,)
    with pytest.raises(IndexError):
        cursor.scroll(20)
    assert cursor.fetchone() == (7,)  # unchanged by the failed move
    cursor.execute(f"SELECT id FROM {t} ORDER BY id")
    assert cursor.fetchmany(8) == [(i,) for i in range(8)]
    assert cursor.fetchmany(2) == [(8,), (9,)]  # the next page drops the rows read
    cursor.scroll(-1)
    assert cursor.fetchone() == (9,)
    with pytest.raises(ignite.NotSupportedError):
        cursor.scroll(0, mode="absolute")


def test_executemany_is_one_batch_request(connect, table, sent):
    t = table()
    conn = connect(timeout=120)  # the mock inserts 3,000 rows slowly on a busy machine
    cursor = conn.cursor()
    del sent[:]
    cursor.executemany(f"INSERT INTO {t} (id, name) VALUES (?, ?)",
                       [(i, str(i)) for i in range(3000)])
    assert cursor.rowcount == 3000
    batches = [e for e in sent if isinstance(e, w.SqlExecBatch)]
    assert len(batches) == 1 and len(batches[0].rows) == 3000
    assert [type(e).__name__ for e in sent] == ["TxBegin", "SqlExecBatch"]
    conn.commit()
    assert _rows(conn, f"SELECT COUNT(*), SUM(id) FROM {t}") == [(3000, sum(range(3000)))]
    cursor.executemany(f"INSERT INTO {t} (id) VALUES (?)", [])
    assert cursor.rowcount == 0


def test_a_failed_batch_reports_what_was_applied(connect, table):
    t = table()
    conn = connect(autocommit=True)
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {t} (id) VALUES (2)")
    with pytest.raises(ignite.IntegrityError) as info:
        cursor.executemany(f"INSERT INTO {t} (id) VALUES (?)", [(0,), (1,), (2,), (3,)])
    assert info.value.update_counters == [1, 1]
    assert cursor.rowcount == 2


def test_transactions_isolate_until_commit(connect, table):
    t = table()
    writer, reader = connect(), connect()
    assert writer.autocommit is False
    wc, rc = writer.cursor(), reader.cursor()
    wc.execute(f"INSERT INTO {t} (id, name) VALUES (1, 'a')")
    assert _rows(reader, f"SELECT COUNT(*) FROM {t}") == [(0,)]
    assert _rows(writer, f"SELECT COUNT(*) FROM {t}") == [(1,)]  # its own write
    writer.commit()
    assert _rows(reader, f"SELECT COUNT(*) FROM {t}") == [(1,)]
    wc.execute(f"UPDATE {t} SET name = 'b' WHERE id = 1")
    wc.execute(f"INSERT INTO {t} (id, name) VALUES (2, 'c')")
    writer.rollback()
    rc.execute(f"SELECT id, name FROM {t} ORDER BY id")
    assert rc.fetchall() == [(1, "a")]
    wc.execute(f"INSERT INTO {t} (id, name) VALUES (3, 'd')")
    writer.close()  # without commit: rolled back
    assert _rows(reader, f"SELECT id FROM {t} ORDER BY id") == [(1,)]


def test_autocommit_commits_each_statement(connect, table):
    t = table()
    writer, reader = connect(autocommit=True), connect()
    writer.cursor().execute(f"INSERT INTO {t} (id) VALUES (1)")
    assert _rows(reader, f"SELECT COUNT(*) FROM {t}") == [(1,)]
    writer.autocommit = False
    writer.cursor().execute(f"INSERT INTO {t} (id) VALUES (2)")
    assert _rows(reader, f"SELECT COUNT(*) FROM {t}") == [(1,)]
    writer.autocommit = True
    assert _rows(reader, f"SELECT COUNT(*) FROM {t}") == [(2,)]


def test_ddl_in_manual_commit_mode_commits_first(connect, table):
    t = table()
    conn, reader = connect(), connect()
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {t} (id) VALUES (1)")
    name = f"u_{uuid.uuid4().hex[:8]}"
    cursor.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY)")
    assert _rows(reader, f"SELECT COUNT(*) FROM {t}") == [(1,)]
    cursor.execute(f"DROP TABLE {name}")


def test_script_runs_several_statements(connect, sent):
    conn = connect()
    cursor = conn.cursor()
    name = f"s_{uuid.uuid4().hex[:8]}"
    del sent[:]
    cursor.executescript(
        f"CREATE TABLE {name} (id INT PRIMARY KEY, v VARCHAR);"
        f"INSERT INTO {name} VALUES (1, 'a');"
        f"INSERT INTO {name} VALUES (?, ?);", (2, "b"))
    assert [type(e).__name__ for e in sent] == ["SqlExecScript"]
    assert cursor.description is None and cursor.rowcount == -1
    assert _rows(conn, f"SELECT id, v FROM {name} ORDER BY id") == [(1, "a"), (2, "b")]
    with pytest.raises(ignite.ProgrammingError):
        cursor.executescript(f"INSERT INTO {name} VALUES (3, 'c'); SELEC 1")
    cursor.executescript(f"DROP TABLE {name}")


@pytest.mark.parametrize(("sql", "cls"), [
    ("SELECT * FROM missing_table_x", ignite.ProgrammingError),
    ("SELEC 1", ignite.ProgrammingError),
    ("SELECT 1 / 0", ignite.DataError),
    ("SELECT CAST(2147483647 AS INTEGER) + CAST(1 AS INTEGER)", ignite.DataError),
])
def test_error_classes(connect, sql, cls):
    cursor = connect().cursor()
    with pytest.raises(cls) as info:
        cursor.execute(sql)
        cursor.fetchall()
    assert info.value.code is not None and str(info.value).startswith("org.apache.ignite")
    cursor.execute("SELECT 1")  # the connection keeps serving
    assert cursor.fetchall() == [(1,)]


def test_duplicate_key_is_integrity_error(connect, table):
    t = table()
    cursor = connect(autocommit=True).cursor()
    cursor.execute(f"INSERT INTO {t} (id) VALUES (1)")
    with pytest.raises(ignite.IntegrityError) as info:
        cursor.execute(f"INSERT INTO {t} (id) VALUES (1)")
    assert info.value.code == w.ErrorCode.CONSTRAINT_VIOLATION


_TYPES = [
    ("b", "BOOLEAN", True),
    ("i8", "TINYINT", -128),
    ("i16", "SMALLINT", 32767),
    ("i32", "INT", -2 ** 31),
    ("i64", "BIGINT", 2 ** 63 - 1),
    ("f", "REAL", 1.5),
    ("d", "DOUBLE", 0.1),
    ("n", "DECIMAL(10, 2)", decimal.Decimal("12.30")),
    ("dt", "DATE", dt.date(2024, 2, 29)),
    ("tm", "TIME", dt.time(13, 45, 30)),
    ("ts", "TIMESTAMP", dt.datetime(2024, 2, 29, 13, 45, 30, 123000)),
    ("u", "UUID", uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")),
    ("s", "VARCHAR", "grüße ☃"),
    ("bin", "VARBINARY", b"\x80\x00\xff"),
]


def test_every_column_type_round_trips_with_nulls(connect, table):
    t = table("id INT PRIMARY KEY, " + ", ".join(f"{c} {ddl}" for c, ddl, _ in _TYPES))
    conn = connect(autocommit=True)
    cursor = conn.cursor()
    columns = ", ".join(c for c, _, _ in _TYPES)
    marks = ", ".join("?" for _ in _TYPES)
    values = [v for _, _, v in _TYPES]
    cursor.executemany(f"INSERT INTO {t} (id, {columns}) VALUES (?, {marks})",
                       [(1, *values), (2, *[None] * len(values))])
    cursor.execute(f"SELECT {columns} FROM {t} ORDER BY id")
    got = cursor.fetchall()
    assert got == [tuple(values), tuple([None] * len(values))]
    assert type(got[0][7]) is decimal.Decimal and str(got[0][7]) == "12.30"
    codes = [d[1] for d in cursor.description]
    assert codes[0] == ignite.NUMBER and codes[8] == ignite.DATETIME
    assert codes[12] == ignite.STRING and codes[13] == ignite.BINARY


def test_authentication_accepted_and_refused():
    mock = MockServer(host="127.0.0.1", port=0, users={"alice": "s3cr3t"})
    mock.start()
    try:
        conn = ignite.connect(_address(mock), identity="alice", secret="s3cr3t", timeout=TIMEOUT)
        assert _rows(conn, "SELECT 1") == [(1,)]
        conn.close()
        for identity, secret in (("alice", "wrong"), ("bob", "s3cr3t"), (None, None)):
            with pytest.raises(ignite.OperationalError) as info:
                ignite.connect(_address(mock), identity=identity, secret=secret,
                               timeout=TIMEOUT)
            assert "Authentication failed" in str(info.value)
    finally:
        mock.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    client = ca.issue_cert("client@example.com")
    path = tmp_path_factory.mktemp("pki")
    files = {"ca": path / "ca.pem", "cert": path / "server.pem", "key": path / "server.key",
             "client_cert": path / "client.pem", "client_key": path / "client.key"}
    ca.cert_pem.write_to_path(files["ca"])
    server.cert_chain_pems[0].write_to_path(files["cert"])
    server.private_key_pem.write_to_path(files["key"])
    client.cert_chain_pems[0].write_to_path(files["client_cert"])
    client.private_key_pem.write_to_path(files["client_key"])
    return {k: str(v) for k, v in files.items()}


def test_tls_with_a_test_certificate(pki):
    mock = MockServer(host="127.0.0.1", port=0, tls_cert=pki["cert"], tls_key=pki["key"],
                      client_ca=pki["ca"])
    mock.start()
    try:
        address = _address(mock)
        conn = ignite.connect(address, use_ssl=True, ssl_ca_certfile=pki["ca"],
                              ssl_certfile=pki["client_cert"], ssl_keyfile=pki["client_key"],
                              timeout=TIMEOUT)
        assert _rows(conn, "SELECT 1") == [(1,)]
        conn.close()
        with pytest.raises(ignite.OperationalError):  # the server wants a client certificate
            ignite.connect(address, use_ssl=True, ssl_ca_certfile=pki["ca"], timeout=TIMEOUT
                           ).cursor().execute("SELECT 1")
        with pytest.raises(ignite.OperationalError):  # the CA is not trusted
            ignite.connect(address, use_ssl=True, timeout=TIMEOUT)
        with pytest.raises(ignite.OperationalError):  # plain text against a TLS port
            ignite.connect(address, timeout=2)
    finally:
        mock.stop()


def test_a_transaction_the_server_rolled_back_is_reported_once(connect, table):
    t = table()
    conn, reader = connect(), connect()
    cursor = conn.cursor()
    cursor.execute(f"INSERT INTO {t} (id) VALUES (1)")
    with pytest.raises(ignite.IntegrityError):
        cursor.execute(f"INSERT INTO {t} (id) VALUES (1)")
    with pytest.raises(ignite.OperationalError) as info:
        cursor.execute(f"INSERT INTO {t} (id) VALUES (2)")
    assert info.value.code == w.ErrorCode.TX_ALREADY_FINISHED
    assert "its work is lost" in str(info.value)
    cursor.execute(f"INSERT INTO {t} (id) VALUES (3)")  # a new transaction
    conn.commit()
    assert _rows(reader, f"SELECT id FROM {t} ORDER BY id") == [(3,)]
