"""The Ignite 3 reference driver without a mock server: the error table, type objects and
descriptions, parameter binding, address parsing, statement kinds, closed checks, failover
order, handshake refusals and timeouts against scripted nodes built on the codec."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
import threading
import time
import uuid

import pytest

from dbapi_conformance.drivers import ignite
from dbapi_conformance.drivers.ignite import connection as ig_connection
from dbapi_conformance.drivers.ignite import cursor as ig_cursor
from dbapi_conformance.drivers.ignite.errors import error_class, from_error_info
from dbapi_conformance.drivers.ignite.transport import Address, parse_addresses
from dbapi_conformance.drivers.ignite.types import description
from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side

WAIT = 10.0  # seconds any scripted node waits for its client


# --- the error table -------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "message", "cls"), [
    (0x40005, "PK unique constraint is violated", ignite.IntegrityError),
    (0x40004, "Failed to validate query. Object 'T' not found", ignite.ProgrammingError),
    (0x40003, "Failed to parse query", ignite.ProgrammingError),
    (0x20002, "table not found", ignite.ProgrammingError),
    (0x40007, "Division by zero", ignite.DataError),
    (0x40007, "INTEGER out of range", ignite.DataError),
    (0x40007, "DDL doesn't support transactions.", ignite.ProgrammingError),
    (0x40006, "The query was cancelled while executing.", ignite.OperationalError),
    (0x1FFFF, "boom", ignite.InternalError),
    (0x30002, "Unexpected operation code: 99", ignite.InterfaceError),
    (0x30001, "connection", ignite.OperationalError),
    (0x70004, "Failed to acquire a lock", ignite.OperationalError),
    (0xF0002, "Authentication failed", ignite.OperationalError),
    (0x160002, "unsupported object type", ignite.NotSupportedError),
    (0x160001, "marshalling", ignite.DataError),
    (0x10003, "illegal argument", ignite.ProgrammingError),
    (0x10009, "null value", ignite.IntegrityError),
    (0x7F0001, "made up", ignite.DatabaseError),
    (None, None, ignite.DatabaseError),
])
def test_error_class_per_code(code, message, cls):
    assert error_class(code, message) is cls


def test_every_mapped_class_is_a_pep249_database_or_interface_error():
    for code in range(0x10000, 0x170000, 0x10000):
        for low in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0xFFFF):
            assert issubclass(error_class(code | low, ""), (ignite.DatabaseError,
                                                              ignite.InterfaceError))


def test_error_object_becomes_exception_with_its_fields():
    trace = uuid.uuid4()
    info = w.ErrorInfo(0x40005, w.SQL_BATCH_EXCEPTION, "PK unique constraint is violated",
                       trace, extensions={w.SQL_UPDATE_COUNTERS: [1, 1]})
    exc = from_error_info(info)
    assert type(exc) is ignite.IntegrityError
    assert str(exc) == f"{w.SQL_BATCH_EXCEPTION}: PK unique constraint is violated"
    assert exc.code == 0x40005
    assert exc.update_counters == [1, 1]
    assert exc.trace_id == trace
    assert exc.class_name == w.SQL_BATCH_EXCEPTION
    plain = from_error_info(w.ErrorInfo(None, w.IGNITE_EXCEPTION))
    assert type(plain) is ignite.DatabaseError and str(plain) == w.IGNITE_EXCEPTION
    assert plain.update_counters is None


# --- types -----------------------------------------------------------------------------------


def test_type_objects_compare_with_column_types():
    T = w.ColumnType
    assert ignite.STRING == T.STRING and ignite.STRING != T.BYTE_ARRAY
    assert ignite.BINARY == T.BYTE_ARRAY
    for t in (T.BOOLEAN, T.INT8, T.INT16, T.INT32, T.INT64, T.FLOAT, T.DOUBLE, T.DECIMAL):
        assert ignite.NUMBER == t and ignite.DATETIME != t
    for t in (T.DATE, T.TIME, T.DATETIME, T.TIMESTAMP):
        assert ignite.DATETIME == t and ignite.NUMBER != t
    for t in T:
        assert ignite.ROWID != t
    assert ignite.NUMBER != T.UUID and ignite.STRING != T.UUID


def test_description_from_column_metadata():
    columns = [w.ColumnMeta("ID", w.ColumnType.INT32, False, 0, 10),
               w.ColumnMeta("NAME", w.ColumnType.STRING, True, w.MIN_INT, 65536),
               w.ColumnMeta("PRICE", w.ColumnType.DECIMAL, True, 2, 10),
               w.ColumnMeta("X", w.ColumnType.NULL)]
    assert description(columns) == (
        ("ID", w.ColumnType.INT32, None, None, 10, 0, False),
        ("NAME", w.ColumnType.STRING, None, None, 65536, None, True),
        ("PRICE", w.ColumnType.DECIMAL, None, None, 10, 2, True),
        ("X", w.ColumnType.NULL, None, None, None, None, True),
    )


def test_module_globals():
    assert (ignite.apilevel, ignite.threadsafety, ignite.paramstyle) == ("2.0", 1, "named")
    assert ignite.Binary(b"x") == b"x"
    assert ignite.Date(2024, 2, 29) == dt.date(2024, 2, 29)


# --- parameters ------------------------------------------------------------------------------


def test_named_parameters_become_qmarks_in_order():
    sql, args = ig_cursor._bind("SELECT :b, ':a', :a, \"x:y\" -- :c\n, :b", {"a": 1, "b": 2})
    assert sql == "SELECT ?, ':a', ?, \"x:y\" -- :c\n, ?"
    assert args == [2, 1, 2]


def test_sequence_parameters_bind_qmarks():
    assert ig_cursor._bind("SELECT ?, '?', ?", (1, None)) == ("SELECT ?, '?', ?", [1, None])


@pytest.mark.parametrize(("sql", "params", "cls", "text"), [
    ("SELECT ?", (), ignite.ProgrammingError, "1 parameter placeholder"),
    ("SELECT ?", (1, 2), ignite.ProgrammingError, "2 parameter(s)"),
    ("SELECT ?", {"a": 1}, ignite.ProgrammingError, "uses ?"),
    ("SELECT :a", {"b": 1}, ignite.ProgrammingError, "no parameter named 'a'"),
    ("SELECT ?", "x", ignite.ProgrammingError, "sequence"),
    ("SELECT ?", (object(),), ignite.ProgrammingError, "no type for a object"),
    ("SELECT ?", (2 ** 63,), ignite.DataError, "does not fit in BIGINT"),
    ("SELECT ?", (-(2 ** 63) - 1,), ignite.DataError, "does not fit in BIGINT"),
])
def test_bad_parameters_are_refused_before_sending(sql, params, cls, text):
    with pytest.raises(cls) as info:
        ig_cursor._bind(sql, params)
    assert text in str(info.value)


def test_every_supported_python_type_binds():
    values = [True, 7, 1.5, "x", b"\x80", decimal.Decimal("1.50"), dt.date(2024, 2, 29),
              dt.time(1, 2, 3), dt.datetime(2024, 2, 29, 1, 2, 3),
              dt.datetime(2024, 2, 29, tzinfo=dt.timezone.utc), uuid.uuid4(),
              dt.timedelta(seconds=5), None, 2 ** 63 - 1, -(2 ** 63)]
    sql = "SELECT " + ", ".join("?" for _ in values)
    assert ig_cursor._bind(sql, values)[1] == values


# --- statement kinds and addresses -----------------------------------------------------------


@pytest.mark.parametrize(("sql", "ddl", "query"), [
    ("CREATE TABLE t (id INT PRIMARY KEY)", True, False),
    ("  drop table t", True, False),
    ("-- a comment\nALTER TABLE t ADD COLUMN x INT", True, False),
    ("/* c */ create zone z", True, False),
    ("SELECT 1", False, True),
    ("(SELECT 1)", False, True),
    ("with x as (select 1) select * from x", False, True),
    ("EXPLAIN PLAN FOR SELECT 1", False, True),
    ("INSERT INTO t VALUES (1)", False, False),
    ("UPDATE t SET x = 1", False, False),
    ("DELETE FROM t", False, False),
    ("SELECTED", False, False),
    ("CREATED", False, False),
])
def test_statement_kinds(sql, ddl, query):
    assert ig_connection.is_ddl(sql) is ddl
    assert ig_connection.is_query(sql) is query


def test_address_parsing():
    assert parse_addresses("h") == [Address("h", 10800)]
    assert parse_addresses(["a:1", "[::1]:2", "[fe80::1]", " b:3 "]) == [
        Address("a", 1), Address("::1", 2), Address("fe80::1", 10800), Address("b", 3)]
    assert str(Address("::1", 2)) == "[::1]:2"
    for bad in ([], ["a:0"], ["a:70000"], ["a:b"], [5], 5, ["a:1:2"]):
        with pytest.raises(ignite.InterfaceError):
            parse_addresses(bad)


@pytest.mark.parametrize("kwargs", [
    {"timeout": 0}, {"timeout": -1}, {"timeout": "5"}, {"page_size": 0},
    {"page_size": 1.5}, {"schema": ""}, {"ssl_ca_certfile": "/x"}, {"address": []},
    {"address": "a", "dsn": "b"}, {"identity": "a", "user": "b"},
])
def test_bad_connect_arguments(kwargs):
    kwargs.setdefault("address", "127.0.0.1:1")
    with pytest.raises(ignite.InterfaceError):
        ignite.connect(**kwargs)


# --- scripted nodes --------------------------------------------------------------------------


class Node:
    """A one-connection Ignite node on a thread, built on the server side of the codec.

    ``mode``: "ok" (handshake, then answers SQL_EXEC with one row, and records requests),
    "refuse" (handshake error), "silent" (accepts, reads, never answers), "wrong_id"
    (answers the first request with another request id).
    """

    def __init__(self, mode: str = "ok", idle_timeout_ms: int = 0) -> None:
        self.mode = mode
        self.idle_timeout_ms = idle_timeout_ms
        self.requests: list = []
        self.handshakes: list = []
        self.conns: list[socket.socket] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(WAIT)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(WAIT)
        self.conns.append(conn)
        codec = w.Connection(Side.SERVER)
        try:
            while True:
                event = codec.next_event()
                if event is NEED_DATA:
                    data = conn.recv(65536)
                    if not data:
                        return
                    codec.receive_data(data)
                    continue
                if isinstance(event, w.Handshake):
                    self.handshakes.append(event)
                    if self.mode == "refuse":
                        conn.sendall(codec.send(w.HandshakeError(w.ErrorInfo(
                            0xF0002, w.INVALID_CREDENTIALS_EXCEPTION, "Authentication failed"))))
                        continue
                    conn.sendall(codec.send(w.HandshakeResponse(
                        idle_timeout=self.idle_timeout_ms, observable_timestamp=5,
                        server_version=(3, 1, 0, None, None), cluster_name="scripted")))
                    continue
                self.requests.append(event)
                if self.mode == "silent":
                    continue
                rid = event.request_id + (1 if self.mode == "wrong_id" else 0)
                if isinstance(event, w.SqlExec):
                    cols = [w.ColumnMeta("X", w.ColumnType.INT32, False, 0, 10)]
                    reply = w.SqlExecResponse(request_id=rid, observable_timestamp=9,
                                              has_row_set=True, columns=cols, rows=[(1,)])
                elif isinstance(event, w.TxBegin):
                    reply = w.TxBeginResponse(request_id=rid, tx_id=101)
                else:
                    reply = w.EmptyResponse(request_id=rid)
                conn.sendall(codec.send(reply))
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        if not self.conns:  # wake the accept() of a node nobody connected to
            host, port = self.sock.getsockname()
            socket.create_connection((host, port), timeout=WAIT).close()
        for conn in self.conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:  # already closed by the node
                pass
        self.thread.join(WAIT)
        self.sock.close()


@pytest.fixture
def nodes():
    made: list[Node] = []

    def make(*args, **kwargs) -> Node:
        node = Node(*args, **kwargs)
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()


def _dead_address() -> str:
    """An address where nothing listens: a port bound and never listened on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _dead_address.keep.append(sock)  # keep the port from being reused during the test
    return f"127.0.0.1:{sock.getsockname()[1]}"


_dead_address.keep = []  # type: ignore[attr-defined]


def test_connect_handshakes_and_reads_the_server(nodes):
    node = nodes()
    conn = ignite.connect(node.address, timeout=WAIT, identity="alice", secret="s3cr3t")
    assert conn.server_version == (3, 1, 0) and conn.server_version_string == "3.1.0"
    assert conn.cluster_name == "scripted" and conn.address == node.address
    hs = node.handshakes[0]
    assert hs.version == (3, 0, 0)
    assert (hs.identity, hs.secret, hs.authn_type) == ("alice", "s3cr3t", "basic")
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    assert cursor.fetchall() == [(1,)]
    request = node.requests[0]
    assert isinstance(request, w.SqlExec) and request.tx_id is None  # a query: no tx
    assert request.properties.schema == "PUBLIC" and request.properties.page_size == 1024
    assert request.properties.query_timeout == int(WAIT * 1000)
    assert request.observable_timestamp == 5  # the handshake's timestamp is echoed
    cursor.execute("SELECT 2")
    assert node.requests[1].observable_timestamp == 9  # the max seen since
    conn.close()


def test_failover_tries_addresses_in_order(nodes):
    dead1, dead2 = _dead_address(), _dead_address()
    node = nodes()
    conn = ignite.connect([dead1, dead2, node.address], timeout=WAIT)
    assert conn.address == node.address
    conn.close()
    with pytest.raises(ignite.OperationalError) as info:
        ignite.connect([dead1, dead2], timeout=WAIT)
    text = str(info.value)
    assert text.startswith("Failed to establish connection with the cluster")
    assert text.index(dead1) < text.index(dead2)


def test_a_refused_handshake_is_operational_error_at_once(nodes):
    refusing, spare = nodes("refuse"), nodes()
    with pytest.raises(ignite.OperationalError) as info:
        ignite.connect([refusing.address, spare.address], identity="a", secret="b",
                       timeout=WAIT)
    assert "InvalidCredentialsException: Authentication failed" in str(info.value)
    assert info.value.code == 0xF0002
    assert spare.handshakes == []  # credentials refused: no other node is tried


def test_a_silent_node_times_out_in_connect(nodes):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    try:
        start = time.monotonic()
        with pytest.raises(ignite.OperationalError) as info:
            ignite.connect(f"127.0.0.1:{silent.getsockname()[1]}", timeout=0.5)
        assert time.monotonic() - start < 5
        assert "0.5 s" in str(info.value)
    finally:
        silent.close()


def test_a_silent_answer_times_out_and_closes_the_channel(nodes):
    node = nodes("silent")
    conn = ignite.connect(node.address, timeout=0.5)
    cursor = conn.cursor()
    start = time.monotonic()
    with pytest.raises(ignite.OperationalError) as info:
        cursor.execute("SELECT 1")
    assert time.monotonic() - start < 5
    assert "no answer within 0.5 s" in str(info.value)
    with pytest.raises(ignite.OperationalError):  # the channel is not trusted again
        cursor.execute("SELECT 1")
    conn.close()


def test_an_answer_with_another_request_id_is_interface_error(nodes):
    node = nodes("wrong_id")
    conn = ignite.connect(node.address, timeout=WAIT)
    with pytest.raises(ignite.InterfaceError) as info:
        conn.cursor().execute("SELECT 1")
    assert "unknown ID" in str(info.value)
    conn.close()


def test_manual_commit_begins_a_transaction_at_the_first_write(nodes):
    node = nodes()
    conn = ignite.connect(node.address, timeout=WAIT)
    cursor = conn.cursor()
    conn.commit()  # nothing open: nothing sent
    cursor.execute("SELECT 1")
    cursor.execute("INSERT INTO t VALUES (1)")
    cursor.execute("SELECT 1")
    conn.commit()
    kinds = [type(r).__name__ for r in node.requests]
    assert kinds == ["SqlExec", "TxBegin", "SqlExec", "SqlExec", "TxCommit"]
    assert [getattr(r, "tx_id", None) for r in node.requests] == [None, None, 101, 101, 101]
    cursor.execute("UPDATE t SET x = 1")
    cursor.execute("CREATE TABLE u (id INT PRIMARY KEY)")  # DDL commits first
    assert [type(r).__name__ for r in node.requests[5:]] == [
        "TxBegin", "SqlExec", "TxCommit", "SqlExec"]
    assert node.requests[-1].tx_id is None
    conn.close()


def test_autocommit_sends_no_transaction(nodes):
    node = nodes()
    conn = ignite.connect(node.address, timeout=WAIT, autocommit=True)
    assert conn.autocommit is True
    conn.cursor().execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    assert [type(r).__name__ for r in node.requests] == ["SqlExec"]
    assert node.requests[0].tx_id is None
    conn.autocommit = False
    conn.cursor().execute("INSERT INTO t VALUES (2)")
    conn.autocommit = True  # commits the open transaction
    assert [type(r).__name__ for r in node.requests[1:]] == ["TxBegin", "SqlExec", "TxCommit"]
    with pytest.raises(ignite.ProgrammingError):
        conn.autocommit = 1
    conn.close()


def test_closing_rolls_back_the_open_transaction(nodes):
    node = nodes()
    conn = ignite.connect(node.address, timeout=WAIT)
    conn.cursor().execute("INSERT INTO t VALUES (1)")
    conn.close()
    node.thread.join(WAIT)
    assert isinstance(node.requests[-1], w.TxRollback) and node.requests[-1].tx_id == 101


def test_heartbeats_keep_an_idle_connection_alive(nodes):
    node = nodes(idle_timeout_ms=300)
    conn = ignite.connect(node.address, timeout=WAIT)
    deadline = time.monotonic() + WAIT
    while not node.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    assert node.requests and isinstance(node.requests[0], w.Heartbeat)
    conn.close()


def test_closed_objects_raise(nodes):
    node = nodes()
    conn = ignite.connect(node.address, timeout=WAIT)
    cursor = conn.cursor()
    cursor.close()
    with pytest.raises(ignite.ProgrammingError):
        cursor.execute("SELECT 1")
    with pytest.raises(ignite.ProgrammingError):
        cursor.fetchone()
    other = conn.cursor()
    conn.close()
    conn.close()  # a second close does nothing
    for call in (conn.cursor, conn.commit, conn.rollback, lambda: other.execute("SELECT 1"),
                 lambda: other.executescript("SELECT 1"), lambda: conn.autocommit):
        with pytest.raises(ignite.ProgrammingError):
            call()
    with pytest.raises(ignite.NotSupportedError):
        ignite.connect(nodes().address, timeout=WAIT).cursor().callproc("p")


@pytest.mark.parametrize("value", [decimal.Decimal("NaN"), "\ud800", float("nan")])
def test_a_value_with_no_wire_form_is_data_error_and_nothing_is_sent(nodes, value):
    node = nodes()
    conn = ignite.connect(node.address, timeout=WAIT, autocommit=True)
    cursor = conn.cursor()
    if isinstance(value, float):  # NaN has a wire form: the server decides
        cursor.execute("SELECT ?", (value,))
        assert len(node.requests) == 1
        return
    with pytest.raises(ignite.DataError):
        cursor.execute("SELECT ?", (value,))
    assert node.requests == []
    cursor.execute("SELECT 1")  # the connection is still usable
    assert cursor.fetchall() == [(1,)]
    conn.close()
