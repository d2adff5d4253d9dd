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
    - ``connect``: (module, Endpoint) -> new open connection.
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
    """Our CrateDB driver: ``connect(servers=url, username=, password=)`` (INTERFACES)."""
    return module.connect(
        servers=endpoint.url, username=endpoint.user, password=endpoint.password
    )


def connect_crate_client(module: ModuleType, endpoint: Endpoint) -> Any:
    """crate-python: ``client.connect(url, username="crate")`` (protocols/cratedb.md 6.2, 8)."""
    return module.connect(
        endpoint.url, username=endpoint.user or "crate", password=endpoint.password
    )


def connect_pyignite_dbapi(module: ModuleType, endpoint: Endpoint) -> Any:
    """pyignite_dbapi: ``connect(address=["host:port"], identity=, secret=, timeout=)``."""
    kwargs: dict[str, Any] = {"address": [endpoint.address], "timeout": 10}
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

#: crate.client deviations from PEP 249, clause id -> explanation. The tests still fail; the
#: report shows the explanation next to the failure. Entries are added as they are confirmed.
CRATE_CLIENT_DEVIATIONS: dict[str, str] = {}


# --- the built-in profiles ------------------------------------------------------------------

_REFERENCE_CONNECT: dict[str, ConnectFn] = {"cratedb": connect_reference_cratedb}


def reference_profile(slug: str) -> DriverProfile:
    """The profile of this project's reference driver for database ``slug``."""
    return DriverProfile(
        module=f"{REFERENCE_PACKAGE}.{slug}",
        database=slug,
        connect=_REFERENCE_CONNECT.get(slug) or _connect_missing(slug),
        reference=True,
    )


OFFICIAL_PROFILES: dict[str, DriverProfile] = {
    "crate.client": DriverProfile(
        module="crate.client",
        database="cratedb",
        connect=connect_crate_client,
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
