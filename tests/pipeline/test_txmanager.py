"""The transaction manager on a real anvil, over SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from anchor.chain.fees import Fees, SendOutcome, bumped, classify_send_error
from anchor.service.txmanager import retry_failed
from anchor.store.tx_models import (
    ALARM_ROOT_MISMATCH,
    ALARM_TX_REVERTED,
    ATTEMPT_MINED,
    TX_CONFLICT,
    TX_FAILED,
)
from tests.pipeline.helpers import make_env

pytestmark = pytest.mark.chain


def test_two_batches_go_sealed_submitted_included_final(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry, finality_depth=2)
    env.ingest(300)
    assert env.seal() == [1]
    env.ingest(200)
    assert env.seal() == [2]
    assert [b.state for b in env.batches()] == ["sealed", "sealed"]

    report = env.tick()
    assert report.prepared == 2 and report.broadcast.sent == 2 and report.confirmed.included == 2
    assert [b.state for b in env.batches()] == ["included", "included"]
    for _ in range(3):
        env.rpc("evm_mine")
    env.tick()
    assert [b.state for b in env.batches()] == ["final", "final"]

    nonces = [env.tx(i).nonce for i in (1, 2)]
    assert nonces[1] == nonces[0] + 1
    for b in env.batches():
        attempts = env.attempts(b.id)
        assert len(attempts) == 1 and attempts[0].status == ATTEMPT_MINED
        assert b.tx_hash == bytes.fromhex(attempts[0].tx_hash[2:])
        receipt = env.w3.eth.get_transaction_receipt(b.tx_hash)
        assert receipt["blockNumber"] == b.block_number
        assert bytes(receipt["blockHash"]) == b.block_hash
        assert b.chain_id == env.reg.chain_id and b.contract == env.reg.address
    env.check_anchored_once()
    assert env.alarms() == []


def test_batch_already_anchored_with_same_root_is_adopted(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry, finality_depth=0)
    env.ingest(50)
    env.seal()
    batch = env.batch(1)
    receipt = env.reg.anchor(1, bytes(batch.root), batch.leaf_count)  # someone beat us to it
    assert receipt["status"] == 1
    env.tick()
    env.tick()
    batch = env.batch(1)
    assert batch.state == "final"
    assert batch.tx_hash == bytes(receipt["transactionHash"])
    assert env.attempts(1) == []  # nothing of ours was ever signed
    env.check_anchored_once()


def test_different_root_on_chain_raises_an_alarm_and_is_never_overwritten(
    db: Any, deployed_registry: Any
) -> None:
    env = make_env(db, deployed_registry, finality_depth=0)
    env.ingest(40)
    env.seal()
    other_root = b"\x42" * 32
    env.reg.anchor(1, other_root, 7)
    env.ingest(10)
    env.seal()
    env.tick_until(lambda: env.batch(2).state == "final")
    assert env.tx(1).state == TX_CONFLICT
    assert env.batch(1).state == "sealed"
    assert env.reg.client.root_of(1) == other_root  # untouched
    alarms = env.alarms()
    assert [(a.kind, a.batch_id) for a in alarms] == [(ALARM_ROOT_MISMATCH, 1)]
    assert "not overwritten" in alarms[0].message
    assert env.attempts(1) == []
    env.tick()
    assert len(env.alarms()) == 1  # repeated ticks do not pile up alarms


def test_reverted_transaction_is_an_alarm_and_not_resent(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry, finality_depth=0)
    env.ingest(20)
    env.seal()
    env.rpc("evm_setAutomine", False)
    env.tick()  # signed and broadcast, not mined
    assert env.batch(1).state == "submitted"
    # the owner revokes our role in the same block, with a higher tip: we are mined second
    reg = env.reg
    tx = reg.client.contract.functions.removeAnchorer(reg.anchorer.address).build_transaction(
        {
            "from": reg.owner.address,
            "nonce": env.w3.eth.get_transaction_count(reg.owner.address, "pending"),
            "gas": 100_000,
            "maxPriorityFeePerGas": 50 * 10**9,
            "maxFeePerGas": 100 * 10**9,
            "chainId": reg.chain_id,
        }
    )
    env.w3.eth.send_raw_transaction(reg.owner.sign_transaction(tx).raw_transaction)
    env.rpc("evm_mine")
    env.rpc("evm_setAutomine", True)
    env.tick()
    env.tick()
    assert env.tx(1).state == TX_FAILED
    assert env.batch(1).state == "submitted"
    assert [a.kind for a in env.alarms()] == [ALARM_TX_REVERTED]
    sent_before = env.w3.eth.get_transaction_count(reg.anchorer.address)
    for _ in range(3):
        env.tick()
    assert env.w3.eth.get_transaction_count(reg.anchorer.address) == sent_before
    assert len(env.attempts(1)) == 1
    # the operator fixes the role and asks for a retry: anchored at a new nonce
    reg.transact(reg.owner, "addAnchorer", reg.anchorer.address)
    retry_failed(db, 1)
    assert env.alarms() == []
    env.tick_until(lambda: env.batch(1).state == "final")
    assert env.tx(1).nonce == sent_before and len(env.attempts(1)) == 2
    env.check_anchored_once()


def test_fee_bump_raises_both_fields_by_at_least_the_percentage() -> None:
    old = Fees(max_fee=3_000_000_000, tip=1_000_000_000)
    new = bumped(old, Fees(max_fee=1, tip=1), Decimal("12.5"))
    assert new.tip == 1_125_000_000 and new.max_fee == 3_375_000_000
    new = bumped(old, Fees(max_fee=10**11, tip=2 * 10**9), Decimal(25))
    assert new.tip == 2 * 10**9 and new.max_fee == 10**11  # the chain asks for more
    tiny = bumped(Fees(max_fee=3, tip=1), Fees(max_fee=1, tip=1), Decimal("12.5"))
    assert tiny.tip >= 2 and tiny.max_fee >= 4  # always strictly higher


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        ("{'code': -32003, 'message': 'transaction already imported'}", SendOutcome.KNOWN),
        ("already known", SendOutcome.KNOWN),
        ("{'code': -32003, 'message': 'nonce too low'}", SendOutcome.NONCE_LOW),
        ("Insufficient funds for gas * price + value", SendOutcome.FUNDS),
        ("replacement transaction underpriced", SendOutcome.UNDERPRICED),
        ("max fee per gas less than block base fee", SendOutcome.UNDERPRICED),
        ("execution reverted", SendOutcome.OTHER),
    ],
)
def test_node_errors_are_classified_by_message(message: str, outcome: SendOutcome) -> None:
    assert classify_send_error(RuntimeError(message)) is outcome
