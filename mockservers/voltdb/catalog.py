"""The mock's VoltDB catalog: tables (from the engine), what DuckDB does not keep (declared
VoltDB types and sizes, partitioning), and the user procedures.

Used only on the server's one execution thread (handler.py), so it needs no lock: every
call, DDL included, runs there one at a time, as in a one-partition VoltDB.
VoltDB facts: protocols/voltdb.md 5.3 (DDL), 5.4 (default procedures), 6 (@SystemCatalog).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import errors as sqlglot_errors
from sqlglot import exp

from dbapi_conformance.drivers.wire.voltdb import VoltType
from dbapi_conformance.mockservers.engine import errors as eerr
from dbapi_conformance.mockservers.voltdb.dialect import volt_type

__all__ = ["ColumnInfo", "TableInfo", "Procedure", "Catalog", "declared_columns"]

#: VoltDB's default VARCHAR / VARBINARY length when none is declared.
DEFAULT_SIZE = 1024 * 1024

_DECLARED = {
    exp.DataType.Type.TINYINT: VoltType.TINYINT, exp.DataType.Type.SMALLINT: VoltType.SMALLINT,
    exp.DataType.Type.INT: VoltType.INTEGER, exp.DataType.Type.BIGINT: VoltType.BIGINT,
    exp.DataType.Type.DOUBLE: VoltType.FLOAT, exp.DataType.Type.FLOAT: VoltType.FLOAT,
    exp.DataType.Type.VARCHAR: VoltType.STRING, exp.DataType.Type.CHAR: VoltType.STRING,
    exp.DataType.Type.TEXT: VoltType.STRING, exp.DataType.Type.TIMESTAMP: VoltType.TIMESTAMP,
    exp.DataType.Type.DECIMAL: VoltType.DECIMAL, exp.DataType.Type.VARBINARY: VoltType.VARBINARY,
    exp.DataType.Type.BINARY: VoltType.VARBINARY, exp.DataType.Type.DATE: VoltType.DATE,
    exp.DataType.Type.GEOGRAPHY: VoltType.GEOGRAPHY,
}


@dataclass(frozen=True)
class ColumnInfo:
    """A table column: upper-case ``name``, VoltDB ``type``, ``size`` (VARCHAR/VARBINARY
    length, else the type's width), ``nullable``, ``default`` (SQL text or None)."""

    name: str
    type: VoltType
    size: int
    nullable: bool
    default: str | None = None


@dataclass
class TableInfo:
    name: str
    columns: list[ColumnInfo]
    primary_key: list[str]
    kind: str = "TABLE"  # or "VIEW"
    partition_column: str | None = None


@dataclass
class Procedure:
    """A procedure the mock can call: ``name`` as declared, ``statement`` (VoltDB SQL text
    of its single statement), ``parameters`` (placeholder count), ``read_only``,
    ``partition`` (table, column, parameter index) or None, ``default`` (a generated
    TABLE.insert-style procedure)."""

    name: str
    statement: str
    parameters: int
    read_only: bool
    partition: tuple[str, str, int] | None = None
    default: bool = False
    param_types: list[VoltType] = field(default_factory=list)


_WIDTH = {VoltType.TINYINT: 1, VoltType.SMALLINT: 2, VoltType.INTEGER: 4, VoltType.BIGINT: 8,
          VoltType.FLOAT: 8, VoltType.TIMESTAMP: 8, VoltType.DECIMAL: 16, VoltType.DATE: 4,
          VoltType.GEOGRAPHY_POINT: 16}


def declared_columns(text: str) -> tuple[str, dict[str, tuple[VoltType, int]]] | None:
    """(table, {column: (VoltDB type, size)}) of a CREATE TABLE text, or None; Unsupported
    for a column type VoltDB does not have."""
    try:
        tree = sqlglot.parse_one(strip_table_options(text), read="postgres")
    except (sqlglot_errors.ParseError, sqlglot_errors.TokenError, RecursionError):
        return None
    if not isinstance(tree, exp.Create) or str(tree.args.get("kind", "")).upper() != "TABLE":
        return None
    schema = tree.this
    table = schema.this if isinstance(schema, exp.Schema) else schema
    if not isinstance(table, exp.Table):
        return None
    out = {}
    for coldef in tree.find_all(exp.ColumnDef):
        dt = coldef.args.get("kind")
        if dt is None:
            continue
        if dt.this == exp.DataType.Type.USERDEFINED and dt.sql().upper() == "GEOGRAPHY_POINT":
            t = VoltType.GEOGRAPHY_POINT
        else:
            t = _DECLARED.get(dt.this)
            if t is None:  # BOOLEAN, JSON, TIME, UUID, arrays...: not VoltDB column types
                raise eerr.Unsupported("type not found or user lacks privilege: "
                                       + dt.sql(dialect="postgres").split("(")[0].upper())
        size = _WIDTH.get(t, DEFAULT_SIZE)
        if dt.expressions and t in (VoltType.STRING, VoltType.VARBINARY, VoltType.GEOGRAPHY):
            try:
                size = int(dt.expressions[0].name)
            except (TypeError, ValueError):
                pass
        ident = coldef.this
        name = ident.name if getattr(ident, "quoted", False) else ident.name.upper()
        out[name] = (t, size)
    tident = table.this
    tname = tident.name if getattr(tident, "quoted", False) else tident.name.upper()
    return tname, out


_LIMIT_ROWS = re.compile(r",\s*(?:CONSTRAINT\s+\S+\s+)?LIMIT\s+PARTITION\s+ROWS\s+\d+"
                         r"(?:\s+EXECUTE\s*\(.*?\))?", re.I | re.S)


def strip_table_options(text: str) -> str:
    """CREATE TABLE text without VoltDB-only parts: ``LIMIT PARTITION ROWS n``,
    ``ASSUMEUNIQUE`` (taken as UNIQUE), VARCHAR ``(n BYTES)``, ``EXPORT TO ...``."""
    text = _LIMIT_ROWS.sub("", text)
    text = re.sub(r"\bASSUMEUNIQUE\b", "UNIQUE", text, flags=re.I)
    text = re.sub(r"\(\s*(\d+)\s+BYTES\s*\)", r"(\1)", text, flags=re.I)
    return text


class Catalog:
    """Tables (read from the engine session, cached until :meth:`changed`), declared column
    types and sizes, partition columns and procedures."""

    def __init__(self) -> None:
        self.declared: dict[str, dict[str, tuple[VoltType, int]]] = {}
        self.partitions: dict[str, str] = {}
        self.procedures: dict[str, Procedure] = {}  # lower-case name -> procedure
        self._tables: dict[str, TableInfo] | None = None
        # the default procedures of _tables, built once per catalog state
        self._defaults: dict[str, Procedure] | None = None

    def changed(self) -> None:
        self._tables = None
        self._defaults = None

    def tables(self, session) -> dict[str, TableInfo]:
        """Upper-case name -> TableInfo of every user table and view."""
        if self._tables is None:
            out = {}
            for _schema, name, kind in session.tables("main"):
                cols = session.table_columns("main", name)
                declared = self.declared.get(name, {})
                infos = []
                for c in cols:
                    t, size = declared.get(c.name) or (volt_type(_full(c)), None)
                    infos.append(ColumnInfo(c.name, t, size or _WIDTH.get(t, DEFAULT_SIZE),
                                            bool(c.null_ok), c.default))
                pk = [c.name for c in cols if c.primary_key]
                out[name] = TableInfo(name, infos, pk, kind, self.partitions.get(name))
            self._tables = out
        return self._tables

    def table(self, session, name: str) -> TableInfo | None:
        return self.tables(session).get(name.upper()) or self.tables(session).get(name)

    def forget_table(self, name: str) -> None:
        self.declared.pop(name, None)
        self.partitions.pop(name, None)
        for key in [k for k, p in self.procedures.items()
                    if p.partition is not None and p.partition[0] == name]:
            self.procedures[key].partition = None

    # --- procedures ---------------------------------------------------------------------
    def procedure(self, session, name: str) -> Procedure | None:
        """A user procedure or a default CRUD one (names are case-insensitive)."""
        key = name.lower()
        proc = self.procedures.get(key)
        if proc is not None:
            return proc
        return self.default_procedures(session).get(key)

    def default_procedures(self, session) -> dict[str, Procedure]:
        """``<TABLE>.insert`` for every table; ``.update``, ``.upsert``, ``.delete`` and
        ``.select`` for tables with a primary key (voltdb.md 5.4; ``.select`` as newer
        servers have it on replicated tables too). Built once until :meth:`changed`."""
        tables = self.tables(session)
        if self._defaults is None:
            self._defaults = self._build_defaults(tables)
        return self._defaults

    @staticmethod
    def _build_defaults(tables: dict[str, TableInfo]) -> dict[str, Procedure]:
        out = {}
        for t in tables.values():
            if t.kind != "TABLE":
                continue
            cols = [_q(c.name) for c in t.columns]
            types = [c.type for c in t.columns]
            marks = ", ".join("?" for _ in cols)
            name = t.name
            part = None
            if t.partition_column:
                idx = [c.name for c in t.columns].index(t.partition_column)
                part = (name, t.partition_column, idx)
            out[f"{name}.insert".lower()] = Procedure(
                f"{name}.insert", f"INSERT INTO {_q(name)} VALUES ({marks})", len(cols), False,
                part, True, types)
            if not t.primary_key or (t.partition_column
                                     and t.partition_column not in t.primary_key):
                continue
            pk_types = [next(c.type for c in t.columns if c.name == k) for k in t.primary_key]
            where = " AND ".join(f"{_q(k)} = ?" for k in t.primary_key)
            sets = ", ".join(f"{c} = ?" for c in cols)
            out[f"{name}.upsert".lower()] = Procedure(
                f"{name}.upsert", f"UPSERT INTO {_q(name)} VALUES ({marks})", len(cols), False,
                part, True, types)
            out[f"{name}.update".lower()] = Procedure(
                f"{name}.update", f"UPDATE {_q(name)} SET {sets} WHERE {where}",
                len(cols) + len(t.primary_key), False, part, True, types + pk_types)
            out[f"{name}.delete".lower()] = Procedure(
                f"{name}.delete", f"DELETE FROM {_q(name)} WHERE {where}", len(t.primary_key),
                False, part, True, pk_types)
            out[f"{name}.select".lower()] = Procedure(
                f"{name}.select", f"SELECT * FROM {_q(name)} WHERE {where}",
                len(t.primary_key), True, part, True, pk_types)
        return out


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _full(c) -> str:
    return c.type_name
