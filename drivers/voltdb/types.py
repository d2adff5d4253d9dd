"""PEP 249 type objects for VoltTable column types, description items, and the typing of
Python parameter values (protocols/voltdb.md 1.2, 5.1).

``description[i][1]`` is the column's VoltType code (a
:class:`~dbapi_conformance.drivers.wire.voltdb.VoltType`, an int). Type objects
(TYP-OBJ-1, CUR-DESC-5):

- STRING: STRING (VARCHAR)
- BINARY: VARBINARY
- NUMBER: TINYINT, SMALLINT, INTEGER, BIGINT, FLOAT, DECIMAL, BOOLEAN
- DATETIME: TIMESTAMP, DATE
- ROWID: nothing (VoltDB has no row ids)

GEOGRAPHY_POINT and GEOGRAPHY match none of them.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from dbapi_conformance.drivers._dbapi.exceptions import DataError, NotSupportedError
from dbapi_conformance.drivers._dbapi.types import DBAPITypeObject
from dbapi_conformance.drivers.wire.voltdb import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    MAX_VALUE_LENGTH,
    Column,
    EncodeError,
    Parameter,
    VoltTable,
    VoltType,
    decimal_unscaled,
    infer_parameter,
)
from dbapi_conformance.drivers.wire.voltdb import VoltType as T

__all__ = ["STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", "description_of", "parameter",
           "python_value"]

STRING = DBAPITypeObject("STRING", T.STRING)
BINARY = DBAPITypeObject("BINARY", T.VARBINARY)
NUMBER = DBAPITypeObject("NUMBER", T.TINYINT, T.SMALLINT, T.INTEGER, T.BIGINT, T.FLOAT,
                         T.DECIMAL, T.BOOLEAN)
DATETIME = DBAPITypeObject("DATETIME", T.TIMESTAMP, T.DATE)
ROWID = DBAPITypeObject("ROWID")

#: Integer types by width, narrowest first; each type's lowest value is its NULL.
_INTEGERS = ((T.TINYINT, 7), (T.SMALLINT, 15), (T.INTEGER, 31), (T.BIGINT, 63))


def _description_item(column: Column) -> tuple:
    t = column.type
    if t == T.DECIMAL:
        return (column.name, t, None, None, DECIMAL_PRECISION, DECIMAL_SCALE, None)
    return (column.name, t, None, None, None, None, None)


def description_of(table: VoltTable) -> tuple:
    """The PEP 249 description of a result table: ``(name, VoltType, None, None,
    precision, scale, None)`` per column; precision 38 and scale 12 for DECIMAL, None
    otherwise; the wire gives no nullability (voltdb.md 5.6)."""
    return tuple(_description_item(c) for c in table.columns)


def _integer(value: int) -> Parameter:
    for t, bits in _INTEGERS:
        if -(2 ** bits) < value < 2 ** bits:
            return Parameter(t, value)
    raise DataError(f"the integer {value} is outside VoltDB's BIGINT range "
                    f"({-(2 ** 63) + 1}..{2 ** 63 - 1}; {-(2 ** 63)} is its NULL)")


def parameter(value: Any) -> Parameter:
    """The typed parameter a Python value is bound as (voltdb.md 5.1):

    - None -> NULL; bool -> TINYINT 0/1 (servers refuse BOOLEAN parameters, 9.9);
    - int -> the narrowest of TINYINT, SMALLINT, INTEGER, BIGINT that holds it (each
      type's lowest value is its NULL, so -128 is a SMALLINT); DataError beyond BIGINT;
    - float -> FLOAT; Decimal -> DECIMAL (scale 12; DataError beyond 38 digits);
    - str -> STRING, bytes/bytearray/memoryview -> VARBINARY (DataError over 1 MiB);
    - datetime -> TIMESTAMP (microseconds since the epoch, UTC; naive values are UTC);
      date -> DATE;
    - a list or tuple -> an array of its elements' type (3.3).

    NotSupportedError for ``datetime.time`` (VoltDB has no TIME type); DataError for a
    value of another type.
    """
    if isinstance(value, Parameter):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return _integer(value)
    if isinstance(value, datetime.time):
        raise NotSupportedError("VoltDB has no TIME type: bind a datetime (TIMESTAMP) or a str")
    if isinstance(value, decimal.Decimal):
        try:
            decimal_unscaled(value)
        except EncodeError as exc:
            raise DataError(f"DECIMAL parameter {value}: {exc}") from None
    if isinstance(value, str) and len(value) * 4 > MAX_VALUE_LENGTH:
        if len(value.encode("utf-8")) > MAX_VALUE_LENGTH:
            raise DataError(f"a str of more than {MAX_VALUE_LENGTH} UTF-8 bytes cannot be "
                            "bound (VoltDB's largest value)")
    if isinstance(value, (bytes, bytearray, memoryview)) and len(value) > MAX_VALUE_LENGTH:
        raise DataError(f"bytes of more than {MAX_VALUE_LENGTH} cannot be bound (VoltDB's "
                        "largest value)")
    if isinstance(value, (list, tuple)) and value:
        ints = [v for v in value if isinstance(v, int) and not isinstance(v, bool)]
        if ints and len(ints) == sum(v is not None for v in value):
            # one element type for the whole array: the widest any element needs
            order = [t for t, _ in _INTEGERS]
            widest = max(order.index(_integer(v).type) for v in ints)
            return Parameter(order[widest], list(value), array=True)
    try:
        return infer_parameter(value)
    except EncodeError as exc:
        raise DataError(f"cannot bind {type(value).__name__} {value!r:.80}: {exc}") from None


def python_value(t: int, value: Any) -> Any:
    """A result value as the driver returns it: TIMESTAMP as a naive UTC datetime (the
    codec's aware value without its tzinfo, as bound values are read); the rest as the
    codec decodes it."""
    if t == VoltType.TIMESTAMP and value is not None:
        return value.replace(tzinfo=None)
    return value
