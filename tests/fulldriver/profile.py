"""The harness's view of fulldriver, fulldriver.broken, fulldriver.broken2 and
fulldriver.bare: DriverProfile and SqlProfile.

Harness side only (the driver never imports this). A conftest makes the drivers
certifiable with ``from fulldriver.profile import pytest_dbapi_profile``.
"""

from __future__ import annotations

from typing import Any

from dbapi_conformance.harness import Capabilities, DriverProfile, Procedure, SqlProfile

#: Module paths this profile answers for.
DRIVERS = ("fulldriver", "fulldriver.broken", "fulldriver.broken2", "fulldriver.bare")

PROCEDURES = {
    # IN a, OUT b = 2a, INOUT c = c + a.
    "inout": Procedure(
        name="p_inout",
        args=(3, None, 10),
        returns=(3, 6, 13),
        create=("CREATE PROCEDURE {name} (IN a, OUT b, INOUT c) AS "
                "SET b, c = SELECT :a * 2, :c + :a",),
        drop=("DROP PROCEDURE {name}",),
    ),
    # IN n: the rows (i, i*i) for i = 1..n.
    "result_set": Procedure(
        name="p_rows",
        args=(3,),
        returns=(3,),
        rows=((1, 1), (2, 4), (3, 9)),
        create=("CREATE PROCEDURE {name} (IN n) AS WITH RECURSIVE c(i) AS "
                "(SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < :n) SELECT i, i * i FROM c",),
        drop=("DROP PROCEDURE {name}",),
    ),
}

SQL = SqlProfile(
    types={
        "int": "INTEGER",
        "bigint": "BIGINT",
        "float": "REAL",
        "decimal": "DECIMAL",
        "text": "TEXT",
        "bool": "BOOLEAN",
        # TEXT affinity (values.py): a plain DATE would turn CAST('2024-02-29' ...) into 2024.
        "date": "DATE_TEXT",
        "time": "TIME_TEXT",
        "timestamp": "TIMESTAMP_TEXT",
        "binary": "BLOB",
    },
    division_by_zero="SELECT div(1, 0)",
    numeric_overflow="SELECT abs(-9223372036854775808)",
    procedures=PROCEDURES,
    two_result_sets="SELECT 1; SELECT 2",
    warning="SELECT warn('fulldriver: a warning message')",
)


#: fulldriver.bare's SQL: no binary, time or decimal columns, no procedures, no second
#: result set, no warning statement (each family's and feature's absence is declared below).
BARE_SQL = SqlProfile(
    types={family: ddl for family, ddl in SQL.types.items()
           if family not in ("binary", "time", "decimal")},
    division_by_zero=SQL.division_by_zero,
    numeric_overflow=SQL.numeric_overflow,
)

#: fulldriver.bare: every capability it leaves out, with the reason (bare.py).
BARE_CAPABILITIES = Capabilities({
    "transactions": "fulldriver.bare is autocommit only: every statement commits at once",
    "rollback": "fulldriver.bare has no transactions: rollback() raises NotSupportedError",
    "tpc": "fulldriver.bare's xid() and tpc_*() raise NotSupportedError",
    "callproc": "fulldriver.bare has no Cursor.callproc()",
    "callproc_inout": "fulldriver.bare has no Cursor.callproc()",
    "nextset": "fulldriver.bare has no Cursor.nextset()",
    "multiple_result_sets": "fulldriver.bare gives one result set per execute()",
    "warning_messages": "fulldriver.bare reports no messages",
    "rownumber": "fulldriver.bare has no Cursor.rownumber",
    "connection_exceptions": "fulldriver.bare has no exception classes on the Connection",
    "cursor_connection": "fulldriver.bare has no Cursor.connection",
    "scroll": "fulldriver.bare has no Cursor.scroll()",
    "messages": "fulldriver.bare has no Cursor.messages or Connection.messages",
    "next": "fulldriver.bare has no Cursor.next()",
    "iter": "fulldriver.bare has no Cursor.__iter__()",
    "lastrowid": "fulldriver.bare has no Cursor.lastrowid",
    "autocommit_attribute": "fulldriver.bare has no Connection.autocommit (always on)",
    "errorhandler": "fulldriver.bare has no errorhandler attributes",
    "binary": "fulldriver.bare's SQL profile maps no binary column type",
    "time_type": "fulldriver.bare's SQL profile maps no TIME column type",
    "decimal_type": "fulldriver.bare's SQL profile maps no exact numeric column type",
})


def connect(module: Any, endpoint: Any) -> Any:
    return module.connect(endpoint.data_dir / "db.sqlite", timeout=10.0)


def profile(driver: str) -> DriverProfile:
    """The profile of one of DRIVERS: an embedded database; nothing declared absent except
    for fulldriver.bare (BARE_SQL, BARE_CAPABILITIES)."""
    if driver == "fulldriver.bare":
        return DriverProfile(module=driver, database="sqlite", server="none", connect=connect,
                             sql=BARE_SQL, capabilities=BARE_CAPABILITIES)
    return DriverProfile(module=driver, database="sqlite", server="none", connect=connect,
                         sql=SQL)


def pytest_dbapi_profile(config: Any, driver: str) -> DriverProfile | None:
    """The harness hook (harness/hooks.py)."""
    return profile(driver) if driver in DRIVERS else None
