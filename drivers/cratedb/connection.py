"""The CrateDB Connection and ``connect()``.

``connect()`` talks to the server at once: it sends ``GET /`` (protocols/cratedb.md 1.3),
so a wrong address or a wrong password fails in ``connect()`` with OperationalError, and
the server's version is known (``server_version``).
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from dbapi_conformance.drivers._dbapi.connection import (
    ConnectionBase,
    either,
    positive_seconds,
)
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    InterfaceError,
    OperationalError,
)
from dbapi_conformance.drivers.cratedb.cursor import Cursor
from dbapi_conformance.drivers.cratedb.errors import from_server_error
from dbapi_conformance.drivers.cratedb.transport import (
    Reply,
    Transport,
    check_file,
    parse_servers,
    socket_options,
)
from dbapi_conformance.drivers.wire.cratedb import (
    DEFAULT_SCHEMA_HEADER,
    SQL_PATH,
    ResponseError,
    SQLResponse,
    decode_error,
    decode_response,
)

__all__ = ["Connection", "connect", "DEFAULT_TIMEOUT", "DEFAULT_POOL_SIZE"]

#: Seconds allowed for connecting and for each socket read when ``timeout`` is None.
DEFAULT_TIMEOUT = 60.0
#: Pooled HTTP connections kept per server when ``pool_size`` is None.
DEFAULT_POOL_SIZE = 10
_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


class Connection(ConnectionBase):
    """A PEP 249 connection to one or more CrateDB servers (made by :func:`connect`).

    CrateDB has no transactions (cratedb.md 5.1): :meth:`commit` does nothing
    (CON-COMMIT-4) and there is no ``rollback`` (CON-ROLLBACK-3). Attributes:
    ``server_version`` (tuple of ints, e.g. ``(6, 4, 1)``), ``server_version_string``
    (``"6.4.1"``), ``servers`` (the server URLs), ``closed``.

    Each statement is one HTTP request on a pooled keep-alive connection. CrateDB keeps
    session settings (``SET ...``) per HTTP connection, so they hold only while the same
    pooled connection serves the requests: use one thread and one server when you rely
    on them (cratedb.md 2.4).
    """

    def __init__(self, transport: Transport, *, error_trace: bool = False):
        super().__init__()
        self._transport = transport
        self._sql_path = SQL_PATH + "?types=true" + ("&error_trace=true" if error_trace else "")
        self.servers = [s.url for s in transport.servers]
        self.server_version_string, self.server_version = self._server_info()

    # --- PEP 249 ---------------------------------------------------------------------

    @handles_errors
    def cursor(self) -> Cursor:
        """A new cursor (CON-CURSOR-1). Raises ProgrammingError once closed."""
        self._start()
        return Cursor(self)

    @handles_errors
    def commit(self) -> None:
        """Does nothing: every CrateDB statement takes effect at once (CON-COMMIT-4).
        Raises ProgrammingError once closed."""
        self._start()

    def _close(self) -> None:
        self._transport.close()

    # --- requests --------------------------------------------------------------------

    def _server_info(self) -> tuple[str, tuple[int, ...]]:
        reply = self._transport.request("GET", "/")
        if reply.status == 401:
            err = decode_error(reply.status, reply.content_type, reply.data)
            raise OperationalError(
                f"{reply.server.url}: authentication failed: {err.message}",
                http_status=401,
            )
        version = _version_number(reply)
        match = _VERSION.match(version)
        if match is None:
            raise OperationalError(f"{reply.server.url}: unreadable CrateDB version {version!r}")
        return version, tuple(int(part) for part in match.groups() if part is not None)

    def _sql(self, body: bytes) -> SQLResponse:
        """POST ``body`` to ``/_sql`` and decode the answer; server errors raise their
        PEP 249 class (:mod:`.errors`), unreadable answers InterfaceError."""
        self._check_open()
        reply = self._transport.request("POST", self._sql_path, body)
        if 200 <= reply.status < 300:
            try:
                return decode_response(reply.data)
            except ResponseError as exc:
                raise InterfaceError(f"{reply.server.url}: {exc}") from None
        raise from_server_error(decode_error(reply.status, reply.content_type, reply.data))


def _version_number(reply: Reply) -> str:
    """``version.number`` of a ``GET /`` reply; OperationalError when the server does not
    answer like CrateDB."""
    problem = f"HTTP {reply.status}"
    if reply.status == 200:
        try:
            payload = orjson.loads(reply.data)
            number = payload["version"]["number"]
            if isinstance(number, str):
                return number
            problem = "no version number"
        except (orjson.JSONDecodeError, KeyError, TypeError):
            problem = "not a CrateDB node description"
    else:
        problem += ": " + decode_error(reply.status, reply.content_type, reply.data).message
    raise OperationalError(
        f"{reply.server.url} does not answer GET / like a CrateDB server ({problem})",
        http_status=reply.status,
    )






def _header_text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise InterfaceError(f"{name} must be a str, not {type(value).__name__}")
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise InterfaceError(f"{name} {value!r} cannot be sent in an HTTP header") from None
    return value


def connect(
    servers: Any = None,
    *,
    username: str | None = None,
    password: str | None = None,
    schema: str | None = None,
    timeout: float | None = None,
    backoff_factor: float = 0,
    verify_ssl_cert: bool = True,
    ca_cert: str | None = None,
    cert_file: str | None = None,
    key_file: str | None = None,
    error_trace: bool = False,
    socket_keepalive: bool = True,
    socket_tcp_keepidle: int | None = None,
    socket_tcp_keepintvl: int | None = None,
    socket_tcp_keepcnt: int | None = None,
    pool_size: int | None = None,
    dsn: Any = None,
    host: Any = None,
    user: str | None = None,
    database: str | None = None,
) -> Connection:
    """Open a connection to CrateDB's HTTP endpoint (MOD-CONNECT-1).

    - ``servers``: one URL, a space-separated string of URLs, or a list; default
      ``http://localhost:4200``. Scheme defaults to ``http://``, port to 4200;
      ``http://user:password@host:4200`` gives credentials (used for every server unless
      ``username`` is given); a path (``http://host:4200/crate``) prefixes every request.
      Requests rotate round robin over the servers with failover (:mod:`.transport`).
    - ``username``/``password``: HTTP Basic authentication (password defaults to "").
    - ``schema``: the default schema (``Default-Schema`` header; CrateDB's default "doc").
    - ``timeout``: seconds for connecting and for each socket read (default 60).
    - ``backoff_factor``: urllib3 backoff between connect retries (seconds, default 0).
    - TLS (``https://`` servers): ``verify_ssl_cert`` (default True), ``ca_cert`` (CA
      bundle file; default: the system's), ``cert_file``/``key_file`` (client certificate).
    - ``error_trace``: ask for the server's stack trace; errors then carry it in
      ``error_trace`` (and ``str()``).
    - ``socket_keepalive`` and ``socket_tcp_keepidle``/``keepintvl``/``keepcnt``: TCP
      keepalive settings (seconds, count).
    - ``pool_size``: pooled HTTP connections per server (default 10).
    - PEP 249 suggested names (MOD-CONNECT-2) are accepted as aliases: ``dsn`` and ``host``
      for ``servers``, ``user`` for ``username``, ``database`` for ``schema`` (CrateDB has
      one database per cluster; its schemas play that part, as in CrateDB's JDBC URLs).

    Sends ``GET /`` before returning. Raises InterfaceError for invalid arguments,
    OperationalError when no server answers, the answer is not CrateDB's, or
    authentication fails (HTTP 401).
    """
    servers = either(either(servers, dsn, "servers", "dsn"), host, "servers", "host")
    username = either(username, user, "username", "user")
    schema = either(schema, database, "schema", "database")
    parsed = parse_servers(servers)
    timeout_s = positive_seconds(timeout, "timeout", DEFAULT_TIMEOUT)
    backoff = positive_seconds(backoff_factor or None, "backoff_factor", 0.0)
    if pool_size is not None and (
        isinstance(pool_size, bool) or not isinstance(pool_size, int) or pool_size < 1
    ):
        raise InterfaceError(f"pool_size must be an int >= 1, not {pool_size!r}")
    for value, what in (
        (socket_tcp_keepidle, "socket_tcp_keepidle"),
        (socket_tcp_keepintvl, "socket_tcp_keepintvl"),
        (socket_tcp_keepcnt, "socket_tcp_keepcnt"),
    ):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise InterfaceError(f"{what} must be an int >= 1, not {value!r}")
    for path, what in ((ca_cert, "ca_cert"), (cert_file, "cert_file"), (key_file, "key_file")):
        check_file(path, what)
    credentials = None
    if username is not None:
        credentials = (
            _header_text(username, "username"),
            "" if password is None else _header_text(password, "password"),
        )
    elif password is not None:
        raise InterfaceError("password given without username")
    from dbapi_conformance.drivers.cratedb import __version__

    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Accept-Encoding": "gzip, deflate",
        "User-Agent": f"dbapi-conformance-cratedb/{__version__}",
    }
    if schema is not None:
        headers[DEFAULT_SCHEMA_HEADER] = _header_text(schema, "schema")
    transport = Transport(
        parsed,
        headers=headers,
        credentials=credentials,
        timeout=timeout_s,  # type: ignore[arg-type]
        backoff_factor=backoff or 0,
        verify_ssl_cert=bool(verify_ssl_cert),
        ca_cert=ca_cert,
        cert_file=cert_file,
        key_file=key_file,
        socket_options=socket_options(
            bool(socket_keepalive), socket_tcp_keepidle, socket_tcp_keepintvl, socket_tcp_keepcnt
        ),
        pool_size=pool_size or DEFAULT_POOL_SIZE,
    )
    try:
        return Connection(transport, error_trace=bool(error_trace))
    except BaseException:
        transport.close()
        raise
