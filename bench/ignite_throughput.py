"""Speed of the Ignite 3 mock server next to its floor, through the reference driver and
pyignite_dbapi.

Two servers, each in its own subprocess (pyignite_dbapi never releases the GIL, and
neither server shares the clients' process):

- mock: ``dbapi-mock ignite --port 0``;
- floor: bench/ignite_floor.py, a thin-client server that replays the response bodies
  recorded from the mock for the very statements the clients send (pre-built frames, no
  SQL work).

The table ``bench`` (id INT PRIMARY KEY, name VARCHAR, v DOUBLE, ts TIMESTAMP) is loaded
with ROWS rows through the reference driver (``executemany`` batches). Measured, per client
and server:

- fetch: ``SELECT id, name, v, ts FROM bench``, all ROWS rows in pages of 1024 rows/s;
- point: QUERIES single-row ``SELECT name FROM bench WHERE id = ?``, queries/s.

Within each repeat every (client, server) pair runs once, in an order that alternates
between repeats; reported are the medians over the repeats, the server's CPU seconds per
operation (from /proc), and the ratios mock/floor (per client) and reference/pyignite (per
server; above 1: the reference driver is faster).

Usage: python bench/ignite_throughput.py [--rows N] [--queries N] [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import benchlib
import msgpack
import pyignite_dbapi
from benchlib import cpu_seconds, point_ids, stop  # bench/ is the script's folder

from dbapi_conformance.drivers import ignite as reference
from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.base import Side
from dbapi_conformance.mockservers.base import command_line

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = "SELECT id, name, v, ts FROM bench"
POINT = "SELECT name FROM bench WHERE id = ?"
T0 = dt.datetime(2026, 1, 1)


def start(argv: list[str]) -> tuple[subprocess.Popen, str]:
    """Start a server process; return it and the ``host:port`` of its ready line."""
    proc, url = benchlib.start(argv)
    return proc, url.split("://", 1)[1]


def load(address: str, rows: int) -> None:
    conn = reference.connect(address, autocommit=True, timeout=600)
    cur = conn.cursor()
    cur.execute("CREATE TABLE bench (id INT PRIMARY KEY, name VARCHAR, v DOUBLE, ts TIMESTAMP)")
    for start_id in range(0, rows, 5000):
        cur.executemany("INSERT INTO bench (id, name, v, ts) VALUES (?, ?, ?, ?)",
                        [(i, f"name-{i}", i * 0.5, T0 + dt.timedelta(seconds=i))
                         for i in range(start_id, min(start_id + 5000, rows))])
    conn.close()


class RawClient:
    """Requests sent with the codec, answers kept as raw frames (to be replayed)."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.sock = socket.create_connection((host, int(port)), timeout=600)
        self.codec = w.Connection(Side.CLIENT)
        self.sock.sendall(self.codec.send(w.Handshake()))
        self.buffer = b""
        magic = self._exact(4)
        assert magic == w.MAGIC
        self.handshake = magic + self._frame()
        self.rid = 0

    def _exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            data = self.sock.recv(1 << 20)
            if not data:
                raise SystemExit("the mock closed the recording connection")
            self.buffer += data
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def _frame(self) -> bytes:
        head = self._exact(4)
        return head + self._exact(struct.unpack(">i", head)[0])

    def body(self, event: w.Request) -> bytes:
        """The response body (after request id, flags, timestamp) to ``event``."""
        self.rid += 1
        data = self.codec.send(event)
        self.sock.sendall(data)
        payload = self._frame()[4:]
        unpacker = msgpack.Unpacker()
        unpacker.feed(payload)
        rid, flags, _ = unpacker.unpack(), unpacker.unpack(), unpacker.unpack()
        if rid != event.request_id or flags:
            raise SystemExit(f"the mock answered {event!r:.80} with flags {flags}")
        return payload[unpacker.tell():]


def record(address: str, rows: int, queries: int) -> dict:
    client = RawClient(address)
    props = w.SqlProperties(schema="PUBLIC", page_size=w.DEFAULT_PAGE_SIZE)
    bodies = [client.body(w.SqlExec(request_id=client.rid, properties=props, statement=FETCH))]
    unpacker = msgpack.Unpacker()
    unpacker.feed(bodies[0])
    cursor_id = unpacker.unpack()
    more = True
    while more and cursor_id is not None:
        page = client.body(w.SqlCursorNextPage(request_id=client.rid, cursor_id=cursor_id))
        bodies.append(page)
        more = page[-1:] == b"\xc3"  # the page's last field: has more pages
    point = {i: client.body(w.SqlExec(request_id=client.rid, properties=props,
                                      statement=POINT, args=[i]))
             for i in point_ids(rows, queries)}
    client.sock.close()
    return {"handshake": client.handshake, "fetch": (FETCH, bodies), "point": (POINT, point)}


CLIENTS = {
    "reference": lambda a: reference.connect(a, autocommit=True, timeout=600),
    "pyignite": lambda a: pyignite_dbapi.connect(address=[a], timeout=600),
}


def run_fetch(cursor, rows: int) -> None:
    cursor.execute(FETCH)
    got = cursor.fetchall()
    if len(got) != rows:
        raise SystemExit(f"fetched {len(got)} rows, expected {rows}")


def run_point(cursor, ids: list[int]) -> None:
    for i in ids:
        cursor.execute(POINT, (i,))
        if cursor.fetchone()[0] != f"name-{i}":
            raise SystemExit(f"point query {i} answered wrongly")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    mock, mock_address = start(command_line("ignite", "127.0.0.1", 0))
    floor = None
    cursors: dict = {}
    try:
        t = time.perf_counter()
        load(mock_address, args.rows)
        print(f"loaded {args.rows} rows in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
            pickle.dump(record(mock_address, args.rows, args.queries), f)
        floor, floor_address = start([sys.executable, os.path.join(HERE, "ignite_floor.py"),
                                      f.name])
        servers = {"mock": (mock, mock_address), "floor": (floor, floor_address)}
        ids = point_ids(args.rows, args.queries)
        pairs = [(c, s) for c in CLIENTS for s in servers]
        results: dict = {(c, s, k): [] for c, s in pairs for k in ("fetch", "point")}
        cpu: dict = {(c, s, k): [] for c, s in pairs for k in ("fetch", "point")}
        cursors = {(c, s): CLIENTS[c](servers[s][1]).cursor() for c, s in pairs}
        for repeat in range(args.repeat):
            order = pairs if repeat % 2 == 0 else pairs[::-1]
            for c, s in order:
                cursor, pid = cursors[(c, s)], servers[s][0].pid
                for kind, work in (("fetch", lambda: run_fetch(cursor, args.rows)),
                                   ("point", lambda: run_point(cursor, ids))):
                    before, t = cpu_seconds(pid), time.perf_counter()
                    work()
                    results[(c, s, kind)].append(time.perf_counter() - t)
                    cpu[(c, s, kind)].append(cpu_seconds(pid) - before)
        med = {k: statistics.median(v) for k, v in results.items()}
        print(f"{'client':<10} {'server':<6} {'fetch rows/s':>13} {'srv cpu s':>9} "
              f"{'point q/s':>10} {'srv cpu ms/q':>12}")
        for c, s in pairs:
            print(f"{c:<10} {s:<6} {args.rows / med[(c, s, 'fetch')]:>13,.0f} "
                  f"{statistics.median(cpu[(c, s, 'fetch')]):>9.2f} "
                  f"{args.queries / med[(c, s, 'point')]:>10,.0f} "
                  f"{statistics.median(cpu[(c, s, 'point')]) * 1000 / args.queries:>12.3f}")
        for c in CLIENTS:
            print(f"mock/floor time, {c}: fetch "
                  f"{med[(c, 'mock', 'fetch')] / med[(c, 'floor', 'fetch')]:.2f}x, "
                  f"point {med[(c, 'mock', 'point')] / med[(c, 'floor', 'point')]:.2f}x")
        for s in servers:
            print(f"pyignite/reference time, {s}: fetch "
                  f"{med[('pyignite', s, 'fetch')] / med[('reference', s, 'fetch')]:.2f}x, "
                  f"point {med[('pyignite', s, 'point')] / med[('reference', s, 'point')]:.2f}x")
    finally:
        for cursor in cursors.values():  # the servers stop with no client left
            cursor.connection.close()
        stop(mock)
        if floor is not None:
            stop(floor)


if __name__ == "__main__":
    main()
