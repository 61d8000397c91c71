"""Chain faults on a real anvil (SQLite and PostgreSQL): reorgs, dropped and stuck
transactions, fee spikes, an RPC outage, running out of funds, a reorg below `finalized`."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from anchor.store.tx_models import (
    ALARM_INSUFFICIENT_FUNDS,
    ALARM_REORG_BELOW_FINALITY,
    ATTEMPT_MINED,
    ATTEMPT_REPLACED,
)
from tests.pipeline.helpers import Env, make_env

pytestmark = pytest.mark.chain

# The issue asks for a 60 s outage; the test default is shorter to keep the suite fast (the
# behaviour does not depend on the duration: every tick during the outage fails the same way).
# Set ANCHOR_FAULT_OUTAGE_SECONDS=60 to run the full-length version.
OUTAGE_SECONDS = float(os.environ.get("ANCHOR_FAULT_OUTAGE_SECONDS", "3"))


def sent_unmined(db: Any, reg: Any, **config: Any) -> Env:
    """Batch 1 (30 records) sealed and sent once with mining switched off: its transaction
    waits in the pool (``config`` overrides the env's, ``finality_depth=0``)."""
    env = make_env(db, reg, finality_depth=0, **config)
    env.ingest(30)
    env.seal()
    env.rpc("evm_setAutomine", False)
    env.tick()
    return env


def mine_until_final(env: Env) -> None:
    """Mine what is in the pool, switch mining back on and tick until batch 1 is final."""
    env.rpc("evm_mine")
    env.rpc("evm_setAutomine", True)
    env.tick_until(lambda: env.batch(1).state == "final")


def test_reorg_dropping_the_anchor_tx_re_anchors_in_a_new_block(
    db: Any, deployed_registry: Any
) -> None:
    env = make_env(db, deployed_registry, finality_depth=10)
    env.ingest(100)
    env.seal()
    env.tick()
    before = env.batch(1)
    assert before.state == "included"
    env.rpc("evm_mine")
    # replace the last 2 blocks (the anchor tx's block among them) by empty ones
    env.rpc("anvil_reorg", 2, [])
    assert env.reg.client.root_of(1) == b"\x00" * 32  # gone from the canonical chain
    report = env.tick()  # notices, goes back to submitted
    assert report.confirmed.reorged == 1
    env.tick_until(lambda: env.batch(1).state == "included")
    after = env.batch(1)
    assert after.block_hash != before.block_hash
    assert after.tx_hash == before.tx_hash  # the same stored bytes, re-broadcast
    assert env.tx(1).reorgs >= 1
    env.check_anchored_once()
    # a proof now points at the new block: the batch row carries it
    receipt = env.w3.eth.get_transaction_receipt(after.tx_hash)
    assert bytes(receipt["blockHash"]) == after.block_hash
    for _ in range(10):
        env.rpc("evm_mine")
    env.tick_until(lambda: env.batch(1).state == "final")


def test_dropped_transaction_is_rebroadcast(db: Any, deployed_registry: Any) -> None:
    env = sent_unmined(db, deployed_registry, rebroadcast_seconds=0.2)
    [attempt] = env.attempts(1)
    assert attempt.broadcast_count == 1
    env.rpc("anvil_dropTransaction", attempt.tx_hash)
    assert env.rpc("txpool_content")["pending"] == {}
    time.sleep(0.3)
    env.tick()
    assert env.rpc("txpool_content")["pending"] != {}  # back in the pool: same bytes
    mine_until_final(env)
    [attempt] = env.attempts(1)
    assert attempt.broadcast_count >= 2 and attempt.status == ATTEMPT_MINED
    env.check_anchored_once()


def test_unmined_transaction_is_replaced_at_the_same_nonce(db: Any, deployed_registry: Any) -> None:
    env = sent_unmined(db, deployed_registry, stuck_after_seconds=0.3, rebroadcast_seconds=60)
    time.sleep(0.4)
    report = env.tick()
    assert report.broadcast.bumped == 1
    first, second = env.attempts(1)
    assert first.nonce == second.nonce
    assert second.max_priority_fee_per_gas * 100 >= first.max_priority_fee_per_gas * 125
    assert second.max_fee_per_gas * 100 >= first.max_fee_per_gas * 125
    mine_until_final(env)
    first, second = env.attempts(1)
    assert (first.status, second.status) == (ATTEMPT_REPLACED, ATTEMPT_MINED)
    assert env.batch(1).tx_hash == bytes.fromhex(second.tx_hash[2:])
    env.check_anchored_once()


def test_base_fee_spike_gets_the_transaction_replaced(db: Any, deployed_registry: Any) -> None:
    env = sent_unmined(db, deployed_registry, stuck_after_seconds=60, rebroadcast_seconds=0.2)
    [first] = env.attempts(1)
    env.rpc("anvil_setNextBlockBaseFeePerGas", hex(50 * 10**9))
    env.rpc("evm_mine")  # anvil drops our tx: its fee cap is under the new base fee
    assert env.batch(1).state == "submitted"
    time.sleep(0.3)
    report = env.tick()  # rebroadcast refused ("less than block base fee") -> replaced
    assert report.broadcast.bumped == 1
    second = env.attempts(1)[-1]
    assert second.nonce == first.nonce and second.max_fee_per_gas > 50 * 10**9
    mine_until_final(env)
    assert env.batch(1).tx_hash == bytes.fromhex(second.tx_hash[2:])
    env.check_anchored_once()


def test_out_of_funds_is_an_alarm_and_resumes_when_funded(db: Any, deployed_registry: Any) -> None:
    env = make_env(db, deployed_registry, finality_depth=0)
    sender = env.reg.anchorer.address
    balance = env.w3.eth.get_balance(sender)
    env.rpc("anvil_setBalance", sender, "0x0")
    env.ingest(25)
    env.seal()
    for _ in range(3):
        env.tick()
    alarms = env.alarms()
    assert [a.kind for a in alarms] == [ALARM_INSUFFICIENT_FUNDS]
    assert "insufficient funds" in alarms[0].message
    assert env.batch(1).state in ("sealed", "submitted")  # kept, nothing lost
    assert env.reg.client.root_of(1) == b"\x00" * 32
    env.rpc("anvil_setBalance", sender, hex(balance))
    env.tick_until(lambda: env.batch(1).state == "final")
    assert env.alarms() == []  # resolved
    env.check_anchored_once()


def test_rpc_down_ingest_keeps_working_and_the_backlog_is_anchored_after(
    backend: str, make_db_url: Any, anvil_factory: Any, restartable_registry: Any
) -> None:
    from anchor.store.db import Database

    reg = restartable_registry
    devnet = reg.devnet
    db = Database.open(make_db_url(backend))
    try:
        env = make_env(db, reg, finality_depth=0)
        env.ingest(50)
        env.seal()
        env.tick_until(lambda: env.batch(1).state == "final")
        anvil_factory.stop(devnet)  # SIGTERM: anvil writes its state file
        deadline = time.monotonic() + OUTAGE_SECONDS
        ticks = 0
        while time.monotonic() < deadline or ticks < 2:
            env.ingest(20)  # ingest and sealing need no chain
            env.seal()
            report = env.tick()
            assert report.errors, "the outage must show in the tick report"
            ticks += 1
            time.sleep(0.2)
        assert all(b.state == "sealed" for b in env.batches()[1:])
        anvil_factory.restart(devnet)
        env.tick_until(lambda: env.all_in("final"), timeout=30)
        env.check_anchored_once()
        assert len(env.batches()) == 1 + ticks
    finally:
        db.close()


def test_reorg_below_finalized_is_an_alarm(
    db: Any, anvil_factory: Any, deploy_registry_on: Any
) -> None:
    devnet = anvil_factory.start(slots_in_an_epoch=1)  # finalized = head - 2
    env = make_env(db, deploy_registry_on(devnet), finality_depth=None)
    for _ in range(2):
        env.ingest(40)
        env.seal()
        env.tick()
    for _ in range(3):
        env.rpc("evm_mine")
    env.tick()
    finals = [env.batch(1), env.batch(2)]
    assert [b.state for b in finals] == ["final", "final"]
    head = env.w3.eth.block_number
    env.rpc("anvil_reorg", head - finals[0].block_number + 1, [])  # rewrite both final blocks
    env.tick()
    alarms = env.alarms()
    assert sorted((a.kind, a.batch_id) for a in alarms) == [
        (ALARM_REORG_BELOW_FINALITY, 1),
        (ALARM_REORG_BELOW_FINALITY, 2),
    ]
    assert "below the finalized" in alarms[0].message
    # and the batches are anchored again rather than left pointing at vanished blocks
    env.tick_until(lambda: env.all_in("included", "final"))
    for before in finals:
        assert env.batch(before.id).block_hash != before.block_hash
    env.check_anchored_once()


def test_nonce_used_by_another_transaction_is_signed_again(db: Any, deployed_registry: Any) -> None:
    from anchor.store.tx_models import ALARM_NONCE_CONSUMED, ATTEMPT_ABANDONED

    env = sent_unmined(db, deployed_registry, rebroadcast_seconds=0.1)
    [first] = env.attempts(1)
    env.rpc("anvil_dropTransaction", first.tx_hash)
    key = env.reg.anchorer  # the same key used elsewhere, at the same nonce
    other = key.sign_transaction(
        {
            "type": 2, "chainId": env.reg.chain_id, "nonce": first.nonce, "to": key.address,
            "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
        }
    )  # fmt: skip
    env.w3.eth.send_raw_transaction(other.raw_transaction)
    time.sleep(0.15)  # the batch's rebroadcast is due when the ticks resume
    mine_until_final(env)
    assert [a.kind for a in env.alarms()] == [ALARM_NONCE_CONSUMED]
    attempts = env.attempts(1)
    assert attempts[0].status == ATTEMPT_ABANDONED and attempts[-1].nonce == first.nonce + 1
    env.check_anchored_once()


def test_not_mined_after_n_blocks_is_replaced(db: Any, deployed_registry: Any) -> None:
    env = sent_unmined(
        db, deployed_registry, stuck_after_seconds=3600, stuck_after_blocks=3,
        rebroadcast_seconds=3600,
    )  # fmt: skip
    [first] = env.attempts(1)
    env.rpc("anvil_dropTransaction", first.tx_hash)  # lost by the node, never re-sent by time
    env.rpc("anvil_mine", "0x2")
    assert env.tick().broadcast.bumped == 0  # 2 blocks: not yet
    env.rpc("anvil_mine", "0x1")
    assert env.tick().broadcast.bumped == 1  # 3 blocks without it: replaced at the same nonce
    mine_until_final(env)
    first, second = env.attempts(1)
    assert (first.status, second.status) == (ATTEMPT_REPLACED, ATTEMPT_MINED)
    assert second.nonce == first.nonce
    env.check_anchored_once()
