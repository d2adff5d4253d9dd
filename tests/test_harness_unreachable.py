"""``dbapi_connect_unreachable`` and its parts: a port where nothing listens, bounded calls."""

from __future__ import annotations

import socket
import threading

import pytest

from dbapi_conformance.harness import connections
from dbapi_conformance.harness.connections import (
    UNREACHABLE_TIMEOUT,
    CallTimedOut,
    DeadPort,
    UnreachableConnector,
    call_within,
)
from dbapi_conformance.harness.endpoint import Endpoint

# --- parts -----------------------------------------------------------------------------------


def test_dead_port_refuses_connections_and_is_released():
    port = DeadPort()
    try:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((DeadPort.host, port.port), timeout=5).close()
        # Held: nobody else can bind it meanwhile.
        with socket.socket() as other, pytest.raises(OSError):
            other.bind((DeadPort.host, port.port))
    finally:
        port.close()
        port.close()  # idempotent


def test_call_within_returns_raises_and_times_out():
    assert call_within(lambda: 42, 5) == 42
    with pytest.raises(KeyError, match="x"):
        call_within(lambda: {}["x"], 5)
    release = threading.Event()
    try:
        with pytest.raises(CallTimedOut, match="still running after 0.2 s"):
            call_within(lambda: release.wait(10), 0.2)
    finally:
        release.set()


def test_endpoint_moved_to_keeps_scheme_path_and_credentials():
    ep = Endpoint(kind="url", url="https://db.example:4200/sub", host="db.example", port=4200,
                  user="crate", password="pw", product="CrateDB", version="6.4.1")
    moved = ep.moved_to("127.0.0.1", 5555)
    assert (moved.url, moved.host, moved.port) == ("https://127.0.0.1:5555/sub", "127.0.0.1", 5555)
    assert (moved.user, moved.password, moved.kind) == ("crate", "pw", "url")
    assert moved.version is None and moved.version_probed  # never asked for its version
    assert ep.url == "https://db.example:4200/sub"  # the original is unchanged
    bare = Endpoint(kind="mock", host="h", port=1).moved_to("127.0.0.1", 2)
    assert (bare.url, bare.address) == (None, "127.0.0.1:2")


def test_unreachable_connector_uses_one_dead_port_and_closes_connections():
    seen, closed = [], []

    class Conn:
        def close(self):
            closed.append(self)

    def open_at(port):
        seen.append(port)
        return Conn()

    connector = UnreachableConnector(open_at)
    first, second = connector(), connector()
    assert len(set(seen)) == 1 and seen[0] > 0
    connector.teardown()
    assert closed == [second, first]
    with socket.socket() as again:  # the port is released
        again.bind((DeadPort.host, seen[0]))


def test_unreachable_connector_bounds_a_hanging_connect():
    release = threading.Event()
    connector = UnreachableConnector(lambda port: release.wait(10), limit=0.2)
    try:
        with pytest.raises(CallTimedOut):
            connector()
    finally:
        release.set()
        connector.teardown()


# --- the fixture inside a pytest run ---------------------------------------------------------

#: A tiny networked "driver": connect() opens a TCP connection to the URL's host and port.
FAKENET = """
import socket
import time
from urllib.parse import urlsplit

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"
calls = []


class Error(Exception):
    pass


class DatabaseError(Error):
    pass


class OperationalError(DatabaseError):
    pass


class Connection:
    def close(self):
        pass


def connect(url, timeout=None):
    calls.append((url, timeout))
    parts = urlsplit(url)
    if parts.path == "/hang":
        time.sleep(3)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=timeout).close()
    except OSError as exc:
        raise OperationalError(f"cannot reach {parts.hostname}:{parts.port}: {exc}") from None
    return Connection()
"""

FAKENET_CONFTEST = """
from dbapi_conformance.harness import DriverProfile, SqlProfile

def pytest_dbapi_profile(config, driver):
    if driver != "fakenet":
        return None
    return DriverProfile(
        module="fakenet", database="fakenet",
        connect=lambda module, endpoint: module.connect(endpoint.url, timeout=endpoint.timeout),
        sql=SqlProfile(types={"int": "INTEGER", "text": "TEXT"}),
    )
"""

FAKENET_TESTS = """
import pytest

def test_refused(dbapi_connect_unreachable, dbapi_module, dbapi_server):
    with pytest.raises(dbapi_module.OperationalError, match="Connection refused"):
        dbapi_connect_unreachable()
    (url, timeout), = dbapi_module.calls[-1:]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/db")
    assert not url.startswith(f"http://127.0.0.1:{dbapi_server.port}/")
    assert timeout == {timeout}

def test_not_called(dbapi_connect_unreachable):
    pass
"""


def test_fixture_connects_to_a_dead_port_with_a_short_timeout(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(fakenet=FAKENET)
    pytester.makeconftest(FAKENET_CONFTEST)
    pytester.makepyfile(test_fake=FAKENET_TESTS.replace("{timeout}", repr(UNREACHABLE_TIMEOUT)))
    result = pytester.runpytest("--dbapi-driver=fakenet", "--dbapi-server=http://127.0.0.1:9/db",
                                "test_fake.py")
    result.assert_outcomes(passed=2)


def test_fixture_fails_a_hanging_connect(pytester, monkeypatch):
    monkeypatch.setattr(connections, "UNREACHABLE_LIMIT", 0.3)
    pytester.syspathinsert()
    pytester.makepyfile(fakenet=FAKENET)
    pytester.makeconftest(FAKENET_CONFTEST)
    pytester.makepyfile(test_hang="""
        def test_hang(dbapi_connect_unreachable):
            dbapi_connect_unreachable()
    """)
    result = pytester.runpytest("--dbapi-driver=fakenet",
                                "--dbapi-server=http://127.0.0.1:9/hang", "test_hang.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*connecting to a port where nothing listens did not fail: still running after 0.3 s*"]
    )


def test_fixture_is_not_applicable_to_embedded_databases(pytester):
    pytester.makeconftest("""
        from dbapi_conformance.harness import DriverProfile, SqlProfile

        def pytest_dbapi_profile(config, driver):
            if driver != "sqlite3":
                return None
            return DriverProfile(
                module="sqlite3", database="sqlite", server="none",
                connect=lambda module, endpoint: module.connect(endpoint.data_dir / "db"),
                sql=SqlProfile(types={"int": "INTEGER", "text": "TEXT"}),
            )
    """)
    pytester.makepyfile(test_embedded="""
        import pytest

        @pytest.mark.pep249("EXC-OPER-1")
        def test_unreachable(dbapi_connect_unreachable):
            dbapi_connect_unreachable()
    """)
    result = pytester.runpytest("--dbapi-driver=sqlite3", "-rs", "test_embedded.py")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*n/a: server: an embedded database: the driver reaches no*"])
