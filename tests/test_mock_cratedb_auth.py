"""Users and authentication of the CrateDB mock, through the official ``crate`` client.

CrateDB facts (crate/crate): host-based authentication and its 401 texts
(``HttpAuthUpstreamHandler``, ``HostBasedAuthentication``, ``ClientCertAuth``,
``docs/admin/auth/``), user statements and their errors (``RoleManagerService``,
``AccessControlImpl``, ``RoleManagementIntegrationTest``), ``sys.users``
(``SysUsersTableInfo``).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import selectors
import subprocess
import sys
import threading

import pytest
import trustme
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


def test_without_users_everything_stays_crate_and_passwords_are_ignored():
    # CrateDB with auth.host_based.enabled false: trust for every existing user
    with MockServer() as srv:
        assert _current_user(srv.url) == "crate"
        with client.connect(srv.url, timeout=10) as c:
            c.cursor().execute("CREATE USER bob WITH (password = 'pw')")
        assert _current_user(srv.url, username="bob", password="anything") == "bob"
        status, body = _post(srv.url, "SELECT 1", auth=("nobody", "x"))
        assert (status, body) == (401, b'trust authentication failed for user "nobody"\n')


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
    (["--password-env", "X"], "--password-env needs a --user before it"),
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
    (["--client-ca", __file__], "--client-ca needs --tls-cert and --tls-key"),
])
def test_authentication_options_that_do_not_fit(argv, message):
    args = build_parser().parse_args(["cratedb", "--port", "0", *argv])
    with pytest.raises(UsageError) as info:
        args.mock_class.from_args(args)
    assert str(info.value).startswith(message)


# --- CREATE USER / ALTER USER / DROP USER, sys.users ------------------------------------------

@pytest.fixture(scope="module")
def server():
    with MockServer(users={"alice": "secret"}, trust=["crate@127.0.0.1"]) as srv:
        yield srv


def test_a_created_user_logs_in_and_a_dropped_user_cannot(server):
    with client.connect(server.url, timeout=10) as admin:
        cur = admin.cursor()
        cur.execute("CREATE USER trillian WITH (password = ?)", ("h2g2",))
        assert cur.rowcount == 1
        assert _current_user(server.url, username="trillian", password="h2g2") == "trillian"
        _refused(server.url, username="trillian", password="wrong")
        # the PostgreSQL form, and an expression over a parameter (as CrateDB's own tests)
        cur.execute("CREATE USER ford PASSWORD 'towel'")
        cur.execute("CREATE USER arthur WITH (password = substr(?, 3))", ("**tea",))
        assert _current_user(server.url, username="ford", password="towel") == "ford"
        assert _current_user(server.url, username="arthur", password="tea") == "arthur"

        cur.execute("ALTER USER trillian SET (password = 'new')")
        assert cur.rowcount == 1
        _refused(server.url, username="trillian", password="h2g2")
        assert _current_user(server.url, username="trillian", password="new") == "trillian"

        with client.connect(server.url, username="ford", password="towel", timeout=10) as c:
            ford = c.cursor()
            ford.execute("SELECT 1")
            cur.execute("DROP USER ford")
            assert cur.rowcount == 1
            with pytest.raises(crate_exc.ProgrammingError, match="401"):
                ford.execute("SELECT 1")  # every request authenticates again
        _refused(server.url, username="ford", password="towel")
        cur.execute("DROP USER IF EXISTS ford")
        assert cur.rowcount == 0
        cur.execute("ALTER USER arthur SET (password = NULL)")  # no password: no login
        _refused(server.url, username="arthur", password="tea")
        cur.execute("DROP USER trillian")
        cur.execute("DROP ROLE arthur")  # DROP ROLE drops users too


def test_sys_users_shows_the_users_to_every_connection(server):
    with client.connect(server.url, timeout=10) as admin:
        cur = admin.cursor()
        cur.execute("SELECT * FROM sys.users WHERE name = 'crate'")
        assert [d[0] for d in cur.description] == [
            "granted_roles", "jwt", "name", "password", "session_settings", "superuser"]
        assert cur.fetchall() == [[[], None, "crate", None, {}, True]]
        cur.execute("CREATE USER zaphod")
        cur.execute("CREATE USER marvin WITH (password = 'sad')")
    with client.connect(server.url, timeout=10) as other:
        cur = other.cursor()
        cur.execute("SELECT name, password, superuser FROM sys.users "
                    "WHERE name IN ('alice', 'crate', 'marvin', 'zaphod') ORDER BY name")
        assert cur.fetchall() == [["alice", "********", False], ["crate", None, True],
                                  ["marvin", "********", False], ["zaphod", None, False]]
        cur.execute("DROP USER zaphod")
        cur.execute("DROP USER marvin")
        cur.execute("SELECT count(*) FROM sys.users WHERE name IN ('marvin', 'zaphod')")
        assert cur.fetchall() == [[0]]


def test_only_the_superuser_manages_users(server):
    with client.connect(server.url, username="alice", password="secret", timeout=10) as c:
        cur = c.cursor()
        for stmt in ("CREATE USER eve", "DROP USER crate", "ALTER USER crate SET (password = 'x')",
                     "DROP USER IF EXISTS nobody"):
            with pytest.raises(crate_exc.ProgrammingError) as info:
                cur.execute(stmt)
            assert info.value.message == ("MissingPrivilegeException[Missing 'AL' privilege "
                                          "for user 'alice']")
    status, body = _post(server.url, "CREATE USER eve", auth=("alice", "secret"))
    assert status == 401
    assert json.loads(body) == {"error": {
        "message": "MissingPrivilegeException[Missing 'AL' privilege for user 'alice']",
        "code": 4011}}
    # anyone may change their own password
    with client.connect(server.url, timeout=10) as admin:
        admin.cursor().execute("CREATE USER slarti WITH (password = 'fjords')")
    with client.connect(server.url, username="slarti", password="fjords", timeout=10) as c:
        c.cursor().execute("ALTER USER slarti SET (password = 'norway')")
    assert _current_user(server.url, username="slarti", password="norway") == "slarti"
    with client.connect(server.url, timeout=10) as admin:
        admin.cursor().execute("DROP USER slarti")


@pytest.mark.parametrize("stmt, status, code, message", [
    ("CREATE USER alice", 409, 4099, "RoleAlreadyExistsException[Role 'alice' already exists]"),
    ("CREATE USER crate", 409, 4099, "RoleAlreadyExistsException[Role 'crate' already exists]"),
    ("DROP USER nobody", 404, 40410, "RoleUnknownException[Role 'nobody' does not exist]"),
    ("ALTER USER nobody SET (password = 'x')", 404, 40410,
     "RoleUnknownException[Role 'nobody' does not exist]"),
    ("ALTER USER crate SET (password = 'x')", 404, 40410,
     "RoleUnknownException[Role 'crate' does not exist]"),
    ("DROP USER crate", 400, 4004, "UnsupportedFeatureException[Cannot drop a superuser 'crate']"),
    ("CREATE USER empty WITH (password = '')", 400, 4000,
     "SQLParseException[Password must not be empty]"),
    ("CREATE USER odd WITH (colour = 'x')", 400, 4000,
     "SQLParseException[Setting 'colour' is not supported]"),
    ("CREATE USER late WITH (password = $2)", 400, 4000,
     "SQLParseException[The query contains a parameter placeholder $2, but there are only 1 "
     "parameter values]"),
])
def test_user_statement_errors_as_cratedb_gives_them(server, stmt, status, code, message):
    got_status, body = _post(server.url, stmt, args=["one"])
    assert (got_status, json.loads(body)) == (status, {"error": {"message": message,
                                                                 "code": code}})


def test_users_created_from_many_connections_at_once_are_all_there(server):
    errors = []

    def create(i: int) -> None:
        try:
            with client.connect(server.url, timeout=30) as c:
                cur = c.cursor()
                for j in range(8):
                    cur.execute(f"CREATE USER many_{i}_{j} WITH (password = ?)",
                                (f"pw{i}{j}",))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with client.connect(server.url, timeout=10) as admin:
        cur = admin.cursor()
        cur.execute("SELECT count(*) FROM sys.users WHERE name LIKE 'many%'")
        assert cur.fetchall() == [[64]]
        assert _current_user(server.url, username="many_7_7", password="pw77") == "many_7_7"
        for i in range(8):
            for j in range(8):
                cur.execute(f"DROP USER many_{i}_{j}")


# --- TLS client certificates (the cert method) ----------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca, other_ca = trustme.CA(), trustme.CA()

    def write(cert, name: str) -> tuple[str, str]:
        cert_file, key_file = str(d / f"{name}.pem"), str(d / f"{name}.key")
        cert.private_key_pem.write_to_path(key_file)
        cert.cert_chain_pems[0].write_to_path(cert_file)
        for pem in cert.cert_chain_pems[1:]:
            pem.write_to_path(cert_file, append=True)
        return cert_file, key_file

    ca_file = str(d / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    return {
        "ca": ca_file,
        "server": write(ca.issue_cert("127.0.0.1", "localhost"), "server"),
        "alice": write(ca.issue_cert("alice@example.org", common_name="alice"), "alice"),
        "mallory": write(ca.issue_cert("mallory@example.org", common_name="mallory"),
                         "mallory"),
        "forged": write(other_ca.issue_cert("alice@example.org", common_name="alice"),
                        "forged"),
    }


def test_a_client_certificate_is_required_and_its_cn_is_the_user(pki):
    cert, key = pki["server"]
    with MockServer(users={"alice": None}, tls_cert=cert, tls_key=key,
                    client_ca=pki["ca"]) as srv:
        alice = {"ca_cert": pki["ca"], "cert_file": pki["alice"][0],
                 "key_file": pki["alice"][1]}
        assert _current_user(srv.url, **alice) == "alice"
        assert _current_user(srv.url, username="alice", **alice) == "alice"
        # a certificate's CN must match the user it claims (ClientCertAuth)
        _refused(srv.url, username="crate", **alice)
        # signed by the CA, but no such user
        _refused(srv.url, ca_cert=pki["ca"], cert_file=pki["mallory"][0],
                 key_file=pki["mallory"][1])
        # no certificate, or one of another CA: no TLS handshake at all
        for kwargs in ({}, {"cert_file": pki["forged"][0], "key_file": pki["forged"][1]}):
            with pytest.raises(crate_exc.ConnectionError):
                client.connect(srv.url, ca_cert=pki["ca"], timeout=10, **kwargs)
        # the server still serves good clients
        assert _current_user(srv.url, **alice) == "alice"


def test_the_constructor_refuses_what_cratedb_would_not(pki):
    with pytest.raises(ValueError, match="client_ca needs tls_cert"):
        MockServer(client_ca=pki["ca"])
    with pytest.raises(ValueError, match="superuser 'crate' has no password"):
        MockServer(users={"crate": "pw"})
    with pytest.raises(ValueError, match="neither an IP address"):
        MockServer(trust=["crate@somewhere"])
