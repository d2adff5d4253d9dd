"""Driver profiles: how to call a driver's connect(), what it declares, its known deviations.

The built-in profiles (this project's reference drivers and the official clients) live in
the database registry (harness/databases/); any other driver gets its profile from the
``pytest_dbapi_profile`` hook (harness/hooks.py).
"""

from __future__ import annotations

import functools
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


@dataclass(frozen=True)
class DriverProfile:
    """How the harness drives one PEP 249 module.

    - ``module``: import path, e.g. "mypkg.dbapi".
    - ``database``: database slug (harness/databases/); a slug the registry does not know
      needs ``sql``.
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
