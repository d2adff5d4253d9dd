"""Ignite SQL (Calcite) to DuckDB in the Ignite 3 mock (mockservers/ignite/dialect.py), and
the mock run in-process for what needs no official client: handshake timeout, a DuckDB file
that survives a restart, the SYSTEM views after it."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ignitemock import RawClient, closed_by_peer  # noqa: E402

from dbapi_conformance.drivers.wire import ignite as w  # noqa: E402
from dbapi_conformance.mockservers.ignite import dialect  # noqa: E402
from dbapi_conformance.mockservers.ignite.server import MockServer  # noqa: E402


def test_unquoted_identifiers_are_upper_cased_and_expressions_named():
    st = dialect.translate('select id, "Mixed", a + 1, b AS c FROM t', "memory")
    assert st.kind == dialect.QUERY
    assert st.sql == 'SELECT "ID", "Mixed", "A" + 1 AS "EXPR$2", "B" AS "C" FROM "T"'


def test_system_schema_is_qualified_with_the_catalog():
    st = dialect.translate("SELECT * FROM system.tables", "db")
    assert st.sql == 'SELECT * FROM "db"."SYSTEM"."TABLES"'


def test_create_table_tails_and_primary_key_rule():
    st = dialect.translate('CREATE TABLE IF NOT EXISTS s.t (id INT, k VARCHAR(10), '
                           'PRIMARY KEY (id, k)) COLOCATE BY (id) ZONE "myZone" '
                           "STORAGE PROFILE 'default'")
    assert (st.kind, st.table, st.zone, st.colocation, st.if_not_exists) == (
        dialect.DDL, ("S", "T"), "myZone", ("ID",), True)
    assert "COLOCATE" not in st.sql and '"K" TEXT' in st.sql
    with pytest.raises(dialect.DialectError) as info:
        dialect.translate("CREATE TABLE t (a INT)")
    assert info.value.kind == "validation"
    with pytest.raises(dialect.DialectError):
        dialect.translate("CREATE TABLE t (a INT PRIMARY KEY) BOGUS CLAUSE")


@pytest.mark.parametrize("sql, kind", [
    ("INSERT INTO t VALUES (?)", dialect.DML), ("UPDATE t SET a = 1", dialect.DML),
    ("DELETE FROM t", dialect.DML), ("DROP TABLE t", dialect.DDL),
    ("START TRANSACTION", dialect.TX), ("COMMIT", dialect.TX),
    ("CREATE ZONE z WITH PARTITIONS=2", dialect.ZONE), ("VALUES (1)", dialect.QUERY),
    ("EXPLAIN PLAN FOR SELECT 1", dialect.EXPLAIN), ("explain select 1", dialect.EXPLAIN),
])
def test_statement_kinds(sql, kind):
    assert dialect.translate(sql).kind == kind


@pytest.mark.parametrize("sql", ["SET threads = 4", "PRAGMA version", "SHOW TABLES",
                                 "COPY t TO 'x.csv'",
                                 "EXPLAIN CREATE TABLE t (a INT PRIMARY KEY)"])
def test_statements_ignite_lacks_are_parse_errors(sql):
    with pytest.raises(dialect.DialectError, match="Failed to parse query") as info:
        dialect.translate(sql)
    assert info.value.kind == "parse"


def test_numbered_insert_placeholders():
    sql = dialect.translate("INSERT INTO t (a, b) VALUES (?, ? + 1)").sql
    assert dialect.numbered_insert(sql) == 'INSERT INTO "T" ("A", "B") VALUES ($1, $2 + 1)'
    assert dialect.numbered_insert(dialect.translate("UPDATE t SET a = ?").sql) is None
    assert dialect.numbered_insert('INSERT INTO "T" VALUES (?), (?)') is None


def test_zone_statements_and_scripts():
    z = dialect.zone_statement("CREATE ZONE IF NOT EXISTS zz WITH PARTITIONS=4, REPLICAS=2")
    assert z == dialect.ZoneStatement("CREATE", "ZZ", True, 4, 2)
    assert dialect.zone_statement("SELECT 1") is None
    assert dialect.split_script("SELECT ';'; -- x;\nSELECT 2;;") == ["SELECT ';'",
                                                                    "-- x;\nSELECT 2"]
    with pytest.raises(dialect.DialectError, match="Multiple statements"):
        dialect.translate("SELECT 1; SELECT 2")


def test_a_silent_client_is_closed_after_the_handshake_timeout():
    with MockServer(handshake_timeout=0.5) as server:
        host, port = server.address
        sock = socket.create_connection((host, port), timeout=10)
        started = time.monotonic()
        assert closed_by_peer(sock, timeout=10)
        assert time.monotonic() - started < 5
        sock.close()
        client = RawClient(port)  # others still get in
        assert isinstance(client.hello, w.HandshakeResponse)
        assert client.hello.cluster_ids and client.hello.server_version[:3] == (3, 1, 0)
        client.close()


def test_a_database_file_survives_a_restart(tmp_path):
    path = str(tmp_path / "ignite.duckdb")
    with MockServer(database=path) as server:
        client = RawClient(server.address[1])
        client.sql("CREATE TABLE kept (id INT PRIMARY KEY, v VARCHAR) ZONE \"Default\"")
        client.sql("INSERT INTO kept VALUES (1, 'one')")
        client.close()
    with MockServer(database=path) as server:
        client = RawClient(server.address[1])
        assert client.sql("SELECT v FROM kept").rows == [("one",)]
        assert client.sql("SELECT table_name FROM system.tables").rows == [("KEPT",)]
        client.close()
