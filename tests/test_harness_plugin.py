"""The plugin inside pytest runs (pytester): inertness, options, targets, args, fixtures."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from dbapi_conformance.harness.capabilities import KNOWN_CAPABILITIES
from dbapi_conformance.harness.clauses import gating_problems
from dbapi_conformance.harness.plugin import (
    active_run,
    clause_ids,
    gating_capabilities,
    suite_dir,
)

#: A conftest certifying the standard library's sqlite3 through the profile hook.
SQLITE_CONFTEST = """
from dbapi_conformance.harness import Capabilities, DriverProfile, SqlProfile

SQL = SqlProfile(types={"int": "INTEGER", "bigint": "INTEGER", "float": "REAL",
                        "text": "TEXT", "binary": "BLOB"})

def _connect(module, endpoint):
    return module.connect(endpoint.data_dir / "db.sqlite", timeout=1)

def pytest_dbapi_profile(config, driver):
    if driver != "sqlite3":
        return None
    return DriverProfile(
        module="sqlite3", database="sqlite", server="none", connect=_connect, sql=SQL,
        capabilities=Capabilities({"callproc": "SQLite has no stored procedures",
                                   "scroll": "sqlite3's Cursor has no scroll()",
                                   "time_type": "SQLite has no TIME storage class"}),
    )
"""


def _run(config: pytest.Config):
    run = active_run(config)
    assert run is not None, "the plugin should be active"
    return run


# --- inert without options ------------------------------------------------------------------


def test_plugin_is_inert_without_options(pytester):
    pytester.makepyfile(
        test_plain="""
        import pytest

        def test_plain():
            assert 1 + 1 == 2

        @pytest.mark.pep249("GLB-APILEVEL-1")
        def test_conformance(dbapi_target):
            raise AssertionError("must not run")
        """
    )
    result = pytester.runpytest("-rs", "--strict-markers")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["*run pytest with --dbapi-driver=MODULE*"])
    result.stdout.no_fnmatch_line("*dbapi: targets*")
    result.stdout.no_fnmatch_line("*PEP 249 conformance*")
    assert not (pytester.path / "reports").exists()
    config = pytester.parseconfigure()
    assert active_run(config) is None
    assert config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR


def test_markers_are_registered_for_strict_markers(pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.pep249("GLB-APILEVEL-1")
        @pytest.mark.dbapi_requires("transactions")
        def test_marked():
            pass
        """
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(passed=1)


def test_other_options_need_a_driver(pytester):
    result = pytester.runpytest("--dbapi-server=mock")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--dbapi-server needs --dbapi-driver=MODULE*"])


# --- options and targets ----------------------------------------------------------------------


def test_options_give_targets(pytester, tmp_path):
    config = pytester.parseconfigure(
        "--dbapi-driver=cratedb", "--dbapi-driver=crate.client",
        "--dbapi-server=mock", "--dbapi-server=http://127.0.0.1:4200",
        f"--dbapi-report={tmp_path / 'out'}",
    )
    run = _run(config)
    assert [t.id for t in run.targets] == [
        "cratedb-mock", "cratedb-url", "crate.client-cratedb-mock", "crate.client-cratedb-url"]
    ref, url = run.targets[0], run.targets[1]
    assert (ref.driver, ref.database, ref.server_kind) == (
        "dbapi_conformance.drivers.cratedb", "cratedb", "mock")
    assert (url.server, url.server_kind) == ("http://127.0.0.1:4200", "url")
    assert ref.capabilities.has("transactions") is False
    assert ref.sql.refresh == "REFRESH TABLE {table}"
    assert run.settings.report_dir == tmp_path / "out"


def test_report_dir_defaults_to_invocation_dir(pytester):
    run = _run(pytester.parseconfigure("--dbapi-driver=crate", "--dbapi-report=rel"))
    assert [t.id for t in run.targets] == ["crate.client-cratedb-mock"]
    assert run.settings.report_dir == pytester.path / "rel"
    run = _run(pytester.parseconfigure("--dbapi-driver=crate"))
    assert run.settings.report_dir == pytester.path / "reports"


def test_reference_short_name_expands_to_installed_drivers(pytester):
    run = _run(pytester.parseconfigure("--dbapi-driver=reference"))
    assert [(t.id, t.driver) for t in run.targets] == [
        ("cratedb-mock", "dbapi_conformance.drivers.cratedb"),
        ("exasol-mock", "dbapi_conformance.drivers.exasol"),
        ("ignite-mock", "dbapi_conformance.drivers.ignite"),
        ("voltdb-mock", "dbapi_conformance.drivers.voltdb")]


def test_environment_and_ini_configure_the_plugin(pytester, monkeypatch):
    monkeypatch.setenv("DBAPI_DRIVER", "crate.client")
    monkeypatch.setenv("DBAPI_SERVER", "mock,container")
    run = _run(pytester.parseconfigure())
    assert [t.id for t in run.targets] == [
        "crate.client-cratedb-mock", "crate.client-cratedb-container"]
    monkeypatch.delenv("DBAPI_DRIVER")
    monkeypatch.delenv("DBAPI_SERVER")
    pytester.makeini("[pytest]\ndbapi_driver = cratedb\ndbapi_server = db.example:4200\n")
    run = _run(pytester.parseconfigure())
    assert [t.id for t in run.targets] == ["cratedb-url"]
    # The command line wins over the ini file.
    run = _run(pytester.parseconfigure("--dbapi-server=mock"))
    assert [t.id for t in run.targets] == ["cratedb-mock"]


def test_database_option_overrides_the_inferred_one(pytester):
    pytester.makeconftest(
        """
        from dbapi_conformance.harness import DriverProfile, SqlProfile

        def pytest_dbapi_profile(config, driver):
            return DriverProfile(module=driver, database="somedb",
                                 sql=SqlProfile({"int": "INTEGER", "text": "TEXT"}),
                                 connect=lambda module, endpoint: module.connect(":memory:"))
        """
    )
    run = _run(pytester.parseconfigure("--dbapi-driver=sqlite3", "--dbapi-database=otherdb"))
    assert [t.id for t in run.targets] == ["sqlite3-otherdb-mock"]
    assert run.targets[0].db is None and run.targets[0].database == "otherdb"


def test_two_url_servers_get_distinct_ids(pytester):
    run = _run(pytester.parseconfigure(
        "--dbapi-driver=cratedb", "--dbapi-server=h1:4200", "--dbapi-server=h2:4200"))
    assert [t.id for t in run.targets] == ["cratedb-url", "cratedb-url-2"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dbapi-driver=no_such_driver_module"], "*cannot find the module 'no_such_driver*"),
        (["--dbapi-driver=json"], "*no driver profile for 'json'*pytest_dbapi_profile*"),
        (["--dbapi-driver=cratedb", "--dbapi-server=contianer"], "*use mock, container, or an*"),
        (["--dbapi-driver=cratedb", "--dbapi-server=http://h:99999"], "*bad port*"),
        (["--dbapi-driver=crate", "--dbapi-database=nosuchdb"],
         "*database 'nosuchdb' of 'crate.client' is unknown*sql=SqlProfile*"),
    ],
)
def test_bad_configuration_is_a_usage_error(pytester, args, message):
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_hook_profile_for_an_unknown_database_needs_sql(pytester):
    pytester.makeconftest(
        """
        from dbapi_conformance.harness import DriverProfile

        def pytest_dbapi_profile(config, driver):
            return DriverProfile(module=driver, database="mysterydb", connect=None)
        """
    )
    result = pytester.runpytest("--dbapi-driver=sqlite3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*database 'mysterydb'*must supply sql=SqlProfile*"])


def test_hook_returning_a_wrong_type_is_a_usage_error(pytester):
    pytester.makeconftest("def pytest_dbapi_profile(config, driver):\n    return {'x': 1}\n")
    result = pytester.runpytest("--dbapi-driver=sqlite3")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*returned dict for 'sqlite3', expected a DriverProfile*"])


def test_hook_profile_embedded_target(pytester):
    pytester.makeconftest(SQLITE_CONFTEST)
    run = _run(pytester.parseconfigure("--dbapi-driver=sqlite3", "--dbapi-server=container"))
    target = run.targets[0]
    # An embedded database ignores --dbapi-server and has no server part in its id.
    assert [t.id for t in run.targets] == ["sqlite3-sqlite"]
    assert (target.server, target.server_kind, target.db) == ("none", "none", None)
    assert target.capabilities.reason("callproc") == "SQLite has no stored procedures"


# --- args replacement ------------------------------------------------------------------------


def test_without_paths_the_installed_suite_runs(pytester):
    config = pytester.parseconfigure("--dbapi-driver=crate.client")
    assert config.args == [str(suite_dir())]
    assert suite_dir().name == "pep249"
    assert (suite_dir() / "__init__.py").is_file()


def test_testpaths_do_not_win_over_the_suite(pytester):
    pytester.makeini("[pytest]\ntestpaths = tests\n")
    pytester.mkdir("tests")
    config = pytester.parseconfigure("--dbapi-driver=crate.client")
    assert config.args_source == pytest.Config.ArgsSource.TESTPATHS
    assert config.args == [str(suite_dir())]
    assert active_run(pytester.parseconfigure()) is None


def test_explicit_paths_are_kept(pytester):
    pytester.makepyfile(test_mine="def test_x():\n    pass\n")
    config = pytester.parseconfigure("--dbapi-driver=crate.client", "test_mine.py")
    assert config.args == ["test_mine.py"]


def test_installed_suite_is_collected_with_importlib_mode(pytester):
    pytester.makeconftest(SQLITE_CONFTEST)
    result = pytester.runpytest("--dbapi-driver=sqlite3", "--import-mode=importlib",
                                "--collect-only", "-q")
    assert result.ret == pytest.ExitCode.OK
    lines = [line for line in result.outlines if "::" in line]
    assert lines, result.outlines
    assert all(line.endswith("]") and "sqlite3-sqlite" in line for line in lines)
    assert any("test_module.py::" in line for line in lines)


# --- fixtures --------------------------------------------------------------------------------


def test_fixtures_end_to_end_with_sqlite(pytester):
    pytester.makeconftest(SQLITE_CONFTEST)
    pytester.makepyfile(
        test_fixtures="""
        import pytest

        SEEN = {}

        @pytest.mark.pep249("GLB-PARAM-3")
        def test_table_connect_params(dbapi_target, dbapi_connect, dbapi_table, dbapi_params,
                                      dbapi_module, dbapi_server):
            assert dbapi_target.id == "sqlite3-sqlite"
            assert dbapi_module.__name__ == "sqlite3"
            assert dbapi_server.kind == "none" and dbapi_server.data_dir.is_dir()
            basic, typed = dbapi_table(), dbapi_table("types")
            assert basic != typed and basic.startswith("t_") and len(basic) == 10
            a, b = dbapi_connect(), dbapi_connect()
            assert a is not b
            cur = a.cursor()
            cur.execute(dbapi_params.sql(f"INSERT INTO {basic} (id, name) VALUES ({{}}, {{}})"),
                        dbapi_params.args(7, "seven"))
            a.commit()
            dbapi_target.sql.after_write(cur, basic)
            other = b.cursor()
            other.execute(f"SELECT id, name FROM {basic}")
            assert other.fetchall() == [(7, "seven")]
            other.execute(f"SELECT * FROM {typed}")
            assert [d[0] for d in other.description] == ["id", "int", "bigint", "float",
                                                         "text", "binary"]
            SEEN["conns"] = [a, b]
            SEEN["db"] = dbapi_server.data_dir / "db.sqlite"
            SEEN["tables"] = [basic, typed]

        def test_connections_closed_and_tables_dropped(dbapi_module):
            import sqlite3
            for conn in SEEN["conns"]:
                with pytest.raises(sqlite3.ProgrammingError, match="closed"):
                    conn.cursor()
            check = sqlite3.connect(SEEN["db"])
            names = {r[0] for r in check.execute("SELECT name FROM sqlite_master")}
            check.close()
            assert not names & set(SEEN["tables"])

        def test_cursor_fixture(dbapi_cursor, dbapi_connection):
            assert dbapi_cursor.connection is dbapi_connection
            SEEN["cursor"] = dbapi_cursor

        def test_cursor_closed(dbapi_module):
            import sqlite3
            with pytest.raises(sqlite3.ProgrammingError):
                SEEN["cursor"].execute("SELECT 1")

        def test_table_dropped_even_if_the_test_dropped_it(dbapi_connection, dbapi_table):
            name = dbapi_table()
            dbapi_connection.execute(f"DROP TABLE {name}")
            dbapi_connection.close()  # the teardown's second close is ignored
        """
    )
    result = pytester.runpytest("--dbapi-driver=sqlite3", "test_fixtures.py")
    result.assert_outcomes(passed=5)


def test_fixture_override_of_dbapi_connect(pytester):
    pytester.makeconftest(
        SQLITE_CONFTEST
        + """
import pytest, sqlite3

OPENED = []

@pytest.fixture
def dbapi_connect(tmp_path):
    def connect():
        conn = sqlite3.connect(tmp_path / "own.sqlite")
        OPENED.append(conn)
        return conn
    yield connect
    for conn in OPENED:
        conn.close()
"""
    )
    pytester.makepyfile(
        test_override="""
        import conftest

        def test_uses_override(dbapi_connection, dbapi_table):
            name = dbapi_table()
            # dbapi_connection and dbapi_table both went through the overriding fixture.
            assert conftest.OPENED[0] is dbapi_connection
            assert len(conftest.OPENED) == 2
            assert dbapi_connection.execute(f"SELECT * FROM {name}").fetchall() == []
        """
    )
    result = pytester.runpytest("--dbapi-driver=sqlite3", "test_override.py")
    result.assert_outcomes(passed=1)


def test_unknown_database_target_skips_without_a_mock_server(pytester):
    pytester.makeconftest(
        """
        from dbapi_conformance.harness import DriverProfile, SqlProfile

        def pytest_dbapi_profile(config, driver):
            # sqlite3 posing as a driver for a database the registry does not know.
            return DriverProfile(module=driver, database="otherdb",
                                 sql=SqlProfile({"int": "INTEGER", "text": "TEXT"}),
                                 connect=lambda module, endpoint: module.connect(":memory:"))
        """
    )
    pytester.makepyfile(
        test_ignite="""
        import pytest

        @pytest.mark.pep249("MOD-CONNECT-1")
        def test_connect(dbapi_connection):
            raise AssertionError("must not run")

        @pytest.mark.pep249("GLB-APILEVEL-1")
        def test_module_only(dbapi_module):
            assert isinstance(dbapi_module.apilevel, str)
        """
    )
    result = pytester.runpytest("--dbapi-driver=sqlite3", "-rs", "test_ignite.py")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*sqlite3-otherdb-mock: the harness has no mock server for the unknown database*"])


def test_capabilities_are_the_only_source_of_not_applicable(pytester):
    pytester.makeconftest(SQLITE_CONFTEST)
    pytester.makepyfile(
        test_na="""
        import pytest

        @pytest.mark.pep249("CUR-CALLPROC-2")
        @pytest.mark.dbapi_requires("callproc")
        def test_callproc(dbapi_cursor):
            raise AssertionError("must not run")

        @pytest.mark.pep249("EXT-SCROLL-1")
        def test_scroll(dbapi_cursor, dbapi_optional):
            dbapi_optional(dbapi_cursor, "scroll", "scroll")
            raise AssertionError("must not run")

        @pytest.mark.pep249("EXT-ROWNUM-1")
        def test_undeclared(dbapi_cursor, dbapi_optional):
            dbapi_optional(dbapi_cursor, "rownumber", "rownumber")

        @pytest.mark.pep249("EXT-CURCONN-1")
        def test_present(dbapi_cursor, dbapi_optional, dbapi_connection):
            connection = dbapi_optional(dbapi_cursor, "connection", "cursor_connection")
            assert connection is dbapi_connection

        @pytest.mark.pep249("CUR-DESC-5")
        @pytest.mark.parametrize("family", ["binary", "time", "date", "timestamp"])
        def test_family(dbapi_family, family):
            assert dbapi_family(family)

        @pytest.mark.pep249("CON-COMMIT-4")
        @pytest.mark.dbapi_without("transactions")
        def test_without(dbapi_target):
            raise AssertionError("must not run")

        @pytest.mark.pep249("GLB-APILEVEL-1")
        def test_own_skip(dbapi_target):
            pytest.skip("n/a: a test cannot declare itself not applicable")

        @pytest.mark.dbapi_requires("no_such_capability")
        def test_unknown_capability(dbapi_target):
            pass
        """
    )
    result = pytester.runpytest("--dbapi-driver=sqlite3", "-rs", "test_na.py")
    result.assert_outcomes(passed=2, failed=3, skipped=5, errors=1)
    result.stdout.fnmatch_lines([
        "*n/a: callproc: SQLite has no stored procedures*",
        "*n/a: scroll: sqlite3's Cursor has no scroll()*",
        "*n/a: time_type: SQLite has no TIME storage class*",
        "*n/a: transactions: the clause is about targets without transactions, and this "
        "target does not declare 'transactions' absent*",
    ])
    result.stdout.fnmatch_lines([
        "*cursor has no attribute rownumber, and the target does not declare the capability "
        "'rownumber' absent*",
    ])
    result.stdout.fnmatch_lines([
        "*SqlProfile has no date type, and the capability 'date_type' is not declared absent*"])
    result.stdout.fnmatch_lines([
        "*SqlProfile has no timestamp type, and no capability lets a target leave it out*"])
    result.stdout.fnmatch_lines(["*unknown capability 'no_such_capability'*"])
    rep = json.loads((pytester.path / "reports" / "sqlite3-sqlite.json").read_text("utf-8"))
    outcomes = {c["id"]: c["outcome"] for c in rep["clauses"]}
    # The test's own "n/a" skip is no declaration: it counts as skipped.
    assert outcomes["GLB-APILEVEL-1"] == "skipped"
    assert outcomes["EXT-SCROLL-1"] == "n/a" and outcomes["EXT-ROWNUM-1"] == "fail"


def test_a_capability_a_clause_does_not_allow_is_an_error(pytester):
    pytester.makeconftest(SQLITE_CONFTEST)
    pytester.makepyfile(
        test_rule="""
        import pytest

        @pytest.mark.pep249("CON-COMMIT-1")
        @pytest.mark.dbapi_requires("transactions")
        def test_marker(dbapi_target):
            pass

        @pytest.mark.pep249("CUR-CLOSE-2")
        @pytest.mark.parametrize(
            "op", ["callproc", pytest.param("tpc", marks=pytest.mark.dbapi_requires("tpc"))])
        def test_param(dbapi_target, op):
            pass

        @pytest.mark.pep249("GLB-THREAD-2")
        def test_optional(dbapi_connection, dbapi_optional):
            dbapi_optional(dbapi_connection, "rollback", "rollback")

        @pytest.mark.pep249("CUR-EXEC-1")
        def test_family(dbapi_family):
            dbapi_family("binary")
        """
    )
    result = pytester.runpytest("--dbapi-driver=sqlite3", "test_rule.py")
    result.assert_outcomes(passed=1, failed=2, errors=2)
    result.stdout.fnmatch_lines([
        "*CapabilityRuleError: test_marker*: capability 'transactions' may not make "
        "CON-COMMIT-1 (MUST) n/a; it allows no capability*",
        "*CapabilityRuleError: test_optional*: capability 'rollback' may not make GLB-THREAD-2*",
    ], consecutive=False)
    result.stdout.fnmatch_lines(["*test_param*tpc*capability 'tpc' may not make CUR-CLOSE-2*"
                                 "allows *'callproc', 'nextset'*"])
    result.stdout.fnmatch_lines(["*capability 'binary' may not make CUR-EXEC-1*"])


def test_the_installed_suite_obeys_the_capability_rule(pytester):
    """Every capability that can make a suite test n/a is one its clauses allow.

    Markers (also on parameters) are read from the collected items; the capabilities of
    ``dbapi_optional(obj, name, capability)`` calls are read from the source.
    """
    import ast

    pytester.makeconftest(SQLITE_CONFTEST)
    items, _ = pytester.inline_genitems("--dbapi-driver=sqlite3")
    assert len(items) > 200
    problems = [f"{item.nodeid}: {p}" for item in items
                for p in gating_problems(clause_ids(item), gating_capabilities(item))]
    calls = 0
    for path in sorted(suite_dir().glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.FunctionDef) and node.name.startswith("test_")):
                continue
            clauses = [arg.value for dec in node.decorator_list if isinstance(dec, ast.Call)
                       and getattr(dec.func, "attr", None) == "pep249" for arg in dec.args]
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call) and getattr(sub.func, "id", None) == "dbapi_optional":
                    calls += 1
                    capability = sub.args[2].value
                    problems += [f"{path.name}::{node.name}: {p}"
                                 for p in gating_problems(clauses, [capability])]
    assert calls > 30
    assert problems == []


def test_harness_files_exist():
    root = Path(__file__).resolve().parents[1] / "harness"
    names = {p.name for p in root.glob("*.py")}
    assert {"plugin.py", "hooks.py", "profiles.py", "servers.py", "report.py"} <= names
    assert (root / "databases" / "__init__.py").is_file()


def _hook_example() -> str:
    """The sqlite3 conftest of the ``pytest_dbapi_profile`` docstring (harness/hooks.py)."""
    from dbapi_conformance.harness import hooks

    doc = hooks.pytest_dbapi_profile.__doc__
    return textwrap.dedent(doc[doc.index("::") + 2:])


def test_hook_example_gives_declared_not_applicable(pytester):
    pytester.makeconftest(_hook_example())
    result = pytester.runpytest("--dbapi-driver=sqlite3", "-p", "no:cacheprovider",
                                "-k", "test_tpc or test_extensions or test_transactions")
    assert "CapabilityRuleError" not in result.stdout.str()
    rep = json.loads((pytester.path / "reports" / "sqlite3-sqlite.json").read_text("utf-8"))
    outcomes = {c["id"]: (c["outcome"], c["detail"]) for c in rep["clauses"]}
    # TPC is checked before xid() is called: n/a with the declared reason.
    assert outcomes["TPC-RECOVER-1"] == ("n/a", "tpc: SQLite has no two-phase commit")
    assert outcomes["CUR-CALLPROC-2"] == ("n/a", "callproc: SQLite has no stored procedures")
    assert outcomes["EXT-SCROLL-1"] == ("n/a", "scroll: sqlite3's Cursor has no scroll()")
    # What sqlite3 has is tested for real.
    for cid in ("CON-ROLLBACK-1", "CON-ROLLBACK-2", "CON-COMMIT-2", "EXT-ITER-1"):
        assert outcomes[cid][0] == "pass", (cid, outcomes[cid])
    na = [c for c in rep["clauses"] if c["outcome"] == "n/a"]
    # Every n/a names its capability: declared absent, or present for a dbapi_without test.
    assert na and all(c["detail"].split(":")[0] in KNOWN_CAPABILITIES for c in na)
    assert outcomes["CON-ROLLBACK-3"][0] == "n/a"  # about databases without transactions


def test_a_present_extension_is_tested_whatever_the_declarations_say(pytester):
    # sqlite3's cursors iterate; declaring "iter" and "cursor_connection" absent must not
    # turn the tests of present extensions into n/a (a broken one would be hidden).
    pytester.makeconftest(SQLITE_CONFTEST.replace(
        '"scroll": "sqlite3\'s Cursor has no scroll()",',
        '"scroll": "sqlite3\'s Cursor has no scroll()", "iter": "declared by mistake", '
        '"cursor_connection": "declared by mistake",'))
    result = pytester.runpytest("--dbapi-driver=sqlite3", "-p", "no:cacheprovider",
                                "-k", "test_iter_returns_self or test_cursor_connection")
    rep = json.loads((pytester.path / "reports" / "sqlite3-sqlite.json").read_text("utf-8"))
    outcomes = {c["id"]: c["outcome"] for c in rep["clauses"]}
    assert outcomes["EXT-ITER-1"] == "pass"
    # sqlite3's Cursor.connection is read-only and is its connection: it passes as well.
    assert outcomes["EXT-CURCONN-1"] == "pass"
    assert result.ret == pytest.ExitCode.OK
