"""Speed of the Exasol mock server next to its floor, through the same clients.

Two servers, each in its own subprocess (neither shares the clients' GIL):

- mock: ``dbapi-mock exasol --port 0``;
- floor: bench/exasol_floor.py, a WebSocket server on the same stack (websockets) that only
  looks up replies recorded from the mock for the very messages the clients send (it records
  them first as a proxy in front of the mock), so it returns the same text with no SQL work.

The table ``BENCH.BENCH`` (ID DECIMAL(18,0) primary key, NAME VARCHAR(100), VAL DOUBLE,
TS TIMESTAMP) is loaded with ROWS rows through the reference driver's ``executemany`` (one
``executePreparedStatement`` per chunk). Measured through the official client pyexasol (its
own API, ``encryption=False``, no compression) and the project's reference driver:

- fetch: ``SELECT ID, NAME, VAL, TS FROM BENCH``, all ROWS rows (a result set handle and
  ``fetch`` messages), seconds per fetch and rows/s;
- point: QUERIES single-row ``SELECT NAME FROM BENCH WHERE ID = ...`` (pyexasol formats the
  value into the text on the client side, as its API does; the reference driver binds it
  through a prepared statement), microseconds per query and queries/s.

Within each repeat every (client, server) pair runs once, in an order that alternates between
repeats. Reported: the median over the repeats with its spread (min-max), the server
process's CPU time per operation (from /proc), and the ratios mock/floor and
reference/pyexasol. On a busy machine trust the CPU columns more than the wall clock.

Usage: python bench/exasol_throughput.py [--rows N] [--queries N] [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

os.environ.setdefault("EXASOL_TELEMETRY_DISABLE", "1")  # before pyexasol is imported

import pyexasol  # noqa: E402
from benchlib import cpu_seconds, spread, start, stop  # noqa: E402  (bench/ is the script's folder)

from dbapi_conformance.drivers import exasol as reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
USER, PASSWORD = "sys", "exasol"
FETCH = "SELECT ID, NAME, VAL, TS FROM BENCH.BENCH"
POINT_QMARK = "SELECT NAME FROM BENCH.BENCH WHERE ID = ?"
POINT_PYEXASOL = "SELECT NAME FROM BENCH.BENCH WHERE ID = {id!d}"
TS0 = datetime.datetime(2026, 1, 1)
CHUNK = 10_000  # rows per executemany while loading


def load(url: str, rows: int) -> None:
    with reference.connect(url, USER, PASSWORD, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("CREATE SCHEMA IF NOT EXISTS BENCH")
        cur.execute("DROP TABLE IF EXISTS BENCH.BENCH")
        cur.execute("CREATE TABLE BENCH.BENCH (ID DECIMAL(18,0) PRIMARY KEY, "
                    "NAME VARCHAR(100), VAL DOUBLE, TS TIMESTAMP)")
        for lo in range(0, rows, CHUNK):
            cur.executemany("INSERT INTO BENCH.BENCH VALUES (?, ?, ?, ?)", [
                (i, f"name-{i}", i * 0.5, TS0 + datetime.timedelta(seconds=i))
                for i in range(lo, min(lo + CHUNK, rows))])
        cur.execute("SELECT COUNT(*) FROM BENCH.BENCH")
        if cur.fetchone()[0] != rows:
            raise SystemExit("the bench table was not loaded")


def point_ids(rows: int, queries: int) -> list[int]:
    step = max(rows // queries, 1)
    return [(i * step) % rows for i in range(queries)]


class PyexasolClient:
    name = "pyexasol"

    def __init__(self, url: str):
        self.conn = pyexasol.connect(dsn=url.split("://", 1)[1], user=USER, password=PASSWORD,
                                     encryption=False, compression=False, socket_timeout=60)

    def fetch(self) -> list:
        return self.conn.execute(FETCH).fetchall()

    def point(self, i: int):
        return self.conn.execute(POINT_PYEXASOL, {"id": i}).fetchone()[0]

    def close(self) -> None:
        self.conn.close()


class ReferenceClient:
    name = "reference"

    def __init__(self, url: str):
        self.conn = reference.connect(url, USER, PASSWORD)
        self.cur = self.conn.cursor()

    def fetch(self) -> list:
        self.cur.execute(FETCH)
        return self.cur.fetchall()

    def point(self, i: int):
        self.cur.execute(POINT_QMARK, (i,))
        return self.cur.fetchone()[0]

    def close(self) -> None:
        self.conn.close()


class Pair:
    """One client connected to one server, with its measurements."""

    def __init__(self, client_cls, server: str, url: str, pid: int):
        self.client, self.server, self.pid = client_cls(url), server, pid
        self.times: dict[str, list[float]] = {"fetch": [], "point": []}
        self.cpu: dict[str, list[float]] = {"fetch": [], "point": []}

    @property
    def name(self) -> str:
        return self.client.name

    def fetch(self, rows: int) -> None:
        got = self.client.fetch()
        if len(got) != rows:
            raise SystemExit(f"{self.name}/{self.server}: fetched {len(got)} rows, not {rows}")
        self.last = got

    def check_fetch(self) -> None:
        """The last fetch's rows are the table's (checked outside the timed part)."""
        got, self.last = self.last, None
        if any(r[1] != f"name-{int(r[0])}" or float(r[2]) != int(r[0]) * 0.5 for r in got):
            raise SystemExit(f"{self.name}/{self.server}: wrong fetch result")

    def points(self, ids: list[int]) -> None:
        for i in ids:
            if self.client.point(i) != f"name-{i}":
                raise SystemExit(f"{self.name}/{self.server}: wrong row for id {i}")

    def timed(self, kind: str, run: Callable[[], None], per: int) -> None:
        c0, w0 = cpu_seconds(self.pid), time.perf_counter()
        run()
        self.times[kind].append((time.perf_counter() - w0) / per)
        self.cpu[kind].append((cpu_seconds(self.pid) - c0) / per)


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    clients = (PyexasolClient, ReferenceClient)
    ids = point_ids(args.rows, args.queries)

    mock, mock_url = start([sys.executable, "-m", "dbapi_conformance.mockservers",
                            "exasol", "--port", "0"])
    floor = None
    answers = tempfile.NamedTemporaryFile(suffix=".pickle", delete=False).name
    try:
        load(mock_url, args.rows)
        # Record: every client's whole workload once through the proxy, then replay.
        recording, rec_url = start([sys.executable, os.path.join(HERE, "exasol_floor.py"),
                                    "--record", mock_url, answers])
        try:
            for cls in clients:
                pair = Pair(cls, "record", rec_url, recording.pid)
                pair.fetch(args.rows)
                pair.check_fetch()
                pair.points(ids)
                pair.client.close()
        finally:
            stop(recording)
        floor, floor_url = start([sys.executable, os.path.join(HERE, "exasol_floor.py"),
                                  answers])
        servers = {"mock": (mock_url, mock.pid), "floor": (floor_url, floor.pid)}
        pairs = [Pair(cls, s, u, pid) for cls in clients for s, (u, pid) in servers.items()]
        for p in pairs:  # warm up: connections, caches, the mock's first-use work
            p.fetch(args.rows)
            p.check_fetch()
            p.points(ids[:50])
        for r in range(args.repeat):
            order = pairs if r % 2 == 0 else pairs[::-1]
            for p in order:
                p.timed("fetch", lambda p=p: p.fetch(args.rows), 1)
                p.check_fetch()
            for p in order:
                p.timed("point", lambda p=p: p.points(ids), len(ids))
        for p in pairs:
            p.client.close()
    finally:
        stop(mock)
        if floor is not None:
            stop(floor)
        os.unlink(answers)

    print(f"{args.rows:,} rows fetched, {args.queries:,} single-row queries; "
          f"{args.repeat} repeats, interleaved; median (min-max)")
    print(f"{'client':10} {'server':6} {'fetch':>26} {'rows/s':>10} {'server cpu':>11}"
          f" {'single-row query':>24} {'queries/s':>10} {'server cpu':>11}")
    for p in pairs:
        fetch_s, point_s = (statistics.median(p.times[k]) for k in ("fetch", "point"))
        print(f"{p.name:10} {p.server:6} {spread(p.times['fetch'], 1, 's', 3):>26}"
              f" {args.rows / fetch_s:>10,.0f}"
              f" {statistics.median(p.cpu['fetch']):>9.3f} s"
              f" {spread(p.times['point'], 1e6, 'us', 0):>24} {1 / point_s:>10,.0f}"
              f" {statistics.median(p.cpu['point']) * 1e6:>8.0f} us")
    by = {(p.name, p.server): p for p in pairs}
    for cls in clients:
        mock_p, floor_p = by[(cls.name, "mock")], by[(cls.name, "floor")]
        print(f"ratio mock/floor, {cls.name}: " + ", ".join(
            f"{k} {median_ratio(mock_p.times[k], floor_p.times[k]):.2f}x"
            for k in ("fetch", "point")))
    for server in servers:
        ref, off = by[("reference", server)], by[("pyexasol", server)]
        print(f"ratio reference/pyexasol on the {server}: " + ", ".join(
            f"{k} {median_ratio(ref.times[k], off.times[k]):.2f}x" for k in ("fetch", "point")))


if __name__ == "__main__":
    main()
