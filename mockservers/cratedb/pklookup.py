"""Primary-key lookups answered from a snapshot of the table, without a DuckDB query.

CrateDB plans a query whose WHERE pins the whole primary key to values as a primary-key
lookup (``Get``, crate/crate ``OptimizeCollectWhereClauseAccess``, ``PKLookupOperation``):
it reads the row directly and sees every write at once, refreshed or not (refresh.py). The
mock answers the simplest of them the same way:

    SELECT col [AS name], ... FROM table [alias] WHERE pk1 = ? [AND pk2 = ? ...]

(plain columns of one user table, every primary-key column compared once with a parameter,
nothing else: no star, expression, join, ORDER BY, LIMIT...), as :func:`plan` recognises it
in the statement as translated for DuckDB. Any other statement, and any lookup the snapshot
cannot answer exactly, runs in DuckDB as before.

A snapshot is every row of the table, read by one DuckDB query and keyed by primary key. It
is used only while the table is as it was read: the engine's ``data_version`` of the table
(Engine.data_version), taken before the read, must still be the same at each lookup. That
version moves after every statement that may have written the table, whatever path it took
(DML, bulk, COPY, DDL, ``REFRESH``, ...; a write whose target is not known moves every
table's), so a lookup never returns a row older than the last write that ended before it.

DuckDB answers each lookup while taking a snapshot would not pay off: a table's snapshot is
taken once the lookups of its current version have cost DuckDB as much time as its last
snapshot took (a guess of ``_FIRST_BUILD`` seconds at first), so a table written between
every few reads costs at most about twice what DuckDB alone would. Snapshots hold at most
``max_rows`` rows and about ``max_bytes`` bytes in all (the size is estimated from a sample
of the table before it is read; the snapshots taken longest ago go first; a table larger than
either is not snapshotted); answering from one is a dict lookup, cheap enough to run on the
event loop.

Keys are matched as DuckDB compares them only where that is plain equality of Python
values: integer columns with an int parameter, VARCHAR columns with a str; any other
pairing (a text value for an integer key, a float...) runs in DuckDB, whose casts decide.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from dbapi_conformance.mockservers.cratedb import syscols
from dbapi_conformance.mockservers.cratedb.catalog import Relation
from dbapi_conformance.mockservers.engine import Column, quote_ident
from dbapi_conformance.mockservers.engine.errors import EngineError

__all__ = ["PkLookup", "PkIndex", "plan", "MAX_ROWS", "MAX_BYTES"]

#: Rows all snapshots of one server may hold together.
MAX_ROWS = 500_000
#: Bytes (estimated) all snapshots of one server may hold together.
MAX_BYTES = 128 * 1024 * 1024
_SAMPLE = 200  # rows whose size tells a table's
_FIRST_BUILD = 0.02  # seconds of DuckDB lookups before a table's first snapshot
_KEY_TYPES = {"TINYINT": int, "SMALLINT": int, "INTEGER": int, "BIGINT": int,
              "VARCHAR": str}


@dataclass(eq=False)
class PkLookup:
    """A statement :func:`plan` recognised: ``table`` is ``(storage schema, name)``;
    ``keys`` the 0-based index, among the statement's DuckDB parameters, of the value of
    each primary-key column (in ``pk`` order); ``outputs`` the table column behind each
    result column. ``columns``: the result columns DuckDB gave for the statement (set by
    the first run in DuckDB; the snapshot answers only once they are known)."""

    table: tuple[str, str]
    pk: tuple[str, ...]
    keys: tuple[int, ...]
    outputs: tuple[str, ...]
    columns: list[Column] | None = None
    #: (snapshot, positions of the outputs in its rows, key types) once checked
    bound: tuple | None = None
    #: (columns, result names, CrateDB types, encoders) of the answers (handler.py)
    shape: tuple | None = None


def _unparen(e: exp.Expression) -> exp.Expression:
    while isinstance(e, exp.Paren):
        e = e.this
    return e


def _conjuncts(e: exp.Expression) -> list[exp.Expression]:
    e = _unparen(e)
    if isinstance(e, exp.And):
        return _conjuncts(e.this) + _conjuncts(e.expression)
    return [e]


def plan(tree: exp.Expression, rel: Relation | None) -> PkLookup | None:
    """The :class:`PkLookup` of a translated statement (``tree``, after the renumbering of
    its parameters), or None when it is not of the one simple shape; ``rel``: the relation
    of its FROM table."""
    if not isinstance(tree, exp.Select) or not syscols.has_system_columns(rel) or not rel.pk:
        return None
    if any(v for k, v in tree.args.items() if k not in ("expressions", "from", "from_",
                                                         "where")):
        return None
    source = tree.args.get("from_") or tree.args.get("from")
    where = tree.args.get("where")
    if source is None or where is None or not isinstance(source.this, exp.Table):
        return None
    table = source.this
    if any(v for k, v in table.args.items() if k not in ("this", "db", "alias")):
        return None
    alias = table.args.get("alias")
    if alias is not None and alias.args.get("columns"):
        return None
    if table.db != rel.storage or table.name != rel.name:
        return None
    qualifier = table.alias_or_name
    names = {c.name for c in rel.columns}

    def column(e: exp.Expression) -> str | None:
        if (isinstance(e, exp.Column) and isinstance(e.this, exp.Identifier)
                and e.name in names and e.table in ("", qualifier)
                and not e.args.get("db") and not e.args.get("catalog")):
            return e.name
        return None

    outputs = []
    for e in tree.expressions:
        name = column(e.this if isinstance(e, exp.Alias) else e)
        if name is None:
            return None
        outputs.append(name)
    keys: dict[str, int] = {}
    for cond in _conjuncts(where.this):
        if not isinstance(cond, exp.EQ):
            return None
        left, right = _unparen(cond.this), _unparen(cond.expression)
        if isinstance(left, exp.Parameter):
            left, right = right, left
        name = column(left)
        if name is None or not isinstance(right, exp.Parameter) or name in keys:
            return None
        keys[name] = int(right.name) - 1
    if set(keys) != set(rel.pk):
        return None
    return PkLookup((rel.storage, rel.name), tuple(rel.pk),
                    tuple(keys[c] for c in rel.pk), tuple(outputs))


@dataclass(eq=False)
class _Snapshot:
    version: tuple[int, int]
    pk: tuple[str, ...]  # the key's columns, in the order of its values
    columns: list[Column]
    rows: dict[tuple, tuple]
    size: int  # bytes, estimated


@dataclass
class _Costs:
    """Per table: the version the spent time is for, DuckDB seconds spent on its lookups
    since, and what its last snapshot took (seconds)."""

    version: tuple[int, int] | None = None
    spent: float = 0.0
    build: float = _FIRST_BUILD
    too_big: tuple[int, int] | None = None  # the version found too large to keep


@dataclass
class PkIndex:
    """The snapshots of one server's tables (see the module docstring). Thread-safe: any
    thread may look up; snapshots are taken on the worker thread of the session whose
    lookup made them pay off, one table at a time.

    ``max_rows``, ``max_bytes``: rows and (estimated) bytes all snapshots hold together.
    ``pay_off``: how much DuckDB time the lookups of a table's version must have cost, as a
    fraction of what its last snapshot took, before a snapshot of it is taken (0: at once,
    after one lookup in DuckDB).
    ``hits`` counts the lookups snapshots answered, ``builds`` the snapshots taken."""

    engine: object
    max_rows: int = MAX_ROWS
    max_bytes: int = MAX_BYTES
    pay_off: float = 1.0
    hits: int = 0
    builds: int = 0
    _snapshots: OrderedDict = field(default_factory=OrderedDict)
    _costs: dict = field(default_factory=dict)
    _building: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, lookup: PkLookup, params: Sequence) -> list[tuple] | None:
        """The rows of the statement for DuckDB parameters ``params`` (``[]`` or one row),
        or None when no current snapshot can answer it exactly."""
        if lookup.columns is None:
            return None
        snap = self._snapshots.get(lookup.table)
        if snap is None or self.engine.data_version(lookup.table) != snap.version:
            return None
        bound = lookup.bound
        if bound is None or bound[0] is not snap:
            bound = lookup.bound = (snap, *_bind(lookup, snap))
        _, positions, types = bound
        if positions is None:
            return None
        key = []
        for i, t in zip(lookup.keys, types):
            value = params[i]
            if value.__class__ is not t:
                return None
            key.append(value)
        row = snap.rows.get(tuple(key))
        self.hits += 1
        if row is None:
            return []
        return [tuple(row[p] for p in positions)]

    def ran(self, session, lookup: PkLookup, columns: list[Column], seconds: float,
            project) -> None:
        """A lookup ran in DuckDB for ``seconds`` on engine ``session`` with result
        ``columns``: remember them, and take the table's snapshot once that pays off."""
        if lookup.columns is None:
            lookup.columns = list(columns)
        table = lookup.table
        version = self.engine.data_version(table)
        snap = self._snapshots.get(table)
        if snap is not None and snap.version == version:
            return  # current: it answers from now on (the statement was new to it)
        with self._lock:
            costs = self._costs.get(table)
            if costs is None:
                costs = self._costs[table] = _Costs(build=_FIRST_BUILD)
            if costs.version != version:
                costs.version, costs.spent = version, 0.0
            costs.spent += seconds
            if (costs.spent < costs.build * self.pay_off or costs.too_big == version
                    or table in self._building):
                return
            self._building.add(table)
        try:
            self._take(session, lookup, costs, project)
        except EngineError:
            pass  # dropped meanwhile, interrupted...: the lookup's own answer stands
        finally:
            with self._lock:
                self._building.discard(table)

    def _take(self, session, lookup: PkLookup, costs: _Costs, project) -> None:
        table = lookup.table
        name = f"{quote_ident(table[0])}.{quote_ident(table[1])}"
        start = time.perf_counter()
        version = self.engine.data_version(table)  # before the read: see the module doc
        count = session.execute(f"SELECT count(*) FROM {name}").rows[0][0]
        if count > self.max_rows:
            costs.too_big = version
            return
        sample = session.execute(f"SELECT * FROM {name} USING SAMPLE {_SAMPLE} ROWS",
                                 project=project).rows
        size = count * sum(map(_size, sample)) // max(len(sample), 1)
        if size > self.max_bytes:
            costs.too_big = version
            return
        res = session.execute(f"SELECT * FROM {name}", project=project)
        if len(res.rows) > self.max_rows:
            costs.too_big = version
            return
        names = [c.name for c in res.columns]
        if not set(lookup.pk) <= set(names):
            return
        at = [names.index(c) for c in lookup.pk]
        rows: dict[tuple, tuple] = {}
        for row in res.rows:
            key = tuple(row[i] for i in at)
            if None in key:
                continue
            if key in rows:  # no unique key after all: DuckDB must answer
                costs.too_big = version
                return
            rows[key] = row
        snap = _Snapshot(version, lookup.pk, res.columns, rows, size)
        self.builds += 1
        costs.build = max(time.perf_counter() - start, _FIRST_BUILD / 10)
        with self._lock:
            self._snapshots[table] = snap
            self._snapshots.move_to_end(table)
            rows_held = bytes_held = 0
            for key in reversed(list(self._snapshots)):  # newest first; evict the rest
                other = self._snapshots[key]
                if (rows_held + len(other.rows) > self.max_rows
                        or bytes_held + other.size > self.max_bytes
                        or self.engine.data_version(key) != other.version):
                    del self._snapshots[key]
                    continue
                rows_held += len(other.rows)
                bytes_held += other.size


def _size(value) -> int:
    """Bytes ``value`` (a row, or a value in one) takes in Python, roughly."""
    if value.__class__ in (tuple, list):
        return sys.getsizeof(value) + sum(map(_size, value))
    if value.__class__ is dict:
        return sys.getsizeof(value) + sum(_size(k) + _size(v) for k, v in value.items())
    return sys.getsizeof(value)


def _bind(lookup: PkLookup, snap: _Snapshot) -> tuple[list[int] | None, list[type] | None]:
    """Where each output of ``lookup`` is in ``snap``'s rows and the Python type of each key
    value, or (None, None) when the snapshot cannot give exactly what DuckDB gave (another
    type, a column gone)."""
    names = [c.name for c in snap.columns]
    cols = lookup.columns
    if cols is None or len(cols) != len(lookup.outputs) or snap.pk != lookup.pk:
        return None, None
    positions = []
    for want, got in zip(lookup.outputs, cols):
        if want not in names:
            return None, None
        i = names.index(want)
        have = snap.columns[i]
        if (have.type_name, have.precision, have.scale) != (got.type_name, got.precision,
                                                           got.scale):
            return None, None
        positions.append(i)
    types = []
    for pk in lookup.pk:
        t = _KEY_TYPES.get(snap.columns[names.index(pk)].type_name)
        if t is None:
            return None, None
        types.append(t)
    return positions, types
