"""PEP 249 fetchone, fetchmany, fetchall: results, sizes, and errors without a result set."""

import pytest

from dbapi_conformance.suites.pep249._support import (
    assert_error,
    basic_rows,
    create_table_sql,
    dropped_after,
    insert_basic,
    query_basic_rows,
    raised_by,
)


@pytest.fixture
def six_rows(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    """(cursor, rows): a cursor positioned on ``SELECT id, name`` of 6 rows ordered by id."""
    yield from query_basic_rows(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 6)


def _no_result_set(situation, cursor, target, connection, make_table, params):
    """Put ``cursor`` in a state where its last operation produced no result set."""
    if situation == "nothing_executed":
        return
    if situation == "after_insert":
        insert_basic(cursor, params, make_table(), basic_rows(1))
    elif situation == "after_executemany":
        cursor.executemany(
            params.sql(f"INSERT INTO {make_table()} (id, name) VALUES ({{}}, {{}})"),
            [params.args(*row) for row in basic_rows(2)],
        )
    elif situation == "after_ddl":
        name = f"{make_table()}_ddl"
        with dropped_after(connection, name):
            cursor.execute(create_table_sql(target, name))
    else:  # pragma: no cover
        raise AssertionError(situation)


_SITUATIONS = ["nothing_executed", "after_insert", "after_executemany", "after_ddl"]


# CUR-FONE-2, and CUR-FMANY-4 / CUR-FALL-2 ("same error cases as fetchone").
_FETCH_METHODS = [
    pytest.param("fetchone", marks=pytest.mark.pep249("CUR-FONE-2"), id="fetchone"),
    pytest.param("fetchmany", marks=pytest.mark.pep249("CUR-FMANY-4"), id="fetchmany"),
    pytest.param("fetchall", marks=pytest.mark.pep249("CUR-FALL-2"), id="fetchall"),
]


@pytest.mark.parametrize("situation", _SITUATIONS)
@pytest.mark.parametrize("method", _FETCH_METHODS)
def test_fetch_without_result_set_raises(
    method, situation, dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    cursor = dbapi_connection.cursor()
    _no_result_set(situation, cursor, dbapi_target, dbapi_connection, dbapi_table, dbapi_params)
    what = f"{method}() {situation.replace('_', ' ')}"
    exc = raised_by(getattr(cursor, method), what)
    assert_error(dbapi_module, exc, "Error", what)


# --- fetchone -------------------------------------------------------------------------


@pytest.mark.pep249("CUR-FONE-1")
def test_fetchone_returns_rows_then_none(six_rows):
    cursor, rows = six_rows
    fetched = []
    for _ in rows:
        row = cursor.fetchone()
        assert row is not None and not isinstance(row, (str, bytes))
        assert len(row) == 2
        fetched.append(tuple(row))
    assert fetched == rows
    assert cursor.fetchone() is None
    assert cursor.fetchone() is None


@pytest.mark.pep249("CUR-FONE-1")
def test_fetchone_on_empty_result(dbapi_connection, dbapi_table):
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {dbapi_table()}")
    assert cursor.fetchone() is None


@pytest.mark.pep249("CUR-FONE-3")
def test_fetchone_prefetch(six_rows, dbapi_observe):
    cursor, rows = six_rows
    first = cursor.fetchone()
    rest = cursor.fetchall()
    dbapi_observe(
        "CUR-FONE-3",
        f"row type {type(first).__name__}; fetchone then fetchall returned "
        f"{1 + len(rest)} of {len(rows)} rows (array prefetch is not visible through the API)",
    )


# --- fetchmany ------------------------------------------------------------------------


@pytest.mark.pep249("CUR-FMANY-1")
def test_fetchmany_returns_sequences_then_empty(six_rows):
    cursor, rows = six_rows
    batch = cursor.fetchmany(6)
    assert [tuple(row) for row in batch] == rows
    assert all(len(row) == 2 for row in batch)
    empty = cursor.fetchmany(2)
    assert len(empty) == 0 and list(empty) == []


@pytest.mark.pep249("CUR-FMANY-2")
def test_fetchmany_size_defaults_to_arraysize(six_rows):
    cursor, rows = six_rows
    assert [tuple(row) for row in cursor.fetchmany()] == rows[:1]  # arraysize defaults to 1
    cursor.arraysize = 3
    assert [tuple(row) for row in cursor.fetchmany()] == rows[1:4]


@pytest.mark.pep249("CUR-FMANY-3")
def test_fetchmany_returns_fewer_only_at_the_end(six_rows):
    cursor, rows = six_rows
    assert [tuple(row) for row in cursor.fetchmany(4)] == rows[:4]
    assert [tuple(row) for row in cursor.fetchmany(4)] == rows[4:]
    assert list(cursor.fetchmany(4)) == []


# --- fetchall -------------------------------------------------------------------------


@pytest.mark.pep249("CUR-FALL-1")
def test_fetchall_returns_the_remaining_rows(six_rows):
    cursor, rows = six_rows
    assert tuple(cursor.fetchone()) == rows[0]
    rest = cursor.fetchall()
    assert [tuple(row) for row in rest] == rows[1:]
    assert list(cursor.fetchall()) == []


@pytest.mark.pep249("CUR-FALL-1")
def test_fetchall_on_empty_result(dbapi_connection, dbapi_table):
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {dbapi_table()}")
    assert list(cursor.fetchall()) == []
