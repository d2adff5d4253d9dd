"""Line and branch coverage of the conformance suite (suites/) over the fulldriver targets.

Runs the whole suite once per driver (default: fulldriver, fulldriver.broken,
fulldriver.bare) the way tests/test_certify_fulldriver.py does - from a scratch directory
whose conftest puts tests/ on sys.path and adds tests/fulldriver/profile.py - but each run
under ``coverage run -p`` (``concurrency = thread,multiprocessing``, so the threads and the
forked child of test_threads.py are measured too). Then it combines the data files and
prints the report of suites/ with the missing lines. A line no target reaches is either a
failure branch a correct driver never takes, or a suite path none of these targets
exercises (check it against the CrateDB targets before calling it a defect).

Needs ``coverage`` in the environment (not a project dependency: ``pip install coverage``).
Not part of CI. A run's failing tests (fulldriver.broken has them) are expected; only a run
that does not start (pytest exit status above 1) is an error.

Usage: python bench/suite_coverage.py [--driver MODULE ...] [--keep DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS_DIR = ROOT / "tests"
SUITES_DIR = ROOT / "suites"
DRIVERS = ("fulldriver", "fulldriver.broken", "fulldriver.bare")
RUN_TIMEOUT = 600  # seconds per suite run

CONFTEST = (
    "import sys\n"
    f"sys.path.insert(0, {str(TESTS_DIR)!r})\n"
    "from fulldriver.profile import pytest_dbapi_profile  # noqa: E402,F401\n"
)
COVERAGERC = """\
[run]
branch = true
parallel = true
concurrency = thread,multiprocessing
source = {source}
data_file = {data_file}

[report]
show_missing = true
skip_covered = false
"""


def coverage(rcfile: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m coverage <args>`` with ``rcfile``; the completed process (output kept)."""
    return subprocess.run(
        [sys.executable, "-m", "coverage", *args, f"--rcfile={rcfile}"],
        cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT,
    )


def measure(drivers: list[str], work: Path, json_file: Path | None) -> str:
    """Run the suite against ``drivers`` in ``work``; return the combined text report.

    RuntimeError when a run does not start or coverage fails."""
    (work / "conftest.py").write_text(CONFTEST, "utf-8")
    rcfile = work / ".coveragerc"
    rcfile.write_text(COVERAGERC.format(source=SUITES_DIR, data_file=work / ".coverage"),
                      "utf-8")
    for driver in drivers:
        run = subprocess.run(
            [sys.executable, "-m", "coverage", "run", f"--rcfile={rcfile}", "-p",
             "-m", "pytest", f"--dbapi-driver={driver}",
             f"--dbapi-report={work / ('reports-' + driver)}", "-p", "no:cacheprovider", "-q"],
            cwd=work, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        )
        summary = (run.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"{driver}: exit {run.returncode}: {summary}", file=sys.stderr)
        if run.returncode > 1:
            raise RuntimeError(f"{driver}: the suite run failed to start:\n"
                               f"{run.stdout}\n{run.stderr}")
    steps = [("combine",)] + ([("json", "-o", str(json_file))] if json_file else [])
    for step in [*steps, ("report",)]:
        done = coverage(rcfile, *step, cwd=work)
        if done.returncode != 0:
            raise RuntimeError(f"coverage {step[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", action="append", dest="drivers",
                        help=f"driver module to run the suite against (default: {DRIVERS})")
    parser.add_argument("--keep", type=Path,
                        help="work in this directory and keep it (data files, reports)")
    parser.add_argument("--json", type=Path, help="also write coverage's JSON report here")
    args = parser.parse_args(argv)
    try:
        import coverage as _  # noqa: F401
    except ImportError:
        parser.error("coverage is not installed here: pip install coverage")
    drivers = args.drivers or list(DRIVERS)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        print(measure(drivers, args.keep.resolve(), args.json))
    else:
        with tempfile.TemporaryDirectory(prefix="suite-coverage-") as work:
            print(measure(drivers, Path(work), args.json))
    return 0


if __name__ == "__main__":
    sys.exit(main())
