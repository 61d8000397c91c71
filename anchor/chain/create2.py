"""Deterministic deployment: one registry address on every EVM chain.

The registry is created through the widely deployed CREATE2 factory at
:data:`FACTORY_ADDRESS` (anvil has it from genesis, as do most public chains). A call to the
factory with ``salt ‖ init code`` as call data runs ``CREATE2`` with that salt, so the new
contract's address is ``keccak256(0xff ‖ factory ‖ salt ‖ keccak256(init code))[12:]``: it
depends on the salt, the compiled bytecode and the constructor arguments (owner and first
anchorer) only, never on the chain, the sender or its nonce.

Where a chain lacks the factory, it is created by its presigned transaction
(:data:`FACTORY_DEPLOY_TX`): a legacy transaction without a chain id (so it is valid on every
chain), signed once by a key nobody holds, from :data:`FACTORY_DEPLOYER`'s nonce 0. Anyone can
broadcast it after sending that account :data:`FACTORY_DEPLOY_COST` wei (100,000 gas at
100 gwei). A node that accepts only replay-protected transactions over RPC refuses it; such a
chain needs its operator (or the node's ``allow unprotected transactions`` option).

:func:`find_creation` locates the block and transaction that created a contract (a search over
historical code, then the block's transactions), for ``anchor deploy`` when the registry is
already there and for ``anchor contract source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress, HexAddress, HexStr
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import Web3RPCError

from anchor.chain.artifact import Artifact
from anchor.chain.keys import SigningKey
from anchor.chain.sending import sending
from anchor.errors import ChainError, InputError

__all__ = [
    "DEFAULT_SALT",
    "FACTORY_ADDRESS",
    "FACTORY_DEPLOYER",
    "FACTORY_DEPLOY_COST",
    "FACTORY_DEPLOY_TX",
    "FACTORY_RUNTIME_CODE",
    "Creation",
    "create2_address",
    "deploy_factory",
    "factory_state",
    "find_creation",
    "parse_salt",
    "registry_init_code",
]

FACTORY_ADDRESS = ChecksumAddress(HexAddress(HexStr("0x4e59b44847b379578588920cA78FbF26c0B4956C")))
FACTORY_DEPLOYER = ChecksumAddress(HexAddress(HexStr("0x3fAB184622Dc19b6109349B94811493BF2a45362")))
# The factory's runtime code: call data is salt (32 bytes) then init code; it returns the new
# address (20 bytes) or reverts when CREATE2 fails.
FACTORY_RUNTIME_CODE = bytes.fromhex(
    "7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe036016000816020823780"
    "35828234f58015156039578182fd5b8082525050506014600cf3"
)
# Legacy, no chain id, nonce 0, gas price 100 gwei, gas 100,000, r = s = 0x22…22.
FACTORY_DEPLOY_TX = bytes.fromhex(
    "f8a58085174876e800830186a08080b853604580600e600039806000f350fe" + FACTORY_RUNTIME_CODE.hex()
    + "1ba0" + "22" * 32 + "a0" + "22" * 32
)  # fmt: skip
FACTORY_DEPLOY_COST = 100_000 * 100 * 10**9

# The project's salt: keccak256("ledger-anchor/AnchorRegistry"). Any 32 bytes will do; the
# same salt, artifact, owner and first anchorer give the same address everywhere.
DEFAULT_SALT = keccak(b"ledger-anchor/AnchorRegistry")


def parse_salt(text: str | None) -> bytes:
    """A salt from ``0x``-prefixed hex of at most 32 bytes (left-padded); None → default."""
    if text is None:
        return DEFAULT_SALT
    body = text.removeprefix("0x")
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise InputError(f"salt must be hex (0x followed by up to 64 digits): {text!r}") from None
    if not text.startswith("0x") or len(raw) > 32:
        raise InputError(f"salt must be hex (0x followed by up to 64 digits): {text!r}")
    return raw.rjust(32, b"\0")


def registry_init_code(artifact: Artifact, owner: str, first_anchorer: str) -> bytes:
    """Creation bytecode followed by the ABI-encoded constructor arguments."""
    args = abi_encode(
        ["address", "address"], [to_checksum_address(owner), to_checksum_address(first_anchorer)]
    )
    return bytes.fromhex(artifact.bytecode.removeprefix("0x")) + args


def create2_address(init_code: bytes, salt: bytes, factory: str = FACTORY_ADDRESS) -> str:
    """The address CREATE2 gives ``init_code`` with ``salt`` from ``factory``."""
    if len(salt) != 32:
        raise InputError("a CREATE2 salt is 32 bytes")
    digest = keccak(b"\xff" + bytes.fromhex(factory[2:]) + salt + keccak(init_code))
    return to_checksum_address(digest[12:])


def factory_state(w3: Web3) -> str:
    """``"present"``, ``"missing"`` (no code) or ``"other"`` (unexpected code there)."""
    code = bytes(w3.eth.get_code(FACTORY_ADDRESS))
    if not code:
        return "missing"
    return "present" if code == FACTORY_RUNTIME_CODE else "other"


def deploy_factory(
    w3: Web3, funder: SigningKey, *, chain_id: int, timeout: float = 120.0, poll: float = 0.05
) -> str:
    """Create the factory from its presigned transaction; ``funder`` pays the deployer
    account's shortfall first. Returns the transaction hash."""
    refused = " (a node that refuses transactions without a chain id must allow them for this)"
    with sending("the CREATE2 factory transaction", timeout=timeout, hint=refused):
        if w3.eth.get_transaction_count(FACTORY_DEPLOYER) != 0:
            raise ChainError(
                f"the CREATE2 factory is missing, but its deployer {FACTORY_DEPLOYER} has "
                "already used nonce 0 on this chain: it cannot be created here"
            )
        shortfall = FACTORY_DEPLOY_COST - int(w3.eth.get_balance(FACTORY_DEPLOYER))
        if shortfall > 0:
            tx: Any = {
                "chainId": chain_id,
                "from": funder.address,
                "to": FACTORY_DEPLOYER,
                "value": shortfall,
                "gas": 21_000,
                "nonce": w3.eth.get_transaction_count(
                    to_checksum_address(funder.address), "pending"
                ),
                "gasPrice": w3.eth.gas_price,
            }
            sent = w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction)
            w3.eth.wait_for_transaction_receipt(sent, timeout=timeout, poll_latency=poll)
        tx_hash = w3.eth.send_raw_transaction(FACTORY_DEPLOY_TX)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=poll)
    if receipt["status"] != 1 or factory_state(w3) != "present":
        raise ChainError("the CREATE2 factory transaction did not create the expected code")
    return Web3.to_hex(tx_hash)


@dataclass(frozen=True)
class Creation:
    """Where a contract was created: the block and the transaction, with its call data."""

    block_number: int
    block_hash: str
    block_timestamp: int
    tx_hash: str
    tx_to: str | None  # None for a plain CREATE transaction
    tx_input: bytes
    gas_used: int


def find_creation(w3: Web3, address: str, *, to_block: int | None = None) -> Creation:
    """The block in which ``address`` got its code (a binary search over ``eth_getCode`` at
    past blocks: the node must serve historical state) and the transaction that created it
    (a factory call whose input holds the init code, or a plain CREATE)."""
    address = to_checksum_address(address)
    try:
        high = int(w3.eth.block_number) if to_block is None else to_block
        if not bytes(w3.eth.get_code(address, block_identifier=high)):
            raise ChainError(f"no contract at {address} (block {high})")
        low = -1  # no code at `low` (before genesis), code at `high`
        while high - low > 1:
            middle = (low + high) // 2
            if bytes(w3.eth.get_code(address, block_identifier=middle)):
                high = middle
            else:
                low = middle
        block = w3.eth.get_block(high, full_transactions=True)
    except Web3RPCError as exc:
        raise ChainError(
            f"cannot search the creation of {address}: the node answered {exc.message!r} "
            "(it must serve past state)"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise ChainError(f"RPC unreachable ({type(exc).__name__})") from None
    transactions: list[Any] = list(block["transactions"])
    for tx in transactions:
        tx_input = bytes(tx["input"])
        to = tx.get("to")
        if to is None:
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
            created = receipt.get("contractAddress")
            if created is None or to_checksum_address(created) != address:
                continue
        elif to_checksum_address(to) == FACTORY_ADDRESS and len(tx_input) > 32:
            if create2_address(tx_input[32:], tx_input[:32]) != address:
                continue
            receipt = w3.eth.get_transaction_receipt(tx["hash"])
        else:
            continue
        return Creation(
            block_number=int(block["number"]),
            block_hash=Web3.to_hex(block["hash"]),
            block_timestamp=int(block["timestamp"]),
            tx_hash=Web3.to_hex(tx["hash"]),
            tx_to=None if to is None else to_checksum_address(to),
            tx_input=tx_input,
            gas_used=int(receipt["gasUsed"]),
        )
    raise ChainError(
        f"{address} got its code in block {high}, but by no transaction this tool can read "
        "(neither a plain creation nor a call to the CREATE2 factory)"
    )
