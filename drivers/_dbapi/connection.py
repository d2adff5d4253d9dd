"""A PEP 249 Connection base: closed state, context manager, exception attributes.

Drivers subclass it and add ``cursor()``, ``commit()`` and, only when the database has
transactions, ``rollback()`` (CON-ROLLBACK-3: leave it out otherwise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dbapi_conformance.drivers._dbapi import exceptions as _exc


class ConnectionBase:
    """Closed-state bookkeeping shared by the reference drivers' connections.

    - ``closed`` is True after :meth:`close`; every later use raises ``ProgrammingError``
      (CON-CLOSE-2). :meth:`close` itself may be called again (it does nothing then).
    - The PEP 249 exception classes are attributes (EXT-CONNEXC-1).
    - ``with connection:`` closes the connection on exit (it does not commit).
    - ``messages``: ``(exception class, exception)`` pairs about the connection, cleared
      by the standard methods (EXT-MSG-3); subclasses call :meth:`_start` first in each.
    - ``errorhandler``: None (standard handling) or ``handler(connection, None,
      errorclass, errorvalue)`` for errors of the connection's methods; cursors start with
      the connection's (EXT-ERRH-1..3). Subclasses decorate their public methods with
      :func:`~.errorhandler.handles_errors`.
    """

    Warning = _exc.Warning
    Error = _exc.Error
    InterfaceError = _exc.InterfaceError
    DatabaseError = _exc.DatabaseError
    DataError = _exc.DataError
    OperationalError = _exc.OperationalError
    IntegrityError = _exc.IntegrityError
    InternalError = _exc.InternalError
    ProgrammingError = _exc.ProgrammingError
    NotSupportedError = _exc.NotSupportedError

    _closed = False

    def __init__(self) -> None:
        self.messages: list[tuple[type, Exception]] = []
        self.errorhandler: Callable[..., Any] | None = None

    def _error_context(self) -> tuple[Any, Any]:
        return self, None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise _exc.ProgrammingError("connection is closed")

    def _start(self) -> None:
        """Begin a standard method: check the state, clear ``messages``."""
        self._check_open()
        del self.messages[:]

    def _close(self) -> None:
        """Release the driver's resources; called once by :meth:`close`."""

    def close(self) -> None:
        """Close the connection now (CON-CLOSE-1). A second call does nothing."""
        if not self._closed:
            self._closed = True
            del self.messages[:]
            self._close()

    def __enter__(self) -> Any:
        self._check_open()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


# --- connect() argument checks ------------------------------------------------------------


def positive_seconds(value: Any, name: str, default: float | None) -> float | None:
    """``value`` as float seconds (``default`` when None); InterfaceError for anything that
    is not a positive number (bools included)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _exc.InterfaceError(f"{name} must be a positive number of seconds, not {value!r}")
    return float(value)


def either(value: Any, alias: Any, name: str, alias_name: str) -> Any:
    """The one of a keyword and its alias (``user``/``username``) that was given;
    InterfaceError when both were."""
    if alias is None:
        return value
    if value is not None:
        raise _exc.InterfaceError(f"give either {name} or {alias_name}, not both")
    return alias
