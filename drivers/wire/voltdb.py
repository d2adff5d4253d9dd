"""VoltDB client wire protocol codec, sans I/O: framing, login, invocations, responses,
VoltTables, serialised exceptions, and the values of every VoltDB type in both directions.

Shared by the reference driver (``Side.CLIENT``) and the mock server (``Side.SERVER``).
Nothing here opens a socket. Source: ``protocols/voltdb.md`` (sections cited inline), which
follows VoltDB/voltdb ``ClientInterface``, ``StoredProcedureInvocation``, ``ParameterSet``,
``ClientResponseImpl``, ``VoltTable``, ``SerializableException``; where those and the
official client disagree, voltdbclient 16.1.0 (``FastSerializer``) wins.

Shape (drivers/wire/__init__.py): :class:`VoltConnection` is fed bytes (``receive_data``),
yields events (``next_event``) and turns events into bytes (``send``):

- client -> server: :class:`Login` (the first frame), then :class:`Invocation`;
- server -> client: :class:`LoginResponse` (the first frame), then :class:`ClientResponse`.

Errors come in pairs (drivers/wire/base.py):

- :class:`EncodeError` (:class:`LocalProtocolError`): a value or event our side cannot put on
  the wire (nothing was sent);
- :class:`RequestError` (:class:`RemoteProtocolError`): a frame a server must refuse. It
  carries ``login_status`` (a :class:`LoginStatus` to answer a bad login with) or
  ``client_handle`` (the handle of an invocation that could be framed but not decoded,
  answerable with a :class:`ClientResponse`; None when even the handle is unreadable);
- :class:`ResponseError` (:class:`RemoteProtocolError`): a frame a client cannot read.

Values (voltdb.md 1.2): :func:`write_value` / :func:`read_value` for one type code,
:func:`write_parameter` / :func:`read_parameter` for a typed parameter (with arrays, 3.2-3.3),
:func:`encode_table` / :func:`decode_table` for VoltTables (4.3). Python forms: integers
``int``; FLOAT ``float``; STRING ``str``; TIMESTAMP an aware UTC ``datetime`` (naive ones are
taken as UTC; ``int`` microseconds are accepted when writing); DATE ``datetime.date``;
DECIMAL ``decimal.Decimal`` (scale 12, 38 digits); BOOLEAN ``bool``; VARBINARY ``bytes``;
GEOGRAPHY_POINT ``(longitude, latitude)``; GEOGRAPHY its serialised body as ``bytes``
(opaque); VOLTTABLE a :class:`VoltTable`; NULL ``None`` (each type's NULL sentinel).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    "DEFAULT_PORT", "ADMIN_PORT", "MAX_FRAME_SIZE", "MAX_VALUE_LENGTH", "DECIMAL_SCALE",
    "ARRAY", "SERVICE_DATABASE", "PING_HANDLE", "VoltType", "LoginStatus", "AuthScheme",
    "Status", "ExceptionType", "ConstraintType", "Extension", "EncodeError", "RequestError",
    "ResponseError", "Login", "LoginResponse", "Invocation", "Parameter", "ClientResponse",
    "VoltException", "Column", "VoltTable", "VoltConnection", "password_digest",
    "infer_parameter", "write_value", "read_value", "write_parameter", "read_parameter",
    "encode_table", "decode_table", "encode_parameters", "decode_parameters", "Reader",
    "status_name", "LOGIN_STATUS_TEXT",
]

DEFAULT_PORT = 21212  # voltdb.md 1.1 (Constants.DEFAULT_PORT)
ADMIN_PORT = 21211
#: VoltDB's cap on one message (VoltPort.MAX_MESSAGE_LENGTH, 50 MiB); longer lengths close.
MAX_FRAME_SIZE = 50 * 1024 * 1024
#: Longest STRING / VARBINARY value (VoltType.MAX_VALUE_LENGTH, voltdb.md 1.2).
MAX_VALUE_LENGTH = 1024 * 1024
DECIMAL_SCALE = 12
DECIMAL_PRECISION = 38
#: Array marker byte in parameter sets (voltdb.md 3.3).
ARRAY = -99
SERVICE_DATABASE = "database"
#: Reserved client handles (voltdb.md 3.5).
PING_HANDLE = 2 ** 63 - 1
ASYNC_TOPO_HANDLE = 2 ** 63 - 2
ASYNC_PROC_HANDLE = 2 ** 63 - 3


class VoltType(enum.IntEnum):
    """Type codes of parameter sets and table columns (voltdb.md 1.2, VoltType.java)."""

    NULL = 1
    TINYINT = 3
    SMALLINT = 4
    INTEGER = 5
    BIGINT = 6
    FLOAT = 8
    STRING = 9
    TIMESTAMP = 11
    DATE = 12
    MONEY = 20
    VOLTTABLE = 21
    DECIMAL = 22
    BOOLEAN = 23
    VARBINARY = 25
    GEOGRAPHY_POINT = 26
    GEOGRAPHY = 27


class LoginStatus(enum.IntEnum):
    """Login response status byte (voltdb.md 2.2, Constants.java)."""

    SUCCESS = 0
    AUTHENTICATION_FAILURE = -1
    MAX_CONNECTIONS_LIMIT_ERROR = 1
    WIRE_PROTOCOL_TIMEOUT_ERROR = 2
    WIRE_PROTOCOL_FORMAT_ERROR = 3
    AUTHENTICATION_FAILURE_DUE_TO_REJOIN = 4
    EXPORT_DISABLED_REJECTION = 5
    TLS_REQUIRED = 6
    CLIENT_CERTIFICATE_REQUIRED = 7
    CLIENT_CERTIFICATE_REVOKED = 8


#: The texts voltdbclient 16.1.0 raises per login status (voltdb.md 2.2).
LOGIN_STATUS_TEXT = {
    LoginStatus.AUTHENTICATION_FAILURE: "Authentication failed.",
    LoginStatus.MAX_CONNECTIONS_LIMIT_ERROR: "Server has too many connections.",
    LoginStatus.WIRE_PROTOCOL_TIMEOUT_ERROR: "Connection timed out during authentication.",
    LoginStatus.WIRE_PROTOCOL_FORMAT_ERROR: "Wire protocol format violation error.",
    LoginStatus.AUTHENTICATION_FAILURE_DUE_TO_REJOIN: "Failed to authenticate to rejoining node.",
    LoginStatus.EXPORT_DISABLED_REJECTION: "Export not enabled for server.",
    LoginStatus.TLS_REQUIRED: "Server requires use of TLS/SSL.",
    LoginStatus.CLIENT_CERTIFICATE_REQUIRED:
        "Client certificate required for mutual authentication.",
    LoginStatus.CLIENT_CERTIFICATE_REVOKED: "Client certificate revoked.",
}


class AuthScheme(enum.IntEnum):
    """ClientAuthScheme ordinals of a version-1 login (voltdb.md 2.1)."""

    HASH_SHA1 = 0
    HASH_SHA256 = 1
    SPNEGO = 2


_DIGEST_LENGTH = {AuthScheme.HASH_SHA1: 20, AuthScheme.HASH_SHA256: 32, AuthScheme.SPNEGO: 0}


class Status(enum.IntEnum):
    """ClientResponse status codes (voltdb.md 4.2)."""

    SUCCESS = 1
    USER_ABORT = -1
    GRACEFUL_FAILURE = -2
    UNEXPECTED_FAILURE = -3
    CONNECTION_LOST = -4
    SERVER_UNAVAILABLE = -5
    CONNECTION_TIMEOUT = -6
    RESPONSE_UNKNOWN = -7
    TXN_RESTART = -8
    OPERATIONAL_FAILURE = -9
    TXN_MISPARTITIONED = -10
    TXN_MISROUTED = -11
    DR_TABLE_HASH_NOT_FOUND = -12
    UNSUPPORTED_DYNAMIC_CHANGE = -13
    CLIENT_ERROR_TXN_NOT_SENT = -14
    CLIENT_REQUEST_TIMEOUT = -15
    CLIENT_RESPONSE_TIMEOUT = -16
    COMPOUND_PROC_USER_ABORT = -17
    COMPOUND_PROC_TIMEOUT = -18


def status_name(code: int) -> str:
    """``Status`` name of ``code`` (``"GRACEFUL_FAILURE"``), or ``"UNKNOWN(<code>)"``."""
    try:
        return Status(code).name
    except ValueError:
        return f"UNKNOWN({code})"


class ExceptionType(enum.IntEnum):
    """SerializableException.SerializableExceptions ordinals (VoltDB/voltdb
    ``exceptions/SerializableException.java``). voltdbclient 16.1.0 decodes 1-3 fully;
    it takes 4 for "Generic", so its messages for other types are best effort."""

    NONE = 0
    EE_EXCEPTION = 1
    SQL_EXCEPTION = 2
    CONSTRAINT_FAILURE = 3
    INTERRUPT = 4
    TRANSACTION_RESTART = 5
    TRANSACTION_TERMINATION = 6
    SPECIFIED = 7
    GENERIC = 8
    MISPARTITIONED = 9
    REPLICATED_TABLE = 10
    DR_TABLE_NOT_FOUND = 11
    INVALID_MESSAGE = 12


class ConstraintType(enum.IntEnum):
    """ConstraintType values in a ConstraintFailureException (VoltDB/voltdb types)."""

    FOREIGN_KEY = 0
    MAIN = 1
    UNIQUE = 2
    PRIMARY_KEY = 3
    NOT_NULL = 4
    INDEX = 5
    LIMIT = 6


class Extension(enum.IntEnum):
    """Version-2 invocation extension types (voltdb.md 3.1, ProcedureInvocationExtensions)."""

    BATCH_TIMEOUT = 1
    ALL_PARTITION = 2
    PARTITION_DESTINATION = 3
    BATCH_CALL = 4
    REQUEST_PRIORITY = 5
    REQUEST_TIMEOUT = 6


# --- errors ----------


class EncodeError(LocalProtocolError):
    """A value or event our side cannot put on the wire; nothing was sent."""


class RequestError(RemoteProtocolError):
    """A frame the server must refuse. ``login_status``: the LoginStatus to answer a bad
    login with (then close); ``client_handle``: the handle of an invocation whose body could
    not be decoded (answer it with UNEXPECTED_FAILURE), None when it is unknown."""

    def __init__(self, message: str, *, login_status: LoginStatus | None = None,
                 client_handle: int | None = None):
        super().__init__(message)
        self.login_status = login_status
        self.client_handle = client_handle


class ResponseError(RemoteProtocolError):
    """A frame from the server that the client cannot read; the connection is unusable."""


# --- reading and writing primitives ----------

_I8, _U8, _I16, _I32, _I64, _F64 = (struct.Struct(f) for f in (">b", ">B", ">h", ">i", ">q",
                                                               ">d"))


class Reader:
    """Big-endian reads over one frame body; raises a RemoteProtocolError subclass
    (``error``, default :class:`RequestError`) when the body ends inside a field."""

    __slots__ = ("data", "pos", "error")

    def __init__(self, data: bytes, error: type[RemoteProtocolError] = RequestError):
        self.data = memoryview(data)
        self.pos = 0
        self.error = error

    def fail(self, message: str) -> RemoteProtocolError:
        return self.error(message)

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise self.error(f"the message ends inside a field ({n} bytes wanted at offset "
                             f"{self.pos} of {len(self.data)})")
        out = bytes(self.data[self.pos:self.pos + n])
        self.pos += n
        return out

    def _unpack(self, st: struct.Struct):
        if self.pos + st.size > len(self.data):
            raise self.error(f"the message ends inside a field ({st.size} bytes wanted at "
                             f"offset {self.pos} of {len(self.data)})")
        (v,) = st.unpack_from(self.data, self.pos)
        self.pos += st.size
        return v

    def i8(self) -> int:
        return self._unpack(_I8)

    def u8(self) -> int:
        return self._unpack(_U8)

    def i16(self) -> int:
        return self._unpack(_I16)

    def i32(self) -> int:
        return self._unpack(_I32)

    def i64(self) -> int:
        return self._unpack(_I64)

    def f64(self) -> float:
        return self._unpack(_F64)

    def bytes_(self, limit: int = MAX_FRAME_SIZE) -> bytes | None:
        """i32 length + bytes; None for length -1."""
        n = self.i32()
        if n == -1:
            return None
        if n < -1 or n > limit:
            raise self.error(f"value length {n} outside -1..{limit}")
        return self.take(n)

    def string(self, limit: int = MAX_FRAME_SIZE) -> str | None:
        raw = self.bytes_(limit)
        if raw is None:
            return None
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.error(f"string is not UTF-8: {exc}") from None


def _pack_bytes(out: bytearray, raw: bytes | None) -> None:
    if raw is None:
        out += _I32.pack(-1)
    else:
        out += _I32.pack(len(raw))
        out += raw


def _pack_str(out: bytearray, text: str | None) -> None:
    _pack_bytes(out, None if text is None else text.encode("utf-8"))


# --- values (voltdb.md 1.2) ----------

_INT_TYPES = {VoltType.TINYINT: _I8, VoltType.SMALLINT: _I16, VoltType.INTEGER: _I32,
              VoltType.BIGINT: _I64}
_INT_NULL = {VoltType.TINYINT: -2 ** 7, VoltType.SMALLINT: -2 ** 15,
             VoltType.INTEGER: -2 ** 31, VoltType.BIGINT: -2 ** 63}
#: FLOAT NULL sentinel; voltdbclient treats anything within 1e307 of it as NULL (9.4).
FLOAT_NULL = -1.7e308
DECIMAL_NULL = -2 ** 127
_DECIMAL_MAX = 10 ** DECIMAL_PRECISION - 1
_DECIMAL_QUANTUM = decimal.Decimal(1).scaleb(-DECIMAL_SCALE)
_DECIMAL_CONTEXT = decimal.Context(prec=60)
#: GEOGRAPHY_POINT NULL: both coordinates 360.0.
POINT_NULL = 360.0
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_MIN_MICROS = int((_dt.datetime(1, 1, 1, tzinfo=_dt.timezone.utc) - _EPOCH)
                  / _dt.timedelta(microseconds=1))
_MAX_MICROS = int((_dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=_dt.timezone.utc)
                   - _EPOCH) / _dt.timedelta(microseconds=1))


def timestamp_micros(value: _dt.datetime | int) -> int:
    """Microseconds since 1970-01-01 UTC of ``value`` (naive = UTC; ints pass through)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, _dt.datetime):
        raise EncodeError(f"TIMESTAMP needs a datetime or int microseconds, not "
                          f"{type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    delta = value - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def micros_timestamp(micros: int) -> _dt.datetime:
    """Aware UTC datetime of ``micros`` since the epoch (ValueError outside years 1-9999)."""
    if not _MIN_MICROS <= micros <= _MAX_MICROS:
        raise ValueError(f"timestamp {micros} us is outside the years 1-9999")
    return _EPOCH + _dt.timedelta(microseconds=micros)


def decimal_unscaled(value: decimal.Decimal | int) -> int:
    """The unscaled i128 of a DECIMAL (value x 10^12, rounded half up to scale 12);
    EncodeError beyond 38 digits (26 before the point) or for NaN / infinity."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = decimal.Decimal(value)
    if not isinstance(value, decimal.Decimal):
        raise EncodeError(f"DECIMAL needs a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise EncodeError(f"DECIMAL cannot hold {value}")
    scaled = value.quantize(_DECIMAL_QUANTUM, rounding=decimal.ROUND_HALF_UP,
                            context=_DECIMAL_CONTEXT)
    unscaled = int(scaled.scaleb(DECIMAL_SCALE, context=_DECIMAL_CONTEXT))
    if abs(unscaled) > _DECIMAL_MAX:
        raise EncodeError(f"DECIMAL {value} has more than 26 digits before the point")
    return unscaled


def _check_int(t: VoltType, value: Any) -> int:
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, int):
        raise EncodeError(f"{t.name} needs an int, not {type(value).__name__}")
    low = _INT_NULL[t] + 1
    high = -_INT_NULL[t] - 1
    if not low <= value <= high:
        raise EncodeError(f"{value} is out of range for {t.name} ({low}..{high}; "
                          f"{_INT_NULL[t]} is its NULL)")
    return value


def write_value(out: bytearray, t: int, value: Any) -> None:
    """Append the wire form of ``value`` as type ``t`` (no type byte); None writes the
    type's NULL sentinel. EncodeError for a value the type cannot carry."""
    t = VoltType(t) if t in VoltType._value2member_map_ else t
    if t in _INT_TYPES:
        out += _INT_TYPES[t].pack(_INT_NULL[t] if value is None else _check_int(t, value))
    elif t == VoltType.FLOAT:
        if value is None:
            out += _F64.pack(FLOAT_NULL)
        else:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise EncodeError(f"FLOAT needs a float, not {type(value).__name__}")
            out += _F64.pack(float(value))
    elif t == VoltType.STRING:
        if value is not None and not isinstance(value, str):
            raise EncodeError(f"STRING needs a str, not {type(value).__name__}")
        _pack_str(out, value)
    elif t == VoltType.VARBINARY or t == VoltType.GEOGRAPHY:
        if value is not None and not isinstance(value, (bytes, bytearray, memoryview)):
            raise EncodeError(f"{t.name} needs bytes, not {type(value).__name__}")
        _pack_bytes(out, None if value is None else bytes(value))
    elif t == VoltType.TIMESTAMP:
        micros = _INT_NULL[VoltType.BIGINT] if value is None else timestamp_micros(value)
        if value is not None and not -2 ** 63 < micros < 2 ** 63:
            raise EncodeError(f"TIMESTAMP {value!r} is out of range")
        out += _I64.pack(micros)
    elif t == VoltType.DATE:
        if value is None:
            out += _I32.pack(_INT_NULL[VoltType.INTEGER])
        elif isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
            out += _I32.pack((value.year << 16) | (value.month << 8) | value.day)
        else:
            raise EncodeError(f"DATE needs a date, not {type(value).__name__}")
    elif t == VoltType.DECIMAL:
        unscaled = DECIMAL_NULL if value is None else decimal_unscaled(value)
        out += unscaled.to_bytes(16, "big", signed=True)
    elif t == VoltType.BOOLEAN:
        if value is None:
            out += _I8.pack(-128)
        elif isinstance(value, (bool, int)):
            out += _I8.pack(1 if value else 0)
        else:
            raise EncodeError(f"BOOLEAN needs a bool, not {type(value).__name__}")
    elif t == VoltType.GEOGRAPHY_POINT:
        if value is None:
            out += _F64.pack(POINT_NULL) + _F64.pack(POINT_NULL)
        else:
            try:
                lng, lat = value
                out += _F64.pack(float(lng)) + _F64.pack(float(lat))
            except (TypeError, ValueError):
                raise EncodeError("GEOGRAPHY_POINT needs a (longitude, latitude) pair") from None
    elif t == VoltType.VOLTTABLE:
        if not isinstance(value, VoltTable):
            raise EncodeError(f"VOLTTABLE needs a VoltTable, not {type(value).__name__}")
        out += encode_table(value)
    elif t == VoltType.NULL:
        if value is not None:
            raise EncodeError("type NULL carries no value")
    else:
        raise EncodeError(f"type code {t} has no wire form")


def read_value(r: Reader, t: int) -> Any:
    """Read one value of type ``t`` (NULL sentinels -> None). The reader's error for an
    unknown type code or a body that ends inside the value."""
    if t in _INT_TYPES:
        v = r._unpack(_INT_TYPES[t])
        return None if v == _INT_NULL[t] else v
    if t == VoltType.FLOAT:
        v = r.f64()
        return None if v == FLOAT_NULL else v
    if t == VoltType.STRING:
        return r.string(MAX_VALUE_LENGTH)
    if t == VoltType.VARBINARY or t == VoltType.GEOGRAPHY:
        return r.bytes_(MAX_FRAME_SIZE if t == VoltType.GEOGRAPHY else MAX_VALUE_LENGTH)
    if t == VoltType.TIMESTAMP:
        v = r.i64()
        if v == _INT_NULL[VoltType.BIGINT]:
            return None
        try:
            return micros_timestamp(v)
        except ValueError as exc:
            raise r.fail(str(exc)) from None
    if t == VoltType.DATE:
        v = r.i32()
        if v == _INT_NULL[VoltType.INTEGER]:
            return None
        try:
            return _dt.date((v >> 16) & 0xFFFF, (v >> 8) & 0xFF, v & 0xFF)
        except ValueError as exc:
            raise r.fail(f"DATE {v:#x}: {exc}") from None
    if t == VoltType.DECIMAL:
        v = int.from_bytes(r.take(16), "big", signed=True)
        if v == DECIMAL_NULL:
            return None
        return decimal.Decimal(v).scaleb(-DECIMAL_SCALE, context=_DECIMAL_CONTEXT)
    if t == VoltType.BOOLEAN:
        v = r.i8()
        return None if v == -128 else bool(v)
    if t == VoltType.GEOGRAPHY_POINT:
        lng, lat = r.f64(), r.f64()
        return None if lng == POINT_NULL and lat == POINT_NULL else (lng, lat)
    if t == VoltType.VOLTTABLE:
        return _read_table(r)
    if t == VoltType.NULL:
        return None
    raise r.fail(f"unknown type code {t}")


# --- parameters (voltdb.md 3.2-3.3) ----------

_ARRAY_ELEMENTS = frozenset(VoltType) - {VoltType.NULL, VoltType.MONEY}
_PARAMETER_TYPES = frozenset(VoltType) - {VoltType.MONEY}


@dataclass(frozen=True)
class Parameter:
    """One parameter of an invocation: its type code, its value, and whether it is an
    array of that type (``value`` then a list; a TINYINT array is ``bytes``)."""

    type: VoltType
    value: Any
    array: bool = False


def infer_parameter(value: Any) -> Parameter:
    """The typed parameter a Python value is sent as (voltdb.md 5.1): None -> NULL, bool ->
    TINYINT 0/1, int -> BIGINT, float -> FLOAT, str -> STRING, bytes -> VARBINARY, Decimal ->
    DECIMAL, datetime -> TIMESTAMP, date -> DATE, a list or tuple -> an array of its first
    non-NULL element's type. EncodeError for anything else."""
    if isinstance(value, Parameter):
        return value
    if value is None:
        return Parameter(VoltType.NULL, None)
    if isinstance(value, bool):
        return Parameter(VoltType.TINYINT, int(value))
    if isinstance(value, int):
        return Parameter(VoltType.BIGINT, value)
    if isinstance(value, float):
        return Parameter(VoltType.FLOAT, value)
    if isinstance(value, str):
        return Parameter(VoltType.STRING, value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return Parameter(VoltType.VARBINARY, bytes(value))
    if isinstance(value, decimal.Decimal):
        return Parameter(VoltType.DECIMAL, value)
    if isinstance(value, _dt.datetime):
        return Parameter(VoltType.TIMESTAMP, value)
    if isinstance(value, _dt.date):
        return Parameter(VoltType.DATE, value)
    if isinstance(value, VoltTable):
        return Parameter(VoltType.VOLTTABLE, value)
    if isinstance(value, (list, tuple)):
        items = list(value)
        first = next((v for v in items if v is not None), None)
        if first is None:
            element = VoltType.STRING
        else:
            element = infer_parameter(first).type
        if element == VoltType.NULL or isinstance(first, (list, tuple)):
            raise EncodeError("arrays of arrays have no wire form")
        return Parameter(element, items, array=True)
    raise EncodeError(f"a {type(value).__name__} has no VoltDB parameter form")


def write_parameter(out: bytearray, param: Parameter) -> None:
    """Append ``type byte + value`` (or ``-99, element type, count, elements``)."""
    if param.array:
        t = VoltType(param.type)
        if t not in _ARRAY_ELEMENTS:
            raise EncodeError(f"no arrays of {t.name}")
        out += _I8.pack(ARRAY)
        out += _I8.pack(t)
        items = param.value
        if t == VoltType.TINYINT:
            if isinstance(items, (bytes, bytearray, memoryview)):
                raw = bytes(items)
            else:
                try:
                    raw = bytes((_check_int(t, v) & 0xFF) for v in items)
                except TypeError:
                    raise EncodeError("a TINYINT array needs ints") from None
            out += _I32.pack(len(raw))
            out += raw
            return
        items = list(items)
        if len(items) > 32767:
            raise EncodeError(f"an array of {len(items)} elements is over 32767")
        out += _I16.pack(len(items))
        for v in items:
            write_value(out, t, v)
        return
    if param.type not in _PARAMETER_TYPES:
        raise EncodeError(f"type code {param.type} is not a parameter type")
    out += _I8.pack(param.type)
    write_value(out, param.type, param.value)


def read_parameter(r: Reader) -> Parameter:
    """Read one parameter; the reader's error for an unknown type code or short body."""
    code = r.i8()
    if code == ARRAY:
        element = r.i8()
        if element not in _ARRAY_ELEMENTS:
            raise r.fail(f"unknown array element type code {element}")
        t = VoltType(element)
        if t == VoltType.TINYINT:
            n = r.i32()
            if n < 0:
                raise r.fail(f"negative array length {n}")
            return Parameter(t, r.take(n), array=True)
        n = r.i16()
        if n < 0:
            raise r.fail(f"negative array length {n}")
        return Parameter(t, [read_value(r, t) for _ in range(n)], array=True)
    if code not in _PARAMETER_TYPES:
        raise r.fail(f"unknown parameter type code {code}")
    t = VoltType(code)
    return Parameter(t, read_value(r, t))


def encode_parameters(params: Sequence[Any]) -> bytes:
    """``i16 count`` + each parameter (Parameter objects, or values for infer_parameter)."""
    if len(params) > 32767:
        raise EncodeError(f"{len(params)} parameters are over 32767")
    out = bytearray(_I16.pack(len(params)))
    for p in params:
        write_parameter(out, infer_parameter(p))
    return bytes(out)


def decode_parameters(r: Reader) -> list[Parameter]:
    n = r.i16()
    if n < 0:
        raise r.fail(f"negative parameter count {n}")
    return [read_parameter(r) for _ in range(n)]


# --- tables (voltdb.md 4.3) ----------

_COLUMN_TYPES = frozenset(VoltType) - {VoltType.NULL, VoltType.MONEY, VoltType.VOLTTABLE}


@dataclass(frozen=True)
class Column:
    """One VoltTable column: its name (ASCII on the wire) and type code."""

    name: str
    type: VoltType


@dataclass
class VoltTable:
    """A result or parameter table: ``columns``, ``rows`` (sequences of Python values in
    column order, None for NULL) and the table ``status`` byte (-128 for Java-built
    tables; clients ignore it)."""

    columns: list[Column]
    rows: list[Sequence[Any]] = field(default_factory=list)
    status: int = -128


def encode_table(table: VoltTable) -> bytes:
    """``i32 total, i32 header length, i8 status, i16 columns, types, names, i32 rows,
    rows`` with exact lengths (voltdb.md 4.3; not the client's short header, 9.8).

    Columns whose values are all of their type's plain Python type (or None) are encoded
    column-wise with one precompiled encoder each; any other table, or any failure, is
    encoded value by value through :func:`write_value`, which gives the same bytes and
    the errors (EncodeError) of the first bad value."""
    rows = table.rows
    n = len(table.columns)
    if len(rows) < 8 or not n or set(map(len, rows)) != {n}:  # a few rows: value by value
        return _encode_table_rowwise(table)
    encoded = []
    try:
        for c, values in zip(table.columns, zip(*rows)):
            fast = _COLUMN_ENCODERS.get(c.type)
            if fast is None or not set(map(type, values)) <= fast[0]:
                return _encode_table_rowwise(table)
            part = fast[1](values)
            if part is None:
                return _encode_table_rowwise(table)
            encoded.append(part)
    except Exception:  # noqa: BLE001 - the row-wise encoder raises the right error
        return _encode_table_rowwise(table)
    head = _encode_table_rowwise(VoltTable(table.columns, [], table.status))
    # head: i32 total, header, i32 row count 0 -> patch the count and the total
    header = head[4:-4]
    data = list(map(b"".join, zip(*encoded)))
    body = b"".join([header, _I32.pack(len(rows)),
                     *_interleave(map(_I32.pack, map(len, data)), data)])
    return _I32.pack(len(body)) + body


def _interleave(a, b):
    for x, y in zip(a, b):
        yield x
        yield y


def _int_column(t: VoltType):
    st, null = _INT_TYPES[t], _INT_NULL[t]
    pack, null_bytes = st.pack, st.pack(null)

    def encode(values):
        if null in values:  # a value equal to the NULL sentinel is an error
            return None
        return [null_bytes if v is None else pack(v) for v in values]
    return encode


def _packed_column(pack, null_bytes):
    return lambda values: [null_bytes if v is None else pack(v) for v in values]


def _bytes_column(values):
    out = []
    for v in values:
        if v is None:
            out.append(_NULL_LENGTH)
        else:
            out.append(_I32.pack(len(v)) + v)
    return out


def _string_column(values):
    out = []
    for v in values:
        if v is None:
            out.append(_NULL_LENGTH)
        else:
            raw = v.encode("utf-8")
            out.append(_I32.pack(len(raw)) + raw)
    return out


_ONE_MICRO = _dt.timedelta(microseconds=1)
_NAIVE_EPOCH = _EPOCH.replace(tzinfo=None)
_TIMESTAMP_NULL = _I64.pack(-2 ** 63)


def _timestamp_column(values):
    pack = _I64.pack
    return [_TIMESTAMP_NULL if v is None else
            pack((v - (_NAIVE_EPOCH if v.tzinfo is None else _EPOCH)) // _ONE_MICRO)
            for v in values]


_DATE_NULL = _I32.pack(-2 ** 31)


def _date_column(values):
    pack = _I32.pack
    return [_DATE_NULL if v is None else pack((v.year << 16) | (v.month << 8) | v.day)
            for v in values]


_DECIMAL_NULL_BYTES = DECIMAL_NULL.to_bytes(16, "big", signed=True)


def _decimal_column(values):
    return [_DECIMAL_NULL_BYTES if v is None else
            decimal_unscaled(v).to_bytes(16, "big", signed=True) for v in values]


_NULL_LENGTH = _I32.pack(-1)
_NoneType = type(None)
#: type -> (the Python types its column-wise encoder takes, the encoder: values -> the
#: bytes of each value, or None to leave the table to the row-wise encoder)
_COLUMN_ENCODERS = {
    **{t: (frozenset({int, _NoneType}), _int_column(t)) for t in _INT_TYPES},
    VoltType.FLOAT: (frozenset({float, _NoneType}), _packed_column(_F64.pack,
                                                                   _F64.pack(FLOAT_NULL))),
    VoltType.STRING: (frozenset({str, _NoneType}), _string_column),
    VoltType.VARBINARY: (frozenset({bytes, _NoneType}), _bytes_column),
    VoltType.GEOGRAPHY: (frozenset({bytes, _NoneType}), _bytes_column),
    VoltType.TIMESTAMP: (frozenset({_dt.datetime, _NoneType}), _timestamp_column),
    VoltType.DATE: (frozenset({_dt.date, _NoneType}), _date_column),
    VoltType.DECIMAL: (frozenset({decimal.Decimal, _NoneType}), _decimal_column),
    VoltType.BOOLEAN: (frozenset({bool, _NoneType}),
                       lambda values: [b"\x80" if v is None else b"\x01" if v else b"\x00"
                                       for v in values]),
}


def _encode_table_rowwise(table: VoltTable) -> bytes:
    # every value through write_value: the reference for the bytes and the errors
    header = bytearray(_I8.pack(table.status))
    header += _I16.pack(len(table.columns))
    for c in table.columns:
        if c.type not in _COLUMN_TYPES:
            raise EncodeError(f"type code {c.type} cannot be a column type")
        header += _U8.pack(c.type)
    for c in table.columns:
        try:
            _pack_bytes(header, c.name.encode("ascii"))
        except UnicodeEncodeError:
            raise EncodeError(f"column name {c.name!r} is not ASCII") from None
    body = bytearray(_I32.pack(len(header)))
    body += header
    body += _I32.pack(len(table.rows))
    types = [c.type for c in table.columns]
    row = bytearray()
    for values in table.rows:
        if len(values) != len(types):
            raise EncodeError(f"a row of {len(values)} values in a table of {len(types)} "
                              "columns")
        row.clear()
        for t, v in zip(types, values):
            write_value(row, t, v)
        body += _I32.pack(len(row))
        body += row
    return _I32.pack(len(body)) + bytes(body)


def _read_table(r: Reader) -> VoltTable:
    total = r.i32()
    if total < 0 or total > r.remaining:
        raise r.fail(f"table length {total} outside 0..{r.remaining}")
    end = r.pos + total
    header = r.i32()
    header_end = r.pos + header
    status = r.i8()
    count = r.i16()
    if count < 0:
        raise r.fail(f"negative column count {count}")
    types = []
    for _ in range(count):
        code = r.u8()
        if code not in _COLUMN_TYPES:
            raise r.fail(f"unknown column type code {code}")
        types.append(VoltType(code))
    names = []
    for _ in range(count):
        raw = r.bytes_(MAX_VALUE_LENGTH)
        names.append("" if raw is None else raw.decode("ascii", "replace"))
    if r.pos != header_end:
        raise r.fail(f"table header length {header} does not match its columns")
    nrows = r.i32()
    if nrows < 0:
        raise r.fail(f"negative row count {nrows}")
    rows_at = r.pos
    try:
        rows = _read_rows_fast(r, nrows, types)
    except Exception:  # noqa: BLE001 - value by value again, for the reader's own error
        rows = None
    if rows is None:
        r.pos = rows_at
        rows = []
        for _ in range(nrows):
            length = r.i32()
            row_end = r.pos + length
            rows.append(tuple(read_value(r, t) for t in types))
            if r.pos != row_end:
                raise r.fail(f"row length {length} does not match its values")
    if r.pos != end:
        raise r.fail(f"table length {total} does not match its rows")
    return VoltTable([Column(n, t) for n, t in zip(names, types)], rows, status)


#: Fixed-width column types: their struct code and the NULL sentinel as unpacked.
_FIXED = {VoltType.TINYINT: ("b", -2 ** 7), VoltType.SMALLINT: ("h", -2 ** 15),
          VoltType.INTEGER: ("i", -2 ** 31), VoltType.BIGINT: ("q", -2 ** 63),
          VoltType.FLOAT: ("d", FLOAT_NULL), VoltType.TIMESTAMP: ("q", -2 ** 63),
          VoltType.DATE: ("i", -2 ** 31), VoltType.DECIMAL: ("16s", None),
          VoltType.BOOLEAN: ("b", -128)}
_VARIABLE = frozenset({VoltType.STRING, VoltType.VARBINARY})
_row_plans: dict[tuple, list] = {}


def _row_plan(types: tuple) -> list | None:
    """How rows of ``types`` are read: runs of fixed-width columns as one precompiled
    Struct, STRING / VARBINARY columns one by one; None when some type has no fast read."""
    plan = _row_plans.get(types)
    if plan is None:
        plan, codes = [], ""
        for t in types:
            if t in _FIXED:
                codes += _FIXED[t][0]
                continue
            if t not in _VARIABLE:
                return None
            if codes:
                plan.append(struct.Struct(">" + codes))
                codes = ""
            plan.append(t)
        if codes:
            plan.append(struct.Struct(">" + codes))
        if len(_row_plans) < 256:
            _row_plans[types] = plan
    return plan


def _convert_column(t: VoltType, values: tuple) -> tuple | list:
    """Raw unpacked values of one column -> read_value's values (ValueError when one has
    no Python form: the caller reads value by value then)."""
    if t in _INT_TYPES or t == VoltType.FLOAT:
        null = _FIXED[t][1]
        if null not in values:
            return values
        return [None if v == null else v for v in values]
    if t == VoltType.TIMESTAMP:
        present = [v for v in values if v != -2 ** 63]
        if present and not (_MIN_MICROS <= min(present) and max(present) <= _MAX_MICROS):
            raise ValueError("a TIMESTAMP outside the years 1-9999")
        epoch, micro = _EPOCH, _dt.timedelta
        return [None if v == -2 ** 63 else epoch + micro(microseconds=v) for v in values]
    if t == VoltType.DATE:
        date = _dt.date
        return [None if v == -2 ** 31 else date((v >> 16) & 0xFFFF, (v >> 8) & 0xFF, v & 0xFF)
                for v in values]
    if t == VoltType.DECIMAL:
        out = []
        for raw in values:
            v = int.from_bytes(raw, "big", signed=True)
            out.append(None if v == DECIMAL_NULL else
                       decimal.Decimal(v).scaleb(-DECIMAL_SCALE, context=_DECIMAL_CONTEXT))
        return out
    if t == VoltType.BOOLEAN:
        return [None if v == -128 else bool(v) for v in values]
    if t == VoltType.STRING:
        return [None if v is None else v.decode("utf-8") for v in values]
    return values  # VARBINARY: bytes already


def _read_rows_fast(r: Reader, nrows: int, types: list) -> list | None:
    """The ``nrows`` rows at ``r.pos`` read with one plan for the table (:func:`_row_plan`)
    and converted column by column; None (or an exception) when the rows must be read
    value by value instead: a type without a fast read, or anything malformed."""
    if nrows < 8:  # a few rows are read as fast value by value
        return None
    plan = _row_plan(tuple(types))
    if plan is None or not types:
        return None
    data, pos, size = r.data, r.pos, len(r.data)
    unpack_i32 = _I32.unpack_from
    raw_rows = []
    append = raw_rows.append
    steps = [(step.unpack_from, step.size) if isinstance(step, struct.Struct) else (None, 0)
             for step in plan]
    for _ in range(nrows):
        (length,) = unpack_i32(data, pos)
        pos += 4
        row_end = pos + length
        if length < 0 or row_end > size:
            return None
        row: list = []
        for unpack, width in steps:
            if unpack is not None:
                row.extend(unpack(data, pos))
                pos += width
            else:
                (n,) = unpack_i32(data, pos)
                pos += 4
                if n == -1:
                    row.append(None)
                    continue
                if n < -1 or n > MAX_VALUE_LENGTH or pos + n > row_end:
                    return None
                row.append(bytes(data[pos:pos + n]))
                pos += n
        if pos != row_end:
            return None
        append(row)
    if nrows:
        columns = [_convert_column(t, values) for t, values in zip(types, zip(*raw_rows))]
        rows = list(zip(*columns))
    else:
        rows = []
    r.pos = pos
    return rows


def decode_table(data: bytes, error: type[RemoteProtocolError] = ResponseError) -> VoltTable:
    """One serialised table (with its i32 total length) -> VoltTable."""
    r = Reader(data, error)
    table = _read_table(r)
    if r.remaining:
        raise error(f"{r.remaining} bytes after the table")
    return table


# --- serialised exceptions ----------


@dataclass(frozen=True)
class VoltException:
    """A SerializableException in a response (bit 6; VoltDB/voltdb exceptions/*.java).

    ``type``: :class:`ExceptionType`; ``message``; EE_EXCEPTION adds ``error_code`` (i32);
    SQL_EXCEPTION ``sql_state`` (5 ASCII characters); CONSTRAINT_FAILURE also
    ``constraint_type`` (:class:`ConstraintType`), ``table_name`` and ``tuples`` (the
    offending rows as a serialised table buffer). Other types keep their subclass bytes in
    ``payload``."""

    type: ExceptionType
    message: str = ""
    error_code: int | None = None
    sql_state: str | None = None
    constraint_type: int | None = None
    table_name: str | None = None
    tuples: bytes = b""
    payload: bytes = b""

    def encode(self) -> bytes:
        body = bytearray(_I8.pack(self.type))
        _pack_bytes(body, self.message.encode("utf-8"))
        t = self.type
        if t == ExceptionType.EE_EXCEPTION:
            body += _I32.pack(self.error_code or 0)
        elif t in (ExceptionType.SQL_EXCEPTION, ExceptionType.CONSTRAINT_FAILURE):
            state = (self.sql_state or "00000").encode("ascii")
            if len(state) != 5:
                raise EncodeError(f"SQL state {self.sql_state!r} is not 5 characters")
            body += state
            if t == ExceptionType.CONSTRAINT_FAILURE:
                body += _I32.pack(self.constraint_type or 0)
                _pack_bytes(body, (self.table_name or "").encode("ascii", "replace"))
                _pack_bytes(body, self.tuples)
        else:
            body += self.payload
        return _I32.pack(len(body)) + bytes(body)

    @classmethod
    def read(cls, r: Reader) -> VoltException | None:
        length = r.i32()
        if length == 0:
            return None
        if length < 0 or length > r.remaining:
            raise r.fail(f"exception length {length} outside 0..{r.remaining}")
        end = r.pos + length
        code = r.i8()
        try:
            t = ExceptionType(code)
        except ValueError:
            raise r.fail(f"unknown exception type {code}") from None
        raw = r.bytes_() or b""
        message = raw.decode("utf-8", "replace")
        kw: dict[str, Any] = {}
        if t == ExceptionType.EE_EXCEPTION:
            kw["error_code"] = r.i32()
        elif t in (ExceptionType.SQL_EXCEPTION, ExceptionType.CONSTRAINT_FAILURE):
            kw["sql_state"] = r.take(5).decode("ascii", "replace")
            if t == ExceptionType.CONSTRAINT_FAILURE:
                kw["constraint_type"] = r.i32()
                name = r.bytes_()
                kw["table_name"] = None if name is None else name.decode("ascii", "replace")
                kw["tuples"] = r.bytes_() or b""
        else:
            kw["payload"] = r.take(end - r.pos)
        if r.pos != end:
            raise r.fail(f"exception length {length} does not match its fields")
        return cls(t, message, **kw)


# --- events ----------


def password_digest(password: str, scheme: AuthScheme = AuthScheme.HASH_SHA256) -> bytes:
    """The raw digest a login carries: SHA-1 (20 bytes) or SHA-256 (32) of the UTF-8
    password (voltdb.md 2.1)."""
    data = password.encode("utf-8")
    if scheme == AuthScheme.HASH_SHA1:
        return hashlib.sha1(data).digest()
    if scheme == AuthScheme.HASH_SHA256:
        return hashlib.sha256(data).digest()
    raise EncodeError(f"no password digest for {AuthScheme(scheme).name}")


@dataclass(frozen=True)
class Login(Event):
    """The login request (voltdb.md 2.1): ``version`` 0 (SHA-1 only, no scheme byte) or 1;
    ``scheme`` :class:`AuthScheme`; ``service`` ("database"); ``username`` ("" for none);
    ``digest`` the raw password hash (20 or 32 bytes)."""

    username: str = ""
    digest: bytes = hashlib.sha256(b"").digest()
    service: str = SERVICE_DATABASE
    scheme: AuthScheme = AuthScheme.HASH_SHA256
    version: int = 1

    @classmethod
    def with_password(cls, username: str, password: str,
                      scheme: AuthScheme = AuthScheme.HASH_SHA256) -> Login:
        """A version-1 login carrying the ``scheme`` digest of ``password`` (a version-0
        login is built directly: ``Login(user, sha1_digest, scheme=HASH_SHA1, version=0)``)."""
        return cls(username, password_digest(password, scheme), SERVICE_DATABASE, scheme, 1)


@dataclass(frozen=True)
class LoginResponse(Event):
    """The login answer (voltdb.md 2.2). ``status`` :class:`LoginStatus`; on SUCCESS the
    node's ``host_id``, the ``connection_id``, the cluster instance id (``cluster_start``
    ms since the epoch, ``leader_address`` IPv4 as a signed i32) and ``build_string``."""

    status: int = LoginStatus.SUCCESS
    host_id: int = 0
    connection_id: int = 0
    cluster_start: int = 0
    leader_address: int = 0x7F000001
    build_string: str = ""


@dataclass(frozen=True)
class Invocation(Event):
    """A procedure invocation (voltdb.md 3.1): ``procedure`` name, ``client_handle``
    (echoed in the response), ``parameters`` (:class:`Parameter`; plain values are
    inferred when sending); ``version`` 0, 1 (``batch_timeout`` ms or None) or 2
    (``extensions``: ``(type, payload bytes)`` pairs; BATCH_TIMEOUT also sets
    ``batch_timeout``)."""

    procedure: str
    client_handle: int
    parameters: tuple = ()
    version: int = 0
    batch_timeout: int | None = None
    extensions: tuple = ()


@dataclass(frozen=True)
class ClientResponse(Event):
    """A procedure response (voltdb.md 4.1): ``status`` (:class:`Status`), optional
    ``status_string``, ``app_status`` (-128 = not set), optional ``app_status_string``,
    ``cluster_round_trip`` (ms), optional serialised ``exception`` and ``tables``."""

    client_handle: int
    status: int = Status.SUCCESS
    status_string: str | None = None
    app_status: int = -128
    app_status_string: str | None = None
    cluster_round_trip: int = 0
    exception: VoltException | None = None
    tables: tuple = ()


# --- encoders and decoders of the four messages ----------


def encode_login(ev: Login) -> bytes:
    if ev.version not in (0, 1):
        raise EncodeError(f"login version {ev.version} is not 0 or 1")
    out = bytearray(_U8.pack(ev.version))
    if ev.version == 1:
        out += _U8.pack(ev.scheme)
    elif ev.scheme != AuthScheme.HASH_SHA1:
        raise EncodeError("a version-0 login carries a SHA-1 digest only")
    _pack_str(out, ev.service)
    _pack_str(out, ev.username)
    if len(ev.digest) != _DIGEST_LENGTH[AuthScheme(ev.scheme)]:
        raise EncodeError(f"a {AuthScheme(ev.scheme).name} digest has "
                          f"{_DIGEST_LENGTH[AuthScheme(ev.scheme)]} bytes, not {len(ev.digest)}")
    out += ev.digest
    return bytes(out)


def decode_login(body: bytes) -> Login:
    """RequestError with the LoginStatus VoltDB answers (ClientInterface.authenticate)."""
    r = Reader(body)
    fmt = LoginStatus.WIRE_PROTOCOL_FORMAT_ERROR
    try:
        version = r.u8()
        if version > 1:
            raise RequestError(f"login version {version} is not 0 or 1", login_status=fmt)
        scheme = AuthScheme.HASH_SHA1
        if version == 1:
            code = r.u8()
            try:
                scheme = AuthScheme(code)
            except ValueError:
                raise RequestError(f"unknown authentication scheme {code}",
                                   login_status=fmt) from None
        service = r.string(MAX_VALUE_LENGTH)
        username = r.string(MAX_VALUE_LENGTH)
    except RequestError as exc:
        if exc.login_status is None:
            exc.login_status = fmt
        raise
    want = _DIGEST_LENGTH[scheme]
    if r.remaining != want:
        raise RequestError(f"a {scheme.name} login needs {want} digest bytes, "
                           f"{r.remaining} remain", login_status=LoginStatus.AUTHENTICATION_FAILURE)
    return Login(username or "", r.take(want), service or "", scheme, version)


def encode_login_response(ev: LoginResponse) -> bytes:
    if ev.status != LoginStatus.SUCCESS:
        return _U8.pack(0) + _I8.pack(ev.status)  # never version 2 (Kerberos, 2.2)
    out = bytearray(b"\x00\x00")
    out += _I32.pack(ev.host_id) + _I64.pack(ev.connection_id) + _I64.pack(ev.cluster_start)
    out += _I32.pack(ev.leader_address)
    _pack_str(out, ev.build_string)
    return bytes(out)


def decode_login_response(body: bytes) -> LoginResponse:
    r = Reader(body, ResponseError)
    version = r.u8()
    status = r.i8()
    if version != 0:
        raise ResponseError(f"login response version {version} (Kerberos handshakes are "
                            "not supported)")
    if status != LoginStatus.SUCCESS:
        return LoginResponse(status)
    ev = LoginResponse(status, r.i32(), r.i64(), r.i64(), r.i32(), r.string() or "")
    if r.remaining:
        raise ResponseError(f"{r.remaining} bytes after the login response")
    return ev


def _extension_size(code: int) -> int:
    return 0 if code == 0 else 1 << (code - 1)


def encode_invocation(ev: Invocation) -> bytes:
    if not ev.procedure:
        raise EncodeError("a procedure name must not be empty")
    if not -2 ** 63 <= ev.client_handle < 2 ** 63:
        raise EncodeError(f"client handle {ev.client_handle} is not an i64")
    out = bytearray(_U8.pack(ev.version))
    if ev.version == 1:
        if ev.batch_timeout is None:
            out += b"\x00"
        else:
            out += b"\x01" + _I32.pack(ev.batch_timeout)
    elif ev.version not in (0, 2):
        raise EncodeError(f"invocation version {ev.version} is not 0, 1 or 2")
    _pack_str(out, ev.procedure)
    out += _I64.pack(ev.client_handle)
    if ev.version == 2:
        exts = list(ev.extensions)
        if ev.batch_timeout is not None and not any(t == Extension.BATCH_TIMEOUT
                                                    for t, _ in exts):
            exts.insert(0, (Extension.BATCH_TIMEOUT, _I32.pack(ev.batch_timeout)))
        if len(exts) > 30:
            raise EncodeError("more than 30 invocation extensions")
        out += _I8.pack(len(exts))
        for t, payload in exts:
            n = len(payload)
            if n and (n & (n - 1) or n > 2 ** 30):
                raise EncodeError(f"extension payload of {n} bytes is not a power of two")
            out += _U8.pack(t) + _U8.pack(0 if n == 0 else n.bit_length())
            out += payload
    out += encode_parameters(ev.parameters)
    return bytes(out)


def decode_invocation(body: bytes) -> Invocation:
    r = Reader(body)
    version = r.u8()
    if version not in (0, 1, 2):
        raise RequestError(f"invocation version {version} is not 0, 1 or 2")
    batch_timeout = None
    if version == 1:
        kind = r.u8()
        if kind == 1:
            batch_timeout = r.i32()
        elif kind != 0:
            raise RequestError(f"unknown batch timeout type {kind}")
    procedure = r.string(MAX_VALUE_LENGTH)
    handle = r.i64()
    try:
        if not procedure:
            raise RequestError("the procedure name is empty")
        extensions = []
        if version == 2:
            count = r.i8()
            if not 0 <= count <= 30:
                raise RequestError(f"extension count {count} outside 0..30")
            for _ in range(count):
                t, code = r.u8(), r.u8()
                if code > 31:
                    raise RequestError(f"extension size code {code} is too large")
                payload = r.take(_extension_size(code))
                if t == Extension.BATCH_TIMEOUT and len(payload) == 4:
                    batch_timeout = _I32.unpack(payload)[0]
                extensions.append((t, payload))
        params = tuple(decode_parameters(r))
        if r.remaining:
            raise RequestError(f"{r.remaining} bytes after the parameters")
    except RequestError as exc:
        exc.client_handle = handle
        raise
    return Invocation(procedure, handle, params, version, batch_timeout, tuple(extensions))


def encode_response(ev: ClientResponse) -> bytes:
    present = 0
    if ev.app_status_string is not None:
        present |= 0x80
    if ev.exception is not None:
        present |= 0x40
    if ev.status_string is not None:
        present |= 0x20
    out = bytearray(b"\x00")
    out += _I64.pack(ev.client_handle) + _U8.pack(present) + _I8.pack(ev.status)
    if ev.status_string is not None:
        _pack_str(out, ev.status_string)
    out += _I8.pack(ev.app_status)
    if ev.app_status_string is not None:
        _pack_str(out, ev.app_status_string)
    out += _I32.pack(ev.cluster_round_trip)
    if ev.exception is not None:
        out += ev.exception.encode()
    if len(ev.tables) > 32767:
        raise EncodeError("more than 32767 tables")
    out += _I16.pack(len(ev.tables))
    for t in ev.tables:
        out += encode_table(t)
    return bytes(out)


def decode_response(body: bytes) -> ClientResponse:
    r = Reader(body, ResponseError)
    version = r.u8()
    if version != 0:
        raise ResponseError(f"response version {version} is not 0")
    handle = r.i64()
    present = r.u8()
    if present & 0x10:
        raise ResponseError("hash arrays (fieldsPresent bit 4) are not understood")
    status = r.i8()
    status_string = r.string() if present & 0x20 else None
    app_status = r.i8()
    app_status_string = r.string() if present & 0x80 else None
    rtt = r.i32()
    exception = VoltException.read(r) if present & 0x40 else None
    n = r.i16()
    if n < 0:
        raise ResponseError(f"negative table count {n}")
    tables = tuple(_read_table(r) for _ in range(n))
    if r.remaining:
        raise ResponseError(f"{r.remaining} bytes after the tables")
    return ClientResponse(handle, status, status_string, app_status, app_status_string, rtt,
                          exception, tables)


# --- the connection object ----------


class VoltConnection:
    """One side of one VoltDB connection (see the module docstring).

    The first frame each way is the login; after that, invocations go to the server and
    responses come back (in any order; match them by ``client_handle``). ``max_frame_size``
    bounds received frames (RemoteProtocolError before any of the body is buffered) and
    sent ones (EncodeError). ``next_event`` raises :class:`RequestError` (server side) or
    :class:`ResponseError` (client side); after a framing error or a failed login the
    connection is over (``broken``); a RequestError with a ``client_handle`` leaves it
    usable.
    """

    def __init__(self, side: Side, max_frame_size: int = MAX_FRAME_SIZE):
        self.side = side
        self._frames = LengthPrefixedFrames(max_frame_size)
        self.logged_in = False
        self._login_sent = False
        self.broken = False

    @property
    def max_frame_size(self) -> int:
        return self._frames.max_size

    def receive_data(self, data: bytes) -> None:
        self._frames.receive_data(data)

    def next_event(self) -> Event | NeedData:
        if self.broken:
            raise self._error("the connection is broken")
        try:
            body = self._frames.next_frame()
        except RemoteProtocolError as exc:
            self.broken = True
            raise self._error(str(exc)) from None
        if body is None:
            return NEED_DATA
        if self.side is Side.SERVER:
            if not self.logged_in:
                try:
                    ev = decode_login(body)
                except RequestError:
                    self.broken = True
                    raise
                self.logged_in = True
                return ev
            try:
                return decode_invocation(body)
            except RequestError as exc:
                if exc.client_handle is None:
                    self.broken = True
                raise
        try:
            if not self.logged_in:
                ev = decode_login_response(body)
                if ev.status != LoginStatus.SUCCESS:
                    self.broken = True
                else:
                    self.logged_in = True
                return ev
            return decode_response(body)
        except ResponseError:
            self.broken = True
            raise

    def _error(self, message: str) -> RemoteProtocolError:
        return (RequestError if self.side is Side.SERVER else ResponseError)(message)

    def send(self, event: Event) -> bytes:
        """The frame (length + body) of ``event``; EncodeError for an event this side
        cannot send now or a value with no wire form."""
        if self.side is Side.CLIENT:
            if isinstance(event, Login):
                if self._login_sent:
                    raise EncodeError("the login was already sent")
                body = encode_login(event)
                self._login_sent = True
            elif isinstance(event, Invocation):
                if not self._login_sent:
                    raise EncodeError("an invocation before the login")
                body = encode_invocation(event)
            else:
                raise EncodeError(f"a client cannot send {type(event).__name__}")
        else:
            if isinstance(event, LoginResponse):
                body = encode_login_response(event)
            elif isinstance(event, ClientResponse):
                body = encode_response(event)
            else:
                raise EncodeError(f"a server cannot send {type(event).__name__}")
        try:
            return self._frames.frame(body)
        except LocalProtocolError as exc:
            raise EncodeError(str(exc)) from None
