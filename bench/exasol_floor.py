"""The floor for the Exasol mock's benchmark: a WebSocket server that only looks answers up.

Two modes, both on the same WebSocket stack as the mock (the websockets library, no
permessage-deflate, as an Exasol server offers none):

- ``python bench/exasol_floor.py --record UPSTREAM ANSWERS``: a recording proxy. Every
  message a client sends is forwarded to UPSTREAM (the mock, ``ws://host:port``) and the
  reply is kept; on SIGTERM/SIGINT the answers are pickled to ANSWERS as
  ``{request text: reply text}`` (the first reply seen for a request text wins).
- ``python bench/exasol_floor.py ANSWERS``: replay. Each request gets the recorded reply for
  its exact text, with no SQL work at all, so a client gets byte for byte what the mock sent.

Login (protocols/exasol.md 2) is the one exchange that cannot be looked up by text: the
credentials message carries a password encrypted with random PKCS#1 padding. It is recorded
and replayed by position instead: the message right after a ``login`` command is answered
with the recorded answer to the credentials that followed that same ``login`` text.

Prints ``floor listening on ws://127.0.0.1:PORT`` once it accepts connections; runs until
SIGTERM or SIGINT. A request with no recorded answer gets an Exasol-shaped error reply.
Text frames only (the benchmark runs without Exasol's zlib compression).
"""

from __future__ import annotations

import asyncio
import json

from benchlib import floor_main, until_signal  # bench/ is the script's folder
from websockets.asyncio.client import connect
from websockets.asyncio.server import serve

_MISSING = json.dumps({"status": "error",
                       "exception": {"sqlCode": "00000", "text": "no recorded answer"}})
_TIMEOUT = 30.0  # seconds for the upstream's reply while recording


def _is_login(text: str) -> bool:
    try:
        return json.loads(text).get("command") in ("login", "loginToken")
    except (ValueError, AttributeError):
        return False


def replayer(answers: dict):
    """The connection handler replaying ``answers``."""

    async def handle(ws) -> None:
        login = None  # text of the login command just answered
        async for text in ws:
            if login is not None:
                reply, login = answers.get(("credentials", login), _MISSING), None
            else:
                reply = answers.get(text, _MISSING)
                if _is_login(text):
                    login = text
            await ws.send(reply)

    return handle


def recorder(upstream: str, answers: dict):
    """The connection handler forwarding to ``upstream`` and keeping its replies."""

    async def handle(ws) -> None:
        async with connect(upstream, compression=None, max_size=None,
                           open_timeout=_TIMEOUT) as up:
            login = None
            async for text in ws:
                await up.send(text)
                reply = await asyncio.wait_for(up.recv(), _TIMEOUT)
                key = ("credentials", login) if login is not None else text
                answers.setdefault(key, reply)
                login = text if login is None and _is_login(text) else None
                await ws.send(reply)

    return handle


async def run(handler, host: str, port: int) -> None:
    async with serve(handler, host, port, compression=None, max_size=None) as server:
        bound = next(iter(server.sockets)).getsockname()[:2]
        print(f"floor listening on ws://{bound[0]}:{bound[1]}", flush=True)
        await until_signal()


def main() -> None:
    floor_main(__doc__.splitlines()[0], recorder, replayer, run)


if __name__ == "__main__":
    main()
