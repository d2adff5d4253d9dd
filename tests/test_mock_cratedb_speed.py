"""The CrateDB mock's fast paths give the answers of the slow ones: result columns encoded
whole (DuckDB computing epoch milliseconds), statements split once per text, bulk requests
bound in one engine call with CrateDB's per-item results kept. Values are checked through
the official client ``crate``; speed itself is measured in bench/ only."""

from __future__ import annotations

import itertools

import pytest
from crate import client

from dbapi_conformance.mockservers.cratedb.server import MockServer

_names = (f"speed_{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    conn = client.connect(server.url, timeout=10)
    yield conn.cursor()
    conn.close()


def test_temporal_columns_keep_their_epoch_milliseconds(cur):
    name = next(_names)
    cur.execute(f"CREATE TABLE {name} (id INT PRIMARY KEY, ts TIMESTAMP WITH TIME ZONE, "
                "tn TIMESTAMP WITHOUT TIME ZONE, d DATE)")
    cur.executemany(f"INSERT INTO {name} (id, ts, tn, d) VALUES (?, ?, ?, ?)",
                    [(1, 1767225601999, 1767225601999, 86400000), (2, None, None, None),
                     (3, -1, -1, -86400000)])
    cur.execute(f"REFRESH TABLE {name}")
    cur.execute(f"SELECT id, ts, tn, d FROM {name} ORDER BY id")
    assert cur.fetchall() == [[1, 1767225601999, 1767225601999, 86400000],
                              [2, None, None, None], [3, -1, -1, -86400000]]
    cur.execute("SELECT 'infinity'::TIMESTAMP WITH TIME ZONE, '-infinity'::TIMESTAMP, "
                "'infinity'::DATE, '1969-12-31T23:59:59.9995Z'::TIMESTAMP WITH TIME ZONE")
    assert cur.fetchall() == [[253402300799999, -62135596800000, 253402214400000, -1]]


def test_timestamps_python_cannot_hold_are_still_epoch_milliseconds(cur):
    # CrateDB's timestamps are epoch milliseconds of any year; the mock used to send the
    # engine's text for years before 1 and after 9999 ('0044-03-15 (BC) 12:00:00+00')
    cur.execute("SELECT '10000-01-01'::TIMESTAMP, '-0043-03-15T12:00:00Z'::TIMESTAMP WITH "
                "TIME ZONE")
    assert cur.fetchall() == [[253402300800000, -63517780800000]]
