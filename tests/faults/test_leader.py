"""Several anchorers on one PostgreSQL database: exactly one anchors, the holder of the lease.

* SIGKILL the leader: a standby takes the lease once it runs out and anchors the backlog.
* SIGSTOP the leader (a stalled VM: its connections stay open): a standby takes over within the
  lease; after SIGCONT the old leader finds the lease gone, steps down and never signs or sends
  again; every batch is anchored exactly once.

Leadership is read from the STATE (the lease row and its change history, through
:mod:`anchor.store.lease`), never from log lines, with generous deadlines.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from anchor.store.db import Database
from anchor.store.lease import lease_changes, read_lease
from tests.faults.service import Service, wait_until, write_config
from tests.pipeline.helpers import Env, make_env

pytestmark = [pytest.mark.chain, pytest.mark.postgres, pytest.mark.slow]

LEASE_SECONDS = 4.0
DEADLINE = 60.0


def lease_pid(db: Database) -> int | None:
    """The pid of the live lease holder (None when nobody holds it)."""
    lease = read_lease(db)
    return None if lease is None else lease.pid


def wait_for_leader(db: Database, candidates: list[Service]) -> Service:
    pids = {s.pid: s for s in candidates}
    wait_until(
        lambda: lease_pid(db) in pids, timeout=DEADLINE, what="a leader among the candidates"
    )
    pid = lease_pid(db)
    assert pid is not None
    return pids[pid]


def all_anchored(env: Env) -> bool:
    return sum(b.leaf_count for b in env.batches()) == env.ingested and env.all_in("final")


def replaced(
    db: Database, services: list[Service], leader: Service, *, since: float
) -> tuple[Service, float]:
    """The standby that takes the lease from ``leader``, and the seconds that took ``since``
    (a ``time.monotonic()`` reading)."""
    new = wait_for_leader(db, [s for s in services if s is not leader])
    return new, time.monotonic() - since


def start_anchorers(env: Env, tmp_path: Path, services: list[Service], records: int) -> Service:
    """Three anchorers on ``env``'s database and registry, added to ``services`` (the caller
    stops them); once one leads, ``records`` records are ingested and anchored: the leader."""
    reg = env.reg
    config = write_config(
        tmp_path / "anchor.toml", reg, env.db.url, leader_lease_seconds=LEASE_SECONDS
    )
    key = reg.devnet.accounts[1].private_key
    services += [Service(config, key_hex=key, log=tmp_path / f"anchorer-{i}.log") for i in range(3)]
    leader = wait_for_leader(env.db, services)
    env.ingest(records)
    wait_until(lambda: all_anchored(env), timeout=DEADLINE, what="batch 1 final")
    return leader


@pytest.fixture
def env(postgres_db: Database, deployed_registry: Any) -> Env:
    """The anchorers' database (PostgreSQL) and registry, seen by the test."""
    return make_env(postgres_db, deployed_registry, finality_depth=0)


def test_a_standby_takes_over_when_the_leader_is_killed(env: Env, tmp_path: Path) -> None:
    db, reg = env.db, env.reg
    services: list[Service] = []
    try:
        leader = start_anchorers(env, tmp_path, services, 100)
        assert lease_pid(db) == leader.pid  # still the same, single leader
        assert all(s.process.poll() is None for s in services)

        leader.kill()
        new, takeover = replaced(db, services, leader, since=time.monotonic())
        env.ingest(60)
        wait_until(
            lambda: all_anchored(env), timeout=DEADLINE, what="the backlog anchored by the new one"
        )
        env.check_anchored_once()
        assert reg.w3.eth.get_transaction_count(reg.anchorer.address) == len(env.batches())
        assert [c.pid for c in lease_changes(db)] == [leader.pid, new.pid]
        print(f"takeover after SIGKILL: {takeover:.1f} s (lease {LEASE_SECONDS} s)")
    finally:
        for service in services:
            service.stop()


def test_a_stalled_leader_is_replaced_within_the_lease_and_never_anchors_again(
    env: Env, tmp_path: Path
) -> None:
    db, reg = env.db, env.reg
    services: list[Service] = []
    stopped: Service | None = None
    try:
        old = start_anchorers(env, tmp_path, services, 50)
        first = read_lease(db)
        assert first is not None and first.pid == old.pid

        os.kill(old.pid, signal.SIGSTOP)  # a stalled VM: its database connections stay open
        stopped = old
        stopped_at = time.monotonic()
        env.ingest(40)  # arrives while the leader is stalled
        new, takeover = replaced(db, services, old, since=stopped_at)
        assert takeover < LEASE_SECONDS + 20  # the lease, plus generous slack for a busy box
        wait_until(lambda: all_anchored(env), timeout=DEADLINE, what="the new leader anchoring")
        taken = read_lease(db)
        assert taken is not None and taken.pid == new.pid and taken.epoch > first.epoch

        os.kill(old.pid, signal.SIGCONT)
        stopped = None
        # the resumed process must find out it lost the lease (its only trace is its log: a
        # standby writes nothing) — waited for, with a generous deadline
        wait_until(
            lambda: "lost the anchorer lease" in old.output(),
            timeout=DEADLINE,
            what="the resumed leader stepping down",
            service=old,
        )
        env.ingest(30)
        wait_until(lambda: all_anchored(env), timeout=DEADLINE, what="records after SIGCONT")

        env.check_anchored_once()
        batches = env.batches()
        assert len(batches) >= 3
        assert reg.w3.eth.get_transaction_count(reg.anchorer.address) == len(batches)
        assert all(len(env.attempts(b.id)) == 1 for b in batches)  # nothing signed twice
        now = read_lease(db)
        assert now is not None and (now.pid, now.epoch) == (new.pid, taken.epoch)
        changes = lease_changes(db)
        assert [c.pid for c in changes] == [old.pid, new.pid]  # the old one never came back
        assert old.process.poll() is None  # alive, standing by
        print(f"takeover after SIGSTOP: {takeover:.1f} s (lease {LEASE_SECONDS} s)")
    finally:
        if stopped is not None:
            os.kill(stopped.pid, signal.SIGCONT)
        for service in services:
            assert service.stop() == 0, service.output()[-3000:]
        released = read_lease(db)
        assert released is None or released.pid is None  # clean shutdown releases the lease
