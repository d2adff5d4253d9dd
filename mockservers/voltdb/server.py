"""The VoltDB mock server: VoltDB's client wire protocol (protocols/voltdb.md) on asyncio
streams, backed by DuckDB.

Per connection: the login first (within ``login_timeout``; a bad one is answered with its
login status and the connection closed, as ClientInterface does), then any number of
invocations, several in flight at once (up to ``max_in_flight``; beyond that the server
stops reading, so a flooding client is slowed by TCP, not buffered), answered in
completion order with their client handle. @Ping is answered at once; every other call
runs on the execution thread (handler.py). A frame longer than ``max_frame_size`` or with
a negative length closes that connection (VoltDB closes it too); an invocation that frames
but does not decode is answered with GRACEFUL_FAILURE and the connection goes on. A client
that goes away takes its queued and running calls with it. Other connections are never
affected.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import itertools
import logging
import ssl
import time
from collections.abc import Mapping

from dbapi_conformance.drivers.wire.base import NEED_DATA
from dbapi_conformance.drivers.wire.voltdb import (
    DEFAULT_PORT,
    MAX_FRAME_SIZE,
    ClientResponse,
    Column,
    Invocation,
    Login,
    LoginResponse,
    LoginStatus,
    RequestError,
    Side,
    Status,
    VoltConnection,
    VoltTable,
    VoltType,
)
from dbapi_conformance.mockservers.base import StreamMockServer, UsageError
from dbapi_conformance.mockservers.engine import Engine
from dbapi_conformance.mockservers.options import (
    add_tls_options,
    add_user_options,
    check_files,
    read_accounts,
)
from dbapi_conformance.mockservers.voltdb.handler import ENGINE_SETTINGS, CallHandler, Owner
from dbapi_conformance.mockservers.voltdb.procedures import ServerInfo
from dbapi_conformance.mockservers.voltdb.users import UserStore

__all__ = ["MockServer", "VERSION"]

log = logging.getLogger(__name__)

VERSION = "9.2.1"
BUILD = f"voltdb-{VERSION}-mock"
#: ClientInterface's AUTH_TIMEOUT_MS: a connection that does not log in is closed.
LOGIN_TIMEOUT = 30.0
_READ = 64 * 1024


class MockServer(StreamMockServer):
    """A VoltDB node (one host, one partition) on the shared mock base.

    ``users``: name -> password; none (the default) = security off, as in a fresh VoltDB.
    ``tls_cert``/``tls_key``: PEM files to serve TLS (the login then runs inside TLS, as
    voltdbclient's ``usessl`` expects); ``ssl``: an ``ssl.SSLContext`` instead.
    ``max_frame_size``: the longest frame accepted or sent (VoltDB: 50 MiB);
    ``max_in_flight``: calls one connection may have queued or running; ``login_timeout``
    (s): time to log in; ``idle_timeout`` (s): the longest wait for a frame after that;
    ``host_id``: the node id of the login response and @SystemInformation.
    """

    summary = "VoltDB client wire protocol on TCP (DuckDB engine)"
    default_port = DEFAULT_PORT
    version = VERSION

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 users: Mapping[str, str] | None = None, tls_cert: str | None = None,
                 tls_key: str | None = None, max_frame_size: int = MAX_FRAME_SIZE,
                 max_in_flight: int = 64, login_timeout: float = LOGIN_TIMEOUT,
                 host_id: int = 0, **kwargs) -> None:
        if tls_cert and "ssl" not in kwargs:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(tls_cert, tls_key)
            kwargs["ssl"] = context
        super().__init__(host, port, **kwargs)
        self.users = UserStore(users)
        self.max_frame_size = max_frame_size
        self.max_in_flight = max_in_flight
        self.login_timeout = login_timeout
        self.host_id = host_id
        self.started_ms = int(time.time() * 1000)
        self._handler: CallHandler | None = None
        self._connection_ids = itertools.count(1)

    scheme = "voltdb"

    # --- command line ---------------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None:
        super().add_arguments(parser, default_port)
        add_tls_options(parser)
        parser.add_argument("--max-frame-size", metavar="BYTES", type=int,
                            default=MAX_FRAME_SIZE,
                            help=f"longest message accepted ({MAX_FRAME_SIZE})")
        add_user_options(
            parser, "authentication",
            "Off by default, as in a fresh VoltDB: any user and password get in. A --user "
            "turns it on: only the users given get in, with their passwords.",
            "a user (repeatable); its password is the --password-env, --password-file or "
            "--password after it")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> MockServer:
        """UsageError for --tls-cert without --tls-key (or the reverse), a missing file, a
        frame size that is not positive, or user options that do not fit."""
        check_files(args)
        if args.max_frame_size <= 0:
            raise UsageError("--max-frame-size needs a positive number of bytes")
        users = read_accounts(args.user_specs)
        return cls(host=args.host, port=args.port, users=users, tls_cert=args.tls_cert,
                   tls_key=args.tls_key, max_frame_size=args.max_frame_size)

    # --- life cycle -------------------------------------------------------------------------
    async def prepare(self) -> None:
        loop = asyncio.get_running_loop()
        engine = await loop.run_in_executor(None, lambda: Engine(None, settings=ENGINE_SETTINGS))
        self._handler = await loop.run_in_executor(None, CallHandler, engine)

    async def release(self) -> None:
        handler, self._handler = self._handler, None
        if handler is not None:
            await asyncio.get_running_loop().run_in_executor(None, handler.close)

    # --- one connection ---------------------------------------------------------------------
    async def _next(self, reader: asyncio.StreamReader, conn: VoltConnection, timeout: float):
        """The next event, or None when the peer closed between frames."""
        while True:
            ev = conn.next_event()
            if ev is not NEED_DATA:
                return ev
            data = await asyncio.wait_for(reader.read(_READ), timeout)
            if not data:
                conn.receive_data(b"")
                ev = conn.next_event()  # raises when the stream ended inside a frame
                return None if ev is NEED_DATA else ev
            conn.receive_data(data)

    async def _send(self, writer: asyncio.StreamWriter, conn: VoltConnection, ev) -> None:
        await self._write(writer, conn.send(ev))

    async def _write(self, writer: asyncio.StreamWriter, frame: bytes) -> None:
        writer.write(frame)
        await asyncio.wait_for(writer.drain(), self.idle_timeout)

    async def handle_connection(self, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            # the server is stopping: end quietly (asyncio's stream callback would log a
            # cancelled connection task as an error)
            return

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = VoltConnection(Side.SERVER, self.max_frame_size)
        try:
            # one deadline for the whole login, however slowly its bytes trickle in
            login = await asyncio.wait_for(self._next(reader, conn, self.login_timeout),
                                           self.login_timeout)
        except RequestError as exc:
            if exc.login_status is not None:
                await self._send(writer, conn, LoginResponse(exc.login_status))
            return
        if not isinstance(login, Login):
            return
        status = self.users.check(login)
        if status != LoginStatus.SUCCESS:
            await self._send(writer, conn, LoginResponse(status))
            return
        sockname = writer.get_extra_info("sockname") or (self.host, 0)
        await self._send(writer, conn, LoginResponse(
            LoginStatus.SUCCESS, self.host_id, next(self._connection_ids), self.started_ms,
            _ipv4(sockname[0]), BUILD))
        info = ServerInfo(self.host_id, VERSION, BUILD, self.started_ms, sockname[0],
                          self.address[1])
        owner = Owner()
        slots = asyncio.Semaphore(self.max_in_flight)
        calls: set[asyncio.Task] = set()
        try:
            while True:
                try:
                    ev = await self._next(reader, conn, self.idle_timeout)
                except RequestError as exc:
                    if exc.client_handle is None:
                        return  # unframeable: VoltDB closes the connection
                    await self._send(writer, conn, ClientResponse(
                        exc.client_handle, Status.GRACEFUL_FAILURE,
                        f"Error deserializing invocation: {exc}"))
                    continue
                if ev is None:
                    return
                assert isinstance(ev, Invocation)
                if ev.procedure == "@Ping":
                    await self._send(writer, conn, _pong(ev.client_handle))
                    continue
                await slots.acquire()
                task = asyncio.get_running_loop().create_task(
                    self._call(writer, conn, ev, info, owner))
                calls.add(task)
                task.add_done_callback(lambda t: (calls.discard(t), slots.release()))
        finally:
            assert self._handler is not None
            self._handler.cancel(owner)
            for task in list(calls):
                task.cancel()
            if calls:
                await asyncio.wait(list(calls), timeout=self.stop_timeout)

    async def _call(self, writer, conn, inv: Invocation, info: ServerInfo, owner: Owner):
        assert self._handler is not None
        frame = await self._handler.submit(inv, info, owner, self.max_frame_size)
        with contextlib.suppress(ConnectionError, asyncio.TimeoutError):
            await self._write(writer, frame)


def _pong(handle: int) -> ClientResponse:
    """@Ping's answer (voltdb.md 4.4): SUCCESS, "SUCCESS", one STATUS table."""
    return ClientResponse(handle, Status.SUCCESS, "SUCCESS", tables=(
        VoltTable([Column("STATUS", VoltType.BIGINT)], [(0,)]),))


def _ipv4(host: str) -> int:
    """The login response's leader address: an IPv4 address as a signed i32."""
    try:
        value = int(ipaddress.IPv4Address(host))
    except ValueError:
        value = 0x7F000001
    return value - (1 << 32) if value >= 1 << 31 else value

