"""``anchor consume``: records from the exchange's event bus (NATS JetStream) into the store.

The exchange publishes one JSON record per message on its stream. A durable pull consumer
(``nats_durable`` on ``nats_stream``, filtered to ``nats_subjects``) hands them out; this
process, and any number of others on the same durable (PostgreSQL), take their share:

1. pull up to ``nats_fetch_batch`` messages (:class:`~anchor.service.consume_bus.Puller`);
2. write them as one load through the ingest code path of the HTTP API, in one transaction
   (:func:`~anchor.service.consume_load.write_load`, in a writer process of its own:
   :mod:`anchor.service.consume_writer`), while the next messages are pulled;
3. once that transaction is committed: publish each refused message to the dead-letter
   subject (the original payload; the error, field and problem in headers) and wait for
   JetStream to have stored it; then acknowledge every message of the load.

So a message is acknowledged only when its record is durably stored (or was already: the
same id with the same content) or its dead letter is. A crash anywhere (kill -9) leaves
unacknowledged messages, which JetStream delivers again after ``nats_ack_wait_seconds``:
their records are then found stored and counted as duplicates, and a dead letter published
twice carries the same ``Nats-Msg-Id`` (``anchor-dead.<stream>.<stream seq>``), which
JetStream drops within its duplicate window. A record id stored with other content is never
overwritten: the message is dead-lettered as a ``conflict``.

Backpressure: nothing more is pulled while a load waits for its predecessor's commit, so
this process holds at most four loads (one being written, one sent to the writer behind it,
one being acknowledged, one pulled); the server holds back the consumer as a whole at
``nats_max_ack_pending`` unacknowledged messages. Lag, throughput and dead letters are in
:mod:`anchor.service.consume_metrics` and ``anchor consume --status``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from anchor.errors import StorageError
from anchor.service import consume_metrics as metrics
from anchor.service.consume_bus import (
    ConsumeSettings,
    Puller,
    connect,
    consumer_status,
    prepare,
    settings_from_config,
)
from anchor.service.consume_load import Refusal, Written
from anchor.service.consume_wire import WireConnection, WireMsg, ack_frames
from anchor.service.consume_writer import WriterProcess
from anchor.service.ingest import DEFAULT_CHUNK

if TYPE_CHECKING:
    from nats.aio.client import Client

    from anchor.config import Config
    from anchor.store.db import Database

log = logging.getLogger("anchor.consume")

_LAG_EVERY_S = 2.0
_DEAD_PARALLEL = 256
_BACKOFF_MAX_S = 30.0
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")


class Consumer:
    """One consuming process's loop; :meth:`run` until ``stop`` is set."""

    def __init__(
        self,
        db: Database,
        settings: ConsumeSettings,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        on_ready: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.s = settings
        self.chunk_size = chunk_size
        self.on_ready = on_ready
        self.dead_subject = ""
        self._nc: Client | None = None
        self._wire: WireConnection | None = None
        self._failures = 0
        self._last_settled = 0.0
        self._in_flight = 0
        self.stored = self.duplicates = self.dead = 0  # acknowledged, by outcome
        self._writer: WriterProcess | None = None

    @property
    def writer_pid(self) -> int | None:
        """The writer process's PID (once :meth:`run` has started it)."""
        return None if self._writer is None else self._writer.pid

    async def run(self, stop: threading.Event) -> None:
        nc = await connect(self.s.url, f"anchor-consume-{os.getpid()}")
        self._nc = nc
        executor = ThreadPoolExecutor(1, thread_name_prefix="anchor-consume-write")
        wire = self._wire = WireConnection(self.s.url, f"anchor-consume-data-{os.getpid()}")
        puller = Puller(wire, self.s)
        try:
            self.dead_subject = await prepare(nc, self.s)
            await wire.connect()
            loop = asyncio.get_running_loop()
            self._writer = await loop.run_in_executor(
                executor,
                lambda: WriterProcess(
                    self.db.url, chunk_size=self.chunk_size, references=self.s.references
                ),
            )
            puller.start()
            log.info(
                "consuming %s %s as %r; dead letters to %s; writer process %s",
                self.s.stream,
                list(self.s.subjects) or "(all subjects)",
                self.s.durable,
                self.dead_subject,
                self.writer_pid,
            )
            if self.on_ready is not None:
                self.on_ready()
            await self._loop(puller, executor, stop)
        finally:
            # what was pulled and not written goes back at once (else after ack_wait)
            await _quietly(wire.send(b"".join(m.nak_frame() for m in puller.buffer)))
            await _quietly(wire.close())
            executor.shutdown(wait=True)
            if self._writer is not None:
                self._writer.close()
            await _quietly(nc.drain())
            self._nc = None
            log.info(
                "consumer stopped: %d stored, %d duplicates, %d dead-lettered",
                self.stored,
                self.duplicates,
                self.dead,
            )

    async def _loop(
        self, puller: Puller, executor: ThreadPoolExecutor, stop: threading.Event
    ) -> None:
        writing: list[asyncio.Future[Written]] = []  # commits of the loads sent
        settling: list[asyncio.Task[None]] = []  # dead letters and acks after each commit
        next_lag = 0.0
        while not stop.is_set():
            msgs = await puller.take(self.s.fetch_batch)
            for task in [t for t in settling if t.done()]:
                task.result()  # an acknowledgement that could not be sent ends the loop
            settling = [t for t in settling if not t.done()]
            if msgs:
                # loads go to the writer process one after another: the next one is sent
                # while the last one is written, so the writer starts on it the moment the
                # last one is committed. Held at most: the load being written, the one
                # queued behind it, the one being acknowledged, the one being pulled.
                if len(writing) > 1:
                    await asyncio.wait(writing[:-1])
                writing = [w for w in writing if not w.done()]
                if len(settling) > 1:
                    await asyncio.wait(settling[:-1])
                self._in_flight += len(msgs)
                metrics.IN_FLIGHT.set(self._in_flight)
                payloads = [m.data for m in msgs]
                started = time.monotonic()
                written = asyncio.ensure_future(self._write(executor, payloads))
                writing.append(written)
                settling.append(asyncio.create_task(self._settle(msgs, written, started)))
            if time.monotonic() >= next_lag:
                next_lag = time.monotonic() + _LAG_EVERY_S
                await self._refresh_lag()
        for task in settling:
            await task

    async def _write(self, executor: ThreadPoolExecutor, payloads: list[bytes]) -> Written:
        """One load through the writer process: sent on the executor's one thread (so in
        the order of the calls), then its commit awaited."""
        loop = asyncio.get_running_loop()
        submitted = await loop.run_in_executor(executor, self._submit, payloads)
        return await asyncio.wrap_future(submitted)

    def _submit(self, payloads: list[bytes]) -> Future[Written]:
        """Send one load to the writer process (a new one if the last one died); blocks
        until the writer takes it (the pipe holds little)."""
        if self._writer is None or not self._writer.alive():
            if self._writer is not None:
                log.warning("the writer process is gone: starting another")
                self._writer.close()
            self._writer = None
            self._writer = WriterProcess(
                self.db.url, chunk_size=self.chunk_size, references=self.s.references
            )
            log.info("writer process started: %s", self._writer.pid)
        return self._writer.submit(payloads)

    async def _settle(
        self, msgs: list[WireMsg], future: asyncio.Future[Written], started: float
    ) -> None:
        """After the load's commit: dead letters first, then every acknowledgement."""
        try:
            await self._settle_load(msgs, future, started)
        finally:
            self._in_flight -= len(msgs)
            metrics.IN_FLIGHT.set(self._in_flight)

    async def _settle_load(
        self, msgs: list[WireMsg], future: asyncio.Future[Written], started: float
    ) -> None:
        try:
            written = await future
        except Exception as exc:  # the store failed: nothing of the load is stored
            self._failures += 1
            delay = min(_BACKOFF_MAX_S, 0.5 * 2 ** min(self._failures, 6))
            metrics.STORE_ERRORS.inc()
            log.error(
                "writing %d messages failed (%s: %s); they are delivered again in %.1f s",
                len(msgs),
                exc.__class__.__name__,
                exc,
                delay,
            )
            await _quietly(self._send(b"".join(m.nak_frame(delay) for m in msgs)))
            await asyncio.sleep(delay)
            return
        self._failures = 0
        metrics.WRITE_SECONDS.observe(time.monotonic() - started)
        dead_ok = await self._dead_letters(msgs, written.refused)
        refused = written.refused
        if not refused:
            frames = ack_frames(msgs)
        else:  # one not stored and not dead-lettered comes again later
            frames = b"".join(
                m.nak_frame(5.0) if i in refused and i not in dead_ok else m.ack_frame()
                for i, m in enumerate(msgs)
            )
        await self._send(frames)
        now = time.monotonic()
        span = now - self._last_settled if now - self._last_settled < 5.0 else now - started
        self._last_settled = now
        metrics.THROUGHPUT.set(len(msgs) / max(span, 1e-6))
        metrics.LAST_ACK.set(time.time())
        self.stored += written.stored
        self.duplicates += written.duplicates
        self.dead += len(dead_ok)
        metrics.MESSAGES.labels("stored").inc(written.stored)
        metrics.MESSAGES.labels("duplicate").inc(written.duplicates)
        metrics.MESSAGES.labels("dead").inc(len(dead_ok))
        if written.refused:
            log.warning(
                "%d of %d messages dead-lettered to %s",
                len(dead_ok),
                len(msgs),
                self.dead_subject,
            )

    async def _send(self, frames: bytes) -> None:
        """Acknowledgements (or refusals) of a load, in one write."""
        if frames and self._wire is not None:
            await self._wire.send(frames)

    async def _dead_letters(self, msgs: list[WireMsg], refused: dict[int, Refusal]) -> set[int]:
        """Publish the refused messages to the dead-letter subject; the indexes JetStream
        confirmed (a repeat of an earlier dead letter is confirmed as a duplicate)."""
        if not refused:
            return set()
        assert self._nc is not None
        js = self._nc.jetstream()
        done: set[int] = set()
        items = sorted(refused.items())
        for at in range(0, len(items), _DEAD_PARALLEL):
            part = items[at : at + _DEAD_PARALLEL]
            sends = [
                js.publish(
                    self.dead_subject, msgs[i].data, headers=self._dead_headers(msgs[i], why)
                )
                for i, why in part
            ]
            results = await asyncio.gather(*sends, return_exceptions=True)
            for (i, why), result in zip(part, results, strict=True):
                if isinstance(result, BaseException):
                    log.error("dead letter for %r failed: %s", msgs[i].subject, result)
                    continue
                done.add(i)
                metrics.DEAD_LETTERS.labels(why.error).inc()
        return done

    def _dead_headers(self, msg: WireMsg, why: Refusal) -> dict[str, str]:
        seq = msg.stream_seq
        headers = {
            "Nats-Msg-Id": f"anchor-dead.{self.s.stream}.{seq}",
            "Anchor-Error": why.error,
            "Anchor-Field": _header(why.field),
            "Anchor-Problem": _header(why.problem),
            "Anchor-Stream": self.s.stream,
            "Anchor-Stream-Seq": str(seq),
            "Anchor-Subject": _header(msg.subject.decode("utf-8", "replace")),
        }
        original = msg.headers.get("Nats-Msg-Id")
        if original:
            headers["Anchor-Msg-Id"] = _header(original)
        return headers

    async def _refresh_lag(self) -> None:
        if self._nc is None:
            return
        from nats.js.errors import NotFoundError

        try:
            info = await self._nc.jetstream().consumer_info(self.s.stream, self.s.durable)
        except NotFoundError:  # deleted under us: stop (a restart creates it again)
            raise StorageError(
                f"the durable consumer {self.s.durable!r} on {self.s.stream!r} is gone"
            ) from None
        except Exception as exc:
            log.warning("consumer info unavailable: %s", exc)
            return
        metrics.LAG.set(info.num_pending or 0)
        metrics.ACK_PENDING.set(info.num_ack_pending or 0)


def _header(text: str) -> str:
    """A header value: printable ASCII (others escaped), one line, bounded."""
    return _HEADER_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)[:1024]


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception as exc:  # a connection already gone: the server redelivers anyway
        log.debug("ignored: %s", exc)


def consume(db: Database, config: Config, stop: threading.Event) -> None:
    """Run the consumer of ``config``'s stream in this thread until ``stop`` is set."""
    settings = settings_from_config(config)
    asyncio.run(Consumer(db, settings).run(stop))


class ConsumerThread:
    """The consumer on a thread of its own (``anchor serve --role consumer|all``)."""

    def __init__(self, db: Database, config: Config) -> None:
        self.settings = settings_from_config(config)  # fail fast on a bad configuration
        self.db = db
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="anchor-consume", daemon=True)

    def start(self) -> ConsumerThread:
        self._thread.start()
        return self

    def alive(self) -> bool:
        return self._thread.is_alive()

    def _main(self) -> None:
        try:
            asyncio.run(Consumer(self.db, self.settings).run(self._stop))
        except BaseException as exc:
            self.error = exc
            log.exception("the consumer stopped")

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


async def _status(config: Config) -> dict[str, Any]:
    from anchor.service.consume_bus import default_dead_subject

    s = settings_from_config(config)
    nc = await connect(s.url, f"anchor-status-{os.getpid()}")
    try:
        js = nc.jetstream()
        dead = s.dead_subject
        if dead is None:
            read = s.subjects or tuple((await js.stream_info(s.stream)).config.subjects or ())
            dead = default_dead_subject(read)
        return await consumer_status(js, s, dead)
    finally:
        await _quietly(nc.close())


def status(config: Config) -> dict[str, Any]:
    """The durable consumer's lag, last acknowledgement and dead letters, from the server."""
    return asyncio.run(_status(config))
