"""The CrateDB codec (drivers/wire/cratedb.py): request and response round trips, error
shapes and value encodings (protocols/cratedb.md 1-4)."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import json
import math
import uuid

import orjson
import pytest

from dbapi_conformance.drivers.wire import cratedb as wire
from dbapi_conformance.drivers.wire.cratedb import DataType as T

UTC = dt.timezone.utc


# --- requests --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stmt, args, bulk, expected",
    [
        ("SELECT 1", None, None, wire.SQLRequest("SELECT 1", [], None)),
        ("SELECT ?", [1], None, wire.SQLRequest("SELECT ?", [1], None)),
        ("SELECT ?", [], None, wire.SQLRequest("SELECT ?", [], None)),
        ("INSERT ?", None, [[1], [2]], wire.SQLRequest("INSERT ?", [], [[1], [2]])),
        ("INSERT ?", None, [], wire.SQLRequest("INSERT ?", [], [])),
        ("SELECT 'é' -- ünï", ["x\x00'\""], None,
         wire.SQLRequest("SELECT 'é' -- ünï", ["x\x00'\""], None)),
    ],
)
def test_request_round_trip(stmt, args, bulk, expected):
    assert wire.parse_sql_request(wire.encode_sql_request(stmt, args, bulk)) == expected


def test_request_body_shape():
    assert wire.encode_sql_request("SELECT 1") == b'{"stmt":"SELECT 1"}'
    assert wire.encode_sql_request("SELECT ?", []) == b'{"stmt":"SELECT ?"}'  # empty args dropped
    assert orjson.loads(wire.encode_sql_request("x", None, [[1, None]])) == {
        "stmt": "x", "bulk_args": [[1, None]]}


def test_routing_rule_args_win_over_bulk_args():
    body = b'{"stmt":"x","args":[],"bulk_args":[[1]]}'
    assert wire.parse_sql_request(body) == wire.SQLRequest("x", [], None)


@pytest.mark.parametrize(
    "body, text",
    [
        (b"", "Missing request body"),
        (b"  ", "Missing request body"),
        (b"{not json", "Can't parse"),
        (b"[1]", "Can't parse"),
        (b'{"stmt":"x","foo":1}', "Can't parse"),
        (b'{"args":[1]}', "Field [stmt] is missing"),
        (b'{"stmt":1}', "Can't parse"),
        (b'{"stmt":"x","args":{}}', "Can't parse"),
        (b'{"stmt":"x","bulk_args":[1]}', "Can't parse"),
        (b'{"stmt":"x","args":[1],"bulk_args":[[1]]}', "forbidden to provide both"),
    ],
)
def test_request_errors(body, text):
    with pytest.raises(wire.RequestError) as info:
        wire.parse_sql_request(body)
    assert info.value.code == 4000
    assert info.value.message.startswith("SQLParseException[") and text in info.value.message


def test_query_flags():
    assert wire.flag_set("") and wire.flag_set("true") and wire.flag_set("TRUE")
    assert not wire.flag_set(None) and not wire.flag_set("false") and not wire.flag_set("1")


# --- parameter values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        (dt.datetime(1970, 1, 1, 0, 0, 1, 500), 1000),
        (dt.datetime(1970, 1, 1, 0, 0, 1, 999_999), 1999),
        (dt.datetime(2024, 5, 6, 7, 8, 9, 123_000), 1_714_979_289_123),
        (dt.datetime(1969, 12, 31, 23, 59, 59), -1000),
        (dt.datetime(1970, 1, 1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))), 0),
        (dt.date(1970, 1, 3), 2 * 86_400_000),
        (dt.date(1969, 12, 31), -86_400_000),
        (dt.time(13, 5, 7, 250), "13:05:07.000250"),
        ((1, (2, 3)), [1, [2, 3]]),
        ({"a": dt.date(1970, 1, 2), 1: None}, {"a": 86_400_000, "1": None}),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
        (True, True),
        ("text", "text"),
        (None, None),
    ],
)
def test_encode_param(value, expected):
    assert wire.encode_param(value) == expected


def test_values_without_native_json_form():
    body = wire.encode_sql_request(
        "x",
        [decimal.Decimal("1.10"), uuid.UUID(int=1), ipaddress.ip_address("10.0.0.1"),
         frozenset([3])],
    )
    assert orjson.loads(body)["args"] == [
        "1.10", "00000000-0000-0000-0000-000000000001", "10.0.0.1", [3]]


@pytest.mark.parametrize(
    "value, kind",
    [
        (b"x", "binary"),
        (memoryview(b"x"), "binary"),
        (2**64, "value"),
        (-(2**63) - 1, "value"),
        (decimal.Decimal("Infinity"), "value"),
        (object(), "type"),
        (1j, "type"),
    ],
)
def test_encode_errors(value, kind):
    with pytest.raises(wire.EncodeError) as info:
        wire.encode_sql_request("x", [value])
    assert info.value.kind == kind
    assert isinstance(info.value, TypeError)
    with pytest.raises(wire.EncodeError):
        wire.encode_sql_request("x", None, [[1], [value]])


# --- responses -------------------------------------------------------------------------------


def test_result_round_trip_and_key_order():
    body = wire.encode_result(["a", "b"], [T.INTEGER, [T.ARRAY, T.TEXT]], [[1, ["x"]]], 2)
    assert body == (b'{"cols":["a","b"],"col_types":[9,[100,4]],"rows":[[1,["x"]]],'
                    b'"rowcount":1,"duration":2.0}')
    response = wire.decode_response(body)
    assert response == wire.SQLResponse(["a", "b"], [9, [100, 4]], [[1, ["x"]]], 1, 2.0)


def test_result_without_types():
    response = wire.decode_response(wire.encode_result(["a"], None, [], 0.25))
    assert (response.col_types, response.rows, response.rowcount) == (None, [], 0)


def test_rowcount_response():
    body = wire.encode_rowcount(3, 1.5, True)
    assert body == b'{"cols":[],"col_types":[],"rows":[[]],"rowcount":3,"duration":1.5}'
    assert wire.decode_response(body) == wire.SQLResponse([], [], [[]], 3, 1.5)
    assert b"col_types" not in wire.encode_rowcount(0, 0, False)


def test_bulk_round_trip():
    items = [wire.bulk_item(1), wire.bulk_item(-2, (4091, "DuplicateKeyException[dup]"))]
    body = wire.encode_bulk(items, 3)
    assert body == (b'{"cols":[],"duration":3.0,"results":[{"rowcount":1},{"rowcount":-2,'
                    b'"error":{"code":4091,"message":"DuplicateKeyException[dup]"}}]}')
    response = wire.decode_response(body)
    assert response.rows is None and response.results == items and response.rowcount == -1


def test_old_servers_integer_duration():
    response = wire.decode_response(b'{"cols":["a"],"rows":[[1]],"rowcount":1,"duration":5}')
    assert response.duration == 5 and response.rows == [[1]]


@pytest.mark.parametrize(
    "body", [b"", b"nope", b"[]", b'{"rows":[]}', b'{"cols":[]}', b'{"cols":[],"results":1}']
)
def test_unreadable_responses(body):
    with pytest.raises(wire.ResponseError):
        wire.decode_response(body)


def test_error_round_trip():
    body = wire.encode_error(4041, "RelationUnknown[Relation 'foo' unknown]")
    assert body == b'{"error":{"message":"RelationUnknown[Relation \'foo\' unknown]","code":4041}}'
    err = wire.decode_error(404, wire.JSON_CONTENT_TYPE, body)
    assert err == wire.ServerError(4041, "RelationUnknown[Relation 'foo' unknown]", 404, None)
    traced = wire.encode_error(5000, "X[y]", "at Foo.java:1")
    assert wire.decode_error(500, "application/json", traced).error_trace == "at Foo.java:1"


def test_plain_text_errors():
    err = wire.decode_error(401, None, b'password authentication failed for user "bob"\n')
    assert err == wire.ServerError(None, 'password authentication failed for user "bob"', 401)
    assert wire.decode_error(500, "application/json", b"{oops").message == "{oops"
    assert wire.decode_error(503, None, b"").message == "HTTP 503"


def test_error_codes_and_statuses():
    assert [wire.http_status(c) for c in (4000, 4041, 40410, 4091, 4290, 5000, 5030)] == [
        400, 404, 404, 409, 429, 500, 503]
    assert wire.error_message("SQLParseException", "x") == "SQLParseException[x]"
    assert wire.ErrorCode.DUPLICATE_PRIMARY_KEY == 4091


def test_server_info_format():
    body = wire.encode_server_info("n1", "crate", "6.4.1", "a" * 40, "2026-01-01T00:00:00Z",
                                   "10.2.0")
    text = body.decode()
    assert text.startswith('{\n  "ok" : true,\n  "status" : 200,') and text.endswith("}\n")
    assert json.loads(text)["version"]["number"] == "6.4.1"
    assert json.loads(wire.encode_server_info("n", "c", "1", "", "", "", 503))["ok"] is False


# --- value decoders --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "col_type, raw, expected",
    [
        (T.TIMESTAMP_WITH_TZ, 1_714_979_289_123,
         dt.datetime(2024, 5, 6, 7, 8, 9, 123_000, tzinfo=UTC)),
        (T.TIMESTAMP_WITHOUT_TZ, -1000, dt.datetime(1969, 12, 31, 23, 59, 59)),
        (T.DATE, 2 * 86_400_000, dt.date(1970, 1, 3)),
        (T.NUMERIC, 12.25, decimal.Decimal("12.25")),
        (T.NUMERIC, 10**20, decimal.Decimal(10**20)),
        (T.TIMETZ, [46_800_000_000, 3600],
         dt.time(13, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
        (T.DOUBLE, "Infinity", math.inf),
        (T.REAL, 1.5, 1.5),
        ([T.ARRAY, T.DATE], [0, None], [dt.date(1970, 1, 1), None]),
        ([T.ARRAY, [T.ARRAY, T.DATE]], [[0], None, [None]],
         [[dt.date(1970, 1, 1)], None, [None]]),
    ],
)
def test_value_decoders(col_type, raw, expected):
    assert wire.value_decoder(col_type)(raw) == expected


def test_nan_decoder():
    assert math.isnan(wire.value_decoder(T.DOUBLE)("NaN"))


@pytest.mark.parametrize(
    "col_type", [T.TEXT, T.INTEGER, T.BIGINT, T.BOOLEAN, T.OBJECT, T.UNDEFINED, [T.ARRAY, T.TEXT],
                 77]
)
def test_identity_types_have_no_decoder(col_type):
    assert wire.value_decoder(col_type) is None


def test_timestamp_round_trip_at_millisecond_precision():
    value = dt.datetime(2031, 7, 8, 9, 10, 11, 654_000)
    assert wire.value_decoder(T.TIMESTAMP_WITHOUT_TZ)(wire.encode_param(value)) == value
    aware = value.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    decoded = wire.value_decoder(T.TIMESTAMP_WITH_TZ)(wire.encode_param(aware))
    assert decoded == aware and decoded.tzinfo is UTC


# --- values in both directions: one codec for the driver and the mock --------------------------


def _json(value):
    """What the other side reads: the value through real JSON bytes."""
    return orjson.loads(orjson.dumps({"v": value}))["v"]


def test_error_pairs_say_whose_fault_it_is():
    from dbapi_conformance.drivers.wire.base import LocalProtocolError, RemoteProtocolError

    assert issubclass(wire.EncodeError, LocalProtocolError)
    assert issubclass(wire.EncodeError, TypeError)  # drivers' historical contract
    for remote in (wire.RequestError, wire.ResponseError, wire.CastError):
        assert issubclass(remote, RemoteProtocolError)
        assert not issubclass(remote, LocalProtocolError)


@pytest.mark.parametrize(
    "value, col_type",
    [
        (dt.datetime(2026, 11, 21, 12, 30, 15, 250000, tzinfo=UTC), T.TIMESTAMP_WITH_TZ),
        (dt.datetime(1969, 7, 20, 20, 17, 40, 1000, tzinfo=UTC), T.TIMESTAMP_WITH_TZ),
        (dt.datetime(2000, 2, 29, 23, 59, 59, 999000), T.TIMESTAMP_WITHOUT_TZ),
        (dt.date(1900, 3, 1), T.DATE),
        (dt.date(2038, 1, 19), T.DATE),
        (1.5, T.DOUBLE),
        (-0.25, T.REAL),
        (math.inf, T.DOUBLE),
        (-math.inf, T.REAL),
        (decimal.Decimal("1234567890.12345"), T.NUMERIC),
        (dt.time(23, 59, 58, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5))), T.TIMETZ),
        (dt.time(0, 0, tzinfo=UTC), T.TIMETZ),
        ([dt.date(2020, 1, 1), None, dt.date(2021, 1, 1)], [100, T.DATE]),
        ([1.0, math.inf], [100, T.DOUBLE]),
    ],
)
def test_result_values_round_trip(value, col_type):
    """Server's encode_value -> JSON bytes -> client's value_decoder gives the value back."""
    decode = wire.value_decoder(col_type)
    assert decode is not None
    assert decode(_json(wire.encode_value(value))) == value


@pytest.mark.parametrize("value", [decimal.Decimal("12345678901234567890.123456789"),
                                   decimal.Decimal(2 ** 70), decimal.Decimal("-0.1")])
def test_result_numeric_beyond_double_precision(value):
    body = wire.encode_result(["n", "d", "a"], [T.NUMERIC, T.DOUBLE, [100, T.NUMERIC]],
                              [[wire.encode_value(value), 0.1, [wire.encode_value(value)]]], 1.0)
    (row,) = wire.decode_response(body).rows
    assert wire.value_decoder(T.NUMERIC)(row[0]) == value
    assert row[1] == 0.1 and row[1].__class__ is float  # other columns parse as before
    assert wire.value_decoder([100, T.NUMERIC])(row[2]) == [value]


def test_result_nan_and_exact_numbers():
    raw = _json(wire.encode_value(math.nan))
    assert raw == "NaN" and math.isnan(wire.value_decoder(T.DOUBLE)(raw))
    assert orjson.dumps(wire.encode_value(decimal.Decimal("1.50"))) == b"1.5"
    assert orjson.dumps(wire.encode_value(decimal.Decimal("1.50"), scaled=True)) == b"1.50"
    assert orjson.dumps(wire.encode_value(decimal.Decimal("1E+3"))) == b"1000"
    assert orjson.dumps(wire.encode_value(2 ** 70)) == str(2 ** 70).encode()
    assert wire.encode_value(dt.timedelta(days=2, seconds=3661, microseconds=500000)) == \
        "2 days 01:01:01.5"
    assert wire.encode_value(dt.timedelta(days=-1)) == "-1 day"
    assert wire.encode_value(uuid.UUID(int=1)) == "00000000-0000-0000-0000-000000000001"
    assert wire.encode_value({"a": [dt.date(1970, 1, 2)]}) == {"a": [86_400_000]}


@pytest.mark.parametrize(
    "value, col_type",
    [
        (dt.datetime(2026, 11, 21, 12, 30, 15, 250000, tzinfo=UTC), T.TIMESTAMP_WITH_TZ),
        (dt.datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), T.TIMESTAMP_WITH_TZ),
        (dt.datetime(2026, 11, 21, 12, 30, 15, 250000), T.TIMESTAMP_WITHOUT_TZ),
        (dt.date(1950, 6, 1), T.DATE),
        (2.5, T.DOUBLE),
        (math.inf, T.DOUBLE),
        (-math.inf, T.REAL),
        (decimal.Decimal("-0.000123"), T.NUMERIC),
        (True, T.BOOLEAN),
        (-(2 ** 63), T.BIGINT),
        (127, T.CHAR),
        ("it's", T.TEXT),
        ({"a": {"b": [1, "x"]}}, T.OBJECT),
        ([1, None, 3], [100, T.INTEGER]),
        ([dt.datetime(2001, 1, 1, tzinfo=UTC)], [100, T.TIMESTAMP_WITH_TZ]),
        (uuid.UUID("12345678-1234-5678-1234-567812345678"), T.UUID),
    ],
)
def test_parameter_values_round_trip(value, col_type):
    """Client's encode_param -> JSON bytes -> server's decode_param gives the value back."""
    body = wire.encode_sql_request("SELECT ?", [value])
    (received,) = wire.parse_sql_request(body).args
    assert wire.decode_param(received, col_type) == value


def test_parameter_nan_round_trip():
    (received,) = wire.parse_sql_request(wire.encode_sql_request("SELECT ?", [math.nan])).args
    assert received == "NaN" and math.isnan(wire.decode_param(received, T.DOUBLE))


@pytest.mark.parametrize(
    "value, col_type, expected",
    [
        ("2026-11-21T12:30:15+02:00", T.TIMESTAMP_WITH_TZ,
         dt.datetime(2026, 11, 21, 10, 30, 15, tzinfo=UTC)),
        ("2026-11-21T12:30:15Z", T.TIMESTAMP_WITH_TZ,
         dt.datetime(2026, 11, 21, 12, 30, 15, tzinfo=UTC)),
        ("2026-11-21 12:30:15", T.TIMESTAMP_WITH_TZ,
         dt.datetime(2026, 11, 21, 12, 30, 15, tzinfo=UTC)),
        ("2026-11-21T12:30:15+02:00", T.TIMESTAMP_WITHOUT_TZ,
         dt.datetime(2026, 11, 21, 12, 30, 15)),
        ("86400000", T.TIMESTAMP_WITH_TZ, dt.datetime(1970, 1, 2, tzinfo=UTC)),
        ("-86400000", T.DATE, dt.date(1969, 12, 31)),
        ("2026-11-21T10:00:00", T.DATE, dt.date(2026, 11, 21)),
        (1.6, T.INTEGER, 2),
        (" 12 ", T.SMALLINT, 12),
        ("3.7", T.BIGINT, 4),
        ("Infinity", T.DOUBLE, math.inf),
        ("1.10", T.NUMERIC, decimal.Decimal("1.10")),
        ("TRUE", T.BOOLEAN, True),
        (" f", T.BOOLEAN, False),
        (False, T.TEXT, "f"),
        (12, T.IP, "12"),
        ({"a": 1}, T.JSON, '{"a":1}'),
        ('{"a": 1}', T.OBJECT, {"a": 1}),
        ("POINT (9.74 47.4)", T.GEO_POINT, [9.74, 47.4]),
        ([1, 2], T.GEO_POINT, [1.0, 2.0]),
        (None, T.INTEGER, None),
        ({"x": 1}, None, {"x": 1}),
        ("09:00:00+01:00", T.TIMETZ, "09:00:00+01:00"),  # passed on: the engine casts it
    ],
)
def test_parameter_casts(value, col_type, expected):
    assert wire.decode_param(value, col_type) == expected


@pytest.mark.parametrize(
    "value, col_type, failed",
    [
        (True, T.INTEGER, T.INTEGER),
        (128, T.CHAR, T.CHAR),
        (2 ** 31, T.INTEGER, T.INTEGER),
        ("abc", T.BIGINT, T.BIGINT),
        (math.nan, T.INTEGER, T.INTEGER),
        ("yes", T.BOOLEAN, T.BOOLEAN),
        ([1], T.TEXT, T.TEXT),
        ("not json", T.OBJECT, T.OBJECT),
        ([1, 2], T.OBJECT, T.OBJECT),
        ("2026-13-01", T.TIMESTAMP_WITH_TZ, T.TIMESTAMP_WITH_TZ),
        (True, T.TIMESTAMP_WITHOUT_TZ, T.TIMESTAMP_WITHOUT_TZ),
        ("x", T.DATE, T.DATE),
        (1e300, T.TIMESTAMP_WITH_TZ, T.TIMESTAMP_WITH_TZ),
        ("1.2.3", T.NUMERIC, T.NUMERIC),
        ({}, T.DOUBLE, T.DOUBLE),
        ("not-a-uuid", T.UUID, T.UUID),
        ("POINT ()", T.GEO_POINT, T.GEO_POINT),
        ("POINT (1", T.GEO_POINT, T.GEO_POINT),
        (5, [100, T.INTEGER], [100, T.INTEGER]),
        ([1, "x"], [100, T.INTEGER], T.INTEGER),  # the element's type
    ],
)
def test_parameter_cast_errors(value, col_type, failed):
    with pytest.raises(wire.CastError) as info:
        wire.decode_param(value, col_type)
    assert info.value.col_type == failed


@pytest.mark.parametrize(("stored", "sent"), [
    (1.8, 1.8), (0.1, 0.1), (3.4028234663852886e38, 3.4028235e38), (1e-45, 1e-45),
    (16777217.0, 16777216.0), (-2.5, -2.5), (0.0, 0.0),
])
def test_real_values_are_sent_as_the_shortest_float32_decimal(stored, sent):
    import struct

    single = struct.unpack("<f", struct.pack("<f", stored))[0]  # what a REAL column holds
    assert wire.real_to_wire(single) == sent
    assert struct.unpack("<f", struct.pack("<f", sent))[0] == single  # the same REAL value


def test_real_non_finite_values_are_the_float_strings():
    assert wire.real_to_wire(math.inf) == "Infinity" and wire.real_to_wire(math.nan) == "NaN"
