"""Bad input against the Exasol mock, on raw WebSocket connections: each bad message gets an
error reply or a clean close, and another client keeps being served meanwhile."""

from __future__ import annotations

import json
import time
import zlib

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.drivers.wire.base import Side
from dbapi_conformance.mockservers.exasol import ExasolMockServer

LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def server():
    with ExasolMockServer(max_message_size=LIMIT) as srv:
        yield srv


class Client:
    """A raw client: the codec over websockets.sync, every wait bounded."""

    def __init__(self, server, *, version: int = 3, compression: bool = False,
                 login: bool = True):
        self.ws = ws_connect(server.url, open_timeout=10, close_timeout=5, max_size=None,
                             compression=None, legacy=True)
        self.codec = wire.Connection(Side.CLIENT)
        self.login_reply = None
        if login:
            key = self.request(wire.login_request(version))["responseData"]
            self.codec.login_sent(version)
            self.login_reply = self.request(wire.auth_request(
                "sys", wire.encrypt_password(key["publicKeyPem"], "exasol"),
                use_compression=compression))
            assert self.login_reply["status"] == "ok", self.login_reply
            self.codec.credentials_accepted(compression)

    def send_raw(self, payload) -> None:
        self.ws.send(payload)

    def recv(self) -> dict:
        return self.codec.receive(self.ws.recv(timeout=20))

    def request(self, obj: dict) -> dict:
        self.ws.send(self.codec.send(obj))
        return self.recv()

    def execute(self, sql: str) -> dict:
        return self.request(wire.command("execute", sqlText=sql))

    def closed(self) -> bool:
        """Whether the server ends the connection (within 20 s)."""
        try:
            while True:
                self.ws.recv(timeout=20)
        except ConnectionClosed:
            return True
        except TimeoutError:
            return False

    def close(self) -> None:
        self.ws.close()


@pytest.fixture
def bystander(server):
    """Another logged-in client that must be served before, during and after."""
    client = Client(server)
    client.execute("CREATE SCHEMA IF NOT EXISTS bystander")
    yield client
    assert client.execute("SELECT 42")["responseData"]["results"][0]["resultSet"][
        "data"] == [[42]]
    client.close()


def error_of(reply: dict) -> tuple[str, str]:
    assert reply["status"] == "error", reply
    return reply["exception"]["sqlCode"], reply["exception"]["text"]


@pytest.mark.parametrize(("payload", "text"), [
    ("{not json", "malformed JSON"),
    ("[1, 2]", "not a JSON object"),
    (json.dumps({"command": "launchMissiles"}), "Unknown command: launchMissiles"),
    (json.dumps({"sqlText": "SELECT 1"}), "JSON value '/command' is required"),
    (json.dumps({"command": "execute", "sqlText": 5}), "getString"),
    (json.dumps({"command": "fetch", "resultSetHandle": "1", "startPosition": 0,
                 "numBytes": 10}), "getInt"),
    (json.dumps({"command": "execute", "sqlText": "SELECT 1", "attributes": 7}), "getObject"),
    (json.dumps({"command": "setAttributes", "attributes": {"autocommit": "yes"}}),
     "invalid value"),
    (json.dumps({"command": "executePreparedStatement", "statementHandle": 999,
                 "numColumns": 0, "numRows": 0}), "handle 999 not found"),
])
def test_bad_messages_get_error_replies_and_the_connection_goes_on(server, bystander,
                                                                   payload, text):
    client = Client(server)
    try:
        client.send_raw(payload)
        code, message = error_of(client.recv())
        assert code == "00000" and text in message
        assert bystander.execute("SELECT 1")["status"] == "ok"
        assert client.execute("SELECT 1")["status"] == "ok"  # still served
    finally:
        client.close()


def test_fetch_on_a_closed_handle(server, bystander):
    client = Client(server)
    try:
        reply = client.execute("SELECT * FROM range(1500)")
        rs = reply["responseData"]["results"][0]["resultSet"]
        handle = rs["resultSetHandle"]
        assert rs["numRowsInMessage"] == 0 and rs["numRows"] == 1500
        fetched = client.request(wire.command("fetch", resultSetHandle=handle,
                                              startPosition=1000, numBytes=1 << 20))
        assert fetched["responseData"]["numRows"] == 500
        assert fetched["responseData"]["data"][0][:2] == [1000, 1001]
        header = client.request(wire.command("getResultSetHeader", resultSetHandles=[handle]))
        assert header["responseData"]["results"][0]["resultSet"] == {**rs, "numRowsInMessage": 0}
        tiny = client.request(wire.command("fetch", resultSetHandle=handle,
                                           startPosition=10, numBytes=1))
        assert tiny["responseData"]["numRows"] == 1  # at least one row while rows remain
        assert client.request(wire.command("closeResultSet",
                                           resultSetHandles=[handle]))["status"] == "ok"
        code, text = error_of(client.request(wire.command(
            "fetch", resultSetHandle=handle, startPosition=0, numBytes=100)))
        assert "not found" in text
        code, text = error_of(client.request(wire.command(
            "fetch", resultSetHandle=handle + 100, startPosition=0, numBytes=100)))
        assert "not found" in text
    finally:
        client.close()


def test_a_frame_after_disconnect_finds_the_connection_closed(server, bystander):
    client = Client(server)
    assert client.request(wire.command("disconnect")) == {"status": "ok"}
    with pytest.raises(ConnectionClosed):
        client.send_raw(json.dumps(wire.command("execute", sqlText="SELECT 1")))
        client.ws.recv(timeout=10)


def test_an_oversized_frame_closes_that_connection_only(server, bystander):
    client = Client(server)
    client.send_raw(json.dumps(wire.command("execute", sqlText="x" * (LIMIT + 10))))
    assert client.closed()
    assert client.ws.close_code == 1009  # message too big
    assert bystander.execute("SELECT 2")["status"] == "ok"


def test_a_compressed_bomb_is_refused_without_inflating_it(server, bystander):
    client = Client(server, compression=True)
    bomb = zlib.compress(b'{"command":"execute","sqlText":"' + b" " * (64 * LIMIT) + b'"}', 9)
    assert len(bomb) < LIMIT  # passes the frame limit, inflates 64 times beyond it
    client.send_raw(bomb)
    code, text = error_of(client.codec.receive(client.ws.recv(timeout=20)))
    assert code == "00000" and "inflates beyond" in text
    assert client.closed()
    assert bystander.execute("SELECT 3")["status"] == "ok"


def test_compressed_connection_rejects_text_and_garbage(server, bystander):
    for payload in ('{"command":"getAttributes"}', b"\x00garbage"):
        client = Client(server, compression=True)
        client.send_raw(payload)
        code, _ = error_of(client.codec.receive(client.ws.recv(timeout=20)))
        assert code == "00000"
        assert client.closed()


def test_compressed_connection_works(server):
    client = Client(server, compression=True)
    try:
        reply = client.request(wire.command("getAttributes"))
        assert reply["attributes"]["compressionEnabled"] is True
        assert client.execute("SELECT 5")["responseData"]["results"][0]["resultSet"][
            "data"] == [[5]]
    finally:
        client.close()


def test_login_phase_errors(server, bystander):
    client = Client(server, login=False)
    try:
        code, text = error_of(client.request(wire.command("execute", sqlText="SELECT 1")))
        assert text == "Invalid login request command: execute"
        # credentials before a login: the real server's text (websocket-api #11)
        code, text = error_of(client.request({"username": "sys", "password": "x"}))
        assert text == "JSON value '/command' is required, but was not provided."
        key = client.request(wire.login_request(3))["responseData"]
        code, text = error_of(client.request(wire.auth_request("sys", "not-base64!")))
        assert (code, text) == ("08004", wire.AUTH_FAILED)
        # a failed login starts over with login
        key = client.request(wire.login_request(3))["responseData"]
        assert key["publicKeyPem"].startswith("-----BEGIN RSA PUBLIC KEY-----")
        reply = client.request(wire.auth_request(
            "sys", wire.encrypt_password(key["publicKeyPem"], "exasol")))
        assert reply["status"] == "ok"
    finally:
        client.close()


@pytest.mark.parametrize(("asked", "spoken"), [(1, 1), (2, 2), (3, 3), (4, 4), (99, 4)])
def test_protocol_versions(server, asked, spoken):
    client = Client(server, version=asked)
    try:
        assert client.login_reply["responseData"]["protocolVersion"] == spoken
        info = client.login_reply["responseData"]
        assert info["releaseVersion"] == "8.34.0" and info["sessionId"] > 2 ** 53
        assert client.execute("CREATE SCHEMA IF NOT EXISTS versions")["status"] == "ok"
        reply = client.request(wire.command("getSchemas", schema="VERSIONS"))
        if spoken >= 2:
            rows = reply["responseData"]["results"][0]["resultSet"]["data"]
            assert rows[0] == ["VERSIONS"]
        else:
            assert error_of(reply)[0] == "00000"
    finally:
        client.close()


def test_login_token_is_refused(server):
    client = Client(server, login=False)
    try:
        assert client.request(wire.login_token_request(3)) == {"status": "ok"}
        code, text = error_of(client.request({"accessToken": "abc",
                                              "useCompression": False}))
        assert code == "08004"
        code, text = error_of(client.request(wire.login_token_request(2)))
        assert text == "Invalid login request command: loginToken"
    finally:
        client.close()


def test_attributes_commands(server):
    client = Client(server)
    try:
        attrs = client.request(wire.command("getAttributes"))
        assert "responseData" not in attrs and set(attrs["attributes"]) == set(
            wire.DEFAULT_ATTRIBUTES)
        # read-only attributes echoed back are tolerated; the reply carries the changes
        echo = {**attrs["attributes"], "autocommit": False}
        reply = client.request(wire.command("setAttributes", attributes=echo))
        assert reply == {"status": "ok", "attributes": {"autocommit": False}}
        reply = client.execute("CREATE SCHEMA IF NOT EXISTS attrs_s")
        # the first statement opens a transaction; CREATE SCHEMA opens the schema
        assert reply["attributes"] == {"openTransaction": True, "currentSchema": "ATTRS_S"}
        reply = client.execute("CLOSE SCHEMA")
        assert reply["attributes"] == {"currentSchema": ""}
        reply = client.execute("OPEN SCHEMA attrs_s")
        assert reply["attributes"] == {"currentSchema": "ATTRS_S"}
        assert "attributes" not in client.execute("SELECT 1")
        client.send_raw(json.dumps(wire.command("abortQuery")))  # idle: no reply at all
        reply = client.execute("COMMIT")
        assert reply["responseData"]["results"] == [wire.row_count_result(0)]
        assert reply["attributes"] == {"openTransaction": False}
        hosts = client.request(wire.command("getHosts", hostIp="10.1.2.3"))
        assert hosts["responseData"] == {"numNodes": 1, "nodes": ["10.1.2.3"]}
        batch = client.request(wire.command("executeBatch", sqlTexts=[
            "CREATE OR REPLACE TABLE b (a DECIMAL(18,0))", "INSERT INTO b VALUES (1), (2)"]))
        assert batch["responseData"]["results"] == [wire.row_count_result(0),
                                                    wire.row_count_result(2)]
    finally:
        client.close()


def test_a_client_that_leaves_takes_its_statement_with_it(server, bystander):
    client = Client(server)
    client.send_raw(json.dumps(wire.command(
        "execute", sqlText="SELECT COUNT(*) FROM range(100000000000) a")))
    time.sleep(0.5)  # let the statement start
    client.ws.socket.close()  # gone without a close frame
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.session_count > 1:
        time.sleep(0.05)
    # only the bystander's session is left: the statement was stopped, its session closed
    assert server.session_count == 1
