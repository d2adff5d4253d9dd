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

import http.client
import json
import os
import socket
import subprocess
import sys
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
    "SELECT " + " + ".join(["1"] * 20000),
    "SELECT 1 FROM sys.summits WHERE " + " OR ".join(["height = 1"] * 12000),
])
def test_too_deep_expressions_get_crate_error(server, stmt):
    resp, data = _post(server.url, {"stmt": stmt})
    assert resp.status == 400
    assert json.loads(data) == {"error": {"message": TOO_LARGE, "code": 4000}}
    assert _select_one(server.url) == [[1]]


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


def _raw_request(url, head: bytes, body: bytes = b"") -> bytes:
    s = _raw(url)
    try:
        s.sendall(head + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        return _read_until_closed(s)
    finally:
        s.close()


# --- slow and malformed requests -------------------------------------------------------------


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
