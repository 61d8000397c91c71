#!/usr/bin/env python3
"""Does the public proof route tell an unknown id from a private one? Content and time.

Serves a sealed, final batch of ``--records`` sample records with ``anchor serve --role api``
(a real process, SQLite file or ``--database-url``), then sends ``--requests`` anonymous
``GET /v1/proofs/{id}`` for existing PRIVATE records (balances, positions: the public gets a
404) interleaved in random order with as many for unknown ids of the same shape, over one
keep-alive connection. Prints the median, p10 and p90 latency of each, their difference, and
whether every answer had the same status, headers and body.

    .venv/bin/python scripts/bench_oracle.py [--records 20000] [--requests 1000]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--requests", type=int, default=1000, help="of each kind")
    ap.add_argument("--database-url", default=None)
    args = ap.parse_args()

    import httpx
    import sqlalchemy as sa

    from anchor.core.samples import sample_records
    from anchor.service.ingest import ingest
    from anchor.service.seal import seal
    from anchor.store.db import Database
    from tests.fixtures.procs import wait_http_ok

    work = Path(tempfile.mkdtemp(prefix="bench-oracle-"))
    url = args.database_url or f"sqlite:///{work / 'anchor.sqlite'}"
    db = Database.open(url)
    records = sample_records(args.records, seed=11, accounts=500)
    ingest(db, [r.canonical_json() for r in records])
    batch = seal(db)
    assert batch is not None
    with db.connect() as conn:
        conn.execute(
            sa.text(
                "UPDATE batches SET state = 'final', tx_hash = :t, block_number = 3, "
                "block_hash = :h, chain_id = 31337, contract = :c"
            ),
            {"t": b"\x01" * 32, "h": b"\x02" * 32, "c": "0x" + "5f" * 20},
        )
    db.close()
    private = [r.record_id for r in records if r.kind in ("balance", "position")]
    rnd = random.Random(5)
    chosen = rnd.sample(private, min(args.requests, len(private)))
    unknown = [rid[:-1] + "z" + rid[-1] + "q" for rid in chosen]  # same shape, no such id
    plan = [("private", rid) for rid in chosen] + [("unknown", rid) for rid in unknown]
    rnd.shuffle(plan)

    port = _free_port()
    config = work / "anchor.toml"
    config.write_text(
        f'database_url = "{url}"\napi_host = "127.0.0.1"\napi_port = {port}\n', encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANCHOR_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "anchor.cli", "serve", "--role", "api", "--config", str(config)],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_http_ok(f"{base}/healthz", timeout=60, every=0.1):
            raise SystemExit("the API did not start")
        times: dict[str, list[float]] = {"private": [], "unknown": []}
        answers: set[tuple[int, bytes, str]] = set()
        with httpx.Client(base_url=base, timeout=30) as client:
            for _, rid in plan[:200]:  # warm up: caches, connection
                client.get(f"/v1/proofs/{rid}")
            for kind, rid in plan:
                t0 = time.perf_counter()
                r = client.get(f"/v1/proofs/{rid}")
                times[kind].append((time.perf_counter() - t0) * 1e6)
                headers = ",".join(f"{k}={v}" for k, v in r.headers.items() if k != "date")
                answers.add((r.status_code, r.content, headers))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)
    print(f"{args.records:,} records, {len(chosen):,} requests of each kind, interleaved")
    for kind in ("private", "unknown"):
        t = times[kind]
        print(
            f"  {kind:8s} median {statistics.median(t):7.1f} us   "
            f"p10 {_pct(t, 0.1):7.1f} us   p90 {_pct(t, 0.9):7.1f} us"
        )
    diff = statistics.median(times["private"]) - statistics.median(times["unknown"])
    print(f"  difference of the medians: {diff:+.1f} us")
    print(f"  distinct answers (status, body, headers but Date): {len(answers)}")


if __name__ == "__main__":
    main()
