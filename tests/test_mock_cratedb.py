"""The CrateDB mock server driven by the official client, ``crate`` (crate-python 2.3).

The official client is the arbiter (design.md): every test asserts on the values it gets
back. Reference values of sys.summits: cratedb.md 5.7.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools

import pytest
import trustme
from crate import client  # noqa: E402  (declared test dependency)
from crate.client import exceptions as crate_exc  # noqa: E402

from dbapi_conformance.mockservers.cratedb import MockServer  # noqa: E402

_names = (f"t{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def conn(server):
    c = client.connect(server.url, timeout=10)
    yield c
    c.close()


@pytest.fixture
def cur(conn):
    return conn.cursor()


@pytest.fixture
def table(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, name TEXT) "
                "CLUSTERED INTO 1 SHARDS WITH (number_of_replicas = 0)")
    yield name
    cur.execute(f"DROP TABLE IF EXISTS {name}")


def test_connect_reads_server_version(server, conn):
    assert server.version == "6.4.1"
    assert conn.lowest_server_version.version[:3] == (6, 4, 1)


def test_sys_cluster_name(cur):
    cur.execute("SELECT name FROM sys.cluster")
    assert cur.fetchall() == [["crate"]]
    assert [d[0] for d in cur.description] == ["name"]
    assert cur.rowcount == 1


def test_current_user_schema_and_cluster(cur):
    cur.execute("SELECT current_user, current_schema, name FROM sys.cluster")
    assert cur.fetchall() == [["crate", "doc", "crate"]]
    assert [d[0] for d in cur.description] == ["current_user", "current_schema", "name"]


def test_sys_summits_select_star(cur):
    cur.execute("SELECT * FROM sys.summits")
    rows = cur.fetchall()
    assert len(rows) == 1605
    cols = [d[0] for d in cur.description]
    assert cols == ["classification", "coordinates", "country", "first_ascent", "height",
                    "mountain", "prominence", "range", "region"]
    mont_blanc = dict(zip(cols, rows[0]))
    assert mont_blanc == {
        "classification": "I/B-07.V-B", "coordinates": [6.86444, 45.8325],
        "country": "FR/IT", "first_ascent": 1786, "height": 4808, "mountain": "Mont Blanc",
        "prominence": 4695, "range": "U-Savoy/Aosta", "region": "Mont Blanc massif"}


def test_sys_summits_reference_values(cur):
    cur.execute("SELECT sum(height), count(*) FROM sys.summits")
    assert cur.fetchall() == [[4513129, 1605]]
    cur.execute("SELECT mountain, height FROM sys.summits ORDER BY height DESC LIMIT 3")
    assert cur.fetchall() == [["Mont Blanc", 4808], ["Monte Rosa", 4634], ["Dom", 4545]]
    cur.execute("SELECT country, count(*) AS n FROM sys.summits GROUP BY country "
                "ORDER BY n DESC, country LIMIT 6")
    assert cur.fetchall() == [["IT", 436], ["AT", 401], ["CH", 320], ["FR", 240],
                              ["CH/IT", 60], ["FR/IT", 43]]
    cur.execute("SELECT count(*) FROM sys.summits WHERE first_ascent IS NOT NULL")
    assert cur.fetchall() == [[600]]
    cur.execute("SELECT height FROM sys.summits WHERE country = 'AT' "
                "ORDER BY height DESC LIMIT 2")
    assert cur.fetchall() == [[3798], [3770]]
    cur.execute("SELECT mountain FROM sys.summits ORDER BY mountain LIMIT 3")
    assert cur.fetchall() == [["Acherkogel"], ["Ackerlspitze"], ["Adamello"]]


def test_client_tool_status_queries(cur):
    cur.execute("SELECT description AS \"Failed Check\" FROM sys.checks "
                "WHERE passed = false ORDER BY id ASC")
    assert cur.fetchall() == []
    cur.execute("\n  SELECT description as \"Failed Check\", count(*) as \"Number of Nodes\"\n"
                "  FROM sys.node_checks\n  WHERE passed = false AND acknowledged = false\n"
                "  GROUP BY description\n  ORDER BY description asc")
    assert cur.fetchall() == []
    cur.execute("select count(*) as number_of_shards, cast(sum(num_docs) as long) as "
                "number_of_records from sys.shards where \"primary\" = true")
    assert len(cur.fetchall()) == 1
    cur.execute("select count(*) as number_of_nodes from sys.nodes")
    assert cur.fetchall() == [[1]]
    cur.execute("SELECT name, hostname, version['number'], heap['max'], "
                "os_info['available_processors'] FROM sys.nodes")
    (row,) = cur.fetchall()
    assert row[2] == "6.4.1" and row[3] > 0 and row[4] >= 1
    assert [d[0] for d in cur.description][2] == "version['number']"
    cur.execute("SELECT word FROM pg_catalog.pg_get_keywords()")
    assert ["select"] in cur.fetchall()


def test_ddl_insert_select_drop(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (?, ?)", (1, "one"))
    assert cur.rowcount == 1
    assert cur.fetchall() == [[]]  # row-count responses carry one empty row
    cur.execute(f"REFRESH TABLE {table}")
    assert cur.rowcount == 1
    cur.execute(f"SELECT id, name FROM {table}")
    assert cur.fetchall() == [[1, "one"]]
    cur.execute(f"CREATE TABLE IF NOT EXISTS {table} (id INT)")
    assert cur.rowcount == 0
    cur.execute(f"DROP TABLE {table}")
    assert cur.rowcount == 1
    with pytest.raises(crate_exc.ProgrammingError, match="RelationUnknown"):
        cur.execute(f"SELECT * FROM {table}")
    cur.execute(f"DROP TABLE IF EXISTS {table}")
    assert cur.rowcount == 0


def test_information_schema_lookups(cur, table):
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
                "AND table_type = 'BASE TABLE' ORDER BY table_name ASC, table_schema ASC",
                ("doc",))
    assert [table] in cur.fetchall()
    cur.execute("SELECT table_schema as schema, table_name as name, table_type as type, "
                "number_of_shards as primary_shards, number_of_replicas as replicas "
                "FROM information_schema.tables WHERE table_schema NOT IN "
                "('sys', 'information_schema', 'pg_catalog') AND table_type != 'VIEW' "
                "ORDER BY 1")
    assert ["doc", table, "BASE TABLE", 1, "0-1"] in cur.fetchall()
    cur.execute("SELECT column_name, data_type, ordinal_position, is_nullable "
                "FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", (table,))
    assert cur.fetchall() == [["id", "integer", 1, "NO"], ["name", "text", 2, "YES"]]
    cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'sys'")
    assert cur.fetchone()[0] >= 6


def test_executemany_duplicate_key_item(cur, table):
    results = cur.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                              [(1, "a"), (1, "dup"), (2, "b")])
    assert results[0] == {"rowcount": 1}
    assert results[1]["rowcount"] == -2
    assert results[1]["error"]["code"] == 4091
    assert "DuplicateKeyException" in results[1]["error"]["message"]
    assert results[2] == {"rowcount": 1}
    assert cur.rowcount == 2
    cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
    assert cur.fetchall() == [[1, "a"], [2, "b"]]


def test_executemany_update_and_delete(cur, table):
    cur.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                    [(i, f"n{i}") for i in range(5)])
    results = cur.executemany(f"UPDATE {table} SET name = ? WHERE id = ?",
                              [("x", 1), ("y", 2), ("z", 99)])
    assert [r["rowcount"] for r in results] == [1, 1, 0]
    cur.executemany(f"DELETE FROM {table} WHERE id = ?", [(0,), (4,)])
    cur.execute(f"SELECT id, name FROM {table} ORDER BY id")
    assert cur.fetchall() == [[1, "x"], [2, "y"], [3, "n3"]]


def test_integrity_error_on_duplicate_primary_key(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    with pytest.raises(crate_exc.IntegrityError, match="DuplicateKeyException"):
        cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'b')")


def test_multi_row_insert_skips_duplicates_silently(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'x'), (2, 'b')")
    assert cur.rowcount == 1


def test_unknown_relation_and_column(cur, table):
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute("SELECT * FROM nowhere")
    assert info.value.message == "RelationUnknown[Relation 'nowhere' unknown]"
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute("SELECT * FROM doc.nowhere")
    assert info.value.message == "RelationUnknown[Relation 'doc.nowhere' unknown]"
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"SELECT nope FROM {table}")
    assert info.value.message == "ColumnUnknownException[Column nope unknown]"
    with pytest.raises(crate_exc.ProgrammingError, match="RelationAlreadyExists"):
        cur.execute(f"CREATE TABLE {table} (x INT)")


def test_parameter_styles(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES ($2, $1)", ("two", 2))
    cur.execute(f"INSERT INTO {table} (name, id) VALUES (%(name)s, %(id)s)",
                {"id": 3, "name": "three", "unused": 1})
    cur.execute(f"SELECT id, name FROM {table} WHERE id > ? AND name <> $2 ORDER BY id",
                (1, "zzz"))
    assert cur.fetchall() == [[2, "two"], [3, "three"]]
    cur.execute("SELECT ?, $1, ?", (1, 2))
    assert cur.fetchall() == [[1, 1, 2]]
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute("SELECT $2", (1,))
    assert info.value.message == ("SQLParseException[The query contains a parameter "
                                  "placeholder $2, but there are only 1 parameter values]")


def test_typed_values_with_converter(conn):
    cur = conn.cursor(converter=client.converter.DefaultTypeConverter())
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, ts TIMESTAMP WITH TIME ZONE, "
                "ts2 TIMESTAMP WITHOUT TIME ZONE, ip IP, o OBJECT, p GEO_POINT, "
                "n NUMERIC(10, 2), tags ARRAY(TEXT), d DOUBLE)")
    try:
        when = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)
        cur.execute(f"INSERT INTO {name} (id, ts, ts2, ip, o, p, n, tags, d) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (1, when, "2024-01-02T03:04:05", "10.0.0.1", {"a": 1, "b": {"c": "x"}},
                     [9.5, 47.25], decimal.Decimal("12.34"), ["x", "y"], 1.5))
        cur.execute(f"SELECT ts, ts2, ip, o, p, n, tags, d, o['b']['c'] FROM {name}")
        (row,) = cur.fetchall()
        assert row[0] == when
        assert row[1] == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        assert str(row[2]) == "10.0.0.1"  # IP col_type 5 -> ipaddress object
        assert row[3] == {"a": 1, "b": {"c": "x"}}
        assert row[4] == [9.5, 47.25]
        assert row[5] == 12.34
        assert row[6] == ["x", "y"] and row[7] == 1.5 and row[8] == "x"
        cur.execute(f"SELECT id FROM {name} WHERE ts = ?", (when,))
        assert cur.fetchall() == [[1]]
        cur.execute(f"UPDATE {name} SET ts = ? WHERE id = 1", (0,))
        cur.execute(f"SELECT ts FROM {name}")
        assert cur.fetchall() == [[dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)]]
    finally:
        cur.execute(f"DROP TABLE {name}")


def test_time_zone_cursor(server):
    tz = dt.timezone(dt.timedelta(hours=2))
    with client.connect(server.url, time_zone=tz) as c:
        cur = c.cursor()
        cur.execute("SELECT CAST(? AS TIMESTAMP WITH TIME ZONE)", (86_400_000,))
        (value,) = cur.fetchone()
        assert value == dt.datetime(1970, 1, 2, 2, 0, tzinfo=tz)


def test_timestamps_are_epoch_ms_without_converter(cur):
    cur.execute("SELECT CAST('2024-01-01T00:00:00Z' AS TIMESTAMP WITH TIME ZONE)")
    assert cur.fetchall() == [[1704067200000]]


def test_default_schema_header(server):
    with client.connect(server.url, schema="custom") as c:
        cur = c.cursor()
        cur.execute("SELECT current_schema")
        assert cur.fetchall() == [["custom"]]
        cur.execute("CREATE TABLE in_custom (x INT)")
        cur.execute("INSERT INTO in_custom (x) VALUES (7)")
        cur.execute("SELECT x FROM custom.in_custom")
        assert cur.fetchall() == [[7]]
        cur.execute("SELECT table_schema FROM information_schema.tables "
                    "WHERE table_name = 'in_custom'")
        assert cur.fetchall() == [["custom"]]
        cur.execute("DROP TABLE in_custom")


def test_gzip_body_for_large_statement(cur, table):
    big = "x" * 20_000  # crate-python gzips bodies >= 8192 bytes
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (?, ?)", (1, big))
    cur.execute(f"SELECT length(name) FROM {table}")
    assert cur.fetchall() == [[20_000]]


def test_transactions_are_no_ops(cur, table):
    cur.execute("BEGIN")
    assert cur.rowcount == 0
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    cur.execute("COMMIT")
    assert cur.rowcount == 0
    cur.execute(f"SELECT count(*) FROM {table}")
    assert cur.fetchall() == [[1]]
    with pytest.raises(crate_exc.ProgrammingError, match=r"ParsingException\[line 1:1"):
        cur.execute("ROLLBACK")


def test_division_by_zero_and_syntax_errors(cur):
    with pytest.raises(crate_exc.ProgrammingError, match=r"/ by zero"):
        cur.execute("SELECT 1 / 0")
    cur.execute("SELECT 5 / 2, 5.0 / 2")
    assert cur.fetchall() == [[2, 2.5]]
    with pytest.raises(crate_exc.ProgrammingError, match="ParsingException"):
        cur.execute("SELEC 1")
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute("select 1; select 2;")
    assert info.value.message == ("ParsingException[line 1:11: mismatched input 'select' "
                                  "expecting <EOF>]")
    cur.execute("select 1;")
    assert cur.fetchall() == [[1]]


def test_cast_error_fails_whole_bulk_request(cur, table):
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.executemany(f"INSERT INTO {table} (id, name) VALUES (?, ?)",
                        [(1, "a"), ("abc", "b")])
    assert info.value.message == "SQLParseException[Cannot cast value `abc` to type `integer`]"


def test_not_null_violation(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, name TEXT NOT NULL)")
    try:
        with pytest.raises(crate_exc.ProgrammingError) as info:
            cur.execute(f"INSERT INTO {name} (id, name) VALUES (1, NULL)")
        assert info.value.message == 'SQLParseException["name" must not be null]'
        with pytest.raises(crate_exc.ProgrammingError) as info:
            cur.execute(f"INSERT INTO {name} (id) VALUES (1)")
        assert info.value.message == ("SQLParseException[Cannot insert null value for "
                                      "column 'name']")
    finally:
        cur.execute(f"DROP TABLE {name}")


def test_error_trace(server):
    with client.connect(server.url, error_trace=True) as c:
        with pytest.raises(crate_exc.ProgrammingError) as info:
            c.cursor().execute("SELECT * FROM nowhere")
    assert "io.crate.exceptions.RelationUnknown" in info.value.error_trace
    assert "\tat " in info.value.error_trace


def test_session_state_per_connection(server):
    with client.connect(server.url) as c:
        cur = c.cursor()
        cur.execute("SET search_path TO other")
        cur.execute("SELECT current_schema")
        assert cur.fetchall() == [["other"]]
    with client.connect(server.url) as c:
        cur = c.cursor()
        cur.execute("SELECT current_schema")
        assert cur.fetchall() == [["doc"]]


def test_wrong_password_is_refused_at_connect():
    with MockServer(users={"crate": None, "alice": "secret"}) as srv:
        with client.connect(srv.url, username="alice", password="secret") as c:
            cur = c.cursor()
            cur.execute("SELECT current_user")
            assert cur.fetchall() == [["alice"]]
        with pytest.raises(crate_exc.ProgrammingError, match="401"):
            client.connect(srv.url, username="alice", password="wrong")
        with pytest.raises(crate_exc.ProgrammingError, match="401"):
            client.connect(srv.url, username="bob", password="x")


def test_https_with_trusted_ca(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = (tmp_path / "cert.pem", tmp_path / "key.pem",
                                    tmp_path / "ca.pem")
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(cert_file), append=True)
    cert.private_key_pem.write_to_path(str(key_file))
    ca.cert_pem.write_to_path(str(ca_file))
    with MockServer(tls_cert=str(cert_file), tls_key=str(key_file)) as srv:
        assert srv.url.startswith("https://")
        with client.connect(srv.url, ca_cert=str(ca_file)) as c:
            cur = c.cursor()
            cur.execute("SELECT name FROM sys.cluster")
            assert cur.fetchall() == [["crate"]]


def test_database_file_survives_restart(tmp_path):
    path = str(tmp_path / "crate.duckdb")
    with MockServer(database=path) as srv:
        with client.connect(srv.url) as c:
            cur = c.cursor()
            cur.execute("CREATE TABLE kept (id INT PRIMARY KEY, addr IP, o OBJECT)")
            cur.execute("INSERT INTO kept (id, addr, o) VALUES (1, '1.2.3.4', {a = 1})")
    with MockServer(database=path) as srv:
        with client.connect(srv.url) as c:
            cur = c.cursor(converter=client.converter.DefaultTypeConverter())
            cur.execute("SELECT id, addr, o FROM kept")
            (row,) = cur.fetchall()
            assert row[0] == 1 and str(row[1]) == "1.2.3.4" and row[2] == {"a": 1}
            cur.execute("SELECT data_type FROM information_schema.columns "
                        "WHERE table_name = 'kept' ORDER BY ordinal_position")
            assert cur.fetchall() == [["integer"], ["ip"], ["object"]]


def test_client_gzips_large_bodies(server, cur, table, monkeypatch):
    from dbapi_conformance.mockservers.cratedb import server as server_module

    seen = []
    real = server_module._decompress

    def spy(body, encoding, *rest):
        seen.append(encoding)
        return real(body, encoding, *rest)

    monkeypatch.setattr(server_module, "_decompress", spy)
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (?, ?)", (1, "y" * 10_000))
    assert seen == ["gzip"]
    cur.execute(f"SELECT name FROM {table}")
    assert cur.fetchall() == [["y" * 10_000]]


def test_slow_statement_does_not_block_other_clients(server):
    import threading

    done = threading.Event()
    result = []

    def slow():
        with client.connect(server.url, timeout=30) as c:
            cur = c.cursor()
            cur.execute("SELECT sum(x * x) FROM range(200000000) t(x)")
            result.append(cur.fetchone())
        done.set()

    worker = threading.Thread(target=slow)
    worker.start()
    try:
        with client.connect(server.url, timeout=10) as c:
            cur = c.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchall() == [[1]]
            assert not done.is_set()
    finally:
        worker.join(30)
    assert result and result[0][0] > 0


def test_updating_primary_key_is_refused(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a')")
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"UPDATE {table} SET id = 2 WHERE id = 1")
    assert info.value.message == ("ColumnValidationException[Validation failed for id: "
                                  "Updating a primary key is not supported]")


def test_nan_and_infinity(cur):
    cur.execute("SELECT CAST(? AS DOUBLE), CAST(? AS DOUBLE)", ("NaN", "-Infinity"))
    assert cur.fetchall() == [["NaN", "-Infinity"]]


def test_floating_division_by_zero_is_ieee(cur, table):
    # CrateDB's data-types documentation: 0.0/0.0 is NaN, 1.0/0.0 Infinity, 1.0/-0.0
    # -Infinity; only integer division by zero is an error.
    cur.execute("SELECT 0.0 / 0.0 AS a, 1.0 / 0.0 AS b, 1.0 / -0.0 AS c")
    assert cur.fetchall() == [["NaN", "Infinity", "-Infinity"]]
    cur.execute(f"ALTER TABLE {table} ADD COLUMN x DOUBLE")
    cur.execute(f"ALTER TABLE {table} ADD COLUMN n INT")
    cur.execute(f"INSERT INTO {table} (id, x, n) VALUES (1, -2.5, 0)")
    cur.execute(f"SELECT x / n FROM {table}")
    assert cur.fetchall() == [["-Infinity"]]
    with pytest.raises(crate_exc.ProgrammingError, match=r"/ by zero"):
        cur.execute(f"SELECT id / n FROM {table}")


def test_views_and_alter_table(cur, table):
    cur.execute(f"ALTER TABLE {table} ADD COLUMN extra TEXT")
    cur.execute(f"INSERT INTO {table} (id, name, extra) VALUES (1, 'a', 'e')")
    cur.execute(f"CREATE VIEW v_{table} AS SELECT id, extra FROM {table}")
    try:
        cur.execute(f"SELECT * FROM v_{table}")
        assert cur.fetchall() == [[1, "e"]]
        cur.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?",
                    (f"v_{table}",))
        assert cur.fetchall() == [["VIEW"]]
    finally:
        cur.execute(f"DROP VIEW v_{table}")



@pytest.mark.parametrize("change", ["RENAME TO {t}_2", "RENAME COLUMN name TO label",
                                    "DROP COLUMN name"])
def test_alter_table_forms_not_imitated_are_refused_not_ignored(cur, table, change):
    with pytest.raises(crate_exc.ProgrammingError, match="UnsupportedFeatureException"):
        cur.execute(f"ALTER TABLE {table} " + change.format(t=table))
    cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position", (table,))
    assert "name" in [r[0] for r in cur.fetchall()]  # the table is as it was
    cur.execute(f"ALTER TABLE {table} SET (number_of_replicas = 1)")  # settings: accepted
    assert cur.rowcount == -1

def test_sys_shards_counts_user_tables(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'a'), (2, 'b')")
    cur.execute("SELECT count(*), sum(num_docs) FROM sys.shards "
                "WHERE table_name = ? AND \"primary\" = true", (table,))
    assert cur.fetchall() == [[1, 2]]


def test_object_parameter_comes_back_as_an_object(cur):
    # CrateDB types a bare parameter from its JSON value: an object is an OBJECT (12)
    cur.execute("SELECT ?, ?", ({"a": 1, "b": [1, "x"]}, '{"a": 1}'))
    assert cur.fetchall() == [[{"a": 1, "b": [1, "x"]}, '{"a": 1}']]


def test_real_columns_send_the_value_stored(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, r REAL, d DOUBLE PRECISION)")
    try:
        cur.execute(f"INSERT INTO {name} (id, r, d) VALUES (1, ?, ?), (2, ?, ?)",
                    (1.8, 1.8, 0.1, 0.1))
        cur.execute(f"REFRESH TABLE {name}")
        cur.execute(f"SELECT r, d, r * 2 FROM {name} ORDER BY id")
        # CrateDB writes REAL values with Float.toString: 1.8, not 1.7999999523162842.
        assert cur.fetchall() == [[1.8, 1.8, 3.6], [0.1, 0.1, 0.2]]
    finally:
        cur.execute(f"DROP TABLE {name}")


def test_statements_may_start_with_whitespace(cur):
    # SQLAlchemy emits DDL as "\nCREATE TABLE ...": parameterised types must survive it.
    name = next(_names)
    cur.execute(f"\nCREATE TABLE {name} (v VARCHAR(3), n NUMERIC(10, 2), c CHAR(2))")
    try:
        cur.execute(f"\n  INSERT INTO {name} (v, n, c) VALUES (?, ?, ?)", ("abc", 1.25, "xy"))
        cur.execute(f"REFRESH TABLE {name}")
        cur.execute(f"\n\tSELECT v, n, c FROM {name}")
        assert cur.fetchall() == [["abc", 1.25, "xy"]]
    finally:
        cur.execute(f"DROP TABLE {name}")
    with pytest.raises(crate_exc.ProgrammingError, match=r"line 3:1: mismatched input 'SELEC'"):
        cur.execute("\n\nSELEC 1")


@pytest.mark.parametrize(("sql", "args", "rows"), [
    ("SELECT ?,?", (1, 2), [[1, 2]]),
    ("SELECT $1,$2", (1, 2), [[1, 2]]),
    ("SELECT $2,$1", ("a", "b"), [["b", "a"]]),
    ("SELECT ?::int", ("5",), [[5]]),
    ("SELECT $1::int,$1", ("7",), [[7, "7"]]),
    ("SELECT (?),(?)", (1, 2), [[1, 2]]),
    ("VALUES (?,?)", (1, "x"), [[1, "x"]]),
    ("SELECT '$1,$2', ?", (3,), [["$1,$2", 3]]),
])
def test_placeholders_need_no_space_after_them(cur, sql, args, rows):
    # CrateDB has no dollar-quoted strings and no ?:: operator (cratedb.md 5.4).
    cur.execute(sql, args)
    assert cur.fetchall() == rows


def test_update_sets_one_key_of_an_object(cur):
    # sqlalchemy-cratedb's ObjectType changes are UPDATE t SET obj['key'] = ?.
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, obj OBJECT(DYNAMIC))")
    try:
        cur.execute(f"INSERT INTO {name} (id, obj) VALUES (1, {{a=1, b='x'}}), (2, NULL)")
        cur.execute(f"REFRESH TABLE {name}")
        cur.execute(f"UPDATE {name} SET obj['a'] = ? WHERE id = 1", (5,))
        assert cur.rowcount == 1
        cur.execute(f"UPDATE {name} SET obj['n']['m'] = ?, obj['c'] = 'new' WHERE id = 1",
                    (True,))
        cur.execute(f"UPDATE {name} SET obj['a'] = ? WHERE id = 2", (9,))
        cur.execute(f"REFRESH TABLE {name}")
        cur.execute(f"SELECT id, obj, obj['a'] FROM {name} ORDER BY id")
        assert cur.fetchall() == [[1, {"a": 5, "b": "x", "c": "new", "n": {"m": True}}, 5],
                                  [2, {"a": 9}, 9]]
    finally:
        cur.execute(f"DROP TABLE {name}")


@pytest.mark.parametrize(("expression", "name"), [
    ("count(*)", "count(*)"), ("count(id)", "count(id)"),
    ("count(DISTINCT id)", "count(DISTINCT id)"), ("max(id)", "max(id)"),
    ("upper(name)", "upper(name)"), ("coalesce(name, 'x')", "coalesce(name, 'x')"),
    ("abs(-1)", "abs(-1)"), ("tags[1]", "tags[1]"), ("tags[2]", "tags[2]"),
    ("current_user", "current_user"),
])
def test_output_names_of_expressions_follow_cratedb(cur, expression, name):
    # CrateDB's OutputNameFormatter: functions with their arguments, subscripts as written.
    table = next(_names)
    cur.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name TEXT, tags ARRAY(TEXT))")
    try:
        cur.execute(f"SELECT {expression} FROM {table}")
        assert [d[0] for d in cur.description] == [name]
    finally:
        cur.execute(f"DROP TABLE {table}")


def test_bit_values_are_bit_string_literals(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, v BIT(4))")
    try:
        cur.execute(f"INSERT INTO {name} (id, v) VALUES (1, B'0101'), (2, B'1100')")
        cur.execute(f"REFRESH TABLE {name}")
        cur.execute(f"SELECT v FROM {name} ORDER BY id")
        # CrateDB sends BIT(n) values as "B'0101'" (not the number 5).
        assert cur.fetchall() == [["B'0101'"], ["B'1100'"]]
        cur.execute(f"SELECT id FROM {name} WHERE v = B'1100'")
        assert cur.fetchall() == [[2]]
    finally:
        cur.execute(f"DROP TABLE {name}")
