"""What each procedure does: @AdHoc, @Explain, @ExplainProc, @SystemCatalog,
@SystemInformation, @Statistics, @Subscribe, @Quiesce, @GetPartitionKeys, and the user and
default CRUD procedures.

Every call is ONE transaction on the engine (protocols/voltdb.md 5.6): it commits as a
whole or leaves nothing behind. Calls run one at a time on the server's execution thread
(handler.py), as in a one-partition VoltDB, so the catalog needs no lock.
VoltDB facts: protocols/voltdb.md 5 (@AdHoc, result shapes, DDL), 5.4 (CRUD procedures),
5.5 (error texts), 6 (system procedures).
"""

from __future__ import annotations

import dataclasses
import decimal
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dbapi_conformance.drivers.wire.voltdb import (
    Column,
    Parameter,
    Status,
    VoltTable,
    VoltType,
)
from dbapi_conformance.mockservers.engine import errors as eerr
from dbapi_conformance.mockservers.voltdb import errors as verr
from dbapi_conformance.mockservers.voltdb import systables
from dbapi_conformance.mockservers.voltdb.catalog import (
    Catalog,
    Procedure,
    declared_columns,
    strip_table_options,
)
from dbapi_conformance.mockservers.voltdb.dialect import volt_type
from dbapi_conformance.mockservers.voltdb.translate import (
    MAX_RESULT_ROWS,
    Statement,
    classify,
    parse_volt_statement,
    split_statements,
    translate,
)
from dbapi_conformance.mockservers.voltdb.values import engine_value, make_compatible, wire_value

__all__ = ["CallResult", "ServerInfo", "Procedures"]


@dataclass
class CallResult:
    """A successful call: its tables and an optional status string."""

    tables: list[VoltTable] = field(default_factory=list)
    status: int = Status.SUCCESS
    status_string: str | None = None


@dataclass(frozen=True)
class ServerInfo:
    """What @SystemInformation reports: host id, version, build, start time (ms), and the
    address / port this connection reached."""

    host_id: int
    version: str
    build: str
    started_ms: int
    address: str
    port: int


def _status_table() -> VoltTable:
    return VoltTable([Column("STATUS", VoltType.BIGINT)], [(0,)])


def _modified(n: int) -> VoltTable:
    return VoltTable([Column("modified_tuples", VoltType.BIGINT)], [(max(n, 0),)])


#: Column types whose engine values may need wire_value, with the Python types that need
#: nothing (a column holding only those keeps the engine's rows as they are).
_AS_IS = {VoltType.TINYINT: frozenset({int, type(None)}),
          VoltType.STRING: frozenset({str, type(None)}),
          VoltType.DECIMAL: frozenset({decimal.Decimal, type(None)}),
          VoltType.GEOGRAPHY_POINT: frozenset({tuple, type(None)})}


def _result_table(result) -> VoltTable:
    types = [volt_type(c.type_name) for c in result.columns]
    cols = [Column(c.name, t) for c, t in zip(result.columns, types)]
    rows = result.rows
    convert = [i for i, t in enumerate(types) if t in _AS_IS and not set(
        map(type, map(operator.itemgetter(i), rows))) <= _AS_IS[t]]
    if convert:  # wire_value is the identity for every other column
        rows = [tuple(wire_value(t, v) for t, v in zip(types, row)) for row in rows]
    return VoltTable(cols, rows)


# --- the procedures -----------------------------------------------------------------------------


class Procedures:
    """Runs calls against one engine ``session`` and the ``catalog``; :meth:`call` is the
    entry point. Raises :class:`~.errors.CallError` for a failed call."""

    def __init__(self, session, catalog: Catalog):
        self.session = session
        self.catalog = catalog
        self._system: dict[str, Callable[[list[Parameter], ServerInfo], CallResult]] = {
            "@AdHoc": self._adhoc, "@Explain": self._explain, "@ExplainProc": self._explain_proc,
            "@SystemCatalog": self._system_catalog, "@SystemInformation": self._information,
            "@Statistics": self._statistics, "@Subscribe": self._subscribe,
            "@Quiesce": lambda p, i: CallResult([_status_table()]),
            "@GetPartitionKeys": self._partition_keys,
            "@Ping": lambda p, i: CallResult([_status_table()], status_string="SUCCESS"),
        }

    def call(self, name: str, params: list[Parameter], info: ServerInfo) -> CallResult:
        if name.startswith("@"):
            handler = self._system.get(name)
            if handler is None:
                raise verr.not_found(name)
            return handler(params, info)
        proc = self.catalog.procedure(self.session, name)
        if proc is None:
            raise verr.not_found(name)
        if len(params) != proc.parameters:
            raise verr.wrong_parameter_count(proc.name, proc.parameters, len(params))
        if proc.param_types:
            params = [make_compatible(p, t) for p, t in zip(params, proc.param_types)]
        return self._transaction(lambda: [self._run(translate(proc.statement), params)],
                                 single=True)

    # --- transactions -------------------------------------------------------------------
    def _transaction(self, body: Callable[[], list[VoltTable]],
                     single: bool = False) -> CallResult:
        """``body`` as one transaction. ``single``: it runs one statement, which the
        engine's autocommit already makes one transaction (all or nothing; no other
        session writes, so no commit can conflict): no BEGIN / COMMIT round trips."""
        if single:
            try:
                return CallResult(body())
            except BaseException:
                self.catalog.changed()
                raise
        s = self.session
        s.begin()
        try:
            tables = body()
        except BaseException:
            if s.in_transaction:
                s.rollback()
            self.catalog.changed()
            raise
        try:
            s.commit()
        except eerr.EngineError as exc:
            self.catalog.changed()
            raise verr.from_engine(exc) from None
        return CallResult(tables)

    def _run(self, st: Statement, params: Sequence[Parameter]) -> VoltTable:
        if len(params) != st.placeholders:
            raise verr.adhoc_count(st.placeholders, len(params))
        if st.slots and st.table and any(s is not None for s in st.slots):
            params = self._compatible(st, params)
        values = [engine_value(p) for p in params]
        try:
            result = self.session.execute(st.sql, values or None)
        except eerr.EngineError as exc:
            raise verr.from_engine(exc, st.table) from None
        if st.kind == "dml":
            return _modified(result.rowcount)
        if len(result.rows) > MAX_RESULT_ROWS:
            raise verr.graceful(verr.RESULT_OVERFLOW)
        if not result.columns:
            return _modified(result.rowcount)
        return _result_table(result)

    def _compatible(self, st: Statement, params: Sequence[Parameter]) -> list[Parameter]:
        """``params`` made compatible with the columns they are values for (values.py)."""
        table = self.catalog.table(self.session, st.table)
        if table is None:
            return list(params)
        by_name = {c.name: c.type for c in table.columns}
        out = []
        for p, slot in zip(params, st.slots):
            if isinstance(slot, int):
                target = table.columns[slot].type if slot < len(table.columns) else None
            else:
                target = by_name.get(slot) if slot is not None else None
            out.append(p if target is None else make_compatible(p, target))
        return out

    # --- @AdHoc -----------------------------------------------------------------------------
    def _adhoc(self, params: list[Parameter], info: ServerInfo) -> CallResult:
        if not params:
            raise verr.graceful(verr.ADHOC_NO_QUERY)
        sql = params[0].value
        if params[0].type != VoltType.STRING or params[0].array or sql is None:
            raise verr.graceful("The first parameter of @AdHoc must be a SQL string")
        statements = split_statements(sql)
        if not statements:
            raise verr.graceful(verr.ADHOC_EMPTY)
        kinds = {classify(s) == "ddl" for s in statements}
        if len(kinds) > 1:
            raise verr.graceful(verr.ADHOC_MIXED)
        bound = params[1:]
        if bound and len(statements) > 1:
            raise verr.graceful(verr.ADHOC_PARAMS_MULTI)
        if kinds == {True}:
            if bound:
                raise verr.graceful("DDL statements cannot take parameters")
            return self._ddl(statements)
        translated = []
        for text in statements:
            try:
                translated.append(translate(text))
            except eerr.EngineError as exc:
                raise verr.from_engine(exc) from None
        return self._transaction(lambda: [self._run(st, bound) for st in translated],
                                 single=len(translated) == 1)

    # --- DDL --------------------------------------------------------------------------------
    def _ddl(self, statements: list[str]) -> CallResult:
        created, dropped = set(), set()
        plans = []
        for text in statements:
            try:
                volt = parse_volt_statement(text)
            except eerr.EngineError as exc:
                raise verr.from_engine(exc) from None
            if volt is None:
                try:
                    decl = declared_columns(text)
                except eerr.EngineError as exc:
                    raise verr.from_engine(exc) from None
                if decl is not None:
                    created.add(decl[0])
                    text = strip_table_options(text)
                else:
                    words = text.split()
                    if len(words) >= 3 and words[0].upper() == "DROP" and \
                            words[1].upper() == "TABLE":
                        dropped.add(words[2].strip('"').upper())
                try:
                    plans.append(("sql", translate(text), decl))
                except eerr.EngineError as exc:
                    raise verr.from_engine(exc) from None
            else:
                if volt.kind == "drop_if_exists":
                    dropped.add(volt.name)
                plans.append(("volt", volt, None))
        both = sorted(created & dropped)
        if both:
            raise verr.graceful(
                "AdHoc DDL contains both DROP and CREATE statements for the following "
                f"table(s): {', '.join(both)}\nYou cannot DROP and ADD a table with the same "
                "name in a single batch (via @AdHoc). Issue the DROP and ADD statements as "
                "separate commands.")
        cat = self.catalog
        saved = (dict(cat.declared), dict(cat.partitions),
                 {k: dataclasses.replace(p) for k, p in cat.procedures.items()})

        def body() -> list[VoltTable]:
            for kind, item, decl in plans:
                if kind == "sql":
                    try:
                        self.session.execute(item.sql)
                    except eerr.EngineError as exc:
                        raise verr.from_engine(exc) from None
                    for name in dropped:
                        cat.forget_table(name)
                    if decl is not None:
                        cat.declared[decl[0]] = decl[1]
                    cat.changed()
                else:
                    self._volt_ddl(item)
            return [_status_table()]

        try:
            return self._transaction(body)
        except BaseException:
            # the catalog goes back with the engine's rollback
            cat.declared, cat.partitions, cat.procedures = saved
            cat.changed()
            raise
        finally:
            cat.changed()

    def _volt_ddl(self, st) -> None:
        """Check and apply a VoltDB-only statement (undone by _ddl if the batch fails)."""
        cat, s = self.catalog, self.session
        if st.kind == "ignored":
            return
        if st.kind == "drop_if_exists":
            kind = "VIEW" if st.table == "VIEW" else "TABLE"
            try:
                s.execute(f'DROP {kind} IF EXISTS "{st.name}"{st.body}')
            except eerr.EngineError as exc:
                raise verr.from_engine(exc) from None
            cat.changed()
            cat.forget_table(st.name)
            return
        if st.kind == "partition_table":
            table = cat.table(s, st.name)
            if table is None:
                raise verr.graceful(f"Invalid PARTITION statement: table {st.name} does not "
                                    "exist")
            if st.column not in [c.name for c in table.columns]:
                raise verr.graceful(f"Invalid PARTITION statement: column {st.column} is not "
                                    f"a column of table {st.name}")
            cat.partitions[table.name] = st.column
            cat.changed()
            return
        if st.kind == "create_procedure":
            if st.name.lower() in cat.procedures:
                raise verr.graceful(f"Procedure {st.name} is already defined.")
            if st.name.lower() in cat.default_procedures(s):
                raise verr.graceful(f"Procedure {st.name} conflicts with a default procedure.")
            if len(split_statements(st.body)) != 1:
                raise verr.graceful(f"Procedure {st.name} must have exactly one statement")
            try:
                stmt = translate(st.body)
            except eerr.EngineError as exc:
                raise verr.from_engine(exc) from None
            proc = Procedure(st.name, st.body, stmt.placeholders, stmt.read_only)
            if st.table is not None:
                proc.partition = (st.table, st.column, st.parameter or 0)
            cat.procedures[st.name.lower()] = proc
            return
        if st.kind == "partition_procedure":
            proc = cat.procedures.get(st.name.lower())
            if proc is None:
                raise verr.graceful(f"Partition references an undefined procedure "
                                    f"\"{st.name}\"")
            proc.partition = (st.table, st.column, st.parameter or 0)
            return
        if st.kind == "drop_procedure":
            if st.name.lower() not in cat.procedures and not st.if_exists:
                raise verr.graceful(f"Dropped Procedure \"{st.name}\" is not defined")
            cat.procedures.pop(st.name.lower(), None)
            return
        raise verr.graceful(f"unsupported DDL: {st.kind}")

    # --- @Explain -----------------------------------------------------------------------------
    def _plan(self, text: str) -> str:
        try:
            st = translate(text)
            res = self.session.execute("EXPLAIN " + st.sql,
                                       [None] * st.placeholders or None)
        except eerr.EngineError as exc:
            raise verr.from_engine(exc) from None
        return "\n".join(str(r[-1]) for r in res.rows)

    def _explain(self, params, info) -> CallResult:
        if not params or params[0].type != VoltType.STRING or params[0].value is None:
            raise verr.graceful("@Explain requires a SQL string")
        plans = [self._plan(t) for t in split_statements(params[0].value)]
        if not plans:
            raise verr.graceful(verr.ADHOC_EMPTY)
        return CallResult([VoltTable([Column("EXECUTION_PLAN", VoltType.STRING)], [(p,)])
                           for p in plans])

    def _explain_proc(self, params, info) -> CallResult:
        if not params or params[0].type != VoltType.STRING or params[0].value is None:
            raise verr.graceful("@ExplainProc requires a procedure name")
        proc = self.catalog.procedure(self.session, params[0].value)
        if proc is None:
            raise verr.graceful(f"Procedure {params[0].value} not in catalog")
        return CallResult([VoltTable(
            [Column("STATEMENT_NAME", VoltType.STRING), Column("SQL_STATEMENT", VoltType.STRING),
             Column("EXECUTION_PLAN", VoltType.STRING)],
            [("sql0", proc.statement, self._plan(proc.statement))])])

    # --- metadata --------------------------------------------------------------------------------
    @staticmethod
    def _selector(params, default: str | None = None) -> str:
        if not params:
            if default is None:
                raise verr.graceful("a selector parameter is required")
            return default
        if params[0].type != VoltType.STRING or params[0].value is None:
            raise verr.graceful("the selector must be a string")
        return params[0].value

    def _system_catalog(self, params, info) -> CallResult:
        return CallResult([systables.system_catalog(self._selector(params), self.catalog,
                                                    self.session)])

    def _information(self, params, info: ServerInfo) -> CallResult:
        selector = self._selector(params, "OVERVIEW").upper()
        if selector != "OVERVIEW":
            raise verr.graceful(f"Invalid @SystemInformation selector {selector}.")
        return CallResult([systables.overview(info.host_id, info.address, info.port,
                                              info.version, info.build, info.started_ms)])

    def _statistics(self, params, info: ServerInfo) -> CallResult:
        return CallResult(systables.statistics(self._selector(params), info.host_id))

    def _subscribe(self, params, info) -> CallResult:
        for p in params:
            if p.type != VoltType.STRING or (p.value or "").upper() != "TOPOLOGY":
                raise verr.graceful(f'Parameter "{p.value}" is not recognized/supported')
        return CallResult([])

    def _partition_keys(self, params, info) -> CallResult:
        selector = self._selector(params).upper()
        types = {"INTEGER": (VoltType.INTEGER, 0), "STRING": (VoltType.STRING, "0"),
                 "VARCHAR": (VoltType.STRING, "0"), "VARBINARY": (VoltType.VARBINARY, b"\x00")}
        if selector not in types:
            raise verr.graceful(f"Type {selector} is not a supported type of partition key")
        t, key = types[selector]
        return CallResult([VoltTable([Column("PARTITION_ID", VoltType.INTEGER),
                                      Column("PARTITION_KEY", t)], [(0, key)])])
