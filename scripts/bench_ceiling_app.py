"""Benchmark fixture: the ceiling of the HTTP server stack (not part of the product).

A bare ASGI app that answers every request with one fixed JSON body of a given size and the
same response headers a proof carries (``cache-control``, ``content-length``,
``content-type``, ``x-request-id``), computing nothing. ``scripts/bench_proofs.py`` serves it
with the same uvicorn settings and worker count as ``anchor serve --workers N`` and drives it
with the same load generator, so the requests/s it reaches is what the stack itself can
serve on this machine: the ceiling our proofs are compared with.

``$BENCH_CEILING_WORK_US`` (default 0) adds that many microseconds of CPU per request (a
busy loop on the thread's CPU clock): the ceiling of an application costing that much, so
``bench_proofs.py --budget`` shows how much work per proof a given share of the ceiling
leaves room for.

Served the way ``anchor serve --role api --workers N`` serves the API (its ``run_factory``:
one listening socket per worker, the same uvicorn options):

    BENCH_CEILING_BYTES=2300 python scripts/bench_ceiling_app.py 127.0.0.1 8000 2
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

BYTES_ENV = "BENCH_CEILING_BYTES"
WORK_ENV = "BENCH_CEILING_WORK_US"


def fixed_body(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes (at least 12), ending in a newline like a
    bundle."""
    head, tail = b'{"pad": "', b'"}\n'
    if size < len(head) + len(tail):
        raise ValueError(f"body size {size} is below {len(head) + len(tail)} bytes")
    return head + b"x" * (size - len(head) - len(tail)) + tail


def create_app() -> ASGIApp:
    """The ASGI app (a uvicorn ``--factory``); the body size comes from ``$BENCH_CEILING_BYTES``."""
    body = fixed_body(int(os.environ.get(BYTES_ENV, "2300")))
    start = {
        "type": "http.response.start",
        "status": 200,
        "headers": [
            (b"cache-control", b"no-store"),
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
            (b"x-request-id", b"0123456789abcdef"),
        ],
    }
    done = {"type": "http.response.body", "body": body}
    work = float(os.environ.get(WORK_ENV, "0")) / 1e6
    clock = time.thread_time

    async def app(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if work:
            until = clock() + work
            while clock() < until:
                pass
        await send(start)
        await send(done)

    return app


if __name__ == "__main__":
    import sys

    from anchor.cli.serve import run_factory

    host, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run_factory("bench_ceiling_app:create_app", host, port, workers)
