"""The consumer's writer: :func:`~anchor.service.consume_load.write_load` in a child process.

Why a process: the consumer's NATS side (every message split and every acknowledgement
framed in Python: :mod:`anchor.service.consume_wire`) and ingest's validation both need the
interpreter's lock; on one interpreter they take turns. In a child
of its own, ingest runs exactly as the bulk import does -- validating the next chunk on one
thread while the database writes this one -- while the parent pulls and acknowledges, on
another core when there is one free. (When every core is busy anyway, it changes nothing:
the CPU time per record is the same either way; see scripts/bench_consume.py.)

The parent sends one load (a list of payloads) through a pipe and waits for its
:class:`~anchor.service.consume_load.Written`; nothing is acknowledged before that answer.
The child ends when the pipe closes: its parent stopped or died (kill -9 included). A load
it was writing then is committed or not; either way its messages were not acknowledged, so
they come again, and are found stored (duplicates) or are written then.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from typing import Any

from anchor.errors import StorageError
from anchor.service.consume_load import Written, write_load

_JOIN_S = 30.0


class WriterProcess:
    """A child process that writes loads into the database at ``url``; one load at a time
    (callers serialise :meth:`write`)."""

    def __init__(self, url: str, *, chunk_size: int, references: str = "off") -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(
            target=_main,
            args=(child, url, chunk_size, references),
            name="anchor-consume-writer",
            daemon=True,
        )
        self._proc.start()
        child.close()
        self._lock = threading.Lock()
        self._broken = False
        try:
            kind, value = self._conn.recv()  # the database opened (and migrated) there
        except (EOFError, OSError) as exc:
            kind, value = "error", f"it exited ({exc!r})"
        if kind != "ready":
            self.close()
            raise StorageError(f"the consumer's writer did not start: {value}")

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def write(self, payloads: list[bytes]) -> Written:
        """Write one load (blocks until committed); :class:`StorageError` when the child
        failed or is gone (nothing of the load is acknowledged then)."""
        with self._lock:
            try:
                self._conn.send(payloads)
                kind, value = self._conn.recv()
            except (EOFError, OSError) as exc:
                self._broken = True
                raise StorageError(f"the consumer's writer process is gone ({exc!r})") from None
        if kind == "error":
            raise StorageError(str(value))
        assert isinstance(value, Written)
        return value

    def alive(self) -> bool:
        return not self._broken and self._proc.is_alive()

    def close(self) -> None:
        """Close the pipe (the child ends after the load it is on) and wait for it."""
        self._conn.close()
        self._proc.join(_JOIN_S)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join(5)


def _main(conn: Any, url: str, chunk_size: int, references: str = "off") -> None:
    # stopping is the parent's business: Ctrl-C in a terminal reaches the whole process
    # group, and a load half-written because of it would only be written again
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from anchor.store.db import Database

    try:
        db = Database.open(url)
    except Exception as exc:
        conn.send(("error", f"{exc.__class__.__name__}: {exc}"))
        return
    try:
        conn.send(("ready", None))
        while True:
            try:
                payloads = conn.recv()
            except (EOFError, OSError):
                return  # the parent stopped or died
            try:
                written = write_load(db, payloads, chunk_size=chunk_size, references=references)
                answer: tuple[str, Any] = ("ok", written)
            except Exception as exc:
                answer = ("error", f"{exc.__class__.__name__}: {exc}")
            try:
                conn.send(answer)
            except (EOFError, OSError):
                return
    finally:
        db.close()
