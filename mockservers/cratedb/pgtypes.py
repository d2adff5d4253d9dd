"""``pg_catalog.pg_type``: the PostgreSQL types CrateDB lists, with the values it shows.

Rows: the 54 types of crate/crate ``docs/interfaces/postgres.rst`` (``PGTypes.pgTypes()``:
oid, typname, typarray, typelem, typlen, typtype, typcategory). The other columns follow
``PgTypeTable`` and ``PGType``: typnamespace is the oid of ``pg_catalog``
(``OidHash.schemaOid``: murmur3 x86 32-bit, seed 0, of ``"SCHEMA" + name``); the in/out/
receive/send functions are ``<typname>_in``, ``<typname>_out``, ``<typname>recv``,
``<typname>send``, or ``array_in``/``array_out``/``array_recv``/``array_send`` for a type
without an array type (typarray 0), ``anyarray`` sending with ``anyarray_send`` and
receiving with ``anyarray_recv``; REGPROC zero is ``-``; the rest are constants.
"""

from __future__ import annotations

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb.catalog import Column, Relation
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, parse_type_name

__all__ = ["PG_TYPES", "install", "schema_oid"]

# oid, typname, typarray, typelem, typlen, typtype, typcategory
PG_TYPES = [
    (16, "bool", 1000, 0, 1, "b", "N"), (18, "char", 1002, 0, 1, "b", "S"),
    (19, "name", -1, 0, 64, "b", "S"), (20, "int8", 1016, 0, 8, "b", "N"),
    (21, "int2", 1005, 0, 2, "b", "N"), (23, "int4", 1007, 0, 4, "b", "N"),
    (24, "regproc", 1008, 0, 4, "b", "N"), (25, "text", 1009, 0, -1, "b", "S"),
    (26, "oid", 1028, 0, 4, "b", "N"), (30, "oidvector", 1013, 26, -1, "b", "A"),
    (114, "json", 199, 0, -1, "b", "U"), (199, "_json", 0, 114, -1, "b", "A"),
    (600, "point", 1017, 0, 16, "b", "G"), (700, "float4", 1021, 0, 4, "b", "N"),
    (701, "float8", 1022, 0, 8, "b", "N"), (705, "unknown", 0, 0, -2, "p", "X"),
    (1000, "_bool", 0, 16, -1, "b", "A"), (1002, "_char", 0, 18, -1, "b", "A"),
    (1005, "_int2", 0, 21, -1, "b", "A"), (1007, "_int4", 0, 23, -1, "b", "A"),
    (1008, "_regproc", 0, 24, -1, "b", "A"), (1009, "_text", 0, 25, -1, "b", "A"),
    (1014, "_bpchar", 0, 1042, -1, "b", "A"), (1015, "_varchar", 0, 1043, -1, "b", "A"),
    (1016, "_int8", 0, 20, -1, "b", "A"), (1017, "_point", 0, 600, -1, "b", "A"),
    (1021, "_float4", 0, 700, -1, "b", "A"), (1022, "_float8", 0, 701, -1, "b", "A"),
    (1042, "bpchar", 1014, 0, -1, "b", "S"), (1043, "varchar", 1015, 0, -1, "b", "S"),
    (1082, "date", 1182, 0, 4, "b", "D"), (1114, "timestamp", 1115, 0, 8, "b", "D"),
    (1115, "_timestamp", 0, 1114, -1, "b", "A"), (1182, "_date", 0, 1082, -1, "b", "A"),
    (1184, "timestamptz", 1185, 0, 8, "b", "D"),
    (1185, "_timestamptz", 0, 1184, -1, "b", "A"),
    (1186, "interval", 1187, 0, 16, "b", "T"), (1187, "_interval", 0, 1186, -1, "b", "A"),
    (1231, "_numeric", 0, 1700, -1, "b", "A"), (1266, "timetz", 1270, 0, 12, "b", "D"),
    (1270, "_timetz", 0, 1266, -1, "b", "A"), (1560, "bit", 1561, 0, -1, "b", "V"),
    (1561, "_bit", 0, 1560, -1, "b", "A"), (1700, "numeric", 1231, 0, -1, "b", "N"),
    (2205, "regclass", 2210, 0, 4, "b", "N"), (2206, "regtype", 2211, 0, 4, "b", "N"),
    (2210, "_regclass", 0, 2205, -1, "b", "A"), (2211, "_regtype", 0, 2206, -1, "b", "A"),
    (2249, "record", 2287, 0, -1, "p", "P"), (2276, "any", 0, 0, 4, "p", "P"),
    (2277, "anyarray", 0, 2276, -1, "p", "P"), (2287, "_record", 0, 2249, -1, "p", "A"),
    (2950, "uuid", 2951, 0, 16, "b", "U"), (2951, "_uuid", 0, 2950, -1, "b", "A"),
]

_REGPROC = CrateType(DataType.REGPROC)
# (column, CrateDB type, DuckDB type) in CrateDB's (alphabetical) column order
_COLUMNS = [
    ("oid", "integer"), ("typacl", "text"), ("typalign", "text"), ("typanalyze", _REGPROC),
    ("typarray", "integer"), ("typbasetype", "integer"), ("typbyval", "boolean"),
    ("typcategory", "text"), ("typcollation", "integer"), ("typdefault", "text"),
    ("typdefaultbin", "text"), ("typdelim", "text"), ("typelem", "integer"),
    ("typinput", _REGPROC), ("typisdefined", "boolean"), ("typlen", "smallint"),
    ("typmodin", _REGPROC), ("typmodout", _REGPROC), ("typname", "text"),
    ("typnamespace", "integer"), ("typndims", "integer"), ("typnotnull", "boolean"),
    ("typoutput", _REGPROC), ("typowner", "integer"), ("typreceive", _REGPROC),
    ("typrelid", "integer"), ("typsend", _REGPROC), ("typstorage", "text"),
    ("typsubscript", _REGPROC), ("typtype", "text"), ("typtypmod", "integer"),
]


def _murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit as a signed Java int."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h = seed
    rounded = len(data) - len(data) % 4
    for i in range(0, rounded, 4):
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        k = (k * c2) & mask
        h ^= k
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    tail = data[rounded:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        k = (k * c2) & mask
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def schema_oid(name: str) -> int:
    """OidHash.schemaOid: the oid CrateDB gives a schema."""
    return _murmur3_32(("SCHEMA" + name).encode("utf-8"))


def _row(oid, typname, typarray, typelem, typlen, typtype, typcategory) -> dict:
    if typarray == 0:
        fns = ("array_in", "array_out", "array_recv", "array_send")
    else:
        fns = (f"{typname}_in", f"{typname}_out", f"{typname}recv", f"{typname}send")
    if typname == "anyarray":
        fns = (fns[0], fns[1], "anyarray_recv", "anyarray_send")
    return {
        "oid": oid, "typacl": None, "typalign": None, "typanalyze": "-",
        "typarray": typarray, "typbasetype": 0, "typbyval": True, "typcategory": typcategory,
        "typcollation": 0, "typdefault": None, "typdefaultbin": None, "typdelim": ",",
        "typelem": typelem, "typinput": fns[0], "typisdefined": True, "typlen": typlen,
        "typmodin": "-", "typmodout": "-", "typname": typname,
        "typnamespace": schema_oid("pg_catalog"), "typndims": 0, "typnotnull": False,
        "typoutput": fns[1], "typowner": None, "typreceive": fns[2], "typrelid": 0,
        "typsend": fns[3], "typstorage": None, "typsubscript": "-", "typtype": typtype,
        "typtypmod": -1,
    }


def _type(t) -> CrateType:
    return t if isinstance(t, CrateType) else parse_type_name(t)


def install(engine, storage: str) -> Relation:
    """Create ``pg_type`` in the DuckDB schema ``storage``; return its relation."""
    columns = [(c, "VARCHAR" if t is _REGPROC else _type(t).duck) for c, t in _COLUMNS]
    rows = [_row(*t) for t in PG_TYPES]
    engine.load_rows(storage, "pg_type", columns, [tuple(r[c] for c, _ in _COLUMNS)
                                                   for r in rows])
    return Relation("pg_catalog", "pg_type", [Column(c, _type(t)) for c, t in _COLUMNS],
                    system=True, storage=storage, shards=None)
