"""``dbapi-mock`` options every mock server shares: TLS files and users with their passwords.

Users: ``--user NAME`` (repeatable), each followed by its password from ``--password-env
VAR`` (an environment variable), ``--password-file PATH`` (the file's first line) or, where
a mock allows it, ``--password PW`` (readable by other local users in ``ps``). The options
are collected in command-line order (:func:`add_user_options`) so that each password
belongs to the ``--user`` before it, then read by :func:`read_accounts`. Every mistake is a
:class:`~dbapi_conformance.mockservers.base.UsageError` naming the option.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from dbapi_conformance.mockservers.base import UsageError

__all__ = ["add_tls_options", "check_files", "add_user_options", "read_accounts"]


def add_tls_options(parser, serves: str = "TLS") -> None:
    """``--tls-cert FILE`` and ``--tls-key FILE`` (PEM); ``serves``: what a certificate
    turns on, for the help text ("TLS", "wss")."""
    parser.add_argument("--tls-cert", metavar="FILE", help=f"PEM certificate: serve {serves}")
    parser.add_argument("--tls-key", metavar="FILE", help="PEM private key of --tls-cert")


def check_files(args: argparse.Namespace, *options: str) -> None:
    """UsageError unless ``--tls-cert`` and ``--tls-key`` come together and every file
    option given (these two and ``options``, e.g. "--client-ca") names an existing file."""
    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    for option in ("--tls-cert", "--tls-key", *options):
        path = getattr(args, option.lstrip("-").replace("-", "_"))
        if path and not os.path.isfile(path):
            raise UsageError(f"{option} {path}: no such file")


class _UserSpec(argparse.Action):
    """Collects ``--user`` and the password options as ``(option, value)`` pairs in
    command-line order."""

    def __call__(self, parser, namespace, value, option_string=None):
        specs = list(getattr(namespace, self.dest, None) or [])
        specs.append((option_string, value))
        setattr(namespace, self.dest, specs)


_PASSWORD_OPTIONS = (
    ("--password-env", "VAR", "the preceding --user's password is in environment variable "
                              "VAR"),
    ("--password-file", "PATH", "the preceding --user's password is the first line of file "
                                "PATH"),
    ("--password", "PW", "the preceding --user's password (other local users can read it in "
                         "ps: prefer --password-env or --password-file)"),
)


def add_user_options(parser, title: str, description: str, user_help: str, *,
                     plain_password: bool = True):
    """An argument group ``title`` with ``--user`` (help ``user_help``) and the password
    options (``--password`` only when ``plain_password``), collected into
    ``args.user_specs``; returns the group, for a mock's own options."""
    group = parser.add_argument_group(title, description)
    options = _PASSWORD_OPTIONS if plain_password else _PASSWORD_OPTIONS[:2]
    for flag, metavar, text in (("--user", "NAME", user_help), *options):
        group.add_argument(flag, metavar=metavar, dest="user_specs", default=None,
                           action=_UserSpec, help=text)
    return group


def _read_password(option: str, value: str) -> str:
    if option == "--password-env":
        password = os.environ.get(value)
        if password is None:
            raise UsageError(f"--password-env {value}: the variable is not set")
        return password
    if option == "--password-file":
        try:
            with open(value, encoding="utf-8") as f:
                return f.readline().rstrip("\r\n")
        except OSError as exc:
            raise UsageError(f"--password-file {value}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--password-file {value}: not UTF-8 text") from None
    return value


def read_accounts(specs: list[tuple[str, str]] | None, *,
                  fold: Callable[[str], str] | None = None,
                  check_user: Callable[[str], None] | None = None,
                  need_password: bool = True) -> dict[str, str | None]:
    """user -> password from ``args.user_specs`` (variables and files read), in the order
    given; a user without a password maps to None when ``need_password`` is false.

    ``fold``: how user names compare (``str.upper`` where they are case-insensitive) for the
    "given twice" check; ``check_user``: raises UsageError for a name the mock reserves.
    UsageError for a password option without a ``--user`` before it, a user with two
    passwords or (``need_password``) none, an empty password, an unset variable or a file
    that cannot be read."""
    fold = fold or (lambda name: name)
    accounts: dict[str, str | None] = {}
    current = None
    for option, value in specs or ():
        if option == "--user":
            if check_user is not None:
                check_user(value)
            if fold(value) in (fold(a) for a in accounts):
                raise UsageError(f"--user {value} is given twice")
            accounts[value] = None
            current = value
            continue
        if current is None:
            raise UsageError(f"{option} needs a --user before it")
        if accounts[current] is not None:
            raise UsageError(f"--user {current} has two passwords")
        password = _read_password(option, value)
        if not password:
            raise UsageError(f"{option} {value}: the password of --user {current} is empty")
        accounts[current] = password
    if need_password:
        for name, password in accounts.items():
            if password is None:
                raise UsageError(f"--user {name} needs a password: a --password-env or "
                                 "--password-file after it")
    return accounts
