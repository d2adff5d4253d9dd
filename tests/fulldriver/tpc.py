"""Two-phase commit pieces (PEP 249 "Optional Two-Phase Commit Extensions", TPC-*).

SQLite has no PREPARE TRANSACTION, so the driver emulates it:

- While a TPC transaction runs, the connection logs every writing statement it executes
  (SQL text and adapted parameters), inside an ordinary SQLite transaction.
- ``tpc_prepare()`` writes a *done marker* for the xid into the main database inside that
  transaction, and stores the xid with the statement log in a side database
  (``<database>.tpc``, committed at once). The SQLite transaction stays open, so the
  connection keeps its write lock: nobody else can write until tpc_commit/tpc_rollback.
- ``tpc_commit()`` commits the SQLite transaction (data and marker at once), then forgets
  the stored record and the marker. ``tpc_rollback()`` rolls back and forgets the record.
- A connection that closes while prepared rolls back its SQLite transaction, but the record
  stays: ``tpc_recover()`` lists it, ``tpc_commit(xid)`` replays the log (with a new marker)
  in one transaction, ``tpc_rollback(xid)`` forgets it. A marker found in the main database
  means that xid was committed already (a crash between commit and forgetting), so it is
  not replayed twice. Limitation: the locks of a prepared transaction end with its
  connection; a conflicting write made before the recovery commit makes that commit fail
  with the replayed statement's error (the record is kept).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from .errors import ProgrammingError, translate

#: Table of done markers in the main database.
MARKERS = "_fulldriver_tpc_done"
MAX_FORMAT_ID = 0x7FFFFFFF
MAX_LENGTH = 64


class Xid(tuple):
    """A transaction id: the 3-item sequence (format_id, gtrid, bqual) (TPC-XID-1).

    format_id: int in 0..2**31-1; gtrid, bqual: str of at most 64 characters (TPC-XID-2).
    ProgrammingError otherwise.
    """

    __slots__ = ()

    def __new__(cls, format_id: int, gtrid: str, bqual: str) -> Xid:
        if type(format_id) is not int or not 0 <= format_id <= MAX_FORMAT_ID:
            raise ProgrammingError(f"format_id must be an int in 0..{MAX_FORMAT_ID}")
        for label, part in (("gtrid", gtrid), ("bqual", bqual)):
            if not isinstance(part, str) or len(part) > MAX_LENGTH:
                raise ProgrammingError(f"{label} must be a str of at most {MAX_LENGTH} chars")
        return super().__new__(cls, (format_id, gtrid, bqual))

    @property
    def format_id(self) -> int:
        return self[0]

    @property
    def gtrid(self) -> str:
        return self[1]

    @property
    def bqual(self) -> str:
        return self[2]

    def key(self) -> str:
        """Text key of the xid in the side database and the marker table."""
        return json.dumps([self[0], self[1], self[2]])


class TpcState:
    """The TPC transaction of a connection: its xid, the statement log, prepared or not."""

    def __init__(self, xid: Xid) -> None:
        self.xid = xid
        self.log: list[tuple[str, Any]] = []
        self.prepared = False


def _encode(params: Sequence[Any] | dict[str, Any]) -> Any:
    def one(value: Any) -> Any:
        return {"hex": value.hex()} if isinstance(value, bytes) else value

    if isinstance(params, dict):
        return {"named": {k: one(v) for k, v in params.items()}}
    return {"seq": [one(v) for v in params]}


def _decode(data: Any) -> Any:
    def one(value: Any) -> Any:
        return bytes.fromhex(value["hex"]) if isinstance(value, dict) else value

    if "named" in data:
        return {k: one(v) for k, v in data["named"].items()}
    return tuple(one(v) for v in data["seq"])


class PreparedStore:
    """Prepared transactions kept in the side database ``path`` (xid -> statement log)."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            try:
                db.execute("CREATE TABLE IF NOT EXISTS prepared (xid TEXT PRIMARY KEY, "
                           "format_id INTEGER, gtrid TEXT, bqual TEXT, log TEXT)")
                return db.execute(sql, params).fetchall()
            finally:
                db.close()
        except sqlite3.Error as exc:
            raise translate(exc) from exc

    def save(self, xid: Xid, log: list[tuple[str, Any]]) -> None:
        text = json.dumps([[sql, _encode(params)] for sql, params in log])
        self._run("INSERT INTO prepared VALUES (?, ?, ?, ?, ?)", (xid.key(), *xid, text))

    def load(self, xid: Xid) -> list[tuple[str, Any]] | None:
        """The statement log of a prepared xid, or None when it is unknown."""
        rows = self._run("SELECT log FROM prepared WHERE xid = ?", (xid.key(),))
        if not rows:
            return None
        return [(sql, _decode(params)) for sql, params in json.loads(rows[0][0])]

    def forget(self, xid: Xid) -> None:
        self._run("DELETE FROM prepared WHERE xid = ?", (xid.key(),))

    def xids(self) -> list[Xid]:
        rows = self._run("SELECT format_id, gtrid, bqual FROM prepared ORDER BY rowid")
        return [Xid(*row) for row in rows]
