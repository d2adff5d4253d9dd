"""The Exasol mock server: Exasol's WebSocket API on the websockets library, backed by the
DuckDB engine (server.py: connections and login; handler.py: commands; translate.py and
dialect.py: Exasol SQL; coltypes.py: types and values; systables.py and metadata.py: the
catalog; errors.py: sqlCodes; users.py: users)."""

from dbapi_conformance.mockservers.exasol.server import ExasolMockServer

__all__ = ["ExasolMockServer"]
