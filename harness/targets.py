"""Targets: (driver profile, server) pairs of a run, each with a stable id.

Ids (design.md conventions): a reference driver gives "<db>-<server>" (``<db>-mock``),
any other driver "<module>-<db>-<server>" (``mypkg-<db>-mock``); the server part
is "mock", "container" or "url"; an embedded database (profile server "none") has no
server part (``sqlite3-sqlite``).
"""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass

import pytest

from dbapi_conformance.harness.capabilities import Capabilities
from dbapi_conformance.harness.databases import (
    DATABASES,
    DatabaseProfile,
    builtin_profile,
    expand_driver_names,
    get_database,
    known_driver_names,
)
from dbapi_conformance.harness.endpoint import endpoint_from_url
from dbapi_conformance.harness.options import Settings, server_kind
from dbapi_conformance.harness.profiles import DriverProfile
from dbapi_conformance.harness.sqlprofile import SqlProfile

#: What an embedded database lacks by being one (the profile's own reason wins).
EMBEDDED = Capabilities({
    "server": "an embedded database: the driver reaches no server that could be unreachable "
    "(its profile says server='none')",
})


@dataclass(frozen=True, eq=False)
class Target:
    """One target of the run (what the suite sees as ``dbapi_target``).

    - ``id``: e.g. "<db>-mock"; ``driver``: module path; ``database``: slug.
    - ``server``: "mock", "container", the address as given, or "none".
    - ``server_kind``: "mock", "container", "url" or "none".
    - ``capabilities``: database and driver declarations merged; ``sql``: SqlProfile.
    - ``profile``: the DriverProfile; ``db``: the DatabaseProfile (None if unknown).
    """

    id: str
    driver: str
    database: str
    server: str
    server_kind: str
    capabilities: Capabilities
    sql: SqlProfile
    profile: DriverProfile
    db: DatabaseProfile | None

    def __repr__(self) -> str:
        return f"<Target {self.id}>"


def resolve_profile(config: pytest.Config, module: str, database: str | None) -> DriverProfile:
    """Hook result first, then the built-in profile; UsageError when there is none."""
    profile = config.hook.pytest_dbapi_profile(config=config, driver=module)
    if profile is None:
        profile = builtin_profile(module)
    if profile is None:
        known = sorted(
            [db.reference_module for db in DATABASES.values() if db.reference_connect]
            + [client.module for db in DATABASES.values() for client in db.clients]
        )
        raise pytest.UsageError(
            f"no driver profile for {module!r}: the harness knows {', '.join(known)}; for "
            "another driver implement the hook pytest_dbapi_profile(config, driver) in a "
            "conftest.py (see dbapi_conformance.harness.hooks)"
        )
    if not isinstance(profile, DriverProfile):
        raise pytest.UsageError(
            f"pytest_dbapi_profile returned {type(profile).__name__} for {module!r}, "
            "expected a DriverProfile"
        )
    if database and database != profile.database:
        profile = dataclasses.replace(profile, database=database)
    return profile


def _module_exists(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def build_targets(config: pytest.Config, settings: Settings) -> list[Target]:
    """All targets of the run, in the order drivers and servers were given."""
    targets: list[Target] = []
    modules = expand_driver_names(list(settings.drivers))
    if not modules:
        raise pytest.UsageError(
            f"--dbapi-driver={','.join(settings.drivers)}: no reference driver is installed"
        )
    for module in modules:
        if not _module_exists(module):
            short = ", ".join(["reference", *known_driver_names()])
            raise pytest.UsageError(f"--dbapi-driver: cannot find the module {module!r}: is "
                                    f"it installed here? (short names: {short})")
        profile = resolve_profile(config, module, settings.database)
        db = get_database(profile.database)
        sql = profile.sql or (db.sql if db else None)
        if sql is None:
            raise pytest.UsageError(
                f"database {profile.database!r} of {module!r} is unknown to the harness; "
                "its DriverProfile must supply sql=SqlProfile(...)"
            )
        caps = (db.capabilities if db else Capabilities()).merged(profile.capabilities)
        if profile.server == "none":
            caps = EMBEDDED.merged(caps)
        servers = ["none"] if profile.server == "none" else list(settings.servers)
        for spec in servers:
            kind = "none" if spec == "none" else server_kind(spec)
            if kind == "url":
                _check_address(spec, db)
            targets.append(
                Target(
                    id=_target_id(profile, kind),
                    driver=module,
                    database=profile.database,
                    server=spec,
                    server_kind=kind,
                    capabilities=caps,
                    sql=sql,
                    profile=profile,
                    db=db,
                )
            )
    return _unique_ids(targets)


def _check_address(spec: str, db: DatabaseProfile | None) -> None:
    try:
        endpoint_from_url(spec, scheme=db.scheme if db else None,
                          default_port=db.default_port if db else None)
    except ValueError as exc:
        raise pytest.UsageError(f"--dbapi-server: {exc}") from None


def _target_id(profile: DriverProfile, kind: str) -> str:
    parts = [] if profile.reference else [profile.module]
    parts.append(profile.database)
    if kind != "none":
        parts.append(kind)
    return "-".join(parts)


def _unique_ids(targets: list[Target]) -> list[Target]:
    """Number repeated ids (two URL servers): "x-url", "x-url-2"."""
    seen: dict[str, int] = {}
    out = []
    for target in targets:
        n = seen.get(target.id, 0) + 1
        seen[target.id] = n
        out.append(target if n == 1 else dataclasses.replace(target, id=f"{target.id}-{n}"))
    return out
