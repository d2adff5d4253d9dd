"""The README's Python examples run as tests, against a mock server on a free port.

Every ```python block of README.md runs. A line ``print(expr)   # text`` must print exactly
``text``; the examples' fixed address (the database's default port on localhost) is
replaced by the mock server's. A block that defines ``pytest_dbapi_profile`` is a conftest
example: its hook must return a DriverProfile for the driver it names.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from dbapi_conformance.harness import DriverProfile
from dbapi_conformance.harness.databases import DATABASES
from dbapi_conformance.mockservers.base import load_mock_class

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXPECTED = re.compile(r"^\s*print\(.*\)\s+# (.+)$")


def python_blocks() -> list[str]:
    return BLOCK.findall(README.read_text(encoding="utf-8"))


def expected_output(block: str) -> list[str]:
    """The texts the block's commented print lines must print, in order."""
    return [m.group(1).strip() for line in block.splitlines() if (m := EXPECTED.match(line))]


@pytest.fixture(scope="module")
def mocks():
    """A running mock of every registry database that has one: slug -> server."""
    with contextlib.ExitStack() as stack:
        servers = {}
        for db in DATABASES.values():
            if db.mock:
                server = load_mock_class(db.mock)(host="127.0.0.1", port=0)
                server.start()
                stack.callback(server.stop)
                servers[db.slug] = server
        yield servers


def test_the_readme_has_python_examples():
    blocks = python_blocks()
    assert len(blocks) >= 3
    assert any(expected_output(b) for b in blocks), "no example states what it prints"


@pytest.mark.parametrize("index", range(len(python_blocks())))
def test_readme_example_runs(index, mocks):
    block = python_blocks()[index]
    for slug, server in mocks.items():
        block = block.replace(f"localhost:{DATABASES[slug].default_port}",
                              server.url.split("://", 1)[1])
    namespace: dict = {"__name__": "readme_example"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, f"README.md python block {index + 1}", "exec"), namespace)
    assert out.getvalue().splitlines() == expected_output(block)
    hook = namespace.get("pytest_dbapi_profile")
    if hook is not None:
        driver = re.search(r'driver == "([^"]+)"', block).group(1)
        assert isinstance(hook(None, driver), DriverProfile)
        assert hook(None, driver + "_other") is None
