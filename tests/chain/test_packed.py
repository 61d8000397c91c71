"""The packed anchor entry ``anchorPacked_r19q()``: the same rules as ``anchor(...)``, both entries
interoperate, events decode with the ABI, and the gas stays within 50,000 (on a real anvil)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_utils import keccak
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from anchor.chain.artifact import load_artifact
from anchor.chain.client import (
    ABI_ANCHOR_SELECTOR,
    PACKED_ANCHOR_FUNCTION,
    PACKED_ANCHOR_LENGTH,
    PACKED_ANCHOR_SELECTOR,
    PACKED_LIMIT,
    AnchorRevert,
    abi_anchor_calldata,
    anchor_calldata,
    packed_anchor_calldata,
)
from anchor.errors import InputError
from tests.fixtures.chain import DeployedRegistry

pytestmark = pytest.mark.chain

MAX_SLOT = 2**256 - 1


def _root() -> bytes:
    """A random root without zero bytes (never zero; the dearest call data)."""
    return bytes(b % 255 + 1 for b in os.urandom(32))


def _root_slot(batch_id: int) -> int:
    return MAX_SLOT ^ batch_id  # the root of batch n lives at slot ~n


def _send(reg: DeployedRegistry, key: Any, data: bytes, *, value: int = 0) -> Any:
    """Sign raw call data, send it with a fixed gas limit (a revert is mined with status 0)."""
    w3 = reg.w3
    tx = {
        "type": 2,
        "chainId": reg.chain_id,
        "to": reg.address,
        "nonce": w3.eth.get_transaction_count(key.address, "pending"),
        "gas": 200_000,
        "maxFeePerGas": 10**11,
        "maxPriorityFeePerGas": 1,
        "value": value,
        "data": data,
    }
    tx_hash = w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.02)


def _call_revert(reg: DeployedRegistry, key: Any, data: bytes, *, value: int = 0) -> Any:
    """``eth_call`` raw call data that must revert; the decoded custom error, or None when the
    revert carries no (known) error."""
    tx = {"from": key.address, "to": reg.address, "data": data, "value": value}
    with pytest.raises((ContractCustomError, ContractLogicError, Web3RPCError)) as info:
        reg.w3.eth.call(tx)
    return reg.client.revert_of(info.value)


def _rejected(reg: DeployedRegistry, key: Any, data: bytes) -> AnchorRevert:
    """Simulated and mined: the call reverts with a custom error and changes nothing."""
    last = reg.client.last_batch_id()
    decoded = _call_revert(reg, key, data)
    assert decoded is not None
    receipt = _send(reg, key, data)
    assert receipt["status"] == 0
    assert receipt["logs"] == []
    assert reg.client.last_batch_id() == last
    return decoded


# --- the encoding, checked against the committed artifact --------------------------------------


def test_the_client_constants_are_the_artifacts() -> None:
    functions = [item for item in load_artifact().abi if item["type"] == "function"]
    signatures = [f"{f['name']}({','.join(i['type'] for i in f['inputs'])})" for f in functions]
    ids = {sig: keccak(text=sig)[:4] for sig in signatures}
    assert ids[f"{PACKED_ANCHOR_FUNCTION}()"] == PACKED_ANCHOR_SELECTOR
    assert keccak(text=f"{PACKED_ANCHOR_FUNCTION}()")[:4] == PACKED_ANCHOR_SELECTOR
    assert ids["anchor(uint64,bytes32,uint64)"] == ABI_ANCHOR_SELECTOR
    # The dispatcher compares selectors in ascending order: the packed entry is matched first.
    assert min(ids.values()) == PACKED_ANCHOR_SELECTOR
    assert bytes(4) not in ids.values()


def test_packed_calldata_layout_and_the_choice_of_form() -> None:
    root = _root()
    data = packed_anchor_calldata(0x01020304, root, 0x0A0B0C0D)
    assert len(data) == PACKED_ANCHOR_LENGTH == 44
    assert data == PACKED_ANCHOR_SELECTOR + bytes.fromhex("01020304") + root + bytes.fromhex(
        "0a0b0c0d"
    )
    assert anchor_calldata(7, root, 10_000_000) == packed_anchor_calldata(7, root, 10_000_000)
    abi = abi_anchor_calldata(7, root, 10_000_000)
    assert abi[:4] == ABI_ANCHOR_SELECTOR
    assert abi_decode(["uint64", "bytes32", "uint64"], abi[4:]) == (7, root, 10_000_000)
    # Beyond 32 bits the ABI form carries the call.
    assert anchor_calldata(PACKED_LIMIT, root, 1) == abi_anchor_calldata(PACKED_LIMIT, root, 1)
    assert anchor_calldata(1, root, PACKED_LIMIT) == abi_anchor_calldata(1, root, PACKED_LIMIT)
    assert anchor_calldata(PACKED_LIMIT - 1, root, PACKED_LIMIT - 1) == packed_anchor_calldata(
        PACKED_LIMIT - 1, root, PACKED_LIMIT - 1
    )
    with pytest.raises(InputError):
        packed_anchor_calldata(PACKED_LIMIT, root, 1)
    with pytest.raises(InputError):
        packed_anchor_calldata(1, root, PACKED_LIMIT)
    with pytest.raises(InputError):
        packed_anchor_calldata(1, root[:31], 1)
    with pytest.raises(InputError):
        anchor_calldata(-1, root, 1)


def test_the_client_encoders_match_web3s_abi_encoding(deployed_registry: DeployedRegistry) -> None:
    client = deployed_registry.client
    root = _root()
    expected = client.contract.encode_abi("anchor", args=[5, root, 9])
    assert client.abi_anchor_calldata(5, root, 9) == bytes.fromhex(expected[2:])
    assert client.anchor_calldata(5, root, 9) == packed_anchor_calldata(5, root, 9)


# --- the packed entry enforces every rule ------------------------------------------------------


def test_the_packed_entry_enforces_every_rule(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    # Not an anchorer (the owner is not one either).
    for key in (reg.stranger, reg.owner):
        revert = _rejected(reg, key, packed_anchor_calldata(1, _root(), 1))
        assert revert.name == "NotAnchorer" and revert.args["caller"] == key.address
    # Id 0 and skipped ids.
    for bad in (0, 2, 9, PACKED_LIMIT - 1):
        revert = _rejected(reg, reg.anchorer, packed_anchor_calldata(bad, _root(), 1))
        assert revert.name == "BatchIdOutOfOrder"
        assert revert.args == {"expected": 1, "got": bad}
    assert _rejected(reg, reg.anchorer, packed_anchor_calldata(0, _root(), 1)).already_anchored
    # Zero root, zero leaf count.
    assert _rejected(reg, reg.anchorer, packed_anchor_calldata(1, bytes(32), 1)).name == "ZeroRoot"
    zero_count = _rejected(reg, reg.anchorer, packed_anchor_calldata(1, _root(), 0))
    assert zero_count.name == "ZeroLeafCount"
    # The first anchor through the packed entry, then a repeat (other root, same root) and a skip.
    first = _root()
    assert _send(reg, reg.anchorer, packed_anchor_calldata(1, first, 3))["status"] == 1
    assert reg.client.root_of(1) == first
    for root in (_root(), first):
        revert = _rejected(reg, reg.anchorer, packed_anchor_calldata(1, root, 3))
        assert revert.name == "BatchIdOutOfOrder" and revert.already_anchored
        assert revert.args == {"expected": 2, "got": 1}
    skipped = _rejected(reg, reg.anchorer, packed_anchor_calldata(3, _root(), 3))
    assert skipped.args == {"expected": 2, "got": 3} and not skipped.already_anchored
    assert reg.client.root_of(1) == first  # a root never changes
    assert reg.client.root_of(3) == bytes(32)


def test_the_packed_entry_checks_the_calldata_length(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    good = packed_anchor_calldata(1, _root(), 1)
    abi_sized = PACKED_ANCHOR_SELECTOR + abi_anchor_calldata(1, _root(), 1)[4:]
    for data in (
        good[:4],  # the selector alone (what web3 would encode for the no-argument function)
        good[:-1],
        good + b"\x00",
        good + bytes(32),
        PACKED_ANCHOR_SELECTOR + (1).to_bytes(8, "big") + _root() + (1).to_bytes(8, "big"),
        abi_sized,  # ABI-encoded arguments after the packed selector
    ):
        revert = _rejected(reg, reg.anchorer, data)
        assert revert.name == "BadCalldataLength"
        assert revert.args == {"length": len(data)}
    # The length is checked first: even a stranger's malformed call gets this error.
    assert _rejected(reg, reg.stranger, good[:-1]).name == "BadCalldataLength"
    assert reg.client.root_of(1) == bytes(32)
    assert _send(reg, reg.anchorer, good)["status"] == 1


def test_the_packed_entry_refuses_ether(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    data = packed_anchor_calldata(1, _root(), 1)
    assert _call_revert(reg, reg.anchorer, data, value=1) is None  # empty revert data
    receipt = _send(reg, reg.anchorer, data, value=1)
    assert receipt["status"] == 0
    assert reg.w3.eth.get_balance(reg.address) == 0
    assert reg.client.last_batch_id() == 0
    # Unknown call data has no fallback to land in: it reverts too.
    assert _send(reg, reg.anchorer, b"")["status"] == 0
    assert _send(reg, reg.anchorer, b"\x12\x34\x56\x78" + bytes(40))["status"] == 0


def test_a_removed_anchorer_cannot_use_the_packed_entry(
    deployed_registry: DeployedRegistry,
) -> None:
    reg = deployed_registry
    assert reg.transact(reg.owner, "removeAnchorer", reg.anchorer.address)["status"] == 1
    revert = _rejected(reg, reg.anchorer, packed_anchor_calldata(1, _root(), 1))
    assert revert.name == "NotAnchorer"
    assert reg.transact(reg.owner, "addAnchorer", reg.stranger.address)["status"] == 1
    assert _send(reg, reg.stranger, packed_anchor_calldata(1, _root(), 1))["status"] == 1


# --- both entries in one sequence; events ------------------------------------------------------


def test_both_entries_interoperate_and_events_decode_with_the_abi(
    deployed_registry: DeployedRegistry,
) -> None:
    reg = deployed_registry
    encoders = [packed_anchor_calldata, abi_anchor_calldata] * 3
    anchored: list[tuple[int, bytes, int]] = []
    receipts = []
    for batch_id, encode in enumerate(encoders, start=1):
        root, count = _root(), 10_000_000 if batch_id % 2 else 1
        receipt = _send(reg, reg.anchorer, encode(batch_id, root, count))
        assert receipt["status"] == 1
        receipts.append(receipt)
        anchored.append((batch_id, root, count))
        # The other entry cannot anchor the same id again.
        other = abi_anchor_calldata if encode is packed_anchor_calldata else packed_anchor_calldata
        revert = _rejected(reg, reg.anchorer, other(batch_id, _root(), count))
        assert revert.already_anchored
    assert reg.client.last_batch_id() == len(encoders)
    for (batch_id, root, count), receipt in zip(anchored, receipts, strict=True):
        assert reg.client.root_of(batch_id) == root
        (event,) = reg.client.decode_receipt(receipt)
        assert (event.batch_id, event.root, event.leaf_count) == (batch_id, root, count)
        (log,) = receipt["logs"]  # the raw log, decoded by hand with the ABI's event signature
        assert bytes(log["topics"][0]) == keccak(b"Anchored(uint64,bytes32,uint64)")
        assert int.from_bytes(bytes(log["topics"][1]), "big") == batch_id
        assert bytes(log["topics"][2]) == root
        assert abi_decode(["uint64"], bytes(log["data"])) == (count,)
    events = reg.client.anchored_events()
    assert [(e.batch_id, e.root, e.leaf_count) for e in events] == anchored
    assert [e.batch_id for e in reg.client.anchored_events(batch_id=3)] == [3]


def test_the_client_sends_and_simulates_the_packed_form(
    deployed_registry: DeployedRegistry,
) -> None:
    reg = deployed_registry
    root = _root()
    assert reg.client.simulate_anchor(1, root, 4, sender=reg.anchorer.address) is None
    tx = reg.client.build_anchor_tx(
        1,
        root,
        4,
        sender=reg.anchorer.address,
        nonce=reg.w3.eth.get_transaction_count(reg.anchorer.address),
        chain_id=reg.chain_id,
        max_fee_per_gas=10**11,
        max_priority_fee_per_gas=1,
    )
    assert bytes(tx["data"]) == packed_anchor_calldata(1, root, 4)
    signed = reg.anchorer.sign_transaction(tx)
    receipt = reg.w3.eth.wait_for_transaction_receipt(
        reg.w3.eth.send_raw_transaction(signed.raw_transaction), poll_latency=0.02
    )
    assert receipt["status"] == 1
    again = reg.client.simulate_anchor(1, root, 4, sender=reg.anchorer.address)
    assert again is not None and again.already_anchored


# --- storage layout and gas --------------------------------------------------------------------


def test_storage_layout_is_as_documented(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    w3 = reg.w3

    def slot(n: int) -> int:
        return int.from_bytes(bytes(w3.eth.get_storage_at(reg.address, n)), "big")

    root = _root()
    assert reg.anchor(1, root, 2)["status"] == 1
    assert slot(0) == int(reg.owner.address, 16)  # Ownable's owner
    assert slot(int(reg.anchorer.address, 16)) == 1  # the anchorer flag at the address
    assert slot(int(reg.stranger.address, 16)) == 0
    assert slot(_root_slot(0)) == 1  # the sentinel of batch 0
    assert slot(_root_slot(1)) == int.from_bytes(root, "big")
    assert slot(_root_slot(2)) == 0
    # The sentinel is not a root.
    assert reg.client.root_of(0) == bytes(32)
    assert reg.client.verify(0, [], (1).to_bytes(32, "big")) is False
    assert reg.client.last_batch_id() == 1


def test_the_packed_entry_stays_within_50000_gas(deployed_registry: DeployedRegistry) -> None:
    """Gas is deterministic on anvil: the dearest calls (roots without zero bytes; the largest
    packed id and leaf count, previous root planted) stay within the issue's budget, and
    gasUsed is the same for 1 and 10,000,000 leaves but for the call data bytes."""
    reg = deployed_registry
    used = {}
    for batch_id, count in ((1, 1), (2, 10_000_000), (3, 1), (4, 10_000_000)):
        receipt = _send(reg, reg.anchorer, packed_anchor_calldata(batch_id, _root(), count))
        assert receipt["status"] == 1
        used[batch_id] = int(receipt["gasUsed"])
    assert max(used.values()) <= 50_000
    assert used[1] == used[3] and used[2] == used[4]
    assert used[2] - used[1] == 2 * 12  # two more non-zero call data bytes (16 instead of 4)
    top = PACKED_LIMIT - 1
    reg.w3.provider.make_request(
        "anvil_setStorageAt", [reg.address, hex(_root_slot(top - 1)), "0x" + "11" * 32]
    )
    receipt = _send(reg, reg.anchorer, packed_anchor_calldata(top, _root(), top))
    assert receipt["status"] == 1
    assert int(receipt["gasUsed"]) <= 50_000
