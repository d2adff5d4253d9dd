"""The Exasol reference driver against the Exasol mock server (SQL semantics, sessions).

What the driver sends is pinned against scripted servers in test_driver_exasol.py; here the
driver meets the mock's SQL engine: DDL in a schema, typed values both ways, a result set
large enough to be streamed by handle, executemany as one request, transactions and
isolation between two connections, error classes, wss and compression.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import ssl
import uuid
import warnings

import pytest
import trustme

from dbapi_conformance.drivers import exasol
from dbapi_conformance.mockservers.exasol.server import ExasolMockServer

D = decimal.Decimal
WAIT = 30.0  # seconds: network timeout of every connection here


@pytest.fixture(scope="module")
def server():
    with ExasolMockServer(host="127.0.0.1", port=0) as srv:
        yield srv


def connect(srv, **kwargs) -> exasol.Connection:
    kwargs.setdefault("timeout", WAIT)
    return exasol.connect(srv.url, "sys", "exasol", **kwargs)


@pytest.fixture
def schema(server):
    """A fresh schema, dropped afterwards."""
    name = f"S_{uuid.uuid4().hex[:8].upper()}"
    with connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA {name}")
    yield name
    with connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA {name} CASCADE")


def record_commands(conn, monkeypatch) -> list[str]:
    """The commands ``conn`` sends from now on."""
    sent: list[str] = []
    original = conn._request

    def recording(payload):
        sent.append(payload.get("command"))
        return original(payload)

    monkeypatch.setattr(conn, "_request", recording)
    return sent


ROWS = [
    (1, decimal.Decimal("12.50"), 0.5, "plain", dt.date(2024, 2, 29),
     dt.datetime(2024, 2, 29, 13, 45, 30, 123456), True),
    (2, decimal.Decimal("-0.05"), -2.5e300, "żółw 🐢 O'Reilly", dt.date(1, 1, 1),
     dt.datetime(9999, 12, 31, 23, 59, 59, 999000), False),
    (3, None, None, None, None, None, None),
]


def create_typed_table(cur, schema: str) -> str:
    table = f"{schema}.T"
    cur.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, m DECIMAL(18,2), "
                "d DOUBLE, v VARCHAR(100), dd DATE, ts TIMESTAMP, b BOOLEAN)")
    return table


def test_ddl_inserts_and_typed_values_round_trip(server, schema):
    with connect(server, schema=schema) as conn, conn.cursor() as cur:
        assert conn.current_schema == schema
        table = create_typed_table(cur, schema)
        for row in ROWS:
            cur.execute(f"INSERT INTO {table} VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            assert cur.rowcount == 1
        conn.commit()
        cur.execute(f"SELECT * FROM {table} ORDER BY id")
        assert cur.fetchall() == ROWS
        assert [d[0] for d in cur.description] == ["ID", "M", "D", "V", "DD", "TS", "B"]
        codes = [d[1] for d in cur.description]
        assert codes == ["DECIMAL", "DECIMAL", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP",
                         "BOOLEAN"]
        assert codes[0] == exasol.NUMBER and codes[3] == exasol.STRING
        assert codes[4] == exasol.DATETIME and codes[5] == exasol.DATETIME
        assert cur.description[1][4:6] == (18, 2)
        cur.execute(f"SELECT id FROM {table} WHERE v = ? AND m > ?",
                    ("plain", decimal.Decimal("1")))
        assert cur.fetchall() == [(1,)]


def test_3000_rows_stream_through_the_handle_and_executemany_is_one_request(
        server, schema, monkeypatch):
    with connect(server, schema=schema, fetch_bytes=16 * 1024) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE big (id INTEGER, m DECIMAL(18,2), v VARCHAR(20))")
        rows = [(i, decimal.Decimal(i) / 4, f"row {i}") for i in range(3000)]
        sent = record_commands(conn, monkeypatch)
        cur.executemany("INSERT INTO big VALUES (?, ?, ?)", rows)
        assert cur.rowcount == 3000
        assert sent.count("executePreparedStatement") == 1
        conn.commit()
        sent.clear()
        cur.execute("SELECT id, m, v FROM big ORDER BY id")
        assert cur.rowcount == 3000 and sent == ["execute"]
        assert cur._result.handle is not None  # >= 1000 rows: left on the server
        assert cur.fetchone() == rows[0]
        assert cur.fetchmany(999) == rows[1:1000]
        got = rows[:1000] + list(cur)
        assert got == rows
        fetches = sent.count("fetch")
        assert fetches > 1  # several chunks of about 16 KiB, never the whole result at once
        cur.execute("SELECT COUNT(*) FROM big")
        assert cur.fetchone() == (3000,) and "closeResultSet" in sent


def test_commit_rollback_and_isolation_between_connections(server, schema):
    with connect(server, schema=schema) as one, connect(server, schema=schema) as two:
        assert one.autocommit is False
        a, b = one.cursor(), two.cursor()
        a.execute("CREATE TABLE acct (id INTEGER, name VARCHAR(10))")
        one.commit()
        a.execute("INSERT INTO acct VALUES (?, ?)", (1, "one"))
        b.execute("SELECT COUNT(*) FROM acct")
        assert b.fetchone() == (0,)  # not committed: invisible to the other session
        one.commit()
        two.commit()  # Exasol is serializable: two's open transaction keeps its snapshot
        b.execute("SELECT COUNT(*) FROM acct")
        assert b.fetchone() == (1,)
        a.execute("INSERT INTO acct VALUES (?, ?)", (2, "two"))
        one.rollback()
        a.execute("SELECT id FROM acct")
        assert a.fetchall() == [(1,)]
        one.commit()
        two.autocommit = True
        b.execute("INSERT INTO acct VALUES (?, ?)", (3, "three"))
        a.execute("SELECT id FROM acct ORDER BY id")
        assert a.fetchall() == [(1,), (3,)]
    with connect(server, schema=schema) as three:
        c = three.cursor()
        c.execute("INSERT INTO acct VALUES (?, ?)", (4, "four"))
    with connect(server, schema=schema) as four:
        d = four.cursor()
        d.execute("SELECT id FROM acct ORDER BY id")
        assert d.fetchall() == [(1,), (3,)]  # closing without commit rolled back


@pytest.mark.parametrize("sql, params, cls, code", [
    ("SELECT * FROM NO_SUCH_TABLE", None, exasol.ProgrammingError, "42000"),
    ("SELEC 1", None, exasol.ProgrammingError, "42000"),
    ("SELECT 1 / 0", None, exasol.DataError, None),
    ("INSERT INTO dup VALUES (?)", (1,), exasol.IntegrityError, None),
    ("CREATE TABLE dup (id INTEGER PRIMARY KEY)", None, exasol.ProgrammingError, "42000"),
])
def test_errors_have_their_pep249_class(server, schema, sql, params, cls, code):
    with connect(server, schema=schema, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE dup (id INTEGER PRIMARY KEY)")
        cur.execute("INSERT INTO dup VALUES (1)")
        with pytest.raises(cls) as info:
            cur.execute(sql, params)
            cur.fetchall()
        if code is not None:
            assert info.value.code[:2] == code[:2]  # SQLSTATE class 42: syntax or access rule
        cur.execute("SELECT COUNT(*) FROM dup")  # the session goes on
        assert cur.fetchone() == (1,)


def test_text_bound_to_decimal_date_and_timestamp_is_parsed_by_the_server(server, schema):
    with connect(server, schema=schema, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE txt (id INTEGER, a DECIMAL(10,2), d DATE, ts TIMESTAMP)")
        cur.execute("INSERT INTO txt VALUES (?, ?, ?, ?)",
                    ("1", "1.25", "2024-01-02", "2024-01-02 03:04:05.678000"))
        cur.executemany("INSERT INTO txt VALUES (?, ?, ?, ?)",
                        [(2, D("2.5"), dt.date(2024, 2, 3), dt.datetime(2024, 2, 3, 4, 5, 6)),
                         ("3", "3", "2024-03-04", "2024-03-04")])
        cur.execute("SELECT id, a, d, ts FROM txt WHERE d = ? ORDER BY id", ("2024-01-02",))
        assert cur.fetchall() == [(1, D("1.25"), dt.date(2024, 1, 2),
                                   dt.datetime(2024, 1, 2, 3, 4, 5, 678000))]
        cur.execute("SELECT id, a, ts FROM txt WHERE id > 1 ORDER BY id")
        assert cur.fetchall() == [(2, D("2.5"), dt.datetime(2024, 2, 3, 4, 5, 6)),
                                  (3, D(3), dt.datetime(2024, 3, 4))]
        # malformed text: the server's data exception, and nothing of the request is written
        for params, shown in ((("9", "abc", None, None), "Value: 'abc'"),
                              (("9", None, "2024-13-01", None), "Format: 'YYYY-MM-DD'"),
                              (("9", None, None, "2024-01-02T03:04:05"),
                               "Format: 'YYYY-MM-DD HH24:MI:SS.FF6'")):
            with pytest.raises(exasol.DataError, match="invalid character value for cast") \
                    as info:
                cur.execute("INSERT INTO txt VALUES (?, ?, ?, ?)", params)
            assert info.value.code == "22018" and shown in str(info.value)
        cur.execute("SELECT COUNT(*) FROM txt")
        assert cur.fetchone() == (3,)


def test_connect_and_use_emit_no_deprecation_warning(server):
    # websockets 17.1+ warns unless sync connect() is a context manager or legacy=True
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        with connect(server) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchall() == [(1,)]


def test_wrong_password_is_refused(server):
    with pytest.raises(exasol.OperationalError, match="authentication failed"):
        exasol.connect(server.url, "sys", "wrong", timeout=WAIT)


def test_compression(server, schema):
    with connect(server, schema=schema, compression=True) as conn, conn.cursor() as cur:
        assert conn.attributes.get("compressionEnabled") is True
        cur.execute("CREATE TABLE z (id INTEGER, v VARCHAR(2000))")
        cur.executemany("INSERT INTO z VALUES (?, ?)", [(i, "x" * 1000) for i in range(1500)])
        cur.execute("SELECT id, v FROM z ORDER BY id")
        got = cur.fetchall()
        assert len(got) == 1500 and got[-1] == (1499, "x" * 1000)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("exasol-tls")
    cert_file, key_file, ca_file = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(cert_file)
    cert.private_key_pem.write_to_path(key_file)
    ca.cert_pem.write_to_path(ca_file)
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    with ExasolMockServer(host="127.0.0.1", port=0, tls_cert=str(cert_file),
                          tls_key=str(key_file)) as srv:
        yield srv, str(ca_file), hashlib.sha256(der).hexdigest()


def test_wss_by_ca_fingerprint_and_without_verification(tls_server):
    srv, ca_file, fingerprint = tls_server
    assert srv.url.startswith("wss://")
    for options in ({"ca_file": ca_file}, {"fingerprint": fingerprint}, {"verify": False}):
        with connect(srv, **options) as conn, conn.cursor() as cur:
            cur.execute("SELECT ? FROM DUAL", ("over tls",))
            assert cur.fetchall() == [("over tls",)]
    with pytest.raises(exasol.OperationalError, match="fingerprint"):
        connect(srv, fingerprint="0" * 64)
    with pytest.raises(exasol.OperationalError):
        connect(srv)  # the test CA is not trusted by default
