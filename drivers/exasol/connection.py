"""The Exasol Connection and ``connect()``.

``connect()`` logs in at once (protocols/exasol.md 2): ``login`` with the protocol version,
the password encrypted with the server's RSA key (PKCS#1 v1.5), the session attributes
(``autocommit`` off, as PEP 249 wants, the schema, the query timeout), then compression if
asked for and ``getAttributes``. A wrong address, a wrong password or a server that does
not speak Exasol's WebSocket API fails in ``connect()`` with OperationalError.
"""

from __future__ import annotations

import getpass
import platform
import re
import threading
from typing import Any

from dbapi_conformance.drivers._dbapi.connection import (
    ConnectionBase,
    either,
    positive_seconds,
)
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    Error,
    InterfaceError,
    OperationalError,
)
from dbapi_conformance.drivers.exasol.cursor import Cursor
from dbapi_conformance.drivers.exasol.errors import from_server_error
from dbapi_conformance.drivers.exasol.transport import (
    Transport,
    normalize_fingerprint,
    parse_address,
    tls_context,
)
from dbapi_conformance.drivers.wire import exasol as wire
from dbapi_conformance.drivers.wire.base import Side

__all__ = ["Connection", "connect", "DEFAULT_TIMEOUT", "DEFAULT_FETCH_BYTES"]

#: Seconds allowed for connecting, and of silence while waiting for a reply.
DEFAULT_TIMEOUT = 60.0
#: ``numBytes`` asked for per ``fetch`` (protocols/exasol.md 5.3; pyexasol's default).
DEFAULT_FETCH_BYTES = 5 * 1024 * 1024
#: The protocol version asked for by default (pyexasol's; the server may answer lower).
DEFAULT_PROTOCOL_VERSION = 3
#: Seconds the ``disconnect`` reply is waited for on close.
_CLOSE_TIMEOUT = 5.0
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


class Connection(ConnectionBase):
    """A PEP 249 connection to an Exasol server (made by :func:`connect`).

    Attributes: ``autocommit`` (read/write, off by default: EXT-AUTOC-1), ``session_id``
    (int), ``protocol_version`` (int, in force), ``server_version`` (tuple of ints, e.g.
    ``(8, 34, 0)``), ``server_version_string``, ``login_info`` (the login reply's data),
    ``attributes`` (the session attributes as last reported), ``closed``.

    Requests are serialised by a lock: threads may share a connection (threadsafety 2),
    each with its own cursors; they then share its transaction.
    """

    def __init__(self, transport: Transport, *, fetch_bytes: int = DEFAULT_FETCH_BYTES):
        super().__init__()
        self._transport = transport
        self._lock = threading.RLock()
        self._codec = wire.Connection(Side.CLIENT)
        self.fetch_bytes = fetch_bytes
        self.attributes: dict[str, Any] = {}
        self.login_info: dict[str, Any] = {}
        self.session_id: int | None = None
        self.protocol_version: int | None = None
        self.server_version_string = ""
        self.server_version: tuple[int, ...] = ()

    # --- login ---------------------------------------------------------------------------

    def _login(self, user: str, password: str, *, protocol_version: int, compression: bool,
               attributes: dict[str, Any], client_name: str) -> None:
        from dbapi_conformance.drivers.exasol import __version__

        key = self._exchange(wire.login_request(protocol_version), "login")
        self._codec.login_sent(protocol_version)
        pem = key.get("publicKeyPem")
        if not isinstance(pem, str):
            raise OperationalError(f"{self._transport.address.url}: the login reply carries "
                                   "no public key: not an Exasol server?")
        try:
            encrypted = wire.encrypt_password(pem, password)
        except wire.EncodeError as exc:
            raise InterfaceError(str(exc)) from None
        auth = wire.auth_request(
            user, encrypted, use_compression=compression, attributes=attributes,
            client_name=client_name, driver_name=f"dbapi-conformance-exasol {__version__}",
            client_version=__version__, client_os=platform.platform(),
            client_os_username=_os_user(), client_runtime=f"Python {platform.python_version()}",
        )
        info = self._exchange(auth, "login")
        self.login_info = info
        self.session_id = info.get("sessionId")
        version = info.get("protocolVersion")
        self.protocol_version = version if isinstance(version, int) else protocol_version
        self.server_version_string = str(info.get("releaseVersion", ""))
        match = _VERSION.match(self.server_version_string)
        self.server_version = tuple(map(int, match.groups())) if match else ()
        self._codec.credentials_accepted(compression, self.protocol_version)
        self._refresh_attributes()
        if self.attributes.get("autocommit") != attributes["autocommit"]:
            self._set_attributes({"autocommit": attributes["autocommit"]})

    def _exchange(self, payload: dict[str, Any], step: str) -> dict[str, Any]:
        """A login step: OperationalError for any error reply (the session is not ready)."""
        try:
            return self._request(payload)
        except Error as exc:
            if isinstance(exc, OperationalError):
                raise
            raise OperationalError(f"{self._transport.address.url}: {step} failed: "
                                   f"{exc.message}", code=exc.code, sqlstate=exc.sqlstate
                                   ) from None

    # --- requests ------------------------------------------------------------------------

    def _request(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Send one request and return the ``responseData`` of its ``ok`` reply ({} when it
        has none). An error reply raises its PEP 249 class (:mod:`.errors`); an unreadable
        reply raises InterfaceError; a lost or silent server OperationalError."""
        with self._lock:
            self._check_open()
            try:
                message = self._codec.send(payload)
            except wire.EncodeError as exc:
                raise InterfaceError(f"cannot send the request: {exc}") from None
            self._transport.send(message, binary=isinstance(message, bytes))
            received = self._transport.recv()
            try:
                reply = wire.parse_reply(self._codec.receive(received))
            except wire.ServerError as exc:
                self.attributes.update(exc.attributes)
                raise from_server_error(exc) from None
            except wire.ResponseError as exc:
                raise InterfaceError(f"{self._transport.address.url}: unreadable reply: "
                                     f"{exc}") from None
        self.attributes.update(reply.attributes)
        return dict(reply.response_data or {})

    def _refresh_attributes(self) -> None:
        with self._lock:
            self._request({"command": "getAttributes"})

    def _set_attributes(self, attributes: dict[str, Any]) -> None:
        """``setAttributes`` then ``getAttributes`` (the reply to the former lists only what
        changed, and not reliably: protocols/exasol.md 6)."""
        with self._lock:
            self._request({"command": "setAttributes", "attributes": attributes})
            self._refresh_attributes()

    # --- PEP 249 -----------------------------------------------------------------------

    @handles_errors
    def cursor(self) -> Cursor:
        """A new cursor (CON-CURSOR-1). Raises ProgrammingError once closed."""
        self._start()
        return Cursor(self)

    @handles_errors
    def commit(self) -> None:
        """Commit the pending transaction (CON-COMMIT-1); in autocommit mode there is none
        and the ``COMMIT`` does nothing."""
        self._start()
        self._request({"command": "execute", "sqlText": "COMMIT"})

    @handles_errors
    def rollback(self) -> None:
        """Roll back the pending transaction (CON-ROLLBACK-1)."""
        self._start()
        self._request({"command": "execute", "sqlText": "ROLLBACK"})

    @property
    def autocommit(self) -> bool:
        """True when every statement commits by itself (EXT-AUTOC-1); off by default."""
        self._check_open()
        return bool(self.attributes.get("autocommit"))

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._start()
        if not isinstance(value, bool):
            raise InterfaceError(f"autocommit must be a bool, not {value!r}")
        if value != self.autocommit:
            self._set_attributes({"autocommit": value})

    @property
    def current_schema(self) -> str:
        """The open schema ("" when none is open), as the server last reported it."""
        value = self.attributes.get("currentSchema")
        return value if isinstance(value, str) else ""

    def _close(self) -> None:
        # Exasol rolls back what is not committed when the session ends (CON-CLOSE-4).
        transport = self._transport
        try:
            transport.timeout = min(transport.timeout, _CLOSE_TIMEOUT)
            message = self._codec.send(wire.command("disconnect"))
            with self._lock:
                transport.send(message, binary=isinstance(message, bytes))
                transport.recv()
            self._codec.disconnected()
        except (Error, wire.EncodeError):
            pass  # the server went away first: the session is over anyway
        finally:
            transport.close()

    def __del__(self) -> None:
        transport = getattr(self, "_transport", None)
        if transport is not None and not transport.closed:
            transport.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return ""






def connect(
    dsn: str | None = None,
    user: str | None = None,
    password: str | None = None,
    *,
    schema: str | None = None,
    autocommit: bool = False,
    compression: bool = False,
    timeout: float | None = None,
    query_timeout: int = 0,
    verify: bool = True,
    ca_file: str | None = None,
    fingerprint: str | None = None,
    protocol_version: int = DEFAULT_PROTOCOL_VERSION,
    fetch_bytes: int = DEFAULT_FETCH_BYTES,
    client_name: str = "dbapi-conformance",
    host: str | None = None,
    port: int | None = None,
    database: str | None = None,
    username: str | None = None,
) -> Connection:
    """Log in to an Exasol server over its WebSocket API (MOD-CONNECT-1).

    - ``dsn``: ``ws://host[:port]`` or ``wss://host[:port]`` (port 8563 by default), or
      ``host[:port]`` for ``ws://``; ``host`` and ``port`` may be given instead.
    - ``user``/``password``: the database user (default ``sys``) and its password
      (default ""). ``username`` is an alias of ``user``.
    - ``schema``: the schema to open (``currentSchema``); ``database`` is an alias (Exasol
      has one database per cluster; its schemas play that part).
    - ``autocommit``: start in autocommit mode (default False: statements form a
      transaction until commit() or rollback(), as PEP 249 asks).
    - ``compression``: zlib-compress every message after the login (protocols/exasol.md 1.4).
    - ``timeout``: seconds for connecting and for the silence allowed while waiting for a
      reply (the server's heartbeats count as signs of life); default 60.
    - ``query_timeout``: seconds after which the server stops a statement (``queryTimeout``,
      0 = none); such a statement raises OperationalError (sqlCode R0001).
    - TLS (``wss://``): ``verify`` (default True) checks the certificate chain and host
      name against the system's CAs or ``ca_file``; ``verify=False`` checks nothing;
      ``fingerprint`` (SHA-256 of the DER certificate, hex) pins the certificate instead.
    - ``protocol_version``: the WebSocket API version to ask for (1..5; default 3).
    - ``fetch_bytes``: ``numBytes`` per fetch of a large result set (default 5 MiB).
    - ``client_name``: reported to the server (``EXA_SESSIONS.CLIENT``).

    Raises InterfaceError for invalid arguments, OperationalError when the server cannot be
    reached, the TLS check fails, or the login is refused (sqlCode 08004).
    """
    user = either(user, username, "user", "username")
    schema = either(schema, database, "schema", "database")
    if host is not None:
        if dsn is not None:
            raise InterfaceError("give either dsn or host, not both")
        if not isinstance(host, str) or not host:
            raise InterfaceError(f"host must be a non-empty str, not {host!r}")
        dsn = host if port is None else f"{host}:{int(port)}"
    address = parse_address(dsn if dsn is not None else "ws://localhost")
    timeout_s = positive_seconds(timeout, "timeout", DEFAULT_TIMEOUT)
    if isinstance(query_timeout, bool) or not isinstance(query_timeout, int) or query_timeout < 0:
        raise InterfaceError(f"query_timeout must be an int >= 0 (seconds), not {query_timeout!r}")
    if isinstance(fetch_bytes, bool) or not isinstance(fetch_bytes, int) or fetch_bytes < 1:
        raise InterfaceError(f"fetch_bytes must be an int >= 1, not {fetch_bytes!r}")
    if protocol_version not in (1, 2, 3, 4, 5):
        raise InterfaceError(f"protocol_version must be 1..5, not {protocol_version!r}")
    if not isinstance(autocommit, bool):
        raise InterfaceError(f"autocommit must be a bool, not {autocommit!r}")
    pinned = normalize_fingerprint(fingerprint)
    if (pinned is not None or ca_file is not None or not verify) and not address.tls:
        raise InterfaceError("TLS options (verify, ca_file, fingerprint) need a wss:// address")
    if ca_file is not None and not isinstance(ca_file, str):
        raise InterfaceError(f"ca_file must be a path str, not {ca_file!r}")
    user = "sys" if user is None else user
    password = "" if password is None else password
    for value, what in ((user, "user"), (password, "password"), (client_name, "client_name")):
        if not isinstance(value, str):
            raise InterfaceError(f"{what} must be a str, not {type(value).__name__}")
    if schema is not None and not isinstance(schema, str):
        raise InterfaceError(f"schema must be a str, not {type(schema).__name__}")
    context = None
    if address.tls:
        try:
            context = tls_context(verify=bool(verify), ca_file=ca_file, fingerprint=pinned)
        except (OSError, ValueError) as exc:
            raise InterfaceError(f"cannot use ca_file {ca_file!r}: {exc}") from None
    transport = Transport(address, timeout=timeout_s, ssl_context=context, fingerprint=pinned)
    connection = Connection(transport, fetch_bytes=fetch_bytes)
    attributes: dict[str, Any] = {"autocommit": autocommit, "queryTimeout": query_timeout}
    if schema:
        attributes["currentSchema"] = schema
    try:
        connection._login(user, password, protocol_version=protocol_version,
                          compression=bool(compression), attributes=attributes,
                          client_name=client_name)
    except BaseException:
        connection.close()
        raise
    return connection
