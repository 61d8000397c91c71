"""The consumer's data connection to NATS: pull requests out, messages in, acknowledgements
out, over NATS's plain-text client protocol on a connection of its own.

Written here rather than taken from nats-py because of what a message costs: nats-py parses
every message's headers with regular expressions, builds a message object, queues it for a
callback task and sends each acknowledgement as a publish of its own -- about 20 CPU-us a
message on the project's machine, as much as validating and storing the record. Here a
message is a header line split once and a payload sliced out; headers are read only for the
rare message that needs them (a dead letter's original ``Nats-Msg-Id``, a pull request's
status); the acknowledgements of a load go out in one write. nats-py keeps everything else:
creating the stream and the durable consumer, publishing dead letters (which need
JetStream's confirmation), the consumer's status.

The protocol parts used: ``INFO``/``CONNECT`` (with the URL's user and password or token),
``PING``/``PONG``, ``SUB``, ``PUB`` and incoming ``MSG``/``HMSG``, ``+OK``/``-ERR``. A lost
connection is made again (every second, until closed), the inbox subscribed again, and what
was written meanwhile is sent then; a pull request lost with it ends by its deadline
(:class:`~anchor.service.consume_bus.Puller`). Nothing depends on the data connection for
safety: an acknowledgement that never arrives means the message comes again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from anchor.errors import ConfigError

log = logging.getLogger("anchor.consume")

_READ = 1 << 20
_RECONNECT_S = 1.0
_MAX_LINE = 64 * 1024


class WireMsg:
    """A message as delivered: subject and reply subject as bytes, the raw header block
    (``None`` when it had none), the payload."""

    __slots__ = ("data", "raw_headers", "reply", "subject")

    def __init__(self, subject: bytes, reply: bytes, raw: bytes | None, data: bytes) -> None:
        self.subject = subject
        self.reply = reply
        self.raw_headers = raw
        self.data = data

    @property
    def status(self) -> tuple[str, str] | None:
        """A status message's code and description (``("404", "No Messages")``), else None."""
        raw = self.raw_headers
        if raw is None or self.data or not raw.startswith(b"NATS/1.0 "):
            return None
        first = raw.split(b"\r\n", 1)[0][9:].decode("ascii", "replace").strip()
        code, _, description = first.partition(" ")
        return code, description

    @property
    def headers(self) -> dict[str, str]:
        """The headers (the first value of each name)."""
        out: dict[str, str] = {}
        if self.raw_headers is None:
            return out
        for line in self.raw_headers.split(b"\r\n")[1:]:
            name, sep, value = line.partition(b":")
            if sep and name.strip():
                out.setdefault(name.strip().decode("latin-1"), value.strip().decode("latin-1"))
        return out

    @property
    def stream_seq(self) -> int:
        """The message's sequence number in its stream, from JetStream's reply subject
        (``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>...``, or with a domain and
        account hash in front); 0 when it is not one."""
        tokens = self.reply.split(b".")
        if len(tokens) < 9 or tokens[0] != b"$JS" or tokens[1] != b"ACK":
            return 0
        at = 5 if len(tokens) == 9 else 7
        with contextlib.suppress(ValueError):
            return int(tokens[at])
        return 0

    def ack_frame(self) -> bytes:
        return b"PUB %s 4\r\n+ACK\r\n" % self.reply

    def nak_frame(self, delay: float | None = None) -> bytes:
        body = b"-NAK"
        if delay:
            body += b" " + json.dumps({"delay": int(delay * 1e9)}).encode()
        return b"PUB %s %d\r\n%s\r\n" % (self.reply, len(body), body)


def ack_frames(msgs: list[WireMsg]) -> bytes:
    """The acknowledgements of ``msgs`` as one block of frames (one join, not a frame
    built per message)."""
    if not msgs:
        return b""
    return b"PUB " + b" 4\r\n+ACK\r\nPUB ".join([m.reply for m in msgs]) + b" 4\r\n+ACK\r\n"


class WireConnection:
    """One NATS connection with its subscriptions, whose messages go to their ``on_msgs``
    (called on the event loop, in arrival order, with the messages that came together)."""

    def __init__(self, url: str, name: str) -> None:
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        if parts.scheme not in ("nats", "tls"):
            raise ConfigError(f"config nats_url: scheme {parts.scheme!r} (nats:// or tls://)")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 4222
        self.tls = parts.scheme == "tls"
        self._auth: dict[str, str] = {}
        if parts.username and parts.password is not None:
            self._auth = {"user": unquote(parts.username), "pass": unquote(parts.password)}
        elif parts.username:
            self._auth = {"auth_token": unquote(parts.username)}
        self.name = name
        self._subs: dict[bytes, Callable[[list[WireMsg]], None]] = {}
        self._sub_frames: list[bytes] = []  # sent again on every new connection
        self._writer: asyncio.StreamWriter | None = None
        self._queued: list[bytes] = []  # written while disconnected: sent on reconnect
        self._reader_task: asyncio.Task[None] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._closing = False
        self.reconnects = 0

    async def connect(self) -> None:
        """Connect (raising if the server cannot be reached) and start reading."""
        await self._open()
        self._reader_task = asyncio.create_task(self._run())

    def subscribe(self, subject: str, on_msgs: Callable[[list[WireMsg]], None]) -> None:
        sid = str(len(self._subs) + 1).encode()
        self._subs[sid] = on_msgs
        frame = b"SUB %s %s\r\n" % (subject.encode(), sid)
        self._sub_frames.append(frame)
        if self._writer is not None:
            self._writer.write(frame)

    def publish(self, subject: str, payload: bytes, reply: str | None = None) -> None:
        head = subject.encode() + (b" " + reply.encode() if reply else b"")
        self._write(b"PUB %s %d\r\n%s\r\n" % (head, len(payload), payload))

    async def send(self, frames: bytes) -> None:
        """Write protocol frames (e.g. many acknowledgements joined) and wait for the socket
        to take them."""
        self._write(frames)
        writer = self._writer
        if writer is not None:
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    async def close(self) -> None:
        self._closing = True
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader_task
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer.drain()
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
            self._writer = None

    def _write(self, frame: bytes) -> None:
        if self._writer is None or self._writer.is_closing():
            self._queued.append(frame)
        else:
            self._writer.write(frame)

    async def _open(self) -> None:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self.host, self.port, limit=_READ), timeout=5.0
        )
        line = await asyncio.wait_for(reader.readline(), timeout=5.0)
        if not line.startswith(b"INFO "):
            writer.close()
            raise ConnectionError(f"not a NATS server at {self.host}:{self.port}")
        info = json.loads(line[5:])
        if self.tls or info.get("tls_required"):
            await writer.start_tls(ssl.create_default_context(), server_hostname=self.host)
        connect = {
            "verbose": False,
            "pedantic": False,
            "headers": True,
            "no_responders": True,
            "protocol": 1,
            "lang": "python-anchor",
            "version": "1",
            "name": self.name,
            **self._auth,
        }
        writer.write(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        await writer.drain()
        while True:  # +OK, INFO or an error before the PONG
            line = await asyncio.wait_for(reader.readline(), timeout=5.0)
            if not line:
                raise ConnectionError("the NATS server closed the connection on CONNECT")
            if line.startswith(b"-ERR"):
                writer.close()
                raise ConnectionError(f"NATS refused the connection: {line[5:].decode().strip()}")
            if line.startswith(b"PONG"):
                break
        self._reader, self._writer = reader, writer
        queued, self._queued = self._queued, []
        writer.write(b"".join(self._sub_frames + queued))

    async def _run(self) -> None:
        while not self._closing:
            try:
                await self._read_loop()
            except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
                if self._closing:
                    return
                log.warning("NATS data connection lost (%s); connecting again", exc)
            if self._closing:
                return
            self._writer = None
            while not self._closing:
                await asyncio.sleep(_RECONNECT_S)
                try:
                    await self._open()
                    self.reconnects += 1
                    log.info("NATS data connection made again")
                    break
                except (ConnectionError, OSError, TimeoutError) as exc:
                    log.debug("reconnect failed: %s", exc)

    async def _read_loop(self) -> None:
        reader = self._reader
        assert reader is not None
        buf = b""
        while True:
            chunk = await reader.read(_READ)
            if not chunk:
                raise ConnectionError("closed by the server")
            buf = self._parse(buf + chunk if buf else chunk)

    def _parse(self, buf: bytes) -> bytes:
        """Handle every complete frame in ``buf``; return the incomplete rest. The messages
        of one subscription that arrive together go to its callback as one list."""
        pos, size = 0, len(buf)
        find, starts = buf.find, buf.startswith
        got: list[WireMsg] = []  # consecutive messages of one subscription
        got_sid = b""
        while pos < size:
            eol = find(b"\r\n", pos)
            if eol < 0:
                if size - pos > _MAX_LINE:
                    raise ConnectionError("protocol line too long")
                break
            if starts(b"MSG ", pos):  # subject sid [reply] bytes
                parts = buf[pos + 4 : eol].split(b" ")
                start = eol + 2
                end = start + int(parts[-1])
                if end + 2 > size:
                    break
                sid = parts[1]
                msg = WireMsg(parts[0], parts[2] if len(parts) == 4 else b"", None, buf[start:end])
            elif starts(b"HMSG ", pos):  # subject sid [reply] header-bytes total-bytes
                parts = buf[pos + 5 : eol].split(b" ")
                start = eol + 2
                end = start + int(parts[-1])
                if end + 2 > size:
                    break
                cut = start + int(parts[-2])
                sid = parts[1]
                reply = parts[2] if len(parts) == 5 else b""
                msg = WireMsg(parts[0], reply, buf[start:cut], buf[cut:end])
            else:
                line = buf[pos:eol]
                pos = eol + 2
                if line == b"PING":
                    self._write(b"PONG\r\n")
                elif line.startswith(b"-ERR"):
                    log.warning("NATS: %s", line.decode("utf-8", "replace"))
                continue  # PONG, +OK, INFO: nothing to do
            pos = end + 2
            if sid != got_sid:
                self._deliver(got_sid, got)
                got, got_sid = [], sid
            got.append(msg)
        self._deliver(got_sid, got)
        return buf[pos:]

    def _deliver(self, sid: bytes, msgs: list[WireMsg]) -> None:
        on_msgs = self._subs.get(sid) if msgs else None
        if on_msgs is not None:
            on_msgs(msgs)
