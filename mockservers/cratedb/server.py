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

Hostile input is bounded as CrateDB bounds it, or tighter where the mock's own resources need
it: bodies over ``max_content_length`` (also once inflated) get Netty's 413; the bytes of all
bodies held at once are capped (``max_buffered_bytes``, answered as CrateDB's circuit breakers
answer); a body has one total deadline (``body_timeout``); a connection that goes away takes
its queued request and its running statement with it (CrateDB closes the session of an
unregistered channel, ``HttpHandler.channelUnregistered``); a malformed request is answered as
Netty's decoder and CrateDB's static file handler answer it, after the answers to the requests
before it; an unexpected failure is a plain-text 500 (``MainAndStaticFileHandler.send500``).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import functools
import logging
import re
import ssl
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import http_exceptions, web, web_protocol

from dbapi_conformance.drivers.wire.cratedb import (
    DEFAULT_PORT,
    DEFAULT_SCHEMA,
    DEFAULT_SCHEMA_HEADER,
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
    MAX_EXPRESSION_DEPTH,
    MAX_STATEMENT_LENGTH,
    CrateSession,
    ServerContext,
)
from dbapi_conformance.mockservers.cratedb.refresh import Refresher
from dbapi_conformance.mockservers.cratedb.users import (
    SUPERUSER,
    Authenticator,
    AuthError,
    Rule,
    UserStore,
    parse_trust_rule,
)
from dbapi_conformance.mockservers.engine import Engine
from dbapi_conformance.mockservers.options import (
    add_tls_options,
    add_user_options,
    check_files,
    read_accounts,
)

__all__ = ["MockServer"]

log = logging.getLogger(__name__)

VERSION = "6.4.1"
MAX_CONTENT_LENGTH = 100 * 1024 * 1024  # http.max_content_length default
MAX_JSON_DEPTH = 256  # request body nesting (CrateDB: 1000); see MockServer
_INFLATE_STEP = 1 << 20
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


class _TimedOut(Exception):
    """The statement ran past ``statement_timeout``."""


class _Breaker(Exception):
    """Request bodies held at once would exceed ``max_buffered_bytes``."""

    def __init__(self, wanted: int, total: int, limit: int):
        super().__init__(
            f"Allocating {_byte_size(wanted)} for 'http-request' failed, breaker would use "
            f"{_byte_size(total)} in total. Limit is {_byte_size(limit)}. Either increase "
            "memory and limit, change the query or reduce concurrent query load")


class _Budget:
    """Bytes of request bodies (as sent and inflated) held at once by the whole server; a
    circuit breaker: :meth:`take` raises :class:`_Breaker` rather than wait. Used on the
    event loop only, so it needs no lock."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def take(self, n: int) -> None:
        if self.used + n > self.limit:
            raise _Breaker(n, self.used + n, self.limit)
        self.used += n

    def give(self, n: int) -> None:
        self.used -= n


@dataclass
class _Connection:
    """Per-TCP-connection state."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    session: CrateSession | None = None
    user: str | None = None
    closed: bool = False
    #: the statement submitted to the workers for this connection, queued or running
    job: concurrent.futures.Future | None = None


class _Protocol(web_protocol.RequestHandler):
    """aiohttp's connection handler with two CrateDB (Netty) behaviours:

    - pipelined requests are parsed one at a time, so a malformed request fails on its own
      turn instead of taking the parsed requests before it down with it (aiohttp's parser
      drops every message of a chunk that ends in a parse error);
    - errors aiohttp answers itself get CrateDB's answers (:meth:`handle_error`).
    """

    def __init__(self, manager, *, loop, read_bufsize: int = 2 ** 16, **kwargs):
        super().__init__(manager, loop=loop, read_bufsize=read_bufsize, **kwargs)
        try:
            parser = web_protocol.HttpRequestParser(
                self, loop, read_bufsize, max_line_size=8190, max_field_size=8190,
                max_headers=128, payload_exception=web_protocol.RequestPayloadError,
                auto_decompress=False, max_msg_queue_size=1)
        except TypeError:  # an aiohttp before the message queue limit: its own parser
            return
        self._parser = parser
        self._max_msg_queue_size = 1
        self._msg_queue_resume_size = 0

    # aiohttp holds the transport while a parsed request waits for its handler (the queue
    # limit above is 1), which for the common client, one request and then its answer,
    # means two epoll calls per request for nothing. The hold here starts only when bytes
    # arrive while a request waits (a pipelining client): at most one more read is kept.
    _held = False  # the transport is paused for the waiting request

    def _pause_reading_for_buffer(self) -> None:
        self._buffer_paused = True

    def _resume_reading_for_buffer(self) -> None:
        self._buffer_paused = False
        if self._held:
            self._held = False
            if not self._reading_paused:
                self._resume_transport_reading()

    def data_received(self, data: bytes) -> None:
        if data and self._buffer_paused and not self._held:
            self._held = True
            self._pause_transport_reading()
        super().data_received(data)

    def handle_error(self, request, status: int = 500, exc=None, message=None):
        if isinstance(exc, http_exceptions.HttpProcessingError):
            # Netty's HttpObjectDecoder turns a request it cannot decode into
            # "GET /bad-request HTTP/1.0" and stops reading; CrateDB has no such file
            resp = _text(404, "Requested file [bad-request] was not found")
        else:
            log.error("unexpected failure answering %s", request.path, exc_info=exc)
            text = (str(exc) or type(exc).__name__) if exc is not None else "Error"
            resp = _text(status, text)
        resp.force_close()
        return resp


class _Server(web.Server):
    """aiohttp's low-level server, told when a connection ends (to close its session)."""

    def __init__(self, handler, on_lost, **kwargs):
        super().__init__(handler, **kwargs)
        self._on_lost = on_lost

    def __call__(self) -> _Protocol:
        return _Protocol(self, loop=self._loop, **self._kwargs)

    def connection_lost(self, handler: web_protocol.RequestHandler, exc=None) -> None:
        super().connection_lost(handler, exc)
        self._on_lost(handler)


class MockServer(BaseMockServer):
    """A CrateDB HTTP endpoint backed by DuckDB, on the shared mock base (mockservers/base.py).

    Users and authentication (users.py; CrateDB ``docs/admin/auth/``): ``users`` maps a
    user name to its password, or None for a user without one (only ``crate`` by default;
    ``crate`` is the superuser, always there, and never has a password). ``trust``: rules
    ``USER@ADDRESS`` (``crate@127.0.0.1``, ``*@10.0.0.0/8``, ``crate@_local_``) that let a
    user in without a password. ``client_ca``: a PEM CA file; every client must then
    present a certificate it signed (needs ``tls_cert``), whose CN is the user (CrateDB's
    ``cert`` method).

    With none of a password, ``trust`` or ``client_ca``, authentication is off, as in
    CrateDB with ``auth.host_based.enabled: false``: any existing user gets in without a
    password, and a client without credentials is ``crate``. With any of them it is on, as
    ``auth.host_based.config`` with the ``trust`` rules first, then ``cert`` for everyone
    (``client_ca``) or else ``password`` for everyone: a client without credentials (or a
    certificate) is ``crate``, and gets in only through a trust rule. ValueError for a
    password for ``crate``, an empty password, a rule that cannot be read, ``client_ca``
    without TLS.

    ``database``: a DuckDB file so that tables survive a restart, or None (in memory).
    ``tls_cert``/``tls_key``: PEM files to serve https. ``port`` 0 picks a free port;
    :attr:`url` tells which.

    ``pk_lookups``: answer primary-key lookups from table snapshots when that pays off
    (pklookup.py; :attr:`pk_index` once started); False: every query runs in DuckDB.

    ``refresh_interval``: milliseconds; when set, writes reach searches (non primary-key
    reads) only after ``REFRESH TABLE`` or that interval, as in CrateDB (refresh.py); None
    (default): visible at once.

    Timeouts (seconds): ``body_timeout`` for a whole request body to arrive (one deadline,
    however the bytes trickle in), ``statement_timeout`` for one statement,
    ``startup_timeout`` for :meth:`start`, ``stop_timeout`` for :meth:`stop`.
    ``workers``: threads running SQL.

    Limits: ``max_content_length``, the largest request body in bytes, also once
    decompressed (CrateDB's ``http.max_content_length``, 100 MB; 413 beyond);
    ``max_buffered_bytes``, the bytes of all request bodies held at once, as sent plus
    inflated (default twice ``max_content_length``; a CircuitBreakingException beyond);
    ``max_statement_length`` (characters) and ``max_expression_depth`` (see
    :mod:`.handler`); ``max_json_depth``, the nesting of a request body (CrateDB's JSON
    parser allows 1000; the engine's nested lists grow slow long before, so 256 here).
    """

    summary = "CrateDB HTTP endpoint (POST /_sql)"
    default_port = DEFAULT_PORT
    version = VERSION

    def __init__(self, host: str = "127.0.0.1", port: int = 0, users: dict | None = None,
                 database: str | None = None, tls_cert: str | None = None,
                 tls_key: str | None = None, *, trust: Sequence[str | Rule] = (),
                 client_ca: str | None = None, body_timeout: float = 30.0,
                 statement_timeout: float = 300.0, startup_timeout: float = 60.0,
                 stop_timeout: float = 30.0, workers: int = 16,
                 max_content_length: int = MAX_CONTENT_LENGTH,
                 max_buffered_bytes: int | None = None,
                 max_statement_length: int = MAX_STATEMENT_LENGTH,
                 max_expression_depth: int = MAX_EXPRESSION_DEPTH,
                 max_json_depth: int = MAX_JSON_DEPTH,
                 refresh_interval: float | None = None, pk_lookups: bool = True):
        super().__init__(host, port, startup_timeout=startup_timeout,
                         stop_timeout=stop_timeout)
        self.user_store = users_ = UserStore(users or {})
        rules = [r if isinstance(r, Rule) else parse_trust_rule(r) for r in trust]
        if client_ca and not tls_cert:
            raise ValueError("client_ca needs tls_cert: client certificates come with TLS")
        self.client_ca = client_ca
        on = bool(rules) or bool(client_ca) or users_.has_passwords()
        final = Rule("cert") if client_ca else Rule("password")
        self.authenticator = Authenticator(users_, rules + [final] if on else None)
        self.database = database
        self.tls_cert = tls_cert
        self.tls_key = tls_key
        self.body_timeout = body_timeout
        self.statement_timeout = statement_timeout
        self.max_content_length = max_content_length
        self.max_buffered_bytes = (2 * max_content_length if max_buffered_bytes is None
                                   else max_buffered_bytes)
        self.max_statement_length = max_statement_length
        self.max_expression_depth = max_expression_depth
        self.max_json_depth = max_json_depth
        if refresh_interval is not None and not refresh_interval > 0:
            raise ValueError("refresh_interval must be a positive number of milliseconds")
        self.refresh_interval = refresh_interval
        self.pk_lookups = pk_lookups
        self.node_name = systables.random_node_name()
        self._workers = workers
        self._ctx: ServerContext | None = None
        self._runner: web.BaseRunner | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._connections: dict[web_protocol.RequestHandler, _Connection] = {}
        self._budget = _Budget(self.max_buffered_bytes)

    @property
    def pk_index(self):
        """The server's :class:`~.pklookup.PkIndex` while it runs (None when stopped or
        with ``pk_lookups=False``)."""
        return self._ctx.pk_index if self._ctx is not None else None

    @property
    def scheme(self) -> str:
        """``https`` when serving TLS, else ``http``."""
        return "https" if self.tls_cert else "http"

    # --- dbapi-mock options ------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None:
        """``--host``, ``--port``, ``--database``, ``--tls-cert``/``--tls-key``, and the
        authentication options (``--user`` with its password, ``--trust``,
        ``--client-ca``)."""
        super().add_arguments(parser, default_port)
        parser.add_argument("--database", metavar="PATH",
                            help="DuckDB file: tables survive a restart (default: in memory)")
        add_tls_options(parser, serves="https")
        parser.add_argument("--refresh-interval", metavar="MS", type=float,
                            help="strict refresh mode: writes reach non primary-key reads "
                                 "only after REFRESH TABLE or MS milliseconds, as in CrateDB "
                                 "(default: at once)")
        auth = add_user_options(
            parser, "authentication",
            "Off by default, as in CrateDB without auth.host_based: every existing user gets "
            "in without a password, and a client without credentials is the superuser "
            "'crate'. A --user with a password, a --trust rule or --client-ca turns it on: "
            "the --trust rules are tried in order, then password authentication for "
            "everyone (certificate authentication with --client-ca). 'crate' has no "
            "password: it gets in through a --trust rule only. CREATE USER / ALTER USER / "
            "DROP USER change the users while the server runs.",
            "a user besides 'crate' (repeatable); its password is the --password-env, "
            "--password-file or --password after it")
        auth.add_argument("--trust", metavar="USER@ADDRESS", action="append", default=[],
                          help="let USER in without a password from ADDRESS (an IP address, "
                               "a CIDR network or _local_; * or nothing = any), e.g. "
                               "crate@127.0.0.1 (repeatable, tried in order)")
        auth.add_argument("--client-ca", metavar="FILE",
                          help="PEM CA file (needs --tls-cert): every client must present a "
                               "certificate this CA signed, and its CN is the user")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> MockServer:
        """A server from the options; UsageError for --tls-cert without --tls-key (or the
        reverse), a file that is not there, a password option without a --user before
        it, a password that cannot be read, and a rule that cannot be read."""
        check_files(args, "--client-ca")
        if args.client_ca and not args.tls_cert:
            raise UsageError("--client-ca needs --tls-cert and --tls-key")
        rules = []
        for text in args.trust:
            try:
                rules.append(parse_trust_rule(text))
            except ValueError as exc:
                raise UsageError(f"--trust {text}: {exc}") from None
        accounts = read_accounts(args.user_specs, check_user=_not_superuser,
                                 need_password=False)
        for name, password in accounts.items():
            if password is None and not args.client_ca and not any(
                    r.user in (None, name) for r in rules):
                raise UsageError(
                    f"--user {name} needs a password (--password-env, --password-file or "
                    "--password), a --trust rule or --client-ca")
        refresh = getattr(args, "refresh_interval", None)
        if refresh is not None and not refresh > 0:
            raise UsageError("--refresh-interval needs a positive number of milliseconds")
        return cls(host=args.host, port=args.port, users=accounts, database=args.database,
                   tls_cert=args.tls_cert, tls_key=args.tls_key, trust=rules,
                   client_ca=args.client_ca, refresh_interval=refresh)

    # --- life cycle --------------------------------------------------------------------
    async def listen(self) -> tuple[str, int]:
        """Open the engine (on a worker thread), install the system tables, listen."""
        loop = asyncio.get_running_loop()
        self._connections = {}
        self._executor = concurrent.futures.ThreadPoolExecutor(
            self._workers, thread_name_prefix="cratedb-sql")
        engine = await loop.run_in_executor(
            self._executor, functools.partial(Engine, self.database, settings=ENGINE_SETTINGS))
        self._ctx = ServerContext(engine, Catalog(), VERSION,
                                  max_statement_length=self.max_statement_length,
                                  max_expression_depth=self.max_expression_depth,
                                  pk_lookups=self.pk_lookups)
        self._budget = _Budget(self.max_buffered_bytes)
        ssl_context = None
        if self.tls_cert:
            ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ssl_context.load_cert_chain(self.tls_cert, self.tls_key)
            if self.client_ca:
                # CrateDB's ClientAuth.REQUIRE: no handshake without a certificate of this CA
                ssl_context.load_verify_locations(cafile=self.client_ca)
                ssl_context.verify_mode = ssl.CERT_REQUIRED
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
        self._ctx.users = self.user_store
        await loop.run_in_executor(self._executor, self.user_store.attach, engine)
        if self.refresh_interval is not None:
            refresher = Refresher(self.refresh_interval)
            await loop.run_in_executor(self._executor, _install_refresher, refresher, engine,
                                       self._ctx.catalog)
            self._ctx.refresh = refresher
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
        job = conn.job
        if job is not None and not job.cancel() and not job.done():
            # running for a client that is gone: stop it (a queued one was just dropped)
            self.spawn(self._stop_job(conn, job))
        if conn.session is not None and self._executor is not None:
            self.spawn(self._close_later(conn))

    async def _stop_job(self, conn: _Connection, job: concurrent.futures.Future) -> None:
        # An interrupt lands only while the engine runs a statement, so repeat it until the
        # job returns (the session's cancel flag stops any statement it would start next).
        waiter = asyncio.wrap_future(job)
        deadline = asyncio.get_running_loop().time() + 10
        while not waiter.done() and asyncio.get_running_loop().time() < deadline:
            session = conn.session
            if session is not None:
                session.cancel()
            await asyncio.wait([waiter], timeout=0.05)

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
        except AuthError as exc:
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
            except _Breaker as exc:
                # the rest of the body is read and dropped (aiohttp's lingering read)
                return _json(500, encode_error(
                    5000, f"CircuitBreakingException[{exc}]"))
            except _Drop:
                if request.transport is not None:
                    request.transport.close()
                resp = web.Response(status=400)
                resp.force_close()
                return resp
        return self._main(request)

    def _authenticate(self, request: web.BaseRequest) -> str:
        """The request's user (Authenticator); raises AuthError."""
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        cert = transport.get_extra_info("peercert") if transport is not None else None
        return self.authenticator.authenticate(_latin1(request.headers.get("Authorization")),
                                               peer[0] if peer else None, cert)

    @staticmethod
    def _unauthorized(exc: AuthError) -> web.Response:
        # sendUnauthorized ends its text with a newline; send500 sends the bare message
        text = exc.text if exc.status != 401 or exc.text.endswith("\n") else exc.text + "\n"
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
        held = [0]  # bytes of this request in the server's body budget

        def take(n: int) -> None:
            self._budget.take(n)
            held[0] += n

        try:
            return await self._sql_request(request, user, take)
        finally:
            self._budget.give(held[0])

    async def _sql_request(self, request: web.BaseRequest, user: str,
                           take) -> web.StreamResponse:
        query = request.rel_url.query
        types = _flag(query, "types")
        trace = _flag(query, "error_trace")
        body = await self._read_body(request, take)
        encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            try:
                body = _decompress(body, encoding, self.max_content_length, take)
            except ValueError as exc:
                # Netty's decompressor fails the pipeline: plain-text 500, connection closed
                resp = _text(500, str(exc))
                resp.force_close()
                return resp
        try:
            sql_request = parse_sql_request(body, max_depth=self.max_json_depth)
        except RequestError as exc:
            return _json(http_status(exc.code), encode_error(
                exc.code, exc.message, _request_trace(exc) if trace else None))
        del body
        conn = self._connections.get(request.protocol)
        if conn is None:
            conn = self._connections[request.protocol] = _Connection()
            # the client may have gone while its body was read: close what we open now
            conn.closed = request.protocol.transport is None
        if not conn.lock.locked():
            await conn.lock.acquire()  # a free lock: at once, without a suspension
        else:
            try:
                async with asyncio.timeout(self.statement_timeout):
                    await conn.lock.acquire()
            except TimeoutError:
                return self._timeout_error(trace)
        try:
            if conn.session is None or conn.user != user:
                if conn.session is not None:
                    await self._run(self._close_session, conn)
                schema = _latin1(request.headers.get(DEFAULT_SCHEMA_HEADER)) or DEFAULT_SCHEMA
                conn.session = CrateSession(self._ctx, user, schema)
                conn.user = user
            session = conn.session
            if conn.closed or self._executor is None:
                raise _Drop()  # nobody to answer: run nothing
            # a primary-key lookup a table snapshot answers costs less than the hand-over
            # to a worker thread: it runs here (bounded work, see CrateSession.answer_now)
            answer = session.answer_now(sql_request, types, trace)
            if answer is not None:
                status, payload = answer
            else:
                try:
                    status, payload = await self._on_worker(conn, session, sql_request,
                                                            types, trace)
                except _TimedOut:
                    return self._timeout_error(trace)
        finally:
            conn.lock.release()
            if conn.closed:
                self._connections.pop(request.protocol, None)
                if conn.session is not None:
                    self.spawn(self._close_later(conn))
        return _json(status, payload)

    async def _on_worker(self, conn: _Connection, session: CrateSession, sql_request,
                         types: bool, trace: bool):
        """(status, body) of the request run by a worker thread; raises _TimedOut."""
        conn.job = self._executor.submit(session.handle, sql_request, types, trace,
                                         time.monotonic() + self.statement_timeout)
        try:
            # asyncio.timeout rather than wait_for: no task and no waiter future per
            # request, the same cancellation on expiry
            async with asyncio.timeout(self.statement_timeout):
                return await asyncio.wrap_future(conn.job)
        except TimeoutError:
            session.interrupt()
            raise _TimedOut() from None
        except asyncio.CancelledError:
            if conn.job.cancelled() and conn.closed:
                raise _Drop() from None  # dropped unstarted: its client went away
            raise
        finally:
            conn.job = None

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

    async def _read_body(self, request: web.BaseRequest, take) -> bytes:
        """The whole body within ``body_timeout`` seconds from now, counted against the
        server's body budget (``take``); _TooLarge past max_content_length, _Breaker past
        the budget, _Drop when the peer stalls or leaves."""
        length = request.content_length
        if length is not None and length > self.max_content_length:
            raise _TooLarge()
        content = request.content
        if content.is_eof() and content.exception() is None:  # it came with the headers
            body = content.read_nowait(-1)
            if len(body) > self.max_content_length:
                raise _TooLarge()
            take(len(body))
            return body
        chunks, total = [], 0
        try:
            # one deadline for the whole body, however the bytes trickle in; a read of
            # bytes already received returns without waiting
            async with asyncio.timeout(self.body_timeout):
                while chunk := await request.content.read(1 << 16):
                    total += len(chunk)
                    if total > self.max_content_length:
                        raise _TooLarge()
                    take(len(chunk))
                    chunks.append(chunk)
        except (_TooLarge, _Breaker):
            raise
        except Exception as exc:  # timeout, or aiohttp payload errors: peer closed mid-body
            raise _Drop() from exc
        return b"".join(chunks)


def _not_superuser(name: str) -> None:
    if name == SUPERUSER:
        raise UsageError(f"--user {SUPERUSER}: '{SUPERUSER}' is the superuser, always there and "
                         f"without a password; let it in with --trust {SUPERUSER}@ADDRESS")


def _install_refresher(refresher: Refresher, engine, catalog: Catalog) -> None:
    with engine.session() as session:
        refresher.install(session, catalog.relations(system=False))


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


def _decompress(body: bytes, encoding: str, limit: int, take) -> bytes:
    """Inflate a gzip or deflate request body, at most ``limit`` bytes of it, each piece
    counted with ``take(n)`` as it is produced.

    Raises _TooLarge once the output would pass ``limit`` (Netty inflates before its
    aggregator counts the bytes, so a bomb is a 413), ValueError with Netty's message for a
    body that is not valid.
    """
    prefix = "io.netty.handler.codec.compression.DecompressionException: "
    if encoding in ("gzip", "x-gzip"):
        if body[:2] != b"\x1f\x8b":
            raise ValueError(prefix + "Input is not in the GZIP format")
        wbits = zlib.MAX_WBITS | 16
    elif encoding == "deflate":
        # ZLIB_OR_NONE: a zlib header when the first two bytes make one, else raw deflate
        zlib_header = len(body) >= 2 and body[0] & 0x0F == 8 and (
            (body[0] << 8) | body[1]) % 31 == 0
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
    else:
        raise ValueError(prefix + f"unsupported Content-Encoding: {encoding}")
    decoder = zlib.decompressobj(wbits)
    out, total, data = [], 0, body
    try:
        while data and not decoder.eof:
            piece = decoder.decompress(data, _INFLATE_STEP)
            data = decoder.unconsumed_tail
            total += len(piece)
            if total > limit:
                raise _TooLarge()
            take(len(piece))
            out.append(piece)
    except zlib.error:
        raise ValueError(prefix + "decompression failure") from None
    if not decoder.eof:
        raise ValueError(prefix + "decompression failure")
    return b"".join(out)


def _latin1(value: str | None) -> str | None:
    """A header value as Netty reads it, one ISO-8859-1 character per byte (aiohttp decodes
    UTF-8, keeping other bytes as surrogate escapes)."""
    if value is None or value.isascii():
        return value
    return value.encode("utf-8", "surrogateescape").decode("latin-1")


def _byte_size(n: int) -> str:
    """A byte count as CrateDB prints one (``ByteSizeValue``): 1.9mb, 64kb, 512b."""
    value, suffix = float(n), "b"
    for unit, name in ((1 << 50, "pb"), (1 << 40, "tb"), (1 << 30, "gb"), (1 << 20, "mb"),
                       (1 << 10, "kb")):
        if n >= unit:
            value, suffix = n / unit, name
            break
    whole, _, fraction = repr(value).partition(".")
    return f"{whole}{suffix}" if fraction[:1] in ("", "0") else f"{whole}.{fraction[0]}{suffix}"
