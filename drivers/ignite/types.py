"""PEP 249 type objects for Ignite 3 column types, and the description 7-tuples.

``description[i][1]`` (the type code) is the column's
:class:`~dbapi_conformance.drivers.wire.ignite.ColumnType` (an int enum, ignite3.md 6.1).

Type objects (TYP-OBJ-1, CUR-DESC-5):

- STRING: STRING (VARCHAR)
- BINARY: BYTE_ARRAY (VARBINARY)
- NUMBER: BOOLEAN, INT8, INT16, INT32, INT64, FLOAT, DOUBLE, DECIMAL
- DATETIME: DATE, TIME, DATETIME, TIMESTAMP
- ROWID: compares equal to nothing (Ignite has no row ids)

UUID, PERIOD, DURATION and NULL match none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

from dbapi_conformance.drivers._dbapi.types import DBAPITypeObject
from dbapi_conformance.drivers.wire.ignite import MIN_INT, ColumnMeta
from dbapi_conformance.drivers.wire.ignite import ColumnType as T

__all__ = ["STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", "description"]

STRING = DBAPITypeObject("STRING", T.STRING)
BINARY = DBAPITypeObject("BINARY", T.BYTE_ARRAY)
NUMBER = DBAPITypeObject(
    "NUMBER", T.BOOLEAN, T.INT8, T.INT16, T.INT32, T.INT64, T.FLOAT, T.DOUBLE, T.DECIMAL
)
DATETIME = DBAPITypeObject("DATETIME", T.DATE, T.TIME, T.DATETIME, T.TIMESTAMP)
ROWID = DBAPITypeObject("ROWID")


def description(columns: Sequence[ColumnMeta]) -> tuple:
    """``cursor.description`` for Ignite column metadata (ignite3.md 5.2): ``(name,
    ColumnType, None, None, precision, scale, nullable)``; precision -1 and scale MIN_INT
    ("not applicable") become None."""
    return tuple(
        (
            c.name,
            c.type,
            None,
            None,
            None if c.precision < 0 else c.precision,
            None if c.scale == MIN_INT else c.scale,
            c.nullable,
        )
        for c in columns
    )
