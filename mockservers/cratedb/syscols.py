"""CrateDB's system columns of user tables: ``_id``, ``_seq_no``, ``_primary_term``,
``_version``, ``_score``, ``_docid`` (crate/crate ``docs/general/ddl/system-columns.rst``,
``docs/general/occ.rst``, ``SysColumns``, ``Id``).

How the mock keeps them:

- ``_seq_no`` (0, 1, 2, ... from a sequence per table), ``_primary_term`` (1) and
  ``_version`` (1, +1 per write) are stored in hidden DuckDB columns; every UPDATE and
  ``ON CONFLICT DO UPDATE`` bumps ``_version`` and draws a new ``_seq_no``;
- ``_id`` is derived from the primary key at read time, as CrateDB derives it (``Id``): the
  key's text for a single column; for several columns the base64 text of their count and
  their UTF-8 values, each behind its length as a variable-length int, the clustered-by
  column first. A table without a primary key stores a random 20-character id;
- ``_score`` is 1.0 (no fulltext search ranks rows here); ``_docid`` is the row's position;
- none of them is part of ``SELECT *`` or of an INSERT without a column list.

WHERE clauses with ``_seq_no`` / ``_primary_term`` / ``_version`` are accepted only where
CrateDB accepts them: together, with ``=``, and with the whole primary key pinned
(VersioningValidationException otherwise), which is what optimistic concurrency control
(``UPDATE ... WHERE id = ? AND _seq_no = ? AND _primary_term = ?``) needs.
"""

from __future__ import annotations

from sqlglot import exp

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb.catalog import Relation
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["has_system_columns", "create_statements", "add_statements", "drop_statements",
           "migrate", "rewrite", "bump_versions", "pins_primary_key", "scope_tables",
           "nextval_sql"]

SEQ_NO, PRIMARY_TERM, VERSION, ID = "_seq_no", "_primary_term", "_version", "_id"
_VERSIONING = (SEQ_NO, PRIMARY_TERM, VERSION)
_COMPUTED = ("_score", "_docid")

# CrateDB's UUIDs.base64UUID(): 15 bytes as URL-safe base64, 20 characters
_RANDOM_ID = ("substr(translate(to_base64(unhex(replace(gen_random_uuid()::VARCHAR, '-', ''))),"
              " '+/', '-_'), 1, 20)")

_SEQ_NO_MSG = ('"_seq_no" and "_primary_term" columns can only be used together in the WHERE '
               "clause with equals comparisons and if there are also equals comparisons on "
               "primary key columns")
_VERSION_MSG = ('"_version" column can only be used in the WHERE clause with equals '
                "comparisons and if there are also equals comparisons on primary key columns")
_MIXED_MSG = ('"_version" column cannot be used in conjunction with the "_seq_no" and '
              '"_primary_term" columns. Use one of the two versioning mechanisms, but not both '
              "at the same time.")


def has_system_columns(rel: Relation | None) -> bool:
    """Whether ``rel`` is a user table (the relations that have system columns)."""
    return rel is not None and not rel.system and rel.kind == "BASE TABLE"


def _stored(rel: Relation) -> list[str]:
    return [SEQ_NO, PRIMARY_TERM, VERSION] + ([] if rel.pk else [ID])


def _sequence(rel: Relation) -> str:
    return f"{quote_ident(rel.storage)}.{quote_ident('_seq_no.' + rel.name)}"


def _nextval(rel: Relation) -> exp.Expression:
    return exp.Anonymous(this="nextval", expressions=[exp.Literal.string(_sequence(rel))])


def nextval_sql(rel: Relation) -> str:
    """DuckDB text drawing the next ``_seq_no`` of ``rel``."""
    return "nextval('" + _sequence(rel).replace("'", "''") + "')"


def _column_ddl(rel: Relation) -> list[str]:
    nextval = nextval_sql(rel)
    cols = [f"{SEQ_NO} BIGINT DEFAULT {nextval}", f"{PRIMARY_TERM} BIGINT DEFAULT 1",
            f"{VERSION} BIGINT DEFAULT 1"]
    if not rel.pk:
        cols.append(f"{ID} VARCHAR DEFAULT ({_RANDOM_ID})")
    return cols


def create_statements(rel: Relation) -> tuple[list[str], list[str]]:
    """(statements to run before CREATE TABLE, column definitions to append to it)."""
    return ([f"CREATE SEQUENCE {_sequence(rel)} START 0 MINVALUE 0"], _column_ddl(rel))


def add_statements(rel: Relation) -> list[str]:
    """Statements giving an existing DuckDB table (CREATE TABLE AS, an older database
    file) its system columns."""
    qualified = f"{quote_ident(rel.storage)}.{quote_ident(rel.name)}"
    return ([f"CREATE SEQUENCE IF NOT EXISTS {_sequence(rel)} START 0 MINVALUE 0"]
            + [f"ALTER TABLE {qualified} ADD COLUMN {c}" for c in _column_ddl(rel)])


def drop_statements(rel: Relation) -> list[str]:
    """Statements to run after DROP TABLE."""
    return [f"DROP SEQUENCE IF EXISTS {_sequence(rel)}"]


def migrate(session, relations) -> None:
    """Add system columns to user tables of a database file written before they existed."""
    for rel in relations:
        if not has_system_columns(rel):
            continue
        res = session.execute("SELECT 1 FROM duckdb_columns() WHERE schema_name = $1 AND "
                              "table_name = $2 AND column_name = $3",
                              [rel.storage, rel.name, SEQ_NO])
        if not res.rows:
            for sql in add_statements(rel):
                session.execute(sql)


# --- scopes: which user tables a column reference can mean --------------------------------

def _user_table(catalog, table: exp.Expression) -> Relation | None:
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        return None
    rel = table.meta.get("relation") or catalog.get(table.db, table.name)  # meta: a copy
    return rel if has_system_columns(rel) else None


def scope_tables(catalog, node: exp.Expression) -> list[tuple[exp.Table, Relation]]:
    """The user tables a Select / Update / Delete / Insert reads directly (FROM, JOIN,
    the DML target), with their Table nodes."""
    candidates: list[exp.Expression] = []
    if isinstance(node, (exp.Update, exp.Delete, exp.Insert)):
        target = node.this
        candidates.append(target.this if isinstance(target, exp.Schema) else target)
    from_ = node.args.get("from_")
    if from_ is not None:
        candidates.append(from_.this)
    candidates.extend(j.this for j in node.args.get("joins") or [])
    candidates.extend(node.args.get("using") or [])
    out = []
    for table in candidates:
        rel = _user_table(catalog, table)
        if rel is not None:
            out.append((table, rel))
    return out


def _scope_of(node: exp.Expression) -> exp.Expression | None:
    return node.find_ancestor(exp.Select, exp.Update, exp.Delete, exp.Insert)


def _resolve(catalog, col: exp.Column) -> tuple[exp.Table, Relation] | None:
    scope = _scope_of(col)
    if scope is None:
        return None
    tables = scope_tables(catalog, scope)
    if col.table:
        found = [(t, r) for t, r in tables if t.alias_or_name == col.table]
    else:
        found = tables
    return found[0] if len(found) == 1 else None


# --- the _id expression --------------------------------------------------------------------

def _as_text(value: exp.Expression, t) -> exp.Expression:
    """A key value as CrateDB's StringType.implicitCast writes it."""
    if t.id == DataType.BOOLEAN:
        return exp.Case(ifs=[exp.If(this=value, true=exp.Literal.string("t"))],
                        default=exp.Literal.string("f"))
    if t.id in (DataType.TIMESTAMP_WITH_TZ, DataType.TIMESTAMP_WITHOUT_TZ, DataType.DATE):
        value = _call("epoch_ms", exp.cast(value, "TIMESTAMP"))
    return exp.cast(value, "VARCHAR")


def _vint_hex(n: exp.Expression) -> exp.Expression:
    """Hex text of a Lucene variable-length int (7 bits per byte, low bits first)."""
    def low(shift: int, more: bool) -> str:
        part = f"(({n.sql('duckdb')} >> {shift}) & 127)"
        return f"({part} | 128)" if more else part
    text = (f"CASE WHEN {n.sql('duckdb')} < 128 THEN printf('%02x', {low(0, False)}) "
            f"WHEN {n.sql('duckdb')} < 16384 THEN printf('%02x%02x', {low(0, True)}, "
            f"{low(7, False)}) ELSE printf('%02x%02x%02x', {low(0, True)}, {low(7, True)}, "
            f"{low(14, False)}) END")
    return exp.maybe_parse(text, dialect="duckdb")


def _id_expression(rel: Relation, qualifier: str | None) -> exp.Expression:
    def column(name):
        return exp.column(name, table=qualifier, quoted=True)
    if not rel.pk:
        return column(ID)
    if len(rel.pk) == 1:
        return _as_text(column(rel.pk[0]), rel.column(rel.pk[0]).type)
    keys = list(rel.pk)
    if rel.clustered_by in keys:  # Id.encode writes the routing value first
        keys.remove(rel.clustered_by)
        keys.insert(0, rel.clustered_by)
    parts: list[exp.Expression] = [_call("unhex", exp.Literal.string(f"{len(keys):02x}"))]
    for name in keys:
        utf8 = _call("encode", _as_text(column(name), rel.column(name).type))
        parts.append(_call("unhex", _vint_hex(_call("octet_length", utf8.copy()))))
        parts.append(utf8)
    blob = parts[0]
    for part in parts[1:]:
        blob = exp.DPipe(this=blob, expression=part)
    return _call("to_base64", blob)


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    """A DuckDB function call printed as written (sqlglot's own classes may rename it)."""
    return exp.Anonymous(this=name, expressions=list(args))


def _computed(name: str, rel: Relation, qualifier: str | None) -> exp.Expression:
    if name == ID:
        return _id_expression(rel, qualifier)
    if name == "_score":
        return exp.cast(exp.Literal.number(1), "REAL")
    return exp.cast(exp.column("rowid", table=qualifier), "INTEGER")  # _docid


# --- primary-key lookups ---------------------------------------------------------------------

def _constant(e: exp.Expression) -> bool:
    if isinstance(e, (exp.Paren, exp.Neg, exp.Cast, exp.TryCast)):
        return _constant(e.this)
    return isinstance(e, (exp.Literal, exp.Parameter, exp.Boolean))


def _key_column(e: exp.Expression, qualifier: str, names: set[str]) -> str | None:
    if isinstance(e, exp.Paren):
        return _key_column(e.this, qualifier, names)
    if isinstance(e, exp.Column) and e.name in names and e.table in ("", qualifier):
        return e.name
    return None


def _pinned(cond: exp.Expression, qualifier: str, names: set[str]) -> list[set[str]]:
    """The column sets an equality-only reading of ``cond`` pins, one per OR branch
    (crate/crate ``EqualityExtractor``: other AND-ed conditions do not matter)."""
    if isinstance(cond, exp.Paren):
        return _pinned(cond.this, qualifier, names)
    if isinstance(cond, exp.And):
        left = _pinned(cond.this, qualifier, names)
        right = _pinned(cond.expression, qualifier, names)
        if len(left) * len(right) > 1000:
            return [set()]
        return [a | b for a in left for b in right]
    if isinstance(cond, exp.Or):
        return _pinned(cond.this, qualifier, names) + _pinned(cond.expression, qualifier, names)
    if isinstance(cond, exp.EQ):
        for side, other in ((cond.this, cond.expression), (cond.expression, cond.this)):
            name = _key_column(side, qualifier, names)
            if name is not None and (_constant(other) or (
                    isinstance(other, exp.Any) and _constant(other.this))):
                return [{name}]
    if isinstance(cond, exp.In) and not cond.args.get("query"):
        name = _key_column(cond.this, qualifier, names)
        if name is not None and all(_constant(v) for v in cond.expressions):
            return [{name}]
    return [set()]


def pins_primary_key(where: exp.Expression | None, rel: Relation, qualifier: str,
                     also: tuple[str, ...] = ()) -> bool:
    """Whether ``where`` pins the whole primary key of ``rel`` (or its ``_id``) to
    constants in every OR branch, so that CrateDB runs it as a primary-key lookup (``Get``)
    instead of a search; ``also``: more columns that must be pinned (versioning)."""
    if where is None:
        return False
    cond = where.this if isinstance(where, exp.Where) else where
    wanted_sets = [set(rel.pk) | set(also)] if rel.pk else []
    if rel.clustered_by in (None, ID) or (len(rel.pk) == 1 and rel.clustered_by == rel.pk[0]):
        wanted_sets.append({ID} | set(also))
    names = set(rel.pk) | {ID} | set(also)
    branches = _pinned(cond, qualifier, names)
    return any(all(wanted <= b for b in branches) for wanted in wanted_sets)


def _check_versioning(catalog, scope: exp.Expression) -> None:
    where = scope.args.get("where")
    if where is None:
        return
    used = {c.name for c in where.find_all(exp.Column) if c.name in _VERSIONING}
    if not used:
        return
    if (SEQ_NO in used) != (PRIMARY_TERM in used):
        raise cerr.CrateError(4000, "VersioningValidationException", _SEQ_NO_MSG)
    if VERSION in used and SEQ_NO in used:
        raise cerr.CrateError(4000, "VersioningValidationException", _MIXED_MSG)
    message = _VERSION_MSG if VERSION in used else _SEQ_NO_MSG
    tables = scope_tables(catalog, scope)
    if len(tables) != 1 or not pins_primary_key(
            where, tables[0][1], tables[0][0].alias_or_name, tuple(sorted(used))):
        raise cerr.CrateError(4000, "VersioningValidationException", message)


# --- the rewrite -------------------------------------------------------------------------------

def _exclude_hidden(catalog, tree: exp.Expression) -> None:
    for scope in list(tree.find_all(exp.Select, exp.Returning)):
        owner = scope if isinstance(scope, exp.Select) else scope.parent
        tables = scope_tables(catalog, owner) if owner is not None else []
        if not tables:
            continue
        for item in scope.expressions:
            if isinstance(item, exp.Star):
                star, chosen = item, tables
            elif isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
                star = item.this
                chosen = [(t, r) for t, r in tables if t.alias_or_name == item.table]
            else:
                continue
            hidden = [exp.column(name, table=t.alias_or_name, quoted=True)
                      for t, r in chosen for name in _stored(r)]
            if hidden:
                star.set("except_", (star.args.get("except_") or []) + hidden)


def _insert_column_list(tree: exp.Insert, target: Relation) -> None:
    """An INSERT without a column list writes the table's columns (CrateDB: all of them;
    DuckDB would also expect the system columns), and VALUES rows must have as many
    values as there are columns (``InsertAnalyzer``, with CrateDB's message)."""
    if isinstance(tree.this, exp.Table):
        names = [exp.to_identifier(c.name, quoted=True) for c in target.columns
                 if not c.generated]
        tree.set("this", exp.Schema(this=tree.this.copy(), expressions=names))
    columns = [i.name for i in tree.this.expressions]
    source = tree.expression
    if isinstance(source, exp.Values) and source.expressions:
        first = source.expressions[0]
        width = len(first.expressions) if isinstance(first, exp.Tuple) else 1
        if width != len(columns):
            raise cerr.parse_error(
                f"Number of target columns ({', '.join(columns)}) of insert statement doesn't "
                "match number of source columns ("
                + ", ".join(f"col{i}" for i in range(1, width + 1)) + ")")


def _check_updates(tree: exp.Update) -> None:
    for eq in tree.expressions:
        target = eq.this if isinstance(eq, exp.EQ) else None
        while isinstance(target, exp.Bracket):
            target = target.this
        if isinstance(target, exp.Column) and target.name.startswith("_") and target.name in (
                *_VERSIONING, ID, *_COMPUTED, "_raw", "_uid", "_doc"):
            raise cerr.CrateError(4003, "ColumnValidationException",
                                  f"Validation failed for {target.name}: Updating a system "
                                  "column is not supported")


def rewrite(catalog, tree: exp.Expression, target: Relation | None) -> None:
    """The system columns of ``tree`` (resolved table names, folded identifiers) as DuckDB
    reads them; raises VersioningValidationException / ColumnValidationException as
    CrateDB does. ``tree`` is mutated."""
    for scope in [tree, *tree.find_all(exp.Select)]:
        if isinstance(scope, (exp.Select, exp.Update, exp.Delete)):
            _check_versioning(catalog, scope)
    if isinstance(tree, exp.Update):
        _check_updates(tree)
    if isinstance(tree, exp.Insert) and has_system_columns(target):
        _insert_column_list(tree, target)
    _exclude_hidden(catalog, tree)
    for col in list(tree.find_all(exp.Column)):
        if col.name not in (ID, *_COMPUTED) or isinstance(col.this, exp.Star):
            continue
        found = _resolve(catalog, col)
        if found is None:
            continue
        table, rel = found
        new = _computed(col.name, rel, table.alias_or_name)
        if new.__class__ is exp.Column:
            continue  # a stored _id
        parent = col.parent
        if isinstance(parent, (exp.Select, exp.Returning)) and col in parent.expressions:
            new = exp.alias_(new, exp.to_identifier(col.name, quoted=True))
        col.replace(new)


def bump_versions(tree: exp.Expression, target: Relation | None) -> None:
    """Every write of a row draws a new ``_seq_no`` and adds 1 to ``_version``."""
    if not has_system_columns(target):
        return
    assignments = None
    if isinstance(tree, exp.Update):
        assignments = tree
    elif isinstance(tree, exp.Insert):
        conflict = tree.args.get("conflict")
        if conflict is not None and conflict.expressions:
            assignments = conflict
    if assignments is None:
        return
    version = exp.column(VERSION, quoted=True)
    assignments.set("expressions", list(assignments.expressions) + [
        exp.EQ(this=version.copy(), expression=exp.Add(this=version.copy(),
                                                       expression=exp.Literal.number(1))),
        exp.EQ(this=exp.column(SEQ_NO, quoted=True), expression=_nextval(target)),
    ])
