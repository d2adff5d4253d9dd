"""The CrateDB reference driver against small scripted HTTP servers (no SQL engine).

These tests pin the driver's side of the protocol exactly: the requests it sends (paths,
headers, bodies), how it reads answers, its error classes, failover, timeouts and TLS.
The driver against the real mock server (SQL semantics) is in test_driver_cratedb_mock.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import http.server
import socket
import ssl
import threading
import time
from collections import UserDict
from collections.abc import Callable

import orjson
import pytest
import trustme

from dbapi_conformance.drivers import cratedb
from dbapi_conformance.drivers.cratedb import transport as transport_mod
from dbapi_conformance.drivers.wire import cratedb as wire

Answer = tuple[int, str | None, bytes]


def sql_ok(cols=(), col_types=(), rows=None, rowcount=None) -> Answer:
    if cols:
        return 200, wire.JSON_CONTENT_TYPE, wire.encode_result(cols, col_types, rows or [], 1.5)
    return 200, wire.JSON_CONTENT_TYPE, wire.encode_rowcount(rowcount or 0, 0.5, True)


def sql_error(code: int, message: str, trace: str | None = None) -> Answer:
    body = wire.encode_error(code, message, trace)
    return wire.http_status(code), wire.JSON_CONTENT_TYPE, body


class FakeCrate:
    """A scripted CrateDB HTTP endpoint on a background thread.

    ``answer(request)`` gets a dict (method, path, headers, body, sql) and returns
    (status, content type, body); by default ``GET /`` returns the node description and
    ``/_sql`` answers ``SELECT 1``-like statements with one row. Every request is recorded
    in ``requests``.
    """

    def __init__(self, answer: Callable[[dict], Answer] | None = None, *,
                 ssl_context: ssl.SSLContext | None = None, version: str = "6.4.1"):
        self.answer = answer
        self.version = version
        self.requests: list[dict] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):  # keep test output quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "sql": None,
                }
                if "/_sql" in self.path:
                    request["sql"] = wire.parse_sql_request(body)
                fake.requests.append(request)
                status, ctype, data = fake.respond(request)
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _serve

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(
                self._server.socket, server_side=True, do_handshake_on_connect=False
            )
        scheme = "https" if ssl_context is not None else "http"
        self.port = self._server.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def respond(self, request: dict) -> Answer:
        if self.answer is not None:
            answer = self.answer(request)
            if answer is not None:
                return answer
        if request["sql"] is None:
            body = wire.encode_server_info("node", "crate", self.version, "0" * 40,
                                           "2026-01-01T00:00:00Z", "10.0.0")
            return 200, "application/json", body
        return sql_ok(["1"], [wire.DataType.INTEGER], [[1]])

    @property
    def sql_requests(self) -> list[dict]:
        return [r for r in self.requests if r["sql"] is not None]

    def __enter__(self) -> FakeCrate:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def fake():
    with FakeCrate() as server:
        yield server


@pytest.fixture
def conn(fake):
    connection = cratedb.connect(fake.url, timeout=5)
    yield connection
    connection.close()


def dead_url() -> str:
    """A local port with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class Silent:
    """A TCP port that accepts connections (kernel backlog) and never answers."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        return self

    def __exit__(self, *exc):
        self.sock.close()


# --- module surface ----------------------------------------------------------------------


def test_module_globals():
    assert cratedb.apilevel == "2.0"
    assert cratedb.threadsafety == 2
    assert cratedb.paramstyle == "named"
    assert isinstance(cratedb.__version__, str) and cratedb.__version__
    assert issubclass(cratedb.IntegrityError, cratedb.DatabaseError)
    assert not issubclass(cratedb.Warning, cratedb.Error)
    assert cratedb.Binary(b"x") == b"x"
    assert cratedb.Timestamp(2024, 1, 2, 3, 4, 5) == dt.datetime(2024, 1, 2, 3, 4, 5)


def test_type_objects_match_crate_type_ids():
    T = wire.DataType
    assert cratedb.STRING == T.TEXT and cratedb.STRING == T.CHARACTER
    for t in (T.SMALLINT, T.INTEGER, T.BIGINT, T.REAL, T.DOUBLE, T.NUMERIC, T.BOOLEAN):
        assert cratedb.NUMBER == t and t == cratedb.NUMBER
        assert cratedb.STRING != t
    for t in (T.TIMESTAMP_WITH_TZ, T.TIMESTAMP_WITHOUT_TZ, T.DATE, T.TIMETZ):
        assert cratedb.DATETIME == t
    assert cratedb.BINARY != T.TEXT and cratedb.ROWID != T.TEXT
    assert cratedb.STRING != (100, T.TEXT)  # arrays match no type object


# --- connect --------------------------------------------------------------------------------


def test_connect_reads_server_version(fake):
    fake.version = "5.10.3"
    with cratedb.connect(fake.url) as connection:
        assert connection.server_version == (5, 10, 3)
        assert connection.server_version_string == "5.10.3"
        assert connection.servers == [fake.url]
    first = fake.requests[0]
    assert (first["method"], first["path"]) == ("GET", "/")
    assert first["headers"]["accept"] == "application/json"
    assert "authorization" not in first["headers"]


def test_connect_sends_credentials_and_schema(fake):
    with cratedb.connect(fake.url, username="alice", password="sécret", schema="app") as c:
        c.cursor().execute("SELECT 1")
    for request in fake.requests:
        token = base64.b64encode("alice:sécret".encode()).decode()
        assert request["headers"]["authorization"] == f"Basic {token}"
        assert request["headers"]["default-schema"] == "app"


def test_credentials_and_prefix_in_url(fake):
    url = fake.url.replace("http://", "http://bob:p%40ss@") + "/crate/"
    with cratedb.connect(url) as connection:
        connection.cursor().execute("SELECT 1")
    token = base64.b64encode(b"bob:p@ss").decode()
    assert [r["path"] for r in fake.requests] == ["/crate/", "/crate/_sql?types=true"]
    assert all(r["headers"]["authorization"] == f"Basic {token}" for r in fake.requests)


def test_username_without_password_sends_empty_password(fake):
    with cratedb.connect(fake.url, username="crate"):
        pass
    assert fake.requests[0]["headers"]["authorization"] == "Basic " + base64.b64encode(
        b"crate:").decode()


def test_pep249_keyword_aliases(fake):
    host = fake.url.removeprefix("http://")
    with cratedb.connect(host=host, user="crate", database="doc") as connection:
        assert connection.server_version == (6, 4, 1)
    assert fake.requests[0]["headers"]["default-schema"] == "doc"
    with pytest.raises(cratedb.InterfaceError):
        cratedb.connect(fake.url, dsn=fake.url)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"servers": "ftp://x"},
        {"servers": []},
        {"servers": 42},
        {"timeout": 0},
        {"timeout": "soon"},
        {"pool_size": 0},
        {"password": "x"},
        {"schema": "sch\u00e9ma\u20ac"},
        {"ca_cert": "/nonexistent/ca.pem"},
        {"socket_tcp_keepidle": "x"},
        {"backoff_factor": -1},
    ],
)
def test_connect_rejects_bad_arguments(kwargs):
    with pytest.raises(cratedb.InterfaceError):
        cratedb.connect(**kwargs)


def test_connect_authentication_failure_is_operational_error():
    def answer(request):
        return 401, None, b'password authentication failed for user "bob"\n'

    with FakeCrate(answer) as server:
        with pytest.raises(cratedb.OperationalError) as info:
            cratedb.connect(server.url, username="bob", password="wrong")
    assert "authentication failed" in str(info.value)
    assert 'password authentication failed for user "bob"' in str(info.value)
    assert info.value.http_status == 401


def test_connect_to_something_that_is_not_crate():
    def answer(request):
        return 200, "text/html", b"<html>admin ui</html>"

    with FakeCrate(answer) as server:
        with pytest.raises(cratedb.OperationalError, match="like a CrateDB server"):
            cratedb.connect(server.url)


def test_connect_to_dead_port_fails_fast():
    url = dead_url()
    started = time.monotonic()
    with pytest.raises(cratedb.OperationalError) as info:
        cratedb.connect(url, timeout=2)
    assert time.monotonic() - started < 2
    assert url in str(info.value)
    assert "refused" in str(info.value).lower()
    assert "HTTPConnection" not in str(info.value)


def test_socket_options():
    options = transport_mod.socket_options(True, 120, 30, 8)
    assert (socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1) in options
    assert (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1) in options
    if hasattr(socket, "TCP_KEEPIDLE"):
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 120) in options
        assert (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 8) in options
    assert transport_mod.socket_options(False, 120, None, None) == [
        (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def test_keepalive_settings_reach_the_socket(fake):
    with cratedb.connect(fake.url, socket_tcp_keepidle=77, socket_tcp_keepintvl=9,
                         socket_tcp_keepcnt=4, pool_size=2) as connection:
        connection.cursor().execute("SELECT 1")
        pool = connection._transport._pools[connection._transport.servers[0]]
        sock = pool.pool.queue[-1].sock
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        if hasattr(socket, "TCP_KEEPIDLE"):
            assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == 77


def test_connect_to_unknown_host_is_operational_error(monkeypatch):
    def no_dns(host, *args, **kwargs):  # no lookup leaves the machine
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with pytest.raises(cratedb.OperationalError, match="no-such-host.invalid") as info:
        cratedb.connect("http://no-such-host.invalid:4200", timeout=2)
    assert "resolve" in str(info.value)


# --- execute and results -----------------------------------------------------------------


def test_execute_sends_args_and_reads_typed_rows(fake):
    T = wire.DataType
    ts = 1_700_000_000_123  # 2023-11-14T22:13:20.123Z

    def answer(request):
        if request["sql"] is not None:
            return sql_ok(
                ["i", "s", "ts", "tstz", "d", "n", "f", "arr", "b"],
                [T.INTEGER, T.TEXT, T.TIMESTAMP_WITHOUT_TZ, T.TIMESTAMP_WITH_TZ, T.DATE,
                 T.NUMERIC, T.DOUBLE, [T.ARRAY, T.TIMESTAMP_WITH_TZ], T.BOOLEAN],
                [[1, "a", ts, ts, 86_400_000, 12.5, "NaN", [ts, None], True],
                 [None, None, None, None, None, None, 1.25, None, None]],
            )

    fake.answer = answer
    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        assert cur.execute("SELECT * FROM t WHERE i = ? AND s = ?", (1, "a")) is None
        request = fake.sql_requests[-1]
        assert request["path"] == "/_sql?types=true"
        assert orjson.loads(request["body"]) == {
            "stmt": "SELECT * FROM t WHERE i = ? AND s = ?", "args": [1, "a"]}
        assert request["headers"]["content-type"] == "application/json"
        assert cur.rowcount == 2
        assert [d[0] for d in cur.description] == ["i", "s", "ts", "tstz", "d", "n", "f", "arr",
                                                   "b"]
        assert all(len(d) == 7 and d[2:] == (None,) * 5 for d in cur.description)
        codes = [d[1] for d in cur.description]
        assert codes[0] == cratedb.NUMBER and codes[1] == cratedb.STRING
        assert codes[2] == cratedb.DATETIME and codes[4] == cratedb.DATETIME
        assert codes[7] == (100, 11)
        rows = cur.fetchall()
        utc = dt.timezone.utc
        first = rows[0]
        assert isinstance(first, tuple)
        assert first[:5] == (1, "a", dt.datetime(2023, 11, 14, 22, 13, 20, 123000),
                             dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=utc),
                             dt.date(1970, 1, 2))
        assert first[5] == decimal.Decimal("12.5") and isinstance(first[5], decimal.Decimal)
        assert first[6] != first[6]  # NaN
        assert first[7] == [dt.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=utc), None]
        assert first[8] is True
        assert rows[1] == (None, None, None, None, None, None, 1.25, None, None)


def test_statement_without_result_set(fake):
    fake.answer = lambda r: sql_ok(rowcount=3) if r["sql"] is not None else None
    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        cur.execute("UPDATE t SET x = 1")
        assert cur.description is None
        assert cur.rowcount == 3
        assert cur.rownumber is None
        for fetch in (cur.fetchone, cur.fetchall, cur.fetchmany):
            with pytest.raises(cratedb.ProgrammingError):
                fetch()


def test_new_cursor_state(conn):
    cur = conn.cursor()
    assert cur.description is None and cur.rowcount == -1 and cur.arraysize == 1
    assert cur.lastrowid is None and cur.rownumber is None and cur.connection is conn
    with pytest.raises(cratedb.ProgrammingError):
        cur.fetchone()
    with pytest.raises(AttributeError):
        cur.description = ()
    with pytest.raises(AttributeError):
        cur.rowcount = 5


def _rows_answer(n):
    def answer(request):
        if request["sql"] is not None:
            return sql_ok(["id"], [wire.DataType.INTEGER], [[i] for i in range(n)])
    return answer


def test_fetchmany_arraysize_iteration_and_scroll(fake):
    fake.answer = _rows_answer(6)
    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        cur.execute("SELECT id FROM t")
        cur.arraysize = 4
        assert cur.fetchmany() == [(0,), (1,), (2,), (3,)]
        assert cur.rownumber == 4
        assert cur.fetchmany() == [(4,), (5,)]
        assert cur.fetchmany() == []
        cur.scroll(0, "absolute")
        assert cur.fetchone() == (0,)
        cur.scroll(2)
        assert cur.fetchone() == (3,)
        cur.scroll(-2)
        assert cur.rownumber == 2
        with pytest.raises(IndexError):
            cur.scroll(10)
        with pytest.raises(IndexError):
            cur.scroll(-1, "absolute")
        assert cur.rownumber == 2  # unchanged after a failed scroll
        with pytest.raises(cratedb.ProgrammingError):
            cur.scroll(0, "sideways")
        assert iter(cur) is cur
        assert list(cur) == [(2,), (3,), (4,), (5,)]
        cur.scroll(-1)
        assert cur.next() == (5,)
        with pytest.raises(StopIteration):
            cur.next()
        assert cur.fetchone() is None
        with pytest.raises(cratedb.ProgrammingError):
            cur.arraysize = 0
        with pytest.raises(cratedb.ProgrammingError):
            cur.fetchmany(-1)


def test_parameter_sequences(fake):
    class Custom:
        def __init__(self, *values):
            self._values = values

        def __getitem__(self, index):
            return self._values[index]

    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        cur.execute("SELECT ?, ?", [1, "x"])
        cur.execute("SELECT ?, $2", Custom(2, "y"))
        cur.execute("SELECT ?, ?", (i for i in (3, 4)))
        cur.execute("SELECT '?', \"?\" -- ?\n")
        cur.execute("SELECT $2, $1", ("a", "b"))
    bodies = [orjson.loads(r["body"]) for r in fake.sql_requests]
    assert [b.get("args") for b in bodies] == [[1, "x"], [2, "y"], [3, 4], None, ["a", "b"]]
    assert bodies[3]["stmt"] == "SELECT '?', \"?\" -- ?\n"


def test_named_parameters_become_dollar_placeholders(fake, conn):
    cur = conn.cursor()
    cur.execute("SELECT :a, :b, :a, ':a', x::int, \":b\" -- :c\n", {"a": 1, "b": "two", "z": 0})
    cur.execute("SELECT :a", UserDict(a=None))
    cur.execute("SELECT 1", {})
    bodies = [orjson.loads(r["body"]) for r in fake.sql_requests]
    assert bodies[0] == {"stmt": "SELECT $1, $2, $1, ':a', x::int, \":b\" -- :c\n",
                         "args": [1, "two"]}
    assert bodies[1] == {"stmt": "SELECT $1", "args": [None]}
    assert bodies[2] == {"stmt": "SELECT 1"}


def test_executemany_with_named_parameters(fake):
    def answer(request):
        if request["sql"] is not None:
            bulk = request["sql"].bulk_args
            return 200, wire.JSON_CONTENT_TYPE, wire.encode_bulk(
                [wire.bulk_item(1) for _ in bulk], 1.0)

    fake.answer = answer
    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        cur.executemany("INSERT INTO t (id, name) VALUES (:id, :name)",
                        [{"id": 1, "name": "a"}, {"name": "b", "id": 2}])
        assert cur.rowcount == 2
        with pytest.raises(cratedb.ProgrammingError):
            cur.executemany("INSERT INTO t (id) VALUES (:id)", [{"id": 1}, (2,)])
        with pytest.raises(cratedb.ProgrammingError, match="'id'"):
            cur.executemany("INSERT INTO t (id) VALUES (:id)", [{"id": 1}, {"x": 2}])
    assert len(fake.sql_requests) == 1
    assert orjson.loads(fake.sql_requests[0]["body"]) == {
        "stmt": "INSERT INTO t (id, name) VALUES ($1, $2)", "bulk_args": [[1, "a"], [2, "b"]]}


@pytest.mark.parametrize(
    "sql, params",
    [
        ("SELECT :a", {"b": 1}),
        ("SELECT :a, ?", {"a": 1}),
        ("SELECT :a, $1", {"a": 1}),
        ("SELECT ?", ()),
        ("SELECT ?", (1, 2)),
        ("SELECT 1", (1,)),
        ("SELECT $2", (1,)),
        ("SELECT ?", {"a": 1}),
        ("SELECT ?", "a"),
        ("SELECT ?", 5),
    ],
)
def test_wrong_parameters_raise_programming_error_before_sending(fake, conn, sql, params):
    with pytest.raises(cratedb.ProgrammingError):
        conn.cursor().execute(sql, params)
    assert fake.sql_requests == []


@pytest.mark.parametrize(
    "value, cls",
    [
        (b"\x00\x01", cratedb.NotSupportedError),
        (bytearray(b"x"), cratedb.NotSupportedError),
        (object(), cratedb.ProgrammingError),
        (2**70, cratedb.DataError),
        (decimal.Decimal("NaN"), cratedb.DataError),
    ],
)
def test_unsendable_values(fake, conn, value, cls):
    with pytest.raises(cls):
        conn.cursor().execute("SELECT ?", (value,))
    assert fake.sql_requests == []


def test_values_are_encoded_for_crate(fake, conn):
    cur = conn.cursor()
    cur.execute(
        "SELECT ?, ?, ?, ?, ?, ?",
        (dt.datetime(1970, 1, 1, 0, 0, 1), dt.date(1970, 1, 2), decimal.Decimal("1.10"),
         float("inf"), None, [1, 2]),
    )
    assert orjson.loads(fake.sql_requests[-1]["body"])["args"] == [
        1000, 86_400_000, "1.10", "Infinity", None, [1, 2]]


def test_operation_must_be_text(conn):
    with pytest.raises(cratedb.ProgrammingError):
        conn.cursor().execute(b"SELECT 1")


# --- executemany -----------------------------------------------------------------------------


def test_executemany_sends_one_bulk_request(fake):
    def answer(request):
        if request["sql"] is not None:
            bulk = request["sql"].bulk_args
            return 200, wire.JSON_CONTENT_TYPE, wire.encode_bulk(
                [wire.bulk_item(1) for _ in bulk], 1.0)

    fake.answer = answer
    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        cur.executemany("INSERT INTO t (id, name) VALUES (?, ?)", [(1, "a"), [2, "b"], (3, None)])
        assert cur.rowcount == 3
        assert cur.bulk_rowcounts == (1, 1, 1)
        assert cur.description is None
        with pytest.raises(cratedb.ProgrammingError):
            cur.fetchall()
    assert len(fake.sql_requests) == 1
    assert orjson.loads(fake.sql_requests[0]["body"]) == {
        "stmt": "INSERT INTO t (id, name) VALUES (?, ?)",
        "bulk_args": [[1, "a"], [2, "b"], [3, None]],
    }


def test_executemany_duplicate_key_raises_after_rowcount(fake):
    dup = (4091, "DuplicateKeyException[A document with the same primary key exists already]")

    def answer(request):
        if request["sql"] is not None and request["sql"].bulk_args is not None:
            items = [wire.bulk_item(1), wire.bulk_item(-2, dup), wire.bulk_item(1),
                     wire.bulk_item(-2, dup)]
            return 200, wire.JSON_CONTENT_TYPE, wire.encode_bulk(items, 1.0)

    fake.answer = answer
    with cratedb.connect(fake.url) as connection:
        cur = connection.cursor()
        with pytest.raises(cratedb.IntegrityError) as info:
            cur.executemany("INSERT INTO t (id) VALUES (?)", [(1,), (1,), (2,), (2,)])
        assert info.value.code == 4091
        assert "DuplicateKeyException" in str(info.value)
        assert "parameter set 1 of 4" in str(info.value)
        assert "other sets were applied" in str(info.value)
        assert cur.rowcount == 2
        assert cur.bulk_rowcounts == (1, -2, 1, -2)
        assert [cls for cls, _ in cur.messages] == [cratedb.IntegrityError] * 2
        cur.execute("SELECT 1")
        assert cur.messages == []  # cleared by execute (EXT-MSG-2)


def test_executemany_item_without_reason(fake):
    def answer(request):
        if request["sql"] is not None:
            return 200, wire.JSON_CONTENT_TYPE, wire.encode_bulk([{"rowcount": -2}], 1.0)

    fake.answer = answer
    with cratedb.connect(fake.url) as connection:
        with pytest.raises(cratedb.DatabaseError, match="no reason"):
            connection.cursor().executemany("DELETE FROM t WHERE id = ?", [(1,)])


def test_executemany_empty_sends_nothing(fake, conn):
    cur = conn.cursor()
    cur.executemany("DELETE FROM t WHERE id = ?", [])
    assert cur.rowcount == 0
    assert fake.sql_requests == []


def test_executemany_checks_every_parameter_set(fake, conn):
    with pytest.raises(cratedb.ProgrammingError, match="parameter set 1"):
        conn.cursor().executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), (2,)])
    with pytest.raises(cratedb.ProgrammingError):
        conn.cursor().executemany("INSERT INTO t VALUES (?)", 5)
    assert fake.sql_requests == []


def test_executemany_result_set_statement_is_not_supported(fake):
    def answer(request):
        if request["sql"] is not None:
            return sql_error(4004, "UnsupportedFeatureException[Bulk operations for statements "
                                   "that return result sets is not supported]")

    fake.answer = answer
    with cratedb.connect(fake.url) as connection:
        with pytest.raises(cratedb.NotSupportedError):
            connection.cursor().executemany("SELECT ?", [(1,), (2,)])


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code, message, cls",
    [
        (4000, "SQLParseException[line 1:1: mismatched input 'SELEC']", "ProgrammingError"),
        (4000, "SQLParseException[Cannot cast value `abc` to type `integer`]", "DataError"),
        (4000, "SQLParseException[/ by zero]", "DataError"),
        (4000, "SQLParseException[integer overflow]", "DataError"),
        (4000, 'SQLParseException["name" must not be null]', "IntegrityError"),
        (4003, "ColumnValidationException[Failed CONSTRAINT c]", "IntegrityError"),
        (4004, "UnsupportedFeatureException[not yet]", "NotSupportedError"),
        (4004, "UnsupportedFunctionException[Unknown function: foo(...)]", "ProgrammingError"),
        (4011, "MissingPrivilegeException[Missing 'DQL' privilege for user 'x']",
         "ProgrammingError"),
        (4031, "ReadOnlyException[node is read-only]", "OperationalError"),
        (4041, "RelationUnknown[Relation 'foo' unknown]", "ProgrammingError"),
        (4043, "ColumnUnknownException[Column y unknown]", "ProgrammingError"),
        (4045, "SchemaUnknownException[Schema 'foo' unknown]", "ProgrammingError"),
        (40410, "UserUnknownException[User 'x' unknown]", "ProgrammingError"),
        (4091, "DuplicateKeyException[A document with the same primary key exists already]",
         "IntegrityError"),
        (4092, "VersionConflictEngineException[version conflict]", "IntegrityError"),
        (4093, "RelationAlreadyExists[Relation 'doc.t' already exists.]", "ProgrammingError"),
        (4290, "EsRejectedExecutionException[rejected]", "OperationalError"),
        (5000, "ArithmeticException[/ by zero]", "DataError"),
        (5000, "RuntimeException[boom]", "InternalError"),
        (5002, "UnavailableShardsException[no shards]", "OperationalError"),
        (5005, "JobKilledException[Job killed]", "OperationalError"),
    ],
)
def test_server_errors_map_to_pep249_classes(fake, code, message, cls):
    fake.answer = lambda r: sql_error(code, message, "trace") if r["sql"] is not None else None
    with cratedb.connect(fake.url, error_trace=True) as connection:
        with pytest.raises(getattr(cratedb, cls)) as info:
            connection.cursor().execute("SELECT 1")
    err = info.value
    assert type(err) is getattr(cratedb, cls)
    assert (err.code, err.message, err.error_trace) == (code, message, "trace")
    assert err.http_status == wire.http_status(code)
    assert str(err) == f"{message}\ntrace"
    assert fake.sql_requests[-1]["path"] == "/_sql?types=true&error_trace=true"


@pytest.mark.parametrize(
    "status, body, cls",
    [
        (500, b"java.lang.NullPointerException", "InternalError"),
        (413, b"request too large", "DataError"),
        (404, b"Requested file [/x/_sql] was not found", "OperationalError"),
        (400, b"garbage", "ProgrammingError"),
    ],
)
def test_plain_text_errors(fake, status, body, cls):
    fake.answer = lambda r: (status, "text/plain", body) if r["sql"] is not None else None
    with cratedb.connect(fake.url) as connection:
        with pytest.raises(getattr(cratedb, cls)) as info:
            connection.cursor().execute("SELECT 1")
    assert body.decode() in str(info.value)
    assert info.value.code is None and info.value.http_status == status


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"cols": ["a"]}', b'{"cols":["a"],"rows":[[1,2]],'
             b'"col_types":[15]}', b'{"cols":["a"],"rows":[["x"]],"col_types":[15]}'])
def test_malformed_answers_are_interface_errors(fake, body):
    fake.answer = lambda r: (200, "application/json", body) if r["sql"] is not None else None
    with cratedb.connect(fake.url) as connection:
        with pytest.raises(cratedb.InterfaceError):
            connection.cursor().execute("SELECT 1")


# --- closing ---------------------------------------------------------------------------------


def test_closed_connection_and_cursors(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    other = conn.cursor()
    other.close()
    assert conn.Error is cratedb.Error and conn.IntegrityError is cratedb.IntegrityError
    conn.commit()
    conn.close()
    assert conn.closed
    conn.close()  # a second close does nothing
    for action in (conn.cursor, conn.commit, lambda: cur.execute("SELECT 1"), cur.fetchone,
                   lambda: cur.executemany("SELECT ?", [(1,)]), cur.close):
        with pytest.raises(cratedb.ProgrammingError):
            action()
    other.close()  # already closed before the connection: nothing to do
    assert not hasattr(conn, "rollback")
    assert not hasattr(cur, "callproc") and not hasattr(cur, "nextset")


def test_closed_cursor(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.close()
    cur.close()
    assert cur.closed
    for action in (lambda: cur.execute("SELECT 1"), cur.fetchone, cur.fetchall,
                   lambda: cur.setinputsizes([None]), lambda: cur.setoutputsize(10),
                   lambda: cur.scroll(0), cur.next):
        with pytest.raises(cratedb.ProgrammingError):
            action()


def test_context_managers(fake):
    with cratedb.connect(fake.url) as connection:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchall() == [(1,)]
        assert cur.closed
    assert connection.closed


def test_setinputsizes_and_setoutputsize_are_accepted(conn):
    cur = conn.cursor()
    cur.setinputsizes([cratedb.STRING, 10, None])
    cur.setoutputsize(100)
    cur.setoutputsize(100, 0)
    cur.execute("SELECT 1")
    assert cur.fetchone() == (1,)


# --- several servers -------------------------------------------------------------------------


def test_round_robin_across_servers():
    with FakeCrate() as a, FakeCrate() as b:
        with cratedb.connect([a.url, b.url]) as connection:
            cur = connection.cursor()
            for _ in range(4):
                cur.execute("SELECT 1")
        assert len(a.requests) == 3 and len(b.requests) == 2  # GET / went to a
        assert len(a.sql_requests) == 2 and len(b.sql_requests) == 2


def test_failover_from_dead_server():
    dead = dead_url()
    with FakeCrate() as live:
        with cratedb.connect(f"{dead} {live.url}", timeout=2) as connection:
            cur = connection.cursor()
            for _ in range(3):
                cur.execute("SELECT 1")
                assert cur.fetchall() == [(1,)]
            assert [s.url for s in connection._transport.inactive_servers()] == [dead]
        assert len(live.sql_requests) == 3


def test_server_comes_back_after_retry_interval(monkeypatch):
    monkeypatch.setattr(transport_mod.Transport, "retry_interval", 0.0)
    state = {"down": True}

    def answer(request):
        if state["down"]:
            return 503, wire.JSON_CONTENT_TYPE, wire.encode_error(5030, "ClusterBlock[no master]")

    with FakeCrate(answer) as flaky, FakeCrate() as steady:
        with cratedb.connect([flaky.url, steady.url]) as connection:
            cur = connection.cursor()
            cur.execute("SELECT 1")
            state["down"] = False
            for _ in range(4):
                cur.execute("SELECT 1")
        assert len(flaky.sql_requests) >= 2  # tried again once its interval had passed


def test_all_servers_failing_names_each():
    dead = dead_url()

    def unavailable(request):
        return 503, wire.JSON_CONTENT_TYPE, wire.encode_error(5030, "ClusterBlockException[x]")

    with FakeCrate(unavailable) as busy:
        with pytest.raises(cratedb.OperationalError) as info:
            cratedb.connect([dead, busy.url], timeout=2)
    text = str(info.value)
    assert dead in text and busy.url in text and "ClusterBlockException[x]" in text
    assert info.value.code == 5030 and info.value.http_status == 503


def test_503_on_statement_fails_over_and_then_reports():
    def unavailable(request):
        if request["sql"] is not None:
            return 503, wire.JSON_CONTENT_TYPE, wire.encode_error(5030, "ClusterBlock[down]")

    with FakeCrate(unavailable) as a, FakeCrate(unavailable) as b:
        with cratedb.connect([a.url, b.url]) as connection:
            with pytest.raises(cratedb.OperationalError) as info:
                connection.cursor().execute("SELECT 1")
    assert a.url in str(info.value) and b.url in str(info.value)
    assert len(a.sql_requests) == 1 and len(b.sql_requests) == 1


# --- timeouts --------------------------------------------------------------------------------


def test_connect_to_silent_server_times_out():
    with Silent() as silent:
        started = time.monotonic()
        with pytest.raises(cratedb.OperationalError) as info:
            cratedb.connect(silent.url, timeout=0.5)
        elapsed = time.monotonic() - started
    assert elapsed < 3
    assert silent.url in str(info.value)


def test_statement_timeout_is_not_resent():
    release = threading.Event()

    def slow(request):
        if request["sql"] is not None:
            release.wait(10)
            return sql_ok(rowcount=1)

    try:
        with FakeCrate(slow) as a, FakeCrate(slow) as b:
            with cratedb.connect([a.url, b.url], timeout=0.5) as connection:
                started = time.monotonic()
                with pytest.raises(cratedb.OperationalError, match="timeout") as info:
                    connection.cursor().execute("INSERT INTO t VALUES (1)")
                assert time.monotonic() - started < 3
                assert "may have been executed" in str(info.value)
                release.set()
            assert len(a.sql_requests) + len(b.sql_requests) == 1
    finally:
        release.set()


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls():
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return ca, context


def test_https_with_ca_cert(tls, tmp_path):
    ca, context = tls
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with FakeCrate(ssl_context=context) as server:
        with cratedb.connect(server.url, ca_cert=str(ca_file)) as connection:
            cur = connection.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchall() == [(1,)]


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_https_without_verification(tls):
    _, context = tls
    with FakeCrate(ssl_context=context) as server:
        with cratedb.connect(server.url, verify_ssl_cert=False) as connection:
            cur = connection.cursor()
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)


def test_https_with_unknown_ca_is_operational_error(tls):
    _, context = tls
    with FakeCrate(ssl_context=context) as server:
        with pytest.raises(cratedb.OperationalError, match="TLS") as info:
            cratedb.connect(server.url, timeout=2)
    assert server.url in str(info.value)


# --- threads ---------------------------------------------------------------------------------


def test_threads_share_one_connection(fake):
    fake.answer = lambda r: (sql_ok(["v"], [wire.DataType.INTEGER], [[r["sql"].args[0]]])
                             if r["sql"] is not None else None)
    errors: list[BaseException] = []
    with cratedb.connect(fake.url) as connection:

        def work(n):
            try:
                cur = connection.cursor()
                for i in range(20):
                    cur.execute("SELECT ?", (n * 100 + i,))
                    assert cur.fetchall() == [(n * 100 + i,)]
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert errors == []
    assert len(fake.sql_requests) == 120
