"""Ingest's validating side: input in chunks, each chunk prepared by the core (in worker
processes when asked), and :class:`Ahead`, the thread that runs this ahead of the database
(see :mod:`anchor.service.ingest`)."""

from __future__ import annotations

import json
import multiprocessing
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, Final, Generic, TypeVar

from anchor.core.prepare import Prepared, RecordInput, Rejected, prepare_records

_orjson_loads: Callable[[bytes | str], Any] | None
try:
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is a server dependency
    _orjson_loads = None

# a chunk prepared: (input items handled, the prepared records and bad lines in order)
PreparedChunk = tuple[int, list[Prepared | Rejected]]

_PIECE = 512  # ~2 ms of the native fast path
_CLOSE_WAIT_S = 10.0


def prepare_chunk(chunk: tuple[int, list[RecordInput]]) -> PreparedChunk:
    """(items handled, prepared records and bad lines) of one chunk ``(first line,
    items)``; runs in workers too. Works in pieces of :data:`_PIECE` items, offering the GIL
    to other threads between pieces: the database thread of a load waits for it after each
    statement, and the core's native path never lets it go by itself."""
    first_line, items = chunk
    if len(items) <= _PIECE:
        return len(items), _prepare_piece(first_line, items)
    out: list[Prepared | Rejected] = []
    for at in range(0, len(items), _PIECE):
        if at:
            time.sleep(0)
        out += _prepare_piece(first_line + at, items[at : at + _PIECE])
    return len(items), out


def _prepare_piece(first_line: int, items: list[RecordInput]) -> list[Prepared | Rejected]:
    """The core's :func:`prepare_records` of ``items``, blank items left out."""
    out = prepare_records(items, first_line, loads=_orjson_loads or json.loads)
    return [p for p in out if p is not None]


def prepared_chunks(
    chunks: Iterable[tuple[int, list[RecordInput]]], workers: int
) -> Iterator[PreparedChunk]:
    """Prepared chunks in input order; with ``workers > 1`` validation runs in that many
    worker processes (a bounded window of chunks in flight)."""
    if workers <= 1:
        for chunk in chunks:
            yield prepare_chunk(chunk)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        window: deque[Any] = deque()
        for chunk in chunks:
            window.append(pool.apply_async(prepare_chunk, (chunk,)))
            if len(window) >= 2 * workers:
                yield window.popleft().get()
        while window:
            yield window.popleft().get()


def chunks_of(
    items: Iterable[RecordInput], size: int, first_line: int
) -> Iterator[tuple[int, list[RecordInput]]]:
    """``(first line, items)`` chunks of ``size`` items."""
    it = iter(items)
    line = first_line
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        yield line, chunk
        line += len(chunk)


_T = TypeVar("_T")


class Ahead(Generic[_T]):
    """Iterates ``source`` on a background thread, up to ``depth`` items ahead of the
    consumer; an exception of ``source`` is raised in the consumer, in order. Used to
    validate the next chunk while the database writes this one: the core's fast path holds
    the GIL, SQLite and PostgreSQL (in the server) do their work without it. ``close``
    stops the thread (the consumer may stop early: a bad line, a conflict)."""

    _END: Final = object()

    def __init__(self, source: Iterator[_T], depth: int = 2) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(source,), name="anchor-ingest-prepare", daemon=True
        )
        self._thread.start()

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source: Iterator[_T]) -> None:
        try:
            for item in source:
                if not self._put((item, None)):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((None, exc))
            return
        finally:
            close = getattr(source, "close", None)
            if close is not None:  # a generator: its pool or file is released here
                close()
        self._put(self._END)

    def __iter__(self) -> Iterator[_T]:
        while True:
            got = self._queue.get()
            if got is self._END:
                return
            item, exc = got
            if exc is not None:
                raise exc
            yield item

    def close(self) -> None:
        self._stop.set()
        # it stops after the piece it is on; only a read of the input itself (a pipe on
        # stdin that stays silent) can hold it longer: then it is left to end with the
        # input (a daemon thread: it never keeps the process alive)
        self._thread.join(timeout=_CLOSE_WAIT_S)
