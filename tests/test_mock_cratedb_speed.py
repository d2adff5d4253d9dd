"""The CrateDB mock's fast paths give the answers of the slow ones: result columns encoded
whole (DuckDB computing epoch milliseconds), statements split once per text, bulk requests
bound in one engine call with CrateDB's per-item results kept. Values are checked through
the official client ``crate``; speed itself is measured in bench/ only."""

from __future__ import annotations

import itertools
import threading

import pytest
from crate.client.exceptions import ProgrammingError

from dbapi_conformance.mockservers.cratedb import statements
from dbapi_conformance.mockservers.cratedb.catalog import Catalog
from dbapi_conformance.mockservers.cratedb.errors import CrateError
from dbapi_conformance.mockservers.cratedb.handler import ServerContext
from dbapi_conformance.mockservers.engine import Session

_names = (f"speed_{i}" for i in itertools.count())


def test_temporal_columns_keep_their_epoch_milliseconds(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, ts TIMESTAMP WITH TIME ZONE, "
                "tn TIMESTAMP WITHOUT TIME ZONE, d DATE)")
    cur.executemany(f"INSERT INTO {name} (id, ts, tn, d) VALUES (?, ?, ?, ?)",
                    [(1, 1767225601999, 1767225601999, 86400000), (2, None, None, None),
                     (3, -1, -1, -86400000)])
    cur.execute(f"REFRESH TABLE {name}")
    cur.execute(f"SELECT id, ts, tn, d FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1, 1767225601999, 1767225601999, 86400000],
                              [2, None, None, None], [3, -1, -1, -86400000]]
    cur.execute("SELECT 'infinity'::TIMESTAMP WITH TIME ZONE, '-infinity'::TIMESTAMP, "
                "'infinity'::DATE, '1969-12-31T23:59:59.9995Z'::TIMESTAMP WITH TIME ZONE")
    assert cur.fetchall() == [[253402300799999, -62135596800000, 253402214400000, -1]]


def test_timestamps_python_cannot_hold_are_still_epoch_milliseconds(cur):
    # CrateDB's timestamps are epoch milliseconds of any year; the mock used to send the
    # engine's text for years before 1 and after 9999 ('0044-03-15 (BC) 12:00:00+00')
    cur.execute("SELECT '10000-01-01'::TIMESTAMP, '-0043-03-15T12:00:00Z'::TIMESTAMP WITH "
                "TIME ZONE")
    assert cur.fetchall() == [[253402300800000, -63517780800000]]


# --- statements split once per text ---------------------------------------------------------

def _counting_tokenizer(monkeypatch) -> list:
    calls = []
    real = statements.tokenize

    def tokenize(text):
        calls.append(text)
        return real(text)

    monkeypatch.setattr(statements, "tokenize", tokenize)
    return calls


def test_statement_cache_tokenizes_a_text_once(monkeypatch):
    calls = _counting_tokenizer(monkeypatch)
    cache = statements.StatementCache(size=4)
    first = cache.split("SELECT name FROM t WHERE id = ?;")
    assert cache.split("SELECT name FROM t WHERE id = ?;") is first
    assert first.text == "SELECT name FROM t WHERE id = ?"
    assert first.words[:2] == ["SELECT", "NAME"] and len(calls) == 1
    for _ in range(2):  # an error is every request's own: never kept
        with pytest.raises(CrateError) as info:
            cache.split("SELECT 1; SELECT 2")
        assert "mismatched input 'SELECT' expecting <EOF>" in info.value.message
    assert len(calls) == 3 and len(cache) == 1


def test_statement_cache_is_bounded_and_keeps_what_was_used_last(monkeypatch):
    calls = _counting_tokenizer(monkeypatch)
    cache = statements.StatementCache(size=4, max_text=100)
    for i in range(10):
        cache.split(f"SELECT {i}")
        cache.split("SELECT 'hot'")
    assert len(cache) == 4
    assert calls.count("SELECT 'hot'") == 1
    long_text = "SELECT " + "1 + " * 40 + "1"
    cache.split(long_text)
    cache.split(long_text)
    assert calls.count(long_text) == 2 and len(cache) == 4


def test_statement_cache_is_per_server_and_thread_safe():
    assert ServerContext(None, Catalog(), "6.4.1").statements is not ServerContext(
        None, Catalog(), "6.4.1").statements
    cache = statements.StatementCache(size=8)
    texts = [f"SELECT {i}, '{'x' * i}' FROM t{i} WHERE a = ?" for i in range(16)]
    expected = {t: statements.split(t) for t in texts}
    wrong = []

    def work(k: int) -> None:
        for j in range(300):
            text = texts[(k * 7 + j) % len(texts)]
            got = cache.split(text)
            if got != expected[text]:
                wrong.append((text, got))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not wrong and len(cache) == 8


def test_repeated_statements_through_the_official_client(server, cur, monkeypatch):
    calls = _counting_tokenizer(monkeypatch)
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, name TEXT)")
    cur.executemany(f"INSERT INTO {name} (id, name) VALUES (?, ?)",
                    [(i, f"n{i}") for i in range(5)])
    cur.execute(f"REFRESH TABLE {name}")
    sql = f"SELECT name FROM {name} WHERE id = ?"
    got = []
    for i in range(5):
        cur.execute(sql, (i,))
        got.append(cur.fetchone()[0])
    assert got == [f"n{i}" for i in range(5)]
    assert calls.count(sql) == 1


# --- bulk inserts in one engine statement ---------------------------------------------------

@pytest.fixture
def inserts(monkeypatch) -> list:
    """The INSERT statements the engine is asked to run (by every server in this process)."""
    seen = []
    real = Session.execute

    def execute(self, sql, *args, **kwargs):
        if sql.lstrip().upper().startswith("INSERT"):
            seen.append(sql)
        return real(self, sql, *args, **kwargs)

    monkeypatch.setattr(Session, "execute", execute)
    return seen


def _table(cur, columns: str) -> str:
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} ({columns})")
    return name


def test_bulk_insert_is_one_engine_statement(cur, inserts):
    name = _table(cur, "id INT PRIMARY KEY, name TEXT, value DOUBLE PRECISION, "
                       "ts TIMESTAMP WITH TIME ZONE")
    rows = [(i, f"n{i}", i * 0.5, 1_767_225_600_000 + i) for i in range(500)]
    results = cur.executemany(f"INSERT INTO {name} (id, name, value, ts) VALUES (?, ?, ?, ?)",
                              rows)
    assert results == [{"rowcount": 1}] * 500
    assert len([sql for sql in inserts if f'"{name}"' in sql]) == 1
    cur.execute(f"REFRESH TABLE {name}")
    cur.execute(f"SELECT id, name, value, ts FROM {name} ORDER BY id")
    assert cur.fetchall() == [list(r) for r in rows]


def test_bulk_insert_with_failing_items_keeps_crates_per_item_results(cur, inserts):
    name = _table(cur, "id INT PRIMARY KEY, name TEXT NOT NULL")
    cur.execute(f"INSERT INTO {name} (id, name) VALUES (1000, 'there before')")
    rows = [[i, f"n{i}"] for i in range(100)]
    rows[37][0] = 12          # the same key as an earlier item of the request
    rows[80][1] = None        # NOT NULL
    rows[90][0] = 1000        # a key already in the table
    results = cur.executemany(f"INSERT INTO {name} (id, name) VALUES (?, ?)", rows)
    failed = {i: r["error"] for i, r in enumerate(results) if r["rowcount"] == -2}
    assert set(failed) == {37, 80, 90}
    assert all(r == {"rowcount": 1} for i, r in enumerate(results) if i not in failed)
    dup = "DuplicateKeyException[A document with the same primary key exists already]"
    assert failed[37] == failed[90] == {"code": 4091, "message": dup}
    assert failed[80]["code"] == 4000 and '"name" must not be null' in failed[80]["message"]
    cur.execute(f"REFRESH TABLE {name}")
    cur.execute(f"SELECT id, name FROM {name} ORDER BY id")
    kept = [r for i, r in enumerate(rows) if i not in failed] + [[1000, "there before"]]
    assert cur.fetchall() == sorted(kept)
    # the good items went in as a few statements, not one by one
    assert len([sql for sql in inserts if f'"{name}"' in sql]) <= 60


def test_bulk_insert_of_every_column_kind_reads_back_as_row_by_row(cur):
    columns = ("id INT PRIMARY KEY, obj OBJECT, tags ARRAY(TEXT), ts TIMESTAMP, "
               "r REAL, n NUMERIC(10, 2), g GEO_POINT, b BOOLEAN, s SMALLINT")
    bulk, single = _table(cur, columns), _table(cur, columns)
    rows = [(i, {"k": i, "x": [1, "a"]} if i % 3 else None, ["a", None, f"t{i}"],
             "2026-01-02T03:04:05.678" if i % 2 else 86_400_000 * i, 1.8 + i,
             f"{i}.25", [9.5, 47.25 + i], i % 2 == 0, None if i % 4 else -i)
             for i in range(40)]
    sql = "INSERT INTO {} (id, obj, tags, ts, r, n, g, b, s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    assert cur.executemany(sql.format(bulk), rows) == [{"rowcount": 1}] * 40
    for row in rows:
        cur.execute(sql.format(single), row)
    got = {}
    for name in (bulk, single):
        cur.execute(f"REFRESH TABLE {name}")
        cur.execute(f"SELECT * FROM {name} ORDER BY id")
        got[name] = cur.fetchall()
    assert got[bulk] == got[single] and len(got[bulk]) == 40
    assert got[bulk][1][1] == {"k": 1, "x": [1, "a"]} and got[bulk][1][4] == 2.8


def test_bulk_requests_that_are_not_plain_inserts_still_count_per_item(cur, inserts):
    name = _table(cur, "id INT PRIMARY KEY, grp INT")
    cur.executemany(f"INSERT INTO {name} (id, grp) VALUES (?, ?)",
                    [(i, i % 3) for i in range(30)])
    cur.execute(f"REFRESH TABLE {name}")
    results = cur.executemany(f"UPDATE {name} SET grp = grp + 10 WHERE grp = ?",
                              [(0,), (1,), (7,)])
    assert results == [{"rowcount": 10}, {"rowcount": 10}, {"rowcount": 0}]
    results = cur.executemany(
        f"INSERT INTO {name} (id, grp) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET grp = 0",
        [(i, 1) for i in range(28, 40)])
    assert results == [{"rowcount": 1}] * 12
    with pytest.raises(ProgrammingError) as info:  # a value that cannot be cast fails it all
        cur.executemany(f"INSERT INTO {name} (id, grp) VALUES (?, ?)",
                        [(100 + i, "x" if i == 15 else i) for i in range(30)])
    assert "Cannot cast value `x` to type `integer`" in str(info.value)
    cur.execute(f"REFRESH TABLE {name}")
    cur.execute(f"SELECT count(*) FROM {name} WHERE id >= 100")
    assert cur.fetchone()[0] == 0


def test_a_statements_words_are_worked_out_once(monkeypatch):
    stmt = statements.split("SELECT name FROM t WHERE id = ?")
    looked_at = []
    real = statements.Tok.word

    monkeypatch.setattr(statements.Tok, "word",
                        property(lambda tok: looked_at.append(tok) or real.fget(tok)))
    first = stmt.words
    first.append("CHANGED")  # a caller's copy: the statement is shared through the cache
    assert stmt.words == ["SELECT", "NAME", "FROM", "T", "WHERE", "ID", "", ""]
    assert stmt.starts("SELECT", "NAME") and len(looked_at) == len(stmt.toks)


def test_the_engine_runs_each_statement_on_one_thread(server, cur):
    cur.execute("SELECT 1")  # the server is up and has served
    session = server._ctx.engine.session()
    try:
        assert session.execute("SELECT current_setting('threads')").rows == [(1,)]
    finally:
        session.close()


def test_a_long_statement_is_translated_without_being_kept(server, cur):
    # the translation cache holds statement-sized texts: 512 distinct statements of a
    # megabyte each would otherwise keep gigabytes
    text = "SELECT length('" + "x" * 20_000 + "') AS n"
    cur.execute("SELECT 1")
    before = len(server._ctx.cache)
    for _ in range(2):
        cur.execute(text)
        assert cur.fetchall() == [[20_000]]
    assert len(server._ctx.cache) == before
