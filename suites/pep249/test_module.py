"""PEP 249 module interface: connect() and the globals apilevel, threadsafety, paramstyle."""

import inspect

import pytest

SUGGESTED_CONNECT_KEYWORDS = ("dsn", "user", "password", "host", "database")


def _connect_parameters(module):
    """Parameters of module.connect (the __init__ of a class), or None when a C function
    gives no signature."""
    try:
        return inspect.signature(module.connect).parameters
    except (TypeError, ValueError):
        return None


@pytest.mark.pep249("MOD-CONNECT-1")
def test_connect_returns_a_connection(dbapi_module, dbapi_connect, dbapi_target):
    assert callable(getattr(dbapi_module, "connect", None)), "module has no callable connect"
    connection = dbapi_connect()
    for name in ("close", "commit", "cursor"):
        assert callable(getattr(connection, name, None)), f"connection has no {name}()"
    cursor = connection.cursor()
    cursor.execute(dbapi_target.sql.select_one)
    assert [list(row) for row in cursor.fetchall()] == [[1]]


@pytest.mark.pep249("MOD-CONNECT-2")
def test_connect_accepts_suggested_keywords(dbapi_module, dbapi_observe):
    assert callable(getattr(dbapi_module, "connect", None)), "module has no callable connect"
    parameters = _connect_parameters(dbapi_module)
    if parameters is None:
        # Nothing to read the keywords from; the guideline cannot be checked from outside.
        dbapi_observe("MOD-CONNECT-2", "connect() has no introspectable signature")
        return
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    accepted = [name for name in SUGGESTED_CONNECT_KEYWORDS if name in parameters]
    assert accepted or takes_any, (
        f"connect() accepts none of the suggested keywords {SUGGESTED_CONNECT_KEYWORDS}; "
        f"it takes {list(parameters)}"
    )


@pytest.mark.pep249("MOD-CONNECT-3")
def test_connect_autocommit_keyword(dbapi_module, dbapi_observe):
    try:
        parameters = inspect.signature(dbapi_module.connect).parameters
    except (TypeError, ValueError):
        dbapi_observe("MOD-CONNECT-3", "connect() signature cannot be introspected")
        return
    if "autocommit" in parameters:
        text = "connect() accepts an autocommit keyword"
    elif any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        text = "connect() takes **kwargs; an autocommit keyword is not named"
    else:
        text = "connect() has no autocommit keyword"
    dbapi_observe("MOD-CONNECT-3", text)


@pytest.mark.pep249("GLB-APILEVEL-1")
def test_apilevel_is_a_string(dbapi_module):
    assert hasattr(dbapi_module, "apilevel"), "module has no apilevel"
    assert isinstance(dbapi_module.apilevel, str)


@pytest.mark.pep249("GLB-APILEVEL-2")
def test_apilevel_is_2_0(dbapi_module):
    assert getattr(dbapi_module, "apilevel", None) == "2.0"


@pytest.mark.pep249("GLB-THREAD-1")
def test_threadsafety_is_0_to_3(dbapi_module):
    value = getattr(dbapi_module, "threadsafety", None)
    assert type(value) is int, f"threadsafety is {value!r}, not an int"
    assert value in (0, 1, 2, 3)


@pytest.mark.pep249("GLB-PARAM-1")
def test_paramstyle_is_known(dbapi_module):
    assert getattr(dbapi_module, "paramstyle", None) in (
        "qmark",
        "numeric",
        "named",
        "format",
        "pyformat",
    )


@pytest.mark.pep249("GLB-PARAM-2")
def test_paramstyle_is_preferred(dbapi_module):
    assert getattr(dbapi_module, "paramstyle", None) in ("numeric", "named", "pyformat"), (
        f"paramstyle {getattr(dbapi_module, 'paramstyle', None)!r} is not one of the "
        "preferred numeric, named, pyformat"
    )
