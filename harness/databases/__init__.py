"""The database registry: one entry per database, everything the harness knows about it.

Each database is ONE registry entry, a :class:`DatabaseProfile`: its SQL profile, its
capabilities, how to connect this project's reference driver, the official clients' driver
profiles (with their declared deviations) and short names, its mock server class, its
container recipe, its default port and address scheme. The shared code (targets, servers,
the ``dbapi-mock`` command) iterates over the registry and never names a database.

Where entries come from:

- every module of this package (``harness/databases/<slug>.py``) that defines ``ENTRY``;
- the ``dbapi_conformance.databases`` entry-point group of installed distributions, each
  entry point naming a DatabaseProfile object (a database supplied by another project).

Adding a database = its own folders (driver, codec, mock server) + one entry module here.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from types import MappingProxyType
from typing import Any

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable
from dbapi_conformance.harness.profiles import ConnectFn, DriverProfile
from dbapi_conformance.harness.sqlprofile import SqlProfile

__all__ = [
    "DATABASES",
    "ENTRY_POINT_GROUP",
    "REFERENCE_PACKAGE",
    "DatabaseProfile",
    "builtin_profile",
    "expand_driver_names",
    "get_database",
    "known_driver_names",
    "reference_profile",
    "require_docker",
]

#: (running endpoint, stop callable) as returned by a container recipe.
Started = tuple[Endpoint, Callable[[], None]]

#: Package of this project's reference drivers: ``<REFERENCE_PACKAGE>.<slug>``.
REFERENCE_PACKAGE = "dbapi_conformance.drivers"
#: Entry-point group through which other distributions add databases.
ENTRY_POINT_GROUP = "dbapi_conformance.databases"


@dataclass(frozen=True)
class DatabaseProfile:
    """Everything the harness knows about one database (one registry entry).

    - ``slug``: the database's one name (folders, target ids, ``--dbapi-database``); ``product``:
      the human name.
    - ``default_port``, ``scheme``, ``default_user``: complete a ``--dbapi-server``
      address (``host`` -> ``<scheme>://host:<default_port>``, with that user).
    - ``capabilities``: what the database lacks, with reasons.
    - ``sql``: its SqlProfile.
    - ``mock``: "module:Class" of its mock server (the mockservers base protocol), or None
      with ``no_mock`` giving the skip reason.
    - ``container``: recipe starting a real server, () -> (Endpoint, stop); it raises
      ServerUnavailable when it cannot run here. None with ``no_container`` as reason.
    - ``server_version``: connection -> version string (or None), for the report.
    - ``reference_connect``: how to call this project's reference driver
      (``<REFERENCE_PACKAGE>.<slug>``), or None when there is none yet;
      ``reference_capabilities``: what that driver lacks beyond the database.
    - ``clients``: DriverProfiles of the official and other known clients, with their
      declared deviations; ``aliases``: short ``--dbapi-driver`` names -> module path.
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
    reference_connect: ConnectFn | None = None
    reference_capabilities: Capabilities = field(default_factory=Capabilities)
    clients: tuple[DriverProfile, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "clients", tuple(self.clients))
        object.__setattr__(self, "aliases", MappingProxyType(dict(self.aliases)))
        for client in self.clients:
            if client.database != self.slug:
                raise ValueError(f"client profile {client.module!r} of {self.slug!r} names "
                                 f"the database {client.database!r}")

    @property
    def reference_module(self) -> str:
        """Module path of this database's reference driver (whether or not it exists)."""
        return f"{REFERENCE_PACKAGE}.{self.slug}"


def _package_entries() -> Iterator[DatabaseProfile]:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        entry = getattr(module, "ENTRY", None)
        if not isinstance(entry, DatabaseProfile):
            raise TypeError(f"{module.__name__}.ENTRY must be a DatabaseProfile")
        if entry.slug != info.name:
            raise ValueError(f"{module.__name__} holds the entry of {entry.slug!r}: the module "
                             "is named after its database's slug")
        yield entry


def _plugin_entries() -> Iterator[DatabaseProfile]:
    for point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry = point.load()
        except Exception as exc:  # a broken plug-in must say which one it is
            raise RuntimeError(f"the database registry entry point {point.name} = "
                               f"{point.value} ({ENTRY_POINT_GROUP}) cannot be loaded: "
                               f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(entry, DatabaseProfile):
            raise TypeError(f"entry point {point.name} = {point.value} ({ENTRY_POINT_GROUP}) "
                            "is not a DatabaseProfile")
        yield entry


def _load() -> dict[str, DatabaseProfile]:
    found: dict[str, DatabaseProfile] = {}
    for entry in (*_package_entries(), *_plugin_entries()):
        if entry.slug in found:
            raise ValueError(f"two registry entries for the database {entry.slug!r}")
        found[entry.slug] = entry
    return found



def get_database(slug: str) -> DatabaseProfile | None:
    """The entry of database ``slug``, or None for a database the harness does not know."""
    return DATABASES.get(slug)


# --- driver profiles from the registry ------------------------------------------------------


def reference_profile(db: DatabaseProfile) -> DriverProfile:
    """The profile of this project's reference driver for ``db``; ValueError when the entry
    has no ``reference_connect``."""
    if db.reference_connect is None:
        raise ValueError(f"{db.product} has no reference driver in this version")
    return DriverProfile(
        module=db.reference_module,
        database=db.slug,
        connect=db.reference_connect,
        capabilities=db.reference_capabilities,
        reference=True,
    )


def builtin_profile(module: str) -> DriverProfile | None:
    """The registry's profile for a module path (a reference driver or a known client), or
    None when no entry knows it."""
    for db in DATABASES.values():
        if module == db.reference_module and db.reference_connect is not None:
            return reference_profile(db)
        for client in db.clients:
            if client.module == module:
                return client
    return None


def _has_reference(db: DatabaseProfile) -> bool:
    if db.reference_connect is None:
        return False
    try:
        return importlib.util.find_spec(db.reference_module) is not None
    except (ImportError, ValueError):
        return False


@functools.cache
def _short_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for db in DATABASES.values():
        if _has_reference(db):
            names[db.slug] = db.reference_module
        names.update(db.aliases)
    return names


def known_driver_names() -> dict[str, str]:
    """Short ``--dbapi-driver`` names -> module path: each database's slug for its reference
    driver (where one exists) and the entries' aliases; "reference" is the set of all."""
    return dict(_short_names())


def expand_driver_names(names: list[str]) -> list[str]:
    """Resolve short names to module paths, keeping order and dropping duplicates.

    A database slug -> its reference driver; "reference" -> every reference driver that is
    installed; an alias -> its module; anything else is kept as given.
    """
    short = _short_names()
    out: list[str] = []
    for name in names:
        if name == "reference":
            expanded = [db.reference_module for db in DATABASES.values() if _has_reference(db)]
        else:
            expanded = [short.get(name, name)]
        out += [m for m in expanded if m not in out]
    return out


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


# Last: the entry modules import the names above from this partly initialised module.
#: The registry: database slug -> DatabaseProfile, in slug order (read-only).
DATABASES: Mapping[str, DatabaseProfile] = MappingProxyType(_load())
