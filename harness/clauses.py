"""The PEP 249 clause checklist (harness/data/clauses.json; protocols/pep249-clauses.md 2).

Each clause is a dict: id, area, level (MUST, SHOULD, OPT, MAY, UNSPEC), level_text (the
checklist's wording, e.g. "OPT→MUST"), clause (paraphrase).
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
