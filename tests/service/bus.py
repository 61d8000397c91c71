"""A real NATS JetStream for the consumer tests: one stream per test, deleted after it.

``Bus`` publishes as the exchange would -- a plain nats-py client of its own, one JSON
record per message, a ``Nats-Msg-Id`` header for JetStream's deduplication -- and reads
what the service left on the server (consumer info, dead letters)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from pathlib import Path
from typing import Any, TypeVar

from tests.fixtures.cli import start_anchor
from tests.fixtures.procs import stop_process

NATS_URL = os.environ.get("ANCHOR_TEST_NATS_URL", "nats://127.0.0.1:4222")

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


async def _connect(url: str = NATS_URL) -> Any:
    import nats

    return await nats.connect(url, connect_timeout=3, max_reconnect_attempts=0)


def nats_available() -> tuple[bool, str]:
    async def probe() -> None:
        nc = await _connect()
        try:
            await nc.jetstream().account_info()
        finally:
            await nc.close()

    try:
        run(probe())
    except Exception as exc:  # anything means "not usable here"
        return False, f"NATS JetStream at {NATS_URL} unavailable: {exc.__class__.__name__}: {exc}"
    return True, ""


class Bus:
    """One test's stream ``T_<hex>`` with subjects ``t<hex>.>`` (records are published on
    ``t<hex>.records.<kind>``; dead letters default to ``t<hex>.dead``, in the same stream)."""

    def __init__(self, url: str = NATS_URL) -> None:
        tag = uuid.uuid4().hex[:10]
        self.stream = f"T_{tag}"
        self.prefix = f"t{tag}"
        self.records = f"{self.prefix}.records.>"
        self.dead = f"{self.prefix}.dead"
        self.url = url

    def create(self) -> None:
        async def go() -> None:
            nc = await _connect(self.url)
            try:
                await nc.jetstream().add_stream(name=self.stream, subjects=[f"{self.prefix}.>"])
            finally:
                await nc.close()

        run(go())

    def delete(self) -> None:
        async def go() -> None:
            from nats.js.errors import NotFoundError

            nc = await _connect(self.url)
            try:
                for name in (self.stream, f"{self.stream}_DEAD"):
                    with contextlib.suppress(NotFoundError):
                        await nc.jetstream().delete_stream(name)
            finally:
                await nc.close()

        run(go())

    def config(self, **extra: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "nats_url": self.url,
            "nats_stream": self.stream,
            "nats_subjects": [self.records],
            "nats_durable": "anchor",
        }
        values.update(extra)
        return values

    def publish(
        self, payloads: Iterable[bytes | tuple[bytes, str]], *, confirm: bool = True
    ) -> int:
        """Publish like the exchange: each payload on ``<prefix>.records.x``, with its
        ``Nats-Msg-Id`` when given as ``(payload, id)``. ``confirm``: wait for JetStream's
        ack of each (else plain publishes, flushed, then wait until the stream holds them)."""

        async def go() -> int:
            nc = await _connect(self.url)
            js = nc.jetstream()
            subject = f"{self.prefix}.records.x"
            count = 0
            try:
                before = (await js.stream_info(self.stream)).state.messages
                for item in payloads:
                    data, msg_id = item if isinstance(item, tuple) else (item, None)
                    headers = {"Nats-Msg-Id": msg_id} if msg_id else None
                    if confirm:
                        await js.publish(subject, data, headers=headers)
                    else:
                        await nc.publish(subject, data, headers=headers)
                    count += 1
                await nc.flush()
                deadline = time.monotonic() + 60
                while (await js.stream_info(self.stream)).state.messages < before + count:
                    assert time.monotonic() < deadline, "the stream did not take the messages"
                    await asyncio.sleep(0.05)
            finally:
                await nc.close()
            return count

        return run(go())

    def consumer_info(self, durable: str = "anchor") -> Any:
        async def go() -> Any:
            nc = await _connect(self.url)
            try:
                return await nc.jetstream().consumer_info(self.stream, durable)
            finally:
                await nc.close()

        return run(go())

    def ack_pending(self, durable: str = "anchor") -> int:
        """Delivered and not yet acknowledged (-1 while the consumer does not exist)."""
        try:
            return int(self.consumer_info(durable).num_ack_pending)
        except Exception:
            return -1

    def drained(self, durable: str = "anchor") -> bool:
        """Every message delivered and acknowledged."""
        try:
            info = self.consumer_info(durable)
        except Exception:
            return False
        return info.num_pending == 0 and info.num_ack_pending == 0

    def dead_letters(self) -> list[Any]:
        """The messages on the dead-letter subject, in order (headers and payload)."""

        async def go() -> list[Any]:
            nc = await _connect(self.url)
            js = nc.jetstream()
            try:
                sub = await js.pull_subscribe(self.dead, stream=self.stream)
                out: list[Any] = []
                while True:
                    try:
                        out += await sub.fetch(100, timeout=1)
                    except Exception:
                        return out
            finally:
                await nc.close()

        return run(go())


def record(i: int, **change: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "kind": "balance",
        "version": 1,
        "record_id": f"bal-{i}",
        "ts_ns": str(1_700_000_000_000_000_000 + i),
        "account": f"acct-{i % 97}",
        "asset": "USDT",
        "available": str(1_000 * i),
        "locked": "0",
    }
    rec.update(change)
    return rec


def payload(i: int, **change: Any) -> tuple[bytes, str]:
    rec = record(i, **change)
    return json.dumps(rec, separators=(",", ":")).encode(), rec["record_id"]


def write_config(path: Path, db_url: str, values: dict[str, Any]) -> Path:
    lines = [f"database_url = {json.dumps(db_url)}"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class ConsumeProcess:
    """``python -m anchor.cli consume --config FILE`` (or ``serve --role consumer``) as a
    child process, stopped by PID."""

    def __init__(self, config: Path, log: Path, *, serve: bool = False) -> None:
        args = ["serve", "--role", "consumer"] if serve else ["consume"]
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 - closed in stop()/kill()
        self.process = start_anchor(
            *args, "--config", str(config), log=self._out, env={"ANCHOR_LOG_LEVEL": "INFO"}
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL by PID: no clean-up at all."""
        if self.process.poll() is None:
            os.kill(self.process.pid, 9)
        self.process.wait(10)
        self._out.close()

    def stop(self, timeout: float = 30.0) -> int | None:
        code = stop_process(self.process, timeout=timeout)
        self._out.close()
        return code

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def writer_pid(self, *, last: bool = False) -> int | None:
        """The PID of its (first, or ``last``) writer process, from its log (None before
        it started)."""
        found = re.findall(r"(?:; writer process|writer process started:) (\d+)", self.output())
        if not found:
            return None
        return int(found[-1] if last else found[0])


def gone(pid: int) -> bool:
    """No process ``pid`` any more (or only a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    procs: Iterable[ConsumeProcess] = (),
) -> None:
    deadline = time.monotonic() + timeout
    procs = list(procs)
    while not condition():
        for p in procs:
            if p.process.poll() is not None:
                raise AssertionError(
                    f"consumer exited while waiting for {what}:\n{p.output()[-3000:]}"
                )
        if time.monotonic() > deadline:
            tails = "\n".join(p.output()[-3000:] for p in procs)
            raise AssertionError(f"timed out waiting for {what}\n{tails}")
        time.sleep(0.1)
