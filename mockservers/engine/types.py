"""Column metadata and type names of the engine.

Type name scheme (``Column.type_name``): DuckDB's own type string, upper case, with one change:
``DECIMAL(p,s)`` becomes ``"DECIMAL"`` and its precision and scale go to ``Column.precision``
and ``Column.scale``. Every other type keeps its full DuckDB spelling, so nested types carry
their element types:

- scalars: ``BOOLEAN TINYINT SMALLINT INTEGER BIGINT HUGEINT UTINYINT USMALLINT UINTEGER
  UBIGINT FLOAT DOUBLE DECIMAL VARCHAR BLOB DATE TIME TIMESTAMP "TIMESTAMP WITH TIME ZONE"
  "TIME WITH TIME ZONE" TIMESTAMP_S TIMESTAMP_MS TIMESTAMP_NS INTERVAL UUID BIT JSON``
  (``NULL`` for an untyped ``SELECT NULL``; VARCHAR(n) lengths are not kept by DuckDB)
- lists ``"INTEGER[]"``, fixed-size arrays ``"INTEGER[3]"``, ``"DECIMAL(4,1)[]"``, ``"VARCHAR[][]"``
- ``"STRUCT(a INTEGER, b VARCHAR)"``, ``"MAP(VARCHAR, INTEGER)"``, ``"UNION(...)"``, enums
  ``"ENUM('a', 'b')"``

:func:`element_type` and :func:`struct_fields` take nested strings apart (using DuckDB's own
type parser), :func:`base_type` gives the outermost family.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import NamedTuple

import duckdb

__all__ = ["Column", "column_from_duckdb", "element_type", "struct_fields", "base_type",
           "split_decimal", "quote_ident"]


class Column(NamedTuple):
    """One column of a result set or a table.

    ``precision``/``scale``: DECIMAL digits (None for other types). ``null_ok``: True/False when
    known (table columns), None when unknown (result columns: DuckDB does not report it).
    ``primary_key`` and ``default`` (the default expression as SQL text) are filled by
    ``Session.table_columns`` only; None elsewhere.
    """

    name: str
    type_name: str
    precision: int | None = None
    scale: int | None = None
    null_ok: bool | None = None
    primary_key: bool | None = None
    default: str | None = None


_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def split_decimal(type_string: str) -> tuple[str, int | None, int | None]:
    """``"DECIMAL(10,2)"`` -> ``("DECIMAL", 10, 2)``; anything else -> ``(s, None, None)``."""
    m = _DECIMAL.match(type_string)
    if m:
        return "DECIMAL", int(m.group(1)), int(m.group(2))
    return type_string, None, None


@functools.lru_cache(maxsize=1024)
def _column_type(type_string: str) -> tuple[str, int | None, int | None]:
    if type_string == '"NULL"':  # DuckDB quotes the type of an untyped NULL
        return "NULL", None, None
    return split_decimal(type_string)


def column_from_duckdb(name: str, duck_type, null_ok: bool | None = None) -> Column:
    """Column from a DuckDB description entry (name, DuckDBPyType or type string)."""
    type_name, precision, scale = _column_type(str(duck_type))
    return Column(name, type_name, precision, scale, null_ok)


_parser_lock = threading.Lock()
_parser: duckdb.DuckDBPyConnection | None = None


def _parse(type_name: str):
    """DuckDB's own parse of a type name, on a private connection (thread-safe)."""
    global _parser
    with _parser_lock:
        if _parser is None:
            _parser = duckdb.connect(":memory:", config={"enable_external_access": False})
        try:
            return _parser.sqltype(type_name)
        except Exception:  # noqa: BLE001 - an unparsable name is simply "not nested"
            return None


def _full(type_name: str, precision: int | None, scale: int | None) -> str:
    if type_name == "DECIMAL" and precision is not None:
        return f"DECIMAL({precision},{scale or 0})"
    return type_name


@functools.lru_cache(maxsize=1024)
def element_type(type_name: str) -> str | None:
    """Element type of a list or array type name (``"INTEGER[]"`` -> ``"INTEGER"``,
    ``"VARCHAR[][]"`` -> ``"VARCHAR[]"``, ``"DECIMAL(4,1)[]"`` -> ``"DECIMAL(4,1)"``);
    None for any other type."""
    t = _parse(type_name)
    if t is None or t.id not in ("list", "array"):
        return None
    return str(t.children[0][1])


@functools.lru_cache(maxsize=1024)
def struct_fields(type_name: str) -> list[tuple[str, str]] | None:
    """``"STRUCT(a INTEGER, b VARCHAR)"`` -> ``[("a", "INTEGER"), ("b", "VARCHAR")]``;
    None for any other type."""
    t = _parse(type_name)
    if t is None or t.id != "struct":
        return None
    return [(name, str(child)) for name, child in t.children]


def base_type(type_name: str) -> str:
    """Outermost family: ``"LIST"`` (also fixed arrays: ``"ARRAY"``), ``"STRUCT"``, ``"MAP"``,
    ``"UNION"``, ``"ENUM"``, else the name itself (``"DECIMAL(4,1)"`` -> ``"DECIMAL"``)."""
    if type_name.endswith("]"):
        return "ARRAY" if not type_name.endswith("[]") else "LIST"
    for family in ("STRUCT", "MAP", "UNION", "ENUM", "DECIMAL"):
        if type_name.startswith(family + "(") or type_name == family:
            return family
    return type_name


def quote_ident(name: str) -> str:
    """SQL identifier in double quotes (embedded quotes doubled): ``a"b`` -> ``"a""b"``."""
    return '"' + name.replace('"', '""') + '"'
