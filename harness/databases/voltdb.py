"""The VoltDB registry entry: SQL, capabilities, reference driver, mock, container.

VoltDB facts: protocols/voltdb.md (sections cited inline): the client port 21212 (1.1),
@AdHoc and DDL semantics (5), every call its own transaction (5.6), @SystemInformation
(6), the community image (8).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases import DatabaseProfile, Started, require_docker
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.sqlprofile import Procedure, SqlProfile

#: Image of the real server for ``--dbapi-server=container`` (override: DBAPI_VOLTDB_IMAGE):
#: the last community image, the only one that runs without a licence (voltdb.md 8).
IMAGE = "voltdb/voltdb-community:9.2.1"
#: The line the image prints once the node serves clients (voltdb.md 8, 9.15).
READY_LINE = "Server completed initialization."
#: Seconds allowed for the JVM start, ``voltdb init`` and ``voltdb start``.
STARTUP_TIMEOUT = 240
CLIENT_PORT = 21212

# --- what VoltDB lacks ---------------------------------------------------------------------

_EACH_CALL = ("VoltDB runs every procedure call (one @AdHoc batch included) as its own "
              "transaction, committed when the call returns; there is no BEGIN, COMMIT or "
              "ROLLBACK (protocols/voltdb.md 5.6)")

CAPABILITIES = Capabilities(
    {
        "transactions": _EACH_CALL,
        "rollback": _EACH_CALL,
        "tpc": "VoltDB has no client-visible transactions, hence no two-phase commit",
        "callproc_inout": "VoltDB stored procedures take input parameters only and answer "
        "with VoltTables; there are no OUT or INOUT parameters",
        "warning_messages": "a VoltDB response carries a status, an application status and "
        "tables, never warnings or notices (protocols/voltdb.md 4.1)",
        "lastrowid": "VoltDB has no row ids, sequences or auto-increment "
        "(protocols/voltdb.md 5.3)",
        "bool_type": "VoltDB has no BOOLEAN column type (its column types are the integer "
        "types, FLOAT, DECIMAL, VARCHAR, VARBINARY, TIMESTAMP and the geography types)",
        "date_type": "VoltDB 9 (the community image) has no DATE column type; DATE "
        "appeared only in later licensed releases (protocols/voltdb.md 1.2, 8)",
        "time_type": "VoltDB has no TIME column type",
    }
)

#: The result-set procedure of the suite (CUR-CALLPROC-3, CUR-NEXTSET-*): a table of its
#: own, filled, and a single-statement procedure reading it (voltdb.md 5.3).
_ROWS_PROCEDURE = Procedure(
    name="dbapi_rows",
    args=(2,),
    rows=((2, "two"), (3, "three")),
    create=(
        "CREATE TABLE {name}_t (id INTEGER NOT NULL, name VARCHAR(16), PRIMARY KEY (id))",
        "INSERT INTO {name}_t VALUES (1, 'one'); INSERT INTO {name}_t VALUES (2, 'two'); "
        "INSERT INTO {name}_t VALUES (3, 'three')",
        "CREATE PROCEDURE {name} AS SELECT id, name FROM {name}_t WHERE id >= ? ORDER BY id",
    ),
    drop=("DROP PROCEDURE {name}", "DROP TABLE {name}_t IF EXISTS"),
)

SQL = SqlProfile(
    types={
        "int": "INTEGER",
        "bigint": "BIGINT",
        "float": "FLOAT",
        "decimal": "DECIMAL",  # always DECIMAL(38, 12) (voltdb.md 1.2)
        # The longest VARCHAR in characters that fits VoltDB's 1 MiB value limit.
        "text": "VARCHAR(262144)",
        "bool": None,
        "date": None,
        "time": None,
        "timestamp": "TIMESTAMP",
        "binary": "VARBINARY(1048576)",
    },
    select_one="SELECT 1",
    syntax_error="SELEC 1",
    division_by_zero="SELECT 1 / 0",
    numeric_overflow="SELECT CAST(2147483647 AS INTEGER) + CAST(1 AS INTEGER)",
    drop="DROP TABLE {table} IF EXISTS",
    procedures={"result_set": _ROWS_PROCEDURE},
    # Several statements in one @AdHoc: one table each (voltdb.md 5.1).
    two_result_sets="SELECT 1; SELECT 2",
)


def server_version(connection: Any) -> str | None:
    """VERSION of ``@SystemInformation OVERVIEW`` (voltdb.md 6), through callproc."""
    cursor = connection.cursor()
    try:
        cursor.callproc("@SystemInformation", ["OVERVIEW"])
        rows = cursor.fetchall()
    finally:
        cursor.close()
    for row in rows:
        if len(row) >= 3 and row[1] == "VERSION":
            return str(row[2])
    return None


def container() -> Started:
    """Start the VoltDB community image with one host (voltdb.md 8) through testcontainers,
    and wait for its initialisation line.

    Raises ServerUnavailable without testcontainers or without a reachable Docker engine.
    """
    try:
        from testcontainers.core.container import DockerContainer
        from testcontainers.core.wait_strategies import LogMessageWaitStrategy
    except ImportError as exc:
        raise ServerUnavailable(
            f"testcontainers cannot be imported ({exc}); pip install 'dbapi-conformance[live]'"
        ) from None
    require_docker()
    server = (
        DockerContainer(os.environ.get("DBAPI_VOLTDB_IMAGE", IMAGE))
        .with_env("HOST_COUNT", "1")
        .with_exposed_ports(CLIENT_PORT)
        .waiting_for(LogMessageWaitStrategy(READY_LINE).with_startup_timeout(STARTUP_TIMEOUT))
    )
    server.start()
    try:
        host = server.get_container_host_ip()
        port = int(server.get_exposed_port(CLIENT_PORT))
    except BaseException:
        server.stop()
        raise
    endpoint = Endpoint(kind="container", url=f"voltdb://{host}:{port}", host=host, port=port,
                        product="VoltDB")
    return endpoint, server.stop


# --- drivers -------------------------------------------------------------------------------


def connect_reference(module: ModuleType, endpoint: Endpoint) -> Any:
    """Our VoltDB driver: ``connect(host, port, user=, password=, timeout=)``."""
    return module.connect(
        endpoint.host, endpoint.port, user=endpoint.user, password=endpoint.password,
        timeout=endpoint.timeout,
    )


ENTRY = DatabaseProfile(
    slug="voltdb",
    product="VoltDB",
    default_port=CLIENT_PORT,
    scheme="voltdb",
    capabilities=CAPABILITIES,
    sql=SQL,
    mock="dbapi_conformance.mockservers.voltdb.server:MockServer",
    container=container,
    server_version=server_version,
    reference_connect=connect_reference,
    aliases={"volt": "dbapi_conformance.drivers.voltdb"},
)
