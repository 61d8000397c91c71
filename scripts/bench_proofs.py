#!/usr/bin/env python3
"""Proofs over HTTP: throughput and latency of GET /v1/proofs/{record_id} on a big batch.

1. Builds (or reuses, ``--reuse``) a SQLite database with N records (default 1,000,000)
   sealed into ONE batch, whose anchor fields are then filled as the transaction manager
   would (fixed tx/block values: serving speed does not depend on them).
2. Starts the product's own server: ``anchor serve --role api --workers N`` (uvicorn
   workers, each built by ``anchor.api.app:create_app_from_env``).
3. Drives load from a SEPARATE process on loopback: ``wrk`` (Debian package) with a Lua
   script asking for uniformly random record ids, or, without wrk, a small asyncio httpx
   generator. Bounded in time (``--seconds``) and connections (``--connections``).
4. Prints requests/s and latency percentiles (p50/p90/p99), then stops every process it
   started (by PID).

Targets (issue 5): >= 5,000 proofs/s with p99 <= 20 ms for a 1M-record batch on 2 cores.

    .venv/bin/python scripts/bench_proofs.py [--records 1000000] [--reuse] [--seconds 15]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

API_KEY = "bench-operator-key"
SEED = 5


def record_id(i: int) -> str:
    return f"r{SEED}-{i:08d}"  # anchor.core.samples naming


def build(db_path: Path, n: int) -> None:
    import sqlalchemy as sa

    from anchor.core.samples import sample_record_objs
    from anchor.service.ingest import ingest
    from anchor.service.seal import seal
    from anchor.store.db import Database

    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(db_path) + suffix)
    db = Database.open(f"sqlite:///{db_path}")
    t0 = time.perf_counter()
    res = ingest(db, sample_record_objs(n, SEED, accounts=max(10, n // 20)))
    t1 = time.perf_counter()
    batch = seal(db, max_records=n)
    t2 = time.perf_counter()
    assert batch is not None and batch.leaf_count == n, batch
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "UPDATE batches SET state = 'final', tx_hash = :t, block_number = 42, "
                "block_hash = :h, chain_id = 31337, "
                "contract = '0x5fbdb2315678afecb367f032d93f642f64180aa3' WHERE id = :b"
            ),
            {"t": b"\x01" * 32, "h": b"\x02" * 32, "b": batch.id},
        )
    db.close()
    print(f"setup: ingested {res.accepted:,} records in {t1 - t0:.1f} s, sealed in {t2 - t1:.1f} s")


def worker_pids(pid: int) -> list[int]:
    """The processes ``anchor serve --workers N`` started (its children)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """user + system CPU time of processes (Linux /proc), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError("server did not come up")


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


def load_wrk(url: str, n: int, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(WRK_LUA.format(n=n, seed=random.randrange(1 << 30), key=API_KEY, sid=SEED))
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "5s",
                "-s",
                script,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    m = re.search(r"^JSON (\{.*\})$", out, re.M)
    assert m, out
    res = json.loads(m.group(1))
    res["rps"] = res["requests"] / res["seconds"]
    return res


def load_httpx(url: str, n: int, seconds: int, connections: int) -> dict[str, float]:
    """Fallback load generator (much heavier on the CPU than wrk: numbers are pessimistic)."""
    import asyncio

    import httpx

    lat: list[float] = []
    bad = 0

    async def worker(client: httpx.AsyncClient, stop: float) -> None:
        nonlocal bad
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = await client.get(f"/v1/proofs/{record_id(random.randrange(n))}")
            lat.append(time.perf_counter() - t)
            if r.status_code != 200:
                bad += 1

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections)
        async with httpx.AsyncClient(
            base_url=url, limits=limits, headers={"X-API-Key": API_KEY}
        ) as c:
            t0 = time.perf_counter()
            stop = t0 + seconds
            await asyncio.gather(*(worker(c, stop) for _ in range(connections)))
            return time.perf_counter() - t0

    took = asyncio.run(main())
    lat.sort()

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000

    return {
        "requests": len(lat),
        "seconds": took,
        "rps": len(lat) / took,
        "non2xx": bad,
        "errors": 0,
        "p50_ms": pct(0.5),
        "p90_ms": pct(0.9),
        "p99_ms": pct(0.99),
        "max_ms": lat[-1] * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=ROOT / ".anchor" / "bench_proofs.sqlite")
    ap.add_argument("--reuse", action="store_true", help="reuse --db if it holds --records")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=5, help="seconds of load before measuring")
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and args.db.exists()):
        build(args.db, args.records)
    db_url = f"sqlite:///{args.db}"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = args.db.with_suffix(".toml")
    config.write_text(
        f'database_url = "{db_url}"\napi_key = "{API_KEY}"\napi_port = {port}\n',
        encoding="utf-8",
    )
    # the product's own command: N uvicorn workers built by anchor.api.app:create_app_from_env
    server = subprocess.Popen(
        [
            sys.executable, "-m", "anchor.cli", "serve", "--role", "api",
            "--workers", str(args.workers), "--config", str(config),
        ],
        env={k: v for k, v in os.environ.items() if not k.startswith("ANCHOR_")}
        | {"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        wait_up(url)
        use_wrk = shutil.which("wrk") is not None
        load = load_wrk if use_wrk else load_httpx
        print(
            f"load: {'wrk' if use_wrk else 'httpx (fallback)'}, {args.connections} connections, "
            f"{args.workers} server processes, {os.cpu_count()} cores, random ids of {args.records:,}, "
            "server: anchor serve --role api --workers N; "
            f"load average before: {os.getloadavg()[0]:.1f}"
        )
        if args.warmup:
            load(url, args.records, args.warmup, args.connections)
        pids = worker_pids(server.pid)
        cpu0 = cpu_seconds(pids)
        res = load(url, args.records, args.seconds, args.connections)
        cpu = cpu_seconds(pids) - cpu0
        per = cpu / max(1, res["requests"]) * 1e6
        print(
            f"proofs over HTTP: {res['rps']:,.0f} proofs/s ({res['requests']:,} in "
            f"{res['seconds']:.1f} s), p50 {res['p50_ms']:.2f} ms, p90 {res['p90_ms']:.2f} ms, "
            f"p99 {res['p99_ms']:.2f} ms, max {res['max_ms']:.1f} ms; non-2xx {res['non2xx']}, "
            f"socket errors {res['errors']}"
        )
        print(
            f"server CPU: {per:.0f} us per proof (all server processes; the load generator "
            f"and other processes on the machine not counted) -> at most "
            f"{1e6 / per:,.0f} proofs/s per fully available core; machine load average "
            f"{os.getloadavg()[0]:.1f}"
        )
        ok = res["rps"] >= 5000 and res["p99_ms"] <= 20 and not res["non2xx"]
        print(f"target >= 5,000/s and p99 <= 20 ms: {'met' if ok else 'NOT met'}")
    finally:
        server.send_signal(signal.SIGTERM)  # stops its workers too
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
