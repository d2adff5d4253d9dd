"""Engine (DuckDB) column types -> Exasol ``dataType`` objects, and the column-major JSON
data of a result (exasol.md 5.4, 5.5).

Exasol has twelve types; DuckDB's others are shown as the nearest one: integer types as
DECIMAL (Exasol's integers are DECIMALs), UUID as HASHTYPE(16 BYTE), DuckDB's one INTERVAL
as INTERVAL DAY TO SECOND, and types without an Exasol counterpart (TIME, BLOB, lists,
structs) as VARCHAR text. An empty string comes back as NULL, as in Exasol, where '' is
NULL. DuckDB does not keep VARCHAR lengths, so every VARCHAR column is
described with Exasol's maximum size (2,000,000). An untyped NULL is BOOLEAN, as in Exasol.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections.abc import Sequence
from typing import Any, Callable

from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.mockservers.engine import Column

__all__ = ["data_type", "result_columns", "encode_columns", "duck_type", "row_sizes"]

_SMALL_INTS = frozenset({"TINYINT", "SMALLINT", "INTEGER", "UTINYINT", "USMALLINT",
                         "UINTEGER"})
_BIG_INTS = frozenset({"BIGINT", "UBIGINT", "HUGEINT", "UHUGEINT"})
_TIMESTAMPS = frozenset({"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"})
_MAX_DIGITS = 36
_LIMIT_18 = 10 ** 18


def data_type(column: Column, values: Sequence[Any] = ()) -> dict:
    """The Exasol ``dataType`` of an engine column. ``values`` (the column's values) decide
    whether a 64-bit integer column fits DECIMAL(18,0) or needs DECIMAL(36,0)."""
    name = column.type_name
    if name == "DECIMAL":
        precision = min(column.precision or 18, _MAX_DIGITS)
        return wire.decimal_type(precision, min(column.scale or 0, precision))
    if name in _SMALL_INTS:
        return wire.decimal_type(18, 0)
    if name in _BIG_INTS:
        if name in ("BIGINT", "UBIGINT") and all(
                v is None or -_LIMIT_18 < v < _LIMIT_18 for v in values):
            return wire.decimal_type(18, 0)
        return wire.decimal_type(_MAX_DIGITS, 0)
    if name in ("DOUBLE", "FLOAT"):
        return wire.double_type()
    if name in ("BOOLEAN", "NULL"):
        return wire.boolean_type()
    if name == "DATE":
        return wire.date_type()
    if name in _TIMESTAMPS:
        return wire.timestamp_type()
    if name == "TIMESTAMP WITH TIME ZONE":
        return wire.timestamp_type(local_time_zone=True)
    if name == "INTERVAL":
        return wire.interval_ds_type(9, 6)
    if name == "UUID":
        return wire.hashtype_type(16)
    return wire.varchar_type()


def duck_type(data_type_: dict) -> str:
    """The DuckDB type a parameter of this Exasol type binds as (for bulk inserts)."""
    name = data_type_["type"]
    if name == "DECIMAL":
        return f"DECIMAL({data_type_['precision']},{data_type_['scale']})"
    return {"DOUBLE": "DOUBLE", "BOOLEAN": "BOOLEAN", "DATE": "DATE",
            "TIMESTAMP": "TIMESTAMP", "TIMESTAMP WITH LOCAL TIME ZONE": "TIMESTAMP",
            "INTERVAL DAY TO SECOND": "INTERVAL", "HASHTYPE": "UUID"}.get(name, "VARCHAR")


def result_columns(columns: Sequence[Column], data: Sequence[Sequence[Any]]) -> list[dict]:
    """``[{"name", "dataType"}]`` of a result whose engine values are ``data`` (column-major)."""
    return [{"name": c.name, "dataType": data_type(c, data[i] if data else ())}
            for i, c in enumerate(columns)]


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (_dt.time, uuid.UUID)):
        return str(value)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


def _encoder(column: Column, dtype: dict) -> Callable[[Any], Any]:
    encode = wire.value_encoder(dtype)
    if dtype["type"] == "VARCHAR" and column.type_name != "VARCHAR":
        return lambda v: None if v is None or v == "" else (
            v if isinstance(v, str) else _text(v))
    if dtype["type"] == "VARCHAR":
        # Exasol has no empty string: '' is NULL (exasol.md 5.5)
        return lambda v: None if v is None or v == "" else v
    if dtype["type"] == "DECIMAL" and dtype["scale"] == 0 and dtype["precision"] <= 18 and (
            column.type_name != "DECIMAL"):
        return lambda v: v  # plain ints, already in range
    return encode


def encode_columns(columns: Sequence[Column], dtypes: Sequence[dict],
                   data: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Column-major engine values -> column-major JSON values (wire.EncodeError for a
    value Exasol cannot hold, such as a NaN DOUBLE)."""
    out = []
    for column, dtype, values in zip(columns, dtypes, data):
        encode = _encoder(column, dtype)
        out.append([encode(v) for v in values])
    return out


def row_sizes(data: Sequence[Sequence[Any]], start: int, stop: int):
    """Approximate JSON bytes of rows ``start..stop-1`` of column-major JSON ``data``, one
    at a time (for ``fetch.numBytes``)."""
    for row in range(start, stop):
        size = 0
        for column in data:
            value = column[row]
            size += len(value) + 3 if isinstance(value, str) else 8
        yield size
