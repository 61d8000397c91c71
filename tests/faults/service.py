"""Run ``anchor serve`` as a real child process (for kill -9 and leader tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from anchor.store import lease
from anchor.store.db import Database
from tests.fixtures.cli import start_anchor
from tests.pipeline.helpers import Env, make_env


def write_config(path: Path, reg: Any, db_url: str, **extra: Any) -> Path:
    values: dict[str, Any] = {
        "database_url": db_url,
        "rpc_url": reg.rpc_url,
        "chain_id": reg.chain_id,
        "contract_address": reg.address,
        "private_key_env": "ANCHOR_TEST_ANCHORER_KEY",
        "finality_depth": 0,
        "stuck_after_seconds": 30.0,
        "stuck_after_blocks": 0,
        "rebroadcast_seconds": 1.0,
        "seal_interval_seconds": 3600.0,
        "seal_size_trigger": 1,
    }
    values.update(extra)
    lines = []
    for key, value in values.items():
        if isinstance(value, str):
            lines.append(f'{key} = "{value}"')
        else:
            lines.append(f"{key} = {value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Service:
    """``python -m anchor.cli serve`` in a child process; stopped by PID."""

    def __init__(
        self,
        config: Path,
        *,
        role: str = "anchorer",
        key_hex: str,
        log: Path,
        crash_at: str | None = None,
        port: int | None = None,
        tick: float = 0.2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        env = {
            "ANCHOR_TEST_ANCHORER_KEY": key_hex,
            "ANCHOR_TICK_SECONDS": str(tick),
            "ANCHOR_LOG_LEVEL": "INFO",
        }
        if crash_at:
            env["ANCHOR_CRASH_AT"] = crash_at
        env.update(extra_env or {})
        args = ["serve", "--role", role, "--config", str(config)]
        if port is not None:
            args += ["--port", str(port)]
        self.log = log
        self._out = open(log, "ab")  # noqa: SIM115 - closed in wait()/stop()
        self.process = start_anchor(*args, log=self._out, env=env)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.returncode is not None:
                self._out.close()

    def kill(self) -> None:
        """SIGKILL (no clean-up at all)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.wait(10)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; SIGKILL if it does not stop."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                return self.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.wait(10)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, service: Service | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if service is not None and service.process.poll() is not None:
            raise AssertionError(
                f"service exited ({service.process.returncode}) while waiting for {what}:\n{service.output()[-4000:]}"
            )
        if time.monotonic() > deadline:
            tail = service.output()[-4000:] if service is not None else ""
            raise AssertionError(f"timed out waiting for {what}\n{tail}")
        time.sleep(0.1)


def wait_api(client: httpx.Client, service: Service) -> None:
    """Wait until the service's API answers ``GET /healthz`` (``client`` has its base URL)."""

    def up() -> bool:
        try:
            return client.get("/healthz").status_code == 200
        except httpx.TransportError:
            return False

    wait_until(up, timeout=30, what="the API", service=service)


@contextmanager
def serving(
    db_url: str, reg: Any, tmp_path: Path, *, leading: bool = True, **config: Any
) -> Iterator[tuple[Env, Service]]:
    """An :class:`Env` (``finality_depth=0``) on a fresh database connection and an ``anchor
    serve`` child on the same database and registry (``config`` overrides :func:`write_config`),
    waited for until it holds the lease when ``leading``. On the way out the service must stop
    cleanly (exit 0) and the connection is closed."""
    db = Database.open(db_url)
    service = None
    try:
        env = make_env(db, reg, finality_depth=0)
        path = write_config(tmp_path / "anchor.toml", reg, db.url, **config)
        service = Service(path, key_hex=reg.devnet.accounts[1].private_key, log=tmp_path / "s.log")
        if leading:
            wait_until(
                lambda: (found := lease.read_lease(db)) is not None and found.pid == service.pid,
                timeout=60.0,
                what="the service leading",
                service=service,
            )
        yield env, service
    finally:
        if service is not None:
            assert service.stop() == 0, service.output()[-3000:]
        db.close()
