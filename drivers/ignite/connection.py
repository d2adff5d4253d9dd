"""The Ignite 3 Connection and ``connect()``.

Transactions (protocols/ignite3.md 7): in manual-commit mode (``autocommit=False``, the
PEP 249 default, CON-COMMIT-2) the first statement that is not a query begins a
transaction (TX_BEGIN) and every later statement runs in it until
:meth:`Connection.commit` (TX_COMMIT) or :meth:`Connection.rollback` (TX_ROLLBACK); both
send nothing when no transaction is open. Queries (SELECT, WITH, VALUES, EXPLAIN) before
that run on their own and see the latest committed data, as Python's sqlite3 module
begins its implicit transactions only before a write: a connection that only reads never
holds a transaction (its locks or snapshot) open. In autocommit mode every statement
carries no transaction id (the server's implicit single-statement transaction).

Ignite runs DDL only outside transactions (0x40007 "DDL doesn't support transactions.").
So a DDL statement (CREATE, DROP, ALTER) and a script (:meth:`Cursor.executescript`) end
the open transaction first, committing it, as DDL does in MySQL and Oracle, and then run
on their own; the next statement begins a new transaction.

A statement that fails inside a transaction may make the server roll it back; the next
statement in it then fails with OperationalError (TX_ALREADY_FINISHED, 0x7000d) saying so,
and the one after begins a new transaction.
"""

from __future__ import annotations

import re
from typing import Any

from dbapi_conformance.drivers._dbapi.connection import (
    ConnectionBase,
    either,
    positive_seconds,
)
from dbapi_conformance.drivers._dbapi.errorhandler import handles_errors
from dbapi_conformance.drivers._dbapi.exceptions import (
    InterfaceError,
    OperationalError,
    ProgrammingError,
)
from dbapi_conformance.drivers.ignite.cursor import Cursor
from dbapi_conformance.drivers.ignite.transport import (
    Channel,
    SslOptions,
    open_channel,
    parse_addresses,
)
from dbapi_conformance.drivers.wire.ignite import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SCHEMA,
    ErrorCode,
    Response,
    SqlProperties,
    TxBegin,
    TxBeginResponse,
    TxCommit,
    TxRollback,
)

__all__ = ["Connection", "connect", "DEFAULT_TIMEOUT"]

#: Seconds for connecting and for each answer when ``timeout`` is not given (as
#: pyignite_dbapi).
DEFAULT_TIMEOUT = 30.0
_LEADING = r"[\s(]*(?:(?:--[^\n]*(?:\n|$)|/\*.*?\*/)[\s(]*)*"
_DDL = re.compile(_LEADING + r"(?:CREATE|DROP|ALTER)\b", re.IGNORECASE | re.DOTALL)
_QUERY = re.compile(_LEADING + r"(?:SELECT|WITH|VALUES|EXPLAIN|TABLE)\b",
                    re.IGNORECASE | re.DOTALL)


def is_ddl(sql: str) -> bool:
    """True for a statement Ignite must run outside a transaction (CREATE, DROP, ALTER,
    after leading comments)."""
    return _DDL.match(sql) is not None


def is_query(sql: str) -> bool:
    """True for a statement that only reads (SELECT, WITH, VALUES, EXPLAIN, TABLE)."""
    return _QUERY.match(sql) is not None


class Connection(ConnectionBase):
    """A PEP 249 connection to an Ignite 3 cluster (made by :func:`connect`).

    Attributes: ``autocommit`` (read/write bool, EXT-AUTOC-1), ``address`` (the node this
    connection talks to, ``"host:port"``), ``server_version`` (tuple of ints, e.g.
    ``(3, 1, 0)``) and ``server_version_string``, ``cluster_name``, ``schema``,
    ``page_size``, ``timeout`` (seconds), ``closed``.
    """

    def __init__(self, channel: Channel, *, schema: str, page_size: int, timeout: float,
                 timezone: str | None, autocommit: bool) -> None:
        super().__init__()
        self._channel = channel
        self.schema = schema
        self.page_size = page_size
        self.timeout = timeout
        self.timezone = timezone
        self._autocommit = bool(autocommit)
        self._tx_id: int | None = None
        hs = channel.handshake
        major, minor, maint, patch, pre = hs.server_version
        self.server_version = tuple(p for p in (major, minor, maint, patch) if p is not None)
        self.server_version_string = ".".join(map(str, self.server_version)) + (
            f"-{pre}" if pre else "")
        self.cluster_name = hs.cluster_name

    @property
    def address(self) -> str:
        """The node this connection talks to, ``"host:port"``."""
        return str(self._channel.address)

    # --- PEP 249 ---------------------------------------------------------------------

    @handles_errors
    def cursor(self) -> Cursor:
        """A new cursor (CON-CURSOR-1). ProgrammingError once closed."""
        self._start()
        return Cursor(self)

    @handles_errors
    def commit(self) -> None:
        """Commit the open transaction (TX_COMMIT); nothing is sent when none is open
        (CON-COMMIT-1). The next statement begins a new one."""
        self._start()
        self._end_tx(TxCommit)

    @handles_errors
    def rollback(self) -> None:
        """Roll back the open transaction (TX_ROLLBACK); nothing is sent when none is
        open (CON-ROLLBACK-1/2)."""
        self._start()
        self._end_tx(TxRollback)

    @property
    def autocommit(self) -> bool:
        """True: every statement commits on its own; False (the default): statements run
        in a transaction until commit() or rollback() (EXT-AUTOC-1/2). Switching it on
        commits the open transaction."""
        self._check_open()
        return self._autocommit

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self.setautocommit(value)

    @handles_errors
    def setautocommit(self, value: bool) -> None:
        """Set :attr:`autocommit` (EXT-AUTOC-3)."""
        self._start()
        if not isinstance(value, bool):
            raise ProgrammingError(f"autocommit must be True or False, not {value!r}")
        if value and not self._autocommit:
            self._end_tx(TxCommit)
        self._autocommit = value

    def _close(self) -> None:
        channel = self._channel
        tx_id, self._tx_id = self._tx_id, None
        if tx_id is not None and not channel.closed:
            try:  # the server would roll back on disconnect too; this frees its locks now
                channel.request(lambda rid, ts: TxRollback(request_id=rid, tx_id=tx_id))
            except Exception:  # closing must not fail on a dying server
                pass
        channel.close()

    # --- for the cursor ----------------------------------------------------------------

    def _properties(self) -> SqlProperties:
        return SqlProperties(schema=self.schema, page_size=self.page_size,
                             query_timeout=int(self.timeout * 1000), time_zone=self.timezone)

    def _request(self, build) -> Response:
        """Send one request on the channel (see :meth:`Channel.request`); a broken channel
        drops the open transaction, whose work the server rolls back."""
        self._check_open()
        try:
            return self._channel.request(build)
        except OperationalError as exc:
            if self._channel.closed:
                self._tx_id = None
            elif exc.code == ErrorCode.TX_ALREADY_FINISHED and self._tx_id is not None:
                # the server rolled the transaction back after a failed statement in it
                self._tx_id = None
                exc.message += (" (the server rolled this connection's transaction back "
                                "after a statement in it failed; its work is lost, and the "
                                "next statement begins a new transaction)")
                exc.args = (exc.message,)
            raise

    def _tx_for(self, sql: str | None) -> int | None:
        """The transaction id a statement runs in (None: implicit). Begins one in
        manual-commit mode; ``sql`` None (a script) or DDL: commits the open one and
        runs outside (see the module docstring)."""
        if self._autocommit:
            return None
        if sql is None or is_ddl(sql):
            self._end_tx(TxCommit)  # DDL commits the open transaction (module docstring)
            return None
        if self._tx_id is None:
            if is_query(sql):
                return None  # reads before the first write run on their own
            response = self._request(lambda rid, ts: TxBegin(
                request_id=rid, read_only=False, timeout=0, observable_timestamp=ts))
            if not isinstance(response, TxBeginResponse):
                raise InterfaceError(f"TX_BEGIN answered with {type(response).__name__}")
            self._tx_id = response.tx_id
        return self._tx_id

    def _end_tx(self, op) -> None:
        tx_id, self._tx_id = self._tx_id, None
        if tx_id is not None:
            self._request(lambda rid, ts: op(request_id=rid, tx_id=tx_id))






def connect(
    address: Any = None,
    *,
    identity: str | None = None,
    secret: str | None = None,
    schema: str = DEFAULT_SCHEMA,
    timezone: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    page_size: int = DEFAULT_PAGE_SIZE,
    autocommit: bool = False,
    use_ssl: bool = False,
    ssl_keyfile: str | None = None,
    ssl_certfile: str | None = None,
    ssl_ca_certfile: str | None = None,
    ssl_check_hostname: bool = True,
    heartbeat: bool = True,
    dsn: Any = None,
    host: Any = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
) -> Connection:
    """Open a connection to an Ignite 3 cluster (MOD-CONNECT-1); the keywords are
    pyignite_dbapi 3.1.0's.

    - ``address``: ``"host[:port]"`` or a list of them (port 10800 by default; default
      ``"127.0.0.1:10800"``). The addresses are tried in order, each once, until one
      connects and accepts the handshake (failover).
    - ``identity``/``secret``: basic authentication (handshake extensions ``authn-*``).
    - ``schema``: the default schema (``PUBLIC``); ``timezone``: the session's time-zone
      id, e.g. ``"Europe/Berlin"`` (default: the server's).
    - ``timeout``: seconds for connecting, for each answer, and the server-side query
      timeout (default 30; any positive number).
    - ``page_size``: rows per result page (1024); larger results are fetched page by page.
    - ``autocommit``: False (the PEP 249 default; pyignite_dbapi defaults to True).
    - ``use_ssl`` with ``ssl_keyfile``/``ssl_certfile`` (client certificate, PEM) and
      ``ssl_ca_certfile`` (CA bundle; default the system's); ``ssl_check_hostname``
      (default True) checks the server's name against its certificate.
    - ``heartbeat``: send HEARTBEAT while idle when the server has an idle timeout.
    - PEP 249's suggested names (MOD-CONNECT-2) are aliases: ``dsn`` and ``host`` for
      ``address``, ``user`` for ``identity``, ``password`` for ``secret``, ``database``
      for ``schema``.

    Raises InterfaceError for invalid arguments, OperationalError when no address connects
    or the server refuses the handshake (wrong credentials).
    """
    address = either(either(address, dsn, "address", "dsn"), host, "address", "host")
    identity = either(identity, user, "identity", "user")
    secret = either(secret, password, "secret", "password")
    if database is not None:
        schema = database
    addresses = parse_addresses("127.0.0.1:10800" if address is None else address)
    timeout_s = positive_seconds(timeout, "timeout", DEFAULT_TIMEOUT)
    if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
        raise InterfaceError(f"page_size must be an int >= 1, not {page_size!r}")
    if not isinstance(schema, str) or not schema:
        raise InterfaceError(f"schema must be a non-empty str, not {schema!r}")
    if timezone is not None and not isinstance(timezone, str):
        raise InterfaceError(f"timezone must be a str, not {type(timezone).__name__}")
    extensions: dict[str, str] = {}
    if identity:
        if not isinstance(identity, str) or not isinstance(secret or "", str):
            raise InterfaceError("identity and secret must be str")
        extensions = {"authn-type": "basic", "authn-identity": identity,
                      "authn-secret": secret or ""}
    tls = None
    if use_ssl:
        tls = SslOptions(ssl_keyfile, ssl_certfile, ssl_ca_certfile,
                         bool(ssl_check_hostname)).context()
    elif ssl_keyfile or ssl_certfile or ssl_ca_certfile:
        raise InterfaceError("ssl_keyfile, ssl_certfile and ssl_ca_certfile need use_ssl=True")
    channel = open_channel(addresses, timeout=timeout_s, extensions=extensions, tls=tls,
                           heartbeat=bool(heartbeat))
    try:
        return Connection(channel, schema=schema, page_size=page_size, timeout=timeout_s,
                          timezone=timezone, autocommit=bool(autocommit))
    except BaseException:
        channel.close()
        raise
