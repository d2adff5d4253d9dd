"""The CrateDB mock's engine side of values (mockservers/cratedb/values.py): what DuckDB
binds and returns around the codec's wire forms, and CrateDB's wording of cast errors."""

from __future__ import annotations

import datetime as dt
import decimal

import orjson
import pytest

from dbapi_conformance.drivers.wire.cratedb import DataType as T
from dbapi_conformance.mockservers.cratedb.coltypes import (
    CrateType,
    from_col_type,
    from_duckdb_type,
)
from dbapi_conformance.mockservers.cratedb.errors import CrateError
from dbapi_conformance.mockservers.cratedb.values import (
    PROJECT,
    column_encoder,
    convert_param,
    encode_rows,
    param_converter,
    temporal_literal,
    to_json,
)
from dbapi_conformance.mockservers.engine import Engine

INT_ARRAY = CrateType(T.ARRAY, CrateType(T.INTEGER))
OBJ_ARRAY = CrateType(T.ARRAY, CrateType(T.OBJECT))


@pytest.mark.parametrize(
    "value, t, message",
    [
        ([1, "x"], INT_ARRAY, "Cannot cast value `x` to type `integer`"),
        (7, INT_ARRAY, "Cannot cast value `7` to type `integer_array`"),
        (300, CrateType(T.CHAR), "Cannot cast value `300` to type `byte`"),
        (True, CrateType(T.BIGINT), "Cannot cast value `true` to type `bigint`"),
        ({"a": [1, True]}, CrateType(T.DOUBLE),
         "Cannot cast value `{a=[1, true]}` to type `double precision`"),
        ("POINT ()", CrateType(T.GEO_POINT), "Cannot cast value `POINT ()` to type `geo_point`"),
    ],
)
def test_cast_errors_in_crate_words(value, t, message):
    with pytest.raises(CrateError) as info:
        convert_param(value, t)
    assert info.value.code == 4000 and message in info.value.message


def test_objects_are_bound_as_json_text():
    assert convert_param({"a": 1}, None) == '{"a":1}'
    assert convert_param('{"a": 1}', CrateType(T.OBJECT)) == '{"a":1}'
    assert convert_param([{"a": 1}, None], OBJ_ARRAY) == ['{"a":1}', None]
    assert convert_param({"a": 1}, CrateType(T.UNDEFINED)) == {"a": 1}
    assert convert_param(86_400_000, CrateType(T.TIMESTAMP_WITH_TZ)) == \
        dt.datetime(1970, 1, 2, tzinfo=dt.timezone.utc)


def test_engine_values_out():
    assert to_json('{"a": [1]}', CrateType(T.OBJECT)) == {"a": [1]}
    assert to_json(['{"a": 1}', None], OBJ_ARRAY) == [{"a": 1}, None]
    assert to_json("{not json", CrateType(T.OBJECT)) == "{not json"
    assert to_json('{"a": 1}', CrateType(T.TEXT)) == '{"a": 1}'
    assert to_json(b"bl\xffob") == "bl\ufffdob"
    assert to_json(dt.date(1970, 1, 3)) == 2 * 86_400_000
    assert to_json(decimal.Decimal("2.50"), CrateType(T.NUMERIC, None, (5, 2))).__class__ \
        .__name__ == "Fragment"


def test_temporal_literals_and_col_types():
    assert temporal_literal(0, CrateType(T.TIMESTAMP_WITH_TZ)) == \
        "1970-01-01 00:00:00.000000+00"
    assert temporal_literal("2026-01-02T03:04:05+01:00", CrateType(T.TIMESTAMP_WITHOUT_TZ)) \
        == "2026-01-02 03:04:05"
    assert temporal_literal(86_400_000, CrateType(T.DATE)) == "1970-01-02"
    assert from_col_type([100, [100, 9]]).name == "integer_array_array"
    assert from_col_type(999).id == T.UNDEFINED


# --- whole result columns: the same JSON values as to_json of each cell -------------------

_COLUMNS = [  # (SQL expression over g = 0..n-1, CrateDB type or None for the engine's)
    ("g", None),
    ("(g * 1000003)::BIGINT", None),
    ("g::HUGEINT * 100000000000000000000", None),
    ("g::UBIGINT + 18446744073709551000", None),
    ("g % 2 = 0", None),
    ("'name-' || g", None),
    ("g * 0.5", None),
    ("CASE g % 4 WHEN 0 THEN 'nan'::DOUBLE WHEN 1 THEN 'inf'::DOUBLE "
     "WHEN 2 THEN '-inf'::DOUBLE END", None),
    ("1e308 * (g + 1)", None),
    ("(g + 0.8)::FLOAT", CrateType(T.REAL)),
    ("(g / 3)::DECIMAL(10, 2)", CrateType(T.NUMERIC, None, (10, 2))),
    ("(g / 3)::DECIMAL(10, 2)", CrateType(T.NUMERIC)),
    ("TIMESTAMP '2026-01-01' + g * INTERVAL '1 second 1 microsecond'", None),
    ("TIMESTAMPTZ '1969-12-31 23:59:59.9995+00' - g * INTERVAL '7 microseconds'", None),
    ("DATE '1970-01-01' + g::INTEGER", None),
    ("CASE g % 3 WHEN 0 THEN 'infinity'::TIMESTAMP WHEN 1 THEN '-infinity'::TIMESTAMP END",
     None),
    ("CASE g % 3 WHEN 0 THEN 'infinity'::TIMESTAMPTZ WHEN 1 THEN '-infinity'::TIMESTAMPTZ "
     "END", None),
    ("CASE g % 3 WHEN 0 THEN 'infinity'::DATE WHEN 1 THEN '-infinity'::DATE END", None),
    ("'9999-12-31 23:59:59.999999'::TIMESTAMP", None),
    ("TIME '01:02:03' + g * INTERVAL '1 second'", None),
    ("g * INTERVAL '1 day 1 second'", None),
    ("('00000000-0000-4000-8000-' || lpad(g::VARCHAR, 12, '0'))::UUID", None),
    ("('b' || g)::BLOB", None),
    ("[g, NULL, g + 1]", None),
    ("[TIMESTAMP '2026-01-01' + g * INTERVAL '1 second']", None),
    ("{'a': g, 'b': [DATE '1970-01-02']}", None),
    ("'{\"k\": ' || g || '}'", CrateType(T.OBJECT)),
    ("'{not json'", CrateType(T.OBJECT)),
    ("'0101'", CrateType(T.BIT, None, (4,))),
    ("NULL", None),
]


def test_columns_encode_as_each_cell_would():
    sql = ("SELECT " + ", ".join(f"CASE WHEN g % 5 = 4 THEN NULL ELSE {e} END"
                                 for e, _ in _COLUMNS)
           + " FROM range(12) AS r(g) ORDER BY g")
    with Engine() as engine:
        session = engine.session()
        plain = session.execute(sql)
        for _ in range(2):  # the first run plans the projection, the second reuses it
            projected = session.execute(sql, project=PROJECT)
            types = [t or from_duckdb_type(c.type_name) for (_, t), c
                     in zip(_COLUMNS, projected.columns)]
            got = encode_rows(projected.rows, [column_encoder(c.type_name, t)
                                               for c, t in zip(projected.columns, types)])
            expected = [[to_json(v, t) for v, t in zip(row, types)] for row in plain.rows]
            assert len(got) == len(expected) == 12
            for row, want in zip(got, expected):
                for value, wanted, (e, _) in zip(row, want, _COLUMNS):
                    if isinstance(wanted, orjson.Fragment):
                        assert orjson.dumps(value) == orjson.dumps(wanted), e
                    else:
                        assert value == wanted or (value != value and wanted != wanted), e
        assert session.projection_stats == (1, 1)
        timestamps = [row[12] for row in got]
        assert timestamps[1] == 1_767_225_601_000 and timestamps[4] is None
        assert [row[15] for row in got[:3]] == [253402300799999, -62135596800000, None]
        assert [row[17] for row in got[:3]] == [253402214400000, -62135596800000, None]
        assert [row[7] for row in got[:3]] == ["NaN", "Infinity", "-Infinity"]


def test_timestamps_before_year_one_are_epoch_milliseconds():
    # Python cannot hold them: the engine's Python values were text ('0044-03-15 (BC)')
    with Engine() as engine:
        res = engine.session().execute(
            "SELECT TIMESTAMP '-0043-03-15 12:00:00', DATE '-0043-03-15', "
            "TIMESTAMP '10000-01-01 00:00:00'", project=PROJECT)
    # 44 BC is 400 years (146,097 days) before 357 AD
    bc = ((dt.date(357, 3, 15) - dt.date(1970, 1, 1)).days - 146_097) * 86_400_000
    assert res.rows == [(bc + 12 * 3_600_000, bc, 253402300800000)]


_PARAM_TYPES = [None, CrateType(T.INTEGER), CrateType(T.BIGINT), CrateType(T.SMALLINT),
                CrateType(T.CHAR), CrateType(T.TEXT), CrateType(T.CHARACTER, None, (3,)),
                CrateType(T.IP), CrateType(T.JSON), CrateType(T.DOUBLE), CrateType(T.REAL),
                CrateType(T.TIMESTAMP_WITH_TZ), CrateType(T.TIMESTAMP_WITHOUT_TZ),
                CrateType(T.OBJECT), CrateType(T.BOOLEAN), INT_ARRAY]
_PARAM_VALUES = [None, 0, -1, 127, 128, 2 ** 31, -2 ** 63, 2 ** 63, 2 ** 70, True, False, 1.5,
                 2.0, float("nan"), "", "7", " 8 ", "abc", "1.8", "2026-01-02T03:04:05Z",
                 10 ** 20, -62135596800001, {"a": 1}, [1, 2], "NaN"]


@pytest.mark.parametrize("t", _PARAM_TYPES, ids=lambda t: "none" if t is None else t.name)
def test_param_converter_is_convert_param(t):
    convert = param_converter(t)
    for value in _PARAM_VALUES:
        try:
            expected = ("ok", convert_param(value, t))
        except CrateError as exc:
            expected = ("error", exc.code, exc.message)
        try:
            got = ("ok", convert(value))
        except CrateError as exc:
            got = ("error", exc.code, exc.message)
        assert got == expected or (got[1] != got[1] and expected[1] != expected[1]), value
        if got[0] == "ok":
            assert type(got[1]) is type(expected[1]), value
