"""PEP 249 optional extensions. An absent extension is conformant (reported "n/a"); a present
one must follow its rules. Also callproc and nextset, the optional cursor methods."""

import pytest

from dbapi_conformance.suites.pep249._support import (
    EXCEPTION_NAMES,
    assert_error,
    basic_rows,
    count_rows,
    describe,
    insert_basic,
    observe_call,
    query_basic_rows,
    raised_by,
)


def _refuses_assignment(obj, name, value):
    """True when ``obj.<name> = value`` raises or leaves the attribute unchanged."""
    before = getattr(obj, name)
    try:
        setattr(obj, name, value)
    except Exception:  # noqa: BLE001 - any refusal means read-only
        return True
    return getattr(obj, name) is before or getattr(obj, name) == before


def _error_class(module, name):
    """``module.<name>`` for an except clause; an empty tuple (catches nothing) if missing."""
    return getattr(module, name, ())


@pytest.fixture
def rows_cursor(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    """(cursor, rows): a cursor positioned on ``SELECT id, name`` of 6 rows ordered by id."""
    yield from query_basic_rows(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, 6)


# --- Cursor.rownumber -----------------------------------------------------------------


@pytest.mark.pep249("EXT-ROWNUM-1")
def test_rownumber(rows_cursor, dbapi_optional):
    cursor, rows = rows_cursor
    start = dbapi_optional(cursor, "rownumber")
    if start is None:
        pytest.skip("n/a: rownumber is None (position unknown) for this result set")
    assert start == 0
    cursor.fetchone()
    assert cursor.rownumber == 1
    cursor.fetchmany(2)
    assert cursor.rownumber == 3
    assert _refuses_assignment(cursor, "rownumber", 5), "rownumber accepted an assignment"


# --- Connection.Error etc. ------------------------------------------------------------


@pytest.mark.pep249("EXT-CONNEXC-1")
def test_exception_classes_on_the_connection(dbapi_module, dbapi_connection, dbapi_optional):
    dbapi_optional(dbapi_connection, "Error")
    for name in EXCEPTION_NAMES:
        assert getattr(dbapi_connection, name, None) is getattr(dbapi_module, name), (
            f"connection.{name} is not module.{name}"
        )


# --- Cursor.connection ----------------------------------------------------------------


@pytest.mark.pep249("EXT-CURCONN-1")
def test_cursor_connection(dbapi_connect, dbapi_optional):
    connection = dbapi_connect()
    cursor = connection.cursor()
    assert dbapi_optional(cursor, "connection") is connection
    other = dbapi_connect()
    assert _refuses_assignment(cursor, "connection", other), "cursor.connection is writable"


# --- Cursor.scroll --------------------------------------------------------------------


@pytest.mark.pep249("EXT-SCROLL-1")
def test_scroll(rows_cursor, dbapi_optional, dbapi_module):
    cursor, rows = rows_cursor
    scroll = dbapi_optional(cursor, "scroll")
    assert tuple(cursor.fetchone()) == rows[0]
    scroll(1)  # relative is the default mode: skips row 2
    assert tuple(cursor.fetchone()) == rows[2]
    scroll(4, mode="absolute")
    assert tuple(cursor.fetchone()) == rows[4]
    try:
        scroll(0, mode="absolute")
    except _error_class(dbapi_module, "NotSupportedError"):
        pytest.skip("n/a: scrolling backwards raises NotSupportedError (EXT-SCROLL-3)")
    assert tuple(cursor.fetchone()) == rows[0]


@pytest.mark.pep249("EXT-SCROLL-2")
def test_scroll_outside_the_result_set(rows_cursor, dbapi_optional):
    cursor, rows = rows_cursor
    scroll = dbapi_optional(cursor, "scroll")
    with pytest.raises(IndexError):
        scroll(len(rows) + 5)
    with pytest.raises(IndexError):
        scroll(len(rows) + 5, mode="absolute")


@pytest.mark.pep249("EXT-SCROLL-3")
def test_scroll_backwards(rows_cursor, dbapi_optional, dbapi_module, dbapi_observe):
    cursor, rows = rows_cursor
    scroll = dbapi_optional(cursor, "scroll")
    cursor.fetchmany(3)
    try:
        scroll(-2)
    except Exception as exc:  # noqa: BLE001 - classified below
        # Refusing is allowed, but only as NotSupportedError.
        assert_error(dbapi_module, exc, "NotSupportedError", "scroll(-2) refused")
        dbapi_observe("EXT-SCROLL-3", f"scroll(-2) raised {describe(exc)}")
        return
    assert tuple(cursor.fetchone()) == rows[1], "scroll(-2) after 3 rows did not land on row 2"
    dbapi_observe("EXT-SCROLL-3", "scrolling backwards is supported")


# --- messages -------------------------------------------------------------------------

_SENTINEL = (Warning, "dbapi-conformance sentinel message")


@pytest.mark.pep249("EXT-MSG-1")
def test_cursor_messages_is_a_list_of_pairs(dbapi_cursor, dbapi_target, dbapi_optional):
    messages = dbapi_optional(dbapi_cursor, "messages")
    assert isinstance(messages, list)
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    for entry in dbapi_cursor.messages:
        assert len(entry) == 2, f"message {entry!r} is not an (exception class, value) pair"
        assert isinstance(entry[0], type) and issubclass(entry[0], Exception)


@pytest.mark.pep249("EXT-MSG-2")
def test_cursor_messages_are_cleared_by_standard_methods(
    dbapi_cursor, dbapi_target, dbapi_optional
):
    messages = dbapi_optional(dbapi_cursor, "messages")
    messages.append(_SENTINEL)
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    assert _SENTINEL not in dbapi_cursor.messages, "execute() did not clear messages"
    dbapi_cursor.messages.append(_SENTINEL)
    dbapi_cursor.fetchone()
    assert _SENTINEL in dbapi_cursor.messages, "fetchone() cleared messages"
    del dbapi_cursor.messages[:]
    assert list(dbapi_cursor.messages) == []


@pytest.mark.pep249("EXT-MSG-3")
def test_connection_messages_are_cleared_by_standard_methods(dbapi_connection, dbapi_optional):
    messages = dbapi_optional(dbapi_connection, "messages")
    assert isinstance(messages, list)
    messages.append(_SENTINEL)
    dbapi_connection.commit()
    assert _SENTINEL not in dbapi_connection.messages, "commit() did not clear messages"
    dbapi_connection.messages.append(_SENTINEL)
    dbapi_connection.cursor()
    assert _SENTINEL not in dbapi_connection.messages, "cursor() did not clear messages"


# --- iteration --------------------------------------------------------------------------


@pytest.mark.pep249("EXT-NEXT-1")
def test_next(rows_cursor, dbapi_optional):
    cursor, rows = rows_cursor
    next_row = dbapi_optional(cursor, "next")
    assert tuple(next_row()) == rows[0]
    assert [tuple(row) for row in cursor.fetchmany(len(rows) - 1)] == rows[1:]
    with pytest.raises(StopIteration):
        next_row()


@pytest.mark.pep249("EXT-ITER-1")
def test_iter_returns_self(rows_cursor, dbapi_optional):
    cursor, rows = rows_cursor
    dbapi_optional(cursor, "__iter__")
    assert iter(cursor) is cursor
    assert tuple(next(cursor)) == rows[0]
    assert [tuple(row) for row in cursor] == rows[1:]


# --- Cursor.lastrowid -------------------------------------------------------------------


@pytest.mark.pep249("EXT-LASTROW-1")
def test_lastrowid(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_optional):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    assert dbapi_optional(cursor, "lastrowid") is None, "lastrowid before any execute"
    insert_basic(cursor, dbapi_params, table, basic_rows(1))
    after_insert = cursor.lastrowid
    assert _refuses_assignment(cursor, "lastrowid", 424242), "lastrowid accepted an assignment"
    dbapi_target.sql.after_write(cursor, table)
    cursor.execute(f"SELECT id FROM {table}")
    assert cursor.lastrowid is None, (
        f"lastrowid is {cursor.lastrowid!r} after a SELECT (after the INSERT: {after_insert!r})"
    )


@pytest.mark.pep249("EXT-LASTROW-2")
def test_lastrowid_after_executemany(dbapi_connection, dbapi_table, dbapi_params, dbapi_observe):
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    if not hasattr(cursor, "lastrowid"):
        dbapi_observe("EXT-LASTROW-2", "cursor has no lastrowid")
        return
    sql = dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")
    outcome = observe_call(
        lambda: cursor.executemany(sql, [dbapi_params.args(*row) for row in basic_rows(3)])
    )
    dbapi_observe(
        "EXT-LASTROW-2",
        f"executemany of 3 inserts {outcome}; then lastrowid is {cursor.lastrowid!r}",
    )


# --- Connection.autocommit ------------------------------------------------------------


@pytest.mark.pep249("EXT-AUTOC-1")
def test_autocommit_attribute(dbapi_target, dbapi_connection, dbapi_optional):
    value = dbapi_optional(dbapi_connection, "autocommit")
    assert isinstance(value, bool), f"autocommit is {value!r}, not True/False"
    if dbapi_target.capabilities.has("transactions"):
        assert value is False, "autocommit is on when the connection opens"


@pytest.mark.pep249("EXT-AUTOC-2")
@pytest.mark.dbapi_requires("transactions")
def test_autocommit_switch(dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional):
    table = dbapi_table()
    writer = dbapi_connect()
    dbapi_optional(writer, "autocommit")
    reader = dbapi_connect().cursor()
    cursor = writer.cursor()
    writer.autocommit = True
    assert writer.autocommit is True
    insert_basic(cursor, dbapi_params, table, basic_rows(1))
    assert count_rows(dbapi_target, reader, table) == 1, "autocommit=True did not commit"
    writer.autocommit = False
    assert writer.autocommit is False
    insert_basic(cursor, dbapi_params, table, basic_rows(1, start=2))
    assert count_rows(dbapi_target, reader, table) == 1, "autocommit=False committed at once"
    writer.commit()
    assert count_rows(dbapi_target, reader, table) == 2


@pytest.mark.pep249("EXT-AUTOC-3")
def test_setautocommit_method(dbapi_connection, dbapi_observe):
    dbapi_observe(
        "EXT-AUTOC-3",
        f"connection has setautocommit(): {hasattr(dbapi_connection, 'setautocommit')}",
    )


# --- errorhandler ---------------------------------------------------------------------


class _Handled(Exception):
    """Raised by the recording error handler, to tell its exception from the driver's."""


def _recording_handler(calls):
    def handler(connection, cursor, errorclass, errorvalue):
        calls.append((connection, cursor, errorclass, errorvalue))
        raise _Handled()

    return handler


@pytest.mark.pep249("EXT-ERRH-1")
def test_errorhandler_attributes(dbapi_connection, dbapi_optional):
    assert dbapi_optional(dbapi_connection, "errorhandler") is None
    cursor = dbapi_connection.cursor()
    assert getattr(cursor, "errorhandler", "missing") is None, "cursor.errorhandler"
    handler = _recording_handler([])
    dbapi_connection.errorhandler = handler
    assert dbapi_connection.errorhandler is handler
    cursor.errorhandler = handler
    assert cursor.errorhandler is handler
    dbapi_connection.errorhandler = None
    assert dbapi_connection.errorhandler is None


@pytest.mark.pep249("EXT-ERRH-2")
def test_errorhandler_is_called(dbapi_module, dbapi_target, dbapi_connection, dbapi_optional):
    cursor = dbapi_connection.cursor()
    dbapi_optional(cursor, "errorhandler")
    calls = []
    cursor.errorhandler = _recording_handler(calls)
    with pytest.raises(_Handled):
        cursor.execute(dbapi_target.sql.syntax_error)
    assert len(calls) == 1
    connection, errcursor, errorclass, errorvalue = calls[0]
    assert connection is dbapi_connection
    assert errcursor is cursor
    assert isinstance(errorclass, type) and issubclass(errorclass, dbapi_module.Error)
    assert errorvalue is not None


@pytest.mark.pep249("EXT-ERRH-3")
def test_cursor_copies_the_connection_errorhandler(dbapi_connection, dbapi_optional):
    dbapi_optional(dbapi_connection, "errorhandler")
    handler = _recording_handler([])
    dbapi_connection.errorhandler = handler
    assert dbapi_connection.cursor().errorhandler is handler


# --- callproc -------------------------------------------------------------------------


@pytest.mark.pep249("CUR-CALLPROC-1")
def test_callproc_is_a_method(dbapi_cursor, dbapi_optional):
    assert callable(dbapi_optional(dbapi_cursor, "callproc"))


def _procedure(target, kind):
    """The target's (name, argument list, expected result) for a procedure of ``kind``."""
    procedures = getattr(target.sql, "procedures", None) or {}
    if kind not in procedures:
        pytest.skip(f"n/a: the target supplies no {kind} procedure")
    return procedures[kind]


@pytest.mark.pep249("CUR-CALLPROC-2")
@pytest.mark.dbapi_requires("callproc")
def test_callproc_returns_modified_copy(dbapi_target, dbapi_cursor, dbapi_optional):
    callproc = dbapi_optional(dbapi_cursor, "callproc")
    name, args, expected = _procedure(dbapi_target, "inout")
    given = list(args)
    result = callproc(name, given)
    assert given == list(args), "callproc modified its input sequence"
    assert list(result) == list(expected)


@pytest.mark.pep249("CUR-CALLPROC-3")
@pytest.mark.dbapi_requires("callproc")
def test_callproc_result_set(dbapi_target, dbapi_cursor, dbapi_optional):
    callproc = dbapi_optional(dbapi_cursor, "callproc")
    name, args, expected = _procedure(dbapi_target, "result_set")
    callproc(name, list(args))
    assert [list(row) for row in dbapi_cursor.fetchall()] == [list(row) for row in expected]


# --- nextset --------------------------------------------------------------------------


@pytest.mark.pep249("CUR-NEXTSET-1")
def test_nextset_is_a_method(dbapi_cursor, dbapi_optional):
    assert callable(dbapi_optional(dbapi_cursor, "nextset"))


@pytest.mark.pep249("CUR-NEXTSET-2")
@pytest.mark.dbapi_requires("multiple_result_sets")
def test_nextset_moves_to_the_next_set(dbapi_target, dbapi_cursor, dbapi_optional):
    nextset = dbapi_optional(dbapi_cursor, "nextset")
    statement = getattr(dbapi_target.sql, "two_result_sets", None)
    if statement is None:
        pytest.skip("n/a: the target supplies no statement with two result sets")
    dbapi_cursor.execute(statement)
    first = dbapi_cursor.fetchone()
    assert first is not None and list(first) == [1]
    assert nextset(), "nextset() returned a false value while a second set exists"
    assert [list(row) for row in dbapi_cursor.fetchall()] == [[2]]
    assert nextset() is None


@pytest.mark.pep249("CUR-NEXTSET-2")
def test_nextset_with_a_single_set(dbapi_target, dbapi_cursor, dbapi_optional, dbapi_module):
    nextset = dbapi_optional(dbapi_cursor, "nextset")
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    try:
        result = nextset()
    except _error_class(dbapi_module, "NotSupportedError"):
        pytest.skip("n/a: nextset() raises NotSupportedError (no multiple result sets)")
    assert result is None, f"nextset() returned {result!r} with no further result set"


@pytest.mark.pep249("CUR-NEXTSET-3")
def test_nextset_without_result_set_raises(dbapi_module, dbapi_cursor, dbapi_optional):
    nextset = dbapi_optional(dbapi_cursor, "nextset")
    exc = raised_by(nextset, "nextset() before any execute")
    assert_error(dbapi_module, exc, "Error", "nextset() before any execute")
