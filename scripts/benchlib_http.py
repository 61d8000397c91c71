"""Helpers of scripts/bench_proofs.py: servers started and stopped by PID, their CPU time,
and the load generators (wrk, or a slower httpx fallback)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.fixtures.procs import child_pids, stop_process, wait_http_ok

WRK_MISSING = "wrk not found: install it (Debian: apt-get install -y wrk) for figures worth quoting"

Load = Callable[[str, int, int, int], dict[str, float]]


def worker_pids(pid: int) -> list[int]:
    """The processes a uvicorn supervisor started (its children)."""
    return child_pids(pid)


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of processes (Linux /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def rss_mib(pids: list[int]) -> float:
    """Largest peak resident set size (VmHWM) among ``pids``, MiB."""
    best = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    best = max(best, int(line.split()[1]))
    return best / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 120) -> None:
    if not wait_http_ok(url + "/healthz", timeout=timeout):
        raise RuntimeError(f"server at {url} did not come up")


@contextlib.contextmanager
def server(argv: list[str], env: dict[str, str], url: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server (a uvicorn supervisor and its workers) until the block ends, then stop
    it by its PID (SIGTERM stops its workers too). It runs in the checkout its PYTHONPATH
    names: ``python -m`` puts the working directory ahead of PYTHONPATH, so from another
    checkout's root it would import that checkout's ``anchor``."""
    proc = subprocess.Popen(argv, env=env, cwd=env.get("PYTHONPATH") or None)
    try:
        wait_up(url)
        yield proc
    finally:
        stop_process(proc)


def clean_env(pythonpath: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ANCHOR_")} | {
        "PYTHONPATH": str(pythonpath)
    }


def anchor_serve_argv(config: Path, workers: int) -> list[str]:
    """The product's own command: N uvicorn workers built by create_app_from_env."""
    return [
        sys.executable, "-m", "anchor.cli", "serve", "--role", "api",
        "--workers", str(workers), "--config", str(config),
    ]  # fmt: skip


def ceiling_argv(port: int, workers: int) -> list[str]:
    """The fixed-body fixture served as ``anchor serve --workers N`` serves the API (the
    same worker processes, sockets and uvicorn options: ``anchor.cli.serve.run_factory``)."""
    fixture = Path(__file__).resolve().parent / "bench_ceiling_app.py"
    return [sys.executable, str(fixture), "127.0.0.1", str(port), str(workers)]


WRK_LUA = """
local n = {n}
math.randomseed({seed})
wrk.headers["X-API-Key"] = "{key}"
request = function()
  return wrk.format("GET", string.format("/v1/proofs/r{sid}-%08d", math.random(0, n - 1)))
end
done = function(summary, latency, requests)
  io.write(string.format("JSON {{\\"requests\\": %d, \\"seconds\\": %f, \\"non2xx\\": %d, ", summary.requests, summary.duration / 1e6, summary.errors.status))
  io.write(string.format("\\"errors\\": %d, \\"p50_ms\\": %f, \\"p90_ms\\": %f, \\"p99_ms\\": %f, \\"max_ms\\": %f}}\\n",
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def make_loads(api_key: str, seed: int) -> tuple[str, Load]:
    """The load generator (name, function): wrk with a Lua script asking for uniformly
    random record ids ``r{seed}-00000000`` .. of ``n``, or the httpx fallback."""

    def load_wrk(url: str, n: int, seconds: int, connections: int) -> dict[str, float]:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(WRK_LUA.format(n=n, seed=random.randrange(1 << 30), key=api_key, sid=seed))
            script = f.name
        try:
            out = subprocess.run(
                ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
                 "-s", script, url],
                capture_output=True, text=True, timeout=seconds + 60, check=True,
            ).stdout  # fmt: skip
        finally:
            os.unlink(script)
        m = re.search(r"^JSON (\{.*\})$", out, re.M)
        assert m, out
        res = json.loads(m.group(1))
        res["rps"] = res["requests"] / res["seconds"]
        return res

    def load_httpx(url: str, n: int, seconds: int, connections: int) -> dict[str, float]:
        """Much heavier on the CPU than wrk: figures are pessimistic."""
        import asyncio

        import httpx

        lat: list[float] = []
        bad = 0

        async def worker(client: httpx.AsyncClient, stop: float) -> None:
            nonlocal bad
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await client.get(f"/v1/proofs/r{seed}-{random.randrange(n):08d}")
                lat.append(time.perf_counter() - t)
                bad += r.status_code != 200

        async def main() -> float:
            limits = httpx.Limits(max_connections=connections)
            headers = {"X-API-Key": api_key}
            async with httpx.AsyncClient(base_url=url, limits=limits, headers=headers) as c:
                t0 = time.perf_counter()
                await asyncio.gather(*(worker(c, t0 + seconds) for _ in range(connections)))
                return time.perf_counter() - t0

        took = asyncio.run(main())
        lat.sort()

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000

        return {
            "requests": len(lat), "seconds": took, "rps": len(lat) / took, "non2xx": bad,
            "errors": 0, "p50_ms": pct(0.5), "p90_ms": pct(0.9), "p99_ms": pct(0.99),
            "max_ms": lat[-1] * 1000,
        }  # fmt: skip

    if shutil.which("wrk"):
        return "wrk", load_wrk
    print(WRK_MISSING, file=sys.stderr)
    return "httpx (fallback)", load_httpx


def measure(load: Load, url: str, pids: list[int], n: int, seconds: int, conns: int) -> dict:
    """One load run; adds the server's CPU per request (us) and the load average."""
    cpu0 = cpu_seconds(pids)
    res = load(url, n, seconds, conns)
    res["cpu_us"] = (cpu_seconds(pids) - cpu0) / max(1, res["requests"]) * 1e6
    res["load"] = os.getloadavg()[0]
    return res
