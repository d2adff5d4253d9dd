"""DuckDB result types as Ignite 3 column metadata (ignite3.md 5.2, 6.1, 15).

Precision and scale follow Calcite's types as Ignite reports them: integers their decimal
digits (TINYINT 3 ... BIGINT 19), BOOLEAN 1, VARCHAR / VARBINARY the default length 65536,
TIME / TIMESTAMP their fractional digits (6 here, DuckDB's microseconds); scale
MIN_INT where it does not apply.
"""

from __future__ import annotations

from dbapi_conformance.drivers.wire.ignite import MIN_INT, ColumnMeta
from dbapi_conformance.drivers.wire.ignite import ColumnType as T
from dbapi_conformance.mockservers.engine import Column

__all__ = ["column_meta", "ignite_type", "DEFAULT_LENGTH"]

#: Calcite's default VARCHAR / VARBINARY length in Ignite 3.
DEFAULT_LENGTH = 65536

# DuckDB type name -> (Ignite type, precision, scale)
_TYPES: dict[str, tuple[T, int, int]] = {
    "BOOLEAN": (T.BOOLEAN, 1, MIN_INT),
    "TINYINT": (T.INT8, 3, 0), "UTINYINT": (T.INT16, 5, 0),
    "SMALLINT": (T.INT16, 5, 0), "USMALLINT": (T.INT32, 10, 0),
    "INTEGER": (T.INT32, 10, 0), "UINTEGER": (T.INT64, 19, 0),
    "BIGINT": (T.INT64, 19, 0),
    "FLOAT": (T.FLOAT, 7, MIN_INT), "DOUBLE": (T.DOUBLE, 15, MIN_INT),
    "DATE": (T.DATE, 0, MIN_INT), "TIME": (T.TIME, 6, MIN_INT),
    "TIMESTAMP": (T.DATETIME, 6, MIN_INT), "TIMESTAMP_NS": (T.DATETIME, 9, MIN_INT),
    "TIMESTAMP_MS": (T.DATETIME, 3, MIN_INT), "TIMESTAMP_S": (T.DATETIME, 0, MIN_INT),
    "TIMESTAMP WITH TIME ZONE": (T.TIMESTAMP, 6, MIN_INT),
    "UUID": (T.UUID, -1, MIN_INT),
    "VARCHAR": (T.STRING, DEFAULT_LENGTH, MIN_INT),
    "BLOB": (T.BYTE_ARRAY, DEFAULT_LENGTH, MIN_INT),
    "INTERVAL": (T.DURATION, 9, MIN_INT),
    "NULL": (T.NULL, -1, MIN_INT),
}


def ignite_type(type_name: str) -> T | None:
    """The Ignite column type of a DuckDB type name, or None when Ignite has none."""
    if type_name == "DECIMAL":
        return T.DECIMAL
    hit = _TYPES.get(type_name)
    return hit[0] if hit else None


def column_meta(column: Column, origin: tuple[str, str] | None = None) -> ColumnMeta:
    """Ignite metadata of an engine column; types Ignite lacks (HUGEINT, lists, ...) go as
    STRING (the mock sends their text). ``origin``: (schema, table) it was read from."""
    nullable = True if column.null_ok is None else column.null_ok
    if column.type_name == "DECIMAL":
        col_type, precision, scale = T.DECIMAL, column.precision or 38, column.scale or 0
    elif column.type_name in ("HUGEINT", "UHUGEINT", "UBIGINT"):
        col_type, precision, scale = T.DECIMAL, 38, 0
    else:
        col_type, precision, scale = _TYPES.get(column.type_name,
                                                (T.STRING, DEFAULT_LENGTH, MIN_INT))
    if origin is None:
        return ColumnMeta(column.name, col_type, nullable, scale, precision)
    return ColumnMeta(column.name, col_type, nullable, scale, precision, column.name,
                      origin[0], origin[1])
