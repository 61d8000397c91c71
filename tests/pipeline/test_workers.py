"""``anchor serve --role api --workers 2`` (uvicorn workers built by the app factory
``create_app_from_env``): it serves, several processes answer, SIGTERM stops them all with
exit 0 and no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.server import free_port
from tests.fixtures.procs import child_pids, wait_http_ok


def test_serve_with_workers_and_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "anchor.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "a.sqlite"}"\napi_key = "k"\napi_port = {port}\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANCHOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "anchor.cli", "serve", "--role", "api", "--workers", "2",
         "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert wait_http_ok(f"http://127.0.0.1:{port}/readyz", timeout=60, proc=proc), proc.stderr
        workers = set(child_pids(proc.pid))
        assert len(workers) >= 2, workers
        r = httpx.get(f"http://127.0.0.1:{port}/metrics", headers={"X-API-Key": "k"}, timeout=5)
        assert r.status_code == 200 and "anchor_batches" in r.text
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0
    time.sleep(0.5)
    for pid in workers:
        assert (
            not Path(f"/proc/{pid}").exists()
            or b"anchor" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        ), pid
