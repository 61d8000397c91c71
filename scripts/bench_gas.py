#!/usr/bin/env python3
"""Gas per AnchorRegistry.anchor call, measured on a fresh anvil (started and stopped here).

Deploys the committed artifact, anchors batches alternating leafCount 1 and 10,000,000 with
random roots, and prints gasUsed per call (the 21,000 base included), the first anchor
apart. Also prints the deployment gas and the cost of a rejected (repeated) id.

    .venv/bin/python scripts/bench_gas.py [--batches 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from anchor.chain.client import RegistryClient, make_web3  # noqa: E402
from anchor.chain.deploy import deploy_registry  # noqa: E402
from anchor.chain.devnet import DevnetOptions, start_devnet, stop_devnet  # noqa: E402
from anchor.chain.keys import SigningKey  # noqa: E402

BUDGET = 50_000


def _send(w3: Any, contract: Any, key: SigningKey, *args: Any) -> Any:
    tx = contract.functions.anchor(*args).build_transaction(
        {
            "from": key.address,
            "nonce": w3.eth.get_transaction_count(key.address, "pending"),
            "gas": 200_000,
            "chainId": w3.eth.chain_id,
        }
    )
    tx_hash = w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.02)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-gas-") as tmp:
        devnet = start_devnet(DevnetOptions(), workdir=tmp)
        try:
            w3 = make_web3(devnet.rpc_url)
            owner = SigningKey.from_hex(devnet.accounts[0].private_key, source="devnet account 0")
            anchorer = SigningKey.from_hex(
                devnet.accounts[1].private_key, source="devnet account 1"
            )
            record = deploy_registry(
                w3, owner, expected_chain_id=devnet.chain_id, anchorer=anchorer.address
            )
            contract = RegistryClient(w3, record.address).contract
            rows: list[dict[str, int]] = []
            for batch_id in range(1, args.batches + 1):
                leaves = 1 if batch_id % 2 else 10_000_000
                receipt = _send(w3, contract, anchorer, batch_id, os.urandom(32), leaves)
                if receipt["status"] != 1:
                    raise SystemExit(f"anchor {batch_id} reverted")
                rows.append(
                    {"batch_id": batch_id, "leaf_count": leaves, "gas_used": receipt["gasUsed"]}
                )
            repeated = _send(w3, contract, anchorer, 1, os.urandom(32), 1)
        finally:
            stop_devnet(devnet)
    later = [r["gas_used"] for r in rows[1:]]
    by_leaves = {
        n: sorted({r["gas_used"] for r in rows[1:] if r["leaf_count"] == n})
        for n in (1, 10_000_000)
    }
    summary = {
        "deploy_gas": record.gas_used,
        "first_anchor": rows[0]["gas_used"],
        "later_anchor_max": max(later) if later else None,
        "later_anchor_median": statistics.median(later) if later else None,
        "later_by_leaf_count": {str(k): v for k, v in by_leaves.items()},
        "rejected_repeat_id": repeated["gasUsed"],
        "budget": BUDGET,
        "within_budget": max(r["gas_used"] for r in rows) <= BUDGET,
        "calls": rows,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"AnchorRegistry on anvil ({record.compiler}), gasUsed incl. the 21,000 base:")
    print(f"  deploy                      {record.gas_used:>8,}")
    for row in rows:
        print(
            f"  anchor batch {row['batch_id']:>3}  leaves {row['leaf_count']:>10,}  {row['gas_used']:>8,}"
        )
    print(f"  first anchor                {rows[0]['gas_used']:>8,}")
    if later:
        print(f"  later anchors (max)         {max(later):>8,}")
        for n, values in by_leaves.items():
            print(f"    leafCount {n:>10,}        {', '.join(f'{v:,}' for v in values)}")
    print(f"  rejected repeated id        {repeated['gasUsed']:>8,}  (reverted, status 0)")
    verdict = "within" if summary["within_budget"] else "OVER"
    print(f"  budget {BUDGET:,}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
