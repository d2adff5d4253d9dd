"""The Exasol registry entry: SQL, capabilities, reference driver, the two official PEP 249
modules, mock, container.

Exasol facts: protocols/exasol.md (sections cited inline). The official PEP 249 modules:
pyexasol's ``exasol.driver.websocket.dbapi2`` (in the pyexasol wheel, 9.2) and the seed's
``EXASOL`` (PyPI ``EXASOL-DB-API``, 9.3).
"""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
import time
import types
from types import ModuleType
from typing import Any

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases import DatabaseProfile, Started, require_docker
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.profiles import DriverProfile
from dbapi_conformance.harness.sqlprofile import SqlProfile

# pyexasol (the DB-API module's base) reports every connect to a remote host unless this is
# set; conformance runs keep everything on this machine. Set before the driver is imported.
os.environ.setdefault("EXASOL_TELEMETRY_DISABLE", "1")

#: Image of the real server for ``--dbapi-server=container`` (override: DBAPI_EXASOL_IMAGE;
#: pyexasol's own CI runs this release, protocols/exasol.md 12).
IMAGE = "exasol/docker-db:2026.1.0"
#: Seconds the container may take until a login succeeds (12: roughly 1-3 minutes).
STARTUP_TIMEOUT = 600.0
#: The container's certificate (12), read to pin it by its SHA-256 fingerprint.
CERTIFICATE_PATH = "/exa/etc/ssl/ssl.crt"

# --- what Exasol lacks -----------------------------------------------------------------------

_NO_PROCEDURES = ("Exasol has no stored procedures to CALL: its scripts run through EXECUTE "
                  "SCRIPT and are not PEP 249 procedures")
_ONE_RESULT = ("an Exasol execute runs one statement and returns exactly one result "
               "(protocols/exasol.md 4)")

CAPABILITIES = Capabilities(
    {
        "callproc": _NO_PROCEDURES,
        "callproc_inout": _NO_PROCEDURES,
        "nextset": _ONE_RESULT,
        "multiple_result_sets": _ONE_RESULT,
        "tpc": "Exasol has no two-phase commit (no PREPARE TRANSACTION, no XA in the "
        "WebSocket API)",
        "binary": "Exasol has no binary/BLOB column type",
        "time_type": "Exasol has no TIME column type (only DATE and TIMESTAMP)",
        "lastrowid": "Exasol reports no row ids (IDENTITY values are not returned by "
        "INSERT)",
        "warning_messages": "Exasol's replies carry no warnings or notices, only results or "
        "an exception (protocols/exasol.md 3)",
    }
)

SQL = SqlProfile(
    types={
        "int": "INTEGER",  # DECIMAL(18,0)
        "bigint": "BIGINT",  # DECIMAL(36,0)
        "float": "DOUBLE PRECISION",  # DOUBLE
        "decimal": "DECIMAL(18,2)",
        "text": "VARCHAR(2000)",
        "bool": "BOOLEAN",
        "date": "DATE",
        "time": None,  # see CAPABILITIES["time_type"]
        "timestamp": "TIMESTAMP",
        "binary": None,
    },
    select_one="SELECT 1",
    syntax_error="SELEC 1",
    division_by_zero="SELECT 1 / 0",
    # DECIMAL(18,0) holds 18 digits: a 20-digit value is out of range (sqlCode 22003).
    numeric_overflow="SELECT CAST(12345678901234567890 AS DECIMAL(18,0))",
    # Exasol is serializable: a session's open transaction keeps reading the snapshot it
    # began with, so another session's commit becomes visible to it only once it has ended
    # its own transaction. The suite's "make earlier writes visible" step does that.
    refresh="COMMIT",
)


def server_version(connection: Any) -> str | None:
    """The server's version: the reference driver's login info, else ``EXA_METADATA``."""
    version = getattr(connection, "server_version_string", None)
    if isinstance(version, str) and version:
        return version
    cursor = connection.cursor()
    try:
        cursor.execute("SELECT PARAM_VALUE FROM EXA_METADATA "
                       "WHERE PARAM_NAME = 'databaseProductVersion'")
        row = cursor.fetchone()
    finally:
        cursor.close()
    return str(row[0]) if row else None


# --- the container ---------------------------------------------------------------------------

#: (host, port) -> SHA-256 fingerprint (hex) of the certificate of a container started here.
_FINGERPRINTS: dict[tuple[str, int], str] = {}
_FINGERPRINTS_LOCK = threading.Lock()


def fingerprint_of(endpoint: Endpoint) -> str | None:
    """The pinned certificate fingerprint of ``endpoint`` (a container started by
    :func:`container`), or None."""
    with _FINGERPRINTS_LOCK:
        return _FINGERPRINTS.get((endpoint.host or "", endpoint.port or 0))


def _certificate_fingerprint(server: Any) -> str:
    result = server.get_wrapped_container().exec_run(["cat", CERTIFICATE_PATH])
    if result.exit_code != 0:
        raise RuntimeError(f"cannot read {CERTIFICATE_PATH} in the Exasol container: "
                           f"{result.output[:200]!r}")
    der = ssl.PEM_cert_to_DER_cert(result.output.decode("ascii"))
    return hashlib.sha256(der).hexdigest().upper()


def container() -> Started:
    """Start ``exasol/docker-db`` with testcontainers (protocols/exasol.md 12): privileged,
    port 8563, user ``sys``/``exasol``, TLS pinned by the certificate's SHA-256 fingerprint.

    Ready means: a login with the reference driver succeeds (retried until
    STARTUP_TIMEOUT). Raises ServerUnavailable without testcontainers or without a
    reachable Docker engine.
    """
    try:
        from testcontainers.core.container import DockerContainer
    except ImportError as exc:
        raise ServerUnavailable(f"testcontainers cannot be imported ({exc}); "
                                "pip install 'dbapi-conformance[live]'") from None
    require_docker()
    from dbapi_conformance.drivers import exasol as driver

    server = (DockerContainer(os.environ.get("DBAPI_EXASOL_IMAGE", IMAGE))
              .with_kwargs(privileged=True).with_exposed_ports(8563))
    server.start()
    try:
        host = server.get_container_host_ip()
        port = int(server.get_exposed_port(8563))
        endpoint = Endpoint(kind="container", url=f"wss://{host}:{port}", host=host, port=port,
                            user="sys", password="exasol", product="Exasol")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        problem = "not tried"
        while time.monotonic() < deadline:
            try:
                fingerprint = _certificate_fingerprint(server)
                driver.connect(endpoint.url, "sys", "exasol", fingerprint=fingerprint,
                               timeout=30).close()
                break
            except Exception as exc:  # noqa: BLE001 - still starting: retry until the deadline
                problem = f"{type(exc).__name__}: {exc}"
                time.sleep(5)
        else:
            raise RuntimeError(f"the Exasol container accepted no login within "
                               f"{STARTUP_TIMEOUT:g} s; last error: {problem}")
    except BaseException:
        server.stop()
        raise
    with _FINGERPRINTS_LOCK:
        _FINGERPRINTS[(host, port)] = fingerprint

    def stop() -> None:
        with _FINGERPRINTS_LOCK:
            _FINGERPRINTS.pop((host, port), None)
        server.stop()

    return endpoint, stop


# --- drivers ---------------------------------------------------------------------------------


#: The schema the suite's tables live in: Exasol has no default schema (a fresh session of
#: ``sys`` has none open), so every connection opens this one, creating it when missing.
SCHEMA = "DBAPI_CONFORMANCE"


def _password(endpoint: Endpoint) -> str:
    return "exasol" if endpoint.password is None else endpoint.password


def _open_schema(connection: Any) -> Any:
    """Create (if missing) and open :data:`SCHEMA` through the PEP 249 API, committed, so
    that the suite's unqualified table names resolve."""
    try:
        cursor = connection.cursor()
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cursor.execute(f"OPEN SCHEMA {SCHEMA}")
        cursor.close()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    return connection


def connect_reference(module: ModuleType, endpoint: Endpoint) -> Any:
    """Our Exasol driver: ``connect(url, user, password, timeout=)``, plus the pinned
    fingerprint of a container; then :data:`SCHEMA` is opened (as for every driver)."""
    options: dict[str, Any] = {"timeout": endpoint.timeout}
    fingerprint = fingerprint_of(endpoint)
    if fingerprint is not None:
        options["fingerprint"] = fingerprint
    return _open_schema(module.connect(endpoint.url, endpoint.user or "sys",
                                       _password(endpoint), **options))


def connect_pyexasol_dbapi(module: ModuleType, endpoint: Endpoint) -> Any:
    """pyexasol's DB-API module (9.2): ``connect(dsn="host:port", username=, password=,
    tls=)``; a container's certificate is pinned with pyexasol's ``host/<fingerprint>:port``
    DSN, which needs ``certificate_validation=False`` (CERT_NONE, then the fingerprint
    check). Its timeouts are fixed (connect 10 s, socket 30 s). Its defaults stay as they
    are: autocommit on."""
    tls = (endpoint.url or "").startswith("wss:")
    fingerprint = fingerprint_of(endpoint)
    host = f"{endpoint.host}/{fingerprint}" if fingerprint else endpoint.host
    return _open_schema(module.connect(
        dsn=f"{host}:{endpoint.port}", username=endpoint.user or "sys",
        password=_password(endpoint), tls=tls, certificate_validation=fingerprint is None))


def connect_exasol_db_api(module: ModuleType, endpoint: Endpoint) -> Any:
    """EXASOL-DB-API (9.3): ``EXASOL.connect(url, user, password, **websocket_options)``;
    ``timeout`` goes to websocket-client, and ``wss://`` uses
    ``sslopt={"cert_reqs": ssl.CERT_NONE}`` as the seed's examples do (it cannot pin a
    fingerprint).

    EXASOL-DB-API 6.0.0 times every request with ``time.clock()``, which Python 3.8 removed,
    so without help it cannot even connect (AttributeError). The profile gives the EXASOL
    module alone a ``time`` with ``clock`` = ``time.process_time`` (what ``time.clock``
    measured on Unix), so that the rest of the driver can be certified; nothing else is
    changed."""
    if not hasattr(module.time, "clock"):
        module.time = types.SimpleNamespace(time=time.time, clock=time.process_time)
    options: dict[str, Any] = {}
    if endpoint.timeout is not None:
        options["timeout"] = endpoint.timeout
    if (endpoint.url or "").startswith("wss:"):
        options["sslopt"] = {"cert_reqs": ssl.CERT_NONE}
    return _open_schema(module.connect(endpoint.url, endpoint.user or "sys",
                                       _password(endpoint), **options))


#: exasol.driver.websocket.dbapi2 (pyexasol 3.0.1) deviations from PEP 249, clause id ->
#: explanation, each confirmed against the mock; the certification test requires the
#: failed clauses to be exactly these keys.
_PYX_AUTOCOMMIT = ("connect() opens in autocommit mode (autocommit=True is its default), so "
                   "every statement is committed at once")
_PYX_ARRAYSIZE = "arraysize is a read-only property (always 1): assigning it raises AttributeError"
_PYX_NO_RESULT = ("fetch*() without a result set (after INSERT, executemany or DDL) raises "
                  "pyexasol.exceptions.ExaRuntimeError, which is none of the module's exceptions")
PYEXASOL_DBAPI_DEVIATIONS: dict[str, str] = {
    "GLB-PARAM-2": "paramstyle is 'qmark', not one of the preferred numeric, named, pyformat",
    "EXC-ALL-1": "a parameter the JSON encoder cannot serialise raises a bare TypeError, not a "
    "module Error",
    "EXC-DATA-1": "an error reply to execute is a pyexasol ExaQueryError, which the module "
    "turns into ProgrammingError whatever its sqlCode, so a data exception (division by zero) "
    "raises ProgrammingError",
    "EXC-INTEG-1": "an error reply to executePreparedStatement (every execute with parameters) "
    "is a pyexasol ExaRequestError, which the module turns into DatabaseError whatever its "
    "sqlCode, so a duplicate primary key (42X91 constraint violation) raises DatabaseError",
    "CON-CLOSE-4": f"{_PYX_AUTOCOMMIT}; close() has nothing left to roll back",
    "CON-COMMIT-2": f"autocommit is on when the connection opens: {_PYX_AUTOCOMMIT}",
    "CON-ROLLBACK-2": f"{_PYX_AUTOCOMMIT}; rollback() has nothing left to discard",
    "CUR-ASIZE-1": _PYX_ARRAYSIZE,
    "CUR-ASIZE-2": _PYX_ARRAYSIZE,
    "CUR-ASIZE-3": _PYX_ARRAYSIZE,
    "CUR-FMANY-2": f"{_PYX_ARRAYSIZE}, so fetchmany() cannot follow a changed arraysize",
    "CUR-FONE-2": _PYX_NO_RESULT,
    "CUR-FMANY-4": _PYX_NO_RESULT,
    "CUR-FALL-2": _PYX_NO_RESULT,
    "CUR-SETOUT-1": "setoutputsize(size, column) requires column: setoutputsize(size) raises "
    "TypeError",
    "TYP-CTOR-3": "no Binary constructor on the module",
    "TYP-HINT-1": "no Binary constructor on the module",
}

#: What exasol.driver.websocket.dbapi2 leaves out, beyond Exasol (checked against its
#: Cursor and Connection classes in pyexasol 3.0.1).
PYEXASOL_DBAPI_CAPABILITIES = Capabilities({
    "rownumber": "exasol.driver.websocket.dbapi2's Cursor has no rownumber",
    "connection_exceptions": "exasol.driver.websocket.dbapi2's Connection carries no "
    "exception classes",
    "cursor_connection": "exasol.driver.websocket.dbapi2's Cursor has no connection "
    "attribute",
    "scroll": "exasol.driver.websocket.dbapi2's Cursor has no scroll()",
    "messages": "exasol.driver.websocket.dbapi2's Cursor and Connection have no messages",
    "next": "exasol.driver.websocket.dbapi2's Cursor has no next()",
    "iter": "exasol.driver.websocket.dbapi2's Cursor is not iterable (no __iter__)",
    "autocommit_attribute": "exasol.driver.websocket.dbapi2 sets autocommit only through "
    "connect(autocommit=...); its Connection has no autocommit attribute",
    "errorhandler": "exasol.driver.websocket.dbapi2 has no errorhandler extension",
})

PYEXASOL_DBAPI = DriverProfile(
    module="exasol.driver.websocket.dbapi2",
    database="exasol",
    connect=connect_pyexasol_dbapi,
    capabilities=PYEXASOL_DBAPI_CAPABILITIES,
    # pyexasol's ExaConnection.__del__ sends "disconnect" and waits for the reply (socket
    # timeout 30 s) in whichever thread the garbage collector runs; in an in-process mock's
    # event-loop thread that wait blocks the very loop that would answer it.
    mock_runner="subprocess",
    known_deviations=PYEXASOL_DBAPI_DEVIATIONS,
)

#: EXASOL-DB-API 6.0.0 deviations from PEP 249 (as above).
_BINDING = ("execute(operation, *parameters) takes the values as separate arguments, so "
            "execute(sql, (1, 'a')) binds the whole tuple as ONE value and the server refuses "
            "the request (its data holds one column for two parameters)")


def _binding(what: str) -> str:
    return f"{what} fails because {_BINDING}"


_ONLY_OPERATIONAL = ("every error reply is raised as OperationalError('database error "
                     "[sqlCode] ...') whatever its sqlCode")
_NOT_JSON = ("date and datetime parameters are handed to the JSON encoder as they are "
             "(TypeError 'Object of type date is not JSON serializable', raised as "
             "OperationalError('internal error ...'))")
EXASOL_DB_API_DEVIATIONS: dict[str, str] = {
    "GLB-THREAD-1": "the module defines 'thredsafety' (misspelt), not threadsafety",
    "GLB-THREAD-2": "the module defines 'thredsafety' (misspelt), not threadsafety",
    "GLB-PARAM-2": "paramstyle is 'qmark', not one of the preferred numeric, named, pyformat",
    "GLB-PARAM-3": _binding("qmark binding"),
    "EXC-ALL-1": "execute() on a closed cursor raises nothing (close() only drops the result), "
    "and an unreachable server raises the socket's ConnectionRefusedError, not a module Error",
    "EXC-OPER-1": "an unreachable server raises the socket's ConnectionRefusedError, not "
    "OperationalError",
    "EXC-DATA-1": f"{_ONLY_OPERATIONAL}, so a division by zero raises OperationalError",
    "EXC-PROG-1": f"{_ONLY_OPERATIONAL}, so unknown and existing tables and syntax errors "
    "raise OperationalError",
    "EXC-INTEG-1": f"{_ONLY_OPERATIONAL}; and the rows cannot even be inserted: {_BINDING}",
    "CON-CLOSE-2": "a closed connection still hands out cursors: cursor() does not raise",
    "CON-CLOSE-4": _binding("writing the rows"),
    "CON-COMMIT-1": _binding("writing the rows"),
    "CON-COMMIT-2": _binding("writing the rows"),
    "CON-ROLLBACK-2": _binding("writing the rows"),
    "CUR-ISO-1": _binding("writing the rows"),
    "CUR-ISO-2": _binding("writing the rows"),
    "CUR-DESC-1": "description is a plain writable class attribute",
    "CUR-DESC-2": _binding("filling the table"),
    "CUR-DESC-3": _binding("filling the table"),
    "CUR-DESC-4": _binding("running DML with parameters"),
    "CUR-DESC-5": "no type objects (STRING, NUMBER, DATETIME, ...) to compare type codes with",
    "CUR-ROWC-1": "rowcount is a plain writable attribute",
    "CUR-ROWC-2": _binding("running DML with parameters"),
    "CUR-ROWC-3": "rowcount is None before any execute, not -1",
    "CUR-ROWC-4": _binding("running DML with parameters"),
    "CUR-ROWC-5": _binding("running DML with parameters"),
    "CUR-ASIZE-2": _binding("filling the table"),
    "CUR-CLOSE-1": _binding("filling the table"),
    "CUR-CLOSE-2": _binding("filling the table"),
    "CUR-EXEC-2": _binding("execute with parameters"),
    "CUR-EXEC-3": "a parameter container other than list or tuple (a custom sequence) goes to "
    "the JSON encoder as it is (TypeError, raised as OperationalError('internal error ...'))",
    "CUR-EXEC-4": _binding("binding values"),
    "CUR-EXEC-5": _binding("binding a placeholder's value (the server reads '[1]')"),
    "CUR-EXEC-6": _binding("execute with parameters"),
    "CUR-EXEC-7": _binding("execute with parameters"),
    "CUR-EXECMANY-3": _binding("filling the table"),
    "CUR-FONE-1": _binding("filling the table"),
    "CUR-FONE-2": _binding("running DML with parameters"),
    "CUR-FONE-3": _binding("filling the table"),
    "CUR-FMANY-1": _binding("filling the table"),
    "CUR-FMANY-2": _binding("filling the table"),
    "CUR-FMANY-3": _binding("filling the table"),
    "CUR-FMANY-4": _binding("running DML with parameters"),
    "CUR-FALL-1": f"{_binding('filling the table')}; fetchall() of an empty result returns "
    "None instead of an empty sequence",
    "CUR-FALL-2": _binding("running DML with parameters"),
    "CUR-SETIN-1": _binding("execute with parameters"),
    "CUR-SETOUT-1": _binding("execute with parameters"),
    "TYP-CTOR-1": _NOT_JSON,
    "TYP-CTOR-2": "no DateFromTicks, TimeFromTicks or TimestampFromTicks on the module",
    "TYP-CTOR-3": "Binary is None on the module",
    "TYP-OBJ-1": "no type objects: STRING, BINARY, NUMBER, DATETIME and ROWID are missing",
    "TYP-OBJ-3": _NOT_JSON,
    "TYP-NULL-1": _binding("binding None"),
    "TYP-HINT-1": f"Binary is None on the module, and {_NOT_JSON}",
    "EXT-ROWNUM-1": _binding("filling the table"),
    "EXT-CURCONN-1": "cursor.connection is a plain writable attribute",
    "EXT-SCROLL-1": _binding("filling the table"),
    "EXT-SCROLL-2": _binding("filling the table"),
    "EXT-SCROLL-3": _binding("filling the table"),
    "EXT-NEXT-1": _binding("filling the table"),
    "EXT-ITER-1": _binding("filling the table"),
}

#: What EXASOL-DB-API 6.0.0 leaves out, beyond Exasol (checked against its cursor and
#: connect classes).
EXASOL_DB_API_CAPABILITIES = Capabilities({
    "rownumber": "EXASOL's cursor has no rownumber",
    "scroll": "EXASOL's cursor has no scroll()",
    "connection_exceptions": "EXASOL's connection carries no exception classes",
    "messages": "EXASOL's cursor and connection have no messages",
    "autocommit_attribute": "EXASOL sets autocommit only through connect(autocommit=...); "
    "its connection has no autocommit attribute",
    "errorhandler": "EXASOL has no errorhandler extension",
})

EXASOL_DB_API = DriverProfile(
    module="EXASOL",
    database="exasol",
    connect=connect_exasol_db_api,
    capabilities=EXASOL_DB_API_CAPABILITIES,
    # in-process mock: EXASOL and websocket-client define no __del__, so a collected
    # connection only drops its socket and sends nothing from the collector's thread
    known_deviations=EXASOL_DB_API_DEVIATIONS,
)

ENTRY = DatabaseProfile(
    slug="exasol",
    product="Exasol",
    default_port=8563,
    scheme="ws",
    default_user="sys",
    capabilities=CAPABILITIES,
    sql=SQL,
    mock="dbapi_conformance.mockservers.exasol.server:ExasolMockServer",
    container=container,
    server_version=server_version,
    reference_connect=connect_reference,
    clients=(PYEXASOL_DBAPI, EXASOL_DB_API),
    aliases={"pyexasol": "exasol.driver.websocket.dbapi2",
             "exasol-db-api": "EXASOL"},
)
