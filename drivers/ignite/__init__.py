"""Apache Ignite 3 reference driver: a pure-Python PEP 249 module over the thin-client
protocol (MessagePack over TCP, protocols/ignite3.md), with msgpack and a plain socket.

>>> from dbapi_conformance.drivers import ignite
>>> conn = ignite.connect(["127.0.0.1:10800", "127.0.0.1:10801"])  # doctest: +SKIP
>>> cur = conn.cursor()                                             # doctest: +SKIP
>>> cur.execute("SELECT name FROM t WHERE id > ?", (10,))            # doctest: +SKIP
>>> cur.executescript("CREATE TABLE u (id INT PRIMARY KEY); DROP TABLE u")  # doctest: +SKIP

Module globals (PEP 249 "Module Interface"): ``apilevel`` "2.0"; ``threadsafety`` 1 -
threads may share the module, not connections; ``paramstyle`` "named" (``:name`` with
a mapping); a sequence binds Ignite's own positional ``?`` (:mod:`.cursor`).
``connect`` takes pyignite_dbapi 3.1.0's keywords (:mod:`.connection`). Exceptions,
type objects and constructors come from
:mod:`dbapi_conformance.drivers._dbapi`; the error mapping is in :mod:`.errors`, the
socket I/O in :mod:`.transport`.
"""

from dbapi_conformance.drivers import _dbapi
from dbapi_conformance.drivers._dbapi import *  # noqa: F403 - exceptions, constructors

__version__ = _dbapi.package_version()
apilevel = "2.0"
threadsafety = 1
paramstyle = "named"

from dbapi_conformance.drivers.ignite.connection import Connection, connect  # noqa: E402
from dbapi_conformance.drivers.ignite.cursor import Cursor  # noqa: E402
from dbapi_conformance.drivers.ignite.types import (  # noqa: E402
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
)

__all__ = ["__version__", "apilevel", "threadsafety", "paramstyle", "connect", "Connection",
           "Cursor", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", *_dbapi.__all__]
