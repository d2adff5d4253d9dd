"""Speed of the VoltDB mock server next to its floor, through the same clients.

Two servers, each in its own subprocess (neither shares the clients' GIL):

- mock: ``dbapi-mock voltdb --port 0``;
- floor: bench/voltdb_floor.py, a TCP server on the same stack (asyncio streams) that only
  looks up response frames recorded from the mock for the very request frames the clients
  send (client handle masked; it records them first as a proxy in front of the mock), so it
  returns the same bytes with no SQL work.

The table ``BENCH`` (ID INTEGER primary key, NAME VARCHAR(32), VAL FLOAT, TS TIMESTAMP) is
loaded with ROWS rows: 2,000 through the reference driver's ``executemany`` (the
invocations pipelined on one connection), then doubled by ``INSERT INTO ... SELECT``. Measured
through the official client voltdbclient (``VoltProcedure(...).call(...)``) and the project's
reference driver:

- fetch: ``SELECT ID, NAME, VAL, TS FROM BENCH`` through ``@AdHoc``, all ROWS rows in one
  VoltTable, seconds per fetch and rows/s;
- call: CALLS single-row calls of the default procedure ``BENCH.select`` (``callproc`` for
  the reference driver), microseconds per call and calls/s.

Results are checked outside the timed part. Within each repeat every (client, server) pair
runs once, in an order that alternates between repeats. Reported: the median over the
repeats with its spread (min-max), the server process's CPU time per operation (from /proc),
and the ratios mock/floor and reference/voltdbclient. On a busy machine trust the CPU
columns more than the wall clock.

Usage: python bench/voltdb_throughput.py [--rows N] [--calls N] [--repeat N]
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

import voltdbclient
from benchlib import cpu_seconds, spread, start, stop  # bench/ is the script's folder

from dbapi_conformance.drivers import voltdb as reference

HERE = os.path.dirname(os.path.abspath(__file__))
FETCH = "SELECT ID, NAME, VAL, TS FROM BENCH"
PROCEDURE = "BENCH.select"  # the default select procedure of a table with a primary key
TS0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
SEED = 2_000  # rows inserted one by one (executemany) before doubling
TIMEOUT = 120.0  # seconds for any one call
F = voltdbclient.FastSerializer


def address(url: str) -> tuple[str, int]:
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    return host, int(port)


def load(url: str, rows: int) -> None:
    """SEED rows through the reference driver's pipelined ``executemany``, then doubled with
    ``INSERT INTO ... SELECT`` until there are ``rows`` (row i: ID i, NAME "name-i", VAL
    i * 0.5, TS TS0 + i % SEED seconds)."""
    host, port = address(url)
    with reference.connect(host, port, timeout=TIMEOUT) as conn:
        cur = conn.cursor()
        cur.execute("DROP TABLE BENCH IF EXISTS")
        cur.execute("CREATE TABLE BENCH (ID INTEGER NOT NULL, NAME VARCHAR(32), VAL FLOAT, "
                    "TS TIMESTAMP, PRIMARY KEY (ID))")
        have = min(rows, SEED)
        cur.executemany("INSERT INTO BENCH VALUES (?, ?, ?, ?)", [
            (i, f"name-{i}", i * 0.5, TS0 + datetime.timedelta(seconds=i))
            for i in range(have)])
        while have < rows:
            cur.execute("INSERT INTO BENCH SELECT ID + ?, 'name-' || CAST(ID + ? AS VARCHAR), "
                        "(ID + ?) * 0.5, TS FROM BENCH WHERE ID < ?",
                        (have, have, have, rows - have))
            have += cur.rowcount
        cur.execute("SELECT COUNT(*), MAX(ID), MAX(TS) FROM BENCH")
        got = cur.fetchone()  # the driver gives TIMESTAMP as a naive UTC datetime
        last = TS0 + datetime.timedelta(seconds=min(rows, SEED) - 1)
        if got != (rows, rows - 1, last.replace(tzinfo=None)):
            raise SystemExit(f"the bench table was not loaded: {got}")


def call_ids(rows: int, calls: int) -> list[int]:
    step = max(rows // calls, 1)
    return [(i * step) % rows for i in range(calls)]


class VoltdbclientClient:
    name = "voltdbclient"

    def __init__(self, url: str):
        self.conn = F(*address(url), connect_timeout=30, procedure_timeout=TIMEOUT)
        self.fetch_proc = voltdbclient.VoltProcedure(self.conn, "@AdHoc", [F.VOLTTYPE_STRING])
        self.select = voltdbclient.VoltProcedure(self.conn, PROCEDURE, [F.VOLTTYPE_INTEGER])

    @staticmethod
    def _table(response, what: str):
        if response.status != 1 or len(response.tables) != 1:
            raise SystemExit(f"voltdbclient {what}: {response.status} {response.statusString}")
        return response.tables[0].tuples

    def fetch(self) -> list:
        return self._table(self.fetch_proc.call([FETCH]), "fetch")

    def call(self, i: int):
        rows = self._table(self.select.call([i]), f"{PROCEDURE}({i})")
        return rows[0][1] if len(rows) == 1 else rows

    def close(self) -> None:
        self.conn.close()


class ReferenceClient:
    name = "reference"

    def __init__(self, url: str):
        self.conn = reference.connect(*address(url), timeout=TIMEOUT)
        self.cur = self.conn.cursor()

    def fetch(self) -> list:
        self.cur.execute(FETCH)
        return self.cur.fetchall()

    def call(self, i: int):
        self.cur.callproc(PROCEDURE, (i,))
        rows = self.cur.fetchall()
        return rows[0][1] if len(rows) == 1 else rows

    def close(self) -> None:
        self.conn.close()


class Pair:
    """One client connected to one server, with its measurements."""

    def __init__(self, client_cls, server: str, url: str, pid: int):
        self.client, self.server, self.pid = client_cls(url), server, pid
        self.times: dict[str, list[float]] = {"fetch": [], "call": []}
        self.cpu: dict[str, list[float]] = {"fetch": [], "call": []}

    @property
    def name(self) -> str:
        return self.client.name

    def fetch(self, rows: int) -> None:
        self.last = self.client.fetch()

    def check_fetch(self, rows: int) -> None:
        """The last fetch's rows are the table's (checked outside the timed part)."""
        got, self.last = self.last, None
        if len(got) != rows or sorted(r[0] for r in got) != list(range(rows)) or any(
                r[1] != f"name-{r[0]}" or r[2] != r[0] * 0.5 for r in got):
            raise SystemExit(f"{self.name}/{self.server}: wrong fetch result")

    def calls(self, ids: list[int]) -> None:
        got = [self.client.call(i) for i in ids]
        self.last = list(zip(ids, got))

    def check_calls(self) -> None:
        got, self.last = self.last, None
        wrong = [(i, name) for i, name in got if name != f"name-{i}"]
        if wrong:
            raise SystemExit(f"{self.name}/{self.server}: wrong rows, e.g. {wrong[:3]}")

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
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    clients = (VoltdbclientClient, ReferenceClient)
    ids = call_ids(args.rows, args.calls)

    mock, mock_url = start([sys.executable, "-m", "dbapi_conformance.mockservers",
                            "voltdb", "--port", "0"])
    floor = None
    answers = tempfile.NamedTemporaryFile(suffix=".pickle", delete=False).name
    try:
        w0 = time.perf_counter()
        load(mock_url, args.rows)
        load_s = time.perf_counter() - w0
        # Record: every client's whole workload once through the proxy, then replay.
        recording, rec_url = start([sys.executable, os.path.join(HERE, "voltdb_floor.py"),
                                    "--record", mock_url, answers])
        try:
            for cls in clients:
                pair = Pair(cls, "record", rec_url, recording.pid)
                pair.fetch(args.rows)
                pair.check_fetch(args.rows)
                pair.calls(ids)
                pair.check_calls()
                pair.client.close()
        finally:
            stop(recording)
        floor, floor_url = start([sys.executable, os.path.join(HERE, "voltdb_floor.py"),
                                  answers])
        servers = {"mock": (mock_url, mock.pid), "floor": (floor_url, floor.pid)}
        pairs = [Pair(cls, s, u, pid) for cls in clients for s, (u, pid) in servers.items()]
        for p in pairs:  # warm up: connections, caches, the mock's first-use work
            p.fetch(args.rows)
            p.check_fetch(args.rows)
            p.calls(ids[:50])
            p.check_calls()
        for r in range(args.repeat):
            order = pairs if r % 2 == 0 else pairs[::-1]
            for p in order:
                p.timed("fetch", lambda p=p: p.fetch(args.rows), 1)
                p.check_fetch(args.rows)
            for p in order:
                p.timed("call", lambda p=p: p.calls(ids), len(ids))
                p.check_calls()
        for p in pairs:
            p.client.close()
    finally:
        stop(mock)
        if floor is not None:
            stop(floor)
        os.unlink(answers)

    print(f"{args.rows:,} rows fetched, {args.calls:,} single-row procedure calls "
          f"({PROCEDURE}); {args.repeat} repeats, interleaved; median (min-max); "
          f"table loaded in {load_s:.1f} s")
    print(f"{'client':12} {'server':6} {'fetch':>26} {'rows/s':>10} {'server cpu':>11}"
          f" {'single-row call':>24} {'calls/s':>10} {'server cpu':>11}")
    for p in pairs:
        fetch_s, call_s = (statistics.median(p.times[k]) for k in ("fetch", "call"))
        print(f"{p.name:12} {p.server:6} {spread(p.times['fetch'], 1, 's', 3):>26}"
              f" {args.rows / fetch_s:>10,.0f}"
              f" {statistics.median(p.cpu['fetch']):>9.3f} s"
              f" {spread(p.times['call'], 1e6, 'us', 0):>24} {1 / call_s:>10,.0f}"
              f" {statistics.median(p.cpu['call']) * 1e6:>8.0f} us")
    by = {(p.name, p.server): p for p in pairs}
    for cls in clients:
        mock_p, floor_p = by[(cls.name, "mock")], by[(cls.name, "floor")]
        print(f"ratio mock/floor, {cls.name}: " + ", ".join(
            f"{k} {median_ratio(mock_p.times[k], floor_p.times[k]):.2f}x"
            for k in ("fetch", "call")))
    for server in servers:
        ref, off = by[("reference", server)], by[("voltdbclient", server)]
        print(f"ratio reference/voltdbclient on the {server}: " + ", ".join(
            f"{k} {median_ratio(ref.times[k], off.times[k]):.2f}x" for k in ("fetch", "call")))


if __name__ == "__main__":
    main()
