"""Hook specifications of the dbapi-conformance pytest plugin.

Implement them in a ``conftest.py`` beside where pytest is started (or in a plugin). They
are registered through ``pytest_addhooks``, so conftests loaded at start-up see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dbapi_conformance.harness.profiles import DriverProfile


@pytest.hookspec(firstresult=True)
def pytest_dbapi_profile(config: pytest.Config, driver: str) -> DriverProfile | None:
    """Return the DriverProfile for ``driver`` (the module path given to --dbapi-driver).

    Called once per driver at configure time, before the built-in profiles are consulted,
    so a conftest can also replace a built-in profile. Return None to leave the driver to
    other implementations or to the built-in profiles. The first non-None result wins.

    Example, certifying the standard library's ``sqlite3`` (an embedded database, no
    server). Every capability sqlite3 or SQLite lacks is declared absent with its reason;
    an undeclared missing feature fails its clause instead of being n/a::

        from dbapi_conformance.harness import Capabilities, DriverProfile, SqlProfile

        NO_PROCEDURES = "SQLite has no stored procedures"
        SQLITE3_CAPABILITIES = Capabilities({
            "callproc": NO_PROCEDURES,
            "callproc_inout": NO_PROCEDURES,
            "nextset": "sqlite3 runs one statement per execute() and has no nextset()",
            "multiple_result_sets": "sqlite3 runs one statement per execute()",
            "tpc": "SQLite has no two-phase commit",
            "rownumber": "sqlite3's Cursor has no rownumber",
            "scroll": "sqlite3's Cursor has no scroll()",
            "messages": "sqlite3 has no messages attributes",
            "warning_messages": "SQLite sends no messages with a result",
            "next": "sqlite3's Cursor has __next__ but no next()",
            "errorhandler": "sqlite3 has no errorhandler extension",
            "autocommit_attribute": "sqlite3 has Connection.autocommit only from Python "
            "3.12, and it defaults to LEGACY_TRANSACTION_CONTROL (-1), not a bool",
            "date_type": "SQLite has no DATE storage class",
            "time_type": "SQLite has no TIME storage class",
            "decimal_type": "SQLite has no exact numeric storage class",
            "bool_type": "SQLite has no BOOLEAN storage class",
        })

        def pytest_dbapi_profile(config, driver):
            if driver != "sqlite3":
                return None
            return DriverProfile(
                module="sqlite3",
                database="sqlite",
                server="none",
                connect=lambda mod, endpoint: mod.connect(endpoint.data_dir / "db.sqlite"),
                sql=SqlProfile(
                    types={"int": "INTEGER", "bigint": "INTEGER", "float": "REAL",
                           "text": "TEXT", "timestamp": "TIMESTAMP", "binary": "BLOB"},
                    # 1/0 is NULL in SQLite; abs() of the smallest integer overflows.
                    numeric_overflow="SELECT abs(-9223372036854775808)",
                ),
                capabilities=SQLITE3_CAPABILITIES,
            )
    """
