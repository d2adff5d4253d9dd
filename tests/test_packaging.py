"""Packaging guardrails (design.md "Layout"): one import root, no generic top-level names.

setuptools silently drops a package missing from the explicit ``packages`` list, and a bare
``import harness`` would only work from a checkout; both break the installed wheel.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAPPED = ("harness", "drivers", "mockservers", "suites")
BANNED = set(MAPPED)


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _package_folders() -> list[str]:
    """Dotted names (``dbapi_conformance.harness``...) of every folder with __init__.py."""
    names = []
    for top in MAPPED:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            names.append(".".join(("dbapi_conformance", *rel.parts)))
    return names


def test_every_package_folder_is_listed():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = _package_folders()
    assert "dbapi_conformance.harness" in found
    missing = sorted(set(found) - listed)
    assert missing == [], f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_listed_packages_exist():
    listed = _pyproject()["tool"]["setuptools"]["packages"]
    absent = [name for name in listed
              if not (ROOT.joinpath(*name.split(".")[1:]) / "__init__.py").is_file()]
    assert absent == []


def test_package_dir_maps_each_folder_under_one_root():
    package_dir = _pyproject()["tool"]["setuptools"]["package-dir"]
    assert package_dir == {f"dbapi_conformance.{top}": top for top in MAPPED}


def test_harness_data_is_packaged():
    data = _pyproject()["tool"]["setuptools"]["package-data"]
    assert data["dbapi_conformance.harness"] == ["data/*.json"]
    assert (ROOT / "harness" / "data" / "clauses.json").is_file()


def test_plugin_entry_point():
    entry = _pyproject()["project"]["entry-points"]["pytest11"]
    assert entry == {"dbapi_conformance": "dbapi_conformance.harness.plugin"}


def _bare_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.relative_to(root)}:{node.lineno}: {name}" for name in names
                  if name.split(".")[0] in BANNED]
    return found


def test_no_bare_imports_of_the_mapped_folders():
    files = [p for top in (*MAPPED, "tests", "bench") for p in sorted((ROOT / top).rglob("*.py"))
             if "__pycache__" not in p.parts]
    assert len(files) > 10
    offenders = [hit for path in files for hit in _bare_imports(path)]
    assert offenders == [], "import from dbapi_conformance.<...> instead: " + ", ".join(offenders)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import harness\n", ["x.py:1: harness"]),
        ("from drivers.cratedb import connect\n", ["x.py:1: drivers.cratedb"]),
        ("import mockservers.engine as e\n", ["x.py:1: mockservers.engine"]),
        ("from dbapi_conformance.suites import pep249\n", []),
        ("from . import hooks\n", []),
        ("import harnessing\n", []),
    ],
)
def test_bare_import_detector(tmp_path, source, expected):
    path = tmp_path / "x.py"
    path.write_text(source)
    assert _bare_imports(path, tmp_path) == expected


def test_conftest_loads_without_the_test_extra():
    """The README's main job runs pytest in the checkout with only the base install, and
    pytest loads tests/conftest.py there: it may import base dependencies only."""
    base = {req.split(">")[0].split("=")[0].split("[")[0].strip().lower().replace("-", "_")
            for req in _pyproject()["project"]["dependencies"]}
    base |= {"pytest", "__future__", "dbapi_conformance"}
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text(encoding="utf-8"))
    top_level = []
    for node in tree.body:  # imports inside fixtures run only when a test uses them
        if isinstance(node, ast.Import):
            top_level += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            top_level.append((node.module or "").split(".")[0])
    assert [name for name in top_level if name.lower() not in base] == []
