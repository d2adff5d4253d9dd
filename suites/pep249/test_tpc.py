"""PEP 249 optional two-phase commit extension (xid, tpc_begin ... tpc_recover).

Absent methods are conformant where the target declares the capability "tpc" absent
("n/a"); missing without that declaration, the tests fail. Where the driver has the methods
but the target declares no TPC support, they must raise NotSupportedError (TPC-XID-3).
Every test reaches the connection's TPC methods through ``dbapi_optional`` first.
"""

import contextlib

import pytest

from dbapi_conformance.suites.pep249._support import (
    assert_error,
    basic_rows,
    count_rows,
    describe,
    insert_basic,
    raised_by,
)

TPC_METHODS = ("xid", "tpc_begin", "tpc_prepare", "tpc_commit", "tpc_rollback", "tpc_recover")
FORMAT_ID = 4711


def _xid(connection, table, branch="b1"):
    """A transaction id unique to the test (its gtrid is derived from the test's table).

    Call it only after ``dbapi_optional(connection, ..., "tpc")`` has checked for TPC.
    """
    return connection.xid(FORMAT_ID, f"dbapi-{table}", branch)


def _visible_rows(target, connect, table):
    """Rows of ``table`` as another, new connection sees them."""
    return count_rows(target, connect().cursor(), table)


@contextlib.contextmanager
def _tpc_cleanup(connection):
    """Roll back a TPC transaction a failing test left open (best effort)."""
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            connection.tpc_rollback()


@pytest.mark.pep249("TPC-GEN-1")
def test_tpc_api_is_complete(dbapi_module, dbapi_target, dbapi_connection, dbapi_optional):
    # No dbapi_requires: with "tpc" declared absent, methods that are there are still checked.
    dbapi_optional(dbapi_connection, "tpc_begin", "tpc")
    missing = [name for name in TPC_METHODS if not callable(getattr(dbapi_connection, name, None))]
    assert not missing, f"the TPC extension lacks {missing}"
    if not dbapi_target.capabilities.has("tpc"):
        exc = raised_by(
            lambda: dbapi_connection.tpc_begin(dbapi_connection.xid(FORMAT_ID, "g", "b")),
            "tpc_begin() on a target without TPC",
        )
        assert_error(dbapi_module, exc, "NotSupportedError", "TPC on a target without TPC")


@pytest.mark.pep249("TPC-XID-1")
@pytest.mark.dbapi_requires("tpc")
def test_xid_is_a_three_item_sequence(dbapi_connection, dbapi_optional):
    xid = dbapi_optional(dbapi_connection, "xid", "tpc")(42, "dbapi-gtrid", "dbapi-bqual")
    assert (xid[0], xid[1], xid[2]) == (42, "dbapi-gtrid", "dbapi-bqual")
    assert tuple(xid) == (42, "dbapi-gtrid", "dbapi-bqual")
    assert len(xid) == 3


@pytest.mark.pep249("TPC-XID-2")
@pytest.mark.dbapi_requires("tpc")
def test_xid_extremes(dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional):
    connection = dbapi_connect()
    make_xid = dbapi_optional(connection, "xid", "tpc")
    for format_id in (0, 0x7FFFFFFF):
        assert make_xid(format_id, "g" * 64, "b" * 64)[0] == format_id
    table = dbapi_table()
    xid = make_xid(0x7FFFFFFF, f"dbapi-{table}".ljust(64, "g")[:64], "b" * 64)
    assert (len(xid[1]), len(xid[2])) == (64, 64)
    with _tpc_cleanup(connection):
        connection.tpc_begin(xid)
        insert_basic(connection.cursor(), dbapi_params, table, basic_rows(1))
        connection.tpc_prepare()
        connection.tpc_commit()
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 1


@pytest.mark.pep249("TPC-XID-3")
@pytest.mark.dbapi_without("tpc")
def test_xid_without_tpc_raises(dbapi_module, dbapi_connection, dbapi_optional):
    make_xid = dbapi_optional(dbapi_connection, "xid", "tpc")
    exc = raised_by(lambda: make_xid(FORMAT_ID, "g", "b"), "xid() without TPC support")
    assert_error(dbapi_module, exc, "NotSupportedError", "xid() without TPC support")


@pytest.mark.pep249("TPC-BEGIN-1")
@pytest.mark.dbapi_requires("tpc")
def test_tpc_begin_outside_and_inside_a_transaction(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional
):
    table = dbapi_table()
    connection = dbapi_connect()
    begin = dbapi_optional(connection, "tpc_begin", "tpc")
    with _tpc_cleanup(connection):
        begin(_xid(connection, table))
        insert_basic(connection.cursor(), dbapi_params, table, basic_rows(1))
        connection.tpc_commit()
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 1
    # Inside a regular transaction (a pending write) tpc_begin is misuse.
    insert_basic(connection.cursor(), dbapi_params, table, basic_rows(1, start=2))
    exc = raised_by(lambda: begin(_xid(connection, table, "b2")), "tpc_begin() in a transaction")
    assert_error(dbapi_module, exc, "Error", "tpc_begin() inside a transaction")
    connection.rollback()


@pytest.mark.pep249("TPC-BEGIN-2")
@pytest.mark.dbapi_requires("tpc")
@pytest.mark.parametrize("method", ["commit", "rollback"])
def test_commit_and_rollback_inside_tpc_raise(
    method, dbapi_module, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional
):
    table = dbapi_table()
    connection = dbapi_connect()
    begin = dbapi_optional(connection, "tpc_begin", "tpc")
    with _tpc_cleanup(connection):
        begin(_xid(connection, table))
        insert_basic(connection.cursor(), dbapi_params, table, basic_rows(1))
        exc = raised_by(getattr(connection, method), f"{method}() inside a TPC transaction")
        assert_error(dbapi_module, exc, "ProgrammingError", f"{method}() inside TPC")


@pytest.mark.pep249("TPC-PREP-1")
@pytest.mark.dbapi_requires("tpc")
def test_tpc_prepare_rules(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional
):
    table = dbapi_table()
    connection = dbapi_connect()
    prepare = dbapi_optional(connection, "tpc_prepare", "tpc")
    exc = raised_by(prepare, "tpc_prepare() outside a TPC transaction")
    assert_error(dbapi_module, exc, "ProgrammingError", "tpc_prepare() outside TPC")
    with _tpc_cleanup(connection):
        connection.tpc_begin(_xid(connection, table))
        cursor = connection.cursor()
        insert_basic(cursor, dbapi_params, table, basic_rows(1))
        prepare()
        exc = raised_by(
            lambda: cursor.execute(dbapi_target.sql.select_one), "execute after prepare"
        )
        assert_error(dbapi_module, exc, "Error", "execute() after tpc_prepare()")
        connection.tpc_rollback()
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 0


@pytest.mark.pep249("TPC-COMMIT-1")
@pytest.mark.dbapi_requires("tpc")
@pytest.mark.parametrize("phases", ["two_phase", "one_phase"])
def test_tpc_commit(phases, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional):
    table = dbapi_table()
    connection = dbapi_connect()
    begin = dbapi_optional(connection, "tpc_begin", "tpc")
    with _tpc_cleanup(connection):
        begin(_xid(connection, table))
        insert_basic(connection.cursor(), dbapi_params, table, basic_rows(2))
        assert _visible_rows(dbapi_target, dbapi_connect, table) == 0
        if phases == "two_phase":
            connection.tpc_prepare()
        connection.tpc_commit()
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 2
    # The connection is back in normal mode.
    insert_basic(connection.cursor(), dbapi_params, table, basic_rows(1, start=3))
    connection.commit()
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 3


@pytest.mark.pep249("TPC-COMMIT-2")
@pytest.mark.dbapi_requires("tpc")
def test_tpc_commit_for_recovery(
    dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional
):
    table = dbapi_table()
    first = dbapi_connect()
    dbapi_optional(first, "tpc_begin", "tpc")(_xid(first, table))
    insert_basic(first.cursor(), dbapi_params, table, basic_rows(1))
    first.tpc_prepare()
    first.close()
    second = dbapi_connect()
    second.tpc_commit(_xid(second, table))
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 1
    unknown = second.xid(FORMAT_ID, f"dbapi-{table}-unknown", "b1")
    exc = raised_by(lambda: second.tpc_commit(unknown), "tpc_commit() of an unknown xid")
    assert_error(dbapi_module, exc, "ProgrammingError", "tpc_commit(unknown xid)")


@pytest.mark.pep249("TPC-RB-1")
@pytest.mark.dbapi_requires("tpc")
@pytest.mark.parametrize("when", ["before_prepare", "after_prepare", "recovery"])
def test_tpc_rollback(
    when, dbapi_module, dbapi_target, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional
):
    table = dbapi_table()
    connection = dbapi_connect()
    dbapi_optional(connection, "tpc_begin", "tpc")(_xid(connection, table))
    insert_basic(connection.cursor(), dbapi_params, table, basic_rows(1))
    if when == "before_prepare":
        connection.tpc_rollback()
    else:
        connection.tpc_prepare()
        if when == "after_prepare":
            connection.tpc_rollback()
        else:
            connection.close()
            other = dbapi_connect()
            other.tpc_rollback(_xid(other, table))
    assert _visible_rows(dbapi_target, dbapi_connect, table) == 0
    if when != "before_prepare":
        # The rolled-back transaction is forgotten: recovery no longer lists it.
        later = dbapi_connect()
        gone = tuple(_xid(later, table))
        with contextlib.suppress(getattr(dbapi_module, "NotSupportedError", ())):
            pending = [tuple(x) for x in later.tpc_recover()]
            assert gone not in pending, f"tpc_recover() still lists {gone} after tpc_rollback()"


@pytest.mark.pep249("TPC-RECOVER-1")
@pytest.mark.dbapi_requires("tpc")
def test_tpc_recover(
    dbapi_module, dbapi_connect, dbapi_table, dbapi_params, dbapi_optional, dbapi_observe
):
    table = dbapi_table()
    first = dbapi_connect()
    begin = dbapi_optional(first, "tpc_begin", "tpc")  # before xid(): the driver may lack TPC
    xid = _xid(first, table)
    begin(xid)
    insert_basic(first.cursor(), dbapi_params, table, basic_rows(1))
    first.tpc_prepare()
    first.close()
    second = dbapi_connect()
    try:
        try:
            pending = second.tpc_recover()
        except Exception as exc:  # noqa: BLE001 - classified below
            # Allowed without recovery support, but only as NotSupportedError.
            assert_error(dbapi_module, exc, "NotSupportedError", "tpc_recover()")
            dbapi_observe("TPC-RECOVER-1", f"tpc_recover() raised {describe(exc)}")
            return
        if list(pending) == []:
            # Also allowed without recovery support.
            dbapi_observe("TPC-RECOVER-1", "tpc_recover() returned [] (no recovery support)")
            return
        ours = [tuple(item) for item in pending if tuple(item)[1] == tuple(xid)[1]]
        assert ours == [tuple(xid)], (
            f"tpc_recover() returned {list(pending)!r} without the prepared {tuple(xid)!r}"
        )
    finally:
        with contextlib.suppress(Exception):
            second.tpc_rollback(_xid(second, table))
