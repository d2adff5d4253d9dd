"""PEP 249 cursor methods that run statements: execute, executemany, parameters and
placeholders, setinputsizes/setoutputsize, and cursor close()."""

import pytest

from dbapi_conformance.suites.pep249._support import (
    assert_error,
    basic_rows,
    create_table_sql,
    custom_container,
    describe,
    dropped_after,
    filled_basic_table,
    insert_basic,
    observe_call,
    raised_by,
    select_basic,
    uses_names,
)


def _insert_sql(params, table):
    return params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")


def _name_of(cursor, params, table, row_id):
    """The name column of row ``row_id`` (None when there is no such row)."""
    cursor.execute(params.sql(f"SELECT name FROM {table} WHERE id = {{}}"), params.args(row_id))
    rows = cursor.fetchall()
    return rows[0][0] if rows else None


# --- execute --------------------------------------------------------------------------


@pytest.mark.pep249("CUR-EXEC-1")
def test_execute_runs_dml_and_queries(dbapi_target, dbapi_connection, dbapi_table):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    cursor.execute(f"INSERT INTO {table} (id, name) VALUES (41, 'a')")
    cursor.execute(f"INSERT INTO {table} (id, name) VALUES (42, 'b')")
    cursor.execute(f"INSERT INTO {table} (id, name) VALUES (43, 'c')")
    dbapi_target.sql.after_write(cursor, table)
    cursor.execute(f"UPDATE {table} SET name = 'B' WHERE id = 42")
    cursor.execute(f"DELETE FROM {table} WHERE id = 41")
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == [(42, "B"), (43, "c")]


@pytest.mark.pep249("CUR-EXEC-1")
def test_execute_runs_ddl(dbapi_module, dbapi_target, dbapi_connection, dbapi_table):
    cursor = dbapi_connection.cursor()
    with dropped_after(dbapi_connection, f"{dbapi_table()}_ddl") as table:
        cursor.execute(create_table_sql(dbapi_target, table))
        cursor.execute(f"INSERT INTO {table} (id) VALUES (7)")
        dbapi_target.sql.after_write(cursor, table)
        cursor.execute(f"SELECT id FROM {table}")
        assert [list(row) for row in cursor.fetchall()] == [[7]]
        cursor.execute(f"DROP TABLE {table}")
        exc = raised_by(
            lambda: cursor.execute(f"SELECT id FROM {table}"), "query of a dropped table"
        )
        assert_error(dbapi_module, exc, "Error", "query of a dropped table")


@pytest.mark.pep249("GLB-PARAM-3")
def test_declared_paramstyle_works(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    sql = _insert_sql(dbapi_params, table)
    cursor.execute(sql, dbapi_params.args(1, "one"))
    cursor.executemany(sql, [dbapi_params.args(2, "two"), dbapi_params.args(3, "three")])
    dbapi_target.sql.after_write(cursor, table)
    cursor.execute(
        dbapi_params.sql(
            f"SELECT id, name FROM {table} WHERE id >= {{}} AND name <> {{}} ORDER BY id"
        ),
        dbapi_params.args(2, "three"),
    )
    assert [tuple(row) for row in cursor.fetchall()] == [(2, "two")]


@pytest.mark.pep249("CUR-EXEC-2")
def test_parameters_as_builtin_sequence_or_mapping(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    sql = _insert_sql(dbapi_params, table)
    if uses_names(dbapi_module):
        containers = [dict]
    else:
        containers = [tuple, list]
    expected = []
    for row_id, container in enumerate(containers, start=1):
        cursor.execute(sql, container(dbapi_params.args(row_id, container.__name__)))
        expected.append((row_id, container.__name__))
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == expected


@pytest.mark.pep249("CUR-EXEC-3")
def test_parameters_in_custom_getitem_containers(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    sql = _insert_sql(dbapi_params, table)
    cursor.execute(sql, custom_container(dbapi_params.args(1, "custom")))
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == [(1, "custom")]
    cursor.execute(
        dbapi_params.sql(f"SELECT name FROM {table} WHERE id = {{}}"),
        custom_container(dbapi_params.args(1)),
    )
    assert [list(row) for row in cursor.fetchall()] == [["custom"]]


_AWKWARD_TEXTS = [
    "O'Reilly",
    "two '' quotes",
    'double "quotes"',
    "back\\slash \\' \\\\",
    "semi; DROP TABLE x; --",
    "/* not a comment */ -- nor this",
    "? ?? :1 :name :p1 $1 %s %(p1)s %% {}",
    "tab\tnew\nline\rreturn",
    "unicode: żółw 🐢 漢字 Ω",
]


@pytest.mark.pep249("CUR-EXEC-4")
def test_bound_values_need_no_escaping(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    rows = list(enumerate(_AWKWARD_TEXTS, start=1))
    insert_basic(cursor, dbapi_params, table, rows)
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == rows
    # The server saw the same values: it finds each row by comparing with the bound value.
    for row_id, text in rows:
        cursor.execute(
            dbapi_params.sql(f"SELECT id FROM {table} WHERE name = {{}}"), dbapi_params.args(text)
        )
        assert [list(row) for row in cursor.fetchall()] == [[row_id]], f"lookup of {text!r}"


@pytest.mark.pep249("CUR-EXEC-4")
@pytest.mark.dbapi_requires("nul_in_text")
def test_bound_text_with_nul(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    insert_basic(cursor, dbapi_params, table, [(1, "nul\x00inside")])
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == [(1, "nul\x00inside")]


# Placeholder tokens of every paramstyle. Inside a string literal none of them is a parameter.
_LOOKALIKES = {"qmark": "?", "numeric": ":1", "named": ":p1", "format": "%s", "pyformat": "%(p1)s"}


@pytest.mark.pep249("CUR-EXEC-5")
def test_placeholders_inside_literals_are_not_parameters(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    style = dbapi_module.paramstyle
    # '%' is the escape character of the format styles (written '%%', see the next test), so
    # their own tokens are left out of the literal here; every other token must pass as text.
    percent = style in ("format", "pyformat")
    literal = (
        " ".join(token for token in _LOOKALIKES.values() if not (percent and "%" in token))
        + " $1 :name"
    )
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    cursor.execute(
        dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, '{literal}')"),
        dbapi_params.args(1),
    )
    dbapi_target.sql.after_write(cursor, table)
    assert _name_of(cursor, dbapi_params, table, 1) == literal


@pytest.mark.pep249("CUR-EXEC-5")
def test_percent_escape_in_format_styles(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    literal = "100%% %%s %%(p1)s"
    cursor.execute(
        dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, '{literal}')"),
        dbapi_params.args(1),
    )
    dbapi_target.sql.after_write(cursor, table)
    if dbapi_module.paramstyle in ("format", "pyformat"):
        # printf rules: '%%' is a literal '%', so '%%s' is the text '%s', not a placeholder.
        expected = "100% %s %(p1)s"
    else:
        expected = literal  # '%' is not special in the other styles: the text is unchanged
    assert _name_of(cursor, dbapi_params, table, 1) == expected


@pytest.mark.pep249("CUR-EXEC-6")
def test_repeated_operation(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_observe
):
    table, rows = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 3)
    cursor = dbapi_connection.cursor()
    names = [_name_of(cursor, dbapi_params, table, row_id) for row_id, _ in rows]
    kept = [
        name
        for name in ("statement", "query", "operation", "_last_executed")
        if hasattr(cursor, name)
    ]
    dbapi_observe(
        "CUR-EXEC-6",
        f"same operation run 3 times with new parameters: correct={names == [n for _, n in rows]}; "
        f"cursor attributes holding the operation: {kept or 'none'}",
    )


@pytest.mark.pep249("CUR-EXEC-7")
def test_values_larger_than_declared_input_sizes(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    cursor.setinputsizes([None, 5])  # name declared as at most 5 characters
    long_name = "longer than five characters " * 4
    cursor.execute(_insert_sql(dbapi_params, table), dbapi_params.args(1, long_name))
    cursor.setinputsizes([getattr(dbapi_module, "STRING", None), 3])  # id declared as a string
    cursor.execute(_insert_sql(dbapi_params, table), dbapi_params.args(2, "x" * 10))
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == [(1, long_name), (2, "x" * 10)]


@pytest.mark.pep249("CUR-EXEC-8")
def test_execute_with_many_parameter_sets(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_observe
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    many = [dbapi_params.args(*row) for row in basic_rows(2)]
    outcome = observe_call(lambda: cursor.execute(_insert_sql(dbapi_params, table), many))
    try:
        stored = select_basic(cursor, table)
    except Exception as exc:  # noqa: BLE001 - observed, not scored
        stored = describe(exc)
    dbapi_observe(
        "CUR-EXEC-8", f"execute() given a list of 2 parameter sets: {outcome}; rows {stored}"
    )


@pytest.mark.pep249("CUR-EXEC-9")
def test_execute_return_value(dbapi_cursor, dbapi_target, dbapi_observe):
    outcome = observe_call(lambda: dbapi_cursor.execute(dbapi_target.sql.select_one))
    dbapi_observe("CUR-EXEC-9", f"execute(select_one): {outcome}")


# --- executemany ----------------------------------------------------------------------


@pytest.mark.pep249("CUR-EXECMANY-1")
def test_executemany_runs_once_per_parameter_set(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    rows = basic_rows(7)
    cursor.executemany(_insert_sql(dbapi_params, table), [dbapi_params.args(*row) for row in rows])
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == rows
    cursor.executemany(
        dbapi_params.sql(f"UPDATE {table} SET name = {{}} WHERE id = {{}}"),
        [dbapi_params.args("even", row_id) for row_id in (2, 4, 6)],
    )
    dbapi_target.sql.after_write(cursor, table)
    assert [name for _, name in select_basic(cursor, table)].count("even") == 3


@pytest.mark.pep249("CUR-EXECMANY-2")
def test_executemany_mechanism(dbapi_connection, dbapi_table, dbapi_params, dbapi_observe):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    seq = [dbapi_params.args(*row) for row in basic_rows(3)]
    outcome = observe_call(lambda: cursor.executemany(_insert_sql(dbapi_params, table), seq))
    dbapi_observe(
        "CUR-EXECMANY-2",
        f"executemany of 3 inserts {outcome}; rowcount {cursor.rowcount} "
        "(loop or array binding is not visible through the API)",
    )


@pytest.mark.pep249("CUR-EXECMANY-3")
def test_executemany_with_a_query(
    dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_observe
):
    table, _ = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 3)
    cursor = dbapi_connection.cursor()
    sql = dbapi_params.sql(f"SELECT name FROM {table} WHERE id = {{}}")
    outcome = observe_call(
        lambda: cursor.executemany(sql, [dbapi_params.args(1), dbapi_params.args(2)])
    )
    fetched = observe_call(cursor.fetchall)
    dbapi_observe("CUR-EXECMANY-3", f"executemany(SELECT): {outcome}; then fetchall(): {fetched}")


@pytest.mark.pep249("CUR-EXECMANY-4")
def test_executemany_return_value(dbapi_connection, dbapi_table, dbapi_params, dbapi_observe):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    seq = [dbapi_params.args(*row) for row in basic_rows(2)]
    outcome = observe_call(lambda: cursor.executemany(_insert_sql(dbapi_params, table), seq))
    dbapi_observe("CUR-EXECMANY-4", f"executemany(2 inserts): {outcome}")


# --- setinputsizes / setoutputsize ----------------------------------------------------


@pytest.mark.pep249("CUR-SETIN-1")
def test_setinputsizes(dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    # Type objects are checked under TYP-OBJ-1; None stands in for a missing one here.
    cursor.setinputsizes([getattr(dbapi_module, "NUMBER", None), 20])
    cursor.execute(_insert_sql(dbapi_params, table), dbapi_params.args(1, "sized"))
    cursor.setinputsizes([None, getattr(dbapi_module, "STRING", None)])
    cursor.execute(_insert_sql(dbapi_params, table), dbapi_params.args(2, "typed"))
    dbapi_target.sql.after_write(cursor, table)
    assert select_basic(cursor, table) == [(1, "sized"), (2, "typed")]


@pytest.mark.pep249("CUR-SETOUT-1")
def test_setoutputsize(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    long_name = "n" * 3000
    insert_basic(cursor, dbapi_params, table, [(1, long_name)])
    dbapi_target.sql.after_write(cursor, table)
    cursor.setoutputsize(1_000_000)
    cursor.setoutputsize(1_000_000, 1)
    assert select_basic(cursor, table) == [(1, long_name)]


# --- cursor close ---------------------------------------------------------------------


@pytest.mark.pep249("CUR-CLOSE-1")
def test_cursor_close_takes_effect_at_once(
    dbapi_module, dbapi_target, dbapi_connection, dbapi_table, dbapi_params
):
    table, rows = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 4)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {table} ORDER BY id")
    assert tuple(cursor.fetchone()) == rows[0]
    cursor.close()
    exc = raised_by(cursor.fetchone, "fetchone() on a closed cursor")
    assert_error(dbapi_module, exc, "Error", "fetchone() on a closed cursor")
    # Closing a cursor leaves its connection usable.
    assert select_basic(dbapi_connection.cursor(), table) == rows


def _use_closed_cursor(cursor, operation, target, params, table, optional):
    if operation == "execute":
        return cursor.execute(target.sql.select_one)
    if operation == "executemany":
        return cursor.executemany(
            params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})"), [params.args(9, "x")]
        )
    if operation in ("fetchone", "fetchall"):
        return getattr(cursor, operation)()
    if operation == "fetchmany":
        return cursor.fetchmany(2)
    # n/a only where the capability is declared absent and the method is missing.
    if operation == "callproc":
        return optional(cursor, "callproc", "callproc")("dbapi_no_such_procedure", ())
    if operation == "nextset":
        return optional(cursor, "nextset", "nextset")()
    raise AssertionError(operation)  # pragma: no cover


@pytest.mark.pep249("CUR-CLOSE-2")
@pytest.mark.parametrize(
    "operation",
    ["execute", "executemany", "fetchone", "fetchmany", "fetchall", "callproc", "nextset"],
)
def test_closed_cursor_raises_error(
    operation,
    dbapi_module,
    dbapi_target,
    dbapi_connection,
    dbapi_table,
    dbapi_params,
    dbapi_optional,
):
    table, _ = filled_basic_table(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 3)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SELECT id, name FROM {table}")
    cursor.close()
    exc = raised_by(
        lambda: _use_closed_cursor(
            cursor, operation, dbapi_target, dbapi_params, table, dbapi_optional
        ),
        f"{operation}() on a closed cursor",
    )
    assert_error(dbapi_module, exc, "Error", f"{operation}() on a closed cursor")
