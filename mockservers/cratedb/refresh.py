"""Opt-in strict refresh mode: writes reach searches only after a refresh, as in CrateDB.

CrateDB (cratedb.md 5.3; crate/crate ``docs/sql/statements/refresh.rst``,
``docs/concepts/storage-consistency.rst``, ``WhereClauseOptimizer``,
``OptimizeCollectWhereClauseAccess``): a query whose WHERE pins the whole primary key (or
``_id``) to values runs as a primary-key lookup (``Get``) and sees every write at once; any
other read (a search: filters, scans, ``count(*)``, aggregations, joins, the rows an UPDATE
or DELETE with such a filter picks) sees the table as of its last refresh. Tables refresh
every ``refresh_interval`` and on ``REFRESH TABLE``.

How the mock does it, when started with ``refresh_interval`` (milliseconds):

- every user table has a search copy in an in-memory database (``crate_search``), taken
  at start-up, by ``REFRESH TABLE`` and once the interval has passed since the first write
  the copy lacks (the copy is taken when the next search arrives, which is indistinguishable
  from a periodic refresh that happened just before it);
- the translator reads searches from the copy; UPDATE and DELETE that are not primary-key
  lookups pick their rows from the copy (by primary key, or ``_id``) and change them in the
  table; writes, primary-key lookups and duplicate-key checks use the table itself.

Without ``refresh_interval`` (the default) nothing here is used and writes are visible at
once, a superset of CrateDB's behaviour.
"""

from __future__ import annotations

import threading
import time

from sqlglot import exp

from dbapi_conformance.mockservers.cratedb import syscols
from dbapi_conformance.mockservers.cratedb.catalog import Relation
from dbapi_conformance.mockservers.engine import errors as eng
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["Refresher", "route_searches", "SEARCH_CATALOG"]

#: The attached in-memory DuckDB database holding the search copies.
SEARCH_CATALOG = "crate_search"


def _copy_name(rel: Relation) -> str:
    return f"{rel.schema}.{rel.name}"


def _copy_sql(rel: Relation) -> str:
    return f"{SEARCH_CATALOG}.main.{quote_ident(_copy_name(rel))}"


def _copy_key(rel: Relation) -> list[tuple[str, str]]:
    # what a statement that writes only the copy writes (Engine.data_version); no user
    # table's key: CrateDB schema names have no dots
    return [(f"{SEARCH_CATALOG}.main", _copy_name(rel))]


def _live_sql(rel: Relation) -> str:
    return f"{quote_ident(rel.storage)}.{quote_ident(rel.name)}"


class Refresher:
    """The search copies of one server's tables. Thread-safe: any session may write,
    search or refresh; copies are taken one at a time.

    ``interval_ms``: CrateDB's ``refresh_interval`` in milliseconds (> 0). ``clock``:
    seconds, monotonic (``time.monotonic``)."""

    def __init__(self, interval_ms: float, clock=time.monotonic):
        if not interval_ms > 0:
            raise ValueError("refresh interval must be a positive number of milliseconds")
        self.interval = interval_ms / 1000.0
        self._clock = clock
        self._lock = threading.Lock()  # guards _pending
        self._copying = threading.Lock()  # one copy at a time (DuckDB DDL conflicts)
        # (schema, name) -> (time of the first write the copy lacks, the table)
        self._pending: dict[tuple[str, str], tuple[float, Relation]] = {}

    # --- life cycle ------------------------------------------------------------------
    def install(self, session, relations) -> None:
        """Attach the search database and copy every table (a started node has refreshed
        all its shards)."""
        session.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {SEARCH_CATALOG}")
        for rel in relations:
            if syscols.has_system_columns(rel):
                self._copy(session, rel)

    def on_ddl(self, session, add: Relation | None, drop: Relation | None) -> None:
        """Follow CREATE / DROP / ALTER TABLE (``CrateSession.run_ddl``)."""
        with self._copying:
            self._follow(session, add, drop)

    def _follow(self, session, add: Relation | None, drop: Relation | None) -> None:
        if drop is not None and syscols.has_system_columns(drop) and (
                add is None or not syscols.has_system_columns(add)):
            session.execute(f"DROP TABLE IF EXISTS {_copy_sql(drop)}", writes=_copy_key(drop))
            with self._lock:
                self._pending.pop((drop.schema, drop.name), None)
        if add is None or not syscols.has_system_columns(add):
            return
        if drop is None:  # a new table: an empty copy; rows (CREATE TABLE AS) need a refresh
            session.execute(f"CREATE OR REPLACE TABLE {_copy_sql(add)} AS "
                            f"SELECT * FROM {_live_sql(add)} LIMIT 0", writes=_copy_key(add))
            self.written(add)
            return
        old = {c.name for c in drop.columns}
        for col in add.columns:  # ALTER TABLE ADD COLUMN
            if col.name not in old:
                session.execute(f"ALTER TABLE {_copy_sql(add)} ADD COLUMN "
                                f"{quote_ident(col.name)} {col.type.duck}",
                                writes=_copy_key(add))

    # --- writes and searches ---------------------------------------------------------
    def written(self, rel: Relation | None) -> None:
        """A write to ``rel`` happened: searches see it after the next refresh."""
        if syscols.has_system_columns(rel):
            with self._lock:
                self._pending.setdefault((rel.schema, rel.name), (self._clock(), rel))

    def before_search(self, session, relations) -> None:
        """Refresh the tables a search is about to read whose interval has passed since
        their first unrefreshed write (every such table when ``relations`` is None: a
        view may read any table)."""
        now = self._clock()
        with self._lock:
            due = {key: rel for key, (since, rel) in self._pending.items()
                   if now - since >= self.interval}
        if due and relations is not None:
            wanted = {(r.schema, r.name) for r in relations}
            due = {key: rel for key, rel in due.items() if key in wanted}
        self.refresh(session, list(due.values()))

    def refresh(self, session, relations) -> None:
        """``REFRESH TABLE``: make every write to ``relations`` visible to searches."""
        for rel in relations:
            if not syscols.has_system_columns(rel):
                continue
            with self._lock:
                self._pending.pop((rel.schema, rel.name), None)
            self._copy(session, rel)

    def _copy(self, session, rel: Relation) -> None:
        # a write committed before this statement starts is in the copy; one committed
        # later marks the table pending again (written() runs after the write)
        with self._copying:
            try:
                session.execute(f"CREATE OR REPLACE TABLE {_copy_sql(rel)} AS "
                                f"SELECT * FROM {_live_sql(rel)}", writes=_copy_key(rel))
            except eng.UnknownTable:
                pass  # dropped meanwhile


# --- the translator's part ----------------------------------------------------------------

def _counts_only(select: exp.Select) -> bool:
    """``SELECT count(*) ...`` without GROUP BY: CrateDB answers it from the index (a
    ``Count`` plan), even with a primary-key filter."""
    if select.args.get("group"):
        return False
    aggregates = [a for e in select.expressions for a in e.find_all(exp.AggFunc)]
    return len(aggregates) == 1 and isinstance(aggregates[0], exp.Count)


def _to_copy(table: exp.Table, rel: Relation) -> None:
    table.meta["relation"] = rel  # still the user table for the system-column rewrite
    if not table.args.get("alias"):
        table.set("alias", exp.TableAlias(this=exp.to_identifier(rel.name, quoted=True)))
    table.set("this", exp.to_identifier(_copy_name(rel), quoted=True))
    table.set("db", exp.to_identifier("main", quoted=True))
    table.set("catalog", exp.to_identifier(SEARCH_CATALOG, quoted=True))


def _keys(rel: Relation) -> list[str]:
    return list(rel.pk) if rel.pk else [syscols.ID]


def _search_dml(catalog, tree: exp.Expression, target: Relation) -> None:
    """UPDATE / DELETE with a search filter: the rows come from the copy, by key."""
    table = tree.this
    where = tree.args.get("where")
    alias = table.alias_or_name
    copy = exp.Table(this=exp.to_identifier(_copy_name(target), quoted=True),
                     db=exp.to_identifier("main", quoted=True),
                     catalog=exp.to_identifier(SEARCH_CATALOG, quoted=True),
                     alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
    copy.meta["relation"] = target
    keys = _keys(target)
    inner = exp.select(*[exp.column(k, table=alias, quoted=True) for k in keys]).from_(copy)
    if where is not None:
        inner.set("where", where.copy())
    outer = [exp.column(k, table=alias, quoted=True) for k in keys]
    left = outer[0] if len(outer) == 1 else exp.Tuple(expressions=outer)
    tree.set("where", exp.Where(this=exp.In(this=left, query=exp.Subquery(this=inner))))


def route_searches(catalog, tree: exp.Expression, kind: str,
                   target: Relation | None) -> list[Relation] | None:
    """Point every search of ``tree`` at the search copies (``tree`` is mutated: tables
    resolved, system columns rewritten). Returns the tables searched, or None when the
    statement reads a view (which may search any table)."""
    searched: list[Relation] = []
    views = False
    for table in tree.find_all(exp.Table):
        rel = catalog.get(table.db, table.name) if table.db else None
        views = views or (rel is not None and rel.kind == "VIEW" and not rel.system)
    if kind in ("update", "delete") and syscols.has_system_columns(target):
        table = tree.this
        alias = table.alias_or_name
        if not tree.args.get("from_") and not syscols.pins_primary_key(
                tree.args.get("where"), target, alias):
            _search_dml(catalog, tree, target)
            searched.append(target)
    for select in list(tree.find_all(exp.Select)):
        for table, rel in syscols.scope_tables(catalog, select):
            if table.args.get("catalog") is not None:
                continue  # already a copy (the subquery of a routed UPDATE / DELETE)
            if _counts_only(select) or not syscols.pins_primary_key(
                    select.args.get("where"), rel, table.alias_or_name):
                _to_copy(table, rel)
                searched.append(rel)
    return None if views else searched
