"""Users and the login check of the VoltDB mock (protocols/voltdb.md 2.1-2.2).

Security is off by default, as in a fresh VoltDB: every login with a well-formed digest is
accepted, whatever the user and password. With users configured it is on: the user must
exist and the digest must be the SHA-1 or SHA-256 (as the login's scheme says) of its
password. A service other than ``database`` is refused as VoltDB refuses it
(EXPORT_DISABLED_REJECTION); Kerberos (SPNEGO) is not offered, so such a login fails with
AUTHENTICATION_FAILURE and is never answered with a version-2 handshake.
"""

from __future__ import annotations

import argparse
import hmac
import os
from collections.abc import Mapping

from dbapi_conformance.drivers.wire.voltdb import (
    SERVICE_DATABASE,
    AuthScheme,
    Login,
    LoginStatus,
    password_digest,
)
from dbapi_conformance.mockservers.base import UsageError

__all__ = ["UserStore", "UserSpec", "accounts_from_specs"]


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


class UserSpec(argparse.Action):
    """Collects --user and the password options in command-line order, so that each
    password belongs to the --user before it."""

    def __call__(self, parser, namespace, value, option_string=None):
        specs = list(getattr(namespace, self.dest, None) or [])
        specs.append((option_string, value))
        setattr(namespace, self.dest, specs)


def accounts_from_specs(specs: list[tuple[str, str]]) -> dict[str, str]:
    """user -> password from the collected ``(option, value)`` pairs (reading variables
    and files); UsageError for a password without a --user, a user without a password or
    with two, a variable that is not set or a file that cannot be read."""
    accounts: dict[str, str | None] = {}
    current = None
    for option, value in specs:
        if option == "--user":
            if value in accounts:
                raise UsageError(f"--user {value} is given twice")
            accounts[value] = None
            current = value
            continue
        if current is None:
            raise UsageError(f"{option} needs a --user before it")
        if accounts[current] is not None:
            raise UsageError(f"--user {current} has two passwords")
        if option == "--password-env":
            password = os.environ.get(value)
            if password is None:
                raise UsageError(f"--password-env {value}: the variable is not set")
        elif option == "--password-file":
            try:
                with open(value, encoding="utf-8") as f:
                    password = f.readline().rstrip("\r\n")
            except OSError as exc:
                raise UsageError(f"--password-file {value}: {exc.strerror}") from None
            except UnicodeDecodeError:
                raise UsageError(f"--password-file {value}: not UTF-8 text") from None
        else:
            password = value
        accounts[current] = password
    for name, password in accounts.items():
        if password is None:
            raise UsageError(f"--user {name} needs a password (--password-env, "
                             "--password-file or --password)")
    return accounts  # type: ignore[return-value]
