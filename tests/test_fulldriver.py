"""Direct tests of tests/fulldriver for what the suite does not reach yet: callproc with the
profile's procedures (CUR-CALLPROC-2/3), the warning statement (EXT-MSG-1), TPC recovery
bookkeeping, and the SQL helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fulldriver  # noqa: E402
from fulldriver.profile import SQL  # noqa: E402
from fulldriver.sqltext import split_statements, without_parameters  # noqa: E402


@pytest.fixture
def conn(tmp_path):
    connection = fulldriver.connect(tmp_path / "db.sqlite")
    yield connection
    connection.close()


@pytest.mark.parametrize("kind", ["inout", "result_set"])
def test_profile_procedures_return_and_produce_what_they_promise(conn, kind):
    procedure = SQL.procedures[kind]
    cursor = conn.cursor()
    for statement in procedure.create:
        cursor.execute(statement.format(name="p_test"))
    given = list(procedure.args)
    assert list(cursor.callproc("p_test", given)) == list(procedure.returns)
    assert given == list(procedure.args), "callproc changed its input"
    if procedure.rows:
        assert cursor.fetchall() == [tuple(row) for row in procedure.rows]
    else:
        assert cursor.description is None
    for statement in procedure.drop:
        cursor.execute(statement.format(name="p_test"))
    with pytest.raises(fulldriver.ProgrammingError, match="no such procedure"):
        cursor.callproc("p_test", given)


def test_procedure_errors(conn):
    cursor = conn.cursor()
    with pytest.raises(fulldriver.ProgrammingError, match="bad parameter"):
        cursor.execute("CREATE PROCEDURE p (SIDEWAYS a) AS SELECT 1")
    with pytest.raises(fulldriver.ProgrammingError, match="only assign OUT/INOUT"):
        cursor.execute("CREATE PROCEDURE p (IN a) AS SET a = SELECT 1")
    cursor.execute("CREATE PROCEDURE p (IN a) AS SELECT :a; SELECT :a + 1")
    with pytest.raises(fulldriver.ProgrammingError, match="already exists"):
        cursor.execute("CREATE PROCEDURE p (IN a) AS SELECT 1")
    with pytest.raises(fulldriver.ProgrammingError, match="takes 1 arguments"):
        cursor.callproc("p", [])
    assert cursor.callproc("p", (5,)) == (5,)
    assert cursor.fetchall() == [(5,)] and cursor.nextset() and cursor.fetchall() == [(6,)]
    cursor.execute("DROP PROCEDURE IF EXISTS nothing")
    with pytest.raises(fulldriver.ProgrammingError, match="no such procedure"):
        cursor.execute("DROP PROCEDURE nothing")


def test_warning_statement_sends_a_message_then_execute_clears_it(conn):
    cursor = conn.cursor()
    cursor.execute(SQL.warning)
    assert cursor.fetchall() == [("fulldriver: a warning message",)]
    [(cls, value)] = cursor.messages
    assert cls is fulldriver.Warning and str(value) == "fulldriver: a warning message"
    cursor.execute(SQL.select_one)
    assert cursor.messages == []


def test_errors_go_to_messages_with_standard_handling(conn):
    cursor = conn.cursor()
    with pytest.raises(fulldriver.ProgrammingError) as raised:
        cursor.execute(SQL.syntax_error)
    assert cursor.messages == [(fulldriver.ProgrammingError, raised.value)]


def test_tpc_recovery_commit_replays_binary_and_named_parameters(tmp_path):
    path = tmp_path / "db.sqlite"
    first = fulldriver.connect(path)
    first.cursor().execute("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    first.commit()
    xid = first.xid(7, "g", "b")
    first.tpc_begin(xid)
    first.cursor().execute("INSERT INTO t VALUES (:id, :b)", {"id": 1, "b": b"\x00\xff"})
    first.tpc_prepare()
    first.close()
    second = fulldriver.connect(path)
    assert second.tpc_recover() == [xid]
    second.tpc_commit(xid)
    assert second.tpc_recover() == []
    cursor = second.cursor()
    cursor.execute("SELECT id, b FROM t")
    assert cursor.fetchall() == [(1, b"\x00\xff")]
    with pytest.raises(fulldriver.ProgrammingError):
        second.tpc_rollback(xid)
    second.close()


def test_xid_rules(conn):
    assert conn.xid(0, "g" * 64, "").format_id == 0
    for args in ((-1, "g", "b"), (2**31, "g", "b"), (1, "g" * 65, "b"), (1, b"g", "b")):
        with pytest.raises(fulldriver.ProgrammingError):
            conn.xid(*args)
    memory = fulldriver.connect(":memory:")
    with pytest.raises(fulldriver.NotSupportedError):
        memory.xid(1, "g", "b")
    memory.close()


def test_statement_splitting_and_parameter_removal():
    assert split_statements("SELECT ';'; SELECT 2 -- x;\n;") == ["SELECT ';'", "SELECT 2 -- x;"]
    assert without_parameters("SELECT :a, ?, ?2, ':b', \"?\" -- :c") == (
        "SELECT NULL, NULL, NULL, ':b', \"?\" -- :c")
