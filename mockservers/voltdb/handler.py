"""Calls of all connections, one at a time, on the server's execution thread.

VoltDB runs each partition's transactions one after another on its site thread; the mock
is a one-partition VoltDB, so every call of every connection goes through ONE worker thread
with ONE engine session and the catalog (procedures.py). That makes each call serializable
and the catalog safe without locks. @Ping is answered by the connection itself (as VoltDB's
ClientInterface does), never queued.

A call whose connection went away is cancelled: dropped if it is still queued, interrupted
(the engine statement stops, the transaction rolls back) if it is running.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import logging
import threading
import time
from dataclasses import dataclass

from dbapi_conformance.drivers.wire.base import Side
from dbapi_conformance.drivers.wire.voltdb import (
    ClientResponse,
    EncodeError,
    Invocation,
    Status,
    VoltConnection,
)
from dbapi_conformance.mockservers.engine import Engine
from dbapi_conformance.mockservers.engine import errors as eerr
from dbapi_conformance.mockservers.voltdb import errors as verr
from dbapi_conformance.mockservers.voltdb.catalog import Catalog
from dbapi_conformance.mockservers.voltdb.procedures import Procedures, ServerInfo

__all__ = ["CallHandler", "ENGINE_SETTINGS", "Owner", "encode_frame"]

log = logging.getLogger(__name__)

#: VoltDB divides integers as integers, and any division by zero is an error.
ENGINE_SETTINGS = {"integer_division": True}


_OVERFLOW = ("Output from SQL stmt overflowed output/network buffer of {}mb (-32k for "
             "message headers). Try a \"limit\" clause or a stronger predicate.")


def encode_frame(resp: ClientResponse, max_frame_size: int) -> bytes:
    """The frame of ``resp``; a result over ``max_frame_size`` or with a value that has no
    wire form (a HUGEINT beyond BIGINT, ...) becomes a GRACEFUL_FAILURE answer instead."""
    codec = VoltConnection(Side.SERVER, max_frame_size)
    try:
        return codec.send(resp)
    except EncodeError as exc:
        if str(exc).startswith("frame of "):
            text = _OVERFLOW.format(max_frame_size // (1 << 20))
        else:
            text = f"VOLTDB ERROR: SQL ERROR\n  {exc}"
        return codec.send(ClientResponse(resp.client_handle, Status.GRACEFUL_FAILURE, text,
                                         cluster_round_trip=resp.cluster_round_trip))


@dataclass(eq=False)
class Owner:
    """One connection's stake in the queue: set ``gone`` and its calls are cancelled."""

    gone: bool = False


class CallHandler:
    """The execution thread, its engine session and the catalog. Build with
    :meth:`open` (on any thread); :meth:`submit` from the event loop."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="voltdb-site")
        self._session = engine.session()
        self._procedures = Procedures(self._session, Catalog())
        self._running: Owner | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        self._session.interrupt()
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.engine.close()

    def cancel(self, owner: Owner) -> None:
        """Cancel ``owner``'s calls (thread-safe): queued ones are skipped, a running one
        is interrupted."""
        owner.gone = True
        with self._lock:
            if self._running is owner:
                self._session.interrupt()

    async def submit(self, inv: Invocation, info: ServerInfo, owner: Owner,
                     max_frame_size: int) -> bytes:
        """Run ``inv`` on the execution thread; the frame of its ClientResponse (failures
        included), encoded there too so that big results never hold up the event loop."""
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        def run() -> bytes:
            resp = self._call(inv, info, owner)
            rtt = int((time.monotonic() - started) * 1000)
            return encode_frame(dataclasses.replace(resp, cluster_round_trip=rtt),
                                max_frame_size)

        future = loop.run_in_executor(self._executor, run)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            self.cancel(owner)
            raise

    def _call(self, inv: Invocation, info: ServerInfo, owner: Owner) -> ClientResponse:
        if owner.gone:
            return ClientResponse(inv.client_handle, Status.CONNECTION_LOST, "connection lost")
        with self._lock:
            self._running = owner
        try:
            result = self._procedures.call(inv.procedure, list(inv.parameters), info)
            return ClientResponse(inv.client_handle, result.status, result.status_string,
                                  tables=tuple(result.tables))
        except verr.CallError as exc:
            return ClientResponse(inv.client_handle, exc.status, exc.text,
                                  exception=exc.exception)
        except eerr.EngineError as exc:
            err = verr.from_engine(exc)
            return ClientResponse(inv.client_handle, err.status, err.text, exception=err.exception)
        except Exception as exc:  # noqa: BLE001 - a mock bug answers as VoltDB's unexpected failure
            log.exception("unexpected failure in %s", inv.procedure)
            return ClientResponse(inv.client_handle, Status.UNEXPECTED_FAILURE,
                                  f"VOLTDB ERROR: UNEXPECTED FAILURE:\n  {type(exc).__name__}: "
                                  f"{exc}")
        finally:
            with self._lock:
                self._running = None
            if self._session.in_transaction:  # an interrupted call leaves nothing behind
                try:
                    self._session.rollback()
                except eerr.EngineError:
                    pass
