"""Pieces every codec shares: the error pair, the side, events, length-prefixed frames.

No I/O here (design.md dependency rules). The conventions these serve are in the package
docstring (drivers/wire/__init__.py).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import ClassVar, Protocol

__all__ = [
    "ProtocolError", "LocalProtocolError", "RemoteProtocolError", "Side", "Event", "NEED_DATA",
    "NeedData", "Codec", "LengthPrefixedFrames",
]


class ProtocolError(Exception):
    """Something the protocol does not allow. Never raised as such: always one of the two
    subclasses, which say whose fault it is (after h11 and websockets)."""


class LocalProtocolError(ProtocolError):
    """Our side's fault: we were asked to send what the protocol cannot express (a value
    with no wire form, an event out of order, a message over a size limit). Nothing was
    sent; the connection is still usable. A driver maps it to ProgrammingError /
    DataError / NotSupportedError, a mock to an internal error."""


class RemoteProtocolError(ProtocolError):
    """The peer's fault: bytes or a message that break the protocol (bad framing, unknown
    op code, wrong shape, over a size or depth limit). On the server side it carries the
    protocol's own error answer where it has one (``code``); on the client side the
    connection can no longer be trusted and a driver maps it to InterfaceError /
    OperationalError."""


class Side(enum.Enum):
    """Which end a codec object plays; one class serves both, as in websockets."""

    CLIENT = "client"
    SERVER = "server"


@dataclass(frozen=True)
class Event:
    """Base of the typed events a codec yields and sends (a request, a reply, an error
    reply, a handshake). Subclasses are frozen dataclasses named after the protocol's own
    message names; ``op`` (where the protocol has op codes) is a class attribute."""

    op: ClassVar[int | None] = None


class NeedData:
    """Returned by ``next_event()`` when the buffered bytes hold no whole message."""

    _instance: ClassVar[NeedData | None] = None

    def __new__(cls) -> NeedData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA = NeedData()


class Codec(Protocol):
    """The shape of a framed protocol's sans-I/O object (binary TCP protocols; Exasol feeds
    messages instead of bytes: ``receive_message``).

    - ``side``: :class:`Side`; fixed at construction, with per-connection state (handshake
      done, protocol version, pending request ids) on the object, never module-global;
    - ``receive_data(data)``: append received bytes; ``b""`` means the peer closed;
    - ``next_event()``: the next whole :class:`Event`, or :data:`NEED_DATA`; raises
      :class:`RemoteProtocolError` for bytes the protocol forbids;
    - ``send(event)``: the bytes for one outgoing event; raises :class:`LocalProtocolError`
      for an event this side may not send now or a value with no wire form.
    """

    side: Side

    def receive_data(self, data: bytes) -> None: ...

    def next_event(self) -> Event | NeedData: ...

    def send(self, event: Event) -> bytes: ...


class LengthPrefixedFrames:
    """A receive buffer for ``uint32/int32 length + body`` framing, big-endian (the framing
    of the binary TCP protocols: the length excludes its own 4 bytes).

    ``max_size``: the largest body accepted; a longer (or negative) length raises
    :class:`RemoteProtocolError` before any of the body is buffered. ``frame(body)`` builds
    an outgoing frame (LocalProtocolError over ``max_size``).
    """

    _HEADER = struct.Struct(">i")

    def __init__(self, max_size: int = 64 * 1024 * 1024) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        self.eof = False

    def receive_data(self, data: bytes) -> None:
        """Append ``data``; ``b""`` marks the end of the stream."""
        if not data:
            self.eof = True
        self._buffer += data

    def next_frame(self) -> bytes | None:
        """The next whole body, or None when more bytes are needed. RemoteProtocolError
        for a bad length, or for a stream that ended inside a frame."""
        if len(self._buffer) < 4:
            if self.eof and self._buffer:
                raise RemoteProtocolError("the stream ended inside a frame length")
            return None
        (length,) = self._HEADER.unpack_from(self._buffer)
        if length < 0 or length > self.max_size:
            raise RemoteProtocolError(f"frame length {length} outside 0..{self.max_size}")
        if len(self._buffer) < 4 + length:
            if self.eof:
                raise RemoteProtocolError("the stream ended inside a frame")
            return None
        body = bytes(self._buffer[4:4 + length])
        del self._buffer[:4 + length]
        return body

    def frame(self, body: bytes) -> bytes:
        """``length + body`` for sending."""
        if len(body) > self.max_size:
            raise LocalProtocolError(f"frame of {len(body)} bytes over {self.max_size}")
        return self._HEADER.pack(len(body)) + body
