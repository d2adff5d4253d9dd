"""Users and the login check of the VoltDB mock (protocols/voltdb.md 2.1-2.2).

Security is off by default, as in a fresh VoltDB: every login with a well-formed digest is
accepted, whatever the user and password. With users configured it is on: the user must
exist and the digest must be the SHA-1 or SHA-256 (as the login's scheme says) of its
password. A service other than ``database`` is refused as VoltDB refuses it
(EXPORT_DISABLED_REJECTION); Kerberos (SPNEGO) is not offered, so such a login fails with
AUTHENTICATION_FAILURE and is never answered with a version-2 handshake.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from dbapi_conformance.drivers.wire.voltdb import (
    SERVICE_DATABASE,
    AuthScheme,
    Login,
    LoginStatus,
    password_digest,
)

__all__ = ["UserStore"]


class UserStore:
    """``users``: name -> password; empty or None = security off. Read-only once built, so
    connections may share it."""

    def __init__(self, users: Mapping[str, str] | None = None):
        self._digests = {
            name: {scheme: password_digest(pw, scheme)
                   for scheme in (AuthScheme.HASH_SHA1, AuthScheme.HASH_SHA256)}
            for name, pw in (users or {}).items()}

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def check(self, login: Login) -> LoginStatus:
        """The login status to answer ``login`` with."""
        if login.service != SERVICE_DATABASE:
            return LoginStatus.EXPORT_DISABLED_REJECTION
        if login.scheme == AuthScheme.SPNEGO:
            return LoginStatus.AUTHENTICATION_FAILURE
        if not self.enabled:
            return LoginStatus.SUCCESS
        digests = self._digests.get(login.username)
        if digests is None or not hmac.compare_digest(digests[login.scheme], login.digest):
            return LoginStatus.AUTHENTICATION_FAILURE
        return LoginStatus.SUCCESS
