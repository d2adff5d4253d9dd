"""Throughput of the CrateDB reference driver next to the official client, same mock server.

Starts ``dbapi-mock cratedb --port 0`` in a subprocess (so the server does not share the
client's GIL), loads a table of ROWS rows, then measures for each client:

- fetch: ``SELECT * FROM bench`` returning all rows (4 columns: int, text, double,
  timestamp), reported in rows/s;
- point queries: QUERIES single-row ``SELECT ... WHERE id = ?`` calls, in queries/s.

The official client runs twice: raw (its default, no type conversion) and with
``DefaultTypeConverter`` (timestamps to datetime, as the reference driver always does).
Ratios are reference / official; above 1 means the reference driver is faster.

Usage: python bench/cratedb_throughput.py [--rows N] [--queries N] [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import select
import subprocess
import sys
import time

from crate import client as crate_client
from crate.client.converter import DefaultTypeConverter

from dbapi_conformance.drivers import cratedb as reference

START_TIMEOUT = 30.0  # seconds for the mock server to print its ready line


def start_mock() -> tuple[subprocess.Popen, str]:
    """Start the mock server; return the process and its URL (read from its ready line)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbapi_conformance.mockservers", "cratedb", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # Bounded wait for the one ready line "cratedb listening on <url>".
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
    line = proc.stdout.readline().strip() if ready else ""
    if " listening on " not in line:
        proc.kill()
        raise SystemExit(f"mock server did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1]


def load(url: str, rows: int) -> None:
    conn = reference.connect(url)
    cur = conn.cursor()
    cur.execute("DROP TABLE IF EXISTS bench")
    cur.execute(
        "CREATE TABLE bench (id INTEGER PRIMARY KEY, name TEXT, value DOUBLE PRECISION,"
        " ts TIMESTAMP WITH TIME ZONE)"
    )
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    chunk = 10_000
    for base in range(0, rows, chunk):
        cur.executemany(
            "INSERT INTO bench (id, name, value, ts) VALUES (?, ?, ?, ?)",
            [
                (i, f"name-{i}", i * 0.5, start + dt.timedelta(seconds=i))
                for i in range(base, min(base + chunk, rows))
            ],
        )
    cur.execute("REFRESH TABLE bench")
    conn.close()


def measure(connect, rows: int, queries: int, repeat: int) -> tuple[float, float]:
    """Best of ``repeat`` runs: (rows per second, queries per second)."""
    conn = connect()
    cur = conn.cursor()
    best_fetch = best_query = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        cur.execute("SELECT id, name, value, ts FROM bench")
        got = cur.fetchall()
        best_fetch = min(best_fetch, time.perf_counter() - t0)
        if len(got) != rows:
            raise SystemExit(f"expected {rows} rows, got {len(got)}")
        t0 = time.perf_counter()
        for i in range(queries):
            cur.execute("SELECT name FROM bench WHERE id = ?", (i % rows,))
            if cur.fetchone()[0] != f"name-{i % rows}":
                raise SystemExit("wrong row returned")
        best_query = min(best_query, time.perf_counter() - t0)
    conn.close()
    return rows / best_fetch, queries / best_query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    proc, url = start_mock()
    try:
        load(url, args.rows)
        clients = {
            "reference (dbapi_conformance.drivers.cratedb)": lambda: reference.connect(url),
            "official crate.client (raw)": lambda: crate_client.connect(url),
            "official crate.client (DefaultTypeConverter)": lambda: crate_client.connect(
                url, converter=DefaultTypeConverter()
            ),
        }
        results = {name: measure(fn, args.rows, args.queries, args.repeat)
                   for name, fn in clients.items()}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"mock server {url}; {args.rows} rows fetched, {args.queries} point queries, "
          f"best of {args.repeat}")
    print(f"{'client':48} {'rows/s':>12} {'queries/s':>10}")
    for name, (rps, qps) in results.items():
        print(f"{name:48} {rps:12,.0f} {qps:10,.0f}")
    ref_rps, ref_qps = results["reference (dbapi_conformance.drivers.cratedb)"]
    for name, (rps, qps) in list(results.items())[1:]:
        print(f"ratio reference / {name}: fetch {ref_rps / rps:.2f}, queries {ref_qps / qps:.2f}")


if __name__ == "__main__":
    main()
