"""Several chains under faults (issue 18), two real anvils of different chain ids: one chain
stopped for 60 s while the other keeps anchoring, then its backlog anchored; kill -9 at every
step of one chain's transaction manager leaves the other untouched and anchors nothing twice
(SQLite and PostgreSQL)."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from anchor.service.crash import CRASH_STEPS
from anchor.store.db import Database
from anchor.store.tx_models import ALARM_RPC_UNREACHABLE
from tests.faults.service import Service, wait_until, write_config
from tests.pipeline.helpers import make_env, make_two_chain_env

pytestmark = [pytest.mark.chain, pytest.mark.slow]

OUTAGE_SECONDS = 60.0  # the figure: kept; the test waits for states either side


def test_one_chain_down_for_60_s_the_other_keeps_anchoring_then_the_backlog(
    backend: str, make_db_url: Any, two_chains: Any
) -> None:
    a, b = two_chains.a, two_chains.b
    db = Database.open(make_db_url(backend))
    try:
        env = make_two_chain_env(db, a, b, finality_depth=0, rpc_outage_alarm_seconds=5.0)
        env.ingest(30)
        env.seal()
        env.tick_until(
            lambda: env.jobs_in(a.chain_id, "final") and env.jobs_in(b.chain_id, "final")
        )
        two_chains.factory.stop(b.devnet)  # SIGTERM: anvil writes its state file
        down_at = time.monotonic()
        sealed_while_down: list[int] = []
        while time.monotonic() - down_at < OUTAGE_SECONDS:
            env.ingest(10)  # ingest and sealing need no chain
            sealed_while_down += env.seal()
            report = env.tick()
            assert report["b"] is None or report["b"].errors, "chain b's outage shows"
            time.sleep(0.5)
        # chain a kept anchoring everything sealed meanwhile
        env.tick_until(lambda: env.jobs_in(a.chain_id, "final"), timeout=60)
        assert len(sealed_while_down) >= 5
        on_b = {t.batch_id: t.state for t in env.txs(b.chain_id)}
        assert all(on_b.get(i) in (None, "pending") for i in sealed_while_down)
        assert all(x.state == "final" for x in env.batches())  # final on a: final
        alarms = [x for x in env.alarms() if x.kind == ALARM_RPC_UNREACHABLE]
        assert [x.chain_id for x in alarms] == [b.chain_id], alarms

        two_chains.factory.restart(b.devnet)
        env.tick_until(lambda: env.jobs_in(b.chain_id, "final"), timeout=120)
        env.check_anchored_once(a)
        env.check_anchored_once(b)
        for reg in (a, b):  # not one wasted transaction on either chain
            assert reg.w3.eth.get_transaction_count(reg.anchorer.address) == len(env.batches())
        env.tick_until(lambda: not any(x.kind == ALARM_RPC_UNREACHABLE for x in env.alarms()))
    finally:
        db.close()


def _two_chain_config(path: Path, a: Any, b: Any, db_url: str) -> Path:
    write_config(path, a, db_url, leader_lease_seconds=3.0)  # see test_kill9: one service at a time
    with path.open("a", encoding="utf-8") as f:
        for name, reg in (("a", a), ("b", b)):
            f.write(
                f'\n[[chains]]\nname = "{name}"\nrpc_url = "{reg.rpc_url}"\n'
                f'chain_id = {reg.chain_id}\ncontract_address = "{reg.address}"\n'
            )
    return path


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_kill_9_at_every_step_of_one_chain_leaves_the_other_and_anchors_once(
    step: str, backend: str, make_db_url: Any, two_chains: Any, tmp_path: Path
) -> None:
    a, b = two_chains.a, two_chains.b
    db = Database.open(make_db_url(backend))
    try:
        env = make_env(db, a, finality_depth=0)  # reads the database and chain a
        env.ingest(60)
        config = _two_chain_config(tmp_path / "anchor.toml", a, b, db.url)
        key_hex = a.devnet.accounts[1].private_key  # the same test account on both chains
        first = Service(
            config,
            key_hex=key_hex,
            log=tmp_path / "first.log",
            crash_at=step,
            extra_env={"ANCHOR_CRASH_CHAIN": "b"},
        )
        assert first.wait(90) == -signal.SIGKILL, first.output()[-3000:]
        assert f"crash hook: SIGKILL at {step}" in first.output()
        if step != "after_seal":
            assert "on chain b" in first.output()
        # chain a's manager was not disturbed: whatever it did is consistent with the chain
        for job in env.txs(a.chain_id):
            if job.state in ("included", "final"):
                receipt = a.w3.eth.get_transaction_receipt(job.tx_hash)
                assert receipt["blockHash"].to_0x_hex() == job.block_hash
        env.ingest(40)  # more records arrive while it is down
        second = Service(config, key_hex=key_hex, log=tmp_path / "second.log")
        try:
            wait_until(
                lambda: (
                    sum(x.leaf_count for x in env.batches()) == env.ingested
                    and env.jobs_in(a.chain_id, "final")
                    and env.jobs_in(b.chain_id, "final")
                ),
                timeout=120,
                what="every record in a batch final on both chains",
                service=second,
            )
        finally:
            assert second.stop() == 0, second.output()[-3000:]
        env.check_anchored_once(a)
        env.check_anchored_once(b)
        for reg in (a, b):  # nothing anchored twice, no transaction wasted
            sent = reg.w3.eth.get_transaction_count(reg.anchorer.address)
            assert sent == len(env.batches()), (reg.chain_id, sent)
        assert env.alarms() == []
    finally:
        db.close()
