"""CrateDB scalar functions on the mock, through the official client: date_format,
date_trunc, substr (values and output names), distance and within.

Reference values: crate/crate ``DateFormatFunctionTest`` (date_format), ``docs/general/
builtins/scalar-functions.rst`` and ``DistanceFunctionTest`` / ``WithinFunctionTest`` (geo).
"""

from __future__ import annotations

import itertools

import pytest
from crate import client

from dbapi_conformance.mockservers.cratedb import MockServer

_names = (f"fn{i}" for i in itertools.count())
_ALL = ("%a %b %c %D %d %e %f %H %h %I %i %j %k %l %M %m %p %r %S %s %T %U %u %V %v %W %w "
        "%X %x %Y %y")


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    c = client.connect(server.url, timeout=10)
    yield c.cursor()
    c.close()


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
