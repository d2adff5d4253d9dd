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
    server)::

        from dbapi_conformance.harness import Capabilities, DriverProfile, SqlProfile

        def pytest_dbapi_profile(config, driver):
            if driver != "sqlite3":
                return None
            return DriverProfile(
                module="sqlite3",
                database="sqlite",
                server="none",
                connect=lambda mod, endpoint: mod.connect(endpoint.data_dir / "db.sqlite"),
                sql=SqlProfile(types={"int": "INTEGER", "text": "TEXT", "float": "REAL",
                                      "binary": "BLOB"}),
                capabilities=Capabilities({"callproc": "SQLite has no stored procedures"}),
            )
    """
