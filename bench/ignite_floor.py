"""The floor for the Ignite 3 mock's benchmark: a thin-client server that only replays.

``python bench/ignite_floor.py ANSWERS`` serves the Ignite 3 thin-client protocol from
ANSWERS, a pickled dict recorded from the mock itself (bench/ignite_throughput.py builds
it): ``"handshake"`` (the handshake answer frame), ``"fetch"`` (the statement text and the
response bodies of its SQL_EXEC and every SQL_CURSOR_NEXT_PAGE, in order) and ``"point"``
(the statement text and ``{argument: SQL_EXEC response body}``). A body is what follows the
response header (request id, flags, observable timestamp); the floor writes a fresh header
with the request's id and sends the recorded body unchanged, so a client gets byte for
byte what the mock sent, with no SQL work. Requests are read with the same codec the mock
uses (drivers/wire/ignite.py), so the ratio mock/floor measures the mock's own work per
request: SQL, the engine, value conversion and BinaryTuple encoding.

Prints ``floor listening on tcp://127.0.0.1:PORT`` once it accepts connections; runs until
SIGTERM or SIGINT. A request it has no answer for gets an Ignite error answer.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import struct
import uuid

import msgpack
from benchlib import until_signal  # bench/ is the script's folder

from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side


def _frame(rid: int, body: bytes) -> bytes:
    payload = msgpack.packb(rid) + b"\x00" + msgpack.packb(1) + body
    return struct.pack(">i", len(payload)) + payload


def _error_frame(rid: int) -> bytes:
    items = [rid, int(w.ResponseFlags.ERROR), 1, w.uuid_to_ext(uuid.uuid4()),
             int(w.ErrorCode.INTERNAL), w.IGNITE_EXCEPTION, "no recorded answer", None, None]
    payload = b"".join(msgpack.packb(i) for i in items)
    return struct.pack(">i", len(payload)) + payload


def make_handler(answers: dict):
    fetch_sql, fetch_bodies = answers["fetch"]
    point_sql, point_bodies = answers["point"]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        codec = w.Connection(Side.SERVER)
        pages: list[bytes] = []
        try:
            while True:
                try:
                    event = codec.next_event()
                except w.RequestError:
                    return
                if event is NEED_DATA:
                    data = await reader.read(65536)
                    if not data:
                        return
                    codec.receive_data(data)
                    continue
                if isinstance(event, w.Handshake):
                    writer.write(answers["handshake"])
                    continue
                rid = event.request_id
                body = b""  # empty answers: TX_*, CURSOR_CLOSE, HEARTBEAT
                if isinstance(event, w.SqlExec):
                    if event.statement == fetch_sql:
                        body, pages = fetch_bodies[0], list(fetch_bodies[1:])
                    elif event.statement == point_sql and event.args:
                        body = point_bodies.get(event.args[0][1])
                    else:
                        body = None
                elif isinstance(event, w.SqlCursorNextPage):
                    body = pages.pop(0) if pages else None
                elif isinstance(event, w.TxBegin):
                    body = msgpack.packb(1)
                if body is None:
                    writer.write(_error_frame(rid))
                else:
                    writer.write(_frame(rid, body))
                await writer.drain()
        finally:
            writer.close()

    return handle


async def serve(answers: dict, host: str, port: int) -> None:
    server = await asyncio.start_server(make_handler(answers), host, port)
    bound = server.sockets[0].getsockname()
    print(f"floor listening on tcp://{bound[0]}:{bound[1]}", flush=True)
    await until_signal()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", help="pickled answers recorded from the mock")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.answers, "rb") as f:
        answers = pickle.load(f)
    asyncio.run(serve(answers, args.host, args.port))


if __name__ == "__main__":
    main()
