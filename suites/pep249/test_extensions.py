"""PEP 249 optional extensions, and callproc and nextset, the optional cursor methods.

An absent extension is conformant when the target declares its capability absent (reported
"n/a" with the declared reason); missing without that declaration, the test fails. A present
extension must follow its rules whatever the declarations say, so these tests carry no
``dbapi_requires`` of the extension's own capability. callproc and nextset are the
exception: a driver may keep them and raise NotSupportedError where its database has no
procedures or a single result set (PEP 249 footnote 3), so their tests need the database
capability.
"""

import contextlib
import secrets

import pytest

from dbapi_conformance.suites.pep249._support import (
    EXCEPTION_NAMES,
    assert_error,
    basic_rows,
    count_rows,
    describe,
    insert_basic,
    module_attr,
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
def test_rownumber(rows_cursor, dbapi_optional, dbapi_observe):
    cursor, rows = rows_cursor
    start = dbapi_optional(cursor, "rownumber", "rownumber")
    if start is None:
        # Allowed: "None if the index cannot be determined"; then it stays unknown.
        cursor.fetchone()
        assert cursor.rownumber in (None, 1), f"rownumber {cursor.rownumber!r} after 1 row"
        dbapi_observe("EXT-ROWNUM-1", "rownumber is None: the position is not known")
    else:
        assert start == 0
        cursor.fetchone()
        assert cursor.rownumber == 1
        cursor.fetchmany(2)
        assert cursor.rownumber == 3
    assert _refuses_assignment(cursor, "rownumber", 5), "rownumber accepted an assignment"


# --- Connection.Error etc. ------------------------------------------------------------


@pytest.mark.pep249("EXT-CONNEXC-1")
def test_exception_classes_on_the_connection(dbapi_module, dbapi_connection, dbapi_optional):
    for name in EXCEPTION_NAMES:
        on_connection = dbapi_optional(dbapi_connection, name, "connection_exceptions")
        assert on_connection is module_attr(dbapi_module, name), (
            f"connection.{name} is not module.{name}"
        )


# --- Cursor.connection ----------------------------------------------------------------


@pytest.mark.pep249("EXT-CURCONN-1")
def test_cursor_connection(dbapi_connect, dbapi_optional):
    connection = dbapi_connect()
    cursor = connection.cursor()
    assert dbapi_optional(cursor, "connection", "cursor_connection") is connection
    other = dbapi_connect()
    assert _refuses_assignment(cursor, "connection", other), "cursor.connection is writable"


# --- Cursor.scroll --------------------------------------------------------------------


@pytest.mark.pep249("EXT-SCROLL-1")
def test_scroll(rows_cursor, dbapi_optional, dbapi_module, dbapi_observe):
    cursor, rows = rows_cursor
    scroll = dbapi_optional(cursor, "scroll", "scroll")
    assert tuple(cursor.fetchone()) == rows[0]
    scroll(1)  # relative is the default mode: skips row 2
    assert tuple(cursor.fetchone()) == rows[2]
    scroll(4, mode="absolute")
    assert tuple(cursor.fetchone()) == rows[4]
    try:
        scroll(0, mode="absolute")
    except _error_class(dbapi_module, "NotSupportedError") as exc:
        # Allowed for scrolling backwards (EXT-SCROLL-3); the forward moves were checked.
        dbapi_observe("EXT-SCROLL-1", f"scroll(0, mode='absolute') raised {describe(exc)}")
        return
    assert tuple(cursor.fetchone()) == rows[0]


@pytest.mark.pep249("EXT-SCROLL-2")
def test_scroll_outside_the_result_set(rows_cursor, dbapi_optional):
    cursor, rows = rows_cursor
    scroll = dbapi_optional(cursor, "scroll", "scroll")
    with pytest.raises(IndexError):
        scroll(len(rows) + 5)
    with pytest.raises(IndexError):
        scroll(len(rows) + 5, mode="absolute")


@pytest.mark.pep249("EXT-SCROLL-3")
def test_scroll_backwards(rows_cursor, dbapi_optional, dbapi_module, dbapi_observe):
    cursor, rows = rows_cursor
    scroll = dbapi_optional(cursor, "scroll", "scroll")
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
def test_cursor_messages_is_a_list(dbapi_cursor, dbapi_target, dbapi_optional):
    assert isinstance(dbapi_optional(dbapi_cursor, "messages", "messages"), list)
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    assert isinstance(dbapi_cursor.messages, list), "messages is no list after execute()"


@pytest.mark.pep249("EXT-MSG-1")
@pytest.mark.dbapi_requires("warning_messages")
def test_cursor_messages_hold_the_database_messages(dbapi_cursor, dbapi_target, dbapi_optional):
    dbapi_optional(dbapi_cursor, "messages", "messages")
    statement = dbapi_target.sql.warning
    if statement is None:
        pytest.fail("SqlProfile.warning is None, and the capability 'warning_messages' is not "
                    "declared absent")
    dbapi_cursor.execute(statement)
    messages = list(dbapi_cursor.messages)
    assert messages, "no message in cursor.messages after SqlProfile.warning"
    for entry in messages:
        assert len(entry) == 2, f"message {entry!r} is not an (exception class, value) pair"
        assert isinstance(entry[0], type) and issubclass(entry[0], Exception), (
            f"message {entry!r}: {entry[0]!r} is not an exception class"
        )


@pytest.mark.pep249("EXT-MSG-2")
def test_cursor_messages_are_cleared_by_standard_methods(
    dbapi_cursor, dbapi_target, dbapi_optional
):
    messages = dbapi_optional(dbapi_cursor, "messages", "messages")
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
    messages = dbapi_optional(dbapi_connection, "messages", "messages")
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
    next_row = dbapi_optional(cursor, "next", "next")
    assert tuple(next_row()) == rows[0]
    assert [tuple(row) for row in cursor.fetchmany(len(rows) - 1)] == rows[1:]
    with pytest.raises(StopIteration):
        next_row()


@pytest.mark.pep249("EXT-ITER-1")
def test_iter_returns_self(rows_cursor, dbapi_optional):
    cursor, rows = rows_cursor
    dbapi_optional(cursor, "__iter__", "iter")
    assert iter(cursor) is cursor
    assert tuple(next(cursor)) == rows[0]
    assert [tuple(row) for row in cursor] == rows[1:]


# --- Cursor.lastrowid -------------------------------------------------------------------


@pytest.mark.pep249("EXT-LASTROW-1")
def test_lastrowid(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_optional):
    # No dbapi_requires: declared absent ("no row ids"), a lastrowid that is there must stay
    # None; only a missing attribute is then n/a.
    table = dbapi_table()
    cursor = dbapi_connection.cursor()
    assert dbapi_optional(cursor, "lastrowid", "lastrowid") is None, "lastrowid before execute"
    insert_basic(cursor, dbapi_params, table, basic_rows(1))
    after_insert = cursor.lastrowid
    if dbapi_target.capabilities.has("lastrowid"):
        assert after_insert is not None, "lastrowid is None after a single-row INSERT"
    else:
        assert after_insert is None, (
            f"lastrowid is {after_insert!r}, but the target declares no row ids "
            f"({dbapi_target.capabilities.reason('lastrowid')})"
        )
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
    value = dbapi_optional(dbapi_connection, "autocommit", "autocommit_attribute")
    assert isinstance(value, bool), f"autocommit is {value!r}, not True/False"
    if dbapi_target.capabilities.has("transactions"):
        assert value is False, "autocommit is on when the connection opens"


@pytest.mark.pep249("EXT-AUTOC-2")
@pytest.mark.dbapi_requires("transactions")
def test_autocommit_switch(dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional):
    table = dbapi_table()
    writer = dbapi_connect()
    dbapi_optional(writer, "autocommit", "autocommit_attribute")
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
    assert dbapi_optional(dbapi_connection, "errorhandler", "errorhandler") is None
    cursor = dbapi_connection.cursor()
    assert dbapi_optional(cursor, "errorhandler", "errorhandler") is None, "cursor.errorhandler"
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
    dbapi_optional(cursor, "errorhandler", "errorhandler")
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
    dbapi_optional(dbapi_connection, "errorhandler", "errorhandler")
    handler = _recording_handler([])
    dbapi_connection.errorhandler = handler
    assert dbapi_connection.cursor().errorhandler is handler


# --- callproc -------------------------------------------------------------------------


@pytest.mark.pep249("CUR-CALLPROC-1")
@pytest.mark.dbapi_requires("callproc")
def test_callproc_is_a_method(dbapi_cursor, dbapi_optional):
    assert callable(dbapi_optional(dbapi_cursor, "callproc", "callproc"))


@contextlib.contextmanager
def _procedure(target, connection, kind, capability):
    """Yield (name, Procedure): the target's procedure of ``kind``, created for the test.

    The procedure gets a unique name (``{Procedure.name}_<8 hex>`` put into ``{name}`` of its
    create and drop statements), is created before and dropped after (best effort). A
    procedure without create statements always exists and keeps its name.
    """
    procedure = target.sql.procedures.get(kind)
    if procedure is None:
        pytest.fail(f"SqlProfile.procedures has no {kind!r} procedure, and the capability "
                    f"{capability!r} is not declared absent")
    if not procedure.create:
        yield procedure.name, procedure
        return
    name = f"{procedure.name}_{secrets.token_hex(4)}"
    cursor = connection.cursor()
    for statement in procedure.create:
        cursor.execute(statement.format(name=name))
    connection.commit()
    try:
        yield name, procedure
    finally:
        with contextlib.suppress(Exception):
            for statement in procedure.drop:
                cursor.execute(statement.format(name=name))
            connection.commit()


@pytest.mark.pep249("CUR-CALLPROC-2")
@pytest.mark.dbapi_requires("callproc", "callproc_inout")
def test_callproc_returns_modified_copy(dbapi_target, dbapi_connection, dbapi_optional):
    cursor = dbapi_connection.cursor()
    callproc = dbapi_optional(cursor, "callproc", "callproc")
    with _procedure(dbapi_target, dbapi_connection, "inout", "callproc_inout") as (name, proc):
        given = list(proc.args)
        result = callproc(name, given)
        assert given == list(proc.args), "callproc modified its input sequence"
        assert result is not None, "callproc returned None, not the modified parameters"
        assert list(result) == list(proc.returns), (
            f"callproc returned {list(result)!r}; the IN values with OUT/INOUT replaced are "
            f"{list(proc.returns)!r}"
        )


@pytest.mark.pep249("CUR-CALLPROC-3")
@pytest.mark.dbapi_requires("callproc")
def test_callproc_result_set(dbapi_target, dbapi_connection, dbapi_optional):
    cursor = dbapi_connection.cursor()
    callproc = dbapi_optional(cursor, "callproc", "callproc")
    with _procedure(dbapi_target, dbapi_connection, "result_set", "callproc") as (name, proc):
        callproc(name, list(proc.args))
        assert [list(row) for row in cursor.fetchall()] == [list(row) for row in proc.rows]


# --- nextset --------------------------------------------------------------------------


@pytest.mark.pep249("CUR-NEXTSET-1")
@pytest.mark.dbapi_requires("nextset")
def test_nextset_is_a_method(dbapi_cursor, dbapi_optional):
    assert callable(dbapi_optional(dbapi_cursor, "nextset", "nextset"))


@pytest.mark.pep249("CUR-NEXTSET-2")
@pytest.mark.dbapi_requires("nextset", "multiple_result_sets")
def test_nextset_moves_to_the_next_set(dbapi_target, dbapi_cursor, dbapi_optional):
    nextset = dbapi_optional(dbapi_cursor, "nextset", "nextset")
    statement = dbapi_target.sql.two_result_sets
    if statement is None:
        pytest.fail("SqlProfile.two_result_sets is None, and the capability "
                    "'multiple_result_sets' is not declared absent")
    dbapi_cursor.execute(statement)
    first = dbapi_cursor.fetchone()
    assert first is not None and list(first) == [1]
    assert nextset(), "nextset() returned a false value while a second set exists"
    assert [list(row) for row in dbapi_cursor.fetchall()] == [[2]]
    assert nextset() is None


@pytest.mark.pep249("CUR-NEXTSET-2")
@pytest.mark.dbapi_requires("nextset")
def test_nextset_with_a_single_set(
    dbapi_target, dbapi_cursor, dbapi_optional, dbapi_module, dbapi_observe
):
    nextset = dbapi_optional(dbapi_cursor, "nextset", "nextset")
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    try:
        result = nextset()
    except Exception as exc:  # noqa: BLE001 - classified below
        # Allowed for a database without multiple result sets, but only as NotSupportedError.
        assert_error(dbapi_module, exc, "NotSupportedError", "nextset() after one result set")
        dbapi_observe("CUR-NEXTSET-2", f"nextset() after one result set raised {describe(exc)}")
        return
    assert result is None, f"nextset() returned {result!r} with no further result set"


@pytest.mark.pep249("CUR-NEXTSET-3")
@pytest.mark.dbapi_requires("nextset")
def test_nextset_without_result_set_raises(dbapi_module, dbapi_cursor, dbapi_optional):
    nextset = dbapi_optional(dbapi_cursor, "nextset", "nextset")
    exc = raised_by(nextset, "nextset() before any execute")
    assert_error(dbapi_module, exc, "Error", "nextset() before any execute")
