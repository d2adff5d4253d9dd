"""The database registry: each database is named only in its own folders and its entry.

Shared code (the harness, the suite, the mock-server base and command, the shared driver
pieces) iterates over the registry (harness/databases/) and never names a database, so
that adding one means adding its folders plus one entry module.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dbapi_conformance.harness import databases as registry
from dbapi_conformance.harness.databases import DATABASES, DatabaseProfile

ROOT = Path(__file__).resolve().parents[1]
#: The folders whose files are searched (README, pyproject and tox.ini may name databases).
SHARED = ("harness", "suites", "mockservers", "drivers")


def own_places(slug: str) -> list[Path]:
    """Where database ``slug`` may be named: its folders, its codec and its registry entry."""
    return [ROOT / "drivers" / slug, ROOT / "drivers" / "wire" / f"{slug}.py",
            ROOT / "mockservers" / slug, ROOT / "harness" / "databases" / f"{slug}.py"]


def names_of(db: DatabaseProfile) -> set[str]:
    """Words that name ``db``: slug, product, short driver names, client top-level modules."""
    words = {db.slug, db.product, *db.aliases}
    words |= {client.module.partition(".")[0] for client in db.clients}
    return {w.lower() for w in words}


def shared_files() -> list[Path]:
    return sorted(p for top in SHARED for p in (ROOT / top).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


def test_the_registry_has_entries():
    assert DATABASES, "no registry entries found in harness/databases/"
    for slug, db in DATABASES.items():
        assert db.slug == slug and (ROOT / "harness" / "databases" / f"{slug}.py").is_file()


@pytest.mark.parametrize("slug", sorted(DATABASES))
def test_database_is_named_only_in_its_own_places(slug):
    db = DATABASES[slug]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(names_of(db))), re.IGNORECASE)
    allowed = own_places(slug)
    offenders = []
    for path in shared_files():
        if any(path == place or place in path.parents for place in allowed):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, f"{db.product} is named outside its own places:\n" + "\n".join(
        offenders)


def test_the_search_finds_a_name():
    # The check above must be able to fail: a line naming a database is found.
    db = next(iter(DATABASES.values()))
    pattern = re.compile("|".join(re.escape(w) for w in names_of(db)), re.IGNORECASE)
    assert pattern.search(f"see the {db.product} notes")


def _entry_points(monkeypatch, *points):
    from importlib import metadata

    def entry_points(group):
        assert group == registry.ENTRY_POINT_GROUP
        return [metadata.EntryPoint(name, value, group) for name, value in points]

    monkeypatch.setattr(registry.metadata, "entry_points", entry_points)


PLUGIN_ENTRY = DatabaseProfile(slug="plugdb", product="PlugDB", default_port=1234,
                               scheme="tcp")


def test_another_distribution_adds_a_database_through_an_entry_point(monkeypatch):
    _entry_points(monkeypatch, ("plugdb", f"{__name__}:PLUGIN_ENTRY"))
    loaded = registry._load()
    assert loaded["plugdb"] is PLUGIN_ENTRY
    assert set(DATABASES) < set(loaded)


@pytest.mark.parametrize(("value", "message"), [
    ("no_such_module_x:ENTRY", "plugdb = no_such_module_x:ENTRY .* cannot be loaded: "
                               "ModuleNotFoundError"),
    (f"{__name__}:ROOT", "is not a DatabaseProfile"),
])
def test_a_broken_entry_point_is_named(monkeypatch, value, message):
    _entry_points(monkeypatch, ("plugdb", value))
    with pytest.raises((RuntimeError, TypeError), match=message):
        registry._load()


def test_two_entries_for_one_database_are_refused(monkeypatch):
    slug = next(iter(DATABASES))
    monkeypatch.setattr(registry, "_plugin_entries", lambda: iter([DATABASES[slug]]))
    with pytest.raises(ValueError, match=f"two registry entries for the database '{slug}'"):
        registry._load()
