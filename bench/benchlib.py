"""What the benchmarks share: server subprocesses, their CPU time, the figures' format, and
the floors' signal wait and record-then-replay command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import pickle
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

START_TIMEOUT = 60.0  # seconds for a server to print its ready line


def start(argv: list[str]) -> tuple[subprocess.Popen, str]:
    """Start a server process; return it and the URL of its ``... listening on URL`` line."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
    line = proc.stdout.readline().strip() if ready else ""
    if " listening on " not in line:
        proc.kill()
        raise SystemExit(f"{argv[1:3]} did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1]


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc; 0.0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spread(values: list[float], scale: float, unit: str, digits: int) -> str:
    med = statistics.median(values) * scale
    return (f"{med:,.{digits}f} {unit} ({min(values) * scale:,.{digits}f}-"
            f"{max(values) * scale:,.{digits}f})")


# --- a mock next to its recorded-answer floor, through several clients ----------------------
#
# A client class: ``name``; ``__init__(url)``; ``fetch()`` -> every row of the bench table,
# rows (id, "name-<id>", id * 0.5, ...); ``point(id)`` -> the name of row ``id`` (one
# single-row query or call); ``close()``.


def point_ids(rows: int, n: int) -> list[int]:
    """``n`` row ids spread over ``rows`` rows."""
    step = max(rows // n, 1)
    return [(i * step) % rows for i in range(n)]


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(a) / statistics.median(b)


class Pair:
    """One client connected to one server (``pid``), with its measurements: seconds and the
    server's CPU seconds per operation, per kind ("fetch", "point")."""

    def __init__(self, client_cls, server: str, url: str, pid: int):
        self.client, self.server, self.pid = client_cls(url), server, pid
        self.name = self.client.name
        self.times: dict[str, list[float]] = {"fetch": [], "point": []}
        self.cpu: dict[str, list[float]] = {"fetch": [], "point": []}

    def fetch(self, rows: int) -> None:
        got = self.client.fetch()
        if len(got) != rows or sorted(int(r[0]) for r in got) != list(range(rows)) or any(
                r[1] != f"name-{int(r[0])}" or float(r[2]) != int(r[0]) * 0.5 for r in got):
            raise SystemExit(f"{self.name}/{self.server}: wrong fetch result")

    def points(self, ids: list[int]) -> None:
        got = [self.client.point(i) for i in ids]
        wrong = [(i, name) for i, name in zip(ids, got) if name != f"name-{i}"]
        if wrong:
            raise SystemExit(f"{self.name}/{self.server}: wrong rows, e.g. {wrong[:3]}")

    def timed(self, kind: str, run, per: int) -> None:
        c0, w0 = cpu_seconds(self.pid), time.perf_counter()
        run()
        self.times[kind].append((time.perf_counter() - w0) / per)
        self.cpu[kind].append((cpu_seconds(self.pid) - c0) / per)


def compare_with_floor(mock_url: str, mock_pid: int, floor_script: str, clients,
                       rows: int, ids: list[int], repeat: int) -> list[Pair]:
    """Record every client's whole workload once through ``floor_script --record`` in front
    of the mock, then replay it from ``floor_script``; the pairs (client x {mock, floor})
    measured over ``repeat`` interleaved repeats, each fetch and point result checked
    (outside the timing: a wrong answer ends the run)."""
    answers = tempfile.NamedTemporaryFile(suffix=".pickle", delete=False).name
    floor = None
    try:
        recording, rec_url = start([sys.executable, floor_script, "--record", mock_url,
                                    answers])
        try:
            for cls in clients:
                pair = Pair(cls, "record", rec_url, recording.pid)
                pair.fetch(rows)
                pair.points(ids)
                pair.client.close()
        finally:
            stop(recording)
        floor, floor_url = start([sys.executable, floor_script, answers])
        servers = {"mock": (mock_url, mock_pid), "floor": (floor_url, floor.pid)}
        pairs = [Pair(cls, s, u, pid) for cls in clients for s, (u, pid) in servers.items()]
        for p in pairs:  # warm up: connections, caches, the mock's first-use work
            p.fetch(rows)
            p.points(ids[:50])
        for r in range(repeat):
            order = pairs if r % 2 == 0 else pairs[::-1]
            for p in order:
                p.timed("fetch", lambda p=p: p.fetch(rows), 1)
            for p in order:
                p.timed("point", lambda p=p: p.points(ids), len(ids))
        for p in pairs:
            p.client.close()
        return pairs
    finally:
        if floor is not None:
            stop(floor)
        os.unlink(answers)


def print_comparison(pairs: list[Pair], rows: int, point: str, points: str,
                     official: str) -> None:
    """The table of :func:`compare_with_floor`'s pairs (``point``, ``points``: what point
    operations are called, "query", "queries") and the ratios mock/floor and
    reference/``official``."""
    w = max(len(p.name) for p in pairs)
    print(f"{'client':{w}} {'server':6} {'fetch':>26} {'rows/s':>10} {'server cpu':>11}"
          f" {'single-row ' + point:>24} {points + '/s':>10} {'server cpu':>11}")
    for p in pairs:
        fetch_s, point_s = (statistics.median(p.times[k]) for k in ("fetch", "point"))
        print(f"{p.name:{w}} {p.server:6} {spread(p.times['fetch'], 1, 's', 3):>26}"
              f" {rows / fetch_s:>10,.0f} {statistics.median(p.cpu['fetch']):>9.3f} s"
              f" {spread(p.times['point'], 1e6, 'us', 0):>24} {1 / point_s:>10,.0f}"
              f" {statistics.median(p.cpu['point']) * 1e6:>8.0f} us")
    by = {(p.name, p.server): p for p in pairs}
    kinds = (("fetch", "fetch"), ("point", point))
    for name in dict.fromkeys(p.name for p in pairs):
        mock, floor = by[(name, "mock")], by[(name, "floor")]
        print(f"ratio mock/floor, {name}: " + ", ".join(
            f"{label} {median_ratio(mock.times[k], floor.times[k]):.2f}x" for k, label in kinds))
    for server in ("mock", "floor"):
        ref, off = by[("reference", server)], by[(official, server)]
        print(f"ratio reference/{official} on the {server}: " + ", ".join(
            f"{label} {median_ratio(ref.times[k], off.times[k]):.2f}x" for k, label in kinds))


# --- the floor servers ------------------------------------------------------------------------


async def until_signal() -> None:
    """Return once the process gets SIGTERM or SIGINT (a floor's whole life)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def floor_main(description: str, recorder, replayer, run) -> None:
    """The command line of a record-then-replay floor: ``ANSWERS`` replays the pickled
    answers (``replayer(answers)`` is the connection handler); ``--record UPSTREAM ANSWERS``
    serves ``recorder(UPSTREAM, answers)`` and pickles what it kept on SIGTERM/SIGINT.
    ``run(handler, host, port)`` serves until :func:`until_signal`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("answers", help="pickled answers recorded from the mock")
    parser.add_argument("--record", metavar="UPSTREAM",
                        help="record the answers of this server into ANSWERS")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    if args.record:
        answers: dict = {}
        asyncio.run(run(recorder(args.record, answers), args.host, args.port))
        with open(args.answers, "wb") as f:
            pickle.dump(answers, f)
    else:
        with open(args.answers, "rb") as f:
            answers = pickle.load(f)
        asyncio.run(run(replayer(answers), args.host, args.port))
