#!/usr/bin/env python3
"""Liabilities rounds: build time, proof verification time, and gas (issue 17).

1. Build a round over ``--accounts`` accounts (default 10^6) × 5 assets: random 32-byte
   commitments, balances below 2^64, five record ids each, as the store hands them over
   (:class:`anchor.core.sumtree.RoundInput` columns). Times ``build_sum_tree`` (shuffle,
   padding, salts, leaves, every level), ``--repeat`` times (median reported). Budget: 5 s.
2. Verify one account's path (commitment, leaf, every level's hash and checked sums) in
   Python: the mean of ``--proofs`` verifications, ``--repeat`` times (median). Budget: 1 ms.
3. With ``--db``: the same accounts as balance records in a SQLite file (5 records per
   account, one per asset, in one final batch; filled directly, not timed), then the service's
   ``build_round`` from the database (read the latest balance per account and asset, build,
   store the leaves and the upper levels), ``--db-repeat`` times (median), and the read alone.
4. With ``--gas``: on a fresh anvil (started and stopped here), deploy the LiabilitiesRegistry
   through CREATE2, anchor rounds of 2^20 leaves × 5 assets (the gas of the receipt), and
   measure ``verifyLiability`` (eth_estimateGas of the call, a 20-level path) — and the same
   for 1 and 16 assets.

    .venv/bin/python scripts/bench_liabilities.py [--accounts N] [--repeat R] [--db] [--gas]

The load average (1 min) is printed before and after each part. Exits 1 when a budget of
parts 1-2 is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anchor.core.native import native_available  # noqa: E402
from anchor.core.sumtree import (  # noqa: E402
    Label,
    RoundInput,
    build_sum_tree,
    derive,
    process_path,
    records_hash,
)

ASSETS = ("BTC", "ETH", "SOL", "USDC", "USDT")
BUILD_BUDGET_S = 5.0
VERIFY_BUDGET_S = 0.001


def _input(n: int, assets: tuple[str, ...]) -> RoundInput:
    rand = os.urandom(32 * n)
    amounts = os.urandom(8 * n * len(assets))
    return RoundInput(
        assets,
        [rand[32 * i : 32 * i + 32] for i in range(n)],
        [int.from_bytes(amounts[8 * k : 8 * k + 8], "big") for k in range(n * len(assets))],
        ["\n".join(f"bal-{i}-{a}" for a in assets).encode() for i in range(n)],
    )


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def bench_build(n: int, proofs: int, repeat: int) -> dict[str, Any]:
    data = _input(n, ASSETS)
    load_before = _load()
    builds, cpus = [], []
    for _ in range(repeat):
        secret = os.urandom(32)
        c0, t0 = time.process_time(), time.perf_counter()
        tree = build_sum_tree(1, data, secret=secret, pad_to=1)
        builds.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    i = n // 2
    p = int(tree.positions[i])
    path = tree.path(p)
    rec = records_hash([f"bal-{i}-{a}" for a in ASSETS])
    salt = derive(secret, Label.SALT, p)
    balances = data.balances[i * 5 : i * 5 + 5]
    verifies = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(proofs):
            root, totals = process_path(1, data.commitments[i], salt, rec, balances, p, path)
        verifies.append((time.perf_counter() - t0) / proofs)
    assert root == tree.root and totals == tree.totals
    return {
        "accounts": n,
        "assets": len(ASSETS),
        "leaves": tree.leaf_count,
        "depth": tree.depth,
        "native": native_available(),
        "build_s": round(statistics.median(builds), 3),
        "build_runs_s": [round(b, 2) for b in builds],
        "build_cpu_s": round(statistics.median(cpus), 2),  # both hashing threads
        "verify_ms": round(statistics.median(verifies) * 1000, 4),
        "load": [load_before, _load()],
    }


def _fill(path: Path, n: int) -> None:
    """``n`` accounts with one balance record per asset in one final batch (batch 1), written
    straight into the tables the store reads (commitments and leaves are random: a round
    reads only the accounts' commitments and the records' amounts and ids)."""
    import sqlite3

    stamp = "2026-01-01 00:00:00"
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")
    step = 100_000
    seq = 0
    for start in range(0, n, step):
        accounts, records, links = [], [], []
        for i in range(start, min(n, start + step)):
            acct = f"acct-{i:07d}"
            accounts.append((acct, os.urandom(32), os.urandom(32), stamp))
            for k, asset in enumerate(ASSETS):
                seq += 1
                rid = f"bal-{i}-{asset}"
                body = (
                    f'{{"account":"{acct}","asset":"{asset}","available":"{(i + 1) * (k + 1)}",'
                    f'"kind":"balance","locked":"{k}","record_id":"{rid}","ts_ns":"1",'
                    '"version":1}'
                )
                records.append((seq, rid, body, os.urandom(32), os.urandom(32), stamp))
                links.append((acct, seq))
        con.executemany(
            "INSERT INTO accounts (account_id, salt, commitment, created_at) VALUES (?,?,?,?)",
            accounts,
        )
        con.executemany(
            "INSERT INTO records (seq, record_id, kind, version, canonical, content_hash, leaf, "
            "received_at) VALUES (?, ?, 'balance', 1, ?, ?, ?, ?)",
            records,
        )
        con.executemany("INSERT INTO record_accounts (account_id, seq) VALUES (?, ?)", links)
        con.commit()
    con.execute(
        "INSERT INTO batches (id, root, leaf_count, first_seq, last_seq, chunk_nodes, sealed_at, "
        "state) VALUES (1, ?, ?, 1, ?, 4096, ?, 'final')",
        (os.urandom(32), seq, seq, stamp),
    )
    con.commit()
    con.close()


def bench_db(n: int, repeat: int) -> dict[str, Any]:
    from anchor.service.liabilities import build_round
    from anchor.store import liabilities as store
    from anchor.store.db import Database

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "anchor.sqlite"
        Database.open(f"sqlite:///{path}").close()  # the schema, by the migrations
        t0 = time.perf_counter()
        _fill(path, n)
        fill_s = time.perf_counter() - t0
        db = Database.open(f"sqlite:///{path}")
        try:
            load_before = _load()
            reads, rounds = [], []
            for _ in range(repeat):
                t0 = time.perf_counter()
                _, balances = store.balances_at_cutoff(db, 1)
                reads.append(time.perf_counter() - t0)
                assert len(balances) == n
                del balances
                t0 = time.perf_counter()
                row = build_round(db, 1, pad_to=1)
                rounds.append(time.perf_counter() - t0)
                assert row.accounts == n and row.assets == ASSETS
        finally:
            db.close()
    return {
        "accounts": n,
        "balance_records": n * len(ASSETS),
        "fill_s": round(fill_s, 1),
        "read_s": round(statistics.median(reads), 2),
        "read_runs_s": [round(r, 1) for r in reads],
        "db_round_s": round(statistics.median(rounds), 2),
        "db_round_runs_s": [round(r, 1) for r in rounds],
        "load": [load_before, _load()],
    }


def bench_gas() -> dict[str, Any]:
    from anchor.chain.client import make_web3
    from anchor.chain.devnet import DevnetOptions, start_devnet, stop_devnet
    from anchor.chain.keys import SigningKey
    from anchor.chain.liabilities import LiabilitiesClient, deploy_liabilities
    from tests.fixtures.paths import node_tool

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        devnet = start_devnet(DevnetOptions(), workdir=Path(tmp), anvil=node_tool("anvil"))
        try:
            w3 = make_web3(devnet.rpc_url)
            owner = SigningKey.from_hex(devnet.accounts[0].private_key, source="devnet 0")
            anchorer = SigningKey.from_hex(devnet.accounts[1].private_key, source="devnet 1")
            record = deploy_liabilities(
                w3, owner, expected_chain_id=devnet.chain_id, anchorer=anchorer.address
            )
            out["deploy"] = record.gas_used
            client = LiabilitiesClient(w3, record.address)
            for round_id, assets in enumerate((ASSETS[:1], ASSETS, _sixteen()), start=1):
                # a real 2^20-leaf tree is not needed for gas: a depth-20 tree of 1 account
                # padded to 2^20 leaves is one (build it small: pad to 2^20 costs seconds)
                data = _input(1, assets)
                secret = os.urandom(32)
                tree = build_sum_tree(round_id, data, secret=secret, pad_to=1 << 20)
                done = client.anchor_round(
                    anchorer,
                    round_id=round_id,
                    cutoff_batch_id=1,
                    root=tree.root,
                    leaf_count=tree.leaf_count,
                    assets=assets,
                    totals=tree.totals,
                )
                p = int(tree.positions[0])
                leaf = (
                    data.commitments[0],
                    derive(secret, Label.SALT, p),
                    records_hash([f"bal-0-{a}" for a in assets]),
                    data.balances,
                )
                path = tree.path(p)
                assert client.verify_liability(round_id, leaf, p, path)
                fn = client.contract.functions.verifyLiability(
                    round_id,
                    (leaf[0], leaf[1], leaf[2], list(leaf[3])),
                    p,
                    [s.hash for s in path],
                    [list(s.sums) for s in path],
                )
                out[f"{len(assets)}_assets"] = {
                    "anchor_round": done.gas_used,
                    "verify_liability_depth_20": int(fn.estimate_gas()),
                }
        finally:
            stop_devnet(devnet)
    return out


def _sixteen() -> tuple[str, ...]:
    return tuple(f"A{i:02d}" for i in range(16))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--db", action="store_true", help="also build a round from SQLite")
    parser.add_argument("--db-repeat", type=int, default=3, help="runs of the --db part")
    parser.add_argument("--gas", action="store_true", help="also measure gas on anvil")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"build": bench_build(args.accounts, args.proofs, args.repeat)}
    if not args.json:
        b = result["build"]
        print(
            f"round over {b['accounts']:,} accounts x {b['assets']} assets "
            f"({b['leaves']:,} leaves, depth {b['depth']}, native {b['native']}): "
            f"built in {b['build_s']:.2f} s, median of {b['build_runs_s']} "
            f"(budget {BUILD_BUDGET_S} s), CPU {b['build_cpu_s']} s [load {b['load']}]"
        )
        print(f"one proof verified in Python: {b['verify_ms']:.3f} ms median (budget 1 ms)")
        sys.stdout.flush()
    if args.db:
        result["db"] = bench_db(args.accounts, args.db_repeat)
        if not args.json:
            d = result["db"]
            print(
                f"from SQLite ({d['balance_records']:,} balance records, filled in "
                f"{d['fill_s']} s): read {d['read_s']} s {d['read_runs_s']}, whole build_round "
                f"(read, build, store) {d['db_round_s']} s {d['db_round_runs_s']} "
                f"[load {d['load']}]",
                flush=True,
            )
    if args.gas:
        result["gas"] = bench_gas()
        if not args.json:
            for key, value in result["gas"].items():
                print(f"gas {key}: {value}")
    ok = (
        result["build"]["build_s"] <= BUILD_BUDGET_S
        and result["build"]["verify_ms"] <= VERIFY_BUDGET_S * 1000
    )
    if args.json:
        print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
