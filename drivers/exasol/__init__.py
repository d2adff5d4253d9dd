"""Exasol reference driver: a PEP 249 module over Exasol's WebSocket API (JSON commands).

>>> from dbapi_conformance.drivers import exasol
>>> conn = exasol.connect("ws://localhost:8563", "sys", "exasol")       # doctest: +SKIP
>>> with conn, conn.cursor() as cur:                                     # doctest: +SKIP
...     cur.execute("SELECT * FROM t WHERE id > ?", (10,))
...     for row in cur:
...         print(row)

Module globals (PEP 249 "Module Interface"): ``apilevel`` "2.0"; ``threadsafety`` 2 -
threads may share the module and connections (each request and its reply hold the
connection's lock), but not cursors; ``paramstyle`` "named" (``:name`` with a mapping, one
of the styles PEP 249 prefers, GLB-PARAM-2); a sequence binds Exasol's own ``?``
placeholders as they are. Either way the server binds the values through prepared
statements (:mod:`.cursor`). The WebSocket messages and
values are those of the shared codec :mod:`dbapi_conformance.drivers.wire.exasol`; the only
I/O is :mod:`.transport`; the error mapping is in :mod:`.errors`.
"""

from dbapi_conformance.drivers import _dbapi
from dbapi_conformance.drivers._dbapi import *  # noqa: F403 - exceptions, constructors

__version__ = _dbapi.package_version()
apilevel = "2.0"
threadsafety = 2
paramstyle = "named"

from dbapi_conformance.drivers.exasol.connection import Connection, connect  # noqa: E402
from dbapi_conformance.drivers.exasol.cursor import Cursor  # noqa: E402
from dbapi_conformance.drivers.exasol.types import (  # noqa: E402
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
)

__all__ = ["__version__", "apilevel", "threadsafety", "paramstyle", "connect", "Connection",
           "Cursor", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", *_dbapi.__all__]
