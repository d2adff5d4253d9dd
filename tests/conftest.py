"""Fixtures shared by the CrateDB mock tests: one mock server per test module (``server``)
and a cursor of the official ``crate`` client on a connection of its own per test
(``cur``). A module that needs a server with other options defines its own ``server``."""

from __future__ import annotations

import pytest

# The main job (README) runs pytest here with only the base install, which loads this file:
# the test extra (crate) is imported by the fixtures, not at import time.


@pytest.fixture(scope="module")
def server():
    from dbapi_conformance.mockservers.cratedb import MockServer

    with MockServer() as srv:
        yield srv


@pytest.fixture
def cur(server):
    from crate import client

    conn = client.connect(server.url, timeout=10)
    yield conn.cursor()
    conn.close()
