"""PEP 249 type objects for Exasol's type names, and the ``description`` of a result set.

``description[i][1]`` (the type code) is the column's Exasol type name, one of the 12
strings of protocols/exasol.md 5.4 (``"DECIMAL"``, ``"VARCHAR"``, ...). Type objects
(TYP-OBJ-1, CUR-DESC-5):

- STRING: CHAR, VARCHAR, HASHTYPE (hex text), GEOMETRY (WKT text), and both INTERVAL types
  (signed text such as ``+02 12:50:10.123``);
- NUMBER: DECIMAL, DOUBLE, BOOLEAN (as PEP 249 suggests for a type with no family of its own);
- DATETIME: DATE, TIMESTAMP, TIMESTAMP WITH LOCAL TIME ZONE;
- BINARY, ROWID: compare equal to nothing; Exasol has no binary column type and no row ids.

The other 7-tuple items (CUR-DESC-2): ``display_size`` None; ``internal_size`` the
``size`` Exasol gives (CHAR/VARCHAR characters, DATE/TIMESTAMP bytes), else None;
``precision``/``scale`` for DECIMAL (and ``precision`` for INTERVAL and v5 TIMESTAMP);
``null_ok`` None (the WebSocket API does not say).
"""

from __future__ import annotations

from typing import Any

from dbapi_conformance.drivers._dbapi.exceptions import InterfaceError
from dbapi_conformance.drivers._dbapi.types import DBAPITypeObject

__all__ = ["STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", "TYPE_NAMES", "describe"]

#: Exasol's type names as they appear in ``dataType.type`` (protocols/exasol.md 5.4).
TYPE_NAMES = (
    "BOOLEAN", "CHAR", "DATE", "DECIMAL", "DOUBLE", "GEOMETRY", "HASHTYPE",
    "INTERVAL DAY TO SECOND", "INTERVAL YEAR TO MONTH", "TIMESTAMP",
    "TIMESTAMP WITH LOCAL TIME ZONE", "VARCHAR",
)

STRING = DBAPITypeObject(
    "STRING", "CHAR", "VARCHAR", "HASHTYPE", "GEOMETRY", "INTERVAL DAY TO SECOND",
    "INTERVAL YEAR TO MONTH",
)
NUMBER = DBAPITypeObject("NUMBER", "DECIMAL", "DOUBLE", "BOOLEAN")
DATETIME = DBAPITypeObject("DATETIME", "DATE", "TIMESTAMP", "TIMESTAMP WITH LOCAL TIME ZONE")
BINARY = DBAPITypeObject("BINARY")
ROWID = DBAPITypeObject("ROWID")


def _int(data_type: dict, key: str) -> int | None:
    value = data_type.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def describe(columns: Any) -> tuple[tuple, ...]:
    """The ``description`` of a result set's ``columns`` (``[{"name", "dataType"}, ...]``).

    Raises InterfaceError for columns that are not shaped like Exasol's.
    """
    if not isinstance(columns, list):
        raise InterfaceError(f"the result set's columns are not a list: {columns!r}")
    out = []
    for column in columns:
        data_type = column.get("dataType") if isinstance(column, dict) else None
        if not isinstance(data_type, dict) or not isinstance(column.get("name"), str):
            raise InterfaceError(f"malformed result set column {column!r}")
        name = data_type.get("type")
        size = _int(data_type, "size")
        precision = _int(data_type, "precision")
        scale = _int(data_type, "scale")
        out.append((column["name"], name, None, size, precision, scale, None))
    return tuple(out)
