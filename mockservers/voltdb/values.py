"""Values between the wire and the engine, and VoltDB's parameter type checks.

Parameters of a procedure whose parameter types are known (the default CRUD procedures)
are made compatible as VoltDB's ParameterConverter.tryToMakeCompatible does
(protocols/voltdb.md 5.1): integers narrow with a range check, a FLOAT never goes into an
integer slot, strings are parsed into numbers, anything goes into a VARCHAR slot. A value
that does not fit is a GRACEFUL_FAILURE with VoltDB's message, never a silent rounding.
"""

from __future__ import annotations

import datetime as _dt
import decimal
from typing import Any

from dbapi_conformance.drivers.wire.voltdb import Parameter, VoltType
from dbapi_conformance.mockservers.voltdb import errors as verr

__all__ = ["engine_value", "wire_value", "make_compatible"]

_JAVA = {VoltType.TINYINT: "java.lang.Byte", VoltType.SMALLINT: "java.lang.Short",
         VoltType.INTEGER: "java.lang.Integer", VoltType.BIGINT: "java.lang.Long",
         VoltType.FLOAT: "java.lang.Double", VoltType.STRING: "java.lang.String",
         VoltType.DECIMAL: "java.math.BigDecimal", VoltType.TIMESTAMP:
         "org.voltdb.types.TimestampType", VoltType.VARBINARY: "[B",
         VoltType.DATE: "java.time.LocalDate", VoltType.NULL: "null"}
_SLOT = {VoltType.TINYINT: "byte", VoltType.SMALLINT: "short", VoltType.INTEGER: "int",
         VoltType.BIGINT: "long", VoltType.FLOAT: "double", VoltType.STRING: "java.lang.String",
         VoltType.DECIMAL: "java.math.BigDecimal", VoltType.TIMESTAMP:
         "org.voltdb.types.TimestampType", VoltType.VARBINARY: "byte[]",
         VoltType.DATE: "java.time.LocalDate"}
_INT_RANGE = {VoltType.TINYINT: 7, VoltType.SMALLINT: 15, VoltType.INTEGER: 31,
              VoltType.BIGINT: 63}
_INTS = frozenset(_INT_RANGE)


def engine_value(p: Parameter) -> Any:
    """A decoded parameter as the engine binds it."""
    v = p.value
    if p.array:
        if p.type == VoltType.TINYINT:
            return bytes(v)  # Java sends byte[] as a TINYINT array; it binds as VARBINARY
        return [_scalar(p.type, x) for x in v]
    return _scalar(p.type, v)


def _scalar(t: VoltType, v: Any) -> Any:
    if v is None:
        return None
    if t == VoltType.TIMESTAMP:
        return v.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    if t == VoltType.GEOGRAPHY_POINT:
        return list(v)
    return v


def wire_value(t: VoltType, v: Any) -> Any:
    """An engine result value as the wire type ``t`` carries it."""
    if v is None:
        return None
    if t == VoltType.GEOGRAPHY_POINT:
        return tuple(v)
    if t == VoltType.TINYINT and isinstance(v, bool):
        return int(v)
    if t == VoltType.STRING and not isinstance(v, str):
        return str(v)
    if t == VoltType.DECIMAL and not isinstance(v, decimal.Decimal):
        return decimal.Decimal(v)
    return v


def _mismatch(p: Parameter, target: VoltType) -> verr.CallError:
    shown = p.value if not isinstance(p.value, bytes) else p.value.hex()
    return verr.graceful(
        f"tryToMakeCompatible: The provided value: ({shown}) of type: "
        f"{_JAVA.get(p.type, p.type.name)} is not a match or is out of range for the target "
        f"parameter type: {_SLOT.get(target, target.name)}")


def make_compatible(p: Parameter, target: VoltType) -> Parameter:
    """``p`` converted for a slot of type ``target``; CallError when VoltDB refuses it."""
    if p.value is None or p.type == VoltType.NULL:
        return Parameter(target, None)
    if p.array:
        if p.type == VoltType.TINYINT and target == VoltType.VARBINARY:
            return Parameter(VoltType.VARBINARY, bytes(p.value))
        raise _mismatch(p, target)
    v, t = p.value, p.type
    if target == VoltType.STRING:
        if t == VoltType.VARBINARY:
            raise _mismatch(p, target)
        return Parameter(target, v if isinstance(v, str) else str(v))
    if target in _INTS:
        if t == VoltType.STRING:
            try:
                v = int(v.strip())
            except ValueError:
                raise verr.graceful(f"tryToMakeCompatible: Unable to convert string {v} to "
                                    f"{_SLOT[target]} value for target parameter.") from None
        elif t not in _INTS:
            raise _mismatch(p, target)
        bits = _INT_RANGE[target]
        if not -(2 ** bits) < v < 2 ** bits:
            raise _mismatch(p, target)
        return Parameter(target, v)
    if target == VoltType.FLOAT:
        if t in _INTS or t == VoltType.FLOAT:
            return Parameter(target, float(v))
        if t == VoltType.DECIMAL:
            return Parameter(target, float(v))
        if t == VoltType.STRING:
            try:
                return Parameter(target, float(v))
            except ValueError:
                pass
        raise _mismatch(p, target)
    if target == VoltType.DECIMAL:
        if t in _INTS or t in (VoltType.DECIMAL, VoltType.FLOAT, VoltType.STRING):
            try:
                return Parameter(target, decimal.Decimal(str(v)))
            except decimal.InvalidOperation:
                pass
        raise _mismatch(p, target)
    if target == VoltType.TIMESTAMP:
        if t == VoltType.TIMESTAMP:
            return p
        if t in _INTS:  # microseconds since the epoch
            return Parameter(target, _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
                             + _dt.timedelta(microseconds=v))
        if t == VoltType.STRING:
            try:
                return Parameter(target, _dt.datetime.fromisoformat(v).replace(
                    tzinfo=_dt.timezone.utc))
            except ValueError:
                pass
        raise _mismatch(p, target)
    if target == VoltType.VARBINARY:
        if t == VoltType.VARBINARY:
            return p
        if t == VoltType.STRING:
            try:
                return Parameter(target, bytes.fromhex(v))
            except ValueError:
                pass
        raise _mismatch(p, target)
    if t == target:
        return p
    raise _mismatch(p, target)
