"""Exasol's system views in schema SYS (always on every session's search path, as in
Exasol): EXA_PARAMETERS, EXA_METADATA, EXA_ALL_SCHEMAS, EXA_ALL_TABLES, EXA_ALL_VIEWS,
EXA_ALL_COLUMNS (also as EXA_USER_*/EXA_DBA_* names), DUAL.

They are DuckDB views over DuckDB's own catalog functions, so each session sees the catalog
as its own transaction sees it (uncommitted tables of other sessions stay invisible).
Column names follow Exasol's system tables reference; type names follow the rules of
coltypes.py. EXA_PARAMETERS holds the NLS values the mock renders by (exasol.md 5.5, 9.2).
"""

from __future__ import annotations

from dbapi_conformance.mockservers.engine import Engine

__all__ = ["SYSTEM_SCHEMA", "install", "VIEWS", "PARAMETERS", "METADATA", "RELEASE_VERSION",
           "HIDDEN_SCHEMAS"]

SYSTEM_SCHEMA = "SYS"
#: The Exasol release the mock claims (login ``releaseVersion``, EXA_METADATA).
RELEASE_VERSION = "8.34.0"
#: DuckDB schemas that are not user schemas.
HIDDEN_SCHEMAS = ("main", "SYS", "information_schema", "pg_catalog")

#: (PARAMETER_NAME, value): EXA_PARAMETERS rows, session and system value alike.
PARAMETERS = (
    ("NLS_DATE_FORMAT", "YYYY-MM-DD"),
    ("NLS_TIMESTAMP_FORMAT", "YYYY-MM-DD HH24:MI:SS.FF6"),
    ("NLS_DATE_LANGUAGE", "ENG"),
    ("NLS_FIRST_DAY_OF_WEEK", "7"),
    ("NLS_NUMERIC_CHARACTERS", ".,"),
    ("TIME_ZONE", "UNIVERSAL"),
    ("TIME_ZONE_BEHAVIOR", "INVALID SHIFT AMBIGUOUS ST"),
    ("DEFAULT_LIKE_ESCAPE_CHARACTER", "\\"),
    ("TIMESTAMP_ARITHMETIC_BEHAVIOR", "INTERVAL"),
    ("QUERY_CACHE", "ON"),
    ("PROFILE", "OFF"),
    ("SQL_PREPROCESSOR_SCRIPT", None),
    ("DEFAULT_PRIORITY_GROUP", "MEDIUM"),
)

#: (PARAM_NAME, PARAM_VALUE): EXA_METADATA rows (what JDBC's DatabaseMetaData reads).
METADATA = (
    ("databaseName", "EXA_DB"),
    ("databaseProductName", "EXASolution"),
    ("databaseProductVersion", RELEASE_VERSION),
    ("databaseMajorVersion", RELEASE_VERSION.split(".")[0]),
    ("databaseMinorVersion", RELEASE_VERSION.split(".")[1]),
    ("identifierQuoteString", '"'),
    ("maxColumnNameLength", "128"),
    ("maxTableNameLength", "128"),
    ("maxVarcharLength", "2000000"),
    ("searchStringEscape", "\\"),
    ("supportsTransactions", "true"),
)

_HIDDEN = ", ".join(f"'{s}'" for s in HIDDEN_SCHEMAS)
_USER_SCHEMAS = f"schema_name NOT IN ({_HIDDEN}) AND database_name = current_database()"

# DuckDB data_type text -> Exasol COLUMN_TYPE text
_COLUMN_TYPE = """CASE
  WHEN data_type LIKE 'DECIMAL(%' THEN replace(data_type, ' ', '')
  WHEN data_type IN ('TINYINT','SMALLINT','INTEGER','UTINYINT','USMALLINT','UINTEGER')
    THEN 'DECIMAL(18,0)'
  WHEN data_type IN ('BIGINT','UBIGINT','HUGEINT','UHUGEINT') THEN 'DECIMAL(36,0)'
  WHEN data_type IN ('DOUBLE','FLOAT') THEN 'DOUBLE'
  WHEN data_type = 'BOOLEAN' THEN 'BOOLEAN'
  WHEN data_type = 'DATE' THEN 'DATE'
  WHEN data_type LIKE 'TIMESTAMP WITH TIME ZONE' THEN 'TIMESTAMP WITH LOCAL TIME ZONE'
  WHEN data_type LIKE 'TIMESTAMP%' THEN 'TIMESTAMP'
  WHEN data_type = 'INTERVAL' THEN 'INTERVAL DAY(9) TO SECOND(6)'
  WHEN data_type = 'UUID' THEN 'HASHTYPE(16 BYTE)'
  ELSE 'VARCHAR(2000000) UTF8' END"""

_TYPE_ID = """CASE
  WHEN data_type LIKE 'DECIMAL(%' OR data_type LIKE '%INT%' THEN 3
  WHEN data_type IN ('DOUBLE','FLOAT') THEN 8
  WHEN data_type = 'BOOLEAN' THEN 16
  WHEN data_type = 'DATE' THEN 91
  WHEN data_type LIKE 'TIMESTAMP%' THEN 93
  ELSE 12 END"""

VIEWS = {
    "DUAL": "SELECT CAST(NULL AS BOOLEAN) AS DUMMY",
    "EXA_PARAMETERS": "SELECT * FROM (VALUES {rows}) AS p(PARAMETER_NAME, SESSION_VALUE, "
                      "SYSTEM_VALUE)",
    "EXA_METADATA": "SELECT * FROM (VALUES {metadata}) AS m(PARAM_NAME, PARAM_VALUE, "
                    "IS_STATIC)",
    "EXA_ALL_SCHEMAS": f"""
        SELECT schema_name AS SCHEMA_NAME, 'SYS' AS SCHEMA_OWNER,
               CAST(oid AS DECIMAL(18,0)) AS SCHEMA_OBJECT_ID, FALSE AS SCHEMA_IS_VIRTUAL,
               CAST(comment AS VARCHAR) AS SCHEMA_COMMENT
        FROM duckdb_schemas() WHERE {_USER_SCHEMAS}""",
    "EXA_ALL_TABLES": f"""
        SELECT schema_name AS TABLE_SCHEMA, table_name AS TABLE_NAME, 'SYS' AS TABLE_OWNER,
               CAST(table_oid AS DECIMAL(18,0)) AS TABLE_OBJECT_ID,
               FALSE AS TABLE_IS_VIRTUAL, FALSE AS TABLE_HAS_DISTRIBUTION_KEY,
               FALSE AS TABLE_HAS_PARTITION_KEY,
               CAST(estimated_size AS DECIMAL(18,0)) AS TABLE_ROW_COUNT,
               CAST(0 AS DECIMAL(9,0)) AS DELETE_PERCENTAGE,
               CAST(comment AS VARCHAR) AS TABLE_COMMENT
        FROM duckdb_tables() WHERE NOT internal AND {_USER_SCHEMAS}""",
    "EXA_ALL_VIEWS": f"""
        SELECT schema_name AS VIEW_SCHEMA, view_name AS VIEW_NAME, 'SYS' AS SCOPE_SCHEMA,
               'SYS' AS VIEW_OWNER, CAST(view_oid AS DECIMAL(18,0)) AS VIEW_OBJECT_ID,
               sql AS VIEW_TEXT, CAST(comment AS VARCHAR) AS VIEW_COMMENT
        FROM duckdb_views() WHERE NOT internal AND {_USER_SCHEMAS}""",
    "EXA_ALL_COLUMNS": f"""
        SELECT c.schema_name AS COLUMN_SCHEMA, c.table_name AS COLUMN_TABLE,
               CASE WHEN v.view_name IS NULL THEN 'TABLE' ELSE 'VIEW' END
                 AS COLUMN_OBJECT_TYPE,
               c.column_name AS COLUMN_NAME, {_COLUMN_TYPE} AS COLUMN_TYPE,
               CAST({_TYPE_ID} AS DECIMAL(9,0)) AS COLUMN_TYPE_ID,
               CAST(CASE WHEN data_type LIKE 'DECIMAL(%' THEN numeric_precision
                    WHEN data_type IN ('DOUBLE','FLOAT') THEN 64
                    WHEN data_type = 'BOOLEAN' THEN 1
                    WHEN data_type = 'DATE' THEN 10
                    WHEN data_type LIKE 'TIMESTAMP%' THEN 29
                    WHEN data_type LIKE '%INT%' THEN 18
                    ELSE 2000000 END AS DECIMAL(18,0)) AS COLUMN_MAXSIZE,
               CAST(CASE WHEN data_type LIKE 'DECIMAL(%' THEN numeric_precision
                    WHEN data_type LIKE '%INT%' THEN 18 END AS DECIMAL(18,0))
                 AS COLUMN_NUM_PREC,
               CAST(CASE WHEN data_type LIKE 'DECIMAL(%' THEN numeric_scale
                    WHEN data_type LIKE '%INT%' THEN 0 END AS DECIMAL(18,0))
                 AS COLUMN_NUM_SCALE,
               CAST(c.column_index AS DECIMAL(18,0)) AS COLUMN_ORDINAL_POSITION,
               FALSE AS COLUMN_IS_VIRTUAL, c.is_nullable AS COLUMN_IS_NULLABLE,
               FALSE AS COLUMN_IS_DISTRIBUTION_KEY,
               CAST(NULL AS DECIMAL(18,0)) AS COLUMN_PARTITION_KEY_ORDINAL_POSITION,
               c.column_default AS COLUMN_DEFAULT, CAST(NULL AS VARCHAR) AS COLUMN_IDENTITY,
               'SYS' AS COLUMN_OWNER, CAST(c.table_oid AS DECIMAL(18,0)) AS COLUMN_OBJECT_ID,
               CAST(NULL AS VARCHAR) AS STATUS, CAST(c.comment AS VARCHAR) AS COLUMN_COMMENT
        FROM duckdb_columns() c
        LEFT JOIN duckdb_views() v ON v.schema_name = c.schema_name
             AND v.view_name = c.table_name
        WHERE NOT c.internal AND c.{_USER_SCHEMAS.replace('database_name', 'c.database_name')}
    """,
}
# Exasol's per-user and DBA variants hold the same rows for the mock's one privilege level.
for _base in ("SCHEMAS", "TABLES", "VIEWS", "COLUMNS"):
    for _scope in ("USER", "DBA"):
        if _base != "SCHEMAS" or _scope == "DBA":
            VIEWS[f"EXA_{_scope}_{_base}"] = f'SELECT * FROM "SYS"."EXA_ALL_{_base}"'
VIEWS["EXA_SCHEMAS"] = 'SELECT * FROM "SYS"."EXA_ALL_SCHEMAS"'


def _literal(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def install(engine: Engine) -> None:
    """Create schema SYS and its views (idempotent)."""
    engine.ensure_schema(SYSTEM_SCHEMA)
    rows = ", ".join(f"({_literal(n)}, {_literal(v)}, {_literal(v)})" for n, v in PARAMETERS)
    metadata = ", ".join(f"({_literal(n)}, {_literal(v)}, TRUE)" for n, v in METADATA)
    with engine.session() as session:
        for name, body in VIEWS.items():
            body = body.replace("{rows}", rows).replace("{metadata}", metadata)
            session.execute(f'CREATE OR REPLACE VIEW "SYS"."{name}" AS {body}')
