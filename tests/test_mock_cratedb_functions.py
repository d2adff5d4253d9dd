"""CrateDB scalar functions on the mock, through the official client: date_format,
date_trunc, substr (values and output names), distance and within.

Reference values: crate/crate ``DateFormatFunctionTest`` (date_format), ``docs/general/
builtins/scalar-functions.rst`` and ``DistanceFunctionTest`` / ``WithinFunctionTest`` (geo).
"""

from __future__ import annotations

import itertools
import math

import pytest
from crate.client import exceptions as crate_exc

_names = (f"fn{i}" for i in itertools.count())
_ALL = ("%a %b %c %D %d %e %f %H %h %I %i %j %k %l %M %m %p %r %S %s %T %U %u %V %v %W %w "
        "%X %x %Y %y")


@pytest.fixture
def events(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, ts TIMESTAMP WITH TIME ZONE, "
                "tn TIMESTAMP WITHOUT TIME ZONE, ms BIGINT, name TEXT)")
    cur.execute(f"INSERT INTO {name} VALUES (1, '2015-06-10T09:03:00.004+02', "
                "'2015-06-10T07:03:00', 1433919780004, 'hello')")
    cur.execute(f"REFRESH TABLE {name}")
    yield name
    cur.execute(f"DROP TABLE {name}")


def _cols(cur) -> list[str]:
    return [d[0] for d in cur.description]


def test_date_format_default_format_and_overloads(cur, events):
    cur.execute(f"SELECT date_format(ts), date_format('%Y', ts), "
                f"date_format('%d.%m.%Y %H:%i:%S', 'Europe/Berlin', ts), date_format(tn), "
                f"date_format(ms) FROM {events}")
    assert cur.fetchall() == [["2015-06-10T07:03:00.004000Z", "2015", "10.06.2015 09:03:00",
                               "2015-06-10T07:03:00.000000Z", "2015-06-10T07:03:00.004000Z"]]
    assert _cols(cur) == ["date_format(ts)", "date_format('%Y', ts)",
                          "date_format('%d.%m.%Y %H:%i:%S', 'Europe/Berlin', ts)",
                          "date_format(tn)", "date_format(ms)"]


@pytest.mark.parametrize(("args", "expected"), [
    (f"'{_ALL}', '2055-01-01'",
     "Fri Jan 1 1st 01 1 000000 00 12 12 00 001 0 12 January 01 AM 12:00:00 AM "
     "00 00 00:00:00 00 00 52 53 Friday 5 2054 2054 2055 55"),
    (f"'{_ALL}', 'EST', '1981-01-01T09:00:00.000+01'",
     "Thu Jan 1 1st 01 1 000000 03 03 03 00 001 3 3 January 01 AM 03:00:00 AM "
     "00 00 03:00:00 00 01 52 01 Thursday 4 1980 1981 1981 81"),
    ("'%t%%%Z', '2000-01-01'", "t%Z"),
    ("'%X %V', '1996-01-01'", "1995 53"), ("'%x %v %u %U', '1996-01-01'", "1996 01 01 00"),
    ("'%u %U %v %V %x %X', '2008-12-31'", "53 52 01 52 2009 2008"),
    ("'%u %U %v %V %x %X', '2000-01-01'", "00 00 52 52 1999 1999"),
    ("NULL, 0", None),
])
def test_date_format_specifiers_as_cratedb(cur, args, expected):
    cur.execute(f"SELECT date_format({args})")
    assert cur.fetchall() == [[expected]]


def test_date_format_parameters(cur):
    cur.execute("SELECT date_format(?, ?), date_format(?)", ("%Y-%m", 1433919780004,
                                                            "2015-06-10T07:03:00"))
    assert cur.fetchall() == [["2015-06", "2015-06-10T07:03:00.000000Z"]]


def test_date_trunc_and_substr_values_and_names(cur, events):
    cur.execute(f"SELECT date_trunc('day', ts), date_trunc('day', 'Europe/Berlin', ts), "
                f"substr(name, 1, 2), substr(name, 2), substring(name, 2, 1) FROM {events}")
    # midnight UTC, and midnight in Berlin (22:00 UTC the day before), as epoch ms
    assert cur.fetchall() == [[1433894400000, 1433887200000, "he", "ello", "e"]]
    assert _cols(cur) == ["date_trunc('day', ts)", "date_trunc('day', 'Europe/Berlin', ts)",
                          "substr(name, 1, 2)", "substr(name, 2)", "substring(name, 2, 1)"]


def _haversine(lon1, lat1, lon2, lat2) -> float:
    """Haversine meters with Lucene's earth radius, computed independently of the mock."""
    x1, x2 = math.radians(lat1), math.radians(lat2)
    h = (1 - math.cos(x1 - x2)) + math.cos(x1) * math.cos(x2) * (
        1 - math.cos(math.radians(lon1 - lon2)))
    return 2 * 6371008.7714 * math.asin(min(1.0, math.sqrt(0.5 * h)))


@pytest.fixture
def places(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, p GEO_POINT, s GEO_SHAPE)")
    cur.execute(f"INSERT INTO {name} (id, p) VALUES (1, [5.0, 5.0]), (2, [15.0, 5.0]), "
                "(3, 'POINT (2 2)'), (4, [10.0, 3.0]), (5, NULL)")
    cur.execute(f"REFRESH TABLE {name}")
    yield name
    cur.execute(f"DROP TABLE {name}")


def test_distance_in_meters_as_cratedb(cur, places):
    cur.execute("SELECT distance('POINT (10 20)', 'POINT (11 21)') AS col, "
                "distance([10.04, 28.02], 'POINT(10.30 29.3)'), distance(NULL, [1.0, 2.0])")
    (row,) = cur.fetchall()
    assert row[0] == 152354.3209044634  # the value in CrateDB's docs
    # CrateDB (Lucene's table-based cos/asin) gives 144572.67952051832
    assert row[1] == pytest.approx(144572.67952051832, rel=1e-10)
    assert row[2] is None
    assert _cols(cur) == ["col", "distance([10.04, 28.02], 'POINT(10.30 29.3)')",
                          "distance(NULL, [1.0, 2.0])"]
    cur.execute(f"SELECT id, distance(p, ?) FROM {places} WHERE p IS NOT NULL ORDER BY 2",
                ("POINT (5 5)",))
    rows = cur.fetchall()
    assert [r[0] for r in rows] == [1, 3, 4, 2]
    assert rows[1][1] == pytest.approx(_haversine(2, 2, 5, 5), rel=1e-12)


def test_within_polygons_from_wkt_geojson_and_parameters(cur, places):
    cur.execute(f"SELECT id, within(p, 'POLYGON ((0 0, 10 0, 10 10, 0 10, 0 0), "
                f"(1 1, 3 1, 3 3, 1 3, 1 1))') FROM {places} ORDER BY id")
    # the hole excludes (2, 2); (10, 3) lies on the boundary; NULL stays NULL
    assert cur.fetchall() == [[1, True], [2, False], [3, False], [4, True], [5, None]]
    cur.execute(f"SELECT id FROM {places} WHERE within(p, {{type = 'Polygon', coordinates = "
                "[[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]]}) ORDER BY id")
    assert cur.fetchall() == [[1], [3], [4]]
    cur.execute(f"SELECT id FROM {places} WHERE within(p, ?) ORDER BY id",
                ("MULTIPOLYGON (((0 0, 4 0, 4 4, 0 4, 0 0)), ((14 4, 16 4, 16 6, 14 6, 14 4)))",))
    assert cur.fetchall() == [[2], [3]]
    cur.execute(f"SELECT id FROM {places} WHERE within(p, ?) ORDER BY id",
                ({"type": "Polygon", "coordinates": [[[14, 4], [16, 4], [16, 6], [14, 6],
                                                      [14, 4]]]},))
    assert cur.fetchall() == [[2]]
    cur.execute(f"UPDATE {places} SET s = ? WHERE id = 1",
                ({"type": "Polygon", "coordinates": [[[0, 0], [6, 0], [6, 6], [0, 6], [0, 0]]]},))
    cur.execute(f"REFRESH TABLE {places}")
    cur.execute(f"SELECT a.id FROM {places} a, {places} b WHERE b.id = 1 AND within(a.p, b.s) "
                "ORDER BY a.id")
    assert cur.fetchall() == [[1], [3]]


def test_within_on_sys_summits(cur):
    cur.execute("SELECT mountain FROM sys.summits WHERE within(coordinates, "
                "'POLYGON ((6.8 45.8, 6.9 45.8, 6.9 45.9, 6.8 45.9, 6.8 45.8))') ORDER BY 1")
    assert ["Mont Blanc"] in cur.fetchall()


@pytest.mark.parametrize(("literal", "message"), [
    ("POINT", 'Cannot convert "POINT" to geo_point.'),
    ("POINT (1)", 'Cannot convert "POINT (1)" to geo_point.'),
    ("POINT (1 2 3)", 'Cannot convert "POINT (1 2 3)" to geo_point.'),
    # the coordinates are numbers, never SQL: no column, no function call
    ("POINT (a b)", 'Cannot convert "POINT (a b)" to geo_point.'),
    ("POINT (abs(-5) 2)", 'Cannot convert "POINT (abs(-5) 2)" to geo_point.'),
    ("POINT (190 10)", "Failed to validate geo point [lon=190.000000, lat=10.000000], "
                       "not a valid location."),
])
def test_a_wkt_point_literal_that_is_not_a_valid_point_is_refused(cur, places, literal,
                                                                   message):
    # GeoPointType.pointFromString / ensurePointsInRange: IllegalArgumentException
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(f"INSERT INTO {places} (id, p) VALUES (9, '{literal}')")
    assert info.value.message.startswith(f"SQLParseException[{message}")
    cur.execute(f"INSERT INTO {places} (id, p) VALUES (9, ' point( -180  90.0 ) ')")
    cur.execute(f"SELECT p FROM {places} WHERE id = 9")
    assert cur.fetchall() == [[[-180.0, 90.0]]]


def test_substr_start_below_one_counts_from_the_first_character(cur):
    """crate/crate SubstrFunction: the start is clamped to 1 (never counted from the end)
    and the length runs from there."""
    cur.execute("SELECT substr('Test', 0, 1), substr('hello', -2, 2), substr('hello', 2), "
                "substr('hello', 0), substr('hello', 9, 2), substr(?, ?, ?)", ["crate", -5, 3])
    assert cur.fetchall() == [["T", "he", "ello", "hello", "", "cra"]]


def test_like_escapes_with_a_backslash_unless_escape_says_otherwise(cur):
    """crate/crate docs/general/dql/selects.rst, LIKE (ILIKE): without ESCAPE the backslash
    is the escape character; ESCAPE 'e' sets another."""
    cur.execute(r"SELECT 'a_b' LIKE 'a\_%', 'axb' LIKE 'a\_%', 'A%B' ILIKE 'a\%b', "
                r"'test' LIKE 'te%' ESCAPE 'e', 'a_b' NOT LIKE ?", [r"a\_b"])
    assert cur.fetchall() == [[True, False, True, False, False]]


def test_array_length_is_named_with_its_arguments(cur):
    cur.execute("SELECT array_length(['a', 'b'], 1), array_length([1, 2, 3], 1)")
    assert [d[0] for d in cur.description] == ["array_length(['a', 'b'], 1)",
                                               "array_length([1, 2, 3], 1)"]
    assert cur.fetchall() == [[2, 3]]


@pytest.mark.parametrize(("stmt", "args", "lon", "lat"), [
    ("INSERT INTO {t} (id, p) VALUES (9, [200, 100])", None, 200, 100),
    ("INSERT INTO {t} (id, p) VALUES (9, [-180, -90.5])", None, -180, -90.5),
    ("INSERT INTO {t} (id, p) VALUES (9, ?)", ([181.0, 0.0],), 181, 0),
    ("INSERT INTO {t} (id, p) VALUES (9, ?)", ("POINT (0 91)",), 0, 91),
    ("UPDATE {t} SET p = [500, 0] WHERE id = 1", None, 500, 0),
    ("SELECT [200, 1]::geo_point", None, 200, 1),
    ("SELECT ?::geo_point", ([1.0, 300.0],), 1, 300),
    ("SELECT 'POINT (200 10)'::geo_point", None, 200, 10),
])
def test_a_point_off_the_globe_is_refused_from_arrays_and_parameters(cur, places, stmt, args,
                                                                      lon, lat):
    # GeoPointType.pointFromCoordinates -> ensurePointsInRange: IllegalArgumentException,
    # which reaches the client as SQLParseException (SQLExceptions.esToCrateException)
    with pytest.raises(crate_exc.ProgrammingError) as info:
        cur.execute(stmt.format(t=places), args)
    assert info.value.message == (f"SQLParseException[Failed to validate geo point "
                                  f"[lon={lon:f}, lat={lat:f}], not a valid location.]")
    cur.execute(f"SELECT id, p FROM {places} WHERE id IN (1, 9) ORDER BY id")
    assert cur.fetchall() == [[1, [5.0, 5.0]]]  # nothing stored


def test_a_wkt_text_casts_to_a_geo_point(cur):
    # GeoPointType.implicitCast reads a string as WKT (or a JSON array)
    cur.execute("SELECT 'POINT (9 10)'::geo_point, CAST(' point(-1.5 2) ' AS geo_point), "
                "'[3, 4]'::geo_point")
    assert cur.fetchall() == [[[9.0, 10.0], [-1.5, 2.0], [3.0, 4.0]]]
