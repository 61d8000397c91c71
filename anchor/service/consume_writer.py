"""The consumer's writer: :func:`~anchor.service.consume_load.write_load` in a child process.

Why a process: the consumer's NATS side (every message split and every acknowledgement
framed in Python: :mod:`anchor.service.consume_wire`) and ingest's validation both need the
interpreter's lock; on one interpreter they take turns. In a child
of its own, ingest runs exactly as the bulk import does -- validating the next chunk on one
thread while the database writes this one -- while the parent pulls and acknowledges, on
another core when there is one free. (When every core is busy anyway, it changes nothing:
the CPU time per record is the same either way; see scripts/bench_consume.py.)

The parent sends loads (lists of payloads) through a pipe, the next one while the last one
is being written (:meth:`WriterProcess.submit`). In the child, one thread takes each load off
the pipe and validates it (:func:`~anchor.service.consume_load.prepare_load`) while the one
before it is written and committed on the other
(:func:`~anchor.service.consume_load.write_prepared`), so a load's validation no longer
waits for the last commit, nor its write for its own validation; each load's
:class:`~anchor.service.consume_load.Written` comes back in order, and nothing is
acknowledged before that answer.
The child ends when the pipe closes: its parent stopped or died (kill -9 included). A load
it was writing then is committed or not; either way its messages were not acknowledged, so
they come again, and are found stored (duplicates) or are written then.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import socket
import threading
from collections import deque
from concurrent.futures import Future
from typing import Any

from anchor.errors import StorageError
from anchor.service.consume_load import PreparedLoad, Written, prepare_load, write_prepared

_JOIN_S = 30.0


class WriterProcess:
    """A child process that writes loads into the database at ``url``, one after another, in
    the order submitted."""

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
        self._send_lock = threading.Lock()
        self._pending: deque[Future[Written]] = deque()  # submitted, not answered: in order
        self._broken = False
        try:
            kind, value = self._conn.recv()  # the database opened (and migrated) there
        except (EOFError, OSError) as exc:
            kind, value = "error", f"it exited ({exc!r})"
        if kind != "ready":
            self._broken = True
            self._conn.close()
            self._join()
            raise StorageError(f"the consumer's writer did not start: {value}")
        self._receiver = threading.Thread(
            target=self._receive, name="anchor-consume-answers", daemon=True
        )
        self._receiver.start()

    @property
    def pid(self) -> int | None:
        return self._proc.pid

    def submit(self, payloads: list[bytes]) -> Future[Written]:
        """Send one load; its future is done once the child has committed it (or failed:
        :class:`StorageError`, and nothing of the load is acknowledged). Blocks while the
        pipe is full, i.e. until the child takes the load."""
        future: Future[Written] = Future()
        with self._send_lock:
            if self._broken:
                raise StorageError("the consumer's writer process is gone")
            self._pending.append(future)
            try:
                self._conn.send(payloads)
            except (EOFError, OSError) as exc:
                self._fail(f"the consumer's writer process is gone ({exc!r})")
        return future

    def write(self, payloads: list[bytes]) -> Written:
        """Write one load (blocks until committed)."""
        return self.submit(payloads).result()

    def _receive(self) -> None:
        while True:
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError, TypeError) as exc:  # TypeError: closed meanwhile
                self._fail(f"the consumer's writer process is gone ({exc!r})")
                return
            future = self._pending.popleft()
            if kind == "error":
                future.set_exception(StorageError(str(value)))
            else:
                future.set_result(value)

    def _fail(self, why: str) -> None:
        """The child is gone: every load not answered fails (none of it is acknowledged)."""
        self._broken = True
        while True:
            try:
                future = self._pending.popleft()
            except IndexError:
                return
            if not future.done():
                future.set_exception(StorageError(why))

    def alive(self) -> bool:
        return not self._broken and self._proc.is_alive()

    def close(self) -> None:
        """Close the pipe (the child ends after the load it is on) and wait for it."""
        # shut our sending side first: closing the descriptor alone would not end the
        # socket while the receiving thread is blocked reading it, and the child would
        # never see the end of its input
        with contextlib.suppress(OSError):
            sock = socket.socket(fileno=os.dup(self._conn.fileno()))
            with sock:
                sock.shutdown(socket.SHUT_WR)
        self._conn.close()
        self._join()
        self._receiver.join(5)
        self._fail("the consumer's writer process was closed")

    def _join(self) -> None:
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
        loads: queue.Queue[tuple[PreparedLoad | None, str] | None] = queue.Queue(maxsize=1)
        threading.Thread(
            target=_validate,
            args=(conn, chunk_size, loads),
            name="anchor-writer-validate",
            daemon=True,
        ).start()
        while True:
            got = loads.get()
            if got is None:
                return  # the parent stopped or died
            load, error = got
            answer: tuple[str, Any] = ("error", error)
            if load is not None:
                try:
                    answer = ("ok", write_prepared(db, load, references=references))
                except Exception as exc:
                    answer = ("error", f"{exc.__class__.__name__}: {exc}")
            try:
                conn.send(answer)
            except (EOFError, OSError):
                return
    finally:
        db.close()


def _validate(
    conn: Any, chunk_size: int, loads: queue.Queue[tuple[PreparedLoad | None, str] | None]
) -> None:
    """The writer's other thread: takes each load off the pipe and validates it while the
    one before it is written and committed (the core's validation holds the interpreter
    lock; the database does most of its work without it). ``None`` at the end of input."""
    while True:
        try:
            payloads = conn.recv()
        except (EOFError, OSError):
            loads.put(None)
            return
        try:
            loads.put((prepare_load(payloads, chunk_size=chunk_size), ""))
        except Exception as exc:
            loads.put((None, f"{exc.__class__.__name__}: {exc}"))
