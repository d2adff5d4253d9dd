"""Nullability of result columns that come straight from one table (Session.infer_null_ok).

DuckDB does not report nullability for result columns; a statement simple enough to trace
(one table, plain column references) gets the table columns' NOT NULL flags.
"""

from __future__ import annotations

from sqlglot import exp

from dbapi_conformance.mockservers.engine import errors
from dbapi_conformance.mockservers.engine.translate import parse
from dbapi_conformance.mockservers.engine.types import Column

__all__ = ["infer"]


def _single_table(tree: exp.Expression) -> exp.Table | None:
    if not isinstance(tree, exp.Select):
        return None
    if any(tree.args.get(k) for k in ("joins", "group", "with_", "with", "laterals")):
        return None
    source = tree.args.get("from_") or tree.args.get("from")
    table = source.this if source is not None else None
    return table if isinstance(table, exp.Table) and table.name else None


def infer(session, sql: str, columns: list[Column]) -> list[Column]:
    try:
        tree = parse(sql, read="duckdb")
    except errors.EngineError:
        return columns
    table = _single_table(tree)
    if table is None:
        return columns
    try:
        table_cols = session.table_columns(table.db or None, table.name)
    except errors.EngineError:
        return columns
    by_name = {c.name.lower(): c.null_ok for c in table_cols}
    projections = tree.expressions
    if len(projections) == 1 and isinstance(projections[0], exp.Star):
        if [c.name for c in columns] != [c.name for c in table_cols]:
            return columns
        return [c._replace(null_ok=t.null_ok) for c, t in zip(columns, table_cols)]
    if len(projections) != len(columns):
        return columns
    out = []
    for col, projection in zip(columns, projections):
        source = projection.this if isinstance(projection, exp.Alias) else projection
        if isinstance(source, exp.Column) and not isinstance(source.this, exp.Star):
            col = col._replace(null_ok=by_name.get(source.name.lower()))
        out.append(col)
    return out
