"""The method wrapper shared by Connection and Cursor: lock, messages, errorhandler.

- Every public method holds the connection's lock for its whole call (threadsafety 3).
- ``messages`` is cleared before the call, except for fetch* and scroll/next
  (EXT-MSG-2, EXT-MSG-3).
- An ``Error`` raised inside goes to ``errorhandler`` (EXT-ERRH-2; read through
  ``_errorhandler()``): when it is None, the
  standard handling appends ``(class, error)`` to ``messages`` and raises the error; else
  the handler is called as ``handler(connection, cursor or None, class, error)``, and when
  it returns instead of raising, the method returns None.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from .errors import Error

F = TypeVar("F", bound=Callable[..., Any])


def api(clears_messages: bool = True) -> Callable[[F], F]:
    """Decorator for a public method of an object with ``_lock``, ``messages``,
    ``_errorhandler()`` and ``_handler_args()`` -> (connection, cursor or None)."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                if clears_messages:
                    del self.messages[:]
                try:
                    return method(self, *args, **kwargs)
                except Error as exc:
                    handler = self._errorhandler()
                    if handler is None:
                        self.messages.append((type(exc), exc))
                        raise
                    connection, cursor = self._handler_args()
                    handler(connection, cursor, type(exc), exc)
                    return None

        return wrapper  # type: ignore[return-value]

    return decorate
