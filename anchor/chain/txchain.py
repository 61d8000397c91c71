"""The chain as the transaction manager sees it: one signing account on one chain.

:class:`TxChain` answers the questions the write-ahead state machine
(:mod:`anchor.service.txmanager`) asks of a node — the chain id, the account's nonces, EIP-1559
fees, a gas estimate, the current head and finalized heights, whether a block is still
canonical, a transaction's receipt — signs an anchor transaction locally, and sends stored raw
bytes. Values in, values out: it knows no database and decides nothing.

Errors of the node and of the network pass through unchanged (the manager classifies them with
:func:`anchor.chain.fees.classify_send_error` and :func:`~anchor.chain.fees.is_network_error`),
except a missing receipt, which is ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from anchor.chain.fees import Fees, is_network_error
from anchor.chain.finality import ChainHead, canonical_hash, read_head
from anchor.chain.registry import to_hex

if TYPE_CHECKING:
    from anchor.chain.keys import SigningKey

__all__ = ["Receipt", "SignedTx", "TxChain"]


@dataclass(frozen=True)
class SignedTx:
    """A locally signed transaction: its hash (``0x`` hex) and the raw bytes to send."""

    tx_hash: str
    raw: bytes


@dataclass(frozen=True)
class Receipt:
    """What the manager reads from a receipt (``block_hash``: lower-case ``0x`` hex)."""

    status: int
    block_number: int
    block_hash: str


class TxChain:
    """One signing ``key`` sending to the contract ``to`` over ``w3`` on chain ``chain_id``."""

    def __init__(self, w3: Any, key: SigningKey, *, chain_id: int, to: str) -> None:
        self.w3 = w3
        self.key = key
        self.chain_id = chain_id
        self.to = to
        self.sender = key.address

    # -- reads ---------------------------------------------------------------------------
    def rpc_chain_id(self) -> int:
        """The chain id the RPC serves."""
        return int(self.w3.eth.chain_id)

    def nonce(self, block: str) -> int:
        """The sender's transaction count at ``block`` ("pending" or "latest")."""
        return int(self.w3.eth.get_transaction_count(self.sender, block))

    def estimate_gas(self, data: str) -> int:
        return int(self.w3.eth.estimate_gas({"from": self.sender, "to": self.to, "data": data}))

    def suggest_fees(self, max_fee_wei: int) -> Fees:
        """EIP-1559 fees from ``eth_feeHistory``: tip = max(median recent tip, the node's
        suggestion), cap = 2 x next base fee + tip, never above ``max_fee_wei``."""
        history = self.w3.eth.fee_history(5, "latest", [50])
        base = int(history["baseFeePerGas"][-1])
        rewards = sorted(int(r[0]) for r in history.get("reward") or [] if r)
        tip = rewards[len(rewards) // 2] if rewards else 0
        try:
            tip = max(tip, int(self.w3.eth.max_priority_fee))
        except Exception as exc:
            if is_network_error(exc):
                raise
        tip = max(tip, 1)
        cap = min(2 * base + tip, max_fee_wei)
        return Fees(max_fee=cap, tip=min(tip, cap))

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def head(self, *, finality_depth: int | None) -> ChainHead:
        """The latest and the finalized heights (:func:`anchor.chain.finality.read_head`)."""
        return read_head(self.w3, finality_depth=finality_depth)

    def canonical(self, number: int) -> str | None:
        """The hash (``0x`` hex) of the canonical block at ``number``; None past the head."""
        found = canonical_hash(self.w3, number)
        return None if found is None else to_hex(found)

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of ``tx_hash``; None while the node knows none."""
        from web3.exceptions import TransactionNotFound

        try:
            found = self.w3.eth.get_transaction_receipt(tx_hash)
        except TransactionNotFound:
            return None
        return Receipt(
            status=int(found["status"]),
            block_number=int(found["blockNumber"]),
            block_hash=to_hex(found["blockHash"]),
        )

    # -- signing and sending -------------------------------------------------------------
    def sign(self, *, nonce: int, gas: int, data: str, fees: Fees) -> SignedTx:
        """An EIP-1559 transaction to the contract, signed locally (nothing is sent)."""
        signed = self.key.sign_transaction(
            {
                "type": 2,
                "chainId": self.chain_id,
                "nonce": nonce,
                "to": self.to,
                "value": 0,
                "gas": gas,
                "maxFeePerGas": fees.max_fee,
                "maxPriorityFeePerGas": fees.tip,
                "data": data,
            }
        )
        return SignedTx(tx_hash=to_hex(signed.hash), raw=bytes(signed.raw_transaction))

    def send(self, raw: bytes) -> None:
        """Send stored raw bytes (``eth_sendRawTransaction``); the node's refusal raises."""
        self.w3.eth.send_raw_transaction(raw)
