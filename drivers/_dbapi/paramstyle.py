"""Find and convert PEP 249 parameter placeholders, skipping literals and comments.

PEP 249 ``paramstyle`` values (GLB-PARAM-1) and what they look like in SQL text:

- ``qmark``: ``?``; ``numeric``: ``:1``; ``named``: ``:name``; ``format``: ``%s``;
  ``pyformat``: ``%(name)s``. In ``format`` and ``pyformat`` SQL, ``%%`` stands for ``%``.
- ``dollar`` (not a PEP 249 style): ``$1``, as PostgreSQL-like servers take it.

Placeholders inside string literals (``'...'``, with ``''`` for a quote; optionally
``E'...'`` with backslash escapes), quoted identifiers (``"..."``), ``-- line`` and
``/* block */`` comments are text, not parameters (CUR-EXEC-5). An unterminated literal or
comment runs to the end of the text (the server reports the syntax error).

:func:`to_positional` turns SQL in any style plus its parameters into positional form
(``?``, ``:n`` or ``$n`` markers and a list of values), never putting a value into the
SQL text; :func:`rewrite` (cached) and :func:`pick` do the same in two steps, so that one
statement can be bound to many parameter sets. Wrong parameter counts, missing names and
wrong container types raise ``ProgrammingError`` (EXC-PROG-1).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Iterable

from dbapi_conformance.drivers._dbapi.exceptions import ProgrammingError

__all__ = [
    "STYLES",
    "TARGETS",
    "Placeholder",
    "Scanner",
    "as_mapping",
    "as_sequence",
    "find_placeholders",
    "is_mapping",
    "pick",
    "rewrite",
    "to_positional",
]

#: The PEP 249 paramstyles.
STYLES = ("qmark", "numeric", "named", "format", "pyformat")
#: Output markers of :func:`to_positional`.
TARGETS = ("qmark", "numeric", "dollar")

_PATTERNS = {
    "qmark": r"(?P<qmark>\?)",
    "numeric": r"(?<![:\w]):(?P<numeric>\d+)",
    "named": r"(?<![:\w]):(?P<named>[^\W\d]\w*)",
    "format": r"(?P<percent>%%)|%(?P<format>s)",
    "pyformat": r"(?P<percent>%%)|%\((?P<pyformat>[^)]*)\)s",
    "dollar": r"(?<![\w$])\$(?P<dollar>\d+)",
}
_QUOTED = r"'[^']*(?:''[^']*)*(?:'|\Z)"
_QUOTED_BACKSLASH = r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*(?:'|\Z)"
_SKIP = [
    r'"[^"]*(?:""[^"]*)*(?:"|\Z)',  # quoted identifier
    r"--[^\n]*",  # line comment
    r"/\*.*?(?:\*/|\Z)",  # block comment
]


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One placeholder at ``sql[start:end]``.

    ``style`` is the style that matched ("qmark", ..., "dollar") or "percent" for a ``%%``
    escape. ``key`` is None for qmark/format/percent, the 1-based int for numeric/dollar,
    the name for named/pyformat.
    """

    start: int
    end: int
    style: str
    key: int | str | None


class Scanner:
    """Finds the placeholders of one or more styles in SQL text.

    ``Scanner(("qmark", "dollar"), e_strings=True)``: ``e_strings`` treats ``E'...'`` as a
    literal with backslash escapes (PostgreSQL-like); ``backslash_escapes`` does so for
    every ``'...'`` literal (MySQL-like dialects). Results are cached per SQL text.
    """

    def __init__(
        self,
        styles: Iterable[str] = ("qmark",),
        *,
        e_strings: bool = False,
        backslash_escapes: bool = False,
    ):
        self.styles = tuple(styles)
        if not self.styles:
            raise ValueError("Scanner needs at least one style")
        skip = list(_SKIP)
        skip.insert(0, _QUOTED_BACKSLASH if backslash_escapes else _QUOTED)
        if e_strings:
            skip.insert(0, r"(?<![\w$])[Ee]" + _QUOTED_BACKSLASH)
        alternatives = ["(?P<skip>" + "|".join(skip) + ")"]
        for style in self.styles:
            if style not in _PATTERNS:
                raise ValueError(f"unknown placeholder style {style!r}")
            pattern = _PATTERNS[style]
            if "(?P<percent>" in pattern and any("(?P<percent>" in a for a in alternatives):
                pattern = pattern.split("|", 1)[1]  # format and pyformat share %%
            alternatives.append(pattern)
        self._regex = re.compile("|".join(alternatives), re.DOTALL)
        self.find = functools.lru_cache(maxsize=1024)(self._find)

    def _find(self, sql: str) -> tuple[Placeholder, ...]:
        found = []
        for match in self._regex.finditer(sql):
            kind = match.lastgroup
            if kind == "skip":
                continue
            text = match.group(kind)
            if kind in ("numeric", "dollar"):
                key: int | str | None = int(text)
            elif kind in ("named", "pyformat"):
                key = text
            else:
                key = None
            found.append(Placeholder(match.start(), match.end(), kind, key))
        return tuple(found)


@functools.lru_cache(maxsize=None)
def _scanner(style: str, e_strings: bool, backslash_escapes: bool) -> Scanner:
    return Scanner((style,), e_strings=e_strings, backslash_escapes=backslash_escapes)


def find_placeholders(
    sql: str, style: str, *, e_strings: bool = False, backslash_escapes: bool = False
) -> tuple[Placeholder, ...]:
    """The placeholders (and ``%%`` escapes) of ``style`` in ``sql``, left to right."""
    if style not in _PATTERNS:
        raise ProgrammingError(f"unknown paramstyle {style!r}; expected one of {STYLES}")
    return _scanner(style, e_strings, backslash_escapes).find(sql)


def as_sequence(parameters: Any, style: str = "qmark") -> list:
    """``parameters`` as a list for a positional ``style`` (None -> []). Accepts any
    sequence, including objects with only ``__getitem__`` (CUR-EXEC-3); raises
    ProgrammingError for str/bytes, mappings and non-sequences."""
    if parameters is None:
        return []
    if isinstance(parameters, (str, bytes, bytearray, Mapping)):
        raise ProgrammingError(
            f"paramstyle {style!r} takes a sequence of parameters, "
            f"not {type(parameters).__name__}"
        )
    try:
        return list(parameters)  # also walks objects that only have __getitem__
    except Exception as exc:
        raise ProgrammingError(
            f"parameters must be a sequence, not {type(parameters).__name__} ({exc!r})"
        ) from exc


def as_mapping(parameters: Any, style: str = "named") -> Any:
    """``parameters`` for a named ``style`` (None -> {}): anything with ``__getitem__``
    except str/bytes/list/tuple; raises ProgrammingError otherwise."""
    if parameters is None:
        return {}
    if isinstance(parameters, (str, bytes, bytearray, list, tuple)) or not hasattr(
        parameters, "__getitem__"
    ):
        raise ProgrammingError(
            f"paramstyle {style!r} takes a mapping of parameters, "
            f"not {type(parameters).__name__}"
        )
    return parameters


def is_mapping(parameters: Any) -> bool:
    """True for parameters bound by name: a Mapping, or an object with ``keys`` and
    ``__getitem__`` (footnote 5 of PEP 249)."""
    if isinstance(parameters, Mapping):
        return True
    return (
        hasattr(parameters, "keys")
        and hasattr(parameters, "__getitem__")
        and not isinstance(parameters, (str, bytes, bytearray, list, tuple))
    )


def _marker(target: str, number: int) -> str:
    if target == "qmark":
        return "?"
    if target == "numeric":
        return f":{number}"
    return f"${number}"


@functools.lru_cache(maxsize=1024)
def rewrite(
    sql: str,
    style: str,
    target: str = "qmark",
    *,
    e_strings: bool = False,
    backslash_escapes: bool = False,
) -> tuple[str, tuple]:
    """``sql`` in ``style`` rewritten with ``target`` markers, and the key of each value
    the new SQL needs, in order: the 0-based slot for qmark/format, the 1-based number for
    numeric, the name for named/pyformat. Compile once, then bind many parameter sets with
    :func:`pick`. ``target`` "qmark" repeats a key each time its placeholder repeats;
    "numeric" (``:n``) and "dollar" (``$n``) number each distinct key once. ``%%`` becomes
    ``%`` in format/pyformat SQL (outside literals and comments).
    """
    if target not in TARGETS:
        raise ProgrammingError(f"unknown target {target!r}; expected one of {TARGETS}")
    found = find_placeholders(sql, style, e_strings=e_strings, backslash_escapes=backslash_escapes)
    if not found:
        return sql, ()
    pieces: list[str] = []
    keys: list = []
    numbers: dict[Any, int] = {}
    slot = 0
    last = 0
    for p in found:
        pieces.append(sql[last : p.start])
        last = p.end
        if p.style == "percent":
            pieces.append("%")
            continue
        if style in ("qmark", "format"):
            key: Any = slot
            slot += 1
        else:
            key = p.key
        if target == "qmark":
            keys.append(key)
            pieces.append("?")
            continue
        if key not in numbers:
            numbers[key] = len(numbers) + 1
            keys.append(key)
        pieces.append(_marker(target, numbers[key]))
    pieces.append(sql[last:])
    return "".join(pieces), tuple(keys)


def pick(parameters: Any, keys: tuple, style: str = "named") -> list:
    """The values of ``keys`` (from :func:`rewrite`) in ``parameters``: names are looked up
    with ``__getitem__`` (unused keys are fine); raises ProgrammingError for a missing one.
    """
    given = as_mapping(parameters, style)
    try:
        return [given[key] for key in keys]
    except (KeyError, IndexError, TypeError) as exc:
        raise ProgrammingError(f"no parameter named {exc.args[0]!r} was given") from None


def to_positional(
    sql: str,
    style: str,
    parameters: Any = None,
    *,
    target: str = "qmark",
    e_strings: bool = False,
    backslash_escapes: bool = False,
) -> tuple[str, list]:
    """Rewrite ``sql`` written in ``style`` into positional markers; return (sql, values).

    - qmark/format: ``parameters`` is a sequence (``__getitem__``/iteration, not a str or
      mapping) with exactly one value per placeholder.
    - numeric: a sequence; every ``:n`` must be 1..len and every value must be used.
    - named/pyformat: a mapping (``__getitem__`` by name; unused keys are allowed).
    - ``target`` and ``%%``: as in :func:`rewrite`.

    Raises ProgrammingError for a count mismatch, a missing name, an index out of range or
    a wrong container type.
    """
    out_sql, keys = rewrite(
        sql, style, target, e_strings=e_strings, backslash_escapes=backslash_escapes
    )
    if style in ("named", "pyformat"):
        return out_sql, pick(parameters, keys, style)
    given = as_sequence(parameters, style)
    if style == "numeric":
        used = set(keys)
        bad = sorted(k for k in used if not 1 <= k <= len(given))
        if bad:
            raise ProgrammingError(
                f"placeholder :{bad[0]} has no parameter ({len(given)} were given)"
            )
        if len(used) != len(given):
            raise ProgrammingError(
                f"{len(given)} parameter(s) were given but the statement uses {len(used)}"
            )
        return out_sql, [given[k - 1] for k in keys]
    if len(keys) != len(given):
        raise ProgrammingError(
            f"the statement has {len(keys)} placeholder(s) but {len(given)} "
            "parameter(s) were given"
        )
    return out_sql, given if target == "qmark" else [given[k] for k in keys]
