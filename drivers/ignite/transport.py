"""Socket transport of the Ignite 3 driver: the only module that does I/O.

One :class:`Channel` is one TCP (or TLS) connection to one node, wrapped around the
sans-I/O codec (:class:`~dbapi_conformance.drivers.wire.ignite.Connection`, client side).
:func:`open_channel` tries the addresses in the order given, each once, and returns the
first channel whose handshake succeeds (failover, protocols/ignite3.md 10.1); when every
address fails it raises OperationalError naming each address and its error.

Every wait has a timeout: connecting, the TLS handshake, each send and each receive use
the ``timeout`` seconds given. A request is answered by the response with its request id;
the codec refuses any other id. After a timeout or any network or protocol error the
channel is closed (``broken``): a half-read stream cannot be trusted again.

Heartbeats (ignite3.md 5.9): when the server announces an idle timeout, a daemon thread
sends HEARTBEAT whenever the channel has been idle for a third of it.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from dbapi_conformance.drivers._dbapi.exceptions import (
    DataError,
    InterfaceError,
    OperationalError,
)
from dbapi_conformance.drivers.ignite.errors import from_error_info
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side
from dbapi_conformance.drivers.wire.ignite import (
    DEFAULT_PORT,
    Connection,
    EncodeError,
    ErrorResponse,
    Handshake,
    HandshakeError,
    HandshakeResponse,
    Heartbeat,
    Request,
    Response,
    ResponseError,
)

__all__ = ["Address", "Channel", "SslOptions", "parse_addresses", "open_channel",
           "CLIENT_CODE", "FEATURES"]

#: Client code in the handshake (ignite3.md 2.1: the server only stores it; 2 = Java).
CLIENT_CODE = 2
#: Feature bitmask: none (ignite3.md 2.1: never advertise what we do not implement).
FEATURES = b""
_RECV_SIZE = 65536
_ADDRESS = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>\d+))?$")


@dataclass(frozen=True)
class Address:
    """One node address: ``host`` and TCP ``port``."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class SslOptions:
    """TLS settings (ignite3.md 9): PEM file paths; ``check_hostname`` verifies the
    server's name against its certificate (pyignite_dbapi never does)."""

    keyfile: str | None = None
    certfile: str | None = None
    ca_certfile: str | None = None
    check_hostname: bool = True

    def context(self) -> ssl.SSLContext:
        """An SSLContext verifying the server (CA file, else the system's defaults);
        InterfaceError for unreadable files."""
        try:
            ctx = ssl.create_default_context(cafile=self.ca_certfile)
            ctx.check_hostname = self.check_hostname
            if self.certfile:
                ctx.load_cert_chain(self.certfile, self.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise InterfaceError(f"cannot load the TLS files: {exc}") from None
        return ctx


def parse_addresses(address: Any) -> list[Address]:
    """``address``: a ``"host[:port]"`` string or a sequence of them (IPv6 as ``[::1]:port``;
    the port defaults to 10800). InterfaceError for an empty list or a malformed entry."""
    if isinstance(address, str):
        items = [address]
    elif isinstance(address, (list, tuple)):
        items = list(address)
    else:
        raise InterfaceError("address must be a 'host[:port]' string or a list of them, not "
                             f"{type(address).__name__}")
    if not items:
        raise InterfaceError("No addresses provided to connect")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise InterfaceError(f"an address must be a str, not {type(item).__name__}")
        m = _ADDRESS.match(item.strip())
        port = int(m.group("port")) if m and m.group("port") else DEFAULT_PORT
        if m is None or not 0 < port < 65536:
            raise InterfaceError(f"malformed address {item!r}: expected 'host[:port]'")
        out.append(Address(m.group("v6") or m.group("host"), port))
    return out


class Channel:
    """One handshaken connection to one node.

    ``request(event)`` sends a request and returns its response (an ErrorResponse is
    raised as its PEP 249 class); OperationalError for network failures and timeouts,
    InterfaceError for answers that break the protocol; both close the channel.
    ``handshake``: the server's :class:`HandshakeResponse`; ``address``: the node.
    Thread-safe: one request at a time (a lock).
    """

    def __init__(self, sock: socket.socket, address: Address, timeout: float) -> None:
        self._sock = sock
        self.address = address
        self.timeout = timeout
        self._codec = Connection(Side.CLIENT)
        self._lock = threading.RLock()
        self._next_id = 0
        self.observable_timestamp = 0
        self.broken = False
        self.closed = False
        self.handshake: HandshakeResponse | None = None
        self.last_used = time.monotonic()

    # --- the handshake -----------------------------------------------------------------

    def do_handshake(self, extensions: dict[str, str]) -> HandshakeResponse:
        """Send the handshake and read the answer (ignite3.md 2). OperationalError when
        the server refuses it (bad credentials and the like) or does not answer."""
        self._send(self._codec.send(Handshake(client_code=CLIENT_CODE, features=FEATURES,
                                              extensions=extensions)))
        event = self._receive()
        if isinstance(event, HandshakeError):
            self.close()
            raise OperationalError(
                f"{self.address}: Server rejected handshake with error: {event.error.text}",
                code=event.error.code)
        if not isinstance(event, HandshakeResponse):
            self._fail(InterfaceError(f"{self.address}: unexpected handshake answer "
                                      f"{type(event).__name__}"))
        if tuple(event.version) != (3, 0, 0):
            self._fail(OperationalError(f"{self.address}: unsupported server protocol "
                                        f"version {event.version}"))
        self.handshake = event
        self.observable_timestamp = max(self.observable_timestamp, event.observable_timestamp)
        return event

    # --- requests ----------------------------------------------------------------------

    def new_id(self) -> int:
        with self._lock:
            rid = self._next_id
            self._next_id += 1
            return rid

    def request(self, build) -> Response:
        """``build(request_id, observable_timestamp)`` -> a Request; send it, wait for its
        response and return it. Server errors raise their PEP 249 class (the channel
        stays usable); a value or message with no wire form raises DataError before
        anything is sent."""
        with self._lock:
            if self.closed:
                raise OperationalError(f"{self.address}: the connection to the node is closed")
            event: Request = build(self.new_id(), self.observable_timestamp)
            try:
                data = self._codec.send(event)
            except EncodeError as exc:  # nothing was sent: the channel stays usable
                raise DataError(f"the request cannot be sent: {exc}") from None
            self._send(data)
            response = self._receive()
            self.last_used = time.monotonic()
            if not isinstance(response, Response) or response.request_id != event.request_id:
                self._fail(InterfaceError(f"{self.address}: answer {response!r:.80} to "
                                          f"request {event.request_id}"))
            self.observable_timestamp = max(self.observable_timestamp,
                                            response.observable_timestamp)
            if isinstance(response, ErrorResponse):
                raise from_error_info(response.error)
            return response

    def heartbeat(self) -> None:
        """Send HEARTBEAT (op 1) if no other request is running; errors close the channel
        (the next request reports them)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if not self.closed:
                self.request(lambda rid, ts: Heartbeat(request_id=rid))
        except Exception:  # a failed heartbeat leaves a broken channel behind
            pass
        finally:
            self._lock.release()

    # --- bytes -------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except socket.timeout:
            self._fail(OperationalError(f"{self.address}: sending timed out after "
                                        f"{self.timeout:g} s"))
        except OSError as exc:
            self._fail(OperationalError(f"{self.address}: cannot send: {exc}"))

    def _receive(self) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                event = self._codec.next_event()
            except (ResponseError, EncodeError) as exc:
                self._fail(InterfaceError(f"{self.address}: unreadable answer: {exc}"))
            if event is not NEED_DATA:
                return event
            left = deadline - time.monotonic()
            if left <= 0:
                self._fail(OperationalError(f"{self.address}: no answer within "
                                            f"{self.timeout:g} s"))
            try:
                self._sock.settimeout(left)
                data = self._sock.recv(_RECV_SIZE)
            except socket.timeout:
                self._fail(OperationalError(f"{self.address}: no answer within "
                                            f"{self.timeout:g} s"))
            except OSError as exc:
                self._fail(OperationalError(f"{self.address}: cannot receive: {exc}"))
            if not data:
                self._fail(OperationalError(f"{self.address}: the server closed the "
                                            "connection"))
            self._codec.receive_data(data)

    def _fail(self, exc: Exception):
        self.broken = True
        self.close()
        raise exc

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if self.closed:
            return
        self.closed = True
        try:
            self._sock.close()
        except OSError:
            pass


def _connect_socket(address: Address, timeout: float, tls: ssl.SSLContext | None
                    ) -> socket.socket:
    sock = socket.create_connection((address.host, address.port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls is not None:
            sock = tls.wrap_socket(sock, server_hostname=address.host)
        sock.settimeout(timeout)
        return sock
    except BaseException:
        sock.close()
        raise


def open_channel(addresses: list[Address], *, timeout: float, extensions: dict[str, str],
                 tls: ssl.SSLContext | None = None, heartbeat: bool = True) -> Channel:
    """The first address, in order, that connects and completes the handshake.

    Raises OperationalError listing every address tried and why it failed. A handshake
    refusal by the server (authentication) is raised at once: the other nodes of the
    cluster would refuse it alike.
    """
    problems = []
    for address in addresses:
        try:
            sock = _connect_socket(address, timeout, tls)
        except socket.timeout:
            problems.append(f"{address}: connecting timed out after {timeout:g} s")
            continue
        except ssl.SSLError as exc:
            problems.append(f"{address}: TLS handshake failed: {exc}")
            continue
        except OSError as exc:
            problems.append(f"{address}: {exc.strerror or exc}")
            continue
        channel = Channel(sock, address, timeout)
        try:
            hs = channel.do_handshake(extensions)
        except OperationalError as exc:
            if not channel.broken:  # the server answered: a refusal, not a dead node
                raise OperationalError(f"Failed to establish connection with the cluster: "
                                       f"{exc.message}", code=exc.code) from None
            problems.append(exc.message)
            continue
        except InterfaceError as exc:
            problems.append(exc.message)
            continue
        if heartbeat and hs.idle_timeout > 0:
            _start_heartbeats(channel, hs.idle_timeout / 1000 / 3)
        return channel
    raise OperationalError("Failed to establish connection with the cluster: "
                           + "; ".join(problems))


def _start_heartbeats(channel: Channel, interval: float) -> None:
    ref = weakref.ref(channel)
    interval = max(interval, 0.05)

    def beat() -> None:
        while True:
            time.sleep(interval)
            ch = ref()
            if ch is None or ch.closed:
                return
            if time.monotonic() - ch.last_used >= interval:
                ch.heartbeat()
            del ch

    threading.Thread(target=beat, name=f"ignite-heartbeat-{os.getpid()}", daemon=True).start()
