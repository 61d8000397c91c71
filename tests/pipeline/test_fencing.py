"""Fencing, on both backends with a real anvil: a transaction manager whose process lost the
anchorer lease neither signs nor broadcasts, however far into its tick it was."""

from __future__ import annotations

from typing import Any

from anchor.service.anchoring import Anchorer
from anchor.service.leader import LeaseLeader
from anchor.store.db import Database
from anchor.store.lease import read_lease
from tests.faults.service import wait_until
from tests.pipeline.helpers import make_env


def test_a_process_that_lost_the_lease_never_signs_or_sends(
    db: Database, deployed_registry: Any
) -> None:
    reg = deployed_registry
    env = make_env(db, reg, finality_depth=0)
    # long enough that a slow machine does not fence the first, healthy tick (the fence wants
    # a third of the lease left); it runs out once its heartbeats stop below
    old = LeaseLeader(db, lease_seconds=6.0)
    new = LeaseLeader(db, lease_seconds=30.0)
    old_anchorer = Anchorer(
        db, env.config, w3=reg.w3, key=reg.anchorer, backups=False, fence=old.holds
    )
    new_anchorer = Anchorer(
        db, env.config, w3=reg.w3, key=reg.anchorer, backups=False, fence=new.holds
    )
    try:
        assert old.try_acquire()
        env.ingest(10)
        env.seal()
        report = old_anchorer.tx.run_once()  # the leader signs and sends
        assert not report.fenced and report.prepared == 1 and report.broadcast.sent == 1

        old._stop.set()  # it stalls: no more heartbeats ...
        wait_until(new.try_acquire, timeout=60, what="the lease to pass on")  # ... and loses it
        env.ingest(10)
        env.seal()
        report = old_anchorer.tx.run_once()
        assert report.fenced and report.prepared == 0 and report.broadcast.sent == 0
        assert env.attempts(2) == []  # nothing signed: the signature was fenced
        assert old.epoch is None and not old.is_leader()  # it stepped down

        assert new_anchorer.tx.prepare() == 1  # the new leader signs (stored, not sent)
        assert len(env.attempts(2)) == 1
        report = old_anchorer.tx.run_once()
        assert report.fenced and report.broadcast.sent == 0
        assert env.attempts(2)[0].broadcast_count == 0  # the old one did not broadcast it
        sender = reg.anchorer.address
        assert reg.w3.eth.get_transaction_count(sender, "pending") == 1

        new_anchorer.anchor_until(lambda c: c.get("final", 0) == 2, timeout=30)
        env.check_anchored_once()
        assert reg.w3.eth.get_transaction_count(sender) == 2
        held = read_lease(db)
        assert held is not None and held.holder == new.holder and held.epoch == 2
    finally:
        old.release()
        new.release()
