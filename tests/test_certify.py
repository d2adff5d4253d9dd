"""Certification runs against the CrateDB mock: the project's Done criteria, from the reports.

- The reference driver (``--dbapi-driver=cratedb``) certifies: every MUST, SHOULD and OPT
  clause passes or is n/a with a declared reason, and no clause is left uncovered.
- The official client (``--dbapi-driver=crate.client``) fails exactly the clauses of its
  declared deviations (harness/profiles.py CRATE_CLIENT_DEVIATIONS), each failure carrying
  its note: a new mock bug, a suite regression or a fixed deviation all show up here.

Each driver's suite run happens once per module, in a subprocess (pytester), and its JSON
report is reused by every test that needs it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dbapi_conformance.harness.databases.cratedb import CRATE_CLIENT_DEVIATIONS

#: Levels whose clauses must pass (or not apply, with a reason).
SCORED = ("MUST", "SHOULD", "OPT")
#: Seconds one whole suite run may take before it is taken for a hang.
RUN_TIMEOUT = 300
#: The crate.client version the deviation notes were confirmed with.
CRATE_CLIENT_VERSION = "2.3.0"


# --- what a report must show ---------------------------------------------------------------


def coverage_problems(report: dict[str, Any]) -> list[str]:
    """Clauses nobody tests, n/a without a reason, ids or tests outside the checklist."""
    problems = [f"{c['id']} ({c['level']}): uncovered" for c in report["clauses"]
                if c["outcome"] == "uncovered"]
    problems += [f"{c['id']} ({c['level']}): n/a without a reason" for c in report["clauses"]
                 if c["outcome"] == "n/a" and not (c["detail"] or "").strip()]
    problems += [f"clause id not in the checklist: {cid}" for cid in report["unknown_clause_ids"]]
    problems += [f"test without a pep249 marker: {t}" for t in report["untagged_tests"]]
    return problems


def certification_problems(report: dict[str, Any]) -> list[str]:
    """Why ``report`` does not certify its driver; [] when it does."""
    problems = [
        f"{c['id']} ({c['level']}): {c['outcome']}: {c['detail']}"
        for c in report["clauses"]
        if c["level"] in SCORED and c["outcome"] not in ("pass", "n/a", "uncovered")
    ]
    return problems + coverage_problems(report)


def deviation_problems(report: dict[str, Any], deviations: dict[str, str]) -> list[str]:
    """Differences between the failed clauses of ``report`` and the declared ``deviations``."""
    outcome = {c["id"]: c for c in report["clauses"]}
    failed = {cid for cid, c in outcome.items() if c["outcome"] == "fail"}
    problems = [f"{cid} fails without a declared deviation: {outcome[cid]['detail']}"
                for cid in sorted(failed - set(deviations))]
    problems += [
        f"{cid} is a declared deviation but its outcome is "
        f"{outcome[cid]['outcome'] if cid in outcome else 'missing'}"
        for cid in sorted(set(deviations) - failed)
    ]
    problems += [f"{cid}: the report's deviation note is {outcome[cid]['deviation']!r}"
                 for cid in sorted(failed & set(deviations))
                 if outcome[cid]["deviation"] != deviations[cid]]
    return problems + coverage_problems(report)


# --- the runs ------------------------------------------------------------------------------


@dataclass
class SuiteRun:
    """One suite run: its exit code, the pytest outcome counts and the target's report."""

    ret: int
    outcomes: dict[str, int]
    report: dict[str, Any]


@pytest.fixture(scope="module")
def _suite_runs() -> dict[str, SuiteRun]:
    return {}


@pytest.fixture
def suite_run(pytester: pytest.Pytester, _suite_runs: dict[str, SuiteRun]):
    """``suite_run(driver)``: the run of the installed suite for ``driver`` (made once)."""

    def run(driver: str) -> SuiteRun:
        if driver not in _suite_runs:
            reports = pytester.path / "reports"
            result = pytester.runpytest_subprocess(
                f"--dbapi-driver={driver}", f"--dbapi-report={reports}", "-p", "no:cacheprovider",
                timeout=RUN_TIMEOUT,
            )
            found = [p for p in reports.glob("*.json") if p.name != "matrix.json"]
            assert len(found) == 1, f"expected one target report, got {found}:\n{result.stdout}"
            _suite_runs[driver] = SuiteRun(int(result.ret), result.parseoutcomes(),
                                           json.loads(Path(found[0]).read_text("utf-8")))
        return _suite_runs[driver]

    return run


def test_reference_driver_certifies(suite_run):
    run = suite_run("cratedb")
    assert run.report["target"] == "cratedb-mock" and run.report["reference_driver"]
    assert certification_problems(run.report) == []
    assert run.ret == 0, f"the suite run failed: {run.outcomes}"
    for level, verdict in run.report["verdicts"].items():
        passed, applicable = verdict.split()[1].split("/")
        assert passed == applicable, verdict


def test_crate_client_fails_exactly_its_declared_deviations(suite_run):
    run = suite_run("crate.client")
    assert run.report["target"] == "crate.client-cratedb-mock"
    assert run.report["driver"]["version"] == CRATE_CLIENT_VERSION, (
        "the deviation notes were confirmed with crate.client "
        f"{CRATE_CLIENT_VERSION}; check them again for {run.report['driver']['version']}"
    )
    assert deviation_problems(run.report, CRATE_CLIENT_DEVIATIONS) == []
    assert run.report["known_deviations"] == CRATE_CLIENT_DEVIATIONS
    others = [c for c in run.report["clauses"]
              if c["level"] in SCORED and c["outcome"] not in ("pass", "n/a", "fail")]
    assert others == [], "crate.client clauses neither passed, failed nor n/a"


# --- the checks themselves can fail ----------------------------------------------------------


def _clause(cid, level="MUST", outcome="pass", detail=None, deviation=None):
    return {"id": cid, "level": level, "outcome": outcome, "detail": detail,
            "deviation": deviation}


def _report(*clauses, unknown=(), untagged=()):
    return {"clauses": list(clauses), "unknown_clause_ids": list(unknown),
            "untagged_tests": list(untagged)}


def test_certification_problems_name_each_shortfall():
    good = _report(_clause("A-1"), _clause("A-2", "OPT", "n/a", "no such thing"),
                   _clause("A-3", "MAY", "observed", "saw it"))
    assert certification_problems(good) == []
    bad = _report(
        _clause("B-1", "MUST", "fail", "boom"),
        _clause("B-2", "SHOULD", "skipped", "no server"),
        _clause("B-3", "OPT", "n/a", ""),
        _clause("B-4", "MAY", "uncovered"),
        _clause("B-5", "OPT", "xfail", "declared"),
        unknown=["ZZZ-1"], untagged=["test_x.py::test_y[t]"],
    )
    assert certification_problems(bad) == [
        "B-1 (MUST): fail: boom",
        "B-2 (SHOULD): skipped: no server",
        "B-5 (OPT): xfail: declared",
        "B-4 (MAY): uncovered",
        "B-3 (OPT): n/a without a reason",
        "clause id not in the checklist: ZZZ-1",
        "test without a pep249 marker: test_x.py::test_y[t]",
    ]


def test_deviation_problems_catch_new_failures_fixed_deviations_and_notes():
    deviations = {"D-1": "known", "D-2": "fixed meanwhile", "D-3": "noted"}
    report = _report(
        _clause("D-1", outcome="fail", detail="x", deviation="known"),
        _clause("D-2", outcome="pass"),
        _clause("D-3", outcome="fail", detail="y", deviation=None),
        _clause("D-4", outcome="fail", detail="new mock bug"),
    )
    assert deviation_problems(report, deviations) == [
        "D-4 fails without a declared deviation: new mock bug",
        "D-2 is a declared deviation but its outcome is pass",
        "D-3: the report's deviation note is None",
    ]
    exact = _report(_clause("D-1", outcome="fail", detail="x", deviation="known"))
    assert deviation_problems(exact, {"D-1": "known"}) == []
