"""Driver profiles: how to call a driver's connect(), what it declares, its known deviations.

Built-in profiles cover the project's reference drivers (``dbapi_conformance.drivers.<slug>``)
and the official PEP 249 clients ``crate.client`` (protocols/cratedb.md 6.2) and
``pyignite_dbapi`` (protocols/ignite3.md; ``connect(address=[...], identity=, secret=,
timeout=)``). Any other driver gets its profile from the ``pytest_dbapi_profile`` hook
(harness/hooks.py).
"""

from __future__ import annotations

import functools
import importlib.util
import platform
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import MappingProxyType, ModuleType
from typing import Any

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.endpoint import Endpoint
from dbapi_conformance.harness.sqlprofile import SqlProfile

#: connect callable of a profile: (imported driver module, endpoint) -> open connection.
ConnectFn = Callable[[ModuleType, Endpoint], Any]

#: Database slugs that have a reference driver in this project (short --dbapi-driver names).
REFERENCE_SLUGS = ("exasol", "cratedb", "ignite", "voltdb")
REFERENCE_PACKAGE = "dbapi_conformance.drivers"


@dataclass(frozen=True)
class DriverProfile:
    """How the harness drives one PEP 249 module.

    - ``module``: import path, e.g. "crate.client".
    - ``database``: database slug ("cratedb"); a slug the harness does not know needs ``sql``.
    - ``connect``: (module, Endpoint) -> new open connection. It should hand
      ``Endpoint.timeout`` (seconds, when not None) to the driver as its network timeout:
      the harness sets one when it connects to an unreachable server (EXC-OPER-1).
    - ``capabilities``: what the driver lacks beyond its database (merged with it).
    - ``sql``: SqlProfile overriding the database's (required for unknown databases).
    - ``server``: None = as chosen by ``--dbapi-server``; "none" = embedded database, no
      server at all (the Endpoint then only carries ``data_dir``).
    - ``mock_runner``: "thread" (in-process mock) or "subprocess" (drivers that hold the GIL
      while waiting on the network, design.md "Mock servers run in three ways").
    - ``known_deviations``: clause id -> explanation, attached to that clause in the report
      when it FAILS; the test still fails.
    - ``expected_failures``: clause id -> reason; tests of that clause run as strict xfail
      (reported "xfail", or "unexpected-pass" when they pass).
    - ``reference``: True for this project's own drivers (shorter target ids).
    """

    module: str
    database: str
    connect: ConnectFn
    capabilities: Capabilities = field(default_factory=Capabilities)
    sql: SqlProfile | None = None
    server: str | None = None
    mock_runner: str = "thread"
    known_deviations: Mapping[str, str] = field(default_factory=dict)
    expected_failures: Mapping[str, str] = field(default_factory=dict)
    reference: bool = False

    def __post_init__(self) -> None:
        if self.server not in (None, "none"):
            raise ValueError(f"DriverProfile.server must be None or 'none', not {self.server!r}")
        if self.mock_runner not in ("thread", "subprocess"):
            raise ValueError(f"DriverProfile.mock_runner must be 'thread' or 'subprocess', "
                             f"not {self.mock_runner!r}")
        for name in ("known_deviations", "expected_failures"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


# --- connect callables ----------------------------------------------------------------------


def connect_reference_cratedb(module: ModuleType, endpoint: Endpoint) -> Any:
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


def connect_pyignite_dbapi(module: ModuleType, endpoint: Endpoint) -> Any:
    """pyignite_dbapi: ``connect(address=["host:port"], identity=, secret=, timeout=)``."""
    kwargs: dict[str, Any] = {"address": [endpoint.address], "timeout": endpoint.timeout or 10}
    if endpoint.user is not None:
        kwargs["identity"] = endpoint.user
    if endpoint.password is not None:
        kwargs["secret"] = endpoint.password
    return module.connect(**kwargs)


def _connect_missing(slug: str) -> ConnectFn:
    def connect(module: ModuleType, endpoint: Endpoint) -> Any:
        raise NotImplementedError(f"the {slug} reference driver profile has no connect yet")

    return connect


# --- known deviations -----------------------------------------------------------------------

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


# --- the built-in profiles ------------------------------------------------------------------

_REFERENCE_CONNECT: dict[str, ConnectFn] = {"cratedb": connect_reference_cratedb}

#: What every reference driver leaves out (they share drivers/_dbapi), beyond its database.
REFERENCE_CAPABILITIES = Capabilities({
    "errorhandler": "the reference drivers raise errors directly; they have no errorhandler "
    "extension (drivers/_dbapi)",
})

#: What crate.client 2.3.0 leaves out, beyond CrateDB (checked against its Cursor and
#: Connection classes).
CRATE_CLIENT_CAPABILITIES = Capabilities({
    "rownumber": "crate.client's Cursor has no rownumber",
    "connection_exceptions": "crate.client's Connection carries no exception classes",
    "scroll": "crate.client's Cursor has no scroll()",
    "messages": "crate.client's Cursor and Connection have no messages",
    "errorhandler": "crate.client has no errorhandler extension",
})


def reference_profile(slug: str) -> DriverProfile:
    """The profile of this project's reference driver for database ``slug``."""
    return DriverProfile(
        module=f"{REFERENCE_PACKAGE}.{slug}",
        database=slug,
        connect=_REFERENCE_CONNECT.get(slug) or _connect_missing(slug),
        capabilities=REFERENCE_CAPABILITIES,
        reference=True,
    )


OFFICIAL_PROFILES: dict[str, DriverProfile] = {
    "crate.client": DriverProfile(
        module="crate.client",
        database="cratedb",
        connect=connect_crate_client,
        capabilities=CRATE_CLIENT_CAPABILITIES,
        known_deviations=CRATE_CLIENT_DEVIATIONS,
    ),
    "pyignite_dbapi": DriverProfile(
        module="pyignite_dbapi",
        database="ignite",
        connect=connect_pyignite_dbapi,
        # The C++ extension holds the GIL during network I/O (protocols/ignite3.md 11).
        mock_runner="subprocess",
    ),
}

#: Driver aliases accepted by --dbapi-driver besides the reference short names.
ALIASES = {"crate": "crate.client"}


def expand_driver_names(names: list[str]) -> list[str]:
    """Resolve short names to module paths, keeping order and dropping duplicates.

    "cratedb" -> "dbapi_conformance.drivers.cratedb"; "reference" -> every reference driver
    whose package exists; "crate" -> "crate.client"; anything else is kept as given.
    """
    out: list[str] = []
    for name in names:
        if name == "reference":
            expanded = [
                f"{REFERENCE_PACKAGE}.{s}" for s in REFERENCE_SLUGS if _package_exists(s)
            ]
        elif name in REFERENCE_SLUGS:
            expanded = [f"{REFERENCE_PACKAGE}.{name}"]
        else:
            expanded = [ALIASES.get(name, name)]
        out += [m for m in expanded if m not in out]
    return out


def _package_exists(slug: str) -> bool:
    try:
        return importlib.util.find_spec(f"{REFERENCE_PACKAGE}.{slug}") is not None
    except (ImportError, ValueError):
        return False


def builtin_profile(module: str) -> DriverProfile | None:
    """The built-in profile for a module path, or None when the harness has none."""
    prefix = f"{REFERENCE_PACKAGE}."
    if module.startswith(prefix) and module[len(prefix):] in REFERENCE_SLUGS:
        return reference_profile(module[len(prefix):])
    return OFFICIAL_PROFILES.get(module)


def driver_info(module: ModuleType) -> dict[str, Any]:
    """Report data of a driver module: module, version, apilevel, threadsafety, paramstyle.

    The version is ``__version__``, else the installed distribution's version, else the
    Python version for standard-library modules, else None. Missing globals are left out.
    """
    info: dict[str, Any] = {"module": module.__name__, "version": _module_version(module)}
    for name in ("apilevel", "threadsafety", "paramstyle"):
        if hasattr(module, name):
            value = getattr(module, name)
            info[name] = value if isinstance(value, (str, int, float, bool)) else repr(value)
    return info


def _module_version(module: ModuleType) -> str | None:
    version = getattr(module, "__version__", None)
    if isinstance(version, str):
        return version
    top = module.__name__.partition(".")[0]
    if top in sys.stdlib_module_names:
        return f"Python {platform.python_version()} standard library"
    for dist in _distributions().get(top, []):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return metadata.packages_distributions()
