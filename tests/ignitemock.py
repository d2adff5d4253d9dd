"""Helpers of the Ignite mock tests: ``dbapi-mock ignite`` in its own process (the official
client never releases the GIL, so the mock cannot run on a thread of the test process),
and a raw-socket client on the project's codec for what the official client cannot send."""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import time

from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side
from dbapi_conformance.mockservers.base import command_line, parse_ready_line

START_TIMEOUT = 60.0


class MockProcess:
    """A running ``dbapi-mock ignite``: ``host``, ``port``, ``address`` ("host:port")."""

    def __init__(self, *args: str, env: dict | None = None) -> None:
        argv = command_line("ignite", port=0) + list(args)
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, **(env or {})})
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_TIMEOUT
        url = None
        try:
            while url is None and time.monotonic() < deadline:
                if sel.select(timeout=0.5):
                    line = self.proc.stdout.readline()
                    if not line:
                        _, err = self.proc.communicate(timeout=10)
                        raise AssertionError(f"dbapi-mock ignite exited: {err}")
                    url = parse_ready_line("ignite", line)
        finally:
            sel.close()
        if url is None:
            self.stop()
            raise AssertionError("dbapi-mock ignite did not print its ready line in time")
        self.url = url
        hostport = url.split("://", 1)[1]
        self.host, _, port = hostport.rpartition(":")
        self.port = int(port)
        self.address = f"{self.host}:{self.port}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> tuple[int, str]:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
        return self.proc.returncode, err


@contextlib.contextmanager
def running(*args: str, env: dict | None = None):
    """A MockProcess for the block; it must stop cleanly on SIGTERM (status 0)."""
    mock = MockProcess(*args, env=env)
    try:
        yield mock
    except BaseException:
        mock.stop()
        raise
    code, err = mock.stop()
    assert code == 0, f"dbapi-mock ignite ended with status {code}: {err[-2000:]}"


class RawClient:
    """A blocking client on the codec (every wait bounded by ``timeout`` seconds)."""

    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 10.0,
                 handshake: w.Handshake | None = None) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.codec = w.Connection(Side.CLIENT)
        self._next = 0
        self.sock.sendall(self.codec.send(handshake or w.Handshake(client_code=2)))
        self.hello = self.receive()

    def receive(self):
        while True:
            event = self.codec.next_event()
            if event is not NEED_DATA:
                return event
            data = self.sock.recv(65536)
            self.codec.receive_data(data)
            if not data:
                return self.codec.next_event()

    def request(self, cls, **fields):
        event = cls(request_id=self._next, **fields)
        self._next += 1
        self.sock.sendall(self.codec.send(event))
        return self.receive()

    def sql(self, statement: str, args=None, tx_id=None, page_size=None):
        return self.request(w.SqlExec, tx_id=tx_id, statement=statement, args=args,
                            properties=w.SqlProperties(page_size=page_size))

    def close(self) -> None:
        self.sock.close()


def closed_by_peer(sock: socket.socket, timeout: float = 10.0) -> bool:
    """True when the peer closes ``sock`` within ``timeout`` seconds (what it sent before
    is read and dropped)."""
    sock.settimeout(timeout)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True


__all__ = ["MockProcess", "running", "RawClient", "closed_by_peer", "sys"]
