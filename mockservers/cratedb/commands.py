"""Statements answered without a query plan: transactions, REFRESH/OPTIMIZE, SET/RESET,
SHOW, and the DDL the catalog has to follow (CREATE/DROP TABLE and VIEW, ALTER TABLE ADD
COLUMN).

Row counts follow cratedb.md 5.2: BEGIN/COMMIT/SET 0, SET GLOBAL 1, REFRESH and OPTIMIZE
one per table, CREATE TABLE 1 (0 with IF NOT EXISTS on an existing table), DROP TABLE 1
(0 with IF EXISTS on a missing table), ALTER TABLE -1. There are no transactions (5.1):
BEGIN and COMMIT do nothing, ROLLBACK is not in CrateDB's grammar.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlglot
from sqlglot import errors as sqlglot_errors

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb import errors as cerr
from dbapi_conformance.mockservers.cratedb import syscols, udf
from dbapi_conformance.mockservers.cratedb.catalog import SYSTEM_SCHEMAS, Column, Index, Relation
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, from_duckdb_type
from dbapi_conformance.mockservers.cratedb.ddl import (
    DdlParser,
    parse_add_column,
    parse_create_table,
)
from dbapi_conformance.mockservers.cratedb.dialect import CrateDB
from dbapi_conformance.mockservers.cratedb.statements import Statement, not_a_statement
from dbapi_conformance.mockservers.engine import quote_ident

__all__ = ["Outcome", "run_command", "COMMANDS"]

_TEXT = CrateType(DataType.TEXT)


@dataclass
class Outcome:
    """What a statement produced: a row count, or a result set (``cols`` not None)."""

    rowcount: int = 0
    cols: list[str] | None = None
    types: list[CrateType] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)


def _text_result(cols: list[str], rows: list[list]) -> Outcome:
    return Outcome(len(rows), cols, [_TEXT] * len(cols), rows)


# --- transactions, maintenance, session settings ------------------------------------------

def _transaction(sess, stmt: Statement) -> Outcome:
    return Outcome(0)


def _table_list(sess, stmt: Statement, keyword: str) -> Outcome:
    """REFRESH TABLE / OPTIMIZE TABLE t1 [PARTITION (...)], t2 [WITH (...)]."""
    p = DdlParser(stmt)
    p.take(keyword)
    p.take("TABLE")
    relations = []
    while True:
        schema, name = p.qname()
        relations.append(sess.relation(schema, name))  # raises RelationUnknown
        if p.word() == "PARTITION":
            p.i += 1
            p.skip_parens()
        if not p.accept("COMMA"):
            break
    if keyword == "OPTIMIZE" and p.accept("WITH"):
        p.skip_parens()
    if p.peek() is not None:
        raise p.error("<EOF>")
    if keyword == "REFRESH" and sess.ctx.refresh is not None:  # strict refresh mode
        sess.ctx.refresh.refresh(sess.engine_session, relations)
    return Outcome(len(relations))


def _set(sess, stmt: Statement) -> Outcome:
    words = stmt.words
    if len(words) > 1 and words[1] == "GLOBAL":
        return Outcome(1)
    p = DdlParser(stmt)
    p.take("SET")
    if p.word() in ("SESSION", "LOCAL"):
        p.i += 1
    if p.word() in ("TRANSACTION", "CHARACTERISTICS", "AUTHORIZATION", "TIME"):
        return Outcome(0)
    if p.word() == "SESSION":  # SET SESSION SESSION AUTHORIZATION
        return Outcome(0)
    name = p.ident()
    while p.accept("DOT"):
        name += "." + p.ident()
    if not (p.accept("EQ") or p.accept("TO")):
        raise p.error("{'=', 'TO'}")
    values = []
    while p.peek() is not None:
        t = p.peek()
        p.i += 1
        if t.kind == "COMMA":
            continue
        values.append(t.value if t.kind in ("STRING", "IDENTIFIER") else t.value.lower())
    if name == "search_path":
        schemas = [v for v in values if v not in ("pg_catalog", "default")]
        sess.set_search_path(schemas[0] if schemas else "doc")
    sess.settings[name] = ", ".join(values)
    return Outcome(0)


def _reset(sess, stmt: Statement) -> Outcome:
    words = stmt.words
    if len(words) > 1 and words[1] == "GLOBAL":
        return Outcome(1)
    if len(words) > 1 and words[1] in ("SEARCH_PATH", "ALL"):
        sess.set_search_path(sess.initial_schema)
    return Outcome(0)


_SETTINGS = {
    "application_name": "",
    "datestyle": "ISO",
    "enable_hashjoin": "true",
    "error_on_unknown_object_key": "true",
    "max_index_keys": "32",
    "max_identifier_length": "255",
    "memory.operation_limit": "0",
    "optimizer_eliminate_cross_join": "true",
    "server_version": "14.0",
    "server_version_num": "140000",
    "standard_conforming_strings": "on",
    "statement_timeout": "0s",
}


def _show(sess, stmt: Statement) -> Outcome:
    words = stmt.words
    what = words[1] if len(words) > 1 else ""
    if what in ("TRANSACTION", "TRANSACTION_ISOLATION"):
        return _text_result(["transaction_isolation"], [["read uncommitted"]])
    if what == "TABLES":
        schema = sess.schema
        if len(words) > 3 and words[2] in ("FROM", "IN"):
            schema = stmt.toks[3].value if stmt.toks[3].kind == "IDENTIFIER" else \
                stmt.toks[3].value.lower()
        names = sorted(r.name for r in sess.catalog.relations(system=False)
                       if r.schema == schema)
        return _text_result(["table_name"], [[n] for n in names])
    if what == "SCHEMAS":
        schemas = {"blob", "doc", "information_schema", "pg_catalog", "sys"}
        schemas.update(r.schema for r in sess.catalog.relations(system=False))
        return _text_result(["schema_name"], [[s] for s in sorted(schemas)])
    if what == "COLUMNS" and len(words) > 3:
        p = DdlParser(stmt)
        p.i = 3
        schema, name = p.qname()
        if p.word() in ("FROM", "IN"):
            p.i += 1
            schema = p.ident()
        rel = sess.relation(schema, name)
        return _text_result(["column_name", "data_type"],
                            [[c.name, c.type.name] for c in rel.columns])
    if what == "CREATE" and len(words) > 2 and words[2] == "TABLE":
        p = DdlParser(stmt)
        p.i = 3
        rel = sess.relation(*p.qname())
        return _text_result([f"SHOW CREATE TABLE {rel.fqn}"], [[_show_create(rel)]])
    if what == "ALL":
        rows = [[k, v, ""] for k, v in sorted({**_SETTINGS, **sess.show_settings()}.items())]
        return _text_result(["name", "setting", "description"], rows)
    name = " ".join(t.value for t in stmt.toks[1:]).replace(" . ", ".").lower()
    value = sess.show_settings().get(name, _SETTINGS.get(name))
    if value is None:
        raise cerr.parse_error(f"Unknown session setting name '{name}'.")
    return _text_result([name], [[value]])


def _show_create(rel: Relation) -> str:
    lines = []
    for col in rel.columns:
        line = f'   "{col.name}" {col.type.name.upper().replace("_ARRAY", "")}'
        if col.type.id == DataType.ARRAY and col.type.inner is not None:
            line = f'   "{col.name}" ARRAY({col.type.inner.name.upper()})'
        if col.not_null and not col.pk:
            line += " NOT NULL"
        if col.default is not None:
            line += f" DEFAULT {col.default}"
        lines.append(line)
    if rel.pk:
        lines.append("   PRIMARY KEY (" + ", ".join(f'"{c}"' for c in rel.pk) + ")")
    body = ",\n".join(lines)
    clustered = f'CLUSTERED BY ("{rel.clustered_by}") ' if rel.clustered_by else ""
    return (f'CREATE TABLE IF NOT EXISTS "{rel.schema}"."{rel.name}" (\n{body}\n)\n'
            f"{clustered}INTO {rel.shards or 4} SHARDS\n"
            "WITH (\n   column_policy = 'strict',\n   number_of_replicas = '0-1'\n)")


# --- DDL ---------------------------------------------------------------------------------

def _check_name(schema: str, name: str) -> None:
    if schema in SYSTEM_SCHEMAS or schema == "blob":
        raise cerr.CrateError(4007, "OperationOnInaccessibleRelationException",
                              f'The relation "{schema}.{name}" doesn\'t support or allow '
                              "CREATE operations")
    if schema.startswith("_") or not schema:
        raise cerr.CrateError(4002, "InvalidSchemaNameException",
                              f'schema name "{schema}" is invalid.')
    if name.startswith("_") or not name or any(c in name for c in '\\/*?"<>| ,#.'):
        raise cerr.CrateError(4002, "InvalidRelationName",
                              f'Relation name "{schema}.{name}" is invalid.')


def _sql_expression(sess, text: str) -> str:
    """A CrateDB expression (DEFAULT, generated column) as DuckDB text."""
    try:
        tree = sqlglot.parse_one(f"SELECT {text}", read=CrateDB)
    except (sqlglot_errors.ParseError, sqlglot_errors.TokenError):
        raise cerr.parse_error(f"Invalid expression: {text}") from None
    translator = sess.translator()
    translator._fold_identifiers(tree)
    translator._rewrite_functions(tree)
    translator._rewrite_casts(tree)
    return tree.expressions[0].sql(dialect="duckdb", identify=True)


def _column_ddl(sess, col) -> str:
    parts = [quote_ident(col.name), col.type.duck]
    if col.generated is not None:
        parts.append(f"GENERATED ALWAYS AS ({_sql_expression(sess, col.generated)}) VIRTUAL")
        return " ".join(parts)
    if col.not_null and not col.pk:
        parts.append("NOT NULL")
    if col.default is not None:
        parts.append(f"DEFAULT ({_sql_expression(sess, col.default)})")
    return " ".join(parts)


def _create_table(sess, stmt: Statement) -> Outcome:
    ct = parse_create_table(stmt)
    schema = ct.schema or sess.schema
    _check_name(schema, ct.name)
    catalog = sess.catalog
    with catalog.ddl_lock:
        if catalog.get(schema, ct.name) is not None:
            if ct.if_not_exists:
                return Outcome(0)
            raise cerr.relation_exists(f"{schema}.{ct.name}")
        if ct.as_query is not None:
            return _create_table_as(sess, schema, ct)
        if not ct.columns:
            raise cerr.parse_error("Table definition must contain at least one column")
        pk = [c.name for c in ct.columns if c.pk]
        qualified = f"{quote_ident(schema)}.{quote_ident(ct.name)}"
        rel = Relation(schema, ct.name, [
            Column(c.name, c.type, c.not_null, c.pk, c.default, c.generated is not None)
            for c in ct.columns],
            clustered_by=ct.clustered_by or (pk[0] if len(pk) == 1 else "_id"),
            shards=ct.shards or 4, partitioned_by=ct.partitioned_by or None,
            indexes=_indexes(ct.columns, ct.indexes))
        before, hidden = syscols.create_statements(rel)
        elements = [_column_ddl(sess, c) for c in ct.columns] + hidden
        if pk:
            elements.append("PRIMARY KEY (" + ", ".join(quote_ident(c) for c in pk) + ")")
        sess.run_ddl([(sql, None) for sql in before]
                     + [(f"CREATE TABLE {qualified} ({', '.join(elements)})", None)], rel,
                     schema=schema)
    return Outcome(1)


def _indexes(columns, named=()) -> list[Index]:
    """The non-default indexes of CREATE TABLE / ADD COLUMN (see catalog.Index)."""
    out = [Index(c.name, c.index.lower(), (c.name,), c.analyzer) for c in columns
           if c.index is not None and c.index.lower() != "plain"]
    names = {c.name for c in columns}
    for name, method, sources, analyzer in named:
        for source in sources:
            if source not in names:
                raise cerr.column_unknown(source)
        out.append(Index(name, method.lower(), tuple(sources), analyzer))
    return out


def _create_table_as(sess, schema: str, ct) -> Outcome:
    prepared, params = sess.prepare_query(ct.as_query, [])
    if sess.ctx.refresh is not None and prepared.searched != []:  # strict refresh mode
        sess.ctx.refresh.before_search(sess.engine_session, prepared.searched)
    qualified = f"{quote_ident(schema)}.{quote_ident(ct.name)}"
    count = sess.run_ddl([(f"CREATE TABLE {qualified} AS {prepared.sql}", params)], None,
                         schema=schema)
    columns = []
    for i, c in enumerate(sess.engine_session.table_columns(schema, ct.name)):
        t = None
        if prepared.out_types and i < len(prepared.out_types):
            t = prepared.out_types[i]
        t = t or prepared.by_name.get(c.name) or from_duckdb_type(_full_type(c))
        columns.append(Column(c.name, t))
    rel = Relation(schema, ct.name, columns, clustered_by="_id", shards=ct.shards or 4)
    sess.run_ddl([(sql, None) for sql in syscols.add_statements(rel)], rel, schema=schema)
    return Outcome(count)


def _full_type(c) -> str:
    if c.type_name == "DECIMAL" and c.precision is not None:
        return f"DECIMAL({c.precision},{c.scale or 0})"
    return c.type_name


def _drop(sess, stmt: Statement) -> Outcome:
    p = DdlParser(stmt)
    p.take("DROP")
    kind = p.take("TABLE", "VIEW").word
    if_exists = False
    if p.word() == "IF":
        p.i += 1
        p.take("EXISTS")
        if_exists = True
    names = [p.qname()]
    while kind == "VIEW" and p.accept("COMMA"):
        names.append(p.qname())
    if p.peek() is not None:
        raise p.error("<EOF>")
    count = 0
    with sess.catalog.ddl_lock:
        for schema, name in names:
            rel = sess.catalog.get(schema or sess.schema, name)
            written = f"{schema}.{name}" if schema else name
            if rel is None or (kind == "VIEW") != (rel.kind == "VIEW"):
                if if_exists:
                    continue
                raise cerr.relation_unknown(written)
            if rel.system:
                raise cerr.CrateError(4007, "OperationOnInaccessibleRelationException",
                                      f'The relation "{rel.fqn}" doesn\'t support or allow '
                                      "DROP operations")
            qualified = f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
            after = syscols.drop_statements(rel) if syscols.has_system_columns(rel) else []
            sess.run_ddl([(f"DROP {kind} {qualified}", None)] + [(sql, None) for sql in after],
                         None, drop=rel)
            count += 1
    return Outcome(count)


def _create_view(sess, stmt: Statement) -> Outcome:
    p = DdlParser(stmt)
    p.take("CREATE")
    replace = False
    if p.accept("OR"):
        p.take("REPLACE")
        replace = True
    p.take("VIEW")
    schema, name = p.qname()
    schema = schema or sess.schema
    _check_name(schema, name)
    p.take("AS")
    query = stmt.text[p.peek().start:] if p.peek() else ""
    prepared, params = sess.prepare_query(query, [])
    if params:
        raise cerr.unsupported("Parameters are not supported in CREATE VIEW")
    qualified = f"{quote_ident(schema)}.{quote_ident(name)}"
    with sess.catalog.ddl_lock:
        old = sess.catalog.get(schema, name)
        if old is not None and (not replace or old.kind != "VIEW"):
            raise cerr.relation_exists(f"{schema}.{name}")
        stmts = [(f"CREATE OR REPLACE VIEW {qualified} AS {prepared.sql}", None)]
        sess.run_ddl(stmts, None, schema=schema, drop=old)
        columns = []
        for i, c in enumerate(sess.engine_session.table_columns(schema, name)):
            t = prepared.out_types[i] if prepared.out_types and i < len(
                prepared.out_types) else None
            columns.append(Column(c.name, t or prepared.by_name.get(c.name)
                                  or from_duckdb_type(_full_type(c))))
        rel = Relation(schema, name, columns, kind="VIEW", shards=None, definition=query)
        sess.run_ddl([], rel, schema=schema)
    return Outcome(1)


def _alter(sess, stmt: Statement) -> Outcome:
    words = stmt.words
    if len(words) > 3 and words[1] == "TABLE" and "ADD" in words:
        schema, name, col = parse_add_column(stmt)
        with sess.catalog.ddl_lock:
            rel = sess.relation(schema, name)
            if rel.system:
                raise cerr.CrateError(4007, "OperationOnInaccessibleRelationException",
                                      f'The relation "{rel.fqn}" doesn\'t support or allow '
                                      "ALTER operations")
            if rel.column(col.name) is not None:
                if "IF" in words:
                    return Outcome(-1)
                raise cerr.CrateError(4003, "ColumnValidationException",
                                      f"Validation failed for {col.name}: "
                                      "The table already has a column with the same name")
            col.not_null = False  # DuckDB cannot add a NOT NULL column to filled tables
            qualified = f"{quote_ident(rel.schema)}.{quote_ident(rel.name)}"
            new = Relation(rel.schema, rel.name, rel.columns + [
                Column(col.name, col.type, False, False, col.default,
                       col.generated is not None)],
                clustered_by=rel.clustered_by, shards=rel.shards,
                partitioned_by=rel.partitioned_by, indexes=rel.indexes + _indexes([col]))
            sess.run_ddl([(f"ALTER TABLE {qualified} ADD COLUMN {_column_ddl(sess, col)}",
                           None)], new, drop=rel)
        return Outcome(-1)
    if len(words) > 2 and words[1] == "TABLE":
        p = DdlParser(stmt)
        p.i = 2
        sess.relation(*p.qname())
        if p.word() in ("RENAME", "DROP"):
            # they change what the table holds: refusing beats answering and doing nothing
            raise cerr.unsupported(f"ALTER TABLE ... {p.word()} is not supported by this "
                                   "mock server")
        return Outcome(-1)  # SET/RESET settings, OPEN/CLOSE: nothing here depends on them
    raise cerr.unsupported(f"Statement not supported: {stmt.text[:60]}")


def _create(sess, stmt: Statement) -> Outcome:
    words = stmt.words
    if len(words) > 1 and words[1] == "TABLE":
        return _create_table(sess, stmt)
    if words[1:2] == ["FUNCTION"] or words[1:4] == ["OR", "REPLACE", "FUNCTION"]:
        return Outcome(udf.create_function(sess, stmt, sess.catalog.udfs))
    if len(words) > 1 and (words[1] == "VIEW" or words[1:3] == ["OR", "REPLACE"]):
        return _create_view(sess, stmt)
    raise cerr.unsupported(f"CREATE {words[1] if len(words) > 1 else ''} is not supported "
                           "by this server")


def _drop_any(sess, stmt: Statement) -> Outcome:
    words = stmt.words
    if len(words) > 1 and words[1] in ("TABLE", "VIEW"):
        return _drop(sess, stmt)
    if words[1:2] == ["FUNCTION"]:
        return Outcome(udf.drop_function(sess, stmt, sess.catalog.udfs))
    raise cerr.unsupported(f"DROP {words[1] if len(words) > 1 else ''} is not supported "
                           "by this server")


def _unsupported(sess, stmt: Statement) -> Outcome:
    raise cerr.unsupported(f"{stmt.words[0]} is not supported by this server")


def _not_in_grammar(sess, stmt: Statement) -> Outcome:
    raise not_a_statement(stmt)


COMMANDS = {
    "BEGIN": _transaction,
    "START": _transaction,
    "COMMIT": _transaction,
    "END": _transaction,
    "REFRESH": lambda s, st: _table_list(s, st, "REFRESH"),
    "OPTIMIZE": lambda s, st: _table_list(s, st, "OPTIMIZE"),
    "ANALYZE": lambda s, st: Outcome(1),
    "DISCARD": lambda s, st: Outcome(0),
    "DEALLOCATE": lambda s, st: Outcome(0),
    "CLOSE": lambda s, st: Outcome(0),
    "KILL": lambda s, st: Outcome(0),
    "SET": _set,
    "RESET": _reset,
    "SHOW": _show,
    "CREATE": _create,
    "DROP": _drop_any,
    "ALTER": _alter,
    "GRANT": _unsupported,
    "DENY": _unsupported,
    "REVOKE": _unsupported,
    "RESTORE": _unsupported,
    "DECLARE": _unsupported,
    "FETCH": _unsupported,
    "ROLLBACK": _not_in_grammar,
    "ABORT": _not_in_grammar,
}


def run_command(sess, stmt: Statement) -> Outcome | None:
    """Run ``stmt`` when it is one of the statements above; None for queries and DML."""
    handler = COMMANDS.get(stmt.words[0] if stmt.toks else "")
    return handler(sess, stmt) if handler else None
