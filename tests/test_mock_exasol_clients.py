"""The Exasol mock driven by the other official PEP 249 modules: pyexasol's DB-API module
``exasol.driver.websocket.dbapi2`` and the seed's ``EXASOL`` (PyPI EXASOL-DB-API)."""

from __future__ import annotations

import datetime as dt
import decimal
import os
import ssl
import sys
import time
from pathlib import Path

os.environ.setdefault("EXASOL_TELEMETRY_DISABLE", "1")  # before pyexasol is imported
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the tests' helper modules

import pytest  # noqa: E402
import trustme  # noqa: E402
from exasol.driver.websocket import dbapi2  # noqa: E402
from exasolmock import sessions_closed  # noqa: E402

from dbapi_conformance.mockservers.exasol import ExasolMockServer  # noqa: E402

D = decimal.Decimal


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    root = tmp_path_factory.mktemp("exasol-clients-tls")
    cert.cert_chain_pems[0].write_to_path(root / "cert.pem")
    cert.private_key_pem.write_to_path(root / "key.pem")
    return str(root / "cert.pem"), str(root / "key.pem")


@pytest.fixture(scope="module")
def server():
    with ExasolMockServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def tls_server(tls_files):
    with ExasolMockServer(tls_cert=tls_files[0], tls_key=tls_files[1]) as srv:
        yield srv


@pytest.fixture(scope="module")
def EXASOL():  # noqa: N802 - the module's own name
    # EXASOL-DB-API 6.0.0 times every request with time.clock, which Python 3.8 removed;
    # without this shim it cannot run on any current Python (a client defect, not the mock's)
    if not hasattr(time, "clock"):
        time.clock = time.perf_counter
    import EXASOL as module

    return module


# --- exasol.driver.websocket.dbapi2 ------------------------------------------------------


@pytest.fixture(autouse=True)
def _sessions_closed(request):
    yield from sessions_closed(request, "server", "tls_server")


@pytest.mark.parametrize("tls", [False, True], ids=["ws", "wss"])
def test_pyexasol_dbapi2_module(server, tls_server, tls):
    port = (tls_server if tls else server).address[1]
    con = dbapi2.connect(dsn=f"127.0.0.1:{port}", username="sys", password="exasol",
                         tls=tls, certificate_validation=False)
    try:
        cur = con.cursor()
        schema = f"dbapi2_{int(tls)}"
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cur.execute(f"CREATE OR REPLACE TABLE {schema}.t (id DECIMAL(18,0), v VARCHAR(10), "
                    "x DOUBLE, a DECIMAL(10,2), d DATE, ts TIMESTAMP, b BOOLEAN)")
        cur.execute(f"INSERT INTO {schema}.t VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (1, "a", 1.5, D("2.25"), dt.date(2024, 1, 2),
                     dt.datetime(2024, 1, 2, 3, 4, 5, 678000), True))
        cur.executemany(f"INSERT INTO {schema}.t VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [(2, "b", 2, "3.5", None, None, False),
                         (3, None, 3.0, 4, None, None, None)])
        assert cur.rowcount == 2
        cur.execute(f"SELECT * FROM {schema}.t WHERE id > ? ORDER BY id", (0,))
        assert [d[0] for d in cur.description] == ["ID", "V", "X", "A", "D", "TS", "B"]
        assert [d[1].value for d in cur.description] == [
            "DECIMAL", "VARCHAR", "DOUBLE", "DECIMAL", "DATE", "TIMESTAMP", "BOOLEAN"]
        assert list(cur.fetchall()) == [
            (1, "a", 1.5, D("2.25"), dt.date(2024, 1, 2),
             dt.datetime(2024, 1, 2, 3, 4, 5, 678000), True),
            (2, "b", 2.0, D("3.5"), None, None, False),
            (3, None, 3.0, D(4), None, None, None)]
        cur.execute("SELECT * FROM range(2500) ORDER BY 1")
        assert [r[0] for r in cur.fetchall()] == list(range(2500))
        with pytest.raises(dbapi2.ProgrammingError):
            cur.execute("SELECT * FROM no_such_table")
        cur.close()
    finally:
        con.close()


def test_pyexasol_dbapi2_transactions(server):
    port = server.address[1]
    con = dbapi2.connect(dsn=f"127.0.0.1:{port}", username="sys", password="exasol",
                         tls=False, autocommit=False)
    try:
        other = dbapi2.connect(dsn=f"127.0.0.1:{port}", username="sys", password="exasol",
                               tls=False)
    except BaseException:
        con.close()
        raise
    try:
        cur, seen = con.cursor(), other.cursor()
        cur.execute("CREATE SCHEMA IF NOT EXISTS dbapi2_tx")
        cur.execute("CREATE OR REPLACE TABLE dbapi2_tx.t (id DECIMAL(18,0))")
        con.commit()
        cur.execute("INSERT INTO dbapi2_tx.t VALUES (?)", (1,))
        seen.execute("SELECT COUNT(*) FROM dbapi2_tx.t")
        assert seen.fetchone() == (0,)
        con.rollback()
        cur.execute("INSERT INTO dbapi2_tx.t VALUES (?)", (2,))
        con.commit()
        seen.execute("SELECT id FROM dbapi2_tx.t")
        assert list(seen.fetchall()) == [(2,)]
    finally:
        con.close()
        other.close()


# --- EXASOL (EXASOL-DB-API 6.0.0), the seed's examples -----------------------------------

@pytest.mark.parametrize("compression", [False, True], ids=["plain", "compressed"])
def test_seed_examples_over_ws(server, EXASOL, compression):  # noqa: N803
    url = f"ws://127.0.0.1:{server.address[1]}"
    with EXASOL.connect(url, "sys", "exasol", useCompression=compression) as conn:
        with conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS seed_{int(compression)}")
            cur.execute("CREATE OR REPLACE TABLE t (id DECIMAL(18,0), name VARCHAR(20), "
                        "price DECIMAL(10,2))")
            cur.executemany("INSERT INTO t VALUES (?, ?, ?)",
                            [(i, f"n{i}", f"{i}.5") for i in range(1, 1501)])
            assert cur.rowcount == 1500
            cur.execute("INSERT INTO t VALUES (?, ?, ?)", 0, "zero", "0")
        conn.commit()  # EXASOL connects with autocommit off
        with conn.cursor() as cur:
            cur.execute("SELECT id, name, price FROM t ORDER BY id")
            assert cur.rowcount == 1501
            rows = [tuple(row) for row in cur]
        assert rows[:2] == [(0, "zero", "0"), (1, "n1", "1.5")]
        assert len(rows) == 1501 and rows[-1] == (1500, "n1500", "1500.5")


def test_seed_examples_over_wss(tls_server, EXASOL):  # noqa: N803
    url = f"wss://127.0.0.1:{tls_server.address[1]}"
    with EXASOL.connect(url, "sys", "exasol", sslopt={"cert_reqs": ssl.CERT_NONE}) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT parameter_name FROM exa_parameters "
                        "WHERE parameter_name LIKE 'NLS_DATE%' ORDER BY 1")
            assert [row[0] for row in cur] == ["NLS_DATE_FORMAT", "NLS_DATE_LANGUAGE"]


def test_seed_errors(server, EXASOL):  # noqa: N803
    url = f"ws://127.0.0.1:{server.address[1]}"
    with EXASOL.connect(url, "sys", "exasol") as conn:
        with conn.cursor() as cur:
            with pytest.raises(EXASOL.OperationalError, match=r"\[42000\] no schema"):
                cur.execute("SELECT * FROM nope")
            with pytest.raises(EXASOL.OperationalError,
                               match=r"\[42000\] object (SYS\.)?NOPE not found"):
                cur.execute("SELECT * FROM sys.nope")
            cur.execute("SELECT 7")
            assert list(cur.fetchone()) == [7]
