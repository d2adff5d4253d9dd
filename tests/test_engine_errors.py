"""Every DuckDB error the engine maps, provoked with real statements."""

from __future__ import annotations

import duckdb
import pytest

from dbapi_conformance.mockservers.engine import Engine, errors


@pytest.fixture
def engine():
    eng = Engine()
    yield eng
    eng.close()


@pytest.fixture
def session(engine):
    s = engine.session()
    s.set_schema("e")
    s.execute("CREATE OR REPLACE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, "
              "u INTEGER UNIQUE, c INTEGER CHECK (c > 0))")
    yield s
    s.close()


def _raises(session, cls, sql, params=None):
    with pytest.raises(cls) as ei:
        session.execute(sql, params)
    err = ei.value
    assert type(err) is cls, (type(err), err.message)
    assert isinstance(err, errors.EngineError)
    assert err.message and "\n" not in err.message
    assert not err.message.startswith(("Catalog Error", "Binder Error", "Parser Error"))
    assert err.original
    return err


def test_unknown_table(session):
    err = _raises(session, errors.UnknownTable, "SELECT * FROM nosuch")
    assert (err.name, err.table, err.schema) == ("nosuch", "nosuch", None)
    err = _raises(session, errors.UnknownTable, "DROP TABLE nosuch")
    assert err.name == "nosuch"
    err = _raises(session, errors.UnknownTable, "INSERT INTO nosuch VALUES (1)")
    assert err.name == "nosuch"
    err = _raises(session, errors.UnknownTable, "DROP VIEW nov")
    assert err.name == "nov"
    err = _raises(session, errors.UnknownTable, "SELECT x.id FROM t")
    assert err.name == "x"


def test_unknown_table_in_existing_schema(session):
    err = _raises(session, errors.UnknownTable, "SELECT * FROM e.nosuch")
    assert err.table == "nosuch"


def test_unknown_schema(session):
    err = _raises(session, errors.UnknownSchema, "SELECT * FROM nos.nosuch")
    assert (err.name, err.table) == ("nos", "nosuch")
    err = _raises(session, errors.UnknownSchema, "CREATE TABLE nos.x (a INTEGER)")
    assert err.name == "nos"
    err = _raises(session, errors.UnknownSchema, "DROP SCHEMA nos")
    assert err.name == "nos"


def test_unknown_column(session):
    err = _raises(session, errors.UnknownColumn, "SELECT nocol FROM t")
    assert err.name == "nocol"
    err = _raises(session, errors.UnknownColumn, "SELECT t.nocol FROM t")
    assert (err.name, err.table) == ("nocol", "t")
    err = _raises(session, errors.UnknownColumn, "INSERT INTO t (nocol) VALUES (1)")
    assert (err.name, err.table) == ("nocol", "t")
    err = _raises(session, errors.UnknownColumn, "UPDATE t SET nocol = 1")
    assert err.name == "nocol"
    err = _raises(session, errors.UnknownColumn, "SELECT nocol")
    assert err.name == "nocol"
    err = _raises(session, errors.UnknownColumn, "SELECT * FROM t ORDER BY nocol")
    assert err.name == "nocol"


def test_unknown_function(session):
    err = _raises(session, errors.UnknownFunction, "SELECT nosuchfunc(1)")
    assert err.name == "nosuchfunc"
    err = _raises(session, errors.UnknownFunction, "SELECT 1 + 'a'")
    assert err.name == "+"


def test_table_exists(session):
    err = _raises(session, errors.TableExists, "CREATE TABLE t (a INTEGER)")
    assert (err.name, err.kind) == ("t", "table")
    session.execute("CREATE VIEW v AS SELECT 1 AS one")
    err = _raises(session, errors.TableExists, "CREATE VIEW v AS SELECT 2 AS two")
    assert (err.name, err.kind) == ("v", "view")


def test_schema_exists(session):
    err = _raises(session, errors.SchemaExists, "CREATE SCHEMA e")
    assert err.name == "e"


def test_duplicate_key(session):
    session.execute("INSERT INTO t (id, name) VALUES (1, 'a')")
    err = _raises(session, errors.DuplicateKey, "INSERT INTO t (id, name) VALUES (1, 'b')")
    assert err.key == "id: 1"
    assert isinstance(err, errors.ConstraintViolation)
    err = _raises(session, errors.DuplicateKey,
                  "INSERT INTO t (id, name) VALUES (2, 'a'), (2, 'b')")
    assert err.key == "2"
    session.execute("INSERT INTO t (id, name, u) VALUES (3, 'c', 7)")
    err = _raises(session, errors.DuplicateKey, "INSERT INTO t (id, name, u) VALUES (4, 'd', 7)")
    assert err.key == "u: 7"
    # nothing of the failed statements was written
    assert session.execute("SELECT id FROM t ORDER BY id").rows == [(1,), (3,)]


def test_not_null(session):
    err = _raises(session, errors.NotNullViolation, "INSERT INTO t (id, name) VALUES (5, NULL)")
    assert (err.name, err.table) == ("name", "t")
    err = _raises(session, errors.NotNullViolation, "INSERT INTO t (id) VALUES (6)")
    assert err.name == "name"
    session.execute("INSERT INTO t (id, name) VALUES (7, 'x')")
    err = _raises(session, errors.NotNullViolation, "UPDATE t SET name = NULL")
    assert err.name == "name"
    err = _raises(session, errors.NotNullViolation, "INSERT INTO t (id, name) VALUES (NULL, 'x')")
    assert err.name == "id"


def test_other_constraints(session):
    _raises(session, errors.ConstraintViolation, "INSERT INTO t (id, name, c) VALUES (8, 'x', -1)")
    session.execute("CREATE TABLE f (a INTEGER REFERENCES t (id))")
    _raises(session, errors.ConstraintViolation, "INSERT INTO f VALUES (99)")


def test_syntax_error_with_position(session):
    err = _raises(session, errors.SQLSyntaxError, "SELEC 1")
    assert (err.line, err.col) == (1, 1)
    err = _raises(session, errors.SQLSyntaxError, "SELECT * FROM t WHERE")
    assert err.line == 1 and err.col is not None
    err = _raises(session, errors.SQLSyntaxError, "SELECT 1\nFROM t WHERE id = = 2")
    assert (err.line, err.col) == (2, 19)
    _raises(session, errors.SQLSyntaxError, "SELECT 'unterminated")


def test_invalid_statement(session):
    _raises(session, errors.InvalidStatement, "SELECT id, count(*) FROM t")
    session.execute("CREATE TABLE x1 (a INTEGER)")
    session.execute("CREATE TABLE x2 (a INTEGER)")
    _raises(session, errors.InvalidStatement, "SELECT a FROM x1, x2")
    session.execute("CREATE SCHEMA dep")
    session.execute("CREATE TABLE dep.d (a INTEGER)")
    _raises(session, errors.InvalidStatement, "DROP SCHEMA dep")


def test_cast_error(session):
    _raises(session, errors.CastError, "SELECT CAST('abc' AS INTEGER)")
    _raises(session, errors.CastError, "SELECT 'x'::DATE")
    _raises(session, errors.CastError, "INSERT INTO t (id, name) VALUES ($1, 'a')", ["abc"])
    _raises(session, errors.CastError, "SELECT $1::TIMESTAMP", [1700000000000])


def test_division_by_zero(session):
    _raises(session, errors.DivisionByZero, "SELECT 1 // 0")
    _raises(session, errors.DivisionByZero, "SELECT 1 % 0")
    # DuckDB's "/" is float division: 1 / 0 is NULL, not an error (a mock must rewrite)
    assert session.execute("SELECT 1 / 0").rows in ([(None,)], [(float("inf"),)])


def test_numeric_overflow(session):
    _raises(session, errors.NumericOverflow, "SELECT 2147483647::INTEGER + 1")
    _raises(session, errors.NumericOverflow, "SELECT 9223372036854775807 + 1")
    _raises(session, errors.NumericOverflow, "SELECT 300::TINYINT")
    _raises(session, errors.NumericOverflow, "INSERT INTO t (id, name) VALUES ($1, 'a')",
            [2**40])


def test_parameter_errors(session):
    err = _raises(session, errors.ParameterError, "SELECT $1, $2", [1])
    assert err.missing == [2]
    err = _raises(session, errors.ParameterError, "SELECT $1", [1, 2, 3])
    assert err.surplus == [2, 3]
    err = _raises(session, errors.ParameterError, "SELECT ?")
    assert err.missing == [1]
    err = _raises(session, errors.ParameterError, "SELECT ?", [])
    assert err.missing == [1]


def test_unsupported(session):
    _raises(session, errors.Unsupported, "CREATE TABLE g (p GEO_POINT)")
    _raises(session, errors.Unsupported, "COPY t TO '/tmp/never-written.csv'")


def test_transaction_error(session):
    _raises(session, errors.TransactionError, "COMMIT")
    _raises(session, errors.TransactionError, "ROLLBACK")


def test_internal_error_for_unknown_duckdb_errors():
    err = errors.from_duckdb(duckdb.InternalException("INTERNAL Error: boom\nstack"))
    assert type(err) is errors.InternalError and err.message == "boom"
    err = errors.from_duckdb(duckdb.IOException("IO Error: disk"))
    assert type(err) is errors.InternalError and err.message == "disk"
    err = errors.from_duckdb(duckdb.Error("odd"))
    assert type(err) is errors.InternalError
    err = errors.from_duckdb(duckdb.InvalidInputException(
        "Invalid Input Error: Required module 'pytz' failed to import, due to ..."))
    assert type(err) is errors.InternalError and "pytz" in err.message
    same = errors.CastError("x")
    assert errors.from_duckdb(same) is same


def test_invalid_regex_is_internal(session):
    _raises(session, errors.InternalError, "SELECT regexp_matches('a', '(')")


def test_error_constructors_for_mocks():
    e = errors.UnknownTable("doc.t", schema="doc", table="t")
    assert e.message == 'table "doc.t" does not exist' and str(e) == e.message
    assert errors.UnknownColumn("c").message == 'column "c" does not exist'
    assert errors.UnknownSchema("s").name == "s"
    assert errors.TableExists("t").kind == "table"
    assert errors.NotNullViolation("c").message == 'column "c" must not be NULL'
    assert errors.DuplicateKey().message == "duplicate key"
    assert errors.SQLSyntaxError("bad", line=1, col=2).col == 2
    assert errors.ParameterError("p", missing=[2]).missing == [2]
    for cls in (errors.CastError, errors.DivisionByZero, errors.NumericOverflow,
                errors.Unsupported, errors.TransactionError, errors.InternalError,
                errors.InvalidStatement, errors.QueryCanceled):
        assert cls("m").message == "m"
        assert issubclass(cls, errors.EngineError)
