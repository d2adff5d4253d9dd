"""The VoltDB mock under many concurrent voltdbclient connections, each asserting its own
values, and the mock run as ``dbapi-mock voltdb`` in a subprocess (harness/servers.py)."""

from __future__ import annotations

import decimal
import os
import threading

import pytest
import voltdbclient as v

from dbapi_conformance.harness.databases import get_database
from dbapi_conformance.harness.servers import start_mock_subprocess
from dbapi_conformance.mockservers.voltdb import MockServer

F = v.FastSerializer
S, BI, D = F.VOLTTYPE_STRING, F.VOLTTYPE_BIGINT, F.VOLTTYPE_DECIMAL


def _adhoc(c, sql, types=(), params=()):
    return v.VoltProcedure(c, "@AdHoc", [S, *types]).call([sql, *params])


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        c = F(*srv.address, connect_timeout=10, procedure_timeout=30)
        r = _adhoc(c, "CREATE TABLE shared (client BIGINT NOT NULL, n BIGINT NOT NULL, "
                      "label VARCHAR(40), amount DECIMAL, PRIMARY KEY (client, n))")
        assert r.status == 1, r.statusString
        c.close()
        yield srv


def _worker(address, client_id: int, rows: int, failures: list) -> None:
    try:
        c = F(*address, username=f"user{client_id}", password="x", connect_timeout=20,
              procedure_timeout=60)
        try:
            for n in range(rows):
                label = f"c{client_id}-n{n}-\u00e9"
                amount = decimal.Decimal(client_id) + decimal.Decimal(n) / 100
                proc = "SHARED.insert" if n % 2 else "shared.INSERT"
                r = v.VoltProcedure(c, proc, [BI, BI, S, D]).call(
                    [client_id, n, label, amount])
                assert r.status == 1 and r.tables[0].tuples == [[1]], r.statusString
            r = _adhoc(c, "SELECT n, label, amount FROM shared WHERE client = ? ORDER BY n",
                       [BI], [client_id])
            assert r.status == 1, r.statusString
            want = [[n, f"c{client_id}-n{n}-\u00e9",
                     (decimal.Decimal(client_id) + decimal.Decimal(n) / 100).quantize(
                         decimal.Decimal("1e-12"))] for n in range(rows)]
            assert r.tables[0].tuples == want
            r = v.VoltProcedure(c, "shared.select", [BI, BI]).call([client_id, rows - 1])
            assert r.tables[0].tuples[0][:3] == [client_id, rows - 1,
                                                 f"c{client_id}-n{rows - 1}-\u00e9"]
            # a failing call of this client rolls back only its own batch
            r = _adhoc(c, f"INSERT INTO shared VALUES ({client_id}, 1000, 'x', 0); "
                          f"INSERT INTO shared VALUES ({client_id}, 0, 'dup', 0)")
            assert r.status == -2
            r = _adhoc(c, "SELECT COUNT(*) FROM shared WHERE client = ?", [BI], [client_id])
            assert r.tables[0].tuples == [[rows]]
        finally:
            c.close()
    except BaseException as exc:  # noqa: BLE001 - reported by the test thread
        failures.append((client_id, repr(exc)))


def test_many_concurrent_clients_each_see_their_own_values(server):
    failures: list = []
    threads = [threading.Thread(target=_worker, args=(server.address, i, 15, failures))
               for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    assert failures == []
    c = F(*server.address, connect_timeout=10, procedure_timeout=30)
    try:
        r = _adhoc(c, "SELECT COUNT(*), COUNT(DISTINCT client) FROM shared")
        assert r.tables[0].tuples == [[24 * 15, 24]]
    finally:
        c.close()


def test_dbapi_mock_voltdb_subprocess(tmp_path):
    pwfile = tmp_path / "pw"
    pwfile.write_text("s3cret\n")
    endpoint, stop = start_mock_subprocess(
        get_database("voltdb"), arguments=["--user", "admin", "--password-file", str(pwfile)])
    try:
        assert endpoint.url.startswith("voltdb://127.0.0.1:")
        with pytest.raises(RuntimeError, match="Authentication failed"):
            F(endpoint.host, endpoint.port, username="admin", password="bad",
              connect_timeout=10)
        c = F(endpoint.host, endpoint.port, username="admin", password="s3cret",
              connect_timeout=10, procedure_timeout=30)
        try:
            assert _adhoc(c, "CREATE TABLE kv (k VARCHAR(10) NOT NULL, v BIGINT, "
                             "PRIMARY KEY (k))").status == 1
            assert _adhoc(c, "CREATE PROCEDURE getv AS SELECT v FROM kv WHERE k = ?").status == 1
            r = v.VoltProcedure(c, "KV.insert", [S, BI]).call(["pid", os.getpid()])
            assert r.status == 1
            r = v.VoltProcedure(c, "GETV", [S]).call(["pid"])
            assert r.status == 1 and r.tables[0].tuples == [[os.getpid()]]
            info = v.VoltProcedure(c, "@SystemInformation", [S]).call(["OVERVIEW"])
            values = {row[1]: row[2] for row in info.tables[0].tuples}
            assert values["CLIENTPORT"] == str(endpoint.port)
        finally:
            c.close()
    finally:
        stop()
