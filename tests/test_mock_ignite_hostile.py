"""The Ignite 3 mock under bad input and many clients: each malformed connection gets
Ignite's error answer or a clean close while another client (the official one) keeps being
served; connections share nothing but committed data (protocols/ignite3.md 1-4, 14)."""

from __future__ import annotations

import concurrent.futures
import socket
import struct
import sys
import time
from pathlib import Path

import msgpack
import pyignite_dbapi
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ignitemock import RawClient, closed_by_peer, running  # noqa: E402

from dbapi_conformance.drivers.wire import ignite as w  # noqa: E402

HANDSHAKE = bytes.fromhex("49474e490000000803000004c4010400")


@pytest.fixture(scope="module")
def mock():
    with running() as server:
        yield server
    assert not server.alive()


@pytest.fixture(scope="module")
def bystander(mock):
    """An official-client connection that must keep working through every test."""
    conn = pyignite_dbapi.connect(address=[mock.address], timeout=30)
    cur = conn.cursor()
    cur.execute("CREATE TABLE bystander (id INT PRIMARY KEY, v VARCHAR)")
    yield cur
    cur.close()
    conn.close()


def still_served(cur, n: int) -> None:
    cur.execute("INSERT INTO bystander VALUES (?, ?)", [n, f"v{n}"])
    cur.execute("SELECT v FROM bystander WHERE id = ?", [n])
    assert cur.fetchall() == [(f"v{n}",)]


def raw(mock) -> socket.socket:
    return socket.create_connection((mock.host, mock.port), timeout=10)


def frame(*objects) -> bytes:
    body = b"".join(msgpack.packb(o, use_bin_type=True) for o in objects)
    return struct.pack(">i", len(body)) + body


def read_frame(sock: socket.socket) -> list:
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        assert chunk, "the server closed instead of answering"
        head += chunk
    (n,) = struct.unpack(">i", head)
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        assert chunk
        body += chunk
    return list(msgpack.Unpacker(__import__("io").BytesIO(body), raw=False,
                                 ext_hook=lambda c, d: (c, d)))


def after_handshake(mock) -> socket.socket:
    sock = raw(mock)
    sock.sendall(HANDSHAKE)
    assert sock.recv(4) == b"IGNI"
    read_frame(sock)
    return sock


def test_requests_sent_with_the_handshake_are_answered(mock):
    sock = raw(mock)
    sock.sendall(HANDSHAKE + frame(1, 1) + frame(1, 2))  # one packet, nothing after it
    assert sock.recv(4) == b"IGNI"
    read_frame(sock)
    assert [read_frame(sock)[:2] for _ in range(2)] == [[1, 0], [2, 0]]
    sock.close()


def test_bad_magic_closes_the_connection(mock, bystander):
    sock = raw(mock)
    sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
    assert closed_by_peer(sock)
    sock.close()
    still_served(bystander, 1)


def test_truncated_frame_then_close(mock, bystander):
    sock = after_handshake(mock)
    sock.sendall(struct.pack(">i", 100) + b"\x32\x01")
    sock.close()
    sock = raw(mock)
    sock.sendall(HANDSHAKE[:7])  # a handshake cut short
    sock.close()
    still_served(bystander, 2)


def test_huge_and_negative_length_prefixes_close(mock, bystander):
    for length in (0x7FFFFFFF, -5):
        sock = after_handshake(mock)
        sock.sendall(struct.pack(">i", length) + b"\x00" * 64)
        assert closed_by_peer(sock)
        sock.close()
    sock = raw(mock)
    sock.sendall(b"IGNI" + struct.pack(">i", 0x7FFFFFFF))
    assert closed_by_peer(sock)
    sock.close()
    still_served(bystander, 3)


def test_frame_longer_than_its_prefix_says(mock, bystander):
    sock = after_handshake(mock)
    # a heartbeat whose prefix covers only part of what follows: the rest is read as the
    # next frame's length (garbage: here a huge one), which closes the connection
    body = msgpack.packb(1) + msgpack.packb(5) + b"\xff\xff\xff\xff\xff\xff"
    sock.sendall(struct.pack(">i", 2) + body)
    answer = read_frame(sock)
    assert answer[0] == 5 and answer[1] == 0  # the heartbeat inside the prefix is answered
    assert closed_by_peer(sock)
    sock.close()
    still_served(bystander, 4)


def test_unknown_op_gets_ignites_error_and_the_connection_goes_on(mock, bystander):
    sock = after_handshake(mock)
    sock.sendall(frame(99, 7))
    answer = read_frame(sock)
    request_id, flags, _ts, _trace, code, class_name, message = answer[:7]
    assert (request_id, flags) == (7, w.ResponseFlags.ERROR)
    assert (code, class_name, message) == (0x30002, "org.apache.ignite.lang.IgniteException",
                                           "Unexpected operation code: 99")
    sock.sendall(frame(1, 8))  # heartbeat
    assert read_frame(sock)[:2] == [8, 0]
    sock.close()
    still_served(bystander, 5)


@pytest.mark.parametrize("body, request_id", [
    (b"\xc1\xc1", -1),  # not MessagePack at all
    (msgpack.packb(50) + msgpack.packb(9) + b"\xd9\xff", 9),  # a string cut short
    (msgpack.packb(50) + msgpack.packb(10) + msgpack.packb([1, 2]), 10),  # wrong type
    (msgpack.packb(51) + msgpack.packb(11), 11),  # no cursor id
])
def test_malformed_msgpack_gets_an_error_answer(mock, bystander, body, request_id):
    sock = after_handshake(mock)
    sock.sendall(struct.pack(">i", len(body)) + body)
    answer = read_frame(sock)
    assert answer[0] == request_id and answer[1] == w.ResponseFlags.ERROR
    assert answer[4] == w.ErrorCode.INTERNAL and isinstance(answer[6], str)
    sock.sendall(frame(1, 12))
    assert read_frame(sock)[:2] == [12, 0]
    sock.close()
    still_served(bystander, 6 + request_id + 1)


def test_unknown_resources_and_bad_page_size(mock):
    client = RawClient(mock.port)
    for cls, fields in ((w.SqlCursorNextPage, {"cursor_id": 999}),
                        (w.SqlCursorClose, {"cursor_id": 999}),
                        (w.TxCommit, {"tx_id": 999}), (w.TxRollback, {"tx_id": 999})):
        answer = client.request(cls, **fields)
        assert isinstance(answer, w.ErrorResponse)
        assert answer.error.code == w.ErrorCode.RESOURCE_NOT_FOUND
        assert answer.error.message == "Failed to find resource with id: 999"
    answer = client.sql("SELECT 1", tx_id=999)
    assert answer.error.code == w.ErrorCode.RESOURCE_NOT_FOUND
    assert isinstance(client.request(w.Heartbeat), w.EmptyResponse)
    client.close()


def test_read_only_transactions_refuse_dml(mock):
    client = RawClient(mock.port)
    client.sql("CREATE TABLE ro (id INT PRIMARY KEY)")
    tx = client.request(w.TxBegin, read_only=True, observable_timestamp=1).tx_id
    refused = client.sql("INSERT INTO ro VALUES (1)", tx_id=tx)
    assert refused.error.code == w.ErrorCode.RUNTIME
    assert refused.error.message == "DML cannot be started by using read only transactions."
    assert client.sql("SELECT count(*) FROM ro", tx_id=tx).rows == [(0,)]
    ddl = client.sql("DROP TABLE ro", tx_id=tx)
    assert ddl.error.message == "DDL doesn't support transactions."
    assert isinstance(client.request(w.TxCommit, tx_id=tx), w.EmptyResponse)
    client.close()


def test_paging_cursor_ids_and_close_over_the_wire(mock):
    client = RawClient(mock.port)
    client.sql("CREATE TABLE paged (id INT PRIMARY KEY)")
    client.request(w.SqlExecBatch, statement="INSERT INTO paged VALUES (?)",
                   rows=[[i] for i in range(10)])
    first = client.sql("SELECT id FROM paged ORDER BY id", page_size=4)
    assert first.has_more_pages and first.cursor_id is not None
    assert first.rows == [(0,), (1,), (2,), (3,)]
    page = client.request(w.SqlCursorNextPage, cursor_id=first.cursor_id)
    assert page.rows == [(4,), (5,), (6,), (7,)] and page.has_more_pages
    last = client.request(w.SqlCursorNextPage, cursor_id=first.cursor_id)
    assert last.rows == [(8,), (9,)] and not last.has_more_pages
    gone = client.request(w.SqlCursorClose, cursor_id=first.cursor_id)
    assert gone.error.code == w.ErrorCode.RESOURCE_NOT_FOUND  # freed after the last page
    again = client.sql("SELECT id FROM paged", page_size=4)
    assert isinstance(client.request(w.SqlCursorClose, cursor_id=again.cursor_id),
                      w.EmptyResponse)
    small = client.sql("SELECT id FROM paged", page_size=100)
    assert small.cursor_id is None and not small.has_more_pages and len(small.rows) == 10
    meta = client.request(w.SqlQueryMeta, statement="SELECT id, id * 2 AS twice FROM paged")
    assert [(c.name, c.type) for c in meta.columns] == [("ID", w.ColumnType.INT32),
                                                       ("TWICE", w.ColumnType.INT32)]
    script = client.request(w.SqlExecScript, script="START TRANSACTION; INSERT INTO paged "
                            "VALUES (100); INSERT INTO paged VALUES (101); COMMIT;")
    assert isinstance(script, w.EmptyResponse)
    assert client.sql("SELECT count(*) FROM paged").rows == [(12,)]
    client.close()


def test_cancel_stops_a_running_statement(mock):
    client = RawClient(mock.port, timeout=30)
    slow = w.SqlExec(request_id=50, statement="SELECT count(*) FROM range(100000000000) a")
    client.sock.sendall(client.codec.send(slow))
    time.sleep(0.5)
    client.sock.sendall(client.codec.send(w.OperationCancel(request_id=51, target_id=50)))
    started = time.monotonic()
    answers = {a.request_id: a for a in (client.receive(), client.receive())}
    assert time.monotonic() - started < 20
    assert isinstance(answers[51], w.EmptyResponse)
    assert answers[50].error.code == w.ErrorCode.EXECUTION_CANCELLED
    client.close()


def test_a_client_leaving_mid_statement_is_cleaned_up(mock, bystander):
    client = RawClient(mock.port)
    client.sock.sendall(client.codec.send(w.SqlExec(
        request_id=1, statement="SELECT count(*) FROM range(100000000000) a")))
    time.sleep(0.3)
    client.close()
    started = time.monotonic()
    still_served(bystander, 20)
    assert time.monotonic() - started < 10


def worker(port: int, n: int) -> list:
    client = RawClient(port, timeout=30)
    table = f"conc_{n}"
    client.sql(f"CREATE TABLE {table} (id INT PRIMARY KEY, owner INT)")
    tx = client.request(w.TxBegin).tx_id
    client.request(w.SqlExecBatch, tx_id=tx, statement=f"INSERT INTO {table} VALUES (?, ?)",
                   rows=[[i, n] for i in range(200)])
    client.sql("INSERT INTO shared VALUES (?, ?)", [n, n], tx_id=tx)
    client.request(w.TxCommit, tx_id=tx)
    rows = client.sql(f"SELECT DISTINCT owner, count(*) FROM {table} GROUP BY owner",
                      page_size=5).rows
    client.close()
    return rows


def test_many_concurrent_clients(mock):
    setup = RawClient(mock.port)
    setup.sql("CREATE TABLE shared (id INT PRIMARY KEY, v INT)")
    setup.close()
    with concurrent.futures.ThreadPoolExecutor(24) as pool:
        results = list(pool.map(worker, [mock.port] * 48, range(48)))
    assert results == [[(n, 200)] for n in range(48)]
    check = RawClient(mock.port)
    assert check.sql("SELECT count(*), sum(v) FROM shared").rows == [(48, sum(range(48)))]
    check.close()
