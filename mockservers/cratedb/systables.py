"""CrateDB's system relations: ``sys.*``, ``information_schema.*``, ``pg_catalog.pg_get_keywords``.

Each relation is a DuckDB table or view in a hidden schema (see catalog.SYSTEM_SCHEMAS) whose
columns are in alphabetical order, because CrateDB lists system columns alphabetically in
``SELECT *`` (cratedb.md 5.7). Object columns are DuckDB STRUCTs so that ``col['key']``
subscripts work natively. ``information_schema`` relations are views over the persisted
catalog (``_crate_meta``), so they always show the current user tables.

Data: ``sys.summits`` comes from ``data/sys_summits_names.tsv`` (crate/crate
``config/names.txt``; file field 5 becomes ``region`` and field 7 ``range``, as in the real
server's ``SummitsIterable``); node names are drawn from its first column.
"""

from __future__ import annotations

import datetime as _dt
import functools
import os
import platform
import random
import socket
import uuid
from dataclasses import dataclass
from importlib import resources

from dbapi_conformance.mockservers.cratedb import functions, pgtypes, syscols, udf
from dbapi_conformance.mockservers.cratedb.catalog import (
    META_SCHEMA,
    SYSTEM_SCHEMAS,
    Catalog,
    Column,
    Relation,
)
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, parse_type_name
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["NodeInfo", "summits", "random_node_name", "install"]

BUILD_HASH = "1b64d3ad7e1c2bd0ca5fc7ecba3b6cbbba0dcd4e"
BUILD_TIMESTAMP = "2025-11-04T09:12:37Z"
LUCENE_VERSION = "10.3.1"


@functools.lru_cache(maxsize=1)
def summits() -> list[tuple]:
    """The 1605 rows of ``sys.summits`` in file order: (mountain, height, prominence,
    [lon, lat], region, classification, range, country, first_ascent)."""
    text = resources.files(__package__).joinpath("data/sys_summits_names.tsv").read_text("utf-8")
    rows = []
    for line in text.splitlines():
        if not line:
            continue
        f = line.split("\t")
        lon, lat = f[3].strip()[len("POINT("):-1].split()
        rows.append((f[0], _int(f[1]), _int(f[2]), [float(lon), float(lat)], f[4], f[5], f[6],
                     f[7], _int(f[8])))
    return rows


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def random_node_name() -> str:
    """A node name as CrateDB picks it: a random mountain of the summits file."""
    return random.choice(summits())[0]


@dataclass
class NodeInfo:
    """Facts about the one imitated node, shown by ``GET /``, sys.nodes and sys.cluster."""

    name: str
    version: str
    http_port: int
    host: str = "127.0.0.1"
    node_id: str = ""
    cluster_id: str = ""

    def __post_init__(self):
        rnd = random.Random()
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
        self.node_id = self.node_id or "".join(rnd.choice(alphabet) for _ in range(22))
        self.cluster_id = self.cluster_id or str(uuid.uuid4())


# --- relation specs: (column, CrateDB type, DuckDB type or None = the type's own) ---------

_LONG, _INT, _SHORT, _TEXT, _BOOL, _TSZ, _DBL = (
    "bigint", "integer", "smallint", "text", "boolean", "timestamp with time zone",
    "double precision")

_NODE_STRUCTS = {
    "attributes": "MAP(VARCHAR, VARCHAR)",
    "connections": "STRUCT(http STRUCT(open BIGINT, total BIGINT), psql STRUCT(open BIGINT, "
                   "total BIGINT), transport STRUCT(open BIGINT, total BIGINT))",
    "fs": "STRUCT(total STRUCT(size BIGINT, used BIGINT, available BIGINT, reads BIGINT, "
          "bytes_read BIGINT, writes BIGINT, bytes_written BIGINT), disks STRUCT(dev VARCHAR, "
          "size BIGINT, used BIGINT, available BIGINT)[], data STRUCT(dev VARCHAR, "
          "path VARCHAR)[])",
    "heap": "STRUCT(free BIGINT, used BIGINT, max BIGINT, probe_timestamp TIMESTAMPTZ)",
    "load": 'STRUCT("1" DOUBLE, "5" DOUBLE, "15" DOUBLE, probe_timestamp TIMESTAMPTZ)',
    "mem": "STRUCT(free BIGINT, used BIGINT, free_percent SMALLINT, used_percent SMALLINT, "
           "probe_timestamp TIMESTAMPTZ)",
    "os": "STRUCT(uptime BIGINT, timestamp TIMESTAMPTZ, probe_timestamp TIMESTAMPTZ, "
          "cpu STRUCT(used SMALLINT, system SMALLINT, \"user\" SMALLINT))",
    "os_info": "STRUCT(available_processors INTEGER, name VARCHAR, arch VARCHAR, "
               "version VARCHAR, jvm STRUCT(version VARCHAR, vm_name VARCHAR, "
               "vm_vendor VARCHAR, vm_version VARCHAR))",
    "port": "STRUCT(http INTEGER, transport INTEGER, psql INTEGER)",
    "process": "STRUCT(open_file_descriptors BIGINT, max_open_file_descriptors BIGINT, "
               "probe_timestamp TIMESTAMPTZ, cpu STRUCT(percent SMALLINT))",
    "thread_pools": "STRUCT(name VARCHAR, active INTEGER, rejected BIGINT, largest INTEGER, "
                    "completed BIGINT, threads INTEGER, queue INTEGER)[]",
    "version": "STRUCT(number VARCHAR, build_hash VARCHAR, build_snapshot BOOLEAN, "
               "minimum_index_compatibility_version VARCHAR, "
               "minimum_wire_compatibility_version VARCHAR)",
}

_CLUSTER_SETTINGS = (
    "STRUCT(stats STRUCT(enabled BOOLEAN, jobs_log_size INTEGER, operations_log_size INTEGER),"
    " cluster STRUCT(graceful_stop STRUCT(min_availability VARCHAR, timeout VARCHAR)),"
    " udc STRUCT(enabled BOOLEAN, initial_delay VARCHAR, \"interval\" VARCHAR, url VARCHAR),"
    " gateway STRUCT(expected_data_nodes INTEGER, recover_after_data_nodes INTEGER))"
)

_SYS_SPECS: dict[str, list[tuple[str, str, str | None]]] = {
    "cluster": [
        ("id", _TEXT, None),
        ("license", "object", "STRUCT(expiry_date TIMESTAMPTZ, issued_to VARCHAR, "
                              "max_nodes INTEGER)"),
        ("master_node", _TEXT, None),
        ("name", _TEXT, None),
        ("settings", "object", _CLUSTER_SETTINGS),
        ("state", _TEXT, None),
    ],
    "nodes": [
        ("attributes", "object", _NODE_STRUCTS["attributes"]),
        ("cluster_state_version", _LONG, None),
        ("connections", "object", _NODE_STRUCTS["connections"]),
        ("fs", "object", _NODE_STRUCTS["fs"]),
        ("heap", "object", _NODE_STRUCTS["heap"]),
        ("hostname", _TEXT, None),
        ("id", _TEXT, None),
        ("is_master", _BOOL, None),
        ("load", "object", _NODE_STRUCTS["load"]),
        ("mem", "object", _NODE_STRUCTS["mem"]),
        ("name", _TEXT, None),
        ("os", "object", _NODE_STRUCTS["os"]),
        ("os_info", "object", _NODE_STRUCTS["os_info"]),
        ("port", "object", _NODE_STRUCTS["port"]),
        ("process", "object", _NODE_STRUCTS["process"]),
        ("rest_url", _TEXT, None),
        ("roles", "text[]", None),
        ("thread_pools", "array(object)", _NODE_STRUCTS["thread_pools"]),
        ("version", "object", _NODE_STRUCTS["version"]),
    ],
    "checks": [
        ("description", _TEXT, None),
        ("id", _INT, None),
        ("passed", _BOOL, None),
        ("severity", _INT, None),
    ],
    "node_checks": [
        ("_id", _TEXT, None),
        ("acknowledged", _BOOL, None),
        ("description", _TEXT, None),
        ("id", _INT, None),
        ("node_id", _TEXT, None),
        ("passed", _BOOL, None),
        ("severity", _INT, None),
    ],
    "shards": [
        ("id", _INT, None),
        ("node", "object", "STRUCT(id VARCHAR, name VARCHAR)"),
        ("num_docs", _LONG, None),
        ("partition_ident", _TEXT, None),
        ("primary", _BOOL, None),
        ("relocating_node", _TEXT, None),
        ("routing_state", _TEXT, None),
        ("schema_name", _TEXT, None),
        ("size", _LONG, None),
        ("state", _TEXT, None),
        ("table_name", _TEXT, None),
    ],
    # live tables (live.py fills them before a statement reads them)
    "health": [
        ("health", _TEXT, None),
        ("missing_shards", _LONG, None),
        ("partition_ident", _TEXT, None),
        ("severity", _SHORT, None),
        ("table_name", _TEXT, None),
        ("table_schema", _TEXT, None),
        ("underreplicated_shards", _LONG, None),
    ],
    "jobs": [
        ("id", _TEXT, None),
        ("node", "object", "STRUCT(id VARCHAR, name VARCHAR)"),
        ("session_id", _INT, None),
        ("started", _TSZ, None),
        ("stmt", _TEXT, None),
        ("username", _TEXT, None),
    ],
    "jobs_log": [
        ("classification", "object", "STRUCT(type VARCHAR, labels VARCHAR[])"),
        ("ended", _TSZ, None),
        ("error", _TEXT, None),
        ("id", _TEXT, None),
        ("node", "object", "STRUCT(id VARCHAR, name VARCHAR)"),
        ("session_id", _INT, None),
        ("started", _TSZ, None),
        ("stmt", _TEXT, None),
        ("username", _TEXT, None),
    ],
    # SysUsersTableInfo; rows written by users.UserStore (VALUES in this column order)
    "users": [
        ("granted_roles", "array(object)", "STRUCT(grantor VARCHAR, role VARCHAR)[]"),
        ("jwt", "object", "STRUCT(aud VARCHAR, iss VARCHAR, username VARCHAR)"),
        ("name", _TEXT, None),
        ("password", _TEXT, None),
        ("session_settings", "object", None),
        ("superuser", _BOOL, None),
    ],
    "summits": [
        ("classification", _TEXT, None),
        ("coordinates", "geo_point", None),
        ("country", _TEXT, None),
        ("first_ascent", _INT, None),
        ("height", _INT, None),
        ("mountain", _TEXT, None),
        ("prominence", _INT, None),
        ("range", _TEXT, None),
        ("region", _TEXT, None),
    ],
}

_PK = {("sys", "summits"): "mountain", ("sys", "checks"): "id", ("sys", "nodes"): "id",
       ("sys", "node_checks"): "id", ("sys", "jobs"): "id", ("sys", "jobs_log"): "id",
       ("sys", "users"): "name"}

# information_schema.table_partitions: a table (live.py fills it), not a view
_IS_PARTITIONS = [
    ("closed", _BOOL, None),
    ("number_of_replicas", _TEXT, None),
    ("number_of_shards", _INT, None),
    ("partition_ident", _TEXT, None),
    ("routing_hash_function", _TEXT, None),
    ("settings", "object", "STRUCT(refresh_interval BIGINT)"),
    ("table_name", _TEXT, None),
    ("table_schema", _TEXT, None),
    ("values", "object", None),
    ("version", "object", "STRUCT(created VARCHAR, upgraded VARCHAR)"),
]

_KEYWORDS = [
    ("add", "U", "unreserved"), ("all", "R", "reserved"), ("alter", "R", "reserved"),
    ("and", "R", "reserved"), ("any", "R", "reserved"), ("array", "R", "reserved"),
    ("as", "R", "reserved"), ("asc", "U", "unreserved"), ("between", "R", "reserved"),
    ("by", "R", "reserved"), ("case", "R", "reserved"), ("cast", "R", "reserved"),
    ("create", "R", "reserved"), ("cross", "R", "reserved"), ("current_date", "R", "reserved"),
    ("current_schema", "R", "reserved"), ("current_user", "R", "reserved"),
    ("default", "R", "reserved"), ("delete", "R", "reserved"), ("desc", "U", "unreserved"),
    ("distinct", "R", "reserved"), ("drop", "R", "reserved"), ("else", "R", "reserved"),
    ("end", "R", "reserved"), ("exists", "R", "reserved"), ("false", "R", "reserved"),
    ("from", "R", "reserved"), ("group", "R", "reserved"), ("having", "R", "reserved"),
    ("in", "R", "reserved"), ("insert", "R", "reserved"), ("into", "R", "reserved"),
    ("is", "R", "reserved"), ("join", "R", "reserved"), ("limit", "U", "unreserved"),
    ("not", "R", "reserved"), ("null", "R", "reserved"), ("object", "U", "unreserved"),
    ("on", "R", "reserved"), ("or", "R", "reserved"), ("order", "R", "reserved"),
    ("primary", "U", "unreserved"), ("refresh", "U", "unreserved"), ("select", "R", "reserved"),
    ("set", "R", "reserved"), ("table", "R", "reserved"), ("then", "R", "reserved"),
    ("true", "R", "reserved"), ("union", "R", "reserved"), ("update", "R", "reserved"),
    ("values", "R", "reserved"), ("when", "R", "reserved"), ("where", "R", "reserved"),
    ("with", "R", "reserved"),
]

# information_schema views: (name, columns, SELECT over the catalog tables)
_IS_TABLES_SQL = f"""
SELECT NULL::VARCHAR AS blobs_path,
       CASE WHEN kind = 'BASE TABLE' AND NOT sys THEN false END AS closed,
       clustered_by,
       'strict' AS column_policy,
       CASE WHEN kind = 'BASE TABLE' AND NOT sys THEN '0-1' END AS number_of_replicas,
       shards AS number_of_shards,
       partitioned_by,
       'SYSTEM GENERATED' AS reference_generation,
       CASE WHEN kind = 'BASE TABLE' AND NOT sys THEN 'Murmur3' END AS routing_hash_function,
       CASE WHEN kind = 'BASE TABLE' AND NOT sys THEN '_id' END AS self_referencing_column_name,
       CASE WHEN kind = 'BASE TABLE' AND NOT sys
            THEN {{'refresh_interval': 1000::BIGINT}} END AS settings,
       'crate' AS table_catalog,
       table_name,
       schema_name AS table_schema,
       kind AS table_type,
       CASE WHEN kind = 'BASE TABLE' AND NOT sys
            THEN {{'created': $version, 'upgraded': NULL::VARCHAR}} END AS version
FROM (SELECT *, false AS sys FROM {META_SCHEMA}.tables
      UNION ALL SELECT *, true AS sys FROM {META_SCHEMA}.sys_tables)
"""

_IS_COLUMNS_SQL = f"""
SELECT CASE WHEN regexp_matches(crate_type, '^(character|text|float_vector|bit)\\(\\d+\\)$')
            THEN TRY_CAST(regexp_extract(crate_type, '\\((\\d+)\\)', 1) AS INTEGER)
            WHEN crate_type IN ('character', 'bit') THEN 1 END
         AS character_maximum_length,
       NULL::INTEGER AS character_octet_length,
       NULL::VARCHAR AS character_set_catalog,
       NULL::VARCHAR AS character_set_name,
       NULL::VARCHAR AS character_set_schema,
       NULL::INTEGER AS check_action,
       NULL::VARCHAR AS check_references,
       NULL::VARCHAR AS collation_catalog,
       NULL::VARCHAR AS collation_name,
       NULL::VARCHAR AS collation_schema,
       column_default,
       {{'name': column_name, 'path': []::VARCHAR[]}} AS column_details,
       column_name,
       data_type,
       CASE WHEN data_type LIKE 'timestamp%' THEN 3 END AS datetime_precision,
       NULL::VARCHAR AS domain_catalog,
       NULL::VARCHAR AS domain_name,
       NULL::VARCHAR AS domain_schema,
       NULL::VARCHAR AS generation_expression,
       NULL::VARCHAR AS identity_cycle,
       NULL::VARCHAR AS identity_generation,
       NULL::VARCHAR AS identity_increment,
       NULL::VARCHAR AS identity_maximum,
       NULL::VARCHAR AS identity_minimum,
       NULL::VARCHAR AS identity_start,
       NULL::INTEGER AS interval_precision,
       NULL::VARCHAR AS interval_type,
       'NEVER' AS is_generated,
       false AS is_identity,
       CASE WHEN not_null OR pk THEN 'NO' ELSE 'YES' END AS is_nullable,
       CASE data_type WHEN 'byte' THEN 8 WHEN 'smallint' THEN 16 WHEN 'integer' THEN 32
            WHEN 'bigint' THEN 64 WHEN 'real' THEN 24 WHEN 'double precision' THEN 53
            WHEN 'numeric' THEN TRY_CAST(regexp_extract(crate_type, '^numeric\\((\\d+)', 1)
                                         AS INTEGER)
       END AS numeric_precision,
       CASE WHEN data_type IN ('byte', 'smallint', 'integer', 'bigint', 'real',
                               'double precision') THEN 2 END AS numeric_precision_radix,
       NULL::INTEGER AS numeric_scale,
       position AS ordinal_position,
       'crate' AS table_catalog,
       table_name,
       schema_name AS table_schema,
       'crate' AS udt_catalog,
       data_type AS udt_name,
       NULL::VARCHAR AS udt_schema
FROM (SELECT * FROM {META_SCHEMA}.columns UNION ALL SELECT * FROM {META_SCHEMA}.sys_columns)
"""

_IS_SCHEMATA_SQL = f"""
SELECT 'crate' AS catalog_name, schema_name FROM (
  SELECT unnest(['blob', 'doc', 'information_schema', 'pg_catalog', 'sys']) AS schema_name
  UNION SELECT schema_name FROM {META_SCHEMA}.tables)
"""

_IS_KEY_COLUMN_USAGE_SQL = f"""
SELECT column_name, 'crate' AS constraint_catalog, table_name || '_pk' AS constraint_name,
       schema_name AS constraint_schema,
       row_number() OVER (PARTITION BY schema_name, table_name ORDER BY position)::INTEGER
         AS ordinal_position,
       'crate' AS table_catalog, table_name, schema_name AS table_schema
FROM {META_SCHEMA}.columns WHERE pk
"""

_IS_TABLE_CONSTRAINTS_SQL = f"""
SELECT DISTINCT 'crate' AS constraint_catalog, table_name || '_pk' AS constraint_name,
       schema_name AS constraint_schema, 'PRIMARY KEY' AS constraint_type,
       false AS initially_deferred, false AS is_deferrable, 'crate' AS table_catalog,
       table_name, schema_name AS table_schema
FROM {META_SCHEMA}.columns WHERE pk
"""

_IS_VIEWS_SQL = f"""
SELECT 'NONE' AS check_option, false AS is_updatable, 'crate' AS owner,
       'crate' AS table_catalog, table_name, schema_name AS table_schema,
       definition AS view_definition
FROM {META_SCHEMA}.tables WHERE kind = 'VIEW'
"""

_IS_VIEWS = {
    "tables": (_IS_TABLES_SQL, [
        ("blobs_path", _TEXT), ("closed", _BOOL), ("clustered_by", _TEXT),
        ("column_policy", _TEXT), ("number_of_replicas", _TEXT), ("number_of_shards", _INT),
        ("partitioned_by", "text[]"), ("reference_generation", _TEXT),
        ("routing_hash_function", _TEXT), ("self_referencing_column_name", _TEXT),
        ("settings", "object"), ("table_catalog", _TEXT), ("table_name", _TEXT),
        ("table_schema", _TEXT), ("table_type", _TEXT), ("version", "object")]),
    "columns": (_IS_COLUMNS_SQL, None),
    "schemata": (_IS_SCHEMATA_SQL, [("catalog_name", _TEXT), ("schema_name", _TEXT)]),
    "key_column_usage": (_IS_KEY_COLUMN_USAGE_SQL, [
        ("column_name", _TEXT), ("constraint_catalog", _TEXT), ("constraint_name", _TEXT),
        ("constraint_schema", _TEXT), ("ordinal_position", _INT), ("table_catalog", _TEXT),
        ("table_name", _TEXT), ("table_schema", _TEXT)]),
    "table_constraints": (_IS_TABLE_CONSTRAINTS_SQL, [
        ("constraint_catalog", _TEXT), ("constraint_name", _TEXT),
        ("constraint_schema", _TEXT), ("constraint_type", _TEXT),
        ("initially_deferred", _BOOL), ("is_deferrable", _BOOL), ("table_catalog", _TEXT),
        ("table_name", _TEXT), ("table_schema", _TEXT)]),
    "routines": (udf.ROUTINES_SQL, [
        ("data_type", _TEXT), ("is_deterministic", _BOOL), ("routine_body", _TEXT),
        ("routine_definition", _TEXT), ("routine_name", _TEXT), ("routine_schema", _TEXT),
        ("routine_type", _TEXT), ("specific_name", _TEXT)]),
    "views": (_IS_VIEWS_SQL, [
        ("check_option", _TEXT), ("is_updatable", _BOOL), ("owner", _TEXT),
        ("table_catalog", _TEXT), ("table_name", _TEXT), ("table_schema", _TEXT),
        ("view_definition", _TEXT)]),
}

_IS_COLUMNS_COLUMNS = [
    ("character_maximum_length", _INT), ("character_octet_length", _INT),
    ("character_set_catalog", _TEXT), ("character_set_name", _TEXT),
    ("character_set_schema", _TEXT), ("check_action", _INT), ("check_references", _TEXT),
    ("collation_catalog", _TEXT), ("collation_name", _TEXT), ("collation_schema", _TEXT),
    ("column_default", _TEXT), ("column_details", "object"), ("column_name", _TEXT),
    ("data_type", _TEXT), ("datetime_precision", _INT), ("domain_catalog", _TEXT),
    ("domain_name", _TEXT), ("domain_schema", _TEXT), ("generation_expression", _TEXT),
    ("identity_cycle", _BOOL), ("identity_generation", _TEXT),
    ("identity_increment", _TEXT), ("identity_maximum", _TEXT),
    ("identity_minimum", _TEXT), ("identity_start", _TEXT), ("interval_precision", _INT),
    ("interval_type", _TEXT), ("is_generated", _TEXT), ("is_identity", _BOOL),
    ("is_nullable", _TEXT), ("numeric_precision", _INT), ("numeric_precision_radix", _INT),
    ("numeric_scale", _INT), ("ordinal_position", _INT), ("table_catalog", _TEXT),
    ("table_name", _TEXT), ("table_schema", _TEXT), ("udt_catalog", _TEXT),
    ("udt_name", _TEXT), ("udt_schema", _TEXT),
]


def _node_row(node: NodeInfo, now: _dt.datetime) -> dict:
    try:
        import resource  # POSIX only

        max_fds = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except Exception:  # noqa: BLE001 - informational value only
        max_fds = 65536
    gib = 1024 ** 3
    return {
        "attributes": {},
        "cluster_state_version": 1,
        "connections": {"http": {"open": 1, "total": 1}, "psql": {"open": 0, "total": 0},
                        "transport": {"open": 0, "total": 0}},
        "fs": {"total": {"size": 100 * gib, "used": 10 * gib, "available": 90 * gib,
                         "reads": 0, "bytes_read": 0, "writes": 0, "bytes_written": 0},
               "disks": [], "data": []},
        "heap": {"free": 384 * 1024 ** 2, "used": 128 * 1024 ** 2, "max": 512 * 1024 ** 2,
                 "probe_timestamp": now},
        "hostname": socket.gethostname(),
        "id": node.node_id,
        "is_master": True,
        "load": {"1": 0.0, "5": 0.0, "15": 0.0, "probe_timestamp": now},
        "mem": {"free": 8 * gib, "used": 8 * gib, "free_percent": 50, "used_percent": 50,
                "probe_timestamp": now},
        "name": node.name,
        "os": {"uptime": 3_600_000, "timestamp": now, "probe_timestamp": now,
               "cpu": {"used": -1, "system": -1, "user": -1}},
        "os_info": {"available_processors": os.cpu_count() or 1, "name": platform.system(),
                    "arch": platform.machine(), "version": platform.release(),
                    "jvm": {"version": "22.0.2", "vm_name": "OpenJDK 64-Bit Server VM",
                            "vm_vendor": "Eclipse Adoptium", "vm_version": "22.0.2+9"}},
        "port": {"http": node.http_port, "transport": 4300, "psql": 5432},
        "process": {"open_file_descriptors": 100, "max_open_file_descriptors": max_fds,
                    "probe_timestamp": now, "cpu": {"percent": 0}},
        "rest_url": f"{node.host}:{node.http_port}",
        "roles": ["data", "master"],
        "thread_pools": [],
        "version": {"number": node.version, "build_hash": BUILD_HASH, "build_snapshot": False,
                    "minimum_index_compatibility_version": "5.0.0",
                    "minimum_wire_compatibility_version": "5.10.0"},
    }


def _rows(name: str, node: NodeInfo) -> list[tuple]:
    now = _dt.datetime.now(_dt.timezone.utc)
    spec = [c for c, _, _ in _SYS_SPECS[name]]
    if name == "summits":
        # file order -> alphabetical column order
        return [(r[5], r[3], r[7], r[8], r[1], r[0], r[2], r[6], r[4]) for r in summits()]
    if name == "cluster":
        settings = {
            "stats": {"enabled": True, "jobs_log_size": 10000, "operations_log_size": 10000},
            "cluster": {"graceful_stop": {"min_availability": "PRIMARIES", "timeout": "2h"}},
            "udc": {"enabled": False, "initial_delay": "10m", "interval": "24h",
                    "url": "https://udc.crate.io/"},
            "gateway": {"expected_data_nodes": -1, "recover_after_data_nodes": -1},
        }
        return [(node.cluster_id, None, node.node_id, "crate", settings, "")]
    if name == "nodes":
        row = _node_row(node, now)
        return [tuple(row[c] for c in spec)]
    if name == "checks":
        return [
            ("The total number of partitions of one or more partitioned tables should not be "
             "greater than 1000.", 2, True, 2),
            ("The following tables need to be recreated for compatibility with future major "
             "versions of CrateDB: ", 3, True, 1),
        ]
    if name == "node_checks":
        texts = {
            1: "It has been detected that the 'gateway.expected_data_nodes' setting is not "
               "configured.",
            5: "The high disk watermark is exceeded on the node.",
            6: "The low disk watermark is exceeded on the node.",
            7: "The flood stage disk watermark is exceeded on the node.",
        }
        return [(f"{node.node_id}_{i}", False, text, i, node.node_id, True, 2 if i == 1 else 3)
                for i, text in texts.items()]
    return []


def _crate_type(text: str) -> CrateType:
    return parse_type_name(text)


def install(engine, catalog: Catalog, node: NodeInfo) -> None:
    """Create every system relation in ``engine`` and register it in ``catalog``; also
    create the persisted catalog tables and load the user relations from them."""
    with engine.session() as session:
        _install(engine, session, catalog, node)


def _install(engine, session, catalog: Catalog, node: NodeInfo) -> None:
    for stmt in catalog.meta_ddl():
        session.execute(stmt)
    functions.install(session)
    catalog.load(session.execute(f"SELECT * FROM {META_SCHEMA}.tables").rows,
                 session.execute(f"SELECT * FROM {META_SCHEMA}.columns").rows,
                 session.execute(f"SELECT * FROM {META_SCHEMA}.indexes").rows,
                 session.execute("SELECT table_schema, table_name, column_name FROM "
                                 "information_schema.columns WHERE is_generated = 'ALWAYS'").rows)
    syscols.migrate(session, catalog.relations(system=False))

    relations: list[Relation] = []
    sys_schema = SYSTEM_SCHEMAS["sys"]
    for name, spec in _SYS_SPECS.items():
        if name != "shards":
            columns = [(c, duck or _crate_type(t).duck) for c, t, duck in spec]
            engine.load_rows(sys_schema, name, columns, _rows(name, node))
        pk = _PK.get(("sys", name))
        relations.append(Relation("sys", name, [
            Column(c, _crate_type(t), pk=(c == pk)) for c, t, _ in spec],
            system=True, storage=sys_schema, shards=None))

    pg_schema = SYSTEM_SCHEMAS["pg_catalog"]
    engine.load_rows(pg_schema, "pg_get_keywords",
                     [("catcode", "VARCHAR"), ("catdesc", "VARCHAR"), ("word", "VARCHAR")],
                     [(c, d, w) for w, c, d in _KEYWORDS])
    # a table function, not a relation: resolvable, but not listed in information_schema
    keywords = Relation("pg_catalog", "pg_get_keywords", [
        Column("catcode", _crate_type(_TEXT)), Column("catdesc", _crate_type(_TEXT)),
        Column("word", _crate_type(_TEXT))], system=True, storage=pg_schema, shards=None)

    relations.append(pgtypes.install(engine, pg_schema))
    catalog.udfs = udf.Udfs(engine)
    catalog.udfs.load(session)

    is_schema = SYSTEM_SCHEMAS["information_schema"]
    engine.load_rows(is_schema, "table_partitions",
                     [(c, duck or _crate_type(t).duck) for c, t, duck in _IS_PARTITIONS], [])
    relations.append(Relation("information_schema", "table_partitions", [
        Column(c, _crate_type(t)) for c, t, _ in _IS_PARTITIONS], system=True,
        storage=is_schema, shards=None))
    for name, (_, cols) in _IS_VIEWS.items():
        cols = cols or _IS_COLUMNS_COLUMNS
        relations.append(Relation("information_schema", name, [
            Column(c, _crate_type(t)) for c, t in cols], system=True, storage=is_schema,
            shards=None))

    # static catalog rows of the system relations, then the information_schema views
    meta_cols = ("schema_name VARCHAR, table_name VARCHAR, column_name VARCHAR, "
                 "position INTEGER, crate_type VARCHAR, data_type VARCHAR, not_null BOOLEAN, "
                 "pk BOOLEAN, column_default VARCHAR")
    engine.load_rows(META_SCHEMA, "sys_columns", meta_cols, [
        (r.schema, r.name, c.name, i, c.type.text(), c.type.name, False, c.pk, None)
        for r in relations for i, c in enumerate(r.columns, 1)])
    engine.load_rows(
        META_SCHEMA, "sys_tables",
        "schema_name VARCHAR, table_name VARCHAR, kind VARCHAR, clustered_by VARCHAR, "
        "shards INTEGER, partitioned_by VARCHAR[], definition VARCHAR",
        [(r.schema, r.name, "BASE TABLE", None, None, None, None) for r in relations])
    engine.ensure_schema(is_schema)
    for name, (sql, _) in _IS_VIEWS.items():
        sql = sql.replace("$version", "'" + node.version.replace("'", "''") + "'")
        session.execute(f"CREATE OR REPLACE VIEW {is_schema}.{name} AS {sql}")
    for rel in relations + [keywords]:
        catalog.add(rel)
    engine.ensure_schema(sys_schema)
    session.execute(shards_view(catalog, node))


#: (DuckDB schema, name) of the view :func:`shards_view` makes
SHARDS_VIEW = (SYSTEM_SCHEMAS["sys"], "shards")


def shards_view(catalog: Catalog, node: NodeInfo) -> str:
    """``CREATE OR REPLACE VIEW`` text of sys.shards: ``number_of_shards`` started primary
    shards per user table on the one node, all documents counted on shard 0. Rebuilt after
    every DDL, since a view cannot enumerate tables by itself."""
    node_struct = "{'id': %s, 'name': %s}" % (_quote(node.node_id), _quote(node.name))
    parts = []
    for rel in catalog.relations(system=False):
        if rel.kind != "BASE TABLE":
            continue
        table = f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
        parts.append(
            f"SELECT s.range::INTEGER AS id, {node_struct} AS node, "
            f"CASE WHEN s.range = 0 THEN (SELECT count(*) FROM {table}) ELSE 0 END AS num_docs, "
            f"'' AS partition_ident, true AS \"primary\", NULL::VARCHAR AS relocating_node, "
            f"'STARTED' AS routing_state, {_quote(rel.schema)} AS schema_name, "
            f"0::BIGINT AS size, 'STARTED' AS state, {_quote(rel.name)} AS table_name "
            f"FROM range({int(rel.shards or 1)}) s")
    if not parts:
        parts.append(
            f"SELECT NULL::INTEGER AS id, {node_struct} AS node, NULL::BIGINT AS num_docs, "
            "NULL::VARCHAR AS partition_ident, NULL::BOOLEAN AS \"primary\", "
            "NULL::VARCHAR AS relocating_node, NULL::VARCHAR AS routing_state, "
            "NULL::VARCHAR AS schema_name, NULL::BIGINT AS size, NULL::VARCHAR AS state, "
            "NULL::VARCHAR AS table_name WHERE false")
    sys_schema = SYSTEM_SCHEMAS["sys"]
    return (f"CREATE OR REPLACE VIEW {sys_schema}.{SHARDS_VIEW[1]} AS "
            + " UNION ALL ".join(parts))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
