"""The mock's catalog: CrateDB's view of every relation (user tables, views, system tables).

DuckDB stores the data; this catalog remembers what DuckDB cannot: the CrateDB type of each
column (IP, CHARACTER(n), OBJECT, GEO_POINT...), the primary key and the table options that
``information_schema`` shows. User relations are persisted in the DuckDB database itself
(schema ``_crate_meta``; CrateDB refuses schema names starting with ``_``, so no client can
name it), so they survive a restart together with the data. System relations are
registered at start-up and never stored.

Names: ``schema`` is the CrateDB schema (``doc``, ``sys``...), ``storage`` the DuckDB
schema that holds the data (the same for user tables; ``_crate_sys`` and friends for
system relations).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, parse_type_name

__all__ = ["Column", "Index", "Relation", "Catalog", "META_SCHEMA", "META_TABLES",
           "SYSTEM_SCHEMAS"]

META_SCHEMA = "_crate_meta"

#: CrateDB system schemas -> the DuckDB schema holding their relations.
SYSTEM_SCHEMAS = {
    "sys": "_crate_sys",
    "information_schema": "_crate_info",
    "pg_catalog": "_crate_pg",
}


@dataclass
class Column:
    """One column: CrateDB ``name`` and :class:`CrateType`; ``not_null``, ``pk`` and the
    ``default`` expression as written (or None); ``generated``: a generated column (not
    persisted in ``_crate_meta``: :meth:`Catalog.load` reads it from DuckDB)."""

    name: str
    type: CrateType
    not_null: bool = False
    pk: bool = False
    default: str | None = None
    generated: bool = False


@dataclass(frozen=True)
class Index:
    """An index other than a column's default one (plain): ``INDEX OFF`` or ``INDEX USING
    FULLTEXT`` on a column (``name`` is the column's), or a named ``INDEX name USING
    FULLTEXT (a, b)``. ``method`` is "fulltext", "plain" or "off"; ``analyzer`` None means
    CrateDB's default, ``standard``."""

    name: str
    method: str
    columns: tuple[str, ...]
    analyzer: str | None = None


@dataclass
class Relation:
    """A table or view as CrateDB describes it. ``kind`` is ``BASE TABLE`` or ``VIEW``;
    ``system`` marks read-only system relations."""

    schema: str
    name: str
    columns: list[Column]
    kind: str = "BASE TABLE"
    system: bool = False
    storage: str = ""
    clustered_by: str | None = None
    shards: int | None = 4
    partitioned_by: list[str] = field(default_factory=list)
    definition: str | None = None
    indexes: list[Index] = field(default_factory=list)

    def __post_init__(self):
        if not self.storage:
            self.storage = self.schema

    @property
    def fqn(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    def index(self, name: str) -> Index | None:
        for ix in self.indexes:
            if ix.name == name:
                return ix
        return None

    @property
    def pk(self) -> list[str]:
        return [c.name for c in self.columns if c.pk]


_META_DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.tables (schema_name VARCHAR, table_name VARCHAR,"
    " kind VARCHAR, clustered_by VARCHAR, shards INTEGER, partitioned_by VARCHAR[],"
    " definition VARCHAR, PRIMARY KEY (schema_name, table_name))",
    f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.columns (schema_name VARCHAR, table_name VARCHAR,"
    " column_name VARCHAR, position INTEGER, crate_type VARCHAR, data_type VARCHAR,"
    " not_null BOOLEAN, pk BOOLEAN, column_default VARCHAR)",
    f"CREATE TABLE IF NOT EXISTS {META_SCHEMA}.indexes (schema_name VARCHAR, table_name VARCHAR,"
    " index_name VARCHAR, method VARCHAR, columns VARCHAR[], analyzer VARCHAR)",
]


#: (schema, name) of the tables the catalog is persisted in (_META_DDL)
META_TABLES = [(META_SCHEMA, "tables"), (META_SCHEMA, "columns"), (META_SCHEMA, "indexes")]


class Catalog:
    """Relations by (schema, name). Thread-safe; DDL callers hold :attr:`ddl_lock` around
    the DuckDB statement and the catalog update so both change together."""

    def __init__(self):
        self._lock = threading.Lock()
        self.ddl_lock = threading.RLock()
        self._relations: dict[tuple[str, str], Relation] = {}
        #: changes with every add/remove: translations made before are stale
        self.generation = 0
        #: the user-defined functions (udf.Udfs), set up with the system tables
        self.udfs = None

    # --- persistence -------------------------------------------------------------------
    @staticmethod
    def meta_ddl() -> list[str]:
        """Statements creating the persisted catalog tables (idempotent)."""
        return list(_META_DDL)

    def load(self, table_rows, column_rows, index_rows=(), generated=()) -> None:
        """Fill the user part from the persisted rows (``_crate_meta.tables``, ``.columns``
        and ``.indexes`` as tuples in their column order); ``generated``: (schema, table,
        column) of the generated columns."""
        generated = set(generated)
        columns: dict[tuple[str, str], list[tuple]] = {}
        for row in column_rows:
            columns.setdefault((row[0], row[1]), []).append(row)
        indexes: dict[tuple[str, str], list[Index]] = {}
        for schema, name, index_name, method, cols, analyzer in index_rows:
            indexes.setdefault((schema, name), []).append(
                Index(index_name, method, tuple(cols or ()), analyzer))
        with self._lock:
            for schema, name, kind, clustered_by, shards, partitioned_by, definition in table_rows:
                cols = [
                    Column(r[2], parse_type_name(r[4]), bool(r[6]), bool(r[7]), r[8],
                           (r[0], r[1], r[2]) in generated)
                    for r in sorted(columns.get((schema, name), []), key=lambda r: r[3])
                ]
                self._relations[(schema, name)] = Relation(
                    schema, name, cols, kind, False, schema, clustered_by, shards,
                    list(partitioned_by or []), definition, indexes.get((schema, name), []))

    @staticmethod
    def persist_statements(rel: Relation) -> list[tuple[str, list]]:
        """(sql, params) pairs that store ``rel`` in ``_crate_meta``."""
        out = [(f"INSERT INTO {META_SCHEMA}.tables VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [rel.schema, rel.name, rel.kind, rel.clustered_by, rel.shards,
                 rel.partitioned_by, rel.definition])]
        for pos, col in enumerate(rel.columns, 1):
            out.append((f"INSERT INTO {META_SCHEMA}.columns "
                        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        [rel.schema, rel.name, col.name, pos, col.type.text(), col.type.name,
                         col.not_null, col.pk, col.default]))
        for ix in rel.indexes:
            out.append((f"INSERT INTO {META_SCHEMA}.indexes VALUES ($1, $2, $3, $4, $5, $6)",
                        [rel.schema, rel.name, ix.name, ix.method, list(ix.columns),
                         ix.analyzer]))
        return out

    @staticmethod
    def forget_statements(schema: str, name: str) -> list[tuple[str, list]]:
        """(sql, params) pairs that remove a relation from ``_crate_meta``."""
        return [
            (f"DELETE FROM {META_SCHEMA}.tables WHERE schema_name = $1 AND table_name = $2",
             [schema, name]),
            (f"DELETE FROM {META_SCHEMA}.columns WHERE schema_name = $1 AND table_name = $2",
             [schema, name]),
            (f"DELETE FROM {META_SCHEMA}.indexes WHERE schema_name = $1 AND table_name = $2",
             [schema, name]),
        ]

    # --- lookups -----------------------------------------------------------------------
    def add(self, rel: Relation) -> None:
        with self._lock:
            self._relations[(rel.schema, rel.name)] = rel
            self.generation += 1

    def touch(self) -> None:
        """Mark cached translations stale (a change the relations do not show: a UDF)."""
        with self._lock:
            self.generation += 1

    def remove(self, schema: str, name: str) -> None:
        with self._lock:
            self._relations.pop((schema, name), None)
            self.generation += 1

    def get(self, schema: str, name: str) -> Relation | None:
        with self._lock:
            return self._relations.get((schema, name))

    def schema_exists(self, schema: str) -> bool:
        """CrateDB knows a schema while it holds a relation (``doc`` always exists)."""
        if schema == "doc" or schema in SYSTEM_SCHEMAS or schema == "blob":
            return True
        with self._lock:
            return any(s == schema for s, _ in self._relations)

    def relations(self, system: bool | None = None) -> list[Relation]:
        with self._lock:
            rels = list(self._relations.values())
        if system is not None:
            rels = [r for r in rels if r.system == system]
        return sorted(rels, key=lambda r: (r.schema, r.name))
