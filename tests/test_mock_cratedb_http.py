"""The CrateDB mock server on the wire: exact shapes, status codes, headers, bad input.

Sources: cratedb.md 1.1-1.3 (endpoints and shapes), 2.3 (401s), 3.1/3.2 (errors); the
plain-text answers and the corrupt-body behaviour follow crate/crate
``MainAndStaticFileHandler``, ``StaticSite`` and ``HttpAuthUpstreamHandler``.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import socket
import time
import zlib
from urllib.parse import urlsplit

import pytest

from dbapi_conformance.mockservers.cratedb import MockServer

JSON = "application/json; charset=UTF-8"


@pytest.fixture(scope="module")
def server():
    with MockServer(body_timeout=1.0) as srv:
        yield srv


def _conn(server) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)


def _request(server, method, path, body=None, headers=None, conn=None):
    c = conn or _conn(server)
    c.request(method, path, body=body, headers=headers or {})
    resp = c.getresponse()
    data = resp.read()
    if conn is None:
        c.close()
    return resp, data


def _sql(server, payload, path="/_sql?types", conn=None, headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return _request(server, "POST", path, body, headers, conn)


def test_get_root_server_info(server):
    resp, body = _request(server, "GET", "/", headers={"Accept": "application/json"})
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "application/json"
    text = body.decode("utf-8")
    assert text.startswith('{\n  "ok" : true,\n  "status" : 200,\n  "name" : "')
    assert text.endswith("}\n")
    info = json.loads(text)
    assert info["cluster_name"] == "crate"
    assert info["version"]["number"] == "6.4.1"
    assert list(info["version"]) == ["number", "build_hash", "build_timestamp",
                                      "build_snapshot", "lucene_version"]
    assert info["name"] == server.node_name


def test_head_root_and_browser(server):
    resp, body = _request(server, "HEAD", "/")
    assert resp.status == 200 and body == b""
    resp, body = _request(server, "GET", "/", headers={
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)", "Accept": "text/html"})
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/html"
    resp, _ = _request(server, "GET", "/", headers={"User-Agent": "curl/8.0"})
    assert resp.getheader("Content-Type") == "application/json"


def test_unknown_paths(server):
    resp, body = _request(server, "GET", "/foo/bar")
    assert resp.status == 404 and body == b"Requested file [foo/bar] was not found"
    resp, body = _request(server, "POST", "/foo", body=b"{}")
    assert resp.status == 403 and body == b"POST method is not allowed for [/foo]"
    resp, _ = _request(server, "GET", "/admin")
    assert resp.status == 307 and resp.getheader("Location") == "/"
    resp, _ = _request(server, "GET", "/_blobs/b1/" + "0" * 40)
    assert resp.status == 404


def test_result_shape_and_key_order(server):
    resp, body = _sql(server, {"stmt": "SELECT 1 AS a, 'x' AS b"})
    assert resp.status == 200 and resp.getheader("Content-Type") == JSON
    assert body.startswith(b'{"cols":["a","b"],"col_types":[9,4],"rows":[[1,"x"]],'
                           b'"rowcount":1,"duration":')
    payload = json.loads(body)
    assert list(payload) == ["cols", "col_types", "rows", "rowcount", "duration"]
    assert isinstance(payload["duration"], float)
    resp, body = _sql(server, {"stmt": "SELECT 1"}, path="/_sql")
    assert list(json.loads(body)) == ["cols", "rows", "rowcount", "duration"]


def test_rowcount_shape(server):
    resp, body = _sql(server, {"stmt": "BEGIN"})
    payload = json.loads(body)
    assert payload["cols"] == [] and payload["col_types"] == [] and payload["rows"] == [[]]
    assert payload["rowcount"] == 0
    assert list(payload) == ["cols", "col_types", "rows", "rowcount", "duration"]


def test_sql_prefix_any_method_and_flags(server):
    resp, body = _request(server, "GET", "/_sql/anything?types=true",
                          body=json.dumps({"stmt": "SELECT 2"}).encode())
    assert resp.status == 200 and json.loads(body)["rows"] == [[2]]
    resp, body = _sql(server, {"stmt": "SELECT 1"}, path="/_sql?types=false")
    assert "col_types" not in json.loads(body)


def test_array_and_special_values(server):
    resp, body = _sql(server, {"stmt": "SELECT ['a'] AS t, CAST('NaN' AS DOUBLE) AS n, "
                                       "CAST('-Infinity' AS DOUBLE) AS i, "
                                       "CAST('12345678901234567.89' AS NUMERIC(20, 2)) AS d"})
    assert b'"col_types":[[100,4],6,6,22]' in body
    assert b'"rows":[[["a"],"NaN","-Infinity",12345678901234567.89]]' in body


def test_bulk_shapes(server):
    _sql(server, {"stmt": "CREATE TABLE bulk_t (id INT PRIMARY KEY)"})
    try:
        resp, body = _sql(server, {"stmt": "INSERT INTO bulk_t (id) VALUES (?)",
                                   "bulk_args": [[1], [1], [2]]})
        payload = json.loads(body)
        assert list(payload) == ["cols", "duration", "results"]
        assert payload["results"] == [
            {"rowcount": 1},
            {"rowcount": -2, "error": {"code": 4091, "message": "DuplicateKeyException[A "
                                       "document with the same primary key exists already]"}},
            {"rowcount": 1}]
        resp, body = _sql(server, {"stmt": "INSERT INTO bulk_t (id) VALUES (?)",
                                   "bulk_args": []})
        assert resp.status == 200 and json.loads(body)["results"] == []
        resp, body = _sql(server, {"stmt": "SELECT * FROM bulk_t WHERE id = ?",
                                   "bulk_args": [[1]]})
        assert resp.status == 400
        assert json.loads(body)["error"] == {
            "message": "UnsupportedFeatureException[Bulk operations for statements that "
                       "return result sets is not supported]", "code": 4004}
        resp, body = _sql(server, {"stmt": "INSERT INTO bulk_t (id) VALUES (?)",
                                   "args": [5], "bulk_args": [[6]]})
        assert resp.status == 400 and b"forbidden to provide both" in body
    finally:
        _sql(server, {"stmt": "DROP TABLE bulk_t"})


@pytest.mark.parametrize("body, message", [
    (b"", "SQLParseException[Missing request body]"),
    (b"{not json", "SQLParseException[Can't parse [{not json]. Expecting payload with `stmt` "
                   "string and `args` or `bulk_args` arrays]"),
    (b'{"stmt": 1}', "SQLParseException[Can't parse [{\"stmt\": 1}]. Expecting payload with "
                     "`stmt` string and `args` or `bulk_args` arrays]"),
    (b'{"stmt": "select 1", "args": "x"}', None),
    (b'{"args": []}', "SQLParseException[Field [stmt] is missing]"),
    (b'[1, 2]', None),
])
def test_bad_request_bodies(server, body, message):
    resp, data = _sql(server, body)
    assert resp.status == 400 and resp.getheader("Content-Type") == JSON
    error = json.loads(data)["error"]
    assert error["code"] == 4000
    if message is not None:
        assert error["message"] == message
    else:
        assert error["message"].startswith("SQLParseException[Can't parse [")
    # the server keeps serving
    resp, data = _sql(server, {"stmt": "SELECT 1"})
    assert json.loads(data)["rows"] == [[1]]


def test_error_shape_and_trace(server):
    resp, body = _sql(server, {"stmt": "SELECT * FROM missing"}, path="/_sql?error_trace")
    assert resp.status == 404 and resp.getheader("Content-Type") == JSON
    payload = json.loads(body)
    assert list(payload) == ["error", "error_trace"]
    assert payload["error"] == {"message": "RelationUnknown[Relation 'missing' unknown]",
                                "code": 4041}
    assert payload["error_trace"].startswith("io.crate.exceptions.RelationUnknown: ")
    resp, body = _sql(server, {"stmt": "SELECT * FROM missing"})
    assert list(json.loads(body)) == ["error"]


@pytest.mark.parametrize("stmt, status, code, name", [
    ("SELECT * FROM nope.t", 404, 4045, "SchemaUnknownException"),
    ("SELEC 1", 400, 4000, "ParsingException"),
    ("SELECT 1 / 0", 400, 4000, "SQLParseException"),
    ("ROLLBACK", 400, 4000, "ParsingException"),
    ("CREATE BLOB TABLE b", 400, 4004, "UnsupportedFeatureException"),
    ("INSERT INTO sys.summits (mountain) VALUES ('x')", 400, 4007,
     "OperationOnInaccessibleRelationException"),
])
def test_error_codes(server, stmt, status, code, name):
    resp, body = _sql(server, {"stmt": stmt})
    error = json.loads(body)["error"]
    assert (resp.status, error["code"]) == (status, code)
    assert error["message"].startswith(name + "[")


def test_compressed_bodies(server):
    payload = json.dumps({"stmt": "SELECT ?", "args": ["z" * 100]}).encode()
    for encoding, data in (("gzip", gzip.compress(payload)), ("deflate", zlib.compress(payload)),
                           ("deflate", zlib.compress(payload)[2:-4])):
        resp, body = _sql(server, data, headers={"Content-Encoding": encoding})
        assert resp.status == 200, encoding
        assert json.loads(body)["rows"] == [["z" * 100]]


def test_corrupt_gzip_body(server):
    resp, body = _sql(server, b"this is not gzip", headers={"Content-Encoding": "gzip"})
    # Netty's decompressor fails the pipeline; CrateDB answers in plain text and closes
    assert resp.status == 500
    assert body.startswith(b"io.netty.handler.codec.compression.DecompressionException")
    assert resp.getheader("Connection") == "close"
    broken = gzip.compress(b'{"stmt": "select 1"}')[:-6]
    resp, body = _sql(server, broken, headers={"Content-Encoding": "gzip"})
    assert resp.status == 500
    resp, body = _sql(server, {"stmt": "SELECT 3"})
    assert json.loads(body)["rows"] == [[3]]


def _raw(server) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def test_truncated_body_then_close(server):
    s = _raw(server)
    s.sendall(b"POST /_sql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"stmt\":")
    s.close()
    resp, body = _sql(server, {"stmt": "SELECT 4"})
    assert json.loads(body)["rows"] == [[4]]


def test_stalled_body_does_not_block_others(server):
    s = _raw(server)
    try:
        s.sendall(b"POST /_sql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"stmt\":")
        resp, body = _sql(server, {"stmt": "SELECT 5"})  # served meanwhile
        assert json.loads(body)["rows"] == [[5]]
        s.settimeout(5)
        start = time.monotonic()
        data = s.recv(4096)
        while data:  # the server gives up on the body after body_timeout and closes
            data = s.recv(4096)
        assert time.monotonic() - start < 5
    finally:
        s.close()


def test_statement_past_statement_timeout_is_killed():
    # the wait for a statement is bounded: JobKilledException (5005), and the same
    # connection then runs the next statement
    with MockServer(statement_timeout=0.5) as srv:
        conn = _conn(srv)
        try:
            resp, body = _sql(srv, {"stmt": "SELECT count(*) FROM generate_series(1, "
                                            "100000000000) AS t(x)"}, "/_sql", conn)
            assert resp.status == 500
            assert json.loads(body) == {"error": {
                "message": "JobKilledException[Job killed. statement_timeout (mock server "
                           "limit 0.5s)]", "code": 5005}}
            resp, body = _sql(srv, {"stmt": "SELECT 6"}, conn=conn)
            assert json.loads(body)["rows"] == [[6]]
        finally:
            conn.close()


def test_unauthorized(server):
    resp, body = _request(server, "GET", "/", headers={
        "Authorization": "Basic " + base64.b64encode(b"bob:pw").decode()})
    assert resp.status == 401
    assert resp.getheader("WWW-Authenticate") == 'Basic realm="CrateDB Authenticator"'
    assert resp.getheader("Connection") == "close"
    assert body == b'trust authentication failed for user "bob"\n'
    resp, body = _request(server, "GET", "/", headers={"Authorization": "Bearer abc.def.ghi"})
    assert resp.status == 401
    resp, body = _sql(server, {"stmt": "SELECT 1"}, headers={
        "Authorization": "Basic " + base64.b64encode(b"crate:anything").decode()})
    assert resp.status == 200


def test_password_users():
    with MockServer(users={"alice": "secret"}) as srv:
        def auth(user_pw: bytes):
            return {"Authorization": "Basic " + base64.b64encode(user_pw).decode()}
        resp, body = _sql(srv, {"stmt": "SELECT current_user"}, headers=auth(b"alice:secret"))
        assert json.loads(body)["rows"] == [["alice"]]
        resp, body = _sql(srv, {"stmt": "SELECT 1"}, headers=auth(b"alice:nope"))
        assert resp.status == 401
        assert body == b'password authentication failed for user "alice"\n'
        # no header: user crate, which only a trust rule admits (there is none here)
        resp, body = _sql(srv, {"stmt": "SELECT 1"})
        assert resp.status == 401
        assert body == (b'No valid auth.host_based.config entry found for host "127.0.0.1", '
                        b'user "crate", protocol "http". Did you enable TLS in your client?\n')
        resp, body = _sql(srv, {"stmt": "SELECT 1"}, headers=auth(b"crate:guess"))
        assert resp.status == 401
        assert body == b'password authentication failed for user "crate"\n'


def test_connection_state_and_default_schema(server):
    c = _conn(server)
    try:
        _, body = _sql(server, {"stmt": "SELECT current_schema"}, conn=c,
                       headers={"Default-Schema": "first"})
        assert json.loads(body)["rows"] == [["first"]]
        # read on the first request of a connection only
        _, body = _sql(server, {"stmt": "SELECT current_schema"}, conn=c,
                       headers={"Default-Schema": "second"})
        assert json.loads(body)["rows"] == [["first"]]
        _sql(server, {"stmt": "SET search_path TO third"}, conn=c)
        _, body = _sql(server, {"stmt": "SELECT current_schema"}, conn=c)
        assert json.loads(body)["rows"] == [["third"]]
    finally:
        c.close()
    _, body = _sql(server, {"stmt": "SELECT current_schema"})
    assert json.loads(body)["rows"] == [["doc"]]


def test_many_connections_come_and_go(server):
    for i in range(30):
        _, body = _sql(server, {"stmt": "SELECT ?", "args": [i]})
        assert json.loads(body)["rows"] == [[i]]


def test_body_too_large():
    with MockServer(max_content_length=1000) as srv:
        resp, body = _sql(srv, {"stmt": "SELECT ?", "args": ["x" * 2000]})
        assert resp.status == 413
        bomb = gzip.compress(json.dumps({"stmt": "SELECT ?", "args": ["x" * 5000]}).encode())
        resp, body = _sql(srv, bomb, headers={"Content-Encoding": "gzip"})
        # Netty inflates before its aggregator counts: an inflated body too large is a 413
        assert resp.status == 413 and body == b""
        resp, body = _sql(srv, {"stmt": "SELECT 1"})
        assert resp.status == 200


def test_sessions_close_with_their_connections():
    with MockServer() as srv:
        for _ in range(10):
            _sql(srv, {"stmt": "SELECT 1"})
        engine = srv._ctx.engine
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            open_sessions = [s for s in list(engine._sessions) if not s.closed]
            if not open_sessions and not srv._connections:
                break
            time.sleep(0.02)
        assert open_sessions == [] and srv._connections == {}


def test_start_failure_and_restart():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            MockServer(port=taken.getsockname()[1]).start()
    srv = MockServer()
    srv.start()
    first = srv.url
    srv.stop()
    srv.stop()  # idempotent
    srv.start()
    try:
        assert srv.url.startswith("http://127.0.0.1:") and first
        resp, body = _sql(srv, {"stmt": "SELECT 6"})
        assert json.loads(body)["rows"] == [[6]]
    finally:
        srv.stop()


@pytest.mark.parametrize("stmt", ["SELECT %(p1)s", "SELECT %s", "SELECT :p1"])
def test_placeholders_of_other_paramstyles_are_syntax_errors(server, stmt):
    # CrateDB knows only ? and $n (cratedb.md 5.4): a driver that sends its own paramstyle
    # unconverted must fail on the mock as on a real server.
    resp, body = _sql(server, {"stmt": stmt, "args": [1]})
    error = json.loads(body)["error"]
    assert (resp.status, error["code"]) == (400, 4000)
    assert error["message"].startswith("ParsingException[line 1:8: no viable alternative")


@pytest.mark.parametrize("stmt, rows", [
    ("SELECT 7 % 3", [[1]]),
    ("SELECT 7 %(3)", [[1]]),
    ("SELECT '%s :x %(a)s'", [["%s :x %(a)s"]]),
])
def test_modulo_and_literals_are_not_placeholders(server, stmt, rows):
    resp, body = _sql(server, {"stmt": stmt})
    assert resp.status == 200
    assert json.loads(body)["rows"] == rows
