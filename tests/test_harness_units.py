"""Unit tests of the harness building blocks (no pytest run inside a run)."""

from __future__ import annotations

import types

import pytest

from dbapi_conformance.harness.capabilities import (
    KNOWN_CAPABILITIES,
    TYPE_FAMILY_CAPABILITIES,
    Capabilities,
)
from dbapi_conformance.harness.clauses import (
    LEVELS,
    allowed_capabilities,
    clause_index,
    gating_problems,
    load_clauses,
)
from dbapi_conformance.harness.databases import (
    DATABASES,
    builtin_profile,
    expand_driver_names,
    get_database,
    known_driver_names,
)
from dbapi_conformance.harness.databases import cratedb as cratedb_entry
from dbapi_conformance.harness.databases import voltdb as voltdb_entry
from dbapi_conformance.harness.databases.cratedb import ENTRY as CRATEDB
from dbapi_conformance.harness.endpoint import Endpoint, endpoint_from_url
from dbapi_conformance.harness.params import Params
from dbapi_conformance.harness.profiles import DriverProfile, driver_info
from dbapi_conformance.harness.report import (
    CaseResult,
    aggregate_clause,
    summarize,
    trim,
    verdicts,
)
from dbapi_conformance.harness.sqlprofile import TYPE_FAMILIES, SqlProfile

# --- capabilities -----------------------------------------------------------------------


def test_capabilities_has_and_reason():
    caps = Capabilities({"callproc": "no stored procedures"})
    assert caps.has("callproc") is False
    assert caps.reason("callproc") == "no stored procedures"
    assert caps.has("transactions") is True
    assert caps.reason("transactions") == ""
    assert caps.as_dict() == {"callproc": "no stored procedures"}


def test_capabilities_merge_keeps_both_and_prefers_the_second_reason():
    db = Capabilities({"callproc": "db: none", "binary": "db: no blobs"})
    driver = Capabilities({"binary": "driver: no Binary()", "scroll": "driver: no scroll"})
    merged = db.merged(driver)
    assert merged.as_dict() == {
        "binary": "driver: no Binary()",
        "callproc": "db: none",
        "scroll": "driver: no scroll",
    }


def test_capabilities_reject_unknown_names_and_empty_reasons():
    with pytest.raises(ValueError, match="unknown capability 'transaction'"):
        Capabilities({"transaction": "typo"})
    with pytest.raises(ValueError, match="without a reason"):
        Capabilities({"callproc": "  "})
    with pytest.raises(ValueError, match="unknown capability 'bogus'"):
        Capabilities().has("bogus")


def test_known_capabilities_cover_the_agreed_names():
    agreed = {"transactions", "rollback", "callproc", "callproc_inout", "nextset", "tpc",
              "binary", "time_type", "date_type", "decimal_type", "bool_type", "lastrowid",
              "autocommit_attribute", "multiple_result_sets", "scroll", "rownumber",
              "connection_exceptions", "cursor_connection", "messages", "warning_messages",
              "next", "iter", "errorhandler", "nul_in_text", "server"}
    assert agreed == KNOWN_CAPABILITIES
    # A MUST clause may not be made n/a by a capability: no stress-test opt-out.
    assert "threadsafety_stress" not in KNOWN_CAPABILITIES
    assert set(TYPE_FAMILY_CAPABILITIES.values()) <= KNOWN_CAPABILITIES
    assert set(TYPE_FAMILY_CAPABILITIES) <= set(TYPE_FAMILIES)


def test_every_capability_gates_a_clause():
    allowed = {name for c in load_clauses() for name in c.get("na_capabilities", {})}
    assert allowed == KNOWN_CAPABILITIES
    for clause in load_clauses():
        for name, reason in clause.get("na_capabilities", {}).items():
            assert name in KNOWN_CAPABILITIES, (clause["id"], name)
            assert len(reason) > 15, (clause["id"], name)


def test_must_clauses_allow_only_what_pep249_makes_conditional():
    allowed = {c["id"]: sorted(c["na_capabilities"]) for c in load_clauses()
               if c["level"] == "MUST" and c.get("na_capabilities")}
    assert allowed == {
        "CON-CLOSE-2": ["rollback"],
        "CON-CLOSE-4": ["transactions"],
        "CON-COMMIT-2": ["transactions"],
        "CUR-DESC-5": ["binary", "date_type", "decimal_type", "time_type"],
        "CUR-CLOSE-2": ["callproc", "nextset"],
        "EXC-OPER-1": ["server"],
        "TYP-CTOR-1": ["date_type", "time_type"],
        "TYP-CTOR-3": ["binary"],
        "TYP-OBJ-3": ["binary", "date_type", "time_type"],
    }
    assert allowed_capabilities("GLB-THREAD-2") == {}
    assert allowed_capabilities("EXC-DATA-1") == {}
    assert allowed_capabilities("NOT-A-CLAUSE-1") == {}


def test_gating_problems_name_the_clause_and_what_it_allows():
    assert gating_problems(["CON-COMMIT-2", "XTRA-1"], ["transactions"]) == []
    assert gating_problems(["EXT-MSG-1"], ["messages", "warning_messages"]) == []
    assert gating_problems(["CON-COMMIT-1", "CON-COMMIT-2"], ["transactions"]) == [
        "capability 'transactions' may not make CON-COMMIT-1 (MUST) n/a; it allows "
        "no capability (harness/data/clauses.json na_capabilities)"
    ]
    assert gating_problems(["CUR-CLOSE-2"], ["tpc"]) == [
        "capability 'tpc' may not make CUR-CLOSE-2 (MUST) n/a; it allows "
        "['callproc', 'nextset'] (harness/data/clauses.json na_capabilities)"
    ]


# --- SqlProfile ---------------------------------------------------------------------------


def test_cratedb_basic_and_types_ddl():
    sql = CRATEDB.sql
    assert sql.create_table("t_0123abcd") == (
        "CREATE TABLE t_0123abcd (id INTEGER PRIMARY KEY, name TEXT)"
    )
    assert sql.create_table("t_1", "types") == (
        'CREATE TABLE t_1 (id INTEGER PRIMARY KEY, "int" INTEGER, "bigint" BIGINT, '
        '"float" DOUBLE PRECISION, "text" TEXT, "bool" BOOLEAN, '
        '"timestamp" TIMESTAMP WITHOUT TIME ZONE)'
    )
    assert sql.type_columns() == ["int", "bigint", "float", "text", "bool", "timestamp"]
    assert sql.drop_table("t_1") == "DROP TABLE IF EXISTS t_1"


def test_sqlprofile_cast_quote_and_errors():
    sql = SqlProfile(types={"int": "INTEGER", "text": "TEXT", "binary": None})
    assert sql.cast("?", "int") == "CAST(? AS INTEGER)"
    assert sql.quote_identifier("int") == '"int"'
    assert sql.has_type("binary") is False
    with pytest.raises(ValueError, match="'binary' is not available"):
        sql.cast("?", "binary")
    with pytest.raises(ValueError, match="unknown table shape 'wide'"):
        sql.create_table("t_1", "wide")
    with pytest.raises(ValueError, match="not a plain SQL identifier"):
        sql.create_table("t; DROP TABLE x", "basic")
    with pytest.raises(ValueError, match="unknown type families"):
        SqlProfile(types={"int": "INTEGER", "text": "TEXT", "money": "MONEY"})
    with pytest.raises(ValueError, match="needs the 'text' family"):
        SqlProfile(types={"int": "INTEGER"})


def test_after_write_runs_the_refresh_on_the_cursor():
    executed = []
    cursor = types.SimpleNamespace(execute=executed.append)
    CRATEDB.sql.after_write(cursor, "t_abc")
    SqlProfile(types={"int": "INTEGER", "text": "TEXT"}).after_write(cursor, "t_abc")
    assert executed == ["REFRESH TABLE t_abc"]


def test_cratedb_profile_declares_capabilities_with_reasons():
    caps = CRATEDB.capabilities
    for name in ("transactions", "rollback", "callproc", "nextset", "tpc", "binary",
                 "time_type", "date_type", "lastrowid"):
        assert caps.has(name) is False, name
        assert len(caps.reason(name)) > 20, name
    assert "ROLLBACK is a syntax error" in caps.reason("transactions")
    for name in ("callproc_inout", "multiple_result_sets", "warning_messages",
                 "autocommit_attribute", "decimal_type"):
        assert caps.has(name) is False, name
    # What CrateDB has: the suite runs these clauses.
    for name in ("bool_type", "nul_in_text", "scroll", "messages", "iter"):
        assert caps.has(name) is True, name
    for family in ("decimal", "date", "time", "binary"):
        assert CRATEDB.sql.types[family] is None
        assert caps.has(TYPE_FAMILY_CAPABILITIES[family]) is False, family
    assert CRATEDB.sql.types["decimal"] is None and CRATEDB.sql.types["date"] is None
    assert CRATEDB.sql.refresh == "REFRESH TABLE {table}"
    assert CRATEDB.mock == "dbapi_conformance.mockservers.cratedb.server:MockServer"


def test_registry_entries():
    assert list(DATABASES) == ["cratedb", "exasol", "ignite", "voltdb"]
    assert get_database("cratedb") is cratedb_entry.ENTRY
    assert get_database("cratedb").default_port == 4200
    assert (get_database("exasol").default_port, get_database("exasol").scheme) == (8563, "ws")
    assert get_database("ignite").default_port == 10800
    assert get_database("ignite").product == "Apache Ignite 3"
    voltdb = get_database("voltdb")
    assert (voltdb.default_port, voltdb.reference_connect) == (21212,
                                                              voltdb_entry.connect_reference)
    assert voltdb.mock == "dbapi_conformance.mockservers.voltdb.server:MockServer"
    assert get_database("nosuchdb") is None
    assert known_driver_names() == {"cratedb": "dbapi_conformance.drivers.cratedb",
                                    "crate": "crate.client",
                                    "exasol": "dbapi_conformance.drivers.exasol",
                                    "pyexasol": "exasol.driver.websocket.dbapi2",
                                    "exasol-db-api": "EXASOL",
                                    "ignite": "dbapi_conformance.drivers.ignite",
                                    "pyignite": "pyignite_dbapi",
                                    "voltdb": "dbapi_conformance.drivers.voltdb",
                                    "volt": "dbapi_conformance.drivers.voltdb"}


# --- params -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("style", "sql", "args"),
    [
        ("qmark", "INSERT INTO t VALUES (?, ?)", (1, "x")),
        ("numeric", "INSERT INTO t VALUES (:1, :2)", (1, "x")),
        ("named", "INSERT INTO t VALUES (:p1, :p2)", {"p1": 1, "p2": "x"}),
        ("format", "INSERT INTO t VALUES (%s, %s)", (1, "x")),
        ("pyformat", "INSERT INTO t VALUES (%(p1)s, %(p2)s)", {"p1": 1, "p2": "x"}),
    ],
)
def test_params_per_style(style, sql, args):
    p = Params(style)
    assert p.sql("INSERT INTO t VALUES ({}, {})") == sql
    assert p.args(1, "x") == args


def test_params_leave_other_text_alone_and_reject_bad_styles():
    assert Params("qmark").sql("SELECT '{x}', {} , '%'") == "SELECT '{x}', ? , '%'"
    assert Params("qmark").args() == ()
    with pytest.raises(ValueError, match="paramstyle 'dollar' is not one of"):
        Params("dollar")
    with pytest.raises(ValueError, match="paramstyle None"):
        Params(None)


# --- endpoints ----------------------------------------------------------------------------


def test_endpoint_from_url_variants():
    ep = endpoint_from_url("http://u%40x:p%3Aw@db.example:4201/", default_user="crate")
    assert (ep.url, ep.host, ep.port, ep.user, ep.password) == (
        "http://db.example:4201", "db.example", 4201, "u@x", "p:w")
    ep = endpoint_from_url("localhost", scheme="http", default_port=4200, default_user="crate")
    assert (ep.url, ep.address, ep.user, ep.password) == (
        "http://localhost:4200", "localhost:4200", "crate", None)
    ep = endpoint_from_url("[::1]:10800", scheme="tcp")
    assert (ep.host, ep.port, ep.address, ep.url) == ("::1", 10800, "[::1]:10800",
                                                       "tcp://[::1]:10800")
    with pytest.raises(ValueError, match="bad port"):
        endpoint_from_url("http://h:99999")
    with pytest.raises(ValueError, match="no host"):
        endpoint_from_url("http://:4200")
    with pytest.raises(ValueError, match="has no scheme, and the database is unknown"):
        endpoint_from_url("db.example:5000")


# --- driver profiles ----------------------------------------------------------------------


def test_expand_driver_names():
    assert expand_driver_names(["cratedb", "crate", "crate.client", "x.y", "cratedb"]) == [
        "dbapi_conformance.drivers.cratedb", "crate.client", "x.y"]
    # Only reference drivers whose package exists: this version ships cratedb, exasol, ignite,
    # voltdb.
    assert expand_driver_names(["reference"]) == ["dbapi_conformance.drivers.cratedb",
                                                  "dbapi_conformance.drivers.exasol",
                                                  "dbapi_conformance.drivers.ignite",
                                                  "dbapi_conformance.drivers.voltdb"]
    assert expand_driver_names(["ignite", "pyignite"]) == [
        "dbapi_conformance.drivers.ignite", "pyignite_dbapi"]
    # A name no entry knows stays a module path.
    assert expand_driver_names(["nosuchdb"]) == ["nosuchdb"]


def test_builtin_profiles_infer_the_database():
    assert builtin_profile("crate.client").database == "cratedb"
    ref = builtin_profile("dbapi_conformance.drivers.cratedb")
    assert (ref.database, ref.reference) == ("cratedb", True)
    volt = builtin_profile("dbapi_conformance.drivers.voltdb")
    assert (volt.database, volt.reference) == ("voltdb", True)
    assert builtin_profile("dbapi_conformance.drivers.nosuchdb") is None
    assert builtin_profile("psycopg") is None
    CRATE_CLIENT_DEVIATIONS = cratedb_entry.CRATE_CLIENT_DEVIATIONS
    assert builtin_profile("crate.client").known_deviations == CRATE_CLIENT_DEVIATIONS
    assert all(CRATE_CLIENT_DEVIATIONS.values())
    assert set(CRATE_CLIENT_DEVIATIONS) <= {c["id"] for c in load_clauses()}


def _recording_module():
    calls = []

    def connect(*args, **kwargs):
        calls.append((args, kwargs))
        return "conn"

    return types.SimpleNamespace(connect=connect), calls


def test_connect_callables_pass_the_documented_arguments():
    ep = Endpoint(kind="mock", url="http://127.0.0.1:4321", host="127.0.0.1", port=4321,
                  user="crate", password=None)
    module, calls = _recording_module()
    assert cratedb_entry.connect_reference(module, ep) == "conn"
    assert cratedb_entry.connect_crate_client(module, ep) == "conn"
    ep.timeout = 2.5
    assert cratedb_entry.connect_crate_client(module, ep) == "conn"
    assert calls == [
        ((), {"servers": "http://127.0.0.1:4321", "username": "crate", "password": None,
              "timeout": None}),
        (("http://127.0.0.1:4321",), {"username": "crate", "password": None, "timeout": None}),
        (("http://127.0.0.1:4321",), {"username": "crate", "password": None, "timeout": 2.5}),
    ]


def test_driver_profile_validates_its_fields():
    def connect(module, endpoint):
        return None

    with pytest.raises(ValueError, match="server must be None or 'none'"):
        DriverProfile(module="m", database="d", connect=connect, server="mock")
    with pytest.raises(ValueError, match="mock_runner"):
        DriverProfile(module="m", database="d", connect=connect, mock_runner="fork")


def test_driver_info_reads_globals_and_versions():
    import sqlite3

    info = driver_info(sqlite3)
    assert info["module"] == "sqlite3"
    assert info["apilevel"] == "2.0" and info["paramstyle"] == "qmark"
    assert info["version"].endswith("standard library")
    from crate import client as crate_client

    info = driver_info(crate_client)
    assert info["version"] == crate_client.__version__
    assert info["paramstyle"] == "pyformat"


# --- clauses and aggregation --------------------------------------------------------------


def test_clauses_load():
    clauses = load_clauses()
    assert len(clauses) == 126
    assert {c["level"] for c in clauses} == set(LEVELS)
    assert clause_index()["GLB-APILEVEL-1"]["level"] == "MUST"


def _t(outcome, detail=None, observations=()):
    return CaseResult("t.py::x", "tgt", ["X"], outcome, detail, list(observations))


@pytest.mark.parametrize(
    ("level", "outcomes", "expected"),
    [
        ("MUST", ["pass", "fail"], "fail"),
        ("MUST", ["pass", "xfail"], "xfail"),
        ("MUST", ["xfail", "unexpected-pass"], "unexpected-pass"),
        ("MUST", ["pass", "n/a"], "pass"),
        ("MUST", ["n/a", "n/a"], "n/a"),
        ("MUST", ["n/a", "skipped"], "skipped"),
        ("MUST", [], "uncovered"),
        ("MAY", ["pass"], "observed"),
        ("UNSPEC", ["pass", "pass"], "observed"),
        ("UNSPEC", ["fail"], "fail"),
        ("OPT", ["n/a"], "n/a"),
    ],
)
def test_aggregate_clause_rules(level, outcomes, expected):
    assert aggregate_clause(level, [_t(o, f"d-{o}") for o in outcomes], [])["outcome"] == expected


def test_aggregate_clause_details():
    failed = aggregate_clause("MUST", [_t("pass"), _t("fail", "assert 1 == 2"),
                                       _t("fail", "assert 1 == 2")], [])
    assert failed["detail"] == "assert 1 == 2"
    assert [t["outcome"] for t in failed["tests"]] == ["pass", "fail", "fail"]
    observed = aggregate_clause("UNSPEC", [_t("pass")], ["returned None", "returned None"])
    assert (observed["outcome"], observed["detail"], observed["observed"]) == (
        "observed", "returned None", ["returned None"])
    only_observed = aggregate_clause("MAY", [], ["seen elsewhere"])
    assert (only_observed["outcome"], only_observed["detail"]) == ("observed", "seen elsewhere")


def test_summary_and_verdicts():
    clauses = [
        {"level": "MUST", "outcome": "pass"},
        {"level": "MUST", "outcome": "fail"},
        {"level": "MUST", "outcome": "n/a"},
        {"level": "SHOULD", "outcome": "uncovered"},
        {"level": "MAY", "outcome": "observed"},
    ]
    summary = summarize(clauses)
    assert summary["MUST"] == {"total": 3, "pass": 1, "fail": 1, "n/a": 1}
    assert summary["SHOULD"] == {"total": 1, "pass": 0, "fail": 0, "n/a": 0, "uncovered": 1}
    assert summary["MAY"] == {"total": 1, "observed": 1}
    assert verdicts(summary) == {"MUST": "MUST 1/2", "SHOULD": "SHOULD 0/1", "OPT": "OPT 0/0"}


def test_trim_makes_one_stable_line():
    assert trim("assert x\n  where x = <Cursor object at 0x7f3bd2acc6c0>.rowcount") == (
        "assert x where x = <Cursor object>.rowcount")
    assert trim("a" * 500) == "a" * 399 + "…"


def test_the_suite_gates_type_families_by_the_harness_table():
    # The suite may not import the harness, so it keeps its own copy of the table.
    from dbapi_conformance.suites.pep249 import test_types

    assert test_types.FAMILY_CAPABILITY == dict(TYPE_FAMILY_CAPABILITIES)
