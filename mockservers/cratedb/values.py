"""Values between CrateDB's wire forms and DuckDB: only the engine's side.

The wire forms themselves (epoch milliseconds, NaN strings, TIMETZ pairs, exact numbers,
CrateDB's lenient parameter casts) are the codec's, shared with the driver:
drivers/wire/cratedb.py ``decode_param`` (request args) and ``encode_value`` (result rows).
What stays here is how DuckDB holds what CrateDB sends and returns (cratedb.md 4):

- in: objects are bound as JSON text (DuckDB JSON columns), a cast error is worded with
  CrateDB's type names and Java's way of printing values;
- out: JSON text of OBJECT columns is parsed back into objects, BLOBs become text; whole
  result columns at a time (:func:`column_encoder`), with DuckDB itself computing epoch
  milliseconds for TIMESTAMP and DATE columns (:data:`PROJECT`);
- SQL literal text for a parameter meeting a TIMESTAMP or DATE column
  (:func:`temporal_literal`), and the type of dynamic object sub-columns
  (:func:`guess_type`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

import orjson

from dbapi_conformance.drivers.wire.cratedb import (
    INTEGER_RANGES,
    CastError,
    DataType,
    decode_param,
    encode_value,
    float_to_wire,
    real_to_wire,
    timestamp_from_wire,
)
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, from_col_type
from dbapi_conformance.mockservers.cratedb.errors import cast_error, parse_error

__all__ = ["convert_param", "param_converter", "to_json", "column_encoder", "encode_rows",
           "PROJECT", "guess_type", "temporal_literal"]

_OBJECTS = (DataType.OBJECT, DataType.UNCHECKED_OBJECT, DataType.GEO_SHAPE)


def _show(value: Any) -> str:
    """A JSON value as CrateDB's messages print it (Java's toString)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def convert_param(value: Any, t: CrateType | None) -> Any:
    """A JSON parameter value cast for a column of CrateDB type ``t`` (None: no column
    known; objects still become JSON text, other values pass unchanged), as DuckDB binds
    it. Raises CrateDB's cast error (SQLParseException) when the value does not fit."""
    try:
        converted = decode_param(value, t.col_type if t is not None else None)
    except CastError as exc:
        name = from_col_type(exc.col_type).name if exc.col_type is not None else "undefined"
        raise cast_error(_show(exc.value), name) from None
    if t is not None and t.id == DataType.GEO_POINT and converted is not None:
        check_geo_point(*converted)
    return _to_engine(converted, t)


def check_geo_point(lon: float, lat: float) -> None:
    """SQLParseException (4000) for a point off the globe (lon outside [-180, 180] or lat
    outside [-90, 90]), with CrateDB's message (``GeoPointType.ensurePointsInRange``)."""
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise parse_error(f"Failed to validate geo point [lon={lon:f}, lat={lat:f}], "
                          "not a valid location.")


_TEXTS = (DataType.TEXT, DataType.CHARACTER, DataType.IP, DataType.JSON)
_FLOATS = (DataType.DOUBLE, DataType.REAL)
_TIMESTAMPS = (DataType.TIMESTAMP_WITH_TZ, DataType.TIMESTAMP_WITHOUT_TZ)


def param_converter(t: CrateType | None) -> Callable[[Any], Any]:
    """:func:`convert_param` for type ``t`` as a one-argument function, quicker for the
    values most columns get (NULL, an int of the integer type's range, a str for text, a
    float for floating point: already what DuckDB binds; epoch milliseconds for a
    timestamp); every other value goes through :func:`convert_param` itself, errors
    included. For many values of one column (bulk requests)."""
    if t is None:
        return lambda value: convert_param(value, t)
    if t.id in _TIMESTAMPS:
        aware = t.id == DataType.TIMESTAMP_WITH_TZ

        def convert(value: Any) -> Any:
            if value.__class__ is int:
                try:
                    return timestamp_from_wire(value, aware)
                except (OverflowError, ValueError):
                    pass  # out of range: convert_param words the error
            return convert_param(value, t)
        return convert
    if t.id not in INTEGER_RANGES and t.id not in _TEXTS and t.id not in _FLOATS:
        return lambda value: convert_param(value, t)
    if t.id in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[t.id]

        def convert(value: Any) -> Any:
            if value is None or (value.__class__ is int and lo <= value <= hi):
                return value
            return convert_param(value, t)
        return convert
    same = str if t.id in _TEXTS else float

    def convert(value: Any) -> Any:
        if value is None or value.__class__ is same:
            return value
        return convert_param(value, t)
    return convert


def _to_engine(value: Any, t: CrateType | None) -> Any:
    if value.__class__ is dict and (t is None or t.id in _OBJECTS):
        return orjson.dumps(value).decode()
    if value.__class__ is list and t is not None and t.id == DataType.ARRAY and t.inner:
        return [None if v is None else _to_engine(v, t.inner) for v in value]
    return value


def _json_text(t: CrateType) -> bool:
    return t.id in _OBJECTS or (t.id == DataType.UNDEFINED and t.params == (-1,))


def to_json(value: Any, t: CrateType | None = None) -> Any:
    """A DuckDB value as the JSON value CrateDB writes for it (4.1). ``t`` is the column's
    CrateDB type when known; JSON text of OBJECT columns is parsed back into objects."""
    if value is None or value.__class__ is bool:
        return value
    if isinstance(value, str):
        if t is not None and t.id == DataType.BIT:
            return f"B'{value}'"  # CrateDB writes BIT(n) values as bit-string literals
        if t is not None and _json_text(t):  # OBJECT columns and json_extract results
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                return value
        return value
    if isinstance(value, (list, tuple)):
        inner = t.inner if t is not None and t.id == DataType.ARRAY else None
        return [to_json(v, inner) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    if value.__class__ is float and t is not None and t.id == DataType.REAL:
        return real_to_wire(value)
    return encode_value(value, scaled=t is not None and bool(t.params))


# --- whole result columns ---------------------------------------------------------------

# Epoch milliseconds computed by DuckDB (Session.execute's ``project``), the same numbers
# timestamp_to_wire / date_to_wire give for the Python values DuckDB would return: floored
# to the millisecond (epoch_ms rounds), 'infinity' as datetime.max / date.max and
# '-infinity' as datetime.min would give them. Years before 1 or after 9999, which Python
# cannot hold (DuckDB then returned text), get their epoch milliseconds too, as CrateDB
# sends them.
_MS = ("CASE WHEN isinf({{0}}) THEN CASE WHEN {{0}} > '1970-01-01' THEN {inf} "
       "ELSE -62135596800000 END ELSE {ms} END")
_FLOOR_MS = "(epoch_us({0}) - (epoch_us({0}) % 1000 + 1000) % 1000) // 1000"
PROJECT = {
    "TIMESTAMP": _MS.format(inf=253402300799999, ms=_FLOOR_MS),
    "TIMESTAMP WITH TIME ZONE": _MS.format(inf=253402300799999, ms=_FLOOR_MS),
    "DATE": _MS.format(inf=253402214400000, ms="epoch_ms({0})"),
}

# DuckDB types whose Python values are already their JSON values (64-bit integers at most)
_AS_IS = frozenset({"BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT",
                    "USMALLINT", "UINTEGER", "UBIGINT", *PROJECT})


def _floats(rows: Sequence[tuple], i: int) -> list | None:
    # NaN and the infinities must become strings; a column rarely has any, and summing it
    # (C speed; None and 0.0 filtered out) tells: the sum of finite values is finite unless
    # it overflows, and then the slow path is merely taken for nothing.
    total = sum(filter(None, map(itemgetter(i), rows)))
    if total - total == 0.0:
        return None
    return [None if v is None else float_to_wire(v) for v in map(itemgetter(i), rows)]


def _reals(rows: Sequence[tuple], i: int) -> list:
    return [None if v is None else real_to_wire(v) for v in map(itemgetter(i), rows)]


def column_encoder(type_name: str, t: CrateType) -> Callable[[Sequence[tuple], int],
                                                             list | None] | None:
    """How one result column's values become the JSON values CrateDB writes (4.1), the
    same as :func:`to_json` of each value. Returns None when the values DuckDB gives (for
    a query run with ``project=PROJECT``) already are their JSON values, else a function
    ``(rows, i)`` -> the JSON values of column ``i`` of ``rows``, or None when that column
    needs no change after all. ``type_name``: the engine's type name of the column
    (``Column.type_name``); ``t``: its CrateDB type."""
    if type_name in _AS_IS:
        return None
    if type_name == "VARCHAR" and t.id != DataType.BIT and not _json_text(t):
        return None
    if type_name in ("DOUBLE", "FLOAT"):
        return _reals if t.id == DataType.REAL else _floats
    return lambda rows, i: [to_json(v, t) for v in map(itemgetter(i), rows)]


def encode_rows(rows: list[tuple], encoders: Sequence[Callable | None]) -> list:
    """``rows`` (tuples from the engine) with each column passed through its encoder
    (:func:`column_encoder`); the very same list when no column changes, so that most
    results are never copied."""
    changed = {}
    for i, encode in enumerate(encoders):
        if encode is not None and rows:
            values = encode(rows, i)
            if values is not None:
                changed[i] = values
    if not changed:
        return rows
    columns = list(zip(*rows))
    for i, values in changed.items():
        columns[i] = values
    return list(zip(*columns))


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
