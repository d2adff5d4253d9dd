"""Database-specific SQL text that the conformance suite needs (the suite names no database).

A SqlProfile belongs to a database profile (harness/databases.py) or to a driver profile
supplied through the ``pytest_dbapi_profile`` hook. The suite reaches it as
``dbapi_target.sql``. Only identifiers checked against IDENTIFIER and the profile's own
constant text are put into SQL; values always travel as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

#: Type families a SqlProfile may map to column DDL; the "types" table shape has one column
#: per family that maps to a type, named after the family.
TYPE_FAMILIES = (
    "int",
    "bigint",
    "float",
    "decimal",
    "text",
    "bool",
    "date",
    "time",
    "timestamp",
    "binary",
)

#: Table shapes ``dbapi_table`` can create.
SHAPES = ("basic", "types")

#: What a table or column name must look like before it is put into SQL text.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def check_identifier(name: str) -> str:
    """Return ``name`` if it is a plain SQL identifier, else raise ValueError."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


#: Procedure kinds a SqlProfile may supply (``SqlProfile.procedures`` keys).
PROCEDURE_KINDS = ("inout", "result_set")


@dataclass(frozen=True)
class Procedure:
    """A stored procedure the suite creates, calls through ``Cursor.callproc`` and drops.

    - ``name``: base name; the suite calls it under a unique name made from it (``p_1a2b3c4d``),
      which replaces ``{name}`` in ``create`` and ``drop``.
    - ``args``: the parameters handed to callproc (a tuple).
    - ``returns``: what callproc must return (CUR-CALLPROC-2): ``args`` with the OUT and INOUT
      entries replaced by the procedure's outputs.
    - ``rows``: the rows of the result set it produces, as tuples (CUR-CALLPROC-3); ``()``
      when it produces none.
    - ``create`` / ``drop``: statements run through a cursor before / after the call;
      ``()`` for a procedure that always exists (``{name}`` is then not substituted and
      ``name`` is used as given).
    """

    name: str
    args: tuple = ()
    returns: tuple = ()
    rows: tuple = ()
    create: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class SqlProfile:
    """SQL text for one database.

    Fields:
    - ``types``: family -> column type DDL (``"INTEGER"``), ``None`` or absent = not
      available. Families: TYPE_FAMILIES.
    - ``select_one``: a statement returning one row holding the integer 1.
    - ``syntax_error``: a statement the database rejects as a syntax error.
    - ``division_by_zero``: a statement whose execution divides by zero, or None.
    - ``numeric_overflow``: a statement computing an out-of-range number, or None.
    - ``refresh``: statement template run by ``after_write`` (``{table}``), or None.
    - ``drop``: statement template dropping a table if it exists (``{table}``).
    - ``table_suffix``: text appended to CREATE TABLE (storage options), usually "".
    - ``quote``: the identifier quote character.
    - ``procedures``: kind -> Procedure (PROCEDURE_KINDS): "inout" has IN, OUT and INOUT
      arguments (CUR-CALLPROC-2), "result_set" produces a result set (CUR-CALLPROC-3).
    - ``two_result_sets``: a statement producing two result sets, the first the one row
      ``(1,)``, the second the one row ``(2,)`` (CUR-NEXTSET-2), or None.
    - ``warning``: a statement after which the database has sent the cursor at least one
      message (EXT-MSG-1), or None.
    """

    types: Mapping[str, str | None] = field(default_factory=dict)
    select_one: str = "SELECT 1"
    syntax_error: str = "SELEC 1"
    division_by_zero: str | None = None
    numeric_overflow: str | None = None
    refresh: str | None = None
    drop: str = "DROP TABLE IF EXISTS {table}"
    table_suffix: str = ""
    quote: str = '"'
    procedures: Mapping[str, Procedure] = field(default_factory=dict)
    two_result_sets: str | None = None
    warning: str | None = None

    def __post_init__(self) -> None:
        unknown_kinds = set(self.procedures) - set(PROCEDURE_KINDS)
        if unknown_kinds:
            raise ValueError(f"unknown procedure kinds {sorted(unknown_kinds)}; known: "
                             f"{', '.join(PROCEDURE_KINDS)}")
        object.__setattr__(self, "procedures", MappingProxyType(dict(self.procedures)))
        unknown = set(self.types) - set(TYPE_FAMILIES)
        if unknown:
            raise ValueError(
                f"unknown type families {sorted(unknown)}; known: {', '.join(TYPE_FAMILIES)}"
            )
        for needed in ("int", "text"):
            if not self.types.get(needed):
                raise ValueError(f"SqlProfile.types needs the {needed!r} family (basic shape)")
        object.__setattr__(self, "types", MappingProxyType(dict(self.types)))

    def has_type(self, family: str) -> bool:
        """True when ``family`` maps to a column type."""
        return bool(self.types.get(family))

    def type_of(self, family: str) -> str:
        """The column DDL for ``family``; ValueError when the family is not available."""
        ddl = self.types.get(family)
        if not ddl:
            raise ValueError(f"type family {family!r} is not available in this database")
        return ddl

    def quote_identifier(self, name: str) -> str:
        """``name`` checked and quoted, e.g. ``"int"`` (family names are often keywords)."""
        return f"{self.quote}{check_identifier(name)}{self.quote}"

    def cast(self, expr_sql: str, family: str) -> str:
        """SQL text casting the expression ``expr_sql`` (SQL, not a value) to ``family``."""
        return f"CAST({expr_sql} AS {self.type_of(family)})"

    def type_columns(self) -> list[str]:
        """The family columns of the "types" shape, in TYPE_FAMILIES order (without ``id``)."""
        return [f for f in TYPE_FAMILIES if self.has_type(f)]

    def create_table(self, table: str, shape: str = "basic") -> str:
        """CREATE TABLE text for a shape (SHAPES); ValueError for an unknown shape.

        - "basic": ``id`` (int family, primary key), ``name`` (text family).
        - "types": ``id`` primary key plus one column per available family, named after it.

        ``id`` and ``name`` stay unquoted, as the suite writes them: a database that folds
        unquoted names (to upper case, say) would not find a quoted lower-case column
        under an unquoted reference. Only the family columns are quoted, because their
        names are type words (``int``, ``text``); the suite quotes them too.
        """
        check_identifier(table)
        idcol = f"id {self.type_of('int')} PRIMARY KEY"
        if shape == "basic":
            cols = [idcol, f"name {self.type_of('text')}"]
        elif shape == "types":
            cols = [idcol]
            cols += [f"{self.quote_identifier(f)} {self.type_of(f)}" for f in self.type_columns()]
        else:
            raise ValueError(f"unknown table shape {shape!r}; shapes: {', '.join(SHAPES)}")
        suffix = f" {self.table_suffix}" if self.table_suffix else ""
        return f"CREATE TABLE {table} ({', '.join(cols)}){suffix}"

    def drop_table(self, table: str) -> str:
        """Statement dropping ``table`` if it exists."""
        return self.drop.format(table=check_identifier(table))

    def after_write(self, cursor: Any, table: str) -> None:
        """Make rows written to ``table`` visible to later reads, through ``cursor``.

        Runs the ``refresh`` statement (for a database whose writes become visible to
        reads only after a refresh, such as ``REFRESH TABLE t``), which replaces the
        cursor's last result; a no-op when ``refresh`` is None.
        """
        if self.refresh:
            cursor.execute(self.refresh.format(table=check_identifier(table)))
