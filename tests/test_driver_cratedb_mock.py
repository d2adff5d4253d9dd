"""The CrateDB reference driver against the CrateDB mock server (real SQL semantics):
typed round trips, executemany with duplicate keys, error classes, authentication, the
default schema, failover to the mock, https."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import socket
import threading

import pytest
import trustme

from dbapi_conformance.drivers import cratedb
from dbapi_conformance.drivers.wire.cratedb import DataType as T
from dbapi_conformance.mockservers.cratedb.server import MockServer  # noqa: E402


@pytest.fixture(scope="module")
def server():
    with MockServer(users={"alice": "s3cret"}, trust=["crate@127.0.0.1"]) as srv:
        yield srv


@pytest.fixture
def conn(server):
    connection = cratedb.connect(server.url, username="crate", timeout=10)
    yield connection
    connection.close()


@pytest.fixture
def table(conn, request):
    name = f"t_{request.node.name.split('[')[0][5:40]}_{id(request) % 100000}"
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name TEXT)")
    yield name
    cur.execute(f"DROP TABLE IF EXISTS {name}")


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_connect_reports_mock_version(server, conn):
    assert conn.server_version_string == server.version
    assert conn.server_version == tuple(int(p) for p in server.version.split("."))


def test_authentication(server):
    with cratedb.connect(server.url, username="alice", password="s3cret") as connection:
        cur = connection.cursor()
        cur.execute("SELECT current_user")
        assert cur.fetchone() == ("alice",)
    with pytest.raises(cratedb.OperationalError, match="authentication failed"):
        cratedb.connect(server.url, username="alice", password="wrong")
    url = server.url.replace("http://", "http://alice:s3cret@")
    with cratedb.connect(url) as connection:
        cur = connection.cursor()
        cur.execute("SELECT current_user")
        assert cur.fetchone() == ("alice",)


def test_default_schema(server):
    with cratedb.connect(server.url, schema="custom") as connection:
        cur = connection.cursor()
        cur.execute("SELECT current_schema")
        assert cur.fetchall() == [("custom",)]


def test_select_one(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    assert cur.fetchall() == [(1,)]
    assert cur.rowcount == 1
    assert cur.description[0][1] == cratedb.NUMBER


def test_typed_round_trip(conn):
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE typed (id INTEGER PRIMARY KEY, big BIGINT, f DOUBLE PRECISION, "
        "s TEXT, b BOOLEAN, ts TIMESTAMP WITHOUT TIME ZONE, tz TIMESTAMP WITH TIME ZONE)"
    )
    try:
        when = dt.datetime(2024, 2, 29, 23, 59, 58, 123000)
        aware = dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.timezone.utc)
        row = (1, 2**40, 2.5, "it's \"quoted\" ? :x %s \\ \x00 é", True, when, aware)
        cur.execute("INSERT INTO typed VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        assert cur.rowcount == 1 and cur.description is None
        cur.execute("INSERT INTO typed (id) VALUES (?)", (2,))
        cur.execute("REFRESH TABLE typed")
        cur.execute("SELECT id, big, f, s, b, ts, tz FROM typed ORDER BY id")
        assert [d[0] for d in cur.description] == ["id", "big", "f", "s", "b", "ts", "tz"]
        codes = [d[1] for d in cur.description]
        assert codes == [T.INTEGER, T.BIGINT, T.DOUBLE, T.TEXT, T.BOOLEAN,
                         T.TIMESTAMP_WITHOUT_TZ, T.TIMESTAMP_WITH_TZ]
        assert [c == cratedb.NUMBER for c in codes] == [True] * 3 + [False, True, False, False]
        assert codes[3] == cratedb.STRING and codes[5] == cratedb.DATETIME
        assert codes[6] == cratedb.DATETIME
        assert cur.fetchall() == [row, (2, None, None, None, None, None, None)]
    finally:
        cur.execute("DROP TABLE typed")


def test_expression_types(conn):
    cur = conn.cursor()
    cur.execute(
        "SELECT CAST('2024-01-02' AS DATE), CAST(1.25 AS NUMERIC(5, 2)), "
        "CAST(? AS DOUBLE PRECISION), ?, $1",
        ("NaN", dt.date(1999, 12, 31)),
    )
    (date, number, nan, when, again), = cur.fetchall()
    assert date == dt.date(2024, 1, 2)
    assert number == decimal.Decimal("1.25") and isinstance(number, decimal.Decimal)
    assert math.isnan(nan)
    assert again == "NaN"
    assert cur.description[0][1] == cratedb.DATETIME


def test_numeric_keeps_every_digit(conn):
    cur = conn.cursor()
    cur.execute("SELECT CAST('12345678901234567890.123456789' AS NUMERIC(38, 9)), "
                "CAST(0.1 AS DOUBLE PRECISION)")
    ((number, double),) = cur.fetchall()
    assert number == decimal.Decimal("12345678901234567890.123456789")
    assert double == 0.1 and type(double) is float


def test_placeholders_inside_literals_are_text(conn):
    cur = conn.cursor()
    cur.execute("SELECT '?', ?, '$1', \"?\" FROM (SELECT 1 AS \"?\") AS x -- ?", ("v",))
    assert cur.fetchall() == [("?", "v", "$1", 1)]


def test_named_parameters(conn, table):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (:id, :name)", {"id": 1, "name": ":id"})
    cur.executemany(f"INSERT INTO {table} (id, name) VALUES (:id, :name)",
                    [{"id": 2, "name": "b"}, {"id": 3, "name": "c"}])
    assert cur.rowcount == 2
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"SELECT id, name, ':id' FROM {table} WHERE id <= :top OR id = :top ORDER BY id",
                {"top": 2})
    assert cur.fetchall() == [(1, ":id", ":id"), (2, "b", ":id")]
    with pytest.raises(cratedb.ProgrammingError):
        cur.execute("SELECT :missing", {"other": 1})


def test_wrong_parameter_count(conn):
    cur = conn.cursor()
    with pytest.raises(cratedb.ProgrammingError):
        cur.execute("SELECT ?, ?", (1,))
    with pytest.raises(cratedb.ProgrammingError):
        cur.execute("SELECT ?", (1, 2))


def test_rowcount_of_dml(conn, table):
    cur = conn.cursor()
    cur.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                    [(i, "even" if i % 2 == 0 else "odd") for i in range(6)])
    assert cur.rowcount == 6 and cur.bulk_rowcounts == (1,) * 6
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"UPDATE {table} SET name = ? WHERE name = ?", ("EVEN", "even"))
    assert cur.rowcount == 3
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"DELETE FROM {table} WHERE id >= ?", (4,))
    assert cur.rowcount == 2
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
    assert cur.rowcount == 4
    cur.arraysize = 3
    assert cur.fetchmany() == [(0, "EVEN"), (1, "odd"), (2, "EVEN")]
    assert cur.fetchmany() == [(3, "odd")]
    assert cur.fetchmany() == []


def test_executemany_duplicate_key(conn, table):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (?, ?)", (1, "first"))
    with pytest.raises(cratedb.IntegrityError) as info:
        cur.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                        [(2, "two"), (1, "dup"), (3, "three")])
    assert info.value.code == 4091
    assert "DuplicateKeyException" in str(info.value)
    assert cur.rowcount == 2 and cur.bulk_rowcounts == (1, -2, 1)
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
    # CrateDB has no transactions: the other items were applied.
    assert cur.fetchall() == [(1, "first"), (2, "two"), (3, "three")]


def test_single_insert_duplicate_key(conn, table):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    with pytest.raises(cratedb.IntegrityError) as info:
        cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'b')")
    assert info.value.code == 4091 and info.value.http_status == 409


def test_executemany_of_select_is_not_supported(conn):
    with pytest.raises(cratedb.NotSupportedError):
        conn.cursor().executemany("SELECT ?", [(1,), (2,)])


def test_ddl_has_no_result_set(conn):
    cur = conn.cursor()
    cur.execute("CREATE TABLE ddl_only (id INTEGER)")
    try:
        assert cur.description is None
        with pytest.raises(cratedb.ProgrammingError):
            cur.fetchall()
    finally:
        cur.execute("DROP TABLE ddl_only")


@pytest.mark.parametrize(
    "sql, cls",
    [
        ("SELEC 1", "ProgrammingError"),
        ("SELECT * FROM no_such_table", "ProgrammingError"),
        ("SELECT no_such_column FROM sys.cluster", "ProgrammingError"),
        ("SELECT 1 / 0", "DataError"),
        ("SELECT CAST(2147483647 AS INTEGER) + CAST(1 AS INTEGER)", "DataError"),
        ("SELECT CAST('abc' AS INTEGER)", "DataError"),
        ("ROLLBACK", "ProgrammingError"),
    ],
)
def test_error_classes(conn, sql, cls):
    with pytest.raises(getattr(cratedb, cls)) as info:
        conn.cursor().execute(sql)
    assert isinstance(info.value.code, int) and info.value.message


def test_existing_table(conn, table):
    with pytest.raises(cratedb.ProgrammingError) as info:
        conn.cursor().execute(f"CREATE TABLE {table} (id INTEGER)")
    assert info.value.code == 4093


def test_error_trace(server):
    with cratedb.connect(server.url, error_trace=True) as connection:
        with pytest.raises(cratedb.ProgrammingError) as info:
            connection.cursor().execute("SELECT * FROM no_such_table")
    assert info.value.error_trace and info.value.error_trace in str(info.value)


def test_commit_is_a_no_op_and_rollback_is_absent(conn, table):
    cur = conn.cursor()
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    conn.commit()
    assert not hasattr(conn, "rollback")
    other = conn.cursor()
    other.execute(f"SELECT name FROM {table} WHERE id = 1")
    assert other.fetchall() == [("a",)]


def test_failover_from_dead_port(server):
    dead = dead_url()
    with cratedb.connect([dead, server.url], timeout=5) as connection:
        cur = connection.cursor()
        for _ in range(3):
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)


def test_round_robin_between_two_mocks(server):
    with MockServer() as other:
        with cratedb.connect(other.url) as only_other:
            only_other.cursor().execute("CREATE TABLE only_here (id INTEGER)")
        with cratedb.connect(f"{server.url} {other.url}") as connection:
            cur = connection.cursor()
            answered = 0
            for _ in range(4):
                try:
                    cur.execute("SELECT count(*) FROM only_here")
                    answered += 1
                except cratedb.ProgrammingError as exc:
                    assert exc.code == 4041
    assert answered == 2  # every other request went to the server that has the table


def test_threads_share_a_connection(conn, table):
    errors: list[BaseException] = []

    def work(n):
        try:
            cur = conn.cursor()
            for i in range(10):
                cur.execute(f"INSERT INTO {table} (id, name) VALUES (?, ?)", (n * 100 + i, "x"))
                assert cur.rowcount == 1
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    cur = conn.cursor()
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"SELECT count(*) FROM {table}")
    assert cur.fetchone() == (40,)


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path_factory.mktemp("tls")
    paths = {name: str(folder / f"{name}.pem") for name in ("ca", "cert", "key")}
    ca.cert_pem.write_to_path(paths["ca"])
    cert.cert_chain_pems[0].write_to_path(paths["cert"])
    cert.private_key_pem.write_to_path(paths["key"])
    return paths


def test_https(tls_files):
    with MockServer(tls_cert=tls_files["cert"], tls_key=tls_files["key"]) as srv:
        assert srv.url.startswith("https://")
        with cratedb.connect(srv.url, ca_cert=tls_files["ca"]) as connection:
            cur = connection.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchall() == [(1,)]
        with pytest.raises(cratedb.OperationalError, match="TLS"):
            cratedb.connect(srv.url, timeout=5)


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_https_without_verification(tls_files):
    with MockServer(tls_cert=tls_files["cert"], tls_key=tls_files["key"]) as srv:
        with cratedb.connect(srv.url, verify_ssl_cert=False) as connection:
            cur = connection.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)


def test_errorhandler_of_the_connection_and_its_cursors(conn):
    calls = []
    conn.errorhandler = lambda *args: calls.append(args) or "handled"
    cur = conn.cursor()
    assert cur.execute("SELEC 1") == "handled"
    ((connection, cursor, errorclass, errorvalue),) = calls
    assert (connection, cursor, errorclass) == (conn, cur, cratedb.ProgrammingError)
    assert "SELEC" in str(errorvalue) and cur.messages == []
    conn.errorhandler = None
    cur.errorhandler = None
    with pytest.raises(cratedb.ProgrammingError) as info:
        cur.execute("SELEC 1")
    assert cur.messages == [(type(info.value), info.value)]


def test_named_parameters_without_spaces(conn):
    cur = conn.cursor()
    # The driver turns :a,:b into $1,$2 with no space between: the server must take it.
    cur.execute("SELECT :b||:a,(:a),:b", {"a": "x", "b": "y"})
    assert cur.fetchall() == [("yx", "x", "y")]
