#!/usr/bin/env python3
"""Proofs over HTTP against the server stack's own ceiling, side by side in one run.

1. Builds (or reuses, ``--reuse``) a SQLite database with N records (default 1,000,000)
   sealed into ONE batch, whose anchor fields are then filled as the transaction manager
   would (fixed tx/block values: serving speed does not depend on them).
2. Starts the product's own server: ``anchor serve --role api --workers N`` (uvicorn
   workers, each built by ``anchor.api.app:create_app_from_env``); with ``--before DIR``
   also the same command from another checkout (e.g. a worktree of main) over the same
   database, for a before/after in the same run.
3. Starts the CEILING: the same uvicorn stack, same worker count, answering every request
   with a fixed JSON body of the bundles' median size and the same headers
   (``scripts/bench_ceiling_app.py``, a benchmark fixture that computes nothing).
4. Drives each in turn from a SEPARATE process on loopback with the same load generator and
   connections: ``wrk`` (Debian: ``apt-get install -y wrk``) with a Lua script asking for
   uniformly random record ids, or, without wrk, a slower asyncio httpx generator.
   ``--rounds`` interleaves them (order reversed every other round); medians are reported.
5. Prints, for each: requests/s, p50/p99, server CPU per request, and our ratio to the
   ceiling (req/s and p99), with the load average; then stops every process it started
   (by PID). ``--budget 30 60``: the ceiling fixture also with 30, then 60 microseconds of CPU
   work per request, in the same rounds: how much work per proof a share of the ceiling allows.
   ``--profile``: one more run of ours under py-spy (``pip install py-spy``),
   and where the server CPU per proof goes, by part (scripts/benchlib_profile.py).

Targets (issue 20): proofs >= 50% of the ceiling's requests/s with p99 <= 10 ms, 1M-record
batch, ``--workers 2``, on 2 cores.

    .venv/bin/python scripts/bench_proofs.py [--records 1000000] [--reuse] [--seconds 15]
        [--rounds 2] [--before /tmp/before-perf]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_ceiling_app import WORK_ENV  # noqa: E402
from benchlib_http import (  # noqa: E402
    Load,
    anchor_serve_argv,
    ceiling_argv,
    clean_env,
    free_port,
    make_loads,
    measure,
    rss_mib,
    server,
    worker_pids,
)
from benchlib_profile import breakdown, parts, record  # noqa: E402

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


def bundle_size(url: str, n: int, sample: int = 200) -> int:
    """Median size of the bundles of ``sample`` random records, as served."""
    import random

    import httpx

    sizes = []
    with httpx.Client(base_url=url, headers={"X-API-Key": API_KEY}) as client:
        for _ in range(sample):
            r = client.get(f"/v1/proofs/{record_id(random.randrange(n))}")
            assert r.status_code == 200, r.text
            sizes.append(len(r.content))
    return int(statistics.median(sizes))


def native_in(tree: Path) -> bool:
    out = subprocess.run(
        [sys.executable, "-c", "import anchor.core.native as n; print(n.native_available())"],
        env=clean_env(tree), cwd=tree, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.strip() == "True"


def write_config(path: Path, db_url: str, port: int) -> Path:
    path.write_text(
        f'database_url = "{db_url}"\napi_key = "{API_KEY}"\napi_port = {port}\n', encoding="utf-8"
    )
    return path


def report(name: str, runs: list[dict], ceiling: list[dict] | None) -> None:
    med = {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50_ms", "p99_ms", "cpu_us")}
    loads = "/".join(f"{r['load']:.1f}" for r in runs)
    line = (
        f"{name:<9} {med['rps']:>8,.0f} req/s  p50 {med['p50_ms']:6.2f} ms  "
        f"p99 {med['p99_ms']:6.2f} ms  server CPU {med['cpu_us']:5.0f} us/request"
    )
    if ceiling is not None:
        c_rps = statistics.median(r["rps"] for r in ceiling)
        c_p99 = statistics.median(r["p99_ms"] for r in ceiling)
        line += f"  | {100 * med['rps'] / c_rps:5.1f}% of the ceiling's req/s, p99 x{med['p99_ms'] / c_p99:.1f}"
    bad = sum(r["non2xx"] + r["errors"] for r in runs)
    print(f"{line}  [load {loads}]{f'  non-2xx/errors {bad}' if bad else ''}")


def profile(
    args: argparse.Namespace, load: Load, url: str, supervisor: int, pids: list[int],
    ceiling: list[dict],
) -> None:  # fmt: skip
    """One more load run of ours with py-spy recording its workers; the breakdown."""
    with tempfile.TemporaryDirectory(prefix="bench-proofs-") as tmp:
        raw = Path(tmp) / "stacks.txt"
        spy = record(args.py_spy, supervisor, args.seconds + 2, raw)
        time.sleep(1)  # py-spy attached
        res = measure(load, url, pids, args.records, args.seconds, args.connections)
        err = spy.communicate(timeout=120)[1].decode(errors="replace")
        if not raw.exists():
            print(f"py-spy wrote nothing: {err.strip()[-300:]}")
            return
        ceiling_us = statistics.median(r["cpu_us"] for r in ceiling)
        print(
            f"profile run: {res['rps']:,.0f} req/s under py-spy [load {res['load']:.1f}]\n"
            + breakdown(parts(raw), res["cpu_us"], ceiling_us)
        )


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
    ap.add_argument("--rounds", type=int, default=2, help="interleaved rounds (medians shown)")
    ap.add_argument(
        "--before", type=Path, help="another checkout (e.g. main) to serve the same database"
    )
    ap.add_argument(
        "--profile",
        action="store_true",
        help="then one more run of ours under py-spy: server CPU per proof by part",
    )
    ap.add_argument(
        "--budget",
        type=int,
        nargs="*",
        default=[],
        metavar="US",
        help="also the ceiling with US microseconds of CPU work per request, for each US",
    )
    ap.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy", help="its path")
    args = ap.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    if not (args.reuse and args.db.exists()):
        build(args.db, args.records)
    db_url = f"sqlite:///{args.db}"
    load_name, load = make_loads(API_KEY, SEED)
    trees = [("ours", ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    for name, tree in trees:
        if not native_in(tree):
            print(f"warning: {name} ({tree}) runs without the C accelerator")
    with contextlib.ExitStack() as stack:
        urls: dict[str, str] = {}
        procs: dict[str, subprocess.Popen[bytes]] = {}
        for name, tree in trees:
            port = free_port()
            config = write_config(args.db.with_suffix(f".{name}.toml"), db_url, port)
            urls[name] = f"http://127.0.0.1:{port}"
            argv = anchor_serve_argv(config, args.workers)
            procs[name] = stack.enter_context(server(argv, clean_env(tree), urls[name]))
        size = bundle_size(urls["ours"], args.records)
        port = free_port()
        urls["ceiling"] = f"http://127.0.0.1:{port}"
        env = clean_env(ROOT) | {"BENCH_CEILING_BYTES": str(size)}
        procs["ceiling"] = stack.enter_context(
            server(ceiling_argv(port, args.workers), env, urls["ceiling"])
        )
        for us in args.budget:  # the ceiling of an application costing `us` per request
            port = free_port()
            name = f"ceil+{us}us"
            urls[name] = f"http://127.0.0.1:{port}"
            procs[name] = stack.enter_context(
                server(ceiling_argv(port, args.workers), env | {WORK_ENV: str(us)}, urls[name])
            )
        pids = {name: worker_pids(p.pid) for name, p in procs.items()}
        print(
            f"load: {load_name}, {args.connections} connections, {args.seconds} s per run, "
            f"{args.rounds} interleaved rounds; {args.workers} server processes each; "
            f"{os.cpu_count()} cores; random ids of {args.records:,} records in one batch; "
            f"ceiling: fixed {size:,}-byte body (the bundles' median size); "
            f"load average before: {os.getloadavg()[0]:.1f}"
        )
        order = list(urls)
        runs: dict[str, list[dict]] = {name: [] for name in order}
        if args.warmup:
            for name in order:
                load(urls[name], args.records, args.warmup, args.connections)
        for r in range(args.rounds):
            for name in order if r % 2 == 0 else order[::-1]:
                res = measure(load, urls[name], pids[name], args.records, args.seconds,
                              args.connections)  # fmt: skip
                runs[name].append(res)
                print(
                    f"  round {r + 1} {name:<8} {res['rps']:>8,.0f} req/s  p99 "
                    f"{res['p99_ms']:6.2f} ms  {res['cpu_us']:5.0f} us CPU/request  "
                    f"[load {res['load']:.1f}]"
                )
        print(f"medians of {args.rounds} (server CPU: all server processes; wrk not counted):")
        for name in order:
            report(name, runs[name], None if name == "ceiling" else runs["ceiling"])
        if args.before:
            a = statistics.median(r["rps"] for r in runs["before"])
            b = statistics.median(r["rps"] for r in runs["ours"])
            ca = statistics.median(r["cpu_us"] for r in runs["before"])
            cb = statistics.median(r["cpu_us"] for r in runs["ours"])
            print(f"ours vs before: x{b / a:.2f} req/s, {cb - ca:+.0f} us CPU/request")
        print("peak worker RSS: " + ", ".join(
            f"{name} {rss_mib(p):.0f} MiB" for name, p in pids.items()
        ))  # fmt: skip
        if args.profile:
            profile(args, load, urls["ours"], procs["ours"].pid, pids["ours"], runs["ceiling"])
        rps = statistics.median(r["rps"] for r in runs["ours"])
        ceiling = statistics.median(r["rps"] for r in runs["ceiling"])
        p99 = statistics.median(r["p99_ms"] for r in runs["ours"])
        ok = rps >= 0.5 * ceiling and p99 <= 10
        print(f"target >= 50% of the ceiling and p99 <= 10 ms: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
