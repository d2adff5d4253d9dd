"""``COPY t FROM uri`` and ``COPY t TO DIRECTORY uri`` on the local file system, as one
CrateDB node runs them (crate/crate ``docs/sql/statements/copy-from.rst``, ``copy-to.rst``;
``FileReadingIterator``, ``LocalFsFileInput``, ``LineProcessor``, ``CSVLineParser``,
``UpsertResults``, ``CopyFromPlan``, ``CopyToPlan``, ``CopyIntegrationTest``).

COPY FROM:

- URIs: a text or an array of texts; ``/path`` means ``file:///path``; only ``file://`` is
  read here. A URI with ``*`` is a glob (Java's glob rules: ``*`` within one directory,
  ``**`` across, ``?``, ``[...]``, ``{a,b}``), walked from the directory before the first
  ``*`` and matched in sorted order;
- lines are read as UTF-8 (``\\n``, ``\\r\\n`` or ``\\r``), empty lines skipped but counted;
  ``.gz`` files (or ``compression = 'gzip'``) are decompressed;
- JSON: one object per line. CSV (``format = 'csv'`` or the first file ends in ``.csv``):
  values are text cast to the column types, spaces around values trimmed, the header (the
  first line read, ``header = true``) names the columns, else the declared columns or the
  table's. As in CrateDB, the format and the header are decided once per statement, by its
  first line;
- a row that fails (JSON or CSV error, cast error, duplicate key, unknown column of a
  strict table) is skipped: the row count counts written rows only, ``RETURN SUMMARY``
  returns one row per URI (sorted) with ``node``, ``uri``, ``success_count``,
  ``error_count`` and ``errors`` (message -> ``count``, ``line_numbers``; at most 25
  messages and 50 line numbers each), ``NULL`` counts when the URI itself failed;
- ``fail_fast = true`` stops at the first failing row with JobKilledException;
- ``overwrite_duplicates = true`` replaces rows with the same primary key;
- only the superuser ``crate`` may read local files (UnauthorizedException otherwise).

COPY TO DIRECTORY writes ``<table>_<shard>_.json`` per shard (``.gz`` with
``compression = 'gzip'``): one JSON object per row, or one JSON array per row when columns
are given (``format = 'json_object' | 'json_array'``), and counts the rows written. Rows
go to shards by a hash of their ``_id`` (not CrateDB's routing hash).
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zlib
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

import orjson

from dbapi_conformance.drivers.wire.cratedb import DEFAULT_USER, DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb import sized, syscols
from dbapi_conformance.mockservers.cratedb.catalog import Relation
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType
from dbapi_conformance.mockservers.cratedb.commands import Outcome
from dbapi_conformance.mockservers.cratedb.ddl import DdlParser
from dbapi_conformance.mockservers.cratedb.statements import Statement, number_qmarks, split
from dbapi_conformance.mockservers.cratedb.values import convert_param
from dbapi_conformance.mockservers.engine import errors as eng
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["run_copy"]

_FROM_SETTINGS = ("compression", "format", "wait_for_completion", "overwrite_duplicates",
                  "fail_fast", "shared", "num_readers", "bulk_size", "node_filters",
                  "empty_string_as_null", "delimiter", "header")
_TO_SETTINGS = ("compression", "format", "wait_for_completion")
_SUMMARY_COLUMNS = ["node", "uri", "success_count", "error_count", "errors"]
_SUMMARY_TYPES = [CrateType(DataType.OBJECT), CrateType(DataType.TEXT),
                  CrateType(DataType.BIGINT), CrateType(DataType.BIGINT),
                  CrateType(DataType.OBJECT)]
_MAX_ERRORS, _MAX_LINE_NUMBERS = 25, 50


@dataclass
class _Parsed:
    schema: str | None
    name: str
    direction: str  # "FROM" or "TO"
    columns: list[str] = field(default_factory=list)  # column names / expression texts
    uri: str = ""  # expression text
    options: list[tuple[str, str]] = field(default_factory=list)  # (key, expression text)
    where: str | None = None
    summary: bool = False


def _parse(stmt: Statement) -> _Parsed:
    p = DdlParser(stmt)
    p.take("COPY")
    schema, name = p.qname()
    parsed = _Parsed(schema, name, "")
    while p.peek() is not None and not parsed.direction:
        if p.at("L_PAREN"):
            p.take("L_PAREN")
            while True:
                parsed.columns.append(p.expression_text(set()))
                if not p.accept("COMMA"):
                    break
            p.take("R_PAREN")
        elif p.accept("PARTITION"):
            p.skip_parens()
        elif p.accept("WHERE"):
            parsed.where = p.expression_text({"TO"})
        elif p.accept("FROM"):
            parsed.direction = "FROM"
        elif p.accept("TO"):
            p.take("DIRECTORY")
            parsed.direction = "TO"
        else:
            raise p.error("{'FROM', 'TO', 'WHERE', 'PARTITION', '('}")
    if not parsed.direction:
        raise p.error("{'FROM', 'TO'}")
    parsed.uri = p.expression_text({"WITH", "RETURN"})
    if p.accept("WITH"):
        p.take("L_PAREN")
        while True:
            key = p.ident()
            p.take("EQ")
            parsed.options.append((key, p.expression_text(set())))
            if not p.accept("COMMA"):
                break
        p.take("R_PAREN")
    if parsed.direction == "FROM" and p.accept("RETURN"):
        p.take("SUMMARY")
        parsed.summary = True
    if p.peek() is not None:
        raise p.error("<EOF>")
    return parsed


def _evaluate(sess, texts: list[str], args: list) -> list:
    """The values of CrateDB expressions (URIs, option values), as JSON values."""
    if not texts:
        return []
    prepared, params = sess.prepare_query("SELECT " + ", ".join(texts), args)
    return sess._execute(prepared, params, args).rows[0]


# --- options ---------------------------------------------------------------------------------

def _boolean(options: dict, key: str, default: bool) -> bool:
    value = options.get(key, default)
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "false"):
        return text == "true"
    raise cerr.parse_error(f"Failed to parse value [{value}] for setting [{key}]")


def _choice(options: dict, key: str, allowed: tuple[str, ...]) -> str | None:
    value = options.get(key)
    if value is None or value == "":
        return None
    if str(value) not in allowed:
        raise cerr.parse_error(f"Unsupported setting value: {value}. Supported values are: "
                               + ", ".join(sorted(allowed)))
    return str(value)


def _integer(options: dict, key: str, default: int) -> int:
    value = options.get(key, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise cerr.parse_error(f"Failed to parse value [{value}] for setting [{key}]") from None
    if number < 1:
        raise cerr.parse_error(f"Failed to parse value [{value}] for setting [{key}] must be "
                               ">= 1")
    return number


def _check_keys(options: dict, allowed: tuple[str, ...]) -> None:
    for key in options:
        if key not in allowed:
            raise cerr.parse_error(f"Setting '{key}' is not supported")


# --- URIs ------------------------------------------------------------------------------------

def _file_uri(text: str) -> str:
    """``FileReadingIterator.toURI``: a path becomes a file URI; relative URIs fail."""
    if text.startswith("/"):
        return "file://" + quote(text, safe="/:@!$&'()*+,;=-._~")
    scheme = text.split(":", 1)[0] if ":" in text else ""
    if not scheme or not scheme.replace("+", "").replace("-", "").isalnum():
        raise cerr.parse_error("relative fileURIs are not allowed")
    if scheme.lower() == "file" and not text[len(scheme) + 1:].startswith("///"):
        raise cerr.parse_error("Invalid fileURI")
    if scheme.lower() != "file":
        raise cerr.unsupported(f"COPY with '{scheme}' URIs is not supported by this server "
                               "(it reads and writes file:// URIs only)")
    return text


def _path(uri: str) -> str:
    """The local path of a ``file:///...`` URI (``?`` and ``#`` are glob text here)."""
    return unquote(uri[uri.index(":") + 3:])


def _glob_regex(pattern: str) -> re.Pattern:
    """Java's glob syntax (sun.nio.fs.Globs, crate/crate ``Globs``) as a regex."""
    out, i, group = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        i += 1
        if c == "*":
            if pattern[i:i + 1] == "*":
                out.append(".*")
                i += 1
            else:
                out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i)
            if end < 0:
                raise cerr.parse_error(f"Missing ']' near index {i - 1}\n{pattern}")
            body = pattern[i:end]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = end + 1
        elif c == "{" and not group:
            out.append("(?:")
            group = True
        elif c == "}" and group:
            out.append(")")
            group = False
        elif c == "," and group:
            out.append("|")
        elif c == "\\" and i < len(pattern):
            out.append(re.escape(pattern[i]))
            i += 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def _expand(uri: str) -> tuple[str, list[str]] | None:
    """(URI as reported, file URIs to read) of one URI; None when the directory before a
    glob does not exist (CrateDB then reads nothing and reports nothing for it)."""
    if "*" not in uri:
        return uri, [uri]
    path = _path(uri)
    base = path[:path.rfind("/", 0, path.index("*")) + 1]
    try:
        real = os.path.realpath(base, strict=True)
    except OSError:
        return None
    real = real.rstrip("/") + "/"
    pattern = real + path[len(base):]
    matcher = _glob_regex(pattern)
    depth = pattern.count("/") - real.count("/") + 1
    found = []
    for root, dirs, files in os.walk(real, followlinks=True):
        if root.rstrip("/").count("/") - real.rstrip("/").count("/") >= depth:
            dirs[:] = []
            continue
        for name in files:
            full = os.path.join(root, name)
            if matcher.match(full):
                found.append(full)
    shown = "file://" + quote(pattern, safe="/:@!$&'()*+,;=-._~")
    return shown, ["file://" + quote(f, safe="/:@!$&'()*+,;=-._~") for f in sorted(found)]


def _lines(uri: str, compressed: bool):
    """(line number, text) of every non-empty line; OSError with Java's text when the file
    cannot be opened."""
    path = _path(uri)
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the wrapper below
    except OSError as exc:
        raise OSError(f"{path} ({exc.strerror})") from None
    stream = gzip.GzipFile(fileobj=raw) if compressed else raw
    with io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=None) as text:
        for number, line in enumerate(text, 1):
            line = line.rstrip("\n")
            if line:
                yield number, line


# --- CSV -------------------------------------------------------------------------------------

def _csv_values(line: str, delimiter: str, empty_as_null: bool) -> list[str | None]:
    """One CSV line as Jackson's CsvParser reads it with TRIM_SPACES."""
    values, i, n = [], 0, len(line)
    while True:
        while i < n and line[i] == " ":
            i += 1
        if i < n and line[i] == '"':
            i += 1
            chunk = []
            while i < n:
                if line[i] == '"':
                    if line[i + 1:i + 2] == '"':
                        chunk.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                chunk.append(line[i])
                i += 1
            value = "".join(chunk)
            end = line.find(delimiter, i)
            i = n if end < 0 else end
        else:
            end = line.find(delimiter, i)
            end = n if end < 0 else end
            value = line[i:end].strip(" ")
            i = end
        values.append(None if empty_as_null and value == "" else value)
        if i >= n:
            return values
        i += len(delimiter)


@dataclass
class _Reader:
    """Turns lines into row dicts; the format and the header are fixed by the first line."""

    rel: Relation
    options: dict
    targets: list[str]
    csv: bool | None = None
    header: list[str | None] | None = None

    def row(self, uri: str, number: int, line: str) -> dict | None:
        """The row of a line; None for the header line. Raises ValueError for a bad line."""
        if self.csv is None:
            fmt = _choice(self.options, "format", ("json", "csv"))
            self.csv = fmt == "csv" or (fmt is None and uri.endswith(".csv"))
            if self.csv and _boolean(self.options, "header", True):
                keys = self._values(line)
                named = {k for k in keys if k}
                if len(named) != len(keys) or not named:
                    raise cerr.parse_error(
                        "Invalid header: duplicate entries or no entries present")
                self.header = [k if not self.targets or k in self.targets else None
                               for k in keys]
                return None
        if not self.csv:
            try:
                row = orjson.loads(line)
            except orjson.JSONDecodeError:
                row = None
            if not isinstance(row, dict):
                raise ValueError("JSON parser error: Failed to parse content to map")
            return row
        values = self._values(line)
        if self.header is not None:
            if len(values) > len(self.header):
                raise ValueError("Number of values exceeds number of keys in csv file at line "
                                 f"{number}")
            return {k: v for k, v in zip(self.header, values) if k is not None}
        names = self.targets or [c.name for c in self.rel.columns]
        if len(values) < len(names):
            raise ValueError(f"Expected {len(names)} values, encountered {len(values)} at line "
                             f"{number}. This is not allowed when there is no header provided)")
        return dict(zip(names, values))

    def _values(self, line: str) -> list:
        delimiter = str(self.options.get("delimiter", ","))
        if len(delimiter) != 1:
            raise cerr.parse_error(f"Invalid CSV fields delimiter: {delimiter}. The delimiter "
                                   "must be a single character.")
        return _csv_values(line, delimiter, _boolean(self.options, "empty_string_as_null",
                                                     False))


# --- COPY FROM -------------------------------------------------------------------------------

@dataclass
class _Result:
    """What one URI gave (``UpsertResults.Result``)."""

    success: int = 0
    failed: int = 0
    uri_failed: bool = False
    errors: dict = field(default_factory=dict)

    def error(self, message: str, line: int | None) -> None:
        entry = self.errors.get(message)
        if entry is None:
            if len(self.errors) == _MAX_ERRORS:
                return
            entry = self.errors[message] = {"count": 0, "line_numbers": []}
        entry["count"] += 1
        if line is not None and len(entry["line_numbers"]) < _MAX_LINE_NUMBERS:
            entry["line_numbers"].append(line)


class _Writer:
    """Inserts one row through the session's INSERT translation, so that it is cast,
    checked and keyed as an INSERT would be; the fallback of :class:`_Loader`."""

    def __init__(self, sess, rel: Relation, overwrite: bool):
        self.sess, self.rel, self.overwrite = sess, rel, overwrite
        self.table = f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"

    def prepared(self, names: tuple[str, ...]):
        """The translated single-row INSERT of these columns; CrateError as for INSERT."""
        cols = ", ".join(quote_ident(n) for n in names)
        marks = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        text = f"INSERT INTO {self.table} ({cols}) VALUES ({marks})"
        if self.overwrite and self.rel.pk:
            keys = ", ".join(quote_ident(k) for k in self.rel.pk)
            updates = ", ".join(f"{quote_ident(n)} = excluded.{quote_ident(n)}"
                                for n in names if n not in self.rel.pk)
            text += f" ON CONFLICT ({keys}) " + (f"DO UPDATE SET {updates}" if updates
                                                 else "DO NOTHING")
        key = ("copy", text, self.sess.catalog.generation)
        return self.sess.ctx.cached(key, lambda: self.sess.prepare_query(
            text, [None] * len(names))[0])

    def write(self, row: dict) -> None:
        """Insert one row; ValueError with CrateDB's message when it fails."""
        try:
            prepared = self.prepared(tuple(row))
            values = list(row.values())
            params = [convert_param(values[i], prepared.hints.get(i)) for i in prepared.order]
            self.sess._execute(prepared, params)
        except cerr.CrateError as err:
            raise ValueError(err.text) from None
        except eng.EngineError as exc:
            raise ValueError(cerr.from_engine(exc).text) from None


_DUPLICATE = "A document with the same primary key exists already"


class _Loader:
    """Writes rows in bulk: one ``INSERT ... SELECT unnest(...)`` per run of rows with the
    same columns (up to ``bulk_size``), after checking each row in Python (casts, NOT NULL,
    keys) and finding duplicate keys with one query, so that every failing row still gets
    its own error; a batch the engine refuses is written row by row by :class:`_Writer`.
    ``fail`` is called with (result, line number, message) for each failing row."""

    def __init__(self, sess, rel: Relation, overwrite: bool, bulk_size: int, fail):
        self.sess, self.rel, self.overwrite = sess, rel, overwrite
        self.bulk_size, self.fail = max(1, bulk_size), fail
        self.writer = _Writer(sess, rel, overwrite)
        self.names: tuple[str, ...] | None = None
        self.pending: list[tuple[_Result, int, dict]] = []

    def add(self, result: _Result, line: int, row: dict) -> None:
        names = tuple(row)
        if names != self.names or len(self.pending) >= self.bulk_size:
            self.flush()
            self.names = names
        self.pending.append((result, line, row))

    def flush(self) -> None:
        batch, self.pending = self.pending, []
        if not batch:
            return
        names = self.names
        unknown = [n for n in names if self.rel.column(n) is None]
        message = None
        if unknown:
            message = (f"Cannot add column `{unknown[0]}` to table `{self.rel.fqn}` with "
                       "column policy `strict`")
        else:
            try:
                self.writer.prepared(names)  # the INSERT's own checks (NOT NULL columns)
            except cerr.CrateError as err:
                message = err.text
        if message is not None:
            for result, line, _ in batch:
                self.fail(result, line, message)
            return
        if any(sized.limit(self.rel.column(n).type) for n in names):
            # VARCHAR(n) / CHARACTER(n) values are checked and padded by the INSERT itself
            self._row_by_row([(result, line, list(row.values())) for result, line, row in batch])
            return
        good = []
        for result, line, row in batch:
            try:
                good.append((result, line, self._convert(row)))
            except ValueError as exc:
                self.fail(result, line, str(exc))
        if not good:
            return
        columns = [list(col) for col in zip(*(values for _, _, values in good))]
        keep = self._unique_keys(names, columns)
        if len(keep) < len(good):
            for i, (result, line, _) in enumerate(good):
                if i not in keep:
                    if self.overwrite:  # an earlier row of the batch, overwritten later
                        result.success += 1
                    else:
                        self.fail(result, line, _DUPLICATE)
            good = [g for i, g in enumerate(good) if i in keep]
            columns = [[c[i] for i in sorted(keep)] for c in columns]
        try:
            written = self._insert(names, columns)
        except eng.EngineError:
            written = -1
        if written == len(good):
            for result, _, _ in good:
                result.success += 1
            return
        self._row_by_row(good)  # the engine refused the batch

    def _row_by_row(self, rows) -> None:
        for result, line, values in rows:
            try:
                self.writer.write(dict(zip(self.names, values)))
                result.success += 1
            except ValueError as exc:
                self.fail(result, line, str(exc))

    def _convert(self, row: dict) -> list:
        values = []
        for name, value in row.items():
            col = self.rel.column(name)
            if value is None and (col.pk or col.not_null):
                raise ValueError("A primary key value must not be NULL" if col.pk
                                 else f'"{name}" must not be null')
            try:
                values.append(convert_param(value, col.type))
            except cerr.CrateError as err:
                raise ValueError(err.text) from None
        missing = [k for k in self.rel.pk if k not in row]
        if missing:
            raise ValueError("A primary key value must not be NULL")
        return values

    def _arrays(self, names, columns) -> tuple[str, list]:
        select = ", ".join(f"unnest(${i}::{self.rel.column(n).type.duck}[]) AS {quote_ident(n)}"
                           for i, n in enumerate(names, 1))
        return select, columns

    def _unique_keys(self, names, columns) -> set[int]:
        """Positions of the rows to write: without a key already in the table or earlier in
        the batch (with overwrite_duplicates: the last row of each key)."""
        if not self.rel.pk:
            return set(range(len(columns[0])))
        pk = list(self.rel.pk)
        select, params = self._arrays(pk, [columns[names.index(k)] for k in pk])
        table = f"{quote_ident(self.rel.storage)}.{quote_ident(self.rel.name)}"
        ordinal = f"unnest(range(${len(pk) + 1}::BIGINT)) AS _ord"
        keys = ", ".join(quote_ident(k) for k in pk)
        order = "DESC" if self.overwrite else "ASC"
        exists = " AND ".join(f"t.{quote_ident(k)} = s.{quote_ident(k)}" for k in pk)
        condition = "s._rn = 1" if self.overwrite else (
            f"s._rn = 1 AND NOT EXISTS (SELECT 1 FROM {table} t WHERE {exists})")
        sql = (f"SELECT s._ord FROM (SELECT *, row_number() OVER (PARTITION BY {keys} "
               f"ORDER BY _ord {order}) AS _rn FROM (SELECT {select}, {ordinal})) s "
               f"WHERE {condition}")
        res = self.sess.engine_session.execute(sql, params + [len(columns[0])])
        return {int(r[0]) for r in res.rows}

    def _insert(self, names, columns) -> int:
        select, params = self._arrays(names, columns)
        table = f"{quote_ident(self.rel.storage)}.{quote_ident(self.rel.name)}"
        cols = ", ".join(quote_ident(n) for n in names)
        sql = f"INSERT INTO {table} ({cols}) SELECT * FROM (SELECT {select})"
        if self.rel.pk:
            keys = ", ".join(quote_ident(k) for k in self.rel.pk)
            updates = [f"{quote_ident(n)} = excluded.{quote_ident(n)}"
                       for n in names if n not in self.rel.pk]
            if self.overwrite and updates:
                updates += [f"{syscols.VERSION} = {syscols.VERSION} + 1",
                            f"{syscols.SEQ_NO} = {syscols.nextval_sql(self.rel)}"]
                sql += f" ON CONFLICT ({keys}) DO UPDATE SET " + ", ".join(updates)
            else:
                sql += f" ON CONFLICT ({keys}) DO NOTHING"
        res = self.sess.engine_session.execute(sql, params)
        if self.overwrite or not self.rel.pk:
            return len(columns[0]) if res.rowcount >= 0 else res.rowcount
        return res.rowcount


class _Import:
    """One COPY FROM: reads the URIs' lines into the loader, keeping a result per URI."""

    def __init__(self, sess, parsed: _Parsed, rel: Relation, options: dict, compressed: bool):
        self.sess = sess
        self.fail_fast = _boolean(options, "fail_fast", False)
        self.compressed = compressed
        self.reader = _Reader(rel, options, parsed.columns)
        self.loader = _Loader(sess, rel, _boolean(options, "overwrite_duplicates", False),
                              _integer(options, "bulk_size", 10000), self.fail)
        self.results: dict[str, _Result] = {}
        self.failures: list[str] = []

    def fail(self, result: _Result, line: int, message: str) -> None:
        result.failed += 1
        result.error(message, line)
        self.failures.append(message)
        if self.fail_fast:  # best effort, as in CrateDB: stop at the first error
            raise cerr.CrateError(5005, "JobKilledException", f"Job killed. {message}")

    def read(self, uris: list[str]) -> None:
        for given in uris:
            expanded = _expand(given)
            if expanded is None:
                continue
            shown, files = expanded
            if not files:
                result = self.results.setdefault(shown, _Result())
                result.uri_failed = True
                result.error(f"Cannot find any URI matching: {shown}", None)
                continue
            for uri in files:
                self._read(uri, self.results.setdefault(uri, _Result()))
        self.loader.flush()

    def _read(self, uri: str, result: _Result) -> None:
        try:
            for number, line in _lines(uri, self.compressed):
                if self.sess.cancelled:  # the client went away: stop reading
                    raise cerr.CrateError(5005, "JobKilledException", "Job killed")
                try:
                    row = self.reader.row(uri, number, line)
                except ValueError as exc:
                    self.fail(result, number, str(exc))
                    continue
                if row is not None:
                    self.loader.add(result, number, row)
                if self.fail_fast:
                    self.loader.flush()
        except (OSError, EOFError, zlib.error) as exc:
            if not (result.success or result.failed or self.loader.pending):
                result.uri_failed = True  # nothing read: the URI itself failed
                result.error(str(exc), None)


def _copy_from(sess, parsed: _Parsed, rel: Relation, uris: list[str], options: dict) -> Outcome:
    if sess.user != DEFAULT_USER:
        raise cerr.CrateError(4010, "UnauthorizedException",
                              "Only a superuser can read from the local file system")
    compression = _choice(options, "compression", ("gzip",))
    compressed = compression == "gzip" or (compression is None and all(
        u.endswith(".gz") for u in uris))
    for key in ("wait_for_completion", "overwrite_duplicates", "shared", "header",
                "empty_string_as_null", "fail_fast"):
        _boolean(options, key, False)
    _choice(options, "format", ("json", "csv"))
    if not _boolean(options, "wait_for_completion", True) and parsed.summary:
        raise cerr.unsupported("Cannot use RETURN SUMMARY with wait_for_completion=false. "
                               "Either set wait_for_completion=true, or remove RETURN SUMMARY")
    job = _Import(sess, parsed, rel, options, compressed)
    try:
        job.read(uris)
    finally:
        if sess.ctx.refresh is not None:  # strict refresh mode: searches see it later
            sess.ctx.refresh.written(rel)
    if not parsed.summary:
        return Outcome(sum(r.success for r in job.results.values()))
    node = sess.ctx.node
    node_info = {"id": node.node_id, "name": node.name} if node is not None else None
    rows = [[node_info, uri, None if r.uri_failed else r.success,
             None if r.uri_failed else r.failed, r.errors]
            for uri, r in sorted(job.results.items())]
    return Outcome(len(rows), list(_SUMMARY_COLUMNS), list(_SUMMARY_TYPES), rows)


# --- COPY TO ---------------------------------------------------------------------------------

def _copy_to(sess, parsed: _Parsed, rel: Relation, uri: str, options: dict,
             args: list) -> Outcome:
    compression = _choice(options, "compression", ("gzip",))
    fmt = _choice(options, "format", ("json_object", "json_array"))
    _boolean(options, "wait_for_completion", True)
    if not parsed.columns and fmt == "json_array":
        raise cerr.unsupported("Output format not supported without specifying columns.")
    fmt = fmt or ("json_array" if parsed.columns else "json_object")
    table = f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
    select = ", ".join(parsed.columns) if parsed.columns else "*"
    text = f"SELECT {select}, _id FROM {table}"
    if parsed.where:
        text += f" WHERE {parsed.where}"
    prepared, params = sess.prepare_query(text, args)
    res = sess._execute(prepared, params, args)
    names = res.cols[:-1]
    shards = max(1, rel.shards or 1)
    directory = _path(uri)
    suffix = ".json.gz" if compression == "gzip" else ".json"
    outputs: list[tuple] = []  # (writer, file): a gzip writer does not close its file
    try:
        for shard in range(shards):
            path = os.path.join(directory, f"{rel.name}_{shard}_{suffix}")
            if os.path.isdir(path):
                raise OSError(f"Output path is a directory: {path}")
            try:
                handle = open(path, "wb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise OSError(f"{path} ({exc.strerror})") from None
            writer = gzip.GzipFile(fileobj=handle, mode="wb") if compression else handle
            outputs.append((writer, handle))
        for row in res.rows:
            values, row_id = row[:-1], row[-1]
            line = values if fmt == "json_array" else dict(zip(names, values))
            writer = outputs[zlib.crc32(str(row_id).encode()) % shards][0]
            writer.write(orjson.dumps(line) + b"\n")
    except OSError as exc:
        raise cerr.CrateError(5000, "UnhandledServerException",
                              f"Failed to open output: '{exc}'") from None
    finally:
        for writer, handle in outputs:
            writer.close()
            handle.close()
    return Outcome(len(res.rows))


# --- entry -----------------------------------------------------------------------------------

def run_copy(sess, stmt: Statement, args: list) -> Outcome:
    """Run a COPY statement of session ``sess`` with request ``args``. Raises CrateError
    for statement errors; row errors of COPY FROM are counted, not raised."""
    numbered = split(number_qmarks(stmt))  # ? -> $n once, so that parts keep their numbers
    parsed = _parse(numbered)
    rel = sess.relation(parsed.schema, parsed.name)
    if rel.system or rel.kind != "BASE TABLE":
        op = "INSERT" if parsed.direction == "FROM" else "COPY TO"
        raise cerr.CrateError(4007, "OperationOnInaccessibleRelationException",
                              f'The relation "{rel.fqn}" doesn\'t support or allow {op} '
                              "operations")
    values = _evaluate(sess, [parsed.uri] + [text for _, text in parsed.options], args)
    uri_value, options = values[0], dict(zip((k for k, _ in parsed.options), values[1:]))
    if parsed.direction == "FROM":
        given = uri_value if isinstance(uri_value, list) else [uri_value]
        if not given or not all(isinstance(u, str) for u in given):
            raise cerr.parse_error("fileUri must be of type STRING or STRING ARRAY. Got "
                                   f"{type(uri_value).__name__}")
        uris = [_file_uri(u) for u in given]
        _check_keys(options, _FROM_SETTINGS)
        return _copy_from(sess, parsed, rel, uris, options)
    if not isinstance(uri_value, str):
        raise cerr.parse_error("fileUri must be of type STRING")
    uri = _file_uri(uri_value)
    _check_keys(options, _TO_SETTINGS)
    return _copy_to(sess, parsed, rel, uri, options, args)
