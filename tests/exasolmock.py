"""Helpers of the Exasol mock tests that drive pyexasol against an in-process mock.

pyexasol's ``ExaConnection.__del__`` (and ``ExaStatement.__del__``) send a request and wait
for its reply in whichever thread the garbage collector happens to run. When that is the
in-process mock's event-loop thread, the loop waits on itself until pyexasol's socket
timeout. So these tests close every connection explicitly, and :func:`sessions_closed`
checks that they did.
"""

from __future__ import annotations

import gc
import time

#: Seconds a test's closed sessions may take to be released by the mock.
RELEASE_TIMEOUT = 10.0


def open_sessions(*servers) -> int:
    """Sessions still open on ``servers`` once RELEASE_TIMEOUT has passed (0 at once when
    all are released: a closed connection's session goes when its socket does)."""
    deadline = time.monotonic() + RELEASE_TIMEOUT
    while True:
        count = sum(server.session_count for server in servers)
        if count == 0 or time.monotonic() >= deadline:
            return count
        time.sleep(0.02)


def sessions_closed(request, *names: str):
    """Generator body of an autouse fixture: after the test, the module servers among
    ``names`` that the test used must have no session left open. Leftovers are then
    collected here, in the test's thread, so that their finalizers cannot run in a mock's
    event-loop thread later; the test fails with their count."""
    yield
    servers = [request.getfixturevalue(name) for name in names
               if name in request.fixturenames]
    left = open_sessions(*servers)
    gc.collect()
    assert left == 0, f"the test left {left} session(s) open: close connections explicitly"
