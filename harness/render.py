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


def target_markdown(rep: dict[str, Any]) -> str:
    """The human-readable report of one target."""
    lines = [
        f"# PEP 249 conformance: {rep['target']}",
        "",
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
