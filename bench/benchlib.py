"""What the benchmarks share: server subprocesses, their CPU time, and the figures' format."""

from __future__ import annotations

import os
import select
import statistics
import subprocess

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
