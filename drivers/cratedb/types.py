"""PEP 249 type objects for CrateDB's ``col_types`` ids, and description type codes.

``description[i][1]`` is the column's CrateDB type id (cratedb.md 4.1) as a
:class:`~dbapi_conformance.drivers.wire.cratedb.DataType` (an int), or, for arrays, a tuple
``(100, inner)`` (``col_types`` sends ``[100, inner]``; a tuple keeps it hashable).

Type objects (TYP-OBJ-1, CUR-DESC-5):

- STRING: text, character(n), ip, json, uuid, bit(n), interval (sent as text), regproc,
  regtype
- NUMBER: "char" (a 1-byte int), smallint, integer, bigint, real, double precision,
  numeric, boolean, regclass (an oid)
- DATETIME: timestamp with/without time zone, date, time with time zone
- BINARY, ROWID: compare equal to nothing; CrateDB has no binary SQL type and no row ids.

Objects, geo types, rows, float vectors, arrays, oidvector and the undefined type of a bare
``NULL`` match none of them.
"""

from __future__ import annotations

from typing import Any

from dbapi_conformance.drivers._dbapi.types import DBAPITypeObject
from dbapi_conformance.drivers.wire.cratedb import DataType as T

__all__ = ["STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", "type_code"]

STRING = DBAPITypeObject(
    "STRING", T.TEXT, T.CHARACTER, T.IP, T.JSON, T.UUID, T.BIT, T.INTERVAL, T.REGPROC, T.REGTYPE
)
NUMBER = DBAPITypeObject(
    "NUMBER",
    T.CHAR,
    T.SMALLINT,
    T.INTEGER,
    T.BIGINT,
    T.REAL,
    T.DOUBLE,
    T.NUMERIC,
    T.BOOLEAN,
    T.REGCLASS,
)
DATETIME = DBAPITypeObject(
    "DATETIME", T.TIMESTAMP_WITH_TZ, T.TIMESTAMP_WITHOUT_TZ, T.DATE, T.TIMETZ
)
BINARY = DBAPITypeObject("BINARY")
ROWID = DBAPITypeObject("ROWID")

_KNOWN = {t.value: t for t in T}


def type_code(col_type: Any) -> Any:
    """The description type code of one ``col_types`` entry (an int or ``[100, inner]``)."""
    if isinstance(col_type, list):
        return tuple(type_code(c) for c in col_type)
    if isinstance(col_type, int):
        return _KNOWN.get(col_type, col_type)
    return col_type
