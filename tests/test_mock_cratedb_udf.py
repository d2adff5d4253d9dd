"""JavaScript user-defined functions on the CrateDB mock, through the official client.

Reference statements and values: crate/crate ``JavaScriptUDFIntegrationTest``
(subtract_js, test.subtract, arr_max, nested), ``PolyglotLanguage.validate``,
``UserDefinedFunctionAlreadyExistsException``, ``UserDefinedFunctionUnknownException``,
``UserDefinedFunctionService.getLanguage``; ``RoutineInfos`` (information_schema.routines).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.request

import pytest
from crate import client
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.cratedb import MockServer, udf

_names = (f"udf{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    c = client.connect(server.url, timeout=30)
    yield c.cursor()
    c.close()


def _error(server, stmt: str) -> dict:
    req = urllib.request.Request(server.url + "/_sql", data=json.dumps({"stmt": stmt}).encode(),
                                 headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=30)
    except urllib.error.HTTPError as exc:
        return json.loads(exc.read())["error"]
    raise AssertionError("no error")


def test_javascript_functions_in_select_where_and_order_by(cur):
    t, f = next(_names), next(_names)
    cur.execute(f"CREATE TABLE {t} (a LONG, b LONG)")
    cur.execute(f"INSERT INTO {t} (a, b) VALUES (5, 3), (10, 7)")
    cur.execute(f"REFRESH TABLE {t}")
    cur.execute(f"CREATE FUNCTION {f}(LONG, LONG) RETURNS LONG LANGUAGE JAVASCRIPT "
                f"AS 'function {f}(x, y) {{ return x-y; }}'")
    assert cur.rowcount == 1
    try:
        cur.execute(f"SELECT {f.upper()}(a, b) FROM {t} ORDER BY a ASC")
        assert cur.fetchall() == [[2], [3]]
        assert [d[0] for d in cur.description] == [f"{f}(a, b)"]
        cur.execute(f"SELECT a FROM {t} WHERE {f}(a, b) = 3")
        assert cur.fetchall() == [[10]]
        cur.execute(f"SELECT {f}(a, b) AS d FROM {t} ORDER BY d DESC")
        assert cur.fetchall() == [[3], [2]]
    finally:
        cur.execute(f"DROP FUNCTION {f}(LONG, LONG)")
        cur.execute(f"DROP TABLE {t}")
    with pytest.raises(crate_exc.ProgrammingError, match="Unknown function"):
        cur.execute(f"SELECT {f}(1, 2)")


def test_schema_qualified_functions_objects_arrays_and_timestamps(cur):
    cur.execute("CREATE FUNCTION udfs.subtract(integer, integer) RETURNS INTEGER "
                "LANGUAGE javascript AS 'function subtract(x, y){ return x-y; }'")
    cur.execute("CREATE OR REPLACE FUNCTION arr_max(xs array(real)) RETURNS real "
                "LANGUAGE JAVASCRIPT "
                "AS 'function arr_max(xs) { return Math.max.apply(null, xs); }'")
    cur.execute("CREATE FUNCTION nested(obj OBJECT) RETURNS STRING LANGUAGE JAVASCRIPT "
                "AS 'function nested(obj){ return obj[\"l1\"][\"l2\"][\"l3\"]; }'")
    cur.execute("CREATE FUNCTION make_obj(n integer) RETURNS OBJECT LANGUAGE JAVASCRIPT "
                "AS 'function make_obj(n){ return {n: n, sq: n * n, tags: [\"a\"]}; }'")
    cur.execute("CREATE FUNCTION later(ts TIMESTAMP WITH TIME ZONE) RETURNS "
                "TIMESTAMP WITH TIME ZONE LANGUAGE JAVASCRIPT "
                "AS 'function later(t) { return t + 1000; }'")
    try:
        cur.execute("SELECT udfs.subtract(3, 1), arr_max([10.5, 27.4]), "
                    "nested({l1={l2={l3='Hello'}}}), make_obj(3), later('2020-01-01T00:00:00Z')")
        assert cur.fetchall() == [[2, 27.4, "Hello", {"n": 3, "sq": 9, "tags": ["a"]},
                                   1577836801000]]
        assert [d[0] for d in cur.description][:2] == ["udfs.subtract(3, 1)",
                                                        "arr_max([10.5, 27.4])"]
        cur.execute("SELECT make_obj(2)['sq']")
        assert cur.fetchall() == [[4]]
        # NULL reaches JavaScript as null: reading a property of it is a TypeError there
        with pytest.raises(crate_exc.ProgrammingError) as info:
            cur.execute("SELECT nested(NULL)")
        assert info.value.message.startswith("ScriptException[javascript ScriptException: "
                                             "TypeError: ")
    finally:
        cur.execute("DROP FUNCTION udfs.subtract(integer, integer)")
        cur.execute("DROP FUNCTION arr_max(array(real))")
        cur.execute("DROP FUNCTION nested(OBJECT)")
        cur.execute("DROP FUNCTION make_obj(integer)")
        cur.execute("DROP FUNCTION later(TIMESTAMP WITH TIME ZONE)")


@pytest.mark.parametrize(("stmt", "error"), [
    ("CREATE FUNCTION py(int) RETURNS int LANGUAGE python AS 'def py(x): return x'",
     {"message": "SQLParseException['python' is not a valid UDF language]", "code": 4000}),
    ("CREATE FUNCTION bad(int) RETURNS int LANGUAGE JAVASCRIPT "
     "AS 'function other(x) { return x; }'",
     {"message": "ScriptException[javascript ScriptException: Invalid javascript in function "
                 "'doc.bad(integer)' AS 'function other(x) { return x; }': The name of the "
                 "function signature 'bad' doesn't match the function name in the function "
                 "definition.]", "code": 5000}),
    ("DROP FUNCTION nothing_here(long, text)",
     {"message": "UserDefinedFunctionUnknownException[Cannot resolve user defined function: "
                 "'doc.nothing_here(bigint,text)']", "code": 4049}),
])
def test_function_errors_as_cratedb_words_them(server, stmt, error):
    assert _error(server, stmt) == error


def test_duplicate_functions_replace_and_routines(server, cur):
    f = next(_names)
    create = (f"CREATE FUNCTION {f}(a integer) RETURNS integer LANGUAGE JAVASCRIPT "
              f"AS 'function {f}(a) {{ return a + 1; }}'")
    cur.execute(create)
    try:
        assert _error(server, create) == {
            "message": f"UserDefinedFunctionAlreadyExistsException[User defined Function "
                       f"'doc.{f}(integer)' already exists.]", "code": 4098}
        cur.execute(create.replace("CREATE", "CREATE OR REPLACE").replace("+ 1", "+ 2"))
        cur.execute(f"SELECT {f}(1)")
        assert cur.fetchall() == [[3]]
        cur.execute("SELECT routine_name, routine_schema, routine_type, routine_body, "
                    "specific_name, data_type, routine_definition "
                    "FROM information_schema.routines WHERE routine_name = ?", (f,))
        assert cur.fetchall() == [[f, "doc", "FUNCTION", "javascript", f"{f}(integer)",
                                   "integer", f"function {f}(a) {{ return a + 2; }}"]]
    finally:
        cur.execute(f"DROP FUNCTION {f}(integer)")
    cur.execute(f"DROP FUNCTION IF EXISTS {f}(integer)")
    assert cur.rowcount == 1
    cur.execute("SELECT count(*) FROM information_schema.routines WHERE routine_name = ?", (f,))
    assert cur.fetchall() == [[0]]


def test_failing_and_endless_functions_end_with_a_script_error(cur, monkeypatch):
    monkeypatch.setattr(udf, "CALL_TIMEOUT", 0.5)
    cur.execute("CREATE FUNCTION thrower(int) RETURNS int LANGUAGE JAVASCRIPT "
                "AS 'function thrower(x) { throw new Error(\"boom\"); }'")
    cur.execute("CREATE FUNCTION spin(int) RETURNS int LANGUAGE JAVASCRIPT "
                "AS 'function spin(x) { while (true) {} }'")
    try:
        with pytest.raises(crate_exc.ProgrammingError) as info:
            cur.execute("SELECT thrower(1)")
        assert info.value.message == "ScriptException[javascript ScriptException: Error: boom]"
        with pytest.raises(crate_exc.ProgrammingError, match="terminated by timeout"):
            cur.execute("SELECT spin(1)")
        cur.execute("SELECT 1")  # the server goes on serving
        assert cur.fetchall() == [[1]]
    finally:
        cur.execute("DROP FUNCTION thrower(int)")
        cur.execute("DROP FUNCTION spin(int)")


def test_a_function_returning_undefined_gives_null(cur):
    # GraalVM's Value.isNull() holds for JavaScript's undefined as for null, and CrateDB
    # turns it into NULL (PolyglotValues.toCrateObject): a function without a return
    # statement on some path answers NULL there, not an error
    f = next(_names)
    cur.execute(f"CREATE FUNCTION {f}(int) RETURNS int LANGUAGE JAVASCRIPT "
                f"AS 'function {f}(x) {{ if (x > 0) {{ return x * 2; }} }}'")
    try:
        cur.execute(f"SELECT {f}(2), {f}(0), {f}(NULL)")
        assert cur.fetchall() == [[4, None, None]]
    finally:
        cur.execute(f"DROP FUNCTION {f}(int)")


def test_an_endless_call_does_not_keep_its_javascript_context(cur, monkeypatch):
    # each timed-out call used to keep its V8 context (heap and threads) until exit
    monkeypatch.setattr(udf, "CALL_TIMEOUT", 0.2)
    monkeypatch.setattr(udf, "LATE_CLOSE", 0.1)
    f = next(_names)
    cur.execute(f"CREATE FUNCTION {f}(int) RETURNS int LANGUAGE JAVASCRIPT "
                f"AS 'function {f}(x) {{ while (true) {{}} }}'")
    before = set(udf._CONTEXTS)
    try:
        for _ in range(3):
            with pytest.raises(crate_exc.ProgrammingError, match="terminated by timeout"):
                cur.execute(f"SELECT {f}(1)")
        deadline = time.monotonic() + 30
        while set(udf._CONTEXTS) - before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert set(udf._CONTEXTS) - before == set()  # each one closed, none kept
    finally:
        cur.execute(f"DROP FUNCTION {f}(int)")


def test_functions_survive_a_restart(tmp_path):
    path = str(tmp_path / "db.duckdb")
    with MockServer(database=path) as srv:
        c = client.connect(srv.url, timeout=30).cursor()
        c.execute("CREATE FUNCTION twice(x DOUBLE) RETURNS DOUBLE LANGUAGE JAVASCRIPT "
                  "AS 'function twice(x) { return 2 * x; }'")
    with MockServer(database=path) as srv:
        c = client.connect(srv.url, timeout=30).cursor()
        c.execute("SELECT twice(1.25)")
        assert c.fetchall() == [[2.5]]


def test_without_a_javascript_engine_as_a_node_without_lang_js(server, monkeypatch):
    monkeypatch.setattr(udf, "ENGINE_AVAILABLE", False)
    assert _error(server, "CREATE FUNCTION f(int) RETURNS int LANGUAGE JAVASCRIPT "
                          "AS 'function f(x) { return x; }'") == {
        "message": "SQLParseException['javascript' is not a valid UDF language]", "code": 4000}


def test_a_timed_out_function_call_leaves_the_server_free():
    # a call used to run on for CALL_TIMEOUT past the statement timeout, holding its
    # connection's session and a server-wide lock on the function: the next statement on
    # the same connection and a call of the function from another connection timed out too
    with MockServer(port=0, statement_timeout=2) as srv:
        c1, c2 = client.connect(srv.url, timeout=30), client.connect(srv.url, timeout=30)
        try:
            cur = c1.cursor()
            for stmt in ["CREATE TABLE t (x int)", "INSERT INTO t (x) VALUES (1), (2), (3), (4)",
                         "REFRESH TABLE t",
                         "CREATE FUNCTION spin(x int) RETURNS int LANGUAGE JAVASCRIPT AS "
                         "'function spin(x) { if (x > 0) { while (true) {} } return x; }'"]:
                cur.execute(stmt)
            with pytest.raises(crate_exc.ProgrammingError, match="statement_timeout"):
                cur.execute("SELECT spin(x) FROM t")
            cur.execute("SELECT 1")
            assert cur.fetchall() == [[1]]
            other = c2.cursor()
            other.execute("SELECT spin(0)")
            assert other.fetchall() == [[0]]
        finally:
            c1.close()
            c2.close()


def test_calls_of_one_function_from_two_connections_run_side_by_side(server):
    # one call at a time per function used to serialise every connection behind the
    # longest call; now a short call finishes while a long one still runs elsewhere
    f = next(_names)
    c1, c2 = client.connect(server.url, timeout=30), client.connect(server.url, timeout=30)
    try:
        c1.cursor().execute(
            f"CREATE FUNCTION {f}(ms int) RETURNS int LANGUAGE JAVASCRIPT AS 'function {f}(ms) "
            "{ var end = Date.now() + ms; while (Date.now() < end) {} return ms; }'")
        long_done = threading.Event()
        result: list = []

        def long_call():
            cur = c1.cursor()
            cur.execute(f"SELECT {f}(3000)")
            result.append(cur.fetchall())
            long_done.set()

        worker = threading.Thread(target=long_call, daemon=True)
        worker.start()
        other = c2.cursor()
        deadline = time.monotonic() + 20
        running = 0
        while not running and time.monotonic() < deadline:  # the long call has started
            other.execute("SELECT count(*) FROM sys.jobs WHERE stmt = ?", (f"SELECT {f}(3000)",))
            running = other.fetchall()[0][0]
        assert running == 1
        other.execute(f"SELECT {f}(1)")
        assert other.fetchall() == [[1]]
        assert not long_done.is_set()  # finished while the long call still ran
        worker.join(30)
        assert result == [[[3000]]]
    finally:
        c1.cursor().execute(f"DROP FUNCTION IF EXISTS {f}(int)")
        c1.close()
        c2.close()


def test_a_call_runs_once_per_row_and_statement():
    # DuckDB tried calls with constant arguments while planning (again when they failed), so
    # a statement ran the JavaScript up to three times (one worker: one JavaScript context
    # sees every call, and its counter tells how many ran)
    with MockServer(port=0, workers=1) as srv:
        c = client.connect(srv.url, timeout=30)
        try:
            cur = c.cursor()
            for stmt in ["CREATE TABLE t (x int)", "INSERT INTO t (x) VALUES (1), (2)",
                         "REFRESH TABLE t",
                         "CREATE FUNCTION counted(x int) RETURNS int LANGUAGE JAVASCRIPT AS "
                         "'var calls = 0; function counted(x) { calls += 1; "
                         "if (x > 100) { throw new Error(\"call \" + calls); } return calls; }'"]:
                cur.execute(stmt)
            with pytest.raises(crate_exc.ProgrammingError, match="Error: call 1]"):
                cur.execute("SELECT counted(1000)")
            cur.execute("SELECT counted(x) FROM t WHERE x = 1")
            assert cur.fetchall() == [[2]]
            cur.execute("SELECT counted(x) FROM t ORDER BY x")
            assert cur.fetchall() == [[3], [4]]
            cur.execute("SELECT counted(0)")
            assert cur.fetchall() == [[5]]
        finally:
            c.close()


def _direct_udf(body: str) -> udf.Udf:
    from dbapi_conformance.mockservers.cratedb.coltypes import parse_type_name
    t = parse_type_name("integer")
    return udf.Udf("doc", "f", ["x"], [t], t, "javascript", body)


def test_no_call_starts_once_its_statement_is_stopped_or_out_of_time():
    f = _direct_udf("function f(x) { return x + 1; }")
    try:
        limits = udf.Limits(deadline=time.monotonic() + 60)
        with udf.statement_limits(limits):
            assert f(1) == 2
            limits.stopped = True  # CrateSession.interrupt / cancel from another thread
            with pytest.raises(RuntimeError, match="Job killed"):
                f(1)
        with udf.statement_limits(udf.Limits(deadline=time.monotonic() - 1)):
            with pytest.raises(RuntimeError, match="ran out of time"):
                f(1)
        assert f(2) == 3  # outside a statement: CALL_TIMEOUT only
    finally:
        f.close()


def test_closing_a_function_closes_the_context_of_every_thread():
    # one context per calling thread: DROP / REPLACE (Udf.close) closes each, and a
    # thread that ends takes its contexts with it
    before = set(udf._CONTEXTS)
    f, g = _direct_udf("function f(x) { return x * 2; }"), _direct_udf(
        "function f(x) { return x * 3; }")
    called, release = threading.Barrier(4, timeout=30), threading.Event()
    results: list = []

    def worker():
        results.append((f(3), g(3)))
        called.wait()
        release.wait(30)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        called.wait()
        assert results == [(6, 9)] * 3
        assert len(set(udf._CONTEXTS) - before) == 6  # per function, per thread
        f.close()
        assert len(set(udf._CONTEXTS) - before) == 3  # g's remain
    finally:
        release.set()
    for t in threads:
        t.join(30)
    assert set(udf._CONTEXTS) - before == set()  # the threads' ends closed g's
    g.close()


def test_a_function_dropped_during_a_call_closes_that_context_when_the_call_ends():
    before = set(udf._CONTEXTS)
    f = _direct_udf("function f(ms) { var end = Date.now() + ms; while (Date.now() < end) {} "
                    "return ms; }")
    results: list = []
    worker = threading.Thread(target=lambda: results.append(f(1000)), daemon=True)
    worker.start()
    deadline = time.monotonic() + 20
    while not set(udf._CONTEXTS) - before and time.monotonic() < deadline:
        time.sleep(0.01)  # the call has its context
    f.close()  # the running call keeps it until it returns
    worker.join(30)
    assert results == [1000]
    assert set(udf._CONTEXTS) - before == set()
    assert f(5) == 5  # a call after the close still runs, on a context of its own
    assert set(udf._CONTEXTS) - before == set()
