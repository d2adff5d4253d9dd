"""Speed of the CrateDB mock server next to its floor, through the same clients.

Two servers, each in its own subprocess (neither shares the clients' GIL):

- mock: ``dbapi-mock cratedb --port 0``;
- floor: bench/cratedb_floor.py, an HTTP server on the same stack (aiohttp) that only looks
  up answers recorded from the mock for the very request bodies the clients send, so it
  returns the same bytes with no SQL work.

The table ``bench`` (id INTEGER, name TEXT, value DOUBLE PRECISION, ts TIMESTAMP WITH TIME
ZONE) is loaded with ROWS rows in one statement (``INSERT ... SELECT ... FROM
generate_series``). Measured, through the official client ``crate`` (and, unless
``--no-reference``, the project's reference driver):

- fetch: ``SELECT id, name, value, ts FROM bench``, all ROWS rows, seconds per fetch;
- point: QUERIES single-row ``SELECT name FROM bench WHERE id = ?``, microseconds each;
- bulk (mock only, official client): one ``executemany`` (``bulk_args``) of BULK rows into
  an empty table, seconds and rows/s (the client gzips a body of 8 KB or more).

The ratio reference/crate on the floor compares the two clients' own cost (below 1: the
reference driver is faster).

Within each repeat every (client, server) pair runs once, in an order that alternates
between repeats, so a noisy machine hits all pairs alike. Reported: the median over the
repeats with its spread (min-max), the CPU time per operation of the server process (from
/proc) and of the client (this process), and the ratio of the medians mock/floor. Targets:
fetch within 2x of the floor, point queries within 1.5x, the bulk insert under 0.3 s.
On a busy machine trust the CPU columns more than the wall clock.

Usage: python bench/cratedb_throughput.py [--rows N] [--queries N] [--bulk N] [--repeat N]
[--no-reference]
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import urllib3
from benchlib import cpu_seconds, spread, start, stop  # bench/ is the script's folder
from crate import client as crate_client
from crate.client.http import _create_sql_payload

from dbapi_conformance.drivers import cratedb as reference
from dbapi_conformance.drivers.wire.cratedb import encode_sql_request

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = "SELECT id, name, value, ts FROM bench"
POINT = "SELECT name FROM bench WHERE id = ?"
TS0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in epoch ms
TARGETS = {"fetch": 2.0, "point": 1.5}
BULK_TARGET = 0.3


def load(url: str, rows: int) -> None:
    cur = crate_client.connect(url).cursor()
    cur.execute("DROP TABLE IF EXISTS bench")
    cur.execute("CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, "
                "value DOUBLE PRECISION, ts TIMESTAMP WITH TIME ZONE)")
    cur.execute("INSERT INTO bench (id, name, value, ts) SELECT g, 'name-' || g, g * 0.5, "
                "'2026-01-01T00:00:00Z'::TIMESTAMP WITH TIME ZONE + g * INTERVAL '1 second' "
                f"FROM generate_series(0, {rows - 1}) AS t(g)")
    if cur.rowcount != rows:
        raise SystemExit(f"loaded {cur.rowcount} rows, expected {rows}")
    cur.execute("REFRESH TABLE bench")
    cur.connection.close()


def point_ids(rows: int, queries: int) -> list[int]:
    step = max(rows // queries, 1)
    return [(i * step) % rows for i in range(queries)]


def record_answers(url: str, rows: int, queries: int) -> dict[bytes, bytes]:
    """The mock's response body for every request body the clients will send (both
    clients' encoders: their bytes may differ)."""
    requests = [(FETCH, None)] + [(POINT, [i]) for i in point_ids(rows, queries)]
    http = urllib3.PoolManager()
    answers: dict[bytes, bytes] = {}
    for stmt, args in requests:
        for body in {_create_sql_payload(stmt, args, None), encode_sql_request(stmt, args)}:
            resp = http.request("POST", url + "/_sql?types=true", body=body,
                                headers={"Content-Type": "application/json"})
            if resp.status != 200:
                raise SystemExit(f"mock refused {stmt!r}: {resp.data[:200]!r}")
            answers[body] = resp.data
    answers[b"GET /"] = http.request("GET", url + "/").data
    http.clear()
    return answers


class Pair:
    """One client connected to one server, with its measurements."""

    def __init__(self, client: str, server: str, connect: Callable, pid: int):
        self.client, self.server, self.pid = client, server, pid
        self.cursor = connect().cursor()
        self.times: dict[str, list[float]] = {"fetch": [], "point": []}
        self.cpu: dict[str, list[float]] = {"fetch": [], "point": []}
        self.client_cpu: dict[str, list[float]] = {"fetch": [], "point": []}

    def fetch(self, rows: int) -> None:
        self.cursor.execute(FETCH)
        self.last = self.cursor.fetchall()

    def check_fetch(self, rows: int) -> None:
        """The last fetch's rows are the table's (checked outside the timed part)."""
        got, self.last = self.last, None
        if len(got) != rows or sorted(r[0] for r in got) != list(range(rows)) or any(
                r[1] != f"name-{r[0]}" or r[2] != r[0] * 0.5 for r in got):
            raise SystemExit(f"{self.client}/{self.server}: wrong fetch result")

    def points(self, ids: list[int]) -> None:
        cur = self.cursor
        for i in ids:
            cur.execute(POINT, (i,))
            if cur.fetchone()[0] != f"name-{i}":
                raise SystemExit(f"{self.client}/{self.server}: wrong row for id {i}")

    def timed(self, kind: str, run: Callable[[], None], per: int) -> None:
        c0, w0, p0 = cpu_seconds(self.pid), time.perf_counter(), time.process_time()
        run()
        self.times[kind].append((time.perf_counter() - w0) / per)
        self.cpu[kind].append((cpu_seconds(self.pid) - c0) / per)
        self.client_cpu[kind].append((time.process_time() - p0) / per)


def bulk_once(url: str, n: int, pid: int) -> tuple[float, float, int]:
    """One ``executemany`` of ``n`` rows into an empty table: (wall seconds and server
    ``pid``'s CPU seconds of the executemany, rows in the table afterwards)."""
    conn = crate_client.connect(url)
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS bench_bulk")
    cur.execute("CREATE TABLE bench_bulk (id INTEGER PRIMARY KEY, name TEXT, "
                "value DOUBLE PRECISION, ts TIMESTAMP WITH TIME ZONE)")
    data = [(i, f"name-{i}", i * 0.5, TS0 + i * 1000) for i in range(n)]
    c0, w0 = cpu_seconds(pid), time.perf_counter()
    results = cur.executemany(
        "INSERT INTO bench_bulk (id, name, value, ts) VALUES (?, ?, ?, ?)", data)
    wall, cpu = time.perf_counter() - w0, cpu_seconds(pid) - c0
    if len(results) != n or any(r.get("rowcount") != 1 for r in results):
        raise SystemExit("bulk insert: not every item inserted one row")
    cur.execute("REFRESH TABLE bench_bulk")
    cur.execute("SELECT count(*) FROM bench_bulk")
    count = cur.fetchone()[0]
    conn.close()
    return wall, cpu, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--bulk", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-reference", action="store_true",
                        help="measure the official client only")
    args = parser.parse_args()

    mock, mock_url = start([sys.executable, "-m", "dbapi_conformance.mockservers",
                            "cratedb", "--port", "0"])
    floor = None
    try:
        load(mock_url, args.rows)
        answers = record_answers(mock_url, args.rows, args.queries)
        with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
            pickle.dump(answers, f)
        try:
            floor, floor_url = start([sys.executable, os.path.join(HERE, "cratedb_floor.py"),
                                      f.name])
        finally:
            os.unlink(f.name)  # the floor has read it before its ready line
        servers = {"mock": (mock_url, mock.pid), "floor": (floor_url, floor.pid)}
        clients: dict[str, Callable[[str], object]] = {"crate": crate_client.connect}
        if not args.no_reference:
            clients["reference"] = reference.connect
        pairs = [Pair(c, s, lambda fn=fn, u=u: fn(u), pid)
                 for c, fn in clients.items() for s, (u, pid) in servers.items()]
        ids = point_ids(args.rows, args.queries)
        for p in pairs:  # warm up: connections, caches, the mock's first-use work
            p.fetch(args.rows)
            p.check_fetch(args.rows)
            p.points(ids[:50])
        bulk_wall: list[float] = []
        bulk_cpu: list[float] = []
        for r in range(args.repeat):
            order = pairs if r % 2 == 0 else pairs[::-1]
            for p in order:
                p.timed("fetch", lambda p=p: p.fetch(args.rows), 1)
                p.check_fetch(args.rows)
            for p in order:
                p.timed("point", lambda p=p: p.points(ids), len(ids))
            wall, cpu, count = bulk_once(mock_url, args.bulk, mock.pid)
            if count != args.bulk:
                raise SystemExit(f"bulk insert: {count} rows in the table, not {args.bulk}")
            bulk_wall.append(wall)
            bulk_cpu.append(cpu)
    finally:
        stop(mock)
        if floor is not None:
            stop(floor)

    print(f"{args.rows:,} rows fetched, {args.queries:,} point queries, {args.bulk:,}-row "
          f"bulk insert; {args.repeat} repeats, interleaved; median (min-max)")
    print("cpu: median CPU time per operation of the server process / of this (client) "
          "process")
    print(f"{'client':10} {'server':6} {'fetch':>30} {'cpu server/client':>19}"
          f" {'point query':>28} {'cpu server/client':>19}")
    for p in pairs:
        def cpu(kind: str, scale: float, digits: int) -> str:
            return (f"{statistics.median(p.cpu[kind]) * scale:.{digits}f}/"
                    f"{statistics.median(p.client_cpu[kind]) * scale:.{digits}f}")
        print(f"{p.client:10} {p.server:6} {spread(p.times['fetch'], 1, 's', 3):>30}"
              f" {cpu('fetch', 1, 3) + ' s':>19}"
              f" {spread(p.times['point'], 1e6, 'us', 0):>28}"
              f" {cpu('point', 1e6, 0) + ' us':>19}")
    for client in clients:
        mine = {p.server: p for p in pairs if p.client == client}
        parts = []
        for kind, target in TARGETS.items():
            ratio = (statistics.median(mine["mock"].times[kind])
                     / statistics.median(mine["floor"].times[kind]))
            verdict = "ok" if ratio <= target else "MISSED"
            parts.append(f"{kind} {ratio:.2f}x (target {target}x: {verdict})")
        print(f"ratio mock/floor, {client}: " + ", ".join(parts))
    if "reference" in clients:  # the clients' own cost: both on the floor server
        by = {(p.client, p.server): p for p in pairs}
        ref, off = by[("reference", "floor")], by[("crate", "floor")]
        print("ratio reference/crate on the floor: " + ", ".join(
            f"{kind} {statistics.median(ref.times[kind]) / statistics.median(off.times[kind]):.2f}x"
            for kind in TARGETS))
    med = statistics.median(bulk_wall)
    verdict = "ok" if med < BULK_TARGET else "MISSED"
    print(f"bulk insert (crate, mock): {spread(bulk_wall, 1, 's', 3)}, "
          f"{args.bulk / med:,.0f} rows/s, server cpu {statistics.median(bulk_cpu):.3f} s "
          f"(target < {BULK_TARGET} s: {verdict})")


if __name__ == "__main__":
    main()
