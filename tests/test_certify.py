"""Certification pinned per (driver, database, server): the project's Done criteria.

One row per target of the table below: the exact set of failing suite tests (not only
clauses), the exact n/a set (each n/a must carry a capability the target declares absent,
with its reason), the verdict line, and for every failing clause the declared deviation.
Adding a database, or a client of one, adds a row. A new mock bug, a suite regression, a
fixed deviation, a capability declared absent by mistake: each shows up as a changed pin.

Each row's suite run happens once per module, in a subprocess (pytester), and its JSON
report is reused by every test that needs it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dbapi_conformance.harness.databases import DATABASES, builtin_profile

#: Levels whose clauses must pass (or not apply, with a reason).
SCORED = ("MUST", "SHOULD", "OPT")
#: Seconds one whole suite run may take before it is taken for a hang.
RUN_TIMEOUT = 300


@dataclass(frozen=True)
class Row:
    """What one certification run must show.

    - ``driver``: the ``--dbapi-driver`` value; ``database``, ``server``: the target's.
    - ``target``: the expected target id; ``version``: the driver version the pins were
      confirmed with (None: not checked, for this project's own drivers).
    - ``verdicts``: the report's verdict line, "MUST a/b SHOULD c/d OPT e/f".
    - ``failing``: suite tests that fail, as "file::test[params without the target id]".
    - ``na``: clause id -> the capability whose declared absence makes it n/a.
    """

    driver: str
    database: str
    server: str
    target: str
    verdicts: str
    version: str | None = None
    failing: frozenset[str] = frozenset()
    na: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.driver}-{self.database}-{self.server}"


_NA_CRATEDB = {
    "CON-CLOSE-4": "transactions", "CON-COMMIT-2": "transactions",
    "CON-ROLLBACK-1": "rollback", "CON-ROLLBACK-2": "transactions",
    "CUR-CALLPROC-1": "callproc", "CUR-CALLPROC-2": "callproc", "CUR-CALLPROC-3": "callproc",
    "CUR-NEXTSET-1": "nextset", "CUR-NEXTSET-2": "nextset", "CUR-NEXTSET-3": "nextset",
    "EXT-AUTOC-1": "autocommit_attribute", "EXT-AUTOC-2": "transactions",
    "EXT-ERRH-1": "errorhandler", "EXT-ERRH-2": "errorhandler", "EXT-ERRH-3": "errorhandler",
    **{cid: "tpc" for cid in (
        "TPC-BEGIN-1", "TPC-BEGIN-2", "TPC-COMMIT-1", "TPC-COMMIT-2", "TPC-GEN-1",
        "TPC-PREP-1", "TPC-RB-1", "TPC-RECOVER-1", "TPC-XID-1", "TPC-XID-2", "TPC-XID-3")},
    "TYP-OPEN-1": "decimal_type",
}

_CRATE_CLIENT_FAILING = frozenset({
    "test_cursor_attributes.py::test_description_is_none_before_execute",
    *(f"test_cursor_attributes.py::test_description_is_none_without_result_set[{k}]"
      for k in ("ddl", "delete", "insert", "update")),
    "test_cursor_attributes.py::test_description_mandatory_and_optional_items",
    *(f"test_exceptions.py::test_database_error_subclass[{name}]" for name in (
        "DataError", "IntegrityError", "InternalError", "NotSupportedError",
        "OperationalError", "ProgrammingError")),
    "test_exceptions.py::test_database_error_subclasses_error",
    *(f"test_exceptions.py::test_error_class_per_failure[{case}]" for case in (
        "data_error-DataError", "duplicate_key-IntegrityError",
        "existing_table-ProgrammingError",
        "syntax_error-ProgrammingError", "too_few_parameters-ProgrammingError",
        "unknown_table-ProgrammingError", "unreachable_server-OperationalError")),
    "test_exceptions.py::test_error_is_the_base_of_all_errors",
    "test_exceptions.py::test_errors_are_module_errors[unbindable_parameter]",
    "test_exceptions.py::test_interface_error_subclasses_error",
    "test_exceptions.py::test_warning_is_not_an_error",
    "test_exceptions.py::test_warning_subclasses_exception",
    "test_execute.py::test_parameters_in_custom_getitem_containers",
    "test_execute.py::test_percent_escape_in_format_styles",
    "test_extensions.py::test_cursor_connection",
    "test_extensions.py::test_lastrowid",
    *(f"test_fetch.py::test_fetch_without_result_set_raises[{method}-{after}]"
      for method in ("fetchall", "fetchmany", "fetchone")
      for after in ("after_ddl", "after_executemany", "after_insert")),
    "test_types.py::test_binary_constructor_holds_bytes",
    "test_types.py::test_constructed_values_are_bound_as_their_type[timestamp]",
    "test_types.py::test_constructors_return_hinted_types",
    "test_types.py::test_results_have_hinted_types[timestamp]",
    *(f"test_types.py::test_temporal_constructors_build_values[{k}]"
      for k in ("date", "time", "timestamp")),
    "test_types.py::test_temporal_values_round_trip[timestamp]",
    "test_types.py::test_ticks_constructors_use_local_time",
    *(f"test_types.py::test_type_code_compares_equal_to_type_object[{k}]"
      for k in ("bigint", "float", "int", "text", "timestamp")),
    "test_types.py::test_type_objects_exist",
})

#: The certification table: one row per (driver, database, server).
ROWS = (
    Row("cratedb", "cratedb", "mock", "cratedb-mock",
        "MUST 55/55 SHOULD 12/12 OPT 12/12", na=_NA_CRATEDB),
    Row("crate.client", "cratedb", "mock", "crate.client-cratedb-mock",
        "MUST 32/55 SHOULD 9/12 OPT 2/4", version="2.3.0", failing=_CRATE_CLIENT_FAILING,
        na={**_NA_CRATEDB, "EXT-ROWNUM-1": "rownumber",
            "EXT-CONNEXC-1": "connection_exceptions", "EXT-SCROLL-1": "scroll",
            "EXT-SCROLL-2": "scroll", "EXT-SCROLL-3": "scroll", "EXT-MSG-1": "messages",
            "EXT-MSG-2": "messages", "EXT-MSG-3": "messages"}),
)


# --- what a report shows -------------------------------------------------------------------


def test_name(nodeid: str, target: str) -> str:
    """``test_x.py::test_y[<target>-a-b]`` -> ``test_x.py::test_y[a-b]`` (no brackets if
    only the target id was there)."""
    if not nodeid.endswith("]") or "[" not in nodeid:
        return nodeid
    base, _, params = nodeid[:-1].partition("[")
    params = "-".join(p for p in params.replace(target, "").split("-") if p)
    return f"{base}[{params}]" if params else base


test_name.__test__ = False  # a helper, not a test


def failing_tests(report: dict[str, Any]) -> set[str]:
    """Names of the report's tests that failed (any clause)."""
    return {test_name(t["nodeid"], report["target"]) for c in report["clauses"]
            for t in c["tests"] if t["outcome"] == "fail"}


def verdict_line(report: dict[str, Any]) -> str:
    return " ".join(report["verdicts"][level] for level in SCORED)


def coverage_problems(report: dict[str, Any]) -> list[str]:
    """Clauses nobody tests, n/a without a reason, ids or tests outside the checklist."""
    problems = [f"{c['id']} ({c['level']}): uncovered" for c in report["clauses"]
                if c["outcome"] == "uncovered"]
    problems += [f"{c['id']} ({c['level']}): n/a without a reason" for c in report["clauses"]
                 if c["outcome"] == "n/a" and not (c["detail"] or "").strip()]
    problems += [f"clause id not in the checklist: {cid}" for cid in report["unknown_clause_ids"]]
    problems += [f"test without a pep249 marker: {t}" for t in report["untagged_tests"]]
    return problems


def na_problems(report: dict[str, Any], expected: Mapping[str, str]) -> list[str]:
    """Differences between the report's n/a clauses and ``expected`` (clause -> capability):
    every n/a must name its capability and carry the reason the target declares for it."""
    absent = report["capabilities_absent"]
    found = {c["id"]: c["detail"] or "" for c in report["clauses"] if c["outcome"] == "n/a"}
    problems = [f"{cid} is n/a, not pinned: {found[cid]}"
                for cid in sorted(set(found) - set(expected))]
    problems += [f"{cid} is pinned n/a ({expected[cid]}) but is not n/a"
                 for cid in sorted(set(expected) - set(found))]
    for cid in sorted(set(found) & set(expected)):
        capability = expected[cid]
        want = f"{capability}: {absent.get(capability, '<not declared>')}"
        if capability not in absent or not found[cid].startswith(want):
            problems.append(f"{cid}: n/a detail {found[cid]!r} is not the declared {want!r}")
    return problems


def deviation_problems(report: dict[str, Any], deviations: Mapping[str, str]) -> list[str]:
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
    return problems


def certification_problems(report: dict[str, Any]) -> list[str]:
    """Scored clauses that neither pass nor are n/a, plus coverage problems."""
    problems = [
        f"{c['id']} ({c['level']}): {c['outcome']}: {c['detail']}"
        for c in report["clauses"]
        if c["level"] in SCORED and c["outcome"] not in ("pass", "n/a", "fail", "uncovered")
    ]
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
    """``suite_run(row)``: the run of the installed suite for ``row`` (made once)."""

    def run(row: Row) -> SuiteRun:
        if row.id not in _suite_runs:
            reports = pytester.path / "reports"
            result = pytester.runpytest_subprocess(
                f"--dbapi-driver={row.driver}", f"--dbapi-database={row.database}",
                f"--dbapi-server={row.server}", f"--dbapi-report={reports}",
                "-p", "no:cacheprovider", timeout=RUN_TIMEOUT,
            )
            found = [p for p in reports.glob("*.json") if p.name != "matrix.json"]
            assert len(found) == 1, f"expected one target report, got {found}:\n{result.stdout}"
            _suite_runs[row.id] = SuiteRun(int(result.ret), result.parseoutcomes(),
                                           json.loads(Path(found[0]).read_text("utf-8")))
        return _suite_runs[row.id]

    return run


def test_every_registry_driver_has_a_row():
    drivers = {db.reference_module for db in DATABASES.values() if db.reference_connect}
    drivers |= {client.module for db in DATABASES.values() for client in db.clients}
    rows = {builtin_profile(r.driver).module if builtin_profile(r.driver) else r.driver
            for r in ROWS} | {f"dbapi_conformance.drivers.{r.driver}" for r in ROWS}
    assert drivers <= rows, f"registry drivers without a certification row: {drivers - rows}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_certification(suite_run, row):
    run = suite_run(row)
    report = run.report
    assert report["target"] == row.target
    if row.version is not None:
        assert report["driver"]["version"] == row.version, (
            f"the pins were confirmed with {row.driver} {row.version}; check them again for "
            f"{report['driver']['version']}")
    assert certification_problems(report) == []
    assert sorted(failing_tests(report) - row.failing) == [], "tests that fail unpinned"
    assert sorted(row.failing - failing_tests(report)) == [], "pinned failures that pass"
    assert na_problems(report, row.na) == []
    profile = builtin_profile(row.driver) or builtin_profile(
        f"dbapi_conformance.drivers.{row.driver}")
    assert deviation_problems(report, profile.known_deviations) == []
    assert report["known_deviations"] == dict(profile.known_deviations)
    assert verdict_line(report) == row.verdicts
    assert (run.ret == 0) == (not row.failing), f"the suite run's exit status: {run.outcomes}"


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


def test_na_problems_require_pinned_clauses_with_declared_reasons():
    report = {"capabilities_absent": {"tpc": "no two-phase commit"}, "clauses": [
        _clause("N-1", "OPT", "n/a", "tpc: no two-phase commit"),
        _clause("N-2", "OPT", "n/a", "optional extension scroll not implemented"),
        _clause("N-3", "OPT", "n/a", "scroll: no scrolling"),
        _clause("N-4", "OPT", "pass"),
    ]}
    assert na_problems(report, {"N-1": "tpc", "N-3": "scroll", "N-4": "tpc"}) == [
        "N-2 is n/a, not pinned: optional extension scroll not implemented",
        "N-4 is pinned n/a (tpc) but is not n/a",
        "N-3: n/a detail 'scroll: no scrolling' is not the declared 'scroll: <not declared>'",
    ]
    report["capabilities_absent"]["scroll"] = "no scrolling"
    del report["clauses"][1]
    assert na_problems(report, {"N-1": "tpc", "N-3": "scroll"}) == []


def test_failing_tests_are_named_without_the_target_id():
    assert test_name("t.py::test_x[crate.client-cratedb-mock-date]",
                     "crate.client-cratedb-mock") == "t.py::test_x[date]"
    assert test_name("t.py::test_x[cratedb-mock]", "cratedb-mock") == "t.py::test_x"
    assert test_name("t.py::test_x", "cratedb-mock") == "t.py::test_x"
    report = {"target": "x-mock", "clauses": [
        {"tests": [{"nodeid": "a.py::t[x-mock-1]", "outcome": "fail"},
                   {"nodeid": "a.py::u[x-mock]", "outcome": "pass"}]},
        {"tests": [{"nodeid": "b.py::v[x-mock]", "outcome": "fail"}]}]}
    assert failing_tests(report) == {"a.py::t[1]", "b.py::v"}
