"""JSON logs (``ANCHOR_LOG_FORMAT=json``): one object per line, the request id on lines
written while serving a request, and the id echoed to the client — over a real server."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

from tests.api.server import free_port
from tests.fixtures.paths import ROOT
from tests.fixtures.procs import wait_http_ok


def test_json_lines_carry_the_request_id(tmp_path: Path) -> None:
    """A child interpreter logs in JSON from inside a request (an app route that logs) and
    outside one; every line parses, and the one inside names the id the client sent."""
    code = (
        "import logging, httpx, threading\n"
        "from anchor.logs import setup_logging\n"
        "setup_logging(fmt='json')\n"
        "from fastapi import FastAPI\n"
        "from anchor.logs import RequestIdMiddleware\n"
        "app = FastAPI()\n"
        "@app.get('/x')\n"
        "def x():\n"
        "    logging.getLogger('anchor.test').warning('inside a request')\n"
        "    return {}\n"
        "app.add_middleware(RequestIdMiddleware)\n"
        "from starlette.testclient import TestClient\n"
        "with TestClient(app) as c:\n"
        "    r = c.get('/x', headers={'X-Request-ID': 'req-42'})\n"
        "    print(r.headers['x-request-id'])\n"
        "    r = c.get('/x')\n"
        "    print(r.headers['x-request-id'])\n"
        "logging.getLogger('anchor.test').warning('outside')\n"
    )
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    echoed, made_up = out.stdout.split()
    assert echoed == "req-42" and made_up and made_up != "req-42"
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
    inside = [o for o in lines if o["msg"] == "inside a request"]
    assert [o.get("request_id") for o in inside] == ["req-42", made_up]
    [outside] = [o for o in lines if o["msg"] == "outside"]
    assert "request_id" not in outside and outside["level"] == "WARNING"
    assert {"ts", "level", "logger", "pid", "msg"} <= set(outside)


def test_serve_logs_json_when_asked(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "anchor.toml"
    db = tmp_path / "anchor.sqlite"
    config.write_text(f'database_url = "sqlite:///{db}"\napi_port = {port}\n', encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "anchor.cli", "db", "init", "--config", str(config)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
    )
    log = tmp_path / "serve.log"
    env = {"ANCHOR_LOG_FORMAT": "json", "PATH": "/usr/bin:/bin"}
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "anchor.cli", "serve", "--role", "api", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        up = wait_http_ok(f"http://127.0.0.1:{port}/healthz", timeout=60, proc=proc)
        assert up, "timed out waiting for the API"
    finally:
        proc.terminate()
        proc.wait(30)
    lines = [ln for ln in log.read_text().splitlines() if ln.strip()]
    assert lines and all(json.loads(ln)["level"] for ln in lines), lines
    logging.getLogger().handlers.clear()
