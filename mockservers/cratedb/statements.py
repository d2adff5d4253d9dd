"""Statement text handling before any SQL parsing: tokens, one statement per request, ``?``.

CrateDB's HTTP endpoint takes exactly one statement; a single trailing ``;`` and comments
are fine, a second statement is a ParsingException (cratedb.md 1.1). ``?`` placeholders are
numbered left to right with their own counter, next to ``$n`` (5.4); :func:`number_qmarks`
turns each ``?`` into ``$n`` on the token positions, so only ``$n`` reaches the SQL parser.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

from sqlglot import errors as sqlglot_errors

from dbapi_conformance.mockservers.cratedb.dialect import CrateDB
from dbapi_conformance.mockservers.cratedb.errors import CrateError, parsing_error

__all__ = ["Tok", "Statement", "StatementCache", "split", "number_qmarks", "position"]



class _Tokenizer(CrateDB.Tokenizer):
    # sqlglot folds the rest of a "command" (SHOW, REFRESH, EXPLAIN...) into one string
    # token; CrateDB statements need every word.
    COMMANDS: set = set()


# A sqlglot Tokenizer keeps the text it is scanning on itself: one per thread, never shared
# between the worker threads that serve different connections.
_LOCAL = threading.local()


def _tokenizer() -> _Tokenizer:
    tokenizer = getattr(_LOCAL, "tokenizer", None)
    if tokenizer is None:
        tokenizer = _LOCAL.tokenizer = _Tokenizer()
    return tokenizer


_QUOTED = frozenset({"STRING", "IDENTIFIER", "NUMBER", "NATIONAL_STRING", "BIT_STRING",
                     "HEX_STRING", "BYTE_STRING", "RAW_STRING", "HEREDOC_STRING"})

# The statement keywords of CrateDB's grammar (SqlBaseParser.g4, rule ``statement``), used
# in the message of a statement that starts with anything else.
_EXPECTING = (
    "{'SELECT', 'DEALLOCATE', 'FETCH', 'END', 'WITH', 'CREATE', 'ALTER', 'KILL', 'CLOSE', "
    "'BEGIN', 'START', 'COMMIT', 'ANALYZE', 'DISCARD', 'EXPLAIN', 'SHOW', 'OPTIMIZE', "
    "'REFRESH', 'RESTORE', 'DROP', 'INSERT', 'VALUES', 'DELETE', 'UPDATE', 'SET', 'RESET', "
    "'COPY', 'GRANT', 'DENY', 'REVOKE', 'DECLARE', '('}"
)


@dataclass(frozen=True)
class Tok:
    """One token: sqlglot's ``kind`` name, ``value`` (unquoted text), ``raw`` source text
    and its ``start``/``end`` offsets (end exclusive)."""

    kind: str
    value: str
    raw: str
    start: int
    end: int

    @property
    def word(self) -> str:
        """Upper-cased value of an unquoted word, else ''."""
        if self.kind in _QUOTED:
            return ""
        v = self.value
        return v.upper() if v.replace("_", "a").isalnum() else ""


@dataclass(frozen=True)
class Statement:
    """One statement: ``text`` (no trailing ``;`` or space; leading space is kept, so that
    the tokens' offsets index it) and its tokens. Immutable: a :class:`StatementCache`
    hands the same one to every request with that text."""

    text: str
    toks: tuple[Tok, ...]

    @functools.cached_property
    def _words(self) -> tuple[str, ...]:
        return tuple(t.word for t in self.toks)

    @property
    def words(self) -> list[str]:
        """:attr:`Tok.word` of each token (a new list each time: callers may keep it)."""
        return list(self._words)

    def starts(self, *words: str) -> bool:
        ws = self._words
        return len(ws) >= len(words) and all(a == b for a, b in zip(ws, words))


def position(text: str, offset: int) -> tuple[int, int]:
    """(line, column), both 1-based, of a character offset, as CrateDB's parser counts."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def tokenize(text: str) -> list[Tok]:
    """Tokens of ``text``; raises a ParsingException CrateError for an unterminated string
    or comment."""
    try:
        raw = _tokenizer().tokenize(text)
    except sqlglot_errors.TokenError as exc:
        msg = str(exc)
        at = text.find(msg.split("'", 1)[1][:10]) if "'" in msg else 0
        line, col = position(text, max(at, 0))
        raise parsing_error(line, col, f"token recognition error at: '{text[max(at, 0):]}'") \
            from None
    out = []
    for t in raw:
        end = t.end + 1
        src = text[t.start:end]
        kind = t.token_type.name
        if kind not in _QUOTED and len(src.split()) > 1:
            # sqlglot joins some keyword pairs ("PRIMARY KEY", "ORDER BY"): one Tok per word
            for m in re.finditer(r"\S+", src):
                a, b = t.start + m.start(), t.start + m.end()
                out.append(Tok("VAR", text[a:b], text[a:b], a, b))
            continue
        out.append(Tok(kind, t.text, src, t.start, end))
    return out


def split(text: str) -> Statement:
    """The one statement of a request's ``stmt``.

    Accepts a trailing ``;`` (and an empty or comment-only text: a Statement without tokens).
    Raises ParsingException (4000) when a second statement follows, with the position of its
    first token: ``line 1:11: mismatched input 'select' expecting <EOF>``.
    """
    toks = tokenize(text)
    for i, t in enumerate(toks):
        if t.kind != "SEMICOLON":
            continue
        rest = [r for r in toks[i + 1:] if r.kind != "SEMICOLON"]
        if rest:
            line, col = position(text, rest[0].start)
            raise parsing_error(line, col, f"mismatched input '{rest[0].raw}' expecting <EOF>")
        return Statement(text[:t.start].rstrip(), tuple(toks[:i]))
    # Only trailing space goes: the tokens' offsets count from the text's first character.
    return Statement(text.rstrip(), tuple(toks))


class StatementCache:
    """:func:`split` remembered by request text: clients send the same statements again
    and again, and tokenizing is a good part of a point query's time. Bounded (the
    ``size`` texts used last are kept; texts longer than ``max_text`` characters are never
    kept) and thread-safe; one per server, so that servers share nothing. Texts that fail
    to split are not kept: each request gets its own error."""

    def __init__(self, size: int = 1024, max_text: int = 16 * 1024):
        self.size = size
        self.max_text = max_text
        self._items: OrderedDict[str, Statement] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def split(self, text: str) -> Statement:
        """The :func:`split` of ``text`` (the same object for the same text while kept)."""
        with self._lock:
            found = self._items.get(text)
            if found is not None:
                self._items.move_to_end(text)
                return found
        stmt = split(text)
        if len(text) <= self.max_text:
            with self._lock:
                self._items[text] = stmt
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return stmt


def not_a_statement(stmt: Statement) -> CrateError:
    """ParsingException for a statement starting with a word CrateDB's grammar lacks."""
    first = stmt.toks[0]
    line, col = position(stmt.text, first.start)
    return parsing_error(line, col, f"mismatched input '{first.raw}' expecting {_EXPECTING}")


def number_qmarks(stmt: Statement) -> str:
    """``stmt.text`` with every ``?`` placeholder replaced by ``$n`` (n counting the ``?``s
    from 1, left to right), as CrateDB numbers them (5.4)."""
    text, out, last, n = stmt.text, [], 0, 0
    for t in stmt.toks:
        if t.kind == "PLACEHOLDER" and t.raw == "?":
            n += 1
            out.append(text[last:t.start])
            out.append(f"${n}")
            last = t.end
    out.append(text[last:])
    return "".join(out)
