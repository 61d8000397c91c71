#!/usr/bin/env python3
"""Gas per AnchorRegistry anchoring call, measured on a fresh anvil (started and stopped here).

Deploys the committed artifact on one anvil, several times, and anchors batches through

* the packed entry ``anchorPacked_r19q()`` (what the service sends), and
* the ABI function ``anchor(uint64,bytes32,uint64)``,

alternating leafCount 1 and 10,000,000 (one registry per entry and starting leaf count, so
both leaf counts have a first anchor), with roots that have no zero byte (the dearest case:
each zero byte in a root saves 12 gas of call data). One more registry measures the dearest
packed call, batch id and leaf count 2^32 - 1 (every byte of both non-zero; the previous
root is planted with ``anvil_setStorageAt`` so the id is the next one). Also prints the cost
of a rejected (repeated) id and the deployment. gasUsed includes the 21,000 base.

    .venv/bin/python scripts/bench_gas.py [--batches 6] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from web3.types import RPCEndpoint  # noqa: E402

from anchor.chain.client import (  # noqa: E402
    RegistryClient,
    abi_anchor_calldata,
    make_web3,
    packed_anchor_calldata,
)
from anchor.chain.deploy import DeploymentRecord, deploy_registry  # noqa: E402
from anchor.chain.devnet import DevnetOptions, start_devnet, stop_devnet  # noqa: E402
from anchor.chain.keys import SigningKey  # noqa: E402

BUDGET = 50_000
LEAF_COUNTS = (1, 10_000_000)
ENCODERS = {"packed": packed_anchor_calldata, "abi": abi_anchor_calldata}


def _root() -> bytes:
    """32 random bytes, none zero (the most expensive call data)."""
    return bytes(b % 255 + 1 for b in os.urandom(32))


class _Sender:
    def __init__(self, w3: Any, key: SigningKey) -> None:
        self.w3 = w3
        self.key = key
        self.chain_id = int(w3.eth.chain_id)
        self.nonce = int(w3.eth.get_transaction_count(key.address, "pending"))

    def send(self, to: str, data: bytes) -> Any:
        tx = {
            "type": 2,
            "chainId": self.chain_id,
            "to": to,
            "nonce": self.nonce,
            "gas": 200_000,  # fixed: a revert is mined (status 0) instead of failing estimation
            "maxFeePerGas": 10**11,
            "maxPriorityFeePerGas": 1,
            "value": 0,
            "data": data,
        }
        self.nonce += 1
        tx_hash = self.w3.eth.send_raw_transaction(self.key.sign_transaction(tx).raw_transaction)
        return self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.02)


def measure(batches: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-gas-") as tmp:
        devnet = start_devnet(DevnetOptions(), workdir=tmp)
        try:
            w3 = make_web3(devnet.rpc_url)
            owner = SigningKey.from_hex(devnet.accounts[0].private_key, source="devnet account 0")
            anchorer = SigningKey.from_hex(
                devnet.accounts[1].private_key, source="devnet account 1"
            )
            sender = _Sender(w3, anchorer)

            def new_registry() -> DeploymentRecord:
                return deploy_registry(
                    w3, owner, expected_chain_id=devnet.chain_id, anchorer=anchorer.address
                )

            calls: list[dict[str, Any]] = []
            rejected: dict[str, int] = {}
            deployment = new_registry()  # replaced below; gives the deploy gas
            for entry, encode in ENCODERS.items():
                # One registry per starting leaf count, so each has a first anchor.
                for start in range(len(LEAF_COUNTS)):
                    deployment = new_registry()
                    for batch_id in range(1, batches + 1):
                        leaves = LEAF_COUNTS[(start + batch_id - 1) % len(LEAF_COUNTS)]
                        data = encode(batch_id, _root(), leaves)
                        receipt = sender.send(deployment.address, data)
                        if receipt["status"] != 1:
                            raise SystemExit(f"{entry} anchor {batch_id} reverted")
                        calls.append(
                            {
                                "entry": entry,
                                "batch_id": batch_id,
                                "leaf_count": leaves,
                                "gas_used": int(receipt["gasUsed"]),
                            }
                        )
                repeat = sender.send(deployment.address, encode(1, _root(), 1))
                assert repeat["status"] == 0
                rejected[entry] = int(repeat["gasUsed"])
            # The dearest packed call: id and leaf count 2^32 - 1, previous root planted.
            worst_id = 2**32 - 1
            previous_slot = (2**256 - 1) ^ (worst_id - 1)  # the root of id n is at slot ~n
            deployment = new_registry()
            w3.provider.make_request(
                RPCEndpoint("anvil_setStorageAt"),
                [deployment.address, hex(previous_slot), "0x" + "11" * 32],
            )
            worst = sender.send(
                deployment.address, packed_anchor_calldata(worst_id, _root(), worst_id)
            )
            if worst["status"] != 1:
                raise SystemExit("the dearest packed anchor reverted")
            client = RegistryClient(w3, deployment.address)
            assert client.root_of(worst_id) != bytes(32)
        finally:
            stop_devnet(devnet)
    table: dict[str, dict[str, Any]] = {}
    for entry in ENCODERS:
        mine = [c for c in calls if c["entry"] == entry]
        table[entry] = {
            "first": {
                str(n): sorted(
                    {c["gas_used"] for c in mine if c["batch_id"] == 1 and c["leaf_count"] == n}
                )
                for n in LEAF_COUNTS
            },
            "later": {
                str(n): sorted(
                    {c["gas_used"] for c in mine if c["batch_id"] > 1 and c["leaf_count"] == n}
                )
                for n in LEAF_COUNTS
            },
            "max": max(c["gas_used"] for c in mine),
            "rejected_repeat": rejected[entry],
        }
    packed_max = max(table["packed"]["max"], int(worst["gasUsed"]))
    return {
        "compiler": deployment.compiler,
        "deploy_gas": deployment.gas_used,
        "entries": table,
        "packed_worst_case": {
            "batch_id": worst_id,
            "leaf_count": worst_id,
            "gas_used": int(worst["gasUsed"]),
        },
        "budget": BUDGET,
        "packed_within_budget": packed_max <= BUDGET,
        "abi_within_budget": table["abi"]["max"] <= BUDGET,
        "calls": calls,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=6, help="anchors per entry (>= 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.batches < 3:
        parser.error("--batches must be at least 3 (first anchor, then both leaf counts)")
    result = measure(args.batches)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"AnchorRegistry on anvil ({result['compiler']}), gasUsed incl. the 21,000 base, "
        "roots without zero bytes:"
    )
    print(f"  deploy {result['deploy_gas']:,}")
    print()
    print("  entry                                         leafCount  first anchor  later anchors")
    for entry, label in (
        ("packed", "anchorPacked_r19q() (44 B, the service)"),
        ("abi", "anchor(uint64,bytes32,uint64) (100 B)"),
    ):
        row = result["entries"][entry]
        for n in LEAF_COUNTS:
            first = ", ".join(f"{v:,}" for v in row["first"][str(n)])
            later = ", ".join(f"{v:,}" for v in row["later"][str(n)])
            print(f"  {label:<41} {n:>13,}  {first:>12}  {later}")
    worst = result["packed_worst_case"]
    print(
        f"  {'packed, batch id 2^32-1':<41} {worst['leaf_count']:>13,}  "
        f"{'':>12}  {worst['gas_used']:,}  (the dearest packed call)"
    )
    print()
    for entry in ENCODERS:
        print(
            f"  rejected repeated id, {entry:<6}  {result['entries'][entry]['rejected_repeat']:,}"
            "  (reverted, status 0; the error runs the lastBatchId search)"
        )
    for entry, key in (("packed", "packed_within_budget"), ("abi", "abi_within_budget")):
        verdict = "within" if result[key] else "OVER"
        print(f"  budget {BUDGET:,}, {entry}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
