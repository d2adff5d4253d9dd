"""The PEP 249 clause checklist (harness/data/clauses.json; protocols/pep249-clauses.md 2).

Each clause is a dict: id, area, level (MUST, SHOULD, OPT, MAY, UNSPEC), level_text (the
checklist's wording, e.g. "OPT→MUST"), clause (paraphrase), and, where a capability may make
its tests n/a, na_capabilities: capability name -> why PEP 249 allows it (reports/README.md
"Which capabilities may make a clause n/a"). A clause without it allows none.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

LEVELS = ("MUST", "SHOULD", "OPT", "MAY", "UNSPEC")
#: Levels that are scored; MAY and UNSPEC are only reported as observed.
SCORED_LEVELS = ("MUST", "SHOULD", "OPT")


@functools.cache
def load_clauses() -> tuple[dict, ...]:
    """All clauses in checklist order (read once)."""
    text = resources.files("dbapi_conformance.harness").joinpath("data/clauses.json")
    return tuple(json.loads(text.read_text(encoding="utf-8")))


def clause_index() -> dict[str, dict]:
    """Clause id -> clause dict."""
    return {c["id"]: c for c in load_clauses()}


def allowed_capabilities(clause_id: str) -> dict[str, str]:
    """Capability -> reason, for the capabilities that may make ``clause_id`` n/a.

    {} for a clause that allows none, and for an id outside the checklist (such ids are
    never scored, so nothing is enforced for them).
    """
    return dict(clause_index().get(clause_id, {}).get("na_capabilities", {}))


def gating_problems(clause_ids: list[str], capabilities: list[str]) -> list[str]:
    """Why gating a test of ``clause_ids`` by ``capabilities`` breaks the n/a rule; [] if not.

    A capability may gate a test only when every checklist clause of the test allows it
    (``na_capabilities``); otherwise the capability could turn that clause into n/a.
    """
    index = clause_index()
    problems = []
    for name in dict.fromkeys(capabilities):
        for cid in clause_ids:
            if cid in index and name not in allowed_capabilities(cid):
                problems.append(
                    f"capability {name!r} may not make {cid} ({index[cid]['level']}) n/a; "
                    f"it allows {sorted(allowed_capabilities(cid)) or 'no capability'} "
                    "(harness/data/clauses.json na_capabilities)"
                )
    return problems
