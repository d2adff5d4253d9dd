"""CrateDB's geo functions ``distance`` and ``within`` on the mock.

GEO_POINT values are ``[lon, lat]`` (DuckDB ``DOUBLE[2]``); a point may also be written as
WKT ``'POINT (lon lat)'`` or bound as a parameter in either form (cratedb.md 4.1).

- ``distance(p1, p2)``: meters on a sphere by the haversine formula, with the earth radius
  Lucene uses (6371008.7714 m; crate/crate ``DistanceFunction`` -> ``GeoUtils.arcDistance``
  -> Lucene ``SloppyMath.haversinMeters``). Lucene computes cos and asin with table-based
  approximations, so the last digits of a distance may differ from CrateDB's (relative
  differences near 1e-11); the docs' example, 152354.3209044634, comes out exactly.
- ``within(point, shape)``: whether the point lies in a polygon or multipolygon, given as
  WKT text (``'POLYGON ((...), (...))'``), a GeoJSON object literal
  (``{type = 'Polygon', coordinates = [...]}``), a parameter holding either, or a GEO_SHAPE
  column. Points on the boundary count as within (spatial4j relates a point that
  intersects a shape as within it); points inside a hole do not. The test is planar on
  ``[lon, lat]``, as JTS computes it for shapes that do not cross the dateline. A shape
  that is not a (multi)polygon, or a GEO_SHAPE on the left, is refused.
"""

from __future__ import annotations

from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType

__all__ = ["MACROS", "rewrite"]

_S = "_crate_fn"
_POINT = CrateType(DataType.GEO_POINT)

# WKT coordinates as JSON arrays: '((1 2, 3 4))' -> '[[[1,2],[3,4]]]'
_WKT_JSON = (r"replace(replace(regexp_replace(regexp_replace(s, '^\s*[A-Za-z]+\s*', ''), "
             r"'([-+0-9.eE]+)\s+([-+0-9.eE]+)', '[\1,\2]', 'g'), '(', '['), ')', ']')")

MACROS = {
    "geo_distance(a, b)":
        "CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE 2 * 6371008.7714 * asin(least(1.0, "
        "sqrt(0.5 * ((1 - cos(radians(a[2]) - radians(b[2])))"
        " + cos(radians(a[2])) * cos(radians(b[2])) * (1 - cos(radians(a[1] - b[1]))))))) END",
    "geo_wkt_json(s)": _WKT_JSON,
    "geo_polygons(s)":
        "CASE WHEN s IS NULL THEN NULL WHEN ltrim(s)[1] = '{' THEN "
        "CASE json_extract_string(s, '$.type') "
        "WHEN 'Polygon' THEN [(json_extract(s, '$.coordinates'))::DOUBLE[][][]] "
        "WHEN 'MultiPolygon' THEN (json_extract(s, '$.coordinates'))::DOUBLE[][][][] "
        "ELSE error('within: only Polygon and MultiPolygon shapes are supported by this "
        "server') END "
        f"WHEN upper(ltrim(s)) LIKE 'MULTIPOLYGON%' THEN ({_S}.geo_wkt_json(s)::JSON)"
        "::DOUBLE[][][][] "
        f"WHEN upper(ltrim(s)) LIKE 'POLYGON%' THEN [({_S}.geo_wkt_json(s)::JSON)::DOUBLE[][][]] "
        "ELSE error('within: only POLYGON and MULTIPOLYGON shapes are supported by this "
        "server') END",
    # ray casting: an odd number of edges crossed to the right of the point
    "geo_in_ring(x, y, r)":
        "len(list_filter(range(1, len(r)), lambda i: ((r[i][2] > y) != (r[i + 1][2] > y)) AND "
        "(x < (r[i + 1][1] - r[i][1]) * (y - r[i][2]) / (r[i + 1][2] - r[i][2]) + r[i][1])))"
        " % 2 = 1",
    "geo_on_ring(x, y, r)":
        "len(list_filter(range(1, len(r)), lambda i: "
        "abs((r[i + 1][1] - r[i][1]) * (y - r[i][2]) - (r[i + 1][2] - r[i][2]) * (x - r[i][1]))"
        " <= 1e-12 AND x BETWEEN least(r[i][1], r[i + 1][1]) AND greatest(r[i][1], r[i + 1][1])"
        " AND y BETWEEN least(r[i][2], r[i + 1][2]) AND greatest(r[i][2], r[i + 1][2]))) > 0",
    "geo_in_polygon(x, y, poly)":
        f"({_S}.geo_in_ring(x, y, poly[1]) OR {_S}.geo_on_ring(x, y, poly[1])) AND NOT "
        f"coalesce(list_bool_or(list_transform(poly[2:], lambda h: {_S}.geo_in_ring(x, y, h) "
        f"AND NOT {_S}.geo_on_ring(x, y, h))), false)",
    "geo_within(p, s)":
        f"CASE WHEN p IS NULL OR s IS NULL THEN NULL ELSE coalesce(list_bool_or(list_transform("
        f"{_S}.geo_polygons(s), lambda poly: {_S}.geo_in_polygon(p[1], p[2], poly))), false) END",
}


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=f"{_S}.{name}", expressions=list(args))


def _arg_point(translator, node: exp.Anonymous, i: int) -> exp.Expression:
    t = translator._expr_type(node.expressions[i])
    if t is not None and t.id == DataType.GEO_SHAPE:
        raise cerr.unsupported(f"{node.name.lower()}: a GEO_SHAPE argument is not supported "
                               "by this server (only GEO_POINT)")
    translator._hint(node.expressions[i], _POINT)
    arg = node.expressions[i]  # a WKT literal has been replaced by the hint
    return exp.Cast(this=arg.copy(), to=exp.DataType.build("DOUBLE[2]", dialect="duckdb"))


def _arg_shape(translator, node: exp.Anonymous, i: int) -> exp.Expression:
    arg = node.expressions[i]
    if isinstance(arg, exp.Struct):
        return exp.cast(exp.func("to_json", arg.copy()), "VARCHAR")
    # a parameter: WKT text stays text, a GeoJSON object is bound as JSON text
    return exp.cast(arg.copy(), "VARCHAR")


def rewrite(translator, tree: exp.Expression) -> None:
    """``distance`` and ``within`` calls in ``tree`` as calls of the macros above."""
    for node in list(tree.find_all(exp.Anonymous)):
        name = node.name.lower()
        if name not in ("distance", "within"):
            continue
        if len(node.expressions) != 2:
            raise cerr.CrateError(4004, "UnsupportedFunctionException",
                                  f"Unknown function: {name}(...), {name} takes 2 arguments")
        if name == "distance":
            node.replace(_fn("geo_distance", _arg_point(translator, node, 0),
                             _arg_point(translator, node, 1)))
        else:
            node.replace(_fn("geo_within", _arg_point(translator, node, 0),
                             _arg_shape(translator, node, 1)))
