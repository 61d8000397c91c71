#!/usr/bin/env python3
"""Offline verification speed: how long checking one proof bundle takes, for a leaf of a
1,000,000-leaf tree (20 siblings).

Builds one OpenZeppelin-compatible tree of N leaves (``--leaves``): ``--bundles`` real
sample records (every kind, with account commitments) plus random filler leaves, then
makes a proof bundle per record and times, per proof:

* ``verify_bundle_offline(bytes)`` — what ``anchor verify FILE --offline`` does: strict
  parsing of the canonical JSON (re-serialization check, checksum), commitments, leaf,
  root from the path;
* ``verify_bundle(parsed)`` — the math alone on an already parsed bundle;
* ``process_proof(leaf, proof)`` — the bare Merkle path (20 keccak256 pair hashes).

Target (issue 5): <= 0.1 ms per proof.

    .venv/bin/python scripts/bench_verify.py [--leaves 1000000] [--bundles 2000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--leaves", type=int, default=1_000_000)
    ap.add_argument("--bundles", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=5, help="timing rounds (best is printed)")
    args = ap.parse_args()

    from anchor.core.merkle import MerkleTree, process_proof
    from anchor.core.proof import AnchorInfo, make_bundle, parse_bundle
    from anchor.core.records import account_commitment, leaf_hashes
    from anchor.core.samples import sample_records
    from anchor.core.verify import verify_bundle
    from anchor.verifier import verify_bundle_offline

    rnd = random.Random(1)
    records = sample_records(args.bundles, seed=3, accounts=50)
    salts = {a: rnd.randbytes(32) for r in records for a in r.accounts()}
    commitments = {a: account_commitment(a, s) for a, s in salts.items()}
    seqs = list(range(1, len(records) + 1))
    t0 = time.perf_counter()
    leaves = leaf_hashes(zip(records, seqs, strict=True), commitments)
    leaves += [os.urandom(32) for _ in range(args.leaves - len(leaves))]
    tree = MerkleTree.from_leaves(leaves)
    order = tree.tree_order_of_inputs()
    print(f"tree of {args.leaves:,} leaves built in {time.perf_counter() - t0:.1f} s")
    anchor = AnchorInfo(
        chain_id=31337,
        contract="0x5fbdb2315678afecb367f032d93f642f64180aa3",
        tx_hash=b"\x01" * 32,
        block_number=42,
        block_hash=b"\x02" * 32,
        status="final",
    )
    raw: list[bytes] = []
    for i, rec in enumerate(records):
        mine = {rec.accounts()[0]: salts[rec.accounts()[0]]} if rec.accounts() else {}
        b = make_bundle(rec, seqs[i], commitments, mine, tree.proof(order[i]), tree.root, 1, anchor)
        raw.append(b.to_json())
    parsed = [parse_bundle(r) for r in raw]
    depth = len(parsed[0].proof)
    pairs = [(b.leaf, b.proof) for b in parsed]

    def best(fn: object, items: list[object]) -> tuple[float, float]:
        """Best wall time and best CPU time (this process) per item, in ms: on a shared
        machine the CPU time is the steadier figure."""
        wall, cpu = [], []
        for _ in range(args.repeat):
            t, c = time.perf_counter(), time.process_time()
            for x in items:
                fn(x)  # type: ignore[operator]
            cpu.append((time.process_time() - c) / len(items))
            wall.append((time.perf_counter() - t) / len(items))
        return min(wall) * 1e3, min(cpu) * 1e3

    load = os.getloadavg()[0]
    full, full_cpu = best(verify_bundle_offline, raw)  # type: ignore[arg-type]
    math, math_cpu = best(verify_bundle, parsed)  # type: ignore[arg-type]
    path, path_cpu = best(lambda p: process_proof(p[0], p[1]), pairs)  # type: ignore[arg-type, index]
    print(
        f"bundles: {len(raw):,}, proof depth {depth}, {os.cpu_count()} cores, one core used, "
        f"load average {load:.1f} before / {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"verify_bundle_offline(bytes) (parse + verify): {full:.3f} ms per proof ({full_cpu:.3f} CPU)"
    )
    print(
        f"verify_bundle(parsed) (math only):            {math:.3f} ms per proof ({math_cpu:.3f} CPU)"
    )
    print(
        f"process_proof(leaf, path) (Merkle path only): {path:.3f} ms per proof ({path_cpu:.3f} CPU)"
    )
    print(
        f"target <= 0.1 ms per proof: {'met' if full <= 0.1 else 'NOT met'} for the full check, "
        f"{'met' if math <= 0.1 else 'NOT met'} for the math"
    )


if __name__ == "__main__":
    main()
