"""--dbapi-baseline end to end (pytester): the gate fails exactly on clauses that regressed.

The target is ``mydriver``: the standard library's sqlite3 behind a thin wrapper that breaks
``rowcount`` (off by one) and/or ``fetchone`` (always None) when MYDRIVER_BREAK says so. The
runs use a slice of the installed suite (fetch and rowcount tests) to stay fast; sqlite3
itself fails CUR-FONE-2, CUR-FMANY-4 and CUR-FALL-2 (no error for a fetch without a result
set), which serve as the failures a baseline already knows.
"""

from __future__ import annotations

import json

import pytest

from dbapi_conformance.harness.plugin import suite_dir

CONFTEST = """
from dbapi_conformance.harness import Capabilities, DriverProfile, SqlProfile

SQL = SqlProfile(types={"int": "INTEGER", "bigint": "INTEGER", "float": "REAL",
                        "text": "TEXT", "binary": "BLOB"})

def _connect(module, endpoint):
    return module.connect(endpoint.data_dir / "db.sqlite", timeout=1)

def pytest_dbapi_profile(config, driver):
    if driver not in ("mydriver", "sqlite3"):
        return None
    return DriverProfile(
        module=driver, database="sqlite", server="none", connect=_connect, sql=SQL,
        capabilities=Capabilities({"callproc": "SQLite has no stored procedures"}),
    )
"""

MYDRIVER = """
'''sqlite3, broken on purpose where MYDRIVER_BREAK (comma-separated) says: rowcount, fetchone.'''
import os
import sqlite3
from sqlite3 import *  # noqa: F401,F403

BROKEN = set(os.environ.get("MYDRIVER_BREAK", "").split(","))


class Cursor(sqlite3.Cursor):
    if "rowcount" in BROKEN:
        @property
        def rowcount(self):
            return super().rowcount + 1

    if "fetchone" in BROKEN:
        def fetchone(self):
            super().fetchone()
            return None


class Connection(sqlite3.Connection):
    def cursor(self, factory=Cursor):
        return super().cursor(factory)


def connect(*args, **kwargs):
    return sqlite3.connect(*args, factory=Connection, **kwargs)
"""

#: The slice of the suite the runs use.
SUBSET = ("-k", "fetchone or rowcount")
#: Clauses sqlite3 fails by itself in SUBSET.
KNOWN_FAILURES = ["CUR-FONE-2"]
#: Clauses that break with MYDRIVER_BREAK=rowcount (CUR-ROWC-1, read-only, still passes).
ROWCOUNT_CLAUSES = ["CUR-ROWC-2", "CUR-ROWC-3", "CUR-ROWC-5"]
TARGET = "mydriver-sqlite"


@pytest.fixture(scope="module")
def _baseline_texts() -> dict[str, str]:
    return {}


@pytest.fixture
def gate(pytester, monkeypatch):
    """``gate(*args, broken="", out="now", ...)``: a run of SUBSET; returns (result, report).

    The report is that of TARGET (None when the run wrote none).
    """
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(mydriver=MYDRIVER)
    # The workers of -n runs import mydriver too.
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    pytester.syspathinsert()

    def run(*args, broken="", out="now", drivers=("mydriver",)):
        monkeypatch.setenv("MYDRIVER_BREAK", broken)
        argv = [*(f"--dbapi-driver={d}" for d in drivers), f"--dbapi-report={out}",
                "-p", "no:cacheprovider", *SUBSET, *args]
        result = pytester.runpytest(*argv)
        path = pytester.path / out / f"{TARGET}.json"
        report = json.loads(path.read_text("utf-8")) if path.exists() else None
        return result, report

    return run


@pytest.fixture
def baseline(gate, pytester, _baseline_texts):
    """``baseline(broken="")``: base/mydriver-sqlite.json of a run (each made once a module)."""

    def make(broken: str = "") -> dict:
        if broken not in _baseline_texts:
            gate(out="made", broken=broken)
            _baseline_texts[broken] = (pytester.path / "made" / f"{TARGET}.json").read_text()
        (pytester.path / "base").mkdir(exist_ok=True)
        (pytester.path / "base" / f"{TARGET}.json").write_text(_baseline_texts[broken])
        return json.loads(_baseline_texts[broken])

    return make


def _ids(report, name):
    return [e["id"] for e in report["baseline"][name]]


def test_without_a_baseline_the_status_is_pytests(gate):
    result, report = gate(out="base")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "baseline" not in report
    failed = [c["id"] for c in report["clauses"] if c["outcome"] == "fail"]
    assert failed == KNOWN_FAILURES
    result.stdout.no_fnmatch_line("baseline:*")


def test_known_failures_that_still_fail_pass_the_gate(gate, baseline, pytester):
    baseline()
    result, report = gate("--dbapi-baseline=base/mydriver-sqlite.json")
    assert result.parseoutcomes()["failed"] > 0, "sqlite3's own failures still fail"
    assert result.ret == pytest.ExitCode.OK
    section = report["baseline"]
    assert section["status"] == "ok"
    assert section["path"] == str(pytester.path / "base" / f"{TARGET}.json")
    assert _ids(report, "regressions") == [] and _ids(report, "improvements") == []
    assert _ids(report, "still_failing") == KNOWN_FAILURES
    result.stdout.fnmatch_lines([
        "*= PEP 249 conformance =*",
        "baseline: nothing regressed",
        f"{TARGET}: against *base*{TARGET}.json",
        "  still failing: CUR-FONE-2",
        f"{TARGET}  MUST *",
    ])
    markdown = (pytester.path / "now" / f"{TARGET}.md").read_text("utf-8")
    assert markdown.index("## Baseline") < markdown.index("## Summary")


def test_a_broken_driver_fails_the_gate_on_exactly_the_regressed_clauses(gate, baseline,
                                                                         pytester):
    baseline()
    result, report = gate("--dbapi-baseline=base", broken="rowcount")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["baseline"]["status"] == "regressed"
    assert _ids(report, "regressions") == ROWCOUNT_CLAUSES
    assert all(e["baseline"] == "pass" and e["outcome"] == "fail"
               for e in report["baseline"]["regressions"])
    assert _ids(report, "still_failing") == KNOWN_FAILURES
    # Regressions come first, before the still-failing list and the verdicts.
    result.stdout.fnmatch_lines([
        "baseline: 3 clause(s) REGRESSED in 1 target(s): the run fails",
        f"{TARGET}: against *",
        "  REGRESSION CUR-ROWC-2 (MUST) pass -> fail: *rowcount 2*",
        "  REGRESSION CUR-ROWC-3 (MUST) pass -> fail: *",
        "  REGRESSION CUR-ROWC-5 (SHOULD) pass -> fail: *",
        "  still failing: CUR-FONE-2",
        f"{TARGET}  MUST *",
    ])
    markdown = (pytester.path / "now" / f"{TARGET}.md").read_text("utf-8")
    assert "| CUR-ROWC-3 | MUST | pass -> fail |" in markdown


def test_the_gate_works_with_xdist(gate, baseline):
    baseline("rowcount")
    result, report = gate("--dbapi-baseline=base", "-n", "2", broken="fetchone")
    result.stdout.fnmatch_lines(["*2 workers*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert _ids(report, "regressions") == ["CUR-FONE-1"]
    assert _ids(report, "improvements") == ROWCOUNT_CLAUSES
    result.stdout.fnmatch_lines(["baseline: 1 clause(s) REGRESSED in 1 target(s)*",
                                 "  improved: CUR-ROWC-2, CUR-ROWC-3, CUR-ROWC-5"])


def test_a_fixed_driver_lists_improvements_and_passes(gate, baseline):
    baseline("rowcount")
    result, report = gate("--dbapi-baseline=base")
    assert result.ret == pytest.ExitCode.OK
    assert _ids(report, "improvements") == ROWCOUNT_CLAUSES
    assert [(e["baseline"], e["outcome"]) for e in report["baseline"]["improvements"]] == [
        ("fail", "pass")] * 3
    assert _ids(report, "regressions") == []
    result.stdout.fnmatch_lines(["  improved: CUR-ROWC-2, CUR-ROWC-3, CUR-ROWC-5"])


def test_directory_baseline_is_matched_by_target_id(gate, baseline, pytester):
    baseline()
    result, report = gate("--dbapi-baseline=base", broken="rowcount",
                          drivers=("mydriver", "sqlite3"))
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert _ids(report, "regressions") == ROWCOUNT_CLAUSES
    other = json.loads((pytester.path / "now" / "sqlite3-sqlite.json").read_text())
    assert other["baseline"]["status"] == "no baseline"
    assert other["baseline"]["path"].endswith("sqlite3-sqlite.json")
    result.stdout.fnmatch_lines(["sqlite3-sqlite: no baseline, not gated"])


def test_a_target_without_baseline_is_not_gated(gate, baseline):
    baseline()
    # sqlite3 has no baseline file: its failures (CUR-FONE-2) fail the run as without a gate.
    result, _ = gate("--dbapi-baseline=base", drivers=("mydriver", "sqlite3"))
    assert result.parseoutcomes()["failed"] > 0
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*sqlite3-sqlite: no baseline, not gated*"])


def test_failures_outside_the_report_keep_the_run_failing(gate, baseline, pytester):
    baseline()
    pytester.makepyfile(test_own="def test_own_rowcount():\n    assert False, 'mine'\n")
    result, report = gate("--dbapi-baseline=base", str(suite_dir()), "test_own.py")
    assert report["baseline"]["status"] == "ok"
    assert result.ret == pytest.ExitCode.TESTS_FAILED, "a failing test of no clause counts"


def test_baseline_from_env_and_ini(gate, baseline, pytester, monkeypatch):
    baseline()
    monkeypatch.setenv("DBAPI_BASELINE", "base")
    result, report = gate(broken="rowcount")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert _ids(report, "regressions") == ROWCOUNT_CLAUSES
    monkeypatch.delenv("DBAPI_BASELINE")
    pytester.makeini("[pytest]\ndbapi_baseline = base\n")
    result, report = gate()
    assert result.ret == pytest.ExitCode.OK and report["baseline"]["status"] == "ok"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing.json", "*--dbapi-baseline: *missing.json does not exist*"),
        ("garbage.json", "*--dbapi-baseline: *garbage.json is not JSON*"),
        ("base/matrix.json", "*--dbapi-baseline: *matrix.json is a matrix report*"),
        ("other.json", "*--dbapi-baseline: *target 'sqlite3-sqlite', which this run does not*"),
        ("misnamed", "*--dbapi-baseline: *mydriver-sqlite.json is the report of target "
                     "'sqlite3-sqlite', not 'mydriver-sqlite'*"),
    ],
)
def test_an_unusable_baseline_is_a_usage_error(gate, baseline, pytester, path, message):
    report = baseline()
    (pytester.path / "garbage.json").write_text("not a report")
    (pytester.path / "base" / "matrix.json").write_text(
        json.dumps({"schema_version": 1, "targets": [TARGET], "clauses": []}))
    other = json.dumps({**report, "target": "sqlite3-sqlite"})
    (pytester.path / "other.json").write_text(other)
    (pytester.path / "misnamed").mkdir()
    (pytester.path / "misnamed" / f"{TARGET}.json").write_text(other)
    result, _ = gate(f"--dbapi-baseline={path}", out="never")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert not (pytester.path / "never").exists()


def test_baseline_needs_a_driver(pytester):
    result = pytester.runpytest("--dbapi-baseline=base")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dbapi-baseline needs --dbapi-driver=MODULE*"])
