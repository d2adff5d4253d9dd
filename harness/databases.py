"""Database profiles: SQL text, declared capabilities, mock server and container recipe.

One DatabaseProfile per database slug (design.md: exasol, cratedb, ignite, voltdb). A driver
profile (harness/profiles.py) names its database by slug; the target joins both.
CrateDB facts: protocols/cratedb.md (sections cited inline) and crate/crate
``docs/general/ddl/data-types.rst`` (column types that cannot be stored).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.sqlprofile import SqlProfile

#: (running endpoint, stop callable) as returned by a container recipe.
Started = tuple[Endpoint, Callable[[], None]]


@dataclass(frozen=True)
class DatabaseProfile:
    """What the harness knows about one database.

    - ``slug``: "cratedb", ...; ``product``: "CrateDB".
    - ``default_port``, ``scheme``, ``default_user``: used to complete a ``--dbapi-server``
      address (``host`` -> ``http://host:4200``, user "crate").
    - ``capabilities``: what the database lacks, with reasons.
    - ``sql``: its SqlProfile.
    - ``mock``: "module:Class" of the mock server (``start()``, ``stop()``, ``url``,
      ``version``, as in mockservers/cratedb/server.py), or None with ``no_mock`` giving
      the skip reason.
    - ``container``: recipe starting a real server, () -> (Endpoint, stop); raises
      ServerUnavailable when it cannot run here. None with ``no_container`` as reason.
    - ``server_version``: connection -> version string (or None), for the report.
    """

    slug: str
    product: str
    default_port: int
    scheme: str = "http"
    default_user: str | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    sql: SqlProfile = field(default_factory=lambda: SqlProfile({"int": "INTEGER", "text": "TEXT"}))
    mock: str | None = None
    no_mock: str = "no mock server in this version"
    container: Callable[[], Started] | None = None
    no_container: str = "no container recipe in this version"
    server_version: Callable[[Any], str | None] | None = None


def require_docker() -> None:
    """Raise ServerUnavailable unless a Docker engine answers a ping (10 s timeout)."""
    try:
        import docker
    except ImportError:
        raise ServerUnavailable(
            "the docker package is not installed (pip install 'dbapi-conformance[live]')"
        ) from None
    try:
        client = docker.from_env(timeout=10)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure to reach the engine means: skip live runs
        raise ServerUnavailable(
            f"no Docker engine reachable ({type(exc).__name__}: {exc})"
        ) from None


# --- CrateDB ----------------------------------------------------------------------------

#: Image of the real server for ``--dbapi-server=container`` (override: DBAPI_CRATEDB_IMAGE).
CRATEDB_IMAGE = "crate/crate:6.4"

# Sources: protocols/cratedb.md 1.2, 1.4, 5.1, 6.3; crate/crate docs/general/ddl/data-types.rst
_NO_TRANSACTIONS = (
    "CrateDB has no transactions: BEGIN/COMMIT are accepted and ignored, ROLLBACK is a "
    "syntax error"
)

CRATEDB_CAPABILITIES = Capabilities(
    {
        "transactions": _NO_TRANSACTIONS,
        "rollback": _NO_TRANSACTIONS,
        "autocommit_attribute": "every CrateDB statement is autocommitted; there is no "
        "manual-commit mode to switch to",
        "tpc": "CrateDB has no transactions, hence no two-phase commit",
        "callproc": "CrateDB has no stored procedures",
        "callproc_inout": "CrateDB has no stored procedures",
        "warning_messages": "CrateDB's /_sql reply carries no warnings or notices, only rows "
        "or an error (protocols/cratedb.md 1.2)",
        "nextset": "CrateDB returns one result set per statement",
        "multiple_result_sets": "CrateDB returns one result set per statement",
        "binary": "CrateDB has no binary/BLOB column type in SQL (blobs live in blob tables "
        "over /_blobs)",
        "date_type": "CrateDB cannot store DATE columns; DATE exists only in expressions "
        "(crate/crate docs/general/ddl/data-types.rst)",
        "time_type": "CrateDB has only TIME WITH TIME ZONE, and it cannot be used in CREATE "
        "TABLE (crate/crate docs/general/ddl/data-types.rst)",
        "decimal_type": "CrateDB NUMERIC is a type literal for expressions only; table "
        "columns of type NUMERIC cannot be created (crate/crate "
        "docs/general/ddl/data-types.rst)",
        "lastrowid": "CrateDB has no row ids",
    }
)

CRATEDB_SQL = SqlProfile(
    types={
        "int": "INTEGER",
        "bigint": "BIGINT",
        "float": "DOUBLE PRECISION",
        "decimal": None,  # not storable, see CRATEDB_CAPABILITIES["decimal_type"]
        "text": "TEXT",
        "bool": "BOOLEAN",
        "date": None,
        "time": None,
        "timestamp": "TIMESTAMP WITHOUT TIME ZONE",
        "binary": None,
    },
    select_one="SELECT 1",
    syntax_error="SELEC 1",
    division_by_zero="SELECT 1 / 0",
    # Integer arithmetic is overflow-checked in CrateDB ("integer overflow" error).
    numeric_overflow="SELECT CAST(2147483647 AS INTEGER) + CAST(1 AS INTEGER)",
    # Writes become visible to non-PK reads only after a refresh (protocols/cratedb.md 5.3).
    refresh="REFRESH TABLE {table}",
)


def cratedb_server_version(connection: Any) -> str | None:
    """The server's version via SQL (``sys.nodes``, protocols/cratedb.md 5.7)."""
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT version['number'] FROM sys.nodes LIMIT 1")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return str(row[0]) if row else None


def cratedb_container() -> Started:
    """Start ``crate/crate`` with testcontainers (protocols/cratedb.md 8).

    Raises ServerUnavailable without testcontainers or without a reachable Docker engine.
    The recipe waits with testcontainers' own readiness check (HTTP 200 on ``GET /``).
    """
    try:
        from testcontainers.community.cratedb import CrateDBContainer
    except ImportError:
        try:
            from testcontainers.cratedb import CrateDBContainer
        except ImportError as exc:
            # Also reached when testcontainers is there without its cratedb extra.
            raise ServerUnavailable(
                f"testcontainers' CrateDB module cannot be imported ({exc}); "
                "pip install 'dbapi-conformance[live]'"
            ) from None
    require_docker()
    container = CrateDBContainer(os.environ.get("DBAPI_CRATEDB_IMAGE", CRATEDB_IMAGE))
    container.start()
    host = container.get_container_host_ip()
    port = int(container.get_exposed_port(4200))
    endpoint = Endpoint(
        kind="container",
        url=f"http://{host}:{port}",
        host=host,
        port=port,
        user="crate",
        product="CrateDB",
    )
    return endpoint, container.stop


CRATEDB = DatabaseProfile(
    slug="cratedb",
    product="CrateDB",
    default_port=4200,
    scheme="http",
    default_user="crate",
    capabilities=CRATEDB_CAPABILITIES,
    sql=CRATEDB_SQL,
    mock="dbapi_conformance.mockservers.cratedb.server:MockServer",
    container=cratedb_container,
    server_version=cratedb_server_version,
)

# --- databases still to be filled in --------------------------------------------------------

EXASOL = DatabaseProfile(
    slug="exasol",
    product="Exasol",
    default_port=8563,
    scheme="wss",
    default_user="sys",
    no_mock="no exasol mock server in this version",
)

IGNITE = DatabaseProfile(
    slug="ignite",
    product="Apache Ignite 3",
    default_port=10800,
    scheme="tcp",
    no_mock="no ignite mock server in this version",
)

VOLTDB = DatabaseProfile(
    slug="voltdb",
    product="VoltDB",
    default_port=21212,
    scheme="tcp",
    no_mock="no voltdb mock server in this version",
)

#: Known databases by slug.
DATABASES: dict[str, DatabaseProfile] = {
    db.slug: db for db in (EXASOL, CRATEDB, IGNITE, VOLTDB)
}


def get_database(slug: str) -> DatabaseProfile | None:
    """The profile of database ``slug``, or None for a database the harness does not know."""
    return DATABASES.get(slug)
