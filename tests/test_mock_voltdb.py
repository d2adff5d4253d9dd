"""The VoltDB mock through the official client, voltdbclient 16.1.0 (FastSerializer,
VoltProcedure): @AdHoc DDL, DML and queries with exact values of every type and NULLs,
multi-statement batches, constraint violations with their VoltException, unknown
procedures, parameter counts, CREATE PROCEDURE, the default CRUD procedures, and the
metadata system procedures (protocols/voltdb.md 4-6). The type round trips, arrays,
constraint violations, unknown procedures and CREATE PROCEDURE also run against the
``dbapi-mock voltdb`` command in a subprocess."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import itertools
import json
import struct
import time

import pytest
import voltdbclient as v
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbapi_conformance.drivers.wire.voltdb import decode_login_response, decode_response
from dbapi_conformance.harness.databases import get_database
from dbapi_conformance.harness.servers import start_mock_subprocess
from dbapi_conformance.mockservers.voltdb import MockServer

F = v.FastSerializer
S, I, BI = F.VOLTTYPE_STRING, F.VOLTTYPE_INTEGER, F.VOLTTYPE_BIGINT  # noqa: E741
_names = itertools.count()


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def command_server():
    """The mock as ``dbapi-mock voltdb --port 0`` in a subprocess."""
    endpoint, stop = start_mock_subprocess(get_database("voltdb"))
    try:
        yield endpoint.host, endpoint.port
    finally:
        stop()


#: Runs a test against the mock in-process and through ``dbapi-mock voltdb`` (the command).
BOTH_SERVERS = pytest.mark.parametrize("client", ["in-process", "dbapi-mock voltdb"],
                                       indirect=True)


@pytest.fixture
def client(request, server):
    if getattr(request, "param", "in-process") == "in-process":
        host, port = server.address
    else:
        host, port = request.getfixturevalue("command_server")
    c = F(host, port, connect_timeout=10, procedure_timeout=30)
    yield c
    c.close()


def call(c, proc, types=(), params=()):
    return v.VoltProcedure(c, proc, list(types)).call(list(params))


def adhoc(c, sql, types=(), params=()):
    return call(c, "@AdHoc", [S, *types], [sql, *params])


def ok(resp):
    assert resp.status == 1, (resp.status, resp.statusString)
    return resp


def table_name() -> str:
    return f"T{next(_names)}"


def test_login_without_auth_fills_the_login_response(server, client):
    assert client.hostId == 0 and client.connectionId >= 1
    assert client.buildString.startswith("voltdb-")
    other = F(*server.address, username="anyone", password="whatever", connect_timeout=10)
    try:
        assert other.connectionId != client.connectionId
        assert ok(call(other, "@Ping")).statusString == "SUCCESS"
    finally:
        other.close()


def test_ddl_returns_a_status_table_and_dml_counts(client):
    t = table_name()
    r = ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL, v VARCHAR(10), "
                         "PRIMARY KEY (id));"))
    assert [(c.name, c.type) for c in r.tables[0].columns] == [("STATUS", BI)]
    assert r.tables[0].tuples == [[0]]
    r = ok(adhoc(client, f"INSERT INTO {t} VALUES (?, ?)", [I, S], [1, "a"]))
    assert [c.name for c in r.tables[0].columns] == ["modified_tuples"]
    assert r.tables[0].tuples == [[1]]
    ok(adhoc(client, f"INSERT INTO {t} VALUES (2, 'b')"))
    r = ok(adhoc(client, f"UPDATE {t} SET v = 'z' WHERE id > ?", [I], [0]))
    assert r.tables[0].tuples == [[2]]
    r = ok(adhoc(client, f"DELETE FROM {t} WHERE id = 9"))
    assert r.tables[0].tuples == [[0]]
    r = ok(adhoc(client, f"UPSERT INTO {t} VALUES (2, 'up')"))
    assert r.tables[0].tuples == [[1]]
    r = ok(adhoc(client, f"SELECT id, v FROM {t} ORDER BY id"))
    assert [(c.name, c.type) for c in r.tables[0].columns] == [("ID", I), ("V", S)]
    assert r.tables[0].tuples == [[1, "z"], [2, "up"]]


EVERY = ("ti TINYINT, si SMALLINT, i INTEGER, bi BIGINT, f FLOAT, d DECIMAL, s VARCHAR(20), "
         "b VARBINARY(20), ts TIMESTAMP")
TYPES = [F.VOLTTYPE_TINYINT, F.VOLTTYPE_SMALLINT, I, BI, F.VOLTTYPE_FLOAT, F.VOLTTYPE_DECIMAL,
         S, F.VOLTTYPE_VARBINARY, F.VOLTTYPE_TIMESTAMP]


def _local_micros(ts: dt.datetime) -> int:
    # voltdbclient writes naive datetimes as local time (strftime("%s"), voltdb.md 9.7)
    return int(time.mktime(ts.timetuple())) * 1_000_000 + ts.microsecond


@BOTH_SERVERS
def test_every_type_and_null_round_trips_exactly(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, {EVERY})"))
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, 678901)
    rows = [
        [1, 127, 32767, 2147483647, 2 ** 63 - 1, 1.25e300, decimal.Decimal("12345678901234.5"),
         "h\u00e9llo \u2603", b"\x00\x01\xff", ts],
        [2, -127, -32767, -2147483647, -(2 ** 63) + 1, -0.5,
         decimal.Decimal("-0.000000000001"), "", b"", dt.datetime(1970, 1, 1, 0, 0, 1)],
        [3, None, None, None, None, None, None, None, None, None],
    ]
    for row in rows:
        ok(call(client, f"{t}.insert", [I, *TYPES], row))
    got = ok(adhoc(client, f"SELECT * FROM {t} ORDER BY id")).tables[0]
    assert [c.type for c in got.columns] == [I, *TYPES]
    assert [c.name for c in got.columns] == ["ID", "TI", "SI", "I", "BI", "F", "D", "S", "B",
                                             "TS"]
    for want, have in zip(rows, got.tuples):
        assert have[:7] == want[:7]
        assert have[7] == want[7]
        assert (None if have[8] is None else bytes(have[8])) == want[8]
        assert have[9] == want[9]
    micros = ok(adhoc(client, f"SELECT SINCE_EPOCH(MICROSECOND, ts) FROM {t} WHERE id = 1"))
    assert micros.tables[0].tuples == [[_local_micros(ts)]]
    assert micros.tables[0].columns[0].name == "C1"
    # NULLs compare as SQL NULLs on the server: three rows, one of them all NULL
    nulls = ok(adhoc(client, f"SELECT COUNT(*) FROM {t} WHERE ti IS NULL AND s IS NULL "
                             "AND d IS NULL AND ts IS NULL AND b IS NULL AND f IS NULL"))
    assert nulls.tables[0].tuples == [[1]]


def test_typed_null_parameters_and_decimal_scale(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id BIGINT NOT NULL PRIMARY KEY, d DECIMAL, s VARCHAR)"))
    ok(adhoc(client, f"INSERT INTO {t} VALUES (?, ?, ?)", [BI, F.VOLTTYPE_DECIMAL, S],
             [1, None, None]))
    ok(adhoc(client, f"INSERT INTO {t} VALUES (?, ?, ?)", [BI, F.VOLTTYPE_DECIMAL, S],
             [2, decimal.Decimal("1.5"), "x"]))
    got = ok(adhoc(client, f"SELECT d, s FROM {t} ORDER BY id")).tables[0]
    assert got.tuples == [[None, None], [decimal.Decimal("1.500000000000"), "x"]]
    assert got.tuples[1][0].as_tuple().exponent == -12


def test_multi_statement_batches_return_one_table_each_and_are_atomic(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, v INTEGER)"))
    r = ok(adhoc(client, f"INSERT INTO {t} VALUES (1, 10); INSERT INTO {t} VALUES (2, 20); "
                         f"SELECT v FROM {t} ORDER BY id; SELECT COUNT(*) AS n FROM {t}"))
    assert [tb.tuples for tb in r.tables] == [[[1]], [[1]], [[10], [20]], [[2]]]
    assert r.tables[3].columns[0].name == "N"
    # the second statement fails: the first one is rolled back with it
    bad = adhoc(client, f"INSERT INTO {t} VALUES (3, 30); INSERT INTO {t} VALUES (1, 0)")
    assert bad.status == -2 and "CONSTRAINT VIOLATION" in bad.statusString
    assert ok(adhoc(client, f"SELECT COUNT(*) FROM {t}")).tables[0].tuples == [[2]]


def test_batch_rules(client):
    t = table_name()
    r = adhoc(client, f"CREATE TABLE {t} (id INTEGER); SELECT 1")
    assert (r.status, r.statusString) == (-2, "DDL mixed with DML and queries is unsupported.")
    r = adhoc(client, "SELECT ?; SELECT ?", [I, I], [1, 2])
    assert r.status == -2 and r.statusString.startswith("The @AdHoc stored procedure when "
                                                        "called with more than one parameter")
    r = adhoc(client, " ; -- nothing\n")
    assert (r.status, r.statusString) == (-2, "Failed to plan, no SQL statement provided.")
    r = call(client, "@AdHoc")
    assert r.status == -2 and "requires at least the query parameter" in r.statusString
    r = adhoc(client, "SELECT ? + ?", [I], [1])
    assert (r.status, r.statusString) == (
        -2, "Incorrect number of parameters passed: expected 2, passed 1")


@BOTH_SERVERS
def test_constraint_violation_status_and_exception(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL, PRIMARY KEY (id))"))
    ok(adhoc(client, f"INSERT INTO {t} VALUES (1)"))
    r = adhoc(client, f"INSERT INTO {t} VALUES (?)", [I], [1])
    assert r.status == -2
    assert r.statusString.startswith("VOLTDB ERROR: CONSTRAINT VIOLATION\n  Constraint Type "
                                     f"PRIMARY_KEY, Table CatalogId {t}")
    assert r.exception is not None
    assert r.exception.type == v.VoltException.VOLTEXCEPTION_CONSTRAINTFAILURE
    assert r.exception.typestr == "Constraint Failure"
    assert r.exception.table_name == t and r.exception.constraint_type == 3
    r = adhoc(client, f"INSERT INTO {t} VALUES (NULL)")
    assert r.status == -2 and r.exception.constraint_type == 4  # NOT_NULL
    r = adhoc(client, "SELECT 1 / 0")
    assert r.status == -2 and r.statusString.startswith("VOLTDB ERROR: SQL ERROR")
    assert r.exception.typestr == "SQL Exception" and r.exception.sql_state_bytes == "22012"


@BOTH_SERVERS
def test_planner_errors_and_unknown_procedures(client):
    r = adhoc(client, "SELECT * FROM no_such_table")
    assert (r.status, r.statusString) == (
        -2, "user lacks privilege or object not found: NO_SUCH_TABLE")
    assert r.exception is None
    r = adhoc(client, "SELEC 1")
    assert r.status == -2 and r.statusString.startswith("unexpected token")
    r = call(client, "NoSuchProc", [I], [1])
    assert (r.status, r.statusString) == (-3, "Procedure NoSuchProc was not found")
    r = call(client, "@NoSuchSysproc")
    assert (r.status, r.statusString) == (-3, "Procedure @NoSuchSysproc was not found")


@BOTH_SERVERS
def test_create_procedure_call_partition_and_drop(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL, name VARCHAR(20), "
                     f"PRIMARY KEY (id)); PARTITION TABLE {t} ON COLUMN id;"))
    ok(adhoc(client, f"CREATE PROCEDURE {t}ByName AS SELECT id FROM {t} WHERE name = ? "
                     "ORDER BY id;"
                     f"PARTITION PROCEDURE {t}ByName ON TABLE {t} COLUMN id PARAMETER 0"))
    for row in ([1, "a"], [2, "b"], [3, "a"]):
        ok(call(client, f"{t}.insert", [I, S], row))
    r = ok(call(client, f"{t.lower()}BYNAME", [S], ["a"]))  # names are case-insensitive
    assert r.tables[0].tuples == [[1], [3]]
    r = call(client, f"{t}ByName", [S, S], ["a", "b"])
    assert (r.status, r.statusString) == (
        -2, f"PROCEDURE {t}ByName EXPECTS 1 PARAMS, BUT RECEIVED 2")
    procs = ok(call(client, "@SystemCatalog", [S], ["PROCEDURES"])).tables[0]
    row = next(p for p in procs.tuples if p[2] == f"{t}ByName")
    assert json.loads(row[6])["singlePartition"] is True
    ok(adhoc(client, f"DROP PROCEDURE {t}ByName"))
    assert call(client, f"{t}ByName", [S], ["a"]).status == -3
    r = adhoc(client, f"DROP PROCEDURE {t}ByName")
    assert r.status == -2


def test_default_crud_procedures(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL, v VARCHAR(5), PRIMARY KEY (id))"))
    assert ok(call(client, f"{t}.insert", [I, S], [1, "a"])).tables[0].tuples == [[1]]
    assert ok(call(client, f"{t.lower()}.INSERT", [I, S], [2, "b"])).tables[0].tuples == [[1]]
    r = ok(call(client, f"{t}.select", [I], [2]))
    assert r.tables[0].tuples == [[2, "b"]]
    assert ok(call(client, f"{t}.update", [I, S, I], [2, "bb", 2])).tables[0].tuples == [[1]]
    assert ok(call(client, f"{t}.upsert", [I, S], [3, "c"])).tables[0].tuples == [[1]]
    assert ok(call(client, f"{t}.delete", [I], [1])).tables[0].tuples == [[1]]
    rows = ok(adhoc(client, f"SELECT * FROM {t} ORDER BY id")).tables[0].tuples
    assert rows == [[2, "bb"], [3, "c"]]
    nopk = table_name()
    ok(adhoc(client, f"CREATE TABLE {nopk} (a INTEGER)"))
    assert ok(call(client, f"{nopk}.insert", [I], [5])).tables[0].tuples == [[1]]
    r = call(client, f"{nopk}.select", [I], [5])
    assert (r.status, r.statusString) == (-3, f"Procedure {nopk}.select was not found")


def test_varbinary_from_a_bytes_tinyint_array(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, b VARBINARY(8))"))
    # bytes with a non-VARBINARY declared type go as a TINYINT array (voltdb.md 3.3)
    ok(call(client, f"{t}.insert", [I, F.VOLTTYPE_TINYINT], [1, b"\x05\x06"]))
    got = ok(adhoc(client, f"SELECT b FROM {t}")).tables[0].tuples
    assert bytes(got[0][0]) == b"\x05\x06"


def test_system_catalog(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL, name VARCHAR(15), "
                     f"PRIMARY KEY (id)); PARTITION TABLE {t} ON COLUMN id"))
    tables = ok(call(client, "@SystemCatalog", [S], ["TABLES"])).tables[0]
    assert [c.name for c in tables.columns][:4] == ["TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME",
                                                     "TABLE_TYPE"]
    row = next(r for r in tables.tuples if r[2] == t)
    assert row[:4] == [None, None, t, "TABLE"]
    assert json.loads(row[4]) == {"partitionColumn": "ID"}
    cols = ok(call(client, "@SystemCatalog", [S], ["columns"])).tables[0]
    names = [c.name for c in cols.columns]
    mine = [dict(zip(names, r)) for r in cols.tuples if r[2] == t]
    assert [(c["COLUMN_NAME"], c["TYPE_NAME"], c["COLUMN_SIZE"], c["IS_NULLABLE"],
             c["ORDINAL_POSITION"], c["DATA_TYPE"]) for c in mine] == [
        ("ID", "INTEGER", 31, "NO", 1, 4), ("NAME", "VARCHAR", 15, "YES", 2, 12)]
    assert mine[0]["REMARKS"] == "PARTITION_COLUMN"
    pks = ok(call(client, "@SystemCatalog", [S], ["PRIMARYKEYS"])).tables[0]
    assert [(r[2], r[3], r[4]) for r in pks.tuples if r[2] == t] == [(t, "ID", 1)]
    pcols = ok(call(client, "@SystemCatalog", [S], ["PROCEDURECOLUMNS"])).tables[0]
    mine = [r for r in pcols.tuples if r[2] == f"{t}.insert"]
    assert [(r[3], r[6]) for r in mine] == [("PARAM0", "INTEGER"), ("PARAM1", "VARCHAR")]
    procs = ok(call(client, "@SystemCatalog", [S], ["PROCEDURES"])).tables[0]
    assert {f"{t}.insert", f"{t}.select", f"{t}.delete"} <= {r[2] for r in procs.tuples}
    assert call(client, "@SystemCatalog", [S], ["NOPE"]).status == -2


def test_system_information_statistics_explain_subscribe(server, client):
    info = ok(call(client, "@SystemInformation", [S], ["OVERVIEW"])).tables[0]
    assert [c.name for c in info.columns] == ["HOST_ID", "KEY", "VALUE"]
    values = {r[1]: r[2] for r in info.tuples}
    assert {r[0] for r in info.tuples} == {client.hostId}
    assert values["IPADDRESS"] == server.address[0]
    assert values["CLIENTPORT"] == str(server.address[1])
    assert values["VERSION"] == MockServer.version and values["BUILDSTRING"] == client.buildString
    topo = ok(call(client, "@Statistics", [S, I], ["TOPO", 0])).tables
    assert len(topo) == 2
    assert topo[0].tuples == [[0, "0:0", "0:0"], [16383, "0:0", "0:0"]]
    assert topo[1].tuples[0][0] == "ELASTIC"
    assert bytes(topo[1].tuples[0][1]) == bytes.fromhex("00000001 80000000 00000000")
    plan = ok(call(client, "@Explain", [S], ["SELECT 1"])).tables[0]
    assert plan.columns[0].name == "EXECUTION_PLAN" and plan.tuples[0][0]
    r = ok(call(client, "@Subscribe", [S], ["TOPOLOGY"]))
    assert r.tables == []
    r = call(client, "@Subscribe", [S], ["STUFF"])
    assert (r.status, r.statusString) == (-2, 'Parameter "STUFF" is not recognized/supported')


def test_system_information_without_a_selector_is_the_overview(client):
    r = ok(call(client, "@SystemInformation"))
    assert {row[1] for row in r.tables[0].tuples} >= {"IPADDRESS", "CLIENTPORT", "VERSION"}


def _dumped_frames(data: bytes) -> list[bytes]:
    """The frame bodies of a voltdbclient dump file: each frame it sent (``flush``) or read
    (``bufferForRead``), length prefix included, followed by a newline byte."""
    frames = []
    while data:
        (length,) = struct.unpack_from(">i", data)
        assert data[4 + length:5 + length] == b"\n", "each dumped frame ends with a newline"
        frames.append(data[4:4 + length])
        data = data[5 + length:]
    return frames


def _str(text: str) -> bytes:
    return struct.pack(">i", len(text)) + text.encode()


def test_dump_file_holds_the_login_and_invocation_bytes_exchanged(server, tmp_path):
    dump = tmp_path / "volt.dump"
    sql = "SELECT ? + 1 AS answer"
    c = F(*server.address, username="dumper", password="secret", dump_file_path=str(dump),
          connect_timeout=10, procedure_timeout=30)
    try:
        r = ok(adhoc(c, sql, [BI], [41]))
        assert r.tables[0].tuples == [[42]]
        login_seen = (c.hostId, c.connectionId, c.buildString)
    finally:
        c.close()
    frames = _dumped_frames(dump.read_bytes())
    assert len(frames) == 4  # login, its answer, the invocation, its answer
    login, login_answer, invocation, answer = frames
    # version 1, scheme 1 (SHA-256), service, user, raw digest (voltdb.md 2.1, 2.3)
    assert login == (b"\x01\x01" + _str("database") + _str("dumper")
                     + hashlib.sha256(b"secret").digest())
    got = decode_login_response(login_answer)
    assert got.status == 0
    assert (got.host_id, got.connection_id, got.build_string) == login_seen
    # version 0, "@AdHoc", handle 1, two parameters: STRING sql, BIGINT 41 (voltdb.md 3.1)
    assert invocation == (b"\x00" + _str("@AdHoc") + struct.pack(">qh", 1, 2)
                          + b"\x09" + _str(sql) + b"\x06" + struct.pack(">q", 41))
    got = decode_response(answer)
    assert (got.client_handle, got.status) == (1, 1)
    assert [t.rows for t in got.tables] == [[(42,)]]


def test_procedure_parameters_are_made_compatible_or_refused(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, "
                     "d DECIMAL, s VARCHAR(30), f FLOAT)"))
    # BIGINT into INTEGER, strings into numbers, anything into VARCHAR
    ok(call(client, f"{t}.insert", [BI, S, BI, I], [7, "2.5", 42, 3]))
    got = ok(call(client, f"{t}.select", [S], ["7"])).tables[0].tuples
    assert got == [[7, decimal.Decimal("2.500000000000"), "42", 3.0]]
    r = call(client, f"{t}.insert", [BI, S, S, F.VOLTTYPE_FLOAT], [6000000000, None, None, 1.0])
    assert (r.status, r.statusString) == (
        -2, "tryToMakeCompatible: The provided value: (6000000000) of type: java.lang.Long "
            "is not a match or is out of range for the target parameter type: int")
    r = call(client, f"{t}.insert", [F.VOLTTYPE_FLOAT, S, S, F.VOLTTYPE_FLOAT],
             [1.5, None, None, 1.0])
    assert r.status == -2 and "java.lang.Double" in r.statusString  # never rounded
    r = call(client, f"{t}.delete", [S], ["seven"])
    assert r.status == -2 and "Unable to convert string seven" in r.statusString
    assert ok(adhoc(client, f"SELECT COUNT(*) FROM {t}")).tables[0].tuples == [[1]]


def test_varchar_and_varbinary_lengths_are_enforced(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(3), "
                     "b VARBINARY(2))"))
    ok(call(client, f"{t}.insert", [I, S, F.VOLTTYPE_VARBINARY], [1, "\u00e9\u00e9\u00e9", b"ab"]))
    r = call(client, f"{t}.insert", [I, S, F.VOLTTYPE_VARBINARY], [2, "abcd", None])
    assert r.status == -2 and r.statusString.startswith("VOLTDB ERROR: SQL ERROR")
    assert "VARCHAR(3)" in r.statusString and r.exception.sql_state_bytes == "22001"
    r = call(client, f"{t}.insert", [I, S, F.VOLTTYPE_VARBINARY], [3, None, b"abc"])
    assert r.status == -2 and "VARBINARY(2)" in r.statusString
    assert ok(adhoc(client, f"SELECT COUNT(*) FROM {t}")).tables[0].tuples == [[1]]


def test_results_are_bounded(client):
    from dbapi_conformance.mockservers.voltdb import translate as vtranslate

    assert vtranslate.MAX_RESULT_ROWS == 500_000
    r = adhoc(client, "SELECT * FROM range(600000) AS r")
    assert (r.status, r.tables) == (-2, [])
    assert r.statusString.startswith("Output from SQL stmt overflowed output/network buffer")
    r = ok(adhoc(client, "SELECT * FROM range(100000) AS r ORDER BY 1 DESC"))
    assert len(r.tables[0].tuples) == 100000 and r.tables[0].tuples[0] == [99999]


@BOTH_SERVERS
def test_array_parameters_for_in_lists(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, s VARCHAR(5), "
                     "f FLOAT, d DECIMAL)"))
    for i in range(1, 6):
        ok(call(client, f"{t}.insert", [I, S, F.VOLTTYPE_FLOAT, F.VOLTTYPE_DECIMAL],
                [i, f"s{i}", i / 4, decimal.Decimal(i) / 8]))
    r = ok(adhoc(client, f"SELECT id FROM {t} WHERE id IN ? ORDER BY id", [I], [[1, 3, 9]]))
    assert r.tables[0].tuples == [[1], [3]]
    r = ok(adhoc(client, f"SELECT id FROM {t} WHERE s IN ? ORDER BY id", [S], [["s2", "s5"]]))
    assert r.tables[0].tuples == [[2], [5]]
    r = ok(adhoc(client, f"SELECT id FROM {t} WHERE f IN ? ORDER BY id",
                 [F.VOLTTYPE_FLOAT], [[0.5, 1.25]]))
    assert r.tables[0].tuples == [[2], [5]]
    r = ok(adhoc(client, f"SELECT id FROM {t} WHERE d IN ? ORDER BY id",
                 [F.VOLTTYPE_DECIMAL], [[decimal.Decimal("0.125"), decimal.Decimal("0.5")]]))
    assert r.tables[0].tuples == [[1], [4]]
    r = ok(adhoc(client, f"SELECT id FROM {t} WHERE id NOT IN ? ORDER BY id", [BI],
                 [[1, 2, 3, 4]]))
    assert r.tables[0].tuples == [[5]]


def test_drop_table_if_exists_and_ddl_errors(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (a INTEGER)"))
    r = adhoc(client, f"CREATE TABLE {t} (a INTEGER)")
    assert r.status == -2 and t in r.statusString
    ok(adhoc(client, f"DROP TABLE {t} IF EXISTS"))
    ok(adhoc(client, f"DROP TABLE {t} IF EXISTS"))
    assert adhoc(client, f"SELECT * FROM {t}").status == -2
    r = adhoc(client, f"DROP TABLE {t}; CREATE TABLE {t} (a INTEGER)")
    assert r.status == -2 and "both DROP and CREATE" in r.statusString
    # a failing DDL batch leaves nothing behind
    r = adhoc(client, f"CREATE TABLE {t} (a INTEGER); CREATE PROCEDURE {t}p AS SELECT * FROM "
                      f"{t}; CREATE TABLE {t}x (a NOSUCHTYPE)")
    assert r.status == -2
    assert adhoc(client, f"SELECT * FROM {t}").status == -2
    assert call(client, f"{t}p").status == -3


def test_geography_point_and_date_columns(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, p GEOGRAPHY_POINT, "
                     "d DATE)"))
    ok(call(client, f"{t}.insert", [I, F.VOLTTYPE_GEOGRAPHY_POINT, F.VOLTTYPE_DATE],
            [1, (1.5, -2.25), dt.date(2024, 2, 29)]))
    ok(call(client, f"{t}.insert", [I, F.VOLTTYPE_GEOGRAPHY_POINT, F.VOLTTYPE_DATE],
            [2, None, None]))
    got = ok(adhoc(client, f"SELECT p, d FROM {t} ORDER BY id")).tables[0]
    assert [c.type for c in got.columns] == [F.VOLTTYPE_GEOGRAPHY_POINT, F.VOLTTYPE_DATE]
    assert got.tuples == [[(1.5, -2.25), dt.date(2024, 2, 29)], [None, None]]
    cols = ok(call(client, "@SystemCatalog", [S], ["COLUMNS"])).tables[0]
    assert [r[5] for r in cols.tuples if r[2] == t] == ["INTEGER", "GEOGRAPHY_POINT", "DATE"]


@pytest.mark.parametrize("column_type", ["BOOLEAN", "JSON", "TIME", "UUID", "INTEGER[]"])
def test_column_types_voltdb_lacks_are_refused(client, column_type):
    t = table_name()
    r = adhoc(client, f"CREATE TABLE {t} (a {column_type})")
    assert r.status == -2
    assert r.statusString.startswith("type not found or user lacks privilege: ")
    assert adhoc(client, f"SELECT * FROM {t}").status == -2


def test_responses_carry_round_trip_and_no_app_status(client):
    r = ok(adhoc(client, "SELECT 1 AS one"))
    assert r.roundtripTime >= 0 and r.appStatus is None and r.appStatusString is None
    assert r.statusString is None and r.exception is None and r.clientHandle == 1


_ROW = st.tuples(
    st.one_of(st.none(), st.integers(-127, 127)),
    st.one_of(st.none(), st.integers(-32767, 32767)),
    st.one_of(st.none(), st.integers(-2 ** 31 + 1, 2 ** 31 - 1)),
    st.one_of(st.none(), st.integers(-2 ** 63 + 1, 2 ** 63 - 1)),
    st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300)),
    st.one_of(st.none(), st.decimals(min_value=decimal.Decimal("-1e25"),
                                     max_value=decimal.Decimal("1e25"), places=12,
                                     allow_nan=False, allow_infinity=False)),
    st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",),
                                               blacklist_characters="\x00"), max_size=30)),
    st.one_of(st.none(), st.binary(max_size=30)),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_ROW, min_size=1, max_size=4))
def test_random_rows_round_trip_through_the_mock(client, rows):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, ti TINYINT, "
                     "si SMALLINT, i INTEGER, bi BIGINT, f FLOAT, d DECIMAL, s VARCHAR, "
                     "b VARBINARY)"))
    types = [I, *TYPES[:8]]
    for n, row in enumerate(rows):
        ok(call(client, f"{t}.insert", types, [n, *row]))
    got = ok(adhoc(client, f"SELECT * FROM {t} ORDER BY id")).tables[0].tuples
    for row, have in zip(rows, got):
        have = have[1:8] + [None if have[8] is None else bytes(have[8])]
        assert have == list(row)
    ok(adhoc(client, f"DROP TABLE {t}"))


def test_adhoc_values_for_columns_are_made_compatible_or_refused(client):
    t = table_name()
    ok(adhoc(client, f"CREATE TABLE {t} (id INTEGER NOT NULL PRIMARY KEY, n SMALLINT, "
                     "s VARCHAR(10))"))
    ok(adhoc(client, f"INSERT INTO {t} VALUES (?, ?, ?)", [BI, S, I], [1, "12", 34]))
    ok(adhoc(client, f"INSERT INTO {t} (s, id) VALUES (?, ?)", [S, S], ["x", "2"]))
    rows = ok(adhoc(client, f"SELECT * FROM {t} ORDER BY id")).tables[0].tuples
    assert rows == [[1, 12, "34"], [2, None, "x"]]
    r = adhoc(client, f"INSERT INTO {t} VALUES (?, ?, ?)", [F.VOLTTYPE_FLOAT, I, S],
              [3.5, 1, "y"])
    assert r.status == -2 and "java.lang.Double" in r.statusString and "int" in r.statusString
    r = adhoc(client, f"UPDATE {t} SET n = ? WHERE id = ?", [I, I], [40000, 1])
    assert r.status == -2 and "type: short" in r.statusString
    assert ok(adhoc(client, f"SELECT n FROM {t} WHERE id = 1")).tables[0].tuples == [[12]]
