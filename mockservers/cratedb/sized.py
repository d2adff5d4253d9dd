"""Writes to VARCHAR(n) and CHARACTER(n) columns, checked and padded as CrateDB stores them.

CrateDB checks a text value when it stores it (crate/crate ``StringType`` and
``CharacterType.valueForInsert``): a value longer than ``n`` fails with
``'<value>' is too long for the text type of length: n`` (``character type`` for
CHARACTER; the value cut to 20 characters plus ``...``), an SQLParseException, unless the
excess is all blanks, which is cut off. CHARACTER(n) values are blank padded to ``n``;
comparisons with a CHARACTER column ignore trailing blanks (its equality query strips
them). An explicit cast is not a write: it cuts a longer value to ``n`` without an error
(and CHARACTER pads a shorter one).

The mock wraps each value that an INSERT or UPDATE writes into such a column in a DuckDB
expression doing the same; a failure raises through DuckDB's ``error()`` and
:func:`too_long` (used by errors.py) turns it back into CrateDB's error. CrateDB skips the
failing rows of a multi-row INSERT and of an INSERT ... SELECT silently (cratedb.md 7.3;
``insert_select_fail_fast`` is off by default), so there the rows (the VALUES, or the
query) become a subquery that leaves those rows out.
"""

from __future__ import annotations

import re

from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb.catalog import Relation
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType

__all__ = ["limit", "rewrite_writes", "rewrite_casts", "rewrite_character_comparisons",
           "too_long"]

_TOO_LONG = re.compile(r"'.*' is too long for the (text|character) type of length: \d+$",
                       re.DOTALL)
_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def limit(t: CrateType | None) -> tuple[str, int] | None:
    """``("text", n)`` for VARCHAR(n), ``("character", n)`` for CHARACTER(n) (``n`` is 1
    when not given), None for any other type."""
    if t is None:
        return None
    if t.id == DataType.TEXT and t.params:
        return "text", t.params[0]
    if t.id == DataType.CHARACTER:
        return "character", t.params[0] if t.params else 1
    return None


def too_long(message: str) -> str | None:
    """The CrateDB message inside an engine error raised by a failed check, else None."""
    m = _TOO_LONG.search(message)
    return m.group(0) if m else None


def _text(value: exp.Expression) -> exp.Expression:
    return exp.cast(value, "VARCHAR")


def _length(v: exp.Expression) -> exp.Expression:
    return exp.func("length", v.copy())


def _blank_excess(v: exp.Expression, n: int) -> exp.Expression:
    """Whether the characters after the n-th are all space separators (Java's
    ``Character.isSpaceChar``)."""
    return exp.func("regexp_full_match",
                    exp.func("substr", v.copy(), exp.Literal.number(n + 1)),
                    exp.Literal.string(r"\p{Zs}*"))


def _fits(value: exp.Expression, n: int) -> exp.Expression:
    v = _text(value)
    return exp.or_(exp.Is(this=v.copy(), expression=exp.Null()),
                   exp.LTE(this=_length(v), expression=exp.Literal.number(n)),
                   _blank_excess(v, n))


def _stored(value: exp.Expression, kind: str, n: int, check: bool) -> exp.Expression:
    """The value as stored: blank excess cut, CHARACTER padded; with ``check``, a value
    too long raises CrateDB's message."""
    v = _text(value)
    short = exp.LTE(this=_length(v), expression=exp.Literal.number(n))
    kept = exp.func("rpad", v.copy(), exp.Literal.number(n), exp.Literal.string(" ")) \
        if kind == "character" else v.copy()
    cut = exp.func("left", v.copy(), exp.Literal.number(n))
    ifs = [exp.If(this=short, true=kept)]
    if check:
        shown = exp.Case(ifs=[exp.If(
            this=exp.GT(this=_length(v), expression=exp.Literal.number(20)),
            true=exp.DPipe(this=exp.func("left", v.copy(), exp.Literal.number(20)),
                           expression=exp.Literal.string("...")))], default=v.copy())
        message = exp.DPipe(
            this=exp.DPipe(this=exp.Literal.string("'"), expression=shown),
            expression=exp.Literal.string(f"' is too long for the {kind} type of length: {n}"))
        ifs.append(exp.If(this=exp.not_(_blank_excess(v, n)),
                          true=exp.func("error", message)))
    return exp.Case(ifs=ifs, default=cut)


def rewrite_writes(tree: exp.Expression, target: Relation | None,
                   names: list[str] | None) -> None:
    """Check and pad the values an INSERT (``names``: its target columns) or an UPDATE
    writes into VARCHAR(n) / CHARACTER(n) columns of ``target``."""
    if target is None:
        return
    if isinstance(tree, exp.Update):
        for eq in tree.expressions:
            _wrap_assignment(eq, target)
        return
    if not isinstance(tree, exp.Insert) or names is None:
        return
    conflict = tree.args.get("conflict")
    for eq in (conflict.args.get("expressions") or []) if conflict is not None else []:
        _wrap_assignment(eq, target)
    limits = [limit(col.type) if col else None for col in map(target.column, names)]
    source = tree.expression
    if not any(limits) or source is None:
        return
    if not isinstance(source, exp.Values):
        # INSERT ... SELECT: CrateDB skips the rows that fail, as for a multi-row VALUES
        query = source.unnest() if isinstance(source, exp.Subquery) else source
        if isinstance(query, exp.Query):
            tree.set("expression", _filtered_rows(query, limits, len(limits)))
        return
    rows = source.expressions
    defaults = any(_is_default(v) for r in rows for v in r.find_all(exp.Var))
    if len(rows) > 1 and not defaults:  # DEFAULT cannot leave the VALUES of an INSERT
        tree.set("expression", _filtered_rows(source, limits))
        return
    for row in rows:
        values = row.expressions if isinstance(row, exp.Tuple) else [row]
        for value, lim in zip(values, limits):
            if lim is not None and not _is_default(value):
                value.replace(_stored(value.copy(), *lim, check=True))


def _is_default(e: exp.Expression) -> bool:
    return isinstance(e, exp.Var) and e.name.upper() == "DEFAULT"


def _wrap_assignment(eq: exp.Expression, target: Relation) -> None:
    if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
        col = target.column(eq.this.name)
        lim = limit(col.type) if col is not None else None
        if lim is not None:
            eq.set("expression", _stored(eq.expression.copy(), *lim, check=True))


def _filtered_rows(source: exp.Values | exp.Query, limits: list,
                   width: int | None = None) -> exp.Expression:
    """``SELECT <stored values> FROM (VALUES ... | <query>) WHERE <every value fits>``
    (``width``: the columns of a query source; a VALUES tells its own)."""
    if width is None:
        width = len(source.expressions[0].expressions)
    names = [f"col{i}" for i in range(1, width + 1)]
    alias = exp.TableAlias(this=exp.to_identifier("_rows", quoted=True),
                           columns=[exp.to_identifier(n, quoted=True) for n in names])
    if isinstance(source, exp.Values):
        rows = source.copy()
        rows.set("alias", alias)
    else:
        rows = exp.Subquery(this=source.copy(), alias=alias)
    projections, checks = [], []
    for i, name in enumerate(names):
        ref = exp.column(name, table="_rows", quoted=True)
        lim = limits[i] if i < len(limits) else None
        if lim is None:
            projections.append(ref)
            continue
        projections.append(exp.alias_(_stored(ref.copy(), *lim, check=False), name,
                                      quoted=True))
        checks.append(_fits(ref.copy(), lim[1]))
    return exp.select(*projections).from_(rows).where(exp.and_(*checks))


def rewrite_character_comparisons(tree: exp.Expression, column_type) -> None:
    """Compare CHARACTER columns without their blank padding (both sides right-trimmed).
    ``column_type``: the translator's Column -> CrateType lookup."""
    def is_character(e):
        return isinstance(e, exp.Column) and (t := column_type(e)) is not None and \
            t.id == DataType.CHARACTER

    def trimmed(e):
        return exp.func("rtrim", _text(e.copy()), exp.Literal.string(" "))

    for node in list(tree.find_all(*_COMPARISONS, exp.In)):
        if isinstance(node.parent, (exp.Update, exp.OnConflict)) and \
                node.arg_key == "expressions":
            continue  # SET col = value is an assignment
        if isinstance(node, exp.In):
            if is_character(node.this) and node.expressions:
                node.set("this", trimmed(node.this))
                node.set("expressions", [trimmed(e) for e in node.expressions])
        elif is_character(node.this) or is_character(node.expression):
            node.set("this", trimmed(node.this))
            node.set("expression", trimmed(node.expression))


def rewrite_casts(tree: exp.Expression, cast_type) -> None:
    """``CAST(x AS VARCHAR(n))`` cuts to n characters, ``CAST(x AS CHARACTER(n))`` also
    pads to n (``explicitCast``). ``cast_type``: the translator's lookup of a cast's
    sqlglot type -> CrateType."""
    for node in list(tree.find_all(exp.Cast, exp.TryCast)):
        lim = limit(cast_type(node.to))
        if lim is None:
            continue
        kind, n = lim
        text = _text(node.this.copy())
        fn = "rpad" if kind == "character" else "left"
        args = [text, exp.Literal.number(n)] + ([exp.Literal.string(" ")] if fn == "rpad" else [])
        node.replace(exp.func(fn, *args))
