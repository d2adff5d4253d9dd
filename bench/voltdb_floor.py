"""The floor for the VoltDB mock's benchmark: a TCP server that only looks answers up.

Two modes, both on the same stack as the mock (asyncio streams):

- ``python bench/voltdb_floor.py --record UPSTREAM ANSWERS``: a recording proxy. Every frame
  a client sends is forwarded to UPSTREAM (the mock, ``voltdb://host:port``) and every frame
  the mock sends back is forwarded to the client and kept; on SIGTERM/SIGINT the answers are
  pickled to ANSWERS (the first answer seen for a request wins).
- ``python bench/voltdb_floor.py ANSWERS``: replay. Each request frame gets the recorded
  response frame, with no SQL work at all, so a client gets byte for byte what the mock sent.

Keys (protocols/voltdb.md 1.1, 2, 3.1, 4.1): the first frame of a connection is the login,
kept under ``("login", body)`` (a password digest has no randomness, so the bytes are
stable). Every later frame is an invocation; it is kept under its body with the client handle
zeroed, since clients differ in handles (voltdbclient always sends 1, the reference driver
counts up). The response's handle (body bytes 1-8) is patched to the request's on replay;
the cluster round-trip time stays as recorded. Recording matches responses to requests by
handle, so pipelined and out-of-order answers are kept right.

Prints ``floor listening on voltdb://127.0.0.1:PORT`` once it accepts connections; runs until
SIGTERM or SIGINT. A login with no recorded answer gets WIRE_PROTOCOL_FORMAT_ERROR (3) and
the close; an invocation with none gets GRACEFUL_FAILURE (-2) "no recorded answer".
"""

from __future__ import annotations

import asyncio
import struct

from benchlib import floor_main, until_signal  # bench/ is the script's folder

_LEN = struct.Struct(">i")
_TIMEOUT = 30.0  # seconds for the upstream to connect while recording
_LOGIN_REFUSED = b"\x00\x00\x00\x02\x00\x03"
_MISSING_TEXT = b"no recorded answer"


def handle_span(body: bytes) -> tuple[int, int]:
    """Where an invocation body's i64 client handle sits (voltdb.md 3.1, versions 0-2)."""
    at = 1
    if body[0] == 1:  # batch-timeout field: 0, or a type byte and an i32
        at += 1 if body[1] == 0 else 5
    (name_length,) = _LEN.unpack_from(body, at)
    at += 4 + name_length
    return at, at + 8


def masked(body: bytes) -> tuple[bytes, bytes]:
    """The invocation body with its handle zeroed (the answers' key), and the handle."""
    lo, hi = handle_span(body)
    return body[:lo] + bytes(8) + body[hi:], body[lo:hi]


def missing(handle: bytes) -> bytes:
    """A GRACEFUL_FAILURE response frame (voltdb.md 4.1) for a request never recorded."""
    body = (b"\x00" + handle + b"\x20\xfe" + _LEN.pack(len(_MISSING_TEXT)) + _MISSING_TEXT
            + b"\x80" + _LEN.pack(0) + b"\x00\x00")
    return _LEN.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """One frame's body, or None at a clean end of stream."""
    try:
        (length,) = _LEN.unpack(await reader.readexactly(4))
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        return None


def replayer(answers: dict):
    """The connection handler replaying ``answers`` (values: whole response frames)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            body = await read_frame(reader)
            if body is None:
                return
            login = answers.get(("login", body))
            writer.write(login or _LOGIN_REFUSED)
            if login is None:
                return
            while (body := await read_frame(reader)) is not None:
                key, handle = masked(body)
                frame = answers.get(key)
                if frame is None:
                    writer.write(missing(handle))
                else:  # length + version byte, this request's handle, the rest as recorded
                    writer.writelines((frame[:5], handle, memoryview(frame)[13:]))
                await writer.drain()
        except (ConnectionError, ValueError, struct.error):
            pass
        finally:
            writer.close()

    return handle


def recorder(upstream: str, answers: dict):
    """The connection handler forwarding to ``upstream`` and keeping its answers."""
    host, port = upstream.split("://", 1)[-1].rsplit(":", 1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port)), _TIMEOUT)
        pending: dict[bytes, object] = {}  # handle -> key of the request awaiting an answer

        async def client_to_upstream() -> None:
            first = True
            while (body := await read_frame(reader)) is not None:
                if first:
                    pending[b"login"], first = ("login", body), False
                else:
                    key, h = masked(body)
                    pending[h] = key
                up_writer.write(_LEN.pack(len(body)) + body)
                await up_writer.drain()
            up_writer.close()  # the client is gone: so is the interest in late answers

        async def upstream_to_client() -> None:
            first = True
            while (body := await read_frame(up_reader)) is not None:
                frame = _LEN.pack(len(body)) + body
                key = pending.pop(b"login" if first else body[1:9], None)
                first = False
                if key is not None:
                    answers.setdefault(key, frame)
                writer.write(frame)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(client_to_upstream(), upstream_to_client())
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:  # shutdown with a connection open: nothing to keep
            pass
        finally:
            up_writer.close()
            writer.close()

    return handle


async def run(handler, host: str, port: int) -> None:
    server = await asyncio.start_server(handler, host, port)
    async with server:
        bound = server.sockets[0].getsockname()[:2]
        print(f"floor listening on voltdb://{bound[0]}:{bound[1]}", flush=True)
        await until_signal()


def main() -> None:
    floor_main(__doc__.splitlines()[0], recorder, replayer, run)


if __name__ == "__main__":
    main()
