"""SQL text helpers: statement splitting, the leading verb, parameters replaced by NULL."""

from __future__ import annotations

import re
import sqlite3

#: Verbs of statements that only read; any other statement opens a transaction first.
READ_VERBS = frozenset({"SELECT", "VALUES", "EXPLAIN"})
#: Verbs whose result columns the driver can describe through a probe view.
QUERY_VERBS = frozenset({"SELECT", "VALUES", "WITH"})

_VERB = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/|\()*([A-Za-z]+)", re.S)
_TOKENS = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\]|--[^\n]*|/\*.*?\*/"""
    r"""|(\?\d*|[:@$][A-Za-z_][A-Za-z0-9_]*)""",
    re.S,
)


def split_statements(text: str) -> list[str]:
    """The statements of ``text`` separated by ``;`` (outside literals and comments),
    without the separators; empty statements are dropped."""
    statements: list[str] = []
    start = 0
    for index, char in enumerate(text):
        if char == ";" and sqlite3.complete_statement(text[start:index + 1]):
            piece = text[start:index].strip()
            if piece:
                statements.append(piece)
            start = index + 1
    rest = text[start:].strip()
    if rest:
        statements.append(rest)
    return statements


def verb(statement: str) -> str:
    """The first keyword of ``statement`` upper-cased (comments skipped), or ""."""
    match = _VERB.match(statement)
    return match.group(1).upper() if match else ""


def without_parameters(statement: str) -> str:
    """``statement`` with every placeholder (``?``, ``?1``, ``:name``, ``@name``, ``$name``)
    outside literals, quoted names and comments replaced by ``NULL``."""
    return _TOKENS.sub(lambda m: "NULL" if m.group(1) else m.group(0), statement)
