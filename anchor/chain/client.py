"""A small typed wrapper over web3 for the AnchorRegistry, and a web3 factory.

:func:`make_web3` sets the retries and timeouts explicitly (web3's default retry list does
not cover ``requests.exceptions.ConnectionError``). :class:`RegistryClient` reads roots,
builds (unsigned) anchor transactions, simulates them, decodes the contract's custom errors
and its ``Anchored`` events. It holds no key and sends nothing: signing and broadcasting are
the transaction manager's job.

The registry has one anchoring entry, ``anchor(uint64 batchId, bytes32 root, uint64
leafCount)`` (see contracts/README.md); :func:`anchor_calldata` builds its call data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import requests
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import function_abi_to_4byte_selector, to_checksum_address
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractCustomError,
    ContractLogicError,
    Web3RPCError,
)
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import BlockIdentifier, Nonce, TxParams, Wei

from anchor.chain.artifact import Artifact, load_artifact
from anchor.errors import ChainError, ConfigError, InputError

__all__ = [
    "ANCHOR_GAS_LIMIT",
    "ANCHOR_SELECTOR",
    "AnchorRevert",
    "AnchoredEvent",
    "RegistryClient",
    "RetryPolicy",
    "anchor_calldata",
    "decode_revert",
    "make_web3",
]

# `anchor` uses at most 51,000 gas (see scripts/bench_gas.py); this leaves headroom for a
# chain whose gas schedule differs while capping what a bad call can burn.
ANCHOR_GAS_LIMIT = 80_000

# keccak256("anchor(uint64,bytes32,uint64)")[:4] (a test checks it against the artifact)
ANCHOR_SELECTOR = bytes.fromhex("0441d146")


@dataclass(frozen=True)
class RetryPolicy:
    """HTTP behaviour of :func:`make_web3`. ``retries`` counts attempts per request."""

    timeout: float = 10.0
    retries: int = 5
    backoff_factor: float = 0.25
    errors: tuple[type[BaseException], ...] = (
        ConnectionError,
        requests.exceptions.ConnectionError,
        requests.exceptions.Timeout,
        requests.exceptions.HTTPError,
    )


def make_web3(rpc_url: str, *, policy: RetryPolicy | None = None, poa: bool = False) -> Web3:
    """An HTTP web3 with explicit retries and timeouts (``policy``). ``poa`` adds the
    extra-data middleware that PoA chains (and some L2 RPCs) need."""
    policy = policy or RetryPolicy()
    provider = Web3.HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": policy.timeout},
        exception_retry_configuration=ExceptionRetryConfiguration(
            errors=policy.errors, retries=policy.retries, backoff_factor=policy.backoff_factor
        ),
    )
    w3 = Web3(provider)
    if poa:
        from web3.middleware import ExtraDataToPOAMiddleware

        w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


@dataclass(frozen=True)
class AnchoredEvent:
    """One decoded ``Anchored`` log."""

    batch_id: int
    root: bytes
    leaf_count: int
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    log_index: int


@dataclass(frozen=True)
class AnchorRevert:
    """A decoded custom error of the registry (``name`` as in the ABI, ``args`` by name)."""

    name: str
    args: dict[str, Any]

    @property
    def already_anchored(self) -> bool:
        """True when the batch id is at or below the last anchored id."""
        return self.name == "BatchIdOutOfOrder" and self.args["got"] < self.args["expected"]

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.args.items())
        return f"{self.name}({inner})"


def _error_table(abi: Iterable[dict[str, Any]]) -> dict[bytes, dict[str, Any]]:
    return {
        function_abi_to_4byte_selector(cast(Any, item)): item  # same rule for errors as functions
        for item in abi
        if item.get("type") == "error"
    }


def decode_revert(
    data: str | bytes | None, abi: Iterable[dict[str, Any]] | None = None
) -> AnchorRevert | None:
    """Decode revert data with the registry's (or OpenZeppelin Ownable's) custom errors."""
    if data is None:
        return None
    raw = HexBytes(data) if isinstance(data, str) else bytes(data)
    if len(raw) < 4:
        return None
    table = _error_table(abi if abi is not None else load_artifact().abi)
    item = table.get(bytes(raw[:4]))
    if item is None:
        return None
    types = [i["type"] for i in item.get("inputs", [])]
    names = [i["name"] for i in item.get("inputs", [])]
    try:
        values = abi_decode(types, bytes(raw[4:]))
    except Exception:
        return None
    args = [
        to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=True)
    ]
    return AnchorRevert(name=item["name"], args=dict(zip(names, args, strict=True)))


class RegistryClient:
    """Reads and transaction building for one deployed AnchorRegistry."""

    def __init__(self, w3: Web3, address: str, *, artifact: Artifact | None = None) -> None:
        self.w3 = w3
        self.artifact = artifact or load_artifact()
        try:
            self.address = to_checksum_address(address)
        except ValueError:
            raise ConfigError(f"not a contract address: {address!r}") from None
        self.contract = w3.eth.contract(address=self.address, abi=self.artifact.abi_list)

    # --- reads ---------------------------------------------------------------------------

    def root_of(self, batch_id: int, *, block: BlockIdentifier = "latest") -> bytes:
        """The root anchored for ``batch_id`` (32 zero bytes when not anchored)."""
        return bytes(self._call("rootOf", batch_id, block=block))

    def last_batch_id(self, *, block: BlockIdentifier = "latest") -> int:
        return int(self._call("lastBatchId", block=block))

    def is_anchorer(self, account: str, *, block: BlockIdentifier = "latest") -> bool:
        return bool(self._call("isAnchorer", to_checksum_address(account), block=block))

    def owner(self, *, block: BlockIdentifier = "latest") -> str | None:
        """The owner, or None once ownership is renounced."""
        value = str(self._call("owner", block=block))
        return None if int(value, 16) == 0 else to_checksum_address(value)

    def verify(
        self,
        batch_id: int,
        proof: Sequence[bytes],
        leaf: bytes,
        *,
        block: BlockIdentifier = "latest",
    ) -> bool:
        """The contract's own check of a (double-hashed) leaf against batch ``batch_id``."""
        return bool(
            self._call("verify", batch_id, [bytes(p) for p in proof], bytes(leaf), block=block)
        )

    def _call(self, name: str, *args: Any, block: BlockIdentifier) -> Any:
        try:
            return self.contract.functions[name](*args).call(block_identifier=block)
        except (ContractLogicError, Web3RPCError) as exc:
            raise ChainError(f"{name} call failed: {self._reason(exc)}") from None
        except BadFunctionCallOutput:
            raise ChainError(f"{name} call failed: no registry at {self.address}") from None
        except requests.exceptions.RequestException as exc:
            raise ChainError(
                f"{name} call failed: RPC unreachable ({type(exc).__name__})"
            ) from None

    # --- anchoring -----------------------------------------------------------------------

    def anchor_calldata(self, batch_id: int, root: bytes, leaf_count: int) -> bytes:
        """``anchor(batchId, root, leafCount)`` call data (see :func:`anchor_calldata`)."""
        return anchor_calldata(batch_id, root, leaf_count)

    def build_anchor_tx(
        self,
        batch_id: int,
        root: bytes,
        leaf_count: int,
        *,
        sender: str,
        nonce: int,
        chain_id: int,
        max_fee_per_gas: int,
        max_priority_fee_per_gas: int,
        gas: int = ANCHOR_GAS_LIMIT,
    ) -> TxParams:
        """An unsigned EIP-1559 transaction; the caller chooses nonce and fees (nothing is
        fetched from the node, so a stored transaction can be rebuilt exactly)."""
        return {
            "type": 2,
            "chainId": chain_id,
            "from": to_checksum_address(sender),
            "to": self.address,
            "nonce": Nonce(nonce),
            "gas": gas,
            "maxFeePerGas": Wei(max_fee_per_gas),
            "maxPriorityFeePerGas": Wei(max_priority_fee_per_gas),
            "value": Wei(0),
            "data": HexBytes(self.anchor_calldata(batch_id, root, leaf_count)),
        }

    def simulate_anchor(
        self,
        batch_id: int,
        root: bytes,
        leaf_count: int,
        *,
        sender: str,
        block: BlockIdentifier = "latest",
    ) -> AnchorRevert | None:
        """``eth_call`` the anchor: None when it would succeed, else the decoded custom error
        (``.already_anchored`` tells a repeated batch id apart). Unknown reverts raise."""
        tx: TxParams = {
            "from": to_checksum_address(sender),
            "to": self.address,
            "data": HexBytes(self.anchor_calldata(batch_id, root, leaf_count)),
        }
        try:
            self.w3.eth.call(tx, block_identifier=block)
        except (ContractCustomError, ContractLogicError, Web3RPCError) as exc:
            decoded = self.revert_of(exc)
            if decoded is None:
                raise ChainError(f"anchor simulation reverted: {self._reason(exc)}") from None
            return decoded
        return None

    def estimate_anchor_gas(
        self, batch_id: int, root: bytes, leaf_count: int, *, sender: str
    ) -> int:
        tx: TxParams = {
            "from": to_checksum_address(sender),
            "to": self.address,
            "data": HexBytes(self.anchor_calldata(batch_id, root, leaf_count)),
        }
        try:
            return int(self.w3.eth.estimate_gas(tx))
        except (ContractLogicError, Web3RPCError) as exc:
            raise ChainError(f"anchor gas estimate failed: {self._reason(exc)}") from None

    def revert_of(self, exc: BaseException) -> AnchorRevert | None:
        """The registry's custom error carried by a web3 exception, if any."""
        data: Any = getattr(exc, "data", None)
        if isinstance(data, dict):
            data = data.get("data")
        if data is None and isinstance(exc, Web3RPCError):
            response = exc.rpc_response or {}
            error = response.get("error") if isinstance(response, dict) else None
            data = error.get("data") if isinstance(error, dict) else None
        if isinstance(data, str) and data.startswith("0x"):
            return decode_revert(data, self.artifact.abi)
        return None

    def _reason(self, exc: BaseException) -> str:
        decoded = self.revert_of(exc)
        if decoded is not None:
            return str(decoded)
        return getattr(exc, "message", None) or str(exc) or type(exc).__name__

    # --- events --------------------------------------------------------------------------

    def anchored_events(
        self,
        *,
        from_block: int = 0,
        to_block: BlockIdentifier = "latest",
        batch_id: int | None = None,
        max_range: int | None = None,
    ) -> list[AnchoredEvent]:
        """``Anchored`` logs in a block range (optionally for one batch id), oldest first.
        ``max_range`` splits the range into ``eth_getLogs`` calls of at most that many blocks
        (public RPCs limit the range)."""
        filters: dict[str, Any] | None = {"batchId": batch_id} if batch_id is not None else None
        event = self.contract.events.Anchored
        try:
            if max_range is None:
                logs = list(
                    event.get_logs(
                        from_block=from_block, to_block=to_block, argument_filters=filters
                    )
                )
            else:
                if max_range < 1:
                    raise InputError("max_range must be at least 1")
                last = (
                    int(self.w3.eth.get_block(to_block)["number"])
                    if not isinstance(to_block, int)
                    else to_block
                )
                logs = []
                start = from_block
                while start <= last:
                    end = min(last, start + max_range - 1)
                    logs += event.get_logs(from_block=start, to_block=end, argument_filters=filters)
                    start = end + 1
        except (Web3RPCError, requests.exceptions.RequestException) as exc:
            raise ChainError(f"reading Anchored logs failed: {type(exc).__name__}") from None
        return [_event(log) for log in logs]

    def decode_receipt(self, receipt: Any) -> list[AnchoredEvent]:
        """The ``Anchored`` events in a transaction receipt."""
        from web3.logs import DISCARD

        return [
            _event(log)
            for log in self.contract.events.Anchored().process_receipt(receipt, errors=DISCARD)
        ]


def _event(log: Any) -> AnchoredEvent:
    args = log["args"]
    return AnchoredEvent(
        batch_id=int(args["batchId"]),
        root=bytes(args["root"]),
        leaf_count=int(args["leafCount"]),
        block_number=int(log["blockNumber"]),
        block_hash=bytes(log["blockHash"]),
        tx_hash=bytes(log["transactionHash"]),
        log_index=int(log["logIndex"]),
    )


def anchor_calldata(batch_id: int, root: bytes, leaf_count: int) -> bytes:
    """ABI-encoded ``anchor(uint64 batchId, bytes32 root, uint64 leafCount)`` call data."""
    _check_anchor_args(batch_id, root, leaf_count)
    return ANCHOR_SELECTOR + abi_encode(
        ["uint64", "bytes32", "uint64"], [batch_id, bytes(root), leaf_count]
    )


def _check_anchor_args(batch_id: int, root: bytes, leaf_count: int) -> None:
    """ABI ranges only; the contract itself rejects id 0, a zero root or leaf count."""
    if not 0 <= batch_id < 2**64:
        raise InputError(f"batch id out of the uint64 range: {batch_id}")
    if len(root) != 32:
        raise InputError(f"root must be 32 bytes, got {len(root)}")
    if not 0 <= leaf_count < 2**64:
        raise InputError(f"leaf count out of the uint64 range: {leaf_count}")
