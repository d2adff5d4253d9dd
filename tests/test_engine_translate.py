"""sqlglot translation: text route, AST route, syntax errors, and the type helpers."""

from __future__ import annotations

import pytest
from sqlglot import exp

from dbapi_conformance.mockservers.engine import (
    Engine,
    base_type,
    element_type,
    errors,
    parse,
    parse_all,
    quote_ident,
    struct_fields,
    to_sql,
    translate,
)
from dbapi_conformance.mockservers.engine.types import split_decimal


def test_translate_postgres_to_duckdb():
    assert translate("select a::int8, b::text from doc.t where x ~ 'a' limit ?",
                     read="postgres") == (
        "SELECT CAST(a AS BIGINT), CAST(b AS TEXT) FROM doc.t WHERE REGEXP_MATCHES(x, 'a') "
        "LIMIT ?")
    assert Engine.translate("select $2, $1", "postgres") == "SELECT $2, $1"
    assert translate("create table t (n numeric(10,2), ts timestamp without time zone)") == (
        "CREATE TABLE t (n DECIMAL(10, 2), ts TIMESTAMP)")


def test_translate_several_and_empty():
    assert translate("select 1; select 2;") == "SELECT 1; SELECT 2"
    assert translate("   ") == ""


def test_translated_sql_runs():
    eng = Engine()
    s = eng.session()
    sql = translate("select $1::int8 + 1 as x, 'ab' ~ 'b' as m")
    assert s.execute(sql, [41]).rows == [(42, True)]
    eng.close()


def test_translate_syntax_error_has_position():
    with pytest.raises(errors.SQLSyntaxError) as ei:
        translate("select * fro t")
    err = ei.value
    assert (err.line, err.col) == (1, 14)
    assert "line 1, column 14" in err.message
    assert "\x1b" not in err.message and "\x1b" not in err.original
    with pytest.raises(errors.SQLSyntaxError) as ei:
        translate("select 1,\n  2 +")
    assert ei.value.line == 2


def test_translate_tokenizer_error():
    with pytest.raises(errors.SQLSyntaxError) as ei:
        translate("select 'unterminated")
    assert ei.value.message


def test_unknown_dialect():
    with pytest.raises(ValueError):
        translate("select 1", read="no-such-dialect")


def test_parse_rewrite_to_sql():
    tree = parse("SELECT name FROM sys.summits WHERE height > $1", read="postgres")
    assert isinstance(tree, exp.Select)
    for table in tree.find_all(exp.Table):
        if table.db == "sys" and table.name == "summits":
            table.set("db", exp.to_identifier("sys_tables"))
    assert to_sql(tree) == "SELECT name FROM sys_tables.summits WHERE height > $1"
    assert Engine.to_sql(Engine.parse("select 1")) == "SELECT 1"


def test_parse_type_rename():
    tree = parse("create table t (s string, n long)", read="postgres")
    for dt in tree.find_all(exp.DataType):
        if dt.this == exp.DataType.Type.USERDEFINED:
            dt.replace(exp.DataType.build("VARCHAR"))
    assert "CREATE TABLE t (s" in to_sql(tree)


def test_parse_errors():
    with pytest.raises(errors.SQLSyntaxError):
        parse("")
    with pytest.raises(errors.SQLSyntaxError):
        parse("select 1; select 2")
    with pytest.raises(errors.SQLSyntaxError):
        parse("select from where")
    assert len(parse_all("select 1; select 2")) == 2
    assert len(Engine.parse_all("select 1;")) == 1


def test_type_helpers():
    assert element_type("INTEGER[]") == "INTEGER"
    assert element_type("VARCHAR[][]") == "VARCHAR[]"
    assert element_type("DECIMAL(4,1)[]") == "DECIMAL(4,1)"
    assert element_type("INTEGER[3]") == "INTEGER"
    assert element_type("INTEGER") is None
    assert element_type("not a type at all ((") is None
    assert struct_fields('STRUCT(a INTEGER, "B c" VARCHAR[])') == [
        ("a", "INTEGER"), ("B c", "VARCHAR[]")]
    assert struct_fields("INTEGER") is None
    assert base_type("INTEGER[]") == "LIST"
    assert base_type("INTEGER[3]") == "ARRAY"
    assert base_type("STRUCT(a INTEGER)") == "STRUCT"
    assert base_type("MAP(VARCHAR, INTEGER)") == "MAP"
    assert base_type("DECIMAL(4,1)") == "DECIMAL"
    assert base_type("TIMESTAMP WITH TIME ZONE") == "TIMESTAMP WITH TIME ZONE"
    assert split_decimal("DECIMAL(18,3)") == ("DECIMAL", 18, 3)
    assert split_decimal("DOUBLE") == ("DOUBLE", None, None)
    assert quote_ident('a"b') == '"a""b"'
