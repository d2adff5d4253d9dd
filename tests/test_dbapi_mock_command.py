"""The ``dbapi-mock`` command in its own process, driven by the official CrateDB client."""

from __future__ import annotations

import datetime as dt
import os
import selectors
import signal
import subprocess
import sys
import time

import pytest
import trustme
from crate import client  # noqa: E402  (declared test dependency)

from dbapi_conformance.mockservers.__main__ import build_parser

START_TIMEOUT = 30.0


def _start(*args: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbapi_conformance.mockservers", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            sel.close()
            if not line:
                _, err = proc.communicate(timeout=10)
                raise AssertionError(f"dbapi-mock exited: {err}")
            prefix = "cratedb listening on "
            assert line.startswith(prefix), line
            return proc, line[len(prefix):].strip()
    proc.kill()
    proc.communicate(timeout=10)
    raise AssertionError("dbapi-mock did not print its listening line in time")


def _stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> tuple[int, str, str]:
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=10)
    return proc.returncode, out, err


def test_parser_has_database_subcommands():
    args = build_parser().parse_args(["cratedb", "--port", "0", "--database", "x.db"])
    assert (args.server, args.port, args.database, args.host) == ("cratedb", 0, "x.db",
                                                                  "127.0.0.1")
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


def test_serves_crate_client_and_stops_on_sigterm():
    proc, url = _start("cratedb", "--port", "0")
    try:
        assert url.startswith("http://127.0.0.1:")
        with client.connect(url, timeout=10) as conn:
            cur = conn.cursor()
            cur.execute("SELECT name FROM sys.cluster")
            assert cur.fetchall() == [["crate"]]
            cur.execute("SELECT * FROM sys.summits")
            assert len(cur.fetchall()) == 1605
            cur.execute("CREATE TABLE cmd_t (id INT PRIMARY KEY, name TEXT)")
            results = cur.executemany("INSERT INTO cmd_t (id, name) VALUES (?, ?)",
                                      [(1, "a"), (1, "b"), (2, "c")])
            assert [r["rowcount"] for r in results] == [1, -2, 1]
            cur.execute("SELECT id, name FROM cmd_t ORDER BY id")
            assert cur.fetchall() == [[1, "a"], [2, "c"]]
            cur.execute("DROP TABLE cmd_t")
    finally:
        code, out, err = _stop(proc)
    assert code == 0, err
    assert out == ""  # exactly one line was printed, read above


def test_sigint_also_stops_cleanly():
    proc, url = _start("cratedb", "--port", "0")
    code, _, err = _stop(proc, signal.SIGINT)
    assert code == 0, err


def test_user_password_and_persistent_database(tmp_path):
    db = str(tmp_path / "mock.duckdb")
    proc, url = _start("cratedb", "--port", "0", "--user", "alice", "--password", "pw",
                       "--database", db)
    try:
        with pytest.raises(client.exceptions.ProgrammingError, match="401"):
            client.connect(url, username="alice", password="wrong", timeout=10)
        with client.connect(url, username="alice", password="pw", timeout=10) as conn:
            cur = conn.cursor()
            cur.execute("CREATE TABLE kept (id INT PRIMARY KEY, addr IP)")
            cur.execute("INSERT INTO kept (id, addr) VALUES (1, '10.1.1.1')")
    finally:
        code, _, err = _stop(proc)
    assert code == 0, err
    assert os.path.exists(db)
    proc, url = _start("cratedb", "--port", "0", "--database", db)
    try:
        with client.connect(url, timeout=10) as conn:
            cur = conn.cursor(converter=client.converter.DefaultTypeConverter())
            cur.execute("SELECT id, addr FROM kept")
            rows = cur.fetchall()
            assert rows[0][0] == 1 and str(rows[0][1]) == "10.1.1.1"
    finally:
        code, _, err = _stop(proc)
    assert code == 0, err


def test_port_in_use_exits_with_error():
    proc, url = _start("cratedb", "--port", "0")
    try:
        port = url.rsplit(":", 1)[1]
        other = subprocess.run(
            [sys.executable, "-m", "dbapi_conformance.mockservers", "cratedb", "--port", port],
            capture_output=True, text=True, timeout=30)
        assert other.returncode == 1
        assert "cannot start cratedb" in other.stderr
    finally:
        _stop(proc)


def test_https_parameters_typed_values_and_errors_over_tls(tmp_path):
    """The official client against ``dbapi-mock cratedb --tls-cert/--tls-key`` in another
    process: a trustme CA, both placeholder styles, typed values, IntegrityError and
    ProgrammingError."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = (str(tmp_path / n) for n in ("cert.pem", "key.pem", "ca.pem"))
    cert.private_key_and_cert_chain_pem.write_to_path(cert_file)
    cert.private_key_pem.write_to_path(key_file)
    ca.cert_pem.write_to_path(ca_file)
    proc, url = _start("cratedb", "--port", "0", "--tls-cert", cert_file, "--tls-key", key_file)
    try:
        assert url.startswith("https://127.0.0.1:")
        converter = client.converter.DefaultTypeConverter()
        with client.connect(url, ca_cert=ca_file, timeout=10, converter=converter) as conn:
            cur = conn.cursor()
            cur.execute("CREATE TABLE tls_t (id INT PRIMARY KEY, name TEXT, "
                        "ts TIMESTAMP WITH TIME ZONE, tags ARRAY(TEXT))")
            when = dt.datetime(2026, 11, 21, 12, 30, 15, 250000, tzinfo=dt.timezone.utc)
            cur.execute("INSERT INTO tls_t (id, name, ts, tags) VALUES (?, ?, ?, ?)",
                        (1, "it's", when, ["a", "b"]))
            cur.execute("INSERT INTO tls_t (id, name, ts, tags) VALUES ($2, $1, $3, $4)",
                        ("second", 2, 0, []))
            cur.execute("SELECT id, name, ts, tags FROM tls_t WHERE id = %(id)s", {"id": 1})
            assert cur.fetchall() == [[1, "it's", when, ["a", "b"]]]
            cur.execute("SELECT name, ts FROM tls_t WHERE id = ?", (2,))
            assert cur.fetchall() == [["second", dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)]]
            with pytest.raises(client.exceptions.IntegrityError, match="DuplicateKeyException"):
                cur.execute("INSERT INTO tls_t (id, name) VALUES (?, ?)", (1, "again"))
            with pytest.raises(client.exceptions.ProgrammingError,
                               match=r"RelationUnknown\[Relation 'no_such_table' unknown\]"):
                cur.execute("SELECT * FROM no_such_table")
            cur.execute("SELECT count(*) FROM tls_t")
            assert cur.fetchall() == [[2]]
    finally:
        code, _, err = _stop(proc)
    assert code == 0, err


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_bad_port_is_a_usage_error(port, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["cratedb", "--port", port])
    assert exit_info.value.code == 2
    assert "--port" in capsys.readouterr().err
