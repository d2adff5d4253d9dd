"""Helpers shared by the PEP 249 conformance tests.

Fixtures come from the harness plugin only; these are plain functions over the objects the
fixtures hand out (module, connection, cursor, ``dbapi_params``, ``dbapi_target``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

#: PEP 249 exception names, in the order the PEP lists them.
EXCEPTION_NAMES = (
    "Warning",
    "Error",
    "InterfaceError",
    "DatabaseError",
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
)
#: Subclasses of DatabaseError required by PEP 249.
DATABASE_ERROR_NAMES = (
    "DataError",
    "OperationalError",
    "IntegrityError",
    "InternalError",
    "ProgrammingError",
    "NotSupportedError",
)
TYPE_OBJECT_NAMES = ("STRING", "BINARY", "NUMBER", "DATETIME", "ROWID")
NAMED_STYLES = ("named", "pyformat")


def module_attr(module: Any, name: str) -> Any:
    """``module.<name>``; fails the test (instead of an AttributeError) when it is missing."""
    if not hasattr(module, name):
        pytest.fail(f"module {module.__name__} does not define {name}")
    return getattr(module, name)


def uses_names(module: Any) -> bool:
    """True when the module's paramstyle binds by name (named, pyformat)."""
    return module.paramstyle in NAMED_STYLES


def describe(exc: BaseException) -> str:
    """``ClassName: message`` of an exception, for observations and failure messages."""
    return f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}"


def raised_by(action: Callable[[], Any], what: str) -> Exception:
    """Run ``action`` and return the exception it raised; fail the test if it raised none."""
    try:
        result = action()
    except Exception as exc:  # noqa: BLE001 - the caller classifies it
        # Drop the traceback: its frames would keep the driver's objects (cursors) alive.
        return exc.with_traceback(None)
    pytest.fail(f"{what}: expected an exception, got the return value {result!r}")


def error_within(action: Callable[[], Any], seconds: float, what: str) -> Exception | None:
    """Run ``action`` on a daemon thread; return the exception it raised, or None.

    Fails the test when the action is still running after ``seconds`` (a hang). pytest's
    own outcomes (skip, fail) raised inside the action are re-raised here.
    """
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - classified by the caller
            outcome.append(exc.with_traceback(None))
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, name="dbapi-suite-bounded", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        pytest.fail(f"{what}: still running after {seconds:g} s (a hang)")
    found = outcome[0]
    if found is not None and not isinstance(found, Exception):
        raise found  # pytest outcomes, KeyboardInterrupt
    return found


def assert_error(module: Any, exc: BaseException, class_name: str, what: str) -> None:
    """Assert ``exc`` is an instance of ``module.<class_name>``.

    When the module lacks the class the test fails too, naming what was raised instead.
    """
    if not hasattr(module, class_name):
        pytest.fail(
            f"{what}: module {module.__name__} does not define {class_name}; "
            f"the driver raised {describe(exc)}"
        )
    cls = getattr(module, class_name)
    assert isinstance(exc, cls), f"{what}: expected {class_name}, got {describe(exc)}"


def observe_call(action: Callable[[], Any]) -> str:
    """Run ``action`` and describe its outcome (return value or exception) as text."""
    try:
        result = action()
    except Exception as exc:  # noqa: BLE001 - observations record any outcome
        return f"raised {describe(exc)}"
    return f"returned {result!r}"


def basic_rows(count: int, start: int = 1) -> list[tuple[int, str]]:
    """Rows for the "basic" table shape: (id, name) with ids start..start+count-1."""
    return [(i, f"name-{i}") for i in range(start, start + count)]


def insert_basic(cursor: Any, params: Any, table: str, rows: Sequence[tuple[int, str]]) -> None:
    """Insert (id, name) rows one ``execute`` at a time (so executemany is not relied on)."""
    sql = params.sql(f"INSERT INTO {table} (id, name) VALUES ({{}}, {{}})")
    for row in rows:
        cursor.execute(sql, params.args(*row))


def filled_basic_table(
    target: Any, connection: Any, make_table: Callable[..., str], params: Any, count: int
) -> tuple[str, list[tuple[int, str]]]:
    """A new "basic" table holding ``basic_rows(count)``, committed and visible to reads."""
    table = make_table("basic")
    rows = basic_rows(count)
    cursor = connection.cursor()
    try:
        insert_basic(cursor, params, table, rows)
        connection.commit()
        target.sql.after_write(cursor, table)
    finally:
        cursor.close()
    return table, rows


def query_basic_rows(
    target: Any, connection: Any, make_table: Callable[..., str], params: Any, count: int
) -> Iterator[tuple[Any, list[tuple[int, str]]]]:
    """Fixture body: yield (cursor, rows), the cursor positioned on ``SELECT id, name`` of
    ``count`` rows ordered by id; the cursor is closed afterwards (errors ignored)."""
    table, rows = filled_basic_table(target, connection, make_table, params, count)
    cursor = connection.cursor()
    cursor.execute(f"SELECT id, name FROM {table} ORDER BY id")
    yield cursor, rows
    with contextlib.suppress(Exception):
        cursor.close()


def select_basic(cursor: Any, table: str) -> list[tuple]:
    """All rows of a "basic" table ordered by id, as tuples."""
    cursor.execute(f"SELECT id, name FROM {table} ORDER BY id")
    return [tuple(row) for row in cursor.fetchall()]


def count_rows(target: Any, cursor: Any, table: str) -> int:
    """Number of rows in ``table`` after making earlier writes visible."""
    target.sql.after_write(cursor, table)
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    return int(cursor.fetchone()[0])


def create_table_sql(target: Any, name: str) -> str:
    """DDL for a table ``name`` with one INTEGER primary key column ``id``.

    Used where a test must run DDL itself (the "basic" tables come from ``dbapi_table``).
    """
    return f"CREATE TABLE {name} (id {target.sql.types['int']} PRIMARY KEY)"


@contextlib.contextmanager
def dropped_after(connection: Any, name: str) -> Iterator[str]:
    """Drop table ``name`` (best effort, through a new cursor of ``connection``) on exit."""
    try:
        yield name
    finally:
        with contextlib.suppress(Exception):
            cursor = connection.cursor()
            cursor.execute(f"DROP TABLE {name}")
            connection.commit()
            cursor.close()


def type_column(target: Any, family: str) -> str:
    """Quoted name of the "types" table column of a type family (the names are SQL keywords)."""
    return target.sql.quote_identifier(family)


class CustomSequence(Sequence):
    """A parameter sequence that is neither a tuple nor a list (footnote 5: __getitem__)."""

    def __init__(self, values: Sequence[Any]) -> None:
        self._values = list(values)

    def __getitem__(self, index):  # type: ignore[override]
        return self._values[index]

    def __len__(self) -> int:
        return len(self._values)


class CustomMapping(Mapping):
    """A parameter mapping that is not a dict (footnote 5: __getitem__ by name)."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def custom_container(args: Any) -> Any:
    """The same parameters in a user-defined Sequence or Mapping class."""
    if isinstance(args, Mapping):
        return CustomMapping(args)
    return CustomSequence(args)
