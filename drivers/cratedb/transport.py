"""HTTP transport of the CrateDB driver: the only module that does I/O.

One urllib3 connection pool per server; requests go round robin across the servers, with
failover (protocols/cratedb.md 2.5):

- A server that fails at connection level (refused, DNS, TLS, connect timeout) or answers
  502/503/504 is marked inactive for :attr:`Transport.retry_interval` seconds and the next
  server is tried; inactive servers are tried last, oldest first.
- A POST that fails after it was sent (read timeout, connection lost) is not sent again,
  since the server may have run it: that raises OperationalError at once. GET requests
  (``GET /``) fail over on any network error.
- When every server failed: OperationalError naming each server tried and its error.

Connect-level failures are retried :data:`CONNECT_RETRIES` times per server by urllib3,
sleeping ``backoff_factor * 2 ** (n - 1)`` seconds between tries.
"""

from __future__ import annotations

import base64
import os
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import unquote

import urllib3
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import Retry, Timeout, parse_url

from dbapi_conformance.drivers._dbapi.exceptions import (
    InterfaceError,
    OperationalError,
)
from dbapi_conformance.drivers.wire.cratedb import DEFAULT_PORT, decode_error

__all__ = [
    "CONNECT_RETRIES",
    "DEFAULT_SERVER",
    "FAILOVER_STATUSES",
    "Reply",
    "Server",
    "Transport",
    "check_file",
    "parse_servers",
    "socket_options",
]

#: Extra connection attempts per server for connect-level failures (urllib3 ``Retry``).
CONNECT_RETRIES = 2
#: HTTP statuses that mark a server inactive and move on to the next one.
FAILOVER_STATUSES = frozenset((502, 503, 504))
DEFAULT_SERVER = "http://localhost:4200"


@dataclass(frozen=True)
class Server:
    """One CrateDB HTTP endpoint. ``url`` is ``scheme://host:port[/prefix]`` without
    credentials (used in messages); ``prefix`` goes in front of every request path."""

    scheme: str
    host: str
    port: int
    prefix: str
    username: str | None = field(default=None, compare=False)
    password: str | None = field(default=None, compare=False, repr=False)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{self.scheme}://{host}:{self.port}{self.prefix}"


def _parse_server(text: str) -> Server:
    if not isinstance(text, str) or not text.strip():
        raise InterfaceError(f"a server must be a non-empty URL string, not {text!r}")
    text = text.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        url = parse_url(text)
    except LocationParseError as exc:
        raise InterfaceError(f"invalid server URL {text!r}: {exc}") from None
    if url.scheme not in ("http", "https"):
        raise InterfaceError(f"server URL {text!r}: the scheme must be http or https")
    if not url.host:
        raise InterfaceError(f"server URL {text!r} has no host")
    username = password = None
    if url.auth:
        user, _, pw = url.auth.partition(":")
        username, password = unquote(user), unquote(pw)
    prefix = (url.path or "").rstrip("/")
    return Server(url.scheme, url.host, url.port or DEFAULT_PORT, prefix, username, password)


def parse_servers(servers: str | Iterable[str] | None) -> list[Server]:
    """Servers from one URL, a space-separated string of URLs or a list of URLs.

    The scheme defaults to ``http://`` and the port to 4200; credentials may be given as
    ``http://user:password@host``; a path is a prefix for every request. Default:
    ``http://localhost:4200``. Raises InterfaceError for a malformed URL.
    """
    if servers is None:
        servers = DEFAULT_SERVER
    if isinstance(servers, str):
        items = servers.split()
    else:
        try:
            items = list(servers)
        except TypeError:
            raise InterfaceError(
                f"servers must be a URL, a space-separated string or a list, not {servers!r}"
            ) from None
    if not items:
        raise InterfaceError("no server given")
    parsed = [_parse_server(item) for item in items]
    unique = list(dict.fromkeys(parsed))  # the same server twice would only skew the rotation
    return unique


@dataclass
class Reply:
    """A complete HTTP answer: ``status``, ``content_type`` (or None), ``data`` (the
    decompressed body) and the ``server`` that gave it."""

    status: int
    content_type: str | None
    data: bytes
    server: Server


def socket_options(
    keepalive: bool, idle: int | None, interval: int | None, count: int | None
) -> list[tuple[int, int, int]]:
    """urllib3 ``socket_options``: TCP_NODELAY, plus SO_KEEPALIVE and the TCP keepalive
    timings (seconds, count) where the platform has them."""
    options = list(HTTPConnection.default_socket_options)  # TCP_NODELAY
    if keepalive:
        options.append((socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1))
        for name, value in (
            ("TCP_KEEPIDLE", idle),
            ("TCP_KEEPINTVL", interval),
            ("TCP_KEEPCNT", count),
        ):
            if value is not None and hasattr(socket, name):
                options.append((socket.IPPROTO_TCP, getattr(socket, name), int(value)))
    return options


# urllib3 puts the connection object's repr in front of its messages.
_OBJECT_PREFIX = re.compile(r"^(?:<[^>]*>|\w+Connection\([^)]*\)): ")


def _describe(exc: BaseException) -> str:
    """A short text for a urllib3/socket error, without object reprs."""
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    text = _OBJECT_PREFIX.sub("", str(exc)) or type(exc).__name__
    if isinstance(exc, SSLError):
        return f"TLS error: {text}"
    return text


def _connection_level(exc: BaseException) -> bool:
    """True when the request surely did not reach the server (safe to send elsewhere)."""
    reason = exc.reason if isinstance(exc, MaxRetryError) else exc
    if isinstance(reason, (ReadTimeoutError, ProtocolError)):
        return False
    return isinstance(reason, (NewConnectionError, ConnectTimeoutError, SSLError, ProxyError))


class Transport:
    """Sends requests to a set of CrateDB servers (see the module docstring).

    ``headers`` are sent on every request (plus per-server Basic auth, unless
    ``credentials`` gives one for all). ``timeout`` (seconds) applies to connecting and to
    each socket read. Thread-safe: the rotation state is locked, urllib3 pools are
    thread-safe.
    """

    retry_interval = 30.0

    def __init__(
        self,
        servers: list[Server],
        *,
        headers: dict[str, str],
        credentials: tuple[str, str] | None,
        timeout: float,
        backoff_factor: float = 0,
        verify_ssl_cert: bool = True,
        ca_cert: str | None = None,
        cert_file: str | None = None,
        key_file: str | None = None,
        socket_options: list | None = None,
        pool_size: int = 10,
    ):
        self.servers = servers
        self.timeout = timeout
        self._retries = Retry(
            total=None,
            connect=CONNECT_RETRIES,
            read=0,
            redirect=0,
            status=0,
            other=0,
            backoff_factor=backoff_factor,
            raise_on_redirect=False,
            raise_on_status=False,
        )
        self._lock = threading.Lock()
        self._active = list(servers)
        self._inactive: dict[Server, float] = {}
        self._turn = 0
        self._headers: dict[Server, dict[str, str]] = {}
        self._pools: dict[Server, urllib3.HTTPConnectionPool] = {}
        first_auth = next((s for s in servers if s.username is not None), None)
        for server in servers:
            auth = credentials
            if auth is None:
                source = server if server.username is not None else first_auth
                if source is not None:
                    auth = (source.username or "", source.password or "")
            server_headers = dict(headers)
            if auth is not None:
                token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
                server_headers["Authorization"] = f"Basic {token}"
            self._headers[server] = server_headers
            self._pools[server] = self._make_pool(
                server,
                pool_size=pool_size,
                socket_options=socket_options,
                verify=verify_ssl_cert,
                ca_cert=ca_cert,
                cert_file=cert_file,
                key_file=key_file,
            )

    def _make_pool(self, server: Server, *, pool_size, socket_options, verify, ca_cert,
                   cert_file, key_file) -> urllib3.HTTPConnectionPool:
        common: dict[str, Any] = {
            "timeout": Timeout(connect=self.timeout, read=self.timeout),
            "maxsize": pool_size,
            "block": False,
            "retries": self._retries,
        }
        if socket_options is not None:
            common["socket_options"] = socket_options
        if server.scheme == "http":
            return urllib3.HTTPConnectionPool(server.host, server.port, **common)
        tls: dict[str, Any] = {"cert_file": cert_file, "key_file": key_file}
        if verify:
            tls.update(cert_reqs="CERT_REQUIRED", ca_certs=ca_cert)
        else:
            tls.update(cert_reqs="CERT_NONE", assert_hostname=False)
        return urllib3.HTTPSConnectionPool(server.host, server.port, **common, **tls)

    # --- rotation and failover -----------------------------------------------------

    def _order(self) -> list[Server]:
        """Servers to try for one request: active ones in round-robin order, then the
        inactive ones, oldest failure first."""
        with self._lock:
            if self._inactive:
                now = time.monotonic()
                revived = [s for s, t in self._inactive.items() if now - t >= self.retry_interval]
                for server in revived:
                    del self._inactive[server]
                if revived:
                    self._active = [s for s in self.servers if s not in self._inactive]
            active = self._active
            order = list(active)
            if len(active) > 1:
                start = self._turn % len(active)
                self._turn += 1
                order = active[start:] + active[:start]
            if self._inactive:
                order += sorted(self._inactive, key=self._inactive.__getitem__)
            return order

    def _mark_down(self, server: Server) -> None:
        with self._lock:
            self._inactive[server] = time.monotonic()
            self._active = [s for s in self.servers if s not in self._inactive]

    def _mark_up(self, server: Server) -> None:
        if server in self._inactive:
            with self._lock:
                self._inactive.pop(server, None)
                self._active = [s for s in self.servers if s not in self._inactive]

    def inactive_servers(self) -> list[Server]:
        """Servers currently marked inactive."""
        with self._lock:
            return list(self._inactive)

    # --- requests --------------------------------------------------------------------

    def request(self, method: str, path: str, body: bytes | None = None) -> Reply:
        """Send ``method path`` (``path`` after the server's prefix) and return the reply.

        Replies of any status are returned, except 502/503/504, which fail over.
        Raises OperationalError when no server answered or the answer was lost, and
        InterfaceError for a request urllib3 cannot send.
        """
        idempotent = method in ("GET", "HEAD")
        failures: list[str] = []
        last_reply: Reply | None = None
        for server in self._order():
            headers = self._headers[server]
            try:
                response = self._pools[server].urlopen(
                    method,
                    server.prefix + path,
                    body=body,
                    headers=headers,
                    retries=self._retries,
                    redirect=False,
                    assert_same_host=False,
                    preload_content=True,
                )
            except (HTTPError, OSError) as exc:
                text = _describe(exc)
                if idempotent or _connection_level(exc):
                    failures.append(f"{server.url}: {text}")
                    self._mark_down(server)
                    continue
                raise self._lost(server, exc, text) from None
            except Exception as exc:  # a request urllib3 refused to build
                raise InterfaceError(f"{server.url}: cannot send the request: {exc!r}") from None
            reply = Reply(
                response.status, response.headers.get("content-type"), response.data, server
            )
            if reply.status in FAILOVER_STATUSES:
                err = decode_error(reply.status, reply.content_type, reply.data)
                failures.append(f"{server.url}: HTTP {reply.status}: {err.message}")
                last_reply = reply
                self._mark_down(server)
                continue
            self._mark_up(server)
            return reply
        raise self._exhausted(failures, last_reply)

    def _lost(self, server: Server, exc: BaseException, text: str) -> OperationalError:
        reason = exc.reason if isinstance(exc, MaxRetryError) else exc
        if isinstance(reason, ReadTimeoutError):
            return OperationalError(
                f"{server.url}: no answer within {self.timeout:g} s (timeout); "
                "the statement may have been executed"
            )
        return OperationalError(
            f"{server.url}: connection lost before the answer arrived ({text}); "
            "the statement may have been executed"
        )

    def _exhausted(self, failures: list[str], last_reply: Reply | None) -> OperationalError:
        tried = "; ".join(failures) or "no server configured"
        code = None
        status = None
        if last_reply is not None and failures[-1].startswith(last_reply.server.url):
            err = decode_error(last_reply.status, last_reply.content_type, last_reply.data)
            code = err.code if isinstance(err.code, int) else None
            status = last_reply.status
        return OperationalError(
            f"no CrateDB server available (tried {len(failures)}): {tried}",
            code=code,
            http_status=status,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        for pool in self._pools.values():
            pool.close()


def check_file(path: str | None, what: str) -> None:
    """InterfaceError unless ``path`` is None or an existing file."""
    if path is not None and not (isinstance(path, (str, os.PathLike)) and os.path.isfile(path)):
        raise InterfaceError(f"{what} {path!r} is not a readable file")

