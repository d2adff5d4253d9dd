"""Command-line options, ini keys and environment variables of the plugin.

Precedence: command line, then environment (DBAPI_*), then ini (dbapi_*), then defaults.
The plugin is active only when at least one driver is configured.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_WORDS = ("mock", "container")


@dataclass(frozen=True)
class Settings:
    """The run's settings.

    - ``drivers``: driver names as given (short names not yet expanded).
    - ``database``: database slug forced for every driver, or None (inferred).
    - ``servers``: server specs: "mock", "container" or an address.
    - ``report_dir``: absolute directory the reports are written to.
    - ``baseline``: absolute path of the baseline report or directory to gate against, or
      None (harness/baseline.py).
    """

    drivers: tuple[str, ...]
    database: str | None
    servers: tuple[str, ...]
    report_dir: Path
    baseline: Path | None = None

    @property
    def active(self) -> bool:
        return bool(self.drivers)


def add_options(parser: pytest.Parser) -> None:
    """Register --dbapi-* options and dbapi_* ini keys."""
    from dbapi_conformance.harness.databases import DATABASES, known_driver_names

    short = ", ".join(f"{name} (= {module})" for name, module in known_driver_names().items())
    group = parser.getgroup("dbapi", "PEP 249 conformance (dbapi-conformance)")
    group.addoption(
        "--dbapi-driver", action="append", dest="dbapi_driver", metavar="MODULE",
        help=f"PEP 249 module to certify (repeatable). Short names: {short}, 'reference' "
        "(every reference driver). Env DBAPI_DRIVER, ini dbapi_driver.",
    )
    group.addoption(
        "--dbapi-database", dest="dbapi_database", metavar="DB",
        help=f"database slug ({', '.join(DATABASES)}, or one a driver profile supplies SQL "
        "for); inferred for known drivers. Env DBAPI_DATABASE, ini dbapi_database.",
    )
    group.addoption(
        "--dbapi-server", action="append", dest="dbapi_server", metavar="mock|container|URL",
        help="server to run against (repeatable): the mock server (default), a container "
        "started with testcontainers, or the address of a running server. "
        "Env DBAPI_SERVER, ini dbapi_server.",
    )
    group.addoption(
        "--dbapi-report", dest="dbapi_report", metavar="DIR",
        help="directory for the conformance reports (default: reports/ in the invocation "
        "directory). Env DBAPI_REPORT, ini dbapi_report.",
    )
    group.addoption(
        "--dbapi-baseline", dest="dbapi_baseline", metavar="PATH",
        help="gate the run against a baseline: a target report (<target>.json) or a "
        "directory of them; the run fails only when a clause regressed. "
        "Env DBAPI_BASELINE, ini dbapi_baseline.",
    )
    parser.addini("dbapi_driver", "PEP 249 modules to certify", type="args")
    parser.addini("dbapi_database", "database slug of the drivers", default="")
    parser.addini("dbapi_server", "servers to run against: mock, container or URLs", type="args")
    parser.addini("dbapi_report", "directory for the conformance reports", default="")
    parser.addini("dbapi_baseline", "baseline report or directory to gate against", default="")


def _split(text: str) -> list[str]:
    return [part for part in re.split(r"[,\s]+", text) if part]


def read_settings(config: pytest.Config) -> Settings:
    """Collect the settings; pytest.UsageError for inconsistent or malformed ones."""
    env = os.environ
    drivers = (
        config.getoption("dbapi_driver")
        or _split(env.get("DBAPI_DRIVER", ""))
        or list(config.getini("dbapi_driver"))
    )
    database = (
        config.getoption("dbapi_database")
        or env.get("DBAPI_DATABASE")
        or config.getini("dbapi_database")
        or None
    )
    servers = (
        config.getoption("dbapi_server")
        or _split(env.get("DBAPI_SERVER", ""))
        or list(config.getini("dbapi_server"))
        or ["mock"]
    )
    report = (
        config.getoption("dbapi_report")
        or env.get("DBAPI_REPORT")
        or config.getini("dbapi_report")
        or "reports"
    )
    baseline = (
        config.getoption("dbapi_baseline")
        or env.get("DBAPI_BASELINE")
        or config.getini("dbapi_baseline")
        or None
    )
    if not drivers:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("dbapi_database", "dbapi_server", "dbapi_report", "dbapi_baseline")
            if config.getoption(name)
        ]
        if given:
            raise pytest.UsageError(f"{', '.join(given)} needs --dbapi-driver=MODULE")
    for spec in servers:
        check_server_spec(spec)
    return Settings(tuple(drivers), database, tuple(dict.fromkeys(servers)),
                    _absolute(config, report), _absolute(config, baseline) if baseline else None)


def _absolute(config: pytest.Config, path: str) -> Path:
    """``path`` with ``~`` expanded, relative to the directory pytest was started in."""
    found = Path(path).expanduser()
    return found if found.is_absolute() else config.invocation_params.dir / found


def server_kind(spec: str) -> str:
    """"mock", "container" or "url" for a server spec (see check_server_spec)."""
    return spec if spec in SERVER_WORDS else "url"


def check_server_spec(spec: str) -> None:
    """UsageError unless ``spec`` is mock, container, or looks like an address.

    An address has a scheme (``http://h:4200``), a port (``h:4200``), a dot
    (``db.example``) or is ``localhost``; a lone word is taken for a typo.
    """
    if spec in SERVER_WORDS:
        return
    host_like = "://" in spec or ":" in spec or "." in spec or spec == "localhost"
    if not host_like:
        raise pytest.UsageError(
            f"--dbapi-server={spec!r}: use mock, container, or an address such as "
            "host:port or http://host:port"
        )
