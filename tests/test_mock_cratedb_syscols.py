"""System columns of user tables on the CrateDB mock (``_id``, ``_seq_no``,
``_primary_term``, ``_version``, ``_score``), through the official client.

Expected values: crate/crate ``docs/general/ddl/system-columns.rst``, ``docs/general/occ.rst``
(a new row of a one-shard table: ``_seq_no`` 0, 1, ...; ``_primary_term`` 1; an update with a
stale ``_seq_no`` affects 0 rows), ``Id.java`` (``_id`` of the primary key),
``VersioningValidationException`` (messages).
"""

from __future__ import annotations

import base64
import itertools
import re

import pytest
from crate import client
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.cratedb import MockServer

_names = (f"sc{i}" for i in itertools.count())


@pytest.fixture
def table(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, name TEXT) CLUSTERED INTO 1 SHARDS")
    yield name
    cur.execute(f"DROP TABLE {name}")


def _cols(cur) -> list[str]:
    return [d[0] for d in cur.description]


def _crate_id(*values: str) -> str:
    """``Id.encode`` of crate/crate, written from its definition: the number of values and
    each value's UTF-8 bytes behind their length, as Lucene variable-length ints
    (``StreamOutput.writeVInt`` / ``writeBytesRef``), in standard base64."""
    def vint(n: int) -> bytes:
        out = bytearray()
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
        return bytes(out)
    data = vint(len(values)) + b"".join(vint(len(v.encode())) + v.encode() for v in values)
    return base64.b64encode(data).decode()


def test_system_columns_are_selectable_and_not_part_of_select_star(cur, table):
    cur.execute(f"INSERT INTO {table} VALUES (1, 'Arthur')")  # no column list
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (2, 'Trillian')")
    cur.execute(f"SELECT * FROM {table} ORDER BY id")
    assert _cols(cur) == ["id", "name"]
    assert cur.fetchall() == [[1, "Arthur"], [2, "Trillian"]]
    cur.execute(f"SELECT _id, _seq_no, _primary_term, _version, _score, id FROM {table} "
                "ORDER BY id")
    assert _cols(cur) == ["_id", "_seq_no", "_primary_term", "_version", "_score", "id"]
    assert cur.fetchall() == [["1", 0, 1, 1, 1.0, 1], ["2", 1, 1, 1, 1.0, 2]]
    cur.execute(f"SELECT t.*, u._id FROM {table} t JOIN {table} u ON t.id = u.id "
                "ORDER BY t.id")
    assert _cols(cur) == ["id", "name", "_id"]
    assert cur.fetchall() == [[1, "Arthur", "1"], [2, "Trillian", "2"]]
    cur.execute(f"INSERT INTO {table} VALUES (3, 'Marvin') RETURNING *")
    assert (_cols(cur), cur.fetchall()) == (["id", "name"], [[3, "Marvin"]])
    copy = next(_names)
    cur.execute(f"CREATE TABLE {copy} AS SELECT * FROM {table}")
    cur.execute(f"SELECT * FROM {copy} ORDER BY id")
    assert _cols(cur) == ["id", "name"]
    assert len(cur.fetchall()) == 3


def test_id_is_derived_from_the_primary_key(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (7, 'Ford'), (8, 'Zaphod')")
    cur.execute(f"SELECT name FROM {table} WHERE _id = ?", ["8"])
    assert cur.fetchall() == [["Zaphod"]]
    composite = next(_names)
    cur.execute(f"CREATE TABLE {composite} (a TEXT, b INT, PRIMARY KEY (a, b))")
    long = "ä" * 100  # 200 UTF-8 bytes: a two-byte length
    cur.execute(f"INSERT INTO {composite} (a, b) VALUES (?, ?), (?, ?)", ["a", 1, long, 2])
    cur.execute(f"SELECT _id FROM {composite} ORDER BY b")
    assert cur.fetchall() == [[_crate_id("a", "1")], [_crate_id(long, "2")]]
    assert _crate_id("a", "1") == "AgFhATE="
    cur.execute(f"SELECT b FROM {composite} WHERE _id = ?", [_crate_id(long, "2")])
    assert cur.fetchall() == [[2]]
    routed = next(_names)  # the clustered-by column of the key comes first
    cur.execute(f"CREATE TABLE {routed} (a TEXT, b INT, PRIMARY KEY (a, b)) CLUSTERED BY (b)")
    cur.execute(f"INSERT INTO {routed} (a, b) VALUES ('a', 1)")
    cur.execute(f"SELECT _id FROM {routed}")
    assert cur.fetchall() == [[_crate_id("1", "a")]]


def test_id_of_a_table_without_primary_key_is_random_and_stable(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (x INT)")
    cur.execute(f"INSERT INTO {name} (x) VALUES (1), (2)")
    cur.execute(f"SELECT _id, x FROM {name} ORDER BY x")
    rows = cur.fetchall()
    ids = [r[0] for r in rows]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}", i) for i in ids) and ids[0] != ids[1]
    cur.execute(f"SELECT x FROM {name} WHERE _id = ?", [ids[1]])
    assert cur.fetchall() == [[2]]
    cur.execute(f"SELECT * FROM {name} ORDER BY x")
    assert cur.fetchall() == [[1], [2]]


def test_optimistic_concurrency_control(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'Arthur')")
    cur.execute(f"SELECT _seq_no, _primary_term, _version FROM {table} WHERE id = 1")
    seq_no, term, version = cur.fetchone()
    update = (f"UPDATE {table} SET name = ? WHERE id = 1 AND _seq_no = ? "
              "AND _primary_term = ?")
    cur.execute(update, ["Ford", seq_no, term])
    assert cur.rowcount == 1
    cur.execute(update, ["Zaphod", seq_no, term])  # stale: someone (we) wrote since
    assert cur.rowcount == 0
    cur.execute(f"SELECT name, _seq_no, _version FROM {table} WHERE id = 1")
    name, new_seq_no, new_version = cur.fetchone()
    assert (name, new_version) == ("Ford", version + 1) and new_seq_no > seq_no
    delete = f"DELETE FROM {table} WHERE id = 1 AND _seq_no = ? AND _primary_term = ?"
    cur.execute(delete, [seq_no, term])
    assert cur.rowcount == 0
    cur.execute(delete, [new_seq_no, term])
    assert cur.rowcount == 1


def test_upsert_is_a_new_version(cur, table):
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'Arthur')")
    cur.execute(f"INSERT INTO {table} (id, name) VALUES (1, 'Ford') "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name")
    cur.execute(f"SELECT name, _version, _seq_no > 0 FROM {table} WHERE id = 1")
    assert cur.fetchall() == [["Ford", 2, True]]


@pytest.mark.parametrize("where, message", [
    ("id = 1 AND _seq_no = 0", '"_seq_no" and "_primary_term" columns can only be used '
     "together in the WHERE clause with equals comparisons and if there are also equals "
     "comparisons on primary key columns"),
    ("name = 'x' AND _seq_no = 0 AND _primary_term = 1", '"_seq_no" and "_primary_term" '
     "columns can only be used together in the WHERE clause with equals comparisons and if "
     "there are also equals comparisons on primary key columns"),
    ("_version = 1", '"_version" column can only be used in the WHERE clause with equals '
     "comparisons and if there are also equals comparisons on primary key columns"),
    ("id = 1 AND _version = 1 AND _seq_no = 0 AND _primary_term = 1",
     '"_version" column cannot be used in conjunction with the "_seq_no" and '
     '"_primary_term" columns. Use one of the two versioning mechanisms, but not both at the '
     "same time."),
])
def test_versioning_columns_need_the_whole_primary_key(cur, table, where, message):
    for stmt in (f"UPDATE {table} SET name = 'y' WHERE {where}",
                 f"DELETE FROM {table} WHERE {where}", f"SELECT * FROM {table} WHERE {where}"):
        with pytest.raises(crate_exc.ProgrammingError) as info:
            cur.execute(stmt)
        assert info.value.message == f"VersioningValidationException[{message}]"


def test_insert_without_column_list_needs_a_value_per_column(cur, table):
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"INSERT INTO {table} VALUES (1)")
    assert info.value.message == (
        "SQLParseException[Number of target columns (id, name) of insert statement doesn't "
        "match number of source columns (col1)]")


def test_system_columns_cannot_be_updated(cur, table):
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"UPDATE {table} SET _version = 3 WHERE id = 1")
    assert info.value.message == ("ColumnValidationException[Validation failed for _version: "
                                  "Updating a system column is not supported]")


def test_system_columns_survive_a_restart_and_older_files_get_them(tmp_path):
    import duckdb

    path = str(tmp_path / "crate.duckdb")
    with MockServer(database=path) as srv, client.connect(srv.url) as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE kept (x INT, g INT GENERATED ALWAYS AS x + 1)")
        cur.execute("INSERT INTO kept (x) VALUES (1)")
        cur.execute("CREATE TABLE old (id INT PRIMARY KEY)")
        cur.execute("INSERT INTO old (id) VALUES (1)")
        cur.execute("SELECT _id FROM kept")
        (kept_id,), = cur.fetchall()
    with duckdb.connect(path) as db:  # a file from before system columns were stored
        for column in ("_seq_no", "_primary_term", "_version"):
            db.execute(f'ALTER TABLE doc.old DROP COLUMN {column}')
    with MockServer(database=path) as srv, client.connect(srv.url) as conn:
        cur = conn.cursor()
        cur.execute("SELECT _id, x, g FROM kept")
        assert cur.fetchall() == [[kept_id, 1, 2]]
        cur.execute("INSERT INTO kept (x) VALUES (5)")
        cur.execute("SELECT * FROM kept ORDER BY x")
        assert cur.fetchall() == [[1, 2], [5, 6]]
        cur.execute("SELECT id, _version, _primary_term FROM old")
        assert cur.fetchall() == [[1, 1, 1]]
        cur.execute("SELECT * FROM old")
        assert (_cols(cur), cur.fetchall()) == (["id"], [[1]])
