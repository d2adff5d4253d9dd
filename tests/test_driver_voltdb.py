"""The VoltDB reference driver without a VoltDB: parameter typing, the error table,
statement splitting, and the transport against scripted peers built on the codec's server
side (handle matching with late answers and server pushes, timeouts on silent sockets,
failover order, pipelined executemany, broken frames)."""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import socket
import threading
import time

import pytest

from dbapi_conformance.drivers import voltdb
from dbapi_conformance.drivers.voltdb import errors, types
from dbapi_conformance.drivers.voltdb.cursor import split_statements, statement_kind
from dbapi_conformance.drivers.voltdb.transport import Host, parse_hosts
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side
from dbapi_conformance.drivers.wire.voltdb import (
    PING_HANDLE,
    ClientResponse,
    Column,
    ExceptionType,
    Invocation,
    Login,
    LoginResponse,
    LoginStatus,
    Parameter,
    Status,
    VoltConnection,
    VoltException,
    VoltTable,
    VoltType,
    encode_parameters,
)

T = VoltType

# --- parameter typing -------------------------------------------------------------------


@pytest.mark.parametrize(("value", "wanted"), [
    (0, T.TINYINT), (127, T.TINYINT), (-127, T.TINYINT), (-128, T.SMALLINT),
    (128, T.SMALLINT), (32767, T.SMALLINT), (-32768, T.INTEGER), (40000, T.INTEGER),
    (2 ** 31 - 1, T.INTEGER), (-(2 ** 31), T.BIGINT), (2 ** 40, T.BIGINT),
    (2 ** 63 - 1, T.BIGINT), (True, T.TINYINT), (1.5, T.FLOAT),
    (decimal.Decimal("1.25"), T.DECIMAL), ("x", T.STRING), (b"\x00", T.VARBINARY),
    (bytearray(b"ab"), T.VARBINARY), (dt.datetime(2024, 1, 2, 3, 4, 5), T.TIMESTAMP),
    (dt.date(2024, 1, 2), T.DATE), (None, T.NULL),
])
def test_parameter_types_follow_the_python_value(value, wanted):
    p = types.parameter(value)
    assert p.type == wanted and not p.array
    if isinstance(value, bool):
        assert p.value == 1


def test_integers_go_as_the_narrowest_type_on_the_wire():
    # i16 count, then type byte + value: TINYINT 5, SMALLINT -128 (TINYINT's NULL), BIGINT
    wire = encode_parameters([types.parameter(5), types.parameter(-128),
                              types.parameter(2 ** 40)])
    assert wire == (b"\x00\x03" + b"\x03\x05" + b"\x04\xff\x80"
                    + b"\x06" + (2 ** 40).to_bytes(8, "big"))


def test_timestamps_are_utc_microseconds_and_naive_means_utc():
    naive = dt.datetime(2024, 1, 2, 3, 4, 5, 678901)
    aware = dt.datetime(2024, 1, 2, 4, 4, 5, 678901,
                        tzinfo=dt.timezone(dt.timedelta(hours=1)))
    expected = b"\x00\x01\x0b" + (1704164645678901).to_bytes(8, "big")
    assert encode_parameters([types.parameter(naive)]) == expected
    assert encode_parameters([types.parameter(aware)]) == expected


@pytest.mark.parametrize("value", [2 ** 63, -(2 ** 63), decimal.Decimal("1e30"),
                                   decimal.Decimal("NaN"), "x" * (1024 * 1024 + 1),
                                   b"x" * (1024 * 1024 + 1), object(), {1: 2}])
def test_values_voltdb_cannot_hold_raise_data_error(value):
    with pytest.raises(voltdb.DataError):
        types.parameter(value)


def test_time_of_day_is_not_supported():
    with pytest.raises(voltdb.NotSupportedError, match="no TIME type"):
        types.parameter(dt.time(12, 0))


def test_integer_arrays_take_the_widest_element_type():
    p = types.parameter([1, 300, None])
    assert (p.type, p.array, p.value) == (T.SMALLINT, True, [1, 300, None])
    assert types.parameter(["a", None]) == Parameter(T.STRING, ["a", None], array=True)


def test_description_and_type_objects():
    table = VoltTable([Column("A", T.INTEGER), Column("D", T.DECIMAL), Column("S", T.STRING),
                       Column("B", T.VARBINARY), Column("TS", T.TIMESTAMP)])
    desc = types.description_of(table)
    assert desc[0] == ("A", T.INTEGER, None, None, None, None, None)
    assert desc[1] == ("D", T.DECIMAL, None, None, 38, 12, None)
    assert [voltdb.NUMBER, voltdb.NUMBER, voltdb.STRING, voltdb.BINARY, voltdb.DATETIME] == [
        d[1] for d in desc]
    assert voltdb.STRING != T.INTEGER and voltdb.ROWID != T.BIGINT


# --- the error table --------------------------------------------------------------------

_CONSTRAINT = ("VOLTDB ERROR: CONSTRAINT VIOLATION\n  Constraint Type PRIMARY_KEY, Table "
               "CatalogId T")


@pytest.mark.parametrize(("status", "text", "wanted"), [
    (Status.GRACEFUL_FAILURE, _CONSTRAINT, voltdb.IntegrityError),
    (Status.GRACEFUL_FAILURE, "VOLTDB ERROR: SQL ERROR\n  Attempted to divide by 0",
     voltdb.DataError),
    (Status.GRACEFUL_FAILURE, "VOLTDB ERROR: SQL ERROR\n  Type out of range: Overflow",
     voltdb.DataError),
    (Status.GRACEFUL_FAILURE, "VOLTDB ERROR: SQL ERROR\n  something else",
     voltdb.DatabaseError),
    (Status.GRACEFUL_FAILURE, "unexpected token: SELEC", voltdb.ProgrammingError),
    (Status.GRACEFUL_FAILURE, "user lacks privilege or object not found: NOPE",
     voltdb.ProgrammingError),
    (Status.GRACEFUL_FAILURE, "Incorrect number of parameters passed: expected 1, passed 0",
     voltdb.ProgrammingError),
    (Status.GRACEFUL_FAILURE, "tryToMakeCompatible: The provided value: (6000000000) of type: "
     "java.lang.Long is not a match or is out of range for the target parameter type: int",
     voltdb.DataError),
    (Status.GRACEFUL_FAILURE, "VOLTDB ERROR: Transaction Interrupted\n  timeout",
     voltdb.OperationalError),
    (Status.UNEXPECTED_FAILURE, "Procedure Nope was not found", voltdb.ProgrammingError),
    (Status.UNEXPECTED_FAILURE, "VOLTDB ERROR: UNEXPECTED FAILURE:\n  java.lang.NPE",
     voltdb.InternalError),
    (Status.USER_ABORT, "VOLTDB ERROR: USER ABORT\n  no", voltdb.OperationalError),
    (Status.SERVER_UNAVAILABLE, "Server is paused", voltdb.OperationalError),
    (Status.CONNECTION_LOST, None, voltdb.OperationalError),
    (Status.OPERATIONAL_FAILURE, "restore failed", voltdb.OperationalError),
    (Status.UNSUPPORTED_DYNAMIC_CHANGE, "needs a reinit", voltdb.NotSupportedError),
    (-99, "who knows", voltdb.DatabaseError),
])
def test_status_and_text_map_to_one_class(status, text, wanted):
    assert errors.error_class(status, text) is wanted
    exc = errors.from_response(ClientResponse(1, status, text), "execute")
    assert type(exc) is wanted and exc.code == status
    assert exc.message.startswith("execute: ") and str(status) in exc.message


def test_serialised_exceptions_take_precedence():
    failure = VoltException(ExceptionType.CONSTRAINT_FAILURE, "dup", sql_state="23000")
    resp = ClientResponse(1, Status.GRACEFUL_FAILURE, None, exception=failure)
    exc = errors.from_response(resp)
    assert isinstance(exc, voltdb.IntegrityError) and "dup" in exc.message
    sql = VoltException(ExceptionType.SQL_EXCEPTION, "too long", sql_state="22001")
    exc = errors.from_response(ClientResponse(1, Status.GRACEFUL_FAILURE, "x", exception=sql))
    assert isinstance(exc, voltdb.DataError) and exc.sqlstate == "22001"


# --- statements -------------------------------------------------------------------------


def test_statements_split_outside_literals_and_comments():
    sql = "SELECT ';' FROM t; -- a; comment\nINSERT INTO t VALUES ('a;b');/* ; */ ;"
    assert [s.strip() for s in split_statements(sql)] == [
        "SELECT ';' FROM t", "-- a; comment\nINSERT INTO t VALUES ('a;b')"]
    assert [statement_kind(s) for s in split_statements(sql)] == ["query", "dml"]
    assert statement_kind("  create table t (a int)") == "ddl"
    assert statement_kind("(SELECT 1) UNION (SELECT 2)") == "query"


# --- scripted peers ---------------------------------------------------------------------


class Peer:
    """The server end of one connection: the codec's server side over the socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.codec = VoltConnection(Side.SERVER)
        sock.settimeout(10)

    def next(self):
        while True:
            ev = self.codec.next_event()
            if ev is not NEED_DATA:
                return ev
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.codec.receive_data(data)

    def send(self, ev) -> None:
        self.sock.sendall(self.codec.send(ev))

    def login(self, status: int = LoginStatus.SUCCESS) -> Login:
        ev = self.next()
        assert isinstance(ev, Login)
        self.send(LoginResponse(status, host_id=3, connection_id=9, build_string="fake-1"))
        return ev


def modified(handle: int, count: int = 1) -> ClientResponse:
    table = VoltTable([Column("modified_tuples", T.BIGINT)], [(count,)])
    return ClientResponse(handle, tables=(table,))


def rows(handle: int, *values) -> ClientResponse:
    return ClientResponse(handle, tables=(VoltTable([Column("V", T.BIGINT)],
                                                    [(v,) for v in values]),))


@contextlib.contextmanager
def fake_server(script):
    """Run ``script(peer, state)`` for each accepted connection; yield (port, state).
    Exceptions of the scripts are re-raised at the end (EOF from the client is fine)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    state = {"connections": 0, "errors": [], "stop": threading.Event()}
    threads = []

    def serve(sock):
        try:
            script(Peer(sock), state)
        except (EOFError, ConnectionError, TimeoutError):
            pass
        except Exception as exc:  # noqa: BLE001 - reported by the test
            state["errors"].append(exc)
        finally:
            with contextlib.suppress(OSError):
                state["stop"].wait(5) if state.get("hold") else None
                sock.close()

    def accept():
        while not state["stop"].is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            state["connections"] += 1
            t = threading.Thread(target=serve, args=(sock,), daemon=True)
            t.start()
            threads.append(t)

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield listener.getsockname()[1], state
    finally:
        state["stop"].set()
        acceptor.join(5)
        listener.close()
        for t in threads:
            t.join(5)
    assert not state["errors"], state["errors"]


def dead_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as s:
        return s.getsockname()[1]


def test_connect_logs_in_with_sha256_and_exposes_the_login_response():
    seen = {}

    def script(peer, state):
        seen["login"] = peer.login()
        peer.next()

    with fake_server(script) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, user="alice", password="secret", timeout=5)
        try:
            assert (conn.host_id, conn.connection_id, conn.build_string) == (3, 9, "fake-1")
            assert conn.autocommit is True
            conn.commit()
            with pytest.raises(voltdb.NotSupportedError):
                conn.rollback()
            with pytest.raises(voltdb.NotSupportedError):
                conn.autocommit = False
        finally:
            conn.close()
    login = seen["login"]
    assert (login.username, login.version, login.service) == ("alice", 1, "database")
    assert login.digest.hex().startswith("2bb80d537b1da3e3")  # SHA-256("secret")


def test_a_late_response_is_discarded_not_taken_for_the_next_call():
    def script(peer, state):
        peer.login()
        first = peer.next()
        second = peer.next()  # sent after the client gave up on the first
        peer.send(rows(first.client_handle, 111))  # late
        peer.send(rows(second.client_handle, 222))
        peer.next()

    with fake_server(script) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=0.5)
        try:
            cur = conn.cursor()
            start = time.monotonic()
            with pytest.raises(voltdb.OperationalError, match="no answer within"):
                cur.execute("SELECT 1")
            assert time.monotonic() - start < 3
            cur.execute("SELECT 2")
            assert cur.fetchall() == [(222,)]
            assert conn._transport.discarded == 1
        finally:
            conn.close()


def test_responses_are_matched_by_handle_and_pushes_ignored():
    def script(peer, state):
        peer.login()
        calls = [peer.next() for _ in range(3)]
        peer.send(rows(PING_HANDLE, 0))  # a push no call waits for
        for inv in reversed(calls):  # completion order, not submission order
            peer.send(modified(inv.client_handle, inv.parameters[1].value))
        peer.next()

    with fake_server(script) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        try:
            cur = conn.cursor()
            cur.executemany("INSERT INTO t VALUES (?)", [(1,), (2,), (4,)])
            assert cur.rowcount == 7
            assert [r.client_handle for r in cur.statuses] == sorted(
                r.client_handle for r in cur.statuses)
            assert conn._transport.discarded == 1
        finally:
            conn.close()


def test_executemany_keeps_the_invocations_in_flight_together():
    n = 20

    def script(peer, state):
        peer.login()
        # Read every invocation before answering any: a driver waiting for each answer
        # before sending the next would time out here.
        calls = [peer.next() for _ in range(n)]
        state["in_flight"] = len(calls)
        for inv in calls:
            assert inv.procedure == "@AdHoc" and inv.parameters[0].value.startswith("INSERT")
            peer.send(modified(inv.client_handle))
        peer.next()

    with fake_server(script) as (port, state):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        try:
            cur = conn.cursor()
            cur.executemany("INSERT INTO t VALUES (?, ?)", [(i, str(i)) for i in range(n)])
            assert cur.rowcount == n and state["in_flight"] == n
            assert cur.description is None
        finally:
            conn.close()


def test_executemany_reports_every_failure_and_counts_the_rest():
    def script(peer, state):
        peer.login()
        calls = [peer.next() for _ in range(3)]
        peer.send(modified(calls[0].client_handle))
        peer.send(ClientResponse(calls[1].client_handle, Status.GRACEFUL_FAILURE, _CONSTRAINT))
        peer.send(modified(calls[2].client_handle))
        peer.next()

    with fake_server(script) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        try:
            cur = conn.cursor()
            with pytest.raises(voltdb.IntegrityError, match="parameter set 1 of 3"):
                cur.executemany("INSERT INTO t VALUES (?)", [(1,), (1,), (2,)])
            assert cur.rowcount == 2 and len(cur.messages) == 1
        finally:
            conn.close()


def test_a_silent_server_times_out_at_login_and_on_a_call():
    def silent(peer, state):
        peer.next()  # the login, never answered
        state["stop"].wait(10)

    with fake_server(silent) as (port, state):
        start = time.monotonic()
        with pytest.raises(voltdb.OperationalError, match="login response"):
            voltdb.connect("127.0.0.1", port, timeout=0.5)
        assert time.monotonic() - start < 3
        state["stop"].set()

    def mute_after_login(peer, state):
        peer.login()
        peer.next()
        state["stop"].wait(10)

    with fake_server(mute_after_login) as (port, state):
        conn = voltdb.connect("127.0.0.1", port, timeout=0.5)
        try:
            start = time.monotonic()
            with pytest.raises(voltdb.OperationalError, match="no answer within 0.5 s"):
                conn.cursor().callproc("Anything", [1])
            assert time.monotonic() - start < 3
        finally:
            conn.close()
            state["stop"].set()


def test_failover_tries_the_hosts_in_order():
    def script(peer, state):
        peer.login()
        peer.next()

    with fake_server(script) as (port, state):
        dead = dead_port()
        conn = voltdb.connect([f"127.0.0.1:{dead}", ("127.0.0.1", port)], timeout=2)
        try:
            assert conn.host == f"127.0.0.1:{port}"
        finally:
            conn.close()
        assert state["connections"] == 1
    a, b = dead_port(), dead_port()
    with pytest.raises(voltdb.OperationalError) as info:
        voltdb.connect(f"127.0.0.1:{a},127.0.0.1:{b}", timeout=2)
    text = str(info.value)
    assert text.index(f":{a}") < text.index(f":{b}")


def test_a_refused_login_does_not_move_to_the_next_host():
    def refuse(peer, state):
        peer.login(LoginStatus.AUTHENTICATION_FAILURE)

    def accept(peer, state):
        peer.login()
        peer.next()

    with fake_server(refuse) as (bad, _), fake_server(accept) as (good, good_state):
        with pytest.raises(voltdb.OperationalError, match="Authentication failed") as info:
            voltdb.connect([f"127.0.0.1:{bad}", f"127.0.0.1:{good}"], password="x", timeout=2)
        assert info.value.code == LoginStatus.AUTHENTICATION_FAILURE
        assert good_state["connections"] == 0


def test_a_rejoining_node_makes_way_for_the_next_host():
    def rejoining(peer, state):
        peer.login(LoginStatus.AUTHENTICATION_FAILURE_DUE_TO_REJOIN)

    def accept(peer, state):
        peer.login()
        peer.next()

    with fake_server(rejoining) as (first, _), fake_server(accept) as (second, _):
        conn = voltdb.connect([f"127.0.0.1:{first}", f"127.0.0.1:{second}"], timeout=2)
        try:
            assert conn.host == f"127.0.0.1:{second}"
        finally:
            conn.close()


def test_a_closed_socket_and_a_garbled_frame():
    def close_on_call(peer, state):
        peer.login()
        peer.next()

    with fake_server(close_on_call) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        cur = conn.cursor()
        with pytest.raises(voltdb.OperationalError, match="closed the connection"):
            cur.execute("SELECT 1")
        with pytest.raises(voltdb.OperationalError, match="closed"):
            cur.execute("SELECT 1")
        conn.close()

    def garble(peer, state):
        peer.login()
        peer.next()
        peer.sock.sendall(b"\x00\x00\x00\x03\x07\x07\x07")  # response version 7
        peer.next()

    with fake_server(garble) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        with pytest.raises(voltdb.InterfaceError, match="unreadable frame"):
            conn.cursor().execute("SELECT 1")
        conn.close()


def test_results_and_nextset_over_several_tables():
    def script(peer, state):
        peer.login()
        inv = peer.next()
        assert isinstance(inv, Invocation) and len(inv.parameters) == 1
        ts = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)
        t1 = VoltTable([Column("N", T.INTEGER), Column("TS", T.TIMESTAMP)], [(1, ts)])
        t2 = VoltTable([Column("modified_tuples", T.BIGINT)], [(4,)])
        peer.send(ClientResponse(inv.client_handle, tables=(t1, t2)))
        peer.next()

    with fake_server(script) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        try:
            cur = conn.cursor()
            with pytest.raises(voltdb.ProgrammingError):
                cur.nextset()
            cur.execute("SELECT n, ts FROM t; UPDATE t SET n = 2")
            assert cur.fetchall() == [(1, dt.datetime(2024, 1, 2))]
            assert cur.nextset() is True
            assert (cur.description, cur.rowcount) == (None, 4)
            with pytest.raises(voltdb.ProgrammingError):
                cur.fetchone()
            assert cur.nextset() is None
        finally:
            conn.close()


def test_bad_arguments_raise_interface_or_programming_errors():
    with pytest.raises(voltdb.InterfaceError):
        voltdb.connect("127.0.0.1", 0)
    with pytest.raises(voltdb.InterfaceError):
        voltdb.connect("127.0.0.1", timeout=0)
    with pytest.raises(voltdb.InterfaceError):
        voltdb.connect("127.0.0.1", hash_scheme="md5")
    with pytest.raises(voltdb.InterfaceError):
        voltdb.connect(host="a", dsn="b")
    with pytest.raises(voltdb.InterfaceError):
        voltdb.connect([])

    def script(peer, state):
        peer.login()
        peer.next()

    with fake_server(script) as (port, _):
        conn = voltdb.connect("127.0.0.1", port, timeout=5)
        try:
            cur = conn.cursor()
            with pytest.raises(voltdb.ProgrammingError, match="2 placeholder"):
                cur.execute("SELECT ? + ?", (1,))
            with pytest.raises(voltdb.ProgrammingError, match="use one style"):
                cur.execute("SELECT ? + :a", {"a": 1})
            with pytest.raises(voltdb.ProgrammingError, match="no parameter named 'b'"):
                cur.execute("SELECT :a + :b", {"a": 1})
            with pytest.raises(voltdb.ProgrammingError):
                cur.callproc("", [])
            with pytest.raises(voltdb.DataError):
                cur.execute("SELECT ?", (2 ** 64,))
        finally:
            conn.close()


def test_parse_hosts():
    assert parse_hosts("a,b:7,[::1]:8", 21212) == [Host("a", 21212), Host("b", 7),
                                                    Host("::1", 8)]
    assert parse_hosts([("c", 9), "a"], 5) == [Host("c", 9), Host("a", 5)]
    assert parse_hosts(None) == [Host("localhost", 21212)]
    for bad in ("a:x", "a:70000", "[::1", 5):
        with pytest.raises(voltdb.InterfaceError):
            parse_hosts(bad)


# --- the registry entry's container recipe ---------------------------------------------


def test_container_recipe_skips_cleanly_without_testcontainers_or_docker(monkeypatch):
    import sys
    import types as pytypes

    from dbapi_conformance.harness.databases import voltdb as entry
    from dbapi_conformance.harness.endpoint import ServerUnavailable

    monkeypatch.setitem(sys.modules, "testcontainers.core.container", None)
    with pytest.raises(ServerUnavailable, match=r"testcontainers cannot be imported .*\[live\]"):
        entry.container()

    started = {}

    class FakeContainer:
        def __init__(self, image):
            started["image"] = image
            self.env, self.ports = {}, []

        def with_env(self, key, value):
            self.env[key] = value
            return self

        def with_exposed_ports(self, *ports):
            self.ports += ports
            return self

        def waiting_for(self, strategy):
            started["wait"] = strategy
            return self

        def start(self):
            started["env"], started["ports"] = self.env, self.ports

        def get_container_host_ip(self):
            return "10.1.2.3"

        def get_exposed_port(self, port):
            return 32768

        def stop(self):
            started["stopped"] = True

    class FakeWait:
        def __init__(self, message):
            self.message = message

        def with_startup_timeout(self, seconds):
            self.timeout = seconds
            return self

    monkeypatch.setitem(sys.modules, "testcontainers.core.container",
                        pytypes.SimpleNamespace(DockerContainer=FakeContainer))
    monkeypatch.setitem(sys.modules, "testcontainers.core.wait_strategies",
                        pytypes.SimpleNamespace(LogMessageWaitStrategy=FakeWait))

    def unreachable(timeout):
        raise ConnectionError("Error while fetching server API version")

    monkeypatch.setitem(sys.modules, "docker", pytypes.SimpleNamespace(from_env=unreachable))
    with pytest.raises(ServerUnavailable, match="no Docker engine reachable"):
        entry.container()
    assert started == {}

    client = pytypes.SimpleNamespace(ping=lambda: None, close=lambda: None)
    monkeypatch.setitem(sys.modules, "docker", pytypes.SimpleNamespace(from_env=lambda timeout:
                                                                       client))
    monkeypatch.delenv("DBAPI_VOLTDB_IMAGE", raising=False)
    endpoint, stop = entry.container()
    assert started["image"] == "voltdb/voltdb-community:9.2.1"
    assert (started["env"], started["ports"]) == ({"HOST_COUNT": "1"}, [21212])
    assert started["wait"].message == "Server completed initialization."
    assert (endpoint.kind, endpoint.url, endpoint.port) == ("container", "voltdb://10.1.2.3:32768",
                                                            32768)
    stop()
    assert started["stopped"]
