"""The consumer across a NATS restart: a NATS server of the test's own (JetStream, a store
directory of its own, a free loopback port) is stopped by PID while records are being
consumed and started again on the same port and store; the consumer's data connection
comes back by itself and every record is stored exactly once."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from anchor.config import load_config
from anchor.service.consume import ConsumerThread
from anchor.store.db import Database
from tests.api.server import free_port
from tests.service.bus import Bus, payload, wait_for
from tests.service.test_consume import count

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


class PrivateNats:
    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.store = store
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _listening(self.port), timeout=60, what="the private NATS server")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=60)
        self.proc = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    if not os.path.exists(NATS_SERVER):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("nats-server not installed (CI=true: the consumer tests must run)")
        pytest.skip("nats-server not installed")
    server = PrivateNats(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_nats_restart_mid_consume_loses_and_duplicates_nothing(
    db: Database, private_nats: PrivateNats
) -> None:
    bus = Bus(private_nats.url)
    bus.create()
    # enough that the stop below comes mid-stream even on a fast, quiet machine
    first = [payload(i) for i in range(20_000)]
    second = [payload(i) for i in range(20_000, 22_000)]
    bus.publish(first, confirm=False)
    # what the stop caught delivered but unacknowledged comes again after the ack wait: 5 s
    # instead of the default 60 (a redelivery is harmless: the count below proves it)
    config = load_config(
        env={},
        **bus.config(nats_fetch_batch=200, nats_max_ack_pending=400, nats_ack_wait_seconds=5.0),
    )
    thread = ConsumerThread(db, config).start()
    try:
        wait_for(lambda: count(db) >= 200, timeout=120, what="the first records stored")
        private_nats.stop()
        assert count(db) < len(first), "everything was consumed before the restart"
        private_nats.start()  # same port, same store: the stream and the consumer are kept
        bus.publish(second, confirm=False)
        total = len(first) + len(second)
        wait_for(lambda: count(db) == total, timeout=240, what="every record after the restart")
        wait_for(lambda: bus.drained(), timeout=120, what="every message acknowledged")
        assert count(db) == total
        assert thread.alive(), "the consumer stopped on the restart"
    finally:
        thread.stop()
    assert thread.error is None, thread.error
