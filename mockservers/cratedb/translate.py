"""CrateDB queries and DML to DuckDB: parse with sqlglot (postgres dialect), rewrite, print.

What the rewrite does (cratedb.md 5.4-5.7):
- unquoted identifiers fold to lower case (CrateDB does; DuckDB would keep the spelling in
  result names);
- table names resolve against the catalog: unqualified names get the session schema
  (``doc`` by default), system schemas map to their hidden DuckDB schemas, unknown names
  raise RelationUnknown / SchemaUnknownException with the name as written;
- ``$n`` placeholders are renumbered densely (DuckDB wants every value used; CrateDB ignores
  surplus ones) and a missing value raises CrateDB's message;
- object subscripts on user OBJECT columns (stored as JSON) become ``json_extract``;
  ``current_user``/``current_schema`` become the session's values; decimal literals are
  DOUBLE; ``a / b`` raises ``/ by zero`` like CrateDB; CrateDB type names in casts map to
  the storage types;
- every value that meets a typed column (INSERT values, UPDATE SET, comparisons) records
  the column's CrateDB type, so that JSON parameter values (epoch ms, ISO text, decimal
  strings, objects) can be converted for DuckDB (see values.py);
- unaliased result columns get CrateDB's output names (``count``, ``(1 + 1)``,
  ``version['number']``), and each result column keeps the CrateDB type of the column it
  came from, so col_types say IP / OBJECT / GEO_POINT / CHARACTER where CrateDB would.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlglot
from sqlglot import errors as sqlglot_errors
from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb import functions, sized, syscols
from dbapi_conformance.mockservers.cratedb.catalog import Catalog, Relation
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, TypeNameError, parse_type_name
from dbapi_conformance.mockservers.cratedb.dialect import CrateDB
from dbapi_conformance.mockservers.cratedb.fulltext import rewrite_match
from dbapi_conformance.mockservers.cratedb.live import LIVE
from dbapi_conformance.mockservers.cratedb.pklookup import PkLookup
from dbapi_conformance.mockservers.cratedb.pklookup import plan as plan_lookup
from dbapi_conformance.mockservers.cratedb.refresh import route_searches
from dbapi_conformance.mockservers.cratedb.statements import Statement, position
from dbapi_conformance.mockservers.cratedb.unnest import (
    array_of,
    insert_source_arrays,
    rewrite_from_unnest,
)
from dbapi_conformance.mockservers.cratedb.values import check_geo_point, temporal_literal

__all__ = ["Prepared", "Translator", "DYNAMIC", "parameter_column"]

#: Marker type of a value read out of a dynamic object (its type is guessed from values).
DYNAMIC = CrateType(DataType.UNDEFINED, None, (-1,))


def parameter_column(index: int) -> CrateType:
    """Marker type of a result column that is a bare parameter (``SELECT ?``): CrateDB
    types it from the JSON value of args[index] (an object stays an OBJECT)."""
    return CrateType(DataType.UNDEFINED, None, (-2, index))

_OBJECT_IDS = (DataType.OBJECT, DataType.UNCHECKED_OBJECT, DataType.GEO_SHAPE)
_TIME_IDS = (DataType.TIMESTAMP_WITH_TZ, DataType.TIMESTAMP_WITHOUT_TZ, DataType.DATE)
_WKT_POINT = re.compile(r"\s*POINT\s*\(\s*(\S+)\s+(\S+)\s*\)\s*", re.IGNORECASE)


def wkt_point(text: str) -> tuple[float, float]:
    """(lon, lat) of a WKT ``POINT (lon lat)``; SQLParseException (4000) for any other text
    and for a point off the globe, with CrateDB's messages (``GeoPointType.pointFromString``,
    ``ensurePointsInRange``)."""
    m = _WKT_POINT.fullmatch(text)
    try:
        lon, lat = float(m.group(1)), float(m.group(2))
    except (AttributeError, ValueError):
        raise cerr.parse_error(f'Cannot convert "{text}" to geo_point. '
                               "Expected a WKT POINT (lon lat)") from None
    check_geo_point(lon, lat)
    return lon, lat


def _number(e: exp.Expression) -> float | None:
    """The value of a numeric literal (``-`` included), else None."""
    sign = 1.0
    if isinstance(e, exp.Neg):
        sign, e = -1.0, e.this
    if isinstance(e, exp.Literal) and not e.is_string:
        try:
            return sign * float(e.this)
        except ValueError:
            return None
    return None
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ,
                exp.NullSafeNEQ)
_BINARY_NAMES = {
    exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%", exp.EQ: "=",
    exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<=", exp.And: "AND",
    exp.Or: "OR", exp.DPipe: "||", exp.Like: "LIKE", exp.ILike: "ILIKE",
}


@dataclass
class Prepared:
    """A statement ready for the engine.

    - ``sql``: DuckDB text with placeholders ``$1..$k``;
    - ``order``: for each DuckDB placeholder, the 0-based index of the request's arg;
    - ``hints``: arg index -> CrateDB type of the column the value meets;
    - ``out_types``: CrateDB type per result column when known from provenance
      (positional), or None;
    - ``by_name``: result column name -> CrateDB type, used when the select list has a star;
    - ``kind``: "select", "insert", "update", "delete";
    - ``target``: the written relation (DML);
    - ``nargs``: the highest placeholder number used;
    - ``live``: the live system relations read (live.py refreshes them before the run).
    - ``searched``: see refresh.py.
    - ``lookup``: see pklookup.py.
    """

    sql: str
    order: list[int]
    hints: dict[int, CrateType]
    out_types: list[CrateType | None] | None = None
    by_name: dict[str, CrateType] = field(default_factory=dict)
    kind: str = "select"
    target: Relation | None = None
    nargs: int = 0
    live: tuple[tuple[str, str], ...] = ()
    #: strict refresh mode: the tables read as searches (None: a view, any table)
    searched: list[Relation] | None = field(default_factory=list)
    #: a primary-key lookup a table snapshot can answer (pklookup.py), or None
    lookup: PkLookup | None = None
    #: (arg index, its param_converter) per placeholder, made on first use (handler.py)
    converters: list | None = field(default=None, compare=False, repr=False)


def _syntax(stmt_text: str, exc: Exception) -> cerr.CrateError:
    details = getattr(exc, "errors", None) or []
    if details:
        d = details[0]
        line, col = d.get("line") or 1, d.get("col") or 1
        near = (d.get("highlight") or "").strip() or "<EOF>"
        # sqlglot's col is the end of the offending token; CrateDB points at its start
        col = max(1, col - len(near) + 1)
        return cerr.parsing_error(line, col, f"no viable alternative at input '{near}'")
    return cerr.parsing_error(1, 1, f"no viable alternative at input '{stmt_text[:60]}'")


def parse(stmt: Statement, text: str) -> exp.Expression:
    """sqlglot AST of one CrateDB statement (``text``: with ``?`` already numbered)."""
    try:
        trees = [t for t in sqlglot.parse(text, read=CrateDB) if t is not None]
    except (sqlglot_errors.ParseError, sqlglot_errors.TokenError) as exc:
        raise _syntax(text, exc) from None
    if len(trees) != 1:
        line, col = position(stmt.text, 0)
        raise cerr.parsing_error(line, col, "mismatched input expecting <EOF>")
    if isinstance(trees[0], exp.Command):  # sqlglot gave up on the syntax
        raise cerr.parsing_error(1, 1, f"no viable alternative at input '{text[:60]}'")
    if trees[0].find(exp.Placeholder) is not None:
        raise _foreign_placeholder(stmt)
    return trees[0]


def _foreign_placeholder(stmt: Statement) -> cerr.CrateError:
    """ParsingException for ``%s``, ``%(name)s`` or ``:name``: sqlglot's postgres dialect
    reads them as placeholders, CrateDB's grammar has only ``?`` and ``$n`` (5.4), so a
    driver that forgets to rewrite its paramstyle must fail here as on a real server."""
    toks = stmt.toks
    for i, t in enumerate(toks):
        nxt = toks[i + 1].raw if i + 1 < len(toks) else ""
        if (t.raw == ":" and nxt) or (t.raw == "%" and (nxt == "(" or nxt.lower() == "s")):
            line, col = position(stmt.text, t.start)
            return cerr.parsing_error(
                line, col, f"no viable alternative at input '{stmt.text[:t.end]}'")
    return cerr.parsing_error(1, 1, f"no viable alternative at input '{stmt.text[:60]}'")


def _format_name(e: exp.Expression) -> str:
    """CrateDB's output name of an unaliased select item (OutputNameFormatter)."""
    if isinstance(e, exp.Column):
        return e.name
    if isinstance(e, exp.Paren):
        return _format_name(e.this)
    if isinstance(e, exp.Bracket):
        idx = ", ".join(
            # sqlglot stores a literal array index 0-based; CrateDB names it as written
            str(int(i.this) + CrateDB.INDEX_OFFSET)
            if isinstance(i, exp.Literal) and not i.is_string and i.this.isdigit()
            else _format_name(i) for i in e.expressions)
        return f"{_format_name(e.this)}[{idx}]"
    if isinstance(e, exp.Literal):
        if e.is_string:
            return "'" + e.this.replace("'", "''") + "'"
        text = e.this
        if any(c in text for c in ".eE"):
            try:
                return repr(float(text)).replace("inf", "Infinity")
            except ValueError:
                return text
        return text
    if isinstance(e, exp.Null):
        return "NULL"
    if isinstance(e, exp.Array):
        return "[" + ", ".join(_format_name(x) for x in e.expressions) + "]"
    if isinstance(e, (exp.Unnest, exp.Explode)):
        return "unnest"  # a table function in the select list (table-functions.rst)
    if isinstance(e, exp.Boolean):
        return "true" if e.this else "false"
    if isinstance(e, exp.Neg):
        inner = e.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return "-" + _format_name(inner)
        return "- " + _format_name(inner)
    if isinstance(e, exp.Parameter):
        return f"${e.name}"
    if isinstance(e, exp.Cast):
        to = e.to.sql("postgres").lower()
        try:
            to = parse_type_name(to).name.replace("_array", "[]")
        except TypeNameError:
            pass
        return f"CAST({_format_name(e.this)} AS {to})"
    for cls, op in _BINARY_NAMES.items():
        if type(e) is cls:
            return f"({_format_name(e.this)} {op} {_format_name(e.expression)})"
    if isinstance(e, exp.Not):
        return f"(NOT {_format_name(e.this)})"
    if isinstance(e, exp.Count):
        arg = e.this
        if arg is None or isinstance(arg, exp.Star):
            return "count(*)"
        if isinstance(arg, exp.Distinct):
            return f"count(DISTINCT {', '.join(_format_name(x) for x in arg.expressions)})"
        return f"count({_format_name(arg)})"
    if isinstance(e, exp.Anonymous):
        return f"{e.name.lower()}({', '.join(_format_name(a) for a in e.expressions)})"
    if isinstance(e, exp.Array):
        return f"[{', '.join(_format_name(x) for x in e.expressions)}]"
    if isinstance(e, exp.Dot) and isinstance(e.expression, exp.Anonymous):
        return f"{e.this.name}.{_format_name(e.expression)}"  # schema.function(...)
    if isinstance(e, (exp.TimestampTrunc, exp.DateTrunc)) and e.args.get("unit") is not None:
        # date_trunc('day', [zone,] ts): sqlglot keeps the unit apart, as a word
        unit = "'" + e.args["unit"].name.lower() + "'"
        rest = [a for a in (e.this, e.args.get("zone")) if a is not None]
        return f"date_trunc({', '.join([unit, *map(_format_name, rest)])})"
    if isinstance(e, exp.Func):
        # the name as written (kept by the dialect), e.g. substr for sqlglot's Substring
        text = e.sql("postgres")
        name = (e.meta.get(CrateDB.ORIGINAL_NAME_META_KEY) or text.split("(", 1)[0].strip()
                or e.sql_name()).lower()
        args = _arguments_in_order(e)
        # no arguments: written as a keyword (current_user) or not known as written
        return f"{name}({', '.join(map(_format_name, args))})" if args else name
    return e.sql("postgres")


def _arguments_in_order(e: exp.Func) -> list[exp.Expression] | None:
    """The arguments of a function call as written (``this``, then ``expressions``), or
    None for a function whose other arguments sqlglot keeps apart and may reorder."""
    out: list[exp.Expression] = []
    if isinstance(e, exp.Substring):  # substr(text, start [, length])
        return [a for a in (e.this, e.args.get("start"), e.args.get("length")) if a is not None]
    if isinstance(e, exp.ArraySize):  # array_length(array, dimension)
        return [a for a in (e.this, e.args.get("expression")) if a is not None]
    for key in e.arg_types:
        value = e.args.get(key)
        if value is None or isinstance(value, bool):
            continue
        if key == "this":
            out.append(value)
        elif key == "expressions":
            out.extend(value)
        else:
            return None
    return out


class Translator:
    """Rewrites one parsed statement for one session (``schema``, ``user``)."""

    def __init__(self, catalog: Catalog, schema: str, user: str, version: str, *,
                 search: bool = False):
        self.catalog = catalog
        self.schema = schema
        self.user = user
        self.version = version
        self.search = search  # strict refresh mode: searches read the search copies
        self.hints: dict[int, CrateType] = {}
        self.sources: dict[str, Relation] = {}  # alias or name -> relation
        self.relations: list[Relation] = []
        self.live: set[tuple[str, str]] = set()

    # --- entry point -------------------------------------------------------------------
    def prepare(self, tree: exp.Expression, nparams: int) -> Prepared:
        """Rewrite ``tree`` (mutated) and return the :class:`Prepared` statement. Raises
        CrateError for unknown relations, missing parameter values, writes to system
        tables and unsupported statements."""
        kind = self._kind(tree)
        if isinstance(tree, exp.Values):
            tree = self._values_as_select(tree)
        self._fold_identifiers(tree)
        target = self._resolve_tables(tree, kind)
        searched = route_searches(self.catalog, tree, kind, target) if self.search else []
        rewrite_match(self, tree)  # before syscols: _score is BM25 under a MATCH, else 1.0
        syscols.rewrite(self.catalog, tree, target)
        top = self._top_select(tree)
        projections = self._projections(tree, top)
        self._name_outputs(projections)
        provenance = self._provenance(projections)
        functions.rewrite(self, tree)
        self._rewrite_object_key_updates(tree)
        self._typed_contexts(tree, target)
        rewrite_from_unnest(tree)
        self._rewrite_subscripts(tree)
        self._rewrite_bit_strings(tree)
        self._rewrite_functions(tree)
        sized.rewrite_casts(tree, self._cast_type)
        self._rewrite_casts(tree)
        if kind == "insert":
            self._insert_rules(tree, target)
        names = self._insert_columns(tree, target) if kind == "insert" and target else None
        sized.rewrite_writes(tree, target, names)
        sized.rewrite_character_comparisons(tree, self._column_type)
        syscols.bump_versions(tree, target)
        order, nargs = self._renumber(tree, nparams)
        lookup = (plan_lookup(tree, self.relations[0])
                  if kind == "select" and len(self.relations) == 1 else None)
        try:
            sql = tree.sql(dialect="duckdb", identify=True,
                           unsupported_level=sqlglot_errors.ErrorLevel.RAISE)
        except sqlglot_errors.UnsupportedError as exc:
            raise cerr.unsupported(str(exc).split("\n", 1)[0]) from None
        by_name: dict[str, CrateType] = {}
        if provenance is None:
            seen: dict[str, CrateType | None] = {}
            for rel in self.relations:
                for col in rel.columns:
                    seen[col.name] = col.type if col.name not in seen else None
            by_name = {k: v for k, v in seen.items() if v is not None}
        return Prepared(sql, order, dict(self.hints), provenance, by_name, kind, target, nargs,
                        live=tuple(sorted(self.live)), searched=searched, lookup=lookup)

    # --- statement shape ---------------------------------------------------------------
    @staticmethod
    def _kind(tree: exp.Expression) -> str:
        if isinstance(tree, exp.Insert):
            return "insert"
        if isinstance(tree, exp.Update):
            return "update"
        if isinstance(tree, exp.Delete):
            return "delete"
        if isinstance(tree, (exp.Query, exp.Values)):
            return "select"
        raise cerr.unsupported(f"Statement not supported: {tree.key.upper()}")

    @staticmethod
    def _values_as_select(tree: exp.Values) -> exp.Expression:
        """``VALUES (..)`` as a query whose columns CrateDB names col1, col2, ..."""
        first = tree.expressions[0] if tree.expressions else None
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        alias = exp.TableAlias(this=exp.to_identifier("_values", quoted=True), columns=[
            exp.to_identifier(f"col{i}", quoted=True) for i in range(1, width + 1)])
        tree.set("alias", alias)
        return exp.select("*").from_(tree)

    @staticmethod
    def _top_select(tree: exp.Expression) -> exp.Expression | None:
        node = tree
        while isinstance(node, exp.SetOperation):
            node = node.left
        if isinstance(node, exp.Subquery):
            node = node.unnest()
        return node if isinstance(node, exp.Select) else None

    def _projections(self, tree, top) -> list[exp.Expression] | None:
        if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
            ret = tree.args.get("returning")
            return list(ret.expressions) if ret else None
        return list(top.expressions) if top is not None else None

    # --- identifiers and tables --------------------------------------------------------
    @staticmethod
    def _fold_identifiers(tree: exp.Expression) -> None:
        for ident in tree.find_all(exp.Identifier):
            if not ident.quoted:
                ident.set("this", ident.this.lower())
            ident.set("quoted", True)

    def _resolve_tables(self, tree: exp.Expression, kind: str) -> Relation | None:
        ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
        target_node = None
        if isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
            target_node = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        target = None
        for table in list(tree.find_all(exp.Table)):
            rel = self._resolve_table(table, ctes)
            if rel is None:
                continue
            if table is target_node:
                target = rel
                if rel.system or rel.kind == "VIEW":
                    op = kind.upper()
                    raise cerr.CrateError(
                        4007, "OperationOnInaccessibleRelationException",
                        f'The relation "{rel.fqn}" doesn\'t support or allow {op} operations')
        return target

    def _resolve_table(self, table: exp.Table, ctes: set[str]) -> Relation | None:
        name_node = table.this
        if isinstance(name_node, (exp.Anonymous, exp.Func)):
            fname = (name_node.name if isinstance(name_node, exp.Anonymous)
                     else name_node.sql_name()).lower()
            if fname == "pg_get_keywords" and table.db in ("", "pg_catalog"):
                rel = self.catalog.get("pg_catalog", "pg_get_keywords")
                alias = table.args.get("alias")
                new = exp.table_(rel.name, db=rel.storage, quoted=True)
                if alias is not None:
                    new.set("alias", alias)
                table.replace(new)
                self._remember(new, rel)
                return None
            table.set("db", None)
            return None
        name, db = table.name, table.db
        if not db and name in ctes:
            return None
        written = f"{db}.{name}" if db else name
        schema = db or self.schema
        # pg_catalog comes first on CrateDB's search path unless it is listed (SearchPath)
        rel = (None if db else self.catalog.get("pg_catalog", name)) or \
            self.catalog.get(schema, name)
        if rel is None:
            if db and not self.catalog.schema_exists(schema):
                raise cerr.schema_unknown(schema)
            raise cerr.relation_unknown(written)
        table.set("catalog", None)
        table.set("db", exp.to_identifier(rel.storage, quoted=True))
        self._remember(table, rel)
        return rel

    def _remember(self, table: exp.Table, rel: Relation) -> None:
        if rel.system and (rel.schema, rel.name) in LIVE:
            self.live.add((rel.schema, rel.name))
        self.relations.append(rel)
        self.sources[table.alias_or_name] = rel
        self.sources.setdefault(rel.name, rel)

    def _column_type(self, col: exp.Column) -> CrateType | None:
        """CrateDB type of a column reference, looked up in the statement's relations."""
        if col.table:
            rel = self.sources.get(col.table)
            c = rel.column(col.name) if rel else None
            return c.type if c else None
        found = None
        for rel in self.relations:
            c = rel.column(col.name)
            if c is not None:
                if found is not None and found != c.type:
                    return None
                found = c.type
        return found

    def _is_json_column(self, col: exp.Column) -> bool:
        t = self._column_type(col)
        if t is None or t.id not in _OBJECT_IDS:
            return False
        rel = self.sources.get(col.table) if col.table else next(
            (r for r in self.relations if r.column(col.name)), None)
        return rel is not None and not rel.system

    # --- result columns ----------------------------------------------------------------
    @staticmethod
    def _name_outputs(projections) -> None:
        for e in projections or []:
            if isinstance(e, (exp.Alias, exp.Star, exp.Column)):
                continue
            e.replace(exp.alias_(e.copy(), _format_name(e), quoted=True))

    def _provenance(self, projections) -> list[CrateType | None] | None:
        if projections is None:
            return []
        out: list[CrateType | None] = []
        for e in projections:
            # projections were replaced by aliases; look the current node up again
            node = e.parent if isinstance(e.parent, exp.Alias) else e
            inner = node.this if isinstance(node, exp.Alias) else node
            if isinstance(inner, exp.Star) or (isinstance(inner, exp.Column)
                                               and isinstance(inner.this, exp.Star)):
                return None
            if isinstance(inner, exp.Parameter):
                out.append(parameter_column(int(inner.name) - 1))
            else:
                out.append(self._expr_type(inner))
        return out

    def _expr_type(self, e: exp.Expression) -> CrateType | None:
        if isinstance(e, exp.Paren):
            return self._expr_type(e.this)
        if isinstance(e, exp.Column):
            return self._column_type(e)
        if isinstance(e, exp.Bracket):
            base = e.this
            while isinstance(base, exp.Bracket):
                base = base.this
            if isinstance(base, exp.Column) and self._is_json_column(base):
                return DYNAMIC
            return None
        if isinstance(e, (exp.Cast, exp.TryCast)):
            return self._cast_type(e.to)
        return None

    # --- typed contexts: parameter hints and literal coercion ---------------------------
    def _hint(self, e: exp.Expression, t: CrateType | None) -> None:
        if t is None:
            return
        if isinstance(e, exp.Parameter):
            self.hints.setdefault(int(e.name) - 1, t)
        elif isinstance(e, (exp.Literal, exp.Neg)) and t.id in _TIME_IDS:
            lit = e.this if isinstance(e, exp.Neg) else e
            if not isinstance(lit, exp.Literal):
                return
            if lit.is_string:
                value = lit.this
            else:
                try:
                    value = float(lit.this) * (-1 if isinstance(e, exp.Neg) else 1)
                except ValueError:
                    return
            e.replace(exp.Literal.string(temporal_literal(value, t)))
        elif isinstance(e, exp.Struct) and t.id in _OBJECT_IDS:
            e.replace(exp.func("to_json", e.copy()))
        elif isinstance(e, exp.Array) and t.id == DataType.GEO_POINT:
            coords = [_number(x) for x in e.expressions]
            if len(coords) == 2 and None not in coords:
                check_geo_point(*coords)  # as CrateDB, when it casts the literal
            e.replace(exp.cast(e.copy(), exp.DataType.build("DOUBLE[2]", dialect="duckdb")))
        elif isinstance(e, exp.Literal) and e.is_string and t.id == DataType.GEO_POINT:
            if e.this.strip().upper().startswith("POINT"):
                lon, lat = wkt_point(e.this)
                e.replace(exp.cast(exp.Array(expressions=[
                    exp.Literal.number(repr(lon)), exp.Literal.number(repr(lat))]),
                    exp.DataType.build("DOUBLE[2]", dialect="duckdb")))
        elif isinstance(e, exp.Array) and t.id == DataType.ARRAY and t.inner is not None:
            for item in e.expressions:
                self._hint(item, t.inner)

    def _typed_contexts(self, tree: exp.Expression, target: Relation | None) -> None:
        if isinstance(tree, exp.Insert) and target is not None:
            names = self._insert_columns(tree, target)
            source = tree.expression
            rows = source.expressions if isinstance(source, exp.Values) else []
            for row in rows:
                values = row.expressions if isinstance(row, exp.Tuple) else [row]
                for name, value in zip(names, values):
                    col = target.column(name)
                    self._hint(value, col.type if col else None)
            for name, array in zip(names, insert_source_arrays(tree)):
                col = target.column(name)
                self._hint(array, array_of(col.type if col else None))
            conflict = tree.args.get("conflict")
            if conflict is not None:
                for eq in conflict.find_all(exp.EQ):
                    if isinstance(eq.this, exp.Column):
                        col = target.column(eq.this.name)
                        self._hint(eq.expression, col.type if col else None)
        if isinstance(tree, exp.Update) and target is not None:
            for eq in tree.expressions:
                if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                    col = target.column(eq.this.name)
                    if col is None:
                        raise cerr.column_unknown(eq.this.name)
                    if col.pk or col.name == target.clustered_by:
                        what = "primary key" if col.pk else "clustered-by column"
                        raise cerr.CrateError(4003, "ColumnValidationException",
                                              f"Validation failed for {col.name}: Updating a "
                                              f"{what} is not supported")
                    self._hint(eq.expression, col.type)
        for node in list(tree.find_all(*_COMPARISONS, exp.In, exp.Between)):
            if isinstance(node, exp.In):
                t = self._side_type(node.this)
                for item in node.expressions:
                    self._hint(item, t)
            elif isinstance(node, exp.Between):
                t = self._side_type(node.this)
                self._hint(node.args.get("low"), t)
                self._hint(node.args.get("high"), t)
            else:
                left, right = node.this, node.expression
                if isinstance(right, exp.Any):
                    t = self._side_type(left)
                    if t is not None:
                        self._hint(right.this, CrateType(DataType.ARRAY, t))
                    continue
                self._hint(right, self._side_type(left))
                self._hint(left, self._side_type(right))

    def _side_type(self, e: exp.Expression) -> CrateType | None:
        if isinstance(e, exp.Column):
            t = self._column_type(e)
            if t is not None and t.id in _OBJECT_IDS and self._is_json_column(e):
                return None
            return t
        if isinstance(e, (exp.Cast, exp.TryCast)):
            return self._cast_type(e.to)
        if isinstance(e, exp.CurrentTimestamp):
            return CrateType(DataType.TIMESTAMP_WITH_TZ)
        if isinstance(e, exp.CurrentDate):
            return CrateType(DataType.DATE)
        return None

    def _insert_columns(self, tree: exp.Insert, target: Relation) -> list[str]:
        if isinstance(tree.this, exp.Schema) and tree.this.expressions:
            names = [i.name for i in tree.this.expressions]
            for n in names:
                if target.column(n) is None:
                    raise cerr.column_unknown(n)
            return names
        return [c.name for c in target.columns]

    def _insert_rules(self, tree: exp.Insert, target: Relation | None) -> None:
        if target is None:
            return
        names = set(self._insert_columns(tree, target))
        for col in target.columns:
            if col.not_null and col.name not in names and col.default is None:
                raise cerr.parse_error(f"Cannot insert null value for column '{col.name}'")
        source = tree.expression
        many = not isinstance(source, exp.Values) or len(source.expressions) > 1
        if many and target.pk and tree.args.get("conflict") is None:
            # CrateDB skips failing rows of multi-row inserts silently (cratedb.md 5.2)
            tree.set("conflict", exp.OnConflict(action=exp.var("DO NOTHING")))

    # --- expression rewrites -----------------------------------------------------------
    def _object_keys(self, node: exp.Expression) -> tuple[list[str], exp.Column | None]:
        """``obj['a']['b']`` on a user OBJECT column -> (["b", "a"], obj): the string keys
        from the last subscript to the first, and the column; ([], None) for anything else
        (array indexes, system columns, a key that is not a string literal)."""
        keys, base = [], node
        while isinstance(base, exp.Bracket):
            idx = base.expressions
            if len(idx) != 1 or not (isinstance(idx[0], exp.Literal) and idx[0].is_string):
                break
            keys.append(idx[0].this)
            base = base.this
        if not isinstance(base, exp.Column) or not keys or not self._is_json_column(base):
            return [], None
        return keys, base

    def _rewrite_object_key_updates(self, tree: exp.Expression) -> None:
        """``UPDATE t SET obj['k']['j'] = v``: merge ``{"k": {"j": v}}`` into the OBJECT
        column (stored as JSON), as CrateDB sets that key and keeps the others; several
        keys of one column are merged in order into one assignment."""
        if not isinstance(tree, exp.Update):
            return
        merged: dict[str, exp.EQ] = {}
        for eq in list(tree.expressions):
            if not isinstance(eq, exp.EQ) or not isinstance(eq.this, exp.Bracket):
                continue
            keys, base = self._object_keys(eq.this)  # from the last subscript to the first
            if base is None:
                continue
            patch = eq.expression.copy()
            for key in keys:
                patch = exp.func("json_object", exp.Literal.string(key), patch)
            first = merged.get(base.name)
            if first is not None:  # another key of the same column: merge it in too
                first.set("expression",
                          exp.func("json_merge_patch", first.expression.copy(), patch))
                eq.pop()
                continue
            current = exp.func("coalesce", base.copy(), exp.Literal.string("{}"))
            eq.set("this", base.copy())
            eq.set("expression", exp.func("json_merge_patch", current, patch))
            merged[base.name] = eq

    @staticmethod
    def _rewrite_bit_strings(tree: exp.Expression) -> None:
        """``B'0101'``: BIT(n) values are kept as their text of 0s and 1s (coltypes), so
        the literal is that text, not the number sqlglot would print (5)."""
        for node in list(tree.find_all(exp.BitString)):
            node.replace(exp.Literal.string(node.this))

    def _rewrite_subscripts(self, tree: exp.Expression) -> None:
        for node in list(tree.find_all(exp.Bracket)):
            if node.parent is None and node is not tree:
                continue  # already replaced as part of an outer chain
            if isinstance(node.parent, exp.Bracket) and node.parent.this is node:
                continue  # handled by the outermost subscript
            keys, base = self._object_keys(node)
            if base is None:
                continue
            path = "$" + "".join('."' + k.replace('"', '\\"') + '"' for k in reversed(keys))
            func = "json_extract"
            parent = node.parent
            if isinstance(parent, (*_COMPARISONS, exp.In, exp.Like, exp.ILike)):
                func = "json_extract_string"
            new = exp.func(func, base.copy(), exp.Literal.string(path))
            if func == "json_extract_string" and isinstance(parent, _COMPARISONS):
                other = parent.expression if parent.this is node else parent.this
                if isinstance(other, (exp.Literal, exp.Neg)) and not (
                        isinstance(other, exp.Literal) and other.is_string):
                    new = exp.TryCast(this=new, to=exp.DataType.build("DOUBLE"))
                elif isinstance(other, exp.Boolean):
                    new = exp.TryCast(this=new, to=exp.DataType.build("BOOLEAN"))
            node.replace(new)

    def _rewrite_functions(self, tree: exp.Expression) -> None:
        for node in list(tree.find_all(exp.CurrentUser, exp.SessionUser, exp.CurrentSchema,
                                       exp.CurrentDatabase, exp.CurrentVersion,
                                       exp.CurrentCatalog)):
            if isinstance(node, (exp.CurrentUser, exp.SessionUser)):
                node.replace(exp.Literal.string(self.user))
            elif isinstance(node, exp.CurrentSchema):
                node.replace(exp.Literal.string(self.schema))
            elif isinstance(node, exp.CurrentVersion):
                node.replace(exp.Literal.string(
                    f"CrateDB {self.version} (built mock, Linux x86_64, "
                    "OpenJDK 64-Bit Server VM)"))
            else:
                node.replace(exp.Literal.string("crate"))
        for node in list(tree.find_all(exp.Format)):
            # CrateDB's format() takes Java/printf patterns (%s, %.2f): DuckDB's printf
            node.replace(exp.Anonymous(this="printf", expressions=[
                node.this, *node.expressions]))
        for node in list(tree.find_all(exp.Like, exp.ILike)):
            # CrateDB's LIKE escapes with a backslash unless ESCAPE says otherwise; DuckDB's
            # has no escape character by default
            if not isinstance(node.parent, exp.Escape) and \
                    not isinstance(node.expression, (exp.Any, exp.All)):
                node.replace(exp.Escape(this=node.copy(), expression=exp.Literal.string("\\")))
        for node in list(tree.find_all(exp.Substring)):
            # CrateDB clamps a start below 1 to 1 (SubstrFunction); DuckDB counts a
            # negative start from the end and a start of 0 as before the first character
            start = node.args.get("start")
            if start is not None:
                node.set("start", exp.func("greatest", start.copy(), exp.Literal.number(1)))
        for node in list(tree.find_all(exp.Anonymous)):
            name = node.name.lower()
            if name == "percentile":
                node.replace(exp.func("quantile_cont", *node.expressions))
            elif name == "gen_random_text_uuid":
                node.replace(exp.cast(exp.func("uuid"), "VARCHAR"))
        for node in list(tree.find_all(exp.Literal)):
            if not node.is_string and any(c in node.this for c in ".eE"):
                if node.find_ancestor(exp.DataType) is not None:
                    continue
                node.replace(exp.cast(node.copy(), "DOUBLE"))
        for node in list(tree.find_all(exp.Div)):
            left, right = node.this, node.expression
            if isinstance(right, exp.Literal) and not right.is_string and \
                    right.this.strip("0.") != "":
                continue  # a non-zero literal divisor cannot fail
            check = exp.EQ(this=right.copy(), expression=exp.Literal.number(0))
            if self._is_floating(left) or self._is_floating(right):
                on_zero = self._ieee_division_by_zero(left, right)
            else:  # integer division: Java's ArithmeticException, "/ by zero"
                on_zero = exp.func("error", exp.Literal.string("/ by zero"))
            node.replace(exp.Case(ifs=[exp.If(this=check, true=on_zero)],
                                  default=exp.Div(this=left.copy(), expression=right.copy())))

    @staticmethod
    def _ieee_division_by_zero(left: exp.Expression, right: exp.Expression) -> exp.Expression:
        """IEEE 754, as CrateDB's doubles: x/0 is +-Infinity by the signs of x and of the
        zero (``1.0 / -0.0`` is -Infinity), 0/0 and NaN/0 are NaN."""
        zero = exp.Literal.number(0)
        negative_zero = exp.func("signbit", exp.cast(right.copy(), "DOUBLE"))
        above = exp.GT(this=left.copy(), expression=zero.copy())
        below = exp.LT(this=left.copy(), expression=zero.copy())

        def either(a, b):
            return exp.or_(exp.and_(a.copy(), exp.not_(negative_zero.copy())),
                           exp.and_(b.copy(), negative_zero.copy()))

        return exp.Case(ifs=[
            exp.If(this=either(above, below),
                   true=exp.cast(exp.Literal.string("Infinity"), "DOUBLE")),
            exp.If(this=either(below, above),
                   true=exp.cast(exp.Literal.string("-Infinity"), "DOUBLE")),
        ], default=exp.cast(exp.Literal.string("NaN"), "DOUBLE"))

    def _is_floating(self, e: exp.Expression) -> bool:
        """Whether ``e`` is known at translation time to be REAL or DOUBLE PRECISION."""
        if isinstance(e, (exp.Paren, exp.Neg)):
            return self._is_floating(e.this)
        if isinstance(e, (exp.Add, exp.Sub, exp.Mul, exp.Div)):
            return self._is_floating(e.this) or self._is_floating(e.expression)
        if isinstance(e, (exp.Cast, exp.TryCast)):
            return e.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)
        if isinstance(e, exp.Column):
            t = self._expr_type(e)
            return t is not None and t.id in (DataType.DOUBLE, DataType.REAL)
        return False

    def _cast_type(self, to: exp.DataType) -> CrateType | None:
        if to.this == exp.DataType.Type.USERDEFINED:
            text = to.args.get("kind").name if to.args.get("kind") else to.sql("postgres")
        else:
            text = to.sql("postgres")
        try:
            return parse_type_name(text)
        except TypeNameError:
            return None

    def _rewrite_casts(self, tree: exp.Expression) -> None:
        for node in list(tree.find_all(exp.Cast, exp.TryCast)):
            t = self._cast_type(node.to)
            if t is None:
                if node.to.this == exp.DataType.Type.USERDEFINED:
                    raise cerr.parse_error(f"Cannot find data type: {node.to.sql('postgres')}")
                continue
            node.set("to", exp.DataType.build(t.duck, dialect="duckdb"))
            value = node.this
            if t.id in _TIME_IDS and isinstance(value, exp.Literal) and not value.is_string:
                self._hint(value, t)
            elif t.id in _TIME_IDS and isinstance(value, exp.Parameter):
                self._hint(value, t)
            elif t.id == DataType.GEO_POINT and isinstance(value, (exp.Array, exp.Literal,
                                                                   exp.Parameter)):
                self._hint(value, t)  # WKT text and off-globe points, as in a column

    # --- parameters --------------------------------------------------------------------
    def _renumber(self, tree: exp.Expression, nparams: int) -> tuple[list[int], int]:
        params = list(tree.find_all(exp.Parameter))
        used = sorted({int(p.name) for p in params})
        if used and used[0] < 1:
            raise cerr.parse_error(f"Invalid parameter placeholder ${used[0]}: the first "
                                   "parameter is $1")
        if used and used[-1] > nparams:
            missing = next(i for i in used if i > nparams)
            raise cerr.parse_error(
                f"The query contains a parameter placeholder ${missing}, but there are only "
                f"{nparams} parameter values")
        new_index = {old: new for new, old in enumerate(used, 1)}
        for p in params:
            p.set("this", exp.Literal.number(new_index[int(p.name)]))
        return [i - 1 for i in used], (used[-1] if used else 0)
