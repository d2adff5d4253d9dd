"""The tables of VoltDB's metadata system procedures: @SystemCatalog, @SystemInformation and
@Statistics (protocols/voltdb.md 6, 6.1; VoltDB/voltdb JdbcDatabaseMetaDataGenerator,
SystemInformation).

Every function returns :class:`VoltTable` objects; they run on the execution thread with
the catalog (catalog.py).
"""

from __future__ import annotations

import json
import os
import socket
import time

from dbapi_conformance.drivers.wire.voltdb import Column, VoltTable, VoltType
from dbapi_conformance.mockservers.voltdb import errors as verr
from dbapi_conformance.mockservers.voltdb.catalog import Catalog, TableInfo
from dbapi_conformance.mockservers.voltdb.dialect import type_name

__all__ = ["system_catalog", "overview", "statistics", "SELECTORS", "MP_PARTITION"]

S, I, SI = VoltType.STRING, VoltType.INTEGER, VoltType.SMALLINT  # noqa: E741 - short column-spec names
#: The multi-partition initiator's pseudo-partition in TOPO (voltdb.md 6).
MP_PARTITION = 16383

# java.sql.Types per VoltDB type (JDBC DATA_TYPE)
_JDBC = {VoltType.TINYINT: -6, VoltType.SMALLINT: 5, VoltType.INTEGER: 4, VoltType.BIGINT: -5,
         VoltType.FLOAT: 8, VoltType.STRING: 12, VoltType.TIMESTAMP: 93, VoltType.DECIMAL: 3,
         VoltType.VARBINARY: -3, VoltType.DATE: 91, VoltType.GEOGRAPHY_POINT: 1111,
         VoltType.GEOGRAPHY: 1111}
# (COLUMN_SIZE, DECIMAL_DIGITS, NUM_PREC_RADIX) of the numeric types: binary precision for
# integers and FLOAT, decimal digits for DECIMAL
_NUMERIC = {VoltType.TINYINT: (7, 0, 2), VoltType.SMALLINT: (15, 0, 2),
            VoltType.INTEGER: (31, 0, 2), VoltType.BIGINT: (63, 0, 2),
            VoltType.FLOAT: (53, None, 2), VoltType.DECIMAL: (38, 12, 10)}


def _table(spec, rows) -> VoltTable:
    return VoltTable([Column(n, t) for n, t in spec], rows)


def _remarks(t: TableInfo) -> str | None:
    if t.partition_column:
        return json.dumps({"partitionColumn": t.partition_column}, separators=(",", ":"))
    return None


def _tables(catalog: Catalog, session) -> VoltTable:
    spec = [(n, S) for n in ("TABLE_CAT", "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE", "REMARKS",
                             "TYPE_CAT", "TYPE_SCHEM", "TYPE_NAME", "SELF_REFERENCING_COL_NAME",
                             "REF_GENERATION")]
    rows = [(None, None, t.name, t.kind, _remarks(t), None, None, None, None, None)
            for t in sorted(catalog.tables(session).values(), key=lambda t: t.name)]
    return _table(spec, rows)


def _columns(catalog: Catalog, session) -> VoltTable:
    spec = [("TABLE_CAT", S), ("TABLE_SCHEM", S), ("TABLE_NAME", S), ("COLUMN_NAME", S),
            ("DATA_TYPE", I), ("TYPE_NAME", S), ("COLUMN_SIZE", I), ("BUFFER_LENGTH", I),
            ("DECIMAL_DIGITS", I), ("NUM_PREC_RADIX", I), ("NULLABLE", I), ("REMARKS", S),
            ("COLUMN_DEF", S), ("SQL_DATA_TYPE", I), ("SQL_DATETIME_SUB", I),
            ("CHAR_OCTET_LENGTH", I), ("ORDINAL_POSITION", I), ("IS_NULLABLE", S),
            ("SCOPE_CATALOG", S), ("SCOPE_SCHEMA", S), ("SCOPE_TABLE", S),
            ("SOURCE_DATA_TYPE", SI), ("IS_AUTOINCREMENT", S)]
    rows = []
    for t in sorted(catalog.tables(session).values(), key=lambda t: t.name):
        for pos, c in enumerate(t.columns, 1):
            size, digits, radix = _NUMERIC.get(c.type, (c.size, None, None))
            octets = c.size if c.type in (VoltType.STRING, VoltType.VARBINARY) else None
            rows.append((None, None, t.name, c.name, _JDBC.get(c.type, 1111), type_name(c.type),
                         size, None, digits, radix, 1 if c.nullable else 0,
                         "PARTITION_COLUMN" if c.name == t.partition_column else None,
                         c.default, None, None, octets, pos, "YES" if c.nullable else "NO",
                         None, None, None, None, "NO"))
    return _table(spec, rows)


def _primary_keys(catalog: Catalog, session) -> VoltTable:
    spec = [("TABLE_CAT", S), ("TABLE_SCHEM", S), ("TABLE_NAME", S), ("COLUMN_NAME", S),
            ("KEY_SEQ", SI), ("PK_NAME", S)]
    rows = []
    for t in sorted(catalog.tables(session).values(), key=lambda t: t.name):
        name = f"VOLTDB_AUTOGEN_IDX_PK_{t.name}_{'_'.join(t.primary_key)}"
        rows += [(None, None, t.name, col, seq, name) for seq, col in enumerate(t.primary_key, 1)]
    return _table(spec, rows)


def _all_procedures(catalog: Catalog, session):
    procs = {**catalog.default_procedures(session), **catalog.procedures}
    return [procs[k] for k in sorted(procs)]


def _procedures(catalog: Catalog, session) -> VoltTable:
    spec = [("PROCEDURE_CAT", S), ("PROCEDURE_SCHEM", S), ("PROCEDURE_NAME", S),
            ("RESERVED1", S), ("RESERVED2", S), ("RESERVED3", S), ("REMARKS", S),
            ("PROCEDURE_TYPE", SI), ("SPECIFIC_NAME", S)]
    rows = []
    for p in _all_procedures(catalog, session):
        remarks = {"readOnly": p.read_only, "singlePartition": p.partition is not None}
        if p.partition is not None:
            remarks["partitionParameter"] = p.partition[2]
            remarks["partitionParameterType"] = int(p.param_types[p.partition[2]]) if len(
                p.param_types) > p.partition[2] else int(VoltType.BIGINT)
        remarks["compound"] = False
        rows.append((None, None, p.name, None, None, None,
                     json.dumps(remarks, separators=(",", ":")), 2, p.name))
    return _table(spec, rows)


def _procedure_columns(catalog: Catalog, session) -> VoltTable:
    spec = [("PROCEDURE_CAT", S), ("PROCEDURE_SCHEM", S), ("PROCEDURE_NAME", S),
            ("COLUMN_NAME", S), ("COLUMN_TYPE", SI), ("DATA_TYPE", I), ("TYPE_NAME", S),
            ("PRECISION", I), ("LENGTH", I), ("SCALE", SI), ("RADIX", SI), ("NULLABLE", SI),
            ("REMARKS", S), ("COLUMN_DEF", S), ("SQL_DATA_TYPE", I), ("SQL_DATETIME_SUB", I),
            ("CHAR_OCTET_LENGTH", I), ("ORDINAL_POSITION", I), ("IS_NULLABLE", S),
            ("SPECIFIC_NAME", S)]
    rows = []
    for p in _all_procedures(catalog, session):
        for i in range(p.parameters):
            t = p.param_types[i] if i < len(p.param_types) else VoltType.STRING
            precision, scale, radix = _NUMERIC.get(t, (None, None, None))
            remarks = ("PARTITION_PARAMETER" if p.partition is not None and p.partition[2] == i
                       else None)
            rows.append((None, None, p.name, f"PARAM{i}", 1, _JDBC.get(t, 1111), type_name(t),
                         precision, None, scale, radix, 1, remarks, None, None, None, None,
                         i + 1, "YES", p.name))
    return _table(spec, rows)


SELECTORS = {"TABLES": _tables, "COLUMNS": _columns, "PRIMARYKEYS": _primary_keys,
             "PROCEDURES": _procedures, "PROCEDURECOLUMNS": _procedure_columns}


def system_catalog(selector: str, catalog: Catalog, session) -> VoltTable:
    """@SystemCatalog <selector> (case-insensitive); GRACEFUL_FAILURE for others."""
    build = SELECTORS.get((selector or "").upper())
    if build is None:
        raise verr.graceful(f"Invalid @SystemCatalog selector {selector}")
    return build(catalog, session)


def overview(host_id: int, address: str, port: int, version: str, build: str,
             started_ms: int) -> VoltTable:
    """@SystemInformation OVERVIEW: HOST_ID, KEY, VALUE rows; IPADDRESS / CLIENTPORT are
    where this client reached the server (voltdb.md 9.13)."""
    uptime = max(0, int(time.time() * 1000) - started_ms)
    values = {
        "IPADDRESS": address, "HOSTNAME": socket.gethostname() or "localhost",
        "CLIENTINTERFACE": "", "CLIENTPORT": str(port), "ADMININTERFACE": "",
        "ADMINPORT": str(port), "HTTPINTERFACE": "", "HTTPPORT": "-1",
        "INTERNALINTERFACE": "", "INTERNALPORT": "3021", "ZKINTERFACE": "127.0.0.1",
        "ZKPORT": "7181", "DRINTERFACE": "", "DRPORT": "5555", "PUBLICINTERFACE": "",
        "BUILDSTRING": build, "VERSION": version, "CATALOG": "", "DEPLOYMENT": "",
        "CLUSTERSTATE": "RUNNING", "CLUSTERSAFETY": "FULL", "INITIALIZED": "true",
        "REPLICATIONROLE": "NONE", "CATALOGCRC": "0", "IV2ENABLED": "true",
        "STARTTIME": str(started_ms), "CREATIONTIME": str(started_ms),
        "HOSTSTARTTIME": str(started_ms), "UPTIME": _uptime(uptime),
        "LAST_UPDATECORE_DURATION": "0", "PLACEMENTGROUP": "0", "PARTITIONGROUP": "0",
        "VOLTDBROOT": os.getcwd(), "FULLCLUSTERSIZE": "1", "CLUSTERID": "0",
        "CPUCORES": str(os.cpu_count() or 1), "CPUTHREADS": str(os.cpu_count() or 1),
        "KUBERNETES": "false",
    }
    return _table([("HOST_ID", I), ("KEY", S), ("VALUE", S)],
                  [(host_id, k, v) for k, v in values.items()])


def _uptime(ms: int) -> str:
    s = ms // 1000
    return f"{s // 86400} days {s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms % 1000:03d}"


def statistics(selector: str, host_id: int) -> list[VoltTable]:
    """@Statistics TOPO (one partition plus the MP initiator, an ELASTIC one-partition
    ring) and PARTITIONCOUNT; GRACEFUL_FAILURE for other selectors."""
    sel = (selector or "").upper()
    site = f"{host_id}:0"
    if sel == "TOPO":
        topo = _table([("Partition", I), ("Sites", S), ("Leader", S)],
                      [(0, site, site), (MP_PARTITION, site, site)])
        ring = bytes.fromhex("00000001 80000000 00000000")
        hashing = _table([("HASHTYPE", S), ("HASHCONFIG", VoltType.VARBINARY)],
                         [("ELASTIC", ring)])
        return [topo, hashing]
    if sel == "PARTITIONCOUNT":
        return [_table([("PARTITION_COUNT", I)], [(1,)])]
    raise verr.graceful(f"Invalid @Statistics selector {selector}.")
