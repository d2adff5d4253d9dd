"""TCP transport of the VoltDB driver: the only module that does I/O.

One socket per connection, optionally TLS, around the sans-I/O codec
(:class:`~dbapi_conformance.drivers.wire.voltdb.VoltConnection`, ``Side.CLIENT``):

- Hosts are tried in the order given (failover, protocols/voltdb.md 2): the first one that
  accepts the TCP connection and the login is used; when all fail, OperationalError names
  each host and its error. A login refused for the credentials (a wrong password, TLS
  required, voltdb.md 2.2) stops at once: the next host would only repeat the refusal; a
  node that is full or rejoining makes way for the next host.
- Every wait has a deadline (``timeout`` seconds): connecting, the login, and each call.
- Calls carry unique client handles counted up from 1 (voltdb.md 3.5). Responses are
  matched by handle, so they may come back in any order; a response whose handle no call
  is waiting for (the late answer of a call that timed out) or a reserved handle (server
  pushes, pings) is discarded, never taken for another call's answer.
- :meth:`Transport.call_many` keeps up to :data:`PIPELINE_WINDOW` invocations in flight
  on the socket at once (voltdb.md 1.1: one connection carries many requests).
"""

from __future__ import annotations

import itertools
import socket
import ssl
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dbapi_conformance.drivers._dbapi.exceptions import (
    InterfaceError,
    OperationalError,
)
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side
from dbapi_conformance.drivers.wire.voltdb import (
    DEFAULT_PORT,
    LOGIN_STATUS_TEXT,
    ClientResponse,
    Invocation,
    Login,
    LoginResponse,
    LoginStatus,
    RemoteProtocolError,
    VoltConnection,
)

__all__ = ["Host", "Transport", "parse_hosts", "PIPELINE_WINDOW", "RESERVED_HANDLES"]

#: Invocations :meth:`Transport.call_many` keeps in flight on one socket.
PIPELINE_WINDOW = 128
#: Handles at or above this are reserved (pings, server pushes; voltdb.md 3.5).
RESERVED_HANDLES = 2 ** 63 - 1 - 64
_RECV_SIZE = 256 * 1024
#: Login refusals about the node rather than the credentials: the next host may accept.
_NODE_STATUSES = frozenset({LoginStatus.MAX_CONNECTIONS_LIMIT_ERROR,
                            LoginStatus.WIRE_PROTOCOL_TIMEOUT_ERROR,
                            LoginStatus.AUTHENTICATION_FAILURE_DUE_TO_REJOIN})


@dataclass(frozen=True)
class Host:
    """One server address."""

    host: str
    port: int = DEFAULT_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _parse_host(item: object, port: int) -> Host:
    if isinstance(item, Host):
        return item
    if isinstance(item, tuple) and len(item) == 2:
        host, p = item
        return Host(str(host), _port(p))
    if not isinstance(item, str) or not item.strip():
        raise InterfaceError(f"a host must be 'name', 'name:port' or (name, port), not {item!r}")
    text = item.strip()
    if text.startswith("["):  # [IPv6]:port
        close = text.find("]")
        if close < 0:
            raise InterfaceError(f"unterminated IPv6 address in {text!r}")
        name, rest = text[1:close], text[close + 1:]
        if rest:
            if not rest.startswith(":"):
                raise InterfaceError(f"unreadable host {text!r}")
            port = _port(rest[1:])
        return Host(name, port)
    if text.count(":") == 1:
        name, p = text.split(":")
        return Host(name, _port(p))
    return Host(text, port)


def _port(value: object) -> int:
    try:
        port = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise InterfaceError(f"port must be an int 1..65535, not {value!r}") from None
    if isinstance(value, bool) or not 0 < port < 65536:
        raise InterfaceError(f"port must be an int 1..65535, not {value!r}")
    return port


def parse_hosts(host: str | Iterable[object] | None, port: int = DEFAULT_PORT) -> list[Host]:
    """Hosts in failover order from ``"name"``, ``"name:port"``, a comma-separated string
    of those, ``(name, port)`` pairs or a list of any of them; ``port`` is the default.
    InterfaceError for an empty or malformed list."""
    port = _port(port)
    if host is None:
        host = "localhost"
    items: list[object]
    if isinstance(host, str):
        items = [h for h in host.split(",") if h.strip()]
    else:
        try:
            items = list(host)
        except TypeError:
            raise InterfaceError(f"host must be a str or a list of hosts, not {host!r}") from None
    if not items:
        raise InterfaceError("no host given")
    return list(dict.fromkeys(_parse_host(item, port) for item in items))


class Transport:
    """A logged-in connection to one VoltDB node.

    Made by :meth:`open`; ``host`` is the node it reached, ``login`` its
    :class:`LoginResponse` (host id, connection id, build string). Raises
    OperationalError for network failures and timeouts, InterfaceError for frames the
    codec cannot read (the socket is then closed).
    """

    def __init__(self, sock: socket.socket, host: Host, timeout: float):
        self._sock = sock
        self.host = host
        self.timeout = timeout
        self._codec = VoltConnection(Side.CLIENT)
        self._handles = itertools.count(1)
        self._pending: set[int] = set()
        self._ready: dict[int, ClientResponse] = {}
        self.login: LoginResponse | None = None
        self.closed = False
        #: Responses dropped because no call waited for them (stale or reserved handles).
        self.discarded = 0

    # --- opening -------------------------------------------------------------------------

    @classmethod
    def open(cls, hosts: Sequence[Host], login: Login, *, timeout: float,
             ssl_context: ssl.SSLContext | None = None) -> Transport:
        """Connect and log in to the first host that accepts (in order)."""
        failures = []
        for host in hosts:
            try:
                return cls._open_one(host, login, timeout, ssl_context)
            except _LoginRefused as exc:
                if exc.status not in _NODE_STATUSES:
                    raise OperationalError(f"{host}: {exc}", code=exc.status) from None
                failures.append(f"{host}: {exc}")
            except OperationalError as exc:
                failures.append(f"{host}: {exc.message}")
        raise OperationalError("no VoltDB host could be reached: " + "; ".join(failures))

    @classmethod
    def _open_one(cls, host: Host, login: Login, timeout: float,
                  ssl_context: ssl.SSLContext | None) -> Transport:
        deadline = time.monotonic() + timeout
        try:
            sock = socket.create_connection((host.host, host.port), timeout=timeout)
        except OSError as exc:
            raise OperationalError(f"cannot connect: {exc}") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if ssl_context is not None:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                try:
                    sock = ssl_context.wrap_socket(sock, server_hostname=host.host)
                except (ssl.SSLError, ssl.CertificateError) as exc:
                    raise OperationalError(f"TLS handshake failed: {exc}") from None
                except TimeoutError:
                    raise OperationalError(f"TLS handshake timed out after {timeout} s") from None
                except OSError as exc:
                    raise OperationalError(f"TLS handshake failed: {exc}") from None
            transport = cls(sock, host, timeout)
            transport._login(login, deadline)
            return transport
        except BaseException:
            sock.close()
            raise

    def _login(self, login: Login, deadline: float) -> None:
        self._send(self._codec.send(login))
        event = self._next_event(deadline, "the login response")
        if not isinstance(event, LoginResponse):  # pragma: no cover - the codec's first event
            raise InterfaceError(f"expected a login response, got {type(event).__name__}")
        if event.status != LoginStatus.SUCCESS:
            text = LOGIN_STATUS_TEXT.get(event.status, f"login refused with status "
                                                       f"{event.status}")
            raise _LoginRefused(text, event.status)
        self.login = event

    # --- calls ---------------------------------------------------------------------------

    def call(self, procedure: str, parameters: Sequence[object]) -> ClientResponse:
        """One invocation and its response (voltdb.md 3, 4)."""
        return self.call_many([(procedure, parameters)])[0]

    def call_many(self, calls: Sequence[tuple[str, Sequence[object]]],
                  window: int = PIPELINE_WINDOW) -> list[ClientResponse]:
        """Invoke each ``(procedure, parameters)``, up to ``window`` in flight at once, and
        return their responses in call order. Each invocation is encoded before anything
        is sent (EncodeError from the codec, nothing sent). OperationalError when a
        response does not arrive within ``timeout`` seconds of the last progress."""
        self._check()
        frames = []
        handles = []
        for procedure, parameters in calls:
            handle = next(self._handles)
            frames.append(self._codec.send(Invocation(procedure, handle, tuple(parameters))))
            handles.append(handle)
        out: list[ClientResponse] = []
        sent = 0
        try:
            while len(out) < len(frames):
                done = len(out)
                if sent < len(frames) and sent - done < window:
                    end = min(len(frames), done + window)
                    self._send(b"".join(frames[sent:end]))
                    self._pending.update(handles[sent:end])
                    sent = end
                out.append(self._wait_for(handles[done], time.monotonic() + self.timeout))
                while len(out) < sent and handles[len(out)] in self._ready:
                    h = handles[len(out)]
                    self._pending.discard(h)
                    out.append(self._ready.pop(h))
        finally:
            # Calls sent and not answered are abandoned: their late answers are discarded.
            for h in handles[len(out):sent]:
                self._pending.discard(h)
                self._ready.pop(h, None)
        return out

    def _wait_for(self, handle: int, deadline: float) -> ClientResponse:
        while handle not in self._ready:
            event = self._next_event(deadline, f"the response to call {handle}")
            if not isinstance(event, ClientResponse):  # pragma: no cover - codec order
                raise InterfaceError(f"unexpected {type(event).__name__} after the login")
            h = event.client_handle
            if h in self._pending:
                self._ready[h] = event
            else:
                self.discarded += 1
        self._pending.discard(handle)
        return self._ready.pop(handle)

    # --- socket --------------------------------------------------------------------------

    def _check(self) -> None:
        if self.closed:
            raise OperationalError(f"the connection to {self.host} is closed")

    def _fail(self, message: str, cls: type = OperationalError) -> Exception:
        self.close()
        return cls(f"{self.host}: {message}")

    def _send(self, data: bytes) -> None:
        self._check()
        try:
            self._sock.settimeout(self.timeout)
            self._sock.sendall(data)
        except TimeoutError:
            raise self._fail(f"sending timed out after {self.timeout} s") from None
        except OSError as exc:
            raise self._fail(f"connection lost while sending: {exc}") from None

    def _next_event(self, deadline: float, what: str):
        while True:
            try:
                event = self._codec.next_event()
            except RemoteProtocolError as exc:
                raise self._fail(f"unreadable frame from the server: {exc}",
                                 InterfaceError) from None
            if event is not NEED_DATA:
                return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OperationalError(f"{self.host}: no answer within {self.timeout} s "
                                       f"while waiting for {what}")
            try:
                # the socket's timeout is the wait (one poll + recv; TLS reads what it
                # has buffered first)
                self._sock.settimeout(max(remaining, 0.001))
                data = self._sock.recv(_RECV_SIZE)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            except OSError as exc:
                raise self._fail(f"connection lost while waiting for {what}: {exc}") from None
            if not data:
                raise self._fail(f"the server closed the connection while waiting for {what}")
            self._codec.receive_data(data)

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if not self.closed:
            self.closed = True
            self._pending.clear()
            self._ready.clear()
            try:
                self._sock.close()
            except OSError:  # pragma: no cover - closing never matters
                pass


class _LoginRefused(Exception):
    def __init__(self, text: str, status: int):
        super().__init__(text)
        self.status = status
