"""The Ignite 3 codec (drivers/wire/ignite.py): the official client's captured bytes, value
round trips for every column type, message round trips both ways, and refused input
(protocols/ignite3.md 1-8)."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import struct
import uuid
from pathlib import Path

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side
from dbapi_conformance.drivers.wire.ignite import ColumnType as T

FIXTURES = Path(__file__).parent / "fixtures" / "ignite"


def fixture(name: str) -> bytes:
    return bytes.fromhex((FIXTURES / f"{name}.hex").read_text().strip())


def server_after_handshake() -> w.Connection:
    server = w.Connection(Side.SERVER)
    server.receive_data(fixture("handshake"))
    assert isinstance(server.next_event(), w.Handshake)
    server.send(w.HandshakeResponse())
    return server


def server_events(*names: str) -> list:
    server = server_after_handshake()
    out = []
    for name in names:
        server.receive_data(fixture(name))
        out.append(server.next_event())
        assert server.next_event() is NEED_DATA
    return out


def client_after_handshake() -> w.Connection:
    client = w.Connection(Side.CLIENT)
    client.send(w.Handshake(client_code=4, features=b"\x04"))
    server = w.Connection(Side.SERVER)
    server.receive_data(fixture("handshake"))
    server.next_event()
    client.receive_data(server.send(w.HandshakeResponse()))
    assert isinstance(client.next_event(), w.HandshakeResponse)
    return client


# --- the official client's bytes ---------------------------------------------------------------


def test_handshake_fixture_decodes_and_re_encodes():
    server = w.Connection(Side.SERVER)
    server.receive_data(fixture("handshake"))
    event = server.next_event()
    assert event == w.Handshake((3, 0, 0), 4, b"\x04", {})
    assert w.Connection(Side.CLIENT).send(event) == fixture("handshake")
    assert fixture("handshake").hex() == "49474e490000000803000004c4010400"  # ignite3.md 2.1


def test_handshake_with_credentials_fixture():
    server = w.Connection(Side.SERVER)
    data = fixture("handshake_auth")
    for i in range(len(data)):  # byte by byte: the codec buffers partial magic and frames
        server.receive_data(data[i:i + 1])
        if i < len(data) - 1:
            assert server.next_event() is NEED_DATA
    event = server.next_event()
    assert (event.identity, event.secret, event.authn_type) == ("alice", "s3cr3t", "basic")
    assert list(event.extensions) == ["authn-identity", "authn-secret", "authn-type"]
    assert w.Connection(Side.CLIENT).send(event) == data


def test_sql_exec_fixture_with_schema_page_size_and_arguments():
    (event,) = server_events("sql_exec_select_schema")
    assert isinstance(event, w.SqlExec)
    assert event.request_id == 0 and event.tx_id is None
    assert event.properties == w.SqlProperties("MySchema", 100, 3000, None, None, 0, b"\x00")
    assert event.statement == "SELECT ?"
    assert event.args == [(T.INT64, 42), (T.STRING, "ab"), (None, None)]
    assert event.observable_timestamp == 0
    client = client_after_handshake()
    again = client.send(w.SqlExec(request_id=0, properties=event.properties,
                                  statement="SELECT ?", args=[42, "ab", None]))
    assert again == fixture("sql_exec_select_schema")


def test_sql_exec_fixture_with_every_parameter_type():
    (event,) = server_events("sql_exec_all_types")
    assert event.properties.schema == "PUBLIC" and event.properties.page_size == 1024
    got = event.args
    assert got == [
        (T.BOOLEAN, True), (T.INT64, 7), (T.INT64, -300), (T.INT64, 2 ** 40),
        (T.DOUBLE, 1.5), (T.DOUBLE, 0.1), (T.STRING, "x"), (T.STRING, ""),
        (T.BYTE_ARRAY, b"\x80z"), (T.BYTE_ARRAY, b""),
        (T.DECIMAL, decimal.Decimal("12.340")), (T.DECIMAL, decimal.Decimal("-1.50")),
        (T.DATE, dt.date(2024, 2, 29)), (T.TIME, dt.time(1, 2, 3, 4)),
        (T.DATETIME, dt.datetime(2024, 2, 29, 1, 2, 3, 400000)),
        (T.DURATION, dt.timedelta(days=1, seconds=5, microseconds=7)),
        (T.UUID, uuid.UUID("12345678-9abc-def0-1234-56789abcdef0")),
        (T.TIMESTAMP, dt.datetime.fromtimestamp(1700000000.25, dt.timezone.utc)),
    ]
    assert str(got[10][1]) == "12.340" and str(got[11][1]) == "-1.50"  # scales kept


def test_batch_query_meta_and_transaction_fixtures():
    insert, meta, batch = server_events("sql_exec_insert", "sql_query_meta", "sql_exec_batch")
    assert (insert.statement, insert.args) == ("INSERT INTO T VALUES (1)", None)
    assert meta == w.SqlQueryMeta(request_id=1, tx_id=None, schema="PUBLIC",
                                  statement="INSERT INTO T VALUES (1)")
    assert isinstance(batch, w.SqlExecBatch) and batch.request_id == 2
    assert batch.rows == [[(T.INT64, 1), (T.STRING, "a")], [(T.INT64, 2), (None, None)],
                          [(T.INT64, 3), (T.STRING, "c")]]
    begin, in_tx, meta_tx, commit = server_events("tx_begin", "sql_exec_in_tx",
                                                  "sql_query_meta_in_tx", "tx_commit")
    assert begin == w.TxBegin(request_id=0, read_only=False, timeout=0)
    assert fixture("tx_begin").hex() == "000000052b00c20000"
    assert in_tx.tx_id == 101 and meta_tx.tx_id == 101
    assert commit == w.TxCommit(request_id=3, tx_id=101)
    client = client_after_handshake()
    assert client.send(begin) == fixture("tx_begin")
    assert client.send(w.SqlExecBatch(
        request_id=2, properties=batch.properties, statement=batch.statement,
        rows=[[1, "a"], [2, None], [3, "c"]])) == fixture("sql_exec_batch")


# --- BinaryTuple and values ---------------------------------------------------------------------


def test_binary_tuple_layout_from_the_notes():
    elements = [b"\x01", None, b"ab", b"\x80"]
    data = w.encode_tuple(elements)
    assert data.hex() == "00010103040161" + "6280"
    assert w.decode_tuple(data, 4) == elements
    assert w.encode_tuple([]) == b"\x00"


@pytest.mark.parametrize("size, width", [(255, 1), (256, 2), (70000, 4)])
def test_binary_tuple_offset_widths(size, width):
    data = w.encode_tuple([b"x" * size, None])
    assert data[0] == {1: 0, 2: 1, 4: 2}[width]
    assert w.decode_tuple(data, 2) == [b"x" * size, None]


def test_binary_tuple_refuses_short_or_backward_offsets():
    with pytest.raises(ValueError):
        w.decode_tuple(b"\x00\x05ab", 1)
    with pytest.raises(ValueError):
        w.decode_tuple(b"\x00\x02\x01ab", 2)
    with pytest.raises(ValueError):
        w.decode_tuple(b"", 0)


@pytest.mark.parametrize("col_type, value, hexed", [
    (T.INT8, -1, "ff"), (T.INT16, 5, "05"), (T.INT16, 300, "2c01"),
    (T.INT32, 70000, "70110100"), (T.INT64, 2 ** 40, "0000000000010000"),
    (T.DOUBLE, 1.5, "0000c03f"), (T.DOUBLE, 0.1, "9a9999999999b93f"),
    (T.FLOAT, 1.5, "0000c03f"), (T.BOOLEAN, True, "01"),
    (T.DECIMAL, decimal.Decimal("12.340"), "020004d2"),  # trailing zeros stripped
    (T.DATE, dt.date(2024, 2, 29), "5dd00f"),
    (T.TIME, dt.time(1, 2, 3, 4), "0400300801"),
    (T.TIME, dt.time(23, 59, 59, 999000), "e7effb05"),
    (T.TIMESTAMP, 1700000000.25, "00f15365000000008 0b2e60e".replace(" ", "")),
    (T.DURATION, dt.timedelta(days=1, seconds=5, microseconds=7),
     "8551010000000000581b0000"),
    (T.UUID, uuid.UUID("12345678-9abc-def0-1234-56789abcdef0"),
     "f0debc9a78563412f0debc9a78563412"),
    (T.STRING, "", "80"), (T.BYTE_ARRAY, b"", "80"), (T.BYTE_ARRAY, b"\x80z", "80807a"),
    (T.PERIOD, w.Period(1, 2, 3), "010203"), (T.PERIOD, w.Period(1000, 0, -1), "e8030000ffff"),
])
def test_value_bytes(col_type, value, hexed):
    assert w.encode_value(col_type, value).hex() == hexed


_INTS = {T.INT8: 8, T.INT16: 16, T.INT32: 32, T.INT64: 64}


@pytest.mark.parametrize("col_type", list(_INTS))
@given(data=st.data())
def test_integers_round_trip(col_type, data):
    bits = _INTS[col_type]
    value = data.draw(st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1))
    encoded = w.encode_value(col_type, value)
    assert len(encoded) <= bits // 8
    assert w.decode_value(col_type, encoded) == value


@pytest.mark.parametrize("col_type, bits", [(T.INT8, 8), (T.INT32, 32)])
def test_integers_out_of_range_are_refused(col_type, bits):
    with pytest.raises(w.EncodeError):
        w.encode_value(col_type, 2 ** (bits - 1))


@given(st.floats(allow_nan=False))
def test_double_round_trip(value):
    encoded = w.encode_value(T.DOUBLE, value)
    assert len(encoded) in (4, 8)
    assert w.decode_value(T.DOUBLE, encoded) == value


def test_double_nan_and_float():
    assert math.isnan(w.decode_value(T.DOUBLE, w.encode_value(T.DOUBLE, math.nan)))
    assert w.decode_value(T.FLOAT, w.encode_value(T.FLOAT, 0.1)) == struct.unpack(
        "<f", struct.pack("<f", 0.1))[0]


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4,
                   min_value=-10 ** 20, max_value=10 ** 20))
def test_decimal_round_trip_at_column_scale(value):
    encoded = w.encode_value(T.DECIMAL, value)
    back = w.decode_value(T.DECIMAL, encoded, scale=4)
    assert back == value and back.as_tuple().exponent == -4


def test_decimal_explicit_scale_and_sign():
    assert w.encode_value(T.DECIMAL, decimal.Decimal("-1.50"), 2).hex() == "0200ff6a"
    assert w.decode_value(T.DECIMAL, bytes.fromhex("0100" "0f"), scale=2) == decimal.Decimal(
        "1.50")
    assert w.decode_value(T.DECIMAL, bytes.fromhex("0000" "80")) == -128
    with pytest.raises(w.EncodeError):
        w.encode_value(T.DECIMAL, decimal.Decimal("NaN"))


@given(st.dates())
def test_date_round_trip(value):
    assert w.decode_value(T.DATE, w.encode_value(T.DATE, value)) == value


@given(st.times())
def test_time_round_trip(value):
    encoded = w.encode_value(T.TIME, value)
    assert len(encoded) == (4 if value.microsecond % 1000 == 0 else 5)
    assert w.decode_value(T.TIME, encoded) == value


def test_time_nanosecond_form_is_read():
    n = (1 << 42) | (2 << 36) | (3 << 30) | 123_456_789
    assert w.decode_value(T.TIME, n.to_bytes(6, "little")) == dt.time(1, 2, 3, 123456)


@given(st.datetimes())
def test_datetime_round_trip(value):
    assert w.decode_value(T.DATETIME, w.encode_value(T.DATETIME, value)) == value


@given(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)))
def test_timestamp_round_trip(value):
    aware = value.replace(tzinfo=dt.timezone.utc)
    encoded = w.encode_value(T.TIMESTAMP, aware)
    assert len(encoded) == (8 if value.microsecond == 0 else 12)
    assert w.decode_value(T.TIMESTAMP, encoded) == aware


@given(st.timedeltas())
def test_duration_round_trip(value):
    assert w.decode_value(T.DURATION, w.encode_value(T.DURATION, value)) == value


@given(st.tuples(*[st.integers(-(2 ** 31), 2 ** 31 - 1)] * 3))
def test_period_round_trip(parts):
    assert w.decode_value(T.PERIOD, w.encode_value(T.PERIOD, w.Period(*parts))) == parts


@given(st.uuids())
def test_uuid_round_trip(value):
    assert w.decode_value(T.UUID, w.encode_value(T.UUID, value)) == value
    assert w.uuid_from_ext(w.uuid_to_ext(value).data) == value


@given(st.text())
def test_string_round_trip(value):
    assert w.decode_value(T.STRING, w.encode_value(T.STRING, value)) == value


@given(st.binary())
def test_bytes_round_trip(value):
    assert w.decode_value(T.BYTE_ARRAY, w.encode_value(T.BYTE_ARRAY, value)) == value


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-(2 ** 63), 2 ** 63 - 1),
    st.floats(allow_nan=False), st.text(), st.binary(), st.dates(), st.times(),
    st.datetimes(), st.uuids(), st.timedeltas(),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10 ** 9,
                max_value=10 ** 9),
)


@given(st.lists(_VALUES, max_size=20))
def test_arguments_round_trip(values):
    decoded = w.decode_args(w.encode_args(values), len(values))
    assert [v for _, v in decoded] == values
    assert [t for t, _ in decoded] == [None if v is None else w.python_type(v)[0]
                                       for v in values]


def test_arguments_refuse_an_unknown_python_type():
    with pytest.raises(w.EncodeError):
        w.encode_args([object()])


ALL_COLUMNS = [
    w.ColumnMeta("B", T.BOOLEAN, precision=1), w.ColumnMeta("I8", T.INT8, precision=3),
    w.ColumnMeta("I16", T.INT16, precision=5), w.ColumnMeta("I32", T.INT32, precision=10),
    w.ColumnMeta("I64", T.INT64, precision=19), w.ColumnMeta("F", T.FLOAT),
    w.ColumnMeta("D", T.DOUBLE), w.ColumnMeta("DEC", T.DECIMAL, scale=2, precision=10),
    w.ColumnMeta("DT", T.DATE), w.ColumnMeta("TM", T.TIME, scale=0, precision=6),
    w.ColumnMeta("DTM", T.DATETIME, precision=6), w.ColumnMeta("TS", T.TIMESTAMP, precision=6),
    w.ColumnMeta("U", T.UUID), w.ColumnMeta("S", T.STRING, precision=65536, nullable=False,
                                            origin_column="S", origin_schema="PUBLIC",
                                            origin_table="T"),
    w.ColumnMeta("BA", T.BYTE_ARRAY, precision=65536), w.ColumnMeta("DUR", T.DURATION),
    w.ColumnMeta("P", T.PERIOD),
]
ALL_ROW = (True, -128, 32767, -2 ** 31, 2 ** 63 - 1, 1.5, 0.1, decimal.Decimal("1.50"),
           dt.date(1, 1, 1), dt.time(23, 59, 59, 999999), dt.datetime(2024, 2, 29, 1, 2, 3),
           dt.datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=dt.timezone.utc),
           uuid.UUID(int=7), "é" * 300, b"\x00\x80", dt.timedelta(seconds=-1), (1, 2, 3))


def test_rows_of_every_type_with_nulls_round_trip():
    for row in (ALL_ROW, (None,) * len(ALL_ROW)):
        assert w.decode_row(ALL_COLUMNS, w.encode_row(ALL_COLUMNS, row)) == row


# --- messages both ways ---------------------------------------------------------------------------


def round_trip(client: w.Connection, server: w.Connection, request, response=None,
               columns=None):
    server.receive_data(client.send(request))
    got = server.next_event()
    assert got.request_id == request.request_id and type(got) is type(request)
    if response is None:
        return got, None
    if isinstance(response, w.SqlPageResponse):
        client.receive_data(server.send_page(response, columns))
    else:
        client.receive_data(server.send(response))
    answer = client.next_event()
    assert client.next_event() is NEED_DATA
    return got, answer


def connected_pair() -> tuple[w.Connection, w.Connection]:
    client, server = w.Connection(Side.CLIENT), w.Connection(Side.SERVER)
    server.receive_data(client.send(w.Handshake(client_code=4)))
    assert isinstance(server.next_event(), w.Handshake)
    hello = w.HandshakeResponse(idle_timeout=30000, node_name="mocknode",
                                cluster_name="mockcluster", observable_timestamp=123456789)
    client.receive_data(server.send(hello))
    assert client.next_event() == hello
    return client, server


def test_sql_exec_with_paging_and_close():
    client, server = connected_pair()
    got, answer = round_trip(
        client, server,
        w.SqlExec(request_id=5, tx_id=3, properties=w.SqlProperties("PUBLIC", 2),
                  statement="SELECT * FROM T", args=[1, "x"], observable_timestamp=9),
        w.SqlExecResponse(request_id=5, cursor_id=77, has_row_set=True, has_more_pages=True,
                          columns=ALL_COLUMNS, rows=[ALL_ROW], observable_timestamp=10))
    assert got.args == [(T.INT64, 1), (T.STRING, "x")] and got.tx_id == 3
    assert answer.rows == [ALL_ROW] and answer.cursor_id == 77
    assert answer.columns == ALL_COLUMNS and answer.observable_timestamp == 10
    _, page = round_trip(client, server, w.SqlCursorNextPage(request_id=6, cursor_id=77),
                         w.SqlPageResponse(request_id=6, rows=[ALL_ROW, ALL_ROW],
                                           has_more_pages=True), ALL_COLUMNS)
    assert page.rows == [ALL_ROW, ALL_ROW] and page.has_more_pages
    _, closed = round_trip(client, server, w.SqlCursorClose(request_id=7, cursor_id=77),
                           w.EmptyResponse(request_id=7))
    assert isinstance(closed, w.EmptyResponse)


def test_transactions_meta_batch_script_cancel_heartbeat():
    client, server = connected_pair()
    _, begin = round_trip(client, server, w.TxBegin(request_id=1, read_only=True, timeout=5,
                                                    observable_timestamp=8),
                          w.TxBeginResponse(request_id=1, tx_id=101))
    assert begin.tx_id == 101
    for req in (w.TxCommit(request_id=2, tx_id=101), w.TxRollback(request_id=3, tx_id=101),
                w.Heartbeat(request_id=4), w.OperationCancel(request_id=5, target_id=1)):
        got, answer = round_trip(client, server, req, w.EmptyResponse(request_id=req.request_id))
        assert got == req and isinstance(answer, w.EmptyResponse)
    meta_cols = [w.ColumnMeta("ROWCOUNT", T.INT64, nullable=False)]
    got, meta = round_trip(
        client, server, w.SqlQueryMeta(request_id=6, statement="INSERT INTO T VALUES (?)"),
        w.SqlQueryMetaResponse(request_id=6, params=[w.ParamMeta(T.INT32, True, 0, 10)],
                               columns=meta_cols))
    assert meta.params == [w.ParamMeta(T.INT32, True, 0, 10)] and meta.columns == meta_cols
    got, batch = round_trip(
        client, server, w.SqlExecBatch(request_id=7, statement="INSERT", rows=[[1], [None]]),
        w.SqlExecBatchResponse(request_id=7, counts=[1, 1]))
    assert got.rows == [[(T.INT64, 1)], [(None, None)]] and batch.counts == [1, 1]
    got, _ = round_trip(client, server, w.SqlExecScript(request_id=8, script="SELECT 1; "
                                                        "SELECT 2", args=[]),
                        w.EmptyResponse(request_id=8))
    assert got.script == "SELECT 1; SELECT 2" and got.args is None


def test_error_response_and_extensions():
    client, server = connected_pair()
    error = w.ErrorInfo(w.ErrorCode.CONSTRAINT_VIOLATION, w.SQL_BATCH_EXCEPTION, "dup",
                        uuid.UUID(int=5), extensions={"sql-update-counters": [1, 1]})
    _, answer = round_trip(client, server, w.SqlExec(request_id=1, statement="X"),
                           w.ErrorResponse(request_id=1, error=error))
    assert answer.error == error
    assert answer.error.text == "org.apache.ignite.sql.SqlBatchException: dup"


def test_handshake_error_round_trip():
    client, server = w.Connection(Side.CLIENT), w.Connection(Side.SERVER)
    server.receive_data(client.send(w.Handshake()))
    server.next_event()
    refusal = w.HandshakeError(w.ErrorInfo(w.ErrorCode.INVALID_CREDENTIALS,
                                           w.INVALID_CREDENTIALS_EXCEPTION,
                                           "Authentication failed", uuid.UUID(int=1)))
    client.receive_data(server.send(refusal))
    assert client.next_event() == refusal


def test_client_reads_the_notes_reply_bytes():
    client = client_after_handshake()
    client.send(w.SqlExec(request_id=5, statement="SELECT 1 AS X"))
    # ignite3.md 5.2: one INT32 column, one row, with the Java server's d3 timestamp
    client.receive_data(bytes.fromhex(
        "00000023" "0500d300000000000003e8" "c0c3c2c2ff" "0106a158c204d2800000000ac2"
        "01c403000101"))
    answer = client.next_event()
    assert answer.rows == [(1,)] and answer.observable_timestamp == 1000
    assert answer.columns == [w.ColumnMeta("X", T.INT32, False, w.MIN_INT, 10)]


def test_partition_assignment_flag_is_read():
    client = client_after_handshake()
    client.send(w.Heartbeat(request_id=1))
    client.receive_data(w.LengthPrefixedFrames().frame(msgpack.packb(1) + msgpack.packb(1)
                                                       + msgpack.packb(44)
                                                       + msgpack.packb(7)))
    answer = client.next_event()
    assert (answer.partition_assignment, answer.observable_timestamp) == (44, 7)


# --- refused input --------------------------------------------------------------------------------


def test_bad_magic_is_fatal_handshake_header_error():
    server = w.Connection(Side.SERVER)
    server.receive_data(b"HTTP" + fixture("handshake")[4:])
    with pytest.raises(w.RequestError) as info:
        server.next_event()
    assert info.value.code == w.ErrorCode.HANDSHAKE_HEADER and info.value.fatal
    assert "Expected 'IGNI', but was 'HTTP'" in info.value.message


def test_frame_limits_and_truncation_are_fatal():
    server = w.Connection(Side.SERVER, max_frame=100)
    server.receive_data(b"IGNI" + struct.pack(">i", 101))
    with pytest.raises(w.RequestError) as info:
        server.next_event()
    assert info.value.fatal
    server = w.Connection(Side.SERVER)
    server.receive_data(b"IGNI" + struct.pack(">i", -1))
    with pytest.raises(w.RequestError):
        server.next_event()
    server = server_after_handshake()
    server.receive_data(struct.pack(">i", 10) + b"\x01\x02")
    assert server.next_event() is NEED_DATA
    server.receive_data(b"")
    with pytest.raises(w.RequestError) as info:
        server.next_event()
    assert info.value.fatal


def frame(*objects) -> bytes:
    return w.LengthPrefixedFrames().frame(b"".join(msgpack.packb(o) for o in objects))


def test_unknown_op_is_answered_and_the_connection_goes_on():
    server = server_after_handshake()
    server.receive_data(frame(99, 12) + frame(1, 13))
    with pytest.raises(w.RequestError) as info:
        server.next_event()
    assert (info.value.code, info.value.request_id, info.value.fatal) == (
        w.ErrorCode.PROTOCOL, 12, False)
    assert info.value.message == "Unexpected operation code: 99"
    assert server.next_event() == w.Heartbeat(request_id=13)


@pytest.mark.parametrize("body", [
    b"\xc1",  # never-used msgpack byte
    msgpack.packb(50) + msgpack.packb(3) + b"\xd9\xff",  # truncated str8
    msgpack.packb(50) + msgpack.packb(3) + msgpack.packb("not a tx id"),
    msgpack.packb(51) + msgpack.packb(4),  # no cursor id
    msgpack.packb(50) + msgpack.packb(5) + b"".join(msgpack.packb(x) for x in (
        None, None, None, None, None, None, 0, b"\x00", "SELECT ?", 2, b"\x00\x09", 0)),
])
def test_malformed_bodies_are_answered(body):
    server = server_after_handshake()
    server.receive_data(w.LengthPrefixedFrames().frame(body) + frame(1, 20))
    with pytest.raises(w.RequestError) as info:
        server.next_event()
    assert not info.value.fatal and info.value.request_id in (-1, 3, 4, 5)
    assert info.value.code in (w.ErrorCode.INTERNAL, w.ErrorCode.PROTOCOL)
    assert server.next_event() == w.Heartbeat(request_id=20)


def test_client_refuses_unknown_request_ids_and_bad_rows():
    client = client_after_handshake()
    client.receive_data(frame(42, 0, 0))
    with pytest.raises(w.ResponseError, match="unknown ID"):
        client.next_event()
    client = client_after_handshake()
    client.send(w.SqlExec(request_id=1, statement="S"))
    client.receive_data(frame(1, 0, 0, None, True, False, False, -1, 1, 6, "X", False, 2,
                              w.MIN_INT, 3, False, 1, b"\x00\x02ab"))
    with pytest.raises(w.ResponseError, match="row"):
        client.next_event()


def test_sending_out_of_order_is_our_error():
    with pytest.raises(w.EncodeError):
        w.Connection(Side.CLIENT).send(w.Heartbeat(request_id=1))
    with pytest.raises(w.EncodeError):
        w.Connection(Side.SERVER).send(w.EmptyResponse(request_id=1))
    client = client_after_handshake()
    client.send(w.Heartbeat(request_id=1))
    with pytest.raises(w.EncodeError):
        client.send(w.Heartbeat(request_id=1))


# --- the per-column fast path against encode_row / decode_row -------------------------------------

VALUES = {
    T.BOOLEAN: st.booleans(), T.INT8: st.integers(-128, 127),
    T.INT16: st.integers(-2 ** 15, 2 ** 15 - 1), T.INT32: st.integers(-2 ** 31, 2 ** 31 - 1),
    T.INT64: st.integers(-2 ** 63, 2 ** 63 - 1),
    T.FLOAT: st.floats(width=32, allow_nan=False), T.DOUBLE: st.floats(allow_nan=False),
    T.DECIMAL: st.decimals(places=2, allow_nan=False, allow_infinity=False,
                           min_value=-10 ** 6, max_value=10 ** 6),
    T.DATE: st.dates(), T.TIME: st.times(), T.DATETIME: st.datetimes(),
    T.TIMESTAMP: st.datetimes(min_value=dt.datetime(1, 1, 2), timezones=st.just(dt.timezone.utc)),
    T.UUID: st.uuids(), T.STRING: st.text(), T.BYTE_ARRAY: st.binary(),
    T.DURATION: st.timedeltas(), T.PERIOD: st.tuples(*[st.integers(-2 ** 31, 2 ** 31 - 1)] * 3),
}
# values a column's fast coder hands on (or refuses): wrong types, out of range
ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=3),
                st.binary(max_size=3), st.datetimes(), st.just(decimal.Decimal("1.5")))


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except (ValueError, w.EncodeError) as exc:
        return type(exc).__name__, str(exc)


@given(st.tuples(*[st.one_of(st.none(), VALUES[c.type]) for c in ALL_COLUMNS]))
def test_row_coders_match_encode_row_and_decode_row(row):
    data = w.row_encoder(ALL_COLUMNS)(row)
    assert data == w.encode_row(ALL_COLUMNS, row)
    assert w.row_decoder(ALL_COLUMNS)(data) == w.decode_row(ALL_COLUMNS, data)


@given(st.lists(ODD, min_size=len(ALL_COLUMNS), max_size=len(ALL_COLUMNS) + 1))
def test_row_encoder_refuses_as_encode_row(row):
    assert _outcome(w.row_encoder(ALL_COLUMNS), row) == _outcome(w.encode_row, ALL_COLUMNS, row)


@given(st.tuples(*[st.one_of(st.none(), VALUES[c.type]) for c in ALL_COLUMNS]),
       st.integers(0, 2000), st.binary(max_size=4))
def test_row_decoder_reads_damaged_tuples_as_decode_row(row, cut, junk):
    data = w.encode_row(ALL_COLUMNS, row)
    damaged = data[:cut] + junk + data[cut + len(junk):]
    assert _outcome(w.row_decoder(ALL_COLUMNS), damaged) \
        == _outcome(w.decode_row, ALL_COLUMNS, damaged)


def test_wide_rows_use_two_and_four_byte_offsets():
    columns = [w.ColumnMeta("S", T.STRING), w.ColumnMeta("I", T.INT32)]
    for size, flag in ((300, 1), (70000, 2)):
        row = ("x" * size, -5)
        data = w.row_encoder(columns)(row)
        assert data[0] == flag and data == w.encode_row(columns, row)
        assert w.row_decoder(columns)(data) == row


@given(st.lists(st.tuples(*[st.one_of(st.none(), VALUES[c.type]) for c in ALL_COLUMNS]),
                max_size=5))
def test_page_encoder_matches_encode_row(rows):
    assert w.row_encoder(ALL_COLUMNS).rows(rows) == [w.encode_row(ALL_COLUMNS, r) for r in rows]


@given(st.lists(st.lists(ODD, min_size=3, max_size=4), max_size=4))
def test_page_encoder_refuses_as_encode_row(rows):
    columns = [w.ColumnMeta("I", T.INT32), w.ColumnMeta("S", T.STRING),
               w.ColumnMeta("DTM", T.DATETIME)]

    def each(rows):
        return [w.encode_row(columns, r) for r in rows]

    assert _outcome(w.row_encoder(columns).rows, rows) == _outcome(each, rows)


@given(st.sampled_from([T.DATETIME, T.TIMESTAMP, T.DATE, T.TIME, T.INT32, T.DOUBLE]),
       st.binary(min_size=1, max_size=13))
def test_row_decoder_reads_any_element_as_decode_row(col_type, element):
    # every length, the DATETIME/TIME nanosecond forms included, whether valid or not
    columns = [w.ColumnMeta("X", col_type)]
    data = w.encode_tuple([element])
    assert _outcome(w.row_decoder(columns), data) == _outcome(w.decode_row, columns, data)


def test_datetime_nanosecond_form_is_read_by_the_row_decoder():
    time = (1 << 42) | (2 << 36) | (3 << 30) | 123_456_789
    date = (2024 << 9) | (2 << 5) | 29
    data = w.encode_tuple([(date | time << 24).to_bytes(9, "little")])
    columns = [w.ColumnMeta("DTM", T.DATETIME)]
    assert w.row_decoder(columns)(data) == (dt.datetime(2024, 2, 29, 1, 2, 3, 123456),)


def test_a_decimal_of_any_scale_decodes_or_is_a_value_error():
    # a negative scale (Java's BigDecimal 1E+3) needs more digits than the default context
    # has: decoding must widen it, never let decimal.InvalidOperation out
    for scale in (-32768, -1000, -2, 0, 5, 32767):
        data = scale.to_bytes(2, "little", signed=True) + (8388607).to_bytes(3, "big")
        for column_scale in (0, 2, 32767):
            value = w.decode_value(w.ColumnType.DECIMAL, data, column_scale)
            assert value == decimal.Decimal(8388607).scaleb(-scale)
