#!/usr/bin/env python3
"""Gas per AnchorRegistry anchor, measured on a fresh anvil (started and stopped here).

Deploys the committed artifact on one anvil through the CREATE2 factory (one salt per
registry) and anchors batches with ``anchor(uint64,bytes32,uint64)``, alternating leafCount 1
and 10,000,000 (two registries, so both leaf counts have a first anchor), with roots that have
no zero byte (the dearest case: each zero byte in a root saves 12 gas of call data). One more
registry measures the dearest call there is, batch id and leaf count 2^64 - 1 (every byte of
both non-zero; the previous root is planted with ``anvil_setStorageAt`` so the id is the next
one). Also prints the cost of a rejected (repeated) id and of the deployment. gasUsed
includes the 21,000 base. Exits 1 when an anchor costs more than the budget.

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

from eth_abi import encode as abi_encode  # noqa: E402
from eth_utils import keccak  # noqa: E402
from web3.types import RPCEndpoint  # noqa: E402

from anchor.chain.client import RegistryClient, anchor_calldata, make_web3  # noqa: E402
from anchor.chain.deploy import DeploymentRecord, deploy_registry  # noqa: E402
from anchor.chain.devnet import DevnetOptions, start_devnet, stop_devnet  # noqa: E402
from anchor.chain.keys import SigningKey  # noqa: E402

BUDGET = 51_000
LEAF_COUNTS = (1, 10_000_000)
ROOTS_SLOT = 2  # storage slot of the `_roots` mapping (after Ownable's owner and pending owner)
MAX_U64 = 2**64 - 1


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
            salts = iter(range(1, 100))

            def new_registry() -> DeploymentRecord:
                return deploy_registry(
                    w3,
                    owner,
                    expected_chain_id=devnet.chain_id,
                    anchorer=anchorer.address,
                    salt=next(salts).to_bytes(32, "big"),
                )

            calls: list[dict[str, Any]] = []
            deployment = new_registry()
            for start in range(len(LEAF_COUNTS)):
                # One registry per starting leaf count, so each has a first anchor.
                deployment = new_registry()
                for batch_id in range(1, batches + 1):
                    leaves = LEAF_COUNTS[(start + batch_id - 1) % len(LEAF_COUNTS)]
                    receipt = sender.send(
                        deployment.address, anchor_calldata(batch_id, _root(), leaves)
                    )
                    if receipt["status"] != 1:
                        raise SystemExit(f"anchor {batch_id} reverted")
                    calls.append(
                        {
                            "batch_id": batch_id,
                            "leaf_count": leaves,
                            "gas_used": int(receipt["gasUsed"]),
                        }
                    )
            repeat = sender.send(deployment.address, anchor_calldata(1, _root(), 1))
            assert repeat["status"] == 0
            # The dearest call: id and leaf count 2^64 - 1, the previous root planted.
            deployment = new_registry()
            previous_slot = keccak(abi_encode(["uint64", "uint256"], [MAX_U64 - 1, ROOTS_SLOT]))
            w3.provider.make_request(
                RPCEndpoint("anvil_setStorageAt"),
                [deployment.address, "0x" + previous_slot.hex(), "0x" + "11" * 32],
            )
            worst = sender.send(deployment.address, anchor_calldata(MAX_U64, _root(), MAX_U64))
            if worst["status"] != 1:
                raise SystemExit("the dearest anchor reverted")
            assert RegistryClient(w3, deployment.address).root_of(MAX_U64) != bytes(32)
        finally:
            stop_devnet(devnet)

    def gas(first: bool, leaves: int) -> list[int]:
        return sorted(
            {
                c["gas_used"]
                for c in calls
                if (c["batch_id"] == 1) == first and c["leaf_count"] == leaves
            }
        )

    worst_gas = int(worst["gasUsed"])
    dearest = max([c["gas_used"] for c in calls] + [worst_gas])
    return {
        "compiler": deployment.compiler,
        "deploy_gas": deployment.gas_used,
        "first": {str(n): gas(True, n) for n in LEAF_COUNTS},
        "later": {str(n): gas(False, n) for n in LEAF_COUNTS},
        "worst_case": {"batch_id": MAX_U64, "leaf_count": MAX_U64, "gas_used": worst_gas},
        "rejected_repeat": int(repeat["gasUsed"]),
        "max": dearest,
        "budget": BUDGET,
        "within_budget": dearest <= BUDGET,
        "calls": calls,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=6, help="anchors per registry (>= 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.batches < 3:
        parser.error("--batches must be at least 3 (first anchor, then both leaf counts)")
    result = measure(args.batches)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0 if result["within_budget"] else 1
    print(
        f"AnchorRegistry on anvil ({result['compiler']}), gasUsed incl. the 21,000 base, "
        "roots without zero bytes:"
    )
    print(f"  deploy (through the CREATE2 factory) {result['deploy_gas']:,}")
    print()
    print("  anchor(uint64,bytes32,uint64)       leafCount  first anchor  later anchors")
    for n in LEAF_COUNTS:
        first = ", ".join(f"{v:,}" for v in result["first"][str(n)])
        later = ", ".join(f"{v:,}" for v in result["later"][str(n)])
        print(f"  {'':<31} {n:>13,}  {first:>12}  {later}")
    worst = result["worst_case"]
    print(
        f"  {'batch id 2^64-1':<31} {worst['leaf_count']:>13,}  {'':>12}  "
        f"{worst['gas_used']:,}  (the dearest call)"
    )
    print()
    print(
        f"  rejected repeated id  {result['rejected_repeat']:,}"
        "  (reverted, status 0; the error runs the lastBatchId search)"
    )
    verdict = "within" if result["within_budget"] else "OVER"
    print(f"  budget {BUDGET:,}: {verdict} (dearest {result['max']:,})")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
