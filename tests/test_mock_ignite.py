"""The Ignite 3 mock driven by the official client, pyignite_dbapi 3.1.0, through
``dbapi-mock ignite`` in its own process: DDL, batches, paging, every column type, errors,
transactions, the SYSTEM views (protocols/ignite3.md 5-8, 10-12)."""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import sys
import uuid
from pathlib import Path

import pyignite_dbapi
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ignitemock import running  # noqa: E402

_names = itertools.count()


@pytest.fixture(scope="module")
def mock():
    with running() as server:
        yield server
    assert not server.alive()


def connect(mock, **kwargs):
    return pyignite_dbapi.connect(address=[mock.address], timeout=30, **kwargs)


@pytest.fixture
def conn(mock):
    connection = connect(mock)
    yield connection
    connection.close()


@pytest.fixture
def table():
    return f"T{next(_names)}"


def test_ddl_and_executemany_of_3000_rows(conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY, name VARCHAR, score DOUBLE)")
    assert cur.description is None and cur.rowcount == -1
    rows = [(i, f"name-{i}", i / 4) for i in range(3000)]
    cur.executemany(f"INSERT INTO {table} (id, name, score) VALUES (?, ?, ?)", rows)
    assert cur.rowcount == 3000
    cur.execute(f"SELECT count(*), sum(id), max(name) FROM {table}")
    assert cur.fetchall() == [(3000, sum(range(3000)), "name-999")]
    cur.execute(f"SELECT id, name, score FROM {table} WHERE id IN (0, 1, 2999) ORDER BY id")
    assert cur.fetchall() == [rows[0], rows[1], rows[2999]]
    assert [d[0] for d in cur.description] == ["ID", "NAME", "SCORE"]
    cur.close()


def test_select_spanning_several_pages(mock, table):
    with connect(mock, page_size=7) as conn:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY, v VARCHAR)")
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(i, str(i)) for i in range(50)])
        cur.execute(f"SELECT id, v FROM {table} ORDER BY id")
        assert cur.fetchone() == (0, "0")
        assert cur.fetchmany(10) == [(i, str(i)) for i in range(1, 11)]
        assert cur.fetchall() == [(i, str(i)) for i in range(11, 50)]
        # a cursor re-executed with pages left closes the old one (SQL_CURSOR_CLOSE)
        cur.execute(f"SELECT id FROM {table} ORDER BY id DESC")
        assert cur.fetchmany(3) == [(49,), (48,), (47,)]
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchall() == [(50,)]
        cur.close()


TYPES = ("id INT PRIMARY KEY, b BOOLEAN, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT, "
         "f REAL, d DOUBLE, dec DECIMAL(10, 3), dt DATE, tm TIME, dtm TIMESTAMP, "
         "ts TIMESTAMP WITH LOCAL TIME ZONE, u UUID, s VARCHAR, bin VARBINARY")
VALUES = (1, True, -128, 32767, -2 ** 31, 2 ** 63 - 1, 1.5, 0.1, decimal.Decimal("-1234.500"),
          dt.date(2024, 2, 29), dt.time(23, 59, 58, 123000),
          dt.datetime(1999, 12, 31, 1, 2, 3, 456789), pyignite_dbapi.TIMESTAMP(1700000000.25),
          uuid.UUID("12345678-9abc-def0-1234-56789abcdef0"),
          "ünïcødé ✓ " * 40, b"\x80\x00\xff")


def test_exact_round_trip_of_every_column_type_and_nulls(conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} ({TYPES})")
    marks = ", ".join("?" * len(VALUES))
    cur.execute(f"INSERT INTO {table} VALUES ({marks})", list(VALUES))
    assert cur.rowcount == 1
    cur.execute(f"INSERT INTO {table} VALUES ({marks})", [2] + [None] * (len(VALUES) - 1))
    cur.execute(f"SELECT * FROM {table} ORDER BY id")
    full, empty = cur.fetchall()
    expected = list(VALUES)
    expected[12] = 1700000000.25  # TIMESTAMP comes back as float seconds (ignite3.md 6.5)
    assert list(full) == expected
    assert isinstance(full[8], decimal.Decimal) and str(full[8]) == "-1234.500"
    assert empty == (2,) + (None,) * (len(VALUES) - 1)
    names = [d[0] for d in cur.description]
    assert names == ["ID", "B", "I8", "I16", "I32", "I64", "F", "D", "DEC", "DT", "TM", "DTM",
                     "TS", "U", "S", "BIN"]
    dec = cur.description[8]
    assert (dec[1], dec[4], dec[5]) == (decimal.Decimal, 10, 3)
    assert [d[6] for d in cur.description] == [False] + [True] * (len(VALUES) - 1)
    cur.close()


def test_expressions_empty_strings_and_parameters(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1 + 1, 'a' || 'b', CAST(? AS VARCHAR), ?", ["", b""])
    assert cur.fetchall() == [(2, "ab", "", b"")]
    assert [d[0] for d in cur.description] == ["EXPR$0", "EXPR$1", "EXPR$2", "EXPR$3"]
    cur.execute("SELECT 1 WHERE 1 = 0")
    assert cur.fetchall() == []
    cur.close()


def test_integrity_error_on_duplicate_key_and_null_key(conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY, v INT NOT NULL)")
    cur.execute(f"INSERT INTO {table} VALUES (1, 1)")
    with pytest.raises(pyignite_dbapi.IntegrityError, match="PK unique constraint"):
        cur.execute(f"INSERT INTO {table} VALUES (1, 2)")
    with pytest.raises(pyignite_dbapi.IntegrityError, match="does not allow NULLs"):
        cur.execute(f"INSERT INTO {table} VALUES (2, NULL)")
    with pytest.raises(pyignite_dbapi.IntegrityError):
        cur.executemany(f"INSERT INTO {table} VALUES (?, ?)", [(3, 3), (1, 1), (4, 4)])
    assert cur.rowcount == 1  # the rows done before the failure (sql-update-counters)
    cur.execute(f"SELECT id, v FROM {table} ORDER BY id")
    assert cur.fetchall() == [(1, 1), (3, 3)]
    cur.close()


def test_programming_errors(conn):
    cur = conn.cursor()
    with pytest.raises(pyignite_dbapi.ProgrammingError, match="Object 'NO_SUCH_TABLE' not "
                       "found"):
        cur.execute("SELECT * FROM no_such_table")
    with pytest.raises(pyignite_dbapi.ProgrammingError, match="Failed to parse query"):
        cur.execute("SELEC 1")
    with pytest.raises(pyignite_dbapi.ProgrammingError, match="PRIMARY KEY"):
        cur.execute("CREATE TABLE no_pk (a INT)")
    with pytest.raises(pyignite_dbapi.ProgrammingError, match="Multiple statements"):
        cur.execute("SELECT 1; SELECT 2")
    with pytest.raises(pyignite_dbapi.ProgrammingError, match="Division by zero"):
        cur.execute("SELECT 1 / 0")
    cur.execute("SELECT 7 / 2")  # integer division, as in Calcite
    assert cur.fetchall() == [(3,)]
    with pytest.raises(pyignite_dbapi.ProgrammingError, match="Failed to parse query"):
        cur.execute("PRAGMA version")  # DuckDB's, not Ignite's
    cur.execute("EXPLAIN PLAN FOR SELECT 1")
    assert [d[0] for d in cur.description] == ["PLAN"] and len(cur.fetchall()) == 1
    cur.execute("SELECT 42")  # the connection is still good
    assert cur.fetchall() == [(42,)]
    cur.close()


def test_commit_and_rollback_isolated_between_connections(mock, conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY)")
    with connect(mock, autocommit=False) as tx_conn:
        tx = tx_conn.cursor()
        tx.execute(f"INSERT INTO {table} VALUES (1)")
        tx.execute(f"SELECT id FROM {table}")
        assert tx.fetchall() == [(1,)]  # its own write
        cur.execute(f"SELECT id FROM {table}")
        assert cur.fetchall() == []  # not yet for others
        tx_conn.commit()
        cur.execute(f"SELECT id FROM {table}")
        assert cur.fetchall() == [(1,)]
        tx.execute(f"INSERT INTO {table} VALUES (2)")
        tx_conn.rollback()
        tx.execute(f"SELECT id FROM {table} ORDER BY id")
        assert tx.fetchall() == [(1,)]
        tx_conn.rollback()
        tx.close()
    cur.execute(f"SELECT id FROM {table}")
    assert cur.fetchall() == [(1,)]
    cur.close()


def test_disconnect_rolls_back_and_ddl_in_transaction_is_refused(mock, conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY)")
    tx_conn = connect(mock, autocommit=False)
    tx = tx_conn.cursor()
    tx.execute(f"INSERT INTO {table} VALUES (7)")
    with pytest.raises(pyignite_dbapi.ProgrammingError,
                       match="DDL doesn't support transactions"):
        tx.execute(f"CREATE TABLE {table}_x (id INT PRIMARY KEY)")
    tx.close()
    tx_conn.close()  # no commit: the server rolls back
    cur.execute(f"SELECT count(*) FROM {table}")
    assert cur.fetchall() == [(0,)]
    cur.close()


def test_autocommit_property_switches_to_transactions(mock, conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY)")
    with connect(mock) as other:
        other.autocommit = False  # TX_BEGIN at once
        oc = other.cursor()
        oc.execute(f"INSERT INTO {table} VALUES (5)")
        cur.execute(f"SELECT count(*) FROM {table}")
        assert cur.fetchall() == [(0,)]
        other.autocommit = True  # commits the open transaction
        cur.execute(f"SELECT id FROM {table}")
        assert cur.fetchall() == [(5,)]
        oc.close()
    cur.close()


def test_schema_option_and_system_views(mock, conn, table):
    cur = conn.cursor()
    cur.execute("CREATE ZONE IF NOT EXISTS test_zone WITH PARTITIONS=3, "
                "STORAGE_PROFILES='default'")
    cur.execute(f"CREATE TABLE {table} (id INT, k VARCHAR, PRIMARY KEY (id, k)) "
                "COLOCATE BY (id) ZONE test_zone")
    cur.execute("SELECT table_name, zone_name, table_colocation_columns FROM system.tables "
                "WHERE table_name = ?", [table])
    assert cur.fetchall() == [(table, "TEST_ZONE", "ID")]
    cur.execute("SELECT column_name, column_type, is_nullable_column, pk_column_ordinal "
                "FROM system.table_columns WHERE table_name = ? ORDER BY column_ordinal",
                [table])
    assert cur.fetchall() == [("ID", "INT32", False, 0), ("K", "STRING", False, 1)]
    cur.execute("SELECT zone_name, zone_partitions FROM system.zones ORDER BY zone_id")
    assert ("TEST_ZONE", 3) in cur.fetchall()
    cur.execute("SELECT schema_name FROM system.schemas ORDER BY schema_name")
    assert cur.fetchall() == [("PUBLIC",), ("SYSTEM",)]
    with connect(mock, schema="public") as lower:  # unquoted: upper-cased, as Ignite does
        lc = lower.cursor()
        lc.execute(f"SELECT count(*) FROM {table}")
        assert lc.fetchall() == [(0,)]
        lc.close()
    with connect(mock, schema="NOPE") as bad:
        bc = bad.cursor()
        with pytest.raises(pyignite_dbapi.ProgrammingError, match="Schema not found"):
            bc.execute("SELECT 1")
        bc.close()
    cur.close()


def test_a_failed_statement_rolls_its_transaction_back(mock, conn, table):
    cur = conn.cursor()
    cur.execute(f"CREATE TABLE {table} (id INT PRIMARY KEY)")
    cur.execute(f"INSERT INTO {table} VALUES (1)")
    with connect(mock, autocommit=False) as tx_conn:
        tx = tx_conn.cursor()
        tx.execute(f"INSERT INTO {table} VALUES (2)")
        with pytest.raises(pyignite_dbapi.IntegrityError):
            tx.execute(f"INSERT INTO {table} VALUES (1)")
        with pytest.raises(pyignite_dbapi.DatabaseError, match="already finished"):
            tx.execute(f"INSERT INTO {table} VALUES (3)")
        tx_conn.commit()  # the transaction is over: the next statement starts another
        tx.execute(f"INSERT INTO {table} VALUES (4)")
        tx_conn.commit()
        tx.close()
    cur.execute(f"SELECT id FROM {table} ORDER BY id")
    assert cur.fetchall() == [(1,), (4,)]
    cur.close()
