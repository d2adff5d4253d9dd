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
import sys

os.environ.setdefault("EXASOL_TELEMETRY_DISABLE", "1")  # before pyexasol is imported

import pyexasol  # noqa: E402
from benchlib import (  # noqa: E402  (bench/ is the script's folder)
    compare_with_floor,
    point_ids,
    print_comparison,
    start,
    stop,
)

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    mock, mock_url = start([sys.executable, "-m", "dbapi_conformance.mockservers",
                            "exasol", "--port", "0"])
    try:
        load(mock_url, args.rows)
        pairs = compare_with_floor(mock_url, mock.pid, os.path.join(HERE, "exasol_floor.py"),
                                   (PyexasolClient, ReferenceClient), args.rows,
                                   point_ids(args.rows, args.queries), args.repeat)
    finally:
        stop(mock)
    print(f"{args.rows:,} rows fetched, {args.queries:,} single-row queries; "
          f"{args.repeat} repeats, interleaved; median (min-max)")
    print_comparison(pairs, args.rows, "query", "queries", "pyexasol")


if __name__ == "__main__":
    main()
