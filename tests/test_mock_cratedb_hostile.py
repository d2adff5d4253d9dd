"""The CrateDB mock under hostile input: limits answered as CrateDB answers them, memory and
connections bounded, and every other client still served.

Sources: crate/crate ``SqlParser.invokeParser`` (a StackOverflowError while parsing becomes
``ParsingException[line 1:1: statement is too large (stack overflow while parsing)]``),
``SQLRequestParser.parseSource`` (the ``Can't parse [...]`` message), Netty's
``HttpContentDecompressor`` in front of ``HttpObjectAggregator`` (an inflated body over
``http.max_content_length`` is a 413), Netty's ``HttpObjectDecoder`` (header bytes read as
ISO-8859-1; a malformed request becomes ``GET /bad-request``, which CrateDB's static file
handler answers with a 404), ``HttpHandler.channelUnregistered`` (a closed connection closes
its session and so its running statement), ``CircuitBreakingException``.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import tracemalloc
from urllib.parse import urlsplit

import pytest

from dbapi_conformance.mockservers.base import command_line, parse_ready_line
from dbapi_conformance.mockservers.cratedb import MockServer

TOO_LARGE = "ParsingException[line 1:1: statement is too large (stack overflow while parsing)]"
SLOW = "SELECT count(*) FROM generate_series(1, 1000000000000)"


def _post(url, payload, *, headers=None, timeout=30, path="/_sql"):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        conn.request("POST", path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp, resp.read()
    finally:
        conn.close()


def _raw(url, timeout=10) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def _read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _select_one(url) -> list:
    resp, body = _post(url, {"stmt": "SELECT 1"}, timeout=10)
    assert resp.status == 200
    return json.loads(body)["rows"]


# --- work of departed clients ---------------------------------------------------------------


def test_statements_of_departed_clients_are_cancelled():
    """Six endless statements (more than the server has workers) whose clients time out and
    go: a new client's SELECT 1 is answered, and every departed session is closed."""
    from crate import client
    from crate.client.exceptions import ConnectionError as CrateConnectionError

    with MockServer(workers=4) as srv:
        def departing() -> None:
            cur = client.connect(srv.url, timeout=0.5).cursor()
            with pytest.raises(CrateConnectionError):
                cur.execute(SLOW)
            cur.connection.close()

        threads = [threading.Thread(target=departing) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        cur = client.connect(srv.url, timeout=10).cursor()
        cur.execute("SELECT 1")
        assert cur.fetchall() == [[1]]
        engine = srv._ctx.engine
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            sessions = [s for s in list(engine._sessions) if not s.closed]
            if len(sessions) <= 1:  # the client above
                break
            time.sleep(0.05)
        assert len(sessions) <= 1
        cur.execute("SELECT 2")
        assert cur.fetchall() == [[2]]


def test_queued_work_of_a_departed_client_never_writes():
    """One worker, two departing clients: the one running is interrupted, the one waiting for
    the worker is dropped; neither writes a row."""
    from crate import client
    from crate.client.exceptions import ConnectionError as CrateConnectionError

    with MockServer(workers=1) as srv:
        _post(srv.url, {"stmt": "CREATE TABLE dropped (n BIGINT)"})

        def departing(stmt: str) -> None:
            cur = client.connect(srv.url, timeout=0.5).cursor()
            with pytest.raises(CrateConnectionError):
                cur.execute(stmt)
            cur.connection.close()

        insert = "INSERT INTO dropped (n) " + SLOW
        threads = [threading.Thread(target=departing, args=(stmt,)) for stmt in (SLOW, insert)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        resp, data = _post(srv.url, {"stmt": "SELECT count(*) FROM dropped"}, timeout=10)
        assert json.loads(data)["rows"] == [[0]]


# --- statement length and expression depth --------------------------------------------------


def _vm_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for the RSS")
def test_ten_megabyte_statement_is_refused_with_bounded_memory():
    proc = subprocess.Popen(command_line("cratedb", port=0), stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = None
        for line in proc.stdout:
            url = parse_ready_line("cratedb", line)
            if url:
                break
        assert url, "the mock did not start"
        assert _select_one(url) == [[1]]
        before = _vm_kib(proc.pid, "VmHWM")
        stmt = "SELECT " + " + ".join(["1"] * 2_500_000)
        assert len(stmt) > 10_000_000
        resp, data = _post(url, {"stmt": stmt}, timeout=30)
        assert resp.status == 400
        assert json.loads(data) == {"error": {"message": TOO_LARGE, "code": 4000}}
        assert _select_one(url) == [[1]]
        grown_mb = (_vm_kib(proc.pid, "VmHWM") - before) / 1024
        assert grown_mb < 120, f"peak RSS grew by {grown_mb:.0f} MB"
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def server():
    with MockServer(body_timeout=1.0) as srv:
        yield srv


@pytest.mark.parametrize("stmt", [
    "SELECT " + "(" * 300 + "1" + ")" * 300,
    "SELECT " + "abs(" * 300 + "1" + ")" * 300,
    "SELECT " + "[" * 300 + "1" + "]" * 300,
    "SELECT " + " + ".join(["1"] * 5000),
    "SELECT 1 FROM sys.summits WHERE " + " OR ".join(["height = 1"] * 3000),
])
def test_too_deep_expressions_get_crate_error(server, stmt):
    resp, data = _post(server.url, {"stmt": stmt})
    assert resp.status == 400
    assert json.loads(data) == {"error": {"message": TOO_LARGE, "code": 4000}}
    assert _select_one(server.url) == [[1]]


def test_statement_length_limit_is_configurable():
    with MockServer(max_statement_length=1000) as srv:
        resp, data = _post(srv.url, {"stmt": "SELECT '" + "x" * 2000 + "'"})
        assert json.loads(data) == {"error": {"message": TOO_LARGE, "code": 4000}}
        resp, data = _post(srv.url, {"stmt": "SELECT '" + "x" * 900 + "'"})
        assert json.loads(data)["rows"] == [["x" * 900]]


def test_reasonable_nesting_still_works(server):
    resp, data = _post(server.url, {"stmt": "SELECT " + "(" * 20 + "1 + 1" + ")" * 20
                                    + ", " + " + ".join(["1"] * 300)})
    assert resp.status == 200
    assert json.loads(data)["rows"] == [[2, 300]]


# --- bodies: echo, gzip bombs, memory of concurrent requests ---------------------------------


def test_invalid_huge_body_is_not_echoed_whole(server):
    body = b'{"stmt": "' + b"x" * 2_000_000
    resp, data = _post(server.url, body)
    assert resp.status == 400
    error = json.loads(data)["error"]
    assert error["code"] == 4000
    assert error["message"].startswith("SQLParseException[Can't parse [{\"stmt\": \"xxxx")
    assert error["message"].endswith(
        "]. Expecting payload with `stmt` string and `args` or `bulk_args` arrays]")
    assert len(error["message"]) < 10_000
    assert _select_one(server.url) == [[1]]


def test_gzip_bomb_is_a_413_and_inflation_stops_at_the_limit():
    limit = 1 << 20
    bomb = gzip.compress(b'{"stmt": "SELECT ?", "args": ["' + b"0" * (20 << 20) + b'"]}')
    assert len(bomb) < 100_000
    with MockServer(max_content_length=limit) as srv:
        tracemalloc.start()
        try:
            resp, data = _post(srv.url, bomb, headers={"Content-Encoding": "gzip"})
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert resp.status == 413 and data == b""
        assert resp.getheader("Connection") == "close"
        assert peak < 8 * limit, f"{peak} bytes at the peak"
        small = gzip.compress(json.dumps({"stmt": "SELECT ?", "args": ["z" * 1000]}).encode())
        resp, data = _post(srv.url, small, headers={"Content-Encoding": "gzip"})
        assert json.loads(data)["rows"] == [["z" * 1000]]


def test_bodies_in_flight_are_bounded():
    """Three bodies of 0.9 MB held open at once against a 2 MB budget: the one that would
    exceed it gets CrateDB's circuit breaker error, the others their answers."""
    size = 900_000
    with MockServer(max_content_length=1 << 20, max_buffered_bytes=2_000_000) as srv:
        socks, bodies = [], []
        for i in range(3):
            body = json.dumps({"stmt": "SELECT length(?)", "args": [str(i) * size]}).encode()
            s = _raw(srv.url)
            s.sendall(b"POST /_sql HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                      % len(body) + body[:-1])
            socks.append(s)
            bodies.append(body)
        # the server trips once it has read the bytes of all three, which on a busy machine
        # can be after the sends return: wait for that answer before any body completes
        readable, _, _ = select.select(socks, [], [], 20)
        assert readable, "no body was refused while all three were held open"
        answers = []
        for s, body in zip(socks, bodies):
            try:
                s.sendall(body[-1:])
            except OSError:
                pass  # this one was answered already
            head, _, rest = s.recv(1 << 16).partition(b"\r\n\r\n")
            status = int(head.split()[1])
            length = int([h for h in head.split(b"\r\n")
                          if h.lower().startswith(b"content-length:")][0].split(b":")[1])
            while len(rest) < length:
                rest += s.recv(1 << 16)
            answers.append((status, json.loads(rest)))
            s.close()
        ok = [a for a in answers if a[0] == 200]
        tripped = [a for a in answers if a[0] != 200]
        assert [a[1]["rows"] for a in ok] == [[[size]]] * 2
        assert len(tripped) == 1
        status, payload = tripped[0]
        assert status == 500 and payload["error"]["code"] == 5000
        assert payload["error"]["message"].startswith("CircuitBreakingException[Allocating ")
        assert "Limit is 1.9mb" in payload["error"]["message"]
        assert _select_one(srv.url) == [[1]]


# --- every answer in CrateDB's shape ---------------------------------------------------------


def _nested(depth: int):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def test_deeply_nested_args_come_back(server):
    value = _nested(254)
    resp, data = _post(server.url, {"stmt": "SELECT ?", "args": [value]}, path="/_sql?types")
    assert resp.status == 200
    assert json.loads(data)["rows"] == [[value]]


def test_too_deeply_nested_args_get_cant_parse(server):
    resp, data = _post(server.url, {"stmt": "SELECT ?", "args": [_nested(600)]})
    assert resp.status == 400
    error = json.loads(data)["error"]
    assert error["code"] == 4000
    assert error["message"].startswith("SQLParseException[Can't parse [")
    assert _select_one(server.url) == [[1]]


def _raw_request(url, head: bytes, body: bytes = b"") -> bytes:
    s = _raw(url)
    try:
        s.sendall(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        return _read_until_closed(s)
    finally:
        s.close()


def test_non_ascii_authorization_bytes(server):
    # Netty reads header bytes as ISO-8859-1; Java's Base64 decoder names the signed byte
    answer = _raw_request(server.url, b"GET / HTTP/1.1\r\nHost: x\r\n"
                                      b"Authorization: Basic \xe9t\xe9\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500 ")
    assert body == b"Illegal base64 character -17"
    user = base64.b64encode("crate:\xe9".encode("latin-1"))
    answer = _raw_request(server.url, b"POST /_sql HTTP/1.1\r\nHost: x\r\n"
                                      b"Authorization: Basic " + user + b"\r\n",
                          b'{"stmt": "SELECT current_user"}')
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["rows"] == [["crate"]]


def test_default_schema_bytes_are_read_as_latin1(server):
    answer = _raw_request(server.url, b"POST /_sql HTTP/1.1\r\nHost: x\r\n"
                                      b"Default-Schema: sch\xff\xe9ma\r\n",
                          b'{"stmt": "SELECT current_schema"}')
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["rows"] == [["sch\xff\xe9ma"]]


# --- slow and malformed requests -------------------------------------------------------------


def test_dribbled_body_has_a_total_deadline():
    with MockServer(body_timeout=1.0) as srv:
        s = _raw(srv.url)
        try:
            s.sendall(b"POST /_sql HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            s.settimeout(0.25)
            closed = False
            give_up = time.monotonic() + 8
            while not closed and time.monotonic() < give_up:
                try:
                    s.sendall(b" ")
                    closed = s.recv(4096) == b""
                except socket.timeout:
                    continue
                except OSError:
                    closed = True
            assert closed, "the server kept a dribbling body open"
        finally:
            s.close()
        assert _select_one(srv.url) == [[1]]


def test_malformed_pipelined_request_keeps_the_answer_before_it(server):
    body = b'{"stmt": "SELECT 42"}'
    s = _raw(server.url)
    try:
        s.sendall(b"POST /_sql HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body + b"GARBAGE \x01\x02 NOT HTTP\r\n\r\n")
        data = _read_until_closed(s)
    finally:
        s.close()
    first, _, rest = data.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 200 ")
    length = int([h for h in first.split(b"\r\n")
                  if h.lower().startswith(b"content-length:")][0].split(b":")[1])
    assert json.loads(rest[:length])["rows"] == [[42]]
    second = rest[length:]
    head, _, text = second.partition(b"\r\n\r\n")
    assert b" 404 " in head.split(b"\r\n")[0]
    assert text == b"Requested file [bad-request] was not found"
    assert _select_one(server.url) == [[1]]


def test_nesting_depth_of_request_bodies_matches_the_parsed_value():
    """The text scan behind the body depth limit agrees with the depth of the parsed JSON,
    strings full of brackets, quotes and backslashes included."""
    import random

    from dbapi_conformance.drivers.wire import cratedb as wire

    def depth(v) -> int:
        if isinstance(v, (list, dict)):
            items = v.values() if isinstance(v, dict) else v
            return 1 + max([depth(x) for x in items] or [0])
        return 0

    pieces = ["[", "]", "{", "}", '"', "\\", "a", "\n", "é"]
    rnd = random.Random(7)

    def value(level: int):
        r = rnd.random()
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 6)))
        if level > 40 or r < 0.3:
            return text
        if r < 0.65:
            return [value(level + 1) for _ in range(rnd.randint(0, 3))]
        return {text + str(i): value(level + 1) for i in range(rnd.randint(0, 3))}

    for i in range(2000):
        payload = {"stmt": "SELECT ?", "args": [value(0)]}
        body = json.dumps(payload, ensure_ascii=i % 2 == 0).encode()
        d = depth(payload)
        assert not wire._nested_deeper(body, d)
        assert wire._nested_deeper(body, d - 1)
