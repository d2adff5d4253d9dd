"""sys.health, sys.jobs, sys.jobs_log, information_schema.table_partitions and
pg_catalog.pg_type on the CrateDB mock, through the official client.

Reference values: crate/crate ``SysHealthITest`` (rows and the partition idents 04132 and
04134 of p = 1 and p = 2), ``docs/admin/system-information.rst`` (sys.jobs),
``docs/interfaces/postgres.rst`` (the 54 pg_type rows), ``PgCatalogITest`` (the oid of
pg_catalog, -68025646).
"""

from __future__ import annotations

import itertools

import pytest
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.cratedb.live import Jobs, partition_ident

_names = (f"st{i}" for i in itertools.count())


def _cols(cur) -> list[str]:
    return [d[0] for d in cur.description]


def test_sys_health_green_tables_and_partitions(cur):
    plain, parted = next(_names), next(_names)
    cur.execute(f"CREATE TABLE {plain} (id INT) WITH (number_of_replicas = 0)")
    cur.execute(f"CREATE TABLE {parted} (id INT, p INT) CLUSTERED INTO 2 SHARDS "
                "PARTITIONED BY (p) WITH (number_of_replicas = 0)")
    try:
        cur.execute(f"INSERT INTO {parted} (id, p) VALUES (1, 1), (2, 2), (3, 2)")
        cur.execute(f"REFRESH TABLE {parted}")
        cur.execute("SELECT * FROM sys.health WHERE table_name IN (?, ?) "
                    "ORDER BY table_name, partition_ident DESC", (plain, parted))
        assert _cols(cur) == ["health", "missing_shards", "partition_ident", "severity",
                              "table_name", "table_schema", "underreplicated_shards"]
        assert cur.fetchall() == [["GREEN", 0, None, 1, plain, "doc", 0],
                                  ["GREEN", 0, "04134", 1, parted, "doc", 0],
                                  ["GREEN", 0, "04132", 1, parted, "doc", 0]]
        cur.execute("SELECT table_name, partition_ident, values, number_of_shards, closed "
                    "FROM information_schema.table_partitions WHERE table_name IN (?, ?) "
                    "ORDER BY partition_ident", (plain, parted))
        assert cur.fetchall() == [[parted, "04132", {"p": 1}, 2, False],
                                  [parted, "04134", {"p": 2}, 2, False]]
        cur.execute(f"DROP TABLE {parted}")
        cur.execute("SELECT count(*) FROM sys.health WHERE table_name = ?", (parted,))
        assert cur.fetchall() == [[0]]
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {plain}")
        cur.execute(f"DROP TABLE IF EXISTS {parted}")


def test_partition_idents_as_cratedb_encodes_them():
    assert partition_ident(["1"]) == "04132"
    assert partition_ident(["2"]) == "04134"
    assert partition_ident([None]) == "0400"


def test_sys_jobs_shows_the_running_statement(server, cur):
    stmt = "select stmt, username, started from sys.jobs where stmt like 'sel% from %jobs%'"
    cur.execute(stmt)
    rows = cur.fetchall()
    assert [r[:2] for r in rows] == [[stmt, "crate"]]
    assert isinstance(rows[0][1], str) and rows[0][2] > 1_600_000_000_000  # epoch ms
    # a statement of another session, running now, is listed too (registered the way the
    # server registers every request, so that it stays running while the test looks)
    jobs = server._ctx.jobs
    other = jobs.start("SELECT 42", "alice", 4711)
    try:
        cur.execute("SELECT stmt, username, session_id, node['name'] = ? FROM sys.jobs "
                    "ORDER BY started", (server.node_name,))
        rows = cur.fetchall()
        assert ["SELECT 42", "alice", 4711, True] in rows
        assert len(rows) == 2
    finally:
        jobs.finish(other, "SELECT", None)
    cur.execute("SELECT count(*) FROM sys.jobs WHERE stmt = 'SELECT 42'")
    assert cur.fetchall() == [[0]]
    cur.execute("SELECT username, session_id FROM sys.jobs_log WHERE stmt = 'SELECT 42'")
    assert cur.fetchall() == [["alice", 4711]]


def test_sys_jobs_log_lists_finished_statements_with_errors(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT)")
    cur.execute(f"INSERT INTO {name} (id) VALUES (1)")
    with pytest.raises(crate_exc.ProgrammingError):
        cur.execute(f"SELECT * FROM {name}_missing")
    cur.execute(f"DROP TABLE {name}")
    cur.execute("SELECT stmt, error, classification['type'], classification, username "
                "FROM sys.jobs_log WHERE stmt LIKE ? ORDER BY started, ended", (f"%{name}%",))
    assert cur.fetchall() == [
        [f"CREATE TABLE {name} (id INT)", None, "DDL", {"type": "DDL", "labels": []}, "crate"],
        [f"INSERT INTO {name} (id) VALUES (1)", None, "INSERT",
         {"type": "INSERT", "labels": []}, "crate"],
        [f"SELECT * FROM {name}_missing", f"Relation '{name}_missing' unknown", "UNDEFINED",
         {"type": "UNDEFINED", "labels": []}, "crate"],
        [f"DROP TABLE {name}", None, "DDL", {"type": "DDL", "labels": []}, "crate"]]
    cur.execute("SELECT * FROM sys.jobs_log LIMIT 1")
    assert _cols(cur) == ["classification", "ended", "error", "id", "node", "session_id",
                          "started", "stmt", "username"]


def test_jobs_log_is_bounded_in_entries_and_text():
    jobs = Jobs(log_size=3, log_chars=10)
    for text in ["a", "b", "c", "d"]:
        jobs.finish(jobs.start(text, "crate", 1), "SELECT", None)
    assert [j.stmt for j in jobs.log()] == ["b", "c", "d"]
    jobs.finish(jobs.start("x" * 9, "crate", 1), "SELECT", None)
    assert [j.stmt for j in jobs.log()] == ["d", "x" * 9]
    assert jobs.running() == []


def test_pg_type_lists_cratedb_types(cur):
    cur.execute("SELECT oid, typname, typarray, typelem, typlen, typtype, typcategory "
                "FROM pg_catalog.pg_type ORDER BY oid")
    rows = cur.fetchall()
    assert len(rows) == 54
    assert rows[:3] == [[16, "bool", 1000, 0, 1, "b", "N"], [18, "char", 1002, 0, 1, "b", "S"],
                        [19, "name", -1, 0, 64, "b", "S"]]
    assert [30, "oidvector", 1013, 26, -1, "b", "A"] in rows
    assert [705, "unknown", 0, 0, -2, "p", "X"] in rows
    assert rows[-1] == [2951, "_uuid", 0, 2950, -1, "b", "A"]
    cur.execute("SELECT typname, typnamespace, typinput, typoutput, typreceive, typsend, "
                "typdelim, typbyval, typtypmod FROM pg_type WHERE oid IN (23, 1007, 2277) "
                "ORDER BY oid")
    assert cur.fetchall() == [
        ["int4", -68025646, "int4_in", "int4_out", "int4recv", "int4send", ",", True, -1],
        ["_int4", -68025646, "array_in", "array_out", "array_recv", "array_send", ",", True,
         -1],
        ["anyarray", -68025646, "array_in", "array_out", "anyarray_recv", "anyarray_send", ",",
         True, -1]]
    # what asyncpg/psycopg-style introspection reads: element types of array types
    cur.execute("SELECT t.typname, e.typname FROM pg_catalog.pg_type t "
                "JOIN pg_catalog.pg_type e ON e.oid = t.typelem "
                "WHERE t.typname IN ('_text', '_varchar') ORDER BY 1")
    assert cur.fetchall() == [["_text", "text"], ["_varchar", "varchar"]]
