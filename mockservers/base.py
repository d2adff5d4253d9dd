"""The life cycle every mock server shares: loop, readiness, stop, three ways to run.

A mock server is a :class:`BaseMockServer` subclass that supplies two coroutines, run on the
server's own event loop:

- :meth:`BaseMockServer.listen`: bind, start accepting, return the bound ``(host, port)``;
- :meth:`BaseMockServer.close`: stop accepting, end every connection, release everything
  (idempotent; also called after a ``listen`` that failed half-way);

plus its URL scheme (:attr:`BaseMockServer.scheme`), its ``dbapi-mock`` options
(:meth:`~BaseMockServer.add_arguments` / :meth:`~BaseMockServer.from_args`) and class
attributes ``summary``, ``default_port`` and ``version``. The base owns the rest, written once
(design.md, "Mock servers share one base"):

1. in-process: :meth:`~BaseMockServer.start` runs the server on a background thread with its
   own event loop and returns once it listens (start-up errors are raised in the caller's
   thread); :meth:`~BaseMockServer.stop` ends it; a context manager does both;
2. in the running loop: :meth:`~BaseMockServer.serve_forever` (``ready(url)`` is called once
   listening) until :meth:`~BaseMockServer.request_stop` (thread-safe); the ``dbapi-mock``
   command wraps it in :func:`serve_until_signal` (SIGINT/SIGTERM);
3. in a subprocess: :func:`command_line` starts ``dbapi-mock <slug>``, which prints one
   :func:`ready_line` (``"<slug> listening on <url>"``) once it accepts connections;
   :func:`parse_ready_line` reads it back.

:class:`MockServerAPI` is the typed surface the harness relies on (harness/servers.py).
:class:`StreamMockServer` is the base of asyncio-streams TCP mocks (binary protocols): the
subclass only handles one connection's ``(reader, writer)``, with bounded reads
(:meth:`StreamMockServer.read_exactly`). A websockets mock subclasses
:class:`BaseMockServer` directly: ``listen`` awaits ``websockets.serve(...)`` and returns its
socket's address, ``close`` closes that server.

Every wait has a timeout: ``startup_timeout`` for start-up, ``stop_timeout`` for a stop;
a wait that runs out raises :class:`TimeoutError`.
"""

from __future__ import annotations

import abc
import argparse
import asyncio
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, Protocol, runtime_checkable

__all__ = [
    "MockServerAPI", "BaseMockServer", "StreamMockServer", "UsageError", "port_number",
    "serve_until_signal", "command_line", "ready_line", "parse_ready_line", "load_mock_class",
    "format_url",
]

#: Called with the server's URL once it accepts connections.
ReadyCallback = Callable[[str], None]

#: The one line a mock prints on stdout when it is ready: ``ready_line(slug, url)``.
READY_FORMAT = "{slug} listening on {url}"


class UsageError(ValueError):
    """Command-line options that do not go together (``from_args``); ``dbapi-mock`` prints
    the message and exits with status 2, as argparse does for its own errors."""


@runtime_checkable
class MockServerAPI(Protocol):
    """What the harness and ``dbapi-mock`` use of a mock server class and its instances.

    Class members:

    - ``summary``: one line for ``dbapi-mock --help`` (what the mock serves, over what);
    - ``default_port``: the database's own port, the ``--port`` default;
    - ``version``: the server version the mock claims (``"6.4.1"``), or None;
    - ``add_arguments(parser, default_port=None)``: add the mock's ``dbapi-mock`` options
      (``--host`` and ``--port`` included);
    - ``from_args(args)``: an instance from the parsed options; :class:`UsageError` when
      they do not go together.

    Instances: built as ``cls(host="127.0.0.1", port=0)`` (port 0 = any free port);
    ``start()`` returns the server once it listens (raises the start-up error, or
    TimeoutError); ``stop()`` is idempotent and bounded; ``url`` is valid once listening
    (RuntimeError before); ``serve_forever(ready)`` / ``request_stop()`` run it in the
    caller's event loop.
    """

    summary: ClassVar[str]
    default_port: ClassVar[int]
    version: ClassVar[str | None]

    def __init__(self, host: str = ..., port: int = ...) -> None: ...

    @property
    def url(self) -> str: ...

    def start(self) -> MockServerAPI: ...

    def stop(self) -> None: ...

    def __enter__(self) -> MockServerAPI: ...

    def __exit__(self, *exc: object) -> None: ...

    async def serve_forever(self, ready: ReadyCallback | None = None) -> None: ...

    def request_stop(self) -> None: ...

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None: ...

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> MockServerAPI: ...


def format_url(scheme: str, host: str, port: int) -> str:
    """``scheme://host:port``; an IPv6 host goes in brackets (RFC 3986 3.2.2)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"{scheme}://{shown}:{port}"


class BaseMockServer(abc.ABC):
    """Loop, readiness, stop and command-line plumbing shared by every mock (module doc).

    ``host``/``port``: where to listen (port 0 = any free port; :attr:`url` tells which).
    ``startup_timeout`` (s): the longest :meth:`start` waits for :meth:`listen`;
    ``stop_timeout`` (s): the longest :meth:`stop` waits for the loop thread to end.
    Not thread-safe apart from :meth:`start`, :meth:`stop` and :meth:`request_stop`.
    """

    summary: ClassVar[str] = ""
    default_port: ClassVar[int] = 0
    version: ClassVar[str | None] = None
    #: The URL scheme; a subclass may make it a property ("https" when serving TLS).
    scheme: str = "tcp"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 startup_timeout: float = 60.0, stop_timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self._address: tuple[str, int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stop_requested = threading.Event()
        self._serving = threading.Lock()  # held while serve_forever runs
        self._lifecycle = threading.Lock()  # start() / stop()
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task] = set()

    # --- what a subclass supplies ----------------------------------------------------------
    @abc.abstractmethod
    async def listen(self) -> tuple[str, int]:
        """Bind to ``(self.host, self.port)``, start accepting, return the bound address.
        Runs on the server's loop; an exception here is the start-up error."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop accepting, end every connection, release resources. Idempotent; also runs
        after :meth:`listen` failed, so it must cope with a half-built server."""

    # --- command line ------------------------------------------------------------------------
    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser,
                      default_port: int | None = None) -> None:
        """Add ``--host`` (127.0.0.1) and ``--port`` (``default_port``, else the class's
        ``default_port``); subclasses call this first, then add their own options."""
        port = cls.default_port if default_port is None else default_port
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=port_number, default=port,
                            help=f"port, 0 for any free ({port})")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> BaseMockServer:
        """An instance from ``--host``/``--port``; subclasses read their own options and
        raise :class:`UsageError` for options that do not go together."""
        return cls(host=args.host, port=args.port)

    # --- state -------------------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """The bound ``(host, port)``; RuntimeError before the server listens."""
        if self._address is None:
            raise RuntimeError("the server is not started")
        return self._address

    @property
    def url(self) -> str:
        """``scheme://host:port`` of the listening server; RuntimeError before."""
        host, port = self.address
        return format_url(self.scheme, self.host or host, port)

    # --- running in the caller's loop --------------------------------------------------------
    async def serve_forever(self, ready: ReadyCallback | None = None) -> None:
        """Listen, call ``ready(url)``, serve until :meth:`request_stop`, then close.

        Raises the start-up error of :meth:`listen` (after closing), RuntimeError when the
        server already runs."""
        if not self._serving.acquire(blocking=False):
            raise RuntimeError("the server is already running")
        try:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            if self._stop_requested.is_set():  # request_stop() came before the loop
                self._stop_event.set()
            try:
                if await self._listen_unless_stopped():
                    if ready is not None:
                        ready(self.url)
                    await self._stop_event.wait()
            finally:
                await self._shutdown()
        finally:
            self._address = None
            self._loop = self._stop_event = None
            self._stop_requested.clear()
            self._serving.release()

    async def _listen_unless_stopped(self) -> bool:
        # A stop requested while listen() runs (start() timed out) cancels it.
        assert self._stop_event is not None
        listening = asyncio.ensure_future(self.listen())
        stopping = asyncio.ensure_future(self._stop_event.wait())
        try:
            await asyncio.wait({listening, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
        if not listening.done():
            listening.cancel()
            await asyncio.wait({listening}, timeout=self.stop_timeout)
            return False
        self._address = tuple(listening.result())[:2]
        return True

    def request_stop(self) -> None:
        """Ask :meth:`serve_forever` to return; thread-safe. Asked before it runs (a
        :meth:`start` that timed out), it makes the next one return without serving."""
        self._stop_requested.set()
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    async def _shutdown(self) -> None:
        try:
            await asyncio.wait_for(self.close(), self.stop_timeout)
        finally:
            await self.drain_tasks(self.stop_timeout)

    # --- running on a background thread ------------------------------------------------------
    def start(self) -> BaseMockServer:
        """Serve on a background thread with its own event loop; returns once listening.

        Raises the start-up error in the caller's thread (OSError for a port in use, ...),
        TimeoutError after ``startup_timeout`` seconds. A no-op when already started."""
        with self._lifecycle:
            if self._thread is not None:
                return self
            listening = threading.Event()
            failure: list[BaseException] = []

            def run() -> None:
                try:
                    asyncio.run(self.serve_forever(ready=lambda url: listening.set()))
                except BaseException as exc:  # noqa: BLE001 - handed to start()
                    failure.append(exc)
                finally:
                    listening.set()

            thread = threading.Thread(target=run, name=f"{type(self).__name__}-loop",
                                      daemon=True)
            thread.start()
            if not listening.wait(self.startup_timeout):
                self.request_stop()
                thread.join(self.stop_timeout)
                raise TimeoutError(f"{type(self).__name__} did not listen within "
                                   f"{self.startup_timeout:g} s")
            if failure:
                thread.join(self.stop_timeout)
                raise failure[0]
            self._thread = thread
            return self

    def stop(self) -> None:
        """Stop serving, close everything, join the thread. Idempotent; TimeoutError when
        the thread does not end within ``stop_timeout`` seconds."""
        with self._lifecycle:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self.request_stop()
            thread.join(self.stop_timeout)
            if thread.is_alive():
                raise TimeoutError(f"{type(self).__name__} did not stop within "
                                   f"{self.stop_timeout:g} s")

    def __enter__(self) -> BaseMockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- helpers for subclasses --------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """Run ``coro`` as a task of the server's loop that :meth:`drain_tasks` waits for
        (per-connection clean-up, work outliving a request). Call from the loop."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain_tasks(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for spawned tasks, then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=1.0)


class StreamMockServer(BaseMockServer):
    """Base of TCP mocks on asyncio streams (binary protocols): one task per connection.

    The subclass implements :meth:`handle_connection` (read requests with
    :meth:`read_exactly`, feed the protocol's sans-I/O server codec, write replies) and may
    override :meth:`prepare` / :meth:`release` for resources shared by all connections (an
    engine). The base tracks connection tasks, cancels those still running at stop and
    closes their writers; ``idle_timeout`` (s) bounds every read of :meth:`read_exactly`.
    ``ssl``: an ``ssl.SSLContext`` to serve TLS, or None.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, idle_timeout: float = 300.0,
                 ssl: Any = None, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self.idle_timeout = idle_timeout
        self.ssl = ssl
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task, asyncio.StreamWriter] = {}

    async def prepare(self) -> None:
        """Build shared resources before listening (default: nothing)."""

    async def release(self) -> None:
        """Release shared resources after every connection ended (default: nothing)."""

    @abc.abstractmethod
    async def handle_connection(self, reader: asyncio.StreamReader,
                                writer: asyncio.StreamWriter) -> None:
        """Serve one connection until the peer leaves or the protocol ends it. Exceptions
        end this connection only; the writer is closed by the base afterwards."""

    async def read_exactly(self, reader: asyncio.StreamReader, n: int,
                           timeout: float | None = None) -> bytes:
        """``n`` bytes, waiting at most ``timeout`` (default ``idle_timeout``) seconds.
        Raises asyncio.IncompleteReadError at EOF, TimeoutError when the peer stalls."""
        return await asyncio.wait_for(reader.readexactly(n),
                                      self.idle_timeout if timeout is None else timeout)

    async def listen(self) -> tuple[str, int]:
        await self.prepare()
        self._server = await asyncio.start_server(self._accept, self.host, self.port,
                                                  ssl=self.ssl)
        return self._server.sockets[0].getsockname()[:2]

    async def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for task, writer in list(self._connections.items()):
            task.cancel()
            writer.close()
        if self._connections:
            await asyncio.wait(list(self._connections), timeout=self.stop_timeout)
        if server is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(server.wait_closed(), self.stop_timeout)
        await self.release()

    async def _accept(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            await self.handle_connection(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.TimeoutError):
            pass  # the peer left or stalled: end this connection quietly
        except asyncio.CancelledError:
            # close() ends this connection's task; ending it normally keeps asyncio's
            # stream callback (Python 3.11) from logging the cancellation as an error
            pass
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 5.0)


# --- the dbapi-mock command and subprocess mode ----------------------------------------------


def port_number(text: str) -> int:
    """An argparse type: a TCP port number, 0..65535 (0 = any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port {value} is outside 0..65535")
    return value


def ready_line(slug: str, url: str) -> str:
    """The readiness line a ``dbapi-mock`` process prints: ``"<slug> listening on <url>"``."""
    return READY_FORMAT.format(slug=slug, url=url)


def parse_ready_line(slug: str, line: str) -> str | None:
    """The URL in a :func:`ready_line` of ``slug``, or None when ``line`` is not one."""
    prefix = READY_FORMAT.format(slug=slug, url="")
    if not line.startswith(prefix):
        return None
    return line[len(prefix):].strip() or None


def command_line(slug: str, host: str = "127.0.0.1", port: int = 0,
                 python: str | None = None) -> list[str]:
    """argv running ``dbapi-mock <slug> --host H --port P`` with this interpreter."""
    return [python or sys.executable, "-m", "dbapi_conformance.mockservers", slug,
            "--host", host, "--port", str(port)]


async def _serve_with_signals(server: MockServerAPI, ready: ReadyCallback | None) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, server.request_stop)
    await server.serve_forever(ready=ready)


def serve_until_signal(server: MockServerAPI, ready: ReadyCallback | None = None) -> None:
    """Run ``server`` in a new event loop of this (main) thread until SIGINT or SIGTERM.
    Raises the start-up error."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_with_signals(server, ready))


def load_mock_class(spec: str) -> type:
    """The class named by ``"package.module:Class"``. Raises ImportError (ModuleNotFoundError
    for a missing module) or AttributeError."""
    module_name, _, class_name = spec.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
