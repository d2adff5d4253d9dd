"""Direct tests of tests/fulldriver/bare.py: the required PEP 249 surface and nothing more.

The suite reaches bare.py through tests/test_certify_fulldriver.py; these pin the surface
itself (which names exist, that the left-out ones give AttributeError, TPC raising
NotSupportedError), so that a change to fulldriver cannot leak an extension into it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fulldriver.bare as bare  # noqa: E402
from fulldriver.profile import BARE_CAPABILITIES, BARE_SQL, SQL, profile  # noqa: E402

#: PEP 249 optional Connection names bare.py leaves out (EXT-*).
CONNECTION_EXTRAS = (
    "autocommit", "setautocommit", "messages", "errorhandler", "Warning", "Error",
    "InterfaceError", "DatabaseError", "DataError", "OperationalError", "IntegrityError",
    "InternalError", "ProgrammingError", "NotSupportedError",
)
#: PEP 249 optional Cursor names bare.py leaves out (EXT-*, CUR-CALLPROC-1, CUR-NEXTSET-1).
CURSOR_EXTRAS = (
    "callproc", "nextset", "rownumber", "connection", "scroll", "messages", "next",
    "__next__", "__iter__", "lastrowid", "errorhandler",
)
TPC_METHODS = ("tpc_begin", "tpc_prepare", "tpc_commit", "tpc_rollback", "tpc_recover")


@pytest.fixture
def conn(tmp_path):
    connection = bare.connect(tmp_path / "db.sqlite")
    yield connection
    connection.close()


def test_module_globals_and_names():
    """GLB-*: apilevel "2.0", threadsafety 1, paramstyle "numeric"; no Xid, no autocommit
    keyword on connect()."""
    assert (bare.apilevel, bare.threadsafety, bare.paramstyle) == ("2.0", 1, "numeric")
    assert not hasattr(bare, "Xid")
    with pytest.raises(TypeError):
        bare.connect(":memory:", autocommit=True)
    for name in bare.__all__:
        assert hasattr(bare, name), name


def test_connection_has_no_extensions(conn):
    """The optional Connection names give AttributeError and cannot be set (__slots__)."""
    present = [name for name in CONNECTION_EXTRAS if hasattr(conn, name)]
    assert present == []
    with pytest.raises(AttributeError):
        conn.errorhandler = None


def test_cursor_has_no_extensions(conn):
    """The optional Cursor names give AttributeError; iter(cursor) is a TypeError."""
    cursor = conn.cursor()
    present = [name for name in CURSOR_EXTRAS if hasattr(cursor, name)]
    assert present == []
    with pytest.raises(TypeError):
        iter(cursor)
    with pytest.raises(AttributeError):
        cursor.messages = []


def test_statements_commit_at_once(tmp_path):
    """CON-COMMIT-4: without transactions a write is visible to another connection before
    commit(), and commit() is a no-op; InterfaceError once closed (CON-CLOSE-2)."""
    writer = bare.connect(tmp_path / "db.sqlite")
    reader = bare.connect(tmp_path / "db.sqlite")
    cursor = writer.cursor()
    cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    cursor.execute("INSERT INTO t VALUES (:1)", (1,))
    assert cursor.rowcount == 1
    other = reader.cursor()
    other.execute("SELECT id FROM t")
    assert other.fetchall() == [(1,)]
    assert writer.commit() is None
    writer.close()
    with pytest.raises(bare.InterfaceError):
        writer.commit()
    reader.close()


def test_numeric_parameters(conn):
    """GLB-PARAM-1, CUR-EXEC-2/3: ``:N`` is the N-th item of the sequence, repeatable and in
    any order; a mapping binds by name; a str is refused with ProgrammingError."""
    cursor = conn.cursor()
    cursor.execute("SELECT :2, :1, :2", ["a", "b"])
    assert cursor.fetchall() == [("b", "a", "b")]
    cursor.execute("SELECT :x", {"x": 7})
    assert cursor.fetchall() == [(7,)]
    assert bare.numbered(None) is None
    with pytest.raises(bare.ProgrammingError):
        cursor.execute("SELECT :1", "a")


def test_tpc_is_known_only_at_run_time(conn):
    """TPC-XID-3: xid() and tpc_*() exist and raise NotSupportedError; InterfaceError on a
    closed connection."""
    with pytest.raises(bare.NotSupportedError):
        conn.xid(1, "g", "b")
    for name in TPC_METHODS:
        args = ((1, "g", "b"),) if name == "tpc_begin" else ()
        with pytest.raises(bare.NotSupportedError):
            getattr(conn, name)(*args)
    conn.close()
    with pytest.raises(bare.InterfaceError):
        conn.xid(1, "g", "b")


def test_rollback_is_kept_but_not_supported(conn):
    """CON-ROLLBACK-3: rollback() exists and raises NotSupportedError; InterfaceError on a
    closed connection."""
    with pytest.raises(bare.NotSupportedError, match="no transactions"):
        conn.rollback()
    conn.close()
    with pytest.raises(bare.InterfaceError):
        conn.rollback()


def test_cursor_required_surface(conn):
    """description, rowcount, arraysize (read/write) and fetch* behave as fulldriver's."""
    cursor = conn.cursor()
    assert (cursor.description, cursor.rowcount, cursor.arraysize) == (None, -1, 1)
    cursor.arraysize = 2
    cursor.setinputsizes([None])
    cursor.setoutputsize(10)
    cursor.execute("SELECT 1 AS a UNION ALL SELECT 2 UNION ALL SELECT 3")
    assert [d[0] for d in cursor.description] == ["a"]
    assert cursor.fetchone() == (1,)
    assert cursor.fetchmany() == [(2,), (3,)]
    assert cursor.fetchall() == []
    cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    cursor.executemany("INSERT INTO t VALUES (:1)", [(1,), [2]])
    assert cursor.rowcount == 2
    cursor.close()
    with pytest.raises(bare.InterfaceError):
        cursor.execute("SELECT 1")


def test_bare_profile_declares_what_it_leaves_out():
    """Every family BARE_SQL drops and every feature bare.py lacks is declared, with a reason."""
    dropped = {f for f in SQL.types if not BARE_SQL.has_type(f)}
    assert dropped == {"binary", "time", "decimal"}
    absent = BARE_CAPABILITIES.as_dict()
    assert {"binary", "time_type", "decimal_type", "transactions", "rollback", "tpc"} <= set(absent)
    assert BARE_SQL.procedures == {} and BARE_SQL.two_result_sets is None
    assert BARE_SQL.warning is None
    assert all(reason.strip() for reason in absent.values())
    assert profile("fulldriver.bare").capabilities is BARE_CAPABILITIES
    assert profile("fulldriver").capabilities.as_dict() == {}
