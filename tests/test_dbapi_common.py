"""The shared PEP 249 pieces: exceptions, type objects, constructors, the Connection and
Cursor bases, and the paramstyle converter (with seeded random round trips)."""

from __future__ import annotations

import datetime as dt
import pickle
import random
import time
from collections import UserDict

import pytest

from dbapi_conformance.drivers import _dbapi
from dbapi_conformance.drivers._dbapi import exceptions as exc
from dbapi_conformance.drivers._dbapi.connection import ConnectionBase
from dbapi_conformance.drivers._dbapi.cursor import CursorBase
from dbapi_conformance.drivers._dbapi.paramstyle import (
    Scanner,
    as_mapping,
    as_sequence,
    find_placeholders,
    is_mapping,
    pick,
    rewrite,
    to_positional,
)
from dbapi_conformance.drivers._dbapi.types import DBAPITypeObject

# --- exceptions ------------------------------------------------------------------------------


def test_exception_hierarchy():
    assert issubclass(exc.Warning, Exception) and not issubclass(exc.Warning, exc.Error)
    assert issubclass(exc.Error, Exception)
    assert issubclass(exc.InterfaceError, exc.Error)
    assert issubclass(exc.DatabaseError, exc.Error)
    assert not issubclass(exc.InterfaceError, exc.DatabaseError)
    for name in ("DataError", "OperationalError", "IntegrityError", "InternalError",
                 "ProgrammingError", "NotSupportedError"):
        assert issubclass(getattr(exc, name), exc.DatabaseError)
    assert set(exc.EXCEPTIONS) == {"Warning", "Error", "InterfaceError", "DatabaseError",
                                   "DataError", "OperationalError", "IntegrityError",
                                   "InternalError", "ProgrammingError", "NotSupportedError"}


def test_error_attributes_and_text():
    err = exc.IntegrityError("dup", code=4091, error_trace="at x", http_status=409)
    assert (err.message, err.code, err.error_trace, err.http_status, err.sqlstate) == (
        "dup", 4091, "at x", 409, None)
    assert str(err) == "dup\nat x"
    assert str(exc.ProgrammingError("plain")) == "plain"
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is exc.IntegrityError and copy.code == 4091 and str(copy) == "dup\nat x"


# --- type objects and constructors -------------------------------------------------------


def test_type_object_compares_with_each_code():
    number = DBAPITypeObject("NUMBER", 8, 9, 10)
    assert number == 9 and 9 == number and number != 4 and not (number == 4)
    assert number != [100, 9]  # an unhashable code matches nothing
    assert number == number and number != DBAPITypeObject("NUMBER", 8, 9, 10)
    assert {number: 1}[number] == 1
    assert repr(number) == "<DBAPITypeObject NUMBER>"
    assert DBAPITypeObject("BINARY") != 0


def test_constructors():
    assert _dbapi.Date(2024, 2, 29) == dt.date(2024, 2, 29)
    assert _dbapi.Time(13, 5, 7) == dt.time(13, 5, 7)
    assert _dbapi.Timestamp(2024, 2, 29, 13, 5, 7) == dt.datetime(2024, 2, 29, 13, 5, 7)
    assert _dbapi.Binary(b"\x00\xff") == b"\x00\xff"
    assert _dbapi.Binary(bytearray(b"ab")) == b"ab"


@pytest.mark.parametrize("ticks", [0, 86_399, 1_700_000_000, 1_700_000_000.75, 951_782_400])
def test_ticks_constructors_use_local_time(ticks):
    local = time.localtime(ticks)
    assert _dbapi.DateFromTicks(ticks) == dt.date(*local[:3])
    assert _dbapi.TimeFromTicks(ticks) == dt.time(*local[3:6])
    assert _dbapi.TimestampFromTicks(ticks) == dt.datetime(*local[:6])


def test_ticks_out_of_range_is_data_error():
    for fn in (_dbapi.DateFromTicks, _dbapi.TimeFromTicks, _dbapi.TimestampFromTicks):
        with pytest.raises(exc.DataError):
            fn(1e300)
        with pytest.raises(exc.DataError):
            fn("soon")


# --- Connection and Cursor bases ---------------------------------------------------------


class FakeConnection(ConnectionBase):
    def __init__(self):
        super().__init__()
        self.released = 0

    def _close(self):
        self.released += 1


class ListCursor(CursorBase):
    def execute(self, rows):
        self._start()
        if rows is None:
            self._set_rowcount(5)
        else:
            self._set_result((("n", 9, None, None, None, None, None),), rows)


def test_connection_base_close_and_attributes():
    conn = FakeConnection()
    assert conn.messages == []
    conn.messages.append((exc.Warning, exc.Warning("w")))
    conn._start()
    assert conn.messages == []
    assert conn.Error is exc.Error and conn.Warning is exc.Warning
    assert conn.NotSupportedError is exc.NotSupportedError
    with conn as same:
        assert same is conn and not conn.closed
    assert conn.closed and conn.released == 1
    conn.close()
    assert conn.released == 1
    with pytest.raises(exc.ProgrammingError):
        conn._check_open()
    with pytest.raises(exc.ProgrammingError):
        with conn:
            pass


def test_cursor_base_fetching():
    cur = ListCursor(FakeConnection())
    assert (cur.description, cur.rowcount, cur.rownumber, cur.arraysize) == (None, -1, None, 1)
    for fetch in (cur.fetchone, cur.fetchall, cur.fetchmany):
        with pytest.raises(exc.ProgrammingError):
            fetch()
    cur.execute([(i,) for i in range(6)])
    assert cur.rowcount == 6 and cur.rownumber == 0
    assert cur.fetchmany() == [(0,)]
    assert cur.fetchmany(0) == []
    assert cur.fetchmany(3) == [(1,), (2,), (3,)]
    assert cur.fetchone() == (4,)
    assert cur.fetchall() == [(5,)]
    assert cur.fetchall() == [] and cur.fetchone() is None and cur.fetchmany(2) == []
    cur.scroll(-6)
    assert list(cur) == [(i,) for i in range(6)]
    cur.scroll(6, "absolute")  # just past the last row is a position, like after fetchall
    assert cur.fetchone() is None
    cur.execute(None)
    assert cur.description is None and cur.rowcount == 5 and cur.rownumber is None
    with pytest.raises(exc.ProgrammingError):
        cur.fetchone()
    with pytest.raises(exc.ProgrammingError):
        cur.scroll(0)


def test_cursor_base_messages_cleared_by_methods_but_not_fetch():
    cur = ListCursor(FakeConnection())
    cur.execute([(1,), (2,)])
    cur.messages.append((exc.Warning, exc.Warning("w")))
    cur.fetchone()
    cur.fetchall()
    assert len(cur.messages) == 1
    cur.setinputsizes([None])
    assert cur.messages == []
    cur.messages.append((exc.Warning, exc.Warning("w")))
    cur.execute([(1,)])
    assert cur.messages == []


def test_errorhandler_standard_handling_records_and_raises():
    conn = FakeConnection()
    cur = ListCursor(conn)
    assert conn.errorhandler is None and cur.errorhandler is None
    with pytest.raises(exc.ProgrammingError) as info:
        cur.fetchone()
    assert cur.messages == [(exc.ProgrammingError, info.value)]
    cur.setinputsizes([])  # a standard method clears them again
    assert cur.messages == []


def test_errorhandler_is_called_and_its_result_returned():
    calls = []

    def handler(connection, cursor, errorclass, errorvalue):
        calls.append((connection, cursor, errorclass, errorvalue))
        return "handled"

    conn = FakeConnection()
    conn.errorhandler = handler
    cur = ListCursor(conn)
    assert cur.errorhandler is handler  # copied from the connection (EXT-ERRH-3)
    assert cur.fetchall() == "handled"
    ((connection, cursor, errorclass, errorvalue),) = calls
    assert (connection, cursor, errorclass) == (conn, cur, exc.ProgrammingError)
    assert isinstance(errorvalue, exc.ProgrammingError) and cur.messages == []

    def refuse(connection, cursor, errorclass, errorvalue):
        raise RuntimeError(f"{errorclass.__name__}: {errorvalue}")

    cur.errorhandler = refuse
    with pytest.raises(RuntimeError, match="ProgrammingError: no result set"):
        cur.fetchone()
    cur.errorhandler = None
    with pytest.raises(exc.ProgrammingError):
        cur.fetchone()


def test_cursor_base_closing():
    conn = FakeConnection()
    cur = ListCursor(conn)
    cur.execute([(1,)])
    cur.close()
    assert cur.closed and cur.description is None
    cur.close()
    for action in (cur.fetchone, lambda: cur.execute([]), lambda: cur.setoutputsize(1)):
        with pytest.raises(exc.ProgrammingError):
            action()
    other = ListCursor(conn)
    conn.close()
    with pytest.raises(exc.ProgrammingError):
        other.fetchall()
    with pytest.raises(exc.ProgrammingError):
        other.close()
    assert other.closed
    with ListCursor(FakeConnection()) as managed:
        managed.execute([(1,)])
    assert managed.closed


# --- paramstyle: fixed cases -------------------------------------------------------------


@pytest.mark.parametrize(
    "style, sql, params, expected",
    [
        ("qmark", "SELECT ?, ?", (1, 2), ("SELECT ?, ?", [1, 2])),
        ("qmark", "SELECT '?', \"?\", ? -- ?\n/* ? */", [7], (None, [7])),
        ("qmark", "SELECT 'it''s ?', ?", [1], (None, [1])),
        ("numeric", "SELECT :2, :1, :2", ("a", "b"), ("SELECT ?, ?, ?", ["b", "a", "b"])),
        ("numeric", "SELECT ':1', x::int, :1", ("a",), ("SELECT ':1', x::int, ?", ["a"])),
        ("named", "SELECT :a, :b, :a, x::text, ':a'", {"a": 1, "b": 2, "c": 3},
         ("SELECT ?, ?, ?, x::text, ':a'", [1, 2, 1])),
        ("named", "SELECT :über", {"über": 1}, ("SELECT ?", [1])),
        ("format", "SELECT %s, '%s', %%, '%%'", (1,), ("SELECT ?, '%s', %, '%%'", [1])),
        ("pyformat", "SELECT %(a)s, %(b c)s, %%s, '%(a)s'", {"a": 1, "b c": 2},
         ("SELECT ?, ?, %s, '%(a)s'", [1, 2])),
        ("qmark", "SELECT 1", None, ("SELECT 1", [])),
        ("qmark", "SELECT 'unterminated ?", (), ("SELECT 'unterminated ?", [])),
        ("qmark", "SELECT 1 /* open ? comment", (), (None, [])),
    ],
)
def test_to_positional_cases(style, sql, params, expected):
    out_sql, values = to_positional(sql, style, params)
    assert out_sql == (expected[0] if expected[0] is not None else sql)
    assert values == expected[1]


@pytest.mark.parametrize(
    "style, sql, params, target, expected",
    [
        ("named", "SELECT :a, :b, :a", {"a": 1, "b": 2}, "dollar", ("SELECT $1, $2, $1", [1, 2])),
        ("named", "SELECT :a, :b, :a", {"a": 1, "b": 2}, "numeric", ("SELECT :1, :2, :1", [1, 2])),
        ("numeric", "SELECT :2, :1", ("x", "y"), "dollar", ("SELECT $1, $2", ["y", "x"])),
        ("qmark", "SELECT ?, ?", (1, 1), "dollar", ("SELECT $1, $2", [1, 1])),
        ("pyformat", "SELECT %(a)s", {"a": None}, "qmark", ("SELECT ?", [None])),
    ],
)
def test_to_positional_targets(style, sql, params, target, expected):
    assert to_positional(sql, style, params, target=target) == expected


@pytest.mark.parametrize(
    "style, sql, params",
    [
        ("qmark", "SELECT ?", ()),
        ("qmark", "SELECT ?", (1, 2)),
        ("qmark", "SELECT '?'", (1,)),
        ("qmark", "SELECT ?", {"a": 1}),
        ("qmark", "SELECT ?", "a"),
        ("qmark", "SELECT ?", 3),
        ("numeric", "SELECT :2", (1,)),
        ("numeric", "SELECT :1", (1, 2)),
        ("named", "SELECT :a", {"b": 1}),
        ("named", "SELECT :a", (1,)),
        ("pyformat", "SELECT %(a)s", {}),
        ("format", "SELECT %s, %s", (1,)),
        ("nonsense", "SELECT 1", ()),
    ],
)
def test_to_positional_errors(style, sql, params):
    with pytest.raises(exc.ProgrammingError):
        to_positional(sql, style, params)


def test_parameter_containers():
    class GetItemOnly:
        def __getitem__(self, index):
            if index >= 2:
                raise IndexError(index)
            return index * 10

    class BadSequence:
        def __getitem__(self, index):
            raise KeyError(index)

    assert as_sequence(GetItemOnly()) == [0, 10]
    assert as_sequence(None) == [] and as_sequence(x for x in (1, 2)) == [1, 2]
    with pytest.raises(exc.ProgrammingError):
        as_sequence(BadSequence())
    with pytest.raises(exc.ProgrammingError):
        as_sequence(UserDict(a=1))
    mapping = UserDict(a=1)
    assert as_mapping(mapping) is mapping and as_mapping(None) == {}
    assert to_positional("SELECT :a", "named", UserDict(a=5)) == ("SELECT ?", [5])
    with pytest.raises(exc.ProgrammingError):
        as_mapping([1])


def test_rewrite_once_pick_many():
    sql, keys = rewrite("INSERT INTO t VALUES (:id, :name, :id) -- :x", "named", "dollar")
    assert (sql, keys) == ("INSERT INTO t VALUES ($1, $2, $1) -- :x", ("id", "name"))
    assert rewrite("INSERT INTO t VALUES (:id, :name, :id)", "named", "dollar") is not None
    assert pick({"id": 1, "name": "a", "extra": 0}, keys) == [1, "a"]
    assert pick(UserDict(id=2, name=None), keys) == [2, None]
    with pytest.raises(exc.ProgrammingError, match="'name'"):
        pick({"id": 1}, keys)
    assert rewrite("SELECT ?, ?", "qmark", "numeric") == ("SELECT :1, :2", (0, 1))
    assert rewrite("SELECT :2, :2", "numeric") == ("SELECT ?, ?", (2, 2))
    with pytest.raises(exc.ProgrammingError):
        rewrite("SELECT 1", "qmark", "format")


def test_is_mapping():
    class KeysAndItems:
        def keys(self):
            return ["a"]

        def __getitem__(self, key):
            return 1

    assert is_mapping({}) and is_mapping(UserDict()) and is_mapping(KeysAndItems())
    assert not is_mapping([1]) and not is_mapping((1,)) and not is_mapping("ab")
    assert not is_mapping(None) and not is_mapping(range(3))


def test_scanner_options():
    e_sql = r"SELECT E'it\'s ?', ?"
    assert [p.start for p in Scanner(("qmark",), e_strings=True).find(e_sql)] == [len(e_sql) - 1]
    # Without E-strings the backslash is a plain character: the literal ends at \' , the
    # ? after it is code and the final ', ? opens an unterminated literal.
    assert [p.start for p in Scanner(("qmark",)).find(e_sql)] == [e_sql.index("?")]
    assert len(Scanner(("qmark",), backslash_escapes=True).find(r"SELECT 'a\'?', ?")) == 1
    both = Scanner(("qmark", "dollar")).find("SELECT ?, $2, '$1', a$1")
    assert [(p.style, p.key) for p in both] == [("qmark", None), ("dollar", 2)]
    found = find_placeholders("SELECT %(a)s, %%", "pyformat")
    assert [(p.style, p.key) for p in found] == [("pyformat", "a"), ("percent", None)]
    with pytest.raises(ValueError):
        Scanner(("bogus",))


# --- paramstyle: seeded random round trips --------------------------------------------------

_ALPHABET = "ab ?:%$'\"-/*\n\\1_(),;é"


def _text(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 8)))


def _inert(rng: random.Random) -> str:
    """A piece of SQL with no placeholders: literal, identifier, comment or plain code."""
    kind = rng.randrange(5)
    text = _text(rng)
    if kind == 0:
        return "'" + text.replace("'", "''") + "'"
    if kind == 1:
        return '"' + text.replace('"', '""') + '"'
    if kind == 2:
        return "--" + text.replace("\n", " ") + "\n"
    if kind == 3:
        return "/*" + text.replace("*/", "* /") + "*/"
    return rng.choice([" SELECT ", " , ", " = ", " + 1 ", " x::int ", " (a) ", "\n"])


def _marker(style: str, key: object) -> str:
    return {"qmark": "?", "format": "%s", "numeric": f":{key}", "named": f":{key}",
            "pyformat": f"%({key})s"}[style]


def _random_case(style: str, rng: random.Random):
    """(sql, params, parts): parts are ("text", sql text) or ("slot", key) in order."""
    names = {"a": "A", "b": "B", "x1": 1, "name_2": None}
    parts: list[tuple[str, object]] = []
    positional: list = []
    for _ in range(rng.randint(0, 8)):
        if rng.random() < 0.4:
            if style in ("qmark", "format"):
                parts.append(("slot", len(positional)))
                positional.append(rng.choice([1, "t", None, 2.5]))
            elif style == "numeric":
                parts.append(("slot", rng.randint(1, 4)))
            else:
                parts.append(("slot", rng.choice(sorted(names))))
        elif style in ("format", "pyformat") and rng.random() < 0.2:
            parts.append(("percent", " % "))
        else:
            parts.append(("text", _inert(rng)))
    if style == "numeric":  # every value must be used: number the keys densely
        dense = {k: i + 1 for i, k in enumerate(sorted({k for t, k in parts if t == "slot"}))}
        parts = [(t, dense[k]) if t == "slot" else (t, k) for t, k in parts]
        params: object = [f"v{i}" for i in range(1, len(dense) + 1)]
    elif style in ("named", "pyformat"):
        params = names
    else:
        params = positional
    sql = "".join(
        f" {_marker(style, k)} " if t == "slot" else (" %% " if t == "percent" else k)
        for t, k in parts
    )
    return sql, params, parts


@pytest.mark.parametrize("style", ["qmark", "numeric", "named", "format", "pyformat"])
@pytest.mark.parametrize("target", ["qmark", "dollar"])
def test_random_statements_round_trip(style, target):
    rng = random.Random(f"{style}-{target}")
    for _ in range(300):
        sql, params, parts = _random_case(style, rng)
        out_sql, out_values = to_positional(sql, style, params, target=target)
        want_sql: list[str] = []
        want_values: list = []
        numbers: dict = {}
        for kind, key in parts:
            if kind != "slot":
                want_sql.append(key)  # type: ignore[arg-type]
                continue
            value = params[key - 1] if style == "numeric" else params[key]  # type: ignore
            if target == "qmark":
                want_sql.append(" ? ")
                want_values.append(value)
                continue
            if key not in numbers:
                numbers[key] = len(numbers) + 1
                want_values.append(value)
            want_sql.append(f" ${numbers[key]} ")
        assert out_sql == "".join(want_sql), sql
        assert out_values == want_values, sql
