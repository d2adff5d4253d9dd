"""The Apache Ignite 3 registry entry: the mock server and its default port.

Ignite facts: protocols/ignite3.md. The reference driver, the client profiles and the
container recipe are not there yet. Ignite rejects DDL inside an explicit transaction
(RUNTIME 0x40007 "DDL doesn't support transactions.", ignite3.md 7.1); the suite has no
capability name for that yet.
"""

from __future__ import annotations

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases import DatabaseProfile
from dbapi_conformance.harness.sqlprofile import SqlProfile

CAPABILITIES = Capabilities({
    "callproc": "Ignite 3 has no stored procedures",
    "callproc_inout": "Ignite 3 has no stored procedures",
    "tpc": "Ignite 3's thin-client protocol has no two-phase commit",
    "lastrowid": "Ignite 3 has no row ids",
    "warning_messages": "Ignite 3's SQL responses carry no warnings",
})

SQL = SqlProfile(
    types={
        "int": "INTEGER",
        "bigint": "BIGINT",
        "float": "DOUBLE",
        "decimal": "DECIMAL(10, 2)",
        "text": "VARCHAR",
        "bool": "BOOLEAN",
        "date": "DATE",
        "time": "TIME",
        "timestamp": "TIMESTAMP",
        "binary": "VARBINARY",
    },
    select_one="SELECT 1",
    syntax_error="SELEC 1",
    division_by_zero="SELECT 1 / 0",
)

ENTRY = DatabaseProfile(
    slug="ignite",
    product="Apache Ignite 3",
    default_port=10800,
    scheme="tcp",
    capabilities=CAPABILITIES,
    sql=SQL,
    mock="dbapi_conformance.mockservers.ignite.server:MockServer",
    no_container="the Ignite 3 container recipe is later work (issue 8)",
    reference_connect=None,
)
