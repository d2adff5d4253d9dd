"""Randomised bad input for the CrateDB mock server: every ``/_sql`` answer is CrateDB's.

Whatever the body or statement, the server must answer with a JSON result or a JSON error
of CrateDB's shape (cratedb.md 1.2, 3.1) and a status matching the error code's family;
never a crash (aiohttp's plain-text 500), a hang or a dropped connection. Afterwards the
same server still answers ``SELECT 1``.
"""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbapi_conformance.drivers.wire.cratedb import http_status
from dbapi_conformance.mockservers.cratedb import MockServer

_FUZZ = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])

# SQL-ish text: keywords, names, literals and punctuation of CrateDB's grammar, mixed.
_WORDS = st.sampled_from([
    "SELECT", "FROM", "WHERE", "INSERT", "INTO", "VALUES", "UPDATE", "SET", "DELETE",
    "CREATE", "TABLE", "DROP", "REFRESH", "BEGIN", "COMMIT", "ROLLBACK", "ORDER BY",
    "GROUP BY", "LIMIT", "sys.summits", "sys.cluster", "information_schema.tables",
    "fuzz_t", "doc.fuzz_t", "id", "name", "mountain", "height", "count(*)", "*", "?", "$1",
    "$2", "1", "1.5", "'x'", "'it''s'", "NULL", "TRUE", "(", ")", ",", ";", "=", "+", "/",
    "0", "[", "]", "['a']", "::", "CAST", "AS", "INTEGER", "TEXT", "OBJECT", "%s", ":p",
    "--", "/*", "*/", '"q"', "PRIMARY KEY", "NOT NULL",
])
_STATEMENTS = st.lists(_WORDS, min_size=0, max_size=12).map(" ".join) | st.text(max_size=40)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def server():
    with MockServer(body_timeout=1.0) as srv:
        with srv_connection(srv) as conn:
            _post(conn, json.dumps({"stmt": "CREATE TABLE fuzz_t (id INT PRIMARY KEY, "
                                            "name TEXT)"}).encode())
        yield srv


class srv_connection:
    """An http.client connection to the server, closed on exit."""

    def __init__(self, srv):
        parts = urlsplit(srv.url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


def _post(conn, body: bytes) -> tuple[int, str, bytes]:
    conn.request("POST", "/_sql?types", body=body,
                 headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    return resp.status, resp.getheader("Content-Type") or "", resp.read()


def _check_answer(status: int, content_type: str, body: bytes) -> None:
    assert content_type.startswith("application/json"), (status, body[:200])
    payload = json.loads(body)
    if status == 200:
        assert "cols" in payload and ("rows" in payload or "results" in payload), payload
        return
    error = payload["error"]
    assert isinstance(error["message"], str) and error["message"], payload
    assert "[" in error["message"] and error["message"].endswith("]"), payload
    assert http_status(error["code"]) == status, payload


@_FUZZ
@given(body=st.binary(max_size=200))
def test_arbitrary_bodies_get_crate_errors(server, body):
    with srv_connection(server) as conn:
        _check_answer(*_post(conn, body))


@_FUZZ
@given(stmt=_STATEMENTS, args=st.none() | st.lists(_JSON_VALUES, max_size=4),
       bulk=st.none() | st.lists(st.lists(_JSON_VALUES, max_size=3), max_size=3))
def test_arbitrary_statements_and_args_get_crate_answers(server, stmt, args, bulk):
    payload: dict = {"stmt": stmt}
    if args is not None:
        payload["args"] = args
    if bulk is not None:
        payload["bulk_args"] = bulk
    with srv_connection(server) as conn:
        _check_answer(*_post(conn, json.dumps(payload).encode()))


_TEMPLATES = st.sampled_from([
    "INSERT INTO fuzz_t (id, name) VALUES (?, ?)",
    "UPDATE fuzz_t SET name = ? WHERE id = ?",
    "SELECT id, name FROM fuzz_t WHERE id = ? OR name = ?",
    "SELECT ? + ?, ? || ?",
    "SELECT mountain FROM sys.summits WHERE height > ? LIMIT ?",
    "DELETE FROM fuzz_t WHERE id = ? AND name = ?",
    "SELECT CAST(? AS INTEGER), CAST(? AS TIMESTAMP WITH TIME ZONE)",
    "SELECT $2, $1",
])


@_FUZZ
@given(stmt=_TEMPLATES, args=st.lists(_JSON_VALUES, min_size=0, max_size=4),
       bulk=st.booleans())
def test_valid_statements_with_arbitrary_values_get_crate_answers(server, stmt, args, bulk):
    # Values of every JSON type meet typed columns, casts and operators.
    payload = {"stmt": stmt, "bulk_args": [args, args[::-1]]} if bulk else {
        "stmt": stmt, "args": args}
    with srv_connection(server) as conn:
        _check_answer(*_post(conn, json.dumps(payload).encode()))


def test_server_still_serves_after_the_fuzzing(server):
    with srv_connection(server) as conn:
        status, _, body = _post(conn, b'{"stmt": "SELECT 1 AS one"}')
    assert status == 200
    assert json.loads(body)["rows"] == [[1]]
