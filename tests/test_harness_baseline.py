"""harness/baseline.py: the comparison of clause outcomes with a baseline, and its loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dbapi_conformance.harness.baseline import (
    BaselineError,
    attach,
    compare,
    load_baselines,
    no_baseline,
    read_report,
    regressed,
    state,
)
from dbapi_conformance.harness.render import baseline_lines, baseline_markdown


def _clause(cid, outcome, level="MUST", tests=()):
    return {"id": cid, "level": level, "outcome": outcome, "detail": f"{cid} {outcome}",
            "tests": [{"nodeid": n, "outcome": o, "detail": None} for n, o in tests]}


def _report(target, *clauses, extra=()):
    return {"schema_version": 1, "target": target, "finished_at": "2025-01-01T10:00:00+00:00",
            "driver": {"module": "mydriver"}, "clauses": list(clauses),
            "extra_clauses": list(extra)}


def _ids(section, name):
    return [(e["id"], e.get("baseline"), e.get("outcome")) for e in section[name]]


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [("pass", "ok"), ("observed", "ok"), ("unexpected-pass", "ok"), ("fail", "failing"),
     ("xfail", "failing"), ("n/a", "not run"), ("skipped", "not run"),
     ("uncovered", "not run")],
)
def test_state_of_each_outcome(outcome, expected):
    assert state(outcome) == expected


def test_compare_sorts_every_transition():
    baseline = _report(
        "t",
        _clause("P-FAIL", "pass"), _clause("O-FAIL", "observed", "MAY"),
        _clause("P-XFAIL", "pass"), _clause("P-NA", "pass"), _clause("P-SKIP", "pass"),
        _clause("P-UNCOV", "pass"), _clause("P-XPASS", "pass"), _clause("P-P", "pass"),
        _clause("F-F", "fail"), _clause("X-F", "xfail"), _clause("F-P", "fail"),
        _clause("X-XPASS", "xfail"), _clause("NA-P", "n/a"), _clause("F-SKIP", "fail"),
        _clause("NA-F", "n/a"), _clause("GONE", "pass"),
    )
    current = _report(
        "t",
        _clause("P-FAIL", "fail"), _clause("O-FAIL", "fail", "MAY"),
        _clause("P-XFAIL", "xfail"), _clause("P-NA", "n/a"), _clause("P-SKIP", "skipped"),
        _clause("P-UNCOV", "uncovered"), _clause("P-XPASS", "unexpected-pass"),
        _clause("P-P", "pass"), _clause("F-F", "fail"), _clause("X-F", "fail"),
        _clause("F-P", "pass"), _clause("X-XPASS", "unexpected-pass"), _clause("NA-P", "pass"),
        _clause("F-SKIP", "skipped"), _clause("NA-F", "fail"), _clause("NEW", "fail"),
    )
    section = compare(baseline, current, Path("/b/t.json"))
    assert section["status"] == "regressed" and section["path"] == "/b/t.json"
    assert _ids(section, "regressions") == [
        ("P-FAIL", "pass", "fail"), ("O-FAIL", "observed", "fail"), ("P-XFAIL", "pass", "xfail"),
        ("P-NA", "pass", "n/a"), ("P-SKIP", "pass", "skipped"), ("P-UNCOV", "pass", "uncovered"),
    ]
    assert section["regressions"][0]["detail"] == "P-FAIL fail"
    assert _ids(section, "still_failing") == [("F-F", "fail", "fail"), ("X-F", "xfail", "fail")]
    assert _ids(section, "improvements") == [
        ("F-P", "fail", "pass"), ("X-XPASS", "xfail", "unexpected-pass"), ("NA-P", "n/a", "pass")]
    assert _ids(section, "other_changes") == [("P-XPASS", "pass", "unexpected-pass"),
                                              ("F-SKIP", "fail", "skipped"),
                                              ("NA-F", "n/a", "fail")]
    assert _ids(section, "new_clauses") == [("NEW", None, "fail")]
    assert _ids(section, "missing_clauses") == [("GONE", "pass", None)]
    assert section["baseline_finished_at"] == "2025-01-01T10:00:00+00:00"
    assert regressed([section]) is True


def test_nothing_regressed_when_only_known_failures_fail():
    baseline = _report("t", _clause("A", "pass"), _clause("B", "fail"),
                       extra=[_clause("XTRA-1", "pass", None)])
    current = _report("t", _clause("A", "pass"), _clause("B", "fail"),
                      extra=[_clause("XTRA-1", "pass", None)])
    section = compare(baseline, current, Path("t.json"))
    assert section["status"] == "ok" and section["regressions"] == []
    assert _ids(section, "still_failing") == [("B", "fail", "fail")]
    assert regressed([section, no_baseline(None)]) is False


def test_extra_clause_ids_are_compared_too():
    section = compare(_report("t", extra=[_clause("XTRA-1", "pass", None)]),
                      _report("t", extra=[_clause("XTRA-1", "fail", None)]), Path("t.json"))
    assert _ids(section, "regressions") == [("XTRA-1", "pass", "fail")]


def test_still_failing_lists_tests_that_newly_fail():
    baseline = _report("t", _clause("C", "fail", tests=[("a", "fail"), ("b", "pass")]))
    current = _report("t", _clause("C", "fail", tests=[("a", "fail"), ("b", "fail")]))
    section = compare(baseline, current, Path("t.json"))
    assert section["still_failing"][0]["newly_failing_tests"] == ["b"]
    assert section["status"] == "ok"


def _write(path: Path, data) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_load_a_file_or_a_directory_by_target_id(tmp_path):
    file = _write(tmp_path / "anything.json", _report("a-sqlite"))
    found = load_baselines(file, ["a-sqlite", "b-sqlite"])
    assert found == {"a-sqlite": (file, _report("a-sqlite"))}
    _write(tmp_path / "b-sqlite.json", _report("b-sqlite"))
    _write(tmp_path / "matrix.json", {"schema_version": 1, "targets": ["b-sqlite"]})
    found = load_baselines(tmp_path, ["b-sqlite", "c-sqlite"])
    assert list(found) == ["b-sqlite"] and found["b-sqlite"][0] == tmp_path / "b-sqlite.json"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "not a JSON object"),
        ({"schema_version": 1, "targets": ["a"], "clauses": []}, "is a matrix report"),
        ({"schema_version": 2, "target": "a", "clauses": []}, "schema_version 2, expected 1"),
        ({"schema_version": 1, "target": "a"}, "no target or clauses"),
        ({"schema_version": 1, "target": "a", "clauses": [{"id": "X", "outcome": "great"}]},
         "malformed clause entry"),
    ],
)
def test_not_a_report_is_an_error(tmp_path, content, message):
    path = _write(tmp_path / "a.json", content)
    with pytest.raises(BaselineError, match=message):
        read_report(path)


def test_unusable_paths_are_errors(tmp_path):
    with pytest.raises(BaselineError, match="does not exist"):
        load_baselines(tmp_path / "nope.json", ["a"])
    with pytest.raises(BaselineError, match="cannot read"):
        read_report(tmp_path)
    other = _write(tmp_path / "x.json", _report("x"))
    with pytest.raises(BaselineError, match=r"target 'x', which this run does not have"):
        load_baselines(other, ["a", "b"])
    _write(tmp_path / "a.json", _report("renamed"))
    with pytest.raises(BaselineError, match=r"a.json is the report of target 'renamed', not 'a'"):
        load_baselines(tmp_path, ["a"])


def test_attach_puts_the_section_after_the_target(tmp_path):
    reports = [{"schema_version": 1, "target": "a", "clauses": [_clause("A", "fail")]},
               {"schema_version": 1, "target": "b", "clauses": []}]
    baselines = {"a": (tmp_path / "a.json", _report("a", _clause("A", "pass")))}
    out = attach(reports, tmp_path, baselines)
    assert [list(r)[:3] for r in out] == [["schema_version", "target", "baseline"]] * 2
    assert out[0]["baseline"]["status"] == "regressed"
    assert out[1]["baseline"] == no_baseline(tmp_path / "b.json")
    assert "baseline" not in reports[0], "the reports given are left alone"
    assert attach(reports[1:], tmp_path / "a.json", {})[0]["baseline"]["path"] is None


def test_renderings_list_regressions_first():
    section = compare(_report("t", _clause("A", "pass"), _clause("B", "fail")),
                      _report("t", _clause("A", "fail"), _clause("B", "fail")), Path("t.json"))
    lines = baseline_lines([{"target": "t", "baseline": section},
                            {"target": "u", "baseline": no_baseline(None)}])
    assert lines == [
        "baseline: 1 clause(s) REGRESSED in 1 target(s): the run fails",
        "t: against t.json",
        "  REGRESSION A (MUST) pass -> fail: A fail",
        "  still failing: B",
        "u: no baseline, not gated",
    ]
    markdown = baseline_markdown(section)
    assert markdown[0] == "## Baseline" and "**REGRESSED**" in markdown[2]
    assert markdown.index("| A | MUST | pass -> fail | A fail |") < markdown.index(
        "- Still failing (not gating): B (fail -> fail)")
    assert "not gated" in baseline_markdown(no_baseline(Path("d/u.json")))[2]
