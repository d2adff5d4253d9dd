"""The VoltDB registry entry (minimal): the mock server for ``dbapi-mock voltdb``.

VoltDB facts: protocols/voltdb.md (default port 21212, 1.1). The reference driver, the
official client's profile, capabilities and the container recipe come with the driver.
"""

from __future__ import annotations

from dbapi_conformance.harness.databases import DatabaseProfile

ENTRY = DatabaseProfile(
    slug="voltdb",
    product="VoltDB",
    default_port=21212,
    scheme="voltdb",
    mock="dbapi_conformance.mockservers.voltdb.server:MockServer",
    reference_connect=None,
)
