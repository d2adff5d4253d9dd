"""Server backends of the harness: mock (thread, subprocess), container skip, URL, pool."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
import types

import pytest
from crate import client as crate_client

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases import DatabaseProfile, require_docker
from dbapi_conformance.harness.databases.cratedb import ENTRY as CRATEDB
from dbapi_conformance.harness.databases.cratedb import container as cratedb_container
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.profiles import DriverProfile
from dbapi_conformance.harness.servers import (
    ServerPool,
    fill_server_version,
    load_mock_class,
    start_mock_subprocess,
    start_mock_thread,
)
from dbapi_conformance.harness.sqlprofile import SqlProfile
from dbapi_conformance.harness.targets import Target

FAKE_DB = DatabaseProfile(slug="fake", product="FakeDB", default_port=7777, default_user="u")


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _target(db, kind="mock", server=None, runner="thread", tid="fake-mock"):
    profile = DriverProfile(module="sqlite3", database=db.slug if db else "x",
                            connect=lambda m, e: None, mock_runner=runner)
    return Target(id=tid, driver="sqlite3", database=profile.database,
                  server=server or kind, server_kind=kind, capabilities=Capabilities(),
                  sql=SqlProfile({"int": "INTEGER", "text": "TEXT"}), profile=profile, db=db)


# --- subprocess mock -------------------------------------------------------------------------


def test_subprocess_mock_reports_its_url_and_stops():
    endpoint, stop = start_mock_subprocess(FAKE_DB, _python("""
        import time
        print("fake listening on http://127.0.0.1:4321", flush=True)
        time.sleep(60)
    """))
    try:
        assert (endpoint.kind, endpoint.url, endpoint.port, endpoint.user) == (
            "mock", "http://127.0.0.1:4321", 4321, "u")
        assert endpoint.product == "FakeDB mock (dbapi-conformance, subprocess)"
    finally:
        stop()
    stop()  # idempotent


def test_subprocess_mock_that_exits_reports_stderr():
    with pytest.raises(RuntimeError) as info:
        start_mock_subprocess(FAKE_DB, _python("""
            import sys
            sys.stderr.write("port already taken\\n")
            sys.exit(3)
        """))
    assert "the fake mock subprocess exited with code 3" in str(info.value)
    assert "stderr: port already taken" in str(info.value)


def test_subprocess_mock_that_stays_silent_times_out():
    with pytest.raises(RuntimeError, match="did not report readiness within 0.5 s"):
        start_mock_subprocess(FAKE_DB, _python("import time; time.sleep(60)"), timeout=0.5)


def test_subprocess_mock_with_a_wrong_first_line():
    with pytest.raises(RuntimeError, match="printed an unexpected first line 'hello'"):
        start_mock_subprocess(FAKE_DB, _python("""
            import time
            print('hello', flush=True)
            time.sleep(60)
        """), timeout=5)


# --- in-process mock -------------------------------------------------------------------------


FAKE_MOCK = """
class FakeMock:
    instances = []

    def __init__(self, host, port):
        self.host, self.port, self.stopped = host, port, 0
        FakeMock.instances.append(self)

    def start(self):
        self.url = "http://127.0.0.1:5555"

    version = "9.9.9"

    def stop(self):
        self.stopped += 1
"""


@pytest.fixture
def fake_mock_module(tmp_path, monkeypatch):
    (tmp_path / "harness_fake_mock.py").write_text(FAKE_MOCK)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("harness_fake_mock")
    sys.modules.pop("harness_fake_mock", None)


def test_thread_mock_and_pool_lifecycle(fake_mock_module, tmp_path):
    db = DatabaseProfile(slug="fake", product="FakeDB", default_port=1, default_user="u",
                         mock="harness_fake_mock:FakeMock")
    endpoint, stop = start_mock_thread(db)
    mock = fake_mock_module.FakeMock.instances[-1]
    assert (mock.host, mock.port) == ("127.0.0.1", 0)  # never a fixed port
    assert (endpoint.url, endpoint.version, endpoint.user) == (
        "http://127.0.0.1:5555", "9.9.9", "u")
    stop()
    assert mock.stopped == 1

    pool = ServerPool(tmp_path)
    target = _target(db)
    first = pool.endpoint(target)
    assert pool.endpoint(target) is first  # started once per session
    assert len(fake_mock_module.FakeMock.instances) == 2
    pool.close()
    assert fake_mock_module.FakeMock.instances[-1].stopped == 1


def test_missing_mock_module_is_unavailable():
    missing = DatabaseProfile(slug="fake", product="FakeDB", default_port=1,
                              mock="dbapi_conformance.mockservers.nosuchdb.server:MockServer")
    with pytest.raises(ServerUnavailable, match="the fake mock server is not available"):
        load_mock_class(missing)
    with pytest.raises(ServerUnavailable, match="no mock server in this version"):
        load_mock_class(FAKE_DB)


def test_pool_caches_failures_and_reports_unavailable(tmp_path):
    pool = ServerPool(tmp_path)
    nomock = _target(DatabaseProfile(slug="nomock", product="NoMock", default_port=10800,
                                     no_mock="no nomock mock server in this version"),
                     runner="subprocess")
    for _ in range(2):
        with pytest.raises(ServerUnavailable, match="no nomock mock server in this version"):
            pool.endpoint(nomock)
    with pytest.raises(ServerUnavailable, match="no container recipe in this version"):
        pool.endpoint(_target(FAKE_DB, kind="container"))


def test_pool_url_and_embedded_endpoints(tmp_path):
    pool = ServerPool(tmp_path)
    url = pool.endpoint(_target(CRATEDB, kind="url", server="db.example"))
    assert (url.kind, url.url, url.user, url.product) == (
        "url", "http://db.example:4200", "crate", "CrateDB")
    embedded = pool.endpoint(_target(None, kind="none", tid="sqlite3-sqlite"))
    assert embedded.kind == "none" and embedded.data_dir == tmp_path / "sqlite3-sqlite"
    assert embedded.data_dir.is_dir()
    with pytest.raises(ServerUnavailable, match="unknown database 'x'; give --dbapi-server=URL"):
        pool.endpoint(_target(None, kind="mock", tid="x-mock"))


# --- server version -------------------------------------------------------------------------


def test_fill_server_version_asks_once_and_ignores_errors():
    calls = []

    class Conn:
        def close(self):
            calls.append("close")

    db = DatabaseProfile(slug="fake", product="FakeDB", default_port=1,
                         server_version=lambda conn: calls.append("query") or "1.2.3")
    endpoint = Endpoint(kind="url", url="http://h:1")
    target = _target(db, kind="url")
    fill_server_version(endpoint, target, Conn)
    fill_server_version(endpoint, target, Conn)
    assert (endpoint.version, calls) == ("1.2.3", ["query", "close"])

    def broken():
        raise OSError("connection refused")

    other = Endpoint(kind="url", url="http://h:2")
    fill_server_version(other, target, broken)
    assert (other.version, other.version_probed) == (None, True)


# --- containers ---------------------------------------------------------------------------


def test_container_without_testcontainers_is_unavailable(monkeypatch):
    # None in sys.modules makes the import fail, installed or not.
    monkeypatch.setitem(sys.modules, "testcontainers.community.cratedb", None)
    monkeypatch.setitem(sys.modules, "testcontainers.cratedb", None)
    with pytest.raises(ServerUnavailable, match=r"CrateDB module cannot be imported .*\[live\]"):
        cratedb_container()


def test_require_docker(monkeypatch):
    def unreachable(timeout):
        raise ConnectionError("Error while fetching server API version")

    monkeypatch.setitem(sys.modules, "docker", types.SimpleNamespace(from_env=unreachable))
    with pytest.raises(ServerUnavailable, match="no Docker engine reachable"):
        require_docker()

    pinged = []
    client = types.SimpleNamespace(ping=lambda: pinged.append("ping"),
                                   close=lambda: pinged.append("close"))
    monkeypatch.setitem(sys.modules, "docker",
                        types.SimpleNamespace(from_env=lambda timeout: client))
    require_docker()
    assert pinged == ["ping", "close"]


# --- the real CrateDB mock ----------------------------------------------------------------------


def test_cratedb_mock_in_process():
    endpoint, stop = start_mock_thread(CRATEDB)
    try:
        assert endpoint.url.startswith("http://127.0.0.1:")
        assert endpoint.port not in (None, 0, 4200)
        assert endpoint.version and endpoint.version[0].isdigit()
        assert endpoint.user == "crate"
    finally:
        stop()


def test_cratedb_mock_subprocess():
    endpoint, stop = start_mock_subprocess(CRATEDB)
    try:
        assert endpoint.url.startswith("http://127.0.0.1:")
        assert endpoint.product == "CrateDB mock (dbapi-conformance, subprocess)"
        conn = crate_client.connect(endpoint.url, username="crate")
        try:
            cursor = conn.cursor()
            cursor.execute("SELECT 1")
            assert cursor.fetchall() == [[1]]
        finally:
            conn.close()
    finally:
        stop()


# --- through the plugin ------------------------------------------------------------------

CRATEDB_SUITE = """
import pytest

@pytest.mark.pep249("CUR-FONE-2")
def test_select(dbapi_target, dbapi_cursor, dbapi_table):
    table = dbapi_table()
    dbapi_cursor.execute(dbapi_target.sql.select_one)
    assert list(dbapi_cursor.fetchone()) == [1]
    dbapi_cursor.execute(f"SELECT count(*) FROM {table}")
    assert list(dbapi_cursor.fetchone()) == [0]
"""


def test_container_without_testcontainers_skips_in_the_report(pytester, monkeypatch):
    # None in sys.modules makes the import fail, installed or not (runpytest is in-process).
    monkeypatch.setitem(sys.modules, "testcontainers.community.cratedb", None)
    monkeypatch.setitem(sys.modules, "testcontainers.cratedb", None)
    pytester.makepyfile(test_crate=CRATEDB_SUITE)
    result = pytester.runpytest("--dbapi-driver=crate.client", "--dbapi-server=container",
                                "-rs", "test_crate.py")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*crate.client-cratedb-container: testcontainers' CrateDB "
                                 "module cannot be imported*"])
    import json

    rep = json.loads((pytester.path / "reports" / "crate.client-cratedb-container.json")
                     .read_text(encoding="utf-8"))
    fone = next(c for c in rep["clauses"] if c["id"] == "CUR-FONE-2")
    assert fone["outcome"] == "skipped"
    assert fone["detail"].startswith(
        "crate.client-cratedb-container: testcontainers' CrateDB module cannot be imported")
    assert rep["server"]["kind"] == "container"


@pytest.mark.parametrize("runner", ["thread", "subprocess"])
def test_cratedb_mock_through_the_plugin(pytester, runner):
    pytester.makeconftest(f"""
import dataclasses
from dbapi_conformance.harness.databases import builtin_profile

def pytest_dbapi_profile(config, driver):
    return dataclasses.replace(builtin_profile(driver), mock_runner={runner!r})
""")
    pytester.makepyfile(test_crate=CRATEDB_SUITE)
    result = pytester.runpytest("--dbapi-driver=crate.client", "--dbapi-driver=cratedb",
                                "test_crate.py")
    result.assert_outcomes(passed=2)
    import json

    for target in ("crate.client-cratedb-mock", "cratedb-mock"):
        rep = json.loads((pytester.path / "reports" / f"{target}.json").read_text("utf-8"))
        server = rep["server"]
        assert server["kind"] == "mock" and server["url"].startswith("http://127.0.0.1:")
        assert server["version"] == "6.4.1"
        assert server["product"].startswith("CrateDB mock (dbapi-conformance")
        assert ("subprocess" in server["product"]) is (runner == "subprocess")
        assert next(c for c in rep["clauses"] if c["id"] == "CUR-FONE-2")["outcome"] == "pass"
