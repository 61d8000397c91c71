"""The NATS JetStream side of the event bus consumer: settings, the durable pull consumer
and the dead-letter stream, pull requests, and the consumer's status.

Messages are pulled with JetStream's pull API (``$JS.API.CONSUMER.MSG.NEXT.<stream>.<durable>``
requests answered on an inbox) over the consumer's own data connection
(:mod:`anchor.service.consume_wire`); nats-py does the rest: the stream, the durable
consumer, dead letters, status. (nats-py's own ``fetch`` spends a task and a timer on every
message: about 10,000 messages/s on the project's machine.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anchor.errors import ConfigError
from anchor.service.consume_wire import WireConnection, WireMsg

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext

    from anchor.config import Config

log = logging.getLogger("anchor.consume")


@dataclass(frozen=True)
class ConsumeSettings:
    """What the consumer reads and how much it holds; see :func:`settings_from_config`."""

    url: str
    stream: str
    subjects: tuple[str, ...]
    durable: str
    dead_subject: str | None
    fetch_batch: int
    max_ack_pending: int
    ack_wait: float
    references: str = "off"  # the reference_checks setting, for the writer's ingest


def settings_from_config(config: Config) -> ConsumeSettings:
    """The consumer's settings from the ``nats_*`` keys (a :class:`ConfigError` naming the
    key when one is missing or out of range)."""
    if not config.nats_url:
        raise ConfigError("config nats_url: not set (the NATS server to consume from)")
    if not config.nats_stream:
        raise ConfigError("config nats_stream: not set (the JetStream stream to consume)")
    if config.nats_fetch_batch < 1:
        raise ConfigError("config nats_fetch_batch: must be at least 1")
    if config.nats_max_ack_pending < config.nats_fetch_batch:
        raise ConfigError("config nats_max_ack_pending: must be at least nats_fetch_batch")
    if not 1.0 <= config.nats_ack_wait_seconds <= 3600.0:
        raise ConfigError("config nats_ack_wait_seconds: must be within 1..3600 seconds")
    return ConsumeSettings(
        url=config.nats_url,
        stream=config.nats_stream,
        subjects=tuple(config.nats_subjects),
        durable=config.nats_durable,
        dead_subject=config.nats_dead_subject,
        fetch_batch=config.nats_fetch_batch,
        max_ack_pending=config.nats_max_ack_pending,
        ack_wait=config.nats_ack_wait_seconds,
        references=config.reference_checks,
    )


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` one or more."""
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


def default_dead_subject(subjects: tuple[str, ...]) -> str:
    """``<prefix>.dead``: the first token of the first subject read."""
    head = subjects[0].split(".")[0] if subjects else ""
    if not head or head in ("*", ">"):
        raise ConfigError("config nats_dead_subject: not set and no subject prefix to derive it")
    return f"{head}.dead"


async def connect(url: str, name: str) -> Client:
    import nats

    return await nats.connect(
        url,
        name=name,
        connect_timeout=5,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        allow_reconnect=True,
    )


async def prepare(nc: Client, s: ConsumeSettings) -> str:
    """Check the stream, create (or check) the durable pull consumer, make sure a stream
    keeps the dead letters; return the dead-letter subject."""
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig
    from nats.js.errors import APIError, NotFoundError

    js = nc.jetstream()
    try:
        info = await js.stream_info(s.stream)
    except NotFoundError:
        raise ConfigError(
            f"config nats_stream: no stream {s.stream!r} on the NATS server"
        ) from None
    read = s.subjects or tuple(info.config.subjects or ())
    dead = s.dead_subject or default_dead_subject(read)
    if any(subject_matches(f, dead) for f in read):
        raise ConfigError(
            f"config nats_dead_subject: {dead!r} is among the subjects read; "
            "the consumer would read its own dead letters"
        )
    version = nc.connected_server_version
    if len(s.subjects) > 1 and (version.major, version.minor) < (2, 10):
        raise ConfigError(
            f"config nats_subjects: NATS server {version} takes one filter subject per "
            "consumer (several need 2.10); use one subject with a wildcard"
        )
    wanted: dict[str, Any] = {}
    if len(s.subjects) == 1:
        wanted["filter_subject"] = s.subjects[0]
    elif s.subjects:
        wanted["filter_subjects"] = list(s.subjects)
    config = ConsumerConfig(
        durable_name=s.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=s.ack_wait,
        max_ack_pending=s.max_ack_pending,
        max_deliver=-1,
        **wanted,
    )
    try:
        before = _filters((await js.consumer_info(s.stream, s.durable)).config)
    except NotFoundError:
        before = None
    if before is not None and sorted(before) != sorted(s.subjects):
        log.warning(
            "consumer %r on %s filtered %s: now %s (as configured)",
            s.durable,
            s.stream,
            list(before),
            list(s.subjects),
        )
    try:
        created = await js.add_consumer(s.stream, config)
    except APIError as exc:  # exists with settings that cannot be changed
        raise ConfigError(
            f"config nats_durable: consumer {s.durable!r} on {s.stream!r} exists with other "
            f"settings ({exc.description}); delete it or use another durable name"
        ) from None
    have = _filters(created.config)
    if sorted(have) != sorted(s.subjects):
        raise ConfigError(
            f"config nats_subjects: consumer {s.durable!r} filters {list(have)}, "
            f"configured {list(s.subjects)}"
        )
    try:
        await js.find_stream_name_by_subject(dead)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=dead_stream_name(s.stream), subjects=[dead]))
    return dead


def _filters(config: Any) -> tuple[str, ...]:
    """A consumer's filter subjects (none: the whole stream)."""
    if config.filter_subjects:
        return tuple(config.filter_subjects)
    return (config.filter_subject,) if config.filter_subject else ()


def dead_stream_name(stream: str) -> str:
    """The stream created for the dead letters when no stream keeps their subject."""
    return f"{stream}_DEAD"


class Puller:
    """Pull requests for the durable consumer over the data connection; the messages land in
    :attr:`buffer`.

    At most one request is outstanding and it asks for at most the number of messages
    wanted, so the buffer never holds more than one load; the server bounds the consumer
    as a whole by ``max_ack_pending``."""

    def __init__(self, conn: WireConnection, s: ConsumeSettings, *, expires: float = 1.0) -> None:
        self.conn = conn
        self.subject = f"$JS.API.CONSUMER.MSG.NEXT.{s.stream}.{s.durable}"
        self.expires = expires
        self.inbox = f"_INBOX.anchor.{secrets.token_hex(12)}"
        self.buffer: list[WireMsg] = []
        self._owed = 0  # messages the outstanding request may still deliver (0: none)
        self._until = 0.0  # when the outstanding request is over at the latest
        self._want = 0
        self._woken = asyncio.Event()
        self.refused: str | None = None  # the last pull request the server refused, why

    def start(self) -> None:
        self.conn.subscribe(self.inbox, self._on_msgs)

    def _on_msgs(self, msgs: list[WireMsg]) -> None:
        if any(m.raw_headers is not None and not m.data for m in msgs):
            data = [m for m in msgs if not self._on_status(m)]
        else:  # the common case: records only
            data = msgs
        if data:
            self.buffer += data
            if self._owed > 0:
                self._owed = max(0, self._owed - len(data))
        if len(self.buffer) >= self._want or self._owed == 0:
            self._woken.set()

    def _on_status(self, msg: WireMsg) -> bool:
        """Whether ``msg`` is a status message (handled here) rather than a record."""
        status = msg.status
        if status is None:
            return False
        code, description = status
        if code != "100":  # 404 no messages, 408 expired, 409 ...: the request is over
            if code not in ("404", "408"):
                self.refused = f"{code} {description}".strip()
            self._owed = 0
            self._woken.set()
        return True

    async def take(self, n: int, *, linger: float = 0.05) -> list[WireMsg]:
        """Up to ``n`` messages: returns once ``n`` are there, or the request is over, or
        no message came for ``linger`` seconds after the first; [] after ``expires``
        seconds without any."""
        self._want = n
        while len(self.buffer) < n:
            now = time.monotonic()
            if self._owed > 0 and now > self._until:
                self._owed = 0  # its end was lost (a reconnect): ask again
            if self._owed == 0:
                if self.buffer:
                    break
                if self.refused is not None:  # e.g. 409: do not ask again at once
                    log.warning("pull request refused: %s", self.refused)
                    self.refused = None
                    await asyncio.sleep(1.0)
                self._owed = n
                self._until = now + self.expires + 5.0
                request = {"batch": n, "expires": int(self.expires * 1e9)}
                self.conn.publish(self.subject, json.dumps(request).encode(), reply=self.inbox)
            before = len(self.buffer)
            self._woken.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), linger if before else self.expires)
            if self.buffer and len(self.buffer) == before:
                break  # quiet for a while: take what is there
            if not self.buffer and self._owed == 0:
                return []
        out = self.buffer[:n]
        del self.buffer[:n]
        return out


async def consumer_status(js: JetStreamContext, s: ConsumeSettings, dead: str) -> dict[str, Any]:
    """The durable consumer as the server sees it, and the dead letters kept."""
    info = await js.consumer_info(s.stream, s.durable)
    dead_count: int | None = None
    try:
        name = await js.find_stream_name_by_subject(dead)
        sinfo = await js.stream_info(name, subjects_filter=dead)
        subjects = sinfo.state.subjects or {}
        dead_count = int(subjects.get(dead, 0))
    except Exception:  # no dead-letter stream (yet)
        dead_count = 0
    floor = info.ack_floor
    delivered = info.delivered
    return {
        "stream": s.stream,
        "durable": s.durable,
        "subjects": list(s.subjects),
        "lag": info.num_pending,
        "ack_pending": info.num_ack_pending,
        "redelivered": info.num_redelivered,
        "waiting_pulls": info.num_waiting,
        "delivered_stream_seq": delivered.stream_seq if delivered else None,
        "ack_floor_stream_seq": floor.stream_seq if floor else None,
        "last_ack": floor.last_active.isoformat() if floor and floor.last_active else None,
        "dead_subject": dead,
        "dead_letters": dead_count,
    }
