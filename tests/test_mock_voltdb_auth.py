"""Logins of the VoltDB mock (protocols/voltdb.md 2): users and passwords through
voltdbclient 16.1.0 (SHA-256, login version 1) and raw version-0 (SHA-1) logins, refused
logins with VoltDB's status codes, the ``dbapi-mock voltdb`` user options, and TLS."""

from __future__ import annotations

import hashlib
import socket
import struct

import pytest
import trustme
import voltdbclient as v

from dbapi_conformance.mockservers.__main__ import build_parser
from dbapi_conformance.mockservers.base import UsageError
from dbapi_conformance.mockservers.voltdb import MockServer

F = v.FastSerializer


def _server_from_args(*argv: str) -> MockServer:
    args = build_parser().parse_args(["voltdb", "--port", "0", *argv])
    return args.mock_class.from_args(args)


def _login_frame(version: int, user: str, digest: bytes, service: str = "database",
                 scheme: int | None = None) -> bytes:
    body = bytes([version]) + (bytes([scheme]) if version == 1 else b"")
    for text in (service, user):
        raw = text.encode()
        body += struct.pack(">i", len(raw)) + raw
    body += digest
    return struct.pack(">i", len(body)) + body


def _raw_login(address, frame: bytes) -> tuple[bytes, bytes]:
    """(the login response frame, what follows before the server closes)."""
    with socket.create_connection(address, timeout=10) as s:
        s.sendall(frame)
        head = s.recv(4, socket.MSG_WAITALL)
        (n,) = struct.unpack(">i", head)
        body = s.recv(n, socket.MSG_WAITALL)
        if body[1] != 0:
            return body, s.recv(1)  # b"" once the server closed
        return body, b"open"


@pytest.fixture(scope="module")
def secured():
    with MockServer(users={"alice": "secret", "bob": "p\u00e4ss"}) as srv:
        yield srv


def _ping(c) -> int:
    return v.VoltProcedure(c, "@Ping", []).call([]).status


def test_users_log_in_with_their_passwords(secured):
    for user, pw in (("alice", "secret"), ("bob", "p\u00e4ss")):
        c = F(*secured.address, username=user, password=pw, connect_timeout=10,
              procedure_timeout=10)
        try:
            assert _ping(c) == 1
        finally:
            c.close()


@pytest.mark.parametrize("user,pw", [("alice", "wrong"), ("mallory", "secret"), ("", ""),
                                     ("bob", "secret")])
def test_wrong_credentials_are_refused(secured, user, pw):
    with pytest.raises(RuntimeError, match=r"^Authentication failed\.$"):
        F(*secured.address, username=user, password=pw, connect_timeout=10)


def test_version_0_sha1_logins(secured):
    good = _login_frame(0, "alice", hashlib.sha1(b"secret").digest())
    body, rest = _raw_login(secured.address, good)
    assert body[:2] == b"\x00\x00" and rest == b"open"
    body, rest = _raw_login(secured.address, _login_frame(0, "alice",
                                                          hashlib.sha1(b"nope").digest()))
    assert body == b"\x00\xff" and rest == b""
    # a SHA-1 scheme in a version-1 login
    body, _ = _raw_login(secured.address, _login_frame(1, "alice",
                                                       hashlib.sha1(b"secret").digest(),
                                                       scheme=0))
    assert body[:2] == b"\x00\x00"


def test_refused_logins_carry_voltdbs_status_codes(secured):
    sha = hashlib.sha256(b"secret").digest()
    cases = [
        (_login_frame(1, "alice", sha, service="export", scheme=1), 5),
        (_login_frame(1, "alice", sha[:-1], scheme=1), 0xFF),  # digest one byte short
        (_login_frame(1, "alice", sha, scheme=9), 3),  # unknown scheme
        (_login_frame(1, "alice", b"", scheme=2), 0xFF),  # Kerberos is not offered
    ]
    for frame, status in cases:
        body, rest = _raw_login(secured.address, frame)
        assert body == bytes([0, status]) and rest == b""  # never a version-2 answer


def test_login_without_auth_accepts_anyone():
    with MockServer() as srv:
        c = F(*srv.address, username="whoever", password="x", connect_timeout=10,
              procedure_timeout=10)
        try:
            assert _ping(c) == 1
        finally:
            c.close()


def test_command_line_users(tmp_path, monkeypatch):
    pwfile = tmp_path / "pw"
    pwfile.write_text("from-file\nignored\n")
    monkeypatch.setenv("VOLT_PW", "from-env")
    srv = _server_from_args("--user", "alice", "--password-env", "VOLT_PW",
                            "--user", "bob", "--password-file", str(pwfile),
                            "--user", "carol", "--password", "inline")
    with srv:
        for user, pw in (("alice", "from-env"), ("bob", "from-file"), ("carol", "inline")):
            c = F(*srv.address, username=user, password=pw, connect_timeout=10,
                  procedure_timeout=10)
            try:
                assert _ping(c) == 1
            finally:
                c.close()
        with pytest.raises(RuntimeError, match="Authentication failed"):
            F(*srv.address, username="alice", password="from-file", connect_timeout=10)


@pytest.mark.parametrize("argv,message", [
    (["--password", "x"], "needs a --user"),
    (["--user", "a"], "needs a password"),
    (["--user", "a", "--password", "x", "--password", "y"], "two passwords"),
    (["--user", "a", "--password-env", "NO_SUCH_VOLT_VARIABLE"], "not set"),
    (["--user", "a", "--password-file", "/no/such/file"], "--password-file"),
    (["--tls-cert", "/no/such.pem"], "go together"),
    (["--max-frame-size", "0"], "positive"),
])
def test_command_line_errors(argv, message):
    with pytest.raises(UsageError, match=message):
        _server_from_args(*argv)


def test_tls(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_pem, key_pem, ca_pem = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_pem))
    cert.private_key_pem.write_to_path(str(key_pem))
    ca.cert_pem.write_to_path(str(ca_pem))
    srv = _server_from_args("--tls-cert", str(cert_pem), "--tls-key", str(key_pem),
                            "--user", "alice", "--password", "secret")
    with srv:
        c = F(*srv.address, usessl=True, ssl_config_file=str(ca_pem), username="alice",
              password="secret", connect_timeout=10, procedure_timeout=10)
        try:
            r = v.VoltProcedure(c, "@AdHoc", [F.VOLTTYPE_STRING]).call(["SELECT 'tls' AS x"])
            assert r.status == 1 and r.tables[0].tuples == [["tls"]]
        finally:
            c.close()
        # a plaintext login to the TLS port gets no login answer
        with socket.create_connection(srv.address, timeout=10) as s:
            s.sendall(_login_frame(1, "alice", hashlib.sha256(b"secret").digest(), scheme=1))
            try:
                data = s.recv(64)
            except (ConnectionError, TimeoutError):
                data = b""
            assert not data.startswith(b"\x00\x00\x00")
