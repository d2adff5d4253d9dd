"""System tables whose rows change while the server runs: ``sys.jobs``, ``sys.jobs_log``,
``sys.health`` and ``information_schema.table_partitions``.

Each is a DuckDB table in a hidden schema (created by systables.install with no rows);
:func:`refresh` rewrites its rows in one transaction just before a statement that reads it
runs (the translator lists the live relations a statement reads in ``Prepared.live``), so
a reader always sees a complete, current state.

Sources: crate/crate ``SysJobsTableInfo``, ``SysJobsLogTableInfo``, ``JobsLogs``
(statements that fail before execution are logged with classification ``UNDEFINED`` and
the error text), ``SysHealth`` / ``TableHealth``, ``InformationPartitionsTableInfo``,
``PartitionName.encodeIdent`` and ``docs/admin/system-information.rst``.

- ``sys.jobs``: the statements running now (the one reading sys.jobs among them), with a
  job id (UUID), the user, the node, the text as sent, the start time and the session id.
- ``sys.jobs_log``: finished statements, newest last, at most ``stats.jobs_log_size``
  (10000) of them and at most 16 MiB of statement text (older entries go first); ``error``
  is the error text or NULL; ``classification['type']`` is the statement type CrateDB's
  planner gives (SELECT, INSERT, UPDATE, DELETE, COPY, DDL, MANAGEMENT, UNDEFINED).
  ``classification['labels']`` (CrateDB: the names of the plan's operators) is empty: the
  mock has no such plan.
- ``sys.health``: every user table is GREEN (severity 1, no missing or underreplicated
  shards: one node, all shards started); a partitioned table has one row per partition.
- ``information_schema.table_partitions``: one row per distinct value of a partitioned
  table's partition columns; none for unpartitioned tables.
"""

from __future__ import annotations

import base64
import collections
import datetime as _dt
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field

from dbapi_conformance.mockservers.cratedb.catalog import SYSTEM_SCHEMAS
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["LIVE", "Job", "Jobs", "classify", "partition_ident", "refresh"]

#: (schema, name) of the live relations
LIVE = frozenset({("sys", "jobs"), ("sys", "jobs_log"), ("sys", "health"),
                  ("information_schema", "table_partitions")})

JOBS_LOG_SIZE = 10000
JOBS_LOG_CHARS = 16 * 1024 * 1024

_TYPES = {
    "SELECT": "SELECT", "WITH": "SELECT", "VALUES": "SELECT", "SHOW": "SELECT",
    "INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE", "COPY": "COPY",
    "CREATE": "DDL", "DROP": "DDL", "ALTER": "DDL", "REFRESH": "DDL", "OPTIMIZE": "DDL",
    "SET": "MANAGEMENT", "RESET": "MANAGEMENT", "EXPLAIN": "MANAGEMENT", "KILL": "MANAGEMENT",
    "ANALYZE": "MANAGEMENT", "GRANT": "MANAGEMENT", "DENY": "MANAGEMENT",
    "REVOKE": "MANAGEMENT",
}


def classify(words: list[str]) -> str:
    """CrateDB's statement type (Plan.StatementType) from the statement's first words."""
    first = words[0] if words else ""
    if first == "SHOW" and words[1:3] == ["CREATE", "TABLE"]:
        return "MANAGEMENT"  # ShowCreateTablePlan
    return _TYPES.get(first, "SELECT" if first == "" and words else "UNDEFINED")


_ID_LOCK = threading.Lock()


@dataclass
class Job:
    """One statement: ``started`` / ``ended`` in epoch milliseconds; :attr:`id` a UUID."""

    stmt: str
    user: str
    session_id: int
    started: int = field(default_factory=lambda: int(time.time() * 1000))
    ended: int | None = None
    error: str | None = None
    kind: str = "UNDEFINED"
    _id: str | None = field(default=None, repr=False)

    @property
    def id(self) -> str:
        """The job id, made when first read (most jobs are never shown)."""
        if self._id is None:
            with _ID_LOCK:  # one id per job, whichever thread asks first
                if self._id is None:
                    self._id = str(uuid.uuid4())
        return self._id


class Jobs:
    """The running jobs and the jobs log of one server. Thread-safe."""

    def __init__(self, log_size: int = JOBS_LOG_SIZE, log_chars: int = JOBS_LOG_CHARS):
        self._lock = threading.Lock()
        self._running: dict[int, Job] = {}  # by id(job): the job is alive while there
        self._log: collections.deque[Job] = collections.deque()
        self._chars = 0
        self._log_size, self._log_chars = log_size, log_chars
        self._session_ids = itertools.count(1)

    def new_session_id(self) -> int:
        with self._lock:
            return next(self._session_ids)

    def start(self, stmt: str, user: str, session_id: int) -> Job:
        job = Job(stmt, user, session_id)
        with self._lock:
            self._running[id(job)] = job
        return job

    def finish(self, job: Job, kind: str, error: str | None) -> None:
        """Move ``job`` to the log with its type (see :func:`classify`) and error text."""
        job.ended, job.kind, job.error = int(time.time() * 1000), kind, error
        with self._lock:
            self._running.pop(id(job), None)
            self._log.append(job)
            self._chars += len(job.stmt)
            while self._log and (len(self._log) > self._log_size
                                 or self._chars > self._log_chars):
                self._chars -= len(self._log.popleft().stmt)

    def running(self) -> list[Job]:
        with self._lock:
            return sorted(self._running.values(), key=lambda j: j.started)

    def log(self) -> list[Job]:
        with self._lock:
            return list(self._log)


def partition_ident(values: list[str | None]) -> str:
    """CrateDB's partition ident: base32hex (lower case, no padding) of a vint count and,
    per value, a vint of its UTF-8 length + 1 (0 for NULL) and the bytes."""

    def vint(n: int) -> bytes:
        out = bytearray()
        while n >= 0x80:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
        return bytes(out)

    data = bytearray(vint(len(values)))
    for v in values:
        if v is None:
            data += vint(0)
        else:
            b = v.encode("utf-8")
            data += vint(len(b) + 1) + b
    return base64.b32hexencode(bytes(data)).decode().lower().rstrip("=")


def _partition_text(value) -> str | None:
    """A partition value as CrateDB keeps it (text; timestamps as epoch milliseconds)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return str(int(value.timestamp() * 1000))
    if isinstance(value, _dt.date):
        return str(int(_dt.datetime(value.year, value.month, value.day,
                                    tzinfo=_dt.timezone.utc).timestamp() * 1000))
    return str(value)


def _partitions(session, rel) -> list[tuple[str, dict]]:
    """(ident, {column: value}) per distinct partition of ``rel``."""
    from dbapi_conformance.mockservers.cratedb.values import to_json

    cols = ", ".join(quote_ident(c) for c in rel.partitioned_by)
    table = f"{quote_ident(rel.storage)}.{quote_ident(rel.name)}"
    rows = session.execute(f"SELECT DISTINCT {cols} FROM {table} ORDER BY {cols}").rows
    out = []
    for row in rows:
        ident = partition_ident([_partition_text(v) for v in row])
        values = {c: to_json(v, rel.column(c).type if rel.column(c) else None)
                  for c, v in zip(rel.partitioned_by, row)}
        out.append((ident, values))
    return out


_REFRESH_LOCK = threading.Lock()  # two refreshes of one table would conflict in DuckDB


def refresh(sess, names) -> None:
    """Rewrite the rows of the live relations ``names`` ((schema, name) pairs) for the
    CrateSession ``sess`` (its server's jobs, catalog and node)."""
    import orjson

    ctx, session = sess.ctx, sess.engine_session
    node = ctx.node
    node_id, node_name = (node.node_id, node.name) if node is not None else ("", "")
    fills: dict[tuple[str, str], tuple[list[str], list[list]]] = {}
    for name in names:
        if name == ("sys", "jobs"):
            jobs = ctx.jobs.running()
            fills[name] = (["id", "node", "session_id", "started", "stmt", "username"], [
                [j.id for j in jobs], [{"id": node_id, "name": node_name}] * len(jobs),
                [j.session_id for j in jobs], [j.started for j in jobs],
                [j.stmt for j in jobs], [j.user for j in jobs]])
        elif name == ("sys", "jobs_log"):
            jobs = ctx.jobs.log()
            fills[name] = (["classification", "ended", "error", "id", "node", "session_id",
                            "started", "stmt", "username"], [
                [{"type": j.kind, "labels": []} for j in jobs], [j.ended for j in jobs],
                [j.error for j in jobs], [j.id for j in jobs],
                [{"id": node_id, "name": node_name}] * len(jobs),
                [j.session_id for j in jobs], [j.started for j in jobs],
                [j.stmt for j in jobs], [j.user for j in jobs]])
        elif name in (("sys", "health"), ("information_schema", "table_partitions")):
            health, parts = [], []
            for rel in ctx.catalog.relations(system=False):
                if rel.kind != "BASE TABLE":
                    continue
                if not rel.partitioned_by:
                    health.append(("GREEN", 0, None, 1, rel.name, rel.schema, 0))
                    continue
                for ident, values in _partitions(session, rel):
                    health.append(("GREEN", 0, ident, 1, rel.name, rel.schema, 0))
                    parts.append((False, "0-1", rel.shards or 4, ident, "Murmur3",
                                  {"refresh_interval": 1000}, rel.name, rel.schema,
                                  orjson.dumps(values).decode(),
                                  {"created": ctx.version, "upgraded": None}))
            if name == ("sys", "health"):
                fills[name] = (["health", "missing_shards", "partition_ident", "severity",
                                "table_name", "table_schema", "underreplicated_shards"],
                               [list(c) for c in zip(*health)] if health else [[]] * 7)
            else:
                fills[name] = (["closed", "number_of_replicas", "number_of_shards",
                                "partition_ident", "routing_hash_function", "settings",
                                "table_name", "table_schema", "values", "version"],
                               [list(c) for c in zip(*parts)] if parts else [[]] * 10)
    with _REFRESH_LOCK:
        session.begin()
        try:
            for (schema, table), (cols, data) in fills.items():
                qualified = f"{SYSTEM_SCHEMAS[schema]}.{quote_ident(table)}"
                types = [t for (t,) in session.execute(
                    "SELECT data_type FROM duckdb_columns() WHERE schema_name = $1 AND "
                    "table_name = $2 ORDER BY column_index",
                    [SYSTEM_SCHEMAS[schema], table]).rows]
                session.execute(f"DELETE FROM {qualified}")
                if data and data[0]:
                    select = ", ".join(_unnest(i, t, c) for i, (t, c) in
                                       enumerate(zip(types, cols), 1))
                    session.execute(f"INSERT INTO {qualified} SELECT {select}", data)
            session.commit()
        except BaseException:
            if session.in_transaction:
                session.rollback()
            raise


def _unnest(i: int, duck_type: str, col: str) -> str:
    if duck_type == "TIMESTAMP WITH TIME ZONE":  # epoch milliseconds in
        return f"epoch_ms(unnest(${i}::BIGINT[]))::TIMESTAMPTZ"
    return f"unnest(${i}::{duck_type}[])"
