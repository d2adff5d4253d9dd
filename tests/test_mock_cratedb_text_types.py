"""Sized types on the CrateDB mock, through the official client: VARCHAR(n), CHARACTER(n),
NUMERIC(p, s), FLOAT_VECTOR(n) and BIT(n), as ORMs create them and read them back.

Sources: crate/crate ``InformationColumnsTableInfo`` (``character_maximum_length`` is the
type's ``characterMaximumLength()``, ``numeric_precision`` its ``numericPrecision()``,
``numeric_scale`` always NULL), ``StringType``, ``CharacterType``, ``NumericType``,
``FloatVectorType`` and ``BitStringType``.
"""

from __future__ import annotations

import itertools

import pytest
from crate import client

from dbapi_conformance.mockservers.cratedb import MockServer

_names = (f"sized{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    conn = client.connect(server.url, timeout=10)
    yield conn.cursor()
    conn.close()


@pytest.fixture
def table(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, c CHAR(3), c1 CHAR, v VARCHAR(3), "
                "t TEXT, n NUMERIC(10, 2), f FLOAT_VECTOR(2), b BIT(4), vs ARRAY(VARCHAR(2)))")
    yield name
    cur.execute(f"DROP TABLE IF EXISTS {name}")


def test_information_schema_columns_give_lengths_and_precision(cur, table):
    cur.execute("SELECT column_name, data_type, character_maximum_length, numeric_precision, "
                "numeric_precision_radix, numeric_scale FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position", [table])
    assert cur.fetchall() == [
        ["id", "integer", None, 32, 2, None],
        ["c", "character", 3, None, None, None],
        ["c1", "character", 1, None, None, None],
        ["v", "text", 3, None, None, None],
        ["t", "text", None, None, None, None],
        ["n", "numeric", None, 10, None, None],
        ["f", "float_vector", 2, None, None, None],
        ["b", "bit", 4, None, None, None],
        ["vs", "text_array", None, None, None, None],
    ]
