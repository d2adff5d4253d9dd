"""The installed official Ignite 3 client, pyignite_dbapi 3.1.0: its packaging quirks cannot
reach the project's tests (protocols/ignite3.md 16)."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pyignite_dbapi

TESTS = Path(__file__).resolve().parent


def test_site_packages_tests_package_does_not_shadow_ours():
    # The wheel installs a top-level ``tests`` package; pytest's importlib mode names our
    # modules ``tests.*`` from their paths, so every one of them must be a file of ours.
    ours = {name: m for name, m in sys.modules.items()
            if name == "tests" or name.startswith("tests.")}
    assert "tests.conftest" in ours
    for name, module in ours.items():
        path = getattr(module, "__file__", None)
        assert path is None or Path(path).resolve().is_relative_to(TESTS), (name, path)
    assert Path(sys.modules[__name__].__file__).resolve() == Path(__file__).resolve()


def test_version_comes_from_the_distribution():
    # pyignite_dbapi.__version__ is a function object (its () is missing), not a string
    assert callable(pyignite_dbapi.__version__)
    assert importlib.metadata.version("pyignite_dbapi") == "3.1.0"
    assert pyignite_dbapi.apilevel == "2.0" and pyignite_dbapi.paramstyle == "qmark"
