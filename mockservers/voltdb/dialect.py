"""VoltDB SQL where it differs from DuckDB: column types, functions, UPSERT, identifier case.

Used by translate.py on sqlglot trees (read as "postgres", the closest sqlglot dialect to
VoltDB's HSQL-derived front end). VoltDB facts: protocols/voltdb.md 1.2 (types), 5.3 (DDL);
VoltDB's SQL reference for ``SINCE_EPOCH``, ``TO_TIMESTAMP``, ``UPSERT`` and identifier case
(unquoted names are upper case).
"""

from __future__ import annotations

import re

from sqlglot import exp

from dbapi_conformance.drivers.wire.voltdb import VoltType

__all__ = ["DECIMAL_SQL", "LENGTH_CHECK", "rewrite", "volt_type", "type_name"]

#: VoltDB's one DECIMAL: precision 38, scale 12 (voltdb.md 1.2).
DECIMAL_SQL = "DECIMAL(38,12)"

_TIME_UNITS = {"SECOND": 1_000_000, "MILLISECOND": 1000, "MILLIS": 1000,
               "MICROSECOND": 1, "MICROS": 1}


def _column_type(dt: exp.DataType) -> exp.DataType | None:
    """The DuckDB type of a VoltDB column type (None: keep it)."""
    kind = dt.this
    T = exp.DataType.Type
    if kind in (T.VARCHAR, T.CHAR, T.NVARCHAR, T.TEXT):
        return exp.DataType.build("VARCHAR")
    if kind in (T.VARBINARY, T.BINARY, T.GEOGRAPHY):
        return exp.DataType.build("BLOB")
    if kind in (T.DECIMAL,):
        return exp.DataType.build(DECIMAL_SQL)
    if kind in (T.FLOAT, T.DOUBLE):
        return exp.DataType.build("DOUBLE")
    if kind == T.USERDEFINED and dt.sql().upper() == "GEOGRAPHY_POINT":
        return exp.DataType.build("DOUBLE[2]", dialect="duckdb")
    return None


def _unit(node: exp.Expression) -> int | None:
    if isinstance(node, exp.Column) and not node.table:
        return _TIME_UNITS.get(node.name.upper())
    return None


def _function(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.In) and isinstance(node.args.get("field"), exp.Placeholder):
        # VoltDB's "x IN ?" takes an array parameter
        return exp.func("list_contains", node.args["field"], node.this)
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "SINCE_EPOCH":
        args = node.expressions
        if len(args) == 2 and (unit := _unit(args[0])) is not None:
            micros = exp.func("epoch_us", args[1])
            return micros if unit == 1 else exp.IntDiv(this=micros,
                                                       expression=exp.Literal.number(unit))
    if isinstance(node, exp.StrToTime) and (unit := _unit(node.this)) is not None:
        amount = node.args.get("format")
        micros = amount if unit == 1 else exp.Mul(this=amount,
                                                   expression=exp.Literal.number(unit))
        return exp.func("make_timestamp", exp.cast(micros, "BIGINT"))
    if isinstance(node, exp.Anonymous) and str(node.this).upper() == "NOW" and not node.expressions:
        return exp.CurrentTimestamp()
    return node


#: The CHECK constraint that stands for a VARCHAR(n) / VARBINARY(n) length, and how an
#: engine error names it (errors.py turns it into VoltDB's SQL ERROR).
LENGTH_CHECK = re.compile(r'(length|octet_length)\("?((?:[^"]|"")+?)"?\) <= (\d+)', re.I)


def _length_check(coldef: exp.ColumnDef) -> None:
    dt = coldef.args.get("kind")
    T = exp.DataType.Type
    if dt is None or dt.this not in (T.VARCHAR, T.VARBINARY, T.CHAR, T.BINARY) or \
            not dt.expressions:
        return
    try:
        size = int(dt.expressions[0].name)
    except (TypeError, ValueError):
        return
    ident = coldef.this
    name = ident.name if ident.quoted else ident.name.upper()
    fn = "length" if dt.this in (T.VARCHAR, T.CHAR) else "octet_length"
    check = exp.CheckColumnConstraint(this=exp.LTE(
        this=exp.func(fn, exp.column(exp.Identifier(this=name, quoted=True))),
        expression=exp.Literal.number(size)))
    coldef.append("constraints", exp.ColumnConstraint(kind=check))


def rewrite(tree: exp.Expression) -> exp.Expression:
    """VoltDB tree -> DuckDB tree: unquoted identifiers upper case (VoltDB's catalog names),
    column types of CREATE / ALTER TABLE with their lengths as CHECK constraints,
    VoltDB-only functions."""
    def visit(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.ColumnDef):
            _length_check(node)
            return node
        if isinstance(node, exp.Identifier) and not node.quoted:
            return exp.Identifier(this=node.this.upper(), quoted=True)
        if isinstance(node, exp.DataType) and isinstance(node.parent, (exp.ColumnDef,
                                                                       exp.Cast)):
            return _column_type(node) or node
        return _function(node)

    return tree.transform(visit, copy=False)


#: engine (DuckDB) type name -> VoltDB column type of a result
_RESULT_TYPES = {
    "TINYINT": VoltType.TINYINT, "SMALLINT": VoltType.SMALLINT, "INTEGER": VoltType.INTEGER,
    "BIGINT": VoltType.BIGINT, "HUGEINT": VoltType.BIGINT, "UTINYINT": VoltType.SMALLINT,
    "USMALLINT": VoltType.INTEGER, "UINTEGER": VoltType.BIGINT, "UBIGINT": VoltType.BIGINT,
    "FLOAT": VoltType.FLOAT, "DOUBLE": VoltType.FLOAT, "DECIMAL": VoltType.DECIMAL,
    "VARCHAR": VoltType.STRING, "BLOB": VoltType.VARBINARY, "TIMESTAMP": VoltType.TIMESTAMP,
    "TIMESTAMP WITH TIME ZONE": VoltType.TIMESTAMP, "TIMESTAMP_MS": VoltType.TIMESTAMP,
    "TIMESTAMP_NS": VoltType.TIMESTAMP, "TIMESTAMP_S": VoltType.TIMESTAMP,
    "DATE": VoltType.DATE, "BOOLEAN": VoltType.TINYINT, "DOUBLE[2]": VoltType.GEOGRAPHY_POINT,
    "NULL": VoltType.STRING, '"NULL"': VoltType.STRING,
}


def volt_type(engine_type: str) -> VoltType:
    """The VoltDB type a result column of engine type ``engine_type`` is sent as (anything
    unknown goes as STRING, its text form)."""
    return _RESULT_TYPES.get(engine_type, VoltType.STRING)


#: VoltDB type names of @SystemCatalog COLUMNS TYPE_NAME (voltdb.md 6)
_TYPE_NAMES = {VoltType.STRING: "VARCHAR"}


def type_name(t: VoltType) -> str:
    return _TYPE_NAMES.get(t, t.name)
