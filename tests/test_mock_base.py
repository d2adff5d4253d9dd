"""The shared mock-server base (mockservers/base.py): life cycle, readiness, stop, errors at
start-up, bounded waits, the asyncio-streams base, and the generic ``dbapi-mock`` command."""

from __future__ import annotations

import argparse
import asyncio
import socket
import struct
import threading
import time

import pytest

from dbapi_conformance.harness.databases import DATABASES, DatabaseProfile
from dbapi_conformance.mockservers import __main__ as command
from dbapi_conformance.mockservers.base import (
    BaseMockServer,
    MockServerAPI,
    StreamMockServer,
    UsageError,
    command_line,
    format_url,
    load_mock_class,
    parse_ready_line,
    ready_line,
)


class EchoMock(StreamMockServer):
    """A toy framed protocol (4-byte big-endian length + payload, echoed back), shaped like
    the Ignite and VoltDB mocks: prepare/release around one task per connection."""

    summary = "length-prefixed echo"
    default_port = 7000
    version = "1.0"

    def __init__(self, host="127.0.0.1", port=0, *, greeting=b"", **kwargs):
        super().__init__(host, port, **kwargs)
        self.greeting = greeting
        self.prepared = self.released = 0
        self.open_connections = 0

    @classmethod
    def add_arguments(cls, parser, default_port=None):
        super().add_arguments(parser, default_port)
        parser.add_argument("--greeting", default="")

    @classmethod
    def from_args(cls, args):
        if args.greeting == "bad":
            raise UsageError("--greeting may not be 'bad'")
        return cls(args.host, args.port, greeting=args.greeting.encode())

    async def prepare(self):
        self.prepared += 1

    async def release(self):
        self.released += 1

    async def handle_connection(self, reader, writer):
        self.open_connections += 1
        try:
            if self.greeting:
                writer.write(self.greeting)
            while True:
                (length,) = struct.unpack(">i", await self.read_exactly(reader, 4))
                payload = await self.read_exactly(reader, length)
                writer.write(struct.pack(">i", length) + payload)
                await writer.drain()
        finally:
            self.open_connections -= 1


def _echo(url: str, payload: bytes, timeout: float = 5.0) -> bytes:
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(struct.pack(">i", len(payload)) + payload)
        return _recv(sock, 4 + len(payload))[4:]


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_thread_mode_start_url_stop_and_restart():
    server = EchoMock()
    with pytest.raises(RuntimeError, match="not started"):
        server.url
    assert server.start() is server
    assert server.start() is server  # a no-op when running
    try:
        assert server.url.startswith("tcp://127.0.0.1:")
        assert server.address[1] not in (0, 7000)
        assert _echo(server.url, b"hello") == b"hello"
        assert server.prepared == 1
    finally:
        server.stop()
    server.stop()  # idempotent
    assert server.released == 1
    with pytest.raises(RuntimeError):
        server.url
    with server:  # the same object starts again, on a new port maybe
        assert _echo(server.url, b"again") == b"again"
    assert (server.prepared, server.released) == (2, 2)


def test_start_error_is_raised_in_the_callers_thread():
    with EchoMock() as first:
        port = first.address[1]
        second = EchoMock(port=port)
        with pytest.raises(OSError):
            second.start()
        assert second.released == 1  # close() ran after the failed listen
        with pytest.raises(RuntimeError):
            second.url
        assert _echo(first.url, b"still here") == b"still here"


class SlowListen(BaseMockServer):
    def __init__(self, delay, **kwargs):
        super().__init__(**kwargs)
        self.delay = delay
        self.closed = 0

    async def listen(self):
        await asyncio.sleep(self.delay)
        return ("127.0.0.1", 1)

    async def close(self):
        self.closed += 1


def test_start_waits_are_bounded():
    server = SlowListen(30, startup_timeout=0.3, stop_timeout=5)
    began = time.monotonic()
    with pytest.raises(TimeoutError, match="did not listen within 0.3 s"):
        server.start()
    assert time.monotonic() - began < 5
    assert server.closed == 1  # the half-started server was closed
    assert not [t for t in threading.enumerate() if t.name == "SlowListen-loop"]


def test_serve_forever_in_the_callers_loop_and_request_stop():
    server = EchoMock()
    urls = []

    async def main():
        task = asyncio.create_task(server.serve_forever(ready=urls.append))
        while not urls:
            await asyncio.sleep(0.01)
        reply = await asyncio.get_running_loop().run_in_executor(None, _echo, urls[0], b"x")
        with pytest.raises(RuntimeError, match="already running"):
            await server.serve_forever()
        server.request_stop()
        await asyncio.wait_for(task, 5)
        return reply

    assert asyncio.run(asyncio.wait_for(main(), 20)) == b"x"
    assert server.released == 1


def test_request_stop_before_the_loop_runs_is_not_lost():
    server = EchoMock()
    server.request_stop()  # e.g. start() timed out before the thread's loop ran
    urls = []
    asyncio.run(asyncio.wait_for(server.serve_forever(ready=urls.append), 5))
    assert urls == [] and server.released == 1  # returned without serving
    with server:  # the request was used up
        assert _echo(server.url, b"ok") == b"ok"


def test_stop_ends_open_connections_and_idle_timeout_ends_stalled_ones():
    server = EchoMock(idle_timeout=0.3).start()
    try:
        host, port = server.address
        stalled = socket.create_connection((host, port), timeout=5)
        stalled.sendall(b"\x00\x00")  # half a length prefix, then nothing
        assert stalled.recv(1) == b""  # the server closed it after idle_timeout
        stalled.close()
        idle = socket.create_connection((host, port), timeout=5)
        idle.sendall(struct.pack(">i", 1) + b"a")
        assert _recv(idle, 5) == struct.pack(">i", 1) + b"a"
    finally:
        server.stop()
    assert idle.recv(1) == b""  # stop() closed the open connection
    idle.close()
    assert server.open_connections == 0


def test_scheme_url_and_ready_line_helpers():
    assert format_url("ws", "::1", 8563) == "ws://[::1]:8563"
    assert format_url("http", "127.0.0.1", 4200) == "http://127.0.0.1:4200"
    line = ready_line("ignite", "tcp://127.0.0.1:10800")
    assert line == "ignite listening on tcp://127.0.0.1:10800"
    assert parse_ready_line("ignite", line + "\n") == "tcp://127.0.0.1:10800"
    assert parse_ready_line("voltdb", line) is None
    assert parse_ready_line("ignite", "ignite listening on \n") is None
    argv = command_line("voltdb", "127.0.0.1", 0, python="py")
    assert argv == ["py", "-m", "dbapi_conformance.mockservers", "voltdb", "--host",
                    "127.0.0.1", "--port", "0"]


def test_every_registered_mock_follows_the_protocol():
    registered = [db for db in DATABASES.values() if db.mock is not None]
    assert registered, "no database of the registry has a mock"
    for db in registered:
        cls = load_mock_class(db.mock)
        assert issubclass(cls, BaseMockServer)
        assert cls.summary and cls.version
        assert cls.default_port == db.default_port, db.slug
        with cls(host="127.0.0.1", port=0) as server:  # url is only there once listening
            assert isinstance(server, MockServerAPI)
    with EchoMock() as server:
        assert isinstance(server, MockServerAPI)
    assert not isinstance(object(), MockServerAPI)


# --- dbapi-mock, database by database from the registry ---------------------------------------


def test_subcommands_come_from_the_registry(monkeypatch):
    parser = command.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(sub.choices) == sorted(db.slug for db in DATABASES.values() if db.mock)

    fake = {
        "echo": DatabaseProfile(slug="echo", product="Echo", default_port=7777,
                                mock=f"{__name__}:EchoMock"),
        "gone": DatabaseProfile(slug="gone", product="Gone", default_port=1,
                                mock="dbapi_conformance.mockservers.nosuchdb:Mock"),
        "none": DatabaseProfile(slug="none", product="None", default_port=2),
    }
    monkeypatch.setattr(command, "DATABASES", fake)
    monkeypatch.setattr(command, "load_mock_class",
                        lambda spec: EchoMock if spec.endswith(":EchoMock")
                        else load_mock_class(spec))
    args = command.build_parser().parse_args(["echo", "--greeting", "hi"])
    assert (args.server, args.host, args.port, args.greeting) == ("echo", "127.0.0.1", 7777, "hi")
    server = args.mock_class.from_args(args)
    assert (type(server), server.port, server.greeting) == (EchoMock, 7777, b"hi")
    with pytest.raises(SystemExit):
        command.build_parser().parse_args(["none"])


def test_usage_errors_and_unavailable_mocks(monkeypatch, capsys):
    assert command.main(["cratedb", "--port", "0", "--password", "pw"]) == 2
    assert capsys.readouterr().err == "dbapi-mock: --password needs a --user before it\n"
    assert command.main(["cratedb", "--port", "0", "--tls-cert", "c.pem"]) == 2
    assert capsys.readouterr().err == "dbapi-mock: --tls-cert and --tls-key go together\n"
    assert command.main(["cratedb", "--port", "0", "--tls-cert", "/no/c.pem",
                         "--tls-key", "/no/k.pem"]) == 2
    assert capsys.readouterr().err == "dbapi-mock: --tls-cert /no/c.pem: no such file\n"
    assert command.main(["cratedb", "--port", "0", "--user", "bob"]) == 2
    assert capsys.readouterr().err.startswith("dbapi-mock: --user bob needs a password")
    fake = {"gone": DatabaseProfile(slug="gone", product="Gone", default_port=1,
                                    mock="dbapi_conformance.mockservers.nosuchdb:Mock")}
    monkeypatch.setattr(command, "DATABASES", fake)
    assert command.main(["gone"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("dbapi-mock: cannot start gone: cannot import "
                          "dbapi_conformance.mockservers.nosuchdb:Mock")


def test_stop_with_open_connections_logs_no_error(caplog):
    # asyncio's stream callback (Python 3.11) logs a connection task that ends cancelled as
    # "Exception in callback"; stop() cancels every open connection's task
    server = EchoMock().start()
    clients = [socket.create_connection(server.address, timeout=5) for _ in range(3)]
    for sock in clients:
        sock.sendall(struct.pack(">i", 1) + b"a")
        assert _recv(sock, 5) == struct.pack(">i", 1) + b"a"
    with caplog.at_level("DEBUG", logger="asyncio"):
        server.stop()
    for sock in clients:
        assert sock.recv(1) == b""
        sock.close()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
