"""CrateDB HTTP endpoint codec, sans I/O: request and response shapes of ``POST /_sql``,
and CrateDB's JSON value forms in both directions.

Shared by the reference driver (client side) and the mock server (server side). Nothing here
opens a socket. Source: ``protocols/cratedb.md`` (sections 1-4), which follows crate/crate
``SqlHttpHandler``, ``SQLRequestParser``, ``ResultToXContentBuilder`` and ``HttpErrorStatus``.
HTTP does the framing (aiohttp in the mock, urllib3 in the driver), so the codec shape of
drivers/wire/__init__.py reduces to functions over whole bodies: parse / encode a request,
encode / decode a response, and the value tables.

Errors come in pairs (drivers/wire/base.py):
- :class:`EncodeError` (a :class:`LocalProtocolError`) - a value our own side cannot put on
  the wire;
- :class:`RequestError` (a :class:`RemoteProtocolError`) - a request body the server must
  refuse; it carries CrateDB's error ``code`` and message text;
- :class:`ResponseError` (a :class:`RemoteProtocolError`) - a response the client cannot
  read;
- :class:`CastError` (a :class:`RemoteProtocolError`) - a parameter value that does not fit
  the type it meets (CrateDB answers ``Cannot cast value``).

Values (cratedb.md 4): one section per type family, each with both directions. Request
``args``: :func:`encode_param` (client) -> :func:`decode_param` (server). Result ``rows``:
:func:`encode_value` (server) -> :func:`value_decoder` (client).
"""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import ipaddress
import json
import math as _math
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import orjson

from dbapi_conformance.drivers.wire.base import LocalProtocolError, RemoteProtocolError

SQL_PATH = "/_sql"
DEFAULT_PORT = 4200
DEFAULT_SCHEMA = "doc"
DEFAULT_USER = "crate"
JSON_CONTENT_TYPE = "application/json; charset=UTF-8"
DEFAULT_SCHEMA_HEADER = "Default-Schema"

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_DATE = _dt.date(1970, 1, 1)


class DataType(enum.IntEnum):
    """``col_types`` ids (cratedb.md 4.1; crate/crate ``io.crate.types.*Type.ID``)."""

    UNDEFINED = 0
    NOT_SUPPORTED = 1
    CHAR = 2
    BOOLEAN = 3
    TEXT = 4
    IP = 5
    DOUBLE = 6
    REAL = 7
    SMALLINT = 8
    INTEGER = 9
    BIGINT = 10
    TIMESTAMP_WITH_TZ = 11
    OBJECT = 12
    GEO_POINT = 13
    GEO_SHAPE = 14
    TIMESTAMP_WITHOUT_TZ = 15
    UNCHECKED_OBJECT = 16
    INTERVAL = 17
    ROW = 18
    REGPROC = 19
    TIMETZ = 20
    OIDVECTOR = 21
    NUMERIC = 22
    REGCLASS = 23
    DATE = 24
    BIT = 25
    JSON = 26
    CHARACTER = 27
    FLOAT_VECTOR = 28
    UUID = 29
    REGTYPE = 30
    ARRAY = 100


#: SQL type names as CrateDB prints them (``information_schema.columns.data_type``).
TYPE_NAMES: dict[DataType, str] = {
    DataType.UNDEFINED: "undefined",
    DataType.CHAR: '"char"',
    DataType.BOOLEAN: "boolean",
    DataType.TEXT: "text",
    DataType.IP: "ip",
    DataType.DOUBLE: "double precision",
    DataType.REAL: "real",
    DataType.SMALLINT: "smallint",
    DataType.INTEGER: "integer",
    DataType.BIGINT: "bigint",
    DataType.TIMESTAMP_WITH_TZ: "timestamp with time zone",
    DataType.OBJECT: "object",
    DataType.GEO_POINT: "geo_point",
    DataType.GEO_SHAPE: "geo_shape",
    DataType.TIMESTAMP_WITHOUT_TZ: "timestamp without time zone",
    DataType.INTERVAL: "interval",
    DataType.TIMETZ: "time with time zone",
    DataType.NUMERIC: "numeric",
    DataType.DATE: "date",
    DataType.BIT: "bit",
    DataType.JSON: "json",
    DataType.CHARACTER: "character",
    DataType.FLOAT_VECTOR: "float_vector",
    DataType.UUID: "uuid",
}

ColType = int | list  # a bare id, or [100, <inner ColType>] for arrays


class ErrorCode(enum.IntEnum):
    """CrateDB error codes (cratedb.md 3.2; crate/crate ``HttpErrorStatus``)."""

    STATEMENT_INVALID_OR_UNSUPPORTED_SYNTAX = 4000
    INVALID_ANALYZER_DEFINITION = 4001
    RELATION_INVALID_NAME = 4002
    FIELD_VALIDATION_FAILED = 4003
    POSSIBLE_FEATURE_NOT_SUPPORTED_YET = 4004
    ALTER_TABLE_USING_ALIAS_NOT_SUPPORTED = 4005
    COLUMN_ALIAS_IS_AMBIGUOUS = 4006
    RELATION_OPERATION_NOT_SUPPORTED = 4007
    COLUMN_NAME_INVALID = 4008
    USER_NOT_AUTHORIZED_TO_PERFORM_STATEMENT = 4010
    MISSING_USER_PRIVILEGES = 4011
    ONLY_READ_OPERATION_ALLOWED_ON_THIS_NODE = 4031
    UNKNOWN_RESOURCE = 4040
    UNKNOWN_RELATION = 4041
    UNKNOWN_ANALYZER = 4042
    UNKNOWN_COLUMN = 4043
    UNKNOWN_TYPE = 4044
    UNKNOWN_SCHEMA = 4045
    UNKNOWN_PARTITION = 4046
    UNKNOWN_FUNCTION = 4049
    UNKNOWN_USER = 40410
    DOCUMENT_NOT_FOUND = 40411
    CONFLICT = 4090
    DUPLICATE_PRIMARY_KEY = 4091
    VERSION_CONFLICT = 4092
    RELATION_ALREADY_EXISTS = 4093
    USER_ALREADY_EXISTS = 4099
    DUPLICATE_OBJECT = 40910
    TOO_MANY_REQUESTS = 4290
    UNHANDLED_SERVER_ERROR = 5000
    TASK_EXECUTION_FAILED = 5001
    SHARDS_NOT_AVAILABLE = 5002
    QUERY_FAILED_ON_SHARDS = 5003
    QUERY_KILLED = 5005
    SERVICE_UNAVAILABLE = 5030


def http_status(code: int) -> int:
    """HTTP status of an error ``code``: the first three digits (4041 -> 404, 40410 -> 404).

    Source: cratedb.md 3.2 ("the HTTP status follows the code family").
    """
    return int(str(code)[:3])


def error_message(exception_name: str, text: str) -> str:
    """CrateDB's message format ``Name[text]`` (cratedb.md 3.1)."""
    return f"{exception_name}[{text}]"


class RequestError(RemoteProtocolError):
    """A ``/_sql`` request the server refuses; ``code`` is CrateDB's error code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class ResponseError(RemoteProtocolError):
    """A response the client cannot read (not JSON, or not the shape of cratedb.md 1.2)."""


class EncodeError(LocalProtocolError, TypeError):
    """A parameter value that has no JSON form CrateDB accepts (cratedb.md 4.2).

    ``kind`` says why: "binary" (bytes: CrateDB has no binary SQL type), "value" (a value
    of a supported type that is out of range, such as an int beyond 64 bits or a
    non-finite Decimal) or "type" (a type with no JSON form).
    """

    def __init__(self, message: str, kind: str = "type"):
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------------------------------
# Requests


@dataclass(frozen=True)
class SQLRequest:
    """A decoded ``POST /_sql`` body (cratedb.md 1.1).

    ``bulk_args`` is None for a single statement. Per the routing rule, a request that has
    ``args`` (even empty) or no ``bulk_args`` runs as a single statement.
    """

    stmt: str
    args: list = field(default_factory=list)
    bulk_args: list[list] | None = None


#: The most of a refused body an error message repeats (CrateDB repeats it whole).
ECHO_LIMIT = 1000
#: Nesting depth of a request body that CrateDB's JSON parser (Jackson's
#: StreamReadConstraints) accepts; the top-level object counts as 1.
MAX_JSON_DEPTH = 1000


def _cant_parse(body: bytes) -> RequestError:
    # CrateDB puts the whole body into the message; a server that holds many such answers
    # at once needs a bound, so past ECHO_LIMIT characters the rest is left out ("...").
    shown = body[:ECHO_LIMIT * 4].decode("utf-8", "replace")
    if len(shown) > ECHO_LIMIT or len(body) > ECHO_LIMIT * 4:
        shown = shown[:ECHO_LIMIT] + "..."
    return RequestError(
        ErrorCode.STATEMENT_INVALID_OR_UNSUPPORTED_SYNTAX,
        error_message(
            "SQLParseException",
            f"Can't parse [{shown}]. Expecting payload with `stmt` string "
            "and `args` or `bulk_args` arrays",
        ),
    )


_SQUARE = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(set(range(256)) - set(b'[]{}"'))


def _nested_deeper(body: bytes, limit: int) -> bool:
    """Whether the containers of a valid JSON text nest more than ``limit`` levels (the
    outermost counts 1). Works on the text in C-speed passes: drop escaped backslashes and
    quotes, keep only quotes and brackets, drop what is between quotes, then strip the
    innermost ``[]`` pairs once per level."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    text = body.translate(None, _NOT_STRUCTURE)
    brackets = b"".join(text.split(b'"')[::2]).translate(_SQUARE)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


def parse_sql_request(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> SQLRequest:
    """Decode a ``/_sql`` request body (already decompressed).

    Raises :class:`RequestError` (code 4000) with CrateDB's own messages for an empty body,
    invalid JSON (including JSON nested more than ``max_depth`` levels), a wrong shape, a
    missing ``stmt`` or both ``args`` and ``bulk_args`` non-empty (cratedb.md 1.1). The
    ``Can't parse`` message repeats at most :data:`ECHO_LIMIT` characters of the body.
    """
    if not body or not body.strip():
        raise RequestError(4000, error_message("SQLParseException", "Missing request body"))
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _cant_parse(body) from None
    if not isinstance(payload, dict) or _nested_deeper(body, max_depth):
        raise _cant_parse(body)
    unknown = [k for k in payload if k not in ("stmt", "args", "bulk_args")]
    if unknown:
        raise _cant_parse(body)
    if "stmt" not in payload:
        raise RequestError(4000, error_message("SQLParseException", "Field [stmt] is missing"))
    stmt, args, bulk = payload["stmt"], payload.get("args"), payload.get("bulk_args")
    if not isinstance(stmt, str):
        raise _cant_parse(body)
    if args is not None and not isinstance(args, list):
        raise _cant_parse(body)
    if bulk is not None and not (
        isinstance(bulk, list) and all(isinstance(row, list) for row in bulk)
    ):
        raise _cant_parse(body)
    if args and bulk:
        raise RequestError(
            4000,
            error_message(
                "SQLParseException",
                "request body contains args and bulk_args. It's forbidden to provide both",
            ),
        )
    if args is not None or bulk is None:
        return SQLRequest(stmt, args or [], None)
    return SQLRequest(stmt, [], bulk)


def flag_set(value: str | None) -> bool:
    """Whether a query flag (``types``, ``error_trace``) is on: bare or ``true`` (1.1)."""
    return value is not None and value.lower() in ("", "true")


def _default(value: Any) -> Any:
    # orjson calls this only for types it cannot serialise itself.
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            raise EncodeError(f"cannot send non-finite Decimal {value!r} to CrateDB", "value")
        return str(value)
    if isinstance(value, (uuid.UUID, ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise EncodeError(
            "CrateDB has no binary SQL type; encode bytes yourself (e.g. base64 text)",
            "binary",
        )
    raise EncodeError(f"cannot send a value of type {type(value).__name__} to CrateDB")


_PLAIN = frozenset((str, int, bool, type(None)))


def encode_param(value: Any) -> Any:
    """One parameter value in the JSON form CrateDB reads (cratedb.md 4.2); the request
    direction's client half, :func:`decode_param` is the server's.

    datetime -> epoch milliseconds (naive = UTC wall clock; aware = its UTC instant),
    date -> epoch milliseconds at midnight UTC, time -> ISO text, Decimal/UUID -> text,
    NaN and infinite floats -> "NaN", "Infinity", "-Infinity" (JSON has no such numbers;
    the server casts the text where a double is expected).
    Bytes and other unsupported types raise :class:`EncodeError` when the request is
    encoded (:func:`encode_sql_request`).
    """
    if type(value) in _PLAIN:
        return value
    if isinstance(value, float):
        return float_to_wire(value)
    if isinstance(value, _dt.datetime):
        return timestamp_to_wire(value)
    if isinstance(value, _dt.date):
        return date_to_wire(value)
    if isinstance(value, _dt.time):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [encode_param(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_param(v) for k, v in value.items()}
    return value


def encode_sql_request(
    stmt: str, args: Sequence | None = None, bulk_args: Iterable[Sequence] | None = None
) -> bytes:
    """Encode a ``/_sql`` body; empty ``args`` or ``bulk_args`` are left out.

    Raises :class:`EncodeError` for a value with no JSON form.
    """
    payload: dict[str, Any] = {"stmt": stmt}
    if args:
        payload["args"] = [encode_param(v) for v in args]
    if bulk_args is not None:
        payload["bulk_args"] = [[encode_param(v) for v in row] for row in bulk_args]
    try:
        return orjson.dumps(payload, default=_default)
    except TypeError as exc:  # orjson wraps errors from _default
        if isinstance(exc.__cause__, EncodeError):
            raise exc.__cause__ from None
        kind = "value" if "64-bit" in str(exc) else "type"  # orjson: int beyond 64 bits
        raise EncodeError(str(exc), kind) from None


# ---------------------------------------------------------------------------------------
# Responses (server side)


def _dumps(payload: dict) -> bytes:
    try:
        return orjson.dumps(payload, default=_default, option=orjson.OPT_NON_STR_KEYS)
    except TypeError as exc:
        if "Recursion limit" not in str(exc):
            raise
    # orjson stops at 255 levels; CrateDB's JSON writer allows 1000 (and so does json)
    return json.dumps(payload, default=_default, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()


def encode_result(
    cols: Sequence[str],
    col_types: Sequence[ColType] | None,
    rows: Sequence[Sequence],
    duration: float,
) -> bytes:
    """A result-set response: ``cols``, ``col_types`` (only when asked), ``rows``,
    ``rowcount`` (= number of rows), ``duration`` (float ms). Key order as in 1.2."""
    payload: dict[str, Any] = {"cols": list(cols)}
    if col_types is not None:
        payload["col_types"] = list(col_types)
    payload["rows"] = rows
    payload["rowcount"] = len(rows)
    payload["duration"] = float(duration)
    return _dumps(payload)


def encode_rowcount(rowcount: int, duration: float, types: bool) -> bytes:
    """A response to a statement without a result set: ``rows`` is ``[[]]`` (1.2)."""
    payload: dict[str, Any] = {"cols": []}
    if types:
        payload["col_types"] = []
    payload["rows"] = [[]]
    payload["rowcount"] = rowcount
    payload["duration"] = float(duration)
    return _dumps(payload)


def bulk_item(rowcount: int, error: tuple[int, str] | None = None) -> dict:
    """One ``results`` entry of a bulk response; failed items have rowcount -2 (1.2)."""
    if error is None:
        return {"rowcount": rowcount}
    return {"rowcount": -2, "error": {"code": error[0], "message": error[1]}}


def encode_bulk(results: Sequence[dict], duration: float) -> bytes:
    """A bulk response: ``cols`` ``[]``, ``duration``, ``results`` (no rows, no col_types)."""
    return _dumps({"cols": [], "duration": float(duration), "results": list(results)})


def encode_error(code: int, message: str, error_trace: str | None = None) -> bytes:
    """An error body ``{"error":{"message":..,"code":..}}`` plus ``error_trace`` when asked
    (3.1). The HTTP status is :func:`http_status` of ``code``."""
    payload: dict[str, Any] = {"error": {"message": message, "code": int(code)}}
    if error_trace is not None:
        payload["error_trace"] = error_trace
    return _dumps(payload)


def encode_server_info(
    node_name: str,
    cluster_name: str,
    version: str,
    build_hash: str,
    build_timestamp: str,
    lucene_version: str,
    status: int = 200,
) -> bytes:
    """The ``GET /`` body: pretty-printed, 2-space indent, ``" : "`` separators (1.3)."""
    payload = {
        "ok": status == 200,
        "status": status,
        "name": node_name,
        "cluster_name": cluster_name,
        "version": {
            "number": version,
            "build_hash": build_hash,
            "build_timestamp": build_timestamp,
            "build_snapshot": False,
            "lucene_version": lucene_version,
        },
    }
    # UTF-8 as Jackson writes it: node names such as "Großes Wiesbachhorn" are not escaped
    text = json.dumps(payload, indent=2, separators=(",", " : "), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------
# Responses (client side)


@dataclass
class SQLResponse:
    """A decoded successful ``/_sql`` response.

    ``rows`` is None for bulk responses; ``results`` is None otherwise. ``col_types`` is
    None when the server did not send them.
    """

    cols: list[str]
    col_types: list | None
    rows: list[list] | None
    rowcount: int
    duration: float
    results: list[dict] | None = None


@dataclass
class ServerError:
    """A decoded CrateDB error response (3.1)."""

    code: int | None
    message: str
    http_status: int
    error_trace: str | None = None


def _mentions_numeric(col_type: Any) -> bool:
    if isinstance(col_type, list):
        return any(_mentions_numeric(t) for t in col_type)
    return col_type == DataType.NUMERIC


def _exact_json(body: bytes) -> Any:
    """``body`` parsed with every fractional number as a Decimal and integers unbounded."""
    try:
        return json.loads(body, parse_float=decimal.Decimal)
    except (ValueError, RecursionError) as exc:
        raise ResponseError(f"invalid JSON in CrateDB response: {exc}") from None


def _as_float(value: Any) -> Any:
    if value.__class__ is decimal.Decimal:
        return float(value)
    if isinstance(value, list):
        return [_as_float(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_float(v) for k, v in value.items()}
    return value


def _exact_rows(body: bytes, col_types: list) -> list | None:
    """The rows of ``body`` with NUMERIC columns' numbers exact (Decimal) and every other
    column's fractional numbers floats, as the fast parse gives them (cratedb.md 4.1:
    NUMERIC travels as a JSON number with all its digits)."""
    rows = _exact_json(body).get("rows")
    if not isinstance(rows, list):
        return rows
    exact = [_mentions_numeric(t) for t in col_types]
    return [[v if keep else _as_float(v) for v, keep in zip(row, exact)]
            if isinstance(row, list) else row for row in rows]


def decode_response(body: bytes) -> SQLResponse:
    """Decode a 2xx ``/_sql`` body. Raises :class:`ResponseError` for anything else.

    Numbers are parsed as floats and 64-bit integers (fast), except in responses with a
    NUMERIC column, whose values keep every digit (Decimal; integers of any size)."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "64-bit" not in str(exc):
            raise ResponseError(f"invalid JSON in CrateDB response: {exc}") from None
        payload = _exact_json(body)  # an integer beyond 64 bits, as NUMERIC sends them
    if not isinstance(payload, dict) or not isinstance(payload.get("cols"), list):
        raise ResponseError(f"unexpected CrateDB response shape: {body[:200]!r}")
    duration = payload.get("duration", -1)
    if "results" in payload:
        results = payload["results"]
        if not isinstance(results, list):
            raise ResponseError("CrateDB bulk response: 'results' is not a list")
        return SQLResponse(payload["cols"], None, None, -1, duration, results)
    rows = payload.get("rows")
    col_types = payload.get("col_types")
    if isinstance(col_types, list) and _mentions_numeric(col_types):
        rows = _exact_rows(body, col_types)
    if not isinstance(rows, list):
        raise ResponseError("CrateDB response has no 'rows' list")
    return SQLResponse(payload["cols"], col_types, rows, payload.get("rowcount", -1), duration)


def decode_error(status: int, content_type: str | None, body: bytes) -> ServerError:
    """Decode an error response of any status: JSON ``error`` objects keep their ``code``;
    plain-text bodies (401 from the auth layer, 5xx from Netty) keep their text (3.1)."""
    if content_type and content_type.startswith("application/json"):
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            payload = None
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            err = payload["error"]
            return ServerError(
                err.get("code"), str(err.get("message", "")), status, payload.get("error_trace")
            )
    text = body.decode("utf-8", "replace").strip()
    return ServerError(None, text or f"HTTP {status}", status)


# ---------------------------------------------------------------------------------------
# Values (cratedb.md 4), one section per type family, both directions of each.
#
# Request ``args``: the client's encode_param (above) -> the server's decode_param, which
# casts the JSON value to the type of the column it meets, leniently as CrateDB does.
# Result ``rows``: the server's encode_value -> the client's value_decoder.


class CastError(RemoteProtocolError):
    """A parameter ``value`` (as received) that does not fit ``col_type`` (the type where
    it failed: the element type inside an array). CrateDB answers 4000
    ``SQLParseException[Cannot cast value `v` to type `t`]`` (cratedb.md 4.2); the mock
    words the message with its type names."""

    def __init__(self, value: Any, col_type: ColType):
        super().__init__(f"Cannot cast value `{value}` to type `{col_type}`")
        self.value = value
        self.col_type = col_type


_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
_timedelta = _dt.timedelta


# --- temporal: TIMESTAMP WITH TIME ZONE (11), TIMESTAMP WITHOUT TIME ZONE (15), DATE (24) --
# On the wire in both directions: epoch milliseconds (a JSON integer). Parameters may also be
# ISO-8601 text or digit strings, which CrateDB casts (4.2).


def timestamp_to_wire(value: _dt.datetime) -> int:
    """Epoch milliseconds, floored: an aware datetime's UTC instant, a naive one read as a
    UTC wall clock (what CrateDB stores for WITHOUT TIME ZONE)."""
    delta = value - (_EPOCH if value.tzinfo is not None else _EPOCH_NAIVE)
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def date_to_wire(value: _dt.date) -> int:
    """Epoch milliseconds of midnight UTC of ``value``."""
    return (value - _EPOCH_DATE).days * 86_400_000


def timestamp_from_wire(ms: int | float, aware: bool = True) -> _dt.datetime:
    """Epoch milliseconds -> an aware UTC datetime (11) or a naive one (15)."""
    # timedelta(0, 0, 0, ms): positional milliseconds, the fastest exact conversion.
    return (_EPOCH if aware else _EPOCH_NAIVE) + _timedelta(0, 0, 0, ms)


def date_from_wire(ms: int | float) -> _dt.date:
    """Epoch milliseconds -> the UTC date they fall on."""
    return _EPOCH_DATE + _timedelta(0, 0, 0, ms)


def _digits(text: str) -> bool:
    return text.lstrip("-").isdigit()


def timestamp_from_param(value: Any, aware: bool) -> _dt.datetime:
    """A TIMESTAMP parameter: epoch ms (number or digit text) or ISO-8601 text (``Z`` or an
    offset allowed). WITHOUT TIME ZONE keeps the wall clock and drops the offset; WITH TIME
    ZONE reads naive text as UTC (crate/crate docs/general/ddl/data-types.rst)."""
    if isinstance(value, bool):
        raise CastError(value, _ts_type(aware))
    if isinstance(value, (int, float)):
        return timestamp_from_wire(value, aware)
    if isinstance(value, str):
        text = value.strip()
        try:
            if _digits(text):
                return timestamp_from_wire(int(text), aware)
            parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError):
            raise CastError(value, _ts_type(aware)) from None
        if not aware:
            return parsed.replace(tzinfo=None)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=_dt.timezone.utc)
        return parsed.astimezone(_dt.timezone.utc)
    raise CastError(value, _ts_type(aware))


def _ts_type(aware: bool) -> DataType:
    return DataType.TIMESTAMP_WITH_TZ if aware else DataType.TIMESTAMP_WITHOUT_TZ


def date_from_param(value: Any) -> _dt.date:
    """A DATE parameter: epoch ms (number or digit text) or text starting ``YYYY-MM-DD``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return date_from_wire(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if _digits(text):
                return date_from_wire(int(text))
            return _dt.date.fromisoformat(text[:10])
        except (ValueError, OverflowError):
            raise CastError(value, DataType.DATE) from None
    raise CastError(value, DataType.DATE)


# --- TIME WITH TIME ZONE (20): ``[micros since midnight, offset seconds]`` in results -------


def timetz_to_wire(value: _dt.time) -> list[int]:
    """``[microseconds since midnight, UTC offset in seconds]`` (4.1; naive = offset 0)."""
    micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 \
        + value.microsecond
    offset = value.utcoffset()
    return [micros, int(offset.total_seconds()) if offset else 0]


def timetz_from_wire(value: list) -> _dt.time:
    """``[micros, offset_seconds]`` -> an aware ``time``."""
    micros, offset = value
    seconds, micro = divmod(int(micros), 1_000_000)
    hours, rest = divmod(seconds, 3600)
    tz = _dt.timezone(_dt.timedelta(seconds=int(offset)))
    return _dt.time(hours % 24, rest // 60, rest % 60, micro, tzinfo=tz)


# --- floating point: DOUBLE (6), REAL (7) --------------------------------------------------
# JSON has no NaN or infinities: Jackson writes the strings "NaN", "Infinity", "-Infinity",
# and CrateDB casts those strings back where a double is expected (4.1, 4.2).


def float_to_wire(value: float) -> float | str:
    """A float, or "NaN" / "Infinity" / "-Infinity"."""
    if value - value != 0.0:  # NaN or infinite
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    return value


_FLOAT32 = struct.Struct("<f")


def real_to_wire(value: float) -> float | str:
    """A REAL (32-bit) value as CrateDB writes it: the shortest decimal that reads back as
    the same 32-bit float (Java's ``Float.toString``), so 1.8 stored in a REAL column is sent
    as 1.8, not as the double 1.7999999523162842; non-finite values as the float strings."""
    if value - value != 0.0:
        return float_to_wire(value)
    try:
        single = _FLOAT32.unpack(_FLOAT32.pack(value))[0]
    except OverflowError:  # beyond the REAL range: not a REAL value, keep it
        return value
    for digits in range(1, 10):  # 9 significant digits always round-trip a float32
        shortest = float(f"{single:.{digits}g}")
        try:
            if _FLOAT32.unpack(_FLOAT32.pack(shortest))[0] == single:
                return shortest
        except OverflowError:  # rounded up past the largest REAL: take more digits
            continue
    return single


def float_from_wire(value: Any) -> Any:
    """A JSON number or one of the three strings -> float (other numbers unchanged)."""
    return float(value) if value.__class__ is str else value


def float_from_param(value: Any, col_type: DataType = DataType.DOUBLE) -> float:
    """A DOUBLE/REAL parameter: a number or numeric text (the three strings included)."""
    if isinstance(value, (bool, dict, list)):
        raise CastError(value, col_type)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CastError(value, col_type) from None


# --- integers: CHAR (2, "byte"), SMALLINT (8), INTEGER (9), BIGINT (10) ---------------------

#: Value ranges of the integer types (crate/crate ``ByteType``, ``ShortType``, ...).
INTEGER_RANGES: dict[DataType, tuple[int, int]] = {
    DataType.CHAR: (-128, 127),
    DataType.SMALLINT: (-32768, 32767),
    DataType.INTEGER: (-2 ** 31, 2 ** 31 - 1),
    DataType.BIGINT: (-2 ** 63, 2 ** 63 - 1),
}


def integer_from_param(value: Any, col_type: DataType) -> int:
    """An integer parameter: an int, a float (rounded) or integer / float text; out of the
    type's range (:data:`INTEGER_RANGES`) is a cast error."""
    lo, hi = INTEGER_RANGES[col_type]
    if isinstance(value, bool):
        raise CastError(value, col_type)
    if isinstance(value, float):
        if not value.is_integer() and not _math.isfinite(value):
            raise CastError(value, col_type)
        result = round(value)
    elif isinstance(value, int):
        result = value
    elif isinstance(value, str):
        try:
            result = int(value.strip())
        except ValueError:
            try:
                result = round(float(value))
            except (ValueError, OverflowError):
                raise CastError(value, col_type) from None
    else:
        raise CastError(value, col_type)
    if not lo <= result <= hi:
        raise CastError(value, col_type)
    return result


# --- exact numeric: NUMERIC (22) -----------------------------------------------------------
# Results carry exact JSON numbers (BigDecimal.toString); parameters arrive as text or numbers.


def numeric_to_wire(value: decimal.Decimal, scaled: bool = False) -> Any:
    """An exact JSON number (an ``orjson.Fragment``): with the column's scale when
    ``scaled`` (NUMERIC(p, s)), else normalised; non-finite values as the float strings."""
    if not value.is_finite():
        return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
    # normalize() rounds to its context's precision: give it every digit the value has.
    exact = decimal.Context(prec=max(len(value.as_tuple().digits), 1))
    text = str(value) if scaled else format(value.normalize(exact), "f")
    if "E" in text or "e" in text:
        text = format(value, "f")
    return orjson.Fragment(text)


def numeric_from_wire(value: Any) -> decimal.Decimal:
    """A JSON number -> Decimal, through its text (no binary float rounding)."""
    return decimal.Decimal(str(value))


def numeric_from_param(value: Any) -> decimal.Decimal:
    """A NUMERIC parameter: a number or decimal text."""
    if isinstance(value, (bool, dict, list)):
        raise CastError(value, DataType.NUMERIC)
    try:
        return decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        raise CastError(value, DataType.NUMERIC) from None


# --- INTERVAL (17): text in results ---------------------------------------------------------


def interval_to_wire(value: _dt.timedelta) -> str:
    """``"N days HH:MM:SS[.ffffff]"`` as CrateDB prints intervals (days part left out when
    zero, clock part when zero and there are days)."""
    days, seconds = value.days, value.seconds
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day" + ("s" if abs(days) != 1 else ""))
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    if value.microseconds:
        clock += f".{value.microseconds:06d}".rstrip("0")
    if clock != "00:00:00" or not parts:
        parts.append(clock)
    return " ".join(parts)


# --- BOOLEAN (3), text family (TEXT 4, CHARACTER 27, IP 5, JSON 26), UUID (29) -------------


def boolean_from_param(value: Any) -> bool:
    """A BOOLEAN parameter: true/false, or text t, true, f, false (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("t", "true", "f", "false"):
        return value.strip().lower().startswith("t")
    raise CastError(value, DataType.BOOLEAN)


def text_from_param(value: Any, col_type: DataType = DataType.TEXT) -> str:
    """A text parameter: scalars as their text (booleans as ``t`` / ``f``); objects and
    arrays only for JSON (26), as JSON text."""
    if isinstance(value, (dict, list)):
        if col_type == DataType.JSON:
            return orjson.dumps(value).decode()
        raise CastError(value, col_type)
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def uuid_from_param(value: Any) -> Any:
    """A UUID parameter: text -> ``uuid.UUID`` (other JSON values unchanged)."""
    if not isinstance(value, str):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CastError(value, DataType.UUID) from None


# --- objects: OBJECT (12), UNCHECKED_OBJECT (16), GEO_SHAPE (14, GeoJSON); GEO_POINT (13) ---


def object_from_param(value: Any, col_type: DataType = DataType.OBJECT) -> dict:
    """An object parameter: a JSON object, or text holding one."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise CastError(value, col_type) from None
    if not isinstance(value, dict):
        raise CastError(value, col_type)
    return value


def geo_point_from_param(value: Any) -> list[float]:
    """A GEO_POINT parameter: ``[lon, lat]`` or WKT ``POINT (lon lat)`` -> ``[lon, lat]``."""
    if isinstance(value, str) and value.strip().upper().startswith("POINT"):
        inner = value[value.index("(") + 1:value.rindex(")")].split()
        if len(inner) != 2:
            raise CastError(value, DataType.GEO_POINT)
        return [float(inner[0]), float(inner[1])]
    if isinstance(value, list) and len(value) == 2:
        return [float(v) for v in value]
    raise CastError(value, DataType.GEO_POINT)


# --- the tables -----------------------------------------------------------------------------

_PARAM_DECODERS: dict[int, Any] = {
    DataType.TIMESTAMP_WITH_TZ: lambda v, t: timestamp_from_param(v, True),
    DataType.TIMESTAMP_WITHOUT_TZ: lambda v, t: timestamp_from_param(v, False),
    DataType.DATE: lambda v, t: date_from_param(v),
    **{t: integer_from_param for t in INTEGER_RANGES},
    DataType.DOUBLE: float_from_param,
    DataType.REAL: float_from_param,
    DataType.NUMERIC: lambda v, t: numeric_from_param(v),
    DataType.BOOLEAN: lambda v, t: boolean_from_param(v),
    DataType.OBJECT: object_from_param,
    DataType.UNCHECKED_OBJECT: object_from_param,
    DataType.GEO_SHAPE: object_from_param,
    DataType.GEO_POINT: lambda v, t: geo_point_from_param(v),
    DataType.TEXT: text_from_param,
    DataType.CHARACTER: text_from_param,
    DataType.IP: text_from_param,
    DataType.JSON: text_from_param,
    DataType.UUID: lambda v, t: uuid_from_param(v),
}


def decode_param(value: Any, col_type: ColType | None) -> Any:
    """Server side: a received JSON parameter cast to ``col_type``, the type of the column
    it meets (None: unknown, the value is returned unchanged), as CrateDB casts (4.2).

    Returns: datetime (aware UTC for 11, naive for 15), date, int, float, Decimal, bool,
    str, dict (objects), ``[lon, lat]`` (13), ``uuid.UUID``, lists for arrays; other types
    (TIMETZ, INTERVAL, ...) unchanged. ``null`` stays None. Raises :class:`CastError`.
    """
    try:
        return _decode_param(value, col_type)
    except (ValueError, TypeError, OverflowError, ArithmeticError, IndexError):
        raise CastError(value, col_type) from None


def _decode_param(value: Any, col_type: ColType | None) -> Any:
    if value is None or col_type is None:
        return value
    if isinstance(col_type, list):
        if len(col_type) != 2:
            return value
        if not isinstance(value, list):
            raise CastError(value, col_type)
        return [_decode_param(v, col_type[1]) for v in value]
    decode = _PARAM_DECODERS.get(col_type)
    return value if decode is None else decode(value, DataType(col_type))


def encode_value(value: Any, *, scaled: bool = False) -> Any:
    """Server side: a Python result value as the JSON value CrateDB writes (4.1).

    None, bool, str pass; ints beyond 64 bits become exact JSON numbers; float ->
    :func:`float_to_wire`; Decimal -> :func:`numeric_to_wire` (``scaled``: the column has a
    scale); datetime / date -> epoch ms; time -> ``[micros, offset]``; timedelta ->
    interval text; lists and dicts element by element; UUID and anything else -> text.
    """
    if value is None or value.__class__ in (bool, str):
        return value
    if isinstance(value, int):
        return value if -2 ** 63 <= value < 2 ** 64 else orjson.Fragment(str(value))
    if isinstance(value, float):
        return float_to_wire(value)
    if isinstance(value, decimal.Decimal):
        return numeric_to_wire(value, scaled)
    if isinstance(value, _dt.datetime):
        return timestamp_to_wire(value)
    if isinstance(value, _dt.date):
        return date_to_wire(value)
    if isinstance(value, _dt.time):
        return timetz_to_wire(value)
    if isinstance(value, _dt.timedelta):
        return interval_to_wire(value)
    if isinstance(value, (list, tuple)):
        return [encode_value(v, scaled=scaled) for v in value]
    if isinstance(value, dict):
        return {str(k): encode_value(v) for k, v in value.items()}
    return str(value)


_ROW_DECODERS: dict[int, Any] = {
    DataType.TIMESTAMP_WITH_TZ: lambda v: _EPOCH + _timedelta(0, 0, 0, v),
    DataType.TIMESTAMP_WITHOUT_TZ: lambda v: _EPOCH_NAIVE + _timedelta(0, 0, 0, v),
    DataType.DATE: date_from_wire,
    DataType.NUMERIC: numeric_from_wire,
    DataType.TIMETZ: timetz_from_wire,
    DataType.DOUBLE: float_from_wire,
    DataType.REAL: float_from_wire,
}


def value_decoder(col_type: ColType):
    """Client side: a function turning one non-null JSON value of ``col_type`` into its
    Python value, or None when the JSON value is already right (identity; lets callers skip
    the column). Callers handle ``null`` themselves: the function is never given None.

    TIMESTAMP WITH TIME ZONE (11) -> aware UTC ``datetime``; TIMESTAMP WITHOUT TIME ZONE
    (15) -> naive ``datetime``; DATE (24) -> ``date``; NUMERIC (22) -> ``Decimal``;
    TIMETZ (20) -> aware ``time``; DOUBLE (6) and REAL (7) -> ``float`` also for "NaN" /
    "Infinity" strings; arrays element by element (cratedb.md 4.1).
    """
    if isinstance(col_type, list):
        inner = value_decoder(col_type[1]) if len(col_type) == 2 else None
        if inner is None:
            return None
        return lambda v: None if v is None else [None if x is None else inner(x) for x in v]
    return _ROW_DECODERS.get(col_type)
