"""The floor for the CrateDB mock's benchmark: an HTTP server that only looks answers up.

``python bench/cratedb_floor.py ANSWERS`` serves ``POST /_sql`` from ANSWERS, a pickled
dict ``{request body bytes: response body bytes}`` (``b"GET /"``: the server info body)
recorded from the mock itself
(bench/cratedb_throughput.py builds it), so a client gets byte for byte what the mock sent
for the same request, with no SQL work at all. It runs on the same HTTP stack as the mock
(aiohttp's low-level server, no access log), so what the benchmark's ratio mock/floor
measures is the mock's own work per request: SQL, the engine, value conversion and JSON.

Prints ``floor listening on http://127.0.0.1:PORT`` once it accepts connections; runs until
SIGTERM or SIGINT. A body it has no answer for gets a CrateDB-shaped 404 error.
"""

from __future__ import annotations

import argparse
import asyncio
import pickle
import zlib

from aiohttp import web
from benchlib import until_signal  # bench/ is the script's folder

_JSON = "application/json; charset=UTF-8"
_MISSING = b'{"error":{"message":"no recorded answer","code":4040}}'


def make_handler(answers: dict[bytes, bytes]):
    """The aiohttp request handler: the recorded answer to the (decompressed) body."""

    async def handle(request: web.BaseRequest) -> web.Response:
        if request.method == "GET":  # the server info a client reads when it connects
            answer = answers.get(b"GET " + request.raw_path.encode())
            if answer is not None:
                return web.Response(status=200, body=answer,
                                    headers={"Content-Type": "application/json"})
        body = await request.read()
        if request.headers.get("Content-Encoding", "").lower() in ("gzip", "x-gzip"):
            body = zlib.decompress(body, zlib.MAX_WBITS | 16)
        answer = answers.get(body)
        if answer is None:
            return web.Response(status=404, body=_MISSING, headers={"Content-Type": _JSON})
        return web.Response(status=200, body=answer, headers={"Content-Type": _JSON})

    return handle


async def serve(answers: dict[bytes, bytes], host: str, port: int) -> None:
    server = web.Server(make_handler(answers), auto_decompress=False, access_log=None)
    runner = web.ServerRunner(server, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][:2]
    print(f"floor listening on http://{bound[0]}:{bound[1]}", flush=True)
    await until_signal()
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("answers", help="pickled {request body: response body}")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    with open(args.answers, "rb") as f:
        answers = pickle.load(f)
    asyncio.run(serve(answers, args.host, args.port))


if __name__ == "__main__":
    main()
