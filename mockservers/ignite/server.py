"""The Ignite 3 mock server: the thin-client protocol (ignite3.md 1-9) on asyncio streams.

Per connection: the ``IGNI`` magic and handshake (basic authentication when users are
configured), then length-prefixed MessagePack requests decoded by the sans-I/O codec
(drivers/wire/ignite.py) and answered by the connection's :class:`IgniteSession` on a
worker thread, one request at a time and in order (OPERATION_CANCEL is answered at once and
stops the statement it names). Every connection has its own sessions; DuckDB is shared.

Hostile input, as the real server (``ClientMessageDecoder``, ``ClientInboundMessageHandler``)
or tighter: a wrong magic or a bad handshake closes the connection (after the handshake
error answer where there is one); a frame longer than ``max_frame`` or a negative length
closes it; a request whose payload does not decode gets an error answer for its request id
(-1 when even that cannot be read) and the connection goes on; an unknown op gets
``Unexpected operation code``. A peer that stalls longer than ``idle_timeout`` or goes
away ends its connection, and the statement it was waiting for is interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import ssl
import uuid
from collections.abc import Mapping

from dbapi_conformance.drivers.wire import ignite as w
from dbapi_conformance.drivers.wire.base import NEED_DATA, Side
from dbapi_conformance.mockservers.base import StreamMockServer, UsageError
from dbapi_conformance.mockservers.engine import Engine
from dbapi_conformance.mockservers.ignite import systables
from dbapi_conformance.mockservers.ignite.handler import (
    ENGINE_SETTINGS,
    IgniteSession,
    ServerContext,
    _Page,
)
from dbapi_conformance.mockservers.ignite.users import UserStore
from dbapi_conformance.mockservers.options import (
    add_tls_options,
    add_user_options,
    check_files,
    read_accounts,
)

__all__ = ["MockServer"]

log = logging.getLogger(__name__)

VERSION = "3.1.0"
#: Requests of one connection read ahead of the one that runs.
_QUEUE = 16


class MockServer(StreamMockServer):
    """Apache Ignite 3 (thin-client protocol 3.0.0, server version 3.1.0) over TCP.

    ``users``: name -> password; none = security off (every handshake passes).
    ``database``: a DuckDB file (None: in memory). ``tls_cert``/``tls_key``: PEM files to
    serve TLS on the same port; ``client_ca``: a PEM CA every client certificate must be
    signed by. ``max_frame``: the largest request payload (bytes); ``handshake_timeout``
    (s): the longest wait for the magic and handshake; ``workers``: threads running SQL.
    """

    summary = "Apache Ignite 3 thin-client protocol (MessagePack over TCP)"
    default_port = w.DEFAULT_PORT
    version = VERSION

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 users: Mapping[str, str] | None = None, database: str | None = None,
                 tls_cert: str | None = None, tls_key: str | None = None,
                 client_ca: str | None = None, max_frame: int = 16 * 1024 * 1024,
                 handshake_timeout: float = 10.0, idle_timeout: float = 300.0,
                 workers: int = 16, node_name: str = "defaultNode",
                 cluster_name: str = "ignite-mock", **kwargs) -> None:
        super().__init__(host, port, idle_timeout=idle_timeout, **kwargs)
        self.users = UserStore(users)
        self.database = database
        self.tls_cert, self.tls_key, self.client_ca = tls_cert, tls_key, client_ca
        self.max_frame = max_frame
        self.handshake_timeout = handshake_timeout
        self.node_name, self.cluster_name = node_name, cluster_name
        self._workers = workers
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._ctx: ServerContext | None = None
        self._node_id = uuid.uuid4()
        self._cluster_id = uuid.uuid4()

    @property
    def scheme(self) -> str:
        """``tcps`` when serving TLS, else ``tcp``."""
        return "tcps" if self.tls_cert else "tcp"

    # --- dbapi-mock options ------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None:
        """``--host``, ``--port``, ``--database``, ``--tls-cert``/``--tls-key``,
        ``--client-ca`` and the users (``--user`` with its password)."""
        super().add_arguments(parser, default_port)
        parser.add_argument("--database", metavar="PATH",
                            help="DuckDB file: tables survive a restart (default: in memory)")
        add_tls_options(parser)
        parser.add_argument("--client-ca", metavar="FILE",
                            help="PEM CA file (needs --tls-cert): every client must present "
                                 "a certificate this CA signed")
        add_user_options(
            parser, "authentication",
            "Off by default, as in Ignite without security enabled: every handshake passes. "
            "A --user turns basic authentication on: only the users given get in.",
            "a user (repeatable); its password is the --password-env, --password-file or "
            "--password after it")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> MockServer:
        """A server from the options; UsageError for --tls-cert without --tls-key (or the
        reverse), a missing file, --client-ca without TLS, and users without a password."""
        check_files(args, "--client-ca")
        if args.client_ca and not args.tls_cert:
            raise UsageError("--client-ca needs --tls-cert and --tls-key")
        users = read_accounts(args.user_specs, fold=str.lower)
        return cls(host=args.host, port=args.port, users=users,
                   database=args.database, tls_cert=args.tls_cert, tls_key=args.tls_key,
                   client_ca=args.client_ca)

    # --- life cycle --------------------------------------------------------------------
    async def prepare(self) -> None:
        """Open the engine and install the SYSTEM views (on a worker thread); build TLS."""
        loop = asyncio.get_running_loop()
        self._executor = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="ignite-sql")
        engine = await loop.run_in_executor(
            self._executor, functools.partial(Engine, self.database, settings=ENGINE_SETTINGS))
        catalog = await loop.run_in_executor(self._executor, systables.install, engine)
        self._ctx = ServerContext(engine, catalog)
        if self.tls_cert:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.tls_cert, self.tls_key)
            # TLS 1.2 at most: over TLS 1.3 pyignite_dbapi 3.1.0 waits after its handshake
            # for the socket to turn readable again (secure_socket_client.cpp, a workaround
            # for openssl#7967); when the server's session tickets came in before that wait,
            # it times out (about one connection in four against this server).
            context.maximum_version = ssl.TLSVersion.TLSv1_2
            if self.client_ca:
                context.load_verify_locations(cafile=self.client_ca)
                context.verify_mode = ssl.CERT_REQUIRED
            self.ssl = context

    async def release(self) -> None:
        ctx, self._ctx = self._ctx, None
        executor, self._executor = self._executor, None
        if ctx is not None:
            await asyncio.get_running_loop().run_in_executor(executor, ctx.engine.close)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    # --- one connection ----------------------------------------------------------------
    # asyncio.timeout rather than wait_for: no extra task per read or write, the same
    # cancellation on expiry
    async def _read(self, reader: asyncio.StreamReader, timeout: float) -> bytes:
        async with asyncio.timeout(timeout):
            return await reader.read(65536)

    async def _write(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        async with asyncio.timeout(self.idle_timeout):
            await writer.drain()

    async def handle_connection(self, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        ctx, executor = self._ctx, self._executor
        assert ctx is not None and executor is not None
        loop = asyncio.get_running_loop()
        codec = w.Connection(Side.SERVER, max_frame=self.max_frame)
        # handshake: the magic and one frame, within handshake_timeout
        try:
            async with asyncio.timeout(self.handshake_timeout):
                event = NEED_DATA
                while event is NEED_DATA:
                    data = await reader.read(65536)
                    codec.receive_data(data)
                    event = codec.next_event()
                    if not data and event is NEED_DATA:
                        return
        except w.RequestError as exc:
            log.debug("handshake refused: %s", exc)
            return  # a bad magic or frame: the real server closes the channel
        assert isinstance(event, w.Handshake)
        refusal = None
        if event.version != w.PROTOCOL_VERSION:
            refusal = w.ErrorInfo(w.ErrorCode.PROTOCOL_COMPATIBILITY, w.IGNITE_EXCEPTION,
                                  "Unsupported version: " + ".".join(map(str, event.version)),
                                  uuid.uuid4())
        else:
            refusal = self.users.authenticate(event)
        if refusal is not None:
            if refusal.trace_id is None:
                refusal = w.ErrorInfo(refusal.code, refusal.class_name, refusal.message,
                                      uuid.uuid4())
            await self._write(writer, codec.send(w.HandshakeError(refusal)))
            return
        await self._write(writer, codec.send(w.HandshakeResponse(
            idle_timeout=0, node_id=self._node_id, node_name=self.node_name,
            cluster_ids=(self._cluster_id,), cluster_name=self.cluster_name,
            observable_timestamp=ctx.timestamp(), server_version=(3, 1, 0, None, None),
            features=b"\x00")))
        session = await loop.run_in_executor(executor, IgniteSession, ctx)
        queue: asyncio.Queue = asyncio.Queue(_QUEUE)
        worker = asyncio.ensure_future(self._serve_requests(session, codec, queue, writer))
        try:
            if await self._read_requests(reader, writer, codec, queue, session, worker):
                # a fatal frame: answer what came before it, then close
                await queue.put(None)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait({worker}, timeout=self.idle_timeout)
        finally:
            worker.cancel()
            session.interrupt()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(worker, self.stop_timeout)
            # the client went away: roll back its transactions, free its cursors
            await asyncio.shield(loop.run_in_executor(executor, session.close))

    async def _read_requests(self, reader, writer, codec: w.Connection, queue: asyncio.Queue,
                             session: IgniteSession, worker: asyncio.Future) -> bool:
        """Queue the requests the codec holds (some may have come with the handshake), then
        read more; until the peer leaves (False) or sends what ends the connection (True)."""
        while True:
            while True:
                try:
                    event = codec.next_event()
                except w.RequestError as exc:
                    if exc.fatal or exc.request_id is None:
                        log.debug("closing connection: %s", exc)
                        return True
                    event = w.ErrorResponse(
                        request_id=exc.request_id, observable_timestamp=0,
                        error=w.ErrorInfo(int(exc.code), exc.class_name, exc.message,
                                          uuid.uuid4()))
                if event is NEED_DATA:
                    break
                if isinstance(event, w.OperationCancel):
                    if session.running_request == event.target_id:
                        session.interrupt()
                    event = w.EmptyResponse(request_id=event.request_id)
                if not await self._put(queue, event, worker):
                    return False
            if codec.peer_closed:
                return False
            reading = asyncio.ensure_future(self._read(reader, self.idle_timeout))
            await asyncio.wait({reading, worker}, return_when=asyncio.FIRST_COMPLETED)
            if not reading.done():
                reading.cancel()
                return False  # the worker ended (a write failed)
            codec.receive_data(reading.result())

    @staticmethod
    async def _put(queue: asyncio.Queue, item, worker: asyncio.Future) -> bool:
        """Queue ``item`` for the worker; False when the worker ended first."""
        if worker.done():
            return False
        if not queue.full():
            queue.put_nowait(item)  # the common case: no task, no wait
            return True
        putting = asyncio.ensure_future(queue.put(item))
        await asyncio.wait({putting, worker}, return_when=asyncio.FIRST_COMPLETED)
        if not putting.done():
            putting.cancel()
            return False
        return True

    async def _serve_requests(self, session: IgniteSession, codec: w.Connection,
                              queue: asyncio.Queue, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        while True:
            item = await queue.get()
            if item is None:
                return
            if isinstance(item, w.Response):  # an answer made while reading (errors, cancel)
                await self._write(writer, codec.send(item))
                continue
            session.running_request = item.request_id
            try:
                data = await loop.run_in_executor(self._executor, self._answer, session,
                                                  codec, item)
            finally:
                session.running_request = None
            await self._write(writer, data)

    @staticmethod
    def _answer(session: IgniteSession, codec: w.Connection, request: w.Request) -> bytes:
        response = session.handle(request)
        try:
            if isinstance(response, _Page):
                return codec.send_page(response, response.columns)
            return codec.send(response)
        except w.EncodeError as exc:
            return codec.send(w.ErrorResponse(request_id=request.request_id, error=w.ErrorInfo(
                w.ErrorCode.INTERNAL, w.IGNITE_EXCEPTION, f"cannot send the result: {exc}",
                uuid.uuid4())))
