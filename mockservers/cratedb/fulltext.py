"""CrateDB's MATCH predicate and ``_score``, emulated over the stored text.

What CrateDB does (crate/crate ``docs/general/dql/fulltext.rst``, ``ExpressionAnalyzer
.visitMatchPredicate``, ``MatchPredicate``, ``MatchQuery``):

- MATCH is allowed in WHERE only (``match predicate cannot be selected``, 4004), on user
  tables only (``Cannot use MATCH on system tables``, 4004), on text columns
  (``Can only use MATCH on columns of type STRING or GEO_SHAPE, not on 'integer'``, 4000);
  a NULL term is ``cannot use NULL as query term in match predicate`` (4000).
- The term is analysed with the analyzer of the column's index and the row matches when one
  of its tokens is in the column's tokens (``operator = 'and'``: all of them;
  ``minimum_should_match``: that many). A column with the default (plain) index is
  analysed as one keyword, so MATCH there is ``=``; ``INDEX OFF`` has no terms: no match.
- ``_score`` is Lucene's BM25 (k1 = 1.2, b = 0.75, lengths in Lucene's one-byte norm
  encoding); a term's scores add up (a BooleanQuery of SHOULD term queries); several
  columns take the best one (``best_fields``, plus ``tie_breaker`` times the others) or
  the sum (``most_fields``).

What the mock does differently (and says so rather than answer wrongly): statistics are
those of the whole table as if it had one shard (CrateDB scores per shard); only the
``standard`` (default), ``simple``, ``whitespace`` and ``keyword`` analyzers are
tokenised (others, with stemming or stop words, are refused); only the match types
``best_fields``, ``most_fields`` and ``phrase`` (slop 0) and no ``fuzziness``; GEO_SHAPE
matches are refused. A refusal is an UnsupportedFeatureException (4004) naming what is
missing. ``_score`` sums the MATCH predicates of the WHERE clause; other conditions add
nothing (in Lucene a non-fulltext clause may add a constant).

The SQL uses the macros of :mod:`functions` (schema ``_crate_fn``).
"""

from __future__ import annotations

from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb.catalog import Relation
from dbapi_conformance.mockservers.cratedb.dialect import MatchPredicate
from dbapi_conformance.mockservers.cratedb.functions import FN_SCHEMA

__all__ = ["rewrite_match"]

_ANALYZERS = {None: "standard", "standard": "standard", "default": "standard",
              "simple": "simple", "whitespace": "whitespace", "keyword": "keyword"}
_TYPES = {"best_fields", "most_fields", "cross_fields", "phrase", "phrase_prefix"}
_EMULATED_TYPES = {"best_fields", "most_fields", "phrase"}
_OPTIONS = {"analyzer", "boost", "cutoff_frequency", "fuzziness", "fuzzy_rewrite",
            "max_expansions", "minimum_should_match", "operator", "prefix_length",
            "rewrite", "slop", "tie_breaker", "zero_terms_query"}


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=f"{FN_SCHEMA}.{name}", expressions=list(args))


def _literal_value(e: exp.Expression):
    if isinstance(e, exp.Literal):
        return e.this if e.is_string else float(e.this)
    if isinstance(e, exp.Boolean):
        return e.this
    if isinstance(e, exp.Column):  # operator = and
        return e.name
    if isinstance(e, exp.Null):
        return None
    raise cerr.unsupported("MATCH options must be literals in this server")


class _Field:
    """One searchable field of a MATCH: the columns whose tokens it holds, its analyzer,
    and the relation it belongs to."""

    def __init__(self, rel: Relation, table: str, columns: list[str], analyzer: str,
                 boost: float):
        self.rel, self.table, self.columns = rel, table, columns
        self.analyzer, self.boost = analyzer, boost

    def tokens(self, qualify: bool) -> exp.Expression:
        parts = []
        for name in self.columns:
            col = exp.column(name, table=self.table if qualify else None, quoted=True)
            t = self.rel.column(name).type
            fn = f"ft_tokens_{self.analyzer}"
            parts.append(_fn(fn + "_array" if t.id == DataType.ARRAY else fn, col))
        out = parts[0]
        for p in parts[1:]:
            out = exp.func("list_concat", out, p)
        return out


def _field(translator, ident: exp.Expression, boost: exp.Expression) -> _Field | None:
    """The field a MATCH column names; None for an INDEX OFF column (no terms)."""
    if not isinstance(ident, exp.Column):
        raise cerr.parse_error(f"can only MATCH on columns, not on {ident.sql('postgres')}")
    rel = (translator.sources.get(ident.table) if ident.table else next(
        (r for r in translator.relations if r.column(ident.name) or r.index(ident.name)),
        None))
    if rel is None:
        raise cerr.column_unknown(ident.name)
    if rel.system:
        raise cerr.unsupported("Cannot use MATCH on system tables")
    if rel.kind != "BASE TABLE":
        raise cerr.unsupported("MATCH on views is not supported by this server")
    table = ident.table or rel.name
    weight = 1.0 if isinstance(boost, exp.Null) else float(_literal_value(boost))
    ix = rel.index(ident.name)
    col = rel.column(ident.name)
    if col is not None:
        t = col.type
        if t.id not in (DataType.TEXT, DataType.GEO_SHAPE):
            raise cerr.parse_error("Can only use MATCH on columns of type STRING or GEO_SHAPE, "
                                   f"not on '{t.name}'")
        if t.id == DataType.GEO_SHAPE:
            raise cerr.unsupported("MATCH on GEO_SHAPE columns is not supported by this server")
    if ix is None:  # the default plain index: the whole value is one term
        return _Field(rel, table, [ident.name], "keyword", weight)
    if ix.method == "off":
        return None
    analyzer = _ANALYZERS.get(ix.analyzer.lower() if ix.analyzer else None)
    if ix.method == "plain":
        analyzer = "keyword"
    if analyzer is None:
        raise cerr.unsupported(f"MATCH with the '{ix.analyzer}' analyzer is not supported by "
                               "this server (it tokenizes standard, simple, whitespace and "
                               "keyword only)")
    return _Field(rel, table, list(ix.columns), analyzer, weight)


def _bm25(field: _Field, doc: exp.Expression, query: exp.Expression,
          weight: exp.Expression) -> exp.Expression:
    """A (correlated) scalar subquery: the BM25 score of the row's ``doc`` tokens, with
    the statistics of ``field`` over the whole table (DuckDB refuses subqueries inside
    lambdas, so the statistics are a column of the subquery's FROM)."""
    table = exp.table_(field.rel.name, db=field.rel.storage, quoted=True)
    docs = exp.select(exp.alias_(field.tokens(False), "d", quoted=True)).from_(table)
    stats = exp.select(exp.alias_(
        _fn("ft_stats", exp.func("list", exp.column("d", quoted=True)), query.copy()),
        "st", quoted=True)).from_(docs.subquery("_ft_docs", copy=False))
    score = exp.select(_fn("ft_bm25", doc, query.copy(), exp.column("st", quoted=True),
                           weight)).from_(stats.subquery("_ft_stats", copy=False))
    return exp.Subquery(this=score)


def rewrite_match(translator, tree: exp.Expression) -> None:
    """Replace every MATCH predicate in ``tree`` by its boolean SQL and every ``_score``
    reference by the BM25 sum of those predicates; raise CrateDB's errors (module doc)."""
    matches = list(tree.find_all(MatchPredicate))
    if not matches:
        return
    scores = []
    for m in matches:
        if not isinstance(m.find_ancestor(exp.Where, exp.Select, exp.Order, exp.Group,
                                          exp.Having, exp.Join), exp.Where):
            raise cerr.unsupported("match predicate cannot be selected")
        condition, score = _predicate(translator, m)
        negated = any(isinstance(a, exp.Not) for a in _ancestors(m, exp.Where))
        if not negated:
            scores.append(score)
        m.replace(exp.paren(condition))
    total = scores[0] if scores else exp.Literal.number(0)
    for s in scores[1:]:
        total = exp.Add(this=total, expression=s)
    total = exp.cast(total, "FLOAT")
    for col in list(tree.find_all(exp.Column)):
        if col.name == "_score" and not col.table:
            if isinstance(col.parent, exp.Select):
                col.replace(exp.alias_(total.copy(), "_score", quoted=True))
            else:
                col.replace(exp.paren(total.copy()))


def _ancestors(node: exp.Expression, stop):
    p = node.parent
    while p is not None and not isinstance(p, stop):
        yield p
        p = p.parent


def _predicate(translator, m: MatchPredicate) -> tuple[exp.Expression, exp.Expression]:
    term = m.this
    if isinstance(term, exp.Null):
        raise cerr.parse_error("cannot use NULL as query term in match predicate")
    match_type = m.args.get("match_type")
    match_type = match_type.name.lower() if match_type is not None else "best_fields"
    if match_type not in _TYPES:
        raise cerr.parse_error(f"invalid MATCH type '{match_type}' for type 'text'")
    options = {}
    for opt in m.args.get("options") or []:
        if not isinstance(opt, exp.EQ):
            raise cerr.parse_error("invalid MATCH option")
        key = opt.this.name.lower()
        if key not in _OPTIONS:
            raise cerr.parse_error(f"unknown match option '{key}'")
        options[key] = _literal_value(opt.expression)
    if match_type not in _EMULATED_TYPES:
        raise cerr.unsupported(f"MATCH type '{match_type}' is not supported by this server")
    for key in ("fuzziness", "cutoff_frequency"):
        if options.get(key) is not None:
            raise cerr.unsupported(f"MATCH option '{key}' is not supported by this server")
    if match_type == "phrase" and float(options.get("slop") or 0) != 0:
        raise cerr.unsupported("MATCH phrase with slop is not supported by this server")
    op_and = str(options.get("operator") or "or").lower() == "and"
    msm = int(float(options.get("minimum_should_match") or 1))
    boost = float(options.get("boost") if options.get("boost") is not None else 1.0)
    tie = float(options.get("tie_breaker") or 0.0)

    fields = [_field(translator, c, b) for c, b in zip(m.expressions, m.args["boosts"])]
    live = [f for f in fields if f is not None]
    if not live:
        return exp.false(), exp.Literal.number(0)
    conditions, scores = [], []
    for f in live:
        query = _fn(f"ft_tokens_{f.analyzer}", term.copy())
        doc = f.tokens(True)
        if match_type == "phrase":
            cond = _fn("ft_phrase", doc.copy(), query.copy())
        else:
            cond = _fn("ft_match", doc.copy(), query.copy(), exp.Boolean(this=op_and),
                       exp.Literal.number(msm))
        conditions.append(cond)
        weight = exp.Literal.number(repr(boost * f.boost))
        bm25 = _bm25(f, doc.copy(), query, weight)
        scores.append(exp.Case(ifs=[exp.If(this=cond.copy(), true=bm25)],
                               default=exp.Literal.number(0)))
    condition = conditions[0]
    for c in conditions[1:]:
        condition = exp.or_(condition, c)
    if len(scores) == 1:
        score = scores[0]
    elif match_type == "most_fields":
        score = scores[0]
        for s in scores[1:]:
            score = exp.Add(this=score, expression=s)
    else:  # best_fields: the best field, plus tie_breaker times the others
        best = exp.func("greatest", *scores)
        total = scores[0]
        for s in scores[1:]:
            total = exp.Add(this=total, expression=s)
        score = exp.Add(this=best, expression=exp.Mul(
            this=exp.Literal.number(repr(tie)),
            expression=exp.paren(exp.Sub(this=total, expression=best.copy()))))
    return condition, score
