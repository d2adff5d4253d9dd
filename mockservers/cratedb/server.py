"""The CrateDB mock server: CrateDB's HTTP endpoint (cratedb.md 1-3) on aiohttp.

Routes, as CrateDB's Netty pipeline orders them (crate/crate ``Netty4HttpServerTransport``):
authentication first (``HttpAuthUpstreamHandler``: 401 plain text, then the connection is
closed), then ``/_blobs`` (not imitated: 404), ``/_sql`` by prefix and for any method
(``SqlHttpHandler``), then ``/`` server info or static files (``MainAndStaticFileHandler``:
404 ``Requested file [...] was not found``, 403 ``POST method is not allowed for [...]``).

Each TCP connection has its own CrateDB session (user, schema from ``Default-Schema`` on the
first request, ``SET`` values) and its own engine session, closed with the connection. SQL
runs on worker threads; a per-connection lock keeps one statement at a time per session, so
a slow client never blocks the others. Every wait has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import concurrent.futures
import contextlib
import functools
import logging
import os
import re
import ssl
import zlib
from dataclasses import dataclass, field

from aiohttp import web, web_protocol

from dbapi_conformance.drivers.wire.cratedb import (
    DEFAULT_PORT,
    DEFAULT_SCHEMA,
    DEFAULT_SCHEMA_HEADER,
    DEFAULT_USER,
    JSON_CONTENT_TYPE,
    RequestError,
    encode_error,
    encode_server_info,
    flag_set,
    http_status,
    parse_sql_request,
)
from dbapi_conformance.mockservers.base import BaseMockServer, UsageError
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb import systables
from dbapi_conformance.mockservers.cratedb.catalog import Catalog
from dbapi_conformance.mockservers.cratedb.handler import (
    ENGINE_SETTINGS,
    CrateSession,
    ServerContext,
)
from dbapi_conformance.mockservers.engine import Engine

__all__ = ["MockServer"]

log = logging.getLogger(__name__)

VERSION = "6.4.1"
MAX_CONTENT_LENGTH = 100 * 1024 * 1024  # http.max_content_length default
_BROWSER = re.compile(r"(Mozilla|Chrome|Safari|Opera|Android|AppleWebKit)+?[/\s][\d.]+")
_REALM = 'Basic realm="CrateDB Authenticator"'
_PLAIN = "text/plain; charset=UTF-8"
_ADMIN_UI = (b"<!DOCTYPE html>\n<html><head><title>CrateDB</title></head>\n"
             b"<body><h1>CrateDB</h1><p>This is a mock of the CrateDB HTTP endpoint; "
             b"send SQL to <code>POST /_sql</code>.</p></body></html>\n")


class _Drop(Exception):
    """The request cannot be answered (the peer went away or stalled): close the
    connection."""


class _TooLarge(Exception):
    """The body exceeds http.max_content_length."""


class _Unauthorized(Exception):
    def __init__(self, text: str, status: int = 401):
        super().__init__(text)
        self.text = text
        self.status = status


@dataclass
class _Connection:
    """Per-TCP-connection state."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: CrateSession | None = None
    user: str | None = None
    closed: bool = False


class _Server(web.Server):
    """aiohttp's low-level server, told when a connection ends (to close its session)."""

    def __init__(self, handler, on_lost, **kwargs):
        super().__init__(handler, **kwargs)
        self._on_lost = on_lost

    def connection_lost(self, handler: web_protocol.RequestHandler, exc=None) -> None:
        super().connection_lost(handler, exc)
        self._on_lost(handler)


class MockServer(BaseMockServer):
    """A CrateDB HTTP endpoint backed by DuckDB, on the shared mock base (mockservers/base.py).

    ``users``: user -> password, or None for "any password" (CrateDB's trust method);
    default ``{"crate": None}``. ``database``: a DuckDB file so that tables survive a
    restart, or None (in memory). ``tls_cert``/``tls_key``: PEM files to serve https.
    ``port`` 0 picks a free port; :attr:`url` tells which.

    Timeouts (seconds): ``body_timeout`` for a request body to arrive, ``statement_timeout``
    for one statement, ``startup_timeout`` for :meth:`start`, ``stop_timeout`` for
    :meth:`stop`. ``max_content_length``: the largest request body in bytes, also once
    decompressed (CrateDB's ``http.max_content_length``, 100 MB). ``workers``: threads
    running SQL.
    """

    summary = "CrateDB HTTP endpoint (POST /_sql)"
    default_port = DEFAULT_PORT
    version = VERSION

    def __init__(self, host: str = "127.0.0.1", port: int = 0, users: dict | None = None,
                 database: str | None = None, tls_cert: str | None = None,
                 tls_key: str | None = None, *, body_timeout: float = 30.0,
                 statement_timeout: float = 300.0, startup_timeout: float = 60.0,
                 stop_timeout: float = 30.0, workers: int = 16,
                 max_content_length: int = MAX_CONTENT_LENGTH):
        super().__init__(host, port, startup_timeout=startup_timeout,
                         stop_timeout=stop_timeout)
        self.users = dict(users) if users is not None else {DEFAULT_USER: None}
        self.database = database
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.body_timeout = body_timeout
        self.statement_timeout = statement_timeout
        self.max_content_length = max_content_length
        self.node_name = systables.random_node_name()
        self._workers = workers
        self._ctx: ServerContext | None = None
        self._runner: web.BaseRunner | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._connections: dict[web_protocol.RequestHandler, _Connection] = {}

    @property
    def scheme(self) -> str:
        """``https`` when serving TLS, else ``http``."""
        return "https" if self.tls_cert else "http"

    # --- dbapi-mock options ------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None:
        """``--host``, ``--port``, ``--user``/``--password``, ``--database``,
        ``--tls-cert``/``--tls-key``."""
        super().add_arguments(parser, default_port)
        parser.add_argument("--user", help="a user that must give --password (besides "
                                           "'crate', which is accepted without one)")
        parser.add_argument("--password", help="the password of --user")
        parser.add_argument("--database", metavar="PATH",
                            help="DuckDB file: tables survive a restart (default: in memory)")
        parser.add_argument("--tls-cert", metavar="FILE", help="PEM certificate: serve https")
        parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> MockServer:
        """A server from the options; UsageError for --tls-cert without --tls-key (or the
        reverse), a TLS file that is not there, and --password and --user one without the
        other."""
        if bool(args.tls_cert) != bool(args.tls_key):
            raise UsageError("--tls-cert and --tls-key go together")
        for option, path in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
            if path and not os.path.isfile(path):
                raise UsageError(f"{option} {path}: no such file")
        if args.password and not args.user:
            raise UsageError("--password needs --user")
        if args.user and not args.password:
            raise UsageError(f"--user {args.user} needs --password (only '{DEFAULT_USER}' "
                             "logs in without one)")
        users: dict[str, str | None] = {DEFAULT_USER: None}
        if args.user:
            users[args.user] = args.password
        return cls(host=args.host, port=args.port, users=users, database=args.database,
                   tls_cert=args.tls_cert, tls_key=args.tls_key)

    # --- life cycle --------------------------------------------------------------------
    async def listen(self) -> tuple[str, int]:
        """Open the engine (on a worker thread), install the system tables, listen."""
        loop = asyncio.get_running_loop()
        self._connections = {}
        self._executor = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="cratedb-sql")
        engine = await loop.run_in_executor(
            self._executor, functools.partial(Engine, self.database, settings=ENGINE_SETTINGS))
        self._ctx = ServerContext(engine, Catalog(), VERSION)
        ssl_context = None
        if self.tls_cert:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.tls_cert, self.tls_key)
        server = _Server(self._handle, self._connection_lost, auto_decompress=False,
                         keepalive_timeout=300, access_log=None)
        self._runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=ssl_context)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        node = systables.NodeInfo(self.node_name, VERSION, port, self.host)
        self._ctx.node = node
        await loop.run_in_executor(self._executor, systables.install, engine,
                                   self._ctx.catalog, node)
        return host, port

    async def close(self) -> None:
        """Stop the HTTP server, wait for session clean-ups, close every session, the
        engine and the worker threads."""
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._runner.cleanup(), 10)
            self._runner = None
        await self.drain_tasks(5)
        for conn in list(self._connections.values()):
            self._close_session(conn, interrupt=True)
        self._connections.clear()
        if self._ctx is not None:
            with contextlib.suppress(Exception):
                self._ctx.engine.close()
            self._ctx = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _connection_lost(self, handler) -> None:
        conn = self._connections.pop(handler, None)
        if conn is None:
            return
        conn.closed = True
        if conn.session is not None and self._executor is not None:
            self.spawn(self._close_later(conn))

    async def _close_later(self, conn: _Connection) -> None:
        try:
            await asyncio.wait_for(conn.lock.acquire(), self.statement_timeout)
        except asyncio.TimeoutError:
            # a statement still runs for the departed client: stop it, then close
            if conn.session is not None:
                conn.session.interrupt()
            try:
                await asyncio.wait_for(conn.lock.acquire(), 10)
            except asyncio.TimeoutError:
                return
        try:
            if self._executor is not None and conn.session is not None:
                await asyncio.get_running_loop().run_in_executor(
                    self._executor, self._close_session, conn)
        finally:
            conn.lock.release()

    @staticmethod
    def _close_session(conn: _Connection, interrupt: bool = False) -> None:
        session, conn.session = conn.session, None
        if session is not None:
            with contextlib.suppress(Exception):
                if interrupt:
                    session.interrupt()
                session.close()

    # --- requests ----------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            user = self._authenticate(request)
        except _Unauthorized as exc:
            return self._unauthorized(exc)
        path = request.raw_path
        if path.startswith("/_blobs"):
            return web.Response(status=404)
        if path.startswith("/_sql"):
            try:
                return await self._sql(request, user)
            except _TooLarge:
                # Netty's HttpObjectAggregator: 413 without a body, then close
                resp = web.Response(status=413)
                resp.force_close()
                return resp
            except _Drop:
                if request.transport is not None:
                    request.transport.close()
                resp = web.Response(status=400)
                resp.force_close()
                return resp
        return self._main(request)

    def _authenticate(self, request: web.BaseRequest) -> str:
        header = request.headers.get("Authorization")
        if not header or not header.split():
            user, password = DEFAULT_USER, None
        else:
            parts = header.split()
            if len(parts) < 2:
                raise _Unauthorized(
                    "Authorization header must contain auth scheme (basic, bearer) and base64 "
                    "encoded value separated by a whitespace", 500)
            scheme = parts[0].lower()
            if scheme == "bearer":
                # no user of this mock has JWT properties: the token names nobody
                raise _Unauthorized('trust authentication failed for user "null"')
            if scheme != "basic":
                raise _Unauthorized("Only basic or bearer HTTP Authentication schemes are "
                                    "allowed.", 500)
            try:
                decoded = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                raise _Unauthorized("Illegal base64 character in Authorization header",
                                    500) from None
            user, _, password = decoded.partition(":")
            password = password or None
        if user not in self.users:
            method = "password" if any(p is not None for p in self.users.values()) else "trust"
            raise _Unauthorized(f'{method} authentication failed for user "{user}"')
        expected = self.users[user]
        if expected is not None and password != expected:
            raise _Unauthorized(f'password authentication failed for user "{user}"')
        return user

    @staticmethod
    def _unauthorized(exc: _Unauthorized) -> web.Response:
        text = exc.text if exc.text.endswith("\n") else exc.text + "\n"
        resp = web.Response(status=exc.status, body=text.encode(),
                            headers={"Content-Type": _PLAIN})
        if exc.status == 401:
            resp.headers["WWW-Authenticate"] = _REALM
        resp.force_close()
        return resp

    def _main(self, request: web.BaseRequest) -> web.Response:
        uri = request.raw_path
        method = request.method
        if uri.strip().lower() in ("/admin", "/_plugin/crate-admin"):
            return web.Response(status=307, headers={"Location": "/"})
        if uri == "/" and method in ("GET", "HEAD") and (
                "application/json" in request.headers.get("Accept", "")
                or not _is_browser(request.headers.get("User-Agent"))):
            if method == "HEAD":
                return web.Response(status=200)
            body = encode_server_info(self.node_name, "crate", VERSION, systables.BUILD_HASH,
                                      systables.BUILD_TIMESTAMP, systables.LUCENE_VERSION)
            return web.Response(status=200, body=body,
                                headers={"Content-Type": "application/json"})
        if method != "GET":
            return _text(403, f"POST method is not allowed for [{uri}]")
        site_path = uri.lstrip("/") or "index.html"
        if site_path == "index.html":
            return web.Response(status=200, body=_ADMIN_UI,
                                headers={"Content-Type": "text/html"})
        return _text(404, f"Requested file [{site_path}] was not found")

    async def _sql(self, request: web.BaseRequest, user: str) -> web.StreamResponse:
        query = request.rel_url.query
        types = _flag(query, "types")
        trace = _flag(query, "error_trace")
        body = await self._read_body(request)
        encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            try:
                body = _decompress(body, encoding, self.max_content_length)
            except ValueError as exc:
                # Netty's decompressor fails the pipeline: plain-text 500, connection closed
                resp = _text(500, str(exc))
                resp.force_close()
                return resp
        try:
            sql_request = parse_sql_request(body)
        except RequestError as exc:
            return _json(http_status(exc.code), encode_error(
                exc.code, exc.message, _request_trace(exc) if trace else None))
        conn = self._connections.get(request.protocol)
        if conn is None:
            conn = self._connections[request.protocol] = _Connection()
            # the client may have gone while its body was read: close what we open now
            conn.closed = request.protocol.transport is None
        try:
            await asyncio.wait_for(conn.lock.acquire(), self.statement_timeout)
        except asyncio.TimeoutError:
            return self._timeout_error(trace)
        try:
            if conn.session is None or conn.user != user:
                if conn.session is not None:
                    await self._run(self._close_session, conn)
                schema = request.headers.get(DEFAULT_SCHEMA_HEADER) or DEFAULT_SCHEMA
                conn.session = CrateSession(self._ctx, user, schema)
                conn.user = user
            session = conn.session
            try:
                status, payload = await asyncio.wait_for(
                    self._run(session.handle, sql_request, types, trace),
                    self.statement_timeout)
            except asyncio.TimeoutError:
                session.interrupt()
                return self._timeout_error(trace)
        finally:
            conn.lock.release()
            if conn.closed:
                self._connections.pop(request.protocol, None)
                if conn.session is not None:
                    self.spawn(self._close_later(conn))
        return _json(status, payload)

    def _timeout_error(self, trace: bool) -> web.Response:
        err = cerr.CrateError(5005, "JobKilledException",
                              "Job killed. statement_timeout (mock server limit "
                              f"{self.statement_timeout:g}s)")
        return _json(err.status, encode_error(err.code, err.message,
                                              cerr.error_trace(err) if trace else None))

    async def _run(self, fn, *args):
        if self._executor is None:
            raise _Drop()
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _read_body(self, request: web.BaseRequest) -> bytes:
        length = request.content_length
        if length is not None and length > self.max_content_length:
            raise _TooLarge()
        chunks, total = [], 0
        try:
            while True:
                chunk = await asyncio.wait_for(request.content.read(1 << 16),
                                               self.body_timeout)
                if not chunk:
                    break
                total += len(chunk)
                if total > self.max_content_length:
                    raise _TooLarge()
                chunks.append(chunk)
        except _TooLarge:
            raise
        except Exception as exc:  # timeout, or aiohttp payload errors: peer closed mid-body
            raise _Drop() from exc
        return b"".join(chunks)


def _is_browser(user_agent: str | None) -> bool:
    if not user_agent or not user_agent.split():
        return False
    return _BROWSER.fullmatch(user_agent.split()[0]) is not None


def _flag(query, name: str) -> bool:
    values = query.getall(name, [])
    return len(values) == 1 and flag_set(values[0])


def _text(status: int, text: str) -> web.Response:
    # CrateDB sends these without a Content-Type; aiohttp insists on one for any body
    return web.Response(status=status, body=text.encode("utf-8"),
                        headers={"Content-Type": _PLAIN})


def _json(status: int, body: bytes) -> web.Response:
    return web.Response(status=status, body=body, headers={"Content-Type": JSON_CONTENT_TYPE})


def _request_trace(exc: RequestError) -> str:
    name = exc.message.split("[", 1)[0]
    return cerr.error_trace(cerr.CrateError(exc.code, name, exc.message[len(name) + 1:-1]))


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """Decode a gzip or deflate request body; ValueError with Netty's message when it is
    not valid, or when it would exceed the content length limit."""
    prefix = "io.netty.handler.codec.compression.DecompressionException: "
    if encoding in ("gzip", "x-gzip"):
        if body[:2] != b"\x1f\x8b":
            raise ValueError(prefix + "Input is not in the GZIP format")
        candidates = [zlib.MAX_WBITS | 16]
    elif encoding == "deflate":
        candidates = [zlib.MAX_WBITS, -zlib.MAX_WBITS]  # zlib wrapper or raw (ZLIB_OR_NONE)
    else:
        raise ValueError(prefix + f"unsupported Content-Encoding: {encoding}")
    for wbits in candidates:
        decoder = zlib.decompressobj(wbits)
        try:
            out = decoder.decompress(body, limit + 1)
        except zlib.error:
            continue
        if len(out) > limit:
            raise ValueError(prefix + "decompressed body exceeds http.max_content_length")
        if not decoder.eof:
            continue
        return out
    raise ValueError(prefix + "decompression failure")
