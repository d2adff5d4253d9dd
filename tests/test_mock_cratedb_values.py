"""The CrateDB mock's engine side of values (mockservers/cratedb/values.py): what DuckDB
binds and returns around the codec's wire forms, and CrateDB's wording of cast errors."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from dbapi_conformance.drivers.wire.cratedb import DataType as T
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, from_col_type
from dbapi_conformance.mockservers.cratedb.errors import CrateError
from dbapi_conformance.mockservers.cratedb.values import convert_param, temporal_literal, to_json

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
