"""The Exasol registry entry: mock server, port and address scheme.

Exasol facts: protocols/exasol.md. The reference driver's connect and the official
clients' profiles are added with the reference driver (drivers/exasol).
"""

from __future__ import annotations

from dbapi_conformance.harness.databases import DatabaseProfile

ENTRY = DatabaseProfile(
    slug="exasol",
    product="Exasol",
    default_port=8563,
    scheme="ws",
    default_user="sys",
    mock="dbapi_conformance.mockservers.exasol.server:ExasolMockServer",
)
