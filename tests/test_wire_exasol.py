"""The Exasol codec: value round trips in both directions, message shapes, framing limits,
login crypto, and the messages pyexasol 3.0.1 really sends (tests/fixtures/exasol)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import zlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.drivers.wire.base import LocalProtocolError, RemoteProtocolError, Side

FIXTURE = Path(__file__).parent / "fixtures" / "exasol" / "pyexasol_messages.json"

D = decimal.Decimal

# (dataType, python value, JSON on the wire) per type family, exasol.md 5.5
VALUES = [
    (wire.decimal_type(18, 0), 123456789012345678, 123456789012345678),
    (wire.decimal_type(18, 0), -5, -5),
    (wire.decimal_type(36, 0), 999999999999999999999999999999999999,
     "999999999999999999999999999999999999"),
    (wire.decimal_type(19, 0), 10 ** 18, "1000000000000000000"),
    (wire.decimal_type(10, 2), D("12345678.91"), "12345678.91"),
    (wire.decimal_type(10, 5), D("0.70000"), "0.7"),
    (wire.decimal_type(10, 2), D("-0.50"), "-0.5"),
    (wire.decimal_type(36, 36), D("0." + "9" * 36), "0." + "9" * 36),
    (wire.decimal_type(10, 2), D("0"), "0"),
    (wire.double_type(), 22.07, 22.07),
    (wire.double_type(), 1.7e308, 1.7e308),
    (wire.double_type(), -0.5, -0.5),
    (wire.varchar_type(10), "héllo", "héllo"),
    (wire.char_type(10), "text      ", "text      "),
    (wire.boolean_type(), True, True),
    (wire.boolean_type(), False, False),
    (wire.date_type(), dt.date(2018, 7, 12), "2018-07-12"),
    (wire.date_type(), dt.date(1, 1, 1), "0001-01-01"),
    (wire.timestamp_type(), dt.datetime(2018, 4, 3, 18, 36, 40, 553000),
     "2018-04-03 18:36:40.553000"),
    (wire.timestamp_type(), dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
     "9999-12-31 23:59:59.999999"),
    (wire.timestamp_type(True), dt.datetime(2020, 1, 1), "2020-01-01 00:00:00.000000"),
    (wire.interval_ym_type(), "+05-03", "+05-03"),
    (wire.interval_ds_type(), "+02 12:50:10.123", "+02 12:50:10.123"),
    (wire.geometry_type(), "POINT (1 2)", "POINT (1 2)"),
    (wire.hashtype_type(), "550e8400e29b11d4a716446655440000",
     "550e8400e29b11d4a716446655440000"),
]


@pytest.mark.parametrize(("data_type", "value", "json_value"), VALUES,
                         ids=[f"{v[0]['type']}-{i}" for i, v in enumerate(VALUES)])
def test_result_values_round_trip(data_type, value, json_value):
    encoded = wire.encode_value(value, data_type)
    assert encoded == json_value and type(encoded) is type(json_value)
    # through real JSON text, as on the wire
    decoded = wire.decode_value(json.loads(wire.dumps([encoded]))[0], data_type)
    assert decoded == value and type(decoded) is type(value)
    assert wire.value_decoder(data_type)(encoded) == value


@pytest.mark.parametrize(("data_type", "value", "json_value"), VALUES,
                         ids=[f"{v[0]['type']}-{i}" for i, v in enumerate(VALUES)])
def test_parameters_round_trip(data_type, value, json_value):
    sent = json.loads(wire.dumps([wire.encode_param(value, data_type)]))[0]
    if data_type["type"] == "CHAR":
        assert sent == value  # the server pads CHAR itself
    got = wire.decode_param(sent, data_type)
    assert got == value and type(got) is type(value)


def test_null_is_null_for_every_type():
    for data_type, _, _ in VALUES:
        assert wire.encode_value(None, data_type) is None
        assert wire.decode_value(None, data_type) is None
        assert wire.encode_param(None, data_type) is None
        assert wire.decode_param(None, data_type) is None
        assert wire.value_decoder(data_type)(None) is None


def test_value_conversions_from_engine_values():
    assert wire.encode_value(D("1.50"), wire.decimal_type(18, 0)) == 2  # rounded half up
    assert wire.encode_value(7, wire.decimal_type(10, 2)) == "7"
    assert wire.encode_value(3, wire.double_type()) == 3.0
    assert wire.encode_value("ab", wire.char_type(4)) == "ab  "
    assert wire.encode_value(dt.datetime(2024, 1, 2, 3, 4), wire.date_type()) == "2024-01-02"
    aware = dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert wire.encode_value(aware, wire.timestamp_type(True)) == "2024-01-02 01:04:00.000000"
    assert wire.encode_value(63, wire.interval_ym_type()) == "+05-03"
    assert wire.encode_value(-14, wire.interval_ym_type()) == "-01-02"
    delta = dt.timedelta(days=2, hours=12, minutes=50, seconds=10, microseconds=123000)
    assert wire.encode_value(delta, wire.interval_ds_type()) == "+02 12:50:10.123"
    assert wire.encode_value(-delta, wire.interval_ds_type(fraction=0)) == "-02 12:50:10"
    import uuid
    u = uuid.UUID("550e8400-e29b-11d4-a716-446655440000")
    assert wire.encode_value(u, wire.hashtype_type()) == u.hex
    assert wire.encode_value(u.bytes, wire.hashtype_type()) == u.hex


def test_decoders_accept_what_servers_send():
    assert wire.decode_value("12", wire.decimal_type(36, 0)) == 12
    assert wire.decode_value(5, wire.decimal_type(10, 2)) == D(5)
    assert wire.decode_value(1, wire.double_type()) == 1.0
    # nine fraction digits (TIMESTAMP(9)) are cut to microseconds, as pyexasol does
    assert wire.decode_value("2024-01-02 03:04:05.123456789", wire.timestamp_type()) == \
        dt.datetime(2024, 1, 2, 3, 4, 5, 123456)
    assert wire.decode_value("2024-01-02 03:04:05", wire.timestamp_type()) == \
        dt.datetime(2024, 1, 2, 3, 4, 5)


@pytest.mark.parametrize(("data_type", "value"), [
    (wire.decimal_type(3, 0), 1000),
    (wire.decimal_type(5, 2), D("1000.00")),
    (wire.decimal_type(18, 0), "abc"),
    (wire.decimal_type(18, 0), True),
    (wire.double_type(), float("nan")),
    (wire.double_type(), "1.5"),
    (wire.varchar_type(3), "abcd"),
    (wire.varchar_type(3), 5),
    (wire.boolean_type(), 1),
    (wire.date_type(), "2024-01-01"),
    (wire.timestamp_type(), 17),
    (wire.hashtype_type(), "xyz"),
    (wire.hashtype_type(), "abcd"),
    (wire.interval_ym_type(), "5 years"),
])
def test_values_that_do_not_fit_are_our_fault(data_type, value):
    with pytest.raises(wire.EncodeError) as info:
        wire.encode_value(value, data_type)
    assert isinstance(info.value, LocalProtocolError)


@pytest.mark.parametrize(("data_type", "json_value"), [
    (wire.decimal_type(18, 0), "1.5"),
    (wire.decimal_type(18, 0), True),
    (wire.double_type(), "x"),
    (wire.varchar_type(), 5),
    (wire.date_type(), "12.07.2018"),
    (wire.timestamp_type(), "2018-02-30 00:00:00"),
    (wire.boolean_type(), "maybe"),
])
def test_bad_result_values_are_the_servers_fault(data_type, json_value):
    with pytest.raises(wire.ResponseError):
        wire.decode_value(json_value, data_type)


@pytest.mark.parametrize(("data_type", "json_value", "code", "text"), [
    (wire.varchar_type(), 5, "00000", "getString: JSON value is not a string"),
    (wire.double_type(), 1, "00000", "getDouble: JSON value is not a double"),
    (wire.decimal_type(18, 0), "not-a-number", "22018",
     "invalid character value for cast; Value: 'not-a-number'"),
    (wire.decimal_type(3, 0), 1000, "22003", "numeric value out of range"),
    (wire.date_type(), "2018-13-01", "22018",
     "invalid character value for cast; Value: '2018-13-01' Format: 'YYYY-MM-DD'"),
    (wire.timestamp_type(), "2024-01-01T08:00:00", "22018",
     "Value: '2024-01-01T08:00:00' Format: 'YYYY-MM-DD HH24:MI:SS.FF6'"),
    (wire.timestamp_type(), "yesterday", "22018", "invalid character value for cast"),
    (wire.date_type(), "2023-02-29", "22018", "Value: '2023-02-29' Format: 'YYYY-MM-DD'"),
    (wire.boolean_type(), 3, "22018", "invalid character value for cast"),
])
def test_bad_parameters_get_exasol_errors(data_type, json_value, code, text):
    with pytest.raises(wire.RequestError) as info:
        wire.decode_param(json_value, data_type)
    assert info.value.sql_code == code and text in info.value.text
    assert info.value.reply() == {"status": "error",
                                  "exception": {"sqlCode": code, "text": info.value.text}}


def test_parameter_encodings_follow_the_server_rules():
    assert wire.encode_param(1, wire.double_type()) == 1.0
    assert json.loads(wire.dumps([wire.encode_param(1, wire.double_type())])) == [1.0]
    assert wire.encode_param(D("1.5"), wire.decimal_type(10, 2)) == "1.5"
    assert wire.encode_param(10 ** 20, wire.decimal_type(36, 0)) == str(10 ** 20)
    assert wire.encode_param(dt.date(2024, 1, 31), wire.timestamp_type()) == \
        "2024-01-31 00:00:00.000000"
    assert wire.decode_param(" 17 ", wire.decimal_type(18, 0)) == 17
    assert wire.decode_param(1.25, wire.decimal_type(10, 2)) == D("1.25")
    assert wire.decode_param("true", wire.boolean_type()) is True


@pytest.mark.parametrize("data_type", [
    wire.decimal_type(18, 0), wire.decimal_type(10, 2), wire.decimal_type(36, 0),
    wire.date_type(), wire.timestamp_type(), wire.timestamp_type(local_time_zone=True)],
    ids=lambda t: "-".join(str(v) for v in t.values()))
@pytest.mark.parametrize("text", ["2024-01-02", "2024-01-02 03:04:05.678000", "1.25", "x"])
def test_text_for_decimal_date_and_timestamp_goes_as_it_is(data_type, text):
    # the server parses it (exasol.md 5.6), as it does for pyexasol's DB-API module
    assert wire.encode_param(text, data_type) == text


def test_other_values_for_decimal_date_and_timestamp_are_still_checked():
    for value, data_type in ((1, wire.date_type()), (True, wire.decimal_type(18, 0)),
                             (1.5, wire.timestamp_type()), (10 ** 20, wire.decimal_type())):
        with pytest.raises(wire.EncodeError):
            wire.encode_param(value, data_type)
    with pytest.raises(wire.EncodeError, match="cannot bind int to VARCHAR"):
        wire.encode_param(5, wire.varchar_type())


@given(st.decimals(min_value=D("-99999999.99"), max_value=D("99999999.99"), places=2,
                   allow_nan=False, allow_infinity=False))
def test_decimal_10_2_round_trips(value):
    dtype = wire.decimal_type(10, 2)
    assert wire.decode_value(wire.encode_value(value, dtype), dtype) == value
    assert wire.decode_param(wire.encode_param(value, dtype), dtype) == value


@given(st.integers(min_value=-(10 ** 36) + 1, max_value=10 ** 36 - 1))
def test_big_integers_round_trip(value):
    dtype = wire.decimal_type(36, 0)
    sent = wire.encode_value(value, dtype)
    assert isinstance(sent, str) and wire.decode_value(sent, dtype) == value


@given(st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_timestamps_round_trip(value):
    dtype = wire.timestamp_type()
    assert wire.decode_value(wire.encode_value(value, dtype), dtype) == value
    assert wire.decode_param(wire.encode_param(value, dtype), dtype) == value


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_doubles_round_trip_through_json(value):
    dtype = wire.double_type()
    text = wire.dumps([wire.encode_value(value, dtype)])
    assert wire.decode_value(json.loads(text)[0], dtype) == value
    assert wire.decode_param(json.loads(wire.dumps([wire.encode_param(value, dtype)]))[0],
                             dtype) == value


def test_column_major_helpers():
    rows = [(1, "a"), (2, None), (3, "c")]
    cols = wire.to_columns(rows, 2)
    assert cols == [[1, 2, 3], ["a", None, "c"]]
    assert wire.to_rows(cols, 3) == rows
    assert wire.to_rows([], 2) == [(), ()]
    with pytest.raises(wire.EncodeError):
        wire.to_columns([(1,)], 2)
    with pytest.raises(wire.ResponseError):
        wire.to_rows([[1, 2], [1]])
    assert wire.rows_within([10, 10, 10], 25) == 2
    assert wire.rows_within([100, 10], 5) == 1  # at least one row while rows remain
    assert wire.rows_within([], 5) == 0


def test_result_shapes():
    cols = [{"name": "N", "dataType": wire.decimal_type()}]
    inline = wire.result_set(cols, 2, [[1, 2]])["resultSet"]
    assert inline == {"numColumns": 1, "numRows": 2, "numRowsInMessage": 2, "columns": cols,
                      "data": [[1, 2]]}
    handle = wire.result_set(cols, 2500, handle=7)["resultSet"]
    assert handle["resultSetHandle"] == 7 and handle["numRowsInMessage"] == 0
    assert "data" not in handle
    assert wire.row_count_result(3) == {"resultType": "rowCount", "rowCount": 3}
    assert wire.fetch_reply([[1]], 1) == {"status": "ok",
                                          "responseData": {"numRows": 1, "data": [[1]]}}


# --- framing ---------------------------------------------------------------------------


def test_compression_switches_after_the_credentials_reply():
    server, client = wire.Connection(Side.SERVER), wire.Connection(Side.CLIENT)
    assert server.receive(client.send(wire.login_request(3))) == wire.login_request(3)
    server.login_accepted(3)
    client.login_sent(3)
    reply = server.send(wire.ok_reply({"x": 1}))
    assert isinstance(reply, str)
    server.credentials_accepted(True)
    client.credentials_accepted(True)
    request = client.send(wire.command("getAttributes"))
    assert isinstance(request, bytes) and zlib.decompress(request) == b'{"command":"getAttributes"}'
    assert server.receive(request) == {"command": "getAttributes"}
    assert client.receive(server.send(wire.ok_reply())) == {"status": "ok"}


def test_a_compressed_bomb_is_refused_without_inflating_it():
    server = wire.Connection(Side.SERVER, max_size=1024 * 1024)
    server.credentials_accepted(True)
    bomb = zlib.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]", 9)
    assert len(bomb) < 100_000
    with pytest.raises(wire.RequestError) as info:
        server.receive(bomb)
    assert info.value.fatal and info.value.sql_code == "00000"
    assert "inflates beyond" in info.value.text
    for payload in (b"not zlib", zlib.compress(b'{"a":1}')[:-3], '{"command":"x"}'):
        with pytest.raises(wire.RequestError) as info:
            server.receive(payload)
        assert info.value.fatal


@pytest.mark.parametrize("payload", ["{", "[1, 2]", "\"x\"", b"\xff\xfe", "{\"a\": NaN"])
def test_malformed_messages_are_the_peers_fault(payload):
    server = wire.Connection(Side.SERVER)
    with pytest.raises(wire.RequestError) as info:
        server.receive(payload)
    assert isinstance(info.value, RemoteProtocolError) and info.value.sql_code == "00000"
    client = wire.Connection(Side.CLIENT)
    with pytest.raises(wire.ResponseError):
        client.receive(payload)


def test_oversized_messages():
    server = wire.Connection(Side.SERVER, max_size=100)
    with pytest.raises(wire.RequestError):
        server.receive('{"command":"execute","sqlText":"' + "x" * 200 + '"}')
    client = wire.Connection(Side.CLIENT, max_size=100)
    with pytest.raises(wire.EncodeError):
        client.send(wire.command("execute", sqlText="x" * 200))
    with pytest.raises(wire.EncodeError):
        wire.dumps({"v": float("nan")})


# --- requests and replies --------------------------------------------------------------


def test_requests_are_checked_field_by_field():
    req = wire.parse_request(wire.command("fetch", resultSetHandle=1, startPosition=0,
                                          numBytes=100, attributes={"autocommit": False}))
    assert req.command == "fetch" and req.get("numBytes") == 100
    assert req.attributes == {"autocommit": False}
    cases = [
        ({"sqlText": "x"}, "JSON value '/command' is required, but was not provided."),
        ({"command": "nope"}, "Unknown command: nope"),
        ({"command": 5}, "getString"),
        ({"command": "execute"}, "JSON value '/sqlText' is required"),
        ({"command": "execute", "sqlText": 5}, "getString: JSON value is not a string"),
        ({"command": "fetch", "resultSetHandle": "1", "startPosition": 0, "numBytes": 1},
         "getInt"),
        ({"command": "fetch", "resultSetHandle": True, "startPosition": 0, "numBytes": 1},
         "getInt"),
        ({"command": "closeResultSet", "resultSetHandles": [1, "2"]}, "getArray"),
        ({"command": "executeBatch", "sqlTexts": "x"}, "getArray"),
        ({"command": "getAttributes", "attributes": []}, "getObject"),
    ]
    for obj, text in cases:
        with pytest.raises(wire.RequestError) as info:
            wire.parse_request(obj)
        assert info.value.sql_code == "00000" and text in info.value.text, obj


def test_the_credentials_message_is_read_in_the_auth_phase():
    msg = wire.auth_request("sys", "abc=", use_compression=True, attributes={"autocommit": True},
                            client_name="x")
    req = wire.parse_request(msg, wire.Phase.AUTH)
    assert req.command is None and req.get("username") == "sys"
    assert req.attributes == {"autocommit": True}
    with pytest.raises(wire.RequestError):
        wire.parse_request({"username": 1, "password": "x"}, wire.Phase.AUTH)
    # outside the auth phase the same message has no command (websocket-api #11)
    with pytest.raises(wire.RequestError, match="'/command' is required"):
        wire.parse_request(msg)


def test_replies():
    reply = wire.parse_reply({"status": "ok", "responseData": {"a": 1},
                              "attributes": {"currentSchema": "S"}})
    assert reply.response_data == {"a": 1} and reply.attributes == {"currentSchema": "S"}
    assert wire.parse_reply({"status": "ok"}).response_data is None
    with pytest.raises(wire.ServerError) as info:
        wire.parse_reply(wire.error_reply("42000", "object T not found",
                                          {"openTransaction": True}))
    assert (info.value.sql_code, info.value.text) == ("42000", "object T not found")
    assert info.value.attributes == {"openTransaction": True}
    for bad in ([], {"status": "maybe"}, {"status": "error"}, {"status": "ok",
                                                                "responseData": []}):
        with pytest.raises(wire.ResponseError):
            wire.parse_reply(bad)


def test_attributes_check():
    assert wire.check_attributes({"autocommit": False, "queryTimeout": 5,
                                  "compressionEnabled": True, "openTransaction": True,
                                  "bogus": 1}) == {"autocommit": False, "queryTimeout": 5}
    # every default round-trips (read-only ones are dropped, as a server does)
    assert set(wire.check_attributes(wire.DEFAULT_ATTRIBUTES)) == (
        set(wire.DEFAULT_ATTRIBUTES) - wire.READ_ONLY_ATTRIBUTES)
    for bad in ({"autocommit": "yes"}, {"queryTimeout": -1}, {"queryTimeout": True},
                {"currentSchema": 5}):
        with pytest.raises(wire.RequestError):
            wire.check_attributes(bad)


def test_data_types_are_checked():
    assert wire.check_data_type(wire.decimal_type(10, 2))["scale"] == 2
    for bad in ({"type": "INTEGER"}, {"type": "DECIMAL", "precision": 10}, "VARCHAR",
                {"type": "VARCHAR"}):
        with pytest.raises(wire.RequestError):
            wire.check_data_type(bad)
    with pytest.raises(wire.ResponseError):
        wire.value_decoder({"type": "BIGINT"})


def test_login_info_has_the_real_fields():
    data = wire.login_info(1750902846820319232, 3)["responseData"]
    assert set(data) == {"sessionId", "protocolVersion", "releaseVersion", "databaseName",
                         "productName", "maxDataMessageSize", "maxIdentifierLength",
                         "maxVarcharLength", "identifierQuoteString", "timeZone",
                         "timeZoneBehavior"}
    assert data["sessionId"] > 2 ** 53 and data["releaseVersion"].count(".") == 2


# --- login crypto ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def key():
    return wire.generate_key()


def test_public_key_is_pkcs1_with_hex_modulus_and_exponent(key):
    fields = wire.public_key_fields(key)
    assert fields["publicKeyPem"].startswith("-----BEGIN RSA PUBLIC KEY-----\n")
    assert fields["publicKeyExponent"] == "010001"
    numbers = key.public_key().public_numbers()
    assert int(fields["publicKeyModulus"], 16) == numbers.n and numbers.n.bit_length() == 1024
    # the rsa package (EXASOL-DB-API) reads only PKCS#1
    import rsa
    loaded = rsa.PublicKey.load_pkcs1(fields["publicKeyPem"].encode())
    assert loaded.n == numbers.n
    cipher = base64.b64encode(rsa.encrypt(b"exasol", loaded)).decode()
    assert wire.decrypt_password(key, cipher) == "exasol"


def test_password_round_trip(key):
    pem = wire.public_key_fields(key)["publicKeyPem"]
    for password in ("exasol", "", "pä55 wörd", "x" * 117):
        encrypted = wire.encrypt_password(pem, password)
        assert encrypted != wire.encrypt_password(pem, password)  # random padding
        assert wire.decrypt_password(key, encrypted) == password
    with pytest.raises(wire.EncodeError):
        wire.encrypt_password(pem, "x" * 118)
    with pytest.raises(wire.EncodeError):
        wire.encrypt_password("not a key", "x")
    for bad in ("not base64!", base64.b64encode(b"x" * 128).decode(), ""):
        with pytest.raises(wire.RequestError) as info:
            wire.decrypt_password(key, bad)
        assert info.value.sql_code == "08004" and info.value.text == wire.AUTH_FAILED


# --- pyexasol 3.0.1's own messages -----------------------------------------------------


@pytest.fixture(scope="module")
def captured():
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def _replay(frames):
    """Feed captured frames through a server-side Connection the way the mock does."""
    conn = wire.Connection(Side.SERVER)
    out = []
    for frame in frames:
        payload = base64.b64decode(frame["binary"]) if "binary" in frame else frame["text"]
        req = wire.parse_request(conn.receive(payload), conn.phase)
        out.append(req)
        if req.command == "login":
            conn.login_accepted(req.get("protocolVersion"))
        elif req.command is None:
            conn.credentials_accepted(req.get("useCompression", False))
    return out


@pytest.mark.parametrize("scenario", ["plain", "compressed"])
def test_pyexasol_messages_parse(captured, scenario):
    assert captured["client"] == "pyexasol 3.0.1"
    frames = captured["scenarios"][scenario]
    requests = _replay(frames)
    assert [r.command for r in requests] == [
        "login", None, "getAttributes", "execute", "createPreparedStatement",
        "executePreparedStatement", "closePreparedStatement", "disconnect"]
    # everything after the credentials message is a zlib binary frame when compressed
    assert all(("binary" in f) == (scenario == "compressed" and i >= 2)
               for i, f in enumerate(frames))
    login, auth = requests[0], requests[1]
    assert login.get("protocolVersion") == 3
    assert auth.get("username") == "sys" and auth.get("driverName") == "PyExasol 3.0.1"
    assert auth.get("useCompression") is (scenario == "compressed")
    assert auth.attributes == {"currentSchema": "TEST_SCHEMA", "autocommit": True,
                               "queryTimeout": 0}
    key = wire.load_private_key(captured["private_key"])
    assert wire.decrypt_password(key, auth.get("password")) == captured["password"]
    assert requests[3].get("sqlText") == "SELECT n, s FROM t WHERE n = '1'"
    execute = requests[5]
    columns = execute.get("columns")
    assert execute.get("numColumns") == 5 and execute.get("numRows") == 2
    types = [wire.check_data_type(c["dataType"]) for c in columns]
    rows = wire.to_rows(execute.get("data"), 2)
    decoded = [tuple(wire.decode_param(v, t) for v, t in zip(row, types)) for row in rows]
    assert decoded == [(1, D("1.50"), "x", dt.date(2024, 1, 31),
                        dt.datetime(2024, 1, 31, 12, 34, 56, 123456)),
                       (None, None, None, None, None)]
    assert requests[6].get("statementHandle") == 1


# --- client request builders and result readers --------------------------------------------


def test_prepared_statement_request_round_trips_through_the_server_side():
    columns = [{"name": "", "dataType": wire.decimal_type(10, 2)},
               {"name": "", "dataType": wire.double_type()},
               {"name": "", "dataType": wire.timestamp_type()}]
    rows = [(D("1.25"), 2, dt.datetime(2024, 1, 2, 3, 4, 5)), (None, -0.5, None)]
    msg = wire.execute_prepared_statement_request(7, columns, rows)
    req = wire.parse_request(json.loads(wire.dumps(msg)))
    assert req.command == "executePreparedStatement" and req.get("numRows") == 2
    assert req.get("data") == [["1.25", None], [2.0, -0.5],
                               ["2024-01-02 03:04:05.000000", None]]
    decoded = [tuple(wire.decode_param(v, c["dataType"]) for v, c in zip(row, columns))
               for row in wire.to_rows(req.get("data"), 2)]
    assert decoded == [(D("1.25"), 2.0, dt.datetime(2024, 1, 2, 3, 4, 5)), (None, -0.5, None)]
    with pytest.raises(wire.EncodeError):
        wire.execute_prepared_statement_request(7, columns, [(1, 2)])
    none = wire.execute_prepared_statement_request(8, [], [()])
    assert (none["numColumns"], none["numRows"], none["data"]) == (0, 0, [])


def test_request_builders_pass_the_servers_checks():
    for msg in (wire.execute_request("SELECT 1", {"autocommit": False}),
                wire.execute_batch_request(["SELECT 1", "SELECT 2"]),
                wire.fetch_request(3, 1000, 10 ** 12),
                wire.close_result_set_request([3, 4]),
                wire.create_prepared_statement_request("SELECT ?"),
                wire.close_prepared_statement_request(2),
                wire.get_attributes_request(), wire.set_attributes_request({"autocommit": True}),
                wire.get_hosts_request("127.0.0.1"), wire.disconnect_request(),
                wire.abort_query_request()):
        req = wire.parse_request(json.loads(wire.dumps(msg)))
        assert req.command == msg["command"]
    assert wire.fetch_request(3, 0, 10 ** 12)["numBytes"] == wire.MAX_DATA_MESSAGE_SIZE
    assert wire.parse_request(wire.set_attributes_request({"autocommit": True})).attributes == {
        "autocommit": True}


def test_results_read_back_what_the_server_writes():
    cols = [{"name": "N", "dataType": wire.decimal_type(18, 0)},
            {"name": "A", "dataType": wire.decimal_type(10, 2)},
            {"name": "D", "dataType": wire.date_type()}]
    values = [(1, D("1.5"), dt.date(2024, 1, 2)), (2, None, None)]
    data = [[wire.encode_value(v, c["dataType"]) for v in col]
            for col, c in zip(zip(*values), cols)]
    inline = wire.read_result(json.loads(wire.dumps(wire.result_set(cols, 2, data))))
    assert inline.is_result_set and inline.rows == tuple(values) and inline.handle is None
    big = wire.read_result(wire.result_set(cols, 2500, handle=4))
    assert (big.num_rows, big.rows, big.handle) == (2500, (), 4)
    assert wire.read_result(wire.row_count_result(3)).row_count == 3
    assert wire.read_result({"resultType": "resultSet", "resultSet": {
        "resultSetHandle": 0, "numColumns": 1, "numRows": 0, "numRowsInMessage": 0,
        "columns": cols[:1]}}).handle is None  # handle 0 is no handle
    for bad in ({"resultType": "x"}, {"resultType": "rowCount"},
                {"resultType": "resultSet", "resultSet": {"columns": cols}},
                wire.result_set(cols, 3, data)):  # says 3 rows, holds 2
        with pytest.raises(wire.ResponseError):
            wire.read_result(bad)


# --- the column encoders' short paths give encode_value's answers ------------------------

def _same_answer(value, data_type):
    try:
        expected = ("ok", wire.encode_value(value, data_type))
    except wire.EncodeError as exc:
        expected = ("error", str(exc))
    try:
        got = ("ok", wire.value_encoder(data_type)(value))
    except wire.EncodeError as exc:
        got = ("error", str(exc))
    assert got == expected and type(got[1]) is type(expected[1])


@given(st.one_of(st.integers(min_value=-(10 ** 20), max_value=10 ** 20), st.booleans(),
                 st.decimals(allow_nan=True, allow_infinity=True), st.none()),
       st.sampled_from([wire.decimal_type(18, 0), wire.decimal_type(9, 0),
                        wire.decimal_type(1, 0), wire.decimal_type(36, 0),
                        wire.decimal_type(10, 2)]))
def test_decimal_column_encoder_agrees_with_encode_value(value, data_type):
    _same_answer(value, data_type)


@given(st.one_of(st.floats(), st.integers(), st.decimals(allow_nan=False), st.booleans()))
def test_double_column_encoder_agrees_with_encode_value(value):
    _same_answer(value, wire.double_type())


@given(st.one_of(st.datetimes(timezones=st.one_of(st.none(), st.timezones())), st.dates()),
       st.booleans())
def test_timestamp_column_encoder_agrees_with_encode_value(value, local):
    _same_answer(value, wire.timestamp_type(local_time_zone=local))
