"""Engine and Session: results, rowcounts, column metadata, transactions, persistence,
threads, catalog helpers, load_rows."""

from __future__ import annotations

import datetime
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest

from dbapi_conformance.mockservers.engine import Column, Engine, Result, Session, errors


@pytest.fixture
def engine():
    eng = Engine()
    yield eng
    eng.close()


@pytest.fixture
def session(engine):
    s = engine.session()
    yield s
    s.close()


@pytest.fixture
def table(session):
    session.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
                    "d DECIMAL(10,2), ts TIMESTAMP DEFAULT '2000-01-01 00:00:00')")
    return "t"


# --- results and rowcount ------------------------------------------------------------------

def test_select_result(session):
    res = session.execute("SELECT 1 AS a, 'x' AS b")
    assert isinstance(res, Result)
    assert res.columns == [Column("a", "INTEGER"), Column("b", "VARCHAR")]
    assert res.rows == [(1, "x")]
    assert res.rowcount == 1
    assert res.statement_type == "SELECT"
    assert res.has_result_set


def test_select_no_rows_keeps_columns(session, table):
    res = session.execute("SELECT id, name FROM t")
    assert [c.name for c in res.columns] == ["id", "name"]
    assert res.rows == [] and res.rowcount == 0


def test_ddl_has_no_result_set_and_rowcount_minus_one(session):
    res = session.execute("CREATE TABLE x (a INTEGER)")
    assert (res.columns, res.rows, res.rowcount, res.statement_type) == ([], [], -1, "CREATE")
    res = session.execute("ALTER TABLE x ADD COLUMN b INTEGER")
    assert (res.columns, res.rowcount, res.statement_type) == ([], -1, "ALTER")
    res = session.execute("DROP TABLE x")
    assert (res.columns, res.rowcount, res.statement_type) == ([], -1, "DROP")
    res = session.execute("CREATE SCHEMA s")
    assert (res.columns, res.rowcount) == ([], -1)
    res = session.execute("SET TimeZone = 'UTC'")
    assert (res.columns, res.rowcount) == ([], -1)


def test_dml_rowcount_without_result_set(session, table):
    res = session.execute("INSERT INTO t (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    assert (res.columns, res.rows, res.rowcount, res.statement_type) == ([], [], 3, "INSERT")
    res = session.execute("UPDATE t SET name = 'z' WHERE id >= 2")
    assert (res.columns, res.rowcount, res.statement_type) == ([], 2, "UPDATE")
    res = session.execute("DELETE FROM t WHERE id = 99")
    assert (res.columns, res.rowcount) == ([], 0)
    res = session.execute("DELETE FROM t")
    assert res.rowcount == 3
    res = session.execute("INSERT INTO t (id, name) SELECT range, 'r' FROM range(5)")
    assert (res.columns, res.rowcount) == ([], 5)


def test_create_table_as_select_counts_rows(session):
    res = session.execute("CREATE TABLE c AS SELECT * FROM range(4)")
    assert (res.columns, res.rowcount) == ([], 4)


def test_column_named_count_is_still_a_result_set(session, table):
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    res = session.execute('SELECT count(*) AS "Count" FROM t')
    assert res.columns == [Column("Count", "BIGINT")]
    assert res.rows == [(1,)] and res.rowcount == 1


def test_returning_gives_result_set(session, table):
    res = session.execute("INSERT INTO t (id, name) VALUES (7, 'g') RETURNING id, name")
    assert [c.name for c in res.columns] == ["id", "name"]
    assert res.rows == [(7, "g")] and res.rowcount == 1
    res = session.execute("DELETE FROM t RETURNING id")
    assert res.rows == [(7,)]


def test_other_statements(session, table):
    res = session.execute("EXPLAIN SELECT 1")
    assert res.has_result_set and res.rowcount >= 1
    res = session.execute("PRAGMA version")
    assert res.columns[0].name == "library_version" and res.rowcount == 1
    res = session.execute("VALUES (1), (2)")
    assert res.rows == [(1,), (2,)]
    res = session.execute("BEGIN")
    assert (res.columns, res.rowcount, res.statement_type) == ([], -1, "TRANSACTION")
    session.execute("ROLLBACK")


def test_several_statements_return_the_last(session):
    res = session.execute("CREATE TABLE m (a INTEGER); INSERT INTO m VALUES (1), (2); "
                          "SELECT sum(a) FROM m")
    assert res.rows == [(3,)]
    with pytest.raises(errors.ParameterError):
        session.execute("SELECT $1; SELECT 2", [1])


def test_trailing_semicolon_and_comments(session):
    assert session.execute("-- hello\nSELECT 5 /* x */;").rows == [(5,)]


def test_empty_statement(session):
    with pytest.raises(errors.SQLSyntaxError):
        session.execute("   ")
    with pytest.raises(errors.SQLSyntaxError):
        session.execute("-- only a comment")


# --- parameters ----------------------------------------------------------------------------

def test_dollar_and_qmark_parameters(session, table):
    session.execute("INSERT INTO t (id, name, d) VALUES ($1, $3, $2), ($4, $6, $5)",
                    [1, "1.25", "a", 2, Decimal("2.5"), "b"])
    assert session.execute("SELECT id, name, d FROM t ORDER BY id").rows == [
        (1, "a", Decimal("1.25")), (2, "b", Decimal("2.50"))]
    assert session.execute("SELECT name FROM t WHERE id = ?", (2,)).rows == [("b",)]
    assert session.execute("SELECT $1::INTEGER + $1", [20]).rows == [(40,)]


def test_ignore_surplus_parameters(session):
    assert session.execute("SELECT $2, $1, $2", [1, 2, 3], ignore_surplus=True).rows == [
        (2, 1, 2)]
    assert session.execute("SELECT $2", ["a", "b"], ignore_surplus=True).rows == [("b",)]
    assert session.execute("SELECT ?, ?", (1, 2, 3), ignore_surplus=True).rows == [(1, 2)]
    assert session.execute("SELECT 1", [9], ignore_surplus=True).rows == [(1,)]
    with pytest.raises(errors.ParameterError) as ei:
        session.execute("SELECT $1, $3", [1, 2], ignore_surplus=True)
    assert ei.value.missing == [3]
    with pytest.raises(errors.ParameterError) as ei:
        session.execute("SELECT $2", ["a", "b"])
    assert ei.value.surplus == [1]


def test_named_parameters(session):
    assert session.execute("SELECT $a || $b", {"a": "x", "b": "y"}).rows == [("xy",)]


def test_parameter_values_of_many_types(session):
    values = [None, True, 2**40, 1.5, Decimal("1.10"), "s", b"\x00\x01",
              datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, 3, 4, 5),
              datetime.time(1, 2, 3), [1, 2], {"k": 1}]
    sql = "SELECT " + ", ".join(f"${i}" for i in range(1, len(values) + 1))
    assert session.execute(sql, values).rows == [tuple(values)]


def test_strings_cast_to_column_types(session):
    session.execute("CREATE TABLE v (ts TIMESTAMP, tz TIMESTAMPTZ, d DATE, n DECIMAL(10,2), "
                    "tm TIME, b BOOLEAN, i INTEGER)")
    session.execute("INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    ["2024-01-01T10:00:00.000000+0100", "2024-01-01T10:00:00.000000+0100",
                     "1979-10-12", "12.345", "13:14:15.5", "true", "42"])
    row = session.execute("SELECT * FROM v").rows[0]
    # TIMESTAMP drops the offset; TIMESTAMPTZ converts to UTC
    assert row[0] == datetime.datetime(2024, 1, 1, 10, 0)
    assert row[1] == datetime.datetime(2024, 1, 1, 9, 0, tzinfo=datetime.timezone.utc)
    assert row[2:] == (datetime.date(1979, 10, 12), Decimal("12.35"),
                       datetime.time(13, 14, 15, 500000), True, 42)


def test_int_to_timestamp_is_a_cast_error(session):
    session.execute("CREATE TABLE v (ts TIMESTAMP, d DATE)")
    with pytest.raises(errors.CastError):
        session.execute("INSERT INTO v (ts) VALUES ($1)", [1700000000000])
    with pytest.raises(errors.CastError):
        session.execute("INSERT INTO v (d) VALUES ($1)", [1700000000000])
    # the documented way: epoch milliseconds through make_timestamp / to_timestamp
    session.execute("INSERT INTO v (ts) VALUES (make_timestamp($1 * 1000))", [1700000000000])
    assert session.execute("SELECT ts FROM v").rows == [
        (datetime.datetime(2023, 11, 14, 22, 13, 20),)]


def test_bad_string_for_typed_column_is_a_cast_error(session):
    session.execute("CREATE TABLE v (ts TIMESTAMP, n DECIMAL(10,2))")
    with pytest.raises(errors.CastError):
        session.execute("INSERT INTO v (ts) VALUES ($1)", ["garbage"])
    with pytest.raises(errors.CastError):
        session.execute("INSERT INTO v (n) VALUES ($1)", ["abc"])


def test_unbindable_python_value_is_a_cast_error(session):
    with pytest.raises(errors.CastError):
        session.execute("SELECT $1", [object()])
    with pytest.raises(errors.CastError):
        session.execute("SELECT $1", [{1, 2}])
    with pytest.raises(errors.NumericOverflow):
        session.execute("SELECT $1", [2**200])


def test_python_parameter_types(session):
    """What DuckDB infers for Python values bound without a target column."""
    import uuid
    cases = [
        (2**70, "HUGEINT"), (float("nan"), "DOUBLE"), (Decimal("1.10"), "DECIMAL"),
        # Decimals beyond 38 digits, or with a huge exponent, silently become DOUBLE
        (Decimal("1e-50"), "DOUBLE"), (bytearray(b"ab"), "BLOB"),
        (uuid.UUID(int=1), "UUID"), (datetime.timedelta(days=1), "INTERVAL"),
        (datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc),
         "TIMESTAMP WITH TIME ZONE"), ({"a": 1}, "STRUCT(a INTEGER)"),
    ]
    for value, type_name in cases:
        assert session.execute("SELECT $1", [value]).columns[0].type_name == type_name, value


# --- column metadata -----------------------------------------------------------------------

def test_result_column_types(session):
    res = session.execute(
        "SELECT 1.5::DECIMAL(10,2) AS d, [1, 2] AS l, {'a': 1} AS s, DATE '2024-01-01' AS dt, "
        "TIMESTAMP '2024-01-01 00:00:00' AS ts, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS tz, "
        "TIME '01:02:03' AS tm, true AS b, 'x'::BLOB AS bl, 1::BIGINT AS bi, 1.0::DOUBLE AS f, "
        "[1.5::DECIMAL(4,1)] AS ld, NULL AS n")
    by_name = {c.name: c for c in res.columns}
    assert by_name["d"] == Column("d", "DECIMAL", 10, 2, None)
    assert by_name["l"].type_name == "INTEGER[]"
    assert by_name["s"].type_name == "STRUCT(a INTEGER)"
    assert [by_name[n].type_name for n in ("dt", "ts", "tz", "tm", "b", "bl", "bi", "f")] == [
        "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIME", "BOOLEAN", "BLOB", "BIGINT",
        "DOUBLE"]
    assert by_name["ld"].type_name == "DECIMAL(4,1)[]"
    assert by_name["ld"].precision is None
    assert by_name["n"].type_name == "NULL"
    assert res.rows[0][0] == Decimal("1.50")
    assert res.rows[0][5] == datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def test_table_columns(session, table):
    cols = session.table_columns("main", "t")
    assert cols == [
        Column("id", "INTEGER", None, None, False, True, None),
        Column("name", "VARCHAR", None, None, False, False, None),
        Column("d", "DECIMAL", 10, 2, True, False, None),
        Column("ts", "TIMESTAMP", None, None, True, False,
               "'2000-01-01 00:00:00'"),
    ]
    assert session.table_columns(None, "t") == cols


def test_table_columns_composite_key_and_view(session):
    session.execute("CREATE TABLE k (a INTEGER, b VARCHAR, c INTEGER, PRIMARY KEY (a, b))")
    cols = session.table_columns(None, "k")
    assert [(c.name, c.primary_key, c.null_ok) for c in cols] == [
        ("a", True, False), ("b", True, False), ("c", False, True)]
    session.execute("CREATE VIEW kv AS SELECT a, c FROM k")
    assert [c.name for c in session.table_columns(None, "kv")] == ["a", "c"]


def test_table_columns_unknown_table(session):
    with pytest.raises(errors.UnknownTable) as ei:
        session.table_columns("main", "nope")
    assert ei.value.table == "nope" and ei.value.schema == "main"


def test_table_exists_and_tables(session, table):
    assert session.table_exists("main", "t") is True
    assert session.table_exists(None, "t") is True
    assert session.table_exists("main", "nope") is False
    assert session.table_exists("nosuchschema", "t") is False
    session.execute("CREATE VIEW w AS SELECT 1 AS one")
    assert session.table_exists(None, "w") is True
    assert session.tables("main") == [("main", "t", "TABLE"), ("main", "w", "VIEW")]
    assert ("main", "t", "TABLE") in session.tables()


# --- schemas -------------------------------------------------------------------------------

def test_set_schema_creates_and_uses_it(engine, session):
    assert session.schema == "main"
    session.set_schema("doc")
    assert session.schema == "doc"
    assert session.execute("SELECT current_schema()").rows == [("doc",)]
    session.execute("CREATE TABLE u (a INTEGER)")
    assert session.table_exists("doc", "u")
    assert [c.name for c in session.table_columns(None, "u")] == ["a"]
    other = engine.session()
    assert other.schema == "main"
    with pytest.raises(errors.UnknownTable):
        other.execute("SELECT * FROM u")
    assert other.execute("SELECT count(*) FROM doc.u").rows == [(0,)]
    other.close()


def test_ensure_schema_is_idempotent(engine, session):
    engine.ensure_schema("x")
    engine.ensure_schema("x")
    session.execute("CREATE TABLE x.a (i INTEGER)")
    assert session.table_exists("x", "a")


def test_quoted_schema_name(session):
    session.set_schema('we"ird')
    session.execute("CREATE TABLE q (a INTEGER)")
    assert session.table_exists('we"ird', "q")


# --- transactions --------------------------------------------------------------------------

def test_begin_commit_rollback_and_flag(session, table):
    assert session.in_transaction is False
    session.begin()
    assert session.in_transaction is True
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    session.rollback()
    assert session.in_transaction is False
    assert session.execute("SELECT count(*) FROM t").rows == [(0,)]
    session.begin()
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    session.commit()
    assert session.in_transaction is False
    assert session.execute("SELECT count(*) FROM t").rows == [(1,)]


def test_sql_transaction_statements_update_the_flag(session):
    session.execute("BEGIN TRANSACTION")
    assert session.in_transaction
    session.execute("COMMIT")
    assert not session.in_transaction
    session.execute("START TRANSACTION")
    assert session.in_transaction
    session.execute("ROLLBACK")
    assert not session.in_transaction


def test_transaction_errors(session):
    with pytest.raises(errors.TransactionError):
        session.commit()
    with pytest.raises(errors.TransactionError):
        session.rollback()
    session.begin()
    with pytest.raises(errors.TransactionError):
        session.begin()
    assert session.in_transaction
    session.rollback()


def test_isolation_between_sessions(engine, session, table):
    other = engine.session()
    session.begin()
    session.execute("INSERT INTO t (id, name) VALUES (1, 'uncommitted')")
    assert session.execute("SELECT name FROM t").rows == [("uncommitted",)]
    assert other.execute("SELECT name FROM t").rows == []
    session.rollback()
    assert session.execute("SELECT name FROM t").rows == []
    session.begin()
    session.execute("INSERT INTO t (id, name) VALUES (2, 'committed')")
    assert other.execute("SELECT name FROM t").rows == []
    session.commit()
    assert other.execute("SELECT name FROM t").rows == [("committed",)]
    other.close()


def test_snapshot_isolation_inside_a_transaction(engine, session, table):
    other = engine.session()
    other.begin()
    assert other.execute("SELECT count(*) FROM t").rows == [(0,)]
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")  # autocommit
    assert other.execute("SELECT count(*) FROM t").rows == [(0,)]
    other.commit()
    assert other.execute("SELECT count(*) FROM t").rows == [(1,)]
    other.close()


def test_write_write_conflict(engine, session, table):
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    other = engine.session()
    session.begin()
    other.begin()
    session.execute("UPDATE t SET name = 'mine' WHERE id = 1")
    with pytest.raises(errors.TransactionError):
        other.execute("UPDATE t SET name = 'theirs' WHERE id = 1")
    other.rollback()
    session.commit()
    assert other.execute("SELECT name FROM t").rows == [("mine",)]
    other.close()


def test_failed_statement_aborts_the_transaction(session, table):
    session.begin()
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    assert not session.transaction_aborted
    with pytest.raises(errors.DuplicateKey):
        session.execute("INSERT INTO t (id, name) VALUES (1, 'b')")
    assert session.transaction_aborted and session.in_transaction
    with pytest.raises(errors.TransactionError):
        session.execute("SELECT 1")
    session.rollback()
    assert not session.transaction_aborted and not session.in_transaction
    assert session.execute("SELECT count(*) FROM t").rows == [(0,)]


def test_errors_that_do_not_abort_the_transaction(session, table):
    session.begin()
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    with pytest.raises(errors.SQLSyntaxError):
        session.execute("SELEC 1")
    with pytest.raises(errors.CastError):
        session.execute("SELECT $1", [object()])
    with pytest.raises(errors.ParameterError):
        session.execute("SELECT $2", [1], ignore_surplus=True)
    assert not session.transaction_aborted
    session.commit()
    assert session.execute("SELECT id FROM t").rows == [(1,)]


def test_commit_after_a_failure_rolls_back_and_says_so(session, table):
    session.begin()
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    with pytest.raises(errors.UnknownColumn):
        session.execute("SELECT nope FROM t")
    with pytest.raises(errors.TransactionError):
        session.commit()
    assert not session.in_transaction and not session.transaction_aborted
    assert session.execute("SELECT count(*) FROM t").rows == [(0,)]
    session.begin()  # a fresh transaction works normally
    session.execute("INSERT INTO t (id, name) VALUES (2, 'b')")
    session.commit()
    assert session.execute("SELECT id FROM t").rows == [(2,)]


def test_failure_in_autocommit_leaves_no_transaction(session, table):
    with pytest.raises(errors.UnknownColumn):
        session.execute("SELECT nope FROM t")
    assert not session.in_transaction and not session.transaction_aborted
    assert session.execute("SELECT 1").rows == [(1,)]


def test_ddl_is_transactional(engine, session):
    other = engine.session()
    session.begin()
    session.execute("CREATE TABLE tx (a INTEGER)")
    assert not other.table_exists("main", "tx")
    session.rollback()
    assert not session.table_exists("main", "tx")
    other.close()


def test_close_rolls_back(engine, session, table):
    other = engine.session()
    other.begin()
    other.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    other.close()
    assert other.closed and not other.in_transaction
    other.close()  # idempotent
    assert session.execute("SELECT count(*) FROM t").rows == [(0,)]
    with pytest.raises(errors.InternalError):
        other.execute("SELECT 1")


def test_session_context_manager(engine):
    with engine.session() as s:
        assert isinstance(s, Session)
        assert s.execute("SELECT 2").rows == [(2,)]
    assert s.closed


# --- persistence ---------------------------------------------------------------------------

def test_file_database_survives_a_restart(tmp_path):
    path = tmp_path / "mock.duckdb"
    eng = Engine(path)
    s = eng.session()
    s.set_schema("doc")
    s.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, v DECIMAL(10,2))")
    s.execute("INSERT INTO p VALUES ($1, $2)", [1, Decimal("3.25")])
    eng.close()
    assert eng.closed
    eng2 = Engine(str(path))
    s2 = eng2.session()
    assert s2.execute("SELECT id, v FROM doc.p").rows == [(1, Decimal("3.25"))]
    assert s2.table_columns("doc", "p")[1] == Column("v", "DECIMAL", 10, 2, True, False, None)
    eng2.close()


def test_uncommitted_data_is_lost_on_restart(tmp_path):
    path = tmp_path / "mock.duckdb"
    eng = Engine(path)
    s = eng.session()
    s.execute("CREATE TABLE p (id INTEGER)")
    s.begin()
    s.execute("INSERT INTO p VALUES (1)")
    eng.close()  # closes the session: rollback
    eng2 = Engine(path)
    assert eng2.session().execute("SELECT count(*) FROM p").rows == [(0,)]
    eng2.close()


def test_engine_close_closes_sessions_and_refuses_new(engine):
    s = engine.session()
    engine.close()
    assert s.closed
    with pytest.raises(errors.InternalError):
        engine.session()
    engine.close()  # idempotent


def test_second_engine_in_one_process_shares_the_file(tmp_path):
    path = tmp_path / "db.duckdb"
    first = Engine(path)
    first.session().execute("CREATE TABLE shared (a INTEGER)")
    second = Engine(path)
    assert second.session().table_exists("main", "shared")
    second.close()
    first.close()


def test_file_locked_by_another_process(tmp_path):
    path = tmp_path / "db.duckdb"
    first = Engine(path)
    code = ("import sys\n"
            "from dbapi_conformance.mockservers.engine import Engine, errors\n"
            "try:\n    Engine(sys.argv[1])\n"
            "except errors.InternalError as exc:\n    print('locked', exc.message)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=60)
    first.close()
    assert proc.stdout.startswith("locked "), proc.stderr
    assert "lock" in proc.stdout


def test_engine_settings():
    eng = Engine(settings={"integer_division": True})
    s = eng.session()
    assert s.execute("SELECT 7 / 2, 7.0 / 2").rows == [(3, 3.5)]
    with pytest.raises(errors.DivisionByZero):
        s.execute("SELECT 1 / 0")
    with pytest.raises(errors.DivisionByZero):
        s.execute("SELECT 1.5::DOUBLE / 0")
    assert s.execute("SELECT current_setting('TimeZone')").rows == [("UTC",)]
    eng.close()
    with pytest.raises(errors.EngineError):
        Engine(settings={"no_such_setting": 1})
    with pytest.raises(errors.ParameterError):
        Engine(settings={"x = 1; SELECT": 1})


def test_default_settings_float_division():
    eng = Engine()
    assert eng.session().execute("SELECT 7 / 2").rows == [(3.5,)]
    eng.close()


def test_engine_close_interrupts_running_statements(engine):
    s = engine.session()
    outcome = []

    def work():
        try:
            s.execute("SELECT count(*) FROM range(10000000000) a, range(10) b "
                      "WHERE a.range % 7 = b.range")
            outcome.append("finished")
        except errors.EngineError as exc:
            outcome.append(type(exc))

    t = threading.Thread(target=work)
    t.start()
    time.sleep(0.3)  # let the statement start; the assertion does not depend on timing
    started = time.monotonic()
    engine.close()
    t.join(timeout=30)
    assert not t.is_alive()
    assert time.monotonic() - started < 30
    assert outcome and outcome[0] != "finished"
    assert s.closed


def test_unopenable_file_is_an_engine_error(tmp_path):
    with pytest.raises(errors.EngineError):
        Engine(tmp_path / "no" / "such" / "dir" / "db.duckdb")


# --- threads -------------------------------------------------------------------------------

def test_concurrent_sessions_on_threads(engine):
    setup = engine.session()
    setup.execute("CREATE TABLE c (thread INTEGER, i INTEGER)")
    failures = []

    def work(n: int) -> None:
        try:
            with engine.session() as s:
                for i in range(50):
                    s.execute("INSERT INTO c VALUES ($1, $2)", [n, i])
                s.begin()
                for i in range(50, 100):
                    s.execute("INSERT INTO c VALUES ($1, $2)", [n, i])
                s.commit()
                got = s.execute("SELECT count(*) FROM c WHERE thread = $1", [n]).rows
                assert got == [(100,)], got
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert setup.execute("SELECT count(*), count(DISTINCT thread) FROM c").rows == [(800, 8)]


def test_sessions_created_from_threads(engine):
    made = []

    def work():
        s = engine.session()
        made.append(s.execute("SELECT 1").rows)
        s.close()

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert made == [[(1,)]] * 16


def test_concurrent_ensure_schema(engine):
    failures = []

    def work(n):
        try:
            s = engine.session()
            s.set_schema("shared")
            s.execute(f"CREATE TABLE t{n} (a INTEGER)")
            s.close()
        except Exception as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not failures
    assert len(engine.session().tables("shared")) == 8


def test_interrupt_from_another_thread(session):
    timer = threading.Timer(0.2, session.interrupt)
    timer.start()
    started = time.monotonic()
    with pytest.raises(errors.QueryCanceled):
        session.execute("SELECT count(*) FROM range(10000000000) a, range(10) b "
                        "WHERE a.range % 7 = b.range")
    assert time.monotonic() - started < 30
    timer.join()
    assert session.execute("SELECT 1").rows == [(1,)]


# --- load_rows -----------------------------------------------------------------------------

def test_load_rows(engine, session):
    rows = [(f"peak {i}", 2000 + i, [6.5, 45.0 + i], None if i % 2 else 1800 + i)
            for i in range(1605)]
    started = time.perf_counter()
    n = engine.load_rows("sys", "summits",
                         "mountain VARCHAR, height INTEGER, coordinates DOUBLE[], "
                         "first_ascent INTEGER", rows)
    elapsed = time.perf_counter() - started
    assert n == 1605
    assert elapsed < 0.5
    res = session.execute("SELECT count(*), sum(height), count(first_ascent) FROM sys.summits")
    assert res.rows == [(1605, sum(2000 + i for i in range(1605)), 803)]
    assert session.execute("SELECT * FROM sys.summits WHERE mountain = 'peak 3'").rows == [
        ("peak 3", 2003, [6.5, 48.0], None)]
    assert session.execute("SELECT * FROM sys.summits ORDER BY height LIMIT 1").rows == [
        ("peak 0", 2000, [6.5, 45.0], 1800)]


def test_load_rows_pairs_replace_and_empty(engine, session):
    assert engine.load_rows("s", "k", [("a", "INTEGER"), ("b b", "VARCHAR")], [(1, "x")]) == 1
    assert session.execute('SELECT a, "b b" FROM s.k').rows == [(1, "x")]
    assert engine.load_rows("s", "k", [("a", "INTEGER"), ("b b", "VARCHAR")], []) == 0
    assert session.execute("SELECT count(*) FROM s.k").rows == [(0,)]
    assert engine.load_rows("s", "k", "a BIGINT", iter([(5,), (6,)])) == 2
    assert session.execute("SELECT a FROM s.k ORDER BY a").rows == [(5,), (6,)]


def test_load_rows_wrong_width(engine):
    with pytest.raises(errors.ParameterError):
        engine.load_rows("s", "w", "a INTEGER, b INTEGER", [(1, 2), (3,)])


def test_sql_cannot_touch_host_files(session, tmp_path):
    with pytest.raises(errors.Unsupported):
        session.execute(f"COPY (SELECT 1) TO '{tmp_path / 'x.csv'}'")
    with pytest.raises(errors.Unsupported):
        session.execute("SELECT * FROM read_csv('/etc/hostname')")
    with pytest.raises(errors.EngineError):
        session.execute("SET enable_external_access = true")


# --- speed smoke (the real benchmark lives in bench/) --------------------------------------

def test_large_select_is_one_fetch(session):
    res = session.execute("SELECT range AS i, 'row ' || range AS s FROM range(100000)")
    assert res.rowcount == 100000
    assert res.rows[99999] == (99999, "row 99999")


# --- nullability of result columns ---------------------------------------------------------

def test_result_columns_have_unknown_nullability(session, table):
    assert [c.null_ok for c in session.execute("SELECT id, name FROM t").columns] == [None, None]


@pytest.mark.parametrize("sql, expected", [
    ("SELECT * FROM t", [False, False, True, True]),
    ("SELECT * FROM main.t", [False, False, True, True]),
    ("SELECT id, name AS n, d, 1, upper(name), t.ts FROM t WHERE id > 0",
     [False, False, True, None, None, True]),
    ("SELECT count(*) FROM t", [None]),
    ("SELECT t.id FROM t, t AS u", [None]),
    ("SELECT t.name FROM t LEFT JOIN t u ON t.id = u.id", [None]),
    ("SELECT name FROM t UNION SELECT name FROM t", [None]),
    ("SELECT name FROM (SELECT * FROM t)", [None]),
    ("WITH x AS (SELECT * FROM t) SELECT name FROM x", [None]),
    ("SELECT id, max(name) FROM t GROUP BY id", [None, None]),
    ("SELECT *, 1 FROM t", [None] * 5),
    ("INSERT INTO t (id, name) VALUES (1, 'a') RETURNING id", [None]),
])
def test_infer_null_ok(session, table, sql, expected):
    res = session.execute(sql)
    cols = session.infer_null_ok(sql, res.columns)
    assert [c.null_ok for c in cols] == expected
    assert [c.name for c in cols] == [c.name for c in res.columns]


# --- project: the column-mapping hook -------------------------------------------------------

# Epoch milliseconds for every temporal precision, as a JSON wire format would want them
# (TIMESTAMP_S/MS/NS through TIMESTAMP: duckdb 2 has no epoch_ms of TIMESTAMP_MS itself).
EPOCH_MS = {
    "TIMESTAMP": "epoch_ms({})", "TIMESTAMP WITH TIME ZONE": "epoch_ms({})",
    "DATE": "epoch_ms({})", "TIMESTAMP_S": "epoch_ms({}::TIMESTAMP)",
    "TIMESTAMP_MS": "epoch_ms({}::TIMESTAMP)", "TIMESTAMP_NS": "epoch_ms({}::TIMESTAMP)",
}


def test_epoch_ms_converts_dates_and_timestamps(session):
    res = session.execute(
        "SELECT TIMESTAMP '2024-01-01 00:00:01.5' AS a, "
        "TIMESTAMPTZ '2024-01-01 00:00:00+01' AS b, DATE '1970-01-02' AS c, "
        "'2024-01-01'::TIMESTAMP_S AS d, '2024-01-01'::TIMESTAMP_NS AS e, "
        "'2024-01-01'::TIMESTAMP_MS AS f, NULL::DATE AS g, $1 AS h, "
        "[TIMESTAMP '2024-01-01'] AS i, TIME '01:00:00' AS j", [5], project=EPOCH_MS)
    assert res.rows == [(1704067201500, 1704063600000, 86400000, 1704067200000,
                         1704067200000, 1704067200000, None, 5,
                         [datetime.datetime(2024, 1, 1)], datetime.time(1))]
    assert [c.type_name for c in res.columns] == [
        "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "DATE", "TIMESTAMP_S", "TIMESTAMP_NS",
        "TIMESTAMP_MS", "DATE", "INTEGER", "TIMESTAMP[]", "TIME"]
    assert res.rowcount == 1 and res.statement_type == "SELECT"


def test_epoch_ms_keeps_order_names_and_errors(session, table):
    session.execute("INSERT INTO t (id, name, ts) VALUES (1, 'a', '1970-01-01 00:00:01'), "
                    "(2, 'b', '1970-01-01 00:00:02'), (3, 'c', NULL)")
    res = session.execute("SELECT id, ts, ts AS ts FROM t WHERE id > $1 ORDER BY id DESC",
                          [0], project=EPOCH_MS)
    assert res.rows == [(3, None, None), (2, 2000, 2000), (1, 1000, 1000)]
    assert [c.name for c in res.columns] == ["id", "ts", "ts"]
    assert session.execute("SELECT id FROM t WHERE id = 9", project=EPOCH_MS).rows == []
    with pytest.raises(errors.UnknownColumn):
        session.execute("SELECT nope FROM t", project=EPOCH_MS)
    with pytest.raises(errors.ParameterError):
        session.execute("SELECT $1, $2", [1], project=EPOCH_MS)
    with pytest.raises(errors.DivisionByZero):
        session.execute("SELECT id // 0 FROM t", project=EPOCH_MS)
    res = session.execute("INSERT INTO t (id, name) VALUES (4, 'd')", project=EPOCH_MS)
    assert (res.columns, res.rowcount) == ([], 1)
    res = session.execute("INSERT INTO t (id, name, ts) VALUES (5, 'e', '1970-01-01') "
                          "RETURNING ts", project=EPOCH_MS)
    assert res.rows == [(datetime.datetime(1970, 1, 1),)]  # only SELECT is converted


# --- project: plans reused per session, until the catalog changes ------------------------

def test_projection_plan_is_reused_and_gives_the_same_values(session, table):
    session.execute("INSERT INTO t (id, name, ts) VALUES (1, 'a', '1970-01-01 00:00:01')")
    sql = "SELECT id, ts FROM t WHERE id = $1 -- a trailing comment"
    first = session.execute(sql, [1], project=EPOCH_MS)
    again = session.execute(sql, [1], project=EPOCH_MS)
    assert first.rows == again.rows == [(1, 1000)]
    assert [c.type_name for c in again.columns] == ["INTEGER", "TIMESTAMP"]
    assert session.projection_stats == (1, 1)
    assert session.execute(sql, [2], project=EPOCH_MS).rows == []
    assert session.projection_stats == (2, 1)


def test_projection_plan_follows_the_types_of_the_values_bound(session):
    assert session.execute("SELECT $1 AS v", [5], project=EPOCH_MS).rows == [(5,)]
    res = session.execute("SELECT $1 AS v", [datetime.datetime(1970, 1, 1, 0, 0, 2)],
                          project=EPOCH_MS)
    assert res.rows == [(2000,)] and res.columns[0].type_name == "TIMESTAMP"
    assert session.execute("SELECT $1 AS v", ["x"], project=EPOCH_MS).rows == [("x",)]
    assert session.projection_stats == (0, 3)


def test_projection_plan_is_stale_after_another_sessions_ddl(engine, session, table):
    other = engine.session()
    session.execute("INSERT INTO t (id, name, ts) VALUES (1, 'a', '1970-01-01 00:00:01')")
    sql = "SELECT ts FROM t"
    assert session.execute(sql, project=EPOCH_MS).rows == [(1000,)]
    other.execute("DROP TABLE t")
    other.execute("CREATE TABLE t (ts VARCHAR)")
    other.execute("INSERT INTO t VALUES ('1970-01-01 00:00:01')")
    assert session.execute(sql, project=EPOCH_MS).rows == [("1970-01-01 00:00:01",)]
    # DDL inside a transaction counts when it commits
    other.begin()
    other.execute("DROP TABLE t")
    other.execute("CREATE TABLE t (ts DATE)")
    other.execute("INSERT INTO t VALUES ('1970-01-02')")
    assert session.execute(sql, project=EPOCH_MS).rows == [("1970-01-01 00:00:01",)]
    other.commit()
    assert session.execute(sql, project=EPOCH_MS).rows == [(86_400_000,)]
    assert session.projection_stats == (0, 4)
    other.close()


def test_projection_templates_may_repeat_the_column_and_plans_are_bounded(session):
    twice = {"INTEGER": "{0} + {0}"}
    assert session.execute("SELECT 21 AS a, 'x' AS a", project=twice).rows == [(42, "x")]
    for i in range(300):
        session.execute(f"SELECT {i} AS n", project=twice)
    assert len(session._plans) == 256


# --- insert_many: one INSERT ... VALUES for many parameter rows --------------------------

def test_insert_many_inserts_every_row_in_one_statement_or_none(session, table):
    sql = "INSERT INTO t (id, name, ts) VALUES ($2, upper($1), $3)"
    types = ["VARCHAR", "INTEGER", "TIMESTAMP"]
    rows = [["a", 1, datetime.datetime(2026, 1, 1)], ["b", 2, None]]
    assert session.insert_many(sql, rows, types) == 2
    assert session.execute("SELECT id, name, ts FROM t ORDER BY id").rows == [
        (1, "A", datetime.datetime(2026, 1, 1)), (2, "B", None)]
    with pytest.raises(errors.DuplicateKey):
        session.insert_many(sql, [["c", 3, None], ["d", 1, None]], types)
    assert session.execute("SELECT count(*) FROM t").rows == [(2,)]  # nothing of it went in
    for other in ("INSERT INTO t (id, name) VALUES ($1, $2), ($3, $4)",
                  "INSERT INTO t (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                  "INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id",
                  "UPDATE t SET name = $2 WHERE id = $1",
                  "INSERT INTO t (id, name) VALUES ($1, 'x')"):
        assert session.insert_many(other, [[7, "x"]], ["INTEGER", "VARCHAR"]) is None, other
    assert session.insert_many(sql, [["a", 9]], types) is None  # a row one value short
    assert session.execute("SELECT count(*) FROM t").rows == [(2,)]


def test_projection_of_a_statement_ending_in_a_semicolon(session):
    for sql in ("SELECT TIMESTAMP '1970-01-01 00:00:01' AS t;",
                "SELECT TIMESTAMP '1970-01-01 00:00:01' AS t ; -- done; really",
                "SELECT TIMESTAMP '1970-01-01 00:00:01' AS t /* ; */;;"):
        for _ in range(2):
            assert session.execute(sql, project=EPOCH_MS).rows == [(1000,)], sql
    res = session.execute("SELECT ';' AS a, TIMESTAMP '1970-01-01' AS b -- ;", project=EPOCH_MS)
    assert res.rows == [(";", 0)]


def test_projection_plan_of_a_long_text_is_not_kept(session):
    # a plan holds its text twice: a session keeps plans of statement-sized texts only
    sql = "SELECT $1::TIMESTAMP AS ts, length('" + "x" * 20_000 + "') AS n"
    stamp = datetime.datetime(1970, 1, 1, 0, 0, 3)
    for _ in range(2):
        assert session.execute(sql, [stamp], project=EPOCH_MS).rows == [(3000, 20_000)]
    assert session.projection_stats == (0, 2)


def test_statement_kinds_of_a_long_text_are_not_kept(session):
    from dbapi_conformance.mockservers.engine import session as session_module

    sql = "SELECT length('" + "y" * 20_000 + "') AS n"
    assert session.execute(sql).rows == [(20_000,)]
    assert sql not in session_module._statement_cache
    assert session.execute("SELECT 7 AS n").rows == [(7,)]
    assert "SELECT 7 AS n" in session_module._statement_cache


def test_data_version_moves_after_every_statement_that_may_write(engine, session):
    session.execute("CREATE TABLE dv (id INTEGER PRIMARY KEY, v VARCHAR)")
    session.execute("CREATE TABLE dw (id INTEGER)")
    t, other = ("main", "dv"), ("main", "dw")
    seen = [engine.data_version(t)]

    def moved(table=t) -> bool:
        now = engine.data_version(table)
        changed = now != seen[-1]
        seen.append(now)
        return changed

    session.execute("SELECT * FROM dv")
    session.execute("SELECT $1", [1], project={"INTEGER": "{}"})
    assert not moved()
    # a write that names its table moves that table's version only
    session.execute("INSERT INTO dv VALUES (1, 'a')", writes=[t])
    assert moved()
    before = engine.data_version(other)
    session.execute("UPDATE dv SET v = 'b'", writes=[t])
    assert moved() and engine.data_version(other) == before
    assert session.insert_many("INSERT INTO dv VALUES ($1, $2)", [(2, "c"), (3, "d")],
                               ["INTEGER", "VARCHAR"], writes=[t]) == 2
    assert moved() and engine.data_version(other) == before
    # a failed write moves it too (nothing tells what it did before failing)
    with pytest.raises(errors.ConstraintViolation):
        session.execute("INSERT INTO dv VALUES (1, 'again')", writes=[t])
    assert moved()
    # any other statement moves every table's
    session.execute("DELETE FROM dv WHERE id = 3")
    assert moved()
    session.execute("ALTER TABLE dv ADD COLUMN w INTEGER")
    assert moved()
    session.execute("INSERT INTO dw VALUES (1); INSERT INTO dw VALUES (2)", writes=[other])
    assert moved()
    # DDL that names its tables moves theirs only
    session.execute("CREATE TABLE dx (id INTEGER)", writes=[("main", "dx")])
    assert not moved() and moved(("main", "dx"))
    session.execute("ALTER TABLE dv ADD COLUMN x INTEGER", writes=[t])
    assert moved()
    # inside a transaction: again at its end, for every table if one write was not named
    before = engine.data_version(other)
    session.execute("BEGIN")
    session.execute("UPDATE dv SET v = 'e'", writes=[t])
    assert moved()
    session.execute("COMMIT")
    assert moved() and engine.data_version(other) == before
    session.execute("BEGIN")
    session.execute("UPDATE dv SET v = 'f'", writes=[t])
    assert moved()
    before = engine.data_version(other)
    session.execute("UPDATE dw SET id = 3")
    assert moved()
    session.execute("COMMIT")
    assert moved() and engine.data_version(other) != before
    engine.ensure_schema("elsewhere")  # no table written
    assert not moved()
    engine.load_rows("elsewhere", "lr", "a INTEGER", [(1,)])
    assert not moved() and moved(("elsewhere", "lr"))
