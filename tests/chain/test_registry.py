"""AnchorRegistry behaviour on a real anvil: who may anchor, in which order, what never changes."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_abi import decode as abi_decode
from eth_utils import keccak

from anchor.chain.client import decode_revert
from tests.fixtures.chain import DeployedRegistry

pytestmark = pytest.mark.chain


def _root() -> bytes:
    return os.urandom(31) + b"\x01"  # never zero


def _revert(reg: DeployedRegistry, key: Any, function: str, *args: Any) -> str:
    """The name of the custom error ``function`` reverts with (simulated as ``key``)."""
    from web3.exceptions import ContractCustomError

    with pytest.raises(ContractCustomError) as info:
        reg.client.contract.functions[function](*args).call({"from": key.address})
    decoded = reg.client.revert_of(info.value)
    assert decoded is not None, info.value
    return str(decoded.name)


def test_deployment_roles(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    assert reg.client.owner() == reg.owner.address
    assert reg.client.is_anchorer(reg.anchorer.address)
    assert not reg.client.is_anchorer(reg.owner.address)  # the constructor named another anchorer
    assert not reg.client.is_anchorer(reg.stranger.address)
    assert reg.client.last_batch_id() == 0
    assert reg.client.root_of(1) == bytes(32)


def test_a_non_anchorer_is_rejected(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    for key in (reg.stranger, reg.owner):
        receipt = reg.anchor(1, _root(), 1, key=key)
        assert receipt["status"] == 0
        assert _revert(reg, key, "anchor", 1, _root(), 1) == "NotAnchorer"
    assert reg.client.last_batch_id() == 0
    assert reg.client.root_of(1) == bytes(32)


def test_ids_are_strictly_sequential_from_one(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    for bad in (0, 2, 7, 2**64 - 1):
        assert reg.client.simulate_anchor(bad, _root(), 1, sender=reg.anchorer.address) is not None
        assert reg.anchor(bad, _root(), 1)["status"] == 0
    roots = [_root() for _ in range(5)]
    for batch_id, root in enumerate(roots, start=1):
        assert reg.client.simulate_anchor(batch_id, root, 3, sender=reg.anchorer.address) is None
        assert reg.anchor(batch_id, root, 3)["status"] == 1
        assert reg.client.last_batch_id() == batch_id
    # skipped ids
    for skipped in (7, 100, 2**63):
        revert = reg.client.simulate_anchor(skipped, _root(), 1, sender=reg.anchorer.address)
        assert revert is not None and revert.name == "BatchIdOutOfOrder"
        assert revert.args == {"expected": 6, "got": skipped}
        assert not revert.already_anchored
        assert reg.anchor(skipped, _root(), 1)["status"] == 0
    assert [reg.client.root_of(i) for i in range(1, 6)] == roots
    assert reg.client.root_of(7) == bytes(32)
    assert reg.client.last_batch_id() == 5


def test_a_repeated_id_is_rejected_and_a_root_never_changes(
    deployed_registry: DeployedRegistry,
) -> None:
    reg = deployed_registry
    first = _root()
    assert reg.anchor(1, first, 10)["status"] == 1
    assert reg.anchor(2, _root(), 10)["status"] == 1
    for batch_id in (1, 2):
        for root in (first, _root()):  # the same root again, or another one
            revert = reg.client.simulate_anchor(batch_id, root, 10, sender=reg.anchorer.address)
            assert revert is not None and revert.already_anchored
            assert reg.anchor(batch_id, root, 10)["status"] == 0
    assert reg.client.root_of(1) == first
    # a second anchorer cannot overwrite either
    assert reg.transact(reg.owner, "addAnchorer", reg.stranger.address)["status"] == 1
    assert reg.anchor(1, _root(), 1, key=reg.stranger)["status"] == 0
    assert reg.client.root_of(1) == first


def test_zero_root_and_zero_leaf_count_are_rejected(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    assert _revert(reg, reg.anchorer, "anchor", 1, bytes(32), 5) == "ZeroRoot"
    assert _revert(reg, reg.anchorer, "anchor", 1, _root(), 0) == "ZeroLeafCount"
    assert reg.anchor(1, bytes(32), 5)["status"] == 0
    assert reg.client.last_batch_id() == 0


def test_only_the_owner_manages_anchorers(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    assert (
        _revert(reg, reg.stranger, "addAnchorer", reg.stranger.address)
        == "OwnableUnauthorizedAccount"
    )
    assert (
        _revert(reg, reg.anchorer, "addAnchorer", reg.stranger.address)
        == "OwnableUnauthorizedAccount"
    )
    assert (
        _revert(reg, reg.stranger, "removeAnchorer", reg.anchorer.address)
        == "OwnableUnauthorizedAccount"
    )
    assert _revert(reg, reg.owner, "addAnchorer", reg.anchorer.address) == "AnchorerUnchanged"
    assert _revert(reg, reg.owner, "removeAnchorer", reg.stranger.address) == "AnchorerUnchanged"
    assert _revert(reg, reg.owner, "addAnchorer", "0x" + "00" * 20) == "ZeroAnchorer"

    assert reg.transact(reg.owner, "addAnchorer", reg.stranger.address)["status"] == 1
    assert reg.anchor(1, _root(), 1, key=reg.stranger)["status"] == 1
    assert reg.transact(reg.owner, "removeAnchorer", reg.stranger.address)["status"] == 1
    assert not reg.client.is_anchorer(reg.stranger.address)
    assert reg.anchor(2, _root(), 1, key=reg.stranger)["status"] == 0
    assert reg.anchor(2, _root(), 1)["status"] == 1


def test_after_renouncing_anchorers_still_anchor_and_nobody_adds_one(
    deployed_registry: DeployedRegistry,
) -> None:
    reg = deployed_registry
    assert reg.transact(reg.owner, "addAnchorer", reg.owner.address)["status"] == 1
    assert reg.transact(reg.owner, "renounceOwnership")["status"] == 1
    assert reg.client.owner() is None
    # both existing anchorers still anchor
    assert reg.anchor(1, _root(), 1)["status"] == 1
    assert reg.anchor(2, _root(), 1, key=reg.owner)["status"] == 1
    # nobody, the former owner included, can add or remove an anchorer
    for key in (reg.owner, reg.anchorer, reg.stranger):
        assert (
            _revert(reg, key, "addAnchorer", reg.stranger.address) == "OwnableUnauthorizedAccount"
        )
        assert (
            _revert(reg, key, "removeAnchorer", reg.anchorer.address)
            == "OwnableUnauthorizedAccount"
        )
        assert reg.transact(key, "addAnchorer", reg.stranger.address)["status"] == 0
    assert not reg.client.is_anchorer(reg.stranger.address)
    assert reg.client.is_anchorer(reg.anchorer.address)


def test_events_decode_with_the_abi(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    roots = [_root() for _ in range(3)]
    counts = [1, 10_000_000, 2**64 - 1]
    receipts = [
        reg.anchor(i, r, n) for i, (r, n) in enumerate(zip(roots, counts, strict=True), start=1)
    ]
    assert all(r["status"] == 1 for r in receipts)

    # from the receipt, with web3 and the artifact's ABI
    decoded = reg.client.decode_receipt(receipts[1])
    assert len(decoded) == 1
    event = decoded[0]
    assert (event.batch_id, event.root, event.leaf_count) == (2, roots[1], 10_000_000)
    assert event.tx_hash == bytes(receipts[1]["transactionHash"])
    assert event.block_hash == bytes(receipts[1]["blockHash"])

    # from eth_getLogs, all and by batch id
    events = reg.client.anchored_events()
    assert [(e.batch_id, e.root, e.leaf_count) for e in events] == list(
        zip([1, 2, 3], roots, counts, strict=True)
    )
    assert [e.batch_id for e in reg.client.anchored_events(batch_id=3)] == [3]
    chunked = reg.client.anchored_events(max_range=1)  # one eth_getLogs per block
    assert chunked == events
    assert (
        reg.client.anchored_events(from_block=receipts[2]["blockNumber"], max_range=2) == events[2:]
    )

    # by hand, the way an explorer reads the raw log: topic 0 is the event signature
    log = receipts[2]["logs"][0]
    assert bytes(log["topics"][0]) == keccak(b"Anchored(uint64,bytes32,uint64)")
    assert int.from_bytes(bytes(log["topics"][1]), "big") == 3
    assert bytes(log["topics"][2]) == roots[2]
    assert abi_decode(["uint64"], bytes(log["data"])) == (2**64 - 1,)


def test_management_events(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    receipt = reg.transact(reg.owner, "addAnchorer", reg.stranger.address)
    added = reg.client.contract.events.AnchorerAdded().process_receipt(receipt)
    assert [e["args"]["account"] for e in added] == [reg.stranger.address]
    receipt = reg.transact(reg.owner, "removeAnchorer", reg.stranger.address)
    removed = reg.client.contract.events.AnchorerRemoved().process_receipt(receipt)
    assert [e["args"]["account"] for e in removed] == [reg.stranger.address]


def test_last_batch_id_search_over_many_batches(deployed_registry: DeployedRegistry) -> None:
    reg = deployed_registry
    for batch_id in range(1, 40):
        assert reg.anchor(batch_id, _root(), 1)["status"] == 1
        assert reg.client.last_batch_id() == batch_id
        nxt = reg.client.simulate_anchor(batch_id + 2, _root(), 1, sender=reg.anchorer.address)
        assert nxt is not None and nxt.args["expected"] == batch_id + 1


def test_decode_revert_knows_the_errors() -> None:
    selector = keccak(b"BatchIdOutOfOrder(uint64,uint64)")[:4]
    data = selector + (5).to_bytes(32, "big") + (3).to_bytes(32, "big")
    decoded = decode_revert("0x" + data.hex())
    assert decoded is not None
    assert decoded.name == "BatchIdOutOfOrder"
    assert decoded.args == {"expected": 5, "got": 3}
    assert decoded.already_anchored
    assert decode_revert("0x" + "ab" * 36) is None
    assert decode_revert(None) is None
