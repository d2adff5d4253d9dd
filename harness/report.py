"""The conformance report: per-test results -> per-clause outcomes per target -> files.

Test data travels in ``report.user_properties`` (keys PROP_*), which pytest copies into
every TestReport and pytest-xdist serialises to the controller, so the controller builds
the same report as a single process. Format: reports/README.md (SCHEMA_VERSION).

Clause outcomes (protocols/pep249-clauses.md 7):
pass, fail (with the observed behaviour), xfail (declared expected failure),
unexpected-pass, n/a (declared reason), observed (MAY/UNSPEC: never scored),
skipped (not run here: no server, no Docker, ...), uncovered (no test names the clause).
"""

from __future__ import annotations

import datetime as _dt
import json
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbapi_conformance.harness.clauses import LEVELS, SCORED_LEVELS, load_clauses

SCHEMA_VERSION = 1

PROP_TARGET = "dbapi_target"  # str: target id
PROP_CLAUSES = "dbapi_clauses"  # list[str]: clause ids of the test
PROP_NA = "dbapi_na"  # str: why the test does not apply to the target
PROP_OBSERVED = "dbapi_observed"  # [clause_id, text]
PROP_SERVER = "dbapi_server"  # dict: Endpoint.describe() plus "spec"
PROP_DRIVER = "dbapi_driver"  # dict: driver_info()

OUTCOMES = ("pass", "fail", "xfail", "unexpected-pass", "n/a", "observed", "skipped",
            "uncovered")

#: How much of a failure message or reason is kept.
DETAIL_LIMIT = 400


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def trim(text: str, limit: int = DETAIL_LIMIT) -> str:
    """One line of at most ``limit`` characters, object addresses removed (stable reports)."""
    text = _ADDRESS.sub("", " ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class CaseResult:
    """One test of one target. ``outcome``: pass, fail, xfail, unexpected-pass, n/a, skipped."""

    nodeid: str
    target: str
    clauses: list[str]
    outcome: str | None = None
    detail: str | None = None
    observations: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"nodeid": self.nodeid, "outcome": self.outcome, "detail": self.detail}


def _props(report: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for item in getattr(report, "user_properties", ()) or ():
        try:
            key, value = item
        except (TypeError, ValueError):
            continue
        out.setdefault(key, []).append(value)
    return out


def _failure_message(report: Any) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return crash.message
    text = str(getattr(report, "longreprtext", "") or report.longrepr or "")
    lines = [line for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("E ")]
    return (errors or lines or ["failed"])[-1].lstrip("E ").strip()


def _skip_reason(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
    else:
        reason = str(longrepr or "")
    return reason.removeprefix("Skipped: ")


def phase_outcome(report: Any, props: dict[str, list[Any]]) -> tuple[str, str | None] | None:
    """(outcome, detail) that a phase report contributes, or None (setup/teardown passed)."""
    if report.failed:
        text = str(report.longrepr) if isinstance(report.longrepr, str) else ""
        if text.startswith("[XPASS(strict)]"):
            return "unexpected-pass", trim(text.removeprefix("[XPASS(strict)]").strip())
        where = "" if report.when == "call" else f"error in {report.when}: "
        return "fail", trim(where + _failure_message(report))
    if report.skipped:
        if hasattr(report, "wasxfail"):
            return "xfail", trim(report.wasxfail) or None
        # Only the harness marks a test n/a (a declared capability, PROP_NA); a skip the
        # test makes itself is "skipped", which counts against the verdicts.
        if props.get(PROP_NA):
            return "n/a", trim(props[PROP_NA][-1])
        return "skipped", trim(_skip_reason(report))
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            return "unexpected-pass", trim(report.wasxfail) or None
        return "pass", None
    return None


class ReportCollector:
    """Collects TestReports of a run; ``targets`` gives each target's static description.

    ``targets``: target id -> dict with database, driver (module), reference, server (spec),
    server_kind, capabilities_absent, known_deviations.
    """

    def __init__(self, targets: dict[str, dict[str, Any]]) -> None:
        self.targets = targets
        self.started_at = now()
        self.tests: dict[str, CaseResult] = {}
        self.servers: dict[str, dict[str, Any]] = {}
        self.drivers: dict[str, dict[str, Any]] = {}

    def add(self, report: Any) -> None:
        """Take one phase report (pytest_runtest_logreport)."""
        props = _props(report)
        if not props.get(PROP_TARGET):
            return  # not a conformance test of this run
        target = props[PROP_TARGET][-1]
        result = self.tests.get(report.nodeid)
        if result is None:
            clauses = list(props.get(PROP_CLAUSES, [[]])[-1])
            result = self.tests[report.nodeid] = CaseResult(report.nodeid, target, clauses)
        for clause_id, text in props.get(PROP_OBSERVED, []):
            if (clause_id, text) not in result.observations:
                result.observations.append((clause_id, text))
        for server in props.get(PROP_SERVER, []):
            self.servers[target] = {**self.servers.get(target, {}),
                                    **{k: v for k, v in server.items() if v is not None}}
        for driver in props.get(PROP_DRIVER, []):
            self.drivers[target] = driver
        found = phase_outcome(report, props)
        if found is None:
            return
        # The first outcome stands, except that a later failure (teardown) overrides it.
        if result.outcome is None or (found[0] == "fail" and result.outcome != "fail"):
            result.outcome, result.detail = found

    # --- aggregation -------------------------------------------------------------------

    def target_report(self, target: str, finished_at: str | None = None) -> dict[str, Any]:
        """The JSON-ready report of one target (reports/README.md)."""
        meta = self.targets[target]
        tests = [t for t in self.tests.values() if t.target == target and t.outcome]
        known = {c["id"] for c in load_clauses()}
        by_clause: dict[str, list[CaseResult]] = {}
        observed: dict[str, list[str]] = {}
        unknown: set[str] = set()
        for test in tests:
            for clause_id in test.clauses:
                by_clause.setdefault(clause_id, []).append(test)
                if clause_id not in known:
                    unknown.add(clause_id)
            for clause_id, text in test.observations:
                observed.setdefault(clause_id, []).append(text)
                if clause_id not in known:
                    unknown.add(clause_id)
        deviations = meta.get("known_deviations", {})

        def entry(clause: dict[str, Any]) -> dict[str, Any]:
            cid = clause["id"]
            found = aggregate_clause(clause["level"], by_clause.get(cid, []),
                                     observed.get(cid, []))
            deviation = deviations.get(cid) if found["outcome"] == "fail" else None
            return {**clause, **found, "deviation": deviation}

        clauses = [entry(clause) for clause in load_clauses()]
        # Ids missing from the checklist keep their results, outside the scored summary.
        extra = [entry({"id": cid, "area": None, "level": None, "level_text": None,
                        "clause": None}) for cid in sorted(unknown)]
        server = {"kind": meta.get("server_kind"), "spec": meta.get("server"),
                  "url": None, "product": None, "version": None}
        server.update(self.servers.get(target, {}))
        summary = summarize(clauses)
        return {
            "schema_version": SCHEMA_VERSION,
            "harness": {"name": "dbapi-conformance", "version": harness_version()},
            "target": target,
            "database": meta.get("database"),
            "driver": self.drivers.get(target) or {"module": meta.get("driver")},
            "reference_driver": bool(meta.get("reference")),
            "server": server,
            "capabilities_absent": meta.get("capabilities_absent", {}),
            "known_deviations": dict(deviations),
            "python": {"version": platform.python_version(),
                       "implementation": platform.python_implementation()},
            "platform": platform.platform(),
            "started_at": self.started_at,
            "finished_at": finished_at or now(),
            "tests": {o: sum(t.outcome == o for t in tests) for o in OUTCOMES
                      if any(t.outcome == o for t in tests)},
            "summary": summary,
            "verdicts": verdicts(summary),
            "unknown_clause_ids": sorted(unknown),
            "untagged_tests": sorted(t.nodeid for t in tests if not t.clauses),
            "clauses": clauses,
            "extra_clauses": extra,
        }

    def build(self) -> list[dict[str, Any]]:
        """The reports of all targets, in target order."""
        finished = now()
        return [self.target_report(t, finished) for t in self.targets]


def write_reports(reports: list[dict[str, Any]], directory: Path) -> list[Path]:
    """Write <target>.json and .md per report plus matrix.json/.md; returns the paths."""
    from dbapi_conformance.harness.render import matrix_markdown, target_markdown

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for rep in reports:
        paths.append(_write(directory / f"{rep['target']}.json", to_json(rep)))
        paths.append(_write(directory / f"{rep['target']}.md", target_markdown(rep)))
    matrix = build_matrix(reports)
    paths.append(_write(directory / "matrix.json", to_json(matrix)))
    paths.append(_write(directory / "matrix.md", matrix_markdown(matrix)))
    return paths


def aggregate_clause(level: str, tests: list[CaseResult], observed: list[str]) -> dict[str, Any]:
    """Outcome of one clause from its tests (see module docstring).

    Any fail -> fail; else any unexpected-pass; else any xfail; else any pass -> pass
    (observed for MAY/UNSPEC); else all n/a -> n/a; else skipped; no tests -> uncovered
    (observed when only observations name it).
    """
    outcomes = [t.outcome for t in tests]

    def details(kind: str) -> str | None:
        texts = list(dict.fromkeys(t.detail for t in tests if t.outcome == kind and t.detail))
        return trim("; ".join(texts)) if texts else None

    detail: str | None
    if "fail" in outcomes:
        outcome, detail = "fail", details("fail")
    elif "unexpected-pass" in outcomes:
        outcome, detail = "unexpected-pass", details("unexpected-pass")
    elif "xfail" in outcomes:
        outcome, detail = "xfail", details("xfail")
    elif "pass" in outcomes:
        outcome, detail = ("observed" if level in ("MAY", "UNSPEC") else "pass"), None
    elif outcomes and all(o == "n/a" for o in outcomes):
        outcome, detail = "n/a", details("n/a")
    elif outcomes:
        outcome, detail = "skipped", details("skipped") or details("n/a")
    elif observed:  # named only by another test's observation
        outcome, detail = "observed", None
    else:
        outcome, detail = "uncovered", None
    if outcome == "observed" and observed:
        detail = trim("; ".join(dict.fromkeys(observed)))
    return {
        "outcome": outcome,
        "detail": detail,
        "observed": list(dict.fromkeys(observed)),
        "tests": [t.as_dict() for t in tests],
    }


def summarize(clauses: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per level: total and the count of each outcome that occurs (zeros kept for scored)."""
    summary: dict[str, dict[str, int]] = {}
    for level in LEVELS:
        rows = [c for c in clauses if c["level"] == level]
        counts = {"total": len(rows)}
        for outcome in OUTCOMES:
            n = sum(c["outcome"] == outcome for c in rows)
            if n or (level in SCORED_LEVELS and outcome in ("pass", "fail", "n/a")):
                counts[outcome] = n
        summary[level] = counts
    return summary


def verdicts(summary: dict[str, dict[str, int]]) -> dict[str, str]:
    """"MUST 48/51": clauses passed / clauses that apply (total minus n/a), scored levels."""
    out = {}
    for level in SCORED_LEVELS:
        counts = summary.get(level, {})
        applicable = counts.get("total", 0) - counts.get("n/a", 0)
        out[level] = f"{level} {counts.get('pass', 0)}/{applicable}"
    return out


def build_matrix(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge target reports: rows = clauses, columns = targets (reports/README.md).

    Rows: every checklist clause, then ids outside the checklist that any report has.
    """
    targets = [r["target"] for r in reports]
    entries = [{c["id"]: c for c in r["clauses"] + r.get("extra_clauses", [])}
               for r in reports]
    ids = [(c["id"], c["level"]) for c in load_clauses()]
    known = {cid for cid, _ in ids}
    extra = sorted({cid for r in reports for cid in r.get("unknown_clause_ids", [])} - known)
    rows = []
    for cid, level in ids + [(cid, None) for cid in extra]:
        outcomes = {t: (e[cid]["outcome"] if cid in e else "uncovered")
                    for t, e in zip(targets, entries)}
        rows.append({"id": cid, "level": level, "outcomes": outcomes})
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": now(),
        "targets": targets,
        "verdicts": {r["target"]: r["verdicts"] for r in reports},
        "summary": {r["target"]: r["summary"] for r in reports},
        "clauses": rows,
    }


def harness_version() -> str:
    """The installed dbapi-conformance version."""
    from importlib import metadata

    try:
        return metadata.version("dbapi-conformance")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def to_json(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m dbapi_conformance.harness.report DIR [DIR...] [-o OUT]``.

    Merges the target reports (``*.json`` other than matrix.json) found in the directories
    into OUT/matrix.json and OUT/matrix.md (OUT defaults to the first DIR).
    """
    import argparse

    from dbapi_conformance.harness.render import matrix_markdown

    parser = argparse.ArgumentParser(prog="python -m dbapi_conformance.harness.report")
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("-o", "--out", type=Path)
    args = parser.parse_args(argv)
    reports = []
    for directory in args.dirs:
        for path in sorted(directory.glob("*.json")):
            if path.name == "matrix.json":
                continue
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                print(f"skipping {path}: {exc}", file=sys.stderr)
                continue
            if data.get("schema_version") == SCHEMA_VERSION and "clauses" in data:
                reports.append(data)
    if not reports:
        print("no target reports found", file=sys.stderr)
        return 1
    out = args.out or args.dirs[0]
    out.mkdir(parents=True, exist_ok=True)
    matrix = build_matrix(reports)
    _write(out / "matrix.json", to_json(matrix))
    _write(out / "matrix.md", matrix_markdown(matrix))
    print(f"matrix of {len(reports)} targets written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
