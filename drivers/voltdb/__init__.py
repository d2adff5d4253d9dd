"""VoltDB reference driver: a PEP 249 module over VoltDB's binary client protocol (TCP 21212).

>>> from dbapi_conformance.drivers import voltdb
>>> conn = voltdb.connect("localhost", 21212)                                # doctest: +SKIP
>>> cur = conn.cursor()                                                      # doctest: +SKIP
>>> cur.execute("SELECT name FROM hero WHERE id = ?", (7,))                  # doctest: +SKIP
>>> cur.execute("SELECT name FROM hero WHERE id = :id", {"id": 7})           # doctest: +SKIP
>>> cur.callproc("HERO.insert", [8, "Ada"])                                  # doctest: +SKIP

Module globals (PEP 249 "Module Interface"): ``apilevel`` "2.0"; ``threadsafety`` 1 -
threads may share the module, not connections (one socket per connection, read by the
thread that called); ``paramstyle`` "named" (``:name`` with a mapping, one of the styles
PEP 249 prefers, GLB-PARAM-2), rewritten to ``?``; a sequence binds VoltDB's own ``?``
placeholders (qmark) as they are. Either way the values travel as typed @AdHoc
parameters and the server binds them (protocols/voltdb.md 5.1), never the SQL text.
Every call is its own transaction: ``autocommit`` is always True, ``commit()`` does
nothing, ``rollback()`` raises NotSupportedError. Exceptions, type objects and
constructors come from :mod:`dbapi_conformance.drivers._dbapi`; the error mapping is in
:mod:`.errors`, the wire codec in :mod:`dbapi_conformance.drivers.wire.voltdb`.
"""

from dbapi_conformance.drivers import _dbapi
from dbapi_conformance.drivers._dbapi import *  # noqa: F403 - exceptions, constructors

__version__ = _dbapi.package_version()
apilevel = "2.0"
threadsafety = 1
paramstyle = "named"

from dbapi_conformance.drivers.voltdb.connection import Connection, connect  # noqa: E402
from dbapi_conformance.drivers.voltdb.cursor import Cursor  # noqa: E402
from dbapi_conformance.drivers.voltdb.types import (  # noqa: E402
    BINARY,
    DATETIME,
    NUMBER,
    ROWID,
    STRING,
)

__all__ = ["__version__", "apilevel", "threadsafety", "paramstyle", "connect", "Connection",
           "Cursor", "STRING", "BINARY", "NUMBER", "DATETIME", "ROWID", *_dbapi.__all__]
