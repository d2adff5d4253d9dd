"""Apache Ignite 3 thin-client protocol codec, sans I/O: magic, handshake, framing, headers,
SQL and transaction ops, error objects and BinaryTuple values, both sides.

Shared by the reference driver (``Side.CLIENT``) and the mock server (``Side.SERVER``).
Nothing here opens a socket. Source: ``protocols/ignite3.md`` (sections cited inline), which
follows apache/ignite-3 at tag 3.1.0 (``ClientOp``, ``ClientInboundMessageHandler``,
``ClientSql*Request``, ``BinaryTupleBuilder``/``BinaryTupleParser``) and the bytes the
official ``pyignite_dbapi`` 3.1.0 sends.

Wire layout (ignite3.md 1-3): the client writes ``IGNI`` once, then every message both ways
is a big-endian int32 length and a MessagePack payload (a sequence of msgpack objects, not
one array); the server writes ``IGNI`` once before its handshake answer. After the
handshake a request is ``op, request id, body...``, a response ``request id, flags,
[partition-assignment timestamp], observable timestamp, body... | error object``.

Errors (drivers/wire/base.py): :class:`EncodeError` (ours: a value with no wire form),
:class:`RequestError` (the client's request the server must refuse: it carries Ignite's
full error ``code``, the request id when it could be read, and whether the connection can
go on) and :class:`ResponseError` (a server answer the client cannot read).

Values (ignite3.md 6): :func:`encode_value` / :func:`decode_value` per :class:`ColumnType`;
:func:`encode_tuple` / :func:`decode_tuple` for the BinaryTuple container; statement
arguments (3 elements per value: type, scale, value) through :func:`encode_args` /
:func:`decode_args`; result rows through :func:`encode_row` / :func:`decode_row`.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import functools
import math
import struct
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any, ClassVar, NamedTuple

import msgpack

from dbapi_conformance.drivers.wire.base import (
    NEED_DATA,
    Event,
    LengthPrefixedFrames,
    LocalProtocolError,
    NeedData,
    RemoteProtocolError,
    Side,
)

__all__ = [
    "MAGIC", "PROTOCOL_VERSION", "DEFAULT_PORT", "DEFAULT_SCHEMA", "DEFAULT_PAGE_SIZE",
    "MIN_INT", "ClientOp", "ResponseFlags", "ColumnType", "ErrorCode", "Period",
    "EncodeError", "RequestError", "ResponseError", "ErrorInfo", "ColumnMeta", "ParamMeta",
    "SqlProperties", "Handshake", "HandshakeResponse", "HandshakeError", "Request", "Heartbeat",
    "TxBegin", "TxCommit", "TxRollback", "SqlExec", "SqlCursorNextPage", "SqlCursorClose",
    "SqlExecScript", "SqlQueryMeta", "SqlExecBatch", "OperationCancel", "Response",
    "ErrorResponse", "EmptyResponse", "TxBeginResponse", "SqlExecResponse", "SqlPageResponse",
    "SqlQueryMetaResponse", "SqlExecBatchResponse", "Connection", "encode_tuple",
    "decode_tuple", "encode_value", "decode_value", "encode_args", "decode_args",
    "encode_row", "decode_row", "row_encoder", "row_decoder", "python_type", "uuid_to_ext",
    "uuid_from_ext",
]

MAGIC = b"IGNI"
PROTOCOL_VERSION = (3, 0, 0)  # the only one in 3.0/3.1 (ignite3.md 2.1)
DEFAULT_PORT = 10800
DEFAULT_SCHEMA = "PUBLIC"
DEFAULT_PAGE_SIZE = 1024
MIN_INT = -(2 ** 31)  # scale "not applicable" in column metadata (ignite3.md 5.2)
#: Largest frame either side accepts unless told otherwise (Java allows 2 GiB).
MAX_FRAME = 64 * 1024 * 1024

_UUID_EXT = 3  # Ignite msgpack extension types (ignite3.md 1)
_INT32 = (-(2 ** 31), 2 ** 31 - 1)
_INT64 = (-(2 ** 63), 2 ** 63 - 1)


class ClientOp(enum.IntEnum):
    """Op codes (``ClientOp.java``, ignite3.md 4) of the SQL and transaction subset."""

    HEARTBEAT = 1
    TX_BEGIN = 43
    TX_COMMIT = 44
    TX_ROLLBACK = 45
    SQL_EXEC = 50
    SQL_CURSOR_NEXT_PAGE = 51
    SQL_CURSOR_CLOSE = 52
    SQL_EXEC_SCRIPT = 56
    SQL_QUERY_META = 57
    SQL_EXEC_BATCH = 63
    OPERATION_CANCEL = 70


class ResponseFlags(enum.IntFlag):
    """Response header flags (``ResponseFlags.java``, ignite3.md 3)."""

    PARTITION_ASSIGNMENT_CHANGED = 1
    NOTIFICATION = 2
    ERROR = 4
    SERVER_OP = 8


class ColumnType(enum.IntEnum):
    """``org.apache.ignite.sql.ColumnType`` ids (ignite3.md 6.1)."""

    NULL = 0
    BOOLEAN = 1
    INT8 = 2
    INT16 = 3
    INT32 = 4
    INT64 = 5
    FLOAT = 6
    DOUBLE = 7
    DECIMAL = 8
    DATE = 9
    TIME = 10
    DATETIME = 11
    TIMESTAMP = 12
    UUID = 13
    STRING = 15
    BYTE_ARRAY = 16
    PERIOD = 17
    DURATION = 18


def _code(group: int, code: int) -> int:
    return group << 16 | code


class ErrorCode(enum.IntEnum):
    """Full error codes, ``group << 16 | code`` (``ErrorGroups.java``, ignite3.md 8)."""

    NODE_STOPPING = _code(1, 1)
    ILLEGAL_ARGUMENT = _code(1, 3)
    CURSOR_ALREADY_CLOSED = _code(1, 6)
    RESOURCE_NOT_FOUND = _code(3, 10)  # unknown or freed tx / cursor ids
    INTERNAL = _code(1, 0xFFFF)
    TABLE_ALREADY_EXISTS = _code(2, 1)
    TABLE_NOT_FOUND = _code(2, 2)
    CONNECTION = _code(3, 1)
    PROTOCOL = _code(3, 2)
    PROTOCOL_COMPATIBILITY = _code(3, 3)
    HANDSHAKE_HEADER = _code(3, 8)
    QUERY_NO_RESULT_SET = _code(4, 1)
    SCHEMA_NOT_FOUND = _code(4, 2)
    STMT_PARSE = _code(4, 3)
    STMT_VALIDATION = _code(4, 4)
    CONSTRAINT_VIOLATION = _code(4, 5)
    EXECUTION_CANCELLED = _code(4, 6)
    RUNTIME = _code(4, 7)
    MAPPING = _code(4, 8)
    TX_CONTROL_INSIDE_EXTERNAL_TX = _code(4, 9)
    TX_COMMIT = _code(7, 6)
    TX_ROLLBACK = _code(7, 7)
    TX_ALREADY_FINISHED = _code(7, 13)
    UNSUPPORTED_AUTHENTICATION_TYPE = _code(15, 1)
    INVALID_CREDENTIALS = _code(15, 2)


#: Java class names the server reports (ignite3.md 2.3, 8).
IGNITE_EXCEPTION = "org.apache.ignite.lang.IgniteException"
SQL_EXCEPTION = "org.apache.ignite.sql.SqlException"
SQL_BATCH_EXCEPTION = "org.apache.ignite.sql.SqlBatchException"
TX_EXCEPTION = "org.apache.ignite.tx.TransactionException"
INVALID_CREDENTIALS_EXCEPTION = "org.apache.ignite.security.exception.InvalidCredentialsException"
UNSUPPORTED_AUTH_EXCEPTION = (
    "org.apache.ignite.security.exception.UnsupportedAuthenticationTypeException")
#: Error extension with the rows a failed batch got done (ClientInboundMessageHandler).
SQL_UPDATE_COUNTERS = "sql-update-counters"
#: What the server sends as the stack trace unless configured to send it.
STACK_TRACE_HINT = ("To see the full stack trace, set "
                    "clientConnector.sendServerExceptionStackTraceToClient:true on the server")


class Period(NamedTuple):
    """A PERIOD value (``java.time.Period``): years, months, days (ignite3.md 6.3)."""

    years: int
    months: int
    days: int


# --- errors ----------------------------------------------------------------------------------


class EncodeError(LocalProtocolError, TypeError):
    """A value or message our side cannot put on the wire (nothing was sent)."""


class RequestError(RemoteProtocolError):
    """A request the server refuses. ``code``: Ignite's full code; ``class_name``: the Java
    class it reports; ``request_id``: the request's id when it could be read (the answer is
    an error response with it), None when no answer is possible; ``fatal``: the connection
    must be closed (a bad magic, frame or handshake)."""

    def __init__(self, message: str, code: int = ErrorCode.PROTOCOL, *,
                 class_name: str = IGNITE_EXCEPTION, request_id: int | None = None,
                 fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.class_name = class_name
        self.request_id = request_id
        self.fatal = fatal


class ResponseError(RemoteProtocolError):
    """A server answer the client cannot read; the connection can no longer be trusted."""


# --- msgpack primitives ----------------------------------------------------------------------


def uuid_to_ext(value: uuid.UUID) -> msgpack.ExtType:
    """UUID as Ignite's msgpack ext 3: msb then lsb, each int64 little-endian (ignite3.md 1)."""
    n = value.int
    return msgpack.ExtType(_UUID_EXT, (n >> 64).to_bytes(8, "little")
                           + (n & 0xFFFF_FFFF_FFFF_FFFF).to_bytes(8, "little"))


def uuid_from_ext(data: bytes) -> uuid.UUID:
    """The inverse of :func:`uuid_to_ext` (16 bytes)."""
    if len(data) != 16:
        raise ValueError(f"a UUID has 16 bytes, not {len(data)}")
    return uuid.UUID(int=int.from_bytes(data[:8], "little") << 64
                     | int.from_bytes(data[8:], "little"))


def _ext_hook(code: int, data: bytes) -> Any:
    if code == _UUID_EXT:
        return uuid_from_ext(data)
    return msgpack.ExtType(code, data)


class _Reader:
    """Reads the msgpack objects of one payload in order, checking each one's kind.
    ``error(text)`` builds the exception for a bad payload (the side decides which)."""

    def __init__(self, body: bytes, error) -> None:
        self._unpacker = msgpack.Unpacker(raw=False, ext_hook=_ext_hook, strict_map_key=False,
                                          max_buffer_size=max(len(body), 1))
        self._unpacker.feed(body)
        self._error = error

    def any(self) -> Any:
        try:
            return self._unpacker.unpack()
        except msgpack.OutOfData:
            raise self._error("the message ended early") from None
        except (ValueError, msgpack.UnpackException, TypeError) as exc:
            raise self._error(f"malformed MessagePack: {exc}") from None

    def int(self, lo: int = _INT32[0], hi: int = _INT32[1], what: str = "int") -> int:
        value = self.any()
        if type(value) is not int or not lo <= value <= hi:
            raise self._error(f"expected {what}, got {value!r:.40}")
        return value

    def long(self, what: str = "long") -> int:
        return self.int(*_INT64, what=what)

    def opt_long(self, what: str = "long") -> int | None:
        value = self.any()
        if value is None:
            return None
        if type(value) is not int or not _INT64[0] <= value <= _INT64[1]:
            raise self._error(f"expected {what} or nil, got {value!r:.40}")
        return value

    def opt_int(self, what: str = "int") -> int | None:
        value = self.any()
        if value is None:
            return None
        if type(value) is not int or not _INT32[0] <= value <= _INT32[1]:
            raise self._error(f"expected {what} or nil, got {value!r:.40}")
        return value

    def bool(self, what: str = "bool") -> bool:
        value = self.any()
        if type(value) is not bool:
            raise self._error(f"expected {what} (bool), got {value!r:.40}")
        return value

    def str(self, what: str = "string") -> str:
        value = self.any()
        if type(value) is not str:
            raise self._error(f"expected {what} (string), got {value!r:.40}")
        return value

    def opt_str(self, what: str = "string") -> str | None:
        value = self.any()
        if value is not None and type(value) is not str:
            raise self._error(f"expected {what} (string or nil), got {value!r:.40}")
        return value

    def bin(self, what: str = "binary") -> bytes:
        value = self.any()
        if type(value) is not bytes:
            raise self._error(f"expected {what} (binary), got {value!r:.40}")
        return value

    def uuid(self, what: str = "uuid") -> uuid.UUID:
        value = self.any()
        if type(value) is not uuid.UUID:
            raise self._error(f"expected {what} (uuid ext), got {value!r:.40}")
        return value

    def opt_uuid(self, what: str = "uuid") -> uuid.UUID | None:
        value = self.any()
        if value is not None and type(value) is not uuid.UUID:
            raise self._error(f"expected {what} (uuid ext or nil), got {value!r:.40}")
        return value

    def count(self, limit: int, what: str) -> int:
        n = self.int(what=what)
        if not 0 <= n <= limit:
            raise self._error(f"{what} {n} outside 0..{limit}")
        return n


def _pack(*items: Any) -> bytes:
    packer = msgpack.Packer(use_bin_type=True, datetime=False)
    try:
        return b"".join(packer.pack(uuid_to_ext(i) if isinstance(i, uuid.UUID) else i)
                        for i in items)
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(f"cannot pack a message field: {exc}") from None


def _pack_extensions(extensions: Mapping[str, Any]) -> list:
    # count-prefixed key/value items, not a msgpack map (ignite3.md 1, 2.1)
    items: list = [len(extensions)]
    for key, value in extensions.items():
        items += [key, value]
    return items


def _read_extensions(r: _Reader, limit: int = 1024) -> dict[str, Any]:
    n = r.count(limit, "extension count")
    out = {}
    for _ in range(n):
        key = r.str("extension key")
        out[key] = r.any()
    return out


# --- BinaryTuple (ignite3.md 6.2) --------------------------------------------------------------


def encode_tuple(elements: Sequence[bytes | None]) -> bytes:
    """A BinaryTuple of encoded elements (None = NULL, a zero-length element). The offset
    entry size is the smallest of 1/2/4 bytes that holds the value area's size."""
    ends = []
    end = 0
    for e in elements:
        if e:
            end += len(e)
        ends.append(end)
    values = b"".join([e for e in elements if e])
    if end <= 0xFF:
        return b"\x00" + bytes(ends) + values
    if end <= 0xFFFF:
        return b"\x01" + struct.pack(f"<{len(ends)}H", *ends) + values
    return b"\x02" + struct.pack(f"<{len(ends)}I", *ends) + values


def decode_tuple(data: bytes, count: int) -> list[bytes | None]:
    """The ``count`` elements of a BinaryTuple (None for NULL). ValueError for a tuple that
    is shorter than its offsets say or whose offsets go backwards (extra bytes after the
    last element are ignored, as the C++ parser does)."""
    if not data:
        raise ValueError("a BinaryTuple has at least its header byte")
    width = 1 << (data[0] & 0x3)
    if width > 4:
        raise ValueError(f"bad BinaryTuple header {data[0]:#04x}")
    base = 1 + width * count
    if len(data) < base:
        raise ValueError(f"BinaryTuple of {len(data)} bytes too short for {count} elements")
    out: list[bytes | None] = []
    start = 0
    for i in range(count):
        end = int.from_bytes(data[1 + i * width:1 + (i + 1) * width], "little")
        if end < start or base + end > len(data):
            raise ValueError(f"BinaryTuple element {i} ends at {end}, outside the tuple")
        out.append(data[base + start:base + end] if end > start else None)
        start = end
    return out


# --- values per type family (ignite3.md 6.3) -----------------------------------------------------

_INT_WIDTHS = {ColumnType.INT8: 1, ColumnType.INT16: 2, ColumnType.INT32: 4, ColumnType.INT64: 8}


def _int_bytes(value: int, max_width: int) -> bytes:
    for width in (1, 2, 4, 8):
        if width > max_width:
            break
        if -(1 << (8 * width - 1)) <= value < (1 << (8 * width - 1)):
            return value.to_bytes(width, "little", signed=True)
    raise EncodeError(f"{value} does not fit in {8 * max_width} bits")


def _int_from(data: bytes, max_width: int) -> int:
    if len(data) not in (1, 2, 4, 8) or len(data) > max_width:
        raise ValueError(f"an integer of at most {max_width} bytes, not {len(data)}")
    return int.from_bytes(data, "little", signed=True)


def _date_bytes(value: _dt.date) -> bytes:
    packed = (value.year << 9) | (value.month << 5) | value.day
    return (packed & 0xFFFF).to_bytes(2, "little") + (packed >> 16).to_bytes(1, "little",
                                                                              signed=True)


def _date_from(data: bytes) -> _dt.date:
    if len(data) != 3:
        raise ValueError(f"a DATE has 3 bytes, not {len(data)}")
    packed = int.from_bytes(data[:2], "little") | (int.from_bytes(data[2:], "little",
                                                                  signed=True) << 16)
    return _dt.date(packed >> 9, (packed >> 5) & 0xF, packed & 0x1F)


def _time_bytes(value: _dt.time) -> bytes:
    h, m, s, us = value.hour, value.minute, value.second, value.microsecond
    if us % 1000 == 0:
        return ((h << 22) | (m << 16) | (s << 10) | us // 1000).to_bytes(4, "little")
    return ((h << 32) | (m << 26) | (s << 20) | us).to_bytes(5, "little")


def _time_from(data: bytes) -> _dt.time:
    n = int.from_bytes(data, "little")
    if len(data) == 4:
        frac_bits, us = 10, (n & 0x3FF) * 1000
    elif len(data) == 5:
        frac_bits, us = 20, n & 0xFFFFF
    elif len(data) == 6:
        frac_bits, us = 30, (n & 0x3FFFFFFF) // 1000  # nanoseconds: Python keeps micros
    else:
        raise ValueError(f"a TIME has 4, 5 or 6 bytes, not {len(data)}")
    n >>= frac_bits
    return _dt.time(n >> 12 & 0x1F, n >> 6 & 0x3F, n & 0x3F, us)


def _seconds_nanos(seconds: int, nanos: int) -> bytes:
    out = seconds.to_bytes(8, "little", signed=True)
    return out + nanos.to_bytes(4, "little", signed=True) if nanos else out


def _seconds_nanos_from(data: bytes) -> tuple[int, int]:
    if len(data) not in (8, 12):
        raise ValueError(f"8 or 12 bytes (seconds, nanos), not {len(data)}")
    seconds = int.from_bytes(data[:8], "little", signed=True)
    nanos = int.from_bytes(data[8:], "little", signed=True) if len(data) == 12 else 0
    return seconds, nanos


_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def _timestamp_bytes(value: Any) -> bytes:
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        seconds = delta.days * 86400 + delta.seconds
        return _seconds_nanos(seconds, delta.microseconds * 1000)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise EncodeError(f"TIMESTAMP {value!r} is not a finite number of seconds")
        seconds = math.floor(value)
        nanos = round((value - seconds) * 1_000_000) * 1000  # float seconds hold micros
        if nanos >= 1_000_000_000:
            seconds, nanos = seconds + 1, nanos - 1_000_000_000
        return _seconds_nanos(int(seconds), nanos)
    raise EncodeError(f"TIMESTAMP needs a datetime or epoch seconds, not {type(value).__name__}")


def _timestamp_from(data: bytes) -> _dt.datetime:
    seconds, nanos = _seconds_nanos_from(data)
    return _EPOCH + _dt.timedelta(seconds=seconds, microseconds=nanos // 1000)


def _duration_bytes(value: _dt.timedelta) -> bytes:
    seconds = value.days * 86400 + value.seconds
    return _seconds_nanos(seconds, value.microseconds * 1000)


def _duration_from(data: bytes) -> _dt.timedelta:
    seconds, nanos = _seconds_nanos_from(data)
    return _dt.timedelta(seconds=seconds, microseconds=nanos // 1000)


def _period_bytes(value: Sequence[int]) -> bytes:
    parts = tuple(value)
    if len(parts) != 3:
        raise EncodeError("a PERIOD is (years, months, days)")
    for width in (1, 2, 4):
        lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
        if all(lo <= p <= hi for p in parts):
            return b"".join(p.to_bytes(width, "little", signed=True) for p in parts)
    raise EncodeError(f"PERIOD {parts} does not fit in int32 parts")


def _period_from(data: bytes) -> Period:
    if len(data) not in (3, 6, 12):
        raise ValueError(f"a PERIOD has 3, 6 or 12 bytes, not {len(data)}")
    w = len(data) // 3
    return Period(*(int.from_bytes(data[i * w:(i + 1) * w], "little", signed=True)
                    for i in range(3)))


def _decimal_bytes(value: decimal.Decimal, scale: int | None) -> bytes:
    if not value.is_finite():
        raise EncodeError(f"DECIMAL {value} is not a finite number")
    if scale is None:
        # the Java server's stripTrailingZeros form, never below scale 0
        exponent = value.normalize().as_tuple().exponent if value else 0
        scale = max(-exponent, 0)
    unscaled = int(value.scaleb(scale).to_integral_value(decimal.ROUND_HALF_UP)) \
        if scale >= 0 else int(value)
    if not -0x8000 <= scale <= 0x7FFF:
        raise EncodeError(f"DECIMAL scale {scale} outside int16")
    length = max(1, (unscaled + (unscaled < 0)).bit_length() // 8 + 1)
    return scale.to_bytes(2, "little", signed=True) + unscaled.to_bytes(length, "big",
                                                                         signed=True)


def _decimal_from(data: bytes, column_scale: int | None = None) -> decimal.Decimal:
    if len(data) < 3:
        raise ValueError(f"a DECIMAL has a 2-byte scale and at least 1 byte, not {len(data)}")
    scale = int.from_bytes(data[:2], "little", signed=True)
    unscaled = int.from_bytes(data[2:], "big", signed=True)
    value = decimal.Decimal(unscaled).scaleb(-scale)
    if column_scale is not None and 0 <= column_scale <= 0x7FFF and column_scale >= scale:
        try:
            with decimal.localcontext() as ctx:
                ctx.prec = max(ctx.prec,
                               len(str(abs(unscaled))) + column_scale + max(-scale, 0) + 2)
                value = value.quantize(decimal.Decimal(1).scaleb(-column_scale))
        except decimal.InvalidOperation:  # a scale beyond what decimal can represent
            raise ValueError(f"a DECIMAL of scale {scale} does not fit the column's scale "
                             f"{column_scale}") from None
    return value


def _bytes_bytes(value: Any) -> bytes:
    data = bytes(value)
    return b"\x80" + data if not data or data[0] == 0x80 else data


def _drop_varlen_mark(data: bytes) -> bytes:
    # a leading 0x80 marks an empty (or 0x80-led) value; readers drop it (ignite3.md 6.3)
    return data[1:] if data[:1] == b"\x80" else data


_FLOAT = struct.Struct("<f")
_DOUBLE = struct.Struct("<d")
_SECONDS_NANOS = struct.Struct("<qi")


def _double_bytes(value: float) -> bytes:
    value = float(value)
    try:
        single = _FLOAT.pack(value)
    except OverflowError:
        return _DOUBLE.pack(value)
    if _FLOAT.unpack(single)[0] == value:  # exact as float32: 4 bytes (NaN never is)
        return single
    return _DOUBLE.pack(value)


def encode_value(col_type: ColumnType, value: Any, scale: int | None = None) -> bytes | None:
    """One BinaryTuple element of ``col_type`` (None for NULL). ``scale``: for DECIMAL, the
    scale to write (None: the value's own, trailing zeros stripped). EncodeError for a value
    the type cannot hold."""
    if value is None:
        return None
    try:
        if col_type == ColumnType.BOOLEAN:
            return b"\x01" if value else b"\x00"
        if col_type in _INT_WIDTHS:
            if isinstance(value, float) and not value.is_integer():
                raise EncodeError(f"{value!r} is not an integer")
            return _int_bytes(int(value), _INT_WIDTHS[col_type])
        if col_type == ColumnType.FLOAT:
            return struct.pack("<f", float(value))
        if col_type == ColumnType.DOUBLE:
            return _double_bytes(value)
        if col_type == ColumnType.DECIMAL:
            return _decimal_bytes(decimal.Decimal(value) if not isinstance(
                value, decimal.Decimal) else value, scale)
        if col_type == ColumnType.DATE:
            return _date_bytes(value)
        if col_type == ColumnType.TIME:
            return _time_bytes(value)
        if col_type == ColumnType.DATETIME:
            return _date_bytes(value.date()) + _time_bytes(value.time())
        if col_type == ColumnType.TIMESTAMP:
            return _timestamp_bytes(value)
        if col_type == ColumnType.UUID:
            return uuid_to_ext(value if isinstance(value, uuid.UUID)
                               else uuid.UUID(str(value))).data
        if col_type == ColumnType.STRING:
            data = str(value).encode("utf-8")
            return data or b"\x80"
        if col_type == ColumnType.BYTE_ARRAY:
            return _bytes_bytes(value)
        if col_type == ColumnType.DURATION:
            return _duration_bytes(value)
        if col_type == ColumnType.PERIOD:
            return _period_bytes(value)
    except EncodeError:
        raise
    except (TypeError, ValueError, AttributeError, OverflowError, struct.error,
            decimal.InvalidOperation) as exc:
        raise EncodeError(f"cannot encode {value!r:.60} as {col_type.name}: {exc}") from None
    raise EncodeError(f"no BinaryTuple form for column type {col_type!r}")


def decode_value(col_type: ColumnType | int, data: bytes | None,
                 scale: int | None = None) -> Any:
    """The Python value of one element: int, float, bool, Decimal (rescaled to the column's
    ``scale`` when given), str, bytes, date, time, naive datetime (DATETIME), UTC datetime
    (TIMESTAMP), UUID, timedelta (DURATION), :class:`Period`; None for NULL. ValueError for
    bytes the type does not allow."""
    if data is None:
        return None
    t = ColumnType(col_type)
    if t == ColumnType.BOOLEAN:
        if len(data) != 1:
            raise ValueError(f"a BOOLEAN has 1 byte, not {len(data)}")
        return data != b"\x00"
    if t in _INT_WIDTHS:
        return _int_from(data, _INT_WIDTHS[t])
    if t == ColumnType.FLOAT:
        if len(data) != 4:
            raise ValueError(f"a FLOAT has 4 bytes, not {len(data)}")
        return struct.unpack("<f", data)[0]
    if t == ColumnType.DOUBLE:
        if len(data) == 4:
            return struct.unpack("<f", data)[0]
        if len(data) == 8:
            return struct.unpack("<d", data)[0]
        raise ValueError(f"a DOUBLE has 4 or 8 bytes, not {len(data)}")
    if t == ColumnType.DECIMAL:
        return _decimal_from(data, scale)
    if t == ColumnType.DATE:
        return _date_from(data)
    if t == ColumnType.TIME:
        return _time_from(data)
    if t == ColumnType.DATETIME:
        if len(data) not in (7, 8, 9):
            raise ValueError(f"a DATETIME has 7, 8 or 9 bytes, not {len(data)}")
        return _dt.datetime.combine(_date_from(data[:3]), _time_from(data[3:]))
    if t == ColumnType.TIMESTAMP:
        return _timestamp_from(data)
    if t == ColumnType.UUID:
        return uuid_from_ext(data)
    if t == ColumnType.STRING:
        return _drop_varlen_mark(data).decode("utf-8")
    if t == ColumnType.BYTE_ARRAY:
        return _drop_varlen_mark(data)
    if t == ColumnType.DURATION:
        return _duration_from(data)
    if t == ColumnType.PERIOD:
        return _period_from(data)
    raise ValueError(f"no value form for column type {t.name}")


def python_type(value: Any) -> tuple[ColumnType, int]:
    """``(type, scale)`` of a statement argument, checked in pyignite_dbapi's order
    (ignite3.md 6.4): Decimal, timedelta, datetime (aware: TIMESTAMP, naive: DATETIME),
    date, time, UUID, str, bytes, bool, float, int, Period. EncodeError otherwise."""
    if isinstance(value, decimal.Decimal):
        exponent = value.as_tuple().exponent
        return ColumnType.DECIMAL, max(-exponent, 0) if isinstance(exponent, int) else 0
    if isinstance(value, _dt.timedelta):
        return ColumnType.DURATION, 0
    if isinstance(value, _dt.datetime):
        return (ColumnType.TIMESTAMP if value.tzinfo is not None else ColumnType.DATETIME), 0
    if isinstance(value, _dt.date):
        return ColumnType.DATE, 0
    if isinstance(value, _dt.time):
        return ColumnType.TIME, 0
    if isinstance(value, uuid.UUID):
        return ColumnType.UUID, 0
    if isinstance(value, str):
        return ColumnType.STRING, 0
    if isinstance(value, (bytes, bytearray, memoryview)):
        return ColumnType.BYTE_ARRAY, 0
    if isinstance(value, bool):
        return ColumnType.BOOLEAN, 0
    if isinstance(value, float):
        return ColumnType.DOUBLE, 0
    if isinstance(value, int):
        return ColumnType.INT64, 0
    if isinstance(value, Period):
        return ColumnType.PERIOD, 0
    raise EncodeError(f"no Ignite type for a parameter of type {type(value).__name__}")


def encode_args(values: Sequence[Any]) -> bytes:
    """The statement-arguments BinaryTuple: type, scale, value per argument (ignite3.md 6.4);
    a None argument is three NULL elements."""
    elements: list[bytes | None] = []
    for value in values:
        if value is None:
            elements += [None, None, None]
            continue
        col_type, scale = python_type(value)
        elements += [_int_bytes(int(col_type), 4), _int_bytes(scale, 4),
                     encode_value(col_type, value, scale if col_type == ColumnType.DECIMAL
                                  else None)]
    return encode_tuple(elements)


def decode_args(data: bytes, count: int) -> list[tuple[ColumnType | None, Any]]:
    """``[(type, value), ...]`` of an arguments tuple of ``count`` values; ``(None, None)``
    for a NULL argument. ValueError for a tuple that does not decode."""
    elements = decode_tuple(data, 3 * count)
    out: list[tuple[ColumnType | None, Any]] = []
    for i in range(count):
        type_el, scale_el, value_el = elements[3 * i:3 * i + 3]
        if type_el is None:
            out.append((None, None))
            continue
        type_id = _int_from(type_el, 4)
        try:
            col_type = ColumnType(type_id)
        except ValueError:
            raise ValueError(f"argument {i + 1}: unknown column type {type_id}") from None
        scale = _int_from(scale_el, 4) if scale_el is not None else 0
        value = decode_value(col_type, value_el, scale if col_type == ColumnType.DECIMAL
                             else None)
        out.append((col_type, value))
    return out


# --- column metadata (ignite3.md 5.2, 5.5) --------------------------------------------------------


@dataclass(frozen=True)
class ColumnMeta:
    """One result column: ``name``, ``nullable``, ``type`` (:class:`ColumnType`), ``scale``
    (MIN_INT when not applicable), ``precision`` (-1 when not applicable), and the origin
    (column, schema, table) it was read from, or None."""

    name: str
    type: ColumnType
    nullable: bool = True
    scale: int = MIN_INT
    precision: int = -1
    origin_column: str | None = None
    origin_schema: str | None = None
    origin_table: str | None = None

    @property
    def has_origin(self) -> bool:
        return self.origin_schema is not None or self.origin_table is not None


@dataclass(frozen=True)
class ParamMeta:
    """One statement parameter of SQL_QUERY_META: nullable, type, scale, precision."""

    type: ColumnType
    nullable: bool = True
    scale: int = 0
    precision: int = -1


def _column_items(columns: Sequence[ColumnMeta]) -> list:
    items: list = [len(columns)]
    for c in columns:
        if c.has_origin:
            items += [9, c.name, c.nullable, int(c.type), c.scale, c.precision, True,
                      None if c.origin_column == c.name else c.origin_column,
                      c.origin_schema, c.origin_table]
        else:
            items += [6, c.name, c.nullable, int(c.type), c.scale, c.precision, False]
    return items


def _read_columns(r: _Reader, limit: int = 4096) -> list[ColumnMeta]:
    n = r.count(limit, "column count")
    columns: list[ColumnMeta] = []
    for _ in range(n):
        fields = r.int(what="column field count")
        name = r.str("column name")
        nullable = r.bool("column nullable")
        type_id = r.int(what="column type")
        scale = r.int(what="column scale")
        precision = r.int(what="column precision")
        has_origin = r.bool("column has-origin") if fields > 5 else False
        origin = (None, None, None)
        if has_origin:
            col = r.opt_str("origin column")
            schema = r.any()
            table = r.any()
            # an int names an earlier column with the same origin schema / table
            if type(schema) is int:
                schema = columns[schema].origin_schema if 0 <= schema < len(columns) else None
            if type(table) is int:
                table = columns[table].origin_table if 0 <= table < len(columns) else None
            origin = (col if col is not None else name, schema, table)
        for _ in range(fields - (9 if has_origin else 6)):
            r.any()  # fields a newer server adds
        try:
            col_type = ColumnType(type_id)
        except ValueError:
            raise r._error(f"unknown column type {type_id}") from None
        columns.append(ColumnMeta(name, col_type, nullable, scale, precision, *origin))
    return columns


def encode_row(columns: Sequence[ColumnMeta], row: Sequence[Any]) -> bytes:
    """One result row as a BinaryTuple of the columns' types (DECIMAL at the column scale)."""
    if len(row) != len(columns):
        raise EncodeError(f"a row of {len(row)} values for {len(columns)} columns")
    return encode_tuple([encode_value(c.type, v) for c, v in zip(columns, row)])


def decode_row(columns: Sequence[ColumnMeta], data: bytes) -> tuple:
    """One result row (see :func:`decode_value`); ValueError for a tuple that does not
    decode."""
    elements = decode_tuple(data, len(columns))
    try:
        return tuple(decode_value(c.type, e, c.scale if c.type == ColumnType.DECIMAL else None)
                     for c, e in zip(columns, elements))
    except ArithmeticError as exc:  # a date or number out of Python's range: damaged bytes
        raise ValueError(f"an element does not decode: {exc}") from None


# --- per-column coders (the hot path of a page of rows) ----------------------------------------
# Chosen once per column list, not per value. Each fast coder handles the common Python
# types itself and hands anything else to encode_value / decode_value; when a row fails
# on the fast path, encode_row / decode_row run on it again, so that errors (and any
# corner the fast path does not know) are exactly theirs. tests/test_wire_ignite.py
# checks both paths give the same bytes and values.

_from_bytes = int.from_bytes


def _int_encoder(col_type: ColumnType) -> Callable[[Any], bytes | None]:
    max_bits = 8 * _INT_WIDTHS[col_type]

    def encode(value: Any) -> bytes | None:
        if type(value) is not int:
            return encode_value(col_type, value)
        bits = (value if value >= 0 else ~value).bit_length()
        width = 1 if bits < 8 else 2 if bits < 16 else 4 if bits < 32 else 8
        if bits >= max_bits:
            return encode_value(col_type, value)  # EncodeError: does not fit
        return value.to_bytes(width, "little", signed=True)

    return encode


def _string_encoder(value: Any) -> bytes | None:
    if type(value) is not str:
        return encode_value(ColumnType.STRING, value)
    return value.encode("utf-8") or b"\x80"


def _double_encoder(value: Any) -> bytes | None:
    if type(value) is not float:
        return encode_value(ColumnType.DOUBLE, value)
    return _double_bytes(value)


def _timestamp_encoder(value: Any) -> bytes | None:
    if type(value) is not _dt.datetime:
        return encode_value(ColumnType.TIMESTAMP, value)
    return _timestamp_bytes(value)


def _datetime_encoder(value: Any) -> bytes | None:
    if type(value) is not _dt.datetime:
        return encode_value(ColumnType.DATETIME, value)
    # _date_bytes + _time_bytes as one little-endian integer (a year 1-9999 packs to a
    # positive 3-byte date)
    v, us = value, value.microsecond
    date = (v.year << 9) | (v.month << 5) | v.day
    if us % 1000 == 0:
        time = (v.hour << 22) | (v.minute << 16) | (v.second << 10) | us // 1000
        return (date | time << 24).to_bytes(7, "little")
    time = (v.hour << 32) | (v.minute << 26) | (v.second << 20) | us
    return (date | time << 24).to_bytes(8, "little")


def _value_encoder(col_type: ColumnType) -> Callable[[Any], bytes | None]:
    if col_type in _INT_WIDTHS:
        return _int_encoder(col_type)
    fast = {ColumnType.STRING: _string_encoder, ColumnType.DOUBLE: _double_encoder,
            ColumnType.TIMESTAMP: _timestamp_encoder,
            ColumnType.DATETIME: _datetime_encoder}.get(col_type)
    return fast or functools.partial(encode_value, col_type)


def _tuple_of(elements: list[bytes]) -> bytes:
    # encode_tuple for elements that are b"" for NULL (never empty otherwise)
    values = b"".join(elements)
    size = len(values)
    if size <= 0xFF:
        return b"\x00" + bytes(accumulate(map(len, elements))) + values
    ends = list(accumulate(map(len, elements)))
    if size <= 0xFFFF:
        return b"\x01" + struct.pack(f"<{len(ends)}H", *ends) + values
    return b"\x02" + struct.pack(f"<{len(ends)}I", *ends) + values


class _RowEncoder:
    """encode_row for one column list: one row (``__call__``) or a page (``rows``)."""

    def __init__(self, columns: tuple[ColumnMeta, ...]) -> None:
        self.columns = columns
        self.encoders = tuple(_value_encoder(c.type) for c in columns)

    def __call__(self, row: Sequence[Any]) -> bytes:
        try:
            if len(row) != len(self.encoders):
                raise EncodeError("row width")
            return _tuple_of([b"" if v is None else e(v) for e, v in zip(self.encoders, row)])
        except Exception:
            return encode_row(self.columns, row)  # its EncodeError, or its answer

    def rows(self, rows: Sequence[Sequence[Any]]) -> list[bytes]:
        """``[self(row) for row in rows]``, encoded a column at a time."""
        count = len(self.encoders)
        if not rows or count == 0 or any(len(row) != count for row in rows):
            return [self(row) for row in rows]
        try:
            columns = [[b"" if v is None else encode(v) for v in values]
                       for encode, values in zip(self.encoders, zip(*rows))]
        except Exception:
            return [self(row) for row in rows]  # the failing row gets encode_row's error
        return [_tuple_of(elements) for elements in map(list, zip(*columns))]


@functools.lru_cache(maxsize=256)
def _row_encoder(columns: tuple[ColumnMeta, ...]) -> _RowEncoder:
    return _RowEncoder(columns)


def row_encoder(columns: Sequence[ColumnMeta]) -> _RowEncoder:
    """A function giving exactly :func:`encode_row` ``(columns, row)`` for a row (same
    bytes, same EncodeError), with the per-type choices made once (kept per column list);
    its ``rows(rows)`` encodes a page, column by column."""
    return _row_encoder(tuple(columns))


def _bool_decoder(data: bytes) -> bool:
    if len(data) != 1:
        raise ValueError("BOOLEAN length")
    return data != b"\x00"


def _int_decoder(col_type: ColumnType) -> Callable[[bytes], int]:
    lengths = frozenset(n for n in (1, 2, 4, 8) if n <= _INT_WIDTHS[col_type])

    def decode(data: bytes) -> int:
        if len(data) not in lengths:
            raise ValueError("integer length")
        return _from_bytes(data, "little", signed=True)

    return decode


def _double_decoder(data: bytes) -> float:
    n = len(data)
    if n == 8:
        return _DOUBLE.unpack(data)[0]
    if n == 4:
        return _FLOAT.unpack(data)[0]
    raise ValueError("DOUBLE length")


def _string_decoder(data: bytes) -> str:
    return data[1:].decode("utf-8") if data[0] == 0x80 else data.decode("utf-8")


def _bytes_decoder(data: bytes) -> bytes:
    return data[1:] if data[0] == 0x80 else data


def _timestamp_decoder(data: bytes) -> _dt.datetime:
    n = len(data)
    if n == 8:
        return _EPOCH + _dt.timedelta(seconds=_from_bytes(data, "little", signed=True))
    if n == 12:
        seconds, nanos = _SECONDS_NANOS.unpack(data)
        return _EPOCH + _dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
    raise ValueError("TIMESTAMP length")


def _datetime_decoder(data: bytes) -> _dt.datetime:
    # _date_from + _time_from in one step: the 3-byte date is a signed little-endian int
    n = len(data)
    date = _from_bytes(data[:3], "little", signed=True)
    t = _from_bytes(data[3:], "little")
    if n == 7:
        us, t = (t & 0x3FF) * 1000, t >> 10
    elif n == 8:
        us, t = t & 0xFFFFF, t >> 20
    elif n == 9:
        us, t = (t & 0x3FFFFFFF) // 1000, t >> 30
    else:
        raise ValueError("DATETIME length")
    return _dt.datetime(date >> 9, (date >> 5) & 0xF, date & 0x1F,
                        t >> 12 & 0x1F, t >> 6 & 0x3F, t & 0x3F, us)


def _value_decoder(column: ColumnMeta) -> Callable[[bytes], Any]:
    t = column.type
    if t in _INT_WIDTHS:
        return _int_decoder(t)
    if t == ColumnType.DECIMAL:
        return functools.partial(_decimal_from, column_scale=column.scale)
    fast = {ColumnType.BOOLEAN: _bool_decoder, ColumnType.DOUBLE: _double_decoder,
            ColumnType.STRING: _string_decoder, ColumnType.BYTE_ARRAY: _bytes_decoder,
            ColumnType.TIMESTAMP: _timestamp_decoder, ColumnType.DATETIME: _datetime_decoder,
            ColumnType.DATE: _date_from,
            ColumnType.TIME: _time_from, ColumnType.UUID: uuid_from_ext}.get(t)
    return fast or functools.partial(decode_value, t)


@functools.lru_cache(maxsize=256)
def _row_decoder(columns: tuple[ColumnMeta, ...]) -> Callable[[bytes], tuple]:
    decoders = tuple(_value_decoder(c) for c in columns)
    count = len(decoders)
    offsets2 = struct.Struct(f"<{count}H")
    offsets4 = struct.Struct(f"<{count}I")

    def decode(data: bytes) -> tuple:
        try:
            n = len(data)
            width = 1 << (data[0] & 0x3)
            base = 1 + width * count
            if n < base:
                raise ValueError("short tuple")
            if width == 1:
                ends: Sequence[int] = data[1:base]
            elif width == 2:
                ends = offsets2.unpack_from(data, 1)
            elif width == 4:
                ends = offsets4.unpack_from(data, 1)
            else:
                raise ValueError("bad header")
            out = []
            start = base
            for end, decoder in zip(ends, decoders):
                end += base
                if end > start:
                    if end > n:
                        raise ValueError("element outside the tuple")
                    out.append(decoder(data[start:end]))
                elif end == start:
                    out.append(None)
                else:
                    raise ValueError("offsets go backwards")
                start = end
            return tuple(out)
        except Exception:
            return decode_row(columns, data)  # its ValueError, or its answer

    return decode


def row_decoder(columns: Sequence[ColumnMeta]) -> Callable[[bytes], tuple]:
    """A function giving exactly :func:`decode_row` ``(columns, data)`` for one row's
    BinaryTuple (same values, same ValueError), with the per-type choices made once (kept
    per column list)."""
    return _row_decoder(tuple(columns))


# --- events ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorInfo:
    """The error object (ignite3.md 2.4): full ``code`` (None: the client takes 0x10001),
    Java ``class_name``, ``message``, ``trace_id``, ``stack_trace``, ``extensions``
    (``sql-update-counters``: a list of ints)."""

    code: int | None
    class_name: str
    message: str | None = None
    trace_id: uuid.UUID | None = None
    stack_trace: str | None = STACK_TRACE_HINT
    extensions: Mapping[str, Any] | None = None

    @property
    def text(self) -> str:
        """What the official client shows: ``class`` or ``class: message``."""
        return self.class_name + (f": {self.message}" if self.message is not None else "")


def _error_items(e: ErrorInfo) -> list:
    items: list = [e.trace_id or uuid.uuid4(), e.code, e.class_name, e.message, e.stack_trace]
    if e.extensions:
        items.append(len(e.extensions))
        for key, value in e.extensions.items():
            items.append(key)
            if key == SQL_UPDATE_COUNTERS:  # a count then the ints, not one msgpack value
                items += [len(value), *value]
            else:
                items.append(value)
    else:
        items.append(None)
    return items


def _read_error(r: _Reader, trace: Any = ...) -> ErrorInfo:
    if trace is ...:
        trace = r.opt_uuid("trace id")
    elif trace is not None and type(trace) is not uuid.UUID:
        raise r._error(f"expected a trace id (uuid ext), got {trace!r:.40}")
    code = r.opt_int("error code")
    class_name = r.str("error class name")
    message = r.opt_str("error message")
    stack = r.opt_str("stack trace")
    first = r.any()
    extensions = None
    if first is not None:
        if type(first) is not int or first < 0 or first > 1024:
            raise r._error(f"bad error extension count {first!r:.40}")
        extensions = {}
        for _ in range(first):
            key = r.str("extension key")
            if key == SQL_UPDATE_COUNTERS:
                extensions[key] = [r.long("update counter")
                                   for _ in range(r.count(_MAX_BATCH_ROWS, "counter count"))]
            else:
                extensions[key] = r.any()
    return ErrorInfo(code, class_name, message, trace, stack, extensions)


@dataclass(frozen=True)
class Handshake(Event):
    """The client's handshake (ignite3.md 2.1). ``features``: the bitmask bytes (BitSet
    order); ``extensions``: ``authn-type``/``authn-identity``/``authn-secret`` and others."""

    version: tuple[int, int, int] = PROTOCOL_VERSION
    client_code: int = 2
    features: bytes = b""
    extensions: Mapping[str, Any] = field(default_factory=dict)

    @property
    def identity(self) -> str | None:
        return _ext_get(self.extensions, "authn-identity")

    @property
    def secret(self) -> str | None:
        return _ext_get(self.extensions, "authn-secret")

    @property
    def authn_type(self) -> str | None:
        return _ext_get(self.extensions, "authn-type")


def _ext_get(extensions: Mapping[str, Any], key: str) -> Any:
    for k, v in extensions.items():  # the server matches keys case-insensitively
        if k.lower() == key:
            return v
    return None


@dataclass(frozen=True)
class HandshakeResponse(Event):
    """The server's handshake answer (ignite3.md 2.2)."""

    idle_timeout: int = 0
    node_id: uuid.UUID = field(default_factory=uuid.uuid4)
    node_name: str | None = "node"
    cluster_ids: tuple[uuid.UUID, ...] = field(default_factory=lambda: (uuid.uuid4(),))
    cluster_name: str = "cluster"
    observable_timestamp: int = 0
    server_version: tuple[int, int, int, int | None, str | None] = (3, 1, 0, None, None)
    features: bytes = b"\x00"
    extensions: Mapping[str, Any] = field(default_factory=dict)
    version: tuple[int, int, int] = PROTOCOL_VERSION


@dataclass(frozen=True)
class HandshakeError(Event):
    """The server's handshake refusal: version then an error object (ignite3.md 2.3)."""

    error: ErrorInfo
    version: tuple[int, int, int] = PROTOCOL_VERSION


@dataclass(frozen=True, kw_only=True)
class Request(Event):
    """Base of the requests: ``request_id`` (int64, echoed by the response)."""

    request_id: int


@dataclass(frozen=True, kw_only=True)
class Heartbeat(Request):
    op: ClassVar[int] = ClientOp.HEARTBEAT


@dataclass(frozen=True, kw_only=True)
class TxBegin(Request):
    """``read_only``, ``timeout`` ms (0 = default), ``observable_timestamp`` (read by the
    server only for a read-only transaction) (ignite3.md 7.1)."""

    op: ClassVar[int] = ClientOp.TX_BEGIN
    read_only: bool = False
    timeout: int = 0
    observable_timestamp: int = 0


@dataclass(frozen=True, kw_only=True)
class TxCommit(Request):
    op: ClassVar[int] = ClientOp.TX_COMMIT
    tx_id: int


@dataclass(frozen=True, kw_only=True)
class TxRollback(Request):
    op: ClassVar[int] = ClientOp.TX_ROLLBACK
    tx_id: int


@dataclass(frozen=True)
class SqlProperties:
    """The SQL property fields of SQL_EXEC/BATCH/SCRIPT (ignite3.md 5.1): ``schema``,
    ``page_size``, ``query_timeout`` ms, ``idle_timeout`` ms, ``time_zone`` (each nil-able),
    and the raw extra properties (count + BinaryTuple; the server ignores them)."""

    schema: str | None = None
    page_size: int | None = None
    query_timeout: int | None = None
    idle_timeout: int | None = None
    time_zone: str | None = None
    property_count: int = 0
    properties: bytes = b"\x00"


def _props_items(p: SqlProperties) -> list:
    return [p.schema, p.page_size, p.query_timeout, p.idle_timeout, p.time_zone,
            p.property_count, p.properties]


def _read_props(r: _Reader) -> SqlProperties:
    return SqlProperties(r.opt_str("schema"), r.opt_int("page size"),
                         r.opt_long("query timeout"), r.opt_long("idle timeout"),
                         r.opt_str("time zone"), r.count(1 << 16, "property count"),
                         r.bin("properties"))


@dataclass(frozen=True, kw_only=True)
class SqlExec(Request):
    """SQL_EXEC (ignite3.md 5.1). ``args``: the decoded arguments (``[(type, value)]`` on the
    server side; plain values when a client builds it), None for nil."""

    op: ClassVar[int] = ClientOp.SQL_EXEC
    tx_id: int | None = None
    properties: SqlProperties = SqlProperties()
    statement: str
    args: Sequence[Any] | None = None
    observable_timestamp: int = 0


@dataclass(frozen=True, kw_only=True)
class SqlCursorNextPage(Request):
    op: ClassVar[int] = ClientOp.SQL_CURSOR_NEXT_PAGE
    cursor_id: int


@dataclass(frozen=True, kw_only=True)
class SqlCursorClose(Request):
    op: ClassVar[int] = ClientOp.SQL_CURSOR_CLOSE
    cursor_id: int


@dataclass(frozen=True, kw_only=True)
class SqlExecScript(Request):
    """SQL_EXEC_SCRIPT (ignite3.md 5.7): no tx field; several statements."""

    op: ClassVar[int] = ClientOp.SQL_EXEC_SCRIPT
    properties: SqlProperties = SqlProperties()
    script: str
    args: Sequence[Any] | None = None
    observable_timestamp: int = 0


@dataclass(frozen=True, kw_only=True)
class SqlQueryMeta(Request):
    """SQL_QUERY_META (ignite3.md 5.5): the statement is prepared, not run."""

    op: ClassVar[int] = ClientOp.SQL_QUERY_META
    tx_id: int | None = None
    schema: str = DEFAULT_SCHEMA
    statement: str


@dataclass(frozen=True, kw_only=True)
class SqlExecBatch(Request):
    """SQL_EXEC_BATCH (ignite3.md 5.6): ``rows`` of arguments (``[(type, value)]`` each on
    the server side), None for nil."""

    op: ClassVar[int] = ClientOp.SQL_EXEC_BATCH
    tx_id: int | None = None
    properties: SqlProperties = SqlProperties()
    statement: str
    rows: Sequence[Sequence[Any]] | None = None
    observable_timestamp: int = 0


@dataclass(frozen=True, kw_only=True)
class OperationCancel(Request):
    """OPERATION_CANCEL (ignite3.md 5.8): ``target_id``, the request to cancel."""

    op: ClassVar[int] = ClientOp.OPERATION_CANCEL
    target_id: int


_REQUESTS: dict[int, type[Request]] = {
    cls.op: cls for cls in (Heartbeat, TxBegin, TxCommit, TxRollback, SqlExec,
                            SqlCursorNextPage, SqlCursorClose, SqlExecScript, SqlQueryMeta,
                            SqlExecBatch, OperationCancel)}


@dataclass(frozen=True, kw_only=True)
class Response(Event):
    """Base of the responses: ``request_id`` and the server's ``observable_timestamp``;
    ``partition_assignment`` is the timestamp sent with flag 1 (None without it)."""

    request_id: int
    observable_timestamp: int = 0
    partition_assignment: int | None = None


@dataclass(frozen=True, kw_only=True)
class ErrorResponse(Response):
    error: ErrorInfo


@dataclass(frozen=True, kw_only=True)
class EmptyResponse(Response):
    """The empty body of HEARTBEAT, TX_COMMIT/ROLLBACK, SQL_CURSOR_CLOSE, SQL_EXEC_SCRIPT,
    OPERATION_CANCEL."""


@dataclass(frozen=True, kw_only=True)
class TxBeginResponse(Response):
    tx_id: int


@dataclass(frozen=True, kw_only=True)
class SqlExecResponse(Response):
    """SQL_EXEC's answer (ignite3.md 5.2): ``cursor_id`` only with a row set and more
    pages; ``rows`` as Python tuples (decoded with ``columns``)."""

    cursor_id: int | None = None
    has_row_set: bool = False
    has_more_pages: bool = False
    was_applied: bool = False
    affected_rows: int = -1
    columns: Sequence[ColumnMeta] = ()
    rows: Sequence[Sequence[Any]] = ()


@dataclass(frozen=True, kw_only=True)
class SqlPageResponse(Response):
    """SQL_CURSOR_NEXT_PAGE's answer (ignite3.md 5.3)."""

    rows: Sequence[Sequence[Any]] = ()
    has_more_pages: bool = False


@dataclass(frozen=True, kw_only=True)
class SqlQueryMetaResponse(Response):
    params: Sequence[ParamMeta] = ()
    columns: Sequence[ColumnMeta] = ()


@dataclass(frozen=True, kw_only=True)
class SqlExecBatchResponse(Response):
    """SQL_EXEC_BATCH's answer (ignite3.md 5.6): rows affected per argument row."""

    counts: Sequence[int] = ()


# --- the connection object -------------------------------------------------------------------

_MAX_ARGS = 65535
_MAX_BATCH_ROWS = 1 << 20


class Connection:
    """One side of one Ignite connection (drivers/wire/base.py ``Codec``).

    Server side: ``next_event()`` yields :class:`Handshake` first, then :class:`Request`
    subclasses; it raises :class:`RequestError` for what must be refused (``fatal`` ones
    end the connection: a bad magic, frame or handshake; the rest are answered with
    :class:`ErrorResponse` for ``request_id`` and the connection goes on). ``send`` takes
    :class:`HandshakeResponse` / :class:`HandshakeError` once, then :class:`Response`
    subclasses.

    Client side: ``send`` takes a :class:`Handshake`, then requests (it remembers each
    request's op, to know its answer's shape, and each open cursor's columns);
    ``next_event()`` yields :class:`HandshakeResponse` or :class:`HandshakeError`, then
    responses; :class:`ResponseError` for an answer it cannot read.

    ``max_frame``: the largest payload accepted either way (bytes).
    """

    def __init__(self, side: Side, *, max_frame: int = MAX_FRAME) -> None:
        self.side = side
        self._frames = LengthPrefixedFrames(max_frame)
        self._magic_pending = True  # the peer's IGNI is still to come (server side)
        self._handshake_done = False
        self._magic_buffer = b""
        self._sent_handshake = False
        self._pending: dict[int, tuple[int, Any]] = {}  # client: request id -> (op, detail)
        self._cursor_columns: dict[int, Sequence[ColumnMeta]] = {}

    # --- bytes in --------------------------------------------------------------------------
    @property
    def peer_closed(self) -> bool:
        """True once ``receive_data(b"")`` said the peer closed."""
        return self._frames.eof

    def receive_data(self, data: bytes) -> None:
        """Append received bytes; ``b""`` means the peer closed."""
        if self._magic_pending and data:
            self._magic_buffer += data
            if len(self._magic_buffer) < len(MAGIC):
                return
            magic, data = self._magic_buffer[:4], self._magic_buffer[4:]
            self._magic_buffer = b""
            self._magic_pending = False
            if magic != MAGIC:
                self._bad_magic = magic
            if not data:
                return  # b"" would mean the end of the stream
        self._frames.receive_data(data)

    def _error(self, text: str, request_id: int | None = None,
               code: int = ErrorCode.PROTOCOL) -> RemoteProtocolError:
        if self.side is Side.SERVER:
            return RequestError(text, code, request_id=request_id, fatal=request_id is None)
        return ResponseError(text)

    def next_event(self) -> Event | NeedData:
        """The next whole event, or NEED_DATA (see the class doc for what each side
        yields and raises)."""
        bad = getattr(self, "_bad_magic", None)
        if bad is not None:
            shown = bad.decode("ascii", "replace")
            raise self._error("Invalid magic header in thin client connection. Expected "
                              f"'IGNI', but was '{shown}'.", code=ErrorCode.HANDSHAKE_HEADER)
        if self._magic_pending:
            if self._frames.eof:
                raise self._error("the stream ended before the magic header")
            return NEED_DATA
        try:
            body = self._frames.next_frame()
        except RemoteProtocolError as exc:
            raise self._error(str(exc)) from None
        if body is None:
            return NEED_DATA
        if self.side is Side.SERVER:
            if not self._handshake_done:
                return self._read_handshake(body)
            return self._read_request(body)
        if not self._handshake_done:
            return self._read_handshake_response(body)
        return self._read_response(body)

    # --- server: reading -------------------------------------------------------------------
    def _read_handshake(self, body: bytes) -> Handshake:
        self._handshake_done = True
        r = _Reader(body, lambda text: RequestError(f"bad handshake: {text}", fatal=True))
        version = tuple(r.int(0, 0x7FFF, "version") for _ in range(3))
        client_code = r.int(what="client code")
        features = r.bin("features")
        extensions = _read_extensions(r)
        return Handshake(version, client_code, features, extensions)  # type: ignore[arg-type]

    def _read_request(self, body: bytes) -> Request:
        # The server answers even a request whose header it cannot read, with id -1, and
        # reports decoding failures as internal errors (ClientInboundMessageHandler).
        r = _Reader(body, lambda text: RequestError(text, ErrorCode.INTERNAL, request_id=-1))
        op = r.int(what="op code")
        rid = r.long("request id")

        def bad(text: str) -> RequestError:
            return RequestError(f"malformed {_op_name(op)} request: {text}", ErrorCode.INTERNAL,
                                request_id=rid)

        r._error = bad
        cls = _REQUESTS.get(op)
        if cls is None:
            raise RequestError(f"Unexpected operation code: {op}", ErrorCode.PROTOCOL,
                               request_id=rid)
        if cls is Heartbeat:
            return Heartbeat(request_id=rid)
        if cls is TxBegin:
            read_only = r.bool("read only")
            timeout = r.long("timeout")
            ts = r.long("observable timestamp") if read_only else 0
            return TxBegin(request_id=rid, read_only=read_only, timeout=timeout,
                           observable_timestamp=ts)
        if cls in (TxCommit, TxRollback):
            return cls(request_id=rid, tx_id=r.long("tx id"))
        if cls in (SqlCursorNextPage, SqlCursorClose):
            return cls(request_id=rid, cursor_id=r.long("cursor id"))
        if cls is OperationCancel:
            return OperationCancel(request_id=rid, target_id=r.long("request id to cancel"))
        if cls is SqlQueryMeta:
            return SqlQueryMeta(request_id=rid, tx_id=r.opt_long("tx id"),
                                schema=r.str("schema"), statement=r.str("statement"))
        if cls is SqlExec:
            tx = r.opt_long("tx id")
            props = _read_props(r)
            statement = r.str("statement")
            args = self._read_args(r, bad)
            return SqlExec(request_id=rid, tx_id=tx, properties=props, statement=statement,
                           args=args, observable_timestamp=r.long("observable timestamp"))
        if cls is SqlExecScript:
            props = _read_props(r)
            script = r.str("script")
            args = self._read_args(r, bad)
            return SqlExecScript(request_id=rid, properties=props, script=script, args=args,
                                 observable_timestamp=r.long("observable timestamp"))
        # SQL_EXEC_BATCH
        tx = r.opt_long("tx id")
        props = _read_props(r)
        statement = r.str("statement")
        rows = None
        first = r.any()
        if first is not None:
            if type(first) is not int or not 0 <= first <= _MAX_ARGS:
                raise bad(f"bad batch row length {first!r:.40}")
            count = r.count(_MAX_BATCH_ROWS, "batch row count")
            r.bool("last page")
            rows = []
            for i in range(count):
                try:
                    rows.append(decode_args(r.bin("batch row"), first))
                except ValueError as exc:
                    raise bad(f"batch row {i + 1}: {exc}") from None
        return SqlExecBatch(request_id=rid, tx_id=tx, properties=props, statement=statement,
                            rows=rows, observable_timestamp=r.long("observable timestamp"))

    @staticmethod
    def _read_args(r: _Reader, bad) -> list | None:
        first = r.any()
        if first is None:
            return None
        if type(first) is not int or not 0 <= first <= _MAX_ARGS:
            raise bad(f"bad argument count {first!r:.40}")
        if first == 0:
            return []  # no tuple follows a zero count (ignite3.md 5.1)
        try:
            return decode_args(r.bin("arguments"), first)
        except ValueError as exc:
            raise bad(f"arguments: {exc}") from None

    # --- client: reading -------------------------------------------------------------------
    def _read_handshake_response(self, body: bytes) -> HandshakeResponse | HandshakeError:
        self._handshake_done = True
        r = _Reader(body, lambda text: ResponseError(f"bad handshake response: {text}"))
        version = tuple(r.int(0, 0x7FFF, "version") for _ in range(3))
        trace = r.any()  # nil on success, else the error object's trace id (always a uuid)
        if trace is not None:
            return HandshakeError(_read_error(r, trace), version)  # type: ignore[arg-type]
        idle = r.long("idle timeout")
        node_id = r.any()
        node_name = r.opt_str("node name")
        n = r.count(1024, "cluster id count")
        cluster_ids = tuple(r.uuid("cluster id") for _ in range(n))
        cluster_name = r.str("cluster name")
        ts = r.long("observable timestamp")
        major, minor, maint = (r.int(0, 255, "server version") for _ in range(3))
        patch = r.any()
        pre = r.opt_str("pre-release")
        features = r.bin("features")
        extensions = _read_extensions(r)
        return HandshakeResponse(idle, node_id, node_name, cluster_ids, cluster_name, ts,
                                 (major, minor, maint, patch, pre), features, extensions,
                                 version)  # type: ignore[arg-type]

    def _read_response(self, body: bytes) -> Response:
        r = _Reader(body, ResponseError)
        rid = r.long("request id")
        pending = self._pending.pop(rid, None)
        if pending is None:
            raise ResponseError(f"Response with unknown ID is received: {rid}")
        op, detail = pending
        flags = r.int(what="flags")
        pa = r.long("partition assignment timestamp") \
            if flags & ResponseFlags.PARTITION_ASSIGNMENT_CHANGED else None
        ts = r.long("observable timestamp")
        head = dict(request_id=rid, observable_timestamp=ts, partition_assignment=pa)
        if flags & ResponseFlags.ERROR:
            return ErrorResponse(error=_read_error(r), **head)
        if op == ClientOp.TX_BEGIN:
            return TxBeginResponse(tx_id=r.long("tx id"), **head)
        if op == ClientOp.SQL_EXEC:
            cursor = r.opt_long("cursor id")
            has_rows, more, applied = (r.bool() for _ in range(3))
            affected = r.long("affected rows")
            columns = _read_columns(r)
            rows = self._read_rows(r, columns) if has_rows else []
            if cursor is not None and more:
                self._cursor_columns[cursor] = columns
            return SqlExecResponse(cursor_id=cursor, has_row_set=has_rows, has_more_pages=more,
                                   was_applied=applied, affected_rows=affected,
                                   columns=columns, rows=rows, **head)
        if op == ClientOp.SQL_CURSOR_NEXT_PAGE:
            columns = self._cursor_columns.get(detail)
            if columns is None:
                raise ResponseError(f"a page for unknown cursor {detail}")
            rows = self._read_rows(r, columns)
            more = r.bool("has more pages")
            if not more:
                self._cursor_columns.pop(detail, None)
            return SqlPageResponse(rows=rows, has_more_pages=more, **head)
        if op == ClientOp.SQL_QUERY_META:
            n = r.count(_MAX_ARGS, "parameter count")
            params = [ParamMeta(nullable=r.bool(), type=ColumnType(r.int()), scale=r.int(),
                                precision=r.int()) for _ in range(n)]
            return SqlQueryMetaResponse(params=params, columns=_read_columns(r), **head)
        if op == ClientOp.SQL_EXEC_BATCH:
            r.any()  # cursor id (nil)
            for _ in range(3):
                r.bool()
            n = r.count(_MAX_BATCH_ROWS, "update count")
            return SqlExecBatchResponse(counts=[r.long("update count") for _ in range(n)],
                                        **head)
        if op == ClientOp.SQL_CURSOR_CLOSE:
            self._cursor_columns.pop(detail, None)
        return EmptyResponse(**head)

    @staticmethod
    def _read_rows(r: _Reader, columns: Sequence[ColumnMeta]) -> list[tuple]:
        n = r.count(1 << 24, "row count")
        decode = row_decoder(columns)
        rows = []
        for _ in range(n):
            try:
                rows.append(decode(r.bin("row")))
            except (ValueError, KeyError) as exc:
                raise ResponseError(f"a row that does not decode: {exc}") from None
        return rows

    # --- bytes out -------------------------------------------------------------------------
    def send(self, event: Event) -> bytes:
        """The bytes of one outgoing event (magic included where it belongs);
        EncodeError for an event this side may not send now or a value with no wire form."""
        if self.side is Side.CLIENT:
            return self._send_client(event)
        return self._send_server(event)

    def _frame(self, body: bytes) -> bytes:
        try:
            return self._frames.frame(body)
        except LocalProtocolError as exc:
            raise EncodeError(str(exc)) from None

    def _send_client(self, event: Event) -> bytes:
        if isinstance(event, Handshake):
            if self._sent_handshake:
                raise EncodeError("the handshake is sent once")
            self._sent_handshake = True
            self._magic_pending = True  # the server's IGNI comes first
            return MAGIC + self._frame(_pack(*event.version, event.client_code,
                                             event.features, *_pack_extensions(event.extensions)))
        if not isinstance(event, Request) or not self._sent_handshake:
            raise EncodeError(f"a client cannot send {type(event).__name__} now")
        if event.request_id in self._pending:
            raise EncodeError(f"request id {event.request_id} is still pending")
        items: list = [event.op, event.request_id]
        detail = None
        if isinstance(event, TxBegin):
            # the official client sends the timestamp always; the server reads it only for
            # a read-only transaction
            items += [event.read_only, event.timeout, event.observable_timestamp]
        elif isinstance(event, (TxCommit, TxRollback)):
            items.append(event.tx_id)
        elif isinstance(event, (SqlCursorNextPage, SqlCursorClose)):
            items.append(event.cursor_id)
            detail = event.cursor_id
        elif isinstance(event, OperationCancel):
            items.append(event.target_id)
        elif isinstance(event, SqlQueryMeta):
            items += [event.tx_id, event.schema, event.statement]
        elif isinstance(event, SqlExec):
            items += [event.tx_id, *_props_items(event.properties), event.statement,
                      *_args_items(event.args), event.observable_timestamp]
        elif isinstance(event, SqlExecScript):
            items += [*_props_items(event.properties), event.script,
                      *_args_items(event.args), event.observable_timestamp]
        elif isinstance(event, SqlExecBatch):
            items += [event.tx_id, *_props_items(event.properties), event.statement]
            if event.rows is None or not event.rows:
                items.append(None)
            else:
                width = len(event.rows[0])
                if any(len(row) != width for row in event.rows):
                    raise EncodeError("every batch row must have the same number of values")
                items += [width, len(event.rows), True,
                          *(encode_args(row) for row in event.rows)]
            items.append(event.observable_timestamp)
        data = self._frame(_pack(*items))
        self._pending[event.request_id] = (event.op, detail)
        return data

    def _send_server(self, event: Event) -> bytes:
        if isinstance(event, (HandshakeResponse, HandshakeError)):
            if self._sent_handshake:
                raise EncodeError("the handshake answer is sent once")
            self._sent_handshake = True
            if isinstance(event, HandshakeError):
                return MAGIC + self._frame(_pack(*event.version, *_error_items(event.error)))
            major, minor, maint, patch, pre = event.server_version
            return MAGIC + self._frame(_pack(
                *event.version, None, event.idle_timeout, event.node_id, event.node_name,
                len(event.cluster_ids), *event.cluster_ids, event.cluster_name,
                event.observable_timestamp, major, minor, maint, patch, pre, event.features,
                *_pack_extensions(event.extensions)))
        if not isinstance(event, Response) or not self._sent_handshake:
            raise EncodeError(f"a server cannot send {type(event).__name__} now")
        flags = ResponseFlags.ERROR if isinstance(event, ErrorResponse) else 0
        items: list = [event.request_id]
        if event.partition_assignment is not None:
            flags |= ResponseFlags.PARTITION_ASSIGNMENT_CHANGED
            items += [int(flags), event.partition_assignment]
        else:
            items.append(int(flags))
        items.append(event.observable_timestamp)
        if isinstance(event, ErrorResponse):
            items += _error_items(event.error)
        elif isinstance(event, TxBeginResponse):
            items.append(event.tx_id)
        elif isinstance(event, SqlExecResponse):
            items += [event.cursor_id, event.has_row_set, event.has_more_pages,
                      event.was_applied, event.affected_rows, *_column_items(event.columns)]
            if event.has_row_set:
                items += [len(event.rows), *row_encoder(event.columns).rows(event.rows)]
        elif isinstance(event, SqlPageResponse):
            raise EncodeError("SqlPageResponse needs its columns: use send_page()")
        elif isinstance(event, SqlQueryMetaResponse):
            items.append(len(event.params))
            for p in event.params:
                items += [p.nullable, int(p.type), p.scale, p.precision]
            items += _column_items(event.columns)
        elif isinstance(event, SqlExecBatchResponse):
            items += [None, False, False, False, len(event.counts), *event.counts]
        return self._frame(_pack(*items))

    def send_page(self, event: SqlPageResponse, columns: Sequence[ColumnMeta]) -> bytes:
        """A SQL_CURSOR_NEXT_PAGE answer, its rows encoded with ``columns`` (server side)."""
        if self.side is not Side.SERVER or not self._sent_handshake:
            raise EncodeError("only a server sends pages, after its handshake answer")
        items: list = [event.request_id, 0, event.observable_timestamp, len(event.rows),
                       *row_encoder(columns).rows(event.rows),
                       event.has_more_pages]
        return self._frame(_pack(*items))


def _args_items(args: Sequence[Any] | None) -> list:
    if args is None or len(args) == 0:
        return [None]  # the official client sends nil for no arguments
    return [len(args), encode_args(args)]


def _op_name(op: int) -> str:
    try:
        return ClientOp(op).name
    except ValueError:
        return f"op {op}"
