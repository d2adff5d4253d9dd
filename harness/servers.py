"""Server backends: in-process mock, subprocess mock, container, user's URL, none (embedded).

A ServerPool lives for one pytest session (one per xdist worker) and starts each backend at
most once, on first use; ``close()`` stops them all. Mock servers always listen on port 0
and report their URL; readiness is the mock's own signal (``start()`` returning, or the
one "<db> listening on <url>" line), never a sleep (design.md decisions).
"""

from __future__ import annotations

import argparse
import importlib
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dbapi_conformance.harness.databases import DatabaseProfile
from dbapi_conformance.harness.endpoint import Endpoint, ServerUnavailable, endpoint_from_url
from dbapi_conformance.harness.options import mock_arguments
from dbapi_conformance.harness.targets import Target
from dbapi_conformance.mockservers.base import (
    MockServerAPI,
    UsageError,
    command_line,
    parse_ready_line,
)

#: Seconds a subprocess mock may take to print its "listening on" line.
SUBPROCESS_START_TIMEOUT = 30.0
#: Seconds a subprocess mock may take to exit after SIGTERM before it is killed.
SUBPROCESS_STOP_TIMEOUT = 10.0


def load_mock_class(db: DatabaseProfile) -> type[MockServerAPI]:
    """Import the mock server class "module:Class" (a MockServerAPI, mockservers/base.py);
    ServerUnavailable if not importable."""
    if db.mock is None:
        raise ServerUnavailable(db.no_mock)
    module_name, _, class_name = db.mock.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only a missing mock module means "no mock here"; other errors are real bugs.
        if exc.name and module_name.startswith(exc.name):
            raise ServerUnavailable(
                f"the {db.slug} mock server is not available (cannot import {module_name})"
            ) from None
        raise
    try:
        return getattr(module, class_name)
    except AttributeError:
        raise ServerUnavailable(f"{module_name} has no {class_name}") from None


class _OptionError(argparse.ArgumentParser):
    def error(self, message: str):  # argparse would exit the test run
        raise RuntimeError(message)


def _mock_from_options(cls, db: DatabaseProfile, arguments: list[str]) -> MockServerAPI:
    """A mock built as ``dbapi-mock <db> --host 127.0.0.1 --port 0 <arguments>`` would."""
    parser = _OptionError(prog=f"dbapi-mock {db.slug}")
    cls.add_arguments(parser, default_port=0)
    try:
        return cls.from_args(parser.parse_args(["--host", "127.0.0.1", "--port", "0",
                                                *arguments]))
    except (RuntimeError, UsageError) as exc:
        raise RuntimeError(f"the {db.slug} mock refuses --dbapi-mock-option "
                           f"{' '.join(arguments)}: {exc}") from None


def start_mock_thread(db: DatabaseProfile, arguments: list[str] | None = None,
                      ) -> tuple[Endpoint, Callable[[], None]]:
    """Start the database's mock server on a background thread; returns once it listens.

    Uses only :class:`~dbapi_conformance.mockservers.base.MockServerAPI`: ``cls(host=,
    port=0)``, ``start()`` (raises the start-up error or TimeoutError), ``url``,
    ``version``, ``stop``; with ``arguments`` (``dbapi-mock`` options, from
    ``--dbapi-mock-option``) the mock's ``add_arguments`` / ``from_args`` build it
    (RuntimeError for options it refuses)."""
    cls = load_mock_class(db)
    server: MockServerAPI = (_mock_from_options(cls, db, arguments) if arguments
                             else cls(host="127.0.0.1", port=0))
    server.start()
    endpoint = endpoint_from_url(
        server.url, kind="mock", default_user=db.default_user,
        product=f"{db.product} mock (dbapi-conformance)",
    )
    endpoint.version = server.version
    return endpoint, server.stop


class MockProcess:
    """A mock server child process: its first stdout line, stderr kept in a file, stop().

    ``command``: argv; the child must print one readiness line, then serve until SIGTERM.
    """

    def __init__(self, command: list[str]) -> None:
        self._stderr = tempfile.TemporaryFile()  # a file: a chatty child never blocks
        self.proc = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
            text=True,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(
            target=lambda: self._lines.put(self.proc.stdout.readline()), daemon=True
        )
        self._reader.start()

    def first_line(self, timeout: float) -> str | None:
        """The first stdout line ("" at EOF), or None after ``timeout`` seconds."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None

    def stderr_tail(self, limit: int = 2000) -> str:
        self._stderr.seek(0)
        return self._stderr.read()[-limit:].decode(errors="replace").strip()

    def terminate(self) -> None:
        """SIGTERM, wait SUBPROCESS_STOP_TIMEOUT, then kill; idempotent."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=SUBPROCESS_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=SUBPROCESS_STOP_TIMEOUT)

    def stop(self) -> None:
        """terminate(), then release the pipes and the stderr file."""
        self.terminate()
        self._reader.join(timeout=SUBPROCESS_STOP_TIMEOUT)  # EOF once the child is gone
        if self.proc.stdout and not self._reader.is_alive():
            self.proc.stdout.close()
        self._stderr.close()


def start_mock_subprocess(
    db: DatabaseProfile,
    command: list[str] | None = None,
    timeout: float = SUBPROCESS_START_TIMEOUT,
    arguments: list[str] | None = None,
) -> tuple[Endpoint, Callable[[], None]]:
    """Run ``python -m dbapi_conformance.mockservers <db> --port 0`` and read its URL.

    The child prints exactly one line "<db> listening on <url>" when ready (``command_line``
    and ``ready_line`` of mockservers/base.py; ``command`` replaces the default command
    line; ``arguments`` are appended to the default one). ServerUnavailable when the mock
    cannot be imported;
    RuntimeError when the child exits or stays silent for ``timeout`` seconds (the message
    holds the tail of its stderr). The returned stop() terminates it (SIGTERM, then kill).
    """
    if command is None:
        load_mock_class(db)  # fail fast, with the same message, when there is no mock
        command = command_line(db.slug, "127.0.0.1", 0) + list(arguments or ())
    child = MockProcess(command)
    line = child.first_line(timeout)
    url = parse_ready_line(db.slug, line) if line else None
    if url is None:
        if line is None:
            problem = f"did not report readiness within {timeout:g} s"
        elif line:
            problem = f"printed an unexpected first line {line.strip()!r}"
        else:  # EOF: the child is exiting, and its exit code helps the reader
            try:
                problem = f"exited with code {child.proc.wait(timeout=SUBPROCESS_STOP_TIMEOUT)}"
            except subprocess.TimeoutExpired:
                problem = "closed its output"
        child.terminate()
        tail = child.stderr_tail()
        child.stop()
        raise RuntimeError(
            f"the {db.slug} mock subprocess {problem}; stderr: {tail or '(empty)'}"
        )
    endpoint = endpoint_from_url(
        url, kind="mock", default_user=db.default_user,
        product=f"{db.product} mock (dbapi-conformance, subprocess)",
    )
    return endpoint, child.stop


class ServerPool:
    """Backends started on demand and shared by the tests of one session.

    ``data_root``: a directory for embedded databases (each target gets a subdirectory);
    ``mock_options``: ``--dbapi-mock-option`` specs for the mock servers it starts.
    ``endpoint(target)`` returns the running Endpoint, or raises ServerUnavailable (skip)
    or the backend's start error (RuntimeError and others; cached so a broken backend is
    not restarted for every test).
    """

    def __init__(self, data_root: Path, mock_options: tuple[str, ...] = ()) -> None:
        self._data_root = data_root
        self._mock_options = tuple(mock_options)  # --dbapi-mock-option specs
        self._endpoints: dict[tuple[str, ...], Endpoint | BaseException] = {}
        self._stops: list[Callable[[], None]] = []
        self._lock = threading.Lock()  # tests may run in threads (pytest-parallel & co.)

    def endpoint(self, target: Target) -> Endpoint:
        key = self._key(target)
        with self._lock:
            if key not in self._endpoints:
                try:
                    self._endpoints[key] = self._start(target)
                except Exception as exc:
                    self._endpoints[key] = exc
            found = self._endpoints[key]
        if isinstance(found, BaseException):
            raise found
        return found

    @staticmethod
    def _key(target: Target) -> tuple[str, ...]:
        if target.server_kind == "none":
            return ("none", target.id)
        if target.server_kind == "mock":
            return ("mock", target.database, target.profile.mock_runner)
        return (target.server_kind, target.database, target.server)

    def _start(self, target: Target) -> Endpoint:
        db = target.db
        kind = target.server_kind
        if kind == "none":
            path = self._data_root / target.id
            path.mkdir(parents=True, exist_ok=True)
            return Endpoint(kind="none", product=target.database, data_dir=path)
        if kind == "url":
            return endpoint_from_url(
                target.server,
                scheme=db.scheme if db else None,
                default_port=db.default_port if db else None,
                default_user=db.default_user if db else None,
                product=db.product if db else target.database,
            )
        if db is None:
            raise ServerUnavailable(
                f"the harness has no {kind} server for the unknown database "
                f"{target.database!r}; give --dbapi-server=URL"
            )
        if kind == "mock":
            arguments = mock_arguments(self._mock_options, db.slug)
            if target.profile.mock_runner == "subprocess":
                endpoint, stop = start_mock_subprocess(db, arguments=arguments)
            else:
                endpoint, stop = start_mock_thread(db, arguments)
        else:
            if db.container is None:
                raise ServerUnavailable(db.no_container)
            endpoint, stop = db.container()
        self._stops.append(stop)
        return endpoint

    def close(self) -> None:
        """Stop every started backend (errors are ignored: this runs at session end)."""
        stops, self._stops = self._stops, []
        for stop in reversed(stops):
            try:
                stop()
            except Exception:  # a backend that fails to stop must not hide test results
                pass
        self._endpoints.clear()


def fill_server_version(endpoint: Endpoint, target: Target, connect: Callable[[], Any]) -> None:
    """Ask the server for its version once (database profile's server_version), if unknown.

    ``connect``: () -> a new connection of the target's driver. Errors leave it unknown.
    """
    if endpoint.version is not None or endpoint.version_probed:
        return
    endpoint.version_probed = True
    query = target.db.server_version if target.db else None
    if query is None or endpoint.kind == "none":
        return
    try:
        conn = connect()
        try:
            endpoint.version = query(conn)
        finally:
            conn.close()
    except Exception:  # the version is decoration; conformance tests report driver faults
        pass
