"""CrateDB mock server: CrateDB's HTTP SQL endpoint (``POST /_sql``) backed by DuckDB.

``from dbapi_conformance.mockservers.cratedb import MockServer``; see server.py.
"""

from dbapi_conformance.mockservers.cratedb.server import MockServer

__all__ = ["MockServer"]
