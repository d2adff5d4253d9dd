"""MATCH and ``_score`` on the CrateDB mock, through the official client.

Sources: crate/crate ``docs/general/dql/fulltext.rst`` (semantics; a plain index makes
MATCH an ``=``), ``ExpressionAnalyzer.visitMatchPredicate``, ``SelectSymbolValidator``,
``Collect`` and ``MatchPredicate`` (error texts), Lucene's ``BM25Similarity`` (scores).
"""

from __future__ import annotations

import itertools
import json
import math
import urllib.request

import pytest
from crate import client
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.cratedb import MockServer

_names = (f"ft{i}" for i in itertools.count())

QUOTES = [
    (1, "Would it save you a lot of time if I just gave up and went mad now?", "a"),
    (2, "Time is an illusion. Lunchtime doubly so. Take your time.", "b"),
    (3, "Don't panic", "A"),
]


@pytest.fixture
def quotes(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, quote TEXT, tag TEXT, n INT, "
                "off_col TEXT INDEX OFF, words ARRAY(TEXT), INDEX words_ft USING FULLTEXT (words), "
                "INDEX quote_ft USING FULLTEXT (quote) WITH (analyzer = 'standard')) "
                "CLUSTERED INTO 1 SHARDS")
    cur.executemany(f"INSERT INTO {name} (id, quote, tag, off_col, words) VALUES (?, ?, ?, ?, ?)",
                    [(i, q, t, q, q.split()[:2]) for i, q, t in QUOTES])
    cur.execute(f"REFRESH TABLE {name}")
    yield name
    cur.execute(f"DROP TABLE {name}")


def _sql_error(server, stmt: str) -> dict:
    req = urllib.request.Request(server.url + "/_sql", data=json.dumps({"stmt": stmt}).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())["error"]
    raise AssertionError("no error")


def _bm25(tf: int, dl: int, n: int, total_len: int, df: int) -> float:
    """Lucene's BM25 (k1 1.2, b 0.75) for short fields (lengths below 32 are exact)."""
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    norm_inverse = 1 / (1.2 * (0.25 + 0.75 * dl / (total_len / n)))
    return idf - idf / (1 + tf * norm_inverse)


def test_match_on_a_fulltext_index_with_bm25_scores(cur, quotes):
    cur.execute(f"SELECT id, _score FROM {quotes} WHERE match(quote_ft, 'time') "
                "ORDER BY _score DESC")
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [2, 1]
    # standard analyzer: 17, 10 and 2 tokens ("don't" is one token); "time" in 2 of 3 rows
    assert rows[0][1] == pytest.approx(_bm25(2, 10, 3, 29, 2), rel=1e-6)
    assert rows[1][1] == pytest.approx(_bm25(1, 17, 3, 29, 2), rel=1e-6)
    assert [d[0] for d in cur.description] == ["id", "_score"]
    # a term's clauses add up; a parameter is analysed like a literal
    cur.execute(f"SELECT id, _score FROM {quotes} WHERE match(quote_ft, ?) ORDER BY id",
                ("PANIC time",))
    got = dict(cur.fetchall())
    assert got[3] == pytest.approx(_bm25(1, 2, 3, 29, 1), rel=1e-6)
    assert got[2] == pytest.approx(_bm25(2, 10, 3, 29, 2), rel=1e-6)
    cur.execute(f"SELECT id FROM {quotes} WHERE match(quote_ft, 'time') AND _score > ?",
                (_bm25(1, 17, 3, 29, 2) + 0.01,))
    assert cur.fetchall() == [[2]]


def test_match_options_types_and_negation(cur, quotes):
    cur.execute(f"SELECT id FROM {quotes} WHERE match(quote_ft, 'time mad') "
                "USING best_fields WITH (operator = 'and')")
    assert cur.fetchall() == [[1]]
    cur.execute(f"SELECT id FROM {quotes} WHERE match(quote_ft, 'an illusion') USING phrase")
    assert cur.fetchall() == [[2]]
    cur.execute(f"SELECT id FROM {quotes} WHERE match(quote_ft, 'illusion an') USING phrase")
    assert cur.fetchall() == []
    cur.execute(f"SELECT id FROM {quotes} WHERE NOT match(quote_ft, 'time') ORDER BY id")
    assert cur.fetchall() == [[3]]
    cur.execute(f"SELECT id FROM {quotes} WHERE match(words_ft, 'would') ORDER BY id")
    assert cur.fetchall() == [[1]]
    # best_fields: the best column's score counts (words_ft weighs half)
    cur.execute(f"SELECT id, _score FROM {quotes} "
                "WHERE match((quote_ft, words_ft 0.5), 'panic time') ORDER BY _score DESC")
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [3, 2, 1]
    assert rows[1][1] == pytest.approx(max(_bm25(2, 10, 3, 29, 2), 0.5 * _bm25(1, 2, 3, 6, 1)),
                                       rel=1e-6)
    cur.execute(f"SELECT id, _score FROM {quotes} "
                "WHERE match((quote_ft, words_ft 2.0), 'time') USING most_fields ORDER BY id")
    # most_fields: the columns' scores add up
    assert cur.fetchall() == [[1, pytest.approx(_bm25(1, 17, 3, 29, 2), rel=1e-6)],
                              [2, pytest.approx(_bm25(2, 10, 3, 29, 2)
                                                + 2.0 * _bm25(1, 2, 3, 6, 1), rel=1e-6)]]


def test_match_on_plain_and_unindexed_columns(cur, quotes):
    # the default (plain) index holds the whole value as one term: MATCH is "="
    cur.execute(f"SELECT id FROM {quotes} WHERE match(tag, 'a') ORDER BY id")
    assert cur.fetchall() == [[1]]
    cur.execute(f"SELECT id FROM {quotes} WHERE match(quote, 'time')")
    assert cur.fetchall() == []
    cur.execute(f"SELECT id FROM {quotes} WHERE match(quote, 'Don''t panic')")
    assert cur.fetchall() == [[3]]
    # INDEX OFF: no terms, no match
    cur.execute(f"SELECT id FROM {quotes} WHERE match(off_col, 'Don''t panic')")
    assert cur.fetchall() == []


@pytest.mark.parametrize(("stmt", "message", "code"), [
    ("SELECT match(quote_ft, 'time') FROM {t}",
     "UnsupportedFeatureException[match predicate cannot be selected]", 4004),
    ("SELECT id FROM {t} WHERE match(n, 'time')",
     "SQLParseException[Can only use MATCH on columns of type STRING or GEO_SHAPE, "
     "not on 'integer']", 4000),
    ("SELECT id FROM {t} WHERE match(words, 'time')",
     "SQLParseException[Can only use MATCH on columns of type STRING or GEO_SHAPE, "
     "not on 'text_array']", 4000),
    ("SELECT id FROM {t} WHERE match(quote_ft, NULL)",
     "SQLParseException[cannot use NULL as query term in match predicate]", 4000),
    ("SELECT id FROM {t} WHERE match(quote_ft, 'x') USING fancy",
     "SQLParseException[invalid MATCH type 'fancy' for type 'text']", 4000),
    ("SELECT * FROM sys.summits WHERE match(mountain, 'Dom')",
     "UnsupportedFeatureException[Cannot use MATCH on system tables]", 4004),
    ("SELECT id FROM {t} WHERE match(nothing, 'x')",
     "ColumnUnknownException[Column nothing unknown]", 4043),
])
def test_match_errors_as_cratedb_words_them(server, cur, quotes, stmt, message, code):
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(stmt.format(t=quotes))
    assert info.value.message == message
    assert _sql_error(server, stmt.format(t=quotes)) == {"message": message, "code": code}


def test_analyzers_the_mock_cannot_tokenize_are_refused(server, cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (t TEXT INDEX USING FULLTEXT WITH (analyzer = 'english'))")
    try:
        cur.execute(f"INSERT INTO {name} (t) VALUES ('running dogs')")
        err = _sql_error(server, f"SELECT * FROM {name} WHERE match(t, 'run')")
        assert err["code"] == 4004
        assert "'english' analyzer" in err["message"]
    finally:
        cur.execute(f"DROP TABLE {name}")


def test_fulltext_indexes_survive_a_restart(tmp_path):
    path = tmp_path / "db.duckdb"
    with MockServer(database=str(path)) as srv:
        c = client.connect(srv.url, timeout=10).cursor()
        c.execute("CREATE TABLE t (a TEXT, INDEX a_ft USING FULLTEXT (a))")
        c.execute("INSERT INTO t (a) VALUES ('Hello World'), ('other')")
    with MockServer(database=str(path)) as srv:
        c = client.connect(srv.url, timeout=10).cursor()
        c.execute("SELECT a FROM t WHERE match(a_ft, 'world')")
        assert c.fetchall() == [["Hello World"]]
