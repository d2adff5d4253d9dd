"""The VoltDB mock server (protocols/voltdb.md): server.py (asyncio streams), handler.py (the
execution thread), procedures.py (system and user procedures), catalog.py, systables.py,
translate.py / dialect.py (VoltDB SQL to DuckDB), errors.py, users.py."""

from dbapi_conformance.mockservers.voltdb.server import MockServer

__all__ = ["MockServer"]
