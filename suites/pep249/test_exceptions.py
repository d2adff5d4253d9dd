"""PEP 249 exceptions: the class hierarchy, and the class raised for each kind of failure."""

import builtins

import pytest

from dbapi_conformance.suites.pep249._support import (
    DATABASE_ERROR_NAMES,
    EXCEPTION_NAMES,
    assert_error,
    basic_rows,
    create_table_sql,
    describe,
    error_within,
    insert_basic,
    module_attr,
)

# --- hierarchy --------------------------------------------------------------------------


@pytest.mark.pep249("EXC-WARN-1")
def test_warning_subclasses_exception(dbapi_module):
    warning = module_attr(dbapi_module, "Warning")
    assert isinstance(warning, type) and issubclass(warning, Exception)


@pytest.mark.pep249("EXC-WARN-2")
def test_warning_is_not_an_error(dbapi_module):
    warning = module_attr(dbapi_module, "Warning")
    error = module_attr(dbapi_module, "Error")
    assert not issubclass(warning, error)


@pytest.mark.pep249("EXC-WARN-3")
def test_warning_base(dbapi_module, dbapi_observe):
    warning = getattr(dbapi_module, "Warning", None)
    if warning is None:
        text = "module has no Warning"
    elif issubclass(warning, builtins.Warning):
        text = "Warning derives from the builtin Warning"
    else:
        text = f"Warning does not derive from the builtin Warning (bases {warning.__mro__[1:]})"
    dbapi_observe("EXC-WARN-3", text)


@pytest.mark.pep249("EXC-ERR-1")
def test_error_is_the_base_of_all_errors(dbapi_module):
    error = module_attr(dbapi_module, "Error")
    assert isinstance(error, type) and issubclass(error, Exception)
    for name in EXCEPTION_NAMES[2:]:
        assert issubclass(module_attr(dbapi_module, name), error), f"{name} is not an Error"


@pytest.mark.pep249("EXC-IFACE-1")
def test_interface_error_subclasses_error(dbapi_module):
    assert issubclass(
        module_attr(dbapi_module, "InterfaceError"), module_attr(dbapi_module, "Error")
    )


@pytest.mark.pep249("EXC-DB-1")
def test_database_error_subclasses_error(dbapi_module):
    assert issubclass(
        module_attr(dbapi_module, "DatabaseError"), module_attr(dbapi_module, "Error")
    )


_CLAUSE_OF = {
    "DataError": "EXC-DATA-1",
    "OperationalError": "EXC-OPER-1",
    "IntegrityError": "EXC-INTEG-1",
    "InternalError": "EXC-INTERN-1",
    "ProgrammingError": "EXC-PROG-1",
    "NotSupportedError": "EXC-NOTSUP-1",
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.pep249(_CLAUSE_OF[name]))
        for name in DATABASE_ERROR_NAMES
    ],
)
def test_database_error_subclass(dbapi_module, name):
    cls = module_attr(dbapi_module, name)
    assert issubclass(cls, module_attr(dbapi_module, "DatabaseError")), (
        f"{name} does not derive from DatabaseError (bases {cls.__mro__[1:]})"
    )


@pytest.mark.pep249("EXC-EXTEND-1")
def test_extra_exception_classes(dbapi_module, dbapi_observe):
    error = getattr(dbapi_module, "Error", None)
    extra = sorted(
        name
        for name, value in vars(dbapi_module).items()
        if isinstance(value, type)
        and error is not None
        and issubclass(value, error)
        and name not in EXCEPTION_NAMES
    )
    dbapi_observe("EXC-EXTEND-1", f"further Error subclasses on the module: {extra or 'none'}")


# --- the class raised for each kind of failure ------------------------------------------


#: Seconds the attempt to use an unreachable server may take, connect to first fetch.
UNREACHABLE_LIMIT = 60.0


def _use_unreachable(connect_unreachable, sql):
    """Connect where no server listens and run a query: the error comes from either step."""
    connection = connect_unreachable()
    cursor = connection.cursor()
    cursor.execute(sql.select_one)
    cursor.fetchall()


#: SqlProfile statements that provoke a DataError (EXC-DATA-1).
DATA_ERROR_KINDS = ("division_by_zero", "numeric_overflow")


def _data_error_kinds(sql):
    """The DATA_ERROR_KINDS the SqlProfile supplies; fails the test when it supplies none.

    A database may accept one of them (SQLite gives NULL for 1/0), so one is enough.
    """
    kinds = [kind for kind in DATA_ERROR_KINDS if getattr(sql, kind)]
    if not kinds:
        pytest.fail("SqlProfile.division_by_zero and SqlProfile.numeric_overflow are both "
                    "None: EXC-DATA-1 needs a statement the database rejects with a data error")
    return kinds


def _provoke(kind, target, connect, make_table, params, connect_unreachable=None):
    """Run one failing operation of the given kind; return the exception, or None."""
    sql = target.sql
    if kind == "unreachable_server":
        return error_within(
            lambda: _use_unreachable(connect_unreachable, sql), UNREACHABLE_LIMIT, kind
        )
    connection = connect()
    cursor = connection.cursor()
    try:
        if kind == "unknown_table":
            cursor.execute(f"SELECT id FROM {make_table()}_missing")
        elif kind == "existing_table":
            cursor.execute(create_table_sql(target, make_table()))
        elif kind == "syntax_error":
            cursor.execute(sql.syntax_error)
        elif kind == "duplicate_key":
            table = make_table()
            insert_basic(cursor, params, table, basic_rows(1))
            insert_basic(cursor, params, table, basic_rows(1))
        elif kind == "too_few_parameters":
            table = make_table()
            cursor.execute(
                params.sql(f"SELECT id FROM {table} WHERE id = {{}} AND name = {{}}"),
                params.args(1),
            )
        elif kind == "unbindable_parameter":
            cursor.execute(
                params.sql(f"SELECT id FROM {make_table()} WHERE id = {{}}"), params.args(object())
            )
        elif kind in DATA_ERROR_KINDS:
            cursor.execute(getattr(sql, kind))
            cursor.fetchall()
        elif kind == "closed_cursor":
            cursor.close()
            cursor.execute(sql.select_one)
        elif kind == "closed_connection":
            connection.close()
            connection.cursor().execute(sql.select_one)
        else:  # pragma: no cover - parametrisation error
            raise AssertionError(kind)
    except Exception as exc:  # noqa: BLE001 - classified by the caller
        return exc.with_traceback(None)  # its frames would keep the cursor alive
    return None


_ERROR_KINDS = [
    "unknown_table",
    "existing_table",
    "syntax_error",
    "duplicate_key",
    "too_few_parameters",
    "unbindable_parameter",
    "data_error",
    "closed_cursor",
    "closed_connection",
    "unreachable_server",
]


@pytest.mark.pep249("EXC-ALL-1")
@pytest.mark.parametrize("kind", _ERROR_KINDS)
def test_errors_are_module_errors(
    kind, dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params,
    dbapi_connect_unreachable,
):
    kinds = _data_error_kinds(dbapi_target.sql) if kind == "data_error" else [kind]
    for each in kinds:
        exc = _provoke(each, dbapi_target, dbapi_connect, dbapi_table, dbapi_params,
                       dbapi_connect_unreachable)
        # An error that is not reported at all is error information lost, too.
        assert exc is not None, f"{each}: no exception was raised"
        assert_error(dbapi_module, exc, "Error", each)


@pytest.mark.parametrize(
    "kind, expected",
    [
        pytest.param("unknown_table", "ProgrammingError", marks=pytest.mark.pep249("EXC-PROG-1")),
        pytest.param("existing_table", "ProgrammingError", marks=pytest.mark.pep249("EXC-PROG-1")),
        pytest.param("syntax_error", "ProgrammingError", marks=pytest.mark.pep249("EXC-PROG-1")),
        pytest.param(
            "too_few_parameters", "ProgrammingError", marks=pytest.mark.pep249("EXC-PROG-1")
        ),
        pytest.param("duplicate_key", "IntegrityError", marks=pytest.mark.pep249("EXC-INTEG-1")),
        pytest.param("data_error", "DataError", marks=pytest.mark.pep249("EXC-DATA-1")),
        pytest.param(
            "unreachable_server", "OperationalError", marks=pytest.mark.pep249("EXC-OPER-1")
        ),
    ],
)
def test_error_class_per_failure(
    kind, expected, dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params,
    dbapi_connect_unreachable,
):
    kinds = _data_error_kinds(dbapi_target.sql) if kind == "data_error" else [kind]
    for each in kinds:
        exc = _provoke(each, dbapi_target, dbapi_connect, dbapi_table, dbapi_params,
                       dbapi_connect_unreachable)
        assert exc is not None, f"{each}: no exception was raised"
        assert_error(dbapi_module, exc, expected, each)


@pytest.mark.pep249("EXC-VALUES-1")
@pytest.mark.parametrize("kind", ["unknown_table", "syntax_error", "duplicate_key"])
def test_error_message_is_helpful(kind, dbapi_target, dbapi_connect, dbapi_table, dbapi_params):
    exc = _provoke(kind, dbapi_target, dbapi_connect, dbapi_table, dbapi_params)
    assert exc is not None, f"{kind}: no exception was raised"
    assert str(exc).strip(), f"{kind}: the exception has no message ({describe(exc)!r})"
