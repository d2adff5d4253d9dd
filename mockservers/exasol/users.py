"""The users of an Exasol mock and their passwords (exasol.md 2.5, 10 item 3).

User names are case-insensitive in Exasol (stored upper case), passwords are not. The
default user is ``sys`` with password ``exasol``, as in the docker-db image. Passwords are
kept as salted SHA-256 digests and compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping

__all__ = ["DEFAULT_USER", "DEFAULT_PASSWORD", "UserStore"]

DEFAULT_USER = "sys"
DEFAULT_PASSWORD = "exasol"


class UserStore:
    """Users -> passwords; ``users`` None means ``{"sys": "exasol"}``. ValueError for an
    empty user name or password. Read-only after construction, so threads may share it."""

    def __init__(self, users: Mapping[str, str] | None = None):
        users = {DEFAULT_USER: DEFAULT_PASSWORD} if users is None else users
        self._digests: dict[str, tuple[bytes, bytes]] = {}
        for name, password in users.items():
            if not name or not password:
                raise ValueError("a user needs a name and a non-empty password")
            salt = os.urandom(16)
            self._digests[name.upper()] = (salt, self._digest(salt, password))

    @staticmethod
    def _digest(salt: bytes, password: str) -> bytes:
        return hashlib.sha256(salt + password.encode("utf-8")).digest()

    @property
    def names(self) -> list[str]:
        return sorted(self._digests)

    def check(self, user: str, password: str) -> str | None:
        """The user's stored (upper-case) name when the password matches, else None."""
        entry = self._digests.get(user.upper())
        if entry is None:
            # compare anyway, so that a wrong user costs what a wrong password costs
            hmac.compare_digest(self._digest(b"\0" * 16, password), b"\0" * 32)
            return None
        salt, digest = entry
        return user.upper() if hmac.compare_digest(self._digest(salt, password), digest) else None
