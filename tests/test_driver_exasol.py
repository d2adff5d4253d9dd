"""The Exasol reference driver without the mock: units, and small scripted WebSocket servers.

These tests pin the driver's side of the protocol exactly: the messages it sends (login,
prepared statements, column-major parameters, fetch positions, frame kinds), how it reads
replies, its error classes, TLS checks and timeouts. The driver against the mock server
(SQL semantics) is in test_driver_exasol_mock.py.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import importlib
import importlib.util
import socket
import ssl
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

import pytest
import trustme
from websockets.sync.server import serve

from dbapi_conformance.drivers import _dbapi, exasol
from dbapi_conformance.drivers.exasol import errors, transport
from dbapi_conformance.drivers.exasol.types import describe
from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.drivers.wire.base import Side

WAIT = 30.0  # seconds: the longest any scripted exchange may take (TLS handshakes on a
# machine loaded by two test workers have taken over 10 s)

INT = wire.decimal_type(18, 0)
MONEY = wire.decimal_type(18, 2)
TEXT = wire.varchar_type(100)


def column(name: str, data_type: dict) -> dict:
    return {"name": name, "dataType": data_type}


def results(*items: dict) -> dict:
    return wire.ok_reply({"numResults": len(items), "results": list(items)})


class FakeExasol:
    """A scripted Exasol WebSocket endpoint on a background thread.

    Logs clients in with the codec's server side (a fresh RSA key, password ``exasol``),
    answers ``getAttributes``/``setAttributes``/``disconnect`` itself and hands every other
    request to ``answer(request, ws)``, which returns the reply (a dict) or None for none.
    Every decoded request is recorded in ``requests``, and the kind of each frame
    (``str`` or ``bytes``) in ``frames``.
    """

    def __init__(self, answer: Callable[[dict, Any], dict | None] | None = None, *,
                 ssl_context: ssl.SSLContext | None = None, password: str = "exasol",
                 login_attributes: bool = True):
        self.login_attributes = login_attributes
        self.answer = answer or (lambda request, ws: results(wire.row_count_result(0)))
        self.password = password
        self.requests: list[dict] = []
        self.frames: list[type] = []
        self.attributes = dict(wire.DEFAULT_ATTRIBUTES)
        self._server = serve(self._handle, "127.0.0.1", 0, ssl=ssl_context, compression=None,
                             ping_interval=None, max_size=None)
        self.port = self._server.socket.getsockname()[1]
        self.url = f"{'wss' if ssl_context else 'ws'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _handle(self, ws: Any) -> None:
        codec = wire.Connection(Side.SERVER)
        key = wire.generate_key()
        for message in ws:
            self.frames.append(type(message))
            request = codec.receive(message)
            self.requests.append(request)
            if request.get("command") == "login":
                codec.login_accepted(request["protocolVersion"])
                ws.send(codec.send(wire.public_key_reply(key)))
                continue
            if "username" in request:
                if wire.decrypt_password(key, request["password"]) != self.password:
                    ws.send(codec.send(wire.error_reply("08004", wire.AUTH_FAILED)))
                    continue
                if self.login_attributes:
                    self.attributes.update(request.get("attributes", {}))
                ws.send(codec.send(wire.login_info(1750902846820319232, 3)))
                codec.credentials_accepted(request.get("useCompression", False), 3)
                continue
            name = request.get("command")
            if name == "getAttributes":
                reply = wire.ok_reply(None, attributes=self.attributes)
            elif name == "setAttributes":
                self.attributes.update(request["attributes"])
                reply = wire.ok_reply(None, attributes=request["attributes"])
            elif name == "disconnect":
                ws.send(codec.send(wire.ok_reply()))
                return
            else:
                reply = self.answer(request, ws)
            if reply is not None:
                ws.send(codec.send(reply))

    def commands(self) -> list[str]:
        return [r.get("command", "<credentials>") for r in self.requests]

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(WAIT)


@pytest.fixture
def fake_server():
    made: list[FakeExasol] = []

    def make(answer=None, **kwargs) -> FakeExasol:
        server = FakeExasol(answer, **kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def connect(server: FakeExasol, **kwargs) -> exasol.Connection:
    kwargs.setdefault("timeout", WAIT)
    return exasol.connect(server.url, "sys", "exasol", **kwargs)


# --- module surface and units ----------------------------------------------------------------


def test_module_globals_and_exceptions_are_the_shared_ones():
    assert (exasol.apilevel, exasol.threadsafety, exasol.paramstyle) == ("2.0", 2, "named")
    for name, cls in _dbapi.EXCEPTIONS.items():
        assert getattr(exasol, name) is cls


@pytest.mark.parametrize("type_name, type_object", [
    ("DECIMAL", "NUMBER"), ("DOUBLE", "NUMBER"), ("BOOLEAN", "NUMBER"),
    ("VARCHAR", "STRING"), ("CHAR", "STRING"), ("HASHTYPE", "STRING"),
    ("INTERVAL DAY TO SECOND", "STRING"), ("GEOMETRY", "STRING"),
    ("DATE", "DATETIME"), ("TIMESTAMP", "DATETIME"),
    ("TIMESTAMP WITH LOCAL TIME ZONE", "DATETIME"),
])
def test_type_names_compare_equal_to_one_type_object(type_name, type_object):
    matching = [name for name in ("STRING", "BINARY", "NUMBER", "DATETIME", "ROWID")
                if getattr(exasol, name) == type_name]
    assert matching == [type_object]


def test_description_items_come_from_the_data_types():
    columns = [column("N", MONEY), column("S", TEXT), column("D", wire.double_type())]
    assert describe(columns) == (
        ("N", "DECIMAL", None, None, 18, 2, None),
        ("S", "VARCHAR", None, 100, None, None, None),
        ("D", "DOUBLE", None, None, None, None, None),
    )
    with pytest.raises(exasol.InterfaceError):
        describe([{"name": "X"}])


@pytest.mark.parametrize("code, text, expected", [
    ("42000", "object T not found [line 1, column 15]", exasol.ProgrammingError),
    ("42000", "syntax error, unexpected IDENTIFIER_", exasol.ProgrammingError),
    ("42500", "insufficient privileges", exasol.ProgrammingError),
    ("27001", "constraint violation - not null (column ID)", exasol.IntegrityError),
    ("42X91", "constraint violation - primary key (SYS_12)", exasol.IntegrityError),
    ("42000", "constraint violation - primary key (SYS_12)", exasol.IntegrityError),
    ("22012", "data exception - division by zero", exasol.DataError),
    ("22003", "data exception - numeric value out of range", exasol.DataError),
    ("00000", "data exception - invalid character value for cast; Value: 'x'",
     exasol.DataError),
    ("00000", "getDouble: JSON value is not a double", exasol.ProgrammingError),
    ("00000", "JSON value '/command' is required, but was not provided.",
     exasol.InterfaceError),
    ("08004", "Connection exception - authentication failed.", exasol.OperationalError),
    ("R0001", "Query terminated because timeout has been reached.", exasol.OperationalError),
    ("R0003", "Client requested execution abort.", exasol.OperationalError),
    ("40001", "GlobalTransactionRollback: transaction collision", exasol.OperationalError),
    ("0A000", "Feature not supported: ...", exasol.NotSupportedError),
    ("XX000", "internal error", exasol.InternalError),
    ("99999", "something else", exasol.DatabaseError),
])
def test_error_classes_by_sql_code_and_text(code, text, expected):
    assert errors.error_class(code, text) is expected
    err = errors.from_server_error(wire.ServerError(code, text))
    assert type(err) is expected
    assert (err.code, err.sqlstate) == (code, code)
    assert text in str(err) and code in str(err)


@pytest.mark.parametrize("dsn, url", [
    ("ws://db.example:8563", "ws://db.example:8563"),
    ("wss://db.example", "wss://db.example:8563"),
    ("db.example:9000", "ws://db.example:9000"),
    ("ws://[::1]:1234/v1/x/", "ws://[::1]:1234/v1/x"),
])
def test_addresses(dsn, url):
    assert transport.parse_address(dsn).url == url


@pytest.mark.parametrize("dsn", ["http://h:8563", "ws://:8563", "ws://h:99999", "", None])
def test_bad_addresses(dsn):
    with pytest.raises(exasol.InterfaceError):
        transport.parse_address(dsn)


def test_fingerprints_are_normalised():
    digest = hashlib.sha256(b"x").hexdigest()
    assert transport.normalize_fingerprint(digest) == digest.upper()
    colons = ":".join(digest[i:i + 2] for i in range(0, 64, 2))
    assert transport.normalize_fingerprint(colons) == digest.upper()
    with pytest.raises(exasol.InterfaceError):
        transport.normalize_fingerprint("abc")


@pytest.mark.parametrize("kwargs", [
    {"timeout": 0}, {"timeout": "5"}, {"query_timeout": -1}, {"fetch_bytes": 0},
    {"protocol_version": 9}, {"autocommit": 1}, {"fingerprint": "00" * 32},
    {"verify": False}, {"ca_file": "/nonexistent"}, {"user": 5},
])
def test_bad_connect_arguments_raise_interface_error(kwargs):
    with pytest.raises(exasol.InterfaceError):
        exasol.connect("ws://127.0.0.1:1", **kwargs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_is_an_operational_error():
    start = time.monotonic()
    with pytest.raises(exasol.OperationalError, match="cannot connect"):
        exasol.connect(f"ws://127.0.0.1:{_free_port()}", timeout=5)
    assert time.monotonic() - start < 5


# --- login, attributes, transactions ----------------------------------------------------


def test_login_sends_encrypted_credentials_with_autocommit_off(fake_server):
    server = fake_server()
    conn = connect(server, schema="S1", query_timeout=7)
    assert server.commands() == ["login", "<credentials>", "getAttributes"]
    login, credentials = server.requests[:2]
    assert login == {"command": "login", "protocolVersion": 3}
    assert credentials["username"] == "sys" and credentials["password"] != "exasol"
    assert credentials["useCompression"] is False
    assert credentials["attributes"] == {"autocommit": False, "queryTimeout": 7,
                                         "currentSchema": "S1"}
    assert conn.autocommit is False and conn.current_schema == "S1"
    assert conn.session_id == 1750902846820319232
    assert (conn.protocol_version, conn.server_version) == (3, (8, 34, 0))
    conn.close()
    assert server.commands()[-1] == "disconnect" and conn.closed


def test_autocommit_is_switched_off_when_the_login_attributes_were_ignored(fake_server):
    server = fake_server(login_attributes=False)
    conn = connect(server)
    assert server.commands()[-3:] == ["getAttributes", "setAttributes", "getAttributes"]
    assert server.requests[-2]["attributes"] == {"autocommit": False}
    assert conn.autocommit is False
    conn.close()


def test_wrong_password_is_an_operational_error_with_the_sql_code(fake_server):
    server = fake_server()
    with pytest.raises(exasol.OperationalError, match="authentication failed") as info:
        exasol.connect(server.url, "sys", "wrong", timeout=WAIT)
    assert info.value.code == "08004"
    assert server.commands()[-1] == "disconnect"


def test_autocommit_commit_and_rollback(fake_server):
    server = fake_server()
    conn = connect(server)
    conn.autocommit = True
    assert server.requests[-2] == {"command": "setAttributes", "attributes": {"autocommit": True}}
    assert conn.autocommit is True
    conn.commit()
    conn.rollback()
    assert [r.get("sqlText") for r in server.requests[-2:]] == ["COMMIT", "ROLLBACK"]
    with pytest.raises(exasol.InterfaceError):
        conn.autocommit = "yes"
    conn.close()
    with pytest.raises(exasol.ProgrammingError):
        conn.commit()


# --- statements and parameters -----------------------------------------------------------


def prepared_answer(param_types: list[dict], result: dict | None = None):
    """Answers createPreparedStatement with ``param_types`` and executePreparedStatement
    with ``result`` (default: rowCount = numRows)."""

    def answer(request, ws):
        name = request["command"]
        if name == "createPreparedStatement":
            return wire.ok_reply({
                "statementHandle": 5,
                "parameterData": {"numColumns": len(param_types),
                                  "columns": [column("", t) for t in param_types]},
                "numResults": 1, "results": [wire.row_count_result(0)]})
        if name == "executePreparedStatement":
            return results(result or wire.row_count_result(request["numRows"]))
        return results(wire.row_count_result(0))

    return answer


def test_parameters_are_bound_by_a_prepared_statement_never_in_the_sql(fake_server):
    server = fake_server(prepared_answer([INT, TEXT, MONEY, wire.double_type(),
                                          wire.date_type()]))
    conn = connect(server)
    cur = conn.cursor()
    sql = "INSERT INTO t VALUES (?, ?, ?, ?, ?)"
    params = (7, "it's", decimal.Decimal("1.50"), 2, dt.date(2024, 2, 29))
    cur.execute(sql, params)
    assert cur.rowcount == 1 and cur.description is None
    cur.execute(sql, (8, None, None, None, None))
    created = [r for r in server.requests if r.get("command") == "createPreparedStatement"]
    assert created == [{"command": "createPreparedStatement", "sqlText": sql}]  # reused
    first, second = [r for r in server.requests
                     if r.get("command") == "executePreparedStatement"]
    assert first["statementHandle"] == 5 and first["numRows"] == 1
    assert first["numColumns"] == 5 and len(first["columns"]) == 5
    assert first["data"] == [[7], ["it's"], ["1.5"], [2.0], ["2024-02-29"]]
    assert isinstance(first["data"][3][0], float)  # DOUBLE parameters are JSON floats (5.6)
    assert second["data"] == [[8], [None], [None], [None], [None]]
    cur.close()
    assert server.requests[-1] == {"command": "closePreparedStatement", "statementHandle": 5}
    conn.close()


def test_named_parameters_are_rewritten_to_question_marks(fake_server):
    server = fake_server(prepared_answer([INT, TEXT]))
    conn = connect(server)
    cur = conn.cursor()
    cur.execute("UPDATE t SET id = :id WHERE name = :name AND note <> ':id'",
                {"id": 7, "name": "x", "unused": 0})
    cur.executemany("INSERT INTO t VALUES (:id, :name)", [{"id": 1, "name": "a"},
                                                          {"name": "b", "id": 2}])
    created = [r["sqlText"] for r in server.requests
               if r.get("command") == "createPreparedStatement"]
    assert created == ["UPDATE t SET id = ? WHERE name = ? AND note <> ':id'",
                       "INSERT INTO t VALUES (?, ?)"]
    sent = [r["data"] for r in server.requests if r.get("command") == "executePreparedStatement"]
    assert sent == [[[7], ["x"]], [[1, 2], ["a", "b"]]]
    conn.close()


def test_executemany_is_one_request_with_column_major_data(fake_server):
    server = fake_server(prepared_answer([INT, TEXT]))
    conn = connect(server)
    cur = conn.cursor()
    cur.executemany("INSERT INTO t VALUES (?, ?)", [(1, "a"), [2, "b"], (3, None)])
    assert cur.rowcount == 3
    sent = [r for r in server.requests if r.get("command") == "executePreparedStatement"]
    assert len(sent) == 1
    assert sent[0]["numRows"] == 3 and sent[0]["data"] == [[1, 2, 3], ["a", "b", None]]
    before = len(server.requests)
    cur.executemany("INSERT INTO t VALUES (?, ?)", [])
    assert cur.rowcount == 0 and len(server.requests) == before
    conn.close()


@pytest.mark.parametrize("call", [
    lambda cur: cur.execute("SELECT ? FROM dual", ()),
    lambda cur: cur.execute("SELECT 1 FROM dual WHERE 'a?' = ?", (1, 2)),
    lambda cur: cur.executemany("INSERT INTO t VALUES (?, ?)", [(1, 2), (3,)]),
    lambda cur: cur.execute("SELECT ? FROM dual", "ab"),
    lambda cur: cur.execute("SELECT ? FROM dual", {"a": 1}),
    lambda cur: cur.execute(b"SELECT 1"),
    lambda cur: cur.execute("SELECT :a, :b FROM dual", {"a": 1}),
    lambda cur: cur.execute("SELECT :a FROM dual", (1,)),
    lambda cur: cur.executemany("SELECT :a FROM dual", [{"a": 1}, {"b": 2}]),
])
def test_parameter_mistakes_raise_programming_error_before_sending(fake_server, call):
    server = fake_server()
    conn = connect(server)
    before = len(server.requests)
    with pytest.raises(exasol.ProgrammingError):
        call(conn.cursor())
    assert len(server.requests) == before
    conn.close()


def test_a_value_with_no_exasol_form_is_a_programming_error(fake_server):
    server = fake_server(prepared_answer([INT]))
    conn = connect(server)
    with pytest.raises(exasol.ProgrammingError, match="parameter 1"):
        conn.cursor().execute("SELECT * FROM t WHERE id = ?", (object(),))
    assert "executePreparedStatement" not in server.commands()
    conn.close()


def test_server_errors_carry_their_class_and_code(fake_server):
    server = fake_server(lambda request, ws: wire.error_reply(
        "42000", "object MISSING not found [line 1, column 15]"))
    conn = connect(server)
    cur = conn.cursor()
    with pytest.raises(exasol.ProgrammingError, match="MISSING not found") as info:
        cur.execute("SELECT * FROM missing")
    assert info.value.code == "42000"
    assert cur.messages == [(exasol.ProgrammingError, info.value)]
    conn.close()


# --- results -----------------------------------------------------------------------------


def test_inline_result_values_are_decoded(fake_server):
    cols = [column("I", INT), column("M", MONEY), column("S", TEXT),
            column("B", wire.boolean_type()), column("D", wire.date_type()),
            column("T", wire.timestamp_type()), column("F", wire.double_type()),
            column("G", wire.decimal_type(36, 0))]
    data = [[1, None], ["12.50", "-0.05"], ["a", None], [True, False],
            ["2024-02-29", None], ["2024-02-29 13:45:30.123456", None], [0.5, 2],
            ["123456789012345678901234567890", None]]
    server = fake_server(lambda request, ws: results(wire.result_set(cols, 2, data)))
    conn = connect(server)
    cur = conn.cursor()
    cur.execute("SELECT * FROM t")
    assert cur.rowcount == 2 and [d[0] for d in cur.description] == list("IMSBDTFG")
    assert cur.fetchall() == [
        (1, decimal.Decimal("12.50"), "a", True, dt.date(2024, 2, 29),
         dt.datetime(2024, 2, 29, 13, 45, 30, 123456), 0.5, 123456789012345678901234567890),
        (None, decimal.Decimal("-0.05"), None, False, None, None, 2.0, None),
    ]
    assert isinstance(cur.description[0][1], str)
    conn.close()


def large_result_answer(total: int, chunk: int, fetches: list[dict]):
    """A one-column DECIMAL result of ``total`` rows behind handle 9, ``chunk`` rows per
    fetch; fetch requests are recorded in ``fetches``."""

    def answer(request, ws):
        name = request["command"]
        if name == "execute":
            return results(wire.result_set([column("N", INT)], total, handle=9))
        if name == "fetch":
            fetches.append(request)
            start = request["startPosition"]
            rows = list(range(start, min(start + chunk, total)))
            return wire.fetch_reply([rows], len(rows))
        return wire.ok_reply()

    return answer


def test_large_results_stream_by_fetch_positions(fake_server):
    fetches: list[dict] = []
    server = fake_server(large_result_answer(3000, 700, fetches))
    conn = connect(server, fetch_bytes=1000)
    cur = conn.cursor()
    cur.execute("SELECT n FROM big")
    assert cur.rowcount == 3000 and not fetches  # nothing fetched before it is asked for
    assert cur.fetchone() == (0,)
    assert cur.fetchmany(5) == [(1,), (2,), (3,), (4,), (5,)]
    rest = [row[0] for row in cur]
    assert rest == list(range(6, 3000)) and cur.rownumber == 3000
    assert [f["startPosition"] for f in fetches] == [0, 700, 1400, 2100, 2800]
    assert {f["resultSetHandle"] for f in fetches} == {9}
    assert {f["numBytes"] for f in fetches} == {1000}
    assert len(cur._result.chunk) <= 700  # only one chunk held
    cur.scroll(10, "absolute")  # back to a row of an earlier chunk: fetched again
    assert cur.fetchone() == (10,) and fetches[-1]["startPosition"] == 10
    assert cur.fetchone() is None or cur.rownumber == 12
    cur.execute("SELECT n FROM big")
    assert {"command": "closeResultSet", "resultSetHandles": [9]} in server.requests
    cur.close()
    assert server.requests[-1] == {"command": "closeResultSet", "resultSetHandles": [9]}
    conn.close()


def test_fetchall_of_a_large_result_and_an_empty_fetch(fake_server):
    fetches: list[dict] = []
    server = fake_server(large_result_answer(2500, 1000, fetches))
    conn = connect(server)
    cur = conn.cursor()
    cur.execute("SELECT n FROM big")
    assert cur.fetchall() == [(n,) for n in range(2500)]
    assert cur.fetchall() == [] and len(fetches) == 3

    def empty_fetch(request, ws):
        if request["command"] == "fetch":
            return wire.fetch_reply([[]], 0)
        return large_result_answer(2500, 1000, [])(request, ws)

    server.answer = empty_fetch
    cur.execute("SELECT n FROM big")
    with pytest.raises(exasol.InterfaceError, match="returned no rows"):
        cur.fetchall()  # never an endless loop, never a silently short result
    conn.close()


def test_closed_cursor_and_connection_raise_programming_error(fake_server):
    server = fake_server()
    conn = connect(server)
    cur = conn.cursor()
    with pytest.raises(exasol.ProgrammingError):
        cur.fetchone()  # no result set yet
    cur.close()
    cur.close()
    for call in (lambda: cur.execute("SELECT 1"), cur.fetchone, cur.fetchall,
                 lambda: cur.executemany("SELECT 1", [()])):
        with pytest.raises(exasol.ProgrammingError, match="cursor is closed"):
            call()
    other = conn.cursor()
    conn.close()
    conn.close()
    for call in (conn.cursor, conn.commit, conn.rollback, lambda: other.execute("SELECT 1")):
        with pytest.raises(exasol.ProgrammingError, match="connection is closed"):
            call()


# --- framing, TLS, timeouts --------------------------------------------------------------


def test_compression_sends_zlib_binary_frames_after_the_login(fake_server):
    server = fake_server(lambda request, ws: results(
        wire.result_set([column("S", TEXT)], 1, [["x" * 5000]])))
    conn = connect(server, compression=True)
    cur = conn.cursor()
    cur.execute("SELECT s FROM t")
    assert cur.fetchall() == [("x" * 5000,)]
    assert server.requests[1]["useCompression"] is True
    assert server.frames[:2] == [str, str]  # both login messages are text
    assert set(server.frames[2:]) == {bytes}  # getAttributes onwards: zlib in binary frames
    conn.close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    folder = tmp_path_factory.mktemp("tls")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(ca_file)
    der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    return server_context, str(ca_file), hashlib.sha256(der).hexdigest()


def test_wss_by_ca_file_no_verification_and_fingerprint(fake_server, tls_files):
    server_context, ca_file, fingerprint = tls_files
    server = fake_server(ssl_context=server_context)
    for kwargs in ({"ca_file": ca_file}, {"verify": False},
                   {"fingerprint": fingerprint.lower()}):
        conn = connect(server, **kwargs)
        conn.cursor().execute("SELECT 1")
        conn.close()
    with pytest.raises(exasol.OperationalError, match="fingerprint"):
        connect(server, fingerprint="AB" * 32)
    with pytest.raises(exasol.OperationalError, match="TLS|certificate"):
        connect(server)  # the trustme CA is not among the system's


def test_heartbeats_keep_a_long_statement_alive_and_silence_times_out(fake_server):
    def slow(request, ws, heartbeat=True):
        if request["command"] == "execute":
            for _ in range(8):
                time.sleep(0.2)
                if heartbeat:
                    ws.pong(b"")
        return results(wire.row_count_result(1))

    server = fake_server(slow)
    conn = connect(server, timeout=0.6)
    cur = conn.cursor()
    cur.execute("DELETE FROM t")  # 1.6 s with a Pong every 0.2 s
    assert cur.rowcount == 1
    conn.close()
    server.answer = lambda request, ws: slow(request, ws, heartbeat=False)
    conn = connect(server, timeout=0.6)
    start = time.monotonic()
    with pytest.raises(exasol.OperationalError, match="no answer"):
        conn.cursor().execute("DELETE FROM t")
    assert time.monotonic() - start < 1.5
    with pytest.raises(exasol.OperationalError, match="connection is closed"):
        conn.cursor().execute("SELECT 1")  # never the late reply of the statement before
    conn.close()


# --- the registry entry's container recipe and TLS pinning ---------------------------------


def test_container_recipe_is_unavailable_without_testcontainers_or_docker(monkeypatch):
    from dbapi_conformance.harness.databases import exasol as entry
    from dbapi_conformance.harness.endpoint import ServerUnavailable

    monkeypatch.setitem(sys.modules, "testcontainers.core.container", None)
    with pytest.raises(ServerUnavailable, match=r"testcontainers cannot be imported.*\[live\]"):
        entry.container()
    monkeypatch.undo()

    def unreachable(timeout):
        raise ConnectionError("Error while fetching server API version")

    if importlib.util.find_spec("testcontainers") is None:  # the live extra is not installed
        for name in ("testcontainers", "testcontainers.core"):
            monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
        monkeypatch.setitem(sys.modules, "testcontainers.core.container",
                            types.SimpleNamespace(DockerContainer=None))
    else:
        importlib.import_module("testcontainers.core.container")  # before docker is replaced
    monkeypatch.setitem(sys.modules, "docker", types.SimpleNamespace(from_env=unreachable))
    with pytest.raises(ServerUnavailable, match="no Docker engine reachable"):
        entry.container()


def test_container_certificate_is_pinned_by_its_fingerprint(fake_server, tls_files,
                                                             monkeypatch):
    from dbapi_conformance.harness.databases import exasol as entry
    from dbapi_conformance.harness.endpoint import Endpoint

    server_context, ca_file, fingerprint = tls_files
    with open(ca_file, encoding="ascii") as file:
        pem = file.read()  # any certificate: the fingerprint is of what the file holds
    result = types.SimpleNamespace(exit_code=0, output=pem.encode("ascii"))
    docker_container = types.SimpleNamespace(exec_run=lambda argv: result)
    container = types.SimpleNamespace(get_wrapped_container=lambda: docker_container)
    der = ssl.PEM_cert_to_DER_cert(pem)
    assert entry._certificate_fingerprint(container) == hashlib.sha256(der).hexdigest().upper()

    server = fake_server(ssl_context=server_context)
    endpoint = Endpoint(kind="container", url=server.url, host="127.0.0.1", port=server.port,
                        user="sys", password="exasol", timeout=WAIT)
    monkeypatch.setitem(entry._FINGERPRINTS, ("127.0.0.1", server.port), fingerprint.upper())
    conn = entry.connect_reference(exasol, endpoint)  # pinned: no CA needed
    assert [r["sqlText"] for r in server.requests if r.get("command") == "execute"] == [
        f"CREATE SCHEMA IF NOT EXISTS {entry.SCHEMA}", f"OPEN SCHEMA {entry.SCHEMA}", "COMMIT"]
    conn.close()
    monkeypatch.setitem(entry._FINGERPRINTS, ("127.0.0.1", server.port), "AB" * 32)
    with pytest.raises(exasol.OperationalError, match="fingerprint"):
        entry.connect_reference(exasol, endpoint)
