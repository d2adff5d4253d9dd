"""CrateDB column types: names in DDL, ``col_types`` ids, storage types in DuckDB.

A :class:`CrateType` is what the mock remembers per user-table column (the catalog), so that
``col_types`` and ``information_schema.columns.data_type`` say what CrateDB would say even
where DuckDB stores the value in a more general type (IP and CHARACTER(n) as VARCHAR,
OBJECT as JSON, GEO_POINT as DOUBLE[2]). Sources: cratedb.md 4.1 and 5.6; crate/crate
``DataTypes.TYPES_BY_NAME_OR_ALIAS`` for the accepted names and aliases.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from dbapi_conformance.drivers.wire.cratedb import TYPE_NAMES, DataType

__all__ = ["CrateType", "parse_type_name", "from_duckdb_type", "from_col_type", "TypeNameError"]


class TypeNameError(ValueError):
    """A DDL type name CrateDB does not know (``Cannot find data type: <name>``)."""


@dataclass(frozen=True)
class CrateType:
    """One CrateDB type: ``id`` (col_types id), ``inner`` for arrays, ``params`` for
    NUMERIC(p, s) / CHARACTER(n) / FLOAT_VECTOR(n) / BIT(n)."""

    id: DataType
    inner: CrateType | None = None
    params: tuple[int, ...] = ()

    @property
    def col_type(self) -> int | list:
        """The ``col_types`` entry: a bare id, or ``[100, inner]`` for arrays (4.1)."""
        if self.id == DataType.ARRAY and self.inner is not None:
            return [int(DataType.ARRAY), self.inner.col_type]
        return int(self.id)

    @property
    def name(self) -> str:
        """The name CrateDB prints (``information_schema.columns.data_type``):
        ``integer``, ``text_array``, ``numeric``, ``character``..."""
        if self.id == DataType.ARRAY and self.inner is not None:
            return self.inner.name + "_array"
        return _NAMES.get(self.id) or TYPE_NAMES.get(self.id, "undefined")

    @property
    def duck(self) -> str:
        """The DuckDB storage type in DDL."""
        if self.id == DataType.ARRAY and self.inner is not None:
            return self.inner.duck + "[]"
        if self.id == DataType.NUMERIC:
            if self.params:
                p = min(self.params[0], 38)
                s = min(self.params[1] if len(self.params) > 1 else 0, p)
                return f"DECIMAL({p},{s})"
            return "DECIMAL(38,10)"
        if self.id == DataType.FLOAT_VECTOR:
            return f"FLOAT[{self.params[0]}]" if self.params else "FLOAT[]"
        return _DUCK[self.id]

    def text(self) -> str:
        """A stable text form for the persisted catalog (:func:`parse_type_name` reads it)."""
        if self.id == DataType.ARRAY and self.inner is not None:
            return f"array({self.inner.text()})"
        base = _NAMES.get(self.id) or TYPE_NAMES.get(self.id, "undefined")
        if self.params:
            return f"{base}({','.join(str(p) for p in self.params)})"
        return base


_NAMES = {
    DataType.CHAR: "byte",  # ByteType.NAME; the wire table's '"char"' is the PG name
    DataType.UNCHECKED_OBJECT: "object",
}

_DUCK = {
    DataType.UNDEFINED: "VARCHAR",
    DataType.CHAR: "TINYINT",
    DataType.BOOLEAN: "BOOLEAN",
    DataType.TEXT: "VARCHAR",
    DataType.IP: "VARCHAR",
    DataType.DOUBLE: "DOUBLE",
    DataType.REAL: "FLOAT",
    DataType.SMALLINT: "SMALLINT",
    DataType.INTEGER: "INTEGER",
    DataType.BIGINT: "BIGINT",
    DataType.TIMESTAMP_WITH_TZ: "TIMESTAMPTZ",
    DataType.OBJECT: "JSON",
    DataType.UNCHECKED_OBJECT: "JSON",
    DataType.GEO_POINT: "DOUBLE[2]",
    DataType.GEO_SHAPE: "JSON",
    DataType.TIMESTAMP_WITHOUT_TZ: "TIMESTAMP",
    DataType.INTERVAL: "INTERVAL",
    DataType.TIMETZ: "TIMETZ",
    DataType.DATE: "DATE",
    DataType.BIT: "VARCHAR",
    DataType.JSON: "VARCHAR",
    DataType.CHARACTER: "VARCHAR",
    DataType.UUID: "UUID",
    DataType.REGPROC: "VARCHAR",  # pg_catalog function names
}

# Type names and aliases accepted in DDL and casts (DataTypes.TYPES_BY_NAME_OR_ALIAS).
_BY_NAME = {
    "byte": DataType.CHAR,
    '"char"': DataType.CHAR,
    "boolean": DataType.BOOLEAN,
    "bool": DataType.BOOLEAN,
    "text": DataType.TEXT,
    "string": DataType.TEXT,
    "varchar": DataType.TEXT,
    "character varying": DataType.TEXT,
    "name": DataType.TEXT,
    "character": DataType.CHARACTER,
    "char": DataType.CHARACTER,
    "ip": DataType.IP,
    "double": DataType.DOUBLE,
    "double precision": DataType.DOUBLE,
    "float8": DataType.DOUBLE,
    "real": DataType.REAL,
    "float": DataType.REAL,
    "float4": DataType.REAL,
    "smallint": DataType.SMALLINT,
    "short": DataType.SMALLINT,
    "int2": DataType.SMALLINT,
    "integer": DataType.INTEGER,
    "int": DataType.INTEGER,
    "int4": DataType.INTEGER,
    "bigint": DataType.BIGINT,
    "long": DataType.BIGINT,
    "int8": DataType.BIGINT,
    "numeric": DataType.NUMERIC,
    "decimal": DataType.NUMERIC,
    "timestamp with time zone": DataType.TIMESTAMP_WITH_TZ,
    "timestamptz": DataType.TIMESTAMP_WITH_TZ,
    "timestamp without time zone": DataType.TIMESTAMP_WITHOUT_TZ,
    "timestamp": DataType.TIMESTAMP_WITHOUT_TZ,
    "date": DataType.DATE,
    "time with time zone": DataType.TIMETZ,
    "timetz": DataType.TIMETZ,
    "interval": DataType.INTERVAL,
    "object": DataType.OBJECT,
    "geo_point": DataType.GEO_POINT,
    "geo_shape": DataType.GEO_SHAPE,
    "bit": DataType.BIT,
    "json": DataType.JSON,
    "uuid": DataType.UUID,
    "float_vector": DataType.FLOAT_VECTOR,
}

_PARAMS = re.compile(r"^(?P<base>.*?)\s*\(\s*(?P<args>[\d\s,]*)\)$")


def parse_type_name(text: str) -> CrateType:
    """A CrateDB type from its DDL spelling: ``STRING``, ``int``, ``ARRAY(text)``,
    ``text[]``, ``NUMERIC(10, 2)``, ``VARCHAR(20)``, ``TIMESTAMP WITH TIME ZONE``,
    ``OBJECT(DYNAMIC)``... Raises :class:`TypeNameError` for an unknown name."""
    t = " ".join(text.strip().split()).lower()
    if t.endswith("[]"):
        return CrateType(DataType.ARRAY, parse_type_name(t[:-2]))
    if t.startswith("array") and t[5:].lstrip().startswith("("):
        inner = t[5:].strip()[1:-1]
        return CrateType(DataType.ARRAY, parse_type_name(inner))
    if t.startswith("object"):
        return CrateType(DataType.OBJECT)
    m = _PARAMS.match(t)
    params: tuple[int, ...] = ()
    if m:
        t = m.group("base").strip()
        params = tuple(int(a) for a in m.group("args").replace(" ", "").split(",") if a)
    dtype = _BY_NAME.get(t)
    if dtype is None:
        raise TypeNameError(f"Cannot find data type: {text.strip()}")
    return CrateType(dtype, None, params)


_FROM_DUCK = {
    "BOOLEAN": DataType.BOOLEAN,
    "TINYINT": DataType.CHAR,
    "UTINYINT": DataType.SMALLINT,
    "SMALLINT": DataType.SMALLINT,
    "USMALLINT": DataType.INTEGER,
    "INTEGER": DataType.INTEGER,
    "UINTEGER": DataType.BIGINT,
    "BIGINT": DataType.BIGINT,
    "UBIGINT": DataType.BIGINT,
    "HUGEINT": DataType.BIGINT,
    "UHUGEINT": DataType.BIGINT,
    "FLOAT": DataType.REAL,
    "DOUBLE": DataType.DOUBLE,
    "DECIMAL": DataType.NUMERIC,
    "VARCHAR": DataType.TEXT,
    "BLOB": DataType.TEXT,
    "DATE": DataType.DATE,
    "TIME": DataType.TIMETZ,
    "TIME WITH TIME ZONE": DataType.TIMETZ,
    "TIMETZ": DataType.TIMETZ,
    "TIMESTAMP": DataType.TIMESTAMP_WITHOUT_TZ,
    "TIMESTAMP_S": DataType.TIMESTAMP_WITHOUT_TZ,
    "TIMESTAMP_MS": DataType.TIMESTAMP_WITHOUT_TZ,
    "TIMESTAMP_NS": DataType.TIMESTAMP_WITHOUT_TZ,
    "TIMESTAMP WITH TIME ZONE": DataType.TIMESTAMP_WITH_TZ,
    "TIMESTAMPTZ": DataType.TIMESTAMP_WITH_TZ,
    "INTERVAL": DataType.INTERVAL,
    "UUID": DataType.UUID,
    "BIT": DataType.BIT,
    "JSON": DataType.OBJECT,
    "NULL": DataType.UNDEFINED,
    '"NULL"': DataType.UNDEFINED,
}


def from_col_type(col_type: int | list) -> CrateType:
    """The CrateDB type of a ``col_types`` entry (a bare id or ``[100, inner]``); unknown
    ids are UNDEFINED."""
    if isinstance(col_type, list):
        inner = from_col_type(col_type[1]) if len(col_type) == 2 else None
        return CrateType(DataType.ARRAY, inner)
    try:
        return CrateType(DataType(col_type))
    except ValueError:
        return CrateType(DataType.UNDEFINED)


@functools.lru_cache(maxsize=1024)
def from_duckdb_type(type_name: str) -> CrateType:
    """The CrateDB type of a DuckDB result type name (``INTEGER``, ``DECIMAL``,
    ``VARCHAR[]``, ``DOUBLE[2]`` (a geo_point), ``STRUCT(...)``, ``MAP(...)``...); cached,
    as CrateType is immutable."""
    t = type_name.strip()
    if t.endswith("]"):
        base, _, size = t[:-1].rpartition("[")
        inner = from_duckdb_type(base)
        if size == "2" and inner.id == DataType.DOUBLE:
            return CrateType(DataType.GEO_POINT)
        if size and size.isdigit() and inner.id == DataType.REAL:
            return CrateType(DataType.FLOAT_VECTOR, None, (int(size),))
        return CrateType(DataType.ARRAY, inner)
    head = t.split("(", 1)[0].strip().upper()
    if head in ("STRUCT", "MAP", "UNION"):
        return CrateType(DataType.OBJECT)
    if head == "ENUM":
        return CrateType(DataType.TEXT)
    if head == "DECIMAL":
        return CrateType(DataType.NUMERIC)
    return CrateType(_FROM_DUCK.get(t.upper(), DataType.TEXT))
