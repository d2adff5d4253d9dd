"""DuckDB macros behind CrateDB functions the engine lacks (schema ``_crate_fn``).

CrateDB refuses schema names that start with ``_``, so no client can reach or shadow them.
The macros are pure functions of their arguments, created once at start-up and shared by
every session (DuckDB macros are immutable catalog entries).

- ``ft_*``: the fulltext emulation of :mod:`fulltext` (analyzers, MATCH, Lucene's BM25).
"""

from __future__ import annotations

__all__ = ["FN_SCHEMA", "install"]

FN_SCHEMA = "_crate_fn"

# Lucene's StandardTokenizer (UAX #29 word breaks), close enough for Latin text: runs of
# letters, digits and "_", kept together across "'" and "." between them ("don't", "3.14").
_STANDARD = r"[\p{L}\p{N}_]+(?:['.][\p{L}\p{N}_]+)*"

_MACROS = {
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
    session.execute(f"CREATE SCHEMA IF NOT EXISTS {FN_SCHEMA}")
    for signature, body in _MACROS.items():
        session.execute(f"CREATE OR REPLACE MACRO {FN_SCHEMA}.{signature} AS {body}")
