"""The Exasol mock driven by pyexasol 3.0.1's own API: over ws and wss, with and without
compression, in-process and through ``dbapi-mock exasol`` in another process."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("EXASOL_TELEMETRY_DISABLE", "1")  # before pyexasol is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests' helper modules

import pyexasol  # noqa: E402
import pytest  # noqa: E402
import trustme  # noqa: E402
from exasolmock import sessions_closed  # noqa: E402

from dbapi_conformance.mockservers.exasol import ExasolMockServer  # noqa: E402

D = decimal.Decimal
ROWS = 3000


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    root = tmp_path_factory.mktemp("exasol-tls")
    paths = {"ca": root / "ca.pem", "cert": root / "cert.pem", "key": root / "key.pem"}
    ca.cert_pem.write_to_path(paths["ca"])
    cert.cert_chain_pems[0].write_to_path(paths["cert"])
    cert.private_key_pem.write_to_path(paths["key"])
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def server():
    with ExasolMockServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def tls_server(tls_files):
    with ExasolMockServer(tls_cert=tls_files["cert"], tls_key=tls_files["key"]) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _sessions_closed(request):
    yield from sessions_closed(request, "server", "tls_server")


def connect(port: int, *, tls_ca: str | None = None, **kw) -> pyexasol.ExaConnection:
    kw.setdefault("user", "sys")
    kw.setdefault("password", "exasol")
    kw.setdefault("socket_timeout", 20)
    kw.setdefault("connection_timeout", 10)
    if tls_ca:
        return pyexasol.connect(dsn=f"localhost:{port}", encryption=True,
                                websocket_sslopt={"ca_certs": tls_ca}, **kw)
    return pyexasol.connect(dsn=f"127.0.0.1:{port}", encryption=False, **kw)


def refused(port: int, error=pyexasol.ExaAuthError, **kw) -> Exception:
    """The error of a connect that must fail. The half-made connection is closed here: else
    its ``__del__`` sends ``disconnect`` from whichever thread the garbage collector runs
    in, which may be the in-process server's own event loop (it then blocks itself)."""
    with pytest.raises(error) as info:
        connect(port, **kw)
    info.value.connection.close(disconnect=False)
    return info.value


def expected_row(i: int) -> tuple:
    if i % 100 == 99:
        return (i, None, None, None, None, None, None)
    return (i, D(i) + D("0.25") if i % 2 else -D(i) - D("0.5"), i / 8, f"name {i} é",
            dt.date(2000, 1, 1) + dt.timedelta(days=i),
            dt.datetime(2024, 2, 29, 12, 0, 0, 1000 * (i % 1000)) + dt.timedelta(minutes=i),
            i % 3 == 0)


def wire_row(row: tuple) -> tuple:
    """A row as pyexasol sends it: Decimal/date/datetime as text (it has no JSON form)."""
    i, amount, x, name, day, ts, flag = row
    return (i, None if amount is None else str(amount), x, name,
            None if day is None else day.isoformat(),
            None if ts is None else ts.isoformat(" ", "microseconds"), flag)


def typed(row: tuple) -> tuple:
    """pyexasol's JSON values back to Python, by type (it has no default converters)."""
    i, amount, x, name, day, ts, flag = row
    return (i, None if amount is None else D(amount), x, name,
            None if day is None else dt.date.fromisoformat(day),
            None if ts is None else dt.datetime.fromisoformat(ts), flag)


def scenario(conn: pyexasol.ExaConnection, schema: str) -> None:
    """DDL in a schema, inserts, a 3,000-row select through handle + fetch, exact values."""
    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    conn.open_schema(schema)
    assert conn.current_schema() == schema.upper()
    conn.execute("CREATE OR REPLACE TABLE items (id DECIMAL(18,0), amount DECIMAL(10,2), "
                 "x DOUBLE, name VARCHAR(100), day DATE, ts TIMESTAMP, flag BOOLEAN)")
    stmt = conn.create_prepared_statement("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)")
    expected = [expected_row(i) for i in range(ROWS)]
    stmt.execute_prepared([wire_row(r) for r in expected])
    assert stmt.rowcount() == ROWS
    stmt.close()
    st = conn.execute("SELECT * FROM items ORDER BY id")
    assert st.rowcount() == ROWS
    assert st.result_set_handle  # >= 1000 rows come through a handle and fetch
    assert st.columns() == {
        "ID": {"type": "DECIMAL", "precision": 18, "scale": 0},
        "AMOUNT": {"type": "DECIMAL", "precision": 10, "scale": 2},
        "X": {"type": "DOUBLE"},
        "NAME": {"type": "VARCHAR", "size": 2000000, "characterSet": "UTF8"},
        "DAY": {"type": "DATE", "size": 4},
        "TS": {"type": "TIMESTAMP", "withLocalTimeZone": False, "size": 8},
        "FLAG": {"type": "BOOLEAN"},
    }
    got = [typed(r) for r in st.fetchall()]
    assert got == expected
    raw = conn.execute("SELECT id, amount, day, ts FROM items WHERE id = 1").fetchone()
    assert raw == (1, "1.25", "2000-01-02", "2024-02-29 12:01:00.001000")
    assert conn.execute("SELECT COUNT(*) FROM items").fetchval() == ROWS
    small = conn.execute("SELECT id FROM items WHERE id < 10 ORDER BY id")
    assert not small.result_set_handle and small.fetchcol() == list(range(10))
    conn.execute("DROP TABLE items")


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "compressed"])
def test_pyexasol_scenario_over_ws(server, compression):
    with connect(server.address[1], compression=compression) as conn:
        assert conn.attr["compressionEnabled"] is compression
        assert conn.protocol_version() == 3
        scenario(conn, f"ws_{int(compression)}")


@pytest.mark.parametrize("compression", [False, True], ids=["plain", "compressed"])
def test_pyexasol_scenario_over_wss(tls_server, tls_files, compression):
    assert tls_server.url.startswith("wss://")
    with connect(tls_server.address[1], tls_ca=tls_files["ca"],
                 compression=compression) as conn:
        scenario(conn, f"wss_{int(compression)}")


def test_unknown_table_is_exa_query_error_42000(server):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS errs")
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute("SELECT * FROM no_such_table")
        assert info.value.code == "42000"
        assert "NO_SUCH_TABLE" in info.value.message
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute("SELEC 1")
        assert info.value.code == "42000" and "syntax error" in info.value.message
        # the connection goes on
        assert conn.execute("SELECT 1 FROM DUAL").fetchval() == 1


def test_rollback_after_set_autocommit_false(server):
    port = server.address[1]
    with connect(port) as conn, connect(port) as other:
        conn.execute("CREATE SCHEMA IF NOT EXISTS tx")
        conn.execute("CREATE OR REPLACE TABLE tx.t (id DECIMAL(18,0))")
        conn.set_autocommit(False)
        assert conn.attr["autocommit"] is False
        conn.execute("INSERT INTO tx.t VALUES (1)")
        assert conn.attr["openTransaction"] is True
        assert conn.execute("SELECT COUNT(*) FROM tx.t").fetchval() == 1
        # isolation: the other session sees nothing before the commit
        assert other.execute("SELECT COUNT(*) FROM tx.t").fetchval() == 0
        conn.rollback()
        assert conn.execute("SELECT COUNT(*) FROM tx.t").fetchval() == 0
        conn.execute("INSERT INTO tx.t VALUES (2)")
        conn.commit()
        assert other.execute("SELECT id FROM tx.t").fetchall() == [(2,)]
        conn.set_autocommit(True)
        conn.execute("INSERT INTO tx.t VALUES (3)")
        assert other.execute("SELECT COUNT(*) FROM tx.t").fetchval() == 2


def test_wrong_password_is_exa_auth_error(server):
    err = refused(server.address[1], password="wrong")
    assert err.code == "08004"
    assert "authentication failed" in err.message
    refused(server.address[1], user="nobody")
    # user names are case-insensitive, passwords are not
    with connect(server.address[1], user="SYS") as conn:
        assert conn.execute("SELECT 1").fetchval() == 1
    refused(server.address[1], password="EXASOL")


def test_login_attributes_and_schema(server):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS login_s")
    with connect(server.address[1], schema="login_s", autocommit=False) as conn:
        assert conn.current_schema() == "LOGIN_S"
        assert conn.attr["autocommit"] is False
        conn.execute("CLOSE SCHEMA")
        assert conn.current_schema() == ""
        with pytest.raises(pyexasol.ExaQueryError, match="no schema specified"):
            conn.execute("CREATE TABLE t (a INT)")
        conn.execute("OPEN SCHEMA login_s")
        assert conn.current_schema() == "LOGIN_S"
    assert "schema NOPE_S not found" in refused(server.address[1], schema="nope_s").message


def test_values_of_every_type(server):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS vals")
        st = conn.execute(
            "SELECT CAST(123456789012345678 AS DECIMAL(18,0)) AS a, "
            "CAST(123456789012345678901234567890 AS DECIMAL(36,0)) AS b, "
            "CAST(0.70 AS DECIMAL(10,5)) AS c, CAST(1.5 AS DOUBLE) AS d, 'x' AS e, "
            "DATE '2018-07-12' AS f, TIMESTAMP '2018-04-03 18:36:40.553' AS g, "
            "TRUE AS h, NULL AS i, CAST(5 AS INTEGER) AS j, CAST(5 AS BIGINT) AS k")
        assert st.fetchone() == (123456789012345678, "123456789012345678901234567890", "0.7",
                                 1.5, "x", "2018-07-12", "2018-04-03 18:36:40.553000", True,
                                 None, 5, "5")
        cols = st.columns()
        assert cols["B"] == {"type": "DECIMAL", "precision": 36, "scale": 0}
        assert cols["J"] == {"type": "DECIMAL", "precision": 18, "scale": 0}
        # BIGINT is Exasol's DECIMAL(36,0): beyond 18 digits, so its values are strings
        assert cols["K"] == {"type": "DECIMAL", "precision": 36, "scale": 0}
        assert cols["I"] == {"type": "BOOLEAN"}
        conn.execute("CREATE OR REPLACE TABLE ints (a INTEGER, b BIGINT, c SMALLINT, "
                     "d DECIMAL, e FLOAT)")
        assert conn.execute("SELECT * FROM ints").columns() == {
            "A": {"type": "DECIMAL", "precision": 18, "scale": 0},
            "B": {"type": "DECIMAL", "precision": 36, "scale": 0},
            "C": {"type": "DECIMAL", "precision": 9, "scale": 0},
            "D": {"type": "DECIMAL", "precision": 18, "scale": 0},
            "E": {"type": "DOUBLE"},
        }
        # an unnamed expression is named after its text
        assert conn.execute("SELECT COUNT(*), 2 FROM ints").column_names() == ["COUNT(*)",
                                                                               "2"]


def test_prepared_query_and_parameter_types(server):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS prep")
        conn.execute("CREATE OR REPLACE TABLE p (id DECIMAL(18,0), v VARCHAR(10), "
                     "x DOUBLE)")
        conn.execute("INSERT INTO p VALUES (1, 'a', 1.5), (2, 'b', 2.5)")
        stmt = conn.create_prepared_statement("SELECT v, x FROM p WHERE id = ?")
        assert [c["dataType"]["type"] for c in stmt.parameter_data["columns"]] == ["DECIMAL"]
        stmt.execute_prepared([(2,)])
        assert stmt.fetchall() == [("b", 2.5)]
        stmt.execute_prepared([(1,)])  # a statement runs again
        assert stmt.fetchall() == [("a", 1.5)]
        stmt.close()
        # the server is strict about JSON kinds, as Exasol is
        ins = conn.create_prepared_statement("INSERT INTO p VALUES (?, ?, ?)")
        with pytest.raises(pyexasol.ExaRequestError) as info:
            ins.execute_prepared([(3, 3, 1.0)])
        assert "getString" in info.value.message
        with pytest.raises(pyexasol.ExaRequestError) as info:
            ins.execute_prepared([(3, "c", 1)])
        assert "getDouble" in info.value.message
        with pytest.raises(pyexasol.ExaRequestError) as info:
            ins.execute_prepared([("not-a-number", "c", 1.0)])
        assert info.value.code == "22018"
        ins.execute_prepared([(3, "c", 1.0)])
        ins.close()
        assert conn.execute("SELECT COUNT(*) FROM p").fetchval() == 3


def test_date_and_timestamp_text_is_parsed_as_the_server_does(server):
    # pyexasol sends text for DATE/TIMESTAMP parameters; the server reads it in the session's
    # NLS formats and refuses anything else with a data exception
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS prep_dt")
        conn.execute("CREATE OR REPLACE TABLE t (d DATE, ts TIMESTAMP, a DECIMAL(10,2))")
        ins = conn.create_prepared_statement("INSERT INTO t VALUES (?, ?, ?)")
        try:
            ins.execute_prepared([("2024-02-29", "2024-02-29 23:59:59.123456", "1.5")])
            for row, shown in ((("2023-02-29", None, None), "Format: 'YYYY-MM-DD'"),
                               ((None, "2024-01-01T08:00:00", None),
                                "Format: 'YYYY-MM-DD HH24:MI:SS.FF6'"),
                               ((None, None, "1,5"), "Value: '1,5'")):
                with pytest.raises(pyexasol.ExaRequestError) as info:
                    ins.execute_prepared([row])
                assert info.value.code == "22018", info.value.message
                assert "invalid character value for cast" in info.value.message
                assert shown in info.value.message
        finally:
            ins.close()
        assert conn.execute("SELECT * FROM t").fetchall() == [
            ("2024-02-29", "2024-02-29 23:59:59.123456", "1.5")]


def test_metadata_commands(server):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS meta_s")
        conn.execute("CREATE OR REPLACE TABLE meta_t (id DECIMAL(18,0) NOT NULL, v VARCHAR(5))")
        conn.execute("CREATE OR REPLACE VIEW meta_v AS SELECT id FROM meta_t")
        assert conn.meta.schema_exists("meta_s")
        assert not conn.meta.schema_exists("meta_none")
        assert conn.meta.table_exists("meta_t")
        assert conn.meta.view_exists("meta_v")
        assert not conn.meta.table_exists("meta_v")
        cols = conn.meta.execute_meta_nosql("getColumns", {"schema": "META_S",
                                                           "table": "META_T"}).fetchall()
        assert [(c["NAME"], c["TYPE"], c["IS_NULLABLE"]) for c in cols] == [
            ("ID", "DECIMAL(18,0)", False), ("V", "VARCHAR(2000000) UTF8", True)]
        keywords = conn.meta.list_sql_keywords()
        assert "SELECT" in keywords and "OWNER" not in keywords
        rows = conn.execute("SELECT table_name FROM exa_all_tables "
                            "WHERE table_schema = 'META_S'").fetchall()
        assert rows == [("META_T",)]


def test_nls_parameters_and_hosts(server):
    with connect(server.address[1]) as conn:
        rows = conn.execute("SELECT parameter_name, session_value FROM EXA_PARAMETERS WHERE "
                            "parameter_name IN ('NLS_DATE_FORMAT', 'NLS_TIMESTAMP_FORMAT') "
                            "ORDER BY 1").fetchall()
        assert rows == [("NLS_DATE_FORMAT", "YYYY-MM-DD"),
                        ("NLS_TIMESTAMP_FORMAT", "YYYY-MM-DD HH24:MI:SS.FF6")]
        assert conn.get_nodes() == [{"host": "127.0.0.1", "ipaddr": "127.0.0.1",
                                     "port": server.address[1],
                                     "idx": 1}]
        conn.execute("ALTER SESSION SET NLS_DATE_FORMAT = 'YYYY-MM-DD'")
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute("ALTER SESSION SET NLS_DATE_FORMAT = 'DD.MM.YYYY'")
        assert info.value.code == "0A000"


def test_query_timeout_and_result_set_max_rows(server):
    with connect(server.address[1]) as conn:
        conn.set_query_timeout(1)
        started = time.monotonic()
        with pytest.raises(pyexasol.ExaQueryTimeoutError):
            conn.execute("SELECT COUNT(*) FROM range(100000000000) a")
        assert time.monotonic() - started < 15
        conn.set_query_timeout(0)
        conn.set_attr({"resultSetMaxRows": 5})
        assert len(conn.execute("SELECT * FROM range(100)").fetchall()) == 5


SLOW = "SELECT SUM(LENGTH(CAST(i AS VARCHAR))) FROM range(100000000) t(i)"


def test_heartbeats_keep_a_long_statement_alive(server):
    # socket_timeout 1.5 s < statement time: only the Pong heartbeats keep pyexasol reading
    with connect(server.address[1], socket_timeout=1.5) as conn:
        conn.set_attr({"feedbackInterval": 1})
        started = time.monotonic()
        assert conn.execute(SLOW).fetchval() == "788888890"  # SUM: DECIMAL(36,0)
        elapsed = time.monotonic() - started
    if elapsed < 2:
        pytest.skip(f"the statement took {elapsed:.1f} s, too fast to show the heartbeat")
    # without heartbeats in time the same statement times pyexasol out
    conn = connect(server.address[1], socket_timeout=1.5)
    try:
        conn.set_attr({"feedbackInterval": 30})
        with pytest.raises(pyexasol.ExaCommunicationError):
            conn.execute(SLOW)
    finally:
        conn.close(disconnect=False)


def test_abort_query(server):
    import threading

    with connect(server.address[1]) as conn:
        timer = threading.Timer(1.0, conn.abort_query)
        timer.start()
        with pytest.raises(pyexasol.ExaQueryAbortError):
            conn.execute("SELECT COUNT(*) FROM range(100000000000) a")
        timer.join()
        assert conn.execute("SELECT 1").fetchval() == 1


def test_several_users_from_options(tmp_path):
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n", encoding="utf-8")
    with ExasolMockServer(users={"alice": "a-pass", "sys": "other"}) as srv:
        with connect(srv.address[1], user="alice", password="a-pass") as conn:
            assert conn.execute("SELECT 1").fetchval() == 1
        with connect(srv.address[1], user="sys", password="other"):
            pass
        refused(srv.address[1], user="sys", password="exasol")


# --- dbapi-mock exasol in another process ------------------------------------------------

def _start(*args: str, env=None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-m", "dbapi_conformance.mockservers", "exasol",
                             "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if sel.select(timeout=60):
            line = proc.stdout.readline()
            if line.startswith("exasol listening on "):
                return proc, line.split(" on ", 1)[1].strip()
        proc.kill()
        _, err = proc.communicate(timeout=10)
        raise AssertionError(f"dbapi-mock exasol did not start: {err}")
    finally:
        sel.close()


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate(timeout=10)
    return proc.returncode


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_dbapi_mock_exasol_subprocess(tls_files, tmp_path, tls):
    pw = tmp_path / "pw"
    pw.write_text("file-pass\n", encoding="utf-8")
    env = {**os.environ, "EXA_TEST_PW": "env-pass"}
    args = ["--user", "sys", "--password-env", "EXA_TEST_PW",
            "--user", "bob", "--password-file", str(pw)]
    if tls:
        args += ["--tls-cert", tls_files["cert"], "--tls-key", tls_files["key"]]
    proc, url = _start(*args, env=env)
    try:
        assert url.startswith("wss://" if tls else "ws://")
        port = int(url.rsplit(":", 1)[1])
        ca = tls_files["ca"] if tls else None
        with connect(port, tls_ca=ca, password="env-pass", compression=tls) as conn:
            scenario(conn, "sub")
        with connect(port, tls_ca=ca, user="bob", password="file-pass") as conn:
            assert conn.execute("SELECT 42").fetchval() == 42
        refused(port, tls_ca=ca, password="exasol")
    finally:
        assert _stop(proc) == 0


def test_dbapi_mock_exasol_refuses_bad_options(tmp_path):
    for args, text in ((["--user", "x"], "needs a password: a --password-env or --password-file"),
                       (["--password-env", "X"], "needs a --user"),
                       (["--tls-cert", str(tmp_path / "none.pem")], "go together")):
        proc = subprocess.run([sys.executable, "-m", "dbapi_conformance.mockservers",
                               "exasol", "--port", "0", *args], capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 2 and text in proc.stderr, proc.stderr


def test_a_failed_statement_rolls_back_only_itself(server):
    with connect(server.address[1], autocommit=False) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS stmt_rb")
        conn.execute("CREATE OR REPLACE TABLE r (id DECIMAL(18,0) NOT NULL)")
        conn.commit()
        conn.execute("INSERT INTO r VALUES (1)")
        stmt = conn.create_prepared_statement("INSERT INTO r VALUES (?)")
        stmt.execute_prepared([(2,), (3,)])
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute("SELECT * FROM missing_table")
        assert info.value.code == "42000"
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute("INSERT INTO r VALUES (NULL)")
        assert info.value.code == "27001"
        with pytest.raises(pyexasol.ExaRequestError):
            stmt.execute_prepared([(4,), (None,)])  # all rows of it or none
        stmt.close()
        conn.execute("INSERT INTO r VALUES (5)")
        assert conn.attr["openTransaction"] is True
        conn.commit()
        assert conn.execute("SELECT id FROM r ORDER BY id").fetchcol() == [1, 2, 3, 5]


@pytest.mark.parametrize(("sql", "code", "text"), [
    ("SELECT 1/0", "22012", "division by zero"),
    ("SELECT id / (id - id) FROM k", "22012", "division by zero"),
    ("SELECT CAST('abc' AS DECIMAL(10,2))", "22018", "invalid character value for cast"),
    ("INSERT INTO k VALUES (1, 'again')", "42X91", "constraint violation - primary key"),
    ("INSERT INTO k VALUES (NULL, 'x')", "27001", "constraint violation - not null"),
    ("CREATE TABLE k (a INT)", "42500", "object K already exists"),
    ("SELECT nope FROM k", "42000", "object NOPE not found"),
    ("SELECT nofunc(1)", "42000", "NOFUNC not found"),
])
def test_data_and_constraint_errors(server, sql, code, text):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS errcodes")
        conn.execute("CREATE OR REPLACE TABLE k (id DECIMAL(18,0) PRIMARY KEY, v VARCHAR(9))")
        conn.execute("INSERT INTO k VALUES (1, 'a')")
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute(sql)
        assert info.value.code == code and text in info.value.message
        assert conn.execute("SELECT 8 / 2").fetchval() == 4.0


@pytest.mark.parametrize("sql", [
    "DROP VIEW EXA_PARAMETERS", "DROP VIEW sys.exa_all_tables", "CREATE TABLE sys.x (a INT)",
    "DROP SCHEMA sys CASCADE", "INSERT INTO dual VALUES (TRUE)", "CREATE SCHEMA main",
])
def test_the_system_schema_is_read_only(server, sql):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS ro")
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute(sql)
        assert info.value.code == "42500"
    with connect(server.address[1]) as conn:  # every session still has its views
        assert conn.execute("SELECT COUNT(*) FROM exa_parameters").fetchval() > 2


def test_session_functions(server):
    with connect(server.address[1], user="sys") as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS fn_s")
        before = dt.datetime.now(dt.timezone.utc).date().isoformat()
        st = conn.execute("SELECT CURRENT_USER, CURRENT_SCHEMA, CURRENT_SESSION, SYSDATE, "
                          "CURRENT_TIMESTAMP, SYSTIMESTAMP")
        user, schema, session, day, now, systime = st.fetchone()
        assert (user, schema, session) == ("SYS", "FN_S", conn.session_id())
        assert st.column_names() == ["CURRENT_USER", "CURRENT_SCHEMA", "CURRENT_SESSION",
                                     "SYSDATE", "CURRENT_TIMESTAMP", "SYSTIMESTAMP"]
        assert day in (before, dt.datetime.now(dt.timezone.utc).date().isoformat())
        assert dt.datetime.fromisoformat(now) and dt.datetime.fromisoformat(systime)


def test_exa_metadata_and_numeric_overflow(server):
    with connect(server.address[1]) as conn:
        version = conn.execute("SELECT PARAM_VALUE FROM EXA_METADATA "
                               "WHERE PARAM_NAME = 'databaseProductVersion'").fetchval()
        assert version == conn.login_info["releaseVersion"] == "8.34.0"
        with pytest.raises(pyexasol.ExaQueryError) as info:
            conn.execute("SELECT CAST(12345678901234567890 AS DECIMAL(18,0))")
        assert info.value.code == "22003"


def test_a_database_file_keeps_tables_across_restarts(tmp_path):
    path = str(tmp_path / "exa.duckdb")
    with ExasolMockServer(database=path) as srv:
        with connect(srv.address[1]) as conn:
            conn.execute("CREATE SCHEMA keep")
            conn.execute("CREATE TABLE k (id DECIMAL(18,0))")
            conn.execute("INSERT INTO k VALUES (7)")
    with ExasolMockServer(database=path) as srv:
        with connect(srv.address[1], schema="keep") as conn:
            assert conn.execute("SELECT id FROM k").fetchall() == [(7,)]
            assert conn.execute("SELECT COUNT(*) FROM exa_parameters").fetchval() > 2


def test_the_empty_string_is_null(server):
    with connect(server.address[1]) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS empty_s")
        conn.execute("CREATE OR REPLACE TABLE e (id DECIMAL(18,0), v VARCHAR(5))")
        stmt = conn.create_prepared_statement("INSERT INTO e VALUES (?, ?)")
        stmt.execute_prepared([(1, ""), (2, "x")])
        stmt.close()
        assert conn.execute("SELECT id FROM e WHERE v IS NULL").fetchall() == [(1,)]
        assert conn.execute("SELECT v, '' FROM e ORDER BY id").fetchall() == [
            (None, None), ("x", None)]
