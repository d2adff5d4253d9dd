"""The v2+ metadata commands (exasol.md 7) as SQL over the SYS views (systables.py).

Request fields are SQL LIKE patterns (``\\`` escapes); ``null`` or absent means all, and
``""`` matches only an empty name (so nothing). Commands about objects the mock does not
have (functions, scripts, users, roles, connections, privileges) answer an empty result set
with the documented columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["query", "KEYWORDS"]

#: Reserved words of Exasol SQL that clients ask about (getKeywords; a subset).
KEYWORDS = (
    "ABSOLUTE", "ADD", "ALL", "ALTER", "AND", "ANY", "AS", "ASC", "BETWEEN", "BY", "CASE",
    "CAST", "CHECK", "COLUMN", "COMMIT", "CONSTRAINT", "CREATE", "CROSS", "CURRENT",
    "DEFAULT", "DELETE", "DESC", "DISTINCT", "DROP", "ELSE", "END", "EXISTS", "FALSE",
    "FOR", "FOREIGN", "FROM", "FULL", "GRANT", "GROUP", "HAVING", "IN", "INNER", "INSERT",
    "INTERSECT", "INTO", "IS", "JOIN", "KEY", "LEFT", "LIKE", "LIMIT", "MERGE", "MINUS",
    "NOT", "NULL", "OF", "ON", "OR", "ORDER", "OUTER", "PRIMARY", "REFERENCES", "RIGHT",
    "ROLLBACK", "SCHEMA", "SELECT", "SET", "TABLE", "THEN", "TO", "TRUE", "UNION", "UNIQUE",
    "UPDATE", "USING", "VALUES", "VIEW", "WHEN", "WHERE", "WITH",
)
_NONRESERVED = ("ACCESS", "COMMENT", "CONNECTION", "OWNER", "PRIORITY", "ROLE", "USER")


def _like(column: str, value: Any, params: list) -> str:
    if value is None:
        return "TRUE"
    params.append(value)
    return f"{column} LIKE ${len(params)} ESCAPE '\\'"


def _empty(*columns: str) -> tuple[str, list]:
    cols = ", ".join(f'CAST(NULL AS VARCHAR) AS "{c}"' for c in columns)
    return f"SELECT {cols} WHERE FALSE", []


def _types(value: Any, params: list) -> str:
    if not value:
        return "TRUE"
    params.append([str(v).upper() for v in value])
    return f"list_contains(${len(params)}, TABLE_TYPE)"


def query(command: str, fields: Mapping[str, Any]) -> tuple[str, list]:
    """``(DuckDB SQL, parameters)`` answering a metadata command."""
    params: list = []
    get = fields.get
    if command == "getSchemas":
        return (f"SELECT SCHEMA_NAME AS NAME, SCHEMA_OWNER AS OWNER, SCHEMA_IS_VIRTUAL AS "
                f"IS_VIRTUAL, SCHEMA_COMMENT AS COMMENT FROM SYS.EXA_ALL_SCHEMAS WHERE "
                f"{_like('SCHEMA_NAME', get('schema'), params)} ORDER BY 1", params)
    if command == "getTables":
        where = " AND ".join([_like('"SCHEMA"', get("schema"), params),
                              _like("NAME", get("table"), params),
                              _types(get("tableTypes"), params)])
        return (f"""SELECT * FROM (
            SELECT TABLE_SCHEMA AS "SCHEMA", TABLE_NAME AS NAME, TABLE_OWNER AS OWNER,
                   'TABLE' AS TABLE_TYPE, TABLE_IS_VIRTUAL AS IS_VIRTUAL,
                   TABLE_HAS_DISTRIBUTION_KEY AS HAS_DISTRIBUTION_KEY,
                   TABLE_HAS_PARTITION_KEY AS HAS_PARTITION_KEY, TABLE_COMMENT AS COMMENT
            FROM SYS.EXA_ALL_TABLES
            UNION ALL
            SELECT VIEW_SCHEMA, VIEW_NAME, VIEW_OWNER, 'VIEW', FALSE, FALSE, FALSE,
                   VIEW_COMMENT FROM SYS.EXA_ALL_VIEWS) AS t
            WHERE {where} ORDER BY 1, 2""", params)
    if command == "getColumns":
        where = " AND ".join([_like('"SCHEMA"', get("schema"), params),
                              _like('"TABLE"', get("table"), params),
                              _like("NAME", get("column"), params),
                              _types(get("tableTypes"), params)])
        return (f"""SELECT * FROM (
            SELECT COLUMN_SCHEMA AS "SCHEMA", COLUMN_TABLE AS "TABLE", COLUMN_NAME AS NAME,
                   COLUMN_OBJECT_TYPE AS TABLE_TYPE, COLUMN_TYPE AS TYPE,
                   COLUMN_TYPE_ID AS TYPE_ID, COLUMN_MAXSIZE AS MAXSIZE,
                   COLUMN_NUM_PREC AS NUM_PREC, COLUMN_NUM_SCALE AS NUM_SCALE,
                   COLUMN_ORDINAL_POSITION AS ORDINAL_POSITION, COLUMN_IS_VIRTUAL AS IS_VIRTUAL,
                   COLUMN_IS_NULLABLE AS IS_NULLABLE,
                   COLUMN_IS_DISTRIBUTION_KEY AS IS_DISTRIBUTION_KEY,
                   COLUMN_PARTITION_KEY_ORDINAL_POSITION AS PARTITION_KEY_ORDINAL_POSITION,
                   COLUMN_DEFAULT AS "DEFAULT", COLUMN_IDENTITY AS IS_IDENTITY,
                   COLUMN_OWNER AS OWNER, COLUMN_COMMENT AS COMMENT
            FROM SYS.EXA_ALL_COLUMNS) AS c
            WHERE {where} ORDER BY 1, 2, ORDINAL_POSITION""", params)
    if command == "getKeywords":
        rows = [(k, True) for k in KEYWORDS] + [(k, False) for k in _NONRESERVED]
        params.append([k for k, _ in rows])
        params.append([r for _, r in rows])
        return ('SELECT unnest($1::VARCHAR[]) AS KEYWORD, unnest($2::BOOLEAN[]) AS RESERVED '
                'ORDER BY 1', params)
    if command == "getTableTypes":
        return ("SELECT * FROM (VALUES ('SYSTEM TABLE'), ('TABLE'), ('VIEW')) "
                "AS t(TABLE_TYPE)", params)
    if command == "getPrimaryKeys":
        where = " AND ".join([_like("schema_name", get("schema"), params),
                              _like("table_name", get("table"), params)])
        return (f"""SELECT schema_name AS "SCHEMA", table_name AS "TABLE",
                   constraint_name AS NAME, 'SYS' AS OWNER,
                   CAST(generate_subscripts(constraint_column_names, 1) AS DECIMAL(18,0))
                     AS ORDINAL_POSITION,
                   unnest(constraint_column_names) AS COLUMN_NAME
            FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' AND {where}
            ORDER BY 1, 2, 5""", params)
    if command == "getProperties":
        return (f"SELECT PARAMETER_NAME AS NAME, SESSION_VALUE AS VALUE FROM "
                f"SYS.EXA_PARAMETERS WHERE {_like('PARAMETER_NAME', get('name'), params)}",
                params)
    if command == "getFunctions":
        return _empty("SCHEMA", "NAME", "OWNER", "COMMENT")
    if command == "getScripts":
        return _empty("SCHEMA", "NAME", "OWNER", "TYPE", "LANGUAGE", "INPUT_TYPE",
                      "RESULT_TYPE", "COMMENT")
    if command == "getTablePrivileges":
        return _empty("SCHEMA", "TABLE", "NAME", "GRANTOR", "GRANTEE", "OWNER")
    if command == "getColumnPrivileges":
        return _empty("SCHEMA", "TABLE", "COLUMN", "NAME", "GRANTOR", "GRANTEE", "OWNER")
    if command == "getConnections":
        return _empty("NAME", "CREATED", "COMMENT")
    if command in ("getRoles", "getUsers"):
        return _empty("NAME", "CREATED", "CONSUMER_GROUP", "COMMENT")
    if command == "getTypeInfo":
        return ("SELECT * FROM (VALUES ('BOOLEAN', 16), ('CHAR', 1), ('DATE', 91), "
                "('DECIMAL', 3), ('DOUBLE', 8), ('TIMESTAMP', 93), ('VARCHAR', 12)) "
                "AS t(NAME, TYPE_ID)", params)
    raise KeyError(command)
