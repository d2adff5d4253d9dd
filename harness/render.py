"""Markdown renderings of a target report and of the matrix (data: harness/report.py)."""

from __future__ import annotations

from typing import Any

from dbapi_conformance.harness.clauses import LEVELS, SCORED_LEVELS

#: Matrix cell text per outcome: failures stand out, absent things stay quiet.
CELL = {
    "pass": "pass",
    "fail": "**FAIL**",
    "xfail": "xfail",
    "unexpected-pass": "**XPASS**",
    "n/a": "n/a",
    "observed": "obs",
    "skipped": "skip",
    "uncovered": "–",
}

_COUNT_COLUMNS = ("pass", "fail", "xfail", "unexpected-pass", "n/a", "observed", "skipped",
                  "uncovered")


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    if text is None:
        return ""
    return " ".join(str(text).split()).replace("|", "\\|")


def driver_line(driver: dict[str, Any]) -> str:
    parts = [driver.get("module") or "?"]
    if driver.get("version"):
        parts.append(str(driver["version"]))
    globals_ = [f"{k} {driver[k]!r}" for k in ("apilevel", "threadsafety", "paramstyle")
                if k in driver]
    return " ".join(parts) + (f" ({', '.join(globals_)})" if globals_ else "")


def server_line(server: dict[str, Any]) -> str:
    kind = server.get("kind") or "?"
    if kind == "none":
        return "none (embedded database)"
    text = f"{kind}: {server.get('product') or 'unknown product'}"
    if server.get("version"):
        text += f" {server['version']}"
    if server.get("url"):
        text += f" at {server['url']}"
    return text


def _transition(entry: dict[str, Any]) -> str:
    return f"{entry.get('baseline', 'none')} -> {entry.get('outcome', 'none')}"


def baseline_markdown(section: dict[str, Any]) -> list[str]:
    """The "Baseline" section of a target's Markdown report: regressions first, one row each."""
    if section["status"] == "no baseline":
        where = f" (no {section['path']})" if section.get("path") else ""
        return ["## Baseline", "", f"No baseline for this target{where}: not gated.", ""]
    verdict = ("**REGRESSED**" if section["status"] == "regressed" else "nothing regressed")
    lines = ["## Baseline", "",
             f"Compared with `{section['path']}` (run of {section.get('baseline_finished_at')}):"
             f" {verdict}.", ""]
    if section["regressions"]:
        lines += ["| Regression | Level | Baseline -> now | Detail |", "|---|---|---|---|"]
        lines += [f"| {e['id']} | {e['level'] or '?'} | {_transition(e)} | {cell(e['detail'])} |"
                  for e in section["regressions"]]
        lines.append("")
    for name, title in (("still_failing", "Still failing (not gating)"),
                        ("improvements", "Improvements"),
                        ("other_changes", "Other changes (not gating)"),
                        ("new_clauses", "Not in the baseline (not gating)"),
                        ("missing_clauses", "Only in the baseline")):
        if section[name]:
            lines.append(f"- {title}: "
                         + ", ".join(f"{e['id']} ({_transition(e)})" for e in section[name]))
    return lines + ([""] if lines[-1] else [])


def target_markdown(rep: dict[str, Any]) -> str:
    """The human-readable report of one target (a "Baseline" section first when gated)."""
    lines = [
        f"# PEP 249 conformance: {rep['target']}",
        "",
        *(baseline_markdown(rep["baseline"]) if rep.get("baseline") else []),
        "| | |",
        "|---|---|",
        f"| Driver | {cell(driver_line(rep['driver']))} |",
        f"| Database | {cell(rep['database'])} |",
        f"| Server | {cell(server_line(rep['server']))} |",
        f"| Harness | dbapi-conformance {cell(rep['harness']['version'])}, Python "
        f"{cell(rep['python']['version'])}, {cell(rep['platform'])} |",
        f"| Run | {cell(rep['started_at'])} to {cell(rep['finished_at'])} |",
        f"| Verdict | {cell(', '.join(rep['verdicts'].values()))} |",
        "",
        "## Summary",
        "",
        "| Level | total | " + " | ".join(_COUNT_COLUMNS) + " |",
        "|---|---:|" + "---:|" * len(_COUNT_COLUMNS),
    ]
    for level in LEVELS:
        counts = rep["summary"].get(level, {})
        lines.append(
            f"| {level} | {counts.get('total', 0)} | "
            + " | ".join(str(counts.get(c, 0)) for c in _COUNT_COLUMNS)
            + " |"
        )
    lines += [
        "",
        "MAY and UNSPEC clauses are reported as observed and never scored. The verdict counts "
        "passed clauses out of those that apply (n/a excluded).",
        "",
        "## Clauses",
        "",
        "| Clause | Level | Outcome | Detail |",
        "|---|---|---|---|",
    ]
    for c in rep["clauses"]:
        detail = c.get("detail") or ""
        if c.get("deviation"):
            detail = f"{detail} — known deviation: {c['deviation']}".lstrip(" —")
        lines.append(
            f"| {c['id']} | {cell(c['level_text'])} | {CELL.get(c['outcome'], c['outcome'])} "
            f"| {cell(detail)} |"
        )
    if rep["capabilities_absent"]:
        lines += ["", "## Capabilities declared absent", ""]
        lines += [f"- `{k}`: {v}" for k, v in rep["capabilities_absent"].items()]
    if rep.get("extra_clauses"):
        lines += ["", "## Clause ids not in the checklist (not scored)", "",
                  "| Clause | Outcome | Detail |", "|---|---|---|"]
        lines += [f"| {c['id']} | {CELL.get(c['outcome'], c['outcome'])} | {cell(c['detail'])} |"
                  for c in rep["extra_clauses"]]
    return "\n".join(lines) + "\n"


def matrix_markdown(matrix: dict[str, Any]) -> str:
    """The cross-target matrix: one row per clause, one column per target."""
    targets = matrix["targets"]
    lines = ["# PEP 249 conformance matrix", ""]
    lines += ["| Target | " + " | ".join(SCORED_LEVELS) + " |",
              "|---|" + "---|" * len(SCORED_LEVELS)]
    for target in targets:
        v = matrix["verdicts"][target]
        lines.append(f"| {target} | " + " | ".join(cell(v[level]) for level in SCORED_LEVELS)
                     + " |")
    lines += ["", "| Clause | Level | " + " | ".join(targets) + " |",
              "|---|---|" + "---|" * len(targets)]
    for row in matrix["clauses"]:
        lines.append(
            f"| {row['id']} | {row['level'] or '?'} | "
            + " | ".join(CELL.get(row["outcomes"].get(t, "uncovered"), "?") for t in targets)
            + " |"
        )
    return "\n".join(lines) + "\n"


def terminal_lines(reports: list[dict[str, Any]]) -> list[str]:
    """Compact per-target summary for the terminal: verdicts and failing clause ids."""
    width = max((len(r["target"]) for r in reports), default=0)
    out = []
    for rep in reports:
        counts = rep["summary"]
        extras = []
        for level in SCORED_LEVELS:
            c = counts.get(level, {})
            if c.get("skipped"):
                extras.append(f"{level} skipped {c['skipped']}")
        line = f"{rep['target']:<{width}}  " + "  ".join(rep["verdicts"].values())
        if extras:
            line += "  (" + ", ".join(extras) + ")"
        out.append(line)
        failing = [c["id"] for c in rep["clauses"] + rep.get("extra_clauses", [])
                   if c["outcome"] in ("fail", "unexpected-pass")]
        if failing:
            out.append(f"{'':<{width}}  failing: {', '.join(failing)}")
    return out


def baseline_lines(reports: list[dict[str, Any]]) -> list[str]:
    """Terminal lines of the baseline comparison: the run's verdict, then per target its
    regressions (one line each, with detail), then the other lists as clause ids."""
    sections = [(r["target"], r["baseline"]) for r in reports if r.get("baseline")]
    count = sum(len(s["regressions"]) for _, s in sections)
    if count:
        hit = sum(bool(s["regressions"]) for _, s in sections)
        out = [f"baseline: {count} clause(s) REGRESSED in {hit} target(s): the run fails"]
    else:
        out = ["baseline: nothing regressed"]
    for target, section in sections:
        if section["status"] == "no baseline":
            out.append(f"{target}: no baseline, not gated")
            continue
        out.append(f"{target}: against {section['path']}")
        out += [f"  REGRESSION {e['id']} ({e['level'] or '?'}) {_transition(e)}"
                + (f": {e['detail']}" if e.get("detail") else "")
                for e in section["regressions"]]
        for name, title in (("still_failing", "still failing"), ("improvements", "improved"),
                            ("other_changes", "changed"), ("new_clauses", "not in baseline"),
                            ("missing_clauses", "only in baseline")):
            if section[name]:
                out.append(f"  {title}: {', '.join(e['id'] for e in section[name])}")
    return out
