"""PEP 249 types: type objects, constructors, NULL, and value round-trips per type family.

Families come from ``dbapi_target.sql.types`` through ``dbapi_family``: a family whose
capability (binary, date_type, time_type, decimal_type, bool_type) the target declares
absent is n/a; one the SqlProfile lacks without that declaration fails. Each parametrised
family also carries its capability as a ``dbapi_requires`` mark, so that the collection-time
check sees it. The "types" table shape has one column per family, named after it.
"""

import datetime
import decimal
import time

import pytest

from dbapi_conformance.suites.pep249._support import (
    TYPE_OBJECT_NAMES,
    describe,
    module_attr,
    type_column,
)

#: Values per plain family (no constructor needed): large ints, unicode, awkward floats.
PLAIN_VALUES = {
    "int": [123456, -7, 0, 2147483647],
    "bigint": [2**62 + 1, -(2**62) - 3, 9007199254740993],
    "float": [0.1, -2.5e300, 1 / 3],
    "decimal": [decimal.Decimal("12345678.91"), decimal.Decimal("-0.05")],
    "text": ["plain", "żółw 🐢 漢字", 'O\'Reilly \\ "quoted"'],
    "bool": [True, False],
}
#: Temporal families: constructor name, its arguments, and a SQL literal of the same value.
TEMPORAL = {
    "date": ("Date", (2024, 2, 29), "'2024-02-29'"),
    "time": ("Time", (13, 45, 30), "'13:45:30'"),
    "timestamp": ("Timestamp", (2024, 2, 29, 13, 45, 30), "'2024-02-29 13:45:30'"),
}
#: Constructor arguments where each field may be lowered by one and stay valid.
VARIABLE_FIELDS = {
    "date": (2023, 5, 17),
    "time": (13, 45, 30),
    "timestamp": (2023, 5, 17, 13, 45, 30),
}
#: The field attributes of each family's values, in constructor order (the datetime
#: module's names, which PEP 249's implementation hints build on).
FIELD_NAMES = {
    "date": ("year", "month", "day"),
    "time": ("hour", "minute", "second"),
    "timestamp": ("year", "month", "day", "hour", "minute", "second"),
}
#: Type object each family's type_code must compare equal to (CUR-DESC-5).
TYPE_OBJECT_OF = {
    "int": "NUMBER",
    "bigint": "NUMBER",
    "float": "NUMBER",
    "decimal": "NUMBER",
    "text": "STRING",
    "date": "DATETIME",
    "time": "DATETIME",
    "timestamp": "DATETIME",
    "binary": "BINARY",
}
#: Python types PEP 249 suggests for results (TYP-HINT-1).
HINTED_TYPES = {
    "date": (datetime.date,),
    "time": (datetime.time,),
    "timestamp": (datetime.datetime,),
    "binary": (bytes, bytearray, memoryview),
}
BINARY_VALUES = [b"", b"\x00", bytes(range(256)), bytes(range(256)) * 4096]  # up to 1 MiB

#: The capability that lets a target leave a family out (harness TYPE_FAMILY_CAPABILITIES).
FAMILY_CAPABILITY = {
    "binary": "binary",
    "date": "date_type",
    "time": "time_type",
    "decimal": "decimal_type",
    "bool": "bool_type",
}


def family_params(families):
    """pytest params, one per family, marked with the family's capability where it has one."""
    return [
        pytest.param(family, marks=pytest.mark.dbapi_requires(FAMILY_CAPABILITY[family]))
        if family in FAMILY_CAPABILITY else family
        for family in families
    ]


class _Families:
    """Per-test access to "types" tables: write, read and look up one family's values."""

    def __init__(self, target, connection, make_table, params, family_ddl):
        self.target, self.connection, self.make_table, self.params = (
            target,
            connection,
            make_table,
            params,
        )
        self.family_ddl = family_ddl

    def require(self, family):
        """n/a when the family's capability is declared absent; fail when it is just missing."""
        self.family_ddl(family)

    def column(self, family):
        return type_column(self.target, family)

    def insert(self, family, values):
        """A new "types" table with ``values`` in the family's column (ids 1..n)."""
        table = self.make_table("types")
        cursor = self.connection.cursor()
        sql = self.params.sql(
            f"INSERT INTO {table} (id, {self.column(family)}) VALUES ({{}}, {{}})"
        )
        for row_id, value in enumerate(values, start=1):
            cursor.execute(sql, self.params.args(row_id, value))
        self.connection.commit()
        self.target.sql.after_write(cursor, table)
        return table

    def fetch(self, table, family):
        """The family column of every row, ordered by id."""
        cursor = self.connection.cursor()
        cursor.execute(f"SELECT {self.column(family)} FROM {table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]

    def ids_matching(self, table, family, value):
        """Ids of rows whose family column equals the bound ``value`` (compared by the server)."""
        cursor = self.connection.cursor()
        cursor.execute(
            self.params.sql(
                f"SELECT id FROM {table} WHERE {self.column(family)} = {{}} ORDER BY id"
            ),
            self.params.args(value),
        )
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def families(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_family):
    return _Families(dbapi_target, dbapi_connection, dbapi_table, dbapi_params, dbapi_family)


def _same_value(family, fetched, expected):
    if family == "decimal" and isinstance(fetched, float):
        return decimal.Decimal(str(fetched)) == expected  # Decimal is not required (TYP-OPEN-1)
    if family in ("int", "bigint") and (isinstance(fetched, bool) or not isinstance(fetched, int)):
        return False
    return fetched == expected


# --- type objects ---------------------------------------------------------------------


@pytest.mark.pep249("TYP-OBJ-1")
def test_type_objects_exist(dbapi_module):
    missing = [name for name in TYPE_OBJECT_NAMES if not hasattr(dbapi_module, name)]
    assert not missing, f"module lacks the type objects {missing}"


@pytest.mark.pep249("CUR-DESC-5")
@pytest.mark.parametrize("family", family_params(TYPE_OBJECT_OF))
def test_type_code_compares_equal_to_type_object(family, dbapi_module, families, dbapi_table):
    families.require(family)
    cursor = families.connection.cursor()
    cursor.execute(f"SELECT {families.column(family)} FROM {dbapi_table('types')}")
    type_code = cursor.description[0][1]
    if not hasattr(dbapi_module, TYPE_OBJECT_OF[family]):
        pytest.fail(f"module has no {TYPE_OBJECT_OF[family]}; {family} type_code {type_code!r}")
    expected = getattr(dbapi_module, TYPE_OBJECT_OF[family])
    assert type_code == expected, (
        f"{family} column: type_code {type_code!r} does not compare equal to "
        f"{TYPE_OBJECT_OF[family]}"
    )


@pytest.mark.pep249("TYP-OBJ-2")
def test_type_objects_matching_each_family(dbapi_module, families, dbapi_table, dbapi_observe):
    table = dbapi_table("types")
    cursor = families.connection.cursor()
    seen = []
    for family, ddl in families.target.sql.types.items():
        if not ddl:
            continue
        cursor.execute(f"SELECT {families.column(family)} FROM {table}")
        code = cursor.description[0][1]
        equal = [
            name
            for name in TYPE_OBJECT_NAMES
            if hasattr(dbapi_module, name) and code == getattr(dbapi_module, name)
        ]
        seen.append(f"{family}: {code!r} == {equal or 'no type object'}")
    dbapi_observe("TYP-OBJ-2", "; ".join(seen))


# --- round-trips of plain values ------------------------------------------------------


@pytest.mark.pep249("CUR-EXEC-4")
@pytest.mark.parametrize("family", family_params(PLAIN_VALUES))
def test_plain_values_round_trip(family, families):
    families.require(family)
    values = PLAIN_VALUES[family]
    table = families.insert(family, values)
    for got, expected in zip(families.fetch(table, family), values, strict=True):
        assert _same_value(family, got, expected), f"{family}: wrote {expected!r}, read {got!r}"
    for row_id, value in enumerate(values, start=1):
        found = families.ids_matching(table, family, value)
        assert found == [row_id], f"{family}: the server found ids {found} for {value!r}"


@pytest.mark.pep249("TYP-OPEN-1")
@pytest.mark.dbapi_requires("decimal_type")
def test_decimal_result_type(families, dbapi_observe):
    families.require("decimal")
    value = decimal.Decimal("12345678.91")
    try:
        got = families.fetch(families.insert("decimal", [value]), "decimal")[0]
    except Exception as exc:  # noqa: BLE001 - observed, not scored (CUR-EXEC-4 scores it)
        dbapi_observe("TYP-OPEN-1", f"writing/reading DECIMAL {value} raised {describe(exc)}")
        return
    dbapi_observe("TYP-OPEN-1", f"DECIMAL {value} comes back as {type(got).__name__} {got!r}")


# --- NULL -----------------------------------------------------------------------------


@pytest.mark.pep249("TYP-NULL-1")
def test_none_is_null_in_and_out(families, dbapi_table):
    names = [family for family, ddl in families.target.sql.types.items() if ddl]
    table = dbapi_table("types")
    cursor = families.connection.cursor()
    columns = ", ".join(families.column(family) for family in names)
    slots = ", ".join("{}" for _ in names)
    p = families.params
    cursor.execute(
        p.sql(f"INSERT INTO {table} (id, {columns}) VALUES ({{}}, {slots})"),
        p.args(1, *([None] * len(names))),
    )
    families.connection.commit()
    families.target.sql.after_write(cursor, table)
    cursor.execute(f"SELECT {columns} FROM {table} WHERE id = 1")
    assert [list(row) for row in cursor.fetchall()] == [[None] * len(names)]
    for family in names:
        cursor.execute(f"SELECT id FROM {table} WHERE {families.column(family)} IS NULL")
        assert [list(row) for row in cursor.fetchall()] == [[1]], f"{family} is not NULL"


# --- constructors ---------------------------------------------------------------------


@pytest.mark.pep249("TYP-CTOR-1")
@pytest.mark.parametrize("family", list(TEMPORAL))
def test_temporal_constructors_build_values(family, dbapi_module):
    name = TEMPORAL[family][0]
    args = VARIABLE_FIELDS[family]
    constructor = module_attr(dbapi_module, name)
    value = constructor(*args)
    # Two values built apart from the same fields are equal; changing any one field gives
    # another value (a constructor that ignores a field fails here).
    assert value == constructor(*args), f"{name}{args} built twice gives unequal values"
    # It holds the value: each field reads back under its datetime attribute name.
    fields = tuple(getattr(value, field, None) for field in FIELD_NAMES[family])
    assert fields == args, (
        f"{name}{args} gave {value!r}, whose {'/'.join(FIELD_NAMES[family])} are {fields}")
    for position in range(len(args)):
        other = list(args)
        other[position] -= 1
        assert value != constructor(*other), f"{name}{args} equals {name}{tuple(other)}"


@pytest.mark.pep249("TYP-CTOR-1")
@pytest.mark.parametrize("family", family_params(TEMPORAL))
def test_temporal_values_round_trip(family, dbapi_module, families):
    families.require(family)
    name, args, _ = TEMPORAL[family]
    value = module_attr(dbapi_module, name)(*args)
    got = families.fetch(families.insert(family, [value]), family)[0]
    assert got == value, f"{family}: wrote {value!r}, read {got!r}"


@pytest.mark.pep249("TYP-OBJ-3")
@pytest.mark.parametrize("family", family_params(TEMPORAL))
def test_constructed_values_are_bound_as_their_type(family, dbapi_module, families, dbapi_table):
    families.require(family)
    name, args, literal = TEMPORAL[family]
    value = module_attr(dbapi_module, name)(*args)
    table = dbapi_table("types")
    cursor = families.connection.cursor()
    # The row is written from a SQL literal; the bound constructor value must find it.
    cursor.execute(
        f"INSERT INTO {table} (id, {families.column(family)}) "
        f"VALUES (1, {families.target.sql.cast(literal, family)})"
    )
    families.connection.commit()
    families.target.sql.after_write(cursor, table)
    matching = families.ids_matching(table, family, value)
    assert matching == [1], (
        f"WHERE {family} = {name}{args} bound as a parameter found rows {matching}, not the "
        f"row written from the literal {literal}")


@pytest.mark.pep249("TYP-CTOR-2")
def test_ticks_constructors_use_local_time(dbapi_module):
    ticks = 1709214330  # 2024-02-29 13:45:30 UTC
    local = time.localtime(ticks)
    date, time_, timestamp = (
        module_attr(dbapi_module, name) for name in ("Date", "Time", "Timestamp")
    )
    assert module_attr(dbapi_module, "DateFromTicks")(ticks) == date(*local[:3])
    assert module_attr(dbapi_module, "TimeFromTicks")(ticks) == time_(*local[3:6])
    assert module_attr(dbapi_module, "TimestampFromTicks")(ticks) == timestamp(*local[:6])


@pytest.mark.pep249("TYP-CTOR-3")
def test_binary_constructor_holds_bytes(dbapi_module):
    binary = module_attr(dbapi_module, "Binary")
    payload = bytes(range(256)) * 64
    assert bytes(binary(payload)) == payload
    assert bytes(binary(b"")) == b""


@pytest.mark.pep249("TYP-CTOR-3")
@pytest.mark.dbapi_requires("binary")
def test_binary_values_round_trip(dbapi_module, families):
    families.require("binary")
    binary = module_attr(dbapi_module, "Binary")
    table = families.insert("binary", [binary(value) for value in BINARY_VALUES])
    fetched = families.fetch(table, "binary")
    assert len(fetched) == len(BINARY_VALUES)
    for got, expected in zip(fetched, BINARY_VALUES, strict=True):
        assert got is not None and bytes(got) == expected, f"binary of {len(expected)} bytes"


@pytest.mark.pep249("TYP-OBJ-3")
@pytest.mark.dbapi_requires("binary")
def test_binary_values_are_bound_as_binary(dbapi_module, families):
    families.require("binary")
    binary = module_attr(dbapi_module, "Binary")
    value = bytes(range(256))
    table = families.insert("binary", [binary(value)])
    assert families.ids_matching(table, "binary", binary(value)) == [1]


# --- Python types (hints) -------------------------------------------------------------


@pytest.mark.pep249("TYP-HINT-1")
def test_constructors_return_hinted_types(dbapi_module):
    for family, (name, args, _) in TEMPORAL.items():
        value = module_attr(dbapi_module, name)(*args)
        assert isinstance(value, HINTED_TYPES[family]), f"{name}() gives {type(value).__name__}"
    assert isinstance(module_attr(dbapi_module, "Binary")(b"x"), HINTED_TYPES["binary"])


@pytest.mark.pep249("TYP-HINT-1")
@pytest.mark.parametrize("family", family_params(HINTED_TYPES))
def test_results_have_hinted_types(family, families):
    families.require(family)
    if family == "binary":
        value = bytes(range(8))
    else:
        value = HINTED_TYPES[family][0](*TEMPORAL[family][1])  # plain datetime objects
    got = families.fetch(families.insert(family, [value]), family)[0]
    assert isinstance(got, HINTED_TYPES[family]), f"{family} comes back as {type(got).__name__}"
    if family == "date":
        assert not isinstance(got, datetime.datetime), "date comes back as a datetime"
