"""PEP 249's errorhandler extension for the reference drivers (EXT-ERRH-1..3).

:func:`handles_errors` wraps a public Connection or Cursor method. A PEP 249 ``Error`` the
method raises goes to the object's ``errorhandler``, called as
``errorhandler(connection, cursor or None, errorclass, errorvalue)``: what the handler
returns becomes the method's result, what it raises propagates. Without a handler (None,
the default) the standard handling applies: the ``(errorclass, errorvalue)`` pair is
appended to the object's ``messages`` and the error is raised (EXT-ERRH-2, EXT-MSG-1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from dbapi_conformance.drivers._dbapi.exceptions import Error

F = TypeVar("F", bound=Callable[..., Any])


def handles_errors(method: F) -> F:
    """Decorator: route the PEP 249 errors of ``method`` through ``self.errorhandler``.

    ``self`` needs ``errorhandler``, ``messages`` and ``_error_context()`` -> (connection,
    cursor or None), as ConnectionBase and CursorBase have.
    """

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Error as exc:
            handler = self.errorhandler
            if handler is None:
                if not any(value is exc for _, value in self.messages):  # not told twice
                    self.messages.append((type(exc), exc))
                raise
            connection, cursor = self._error_context()
            return handler(connection, cursor, type(exc), exc)

    return wrapper  # type: ignore[return-value]
