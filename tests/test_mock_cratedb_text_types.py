"""Sized types on the CrateDB mock, through the official client: VARCHAR(n), CHARACTER(n),
NUMERIC(p, s), FLOAT_VECTOR(n) and BIT(n), as ORMs create them and read them back.

Sources: crate/crate ``InformationColumnsTableInfo`` (``character_maximum_length`` is the
type's ``characterMaximumLength()``, ``numeric_precision`` its ``numericPrecision()``,
``numeric_scale`` always NULL), ``StringType``, ``CharacterType``, ``NumericType``,
``FloatVectorType`` and ``BitStringType``.
"""

from __future__ import annotations

import itertools

import pytest
from crate.client import exceptions as crate_exc

_names = (f"sized{i}" for i in itertools.count())


@pytest.fixture
def table(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, c CHAR(3), c1 CHAR, v VARCHAR(3), "
                "t TEXT, n NUMERIC(10, 2), f FLOAT_VECTOR(2), b BIT(4), vs ARRAY(VARCHAR(2)))")
    yield name
    cur.execute(f"DROP TABLE IF EXISTS {name}")


def test_information_schema_columns_give_lengths_and_precision(cur, table):
    cur.execute("SELECT column_name, data_type, character_maximum_length, numeric_precision, "
                "numeric_precision_radix, numeric_scale FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position", [table])
    assert cur.fetchall() == [
        ["id", "integer", None, 32, 2, None],
        ["c", "character", 3, None, None, None],
        ["c1", "character", 1, None, None, None],
        ["v", "text", 3, None, None, None],
        ["t", "text", None, None, None, None],
        ["n", "numeric", None, 10, None, None],
        ["f", "float_vector", 2, None, None, None],
        ["b", "bit", 4, None, None, None],
        ["vs", "text_array", None, None, None, None],
    ]


def _refresh_and_read(cur, table, columns="c, char_length(c), v"):
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"SELECT id, {columns} FROM {table} ORDER BY id")
    return cur.fetchall()


def test_character_values_are_blank_padded_and_compare_without_padding(cur, table):
    cur.execute(f"INSERT INTO {table} (id, c, c1) VALUES (1, 'ab', 'a')")
    cur.execute(f"INSERT INTO {table} (id, c) VALUES (?, ?)", [2, "x"])
    cur.execute(f"INSERT INTO {table} (id, c) VALUES (?, ?)", [3, None])
    cur.execute(f"INSERT INTO {table} (id, c) VALUES (4, 'xyz  ')")  # blank excess: cut
    assert _refresh_and_read(cur, table, "c, char_length(c), c1") == [
        [1, "ab ", 3, "a"], [2, "x  ", 3, None], [3, None, None, None], [4, "xyz", 3, None]]
    for where, args in (("c = 'x'", None), ("c = ?", ["x"]), ("c = 'x  '", None),
                        ("c IN ('x', 'q')", None)):
        cur.execute(f"SELECT id FROM {table} WHERE {where}", args)
        assert cur.fetchall() == [[2]], where
    cur.execute(f"UPDATE {table} SET c = ? WHERE id = 3", ["q"])
    assert _refresh_and_read(cur, table, "c")[2] == [3, "q  "]


def test_varchar_values_keep_their_length_and_lose_excess_blanks(cur, table):
    cur.execute(f"INSERT INTO {table} (id, v, t) VALUES (1, 'ab', 'any length at all')")
    cur.execute(f"INSERT INTO {table} (id, v) VALUES (?, ?)", [2, "Bob     "])
    cur.execute(f"REFRESH TABLE {table}")
    cur.execute(f"SELECT id, v, char_length(v), t FROM {table} ORDER BY id")
    assert cur.fetchall() == [[1, "ab", 2, "any length at all"], [2, "Bob", 3, None]]


@pytest.mark.parametrize(("column", "value", "message"), [
    ("v", "'Alice Smith'", "'Alice Smith' is too long for the text type of length: 3"),
    ("c", "'Alice Smith'", "'Alice Smith' is too long for the character type of length: 3"),
    ("v", "?", "'abcdefghijklmnopqrst...' is too long for the text type of length: 3"),
    ("c1", "65", "'65' is too long for the character type of length: 1"),
])
def test_a_too_long_value_is_refused(cur, table, column, value, message):
    args = ["abcdefghijklmnopqrstuvwxyz"] if value == "?" else None
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"INSERT INTO {table} (id, {column}) VALUES (1, {value})", args)
    assert info.value.message == f"SQLParseException[{message}]"
    cur.execute(f"INSERT INTO {table} (id, v) VALUES (1, 'ok')")
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"UPDATE {table} SET {column} = {value} WHERE id = 1", args)
    assert info.value.message == f"SQLParseException[{message}]"
    assert _refresh_and_read(cur, table, "v") == [[1, "ok"]]


def test_multi_row_insert_skips_a_too_long_row_and_bulk_fails_only_its_item(cur, table):
    # CrateDB skips failing rows of a multi-row INSERT silently (cratedb.md 7.3)
    cur.execute(f"INSERT INTO {table} (id, v) VALUES (1, 'abc'), (2, 'abcd'), (3, ?)", ["z"])
    assert cur.rowcount == 2
    results = cur.executemany(f"INSERT INTO {table} (id, v) VALUES (?, ?)",
                              [[4, "ok"], [5, "too long"], [6, "k"]])
    assert [r["rowcount"] for r in results] == [1, -2, 1]
    assert results[1]["error"]["message"] == (
        "SQLParseException['too long' is too long for the text type of length: 3]")
    cur.execute(f"INSERT INTO {table} (id, v) VALUES (7, DEFAULT), (8, 'xy')")
    assert cur.rowcount == 2
    assert _refresh_and_read(cur, table, "v") == [
        [1, "abc"], [3, "z"], [4, "ok"], [6, "k"], [7, None], [8, "xy"]]


def test_explicit_casts_cut_and_pad_without_an_error(cur):
    # data-types.rst: "If a value is explicitly cast to VARCHAR(n), then an over-length
    # value will be truncated to n characters without raising an error."
    cur.execute("SELECT 'Alice Smith'::VARCHAR(5) AS name, CAST('ab' AS CHAR(3)), "
                "CAST('abcdef' AS CHARACTER(3)), CAST(12345 AS VARCHAR(2)), "
                "'x'::VARCHAR(9), CAST(NULL AS CHAR(2)), 'Alice Smith'::VARCHAR")
    assert cur.fetchall() == [["Alice", "ab ", "abc", "12", "x", None, "Alice Smith"]]


def test_insert_from_a_query_skips_too_long_rows_and_pads_character_values(cur, table):
    # INSERT ... SELECT (and its unnest form) writes as a multi-row INSERT does: a row
    # whose value does not fit is skipped, blank excess is cut, CHARACTER(n) is padded
    cur.execute(f"INSERT INTO {table} (id, v) SELECT * FROM unnest([1, 2, 3], "
                "['abcdef', 'x', 'ab   '])")
    assert cur.rowcount == 2
    cur.execute(f"INSERT INTO {table} (id, c) SELECT id + 10, v FROM unnest(?, ?) AS u(id, v)",
                [[1, 2], ["toolong", "y"]])
    assert cur.rowcount == 1
    assert _refresh_and_read(cur, table, "v") == [[2, "x"], [3, "ab "], [12, None]]
    assert _refresh_and_read(cur, table, "c") == [[2, None], [3, None], [12, "y  "]]
