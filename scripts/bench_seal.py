#!/usr/bin/env python3
"""Benchmark: seal N records (ABI-encode, leaf-hash, build the OpenZeppelin tree).

    .venv/bin/python scripts/bench_seal.py                 # N = 10^4, 10^5, 10^6 + node
    .venv/bin/python scripts/bench_seal.py --sizes 10000 --no-node

For each N (in a fresh subprocess, so peak RSS is per N): the records are generated and
parsed first (not timed: they are "the records themselves"), then ``anchor.core.seal.seal``
is timed (best of --repeat), with the C accelerator and with the pure Python path. Memory:
the RSS peak the sealing adds (ru_maxrss delta) and tracemalloc's peak of Python-side
allocations, both divided by N. Then the same 10^5 records go through
@openzeppelin/merkle-tree in node (standardLeafHash per record + SimpleMerkleTree.of over
the leaf hashes: the same tree, the roots are compared) and the ratio is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NODE_SCRIPT = r"""
'use strict';
const fs = require('fs');
const { SimpleMerkleTree } = require('@openzeppelin/merkle-tree');
const { standardLeafHash } = require('@openzeppelin/merkle-tree/dist/hashes');
const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const t0 = process.hrtime.bigint();
const leaves = input.items.map(([enc, value]) => standardLeafHash(input.encodings[enc], value));
const tree = SimpleMerkleTree.of(leaves);
const t1 = process.hrtime.bigint();
process.stdout.write(JSON.stringify({ seconds: Number(t1 - t0) / 1e9, root: tree.root }));
"""


def _rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _setup(n: int) -> tuple[list[Any], list[int], dict[str, bytes]]:
    from anchor.core.records import account_commitment
    from anchor.core.samples import sample_records

    records = sample_records(n, seed=1, accounts=max(10, n // 20))
    rnd = random.Random(2)
    commitments = {
        a: account_commitment(a, rnd.randbytes(32)) for r in records for a in r.accounts()
    }
    seqs = list(range(1, n + 1))
    return records, seqs, commitments


def child(n: int, mode: str, repeat: int) -> dict[str, Any]:
    """Runs in a subprocess: one N, one mode (native | python)."""
    from anchor.core.native import native_available, use_native
    from anchor.core.seal import seal

    if mode == "native" and not native_available():
        return {"n": n, "mode": mode, "error": "accelerator not built (pip install -e .)"}
    use_native(mode == "native")
    records, seqs, commitments = _setup(n)
    base = _rss_bytes()
    best = float("inf")
    cpu = float("inf")
    root = b""
    for _ in range(repeat):
        c0 = time.process_time()
        t0 = time.perf_counter()
        tree = seal(records, seqs, commitments)
        best = min(best, time.perf_counter() - t0)
        cpu = min(cpu, time.process_time() - c0)
        root = tree.root
        del tree
    rss_delta = max(0, _rss_bytes() - base)
    tracemalloc.start()
    tree = seal(records, seqs, commitments)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "mode": mode,
        "seconds": best,
        "cpu_seconds": cpu,
        "rss_bytes_per_record": rss_delta / n,
        "traced_bytes_per_record": peak / n,
        "root": "0x" + root.hex(),
        "same_root": tree.root == root,
    }


def _run_child(n: int, mode: str, repeat: int) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(n), mode, str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def node_compare(n: int) -> None:
    from anchor.core.records import leaf_types, leaf_values, leaf_values_json
    from anchor.core.seal import seal

    node = shutil.which("node")
    js = ROOT / "tests" / "js"
    if node is None or not (js / "node_modules" / "@openzeppelin" / "merkle-tree").is_dir():
        print("node comparison skipped: node or tests/js/node_modules missing (scripts/setup.sh)")
        return
    records, seqs, commitments = _setup(n)
    t0 = time.perf_counter()
    tree = seal(records, seqs, commitments)
    ours = time.perf_counter() - t0
    encodings: list[list[str]] = []
    enc_index: dict[tuple[str, ...], int] = {}
    items = []
    for r, s in zip(records, seqs, strict=True):
        types = leaf_types(r.kind, r.version)
        if types not in enc_index:
            enc_index[types] = len(encodings)
            encodings.append(list(types))
        items.append([enc_index[types], leaf_values_json(leaf_values(r, s, commitments))])
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "input.json"
        data.write_text(json.dumps({"encodings": encodings, "items": items}))
        script = js / ".bench_seal.js"
        script.write_text(NODE_SCRIPT)
        try:
            proc = subprocess.run(
                [node, "--max-old-space-size=4096", str(script), str(data)],
                capture_output=True,
                text=True,
                cwd=js,
                check=True,
            )
        finally:
            script.unlink(missing_ok=True)
    res = json.loads(proc.stdout)
    same = res["root"] == "0x" + tree.root.hex()
    print(
        f"node @openzeppelin/merkle-tree, N={n:>9,}: {res['seconds']:8.3f} s   "
        f"ours {ours:.3f} s   ratio {res['seconds'] / ours:,.0f}x   same root: {same}"
    )
    if not same:
        raise SystemExit("ROOT MISMATCH with @openzeppelin/merkle-tree")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-python", action="store_true", help="skip the pure Python path")
    ap.add_argument("--no-node", action="store_true", help="skip the node comparison")
    ap.add_argument("--node-n", type=int, default=100_000)
    args = ap.parse_args()
    print(f"seal = encode + leaf-hash + build tree; {os.cpu_count()} CPUs; best of {args.repeat}")
    print(
        f"load average before: {os.getloadavg()[0]:.2f} (numbers are only meaningful on an idle machine)"
    )
    for n in args.sizes:
        for mode in ("native",) if args.no_python else ("native", "python"):
            r = _run_child(n, mode, args.repeat if mode == "native" or n < 1_000_000 else 1)
            if "error" in r:
                print(f"{mode:>6} N={n:>9,}: {r['error']}")
                continue
            print(
                f"{mode:>6} N={n:>9,}: {r['seconds']:8.3f} s (cpu {r['cpu_seconds']:7.3f} s)  "
                f"{n / r['seconds']:>12,.0f} records/s  "
                f"peak RSS +{r['rss_bytes_per_record']:6.1f} B/record  "
                f"traced peak {r['traced_bytes_per_record']:6.1f} B/record"
            )
    if not args.no_node:
        node_compare(args.node_n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
