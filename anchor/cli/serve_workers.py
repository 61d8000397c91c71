"""``anchor serve --role api --workers N``: N uvicorn processes, each listening on its own
socket bound to the same address with ``SO_REUSEPORT``, so the kernel spreads incoming
connections over them.

Why not uvicorn's own supervisor: it binds ONE socket and hands it to every worker; each
worker's event loop then accepts every pending connection it can when it wakes. A client
opening its keep-alive pool in a burst (a load balancer, a benchmark) often lands wholly on
one worker, which then serves at one core while the other idles: measured with
``--workers 2`` and wrk's 32 connections, in 5 runs of 12 one worker did all the work (8.0 s
of CPU in 8 s, the other 0.01 s; libuv's ``UV_TCP_SINGLE_ACCEPT`` did not prevent it). With
one socket per worker the kernel hashes each new connection to one of them. Elsewhere than
on Linux uvicorn's supervisor runs.

The supervisor holds a socket bound to the address (not listening: it takes no
connections), so the address is checked before any worker starts, port 0 resolves to one
port for all, and a restarted worker binds the same port. A worker that dies is started
again; SIGTERM / SIGINT stop them all (SIGTERM each, then SIGKILL after a grace period).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
import time
from typing import Any

from anchor.errors import ConfigError

log = logging.getLogger("anchor.serve")

_GRACE = 30.0  # seconds a worker gets to finish its requests once asked to stop
_BACKLOG = 2048  # uvicorn's default


def reuse_port_available() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port: Linux (3.9+).
    The BSDs and macOS accept SO_REUSEPORT but hand every connection to one socket."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _socket(host: str, port: int, *, listen: bool) -> socket.socket:
    family, kind, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(addr)
        if listen:
            sock.listen(_BACKLOG)
    except BaseException:
        sock.close()
        raise
    return sock


def _worker(app: str, host: str, port: int, options: dict[str, Any]) -> None:
    """One worker process (spawned): its own listening socket, uvicorn on it."""
    import uvicorn

    sock = _socket(host, port, listen=True)
    config = uvicorn.Config(app, factory=True, host=host, port=port, **options)
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(app: str, host: str, port: int, workers: int, options: dict[str, Any]) -> int:
    """Serve the ASGI app factory ``app`` from ``workers`` processes until SIGTERM/SIGINT;
    the port served (``port`` 0 picks one)."""
    try:  # the address checked, and kept for restarts
        held = _socket(host, port, listen=False)
    except OSError as exc:
        raise ConfigError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
    port = held.getsockname()[1]
    stop = threading.Event()
    spawn = multiprocessing.get_context("spawn")

    def start() -> Any:
        proc = spawn.Process(target=_worker, args=(app, host, port, options), daemon=False)
        proc.start()
        return proc

    def handler(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    procs = [start() for _ in range(workers)]
    try:
        while not stop.wait(0.5):
            for i, proc in enumerate(procs):
                if not proc.is_alive() and not stop.is_set():
                    log.warning("API worker %s exited (%s): starting another", proc.pid,
                                proc.exitcode)  # fmt: skip
                    time.sleep(1.0)  # a worker that cannot start does not spin the CPU
                    procs[i] = start()
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
        deadline = time.monotonic() + _GRACE
        for proc in procs:
            proc.join(max(0.1, deadline - time.monotonic()))
            if proc.is_alive():
                proc.kill()
                proc.join(5)
        held.close()
        for s, h in previous.items():
            signal.signal(s, h)
    return port
