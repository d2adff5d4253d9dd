"""DuckDB macros behind CrateDB functions the engine lacks (schema ``_crate_fn``).

CrateDB refuses schema names that start with ``_``, so no client can reach or shadow them.
The macros are pure functions of their arguments, created once at start-up and shared by
every session (DuckDB macros are immutable catalog entries).

- ``ft_*``: the fulltext emulation of :mod:`fulltext` (analyzers, MATCH, Lucene's BM25).
- ``geo_*``: ``distance`` and ``within`` (:mod:`geo`).
- ``date_format(format, local_ts)``: CrateDB's MySQL-style ``date_format`` (crate/crate
  ``TimestampFormatter``, ``DateFormatFunction``) on a timestamp already moved to the
  requested time zone; :func:`rewrite` turns ``date_format([format,] [tz,] ts)`` calls
  into it.
"""

from __future__ import annotations

from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType

__all__ = ["FN_SCHEMA", "install", "rewrite", "DEFAULT_DATE_FORMAT"]

#: DateFormatFunction.DEFAULT_FORMAT
DEFAULT_DATE_FORMAT = "%Y-%m-%dT%H:%i:%s.%fZ"

FN_SCHEMA = "_crate_fn"

# Lucene's StandardTokenizer (UAX #29 word breaks), close enough for Latin text: runs of
# letters, digits and "_", kept together across "'" and "." between them ("don't", "3.14").
_STANDARD = r"[\p{L}\p{N}_]+(?:['.][\p{L}\p{N}_]+)*"

# One CASE branch per TimestampFormatter part; weeks as java.util.Calendar counts them
# (%U/%V/%X: weeks from Sunday, 7 days in the first week; %u/%v/%x: ISO 8601 weeks, %u being
# 00 before the first ISO week and the week count of the next ISO year after the last one).
_U = "strftime(lt, '%U')"
_PARTS = {
    "%a": "strftime(lt, '%a')", "%b": "strftime(lt, '%b')", "%c": "month(lt)::VARCHAR",
    "%D": "day(lt)::VARCHAR || CASE WHEN day(lt) BETWEEN 11 AND 13 THEN 'th' "
          "WHEN day(lt) % 10 = 1 THEN 'st' WHEN day(lt) % 10 = 2 THEN 'nd' "
          "WHEN day(lt) % 10 = 3 THEN 'rd' ELSE 'th' END",
    "%d": "strftime(lt, '%d')", "%e": "day(lt)::VARCHAR",
    "%f": "lpad(((millisecond(lt) % 1000) * 1000)::VARCHAR, 6, '0')",
    "%H": "strftime(lt, '%H')", "%h": "strftime(lt, '%I')", "%I": "strftime(lt, '%I')",
    "%i": "strftime(lt, '%M')", "%j": "strftime(lt, '%j')", "%k": "hour(lt)::VARCHAR",
    "%l": "((hour(lt) + 11) % 12 + 1)::VARCHAR", "%M": "monthname(lt)",
    "%m": "strftime(lt, '%m')", "%p": "CASE WHEN hour(lt) < 12 THEN 'AM' ELSE 'PM' END",
    "%r": "strftime(lt, '%I:%M:%S ') || CASE WHEN hour(lt) < 12 THEN 'AM' ELSE 'PM' END",
    "%S": "strftime(lt, '%S')", "%s": "strftime(lt, '%S')", "%T": "strftime(lt, '%H:%M:%S')",
    "%U": _U,
    "%u": "CASE WHEN isoyear(lt) < year(lt) THEN '00' WHEN isoyear(lt) > year(lt) "
          "THEN lpad(week(make_date(isoyear(lt), 12, 28))::VARCHAR, 2, '0') "
          "ELSE lpad(week(lt)::VARCHAR, 2, '0') END",
    "%V": f"CASE WHEN {_U} = '00' THEN strftime(make_date(year(lt) - 1, 12, 31), '%U') "
          f"ELSE {_U} END",
    "%v": "lpad(week(lt)::VARCHAR, 2, '0')",
    "%W": "dayname(lt)", "%w": "dayofweek(lt)::VARCHAR",
    "%X": f"lpad((year(lt) - CASE WHEN {_U} = '00' THEN 1 ELSE 0 END)::VARCHAR, 4, '0')",
    "%x": "lpad(isoyear(lt)::VARCHAR, 4, '0')",
    "%Y": "year(lt)::VARCHAR", "%y": "(year(lt) % 100)::VARCHAR",
    "%%": "'%'", "%": "''",
}


def _date_format_body() -> str:
    cases = " ".join(f"WHEN p = '{k}' THEN {v}" for k, v in _PARTS.items())
    return (f"array_to_string(list_transform(regexp_extract_all(fmt, '(?s)%.|%$|[^%]+'), "
            f"lambda p: CASE {cases} WHEN p[1] = '%' THEN p[2:] ELSE p END), '')")


_MACROS = {
    "date_format(fmt, lt)": _date_format_body(),
    "ft_tokens_standard(x)":
        f"CASE WHEN x IS NULL THEN []::VARCHAR[] "
        f"ELSE regexp_extract_all(lower(x::VARCHAR), '{_STANDARD.replace(chr(39), 2 * chr(39))}')"
        " END",
    "ft_tokens_simple(x)":
        "CASE WHEN x IS NULL THEN []::VARCHAR[] "
        r"ELSE regexp_extract_all(lower(x::VARCHAR), '\p{L}+') END",
    "ft_tokens_whitespace(x)":
        r"CASE WHEN x IS NULL THEN []::VARCHAR[] ELSE regexp_extract_all(x::VARCHAR, '\S+') END",
    "ft_tokens_keyword(x)": "CASE WHEN x IS NULL THEN []::VARCHAR[] ELSE [x::VARCHAR] END",
    **{f"ft_tokens_{a}_array(a)":
       f"flatten(list_transform(coalesce(a, []), lambda e: {FN_SCHEMA}.ft_tokens_{a}(e)))"
       for a in ("standard", "simple", "whitespace", "keyword")},
    "ft_match(doc, qt, op_and, msm)":
        "CASE WHEN len(qt) = 0 THEN false "
        "WHEN op_and THEN len(list_filter(qt, lambda q: NOT list_contains(doc, q))) = 0 "
        "ELSE len(list_filter(qt, lambda q: list_contains(doc, q))) >= msm END",
    "ft_phrase(doc, qt)":
        "len(qt) > 0 AND contains(chr(31) || array_to_string(doc, chr(31)) || chr(31), "
        "chr(31) || array_to_string(qt, chr(31)) || chr(31))",
    "ft_stats(docs, qt)":
        "{'n': len(list_filter(docs, lambda d: len(d) > 0)), "
        "'sumlen': coalesce(list_sum(list_transform(docs, lambda d: len(d))), 0), "
        "'df': map_from_entries(list_transform(list_distinct(qt), lambda q: "
        "{'key': q, 'value': len(list_filter(docs, lambda d: list_contains(d, q)))}))}",
    # Lucene's SmallFloat.intToByte4/byte4ToInt: lengths from 32 on keep 4 significant bits
    "ft_norm(dl)":
        "CASE WHEN dl < 32 THEN dl ELSE 24 + (((dl - 24) >> (floor(log2(dl - 24))::INTEGER - 3))"
        " << (floor(log2(dl - 24))::INTEGER - 3)) END",
    # BM25Similarity: weight = boost * idf; score = weight - weight / (1 + tf * normInverse)
    "ft_term(tf, dl, n, sumlen, df, boost)":
        "boost * ln(1.0 + (n - df + 0.5) / (df + 0.5)) * (1.0 - 1.0 / (1.0 + tf::DOUBLE / "
        f"(1.2 * (0.25 + 0.75 * {FN_SCHEMA}.ft_norm(dl) / (sumlen::DOUBLE / n)))))",
    "ft_bm25(doc, qt, stats, boost)":
        "coalesce(list_sum(list_transform(qt, lambda q: CASE WHEN list_contains(doc, q) THEN "
        f"{FN_SCHEMA}.ft_term(len(list_filter(doc, lambda d: d = q)), len(doc), stats.n, "
        "stats.sumlen, stats.df[q], boost) ELSE 0 END)), 0)",
}


def install(session) -> None:
    """Create the ``_crate_fn`` macros on an engine session (idempotent)."""
    from dbapi_conformance.mockservers.cratedb import geo

    session.execute(f"CREATE SCHEMA IF NOT EXISTS {FN_SCHEMA}")
    for signature, body in {**_MACROS, **geo.MACROS}.items():
        session.execute(f"CREATE OR REPLACE MACRO {FN_SCHEMA}.{signature} AS {body}")


_INTEGERS = (DataType.BIGINT, DataType.INTEGER, DataType.SMALLINT, DataType.CHAR)
_TSZ = CrateType(DataType.TIMESTAMP_WITH_TZ)


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=f"{FN_SCHEMA}.{name}", expressions=list(args))


def _as_timestamptz(translator, e: exp.Expression) -> exp.Expression:
    """A date_format argument as TIMESTAMPTZ: epoch milliseconds (LONG overload),
    timestamps with or without time zone, text or parameters cast like CrateDB does."""
    t = translator._expr_type(e)
    if t is not None and t.id in _INTEGERS:
        return exp.cast(exp.func("epoch_ms", e.copy()), "TIMESTAMPTZ")
    translator._hint(e, _TSZ)
    return exp.cast(e, "TIMESTAMPTZ")


def rewrite(translator, tree: exp.Expression) -> None:
    """CrateDB scalar functions the engine lacks, as macro calls (see the module doc)."""
    from dbapi_conformance.mockservers.cratedb import geo, udf

    udf.rewrite_calls(translator, tree, translator.catalog.udfs)
    geo.rewrite(translator, tree)
    for node in list(tree.find_all(exp.TimestampTrunc)):
        zone = node.args.get("zone")
        if zone is not None:
            # date_trunc(unit, zone, ts): sqlglot reads the zone as the value and the
            # value as the zone; truncate the wall-clock time of that zone
            unit = exp.Literal.string(node.args["unit"].name.lower())
            ts = _as_timestamptz(translator, zone.copy())
            local = exp.func("timezone", node.this.copy(), ts)
            node.replace(exp.func("timezone", node.this.copy(),
                                  exp.func("date_trunc", unit, local)))
    for node in list(tree.find_all(exp.Anonymous)):
        if node.name.lower() == "date_format":
            args = list(node.expressions)
            if not 1 <= len(args) <= 3:
                raise cerr.CrateError(4004, "UnsupportedFunctionException",
                                      f"Unknown function: date_format({len(args)} arguments)")
            fmt = args[0].copy() if len(args) > 1 else exp.Literal.string(DEFAULT_DATE_FORMAT)
            zone = args[1].copy() if len(args) == 3 else exp.Literal.string("UTC")
            ts = _as_timestamptz(translator, args[-1].copy())
            node.replace(_fn("date_format", exp.cast(fmt, "VARCHAR"),
                             exp.func("timezone", zone, ts)))
