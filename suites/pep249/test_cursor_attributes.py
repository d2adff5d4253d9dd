"""PEP 249 cursor attributes: description, rowcount, arraysize."""

import pytest

from dbapi_conformance.suites.pep249._support import (
    basic_rows,
    create_table_sql,
    dropped_after,
    filled_basic_table,
    insert_basic,
    observe_call,
)


def _assign(obj, name, value):
    """Try ``obj.<name> = value``; True when the assignment was accepted."""
    try:
        setattr(obj, name, value)
    except Exception:  # noqa: BLE001 - any refusal means read-only
        return False
    return True


# --- description ----------------------------------------------------------------------


@pytest.mark.pep249("CUR-DESC-1")
def test_description_is_read_only(dbapi_cursor, dbapi_target):
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    before = dbapi_cursor.description
    sentinel = (("dbapi_sentinel", None, None, None, None, None, None),)
    if _assign(dbapi_cursor, "description", sentinel):
        assert dbapi_cursor.description == before, "description accepted an assignment"


@pytest.mark.pep249("CUR-DESC-2")
def test_description_has_seven_items_per_column(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table, _ = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 2)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {table} ORDER BY id")
    description = cursor.description
    assert description is not None and len(description) == 2
    for column in description:
        assert len(column) == 7, f"description item {column!r} has not 7 items"
    assert [str(column[0]).lower() for column in description] == ["id", "name"]
    # A query that returns no rows still describes its columns.
    cursor.execute(f"SELECT name, id FROM {table} WHERE id < 0")
    assert [str(column[0]).lower() for column in cursor.description] == ["name", "id"]


@pytest.mark.pep249("CUR-DESC-3")
def test_description_mandatory_and_optional_items(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table, _ = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 1)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {table}")
    for column in cursor.description:
        name, type_code, display_size, internal_size, precision, scale, null_ok = column
        assert isinstance(name, str), f"column name {name!r} is not a str"
        assert type_code is not None, f"column {name}: type_code is None"
        for label, value in (
            ("display_size", display_size),
            ("internal_size", internal_size),
            ("precision", precision),
            ("scale", scale),
        ):
            assert value is None or isinstance(value, int), f"column {name}: {label}={value!r}"
        assert null_ok is None or isinstance(null_ok, (bool, int)), f"column {name}: null_ok"


@pytest.mark.pep249("CUR-DESC-4")
def test_description_is_none_before_execute(dbapi_cursor):
    assert dbapi_cursor.description is None


@pytest.mark.pep249("CUR-DESC-4")
@pytest.mark.parametrize("statement", ["insert", "update", "delete", "ddl"])
def test_description_is_none_without_result_set(
    statement, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table, _ = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 2)
    cursor = dbapi_connection.cursor()
    cursor.execute(dbapi_target.sql.select_one)  # a result set first, to see it replaced
    p = dbapi_params
    if statement == "insert":
        insert_basic(cursor, p, table, basic_rows(1, start=10))
    elif statement == "update":
        cursor.execute(p.sql(f"UPDATE {table} SET name = {{}} WHERE id = {{}}"), p.args("x", 1))
    elif statement == "delete":
        cursor.execute(p.sql(f"DELETE FROM {table} WHERE id = {{}}"), p.args(2))
    else:
        with dropped_after(dbapi_connection, f"{table}_ddl") as name:
            cursor.execute(create_table_sql(dbapi_target, name))
            assert cursor.description is None
            return
    assert cursor.description is None


# --- rowcount -------------------------------------------------------------------------


@pytest.mark.pep249("CUR-ROWC-1")
def test_rowcount_is_read_only(dbapi_cursor, dbapi_target):
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    before = dbapi_cursor.rowcount
    if _assign(dbapi_cursor, "rowcount", 12345):
        assert dbapi_cursor.rowcount == before, "rowcount accepted an assignment"


@pytest.mark.pep249("CUR-ROWC-2")
def test_rowcount_counts_affected_rows(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    p = dbapi_params
    for row in basic_rows(5):
        cursor.execute(p.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})"), p.args(*row))
        assert cursor.rowcount == 1, f"INSERT of one row: rowcount {cursor.rowcount}"
    dbapi_target.sql.after_write(cursor, table)
    cursor.execute(p.sql(f"UPDATE {table} SET name = {{}} WHERE id <= {{}}"), p.args("u", 3))
    assert cursor.rowcount == 3, f"UPDATE of 3 rows: rowcount {cursor.rowcount}"
    dbapi_target.sql.after_write(cursor, table)
    cursor.execute(p.sql(f"DELETE FROM {table} WHERE id > {{}}"), p.args(3))
    assert cursor.rowcount == 2, f"DELETE of 2 rows: rowcount {cursor.rowcount}"
    dbapi_target.sql.after_write(cursor, table)
    cursor.execute(p.sql(f"UPDATE {table} SET name = {{}} WHERE id > {{}}"), p.args("v", 100))
    assert cursor.rowcount == 0, f"UPDATE of no row: rowcount {cursor.rowcount}"


@pytest.mark.pep249("CUR-ROWC-2")
def test_rowcount_of_a_query(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table, rows = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 4)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {table}")
    # -1 is allowed while the count is unknown (footnote 7); any other value must be right.
    assert cursor.rowcount in (len(rows), -1), f"SELECT of 4 rows: rowcount {cursor.rowcount}"
    assert len(cursor.fetchall()) == len(rows)
    assert cursor.rowcount in (len(rows), -1), f"after fetchall: rowcount {cursor.rowcount}"


@pytest.mark.pep249("CUR-ROWC-3")
def test_rowcount_is_minus_one_before_execute(dbapi_cursor):
    assert dbapi_cursor.rowcount == -1


@pytest.mark.pep249("CUR-ROWC-4")
def test_rowcount_before_and_after_fetch(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_observe
):
    table, _ = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 3)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id FROM {table}")
    before = cursor.rowcount
    cursor.fetchall()
    dbapi_observe(
        "CUR-ROWC-4", f"SELECT of 3 rows: rowcount {before} before fetch, {cursor.rowcount} after"
    )


@pytest.mark.pep249("CUR-ROWC-5")
def test_rowcount_counts_matched_rows_of_update(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table, rows = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 3)
    cursor = dbapi_connection.cursor()
    # Sets the value row 2 already has: matched 1 row, changed none.
    cursor.execute(
        dbapi_params.sql(f"UPDATE {table} SET name = {{}} WHERE id = {{}}"),
        dbapi_params.args(rows[1][1], rows[1][0]),
    )
    assert cursor.rowcount == 1, f"UPDATE matching 1 unchanged row: rowcount {cursor.rowcount}"


@pytest.mark.pep249("CUR-ROWC-6")
def test_rowcount_when_unknown(dbapi_connection, dbapi_observe):
    cursor = dbapi_connection.cursor()
    dbapi_observe(
        "CUR-ROWC-6", f"rowcount of a new cursor: {observe_call(lambda: cursor.rowcount)}"
    )


# --- arraysize ------------------------------------------------------------------------


@pytest.mark.pep249("CUR-ASIZE-1")
def test_arraysize_defaults_to_one_and_is_writable(dbapi_cursor):
    assert dbapi_cursor.arraysize == 1
    dbapi_cursor.arraysize = 5
    assert dbapi_cursor.arraysize == 5


@pytest.mark.pep249("CUR-ASIZE-2")
def test_fetchmany_honours_arraysize(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table, rows = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 6)
    cursor = dbapi_connection.cursor()
    cursor.arraysize = 4
    cursor.execute(f"SELECT id, name FROM {table} ORDER BY id")
    assert [tuple(row) for row in cursor.fetchmany()] == rows[:4]


@pytest.mark.pep249("CUR-ASIZE-3")
def test_arraysize_and_executemany(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_observe
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    cursor.arraysize = 2
    sql = dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")
    outcome = observe_call(
        lambda: cursor.executemany(sql, [dbapi_params.args(*row) for row in basic_rows(5)])
    )
    dbapi_observe(
        "CUR-ASIZE-3",
        f"executemany of 5 rows with arraysize 2: {outcome}, rowcount {cursor.rowcount} "
        "(batching by arraysize is not visible through the API)",
    )
