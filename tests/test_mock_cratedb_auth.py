"""Users and authentication of the CrateDB mock, through the official ``crate`` client.

CrateDB facts (crate/crate): host-based authentication and its 401 texts
(``HttpAuthUpstreamHandler``, ``HostBasedAuthentication``, ``docs/admin/auth/``).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import selectors
import subprocess
import sys

import pytest
from crate import client
from crate.client import exceptions as crate_exc

from dbapi_conformance.mockservers.__main__ import build_parser
from dbapi_conformance.mockservers.base import UsageError
from dbapi_conformance.mockservers.cratedb.server import MockServer

NO_ENTRY = ('No valid auth.host_based.config entry found for host "{host}", user "{user}", '
            'protocol "http". Did you enable TLS in your client?\n')


def _server_from_args(*argv: str) -> MockServer:
    args = build_parser().parse_args(["cratedb", "--port", "0", *argv])
    return args.mock_class.from_args(args)


def _post(url: str, stmt: str, *, auth: tuple[str, str] | None = None,
          source: str | None = None, args: list | None = None) -> tuple[int, bytes]:
    host, port = url.rsplit("/", 1)[-1].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10,
                                      source_address=(source, 0) if source else None)
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(
            f"{auth[0]}:{auth[1]}".encode()).decode()
    try:
        conn.request("POST", "/_sql", json.dumps({"stmt": stmt, "args": args or []}), headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _current_user(url: str, **kwargs) -> str:
    with client.connect(url, timeout=10, **kwargs) as conn:
        cur = conn.cursor()
        cur.execute("SELECT current_user")
        return cur.fetchone()[0]


def _refused(url: str, **kwargs) -> None:
    with pytest.raises(crate_exc.ProgrammingError, match="401"):
        client.connect(url, timeout=10, **kwargs)


# --- host-based authentication ---------------------------------------------------------------

def test_a_client_without_credentials_is_refused_once_users_exist():
    with _server_from_args("--user", "alice", "--password", "secret") as srv:
        with client.connect(srv.url, username="alice", password="secret", timeout=10) as c:
            c.cursor().execute("CREATE TABLE alices (id INT PRIMARY KEY)")
        _refused(srv.url)  # no credentials: user crate, and no trust rule for it
        status, body = _post(srv.url, "DROP TABLE alices")
        assert (status, body.decode()) == (401, NO_ENTRY.format(host="127.0.0.1", user="crate"))
        with client.connect(srv.url, username="alice", password="secret", timeout=10) as c:
            cur = c.cursor()
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'doc'")
            assert cur.fetchall() == [["alices"]]


def test_a_trust_rule_admits_crate_only_from_its_address():
    with MockServer(users={"alice": "secret"}, trust=["crate@127.0.0.1"]) as srv:
        assert _current_user(srv.url) == "crate"
        assert _current_user(srv.url, username="crate") == "crate"
        status, body = _post(srv.url, "SELECT current_user", source="127.0.0.2")
        assert (status, body.decode()) == (401, NO_ENTRY.format(host="127.0.0.2", user="crate"))
        # the rule names crate only: alice still needs her password
        status, body = _post(srv.url, "SELECT 1", auth=("alice", ""))
        assert (status, body.decode()) == (401, NO_ENTRY.format(host="127.0.0.1", user="alice"))
        assert _current_user(srv.url, username="alice", password="secret") == "alice"
    with MockServer(trust=["crate@10.0.0.0/8", "*@127.0.0.2"]) as srv:
        _refused(srv.url)
        status, body = _post(srv.url, "SELECT current_user", source="127.0.0.2")
        assert status == 200 and json.loads(body)["rows"] == [["crate"]]
    with MockServer(trust=["crate@_local_"]) as srv:
        assert _current_user(srv.url) == "crate"
        status, _ = _post(srv.url, "SELECT 1", source="127.0.0.2")  # _local_ is 127.0.0.1 only
        assert status == 401


def test_several_users_each_with_their_own_password(tmp_path, monkeypatch):
    monkeypatch.setenv("ALICE_PW", "alice-secret")
    bob_file = tmp_path / "bob.pw"
    bob_file.write_text("bob-secret\n")
    with _server_from_args("--user", "alice", "--password-env", "ALICE_PW",
                           "--user", "bob", "--password-file", str(bob_file),
                           "--user", "carol", "--password", "carol-secret",
                           "--trust", "crate@127.0.0.1") as srv:
        assert _current_user(srv.url, username="alice", password="alice-secret") == "alice"
        assert _current_user(srv.url, username="bob", password="bob-secret") == "bob"
        assert _current_user(srv.url, username="carol", password="carol-secret") == "carol"
        assert _current_user(srv.url) == "crate"
        _refused(srv.url, username="alice", password="bob-secret")
        _refused(srv.url, username="bob", password="bob-secret\n")
        status, body = _post(srv.url, "SELECT 1", auth=("bob", "alice-secret"))
        assert (status, body) == (401, b'password authentication failed for user "bob"\n')
        # the trust method takes the user as it is and ignores any password
        assert _current_user(srv.url, username="crate", password="anything") == "crate"


def test_the_password_from_the_environment_is_not_in_the_process_arguments(tmp_path):
    env = {**os.environ, "MOCK_ALICE_PW": "env-secret-4711"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dbapi_conformance.mockservers", "cratedb", "--port", "0",
         "--user", "alice", "--password-env", "MOCK_ALICE_PW"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=30), "no listening line"
        line = proc.stdout.readline()
        sel.close()
        assert line.startswith("cratedb listening on "), line + proc.stderr.read()
        url = line.split(" on ", 1)[1].strip()
        with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
        assert b"MOCK_ALICE_PW" in argv and not any(b"env-secret-4711" in a for a in argv)
        assert _current_user(url, username="alice", password="env-secret-4711") == "alice"
        _refused(url, username="alice", password="MOCK_ALICE_PW")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


@pytest.mark.parametrize("argv, message", [
    (["--password-env", "X"], "--password-env needs --user"),
    (["--user", "a", "--password-env", "MOCK_UNSET_VARIABLE_1"],
     "--password-env MOCK_UNSET_VARIABLE_1: the variable is not set"),
    (["--user", "a", "--password-file", "/nonexistent/pw"],
     "--password-file /nonexistent/pw: No such file or directory"),
    (["--user", "a", "--password", "x", "--password", "y"], "--user a has two passwords"),
    (["--user", "a", "--password", "x", "--user", "a", "--password", "y"],
     "--user a is given twice"),
    (["--user", "crate", "--password", "x"], "--user crate: 'crate' is the superuser"),
    (["--trust", "crate@nowhere.example"], "--trust crate@nowhere.example: 'nowhere.example' "
                                           "is neither an IP address"),
])
def test_authentication_options_that_do_not_fit(argv, message):
    args = build_parser().parse_args(["cratedb", "--port", "0", *argv])
    with pytest.raises(UsageError) as info:
        args.mock_class.from_args(args)
    assert str(info.value).startswith(message)


def test_the_constructor_refuses_what_cratedb_would_not():
    with pytest.raises(ValueError, match="superuser 'crate' has no password"):
        MockServer(users={"crate": "pw"})
    with pytest.raises(ValueError, match="neither an IP address"):
        MockServer(trust=["crate@somewhere"])
