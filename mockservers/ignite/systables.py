"""The SYSTEM views clients read for metadata: SCHEMAS, TABLES, TABLE_COLUMNS, ZONES, with
Ignite 3's column names (apache/ignite-3 ``SchemasSystemViewProvider``,
``TablesSystemViewProvider``, ``ZonesSystemViewProvider``).

They are DuckDB views over DuckDB's own catalog (so they follow every session's DDL at
once) and over the mock's bookkeeping in schema ``__ignite``: the zones (``CREATE ZONE``,
with ``Default`` there from the start) and each table's zone and colocation columns.
"""

from __future__ import annotations

from dbapi_conformance.mockservers.engine import Engine

__all__ = ["install", "catalog_name", "INTERNAL_SCHEMA", "DEFAULT_ZONE", "HIDDEN_SCHEMAS"]

INTERNAL_SCHEMA = "__ignite"
#: Ignite 3.1's default distribution zone.
DEFAULT_ZONE = "Default"
#: DuckDB schemas a client never sees.
HIDDEN_SCHEMAS = ("main", "information_schema", "pg_catalog", INTERNAL_SCHEMA)

_HIDDEN = ", ".join(f"'{s}'" for s in HIDDEN_SCHEMAS)

# DuckDB type names -> Ignite ColumnType names (COLUMN_TYPE)
_TYPE_CASE = """CASE
  WHEN c.data_type = 'BOOLEAN' THEN 'BOOLEAN' WHEN c.data_type = 'TINYINT' THEN 'INT8'
  WHEN c.data_type = 'SMALLINT' THEN 'INT16' WHEN c.data_type = 'INTEGER' THEN 'INT32'
  WHEN c.data_type = 'BIGINT' THEN 'INT64' WHEN c.data_type = 'FLOAT' THEN 'FLOAT'
  WHEN c.data_type = 'DOUBLE' THEN 'DOUBLE' WHEN c.data_type LIKE 'DECIMAL%' THEN 'DECIMAL'
  WHEN c.data_type = 'DATE' THEN 'DATE' WHEN c.data_type = 'TIME' THEN 'TIME'
  WHEN c.data_type = 'TIMESTAMP' THEN 'DATETIME'
  WHEN c.data_type = 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP'
  WHEN c.data_type = 'UUID' THEN 'UUID' WHEN c.data_type = 'BLOB' THEN 'BYTE_ARRAY'
  ELSE 'STRING' END"""

# Calcite's precision of the other types (as the column metadata of results, coltypes.py)
_PRECISIONS = """CASE c.data_type WHEN 'BOOLEAN' THEN 1 WHEN 'TINYINT' THEN 3
  WHEN 'SMALLINT' THEN 5 WHEN 'INTEGER' THEN 10 WHEN 'BIGINT' THEN 19 WHEN 'FLOAT' THEN 7
  WHEN 'DOUBLE' THEN 15 ELSE -1 END"""

_STATEMENTS = [
    f'CREATE SCHEMA IF NOT EXISTS "{INTERNAL_SCHEMA}"',
    'CREATE SCHEMA IF NOT EXISTS "PUBLIC"',
    'CREATE SCHEMA IF NOT EXISTS {catalog}."SYSTEM"',
    f'''CREATE TABLE IF NOT EXISTS "{INTERNAL_SCHEMA}".zones (
        name VARCHAR PRIMARY KEY, id INTEGER, partitions INTEGER, replicas INTEGER,
        is_default BOOLEAN)''',
    f'''INSERT OR IGNORE INTO "{INTERNAL_SCHEMA}".zones VALUES ('{DEFAULT_ZONE}', 0, 25, 1,
        true)''',
    f'''CREATE TABLE IF NOT EXISTS "{INTERNAL_SCHEMA}".table_zones (
        schema_name VARCHAR, table_name VARCHAR, zone VARCHAR, colocation VARCHAR,
        PRIMARY KEY (schema_name, table_name))''',
    f'''CREATE OR REPLACE VIEW {{catalog}}."SYSTEM"."SCHEMAS" AS
        SELECT CAST(oid AS INTEGER) AS "SCHEMA_ID", schema_name AS "SCHEMA_NAME"
        FROM duckdb_schemas() WHERE database_name = current_database()
          AND schema_name NOT IN ({_HIDDEN})''',
    f'''CREATE OR REPLACE VIEW {{catalog}}."SYSTEM"."TABLES" AS
        SELECT t.schema_name AS "SCHEMA_NAME", t.table_name AS "TABLE_NAME",
               CAST(t.table_oid AS INTEGER) AS "TABLE_ID",
               CAST(t.table_oid AS INTEGER) + 1 AS "TABLE_PK_INDEX_ID",
               COALESCE(z.zone, '{DEFAULT_ZONE}') AS "ZONE_NAME",
               'default' AS "STORAGE_PROFILE",
               z.colocation AS "TABLE_COLOCATION_COLUMNS",
               CAST(t.schema_oid AS INTEGER) AS "SCHEMA_ID",
               CAST(zz.id AS INTEGER) AS "ZONE_ID"
        FROM duckdb_tables() t
        LEFT JOIN "{INTERNAL_SCHEMA}".table_zones z
          ON z.schema_name = t.schema_name AND z.table_name = t.table_name
        LEFT JOIN "{INTERNAL_SCHEMA}".zones zz ON zz.name = COALESCE(z.zone, '{DEFAULT_ZONE}')
        WHERE t.database_name = current_database() AND t.schema_name NOT IN ({_HIDDEN})''',
    f'''CREATE OR REPLACE VIEW {{catalog}}."SYSTEM"."TABLE_COLUMNS" AS
        SELECT c.schema_name AS "SCHEMA_NAME", c.table_name AS "TABLE_NAME",
               CAST(c.table_oid AS INTEGER) AS "TABLE_ID", c.column_name AS "COLUMN_NAME",
               {_TYPE_CASE} AS "COLUMN_TYPE", c.is_nullable AS "IS_NULLABLE_COLUMN",
               CAST(CASE WHEN c.data_type LIKE 'DECIMAL%' THEN c.numeric_precision
                    WHEN c.data_type IN ('VARCHAR', 'BLOB') THEN 65536
                    WHEN c.data_type IN ('TIME', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE')
                    THEN 6 ELSE {_PRECISIONS} END AS INTEGER) AS "COLUMN_PRECISION",
               CAST(CASE WHEN c.data_type LIKE 'DECIMAL%' THEN c.numeric_scale ELSE 0 END
                    AS INTEGER) AS "COLUMN_SCALE",
               CAST(CASE WHEN c.data_type IN ('VARCHAR', 'BLOB') THEN 65536 ELSE 0 END
                    AS INTEGER) AS "COLUMN_LENGTH",
               CAST(c.column_index - 1 AS INTEGER) AS "COLUMN_ORDINAL",
               CAST(c.schema_oid AS INTEGER) AS "SCHEMA_ID",
               CAST(list_position(k.constraint_column_names, c.column_name) - 1 AS INTEGER)
                 AS "PK_COLUMN_ORDINAL",
               CAST(NULL AS INTEGER) AS "COLOCATION_COLUMN_ORDINAL"
        FROM duckdb_columns() c
        LEFT JOIN (SELECT schema_name, table_name, constraint_column_names
                   FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY') k
          ON k.schema_name = c.schema_name AND k.table_name = c.table_name
        WHERE c.database_name = current_database() AND c.schema_name NOT IN ({_HIDDEN})
          AND c.schema_name <> 'SYSTEM' ''',
    f'''CREATE OR REPLACE VIEW {{catalog}}."SYSTEM"."ZONES" AS
        SELECT name AS "ZONE_NAME", partitions AS "ZONE_PARTITIONS",
               replicas AS "ZONE_REPLICAS",
               CAST(0 AS INTEGER) AS "DATA_NODES_AUTO_ADJUST_SCALE_UP",
               CAST(2147483647 AS INTEGER) AS "DATA_NODES_AUTO_ADJUST_SCALE_DOWN",
               '$..*' AS "DATA_NODES_FILTER", is_default AS "IS_DEFAULT_ZONE",
               'STRONG_CONSISTENCY' AS "ZONE_CONSISTENCY_MODE", id AS "ZONE_ID"
        FROM "{INTERNAL_SCHEMA}".zones''',
]


def catalog_name(engine: Engine) -> str:
    """The DuckDB catalog of the engine's database: SYSTEM is also the name of DuckDB's
    own catalog, so references to the SYSTEM schema are qualified with this one
    (dialect.translate)."""
    with engine.session() as session:
        return session.execute("SELECT current_database()").rows[0][0]


def install(engine: Engine) -> str:
    """Create the schemas PUBLIC and SYSTEM, the views and the bookkeeping tables; returns
    :func:`catalog_name`."""
    catalog = catalog_name(engine)
    quoted = '"' + catalog.replace('"', '""') + '"'
    with engine.session() as session:
        for sql in _STATEMENTS:
            session.execute(sql.replace("{catalog}", quoted))
    engine.catalog_changed()
    return catalog
