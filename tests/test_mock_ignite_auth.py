"""Basic authentication and TLS of the Ignite 3 mock, checked with pyignite_dbapi 3.1.0
(protocols/ignite3.md 2.3, 9), and the ``dbapi-mock ignite`` options."""

from __future__ import annotations

import sys
from pathlib import Path

import pyignite_dbapi
import pytest
import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ignitemock import RawClient, running  # noqa: E402

from dbapi_conformance.drivers.wire import ignite as w  # noqa: E402
from dbapi_conformance.mockservers.__main__ import build_parser  # noqa: E402
from dbapi_conformance.mockservers.base import UsageError  # noqa: E402
from dbapi_conformance.mockservers.ignite.server import MockServer  # noqa: E402

REFUSED = ("Server rejected handshake with error: org.apache.ignite.security.exception."
           "InvalidCredentialsException: Authentication failed")


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    password_file = tmp_path_factory.mktemp("pw") / "bob"
    password_file.write_text("b0b's secret\n")
    with running("--user", "alice", "--password-env", "IGN_ALICE_PW",
                 "--user", "Bob", "--password-file", str(password_file),
                 env={"IGN_ALICE_PW": "s3cr3t"}) as server:
        yield server


def one(server, timeout=30, **kwargs):
    with pyignite_dbapi.connect(address=[server.address], timeout=timeout, **kwargs) as conn:
        cur = conn.cursor()
        cur.execute("SELECT 1")
        rows = cur.fetchall()
        cur.close()
        return rows


def test_users_get_in_with_their_passwords(secured):
    assert one(secured, identity="alice", secret="s3cr3t") == [(1,)]
    assert one(secured, identity="bob", secret="b0b's secret") == [(1,)]  # any case
    assert one(secured, identity="ALICE", secret="s3cr3t") == [(1,)]


@pytest.mark.parametrize("credentials", [
    {"identity": "alice", "secret": "wrong"},
    {"identity": "alice", "secret": "S3CR3T"},  # passwords match exactly
    {"identity": "mallory", "secret": "s3cr3t"},
    {},  # anonymous
])
def test_wrong_or_missing_credentials_are_refused(secured, credentials):
    with pytest.raises(pyignite_dbapi.OperationalError) as info:
        one(secured, **credentials)
    assert REFUSED in str(info.value)
    assert one(secured, identity="alice", secret="s3cr3t") == [(1,)]  # others unaffected


def test_unsupported_authentication_type(secured):
    client = RawClient(secured.port, handshake=w.Handshake(extensions={
        "authn-type": "kerberos", "authn-identity": "alice", "authn-secret": "s3cr3t"}))
    assert isinstance(client.hello, w.HandshakeError)
    assert client.hello.error.code == w.ErrorCode.UNSUPPORTED_AUTHENTICATION_TYPE
    assert client.hello.error.message == "Unsupported authentication type: kerberos"
    client.close()


def test_without_users_any_credentials_pass():
    with running() as server:
        assert one(server, identity="anyone", secret="whatever") == [(1,)]
        assert one(server) == [(1,)]


def test_wrong_protocol_version_is_refused_in_the_handshake():
    with running() as server:
        client = RawClient(server.port, handshake=w.Handshake(version=(3, 1, 0)))
        assert isinstance(client.hello, w.HandshakeError)
        assert client.hello.error.code == w.ErrorCode.PROTOCOL_COMPATIBILITY
        assert client.hello.error.message == "Unsupported version: 3.1.0"
        client.close()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pki")
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    server = ca.issue_cert("127.0.0.1", "localhost", key_type=trustme.KeyType.RSA)
    client = ca.issue_cert("client@example.com", key_type=trustme.KeyType.RSA)
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem",
             "key": folder / "server.key", "client_cert": folder / "client.pem",
             "client_key": folder / "client.key"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    server.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    server.private_key_pem.write_to_path(str(paths["key"]))
    client.cert_chain_pems[0].write_to_path(str(paths["client_cert"]))
    client.private_key_pem.write_to_path(str(paths["client_key"]))
    return {k: str(v) for k, v in paths.items()}


def test_tls_with_a_test_certificate(pki):
    with running("--tls-cert", pki["cert"], "--tls-key", pki["key"]) as server:
        assert server.url.startswith("tcps://")
        for _ in range(12):  # the client's TLS 1.3 wait failed about one time in four
            assert one(server, use_ssl=True, ssl_ca_certfile=pki["ca"], timeout=5) == [(1,)]
        with pytest.raises(pyignite_dbapi.OperationalError):
            one(server)  # a plain client on the TLS port


def test_tls_with_client_certificates(pki):
    with running("--tls-cert", pki["cert"], "--tls-key", pki["key"],
                 "--client-ca", pki["ca"]) as server:
        for _ in range(12):
            assert one(server, use_ssl=True, ssl_ca_certfile=pki["ca"], timeout=5,
                       ssl_certfile=pki["client_cert"],
                       ssl_keyfile=pki["client_key"]) == [(1,)]
        with pytest.raises(pyignite_dbapi.OperationalError):
            one(server, use_ssl=True, ssl_ca_certfile=pki["ca"])  # no client certificate


@pytest.mark.parametrize("argv, message", [
    (["--password", "x"], "--password needs a --user before it"),
    (["--user", "a"], "--user a needs a password"),
    (["--user", "a", "--password", "x", "--password", "y"], "--user a has two passwords"),
    (["--user", "a", "--password-env", "IGN_NO_SUCH_VARIABLE_X"], "the variable is not set"),
    (["--user", "a", "--password", "x", "--user", "A", "--password", "y"], "given twice"),
    (["--tls-cert", "/nonexistent.pem"], "go together"),
    (["--client-ca", __file__], "needs --tls-cert"),
])
def test_bad_options_are_usage_errors(argv, message):
    args = build_parser().parse_args(["ignite", *argv])
    with pytest.raises(UsageError, match=message):
        MockServer.from_args(args)
