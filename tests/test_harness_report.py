"""The conformance report written by the plugin (pytester runs of a small fake suite)."""

from __future__ import annotations

import json

import pytest

from dbapi_conformance.harness import report as report_module
from dbapi_conformance.harness.plugin import suite_dir
from dbapi_conformance.harness.targets import EMBEDDED

#: sqlite3 through the profile hook, plus "fakedb": sqlite3 re-exported with apilevel "1.0",
#: a second target whose GLB-APILEVEL-2 fails.
CONFTEST = """
from dbapi_conformance.harness import Capabilities, DriverProfile, SqlProfile

SQL = SqlProfile(types={"int": "INTEGER", "float": "REAL", "text": "TEXT", "binary": "BLOB"})

def _connect(module, endpoint):
    return module.connect(endpoint.data_dir / "db.sqlite", timeout=1)

def pytest_dbapi_profile(config, driver):
    if driver not in ("sqlite3", "fakedb"):
        return None
    return DriverProfile(
        module=driver, database="sqlite", server="none", connect=_connect, sql=SQL,
        capabilities=Capabilities({"callproc": "SQLite has no stored procedures",
                                   "scroll": "sqlite3's Cursor has no scroll()"}),
        known_deviations={"CUR-ROWC-3": "the driver reports -1 here on purpose"},
        expected_failures={"EXT-ROWNUM-1": "rownumber is not implemented",
                           "EXT-CURCONN-1": "believed missing"},
    )
"""

FAKEDB = """
from sqlite3 import *  # noqa: F401,F403 - a sqlite3 look-alike driver
from sqlite3 import connect, paramstyle, threadsafety  # noqa: F401

apilevel = "1.0"
__version__ = "0.0.1"
"""

FAKE_SUITE = """
import pytest

@pytest.mark.pep249("GLB-APILEVEL-1")
def test_apilevel_is_str(dbapi_module):
    assert isinstance(dbapi_module.apilevel, str)

@pytest.mark.pep249("GLB-APILEVEL-2")
def test_apilevel_is_2(dbapi_module):
    assert dbapi_module.apilevel == "2.0", f"apilevel is {dbapi_module.apilevel!r}"

@pytest.mark.pep249("MOD-CONNECT-1", "CON-CURSOR-1")
def test_connect_and_cursor(dbapi_connection):
    assert dbapi_connection.cursor() is not dbapi_connection.cursor()

@pytest.mark.pep249("CUR-EXECMANY-1")
def test_executemany(dbapi_target, dbapi_connection, dbapi_table, dbapi_params):
    table = dbapi_table()
    cur = dbapi_connection.cursor()
    cur.executemany(dbapi_params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})"),
                    [dbapi_params.args(i, f"n{i}") for i in range(3)])
    dbapi_target.sql.after_write(cur, table)
    cur.execute(f"SELECT count(*) FROM {table}")
    assert cur.fetchone()[0] == 3

@pytest.mark.pep249("CUR-CALLPROC-2")
@pytest.mark.dbapi_requires("callproc")
def test_callproc(dbapi_cursor):
    raise AssertionError("must not run")

@pytest.mark.pep249("CUR-ROWC-3")
def test_rowcount(dbapi_cursor):
    assert dbapi_cursor.rowcount == -2, "rowcount before execute was -1"

@pytest.mark.pep249("CUR-EXEC-9")
def test_execute_return(dbapi_cursor, dbapi_observe, dbapi_target):
    result = dbapi_cursor.execute(dbapi_target.sql.select_one)
    dbapi_observe("CUR-EXEC-9", f"execute returned {type(result).__name__}")

@pytest.mark.pep249("EXT-SCROLL-1")
def test_scroll(dbapi_cursor, dbapi_optional):
    dbapi_optional(dbapi_cursor, "scroll", "scroll")

@pytest.mark.pep249("EXT-ROWNUM-1")
def test_rownumber(dbapi_cursor):
    assert hasattr(dbapi_cursor, "rownumber"), "no rownumber"

@pytest.mark.pep249("EXT-CURCONN-1")
def test_cursor_connection(dbapi_connection):
    assert dbapi_connection.cursor().connection is dbapi_connection

@pytest.mark.pep249("XTRA-FETCH-1")
def test_id_outside_the_checklist(dbapi_cursor, dbapi_target):
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    assert dbapi_cursor.fetchone() == (1,)

def test_untagged(dbapi_target):
    pass

@pytest.mark.pep249("CON-CLOSE-1")
def test_setup_error(dbapi_target, broken):
    pass

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_without_target():
    pass
"""

#: Expected clause outcomes for the sqlite3 target of FAKE_SUITE.
EXPECTED = {
    "GLB-APILEVEL-1": ("pass", None),
    "GLB-APILEVEL-2": ("pass", None),
    "MOD-CONNECT-1": ("pass", None),
    "CON-CURSOR-1": ("pass", None),
    "CUR-EXECMANY-1": ("pass", None),
    "CUR-CALLPROC-2": ("n/a", "callproc: SQLite has no stored procedures"),
    "CUR-EXEC-9": ("observed", "execute returned Cursor"),
    "EXT-SCROLL-1": ("n/a", "scroll: sqlite3's Cursor has no scroll()"),
    "EXT-ROWNUM-1": ("xfail", "declared deviation: rownumber is not implemented"),
    "EXT-CURCONN-1": ("unexpected-pass", "declared deviation: believed missing"),
    "CON-CLOSE-1": ("fail", "error in setup: RuntimeError: fixture exploded"),
    "CUR-DESC-1": ("uncovered", None),
}


@pytest.fixture
def fake_suite(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(fakedb=FAKEDB, test_fake=FAKE_SUITE)
    pytester.syspathinsert()
    return pytester


def _load(pytester, name, directory="reports"):
    return json.loads((pytester.path / directory / name).read_text(encoding="utf-8"))


def _outcomes(rep):
    return {c["id"]: (c["outcome"], c["detail"]) for c in rep["clauses"]}


def test_report_outcomes_per_clause(fake_suite):
    result = fake_suite.runpytest("--dbapi-driver=sqlite3", "test_fake.py")
    result.assert_outcomes(passed=8, failed=2, skipped=2, xfailed=1, errors=1)
    rep = _load(fake_suite, "sqlite3-sqlite.json")
    outcomes = _outcomes(rep)
    for clause_id, expected in EXPECTED.items():
        assert outcomes[clause_id] == expected, clause_id
    rowcount = next(c for c in rep["clauses"] if c["id"] == "CUR-ROWC-3")
    assert rowcount["outcome"] == "fail"
    assert rowcount["detail"].startswith("AssertionError: rowcount before execute was -1")
    assert rowcount["deviation"] == "the driver reports -1 here on purpose"
    assert rowcount["tests"] == [{"nodeid": "test_fake.py::test_rowcount[sqlite3-sqlite]",
                                  "outcome": "fail", "detail": rowcount["detail"]}]
    assert rep["unknown_clause_ids"] == ["XTRA-FETCH-1"]
    assert [(c["id"], c["outcome"]) for c in rep["extra_clauses"]] == [("XTRA-FETCH-1", "pass")]
    assert rep["untagged_tests"] == ["test_fake.py::test_untagged[sqlite3-sqlite]"]


def test_report_metadata_and_summary(fake_suite):
    fake_suite.runpytest("--dbapi-driver=sqlite3", "test_fake.py")
    rep = _load(fake_suite, "sqlite3-sqlite.json")
    assert rep["schema_version"] == report_module.SCHEMA_VERSION == 1
    assert rep["harness"]["name"] == "dbapi-conformance"
    assert rep["target"] == "sqlite3-sqlite" and rep["database"] == "sqlite"
    assert rep["driver"]["module"] == "sqlite3"
    assert (rep["driver"]["apilevel"], rep["driver"]["paramstyle"]) == ("2.0", "qmark")
    assert rep["driver"]["threadsafety"] in (1, 3)
    assert rep["server"]["kind"] == "none"
    assert rep["capabilities_absent"] == {"callproc": "SQLite has no stored procedures",
                                          "scroll": "sqlite3's Cursor has no scroll()",
                                          "server": EMBEDDED.reason("server")}
    assert rep["started_at"] <= rep["finished_at"]
    assert len(rep["clauses"]) == 126
    must = rep["summary"]["MUST"]
    # MUST passes: GLB-APILEVEL-1/2, MOD-CONNECT-1, CON-CURSOR-1, CUR-EXECMANY-1.
    assert (must["pass"], must["fail"], must["n/a"]) == (5, 2, 0)
    assert must["total"] == 57
    assert rep["summary"]["OPT"]["n/a"] == 2
    assert rep["verdicts"] == {"MUST": "MUST 5/57", "SHOULD": "SHOULD 0/12", "OPT": "OPT 0/34"}
    assert rep["tests"] == {"pass": 7, "fail": 2, "xfail": 1, "unexpected-pass": 1, "n/a": 2}


def test_markdown_report(fake_suite):
    fake_suite.runpytest("--dbapi-driver=sqlite3", "test_fake.py")
    md = (fake_suite.path / "reports" / "sqlite3-sqlite.md").read_text(encoding="utf-8")
    lines = md.splitlines()
    assert lines[0] == "# PEP 249 conformance: sqlite3-sqlite"
    assert "| Verdict | MUST 5/57, SHOULD 0/12, OPT 0/34 |" in lines
    callproc = "| CUR-CALLPROC-2 | OPT→MUST | n/a | callproc: SQLite has no stored procedures |"
    assert callproc in lines
    rowcount = next(line for line in lines if line.startswith("| CUR-ROWC-3 |"))
    assert "**FAIL**" in rowcount
    assert "known deviation: the driver reports -1 here on purpose" in rowcount
    assert "| CUR-EXEC-9 | UNSPEC | obs | execute returned Cursor |" in lines
    assert "- `callproc`: SQLite has no stored procedures" in lines
    assert "| XTRA-FETCH-1 | pass |  |" in lines


def test_terminal_summary(fake_suite):
    result = fake_suite.runpytest("--dbapi-driver=sqlite3", "test_fake.py")
    result.stdout.fnmatch_lines([
        "*= PEP 249 conformance =*",
        "sqlite3-sqlite  MUST 5/57  SHOULD 0/12  OPT 0/34",
        "*failing: CON-CLOSE-1, CUR-ROWC-3, EXT-CURCONN-1",
        "clause ids not in the checklist: XTRA-FETCH-1",
        f"reports written to {fake_suite.path / 'reports'}",
    ])
    result.stdout.fnmatch_lines(["dbapi: targets sqlite3-sqlite"])


def test_matrix_merges_two_targets(fake_suite, tmp_path):
    out = tmp_path / "rep"
    result = fake_suite.runpytest("--dbapi-driver=sqlite3", "--dbapi-driver=fakedb",
                                  f"--dbapi-report={out}", "test_fake.py")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert sorted(p.name for p in out.iterdir()) == [
        "fakedb-sqlite.json", "fakedb-sqlite.md", "matrix.json", "matrix.md",
        "sqlite3-sqlite.json", "sqlite3-sqlite.md"]
    matrix = json.loads((out / "matrix.json").read_text(encoding="utf-8"))
    assert matrix["targets"] == ["sqlite3-sqlite", "fakedb-sqlite"]
    rows = {r["id"]: r for r in matrix["clauses"]}
    assert rows["GLB-APILEVEL-2"]["outcomes"] == {"sqlite3-sqlite": "pass", "fakedb-sqlite": "fail"}
    assert rows["GLB-APILEVEL-1"]["outcomes"] == {"sqlite3-sqlite": "pass", "fakedb-sqlite": "pass"}
    assert rows["CUR-CALLPROC-2"]["outcomes"]["fakedb-sqlite"] == "n/a"
    assert rows["XTRA-FETCH-1"]["level"] is None
    assert len(rows) == 127
    assert matrix["verdicts"]["fakedb-sqlite"]["MUST"] == "MUST 4/57"
    fakedb = json.loads((out / "fakedb-sqlite.json").read_text(encoding="utf-8"))
    assert fakedb["driver"]["version"] == "0.0.1"
    assert _outcomes(fakedb)["GLB-APILEVEL-2"] == ("fail", "AssertionError: apilevel is '1.0' "
                                                   "assert '1.0' == '2.0' - 2.0 + 1.0")
    md = (out / "matrix.md").read_text(encoding="utf-8").splitlines()
    assert "| GLB-APILEVEL-2 | MUST | pass | **FAIL** |" in md
    assert "| fakedb-sqlite | MUST 4/57 | SHOULD 0/12 | OPT 0/34 |" in md
    # Merging the written reports again gives the same matrix rows.
    assert report_module.main([str(out), "-o", str(tmp_path / "merged")]) == 0
    merged = json.loads((tmp_path / "merged" / "matrix.json").read_text(encoding="utf-8"))
    assert sorted(merged["targets"]) == sorted(matrix["targets"])
    assert {r["id"]: r["outcomes"] for r in merged["clauses"]} == {
        r["id"]: r["outcomes"] for r in matrix["clauses"]}


def _comparable(rep):
    return {
        "clauses": [(c["id"], c["outcome"], c["detail"], c["deviation"], sorted(
            (t["nodeid"], t["outcome"], t["detail"]) for t in c["tests"])) for c in rep["clauses"]],
        "summary": rep["summary"],
        "verdicts": rep["verdicts"],
        "driver": rep["driver"],
        "tests": rep["tests"],
    }


def test_xdist_gives_the_same_report(fake_suite):
    single = fake_suite.runpytest("--dbapi-driver=sqlite3", "--dbapi-driver=fakedb",
                                  "--dbapi-report=single", "test_fake.py")
    parallel = fake_suite.runpytest("--dbapi-driver=sqlite3", "--dbapi-driver=fakedb",
                                    "--dbapi-report=parallel", "-n", "2", "test_fake.py")
    parallel.stdout.fnmatch_lines(["*2 workers*"])
    assert parallel.parseoutcomes() == single.parseoutcomes()
    for name in ("sqlite3-sqlite.json", "fakedb-sqlite.json"):
        assert _comparable(_load(fake_suite, name, "parallel")) == _comparable(
            _load(fake_suite, name, "single"))
    matrix_single = _load(fake_suite, "matrix.json", "single")
    matrix_parallel = _load(fake_suite, "matrix.json", "parallel")
    assert matrix_parallel["clauses"] == matrix_single["clauses"]
    # Workers write nothing of their own: only the controller's files exist.
    assert sorted(p.name for p in (fake_suite.path / "parallel").iterdir()) == sorted(
        p.name for p in (fake_suite.path / "single").iterdir())


def test_collect_only_writes_no_report(fake_suite):
    fake_suite.runpytest("--dbapi-driver=sqlite3", "--collect-only", "test_fake.py")
    assert not (fake_suite.path / "reports").exists()


def test_sqlite3_certified_by_the_real_suite(pytester):
    """The installed suite, run on sqlite3 via the hook, passes the basic clauses."""
    assert (suite_dir() / "test_module.py").is_file()
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--dbapi-driver=sqlite3", "-k",
                                "test_module.py or test_exceptions.py")
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)
    outcomes = _outcomes(_load(pytester, "sqlite3-sqlite.json"))
    for clause_id in ("GLB-APILEVEL-1", "GLB-APILEVEL-2", "GLB-THREAD-1", "GLB-PARAM-1",
                      "EXC-WARN-1", "EXC-ERR-1", "EXC-DB-1", "EXC-INTEG-1"):
        assert outcomes[clause_id][0] == "pass", (clause_id, outcomes[clause_id])
