"""Throughput of the CrateDB reference driver next to the official client, same mock server.

Starts ``dbapi-mock cratedb --port 0`` in a subprocess (so the server does not share the
client's GIL), loads a table of ROWS rows, then measures for each client:

- fetch: ``SELECT * FROM bench`` returning all rows (4 columns: int, text, double,
  timestamp), reported in rows/s;
- point queries: QUERIES single-row ``SELECT ... WHERE id = ?`` calls, in queries/s.

Each rate is given by wall clock (server time included) and per CPU second of this
process (the client's own cost, steadier on a busy machine).

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


def _best(repeat: int, run) -> tuple[float, float]:
    """Best of ``repeat`` calls of ``run``: (wall seconds, client CPU seconds)."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        run()
        best = min(best, (time.perf_counter() - w0, time.process_time() - c0))
    return best


def measure(connect, rows: int, queries: int, repeat: int) -> dict[str, float]:
    """Rates of the best of ``repeat`` runs: rows/s and queries/s by wall clock (server
    included) and per client CPU second (this process only: the driver's own cost)."""
    conn = connect()
    cur = conn.cursor()

    def fetch() -> None:
        cur.execute("SELECT id, name, value, ts FROM bench")
        if len(cur.fetchall()) != rows:
            raise SystemExit(f"expected {rows} rows")

    def point_queries() -> None:
        for i in range(queries):
            cur.execute("SELECT name FROM bench WHERE id = ?", (i % rows,))
            if cur.fetchone()[0] != f"name-{i % rows}":
                raise SystemExit("wrong row returned")

    fetch_wall, fetch_cpu = _best(repeat, fetch)
    query_wall, query_cpu = _best(repeat, point_queries)
    conn.close()
    return {"rows/s": rows / fetch_wall, "rows/cpu-s": rows / fetch_cpu,
            "queries/s": queries / query_wall, "queries/cpu-s": queries / query_cpu}


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
    keys = ["rows/s", "rows/cpu-s", "queries/s", "queries/cpu-s"]
    print(f"{'client':46}" + "".join(f"{k:>15}" for k in keys))
    for name, rates in results.items():
        print(f"{name:46}" + "".join(f"{rates[k]:15,.0f}" for k in keys))
    ref = results["reference (dbapi_conformance.drivers.cratedb)"]
    for name, rates in list(results.items())[1:]:
        print(f"ratio reference / {name}: "
              + ", ".join(f"{k} {ref[k] / rates[k]:.2f}" for k in keys))

if __name__ == "__main__":
    main()
