"""The users of an Exasol mock and their passwords (exasol.md 2.5, 10 item 3).

User names are case-insensitive in Exasol (stored upper case), passwords are not. The
default user is ``sys`` with password ``exasol``, as in the docker-db image. Passwords are
kept as salted SHA-256 digests and compared in constant time.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
from collections.abc import Mapping

__all__ = ["DEFAULT_USER", "DEFAULT_PASSWORD", "UserStore", "UserOption", "accounts"]

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


class UserOption(argparse.Action):
    """Collects ``--user``, ``--password-env`` and ``--password-file`` in command-line
    order, so that each password belongs to the ``--user`` before it."""

    def __call__(self, parser, namespace, value, option_string=None):
        specs = list(getattr(namespace, self.dest, None) or [])
        specs.append((option_string, value))
        setattr(namespace, self.dest, specs)


def accounts(specs: list[tuple[str, str]]) -> dict[str, str]:
    """user -> password from the collected options; ValueError with the reason for a
    password without a user, a user without a password, an unset variable, a missing file,
    an empty password or a user given twice."""
    found: dict[str, str | None] = {}
    current = None
    for option, value in specs:
        if option == "--user":
            if value.upper() in (n.upper() for n in found):
                raise ValueError(f"--user {value} is given twice")
            found[value] = None
            current = value
            continue
        if current is None:
            raise ValueError(f"{option} needs a --user before it")
        if found[current] is not None:
            raise ValueError(f"--user {current} has two passwords")
        if option == "--password-env":
            password = os.environ.get(value)
            if password is None:
                raise ValueError(f"--password-env {value}: the variable is not set")
        else:
            try:
                with open(value, encoding="utf-8") as f:
                    password = f.readline().rstrip("\r\n")
            except OSError as exc:
                raise ValueError(f"--password-file {value}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise ValueError(f"--password-file {value}: not UTF-8 text") from None
        if not password:
            raise ValueError(f"{option} {value}: the password of --user {current} is empty")
        found[current] = password
    missing = [name for name, password in found.items() if password is None]
    if missing:
        raise ValueError(f"--user {missing[0]} needs --password-env or --password-file")
    return dict(found)  # type: ignore[arg-type]
