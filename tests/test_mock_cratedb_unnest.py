"""``unnest(...)`` as a table function on the CrateDB mock, through the official client.

Expected values: crate/crate ``docs/general/builtins/table-functions.rst`` and
``TableFunctionITest`` (column names, NULL padding, flattening, the bulk-insert idiom).
"""

from __future__ import annotations

import itertools

_names = (f"un{i}" for i in itertools.count())


def _cols(cur) -> list[str]:
    return [d[0] for d in cur.description]


def test_unnest_of_several_arrays_names_columns_col1_col2(cur):
    cur.execute("SELECT * FROM unnest([1, 2, 3], ['Arthur', 'Trillian', 'Marvin'])")
    assert _cols(cur) == ["col1", "col2"]
    assert cur.fetchall() == [[1, "Arthur"], [2, "Trillian"], [3, "Marvin"]]
    cur.execute("SELECT * FROM unnest([1, 2], ['Trillian', 'Marvin']) ORDER BY col1 DESC "
                "LIMIT 1")
    assert cur.fetchall() == [[2, "Marvin"]]


def test_shorter_arrays_are_padded_with_null(cur):
    cur.execute("SELECT * FROM unnest([1, 2, 3], ['a'])")
    assert cur.fetchall() == [[1, "a"], [2, None], [3, None]]


def test_single_array_column_is_named_unnest_or_after_the_alias(cur):
    cur.execute("SELECT unnest, count(*) FROM unnest(['Marvin', 'Marvin', 'Trillian']) "
                "GROUP BY unnest ORDER BY 2 DESC")
    assert _cols(cur) == ["unnest", "count(*)"]
    assert cur.fetchall() == [["Marvin", 2], ["Trillian", 1]]
    cur.execute("SELECT * FROM unnest([1, 2]) AS my_func")
    assert _cols(cur) == ["my_func"]
    cur.execute("SELECT * FROM unnest([1, 2]) AS my_func (col_alias, col_alias2)")
    assert _cols(cur) == ["col_alias"]
    cur.execute("SELECT * FROM unnest([1, 2], ['a', 'b']) AS my_func(col_alias1)")
    assert _cols(cur) == ["col_alias1", "col2"]
    assert cur.fetchall() == [[1, "a"], [2, "b"]]


def test_nested_arrays_are_flattened(cur):
    cur.execute("SELECT * FROM unnest([[1, 2], [3]])")
    assert cur.fetchall() == [[1], [2], [3]]


def test_unnest_in_the_select_list_is_named_unnest(cur):
    cur.execute("SELECT unnest([1, 2, 3]), unnest([1, 2])")
    assert _cols(cur) == ["unnest", "unnest"]
    assert cur.fetchall() == [[1, 1], [2, 2], [3, None]]


def test_array_literals_are_named_as_written(cur):
    cur.execute("SELECT [1, 2], ['a']")
    assert _cols(cur) == ["[1, 2]", "['a']"]


def test_bulk_insert_through_unnest_parameters(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, name TEXT, ts TIMESTAMP)")
    cur.execute(f"INSERT INTO {name} (id, name, ts) (SELECT * FROM unnest(?, ?, ?))",
                ([1, 2, 3], ["Marvin", "Trillian", None],
                 [0, "2020-01-01T00:00:00", None]))
    assert cur.rowcount == 3
    # duplicate keys of an INSERT ... SELECT are skipped without an error (cratedb.md 5.2)
    cur.execute(f"INSERT INTO {name} (id, name) (SELECT * FROM unnest(?, ?))",
                ([3, 4], ["dup", "Arthur"]))
    assert cur.rowcount == 1
    cur.execute(f"SELECT id, name, ts FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1, "Marvin", 0], [2, "Trillian", 1577836800000],
                              [3, None, None], [4, "Arthur", None]]
    cur.execute(f"INSERT INTO {name} (id, name) (SELECT * FROM unnest(?, ?))", ([], []))
    assert cur.rowcount == 0


def test_unnest_joins_a_table(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY)")
    cur.execute(f"INSERT INTO {name} (id) VALUES (1)")
    cur.execute(f"SELECT * FROM unnest([1, 2]) INNER JOIN {name} t ON t.id = unnest::integer")
    assert cur.fetchall() == [[1, 1]]
