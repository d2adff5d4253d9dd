"""CrateDB's lexical structure on the mock, through the official client: dollar-quoted
strings next to ``$n`` parameters.

Source: crate/crate ``docs/sql/general/lexical-structure.rst`` (dollar-quoted strings since
5.2, ``$<tag>$...$<tag>$`` with an optional tag) and ``SqlBaseLexer.g4``
(``BEGIN_DOLLAR_QUOTED_STRING: '$' TAG? '$'``, the tag an identifier; ``$`` and digits is a
positional parameter).
"""

from __future__ import annotations

import pytest
from crate import client
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.cratedb import MockServer


@pytest.fixture(scope="module")
def cur():
    with MockServer() as srv:
        conn = client.connect(srv.url, timeout=10)
        yield conn.cursor()
        conn.close()


def test_dollar_quoted_string_equals_the_quoted_one(cur):
    # the example of lexical-structure.rst, with the output name it shows
    cur.execute("select 'I''m a string' = $tag1$I'm a string$tag1$")
    assert cur.fetchall() == [[True]]
    assert [d[0] for d in cur.description] == ["('I''m a string' = 'I''m a string')"]


@pytest.mark.parametrize(("sql", "args", "row"), [
    ("SELECT $$a$$", None, ["a"]),
    ("SELECT $$it's $1 and ? -- not a comment$$, ?", [5], ["it's $1 and ? -- not a comment", 5]),
    ("SELECT $x$a $$ b$x$, $1", ["p"], ["a $$ b", "p"]),
    ("SELECT '$$q$$', \"$$\" FROM (SELECT 1 AS \"$$\") t", None, ["$$q$$", 1]),
    ("SELECT $_t1$\nline\n$_t1$ -- $$", None, ["\nline\n"]),
])
def test_dollar_quoted_strings_keep_their_text(cur, sql, args, row):
    cur.execute(sql, args)
    assert cur.fetchall() == [row]


@pytest.mark.parametrize("sql", ["SELECT $$abc", "SELECT $a"])
def test_broken_dollar_syntax_is_a_parsing_exception(cur, sql):
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(sql)
    assert info.value.message.startswith("ParsingException[line 1:8: ")
