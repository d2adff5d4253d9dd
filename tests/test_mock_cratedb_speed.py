"""The CrateDB mock's fast paths give the answers of the slow ones: result columns encoded
whole (DuckDB computing epoch milliseconds), statements split once per text, bulk requests
bound in one engine call with CrateDB's per-item results kept. Values are checked through
the official client ``crate``; speed itself is measured in bench/ only."""

from __future__ import annotations

import itertools
import threading

import pytest
from crate import client

from dbapi_conformance.mockservers.cratedb import statements
from dbapi_conformance.mockservers.cratedb.catalog import Catalog
from dbapi_conformance.mockservers.cratedb.errors import CrateError
from dbapi_conformance.mockservers.cratedb.handler import ServerContext
from dbapi_conformance.mockservers.cratedb.server import MockServer

_names = (f"speed_{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    conn = client.connect(server.url, timeout=10)
    yield conn.cursor()
    conn.close()


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
