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
    - ``mock_options``: ``[DB:]NAME[=VALUE]`` specs, options of the mock servers' own
      ``dbapi-mock`` command line (see :func:`mock_arguments`).
    """

    drivers: tuple[str, ...]
    database: str | None
    servers: tuple[str, ...]
    report_dir: Path
    baseline: Path | None = None
    mock_options: tuple[str, ...] = ()

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
    group.addoption(
        "--dbapi-mock-option", action="append", dest="dbapi_mock_option",
        metavar="[DB:]NAME[=VALUE]",
        help="an option of the mock servers' dbapi-mock command (repeatable): DB:NAME=VALUE "
        "passes --NAME VALUE to the mock of database DB (dbapi-mock DB --help lists them), "
        "NAME=VALUE to every mock. Env DBAPI_MOCK_OPTION, ini dbapi_mock_option.",
    )
    parser.addini("dbapi_driver", "PEP 249 modules to certify", type="args")
    parser.addini("dbapi_database", "database slug of the drivers", default="")
    parser.addini("dbapi_server", "servers to run against: mock, container or URLs", type="args")
    parser.addini("dbapi_report", "directory for the conformance reports", default="")
    parser.addini("dbapi_baseline", "baseline report or directory to gate against", default="")
    parser.addini("dbapi_mock_option", "options of the mock servers: [DB:]NAME[=VALUE]",
                  type="args")


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
    mock_options = (
        config.getoption("dbapi_mock_option")
        or _split(env.get("DBAPI_MOCK_OPTION", ""))
        or list(config.getini("dbapi_mock_option"))
    )
    for spec in mock_options:
        _check_mock_option(spec)
    if not drivers:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("dbapi_database", "dbapi_server", "dbapi_report", "dbapi_baseline",
                         "dbapi_mock_option")
            if config.getoption(name)
        ]
        if given:
            raise pytest.UsageError(f"{', '.join(given)} needs --dbapi-driver=MODULE")
    for spec in servers:
        check_server_spec(spec)
    return Settings(tuple(drivers), database, tuple(dict.fromkeys(servers)),
                    _absolute(config, report), _absolute(config, baseline) if baseline else None,
                    tuple(mock_options))


_MOCK_OPTION = re.compile(r"(?:(?P<db>[a-z0-9_]+):)?(?P<name>[a-z][a-z0-9_-]*)(?:=(?P<value>.*))?",
                          re.DOTALL)


def _check_mock_option(spec: str) -> None:
    if not _MOCK_OPTION.fullmatch(spec):
        raise pytest.UsageError(
            f"--dbapi-mock-option={spec!r}: use [DB:]NAME[=VALUE], the options of "
            "'dbapi-mock DB --help' without their leading --")


def mock_arguments(specs: tuple[str, ...] | list[str], slug: str) -> list[str]:
    """The ``dbapi-mock <slug>`` arguments of ``--dbapi-mock-option`` specs: ``NAME=VALUE``
    becomes ``--NAME VALUE``, a bare ``NAME`` the flag ``--NAME``; specs for another
    database (``DB:`` prefix) are left out."""
    out: list[str] = []
    for spec in specs:
        m = _MOCK_OPTION.fullmatch(spec)
        if m is None or (m["db"] and m["db"] != slug):
            continue
        out.append("--" + m["name"].replace("_", "-"))
        if m["value"] is not None:
            out.append(m["value"])
    return out


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
