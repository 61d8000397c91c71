"""The LiabilitiesRegistry on chain: its committed artifact, its CREATE2 deployment (the same
path as the AnchorRegistry's, another salt), anchoring a round, reading rounds, and the
exchange's reserves (native and ERC-20 balances of declared wallets at one block).

Knows no database: it takes and returns values. Anchoring a round is an operator's command
that happens rarely, so it signs, sends and waits for the receipt itself, outside the batch
transaction manager (no stored signed bytes, no fee bumping, no reorg watch); a round sent but
not recorded (a crash, a timeout) is adopted by re-running the command, which finds the
round's ``RoundAnchored`` event (:meth:`LiabilitiesClient.find_round_anchored`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector, keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3RPCError

from anchor.chain.artifact import Artifact, _parse
from anchor.chain.deploy import DeploymentRecord, deploy_registry
from anchor.chain.keys import SigningKey
from anchor.chain.sending import sending
from anchor.core.sumtree import PathStep
from anchor.errors import ChainError, ConfigError

__all__ = [
    "LIABILITIES_ARTIFACT_FILE",
    "LIABILITIES_SALT",
    "NATIVE",
    "AnchoredRound",
    "LiabilitiesClient",
    "OnChainRound",
    "deploy_liabilities",
    "encode_asset",
    "load_liabilities_artifact",
    "read_reserves",
]

LIABILITIES_ARTIFACT_FILE = "LiabilitiesRegistry.json"
LIABILITIES_SALT = keccak(b"ledger-anchor/LiabilitiesRegistry")
NATIVE = "native"
ANCHOR_ROUND_GAS_LIMIT = 1_000_000


@lru_cache(maxsize=1)
def load_liabilities_artifact() -> Artifact:
    """The packaged LiabilitiesRegistry artifact (built by scripts/build_contracts.py)."""
    raw = resources.files("anchor.chain").joinpath(LIABILITIES_ARTIFACT_FILE).read_bytes()
    return _parse(raw, f"anchor/chain/{LIABILITIES_ARTIFACT_FILE}")


def deploy_liabilities(
    w3: Web3, key: SigningKey, *, salt: bytes = LIABILITIES_SALT, **options: Any
) -> DeploymentRecord:
    """Deploy (or find) the LiabilitiesRegistry through the CREATE2 factory: one address on
    every chain for one salt, owner and first anchorer. ``options`` are
    :func:`anchor.chain.deploy.deploy_registry`'s (``expected_chain_id``, ``anchorer``,
    ``owner``, ``timeout``, ...)."""
    return deploy_registry(w3, key, salt=salt, artifact=load_liabilities_artifact(), **options)


def encode_asset(asset: str) -> bytes:
    """An asset id as the contract stores it: UTF-8, left-aligned, zero-padded to 32 bytes."""
    raw = asset.encode("utf-8")
    if not 1 <= len(raw) <= 32:
        raise ConfigError(f"asset id {asset!r} must be 1 to 32 bytes")
    return raw.ljust(32, b"\0")


@dataclass(frozen=True)
class OnChainRound:
    """A round as the contract holds it (root zero: not anchored)."""

    round_id: int
    root: bytes
    cutoff_batch_id: int
    leaf_count: int
    assets: tuple[str, ...]
    totals: tuple[int, ...]


@dataclass(frozen=True)
class AnchoredRound:
    """Where a round's anchoring transaction landed."""

    tx_hash: str
    block_number: int
    block_hash: str
    gas_used: int

    @classmethod
    def of_receipt(cls, receipt: Any) -> AnchoredRound:
        """The round's anchoring transaction as its receipt tells it."""
        return cls(
            Web3.to_hex(receipt["transactionHash"]),
            int(receipt["blockNumber"]),
            Web3.to_hex(receipt["blockHash"]),
            int(receipt["gasUsed"]),
        )


class LiabilitiesClient:
    """Reads and anchors rounds of one LiabilitiesRegistry."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = to_checksum_address(address)
        self.contract = w3.eth.contract(
            address=self.address, abi=load_liabilities_artifact().abi_list
        )

    def last_round_id(self, *, block: Any = "latest") -> int:
        return int(self.contract.functions.lastRoundId().call(block_identifier=block))

    def round_of(self, round_id: int, *, block: Any = "latest") -> OnChainRound:
        root, cutoff, count, assets, totals = self.contract.functions.roundOf(round_id).call(
            block_identifier=block
        )
        return OnChainRound(
            round_id,
            bytes(root),
            int(cutoff),
            int(count),
            tuple(bytes(a).rstrip(b"\0").decode("utf-8") for a in assets),
            tuple(int(t) for t in totals),
        )

    def verify_liability(
        self,
        round_id: int,
        leaf: tuple[bytes, bytes, bytes, Sequence[int]],
        index: int,
        path: Sequence[PathStep],
        *,
        block: Any = "latest",
    ) -> bool:
        """``verifyLiability`` through eth_call."""
        commitment, salt, rec_hash, balances = leaf
        return bool(
            self.contract.functions.verifyLiability(
                round_id,
                (commitment, salt, rec_hash, list(balances)),
                index,
                [s.hash for s in path],
                [list(s.sums) for s in path],
            ).call(block_identifier=block)
        )

    def find_round_anchored(self, round_id: int, *, from_block: int = 0) -> AnchoredRound | None:
        """Where the ``RoundAnchored`` event of ``round_id`` was emitted (None when its log is
        out of reach): what a re-run adopts when a round was sent but not recorded."""
        topic = Web3.to_hex(
            keccak(text="RoundAnchored(uint64,bytes32,uint64,uint64,bytes32[],uint256[])")
        )
        try:
            logs = self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "fromBlock": from_block,
                    "toBlock": "latest",
                    "topics": [topic, "0x" + round_id.to_bytes(32, "big").hex()],
                }
            )
            if not logs:
                return None
            tx_hash = logs[-1]["transactionHash"]
            receipt = self.w3.eth.get_transaction_receipt(tx_hash)
        except (Web3RPCError, ValueError) as exc:
            raise ChainError(
                f"cannot read the RoundAnchored event of round {round_id}: {exc}"
            ) from None
        return AnchoredRound.of_receipt(receipt)

    def anchor_round(
        self,
        key: SigningKey,
        *,
        round_id: int,
        cutoff_batch_id: int,
        root: bytes,
        leaf_count: int,
        assets: Sequence[str],
        totals: Sequence[int],
        timeout: float = 120.0,
    ) -> AnchoredRound:
        """Sign, send and wait for ``anchorRound``; ChainError when it would revert (the
        contract's custom error is named) or is not mined in time."""
        fn = self.contract.functions.anchorRound(
            round_id,
            cutoff_batch_id,
            root,
            leaf_count,
            [encode_asset(a) for a in assets],
            list(totals),
        )
        with sending("anchorRound", timeout=timeout, abi=load_liabilities_artifact().abi):
            fn.call({"from": key.address})
            params: Any = {
                "from": key.address,
                "nonce": self.w3.eth.get_transaction_count(
                    to_checksum_address(key.address), "pending"
                ),
                "gas": ANCHOR_ROUND_GAS_LIMIT,
                "chainId": self.w3.eth.chain_id,
            }
            tx = fn.build_transaction(params)
            tx_hash = self.w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(
                tx_hash, timeout=timeout, poll_latency=0.05
            )
        if receipt["status"] != 1:
            raise ChainError(f"anchorRound transaction {Web3.to_hex(tx_hash)} reverted")
        return AnchoredRound.of_receipt(receipt)


_BALANCE_OF = function_signature_to_4byte_selector("balanceOf(address)")


def read_reserves(
    w3: Web3, wallets: Sequence[str], sources: Mapping[str, str], *, block: int
) -> dict[str, int]:
    """Per asset, the sum over ``wallets`` of its balance at ``block``: ``sources[asset]`` is
    :data:`NATIVE` (the chain's coin) or an ERC-20 token address (``balanceOf``)."""
    out: dict[str, int] = {}
    try:
        for asset, source in sources.items():
            total = 0
            for wallet in wallets:
                holder = to_checksum_address(wallet)
                if source == NATIVE:
                    total += int(w3.eth.get_balance(holder, block_identifier=block))
                else:
                    data = _BALANCE_OF + bytes(12) + bytes.fromhex(holder[2:])
                    raw = w3.eth.call(
                        {"to": to_checksum_address(source), "data": Web3.to_hex(data)},
                        block_identifier=block,
                    )
                    (value,) = abi_decode(["uint256"], bytes(raw))
                    total += int(value)
            out[asset] = total
    except (Web3RPCError, ContractLogicError, ValueError) as exc:
        raise ChainError(f"cannot read reserves at block {block}: {exc}") from None
    return out
