"""The Exasol driver's only I/O: one WebSocket (``websockets.sync.client``) per connection.

What goes over it (protocols/exasol.md 1): one JSON object per message, strict
request/reply; text frames, or, once compression is on (after the login reply), binary
frames each holding one zlib stream. While a statement runs the server sends unsolicited
Pong frames every ``feedbackInterval`` seconds (1.2): a reply wait is given up only after
``timeout`` seconds in which *no frame at all* arrived, so a long statement on a live server
is not cut off, and a dead one is noticed within ``timeout``.

TLS (``wss://``, 1.3): verification against the system's CAs or ``ca_file``;
``verify=False`` turns certificate and host name checks off; ``fingerprint`` (SHA-256 of the
server's DER certificate, 64 hex digits, any case, ``:`` separators allowed) pins the
certificate instead of trusting a CA, as pyexasol's ``host/<fingerprint>`` DSNs do.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from dbapi_conformance.drivers._dbapi.exceptions import InterfaceError, OperationalError

__all__ = ["DEFAULT_PORT", "Address", "Transport", "parse_address", "tls_context"]

#: The Exasol database port (protocols/exasol.md 1.1).
DEFAULT_PORT = 8563
#: Largest message accepted from the server, bytes: above the advertised
#: ``maxDataMessageSize`` (64 MiB, 1.2), with room for JSON overhead.
MAX_MESSAGE = 128 * 1024 * 1024
_HEX64 = re.compile(r"[0-9A-Fa-f]{64}")
# websockets 17.1+ asks for legacy=True to hand back a plain connection object.
_LEGACY = {"legacy": True} if "legacy" in inspect.signature(ws_connect).parameters else {}


@dataclass(frozen=True)
class Address:
    """A parsed ``ws://``/``wss://`` server address: ``scheme``, ``host``, ``port``, ``path``."""

    scheme: str
    host: str
    port: int
    path: str = ""

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    @property
    def tls(self) -> bool:
        return self.scheme == "wss"


def parse_address(dsn: Any) -> Address:
    """``ws://host[:port][/path]``, ``wss://...`` or ``host[:port]`` (taken as ``ws://``).

    The port defaults to 8563; any path is kept (the server ignores it, 1.1). Raises
    InterfaceError for another scheme, no host or a bad port.
    """
    if not isinstance(dsn, str) or not dsn.strip():
        raise InterfaceError(f"the server address must be a non-empty str, not {dsn!r}")
    text = dsn.strip()
    if "://" not in text:
        text = "ws://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("ws", "wss"):
        raise InterfaceError(f"server address {dsn!r}: the scheme must be ws or wss")
    try:
        port = parts.port
    except ValueError:
        raise InterfaceError(f"server address {dsn!r}: the port is not a number in "
                             "1..65535") from None
    if not parts.hostname:
        raise InterfaceError(f"server address {dsn!r} has no host")
    return Address(parts.scheme, parts.hostname, port or DEFAULT_PORT, parts.path.rstrip("/"))


def normalize_fingerprint(fingerprint: Any) -> str | None:
    """The fingerprint as 64 upper-case hex digits (``:`` and spaces dropped), or None."""
    if fingerprint is None:
        return None
    text = str(fingerprint).replace(":", "").replace(" ", "")
    if not _HEX64.fullmatch(text):
        raise InterfaceError(f"fingerprint {fingerprint!r} is not a SHA-256 digest "
                             "(64 hex digits)")
    return text.upper()


def tls_context(*, verify: bool = True, ca_file: str | None = None,
                fingerprint: str | None = None) -> ssl.SSLContext:
    """The client SSLContext for ``wss://``: CA verification (``ca_file`` or the system's),
    none at all with ``verify=False``, or none by CA when a ``fingerprint`` pins the
    certificate (checked after the handshake by :meth:`Transport.open`)."""
    context = ssl.create_default_context(cafile=ca_file)
    if not verify or fingerprint is not None:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _Connection(ClientConnection):
    """Notes when the last frame of any kind (data, Pong heartbeat, ...) arrived."""

    last_frame = 0.0

    def process_event(self, event: Any) -> None:
        self.last_frame = time.monotonic()
        super().process_event(event)


class Transport:
    """One WebSocket to an Exasol server (see the module docstring).

    ``timeout``: seconds for the TCP + TLS + WebSocket handshake and for the silence
    allowed while waiting for a reply. ``send``/``recv`` move one whole message (str or
    bytes); a lost connection or a silent server raises OperationalError.
    """

    def __init__(self, address: Address, *, timeout: float,
                 ssl_context: ssl.SSLContext | None = None,
                 fingerprint: str | None = None):
        self.address = address
        self.timeout = timeout
        self._ws: _Connection | None = None
        self._open(ssl_context, fingerprint)

    def _open(self, context: ssl.SSLContext | None, fingerprint: str | None) -> None:
        address = self.address
        if address.tls and context is None:
            context = tls_context()
        try:
            self._ws = ws_connect(
                address.url,
                ssl=context if address.tls else None,
                open_timeout=self.timeout,
                close_timeout=min(self.timeout, 5.0),
                compression=None,  # Exasol speaks no permessage-deflate (1.1)
                ping_interval=None,  # Exasol itself never pings (1.2)
                max_size=MAX_MESSAGE,
                proxy=None,
                user_agent_header=None,
                create_connection=_Connection,
                **_LEGACY,
            )
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI, ssl.SSLError) as exc:
            raise OperationalError(f"cannot connect to {address.url}: {_describe(exc)}") from None
        if fingerprint is not None:
            self._check_fingerprint(fingerprint)

    def _check_fingerprint(self, expected: str) -> None:
        sock = self._ws.socket if self._ws is not None else None
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        actual = hashlib.sha256(der).hexdigest().upper() if der else "<no certificate>"
        if actual != expected:
            self.close()
            raise OperationalError(f"{self.address.url}: the server certificate's SHA-256 "
                                   f"fingerprint {actual} is not the expected {expected}")

    @property
    def closed(self) -> bool:
        return self._ws is None

    def send(self, message: str | bytes, *, binary: bool = False) -> None:
        """Send one message: a text frame, or a binary frame with ``binary``."""
        ws = self._live()
        try:
            if binary:
                ws.send(message if isinstance(message, bytes) else message.encode())
            else:
                ws.send(message, text=True)
        except ConnectionClosed as exc:
            raise self._lost(exc) from None
        except (OSError, TimeoutError) as exc:
            raise self._lost(exc) from None

    def recv(self) -> str | bytes:
        """The next whole message; OperationalError after ``timeout`` seconds without any
        frame from the server, or when the connection is lost."""
        ws = self._live()
        ws.last_frame = time.monotonic()
        while True:
            try:
                return ws.recv(timeout=self.timeout)
            except TimeoutError:
                silent = time.monotonic() - ws.last_frame
                if silent >= self.timeout:
                    # A late reply would answer the next request: the connection is done.
                    self.close()
                    raise OperationalError(
                        f"{self.address.url}: no answer and no heartbeat for "
                        f"{silent:.1f} s (timeout {self.timeout:g} s); the connection is "
                        "closed and the statement's outcome is unknown") from None
            except ConnectionClosed as exc:
                raise self._lost(exc) from None

    def _live(self) -> _Connection:
        if self._ws is None:
            raise OperationalError(f"{self.address.url}: the connection is closed")
        return self._ws

    def _lost(self, exc: BaseException) -> OperationalError:
        self.close()
        return OperationalError(f"{self.address.url}: connection lost ({_describe(exc)})")

    def close(self) -> None:
        """Close the WebSocket (close frame, then the socket); safe to call again."""
        ws, self._ws = self._ws, None
        if ws is not None:
            try:
                ws.close()
            except Exception:  # noqa: BLE001 - closing a broken socket may fail in many ways
                pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        if rcvd is None:
            return "closed without a close frame"
        return f"closed by the server, code {rcvd.code}" + (f": {rcvd.reason}" if rcvd.reason
                                                             else "")
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc}"
    if isinstance(exc, socket.timeout) or isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
