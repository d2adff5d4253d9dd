"""The Apache Ignite 3 mock server: the thin-client protocol (protocols/ignite3.md) on
asyncio streams, backed by the shared DuckDB engine.

Modules: server.py (the MockServer, connections, handshake), handler.py (one connection's
transactions, cursors and answers), dialect.py (Ignite SQL to DuckDB), coltypes.py (column
metadata), systables.py (the SYSTEM views), errors.py (Ignite's error answers), users.py
(basic authentication).
"""
