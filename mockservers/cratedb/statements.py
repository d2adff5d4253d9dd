"""Statement text handling before any SQL parsing: tokens, one statement per request, ``?``.

CrateDB's HTTP endpoint takes exactly one statement; a single trailing ``;`` and comments
are fine, a second statement is a ParsingException (cratedb.md 1.1). ``?`` placeholders are
numbered left to right with their own counter, next to ``$n`` (5.4); :func:`number_qmarks`
turns each ``?`` into ``$n`` on the token positions, so only ``$n`` reaches the SQL parser.
Dollar-quoted strings (CrateDB >= 5.2) are rewritten as single-quoted ones first
(:func:`dollar_quotes_as_strings`), so for the tokenizer ``$`` always starts a ``$n``.
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

__all__ = ["Tok", "Statement", "StatementCache", "split", "number_qmarks", "position",
           "expression_depth"]



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

    @functools.cached_property
    def depth(self) -> int:
        """:func:`expression_depth` of the tokens, worked out once per (cached) statement."""
        return expression_depth(self.toks)

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


# What the scan for dollar-quoted strings steps over whole (quoted strings and identifiers,
# comments), and the opening ``$tag$`` (SqlBaseLexer.g4: ``'$' TAG? '$'``, TAG an identifier)
_LEXEMES = re.compile(r"""(?P<skip>E'(?:[^'\\]|''|\\.)*'|'(?:[^']|'')*'|"(?:[^"]|"")*"|"""
                      r"""`(?:[^`]|``)*`|--[^\n]*|/\*.*?\*/)"""
                      r"|(?P<dollar>\$(?:[A-Za-z_][A-Za-z0-9_@]*)?\$)", re.DOTALL)


_OPENING = re.compile(r"\$[A-Za-z_$]")


def dollar_quotes_as_strings(text: str) -> str:
    """``text`` with each dollar-quoted string (``$$it's$$``, ``$tag$...$tag$``; CrateDB
    >= 5.2) written as the equal single-quoted string, so that ``$`` is left for ``$n``
    parameters. Raises ParsingException for one that is not closed."""
    if _OPENING.search(text) is None:  # most statements: none, or only $n parameters
        return text
    out, pos = [], 0
    for m in _LEXEMES.finditer(text):
        if m.start() < pos or m.group("dollar") is None:
            continue
        tag = m.group("dollar")
        close = text.find(tag, m.end())
        if close < 0:
            line, col = position(text, m.start())
            raise parsing_error(line, col, f"token recognition error at: '{text[m.start():]}'")
        body = text[m.end():close]
        out.append(text[pos:m.start()])
        out.append("'" + body.replace("'", "''") + "'")
        pos = close + len(tag)
    out.append(text[pos:])
    return "".join(out)


def split(text: str) -> Statement:
    """The one statement of a request's ``stmt`` (dollar-quoted strings already rewritten
    as quoted ones: the tokens' offsets index :attr:`Statement.text`).

    Accepts a trailing ``;`` (and an empty or comment-only text: a Statement without tokens).
    Raises ParsingException (4000) when a second statement follows, with the position of its
    first token: ``line 1:11: mismatched input 'select' expecting <EOF>``; and for a ``$``
    that starts neither a parameter nor a dollar-quoted string.
    """
    text = dollar_quotes_as_strings(text)
    toks = tokenize(text)
    for t, nxt in zip(toks, toks[1:]):
        if t.kind == "PARAMETER" and nxt.start == t.end and nxt.kind != "NUMBER":
            line, col = position(text, t.start)
            raise parsing_error(line, col, f"no viable alternative at input '{t.raw}{nxt.raw}'")
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

    def peek(self, text: str) -> Statement | None:
        """The kept :func:`split` of ``text``, or None; splits nothing."""
        with self._lock:
            return self._items.get(text)

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


# Binary operators: a run of them builds a left-deep tree, one level per operator.
_OPERATORS = frozenset({"PLUS", "DASH", "STAR", "SLASH", "MOD", "DIV", "DPIPE", "CARET",
                        "AMP", "PIPE", "EQ", "NEQ", "NULLSAFE_EQ", "LT", "LTE", "GT", "GTE",
                        "AND", "OR", "LIKE", "ILIKE", "DCOLON"})
_OPEN = frozenset({"L_PAREN", "L_BRACKET", "L_BRACE"})
_CLOSE = frozenset({"R_PAREN", "R_BRACKET", "R_BRACE"})


def expression_depth(toks: list[Tok]) -> int:
    """An estimate of the deepest expression tree of a statement: brackets opened plus the
    longest run of binary operators of one kind inside one bracket level and list item.
    Cheap (one pass over the tokens), so that a statement too deep to parse is refused
    before the parser recurses through it."""
    deepest = 0
    stack: list[dict[str, int]] = [{}]
    for t in toks:
        kind = t.kind
        if kind in _OPERATORS:
            counts = stack[-1]
            n = counts[kind] = counts.get(kind, 0) + 1
            if n + len(stack) > deepest:
                deepest = n + len(stack)
        elif kind in _OPEN:
            stack.append({})
            if len(stack) > deepest:
                deepest = len(stack)
        elif kind in _CLOSE:
            if len(stack) > 1:
                stack.pop()
        elif kind == "COMMA":
            stack[-1] = {}
    return deepest
