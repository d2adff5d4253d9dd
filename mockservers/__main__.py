"""The ``dbapi-mock`` command: run a mock database server until SIGINT or SIGTERM.

``dbapi-mock cratedb [--host H] [--port P] [--user U --password PW] [--database PATH]
[--tls-cert F --tls-key F]`` prints one line ``cratedb listening on <url>`` once it
accepts connections, and exits with status 0 after a clean shutdown (1 when it cannot
start, 2 for bad arguments).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

__all__ = ["main", "build_parser"]


def _port(text: str) -> int:
    """An argparse type: a TCP port number, 0..65535 (0 = any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0..65535")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dbapi-mock",
        description="Run a protocol-faithful mock database server backed by DuckDB.")
    sub = parser.add_subparsers(dest="server", required=True, metavar="DATABASE")
    crate = sub.add_parser("cratedb", help="CrateDB HTTP endpoint (POST /_sql)",
                           description="Serve CrateDB's HTTP SQL endpoint.")
    crate.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    crate.add_argument("--port", type=_port, default=4200, help="port, 0 for any free (4200)")
    crate.add_argument("--user", help="a user that must give --password (besides 'crate', "
                                      "which is accepted without one)")
    crate.add_argument("--password", help="the password of --user")
    crate.add_argument("--database", metavar="PATH",
                       help="DuckDB file: tables survive a restart (default: in memory)")
    crate.add_argument("--tls-cert", metavar="FILE", help="PEM certificate: serve https")
    crate.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")
    return parser


def _cratedb_server(args):
    from dbapi_conformance.mockservers.cratedb import MockServer

    users: dict[str, str | None] = {"crate": None}
    if args.user:
        users[args.user] = args.password
    return MockServer(host=args.host, port=args.port, users=users, database=args.database,
                      tls_cert=args.tls_cert, tls_key=args.tls_key)


_SERVERS = {"cratedb": _cratedb_server}


async def _serve(name: str, server) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, server.request_stop)

    def ready(url: str) -> None:
        print(f"{name} listening on {url}", flush=True)

    await server.serve_forever(ready=ready)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``dbapi-mock``; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.server == "cratedb" and bool(args.tls_cert) != bool(args.tls_key):
        print("dbapi-mock: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.server == "cratedb" and args.password and not args.user:
        print("dbapi-mock: --password needs --user", file=sys.stderr)
        return 2
    server = _SERVERS[args.server](args)
    try:
        asyncio.run(_serve(args.server, server))
    except KeyboardInterrupt:
        pass
    except (OSError, ValueError) as exc:  # address in use, unreadable TLS files, bad host
        print(f"dbapi-mock: cannot start {args.server}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
