"""CrateDB reference driver: a PEP 249 module over CrateDB's HTTP endpoint (``POST /_sql``).

>>> from dbapi_conformance.drivers import cratedb
>>> conn = cratedb.connect("http://localhost:4200", username="crate")  # doctest: +SKIP
>>> cur = conn.cursor()                                                  # doctest: +SKIP
>>> cur.execute("SELECT name FROM sys.summits WHERE height > :h", {"h": 4000})  # doctest: +SKIP
>>> cur.execute("SELECT name FROM sys.summits WHERE height > ?", (4000,))     # doctest: +SKIP

Module globals (PEP 249 "Module Interface"): ``apilevel`` "2.0"; ``threadsafety`` 2 -
threads may share the module and connections (requests are independent HTTP calls over
thread-safe urllib3 pools; the failover state is locked), but not cursors; ``paramstyle``
"named" (``:name`` with a mapping, one of the styles PEP 249 prefers, GLB-PARAM-2); a
sequence binds CrateDB's own ``?`` and ``$n`` placeholders as they are (:mod:`.cursor`).
Exceptions, type objects and constructors come from :mod:`dbapi_conformance.drivers._dbapi`;
the error mapping is in :mod:`.errors`.
"""

from dbapi_conformance.drivers import _dbapi
from dbapi_conformance.drivers._dbapi import *  # noqa: F403 - exceptions, constructors

__version__ = _dbapi.package_version()
apilevel = "2.0"
threadsafety = 2
paramstyle = "named"

from dbapi_conformance.drivers.cratedb.connection import Connection, connect  # noqa: E402
from dbapi_conformance.drivers.cratedb.cursor import Cursor  # noqa: E402
from dbapi_conformance.drivers.cratedb.types import (  # noqa: E402
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
)

__all__ = ["__version__", "apilevel", "threadsafety", "paramstyle", "connect", "Connection",
           "Cursor", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", *_dbapi.__all__]
