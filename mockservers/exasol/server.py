"""The Exasol mock server: Exasol's WebSocket API (protocols/exasol.md) on the websockets
library, backed by DuckDB (mockservers/engine).

Per connection (exasol.md 10 item 2): ``login`` (protocol versions 1-4; a higher request is
answered with 4, as real servers downgrade) gets the server's RSA public key (a fresh
1024-bit key per server start, sent as PKCS#1 PEM plus hex modulus and exponent); the next
message is the credentials message, whose password is decrypted (PKCS#1 v1.5) and checked
(wrong user or password: ``08004``); then commands until ``disconnect``. With
``useCompression`` (or ``attributes.compressionEnabled``) every message after the login
reply is a zlib stream in a binary frame, both ways.

Commands run on worker threads, one at a time per connection; meanwhile the connection
keeps reading, so that ``abortQuery`` stops the running statement (``R0003``) and a client
that goes away takes its statement with it, and it sends a Pong frame every
``feedbackInterval`` seconds (Exasol's heartbeat). Limits: a message is at most
``max_message_size`` bytes, also once inflated (websockets closes the connection with 1009
for a bigger frame; a zlib stream that inflates beyond gets an error reply and the
connection is closed); malformed JSON and unknown commands get error replies (sqlCode
00000) and the connection goes on; every other connection is served throughout.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import logging
import secrets
import ssl
import threading
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.drivers.wire.base import Side
from dbapi_conformance.drivers.wire.exasol import Phase, RequestError, SqlCode
from dbapi_conformance.mockservers.base import BaseMockServer, UsageError
from dbapi_conformance.mockservers.engine import Engine
from dbapi_conformance.mockservers.exasol import systables
from dbapi_conformance.mockservers.exasol.handler import ExasolSession, ServerContext
from dbapi_conformance.mockservers.exasol.users import UserStore
from dbapi_conformance.mockservers.options import (
    add_tls_options,
    add_user_options,
    check_files,
    read_accounts,
)

__all__ = ["ExasolMockServer", "VERSION"]

log = logging.getLogger(__name__)

#: The Exasol release the mock claims (``releaseVersion``; pyexasol parses it).
VERSION = systables.RELEASE_VERSION
#: Real servers' ``maxDataMessageSize``.
MAX_MESSAGE_SIZE = wire.MAX_DATA_MESSAGE_SIZE
_SESSION_IDS = (1_600_000_000_000_000_000, 1_900_000_000_000_000_000)


class _Closed(Exception):
    """The peer went away (or the connection must end) while a command ran."""


class ExasolMockServer(BaseMockServer):
    """An Exasol WebSocket endpoint backed by DuckDB (mockservers/base.py life cycle).

    ``users``: user -> password (default ``{"sys": "exasol"}``; names are case-insensitive).
    ``database``: a DuckDB file so that tables survive a restart, or None (in memory).
    ``tls_cert``/``tls_key``: PEM files to serve ``wss://`` (same port, TLS only then).
    ``max_message_size``: the largest message in bytes, also once inflated (64 MiB, the
    real ``maxDataMessageSize``). ``workers``: threads running SQL. ``open_timeout``: the
    WebSocket (and TLS) handshake, ``login_timeout``: the longest wait for each login
    message, ``idle_timeout``: the longest wait for a logged-in client's next message,
    ``statement_timeout``: the longest a command runs (seconds).
    """

    summary = "Exasol WebSocket API (JSON over ws/wss)"
    default_port = wire.DEFAULT_PORT
    version = VERSION

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 users: dict[str, str] | None = None, database: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None, *,
                 max_message_size: int = MAX_MESSAGE_SIZE, workers: int = 16,
                 open_timeout: float = 10.0, login_timeout: float = 60.0,
                 idle_timeout: float = 3600.0,
                 statement_timeout: float = 3600.0, startup_timeout: float = 60.0,
                 stop_timeout: float = 30.0):
        super().__init__(host, port, startup_timeout=startup_timeout,
                         stop_timeout=stop_timeout)
        if bool(tls_cert) != bool(tls_key):
            raise ValueError("tls_cert and tls_key go together")
        self.users = UserStore(users)
        self.database = database
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.max_message_size = max_message_size
        self.open_timeout = open_timeout
        self.login_timeout = login_timeout
        self.idle_timeout = idle_timeout
        self.statement_timeout = statement_timeout
        self._workers = workers
        self._key = None
        self._public_key: dict | None = None
        self._server = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._ctx: ServerContext | None = None
        self._connections: set[asyncio.Task] = set()
        self._session_ids: set[int] = set()
        self._ids_lock = threading.Lock()

    @property
    def scheme(self) -> str:
        """``wss`` when serving TLS, else ``ws``."""
        return "wss" if self.tls_cert else "ws"

    @property
    def session_count(self) -> int:
        """Sessions open now (logged in and not yet released)."""
        with self._ids_lock:
            return len(self._session_ids)

    # --- dbapi-mock options ------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None:
        """``--host``, ``--port``, ``--database``, ``--tls-cert``/``--tls-key``, and users
        (``--user`` with ``--password-env`` or ``--password-file``; passwords never on the
        command line)."""
        super().add_arguments(parser, default_port)
        parser.add_argument("--database", metavar="PATH",
                            help="DuckDB file: tables survive a restart (default: in memory)")
        add_tls_options(parser, serves="wss")
        parser.add_argument("--max-message-size", metavar="BYTES", type=int,
                            default=MAX_MESSAGE_SIZE,
                            help=f"largest message, also once inflated ({MAX_MESSAGE_SIZE})")
        add_user_options(
            parser, "users", "Without --user the one user is 'sys' with password 'exasol', as "
            "in Exasol's docker image. Each --user NAME takes its password from the "
            "--password-env or --password-file after it; given users replace the default "
            "(give --user sys too to keep it). User names are case-insensitive.",
            "a user (repeatable)", plain_password=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ExasolMockServer:
        """A server from the options; UsageError for options that do not go together."""
        check_files(args)
        if args.max_message_size < 1024:
            raise UsageError("--max-message-size must be at least 1024 bytes")
        users = read_accounts(args.user_specs, fold=str.upper) if args.user_specs else None
        return cls(host=args.host, port=args.port, users=users, database=args.database,
                   tls_cert=args.tls_cert, tls_key=args.tls_key,
                   max_message_size=args.max_message_size)

    # --- life cycle --------------------------------------------------------------------
    async def listen(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        self._connections = set()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="exasol-sql")
        engine = await loop.run_in_executor(self._executor, Engine, self.database)
        await loop.run_in_executor(self._executor, systables.install, engine)
        self._ctx = ServerContext(engine, self.host)
        self._key = await loop.run_in_executor(self._executor, wire.generate_key)
        self._public_key = wire.public_key_reply(self._key)
        ssl_context = None
        if self.tls_cert:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.tls_cert, self.tls_key)
        self._server = await serve(
            self._connection, self.host, self.port, ssl=ssl_context, compression=None,
            ping_interval=None, max_size=self.max_message_size, max_queue=4,
            open_timeout=self.open_timeout, close_timeout=5,
            logger=logging.getLogger(f"{__name__}.websockets"))
        return self._server.sockets[0].getsockname()[:2]

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close(close_connections=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), self.stop_timeout)
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=self.stop_timeout)
        if self._ctx is not None:
            with contextlib.suppress(Exception):
                self._ctx.engine.close()
            self._ctx = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # --- one connection ----------------------------------------------------------------
    def _new_session_id(self) -> int:
        with self._ids_lock:
            while True:
                sid = _SESSION_IDS[0] + secrets.randbelow(_SESSION_IDS[1] - _SESSION_IDS[0])
                if sid not in self._session_ids:
                    self._session_ids.add(sid)
                    return sid

    async def _connection(self, ws: ServerConnection) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        state = _ConnectionState(self, ws)
        try:
            await state.serve()
        except (ConnectionClosed, _Closed, asyncio.TimeoutError):
            pass  # the peer left, stalled, or the connection had to end
        except Exception:  # noqa: BLE001 - one connection's failure ends only it
            log.exception("Exasol mock connection failed")
            with contextlib.suppress(Exception):
                await ws.close(1011, "internal error")
        finally:
            self._connections.discard(task)
            await state.release()


class _ConnectionState:
    """The state of one WebSocket connection: codec, login phase, session, the pending
    read (there is always at most one)."""

    def __init__(self, server: ExasolMockServer, ws: ServerConnection):
        self.server = server
        self.ws = ws
        self.codec = wire.Connection(Side.SERVER, max_size=server.max_message_size)
        self.session: ExasolSession | None = None
        self._reading: asyncio.Task | None = None
        self._token_login = False
        self._session_id: int | None = None

    # --- I/O -----------------------------------------------------------------------------
    async def _next_message(self, timeout: float | None) -> Any:
        if self._reading is None:
            self._reading = asyncio.ensure_future(self.ws.recv())
        try:
            done, _ = await asyncio.wait({self._reading}, timeout=timeout)
        except asyncio.CancelledError:
            self._reading.cancel()
            raise
        if not done:
            raise asyncio.TimeoutError()
        task, self._reading = self._reading, None
        return task.result()

    async def _send(self, reply: dict) -> None:
        await self.ws.send(self.codec.send(reply))

    async def _send_error(self, exc: RequestError) -> None:
        await self._send(exc.reply())
        if exc.fatal:
            await self.ws.close(1002, "protocol error")
            raise _Closed()

    # --- the loop ------------------------------------------------------------------------
    async def serve(self) -> None:
        while True:
            payload = await self._next_message(
                self.server.idle_timeout if self.codec.phase is Phase.READY
                else self.server.login_timeout)
            try:
                obj = self.codec.receive(payload)
                request = wire.parse_request(obj, self.codec.phase)
            except RequestError as exc:
                if self.codec.phase is Phase.AUTH:
                    self.codec.phase = Phase.NEW  # the login must start again
                await self._send_error(exc)
                continue
            if self.codec.phase is Phase.NEW:
                await self._login_step(request)
            elif self.codec.phase is Phase.AUTH:
                await self._credentials(request)
            elif request.command == "disconnect":
                await self._disconnect()
                return
            elif request.command == "abortQuery":
                continue  # nothing runs: no reply, as ever for abortQuery
            else:
                reply = await self._run(request)
                await self._send(reply)

    async def _disconnect(self) -> None:
        await self._close_session()
        await self._send(wire.ok_reply())
        self.codec.disconnected()
        await self.ws.close(1000, "disconnect")

    async def _login_step(self, request: wire.Request) -> None:
        command = request.command
        if command == "disconnect":  # pyexasol sends it even after a failed login
            await self._disconnect()
            raise _Closed()
        if command not in ("login", "loginToken"):
            await self._send(wire.error_reply(SqlCode.UNKNOWN,
                                              f"Invalid login request command: {command}"))
            return
        requested = request.get("protocolVersion")
        if requested < 1:
            await self._send(wire.error_reply(
                SqlCode.UNKNOWN, f"Could not create WebSocket protocol version {requested}"))
            return
        version = min(requested, wire.MAX_PROTOCOL_VERSION)
        if command == "loginToken":
            if version < 3:
                await self._send(wire.error_reply(
                    SqlCode.UNKNOWN, "Invalid login request command: loginToken"))
                return
            self._token_login = True
            await self._send(wire.ok_reply())
        else:
            self._token_login = False
            await self._send(self.server._public_key)
        self.codec.login_accepted(version)

    async def _credentials(self, request: wire.Request) -> None:
        fields = request.fields
        try:
            if self._token_login:
                # the mock knows no OpenID provider: every token is refused
                raise RequestError(SqlCode.CONNECTION, wire.AUTH_FAILED)
            user, password = fields.get("username"), fields.get("password")
            if not isinstance(user, str) or not isinstance(password, str):
                raise RequestError(SqlCode.UNKNOWN, "JSON value '/username' is required, "
                                                    "but was not provided.")
            clear = await self._in_thread(wire.decrypt_password, self.server._key, password)
            name = self.server.users.check(user, clear)
            if name is None:
                raise RequestError(SqlCode.CONNECTION, wire.AUTH_FAILED)
            attributes = dict(request.attributes)
            compression = bool(fields.get("useCompression")) or bool(
                attributes.get("compressionEnabled"))
            self._session_id = self.server._new_session_id()
            session = await self._in_thread(
                ExasolSession, self.server._ctx, name, self._session_id,
                self.codec.protocol_version, compression)
            self.session = session
            await self._in_thread(session.set_attributes, attributes)
        except RequestError as exc:
            await self._close_session()
            self.codec.phase = Phase.NEW
            await self._send(exc.reply())
            return
        await self._send(wire.login_info(self._session_id, self.codec.protocol_version,
                                         release_version=VERSION))
        self.codec.credentials_accepted(compression)

    async def _in_thread(self, fn, *args):
        executor = self.server._executor
        if executor is None:
            raise _Closed()
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

    async def _run(self, request: wire.Request) -> dict:
        """Run one command on a worker thread; meanwhile heartbeats, abortQuery, and
        noticing a client that left (the statement is then stopped)."""
        session = self.session
        assert session is not None
        executor = self.server._executor
        if executor is None:
            raise _Closed()
        session.arm()
        job = asyncio.get_running_loop().run_in_executor(executor, session.handle, request)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.server.statement_timeout
        try:
            while True:
                interval = max(float(session.attributes.get("feedbackInterval") or 1), 0.1)
                if self._reading is None:
                    self._reading = asyncio.ensure_future(self.ws.recv())
                done, _ = await asyncio.wait({job, self._reading}, timeout=interval,
                                             return_when=asyncio.FIRST_COMPLETED)
                if job in done:
                    break
                if self._reading in done:
                    payload = self._reading.result()  # ConnectionClosed: the client left
                    self._reading = None
                    self._early_message(session, payload)
                    continue
                if loop.time() > deadline:
                    session.interrupt()
                    continue
                await self.ws.pong(b"")  # Exasol's heartbeat while a statement runs
        except BaseException:
            # the client left, broke the protocol, or the server stops: stop the statement
            session.interrupt()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(job), self.server.stop_timeout)
            raise
        return job.result()

    def _early_message(self, session: ExasolSession, payload: Any) -> None:
        """A message while a command runs: abortQuery stops it; anything else breaks the
        strict request/response order and ends the connection."""
        try:
            obj = self.codec.receive(payload)
        except RequestError:
            raise _Closed() from None
        if obj.get("command") == "abortQuery":
            session.interrupt()
            return
        raise _Closed()

    async def _close_session(self) -> None:
        session, self.session = self.session, None
        if session is not None and self.server._executor is not None:
            with contextlib.suppress(Exception):
                await self._in_thread(session.close)
        if self._session_id is not None:
            with self.server._ids_lock:
                self.server._session_ids.discard(self._session_id)
            self._session_id = None

    async def release(self) -> None:
        if self._reading is not None:
            self._reading.cancel()
            with contextlib.suppress(BaseException):
                await self._reading
            self._reading = None
        session, self.session = self.session, None
        if session is not None:
            session.interrupt()
            executor = self.server._executor
            if executor is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(
                        executor, session.close), self.server.stop_timeout)
            else:
                with contextlib.suppress(Exception):
                    session.close()
        if self._session_id is not None:
            with self.server._ids_lock:
                self.server._session_ids.discard(self._session_id)

