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
import sys
import time

import voltdbclient
from benchlib import (  # bench/ is the script's folder
    compare_with_floor,
    point_ids,
    print_comparison,
    start,
    stop,
)

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

    def point(self, i: int):
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

    def point(self, i: int):
        self.cur.callproc(PROCEDURE, (i,))
        rows = self.cur.fetchall()
        return rows[0][1] if len(rows) == 1 else rows

    def close(self) -> None:
        self.conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    mock, mock_url = start([sys.executable, "-m", "dbapi_conformance.mockservers",
                            "voltdb", "--port", "0"])
    try:
        w0 = time.perf_counter()
        load(mock_url, args.rows)
        load_s = time.perf_counter() - w0
        pairs = compare_with_floor(mock_url, mock.pid, os.path.join(HERE, "voltdb_floor.py"),
                                   (VoltdbclientClient, ReferenceClient), args.rows,
                                   point_ids(args.rows, args.calls), args.repeat)
    finally:
        stop(mock)
    print(f"{args.rows:,} rows fetched, {args.calls:,} single-row procedure calls "
          f"({PROCEDURE}); {args.repeat} repeats, interleaved; median (min-max); "
          f"table loaded in {load_s:.1f} s")
    print_comparison(pairs, args.rows, "call", "calls", "voltdbclient")


if __name__ == "__main__":
    main()
