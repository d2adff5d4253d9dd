"""Fixtures shared by the CrateDB mock tests: one mock server per test module (``server``)
and a cursor of the official ``crate`` client on a connection of its own per test
(``cur``). A module that needs a server with other options defines its own ``server``."""

from __future__ import annotations

import pytest
from crate import client

from dbapi_conformance.mockservers.cratedb import MockServer


@pytest.fixture(scope="module")
def server():
    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    conn = client.connect(server.url, timeout=10)
    yield conn.cursor()
    conn.close()
