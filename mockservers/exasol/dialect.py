"""AST rules that turn Exasol semantics into DuckDB's (used by translate.py).

Sources: Exasol's SQL reference (identifiers, data type aliases) as summarised in
protocols/exasol.md 5.1 and 5.4.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

__all__ = ["normalize", "placeholder_hints", "unqualified_tables", "name_columns",
           "guard_division", "DIVISION_BY_ZERO",
           "map_types", "map_functions", "number_placeholders"]

T = exp.DataType.Type


def _decimal(precision: int, scale: int = 0) -> exp.DataType:
    return exp.DataType.build(f"DECIMAL({precision},{scale})")


# Exasol's type aliases (SQL reference, "Data type aliases")
_ALIASES = {
    T.TINYINT: lambda: _decimal(3), T.SMALLINT: lambda: _decimal(9),
    T.INT: lambda: _decimal(18), T.BIGINT: lambda: _decimal(36),
    T.FLOAT: lambda: exp.DataType.build("DOUBLE"),
    T.DOUBLE: lambda: exp.DataType.build("DOUBLE"),
}
_TEXT = {T.CHAR, T.NCHAR, T.VARCHAR, T.NVARCHAR, T.TEXT, T.BPCHAR}


def normalize(tree: exp.Expression) -> exp.Expression:
    """Unquoted identifiers upper-cased, as Exasol stores them."""
    return normalize_identifiers(tree, dialect="exasol")


def map_types(tree: exp.Expression) -> None:
    """Exasol type names -> the DuckDB types with the same values (in place)."""
    for node in list(tree.find_all(exp.DataType)):
        kind = node.this
        if kind in _ALIASES:
            node.replace(_ALIASES[kind]())
        elif kind == T.DECIMAL and not node.expressions:
            node.replace(_decimal(18))
        elif kind == T.DECIMAL and len(node.expressions) == 1:
            node.set("expressions", [*node.expressions, exp.DataTypeParam(
                this=exp.Literal.number(0))])
        elif kind in _TEXT:
            node.replace(exp.DataType.build("VARCHAR"))


#: DuckDB session variables holding what Exasol's session functions return (handler.py
#: sets them when a session opens).
USER_VARIABLE = "EXA_CURRENT_USER"
SESSION_VARIABLE = "EXA_CURRENT_SESSION"


def _variable(name: str, type_: str) -> exp.Expression:
    return exp.Cast(this=exp.Anonymous(this="getvariable", expressions=[
        exp.Literal.string(name)]), to=exp.DataType.build(type_))


def map_functions(tree: exp.Expression) -> None:
    """Exasol's session functions and niladic names DuckDB lacks: CURRENT_USER/USER (the
    logged-in user), CURRENT_SESSION, SYSDATE, SYSTIMESTAMP."""
    for node in list(tree.find_all(exp.CurrentUser, exp.Column, exp.Anonymous)):
        if isinstance(node, exp.CurrentUser):
            node.replace(_variable(USER_VARIABLE, "VARCHAR"))
            continue
        if isinstance(node, exp.Column) and (node.table or node.this.quoted):
            continue
        name = node.name.upper()
        if isinstance(node, exp.Anonymous) and (node.expressions or name != "SYSTIMESTAMP"):
            continue
        if name == "CURRENT_SESSION":
            node.replace(_variable(SESSION_VARIABLE, "DECIMAL(20,0)"))
        elif name == "SYSDATE":
            node.replace(exp.CurrentDate())
        elif name in ("SYSTIMESTAMP", "LOCALTIMESTAMP"):
            node.replace(exp.Cast(this=exp.CurrentTimestamp(),
                                  to=exp.DataType.build("TIMESTAMP")))
    for node in list(tree.find_all(exp.Func)):
        if type(node).__name__ == "Systimestamp":
            node.replace(exp.Cast(this=exp.CurrentTimestamp(),
                                  to=exp.DataType.build("TIMESTAMP")))
    # as function calls: DuckDB takes a bare CURRENT_TIMESTAMP aliased "CURRENT_TIMESTAMP"
    # for a reference to that alias
    for node in list(tree.find_all(exp.CurrentTimestamp, exp.CurrentDate)):
        name = "get_current_timestamp" if isinstance(node, exp.CurrentTimestamp) else "today"
        node.replace(exp.Anonymous(this=name, expressions=[]))


#: The text DuckDB's error() raises for a division by zero (errors.py maps it to 22012).
DIVISION_BY_ZERO = "data exception - division by zero"


def guard_division(tree: exp.Expression) -> None:
    """``a / b`` fails for ``b = 0`` as in Exasol (DuckDB returns NULL or infinity)."""
    for div in list(tree.find_all(exp.Div)):
        divisor = div.expression
        if isinstance(divisor, exp.Literal) and not divisor.is_string and divisor.this not in (
                "0", "0.0"):
            continue  # a non-zero constant needs no guard
        guarded = exp.Case(ifs=[exp.If(
            this=exp.EQ(this=divisor.copy(), expression=exp.Literal.number(0)),
            true=exp.Anonymous(this="error",
                               expressions=[exp.Literal.string(DIVISION_BY_ZERO)]))],
            default=divisor.copy())
        div.set("expression", guarded)


_NILADIC = frozenset({"CURRENT_SESSION", "SYSDATE", "SYSTIMESTAMP", "LOCALTIMESTAMP"})


def name_columns(tree: exp.Expression) -> None:
    """Name each unnamed select expression after its text, as Exasol does
    (``SELECT COUNT(*)`` -> column ``COUNT(*)``)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    named = []
    for proj in select.expressions:
        niladic = isinstance(proj, exp.Column) and not proj.table and (
            proj.name.upper() in _NILADIC)
        if isinstance(proj, (exp.Alias, exp.Star)) or (
                isinstance(proj, exp.Column) and not niladic):
            named.append(proj)
            continue
        text = proj.name.upper() if niladic else proj.sql(dialect="exasol")
        if text.endswith("()") and not proj.expressions:
            text = text[:-2]  # CURRENT_TIMESTAMP, SYSTIMESTAMP: named without parentheses
        named.append(exp.alias_(proj, exp.to_identifier(text, quoted=True), copy=False))
    select.set("expressions", named)


def number_placeholders(tree: exp.Expression) -> exp.Expression:
    """``?`` -> ``$1..$n`` in text order."""
    counter = [0]

    def number(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and not node.this:
            counter[0] += 1
            return exp.Parameter(this=exp.Literal.number(counter[0]))
        return node

    return tree.transform(number)


def _table_key(table: exp.Table) -> tuple[str | None, str]:
    return (table.db or None, table.name)


def _single_table(scope: exp.Expression) -> tuple[str | None, str] | None:
    tables = [t for t in scope.find_all(exp.Table) if t.name]
    if len({_table_key(t) for t in tables}) == 1:
        return _table_key(tables[0])
    return None


def placeholder_hints(tree: exp.Expression) -> list:
    """Per ``?`` in text order: ``((schema, table), column)`` of the column it is bound to,
    or None when that cannot be told (the parameter is then VARCHAR, read leniently)."""
    placeholders = [p for p in tree.find_all(exp.Placeholder, bfs=False) if not p.this]
    hints: dict[int, tuple] = {}
    if isinstance(tree, exp.Insert):
        target = tree.this
        table = target.this if isinstance(target, exp.Schema) else target
        columns = ([c.name for c in target.expressions] if isinstance(target, exp.Schema)
                   else None)
        values = tree.expression
        if isinstance(table, exp.Table) and isinstance(values, exp.Values):
            for row in values.expressions:
                for position, item in enumerate(getattr(row, "expressions", [])):
                    if isinstance(item, exp.Placeholder):
                        column = columns[position] if columns and position < len(
                            columns) else position
                        hints[id(item)] = (_table_key(table), column)
    default = _single_table(tree)
    if isinstance(tree, exp.Update) and isinstance(tree.this, exp.Table):
        default = _table_key(tree.this)
    for node in placeholders:
        if id(node) in hints:
            continue
        parent = node.parent
        if isinstance(parent, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Like)):
            other = parent.expression if parent.this is node else parent.this
            if isinstance(other, exp.Column) and default is not None:
                table = default
                if other.table:
                    table = _resolve_alias(tree, other.table) or table
                hints[id(node)] = (table, other.name)
        elif isinstance(parent, exp.In) and isinstance(parent.this, exp.Column) and default:
            hints[id(node)] = (default, parent.this.name)
    return [hints.get(id(p)) for p in placeholders]


def _resolve_alias(tree: exp.Expression, alias: str) -> tuple[str | None, str] | None:
    for table in tree.find_all(exp.Table):
        if table.alias_or_name == alias:
            return _table_key(table)
    return None


def unqualified_tables(tree: exp.Expression) -> tuple[str, ...]:
    """Names of tables referenced without a schema, CTE names excluded."""
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names = []
    for table in tree.find_all(exp.Table):
        if not table.db and table.name and table.name not in ctes:
            names.append(table.name)
    return tuple(dict.fromkeys(names))
