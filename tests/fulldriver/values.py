"""PEP 249 type objects and constructors, and values to and from SQLite ("Type Objects and
Constructors", TYP-*, CUR-DESC-5).

Type codes in ``Cursor.description`` are strings: the column's declared type upper-cased
(``"INTEGER"``, ``"TIMESTAMP_TEXT"``), or for a computed column the SQLite storage class of
its first non-NULL value (``"INTEGER"``, ``"REAL"``, ``"TEXT"``, ``"BLOB"``, ``"NULL"``), or
``"ROWID"`` for a bare ``rowid``/``oid``/``_rowid_`` column. A type object compares equal to
a code by the family of the code (``family_of``).

Declared types also drive result conversion: a type containing TIMESTAMP or DATETIME gives
``datetime.datetime``, DATE ``datetime.date``, TIME ``datetime.time``, BOOL ``bool``, DEC or
NUMERIC ``decimal.Decimal``. Values that do not parse are returned as SQLite stored them
(SQLite columns are dynamically typed). Give temporal columns a TEXT-affinity name such as
``DATE_TEXT``: a plain ``DATE`` has NUMERIC affinity, so ``CAST('2024-02-29' AS DATE)`` is 2024.
"""

from __future__ import annotations

import datetime
import decimal
import time
from collections.abc import Callable
from typing import Any

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802 - PEP 249 name
    """Local date of ``ticks`` seconds since the epoch (TYP-CTOR-2)."""
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    """Local time of day of ``ticks`` (TYP-CTOR-2)."""
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    """Local date and time of ``ticks`` (TYP-CTOR-2)."""
    return Timestamp(*time.localtime(ticks)[:6])


def family_of(code: Any) -> str | None:
    """"STRING", "BINARY", "NUMBER", "DATETIME", "ROWID" or None for a type code."""
    text = str(code).upper()
    if text == "ROWID":
        return "ROWID"
    if "DATE" in text or "TIME" in text:
        return "DATETIME"
    if "BLOB" in text or "BINARY" in text:
        return "BINARY"
    if any(word in text for word in ("INT", "REAL", "FLOA", "DOUB", "DEC", "NUM", "BOOL")):
        return "NUMBER"
    if any(word in text for word in ("TEXT", "CHAR", "CLOB", "STRING")):
        return "STRING"
    return None


class DBAPITypeObject:
    """A PEP 249 type object: equal to every type code of its families (TYP-OBJ-1, -2)."""

    def __init__(self, name: str, *families: str) -> None:
        self.name = name
        self.families = frozenset(families or (name,))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self is other
        return family_of(other) in self.families

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<type object {self.name}>"


STRING = DBAPITypeObject("STRING")
BINARY = DBAPITypeObject("BINARY")
NUMBER = DBAPITypeObject("NUMBER", "NUMBER", "ROWID")  # a rowid is an integer too
DATETIME = DBAPITypeObject("DATETIME")
ROWID = DBAPITypeObject("ROWID")

_ROWID_NAMES = ("rowid", "oid", "_rowid_")
_STORAGE = ((bool, "INTEGER"), (int, "INTEGER"), (float, "REAL"), (str, "TEXT"),
            (bytes, "BLOB"))


def adapt(value: Any) -> Any:
    """A parameter value as SQLite stores it: ISO text for dates and times, text for
    Decimal, int for bool, bytes for buffers; anything else unchanged (sqlite3 checks it)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def type_code(declared: str, name: str, values: list[Any]) -> str:
    """The description type code of a column (see the module docstring)."""
    if declared:
        return declared.upper()
    if name.lower() in _ROWID_NAMES:
        return "ROWID"
    for value in values:
        for python_type, code in _STORAGE:
            if isinstance(value, python_type):
                return code
    return "NULL"


def _decimal(value: Any) -> decimal.Decimal:
    return decimal.Decimal(str(value))


def _bool(value: Any) -> bool:
    if not isinstance(value, int):
        raise TypeError("not a stored boolean")
    return bool(value)


def converter(declared: str) -> Callable[[Any], Any] | None:
    """The result conversion for a declared column type, or None."""
    text = declared.upper()
    if "TIMESTAMP" in text or "DATETIME" in text:
        return datetime.datetime.fromisoformat
    if "DATE" in text:
        return datetime.date.fromisoformat
    if "TIME" in text:
        return datetime.time.fromisoformat
    if "BOOL" in text:
        return _bool
    if "DEC" in text or "NUMERIC" in text:
        return _decimal
    return None


def convert(value: Any, convert_fn: Callable[[Any], Any] | None) -> Any:
    """``convert_fn(value)``; the value unchanged when it is NULL or does not parse."""
    if value is None or convert_fn is None or isinstance(value, bytes):
        return value
    try:
        return convert_fn(value)
    except (ValueError, TypeError, decimal.InvalidOperation):
        return value
