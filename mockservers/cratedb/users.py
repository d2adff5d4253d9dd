"""Users and host-based authentication of the CrateDB mock (cratedb.md 2.3).

What CrateDB does, and this module imitates (crate/crate ``io.crate.auth``,
``docs/admin/auth/hba.rst``, ``docs/admin/auth/methods.rst``):

- The superuser ``crate`` always exists and has no password. Other users come from the
  server's configuration or ``CREATE USER``; CrateDB stores a salted hash, never the text.
- With host-based authentication off (``auth.host_based.enabled: false``, the Docker
  image's default) every request uses the ``trust`` method: any *existing* user gets in,
  its password is ignored. Without an ``Authorization`` header the user is the client
  certificate's CN, else ``auth.trust.http_default_user`` (``crate``).
- With it on, ``auth.host_based.config`` is an ordered list of entries (user, address,
  method); the first entry matching the user, the client address and the methods the client
  can use (``trust`` always, ``password`` when it sent one, ``cert`` when it showed a
  certificate) decides the method. No match, or a failed method, is a 401 with a plain-text
  reason (``HttpAuthUpstreamHandler``, ``HostBasedAuthentication``,
  ``TrustAuthenticationMethod``, ``PasswordAuthenticationMethod``, ``ClientCertAuth``).

:class:`UserStore` holds one server's users (thread-safe: the event loop authenticates while
worker threads run ``CREATE USER``) and mirrors them into ``sys.users``;
:class:`Authenticator` answers who a request is; :func:`run_statement` runs
``CREATE USER`` / ``ALTER USER`` / ``DROP USER`` (``docs/sql/statements/create-user.rst``,
``alter-role.rst``, ``drop-role.rst``; checks as ``AccessControlImpl`` and
``RoleManagerService`` make them).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb.catalog import SYSTEM_SCHEMAS
from dbapi_conformance.mockservers.cratedb.commands import Outcome
from dbapi_conformance.mockservers.cratedb.ddl import DdlParser
from dbapi_conformance.mockservers.cratedb.statements import Statement
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["SUPERUSER", "Rule", "parse_trust_rule", "UserStore", "Authenticator",
           "AuthError", "is_user_statement", "run_statement"]

#: CrateDB's built-in superuser (``Role.CRATE_USER``); also ``auth.trust.http_default_user``.
SUPERUSER = "crate"

_METHODS = ("trust", "password", "cert")
_LOCALHOSTS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


# --- host-based authentication rules --------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """One ``auth.host_based.config`` entry: ``method`` (trust, password or cert) for
    ``user`` (None: any user) connecting from ``address`` (None: anywhere; ``_local_``:
    127.0.0.1 or ::1 only, as CrateDB has it; else an IP address or a CIDR network)."""

    method: str
    user: str | None = None
    address: str | None = None

    def __post_init__(self):
        if self.method not in _METHODS:
            raise ValueError(f"unknown method {self.method!r} (one of {', '.join(_METHODS)})")
        if self.address not in (None, "_local_"):
            _network(self.address)  # ValueError for anything else

    def matches(self, user: str | None, address: str | None, methods: Sequence[str]) -> bool:
        """Whether this entry applies (``HostBasedAuthentication.getEntry``)."""
        if user is None or self.method not in methods:
            return False
        if self.user is not None and self.user != user:
            return False
        if self.address is None:
            return True
        ip = _client_ip(address)
        if ip is None:
            return False
        if self.address == "_local_":
            return ip in _LOCALHOSTS
        return ip in _network(self.address)

    def __str__(self) -> str:
        return f"{self.user or '*'}@{self.address or '*'} {self.method}"


def parse_trust_rule(text: str) -> Rule:
    """A trust rule from ``[USER][@ADDRESS]``: ``crate@127.0.0.1``, ``crate@_local_``,
    ``*@10.0.0.0/8``, ``crate`` (from anywhere). ``*`` or nothing means any; the address is
    an IP address, a CIDR network or ``_local_`` (host names are not resolved). Raises
    ValueError for anything else."""
    user, at, address = text.rpartition("@")
    if not at:
        user, address = text, ""
    user = user.strip()
    address = address.strip()
    if not user and not address:
        raise ValueError("give USER@ADDRESS (USER or ADDRESS may be *)")
    try:
        return Rule("trust", None if user in ("", "*") else user,
                    None if address in ("", "*") else address)
    except ValueError:
        raise ValueError(f"{address!r} is neither an IP address, a CIDR network nor "
                         "_local_") from None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(text, strict=False)


def _client_ip(address: str | None):
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1 on a dual-stack socket
    return mapped or ip


# --- the users of one server -----------------------------------------------------------------

@dataclass(frozen=True)
class _User:
    name: str
    salt: bytes | None = None
    digest: bytes | None = None  # sha256(salt + password); None: no password

    @property
    def superuser(self) -> bool:
        return self.name == SUPERUSER

    def password_matches(self, password: str) -> bool:
        if self.digest is None or not password:
            return False
        return hmac.compare_digest(_digest(self.salt, password), self.digest)


def _digest(salt: bytes, password: str) -> bytes:
    return hashlib.sha256(salt + password.encode("utf-8")).digest()


def _user(name: str, password: str | None) -> _User:
    if password is None:
        return _User(name)
    salt = os.urandom(16)
    return _User(name, salt, _digest(salt, password))


_SYS_USERS = f"{quote_ident(SYSTEM_SCHEMAS['sys'])}.users"  # systables.py: its columns


class UserStore:
    """The users of one server: ``crate`` plus ``users`` (name -> password, or None for a
    user without one). Passwords are kept as salted SHA-256 digests. Every change is
    mirrored into ``sys.users`` once :meth:`attach` gave it the engine.

    Thread-safe: changes are serialised by a lock and replace the whole mapping (copy on
    write), so a reader on any thread sees the users before or after a change, never half
    of one."""

    def __init__(self, users: Mapping[str, str | None] | None = None):
        self._lock = threading.Lock()
        self._users: dict[str, _User] = {SUPERUSER: _User(SUPERUSER)}
        for name, password in (users or {}).items():
            if name == SUPERUSER:
                if password is not None:
                    raise ValueError(f"the superuser '{SUPERUSER}' has no password in CrateDB; "
                                     "admit it with a trust rule")
                continue
            if password == "":
                raise ValueError(f"the password of {name!r} is empty")
            self._users[name] = _user(name, password)
        self._engine = None

    # --- reads (any thread) ----------------------------------------------------------------
    def get(self, name: str | None) -> _User | None:
        return self._users.get(name) if name is not None else None

    def has_passwords(self) -> bool:
        return any(u.digest is not None for u in self._users.values())

    # --- sys.users -----------------------------------------------------------------------
    def attach(self, engine) -> None:
        """Mirror the users into ``sys.users`` of ``engine`` from now on (at start-up, after
        the system tables exist)."""
        with self._lock:
            self._engine = engine
            self._sync(self._users)

    def _sync(self, users: dict[str, _User]) -> None:
        # Under self._lock: one writer at a time, and readers see the old or the new rows
        # (one transaction), never an empty table.
        if self._engine is None:
            return
        with self._engine.session() as session:
            session.begin()
            try:
                session.execute(f"DELETE FROM {_SYS_USERS}")
                rows = list(users.values())
                session.execute(
                    f"INSERT INTO {_SYS_USERS} SELECT [], NULL, unnest($1::VARCHAR[]), "
                    "unnest($2::VARCHAR[]), '{}', unnest($3::BOOLEAN[])",
                    [[u.name for u in rows],
                     [None if u.digest is None else "********" for u in rows],
                     [u.superuser for u in rows]])
                session.commit()
            except BaseException:
                if session.in_transaction:
                    session.rollback()
                raise

    # --- changes (CREATE / ALTER / DROP USER) ----------------------------------------------
    def create(self, name: str, password: str | None) -> None:
        """RoleAlreadyExistsException (4099) when ``name`` exists (``crate`` included)."""
        with self._lock:
            if name in self._users:
                raise cerr.CrateError(4099, "RoleAlreadyExistsException",
                                      f"Role '{name}' already exists")
            self._replace({**self._users, name: _user(name, password)})

    def set_password(self, name: str, password: str | None) -> None:
        """RoleUnknownException (40410) for an unknown user, and for ``crate``: CrateDB
        keeps the superuser outside the role metadata that ALTER changes, so it cannot get
        a password (``TransportAlterRole``)."""
        with self._lock:
            if name not in self._users or name == SUPERUSER:
                raise _role_unknown(name)
            self._replace({**self._users, name: _user(name, password)})

    def drop(self, name: str, if_exists: bool) -> int:
        """1, or 0 for a missing user with ``if_exists``; UnsupportedFeatureException for
        ``crate``, RoleUnknownException for a missing user (``RoleManagerService``)."""
        with self._lock:
            if name == SUPERUSER:
                raise cerr.unsupported(f"Cannot drop a superuser '{name}'")
            if name not in self._users:
                if if_exists:
                    return 0
                raise _role_unknown(name)
            self._replace({k: v for k, v in self._users.items() if k != name})
            return 1

    def _replace(self, users: dict[str, _User]) -> None:
        # under self._lock: sys.users first, so that a failure there changes nothing
        self._sync(users)
        self._users = users


def _role_unknown(name: str) -> cerr.CrateError:
    return cerr.CrateError(40410, "RoleUnknownException", f"Role '{name}' does not exist")


# --- authentication ------------------------------------------------------------------------

class AuthError(Exception):
    """A refused request: ``text`` is the plain-text body, ``status`` 401 (or 500 for an
    Authorization header CrateDB cannot read)."""

    def __init__(self, text: str, status: int = 401):
        super().__init__(text)
        self.text = text
        self.status = status


class Authenticator:
    """Who a request is. ``rules`` None: host-based authentication off (trust for every
    existing user); else the ``auth.host_based.config`` entries in order."""

    def __init__(self, store: UserStore, rules: Sequence[Rule] | None = None):
        self.store = store
        self.rules = None if rules is None else list(rules)

    def authenticate(self, header: str | None, address: str | None,
                     peer_cert: dict | None = None) -> str:
        """The user name of a request, from its ``Authorization`` header, the client's IP
        ``address`` and its verified certificate (``ssl.SSLSocket.getpeercert()`` shape);
        raises :class:`AuthError`."""
        user, password, bearer = _credentials(header)
        common_name = _common_name(peer_cert)
        if header is None or not header.strip():
            user = common_name or SUPERUSER
        if self.rules is None:
            return self._trust(user)
        methods = ["trust"]
        if common_name is not None:
            methods.append("cert")
        if password is not None:
            methods.append("password")
        rule = next((r for r in self.rules if r.matches(user, address, methods)), None)
        if rule is None:
            raise AuthError(
                f'No valid auth.host_based.config entry found for host "{address}", user '
                f'"{"null" if user is None else user}", protocol "http". Did you enable TLS '
                "in your client?")
        if rule.method == "trust":
            return self._trust(user)
        if rule.method == "password":
            found = self.store.get(user)
            if found is None or not found.password_matches(password or ""):
                raise AuthError(f'password authentication failed for user "{user}"')
            return user
        # cert (ClientCertAuth): the CN must be the user, and the user must exist
        if common_name != user:
            raise AuthError(f'Common name "{common_name}" in client certificate doesn\'t '
                            f'match username "{user}"')
        if self.store.get(user) is None:
            raise AuthError(f'Client certificate authentication failed for user "{user}"')
        return user

    def _trust(self, user: str | None) -> str:
        if user is None or self.store.get(user) is None:
            raise AuthError(f'trust authentication failed for user "{user or "null"}"')
        return user


def _credentials(header: str | None) -> tuple[str | None, str | None, bool]:
    """(user, password, bearer) of an Authorization header (``Headers``): the scheme is
    case-insensitive, ``basic`` or ``bearer``; an empty password is no password. A bearer
    token names no user of this mock (it has no JWT support)."""
    if header is None or not header.split():
        return None, None, False
    parts = header.split()
    if len(parts) < 2:
        raise AuthError("Authorization header must contain auth scheme (basic, bearer) and "
                        "base64 encoded value separated by a whitespace", 500)
    scheme = parts[0].lower()
    if scheme == "bearer":
        return None, None, True
    if scheme != "basic":
        raise AuthError("Only basic or bearer HTTP Authentication schemes are allowed.", 500)
    try:
        decoded = base64.b64decode(parts[1], validate=True).decode("utf-8", "replace")
    except ValueError:  # binascii.Error, or a non-ASCII header value
        raise AuthError(_base64_error(parts[1]), 500) from None
    user, _, password = decoded.partition(":")
    return user, password or None, False


_BASE64 = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")


def _base64_error(value: str) -> str:
    """Java's Base64 decoder message for a value it refuses: the first character outside
    the alphabet, as its signed byte in hex (0xE9 -> -17)."""
    for ch in value:
        if ch not in _BASE64:
            b = ord(ch) & 0xFF
            signed = b - 256 if b >= 128 else b
            return "Illegal base64 character " + ("-" if signed < 0 else "") + \
                format(abs(signed), "x")
    return "Illegal base64 character in Authorization header"


def _common_name(peer_cert: dict | None) -> str | None:
    """The first commonName of a certificate's subject (``SSL.extractCN``)."""
    for rdn in (peer_cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return value
    return None


# --- CREATE USER / ALTER USER / DROP USER ----------------------------------------------------

# Session settings CrateDB accepts as user properties; this mock does not keep them.
_SESSION_SETTINGS = {
    "search_path", "enable_hashjoin", "error_on_unknown_object_key", "application_name",
    "datestyle", "insert_select_fail_fast", "statement_timeout", "memory.operation_limit",
    "client_encoding", "max_index_keys", "max_identifier_length", "server_version_num",
    "server_version", "standard_conforming_strings",
}


def is_user_statement(stmt: Statement) -> bool:
    """``CREATE USER``, ``ALTER USER|ROLE``, ``DROP USER|ROLE`` (not ``... USER MAPPING``;
    ``CREATE ROLE`` is not imitated: roles cannot log in)."""
    w = stmt.words
    if len(w) < 3:
        return False
    if w[0] == "CREATE":
        ok = w[1] == "USER"
    elif w[0] in ("ALTER", "DROP"):
        ok = w[1] in ("USER", "ROLE")
    else:
        return False
    if ok and w[1] == "USER" and w[2] == "MAPPING" and len(w) > 3 and w[3] in ("FOR", "IF"):
        return False
    return ok


def run_statement(sess, stmt: Statement, args: list) -> Outcome:
    """Run a user statement for ``sess`` (a CrateSession whose ``ctx.users`` is the
    server's :class:`UserStore`). Order as in CrateDB: parse, then the privilege check
    (4011 ``Missing 'AL' privilege`` for anyone but the superuser; users may alter
    themselves), then the properties."""
    store: UserStore = sess.ctx.users
    p = DdlParser(stmt)
    verb = p.take("CREATE", "ALTER", "DROP").word
    p.take("USER", "ROLE")
    if verb == "DROP":
        if_exists = False
        if p.word() == "IF":
            p.i += 1
            p.take("EXISTS")
            if_exists = True
        name = p.ident()
        _end(p)
        _require_al(sess)
        return Outcome(store.drop(name, if_exists))
    name = p.ident()
    if verb == "CREATE":
        props = _create_properties(p)
        _require_al(sess)
        store.create(name, _password(sess, stmt, props, args))
        return Outcome(1)
    if p.accept("RESET"):
        if not p.accept("ALL"):
            p.ident()
        _end(p)
        if name != sess.user:
            _require_al(sess)
        if store.get(name) is None or name == SUPERUSER:
            raise _role_unknown(name)
        return Outcome(1)  # no session settings are kept: nothing to reset
    p.take("SET")
    p.take("L_PAREN")
    props = _properties(p, paren=True)
    if not props:
        raise p.error("an identifier")
    p.take("R_PAREN")
    _end(p)
    if name != sess.user:
        _require_al(sess)
    # the only property kept is password (the others are refused): set or clear it
    store.set_password(name, _password(sess, stmt, props, args))
    return Outcome(1)


def _end(p: DdlParser) -> None:
    if p.peek() is not None:
        raise p.error("<EOF>")


def _require_al(sess) -> None:
    if sess.user != SUPERUSER:
        raise cerr.CrateError(4011, "MissingPrivilegeException",
                              f"Missing 'AL' privilege for user '{sess.user}'")


def _key(p: DdlParser) -> str:
    key = p.ident()
    while p.accept("DOT"):
        key += "." + p.ident()
    return key


def _properties(p: DdlParser, paren: bool) -> dict[str, tuple[int, int]]:
    """``key = expr [, ...]`` (CrateDB's form), or the PostgreSQL form ``key [value] ...``
    of CREATE USER (``AstBuilder.visitCreateRole``; a key without a value means NULL):
    key -> the token range of its value. Stops before ``)`` when ``paren``."""
    props = {}
    while p.peek() is not None and not (paren and p.at("R_PAREN")):
        key = _key(p)
        start = p.i
        if p.accept("EQ"):
            start = p.i
            p.expression_text(set())
        else:
            t = p.peek()
            if t is not None and (t.kind in ("STRING", "NUMBER", "PLACEHOLDER", "NULL")
                                  or t.word in ("TRUE", "FALSE")):
                p.i += 1
            elif t is not None and t.kind == "PARAMETER":
                p.i += 2
        props[key] = (start, p.i)
        p.accept("COMMA")
    return props


def _create_properties(p: DdlParser) -> dict[str, tuple[int, int]]:
    """The properties after ``CREATE USER name``: ``WITH (...)``, ``[WITH] [(] ... [)]``."""
    p.accept("WITH")
    paren = p.accept("L_PAREN") is not None
    props = _properties(p, paren)
    if paren:
        p.take("R_PAREN")
    _end(p)
    return props


def _password(sess, stmt: Statement, props: dict[str, tuple[int, int]],
              args: list) -> str | None:
    """The evaluated ``password`` property (None: none, or NULL). Refuses other keys as
    CrateDB does (``Setting 'x' is not supported``), or as unsupported by this mock when
    CrateDB knows them (jwt, session settings); an empty password is an error
    (``Role.Properties.of``)."""
    for key in props:
        if key == "password":
            continue
        if key == "jwt" or key in _SESSION_SETTINGS or key.startswith("optimizer_"):
            raise cerr.unsupported(f"The user property '{key}' is not supported by this "
                                   "mock server (only password)")
        raise cerr.parse_error(f"Setting '{key}' is not supported")
    if "password" not in props:
        return None
    value = _evaluate(sess, stmt, *props["password"], args)
    if value is None:
        return None
    if isinstance(value, bool):
        value = "true" if value else "false"
    value = str(value)
    if not value:
        raise cerr.parse_error("Password must not be empty")
    return value


def _evaluate(sess, stmt: Statement, start: int, end: int, args: list):
    """The value of the expression in tokens [start, end): a literal or parameter at once,
    anything else (``substr(?, 3)``) through the engine."""
    toks = stmt.toks[start:end]
    if not toks:
        return None
    qmarks_before = sum(1 for t in stmt.toks[:start] if t.kind == "PLACEHOLDER" and t.raw == "?")
    if len(toks) == 1:
        t = toks[0]
        if t.kind == "STRING":
            return t.value
        if t.kind == "NULL":
            return None
        if t.kind == "NUMBER":
            return t.value
        if t.word in ("TRUE", "FALSE"):
            return t.word.lower()
        if t.kind == "PLACEHOLDER" and t.raw == "?":
            return _arg(args, qmarks_before + 1)
    if len(toks) == 2 and toks[0].kind == "PARAMETER" and toks[1].kind == "NUMBER":
        return _arg(args, int(toks[1].value))
    # renumber ? as $n with the statement's own count, then SELECT the expression
    text, pos, n = [], toks[0].start, qmarks_before
    for t in toks:
        text.append(stmt.text[pos:t.start])
        if t.kind == "PLACEHOLDER" and t.raw == "?":
            n += 1
            text.append(f"${n}")
        else:
            text.append(stmt.text[t.start:t.end])
        pos = t.end
    prepared, params = sess.prepare_query("SELECT " + "".join(text), args)
    rows = sess.engine_session.execute(prepared.sql, params).rows
    return rows[0][0] if rows else None


def _arg(args: list, n: int):
    if n > len(args):
        raise cerr.parse_error(f"The query contains a parameter placeholder ${n}, but there "
                               f"are only {len(args)} parameter values")
    return args[n - 1]
