"""The CrateDB registry entry: SQL, capabilities, reference driver, crate.client, mock, container.

CrateDB facts: protocols/cratedb.md (sections cited inline) and crate/crate
``docs/general/ddl/data-types.rst`` (column types that cannot be stored).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases import DatabaseProfile, Started, require_docker
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.profiles import DriverProfile
from dbapi_conformance.harness.sqlprofile import SqlProfile

#: Image of the real server for ``--dbapi-server=container`` (override: DBAPI_CRATEDB_IMAGE).
IMAGE = "crate/crate:6.4"

# --- what CrateDB lacks --------------------------------------------------------------------

# Sources: protocols/cratedb.md 1.2, 1.4, 5.1, 6.3; crate/crate docs/general/ddl/data-types.rst
_NO_TRANSACTIONS = (
    "CrateDB has no transactions: BEGIN/COMMIT are accepted and ignored, ROLLBACK is a "
    "syntax error"
)

CAPABILITIES = Capabilities(
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

SQL = SqlProfile(
    types={
        "int": "INTEGER",
        "bigint": "BIGINT",
        "float": "DOUBLE PRECISION",
        "decimal": None,  # not storable, see CAPABILITIES["decimal_type"]
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


def server_version(connection: Any) -> str | None:
    """The server's version via SQL (``sys.nodes``, protocols/cratedb.md 5.7)."""
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT version['number'] FROM sys.nodes LIMIT 1")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return str(row[0]) if row else None


def container() -> Started:
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
    server = CrateDBContainer(os.environ.get("DBAPI_CRATEDB_IMAGE", IMAGE))
    server.start()
    host = server.get_container_host_ip()
    port = int(server.get_exposed_port(4200))
    endpoint = Endpoint(kind="container", url=f"http://{host}:{port}", host=host, port=port,
                        user="crate", product="CrateDB")
    return endpoint, server.stop


# --- drivers -------------------------------------------------------------------------------


def connect_reference(module: ModuleType, endpoint: Endpoint) -> Any:
    """Our CrateDB driver: ``connect(servers=url, username=, password=, timeout=)``."""
    return module.connect(
        servers=endpoint.url, username=endpoint.user, password=endpoint.password,
        timeout=endpoint.timeout,
    )


def connect_crate_client(module: ModuleType, endpoint: Endpoint) -> Any:
    """crate-python: ``client.connect(url, username="crate", timeout=)`` (cratedb.md 6.2, 8)."""
    return module.connect(
        endpoint.url, username=endpoint.user or "crate", password=endpoint.password,
        timeout=endpoint.timeout,
    )


#: crate.client 2.3.0 deviations from PEP 249, clause id -> explanation. The tests still
#: fail; the report shows the explanation next to the failure. Each entry was confirmed
#: against the mock (protocols/cratedb.md 3.3, 6 and 7 describe the client); the project's
#: certification test requires the failed clauses to be exactly these keys.
_ONLY_ERROR = ("crate.client exposes only Error on the module; the other PEP 249 exception "
               "classes live in crate.client.exceptions")
CRATE_CLIENT_DEVIATIONS: dict[str, str] = {
    "EXC-ALL-1": "an unbindable parameter (one the JSON encoder cannot serialise) raises a "
    "bare TypeError, not a crate.client Error",
    "EXC-WARN-1": f"no Warning on the module: {_ONLY_ERROR}",
    "EXC-WARN-2": f"no Warning on the module to keep apart from Error: {_ONLY_ERROR}",
    "EXC-ERR-1": f"no InterfaceError, DatabaseError or DatabaseError subclass on the module: "
    f"{_ONLY_ERROR}",
    "EXC-IFACE-1": f"no InterfaceError on the module: {_ONLY_ERROR}",
    "EXC-DB-1": f"no DatabaseError on the module: {_ONLY_ERROR}",
    "EXC-DATA-1": "no DataError on the module, and none is raised: crate.client maps every "
    "server error except DuplicateKeyException to ProgrammingError, ignoring the error code, "
    "so division by zero and integer overflow (CrateDB: SQLParseException, code 4000) raise "
    "ProgrammingError",
    "EXC-OPER-1": f"no OperationalError on the module: {_ONLY_ERROR}; an unreachable server "
    "raises crate.client.exceptions.ConnectionError (an OperationalError subclass there) at "
    "connect()",
    "EXC-INTEG-1": f"no IntegrityError on the module: {_ONLY_ERROR} (a duplicate primary key "
    "raises crate.client.exceptions.IntegrityError)",
    "EXC-INTERN-1": f"no InternalError on the module: {_ONLY_ERROR}",
    "EXC-PROG-1": f"no ProgrammingError on the module: {_ONLY_ERROR} (bad SQL raises "
    "crate.client.exceptions.ProgrammingError)",
    "EXC-NOTSUP-1": f"no NotSupportedError on the module: {_ONLY_ERROR}",
    "CUR-DESC-3": "description items are (name, None, None, None, None, None, None): "
    "type_code is always None (col_types are only used by converters)",
    "CUR-DESC-4": "description raises KeyError('cols') before the first execute and is () "
    "instead of None after DML/DDL",
    "CUR-DESC-5": "type_code is always None, and there are no type objects to compare with",
    "CUR-EXEC-3": "only a dict is taken as named parameters; a non-dict Mapping is passed to "
    "the JSON encoder, which raises TypeError",
    "CUR-EXEC-5": "'%%' is sent unchanged (not unescaped to '%') and %(name)s inside string "
    "literals is rewritten to $n",
    "CUR-FONE-2": "fetchone() after INSERT/DDL returns [] (the one empty row of CrateDB's "
    "row-count reply) and None after executemany, instead of raising",
    "CUR-FMANY-4": "fetchmany() after INSERT/DDL returns [[]] and [] after executemany, "
    "instead of raising",
    "CUR-FALL-2": "fetchall() after INSERT/DDL returns [[]] and [] after executemany, "
    "instead of raising",
    "TYP-CTOR-1": "no type objects or constructors: Date, Time and Timestamp are missing",
    "TYP-CTOR-2": "no type objects or constructors: DateFromTicks, TimeFromTicks and "
    "TimestampFromTicks are missing",
    "TYP-CTOR-3": "no type objects or constructors: Binary is missing",
    "TYP-OBJ-1": "no type objects or constructors: STRING, BINARY, NUMBER, DATETIME and ROWID "
    "are missing",
    "TYP-OBJ-3": "no type objects or constructors, so no constructed values to bind",
    "TYP-HINT-1": "no Date constructor, and TIMESTAMP values come back as epoch-millisecond "
    "ints unless a converter or time_zone is configured",
    "EXT-CURCONN-1": "cursor.connection is a plain writable attribute",
    "EXT-LASTROW-1": "lastrowid is a plain writable attribute (always None)",
}

#: What crate.client 2.3.0 leaves out, beyond CrateDB (checked against its Cursor and
#: Connection classes).
CRATE_CLIENT_CAPABILITIES = Capabilities({
    "rownumber": "crate.client's Cursor has no rownumber",
    "connection_exceptions": "crate.client's Connection carries no exception classes",
    "scroll": "crate.client's Cursor has no scroll()",
    "messages": "crate.client's Cursor and Connection have no messages",
    "errorhandler": "crate.client has no errorhandler extension",
})

CRATE_CLIENT = DriverProfile(
    module="crate.client",
    database="cratedb",
    connect=connect_crate_client,
    capabilities=CRATE_CLIENT_CAPABILITIES,
    known_deviations=CRATE_CLIENT_DEVIATIONS,
)

ENTRY = DatabaseProfile(
    slug="cratedb",
    product="CrateDB",
    default_port=4200,
    scheme="http",
    default_user="crate",
    capabilities=CAPABILITIES,
    sql=SQL,
    mock="dbapi_conformance.mockservers.cratedb.server:MockServer",
    container=container,
    server_version=server_version,
    reference_connect=connect_reference,
    clients=(CRATE_CLIENT,),
    aliases={"crate": "crate.client"},
)
