"""Gating a run against a baseline: each target's clause outcomes compared with a stored report.

``--dbapi-baseline=PATH`` (harness/options.py) names one target report (``<target>.json``) or
a directory of them (``<dir>/<target id>.json``). Outcomes fall into three states:

- ok: ``pass``, ``observed``, ``unexpected-pass`` (the behaviour passes; for
  unexpected-pass only the driver profile's declaration is out of date);
- failing: ``fail``, ``xfail`` (a declared failure is still a failure);
- not run: ``n/a``, ``skipped``, ``uncovered``.

Per clause, baseline state -> current state:

- ok -> failing or not run: a regression (fails the run: the gate can no longer vouch for a
  clause it saw pass);
- failing -> failing: still failing (listed, does not fail the run);
- failing or not run -> ok: an improvement;
- any other change of outcome (failing -> not run, not run -> failing, pass ->
  unexpected-pass, ...): listed under ``other_changes``; unchanged outcomes are not listed;
- a clause the baseline lacks: ``new_clauses``; one only the baseline has:
  ``missing_clauses``. Neither fails the run.

Format of the comparison (the ``baseline`` section of a target report): reports/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dbapi_conformance.harness.report import OUTCOMES, SCHEMA_VERSION

OK = frozenset({"pass", "observed", "unexpected-pass"})
FAILING = frozenset({"fail", "xfail"})
NOT_RUN = frozenset({"n/a", "skipped", "uncovered"})

STATUS_OK = "ok"
STATUS_REGRESSED = "regressed"
STATUS_NONE = "no baseline"

LISTS = ("regressions", "still_failing", "improvements", "other_changes", "new_clauses",
         "missing_clauses")


class BaselineError(ValueError):
    """A baseline that cannot be used: unreadable, not a target report, or the wrong target."""


def state(outcome: str) -> str:
    """"ok", "failing" or "not run" for a clause outcome (module docstring)."""
    if outcome in OK:
        return "ok"
    if outcome in FAILING:
        return "failing"
    return "not run"


def read_report(path: Path) -> dict[str, Any]:
    """The target report stored at ``path``; BaselineError when it is not one.

    A target report is a JSON object with ``schema_version`` SCHEMA_VERSION, a ``target``
    and ``clauses``, each clause an object with an ``id`` and a known ``outcome``.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise BaselineError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BaselineError(f"{path} is not a conformance report (not a JSON object)")
    if isinstance(data.get("targets"), list) and "target" not in data:
        raise BaselineError(f"{path} is a matrix report: give one target's <target>.json "
                            "or the directory of the reports")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise BaselineError(f"{path}: schema_version {data.get('schema_version')!r}, "
                            f"expected {SCHEMA_VERSION}")
    clauses = data.get("clauses")
    if not isinstance(data.get("target"), str) or not isinstance(clauses, list):
        raise BaselineError(f"{path} is not a conformance report (no target or clauses)")
    for clause in clauses + list(data.get("extra_clauses") or []):
        if not (isinstance(clause, dict) and isinstance(clause.get("id"), str)
                and clause.get("outcome") in OUTCOMES):
            raise BaselineError(f"{path}: malformed clause entry {clause!r:.120}")
    return data


def load_baselines(path: Path, targets: Iterable[str]) -> dict[str, tuple[Path, dict[str, Any]]]:
    """Target id -> (file, report) for the targets of the run that have a baseline.

    ``path`` is a report file (it applies to the target it names, which must be one of
    ``targets``) or a directory (``<path>/<target id>.json`` per target, when present; each
    file must name its own target). BaselineError for a missing path or an unusable file.
    """
    targets = list(targets)
    if path.is_dir():
        found = {}
        for target in targets:
            file = path / f"{target}.json"
            if file.is_file():
                report = read_report(file)
                if report["target"] != target:
                    raise BaselineError(f"{file} is the report of target "
                                        f"{report['target']!r}, not {target!r}")
                found[target] = (file, report)
        return found
    if not path.exists():
        raise BaselineError(f"{path} does not exist")
    report = read_report(path)
    if report["target"] not in targets:
        raise BaselineError(f"{path} is the report of target {report['target']!r}, which "
                            f"this run does not have (targets: {', '.join(targets)})")
    return {report["target"]: (path, report)}


def _clauses(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in list(report["clauses"]) + list(report.get("extra_clauses") or [])}


def _tests(clause: dict[str, Any], outcome: str) -> set[str]:
    return {t["nodeid"] for t in clause.get("tests") or () if t.get("outcome") == outcome}


def compare(baseline: dict[str, Any], current: dict[str, Any], path: Path) -> dict[str, Any]:
    """The ``baseline`` section of ``current``'s report, compared with ``baseline`` (a report).

    Entries: ``{"id", "level", "baseline", "outcome", "detail"}`` (baseline and current
    outcome; ``detail`` is the current one). ``still_failing`` entries also carry
    ``newly_failing_tests``: node ids that passed in the baseline and fail now (for
    information: they do not fail the run). ``new_clauses`` entries have no ``baseline``,
    ``missing_clauses`` entries no ``outcome``.
    """
    before, now = _clauses(baseline), _clauses(current)
    section: dict[str, Any] = {
        "path": str(path),
        "status": STATUS_OK,
        "baseline_finished_at": baseline.get("finished_at"),
        "baseline_driver": baseline.get("driver"),
        **{name: [] for name in LISTS},
    }
    for cid, clause in now.items():
        entry = {"id": cid, "level": clause.get("level"), "outcome": clause["outcome"],
                 "detail": clause.get("detail")}
        old = before.get(cid)
        if old is None:
            section["new_clauses"].append(entry)
            continue
        entry = {**entry, "baseline": old["outcome"]}
        was, is_ = state(old["outcome"]), state(clause["outcome"])
        if was == "ok" and is_ != "ok":
            section["regressions"].append(entry)
        elif was == "failing" and is_ == "failing":
            newly = sorted(_tests(old, "pass") & _tests(clause, "fail"))
            section["still_failing"].append({**entry, "newly_failing_tests": newly})
        elif was != "ok" and is_ == "ok":
            section["improvements"].append(entry)
        elif old["outcome"] != clause["outcome"]:
            section["other_changes"].append(entry)
    section["missing_clauses"] = [{"id": cid, "level": c.get("level"), "baseline": c["outcome"]}
                                  for cid, c in before.items() if cid not in now]
    if section["regressions"]:
        section["status"] = STATUS_REGRESSED
    return section


def no_baseline(path: Path | None) -> dict[str, Any]:
    """The ``baseline`` section of a target without a baseline; ``path``: where it was sought."""
    return {"path": None if path is None else str(path), "status": STATUS_NONE,
            **{name: [] for name in LISTS}}


def regressed(sections: Iterable[dict[str, Any]]) -> bool:
    """True when any target's section lists a regression."""
    return any(s["status"] == STATUS_REGRESSED for s in sections)


def attach(reports: list[dict[str, Any]], path: Path,
           baselines: dict[str, tuple[Path, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Copies of ``reports`` with their ``baseline`` section, placed right after ``target``.

    ``baselines``: load_baselines() of ``path``, read when the run started.
    """
    out = []
    for rep in reports:
        target = rep["target"]
        if target in baselines:
            file, base = baselines[target]
            section = compare(base, rep, file)
        else:
            section = no_baseline(path / f"{target}.json" if path.is_dir() else None)
        items = list(rep.items())
        at = next((i + 1 for i, (key, _) in enumerate(items) if key == "target"), len(items))
        out.append(dict(items[:at] + [("baseline", section)] + items[at:]))
    return out
