"""The VoltDB Connection and ``connect()``.

``connect()`` opens the socket and logs in at once (protocols/voltdb.md 2), so a wrong
address or a refused login fails in ``connect()`` with OperationalError. Every procedure
invocation is one transaction (voltdb.md 5.6): the connection is always in autocommit,
``commit()`` does nothing and ``rollback()`` raises NotSupportedError.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence
from typing import Any

from dbapi_conformance.drivers._dbapi.connection import (
    ConnectionBase,
    either,
    positive_seconds,
)
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    DataError,
    InterfaceError,
    NotSupportedError,
)
from dbapi_conformance.drivers.voltdb.cursor import Cursor
from dbapi_conformance.drivers.voltdb.errors import from_response
from dbapi_conformance.drivers.voltdb.transport import Transport, parse_hosts
from dbapi_conformance.drivers.wire.voltdb import (
    DEFAULT_PORT,
    AuthScheme,
    ClientResponse,
    EncodeError,
    Login,
    Status,
    password_digest,
)

__all__ = ["Connection", "connect", "DEFAULT_TIMEOUT"]

#: Seconds allowed for connecting, the login and each call when ``timeout`` is None.
DEFAULT_TIMEOUT = 60.0
_NO_TRANSACTIONS = ("VoltDB runs every call as its own transaction, committed when it "
                    "returns (protocols/voltdb.md 5.6): there is nothing to roll back")


class Connection(ConnectionBase):
    """A PEP 249 connection to one VoltDB node (made by :func:`connect`).

    Attributes: ``host`` (the ``host:port`` reached), ``host_id``, ``connection_id`` and
    ``build_string`` (from the login response, voltdb.md 2.2), ``autocommit`` (always
    True), ``closed``, ``timeout`` (seconds per call).
    """

    def __init__(self, transport: Transport):
        super().__init__()
        self._transport = transport
        login = transport.login
        self.host = str(transport.host)
        self.host_id = login.host_id if login else None
        self.connection_id = login.connection_id if login else None
        self.build_string = login.build_string if login else ""

    @property
    def timeout(self) -> float:
        return self._transport.timeout

    # --- PEP 249 ---------------------------------------------------------------------

    @handles_errors
    def cursor(self) -> Cursor:
        """A new cursor (CON-CURSOR-1). Raises ProgrammingError once closed."""
        self._start()
        return Cursor(self)

    @handles_errors
    def commit(self) -> None:
        """Does nothing: each call committed when it returned (CON-COMMIT-4). Raises
        ProgrammingError once closed."""
        self._start()

    @handles_errors
    def rollback(self) -> None:
        """Always raises NotSupportedError (CON-ROLLBACK-3): VoltDB has no transaction
        spanning calls. ProgrammingError once closed."""
        self._start()
        raise NotSupportedError(_NO_TRANSACTIONS)

    @property
    def autocommit(self) -> bool:
        """Always True: every call is its own transaction (EXT-AUTOC-1)."""
        return True

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self._check_open()
        if value is not True:
            raise NotSupportedError(f"autocommit cannot be turned off: {_NO_TRANSACTIONS}")

    def _close(self) -> None:
        self._transport.close()

    # --- VoltDB ----------------------------------------------------------------------

    @handles_errors
    def system_information(self) -> dict[str, str]:
        """``@SystemInformation OVERVIEW`` of the node this connection reached, as KEY ->
        VALUE (voltdb.md 6: VERSION, BUILDSTRING, IPADDRESS, CLIENTPORT, ...)."""
        self._start()
        response = self._call("@SystemInformation", ["OVERVIEW"])
        if response.status != Status.SUCCESS:
            raise from_response(response, "@SystemInformation")
        info: dict[int, dict[str, str]] = {}
        for table in response.tables[:1]:
            names = [c.name.upper() for c in table.columns]
            if not {"HOST_ID", "KEY", "VALUE"} <= set(names):
                raise InterfaceError(f"@SystemInformation OVERVIEW has columns {names}")
            h, k, v = names.index("HOST_ID"), names.index("KEY"), names.index("VALUE")
            for row in table.rows:
                info.setdefault(row[h], {})[str(row[k])] = "" if row[v] is None else str(row[v])
        if self.host_id in info:
            return info[self.host_id]
        return next(iter(info.values()), {})

    # --- calls (for the cursor) ----------------------------------------------------------

    def _call(self, procedure: str, parameters: Sequence[Any]) -> ClientResponse:
        return self._call_many([(procedure, parameters)])[0]

    def _call_many(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[ClientResponse]:
        self._check_open()
        try:
            return self._transport.call_many(calls)
        except EncodeError as exc:
            raise DataError(f"cannot send the call: {exc}") from None




def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InterfaceError(f"{name} must be a str, not {type(value).__name__}")
    return value




def _ssl_context(use_ssl: bool, ssl_context: ssl.SSLContext | None, ca_cert: str | None,
                 verify: bool, cert_file: str | None,
                 key_file: str | None) -> ssl.SSLContext | None:
    if ssl_context is not None:
        if not isinstance(ssl_context, ssl.SSLContext):
            raise InterfaceError(f"ssl_context must be an ssl.SSLContext, not {ssl_context!r}")
        return ssl_context
    if not (use_ssl or ca_cert or cert_file):
        return None
    for path, what in ((ca_cert, "ca_cert"), (cert_file, "cert_file"), (key_file, "key_file")):
        if path is not None and not os.path.isfile(path):
            raise InterfaceError(f"{what} {path!r} is not a readable file")
    context = ssl.create_default_context(cafile=ca_cert)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_file:
        try:
            context.load_cert_chain(cert_file, key_file)
        except (ssl.SSLError, OSError) as exc:
            raise InterfaceError(f"cannot load the client certificate: {exc}") from None
    return context


def connect(
    host: Any = None,
    port: int = DEFAULT_PORT,
    user: str | None = None,
    password: str | None = None,
    *,
    timeout: float | None = None,
    use_ssl: bool = False,
    ssl_context: ssl.SSLContext | None = None,
    ca_cert: str | None = None,
    verify: bool = True,
    cert_file: str | None = None,
    key_file: str | None = None,
    hash_scheme: str = "sha256",
    dsn: Any = None,
    username: str | None = None,
    database: str | None = None,
) -> Connection:
    """Open a connection to VoltDB's client port (MOD-CONNECT-1).

    - ``host``: ``"name"``, ``"name:port"``, a comma-separated string of those, or a list
      (also of ``(name, port)`` pairs): tried in order until one accepts (failover);
      default ``localhost``. ``port``: the default port (21212). ``dsn`` is an alias.
    - ``user``/``password``: the login (voltdb.md 2.1; both "" when None, which a server
      without security accepts); ``username`` is an alias of ``user``.
      ``hash_scheme``: "sha256" (version-1 login, the default) or "sha1" (version 0).
    - ``timeout``: seconds for connecting, the login and each call (default 60). A call
      that times out raises OperationalError; its late answer is discarded.
    - TLS: ``use_ssl`` (wrap the socket before the login), ``ca_cert`` (CA bundle file;
      default: the system's), ``verify`` (check the certificate and host name; default
      True), ``cert_file``/``key_file`` (client certificate), or a ready ``ssl_context``.
    - ``database``: accepted for PEP 249's suggested keywords (MOD-CONNECT-2); a VoltDB
      cluster has one database, so only None or "database" is allowed.

    Raises InterfaceError for invalid arguments, OperationalError when no host can be
    reached or the login is refused.
    """
    host = either(host, dsn, "host", "dsn")
    user = either(user, username, "user", "username")
    if database not in (None, "database"):
        raise InterfaceError(f"a VoltDB cluster has one database; database={database!r}")
    hosts = parse_hosts(host, port)
    timeout_s = positive_seconds(timeout, "timeout", DEFAULT_TIMEOUT)
    schemes = {"sha256": AuthScheme.HASH_SHA256, "sha1": AuthScheme.HASH_SHA1}
    if hash_scheme not in schemes:
        raise InterfaceError(f"hash_scheme must be 'sha256' or 'sha1', not {hash_scheme!r}")
    scheme = schemes[hash_scheme]
    name, secret = _text(user, "user"), _text(password, "password")
    login = Login(name, password_digest(secret, scheme), scheme=scheme,
                  version=1 if scheme == AuthScheme.HASH_SHA256 else 0)
    context = _ssl_context(bool(use_ssl), ssl_context, ca_cert, bool(verify), cert_file,
                           key_file)
    transport = Transport.open(hosts, login, timeout=timeout_s, ssl_context=context)
    try:
        return Connection(transport)
    except BaseException:
        transport.close()
        raise
