"""CrateDB ``CREATE TABLE`` and ``ALTER TABLE ... ADD COLUMN``, parsed from tokens.

CrateDB's DDL has type names (STRING, LONG, OBJECT(DYNAMIC) AS (...), GEO_POINT, IP,
ARRAY(x), x[]) and clauses (CLUSTERED INTO n SHARDS, PARTITIONED BY, WITH (...), INDEX ...
USING FULLTEXT, STORAGE WITH) that no sqlglot dialect reads, so this small parser reads
them itself (grammar: crate/crate ``SqlBaseParser.g4``, rules ``createStmt``,
``tableElement``, ``columnDefinition``, ``dataType``). Storage-only clauses are accepted
and dropped; CHECK constraints are accepted and not enforced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dbapi_conformance.drivers.wire.cratedb import DataType
from dbapi_conformance.mockservers.cratedb.coltypes import CrateType, TypeNameError, parse_type_name
from dbapi_conformance.mockservers.cratedb.errors import CrateError, parse_error, parsing_error
from dbapi_conformance.mockservers.cratedb.statements import Statement, Tok, position

__all__ = ["ColumnDef", "CreateTable", "parse_create_table", "parse_add_column", "DdlParser"]

# Multi-word type names, longest first.
_MULTI = [
    ("timestamp", "without", "time", "zone"),
    ("timestamp", "with", "time", "zone"),
    ("time", "with", "time", "zone"),
    ("double", "precision"),
    ("character", "varying"),
]

_SYMBOLS = {"L_PAREN": "(", "R_PAREN": ")", "COMMA": ",", "DOT": ".", "EQ": "=",
            "NUMBER": "<integer>"}

_CONSTRAINT_WORDS = {"NOT", "NULL", "PRIMARY", "DEFAULT", "GENERATED", "AS", "INDEX", "STORAGE",
                     "CHECK", "CONSTRAINT", "COLUMNSTORE"}


@dataclass
class ColumnDef:
    """A column of CREATE TABLE: CrateDB type, constraints, DEFAULT / generated expression
    as CrateDB SQL text."""

    name: str
    type: CrateType
    not_null: bool = False
    pk: bool = False
    default: str | None = None
    generated: str | None = None
    #: ``INDEX USING <method>`` / ``INDEX OFF``: "fulltext", "plain" or "off" (None: plain)
    index: str | None = None
    analyzer: str | None = None  # WITH (analyzer = '...') of a fulltext index


@dataclass
class CreateTable:
    schema: str | None
    name: str
    if_not_exists: bool = False
    columns: list[ColumnDef] = field(default_factory=list)
    clustered_by: str | None = None
    shards: int | None = None
    partitioned_by: list[str] = field(default_factory=list)
    as_query: str | None = None  # CREATE TABLE t AS <query>
    #: ``INDEX name USING method (cols) [WITH (analyzer = ...)]``: (name, method, cols, analyzer)
    indexes: list[tuple[str, str, list[str], str | None]] = field(default_factory=list)


class DdlParser:
    """A cursor over a statement's tokens with CrateDB-style errors."""

    def __init__(self, stmt: Statement):
        self.stmt = stmt
        self.toks = stmt.toks
        self.i = 0

    # --- token access ------------------------------------------------------------------
    def peek(self, k: int = 0) -> Tok | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def word(self, k: int = 0) -> str:
        t = self.peek(k)
        return t.word if t else ""

    def at(self, *kinds_or_words: str) -> bool:
        t = self.peek()
        return t is not None and (t.kind in kinds_or_words or t.word in kinds_or_words)

    def error(self, expecting: str) -> CrateError:
        t = self.peek()
        if t is None:
            line, col = position(self.stmt.text, len(self.stmt.text))
            return parsing_error(line, col, f"mismatched input '<EOF>' expecting {expecting}")
        line, col = position(self.stmt.text, t.start)
        return parsing_error(line, col, f"mismatched input '{t.raw}' expecting {expecting}")

    def take(self, *kinds_or_words: str) -> Tok:
        if not self.at(*kinds_or_words):
            raise self.error(" or ".join(f"'{_SYMBOLS.get(k, k)}'" for k in kinds_or_words))
        t = self.toks[self.i]
        self.i += 1
        return t

    def accept(self, *kinds_or_words: str) -> Tok | None:
        if self.at(*kinds_or_words):
            return self.take(*kinds_or_words)
        return None

    def ident(self) -> str:
        """An identifier: quoted keeps its case, unquoted folds to lower case."""
        t = self.peek()
        if t is None or not (t.kind == "IDENTIFIER" or t.word):
            raise self.error("an identifier")
        self.i += 1
        return t.value if t.kind == "IDENTIFIER" else t.value.lower()

    def qname(self) -> tuple[str | None, str]:
        first = self.ident()
        if self.accept("DOT"):
            return first, self.ident()
        return None, first

    def skip_parens(self) -> str:
        """Consume a balanced ``( ... )`` group; returns the text inside."""
        open_tok = self.take("L_PAREN")
        depth = 1
        while depth:
            t = self.peek()
            if t is None:
                raise self.error("')'")
            if t.kind == "L_PAREN":
                depth += 1
            elif t.kind == "R_PAREN":
                depth -= 1
            self.i += 1
        return self.stmt.text[open_tok.end:self.toks[self.i - 1].start]

    def expression_text(self, stop_words: set[str]) -> str:
        """Raw text of an expression up to ``,`` / ``)`` at depth 0 or a stop word."""
        start, depth = self.peek(), 0
        if start is None:
            raise self.error("an expression")
        while True:
            t = self.peek()
            if t is None:
                break
            if depth == 0 and (t.kind in ("COMMA", "R_PAREN") or t.word in stop_words):
                break
            if t.kind in ("L_PAREN", "L_BRACKET", "L_BRACE"):
                depth += 1
            elif t.kind in ("R_PAREN", "R_BRACKET", "R_BRACE"):
                depth -= 1
            self.i += 1
        end = self.toks[self.i - 1].end
        return self.stmt.text[start.start:end]

    def names_in_parens(self) -> list[str]:
        self.take("L_PAREN")
        names = [self.ident()]
        while self.accept("COMMA"):
            names.append(self.ident())
        self.take("R_PAREN")
        return names

    # --- types -------------------------------------------------------------------------
    def data_type(self) -> CrateType:
        t = self.peek()
        if t is None:
            raise self.error("a data type")
        if t.word == "ARRAY" and self.peek(1) is not None and self.peek(1).kind == "L_PAREN":
            self.i += 2
            inner = self.data_type()
            self.take("R_PAREN")
            result = CrateType(DataType.ARRAY, inner)
        elif t.word == "OBJECT":
            self.i += 1
            if self.at("L_PAREN"):
                self.skip_parens()  # column policy: DYNAMIC, STRICT, IGNORED
            if self.word() == "AS" and self.peek(1) is not None and \
                    self.peek(1).kind == "L_PAREN":
                self.i += 1
                self.skip_parens()  # inner columns: stored in the one JSON value
            result = parse_type_name("object")
        else:
            words = [self.word(k).lower() for k in range(4)]
            name = None
            for multi in _MULTI:
                if tuple(words[:len(multi)]) == multi:
                    name = " ".join(multi)
                    self.i += len(multi)
                    break
            if name is None:
                tok = self.peek()
                if tok.kind == "IDENTIFIER" and tok.value == "char":
                    name = '"char"'
                elif not tok.word:
                    raise self.error("a data type")
                else:
                    name = tok.value.lower()
                self.i += 1
            if self.at("L_PAREN"):
                name += "(" + self.skip_parens() + ")"
            try:
                result = parse_type_name(name)
            except TypeNameError as exc:
                raise parse_error(str(exc)) from None
        while self.at("L_BRACKET") and self.peek(1) is not None and \
                self.peek(1).kind == "R_BRACKET":
            self.i += 2
            result = CrateType(DataType.ARRAY, result)
        return result

    # --- column definitions --------------------------------------------------------------
    def column_def(self) -> ColumnDef:
        col = ColumnDef(self.ident(), parse_type_name("text"))
        if not self.at("COMMA", "R_PAREN") and self.word() not in _CONSTRAINT_WORDS - {"AS"}:
            col.type = self.data_type()
        while not self.at("COMMA", "R_PAREN") and self.peek() is not None:
            w = self.word()
            if w == "PRIMARY":
                self.i += 1
                self.take("KEY")
                col.pk = col.not_null = True
            elif w == "NOT":
                self.i += 1
                self.take("NULL")
                col.not_null = True
            elif w == "NULL":
                self.i += 1
            elif w == "DEFAULT":
                self.i += 1
                col.default = self.expression_text(_CONSTRAINT_WORDS - {"AS"})
            elif w in ("GENERATED", "AS"):
                if w == "GENERATED":
                    self.i += 1
                    self.take("ALWAYS")
                self.take("AS")
                col.generated = self.expression_text(_CONSTRAINT_WORDS - {"AS"})
            elif w == "INDEX":
                self.i += 1
                if self.accept("OFF"):
                    col.index = "off"
                else:
                    self.take("USING")
                    col.index = self.ident()
                    if self.accept("WITH"):
                        col.analyzer = _analyzer(self.skip_parens())
            elif w == "STORAGE":
                self.i += 1
                self.take("WITH")
                self.skip_parens()
            elif w == "COLUMNSTORE":
                self.i += 1
                self.take("OFF")
            elif w in ("CONSTRAINT", "CHECK"):
                self.check_constraint()
            else:
                raise self.error("{',', ')'}")
        return col

    def check_constraint(self) -> None:
        if self.accept("CONSTRAINT"):
            self.ident()
        self.take("CHECK")
        self.skip_parens()


def _analyzer(options: str) -> str | None:
    """The ``analyzer`` of an index's ``WITH (...)`` text, or None."""
    m = re.search(r"\banalyzer\s*=\s*'([^']*)'", options, re.IGNORECASE)
    return m.group(1) if m else None


def parse_create_table(stmt: Statement) -> CreateTable:
    """Parse ``CREATE TABLE [IF NOT EXISTS] name (elements) [options]`` or
    ``CREATE TABLE name AS query``. Raises ParsingException / SQLParseException."""
    p = DdlParser(stmt)
    p.take("CREATE")
    p.take("TABLE")
    if_not_exists = False
    if p.word() == "IF":
        p.i += 1
        p.take("NOT")
        p.take("EXISTS")
        if_not_exists = True
    schema, name = p.qname()
    ct = CreateTable(schema, name, if_not_exists)
    if p.accept("AS"):
        rest = p.peek()
        if rest is None:
            raise p.error("a query")
        ct.as_query = stmt.text[rest.start:]
        return ct
    p.take("L_PAREN")
    pk: list[str] = []
    while True:
        w = p.word()
        if w == "PRIMARY" and p.word(1) == "KEY":
            p.i += 2
            pk.extend(p.names_in_parens())
        elif w == "INDEX" and p.peek(1) is not None and p.peek(1).kind != "COMMA" and \
                p.word(2) == "USING":
            p.i += 1
            index_name = p.ident()
            p.take("USING")
            method = p.ident()
            sources = p.names_in_parens()
            analyzer = _analyzer(p.skip_parens()) if p.accept("WITH") else None
            ct.indexes.append((index_name, method, sources, analyzer))
        elif w in ("CONSTRAINT", "CHECK") and (w == "CHECK" or p.word(2) == "CHECK"):
            p.check_constraint()
        else:
            ct.columns.append(p.column_def())
        if p.accept("R_PAREN"):
            break
        p.take("COMMA")
    for col in ct.columns:
        if col.name in pk:
            col.pk = col.not_null = True
    missing = [c for c in pk if c not in {col.name for col in ct.columns}]
    if missing:
        raise CrateError(4043, "ColumnUnknownException", f"Column {missing[0]} unknown")
    while p.peek() is not None:
        w = p.word()
        if w == "PARTITIONED":
            p.i += 1
            p.take("BY")
            ct.partitioned_by = p.names_in_parens()
        elif w == "CLUSTERED":
            p.i += 1
            if p.accept("BY"):
                p.take("L_PAREN")
                ct.clustered_by = p.ident()
                p.take("R_PAREN")
            if p.accept("INTO"):
                ct.shards = int(p.take("NUMBER").value)
                p.take("SHARDS")
        elif w == "WITH":
            p.i += 1
            p.skip_parens()
        else:
            raise p.error("<EOF>")
    return ct


def parse_add_column(stmt: Statement) -> tuple[str | None, str, ColumnDef]:
    """``ALTER TABLE name ADD [COLUMN] [IF NOT EXISTS] coldef`` -> (schema, table, column)."""
    p = DdlParser(stmt)
    p.take("ALTER")
    p.take("TABLE")
    schema, name = p.qname()
    p.take("ADD")
    p.accept("COLUMN")
    if p.word() == "IF":
        p.i += 3
    col = p.column_def()
    if p.peek() is not None:
        raise p.error("<EOF>")
    return schema, name, col
