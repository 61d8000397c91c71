"""The AnchorRegistry as the transaction manager reads it: the root and the last batch id on
chain, the ``anchor(batchId, root, leafCount)`` call data, and the ``Anchored`` event of a
batch. Values in, values out; no database (see :mod:`anchor.service.txmanager`).

Node and network errors pass through unchanged, so the transaction manager can tell an
unreachable RPC (retry next tick) from a revert. (:class:`anchor.chain.client.RegistryClient`
is the richer, error-wrapping client of the CLI and the explorer.)
"""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes

from anchor.chain.client import anchor_calldata

__all__ = ["Registry", "to_hex"]


def to_hex(value: bytes | HexBytes | str) -> str:
    """Lower-case ``0x`` hex of bytes (or of a hex string, with or without ``0x``)."""
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


class Registry:
    """Reads and call data of the AnchorRegistry contract over one web3 instance."""

    def __init__(self, w3: Any, address: str, start_block: int = 0) -> None:
        from web3 import Web3

        from anchor.chain.artifact import load_artifact

        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.start_block = start_block
        abi = load_artifact().abi_list
        self.contract = w3.eth.contract(address=self.address, abi=abi)
        event = next(e for e in abi if e.get("type") == "event" and e.get("name") == "Anchored")
        signature = "Anchored(" + ",".join(i["type"] for i in event["inputs"]) + ")"
        self.anchored_topic = to_hex(Web3.keccak(text=signature))

    def root_of(self, batch_id: int) -> bytes:
        return bytes(self.contract.functions.rootOf(batch_id).call(block_identifier="latest"))

    def last_batch_id(self) -> int:
        return int(self.contract.functions.lastBatchId().call(block_identifier="latest"))

    def anchor_data(self, batch_id: int, root: bytes, leaf_count: int) -> str:
        """``anchor(batchId, root, leafCount)`` call data, hex."""
        return "0x" + anchor_calldata(batch_id, bytes(root), leaf_count).hex()

    def find_anchored(self, batch_id: int) -> tuple[str, int, str] | None:
        """(tx hash, block number, block hash) of the Anchored event for ``batch_id``."""
        logs = self.w3.eth.get_logs(
            {
                "address": self.address,
                "fromBlock": self.start_block,
                "toBlock": "latest",
                "topics": [self.anchored_topic, "0x" + batch_id.to_bytes(32, "big").hex()],
            }
        )
        if not logs:
            return None
        last = logs[-1]
        return to_hex(last["transactionHash"]), int(last["blockNumber"]), to_hex(last["blockHash"])
