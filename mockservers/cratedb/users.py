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

:class:`UserStore` holds one server's users; :class:`Authenticator` answers who a request
is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["SUPERUSER", "Rule", "parse_trust_rule", "UserStore", "Authenticator",
           "AuthError"]

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


class UserStore:
    """The users of one server: ``crate`` plus ``users`` (name -> password, or None for a
    user without one). Passwords are kept as salted SHA-256 digests."""

    def __init__(self, users: Mapping[str, str | None] | None = None):
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

    # --- reads --------------------------------------------------------------------------------
    def get(self, name: str | None) -> _User | None:
        return self._users.get(name) if name is not None else None

    def has_passwords(self) -> bool:
        return any(u.digest is not None for u in self._users.values())

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
