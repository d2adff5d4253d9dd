"""The CrateDB Cursor: ``execute`` sends ``args``, ``executemany`` sends ``bulk_args``.

Parameters (protocols/cratedb.md 1.1, 5.4; values always travel in ``args``/``bulk_args``
and the server binds them, never the SQL text):

- a mapping binds ``:name`` placeholders (the module's ``named`` paramstyle); they are
  rewritten to CrateDB's ``$n`` with the shared converter, skipping literals, quoted
  identifiers and comments. Mixing them with ``?``/``$n`` is refused.
- a sequence binds CrateDB's own placeholders, ``?`` (numbered left to right) and ``$n``,
  passed through unchanged.

Results are read whole: rows become tuples, and only columns whose type needs it
(timestamps, dates, numeric, time with time zone, doubles, arrays of those) get per-value
work (:func:`~dbapi_conformance.drivers.wire.cratedb.value_decoder`).
"""

from __future__ import annotations

import functools
from typing import Any, Iterable

from dbapi_conformance.drivers._dbapi.cursor import CursorBase, check_operation
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    DatabaseError,
    DataError,
    Error,
    InterfaceError,
    NotSupportedError,
    ProgrammingError,
)
from dbapi_conformance.drivers._dbapi.paramstyle import (
    Scanner,
    as_sequence,
    is_mapping,
    pick,
    rewrite,
)
from dbapi_conformance.drivers.cratedb.errors import error_class
from dbapi_conformance.drivers.cratedb.types import type_code
from dbapi_conformance.drivers.wire.cratedb import (
    EncodeError,
    SQLResponse,
    encode_sql_request,
    http_status,
    value_decoder,
)

__all__ = ["Cursor"]

# CrateDB numbers ``?`` left to right and reads ``$n`` as the n-th value (cratedb.md 5.4).
_SCANNER = Scanner(("qmark", "dollar"), e_strings=True)
_ENCODE_ERRORS = {"binary": NotSupportedError, "value": DataError}


@functools.lru_cache(maxsize=1024)
def _parameters_needed(sql: str) -> int:
    found = _SCANNER.find(sql)
    marks = sum(1 for p in found if p.style == "qmark")
    numbered = max((p.key for p in found if p.style == "dollar"), default=0)
    return max(marks, numbered)  # type: ignore[type-var]


@functools.lru_cache(maxsize=256)
def _int_decoder(col_type: int) -> Any:
    return value_decoder(col_type)


def _decoder(col_type: Any) -> Any:
    if isinstance(col_type, int):
        return _int_decoder(col_type)
    return value_decoder(col_type)




def _check_count(sql: str, given: int, where: str = "") -> None:
    needed = _parameters_needed(sql)
    if given != needed:
        raise ProgrammingError(
            f"the statement has {needed} parameter placeholder(s) but {given} "
            f"parameter(s) were given{where}"
        )


def _named(sql: str) -> tuple[str, tuple]:
    """``:name`` placeholders -> ``$n``; the names in ``$n`` order."""
    if _SCANNER.find(sql):
        raise ProgrammingError(
            "parameters given as a mapping bind :name placeholders; this statement uses "
            "? or $n, which take a sequence"
        )
    return rewrite(sql, "named", "dollar", e_strings=True)


def _bind(sql: str, parameters: Any) -> tuple[str, list]:
    """The SQL to send and its ``args`` (see the module docstring)."""
    if is_mapping(parameters):
        sql, names = _named(sql)
        return sql, pick(parameters, names)
    args = as_sequence(parameters, "qmark")
    _check_count(sql, len(args))
    return sql, args


def _encode(sql: str, args: Any, bulk_args: Any) -> bytes:
    try:
        return encode_sql_request(sql, args, bulk_args)
    except EncodeError as exc:
        raise _ENCODE_ERRORS.get(exc.kind, ProgrammingError)(str(exc)) from None


class Cursor(CursorBase):
    """A PEP 249 cursor of a CrateDB :class:`~.connection.Connection`.

    Besides the PEP 249 surface (see :class:`CursorBase`): ``duration`` is the server's
    time for the last statement (milliseconds, -1 when unknown); ``bulk_rowcounts`` is the
    tuple of per-item rowcounts of the last ``executemany`` (-2 = that item failed).
    """

    def __init__(self, connection: Any):
        super().__init__(connection)
        self.duration: float = -1
        self.bulk_rowcounts: tuple[int, ...] | None = None

    def _begin(self) -> None:
        self._start()
        self._clear_result()
        self.duration = -1
        self.bulk_rowcounts = None

    @handles_errors
    def execute(self, operation: str, parameters: Any = None) -> None:
        """Run one statement (CUR-EXEC-1..5). ``parameters``: a mapping for ``:name``
        placeholders, or a sequence with one value per ``?`` (or up to the highest ``$n``).

        Raises ProgrammingError for a missing name, a wrong number of values, a str or
        other non-container, or an unsupported value type; NotSupportedError for bytes
        (CrateDB has no binary type); DataError for out-of-range values; server errors per
        :mod:`.errors`.
        """
        self._begin()
        sql, args = _bind(check_operation(operation, empty_ok=True), parameters)
        response = self._connection._sql(_encode(sql, args, None))
        self.duration = response.duration
        if response.rows is None:
            raise InterfaceError("CrateDB answered a single statement with a bulk response")
        self._load(response)

    @handles_errors
    def executemany(self, operation: str, seq_of_parameters: Iterable[Any]) -> None:
        """Run one statement once per parameter set, in ONE request (``bulk_args``). The
        sets are all mappings (``:name``) or all sequences (``?``/``$n``), as in execute.

        ``rowcount`` becomes the sum of the items' rowcounts (-1 if any is unknown); an
        empty sequence sends nothing and sets it to 0. Statements returning rows are
        refused by CrateDB (NotSupportedError, CUR-EXECMANY-3).

        CrateDB has no transactions: when an item fails (rowcount -2 in the response) the
        other items are still applied. After recording ``rowcount`` and
        ``bulk_rowcounts``, the first failure is raised (IntegrityError for a duplicate
        key, else the class of its error code) and every failure is added to
        ``messages``.
        """
        self._begin()
        sql = check_operation(operation, empty_ok=True)
        try:
            given = list(seq_of_parameters)
        except TypeError:
            raise ProgrammingError(
                "seq_of_parameters must be an iterable of parameter sets, not "
                f"{type(seq_of_parameters).__name__}"
            ) from None
        if not given:
            self._set_rowcount(0)
            return
        if is_mapping(given[0]):
            sql, names = _named(sql)
            items = [pick(p, names) for p in given]
        else:
            items = [as_sequence(p, "qmark") for p in given]
            for index, args in enumerate(items):
                _check_count(sql, len(args), f" in parameter set {index}")
        response = self._connection._sql(_encode(sql, None, items))
        self.duration = response.duration
        if response.results is None:  # CrateDB before 5.10.11 answers one item like execute
            self._set_rowcount(response.rowcount if isinstance(response.rowcount, int) else -1)
            return
        self._load_bulk(response.results, len(items))

    # --- responses -------------------------------------------------------------------

    def _load(self, response: SQLResponse) -> None:
        cols = response.cols
        if not cols:
            rowcount = response.rowcount
            self._set_rowcount(rowcount if isinstance(rowcount, int) else -1)
            return
        col_types = response.col_types
        if not isinstance(col_types, list) or len(col_types) != len(cols):
            col_types = [None] * len(cols)
        description = tuple(
            (name, type_code(ct), None, None, None, None, None) for name, ct in zip(cols, col_types)
        )
        self._set_result(description, self._rows_of(response.rows, cols, col_types))

    @staticmethod
    def _rows_of(rows: list, cols: list, col_types: list) -> list[tuple]:
        if not rows:
            return []
        first = rows[0]
        if not isinstance(first, list) or len(first) != len(cols):
            raise InterfaceError(f"CrateDB sent the row {first!r} for the columns {cols!r}")
        decoders = [(i, f) for i, f in enumerate(map(_decoder, col_types)) if f is not None]
        # The row lists are fresh from the JSON decoder: convert values in place, then
        # freeze each row once. Only columns with a decoder cost per-value work.
        for i, decode in decoders:
            try:
                for row in rows:
                    value = row[i]
                    if value is not None:
                        row[i] = decode(value)
            except Exception as exc:
                raise InterfaceError(
                    f"cannot decode column {cols[i]!r} (type {col_types[i]!r}): {exc!r}"
                ) from None
        try:
            return list(map(tuple, rows))
        except TypeError as exc:
            raise InterfaceError(f"malformed rows in a CrateDB response: {exc}") from None

    def _load_bulk(self, results: list, sent: int) -> None:
        counts: list[int] = []
        failures: list[Error] = []
        for index, item in enumerate(results):
            count = item.get("rowcount", -1) if isinstance(item, dict) else -1
            count = count if isinstance(count, int) else -1
            counts.append(count)
            if count == -2:
                failures.append(self._item_error(index, sent, item.get("error")))
        if len(counts) != sent:
            raise InterfaceError(f"CrateDB sent {len(counts)} bulk results for {sent} items")
        self.bulk_rowcounts = tuple(counts)
        unknown = any(c == -1 for c in counts)
        self._set_rowcount(-1 if unknown else sum(c for c in counts if c > 0))
        if failures:
            self.messages.extend((type(e), e) for e in failures)
            first = failures[0]
            if len(failures) > 1:
                first.message += f" (and {len(failures) - 1} more failed item(s): see messages)"
                first.args = (first.message,)
            raise first

    @staticmethod
    def _item_error(index: int, sent: int, error: Any) -> Error:
        prefix = (
            f"executemany: parameter set {index} of {sent} failed; the other sets were "
            "applied (CrateDB has no transactions)"
        )
        if not isinstance(error, dict):
            return DatabaseError(f"{prefix}: the server gave no reason")
        code = error.get("code")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        message = str(error.get("message", ""))
        if code is None:
            return DatabaseError(f"{prefix}: {message}")
        status = http_status(code) if code >= 1000 else 400
        cls = error_class(code, message, status)
        return cls(f"{prefix}: {message}", code=code)
