"""PEP 249 type objects and constructors, shared by every reference driver.

Each driver builds its own ``STRING``/``BINARY``/``NUMBER``/``DATETIME``/``ROWID`` from
:class:`DBAPITypeObject` with the type codes its protocol uses in ``description``
(clauses TYP-OBJ-1, TYP-OBJ-2, CUR-DESC-5). The constructors are the same everywhere
(TYP-CTOR-1..3); the ``*FromTicks`` functions use local time, as PEP 249 suggests.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Hashable

from dbapi_conformance.drivers._dbapi.exceptions import DataError

__all__ = [
    "DBAPITypeObject",
    "Date",
    "Time",
    "Timestamp",
    "DateFromTicks",
    "TimeFromTicks",
    "TimestampFromTicks",
    "Binary",
]


class DBAPITypeObject:
    """A type object that compares equal to each of several type codes.

    ``DBAPITypeObject("NUMBER", 8, 9, 10)`` == 9 is True. Unhashable codes never match.
    """

    __slots__ = ("name", "values")

    def __init__(self, name: str, *values: Hashable):
        self.name = name
        self.values = frozenset(values)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DBAPITypeObject):
            return self is other
        try:
            return other in self.values
        except TypeError:  # an unhashable type code
            return False

    def __ne__(self, other: Any) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash((DBAPITypeObject, self.name))

    def __repr__(self) -> str:
        return f"<DBAPITypeObject {self.name}>"


Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes


def _local(ticks: float) -> time.struct_time:
    try:
        return time.localtime(ticks)
    except (OverflowError, OSError, ValueError, TypeError) as exc:
        raise DataError(f"ticks {ticks!r} out of range: {exc}") from None


def DateFromTicks(ticks: float) -> datetime.date:  # noqa: N802 - name fixed by PEP 249
    """The local date of ``ticks`` (seconds since the epoch). Raises DataError if out of
    range."""
    return Date(*_local(ticks)[:3])


def TimeFromTicks(ticks: float) -> datetime.time:  # noqa: N802
    """The local time of day of ``ticks`` (whole seconds, as in PEP 249's example)."""
    return Time(*_local(ticks)[3:6])


def TimestampFromTicks(ticks: float) -> datetime.datetime:  # noqa: N802
    """The local date and time of ``ticks`` (whole seconds, as in PEP 249's example)."""
    return Timestamp(*_local(ticks)[:6])
