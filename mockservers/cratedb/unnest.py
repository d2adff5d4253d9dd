"""``unnest(array [, array ...])`` as a table function in FROM, as CrateDB has it.

CrateDB (crate/crate ``UnnestFunction``, ``docs/general/builtins/table-functions.rst``,
``TableFunctionITest``):

- each array argument gives one column; shorter arrays are padded with NULL;
- nested arrays are flattened (``unnest([[1, 2], [3]])`` gives 1, 2, 3);
- one argument: the column is named ``unnest``, or after the table alias
  (``FROM unnest([1, 2]) AS f`` gives column ``f``), or after the first column alias;
- several arguments: ``col1``, ``col2``, ... unless a column alias names them
  (``AS f(a)`` gives ``a``, ``col2``);
- it is the way CrateDB documents bulk inserts:
  ``INSERT INTO t (a, b) (SELECT * FROM unnest(?, ?))`` with one array per column, so
  each array parameter is converted for the type of its target column.

DuckDB zips several ``unnest`` calls of one select list the same way (NULL padding), so a
FROM-position ``unnest(a, b)`` becomes ``(SELECT unnest(a) AS col1, unnest(b) AS col2)``.
"""

from __future__ import annotations

from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType

__all__ = ["rewrite_from_unnest", "insert_source_arrays", "array_of"]


def _in_from(node: exp.Unnest) -> bool:
    return isinstance(node.parent, (exp.From, exp.Join)) and node.parent.this is node


def _column_names(node: exp.Unnest) -> tuple[str, list[str]]:
    """(relation name, column names) of a FROM-position unnest, as CrateDB names them."""
    alias = node.args.get("alias")
    relation = alias.name if alias is not None and alias.name else "unnest"
    given = [c.name for c in alias.columns] if alias is not None else []
    width = len(node.expressions)
    if width == 1:
        return relation, [given[0] if given else relation]
    return relation, [given[i] if i < len(given) else f"col{i + 1}" for i in range(width)]


def rewrite_from_unnest(tree: exp.Expression) -> None:
    """Replace every ``unnest(...)`` used as a relation (FROM or JOIN) by a subquery that
    DuckDB runs with CrateDB's column names and flattening. ``tree`` is mutated."""
    for node in list(tree.find_all(exp.Unnest)):
        if not _in_from(node) or not node.expressions:
            continue
        relation, names = _column_names(node)
        columns = [
            exp.alias_(exp.Anonymous(this="unnest", expressions=[
                arg.copy(), exp.PropertyEQ(this=exp.var("recursive"), expression=exp.true())]),
                exp.to_identifier(name, quoted=True))
            for arg, name in zip(node.expressions, names)]
        sub = exp.select(*columns).subquery(exp.to_identifier(relation, quoted=True))
        node.replace(sub)


def insert_source_arrays(tree: exp.Insert) -> list[exp.Expression]:
    """The unnest arguments feeding an ``INSERT ... (SELECT * FROM unnest(a, b, ...))``,
    one per target column in order; [] for any other INSERT source."""
    source = tree.expression
    while isinstance(source, (exp.Subquery, exp.Paren)):
        source = source.this
    if not isinstance(source, exp.Select) or source.args.get("joins"):
        return []
    from_ = source.args.get("from_")
    node = from_.this if from_ is not None else None
    if not isinstance(node, exp.Unnest) or [type(e) for e in source.expressions] != [exp.Star]:
        return []
    return list(node.expressions)


def array_of(t: CrateType | None) -> CrateType | None:
    """ARRAY(t): the type a parameter array has when each of its items meets ``t``."""
    return None if t is None else CrateType(DataType.ARRAY, t)
