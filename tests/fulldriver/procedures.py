"""The driver's stored-procedure dialect (for ``Cursor.callproc``, CUR-CALLPROC-*).

SQLite has no stored procedures; the driver intercepts two statements and keeps procedures
in the table ``_fulldriver_procedures`` of the database (so they obey transactions)::

    CREATE PROCEDURE name (IN a, OUT b, INOUT c) AS statement; statement; ...
    DROP PROCEDURE [IF EXISTS] name

- Each parameter is ``IN``, ``OUT`` or ``INOUT`` and a name; the body is the rest of the
  operation: SQLite statements separated by ``;`` that refer to parameters as ``:name``.
  OUT parameters are NULL on entry.
- ``SET p [, q ...] = <query>`` assigns the first row of the query to OUT/INOUT parameters.
- Every other body statement runs as written; each one that returns rows gives a result
  set, read with fetch* and nextset().
- ``callproc(name, args)`` returns a copy of ``args`` with OUT and INOUT entries replaced.

Errors: ProgrammingError for a malformed definition, an existing name on CREATE, an
unknown name on DROP (without IF EXISTS) or callproc, a wrong argument count.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .errors import IntegrityError, ProgrammingError
from .sqltext import split_statements

TABLE = "_fulldriver_procedures"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_CREATE = re.compile(rf"\s*CREATE\s+PROCEDURE\s+({_NAME})\s*\(([^)]*)\)\s*AS\s+(.+)", re.I | re.S)
_DROP = re.compile(rf"\s*DROP\s+PROCEDURE\s+(IF\s+EXISTS\s+)?({_NAME})\s*;?\s*", re.I)
_PARAM = re.compile(rf"\s*(IN|OUT|INOUT)\s+({_NAME})\s*", re.I)
_SET = re.compile(rf"\s*SET\s+({_NAME}(?:\s*,\s*{_NAME})*)\s*=\s*(.+)", re.I | re.S)
MODES = ("IN", "OUT", "INOUT")


@dataclass(frozen=True)
class Definition:
    """A stored procedure: ``params`` as (mode, name) pairs, ``body`` as statements."""

    name: str
    params: tuple[tuple[str, str], ...]
    body: tuple[str, ...]


@dataclass(frozen=True)
class Assignment:
    """A ``SET targets = query`` body statement."""

    targets: tuple[str, ...]
    query: str


def parse_assignment(statement: str) -> Assignment | None:
    match = _SET.fullmatch(statement)
    if match is None:
        return None
    return Assignment(tuple(t.strip() for t in match.group(1).split(",")), match.group(2))


def parse_create(operation: str) -> Definition | None:
    """The Definition of a CREATE PROCEDURE operation, None for any other operation."""
    match = _CREATE.fullmatch(operation)
    if match is None:
        return None
    name, param_text, body_text = match.groups()
    params = []
    for piece in filter(str.strip, param_text.split(",")):
        param = _PARAM.fullmatch(piece)
        if param is None:
            raise ProgrammingError(f"procedure {name}: bad parameter {piece.strip()!r} "
                                   "(expected IN|OUT|INOUT name)")
        params.append((param.group(1).upper(), param.group(2)))
    body = tuple(split_statements(body_text))
    if not body:
        raise ProgrammingError(f"procedure {name} has an empty body")
    writable = {p for mode, p in params if mode != "IN"}
    for statement in body:
        assignment = parse_assignment(statement)
        if assignment and not set(assignment.targets) <= writable:
            raise ProgrammingError(f"procedure {name}: SET may only assign OUT/INOUT "
                                   f"parameters, not {sorted(set(assignment.targets) - writable)}")
    return Definition(name, tuple(params), body)


def parse_drop(operation: str) -> tuple[str, bool] | None:
    """(name, if_exists) of a DROP PROCEDURE operation, None for any other operation."""
    match = _DROP.fullmatch(operation)
    return None if match is None else (match.group(2), bool(match.group(1)))


def _ensure_table(run) -> None:
    run(f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY COLLATE NOCASE, "
        "params TEXT, body TEXT)", ())


def create(run, definition: Definition) -> None:
    """Store ``definition``; ``run(sql, params)`` executes a writing statement."""
    _ensure_table(run)
    try:
        run(f"INSERT INTO {TABLE} VALUES (?, ?, ?)",
            (definition.name, json.dumps(definition.params), json.dumps(definition.body)))
    except IntegrityError:
        raise ProgrammingError(f"procedure {definition.name} already exists") from None


def drop(run, name: str, if_exists: bool) -> None:
    _ensure_table(run)
    if run(f"DELETE FROM {TABLE} WHERE name = ?", (name,)).rowcount == 0 and not if_exists:
        raise ProgrammingError(f"no such procedure: {name}")


def load(query, name: str) -> Definition:
    """The stored procedure ``name``; ``query(sql, params)`` runs a reading statement."""
    try:
        rows = query(f"SELECT name, params, body FROM {TABLE} WHERE name = ?", (name,))
    except ProgrammingError:  # no procedure was ever created here: no table
        rows = []
    if not rows:
        raise ProgrammingError(f"no such procedure: {name}")
    stored, params, body = rows[0]
    return Definition(stored, tuple(tuple(p) for p in json.loads(params)),
                      tuple(json.loads(body)))
