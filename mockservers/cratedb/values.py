"""Values across the mock: JSON parameters in, DuckDB values out as CrateDB's JSON.

In (cratedb.md 4.2): a parameter arrives as a JSON value and CrateDB casts it to the type of
the column it meets. :func:`convert_param` does that cast for DuckDB: epoch milliseconds or
ISO text to datetime, decimal text to Decimal, objects to JSON text, WKT points to
``[lon, lat]``; an impossible cast raises CrateDB's ``Cannot cast value `x` to type `t```.

Out (4.1): timestamps and dates as epoch milliseconds, NUMERIC as exact JSON numbers
(orjson.Fragment), GEO_POINT as ``[lon, lat]``, objects as JSON objects, NaN/Infinity
doubles as the strings Jackson writes, TIMETZ as ``[micros, offset_seconds]``.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import math
import uuid
from typing import Any

import orjson

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType
from dbapi_conformance.mockservers.cratedb.errors import cast_error

__all__ = ["convert_param", "to_json", "guess_type", "temporal_literal"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)
_INT_RANGES = {
    DataType.CHAR: (-128, 127),
    DataType.SMALLINT: (-32768, 32767),
    DataType.INTEGER: (-2 ** 31, 2 ** 31 - 1),
    DataType.BIGINT: (-2 ** 63, 2 ** 63 - 1),
}


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def _timestamp(value: Any, t: CrateType) -> _dt.datetime | str:
    aware = t.id == DataType.TIMESTAMP_WITH_TZ
    if isinstance(value, bool):
        raise cast_error(_show(value), t.name)
    if isinstance(value, (int, float)):
        when = _EPOCH + _dt.timedelta(milliseconds=value)
        return when if aware else when.replace(tzinfo=None)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.lstrip("-").isdigit():
                return _timestamp(int(text), t)
            parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except (ValueError, OverflowError):
            raise cast_error(value, t.name) from None
        if not aware:
            # WITHOUT TIME ZONE strips the offset and keeps the wall clock (data-types.rst)
            return parsed.replace(tzinfo=None)
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=_dt.timezone.utc)
        return parsed.astimezone(_dt.timezone.utc)
    raise cast_error(_show(value), t.name)


def _date(value: Any, t: CrateType) -> _dt.date:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (_EPOCH + _dt.timedelta(milliseconds=value)).date()
    if isinstance(value, str):
        try:
            if value.strip().lstrip("-").isdigit():
                return _date(int(value), t)
            return _dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise cast_error(value, t.name) from None
    raise cast_error(_show(value), t.name)


def _integer(value: Any, t: CrateType) -> int:
    lo, hi = _INT_RANGES[t.id]
    if isinstance(value, bool):
        raise cast_error(_show(value), t.name)
    if isinstance(value, float):
        if not value.is_integer() and not math.isfinite(value):
            raise cast_error(value, t.name)
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
                raise cast_error(value, t.name) from None
    else:
        raise cast_error(_show(value), t.name)
    if not lo <= result <= hi:
        raise cast_error(value, t.name)
    return result


def convert_param(value: Any, t: CrateType | None) -> Any:
    """A JSON parameter value cast for a column of CrateDB type ``t`` (None: no column
    known; objects still become JSON text, other values pass unchanged). Raises CrateDB's
    cast error (SQLParseException) when the value does not fit."""
    try:
        return _convert(value, t)
    except (ValueError, TypeError, OverflowError, ArithmeticError):
        raise cast_error(_show(value), t.name if t is not None else "undefined") from None


def _convert(value: Any, t: CrateType | None) -> Any:
    if value is None:
        return None
    if t is None:
        if isinstance(value, dict):
            return orjson.dumps(value).decode()
        return value
    tid = t.id
    if tid in (DataType.TIMESTAMP_WITH_TZ, DataType.TIMESTAMP_WITHOUT_TZ):
        return _timestamp(value, t)
    if tid == DataType.DATE:
        return _date(value, t)
    if tid in _INT_RANGES:
        return _integer(value, t)
    if tid in (DataType.DOUBLE, DataType.REAL):
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise cast_error(_show(value), t.name)
        try:
            return float(value)
        except (TypeError, ValueError):
            raise cast_error(value, t.name) from None
    if tid == DataType.NUMERIC:
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise cast_error(_show(value), t.name)
        try:
            return decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise cast_error(value, t.name) from None
    if tid == DataType.BOOLEAN:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("t", "true", "f", "false"):
            return value.strip().lower().startswith("t")
        raise cast_error(_show(value), t.name)
    if tid in (DataType.OBJECT, DataType.UNCHECKED_OBJECT, DataType.GEO_SHAPE):
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                raise cast_error(value, t.name) from None
        if not isinstance(value, dict):
            raise cast_error(_show(value), t.name)
        return orjson.dumps(value).decode()
    if tid == DataType.GEO_POINT:
        if isinstance(value, str) and value.strip().upper().startswith("POINT"):
            inner = value[value.index("(") + 1:value.rindex(")")].split()
            return [float(inner[0]), float(inner[1])]
        if isinstance(value, list) and len(value) == 2:
            return [float(v) for v in value]
        raise cast_error(_show(value), t.name)
    if tid in (DataType.TEXT, DataType.CHARACTER, DataType.IP, DataType.JSON):
        if isinstance(value, (dict, list)):
            if tid == DataType.JSON:
                return orjson.dumps(value).decode()
            raise cast_error(_show(value), t.name)
        if isinstance(value, bool):
            return "t" if value else "f"
        return str(value)
    if tid == DataType.ARRAY and t.inner is not None:
        if not isinstance(value, list):
            raise cast_error(_show(value), t.name)
        return [_convert(v, t.inner) for v in value]
    if tid == DataType.UUID and isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise cast_error(value, t.name) from None
    return value


def _ms(value: _dt.datetime) -> int:
    if value.tzinfo is None:
        delta = value - _EPOCH_NAIVE
    else:
        delta = value - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


def _number(value: float) -> Any:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _interval(value: _dt.timedelta) -> str:
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


def _json_text(t: CrateType) -> bool:
    return t.id in (DataType.OBJECT, DataType.UNCHECKED_OBJECT, DataType.GEO_SHAPE) or (
        t.id == DataType.UNDEFINED and t.params == (-1,))


def to_json(value: Any, t: CrateType | None = None) -> Any:
    """A DuckDB value as the JSON value CrateDB writes for it (4.1). ``t`` is the column's
    CrateDB type when known; JSON text of OBJECT columns is parsed back into objects."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        if t is not None and _json_text(t):  # OBJECT columns and json_extract results
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
        return value
    if isinstance(value, int):
        if -2 ** 63 <= value < 2 ** 64:
            return value
        return orjson.Fragment(str(value))
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
        text = format(value.normalize(), "f") if t is None or not t.params else str(value)
        if "E" in text or "e" in text:
            text = format(value, "f")
        return orjson.Fragment(text)
    if isinstance(value, _dt.datetime):
        return _ms(value)
    if isinstance(value, _dt.date):
        return (value - _dt.date(1970, 1, 1)).days * 86_400_000
    if isinstance(value, _dt.time):
        micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + \
            value.microsecond
        offset = value.utcoffset()
        return [micros, int(offset.total_seconds()) if offset else 0]
    if isinstance(value, _dt.timedelta):
        return _interval(value)
    if isinstance(value, (list, tuple)):
        inner = t.inner if t is not None and t.id == DataType.ARRAY else None
        return [to_json(v, inner) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def guess_type(values) -> CrateType:
    """The CrateDB type of dynamic values (object sub-columns): the first non-null one's."""
    for v in values:
        if v is None:
            continue
        if isinstance(v, bool):
            return CrateType(DataType.BOOLEAN)
        if isinstance(v, int):
            return CrateType(DataType.BIGINT)
        if isinstance(v, float):
            return CrateType(DataType.DOUBLE)
        if isinstance(v, str):
            return CrateType(DataType.TEXT)
        if isinstance(v, dict):
            return CrateType(DataType.OBJECT)
        if isinstance(v, list):
            return CrateType(DataType.ARRAY, guess_type(v))
    return CrateType(DataType.UNDEFINED)


def temporal_literal(value: Any, t: CrateType) -> str:
    """SQL literal text for a number (epoch ms) or string meeting a TIMESTAMP or DATE
    column, as DuckDB reads it. Raises CrateDB's cast error."""
    converted = convert_param(value, t)
    if isinstance(converted, _dt.datetime):
        if converted.tzinfo is not None:
            return converted.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00")
        return converted.isoformat(sep=" ")
    return converted.isoformat()
