"""The ``dbapi-mock`` command: run a mock database server until SIGINT or SIGTERM.

``dbapi-mock DATABASE [--host H] [--port P] [options of that mock]``: one subcommand per
database of the harness's registry that has a mock server (``DatabaseProfile.mock``); each
mock class adds its own options (``add_arguments``) and builds itself from them
(``from_args``), see mockservers/base.py. ``dbapi-mock <database> --help`` lists them.

Prints one line ``<slug> listening on <url>`` once the server accepts connections, and exits
with status 0 after a clean shutdown, 1 when it cannot start, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from dbapi_conformance.harness.databases import DATABASES
from dbapi_conformance.mockservers.base import (
    UsageError,
    load_mock_class,
    ready_line,
    serve_until_signal,
)

__all__ = ["main", "build_parser"]


def _unavailable(parser: argparse.ArgumentParser, reason: str) -> None:
    parser.set_defaults(mock_class=None, mock_unavailable=reason)


def build_parser() -> argparse.ArgumentParser:
    """The parser: a subcommand per registry database with a mock; ``args.server`` is the
    slug, ``args.mock_class`` the mock class (None when it cannot be imported, with the
    reason in ``args.mock_unavailable``)."""
    parser = argparse.ArgumentParser(
        prog="dbapi-mock",
        description="Run a protocol-faithful mock database server backed by DuckDB.")
    sub = parser.add_subparsers(dest="server", required=True, metavar="DATABASE")
    for db in DATABASES.values():
        if db.mock is None:
            continue
        try:
            cls = load_mock_class(db.mock)
        except (ImportError, AttributeError) as exc:
            child = sub.add_parser(db.slug, help=f"{db.product} (unavailable: {exc})")
            _unavailable(child, f"cannot import {db.mock}: {exc}")
            continue
        summary = getattr(cls, "summary", "") or f"{db.product} mock server"
        child = sub.add_parser(db.slug, help=summary,
                               description=f"Serve a mock of {db.product}: {summary}.")
        cls.add_arguments(child, default_port=db.default_port)
        child.set_defaults(mock_class=cls, mock_unavailable=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``dbapi-mock``; returns the exit status."""
    args = build_parser().parse_args(argv)
    slug = args.server
    if args.mock_class is None:
        print(f"dbapi-mock: cannot start {slug}: {args.mock_unavailable}", file=sys.stderr)
        return 1
    try:
        server = args.mock_class.from_args(args)
    except UsageError as exc:
        print(f"dbapi-mock: {exc}", file=sys.stderr)
        return 2

    def ready(url: str) -> None:
        print(ready_line(slug, url), flush=True)

    try:
        serve_until_signal(server, ready)
    except (OSError, ValueError) as exc:  # address in use, unreadable TLS files, bad host
        print(f"dbapi-mock: cannot start {slug}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
