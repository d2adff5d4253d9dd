"""Users of the mock and Ignite 3's basic authentication (ignite3.md 9; apache/ignite-3
``AuthenticationManagerImpl``, ``BasicAuthenticator``).

Without users, security is off: every handshake passes, credentials or not. With users, a
handshake passes only with ``authn-identity`` / ``authn-secret`` of one of them (names match
case-insensitively, passwords exactly); an ``authn-type`` other than ``basic`` is refused
first. Passwords are kept as salted digests only.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

from dbapi_conformance.drivers.wire.ignite import (
    INVALID_CREDENTIALS_EXCEPTION,
    UNSUPPORTED_AUTH_EXCEPTION,
    ErrorCode,
    ErrorInfo,
    Handshake,
)

__all__ = ["UserStore"]


class UserStore:
    """``users``: name -> password. Read-only once built (safe to share)."""

    def __init__(self, users: Mapping[str, str] | None = None) -> None:
        self._salt = os.urandom(16)
        self._users = {name.lower(): self._digest(password)
                       for name, password in (users or {}).items()}

    def _digest(self, password: str) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), self._salt, 1000)

    @property
    def enabled(self) -> bool:
        return bool(self._users)

    def authenticate(self, handshake: Handshake) -> ErrorInfo | None:
        """None when the handshake may go on, else the error object to refuse it with."""
        if not self._users:
            return None
        kind = handshake.authn_type
        if kind is not None and str(kind).lower() != "basic":
            return ErrorInfo(ErrorCode.UNSUPPORTED_AUTHENTICATION_TYPE,
                             UNSUPPORTED_AUTH_EXCEPTION,
                             f"Unsupported authentication type: {kind}")
        identity, secret = handshake.identity, handshake.secret
        stored = self._users.get(identity.lower()) if isinstance(identity, str) else None
        if stored is not None and isinstance(secret, str) and hmac.compare_digest(
                stored, self._digest(secret)):
            return None
        return ErrorInfo(ErrorCode.INVALID_CREDENTIALS, INVALID_CREDENTIALS_EXCEPTION,
                         "Authentication failed")
